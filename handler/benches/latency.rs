//! `cargo bench -p hr-handler --bench latency [-- --iterations N]`
//!
//! The handler's median time per event next to the bare store calls doing the same work,
//! measured alternately in one run against DynamoDB Local (testcontainers):
//! - the balance query: `Handler::handle` vs `Store::get_balance`;
//! - a booking: `Handler::handle` vs `Store::reserve` followed by the same concurrent
//!   read-back the handler does (`get_reservation` and `get_balance`).
//!
//! Target: handler / bare ≤ 1.10.

use std::time::{Duration, Instant};

use chrono::Days;
use domain::{DateRange, DayCountPolicy, EmployeeId, EmployeeStatus, IdempotencyKey};
use handler::{Handler, Settings};
use serde_json::Value;
use store::{ReserveRequest, Store};
use test_support::lambda::{as_hr, check_answer, function_event};
use test_support::{date, dynamodb_local, fresh_store_at, seed};

type Error = Box<dyn std::error::Error + Send + Sync>;

const WARMUP: u64 = 30;
const DAYS: u64 = 3;
const SLOTS_PER_EMPLOYEE: u64 = 120; // 3-day ranges in 2026, none overlapping

fn main() -> Result<(), Error> {
    let mut iterations = 300u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--iterations" {
            iterations = args.next().ok_or("--iterations needs a number")?.parse()?;
        }
    }
    let endpoint = dynamodb_local().endpoint.clone();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(&endpoint, iterations))
}

async fn run(endpoint: &str, iterations: u64) -> Result<(), Error> {
    let store = fresh_store_at(endpoint).await;
    let handler = Handler::new(
        store.clone(),
        Settings {
            today: Some(date("2026-03-01")),
            ..Settings::default()
        },
    );
    let total = WARMUP + iterations;
    let employees = total.div_ceil(SLOTS_PER_EMPLOYEE) as u32;
    // Employees 1..=n book through the handler, n+1..=2n through the bare store.
    for e in 1..=2 * employees {
        seed(&store, e, EmployeeStatus::Active, &[(2026, 400, 0)]).await;
    }
    println!(
        "handler latency: {iterations} events of each kind each way (after {WARMUP} warm-up), DynamoDB Local at {endpoint}"
    );

    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for i in 0..total {
        let event = function_event(
            "get_available_vacations_days",
            &[("employee_id", "1")],
            as_hr(),
            "How many days?",
        );
        // Alternate which goes first, so neither always meets a warmer cache.
        let (h, b) = if i % 2 == 0 {
            let h = timed_handle(&handler, event).await?;
            (h, timed_balance(&store).await?)
        } else {
            let b = timed_balance(&store).await?;
            (timed_handle(&handler, event).await?, b)
        };
        if i >= WARMUP {
            ours.push(h);
            bare.push(b);
        }
    }
    report("balance query", "Store::get_balance", &mut ours, &mut bare);

    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for s in 0..total {
        let e = (s / SLOTS_PER_EMPLOYEE) as u32;
        let start = date("2026-01-01") + Days::new((s % SLOTS_PER_EMPLOYEE) * DAYS);
        let end = start + Days::new(DAYS - 1);
        let (start_text, end_text) = (start.to_string(), end.to_string());
        let event = function_event(
            "reserve_vacation_time",
            &[
                ("employee_id", &(1 + e).to_string()),
                ("start_date", &start_text),
                ("end_date", &end_text),
            ],
            as_hr(),
            &format!("Booking number {s}"),
        );
        let employee = EmployeeId::new(1 + employees + e)?;
        let request = ReserveRequest {
            employee,
            range: DateRange::new(start, end)?,
            policy: DayCountPolicy::CalendarDays,
            idempotency_key: IdempotencyKey::new(format!("bare-{s}"))?,
            by: store::Attribution::new(
                domain::Actor::hr(EmployeeId::new(test_support::lambda::HR_USER)?, employee),
                "bench",
            ),
        };
        let (h, b) = if s % 2 == 0 {
            let h = timed_handle(&handler, event).await?;
            (h, timed_booking(&store, &request).await?)
        } else {
            let b = timed_booking(&store, &request).await?;
            (timed_handle(&handler, event).await?, b)
        };
        if s >= WARMUP {
            ours.push(h);
            bare.push(b);
        }
    }
    report("booking", "Store::reserve", &mut ours, &mut bare);
    Ok(())
}

/// Times one event through the handler, then checks (untimed) it succeeded.
async fn timed_handle(handler: &Handler, event: Value) -> Result<Duration, Error> {
    let sent = event.clone();
    let t = Instant::now();
    let response = handler.handle(event).await;
    let elapsed = t.elapsed();
    let answer = check_answer(&sent, &response)?;
    if answer.body["ok"] != true {
        return Err(format!("the handler refused a benchmark event: {response}").into());
    }
    Ok(elapsed)
}

async fn timed_balance(store: &Store) -> Result<Duration, Error> {
    let t = Instant::now();
    store.get_balance(EmployeeId::new(1)?, 2026).await?;
    Ok(t.elapsed())
}

async fn timed_booking(store: &Store, request: &ReserveRequest) -> Result<Duration, Error> {
    let t = Instant::now();
    let booking = store.reserve(request).await?;
    let elapsed = t.elapsed();
    booking.balances.ok_or("the bare booking was a replay")?;
    Ok(elapsed)
}

fn report(what: &str, bare_name: &str, ours: &mut [Duration], bare: &mut [Duration]) {
    ours.sort();
    bare.sort();
    let (o, b) = (ms(median(ours)), ms(median(bare)));
    println!("  {what}:");
    println!(
        "    {:<28}median {o:>8.3} ms  p90 {:>8.3} ms",
        "Handler::handle",
        ms(percentile(ours, 0.9))
    );
    println!(
        "    {bare_name:<28}median {b:>8.3} ms  p90 {:>8.3} ms",
        ms(percentile(bare, 0.9))
    );
    println!(
        "    ratio of medians (handler / bare): {:.3}  (target <= 1.10)",
        o / b
    );
}

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
