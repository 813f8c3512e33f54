//! `hr-mcp`: see `hr-mcp --help`. Logs go to stderr, since stdout may be the MCP channel.

use std::io::IsTerminal;

use clap::Parser;
use mcp::cli::{Cli, Command};

/// The log filter unless `RUST_LOG` says otherwise.
const DEFAULT_LOG_FILTER: &str = "info,rmcp=warn,aws_config=error";

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // The SDK's instance-metadata probes warn at length when no region or credentials
        // are configured; the error that follows says what to do.
        // rmcp's own info lines (every client's capabilities) are for debugging it.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // MCP clients send a server's stderr to a log file: colours only on a terminal.
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_writer(std::io::stderr)
        .init();
    // One person's stdio server handles one request at a time: one thread answers with no
    // hand-offs between threads. HTTP serves many clients at once.
    let runtime = match cli.command {
        Command::Stdio { .. } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Command::Http(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let ran = match runtime {
        Ok(runtime) => runtime.block_on(mcp::cli::run(cli)),
        Err(e) => Err(anyhow::Error::new(e).context("starting the async runtime")),
    };
    match ran {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hr-mcp: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
