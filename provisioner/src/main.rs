//! `provisioner`: stands the HR agent up on Amazon Bedrock Agents (Classic) or Amazon
//! Bedrock AgentCore (`up`, `down`, `status`, `user`) and talks to it (`invoke`, `chat`).
//! See `provisioner --help`.

use std::process::ExitCode;

use clap::Parser;
use provisioner::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Without --verbose only our own sentence explains a missing region or credentials:
    // the SDK's instance-metadata warnings (two long `aws_config::imds` lines) stay out.
    let filter = if cli.verbose {
        "info,provisioner=debug"
    } else {
        "warn,aws_config=error"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    cli::run(cli).await
}
