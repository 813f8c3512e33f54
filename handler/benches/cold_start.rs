//! `cargo bench -p hr-handler --bench cold_start [-- --runs N]`
//!
//! Starts the release `bootstrap` (or `$BOOTSTRAP_BIN`) N times against a local Lambda
//! Runtime API with an event already queued, as Lambda does on a cold start, and reports:
//! - the time from spawning the process to its answer arriving on `/response` (the first
//!   answered event: settings, SDK configuration, DynamoDB client, Runtime API polling,
//!   one DynamoDB read against DynamoDB Local);
//! - the process's peak resident set size after that answer (`VmHWM`).
//!
//! The initialisation alone (spawn to the first `/next` poll) is reported too.
//!
//! Targets: under 50 ms and under 30 MB.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Datelike;
use domain::EmployeeStatus;
use test_support::lambda::{
    as_employee, bootstrap_command, bootstrap_path, check_answer, fixture_event, peak_rss_kib,
    Outcome, RuntimeApi,
};
use test_support::{dynamodb_local, fresh_store_at, seed};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let mut runs = 15u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            runs = args.next().ok_or("--runs needs a number")?.parse()?;
        }
    }
    if runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let endpoint = dynamodb_local().endpoint.clone();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(&endpoint, runs))
}

async fn run(endpoint: &str, runs: u32) -> Result<(), Error> {
    let bootstrap = bootstrap_path(env!("CARGO_BIN_EXE_bootstrap"));
    let store = fresh_store_at(endpoint).await;
    let year = chrono::Utc::now().year();
    seed(&store, 2, EmployeeStatus::Active, &[(year, 22, 0)]).await;
    let mut event = fixture_event();
    event["sessionAttributes"] = as_employee(2);
    let size = std::fs::metadata(&bootstrap)?.len();
    println!(
        "bootstrap cold start: {runs} runs (after one reported apart) of {bootstrap} ({:.1} MB), DynamoDB Local at {endpoint}",
        size as f64 / 1e6
    );

    let mut starts = Vec::new();
    let mut inits = Vec::new();
    let mut peaks = Vec::new();
    // Run 0 is reported apart: the binary is not yet in the page cache and DynamoDB Local
    // sees its first connection from a new client.
    let mut first = None;
    for run in 0..=runs {
        // A fresh Runtime API each run: a killed process's pending long poll must not
        // take the next run's event.
        let api = RuntimeApi::start().await;
        let id = format!("cold-{run}");
        api.push(&id, event.clone());
        let started = Instant::now();
        let mut child = bootstrap_command(
            Path::new(&bootstrap),
            &api.address(),
            store.table_name(),
            endpoint,
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
        let answered = api.outcome(&id, Duration::from_secs(30)).await;
        let peak = peak_rss_kib(child.id());
        let _ = child.kill();
        let _ = child.wait();
        let (outcome, at) = answered?;
        let Outcome::Response(response) = outcome else {
            return Err(format!("run {run}: the function reported an error: {outcome:?}").into());
        };
        let answer = check_answer(&event, &response)?;
        if answer.body["available_days"] != 22 {
            return Err(format!("run {run}: wrong answer {response}").into());
        }
        let elapsed = at.duration_since(started);
        let init = api
            .first_poll()
            .ok_or("the process never polled for an event")?
            .duration_since(started);
        let peak = peak.ok_or("could not read the process's peak RSS")?;
        if run == 0 {
            first = Some((elapsed, peak));
        } else {
            starts.push(elapsed);
            inits.push(init);
            peaks.push(peak);
        }
    }
    starts.sort();
    inits.sort();
    peaks.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // VmHWM is in KiB; reported in decimal megabytes.
    let mb = |kib: u64| (kib * 1024) as f64 / 1e6;
    println!(
        "  spawn to first answer: median {:.1} ms, min {:.1} ms, max {:.1} ms  (target < 50 ms)",
        ms(starts[starts.len() / 2]),
        ms(starts[0]),
        ms(starts[starts.len() - 1])
    );
    println!(
        "    of which initialisation (spawn to first /next poll): median {:.1} ms",
        ms(inits[inits.len() / 2])
    );
    println!(
        "  peak RSS after the first answer: median {:.1} MB, max {:.1} MB  (target < 30 MB)",
        mb(peaks[peaks.len() / 2]),
        mb(peaks[peaks.len() - 1])
    );
    if let Some((elapsed, peak)) = first {
        println!(
            "  run 0, not counted above (cold page cache, DynamoDB Local's first connection): {:.1} ms, {:.1} MB",
            ms(elapsed),
            mb(peak)
        );
    }
    Ok(())
}
