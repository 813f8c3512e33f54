//! `cargo bench -p hr-tests --bench reserve [-- --iterations N]`
//!
//! Median latency of `Store::reserve` next to a bare `TransactWriteItems` of the same
//! items built by hand with the SDK, measured alternately in one run against DynamoDB Local
//! (testcontainers), plus the number of DynamoDB requests per successful reserve.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use chrono::{Days, NaiveDate};
use domain::{DateRange, DayCountPolicy, EmployeeId, EmployeeStatus, IdempotencyKey};
use store::{ReserveRequest, Store};
use test_support::{counted_client, date, dynamodb_local, fresh_store_at, seed, RequestCounter};

type Error = Box<dyn std::error::Error + Send + Sync>;

const DAYS: u64 = 3;
const SLOTS_PER_EMPLOYEE: u64 = 120; // 3-day ranges in one year, none overlapping

fn main() -> Result<(), Error> {
    let mut iterations = 400u64;
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

fn slot(s: u64) -> (u32, NaiveDate) {
    let employee = (s / SLOTS_PER_EMPLOYEE) as u32;
    let start = date("2026-01-01") + Days::new((s % SLOTS_PER_EMPLOYEE) * DAYS);
    (employee, start)
}

async fn run(endpoint: &str, iterations: u64) -> Result<(), Error> {
    let table = fresh_store_at(endpoint).await;
    let counter = RequestCounter::default();
    let client = counted_client(endpoint, &counter).await;
    let store = Store::new(client.clone(), table.table_name()).with_clock(table.clock());

    let warmup = 30;
    let total = warmup + iterations;
    let employees = total.div_ceil(SLOTS_PER_EMPLOYEE) as u32;
    // Employees 1..=n are booked through the store, n+1..=2n with bare calls.
    for e in 1..=2 * employees {
        seed(&store, e, EmployeeStatus::Active, &[(2026, 400, 0)]).await;
    }

    let mut ours = Vec::new();
    let mut bare = Vec::new();
    let mut requests = 0;
    for s in 0..total {
        let (e, start) = slot(s);
        let range = DateRange::new(start, start + Days::new(DAYS - 1))?;
        let employee = EmployeeId::new(1 + e)?;
        let request = ReserveRequest {
            employee,
            range,
            policy: DayCountPolicy::CalendarDays,
            idempotency_key: IdempotencyKey::new(format!("bench-{s}"))?,
            by: test_support::by_employee(employee),
        };
        counter.reset();
        let t = Instant::now();
        store.reserve(&request).await?;
        let ours_elapsed = t.elapsed();
        let sent = counter.total();

        let items = bare_items(store.table_name(), 1 + employees + e, range, s)?;
        let t = Instant::now();
        client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(format!("bare-{s}"))
            .send()
            .await?;
        let bare_elapsed = t.elapsed();

        if s >= warmup {
            ours.push(ours_elapsed);
            bare.push(bare_elapsed);
            requests += sent;
        }
    }

    let (ours_median, bare_median) = (median(&mut ours), median(&mut bare));
    println!("reserve benchmark: {iterations} bookings of {DAYS} days each way (after {warmup} warm-up), DynamoDB Local at {endpoint}");
    println!(
        "  Store::reserve          median {:>8.3} ms  p90 {:>8.3} ms",
        ms(ours_median),
        ms(percentile(&ours, 0.9))
    );
    println!(
        "  bare TransactWriteItems median {:>8.3} ms  p90 {:>8.3} ms",
        ms(bare_median),
        ms(percentile(&bare, 0.9))
    );
    // Bookings write their history with the balance figures before and after: a booking
    // reads the balances first, unless the store has just seen them (its own last booking
    // for the employee here), a guess the transaction verifies.
    println!(
        "  ratio of medians (reserve / bare): {:.3}  (target <= 1.15)",
        ms(ours_median) / ms(bare_median)
    );
    println!(
        "  DynamoDB requests per successful reserve: {:.3}  (1 when the balance was just seen, 2 when read)",
        requests as f64 / iterations as f64
    );
    Ok(())
}

/// The same items `Store::reserve` writes, built by hand.
fn bare_items(
    table: &str,
    employee: u32,
    range: DateRange,
    s: u64,
) -> Result<Vec<TransactWriteItem>, Error> {
    let pk = AttributeValue::S(format!("EMP#{employee}"));
    let key = |sk: String| {
        HashMap::from([
            ("PK".to_owned(), pk.clone()),
            ("SK".to_owned(), AttributeValue::S(sk)),
        ])
    };
    let text = |v: &str| AttributeValue::S(v.to_owned());
    let num = |v: u64| AttributeValue::N(v.to_string());
    let old = ReturnValuesOnConditionCheckFailure::AllOld;
    let id = format!("{s:012x}");
    let mut items = vec![
        TransactWriteItem::builder()
            .condition_check(
                ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(key("PROFILE".into())))
                    .condition_expression("attribute_exists(PK) AND #status = :active")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":active", text("Active"))
                    .return_values_on_condition_check_failure(old.clone())
                    .build()?,
            )
            .build(),
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key("YEAR#2026".into())))
                    .update_expression(
                        "SET #available = #available - :days, #taken = #taken + :days",
                    )
                    .condition_expression("attribute_exists(PK) AND #available >= :days")
                    .expression_attribute_names("#available", "available")
                    .expression_attribute_names("#taken", "taken")
                    .expression_attribute_values(":days", num(DAYS))
                    .return_values_on_condition_check_failure(old.clone())
                    .build()?,
            )
            .build(),
    ];
    let mut reservation = key(format!("RES#{id}"));
    reservation.extend([
        ("entity".to_owned(), text("Reservation")),
        ("employee_id".to_owned(), num(employee.into())),
        ("reservation_id".to_owned(), text(&id)),
        ("incarnation".to_owned(), text(&format!("{id}{id}"))),
        ("start_date".to_owned(), text(&range.start().to_string())),
        ("end_date".to_owned(), text(&range.end().to_string())),
        ("policy".to_owned(), text("calendar-days")),
        ("days".to_owned(), num(DAYS)),
        (
            "charges".to_owned(),
            AttributeValue::L(vec![AttributeValue::M(HashMap::from([
                ("year".to_owned(), num(2026)),
                ("days".to_owned(), num(DAYS)),
            ]))]),
        ),
    ]);
    let mut puts = vec![reservation];
    for day in range.days() {
        let mut claim = key(format!("DAY#{day}"));
        claim.extend([
            ("entity".to_owned(), text("DayClaim")),
            ("employee_id".to_owned(), num(employee.into())),
            ("date".to_owned(), text(&day.to_string())),
            ("reservation_id".to_owned(), text(&id)),
        ]);
        puts.push(claim);
    }
    // The history entry a booking writes with it (the same attributes, by hand).
    let mut history = key(format!("HIST#2026-01-01T00:00:00.000Z#{id}"));
    let figures = |taken: u64| {
        AttributeValue::M(HashMap::from([
            ("year".to_owned(), num(2026)),
            ("total".to_owned(), num(400)),
            ("taken_before".to_owned(), num(taken)),
            ("available_before".to_owned(), num(400 - taken)),
            ("taken_after".to_owned(), num(taken + DAYS)),
            ("available_after".to_owned(), num(400 - taken - DAYS)),
        ]))
    };
    history.extend([
        ("entity".to_owned(), text("History")),
        ("employee_id".to_owned(), num(employee.into())),
        ("history_id".to_owned(), text(&id)),
        ("at".to_owned(), text("2026-01-01T00:00:00.000Z")),
        ("event".to_owned(), text("booked")),
        ("reservation_id".to_owned(), text(&id)),
        ("incarnation".to_owned(), text(&format!("{id}{id}"))),
        ("start_date".to_owned(), text(&range.start().to_string())),
        ("end_date".to_owned(), text(&range.end().to_string())),
        ("policy".to_owned(), text("calendar-days")),
        ("days".to_owned(), num(DAYS)),
        (
            "charges".to_owned(),
            AttributeValue::L(vec![AttributeValue::M(HashMap::from([
                ("year".to_owned(), num(2026)),
                ("days".to_owned(), num(DAYS)),
            ]))]),
        ),
        ("balances".to_owned(), AttributeValue::L(vec![figures(0)])),
        ("actor_role".to_owned(), text("employee")),
        ("actor_id".to_owned(), num(employee.into())),
        ("request".to_owned(), text("bench")),
        ("correction".to_owned(), AttributeValue::Bool(false)),
    ]);
    puts.push(history);
    for item in puts {
        items.push(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(PK)")
                        .return_values_on_condition_check_failure(old.clone())
                        .build()?,
                )
                .build(),
        );
    }
    Ok(items)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
