//! The Lambda's entry point (`provided.al2023` runs a binary named `bootstrap`): settings
//! from the environment, logs, one DynamoDB client per cold start, then the Runtime API
//! loop. Everything else lives in the library.

use anyhow::Context;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

// One thread: Lambda hands a process one event at a time, and a single-threaded runtime
// starts faster and uses less memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let config = handler::Config::from_lookup(|name| std::env::var(name).ok())
        .context("reading the configuration from the environment")?;
    handler::init_tracing(config.log_format, &config.log_filter);
    let handler = handler::Handler::from_config(&config).await;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        handler.handle_invocation(event)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda Runtime API loop stopped")
}
