//! `seeder run`: creates the table if it is missing and writes the generated employees,
//! balances and planned vacations (see `seeder run --help`).

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use seeder::{Cli, Command, Console};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    seeder::init_tracing();
    let Cli {
        command: Command::Run(args),
    } = Cli::parse();
    let session = seeder::aws::connect(&args.target).await?;
    let report = seeder::run(&session, &args.seeding, &Console::detect()).await?;
    std::io::stdout()
        .write_all(report.render(args.output).as_bytes())
        .context("writing the summary to stdout")?;
    Ok(())
}
