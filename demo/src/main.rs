//! `demo`: replays the original conversation through the handler against a local table.
//! Run by `scripts/demo.sh`, which starts DynamoDB Local and seeds it first.

mod replay;

use anyhow::{ensure, Context};
use clap::Parser;
use handler::{AnonymousAccess, Handler, Settings};

use store::{Store, StoreConfig};

/// Replay "how many days does employee 2 have / book Jan 24-26 / how many now" as Bedrock
/// events through the real Lambda handler.
#[derive(Parser)]
struct Args {
    /// DynamoDB endpoint (DynamoDB Local).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    endpoint_url: String,
    /// The seeded table.
    #[arg(long, env = "TABLE_NAME", default_value = "hr-vacations-demo")]
    table: String,
    /// The employee whose vacations the conversation is about.
    #[arg(long, default_value_t = 2)]
    employee: u32,
    /// Sign in as this HR user (their own employee id) instead of the employee.
    #[arg(long, value_name = "HR_USER_ID")]
    hr: Option<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "local", "local", None, None, "demo",
        ))
        .load()
        .await;
    let config = StoreConfig {
        endpoint_url: Some(args.endpoint_url.clone()),
        ..StoreConfig::new(&args.table)
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 20).context("demo date")?;
    let settings = Settings {
        anonymous_access: AnonymousAccess::Refuse,
        today: Some(today),
        ..Settings::default()
    };
    let handler = Handler::new(Store::from_sdk_config(&sdk, config), settings);

    let turns = replay::conversation(args.employee, "2026-01-24", "2026-01-26");
    let who = match args.hr {
        Some(hr) => replay::SignedIn::Hr(hr),
        None => replay::SignedIn::Employee(args.employee),
    };
    let bodies = replay::replay(
        &handler,
        &turns,
        "local-demo-session",
        who,
        &mut std::io::stdout(),
    )
    .await
    .context("writing the transcript")?;
    let available = |n: usize| bodies.get(n).and_then(|b| b["available_days"].as_u64());
    let (before, after) = (
        available(0).context("no balance in the first answer")?,
        available(2).context("no balance in the last answer")?,
    );
    println!(
        "Balance of employee {} in 2026: {before} → {after} day(s).",
        args.employee
    );
    ensure!(
        before == after + 3,
        "expected the booking to charge 3 days, it charged {}",
        before as i64 - after as i64
    );
    Ok(())
}
