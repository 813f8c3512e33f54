//! `hr-mcp`: see `hr-mcp --help`. Logs go to stderr, since stdout may be the MCP channel.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = mcp::cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // The SDK's instance-metadata probes warn at length when no region or credentials
        // are configured; the error that follows says what to do.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,aws_config=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    match mcp::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hr-mcp: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
