//! The seeder's library against DynamoDB Local in testcontainers: determinism, idempotency,
//! `--reset`, refusals that leave the table untouched, and the invariants of every
//! generated employee, read back through the store.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Datelike;
use domain::{
    parse_iso_date, DateRange, DayCountPolicy, EmployeeId, EmployeeStatus, IdempotencyKey,
};
use seeder::generate::{self, Plan, JOB_TITLES};
use seeder::report::{Outcome, SeedSource};
use seeder::{Console, Report, SeedError, Seeding};
use store::Session;
use store::{
    BulkOptions, CancelTarget, ReserveRequest, SeedMarker, Store, StoreConfig, StoreError,
};
use test_support::proxy::FaultProxy;
use test_support::{assert_ledger_sound, dynamodb_local, fresh_store, sdk_config, seed};
use test_support::{difference, dump};

const YEAR: i32 = 2026;

fn args(seed: u64, employees: u32) -> Seeding {
    Seeding::new(Some(seed), YEAR, employees)
}

async fn session() -> Session {
    Session {
        store: fresh_store().await,
        endpoint: Some(dynamodb_local().endpoint.clone()),
        region: "us-east-1".to_owned(),
    }
}

async fn run(session: &Session, args: &Seeding) -> Result<Report, SeedError> {
    seeder::run(session, args, &Console::silent()).await
}

async fn seeded(seed: u64, employees: u32) -> (Session, Report) {
    let session = session().await;
    let report = run(&session, &args(seed, employees))
        .await
        .unwrap_or_else(|e| panic!("seeding failed: {e:?}"));
    (session, report)
}

async fn dump_of(store: &Store) -> Vec<String> {
    dump(store.client(), store.table_name()).await
}

/// Fails with the differing items only (a whole dump is too long to read).
fn assert_same_items(found: &[String], expected: &[String], what: &str) {
    let (extra, missing) = difference(found, expected);
    assert!(
        extra.is_empty() && missing.is_empty() && found.len() == expected.len(),
        "{what}: {} unexpected item(s) {extra:#?}\n{} missing item(s) {missing:#?}",
        extra.len(),
        missing.len()
    );
}

#[tokio::test]
async fn one_seed_gives_identical_tables_and_another_seed_other_data() {
    let (a, report) = seeded(42, 12).await;
    let (b, _) = seeded(42, 12).await;
    let (c, _) = seeded(43, 12).await;
    let (a, b, c) = (
        dump_of(&a.store).await,
        dump_of(&b.store).await,
        dump_of(&c.store).await,
    );
    assert_eq!(
        a.len() as u64,
        report.items_written + 1,
        "items and the seed marker"
    );
    assert_same_items(&b, &a, "the same seed");
    assert_ne!(a, c);
    // Other seeds change the balances and vacations, not just the marker.
    let differing = a.iter().filter(|item| !c.contains(item)).count();
    assert!(
        differing > a.len() / 2,
        "only {differing} of {} items differ",
        a.len()
    );
}

#[tokio::test]
async fn a_second_run_with_the_same_parameters_changes_nothing() {
    let (session, first) = seeded(7, 10).await;
    assert_eq!(first.outcome, Outcome::Seeded);
    let before = dump_of(&session.store).await;
    let second = run(&session, &args(7, 10)).await.unwrap();
    assert_eq!(second.outcome, Outcome::AlreadySeeded);
    assert_eq!(second.items_written, 0);
    assert_eq!(second.balances, first.balances);
    assert_same_items(&dump_of(&session.store).await, &before, "second run");
}

/// A table holding part of seed 11's data for 10 employees, as an interrupted run leaves
/// it: an incomplete seed marker and the records `written` keeps (by their position).
async fn interrupted(written: impl Fn(usize) -> bool) -> Session {
    let session = session().await;
    let store = &session.store;
    let plan = Plan::new(11, YEAR, 10).unwrap();
    store.put_seed_marker(&plan.marker(false)).await.unwrap();
    let records = plan.records().enumerate().filter(|(n, _)| written(*n));
    store
        .write_records(records.map(|(_, r)| r), &BulkOptions::default(), |_| {})
        .await
        .unwrap();
    session
}

/// The key of an item, as the tests write it.
fn key(pk: &str, sk: &str) -> std::collections::HashMap<String, AttributeValue> {
    std::collections::HashMap::from([
        ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
        ("SK".to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

/// Adds `delta` to `taken` and takes it from `available`, as a booking (or, negative, a
/// cancellation) does to a balance.
async fn charge(store: &Store, pk: &str, year: i32, delta: i64) {
    store
        .client()
        .update_item()
        .table_name(store.table_name())
        .set_key(Some(key(pk, &format!("YEAR#{year}"))))
        .update_expression("SET taken = taken + :d, available = available - :d")
        .expression_attribute_values(":d", AttributeValue::N(delta.to_string()))
        .send()
        .await
        .unwrap();
}

/// What a cancellation through the assistant does to a seeded reservation of employee 1:
/// its item and its day claims deleted, its days given back to the balance.
async fn cancel_by_hand(store: &Store) {
    let id = EmployeeId::new(1).unwrap();
    let cancelled = store.list_reservations(id, None).await.unwrap().pop();
    let cancelled = cancelled.expect("employee 1 of seed 11 has a vacation");
    let client = store.client();
    let delete = |sk: String| {
        client
            .delete_item()
            .table_name(store.table_name())
            .set_key(Some(key("EMP#1", &sk)))
            .send()
    };
    delete(format!("RES#{}", cancelled.id().as_str()))
        .await
        .unwrap();
    for day in cancelled.range().days() {
        delete(format!("DAY#{day}")).await.unwrap();
    }
    for charge_of_year in cancelled.charge().years() {
        let refund = -i64::from(charge_of_year.days);
        charge(store, "EMP#1", charge_of_year.year, refund).await;
    }
}

/// A run that stopped with some of its items written, a prefix or scattered, is completed
/// into exactly the table a single run gives, writing only what was missing.
#[tokio::test]
async fn an_interrupted_run_is_completed_into_exactly_the_same_table() {
    let (reference, single) = seeded(11, 10).await;
    let expected = dump_of(&reference.store).await;

    let first_records = |n: usize| n < 25;
    let scattered = |n: usize| n % 3 != 1;
    for written in [&first_records as &dyn Fn(usize) -> bool, &scattered] {
        let session = interrupted(written).await;
        let before = dump_of(&session.store).await.len() as u64 - 1;
        let report = run(&session, &args(11, 10)).await.unwrap();
        assert_eq!(report.outcome, Outcome::Resumed);
        assert_eq!(
            (report.items_written, report.items_skipped),
            (single.items_written - before, before)
        );
        // Groups of 25 conditional puts, sent once each: nothing was there to skip.
        assert_eq!(report.write_requests, report.items_written.div_ceil(25));
        assert_same_items(&dump_of(&session.store).await, &expected, "completed run");
    }
}

/// What the assistant, or someone by hand, may have done to an interrupted run's table.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// A seeded vacation cancelled: its items deleted and its days given back.
    Cancellation,
    /// A balance charged, as by a booking.
    Charge,
    /// An item the seed does not write: a history entry of a booking.
    History,
}

/// Resuming into a table changed since the run stopped would undo those changes (a
/// balance charged again, a cancelled vacation back) or contradict them: it is refused,
/// and the table is left exactly as it was.
#[tokio::test]
async fn a_resume_into_a_table_changed_since_the_interruption_is_refused_untouched() {
    for change in [Change::Cancellation, Change::Charge, Change::History] {
        let session = interrupted(|n| n < 25).await;
        let store = &session.store;
        match change {
            Change::Cancellation => cancel_by_hand(store).await,
            Change::Charge => charge(store, "EMP#2", YEAR, 1).await,
            Change::History => plant_history(store).await,
        }
        let before = dump_of(store).await;

        let result = run(&session, &args(11, 10)).await;
        assert_same_items(&dump_of(store).await, &before, &format!("{change:?}"));
        let err = result.unwrap_err();
        let SeedError::ChangedSinceInterrupted {
            differing, others, ..
        } = &err
        else {
            panic!("{change:?}: {err:?}");
        };
        // A changed balance differs; an item the seed does not write is another.
        let expected = match change {
            Change::Cancellation | Change::Charge => (1, 0),
            Change::History => (0, 1),
        };
        assert_eq!((*differing, *others), expected, "{change:?}");
        let text = err.to_string();
        assert!(text.contains("changed since its seeding stopped"), "{text}");
        assert!(text.contains("nothing was written: pass --reset"), "{text}");
        if let Change::Charge = change {
            assert!(text.contains("(EMP#2 / YEAR#2026)"), "{text}");
        }
    }
}

/// A history item of a booking, as the assistant writes it in the employee's partition.
async fn plant_history(store: &Store) {
    let mut item = key("EMP#1", "HIST#2026-01-01T00:00:00.000Z#0123456789ab");
    item.insert("entity".to_owned(), AttributeValue::S("History".into()));
    store
        .client()
        .put_item()
        .table_name(store.table_name())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

/// The check before a resume and its writes are not one snapshot: an item written in
/// between (a booking's day claim, say) is left as it is, and counted as skipped.
#[tokio::test]
async fn an_item_written_after_the_check_is_not_overwritten_by_the_resume() {
    let session = interrupted(|n| n < 25).await;
    let store = &session.store;
    let plan = Plan::new(11, YEAR, 10).unwrap();
    let options = BulkOptions::default();
    let found = store
        .compare_records(plan.records(), &options, |_| {})
        .await
        .unwrap();
    assert!(found.only_missing(), "{found:?}");
    // A profile the resume is about to write, written meanwhile with other contents.
    let mut profile = key("EMP#10", "PROFILE");
    profile.insert("name".to_owned(), AttributeValue::S("Changed".into()));
    store
        .client()
        .put_item()
        .table_name(store.table_name())
        .set_item(Some(profile))
        .send()
        .await
        .unwrap();

    let report = store
        .write_missing_records(plan.records(), &found, &options, |_| {})
        .await
        .unwrap();
    assert_eq!((report.items, report.skipped), (found.missing - 1, 1));
    let after = dump_of(store).await;
    let held = after
        .iter()
        .find(|i| i.contains(r#"S("EMP#10"), "SK": S("PROFILE")"#));
    let held = held.expect("the profile is there");
    assert!(held.contains(r#""name": S("Changed")"#), "{held}");
}

/// A run whose connection to DynamoDB is lost part-way says how far it got and how to
/// finish; the same command then completes it into exactly the table a single run gives.
#[tokio::test]
async fn a_run_cut_off_part_way_says_so_and_the_same_command_completes_it() {
    const EMPLOYEES: u32 = 300; // about 6,600 items: 265 requests
    let (reference, _) = seeded(12, EMPLOYEES).await;
    let expected = dump_of(&reference.store).await;

    let direct = session().await;
    let upstream = direct.endpoint.as_deref().unwrap_or_default();
    let upstream = upstream.trim_start_matches("http://").parse().unwrap();
    let proxy = FaultProxy::start(upstream).await.unwrap();
    let config = StoreConfig {
        endpoint_url: Some(proxy.endpoint()),
        ..StoreConfig::new(direct.store.table_name())
    };
    let cut_off = Session {
        store: Store::from_sdk_config(&sdk_config().await, config),
        endpoint: Some(proxy.endpoint()),
        region: "us-east-1".to_owned(),
    };
    // Once some writes went through, every response is lost from then on.
    let cut = async {
        while proxy.forwarded() < 40 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        proxy.drop_responses(1.0);
    };
    let wanted = args(12, EMPLOYEES);
    let (result, ()) = tokio::join!(run(&cut_off, &wanted), cut);

    let err = result.unwrap_err();
    let SeedError::Interrupted {
        written,
        total,
        seed,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(0 < *written && *written < *total, "{err}");
    assert_eq!((*total, *seed), (expected.len() as u64 - 1, 12));
    let table = direct.store.table_name();
    assert_eq!(
        err.to_string(),
        format!(
            "seeding table {table} stopped after {written} of {total} items were written; the \
             table is marked incomplete: run the same command again (with --seed 12) to write \
             the rest"
        )
    );
    let marker = direct.store.seed_marker().await.unwrap().unwrap();
    assert!(!marker.complete, "{marker:?}");
    assert!(dump_of(&direct.store).await.len() < expected.len());

    let report = run(&direct, &wanted).await.unwrap();
    assert_eq!(report.outcome, Outcome::Resumed);
    // The lost responses may have been of writes that went through.
    assert!(report.items_skipped >= *written, "{report:?}");
    assert_eq!(report.items_written + report.items_skipped, *total);
    assert_same_items(&dump_of(&direct.store).await, &expected, "resumed run");
}

#[tokio::test]
async fn reset_deletes_every_item_before_seeding() {
    let (session, first) = seeded(1, 10).await;
    // Someone else's data too: an employee and a booking the seeder knows nothing of.
    let store = &session.store;
    let other = seed(store, 500, EmployeeStatus::Active, &[(YEAR, 20, 0)]).await;
    book(store, other, "2026-03-02", "2026-03-04", "other")
        .await
        .unwrap();
    let before = dump_of(store).await.len() as u64;

    let reset = Seeding {
        reset: true,
        yes: true,
        ..args(2, 10)
    };
    let report = run(&session, &reset).await.unwrap();
    assert_eq!(report.deleted_items, before);
    assert_eq!(report.outcome, Outcome::Seeded);
    assert_ne!(report.balances, first.balances);

    let (fresh, _) = seeded(2, 10).await;
    assert_same_items(
        &dump_of(store).await,
        &dump_of(&fresh.store).await,
        "after reset",
    );
}

/// Seeded records plus twelve items of 300 KB: a scan page holds at most 1 MB, so one
/// segment reads them in four pages or more. Returns how many items were written.
async fn fill_with_pages(store: &Store) -> u64 {
    let plan = Plan::new(3, YEAR, 20).unwrap();
    store
        .write_records(plan.records(), &BulkOptions::default(), |_| {})
        .await
        .unwrap();
    let padding = "x".repeat(300 * 1024);
    for n in 0..12 {
        store
            .client()
            .put_item()
            .table_name(store.table_name())
            .item("PK", AttributeValue::S(format!("BIG#{n}")))
            .item("SK", AttributeValue::S("BIG".into()))
            .item("padding", AttributeValue::S(padding.clone()))
            .send()
            .await
            .unwrap();
    }
    plan.item_count() + 12
}

#[tokio::test]
async fn deleting_all_items_empties_a_table_of_many_pages_whatever_the_segments() {
    let session = session().await;
    let store = &session.store;
    for segments in [1, 4] {
        let written = fill_with_pages(store).await;
        assert!(!store.is_empty().await.unwrap());
        let options = BulkOptions {
            concurrency: segments,
            ..BulkOptions::default()
        };
        let mut reported = 0;
        let deleted = store
            .delete_all_items(&options, |n| reported += n)
            .await
            .unwrap();
        assert_eq!(
            (deleted.items, reported),
            (written, written),
            "{segments} segment(s)"
        );
        assert!(store.is_empty().await.unwrap());
        assert!(dump_of(store).await.is_empty());
    }
}

#[tokio::test]
async fn reset_without_yes_and_without_a_terminal_is_refused_and_deletes_nothing() {
    let (session, _) = seeded(5, 10).await;
    let before = dump_of(&session.store).await;
    let reset = Seeding {
        reset: true,
        ..args(5, 10)
    };
    let err = run(&session, &reset).await.unwrap_err();
    assert!(
        matches!(&err, SeedError::ConfirmationRequired { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("pass --yes"), "{err}");
    assert_same_items(&dump_of(&session.store).await, &before, "refused reset");
}

#[tokio::test]
async fn a_table_seeded_with_other_parameters_is_refused_and_left_untouched() {
    let (session, _) = seeded(8, 10).await;
    let before = dump_of(&session.store).await;
    for other in [
        args(9, 10),
        args(8, 11),
        Seeding::new(Some(8), YEAR + 1, 10),
        // Without --seed the table's seed is kept, but the size still differs.
        Seeding::new(None, YEAR, 3),
    ] {
        let err = run(&session, &other).await.unwrap_err();
        assert!(
            matches!(&err, SeedError::SeededDifferently { .. }),
            "{other:?}: {err:?}"
        );
        assert!(err.to_string().contains("Pass --reset"), "{err}");
        assert_same_items(
            &dump_of(&session.store).await,
            &before,
            &format!("{other:?}"),
        );
    }
}

#[tokio::test]
async fn a_table_holding_other_items_is_refused_and_left_untouched() {
    let session = session().await;
    seed(&session.store, 1, EmployeeStatus::Active, &[(YEAR, 25, 0)]).await;
    let before = dump_of(&session.store).await;
    let err = run(&session, &args(1, 10)).await.unwrap_err();
    assert!(matches!(&err, SeedError::NotEmpty { .. }), "{err:?}");
    assert_same_items(&dump_of(&session.store).await, &before, "refused run");
}

#[tokio::test]
async fn without_a_seed_a_new_table_gets_a_random_one_and_a_seeded_table_keeps_its_own() {
    let session = session().await;
    let first = run(&session, &Seeding::new(None, YEAR, 10)).await.unwrap();
    assert_eq!(first.seed_source, SeedSource::Random);
    let marker = session.store.seed_marker().await.unwrap();
    assert_eq!(
        marker,
        Some(SeedMarker {
            seed: first.seed,
            current_year: YEAR,
            employees: 10,
            generator: generate::GENERATOR_VERSION,
            complete: true
        })
    );
    let again = run(&session, &Seeding::new(None, YEAR, 10)).await.unwrap();
    assert_eq!(
        (again.seed, again.seed_source, again.outcome),
        (first.seed, SeedSource::Table, Outcome::AlreadySeeded)
    );
}

#[tokio::test]
async fn invalid_parameters_touch_nothing() {
    let session = session().await;
    let store = &session.store;
    store.delete_table().await.unwrap();
    for bad in [args(1, 0), Seeding::new(Some(1), 2024, 10)] {
        let err = run(&session, &bad).await.unwrap_err();
        assert!(matches!(err, SeedError::Plan(_)), "{err:?}");
    }
    let tables = store.client().list_tables().send().await.unwrap();
    assert!(!tables
        .table_names()
        .contains(&store.table_name().to_owned()));
}

/// Every rule of the issue, checked on what the table holds for every employee.
#[tokio::test]
async fn every_generated_employee_is_sound() {
    let (session, report) = seeded(2026, 40).await;
    let store = &session.store;
    assert!(report.balances.is_none(), "40 employees are not listed");
    let plan = Plan::new(2026, YEAR, 40).unwrap();
    assert_eq!(report.items_written, plan.item_count());

    let mut statuses = BTreeSet::new();
    for n in 1..=40 {
        let id = EmployeeId::new(n).unwrap();
        let employee = store.get_employee(id).await.unwrap();
        match generate::NAMES.get(n as usize - 1) {
            Some(name) => assert_eq!(employee.name(), *name),
            None => {
                let (first, last) = employee.name().split_once(' ').unwrap();
                assert!(
                    generate::FIRST_NAMES.contains(&first),
                    "{}",
                    employee.name()
                );
                assert!(generate::LAST_NAMES.contains(&last), "{}", employee.name());
            }
        }
        assert!(JOB_TITLES.contains(&employee.job_title()));
        assert!((2015..=2022).contains(&employee.start_date().year()));
        statuses.insert(employee.status().as_str());

        // Balance equation, claims matching reservations exactly, no overlaps.
        let ledger = assert_ledger_sound(store, id).await;
        let years: Vec<i32> = ledger.balances.iter().map(|b| b.year).collect();
        assert_eq!(years, [2024, 2025, 2026]);
        for balance in &ledger.balances {
            assert!((10..=30).contains(&balance.total), "{balance:?}");
            let planned: Vec<_> = ledger
                .reservations
                .iter()
                .filter(|r| r.range().touches_year(balance.year))
                .collect();
            assert!(planned.len() <= 3);
            let days: i64 = planned
                .iter()
                .map(|r| {
                    let range = r.range();
                    assert_eq!(
                        (range.start().year(), range.end().year()),
                        (balance.year, balance.year)
                    );
                    assert_eq!(
                        r.charge(),
                        &DayCountPolicy::CalendarDays.charge(&range).unwrap()
                    );
                    i64::from(r.charge().total_days())
                })
                .sum();
            assert!(
                balance.taken >= days,
                "{balance:?} below {days} planned days"
            );
        }
        let claimed: usize = ledger
            .reservations
            .iter()
            .map(|r| r.range().calendar_days() as usize)
            .sum();
        assert_eq!(ledger.claims.len(), claimed);
    }
    assert_eq!(statuses, BTreeSet::from(["Active", "Inactive"]));

    // Every date attribute in the table is an ISO date.
    for item in dump_of(store).await {
        for date in item
            .split("date\": S(\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
        {
            parse_iso_date(date).unwrap_or_else(|e| panic!("{e} in {item}"));
        }
    }
}

/// The seeded items are the ones the booking path writes: the store books around,
/// refuses over, and cancels seeded vacations. (HR acts here: the seeded year may be in
/// the past of the machine's clock, and only HR may correct the past.)
#[tokio::test]
async fn seeded_vacations_behave_like_booked_ones() {
    let (session, _) = seeded(99, 10).await;
    let store = &session.store;
    let (id, planned) = first_active_with_a_vacation(store).await;
    let start = planned.range().start().to_string();

    let err = book(store, id, &start, &start, "clash").await.unwrap_err();
    assert!(matches!(err, StoreError::Overlap { .. }), "{err:?}");

    let before = store.get_balance(id, YEAR).await.unwrap();
    let cancelled = store
        .cancel(
            id,
            &CancelTarget::Id(planned.id().clone()),
            &test_support::by_hr(id),
        )
        .await
        .unwrap();
    assert_eq!(cancelled.reservation, planned);
    let after = store.get_balance(id, YEAR).await.unwrap();
    assert_eq!(
        after.taken(),
        before.taken() - planned.charge().days_in(YEAR)
    );
    book(store, id, &start, &start, "rebook").await.unwrap();
    assert_ledger_sound(store, id).await;
}

async fn first_active_with_a_vacation(store: &Store) -> (EmployeeId, domain::Reservation) {
    for n in 1..=10 {
        let id = EmployeeId::new(n).unwrap();
        if store.get_employee(id).await.unwrap().status() != EmployeeStatus::Active {
            continue;
        }
        if let Some(r) = store.list_reservations(id, Some(YEAR)).await.unwrap().pop() {
            return (id, r);
        }
    }
    panic!("seed 99 has no active employee with a vacation in {YEAR}");
}

async fn book(
    store: &Store,
    employee: EmployeeId,
    start: &str,
    end: &str,
    key: &str,
) -> Result<domain::Reservation, StoreError> {
    store
        .reserve(&ReserveRequest {
            employee,
            range: DateRange::parse(start, end).unwrap(),
            policy: DayCountPolicy::CalendarDays,
            idempotency_key: IdempotencyKey::new(key).unwrap(),
            by: test_support::by_hr(employee),
        })
        .await
        .map(|b| b.reservation)
}
