//! `seeder run` creates the table if it is missing and writes the generated employees,
//! balances and planned vacations; `seeder audit` checks every invariant of a table's data
//! (see `seeder --help`).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use seeder::Console;

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let command = seeder::Command::from(cli::Cli::parse().command);
    let failed = command.failure_status();
    let printed = match seeder::execute(command, &Console::detect()).await {
        Ok(done) => cli::print(&done.output).map(|()| done.status),
        Err(e) => Err(e.into()),
    };
    printed.map_or_else(
        |e| {
            cli::report(&e);
            ExitCode::from(failed)
        },
        ExitCode::from,
    )
}

/// Logs to stderr, filtered by `RUST_LOG`, so that the summary on stdout stays clean. By
/// default only warnings and errors are shown, and of the SDK's configuration loader only
/// errors: its warnings about probing instance metadata for a region or credentials are
/// noise, since the seeder reports a missing region or credentials itself.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,aws_config=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
