//! `cargo bench -p hr-tests --bench load -- [--employees N] [--clients N] [--seconds S |
//! --operations N] [--mix balance=40,book=35,cancel=10,list=15] [--window-days D]`
//!
//! Drives the Lambda handler with Bedrock events against DynamoDB Local (testcontainers),
//! prints throughput, p50/p95/p99 per operation and the outcomes, then audits the table.
//! Exits non-zero when the audit finds anything.

use std::time::Duration;

use handler::{AnonymousAccess, Handler, Settings};
use hr_tests::load::{self, LoadConfig, Mix, Stop};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn parse_args() -> Result<LoadConfig, Error> {
    let mut config = LoadConfig {
        employees: 200,
        days_per_year: 25,
        clients: 16,
        stop: Stop::After(Duration::from_secs(120)),
        mix: Mix::default(),
        window_days: 90,
        year: 2026,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--employees" => config.employees = value()?.parse()?,
            "--clients" => config.clients = value()?.parse()?,
            "--seconds" => config.stop = Stop::After(Duration::from_secs(value()?.parse()?)),
            "--operations" => config.stop = Stop::Operations(value()?.parse()?),
            "--mix" => config.mix = value()?.parse()?,
            "--window-days" => config.window_days = value()?.parse()?,
            "--days-per-year" => config.days_per_year = value()?.parse()?,
            "--bench" => {} // passed by `cargo bench`
            "--help" | "-h" => {
                println!("options: --employees N --clients N --seconds S | --operations N --mix balance=40,book=35,cancel=10,list=15 --window-days D --days-per-year D");
                std::process::exit(0);
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    if config.employees == 0 || config.clients == 0 || config.window_days == 0 {
        return Err("--employees, --clients and --window-days must be above 0".into());
    }
    Ok(config)
}

fn main() -> Result<(), Error> {
    let config = parse_args()?;
    let endpoint = hr_tests::dynamodb_local().endpoint.clone();
    let report = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let store = hr_tests::fresh_store_at(&endpoint).await;
            let handler = Handler::new(
                store.clone(),
                Settings {
                    anonymous_access: AnonymousAccess::Refuse,
                    today: Some(hr_tests::date("2026-03-01")),
                    ..Settings::default()
                },
            );
            println!(
                "load: {} employees, {} clients, {:?}, mix {:?}, DynamoDB Local at {endpoint}",
                config.employees, config.clients, config.stop, config.mix
            );
            load::run(&handler, &store, &config).await
        })?;
    println!("{report}");
    if !report.audit.is_clean() {
        for v in &report.audit.violations {
            eprintln!("  violation: {v}");
        }
        std::process::exit(1);
    }
    Ok(())
}
