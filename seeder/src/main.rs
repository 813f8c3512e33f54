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
            eprintln!("Error: {e:?}");
            ExitCode::from(failed)
        }
    }
}

fn print(text: &str) -> anyhow::Result<()> {
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("writing the summary to stdout")
}
