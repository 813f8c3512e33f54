//! `seeder run` creates the table if it is missing and writes the generated employees,
//! balances and planned vacations; `seeder audit` checks every invariant of a table's data
//! (see `seeder --help`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use seeder::{Cli, Console};

#[tokio::main]
async fn main() -> ExitCode {
    seeder::init_tracing();
    let command = Cli::parse().command;
    let failed = command.failure_status();
    let printed = match seeder::execute(command, &Console::detect()).await {
        Ok(done) => print(&done.output).map(|()| done.status),
        Err(e) => Err(e.into()),
    };
    match printed {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            report(&e);
            ExitCode::from(failed)
        }
    }
}

/// The error and its causes, as anyhow's `{:?}` writes them but without the backtrace
/// it adds when `RUST_BACKTRACE` is set: a user's mistake is not a crash.
fn report(e: &anyhow::Error) {
    eprintln!("Error: {e}");
    let mut causes = e.chain().skip(1).peekable();
    if causes.peek().is_some() {
        eprintln!("\nCaused by:");
        for (n, cause) in causes.enumerate() {
            eprintln!("    {n}: {cause}");
        }
    }
}

fn print(text: &str) -> anyhow::Result<()> {
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("writing the summary to stdout")
}
