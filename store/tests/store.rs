//! Every store operation and every error, against DynamoDB Local in testcontainers.

use domain::{DateRange, DayCountPolicy, DomainError, EmployeeId, EmployeeStatus, IdempotencyKey};
use store::{CancelTarget, ReserveRequest, Store, StoreError};
use test_support::{
    assert_ledger_sound, by_employee, date, dynamodb_local, employee, fresh_store, fresh_store_at,
    seed,
};

fn request(employee: EmployeeId, start: &str, end: &str, key: &str) -> ReserveRequest {
    ReserveRequest {
        employee,
        range: DateRange::parse(start, end).unwrap(),
        policy: DayCountPolicy::CalendarDays,
        idempotency_key: IdempotencyKey::new(key).unwrap(),
        by: by_employee(employee),
    }
}

/// A snapshot of every item of the employee, to prove a refused call wrote nothing.
async fn snapshot(store: &Store, employee: EmployeeId) -> String {
    format!("{:?}", store.ledger(employee).await.unwrap())
}

#[tokio::test]
async fn creating_the_table_is_idempotent() {
    let store = fresh_store().await;
    assert!(
        !store.create_table_if_missing().await.unwrap(),
        "already existed"
    );
}

#[tokio::test]
async fn a_table_with_another_key_schema_is_refused() {
    let store = fresh_store().await;
    let client = store.client();
    let name = format!("other-{}", uuid::Uuid::new_v4().simple());
    test_support::create_table_with_another_key_schema(client, &name).await;
    let other = Store::new(client.clone(), &name);
    let err = other.create_table_if_missing().await.unwrap_err();
    assert!(
        matches!(err, StoreError::TableSchemaMismatch { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("id (HASH, S)"), "{err}");
    assert!(err.is_dependency_failure());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_dependency_failure() {
    // Port 9 (discard) on loopback: nothing listens there.
    let config = store::StoreConfig {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        ..store::StoreConfig::new("vacations")
    };
    let store = Store::from_sdk_config(&test_support::sdk_config().await, config);
    let err = store
        .get_employee(EmployeeId::new(1).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Dynamo {
                operation: "GetItem",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_dependency_failure());
}

#[tokio::test]
async fn an_employee_and_balances_round_trip() {
    let store = fresh_store().await;
    let id = seed(
        &store,
        2,
        EmployeeStatus::Active,
        &[(2025, 20, 5), (2026, 22, 0)],
    )
    .await;
    assert_eq!(
        store.get_employee(id).await.unwrap(),
        employee(2, EmployeeStatus::Active)
    );
    let balance = store.get_balance(id, 2025).await.unwrap();
    assert_eq!(
        (balance.total(), balance.taken(), balance.available()),
        (20, 5, 15)
    );
    let latest = store.latest_balance(id).await.unwrap();
    assert_eq!((latest.year(), latest.available()), (2026, 22));
    assert_ledger_sound(&store, id).await;
}

#[tokio::test]
async fn reads_of_missing_things_say_what_is_missing() {
    let store = fresh_store().await;
    let ghost = EmployeeId::new(99).unwrap();
    assert!(
        matches!(store.get_employee(ghost).await, Err(StoreError::EmployeeNotFound(id)) if id == ghost)
    );
    assert!(matches!(
        store.get_balance(ghost, 2026).await,
        Err(StoreError::EmployeeNotFound(_))
    ));
    assert!(matches!(
        store.latest_balance(ghost).await,
        Err(StoreError::EmployeeNotFound(_))
    ));
    assert!(matches!(
        store.list_reservations(ghost, None).await,
        Err(StoreError::EmployeeNotFound(_))
    ));

    let id = seed(&store, 3, EmployeeStatus::Active, &[]).await;
    assert!(matches!(
        store.get_balance(id, 2024).await,
        Err(StoreError::NoBalanceForYear { year: 2024, .. })
    ));
    assert!(matches!(
        store.latest_balance(id).await,
        Err(StoreError::NoBalances(_))
    ));
    assert_eq!(store.list_reservations(id, None).await.unwrap(), vec![]);
}

#[tokio::test]
async fn booking_three_days_from_twenty_two_leaves_nineteen() {
    let store = fresh_store().await;
    let id = seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let reservation = store
        .reserve(&request(id, "2026-01-24", "2026-01-26", "k1"))
        .await
        .unwrap()
        .reservation;
    assert_eq!(reservation.charge().total_days(), 3);
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 19);
    let listed = store.list_reservations(id, Some(2026)).await.unwrap();
    assert_eq!(listed, vec![reservation.clone()]);
    assert_eq!(
        store.list_reservations(id, Some(2025)).await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.get_reservation(id, reservation.id()).await.unwrap(),
        Some(reservation)
    );
    let ledger = assert_ledger_sound(&store, id).await;
    assert_eq!(ledger.claims.len(), 3);
}

#[tokio::test]
async fn reservations_are_listed_in_date_order_and_filtered_by_year() {
    let store = fresh_store().await;
    let id = seed(
        &store,
        4,
        EmployeeStatus::Active,
        &[(2025, 30, 0), (2026, 30, 0)],
    )
    .await;
    let late = store
        .reserve(&request(id, "2026-06-01", "2026-06-02", "a"))
        .await
        .unwrap()
        .reservation;
    let crossing = store
        .reserve(&request(id, "2025-12-31", "2026-01-01", "b"))
        .await
        .unwrap()
        .reservation;
    let early = store
        .reserve(&request(id, "2025-03-01", "2025-03-01", "c"))
        .await
        .unwrap()
        .reservation;
    let all = store.list_reservations(id, None).await.unwrap();
    assert_eq!(all, vec![early.clone(), crossing.clone(), late.clone()]);
    assert_eq!(
        store.list_reservations(id, Some(2025)).await.unwrap(),
        vec![early, crossing.clone()]
    );
    assert_eq!(
        store.list_reservations(id, Some(2026)).await.unwrap(),
        vec![crossing, late]
    );
}

#[tokio::test]
async fn booking_for_an_unknown_employee_is_refused_and_writes_nothing() {
    let store = fresh_store().await;
    let ghost = EmployeeId::new(42).unwrap();
    let err = store
        .reserve(&request(ghost, "2026-01-24", "2026-01-26", "k"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::EmployeeNotFound(id) if id == ghost),
        "{err:?}"
    );
    let ledger = store.ledger(ghost).await.unwrap();
    assert!(
        ledger.reservations.is_empty() && ledger.claims.is_empty() && ledger.balances.is_empty()
    );
}

#[tokio::test]
async fn an_inactive_employee_cannot_book() {
    let store = fresh_store().await;
    let id = seed(&store, 5, EmployeeStatus::Inactive, &[(2026, 20, 0)]).await;
    let before = snapshot(&store, id).await;
    let err = store
        .reserve(&request(id, "2026-01-24", "2026-01-26", "k"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::EmployeeInactive(_)), "{err:?}");
    assert_eq!(snapshot(&store, id).await, before);
}

#[tokio::test]
async fn a_year_without_balance_is_refused_and_writes_nothing() {
    let store = fresh_store().await;
    let id = seed(&store, 6, EmployeeStatus::Active, &[(2026, 20, 0)]).await;
    let before = snapshot(&store, id).await;
    let err = store
        .reserve(&request(id, "2027-02-01", "2027-02-03", "k"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NoBalanceForYear { year: 2027, .. }),
        "{err:?}"
    );
    assert_eq!(snapshot(&store, id).await, before);
}

#[tokio::test]
async fn an_insufficient_balance_says_how_many_days_are_left() {
    let store = fresh_store().await;
    let id = seed(&store, 7, EmployeeStatus::Active, &[(2026, 10, 8)]).await;
    let before = snapshot(&store, id).await;
    let err = store
        .reserve(&request(id, "2026-05-01", "2026-05-03", "k"))
        .await
        .unwrap_err();
    match &err {
        StoreError::InsufficientBalance {
            year,
            available,
            requested,
            ..
        } => {
            assert_eq!((*year, *available, *requested), (2026, 2, 3))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("only 2 day(s) available in 2026"),
        "{err}"
    );
    assert_eq!(snapshot(&store, id).await, before);
}

#[tokio::test]
async fn an_overlap_names_the_clashing_days_and_writes_nothing() {
    let store = fresh_store().await;
    let id = seed(&store, 8, EmployeeStatus::Active, &[(2026, 30, 0)]).await;
    let first = store
        .reserve(&request(id, "2026-01-24", "2026-01-26", "a"))
        .await
        .unwrap()
        .reservation;
    let before = snapshot(&store, id).await;
    let err = store
        .reserve(&request(id, "2026-01-26", "2026-01-28", "b"))
        .await
        .unwrap_err();
    match &err {
        StoreError::Overlap { dates, held_by, .. } => {
            assert_eq!(dates, &vec![date("2026-01-26")]);
            assert_eq!(held_by, &vec![first.id().clone()]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(snapshot(&store, id).await, before);
    assert_ledger_sound(&store, id).await;
}

#[tokio::test]
async fn invalid_ranges_are_refused_before_any_write() {
    assert_eq!(
        DateRange::parse("2026-01-26", "2026-01-24").unwrap_err(),
        DomainError::EndBeforeStart {
            start: date("2026-01-26"),
            end: date("2026-01-24")
        }
    );
    let store = fresh_store().await;
    let id = seed(&store, 9, EmployeeStatus::Active, &[(2026, 30, 0)]).await;
    let before = snapshot(&store, id).await;
    let weekend = ReserveRequest {
        policy: DayCountPolicy::Weekdays,
        ..request(id, "2026-01-24", "2026-01-25", "k")
    };
    let err = store.reserve(&weekend).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Domain(DomainError::NothingToCharge { .. })),
        "{err:?}"
    );
    assert_eq!(snapshot(&store, id).await, before);
}

#[tokio::test]
async fn the_weekdays_policy_charges_only_weekdays() {
    let store = fresh_store().await;
    let id = seed(&store, 10, EmployeeStatus::Active, &[(2026, 30, 0)]).await;
    let friday_to_monday = ReserveRequest {
        policy: DayCountPolicy::Weekdays,
        ..request(id, "2026-01-23", "2026-01-26", "k")
    };
    let r = store.reserve(&friday_to_monday).await.unwrap().reservation;
    assert_eq!(r.charge().total_days(), 2);
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 28);
    let ledger = assert_ledger_sound(&store, id).await;
    let claimed: Vec<String> = ledger.claims.iter().map(|c| c.date.to_string()).collect();
    assert_eq!(
        claimed,
        ["2026-01-23", "2026-01-26"],
        "only charged days are claimed"
    );
    // The weekend inside it is not booked: a Saturday-to-Tuesday booking clashes only on
    // the Monday.
    let saturday_to_tuesday = ReserveRequest {
        policy: DayCountPolicy::Weekdays,
        ..request(id, "2026-01-24", "2026-01-27", "k2")
    };
    let err = store.reserve(&saturday_to_tuesday).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Overlap { dates, .. } if dates == &[date("2026-01-26")]),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_retried_booking_is_applied_once() {
    let store = fresh_store().await;
    let id = seed(&store, 11, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let req = request(id, "2026-02-02", "2026-02-04", "session-1/turn-3");
    let first = store.reserve(&req).await.unwrap().reservation;
    let second = store.reserve(&req).await.unwrap().reservation;
    assert_eq!(first, second);
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 7);
    assert_ledger_sound(&store, id).await;
}

#[tokio::test]
async fn a_key_reused_for_other_dates_is_refused() {
    let store = fresh_store().await;
    let id = seed(&store, 12, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    store
        .reserve(&request(id, "2026-02-02", "2026-02-04", "same"))
        .await
        .unwrap();
    let before = snapshot(&store, id).await;
    let err = store
        .reserve(&request(id, "2026-03-02", "2026-03-04", "same"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdempotencyKeyReused), "{err:?}");
    assert_eq!(snapshot(&store, id).await, before);
}

#[tokio::test]
async fn cancelling_by_id_refunds_and_frees_the_days() {
    let store = fresh_store().await;
    let id = seed(&store, 13, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let r = store
        .reserve(&request(id, "2026-04-01", "2026-04-03", "a"))
        .await
        .unwrap()
        .reservation;
    let cancelled = store
        .cancel(id, &CancelTarget::Id(r.id().clone()), &by_employee(id))
        .await
        .unwrap();
    assert_eq!(cancelled.reservation, r);
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 10);
    let ledger = assert_ledger_sound(&store, id).await;
    assert!(ledger.claims.is_empty() && ledger.reservations.is_empty());
    // The days are free again.
    store
        .reserve(&request(id, "2026-04-02", "2026-04-02", "b"))
        .await
        .unwrap();
}

#[tokio::test]
async fn cancelling_by_a_booked_date_finds_the_reservation() {
    let store = fresh_store().await;
    let id = seed(
        &store,
        14,
        EmployeeStatus::Active,
        &[(2025, 10, 0), (2026, 10, 0)],
    )
    .await;
    let r = store
        .reserve(&request(id, "2025-12-30", "2026-01-02", "a"))
        .await
        .unwrap()
        .reservation;
    assert_eq!(store.get_balance(id, 2025).await.unwrap().available(), 8);
    let cancelled = store
        .cancel(
            id,
            &CancelTarget::Covering(date("2025-12-30")),
            &by_employee(id),
        )
        .await
        .unwrap();
    assert_eq!(cancelled.reservation.id(), r.id());
    assert_eq!(store.get_balance(id, 2025).await.unwrap().available(), 10);
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 10);
    assert_ledger_sound(&store, id).await;
}

#[tokio::test]
async fn cancelling_what_does_not_exist_is_refused_and_writes_nothing() {
    let store = fresh_store().await;
    let id = seed(&store, 15, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let r = store
        .reserve(&request(id, "2026-04-01", "2026-04-03", "a"))
        .await
        .unwrap()
        .reservation;
    store
        .cancel(id, &CancelTarget::Id(r.id().clone()), &by_employee(id))
        .await
        .unwrap();
    let before = snapshot(&store, id).await;
    for target in [
        CancelTarget::Id(r.id().clone()),
        CancelTarget::Covering(date("2026-04-01")),
        CancelTarget::Id(domain::ReservationId::parse("0123456789ab").unwrap()),
    ] {
        let err = store
            .cancel(id, &target, &by_employee(id))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::ReservationNotFound { .. }),
            "{err:?}"
        );
    }
    assert_eq!(snapshot(&store, id).await, before);
}

#[tokio::test]
async fn stores_on_two_tables_do_not_see_each_other() {
    let a = fresh_store().await;
    let b = fresh_store_at(&dynamodb_local().endpoint).await;
    let id = seed(&a, 16, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    assert!(a.get_employee(id).await.is_ok());
    assert!(matches!(
        b.get_employee(id).await,
        Err(StoreError::EmployeeNotFound(_))
    ));
}

/// The booking path reads the balances it charges once (so the history can record them
/// before and after), then sends one `TransactWriteItems`; with the balances just seen, it
/// sends the transaction alone. No read back after it.
#[tokio::test]
async fn a_booking_sends_one_read_and_one_transaction_and_then_just_the_transaction() {
    let table = fresh_store().await;
    let counter = test_support::RequestCounter::default();
    let client = test_support::counted_client(&dynamodb_local().endpoint, &counter).await;
    let store = Store::new(client, table.table_name()).with_clock(table.clock());
    let id = seed(&store, 17, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    counter.reset();
    let booking = store
        .reserve(&request(id, "2026-08-10", "2026-08-12", "one-call"))
        .await
        .unwrap();
    assert_eq!(
        counter.by_operation(),
        [
            ("Query".to_owned(), 1),
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into_iter()
        .collect()
    );
    // The answer's balance comes from the write itself.
    let after = booking.balances.unwrap();
    assert_eq!((after[0].taken(), after[0].available()), (3, 7));
    // The next booking plans from the balance it just wrote.
    counter.reset();
    store
        .reserve(&request(id, "2026-08-20", "2026-08-20", "next"))
        .await
        .unwrap();
    assert_eq!(
        counter.by_operation(),
        [("TransactWriteItems".to_owned(), 1)].into_iter().collect()
    );
    // A refusal costs no extra round trip either: the reasons carry the answer.
    counter.reset();
    let err = store
        .reserve(&request(id, "2026-08-11", "2026-08-11", "clash"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Overlap { .. }), "{err:?}");
    assert_eq!(counter.total(), 1);
    assert_ledger_sound(&store, id).await;
}

/// A remembered balance is only a guess: when another process changed it, the booking is
/// refused by its condition, planned again from the balance DynamoDB returned, and the
/// history records the true figures.
#[tokio::test]
async fn a_stale_remembered_balance_is_corrected_by_the_transaction() {
    let here = fresh_store().await;
    let elsewhere = fresh_store_at(&dynamodb_local().endpoint).await;
    let elsewhere =
        Store::new(elsewhere.client().clone(), here.table_name()).with_clock(here.clock());
    let id = seed(&here, 18, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    here.reserve(&request(id, "2026-09-01", "2026-09-01", "here-1"))
        .await
        .unwrap();
    elsewhere
        .reserve(&request(id, "2026-09-02", "2026-09-03", "elsewhere"))
        .await
        .unwrap();
    let booked = here
        .reserve(&request(id, "2026-09-10", "2026-09-10", "here-2"))
        .await
        .unwrap();
    let after = booked.balances.unwrap();
    assert_eq!((after[0].taken(), after[0].available()), (4, 6));
    let history = here.history(id).await.unwrap();
    let last = history
        .iter()
        .find(|h| h.reservation == *booked.reservation.id())
        .unwrap();
    assert_eq!(
        (last.balances[0].taken_before, last.balances[0].taken_after),
        (3, 4)
    );
    assert_ledger_sound(&here, id).await;
}

/// A refused booking leaves nothing behind, not even its idempotency token: the same
/// request succeeds once the days are there.
#[tokio::test]
async fn a_refused_booking_can_succeed_later_with_the_same_key() {
    let store = fresh_store().await;
    let id = seed(&store, 18, EmployeeStatus::Active, &[(2026, 2, 0)]).await;
    let req = request(id, "2026-09-01", "2026-09-03", "retry-later");
    let err = store.reserve(&req).await.unwrap_err();
    assert!(
        matches!(err, StoreError::InsufficientBalance { .. }),
        "{err:?}"
    );
    seed(&store, 18, EmployeeStatus::Active, &[(2026, 5, 0)]).await;
    let booked = store.reserve(&req).await.unwrap().reservation;
    assert_eq!(booked.charge().total_days(), 3);
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 2);
    assert_ledger_sound(&store, id).await;
}

/// The table-wide audit passes on sound data and names the keys of what a broken write
/// would leave: a lost claim, a balance that does not add up.
#[tokio::test]
async fn the_audit_finds_what_is_broken_and_only_that() {
    let store = fresh_store().await;
    for id in 20..26 {
        let employee = seed(&store, id, EmployeeStatus::Active, &[(2026, 20, 0)]).await;
        store
            .reserve(&request(employee, "2026-06-01", "2026-06-03", "a"))
            .await
            .unwrap();
    }
    let report = store.audit(4).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(
        (report.employees, report.reservations, report.claims),
        (6, 6, 18)
    );

    use aws_sdk_dynamodb::types::AttributeValue as V;
    let key = |pk: &str, sk: &str| {
        std::collections::HashMap::from([
            ("PK".to_owned(), V::S(pk.into())),
            ("SK".to_owned(), V::S(sk.into())),
        ])
    };
    let client = store.client();
    client
        .delete_item()
        .table_name(store.table_name())
        .set_key(Some(key("EMP#21", "DAY#2026-06-02")))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name(store.table_name())
        .set_key(Some(key("EMP#24", "YEAR#2026")))
        .update_expression("SET available = :a")
        .expression_attribute_values(":a", V::N("18".into()))
        .send()
        .await
        .unwrap();
    let report = store.audit(3).await.unwrap();
    let found: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("employee 21 reservation")
            && found[0].contains("2026-06-02 has no claim"),
        "{found:#?}"
    );
    assert!(
        found[1].starts_with("employee 24 year 2026: total 20 != taken 3 + available 18"),
        "{found:#?}"
    );

    // Re-reading confirms what is still broken, and drops what was repaired meanwhile
    // (as a booking committed while the scan ran would be).
    let mut confirmed = store.audit(2).await.unwrap();
    let recheck = store.recheck(&mut confirmed).await.unwrap();
    assert_eq!((recheck.employees, recheck.cleared), (2, 0));
    assert_eq!(confirmed.violations, report.violations);
    client
        .update_item()
        .table_name(store.table_name())
        .set_key(Some(key("EMP#24", "YEAR#2026")))
        .update_expression("SET available = :a")
        .expression_attribute_values(":a", V::N("17".into()))
        .send()
        .await
        .unwrap();
    let mut stale = report;
    let recheck = store.recheck(&mut stale).await.unwrap();
    assert_eq!((recheck.employees, recheck.cleared), (2, 1));
    let left: Vec<String> = stale.violations.iter().map(ToString::to_string).collect();
    assert_eq!(left, found[..1]);
    assert!(!stale.is_clean());
}

/// Regression: a reservation id can exist again after it was cancelled (a table seeded
/// again writes the same ids, even the same incarnation). A second cancellation of it,
/// within DynamoDB's ten minutes of client-token memory, must cancel it, not replay the
/// first cancellation. (On the code before the fix the second `cancel` answered Ok and
/// the reservation stayed: "the second cancellation must delete the reservation".)
#[tokio::test]
async fn a_reservation_booked_again_after_a_cancellation_is_cancelled_again() {
    use store::{BulkOptions, Record};
    let store = fresh_store().await;
    let id = seed(&store, 40, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let range = DateRange::parse("2026-06-01", "2026-06-03").unwrap();
    let rid = domain::ReservationId::derive(id, &IdempotencyKey::new("seeded").unwrap());
    let incarnation = domain::Incarnation::parse("5eeded0000000001").unwrap();
    let reservation = domain::Reservation::new(
        rid.clone(),
        id,
        range,
        DayCountPolicy::CalendarDays,
        incarnation,
    )
    .unwrap();
    let write_seeded = || async {
        let records = vec![
            Record::Balance {
                employee: id,
                balance: domain::YearBalance::new(2026, 10, 3).unwrap(),
                earlier_taken: 0,
            },
            Record::Reservation {
                reservation: reservation.clone(),
                booked_at: "2026-01-01T00:00:00Z".parse().unwrap(),
                request: "seed 1".into(),
            },
        ];
        store
            .write_records(records, &BulkOptions::default(), |_| {})
            .await
            .unwrap();
    };
    write_seeded().await;
    let target = CancelTarget::Id(rid.clone());
    store.cancel(id, &target, &by_employee(id)).await.unwrap();
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 10);

    // Seeded again: the same reservation id, charged again.
    write_seeded().await;
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 7);
    let second = store.cancel(id, &target, &by_employee(id)).await.unwrap();
    assert_eq!(
        store.get_reservation(id, &rid).await.unwrap(),
        None,
        "the second cancellation must delete the reservation"
    );
    assert_eq!(
        store.get_balance(id, 2026).await.unwrap().available(),
        10,
        "and give its days back"
    );
    assert_eq!(
        second.balances[0].available(),
        10,
        "the answer is what the table holds"
    );
}

/// Booked, cancelled, and booked again with the very same request (same key, so the same
/// reservation id): each write is its own incarnation, and the second cancellation
/// cancels the second booking.
#[tokio::test]
async fn the_same_request_booked_cancelled_and_booked_again_is_cancelled_again() {
    let store = fresh_store().await;
    let id = seed(&store, 41, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let req = request(id, "2026-06-01", "2026-06-02", "same-words");
    let first = store.reserve(&req).await.unwrap().reservation;
    let target = CancelTarget::Id(first.id().clone());
    store.cancel(id, &target, &by_employee(id)).await.unwrap();
    let again = store.reserve(&req).await.unwrap().reservation;
    assert_eq!(again.id(), first.id());
    assert_ne!(again.incarnation(), first.incarnation());
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 8);
    store.cancel(id, &target, &by_employee(id)).await.unwrap();
    assert_eq!(store.get_reservation(id, first.id()).await.unwrap(), None);
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 10);
    // The test clock stands still, so order by incarnation, not time.
    let mut history: Vec<(String, &str)> = store
        .history(id)
        .await
        .unwrap()
        .iter()
        .map(|h| (h.incarnation.to_string(), h.kind.as_str()))
        .collect();
    history.sort();
    let mut expected = vec![
        (first.incarnation().to_string(), "booked"),
        (first.incarnation().to_string(), "cancelled"),
        (again.incarnation().to_string(), "booked"),
        (again.incarnation().to_string(), "cancelled"),
    ];
    expected.sort();
    assert_eq!(history, expected);
    assert_ledger_sound(&store, id).await;
}

/// An inactive employee can neither book nor cancel; HR can do both for them.
#[tokio::test]
async fn only_hr_books_and_cancels_for_an_inactive_employee() {
    let store = fresh_store().await;
    let id = seed(&store, 42, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let booked = store
        .reserve(&request(id, "2026-07-01", "2026-07-02", "before"))
        .await
        .unwrap()
        .reservation;
    seed(&store, 42, EmployeeStatus::Inactive, &[]).await;
    let before = snapshot(&store, id).await;
    let err = store
        .reserve(&request(id, "2026-08-01", "2026-08-01", "after"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::EmployeeInactive(_)), "{err:?}");
    let target = CancelTarget::Id(booked.id().clone());
    let err = store
        .cancel(id, &target, &by_employee(id))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::EmployeeInactive(_)), "{err:?}");
    assert_eq!(snapshot(&store, id).await, before, "refusals write nothing");

    let by_hr = test_support::by_hr(id);
    let cancelled = store.cancel(id, &target, &by_hr).await.unwrap();
    assert!(!cancelled.correction, "not in the past");
    let hr_booking = ReserveRequest {
        by: by_hr,
        ..request(id, "2026-08-01", "2026-08-01", "hr")
    };
    store.reserve(&hr_booking).await.unwrap();
    let history = store.history(id).await.unwrap();
    let roles: Vec<&str> = history.iter().map(|h| h.actor.role.as_str()).collect();
    assert_eq!(roles.iter().filter(|r| **r == "hr").count(), 2, "{roles:?}");
    assert_ledger_sound(&store, id).await;
}

/// Today comes from the store's clock: an employee books from today on and cancels only
/// what has not started; HR may do both in the past, and the history marks it a
/// correction, with who did it and the balances before and after.
#[tokio::test]
async fn the_past_is_only_for_hr_and_marked_a_correction() {
    let table = fresh_store().await;
    let store = table
        .clone()
        .with_clock(store::Clock::on(date("2026-03-10")));
    let id = seed(&store, 43, EmployeeStatus::Active, &[(2026, 20, 0)]).await;
    let before = snapshot(&store, id).await;
    let err = store
        .reserve(&request(id, "2026-03-09", "2026-03-11", "late"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Domain(DomainError::BookingInThePast { .. })
        ),
        "{err:?}"
    );
    assert_eq!(snapshot(&store, id).await, before);

    // Today itself may be booked, and cancelled while it has not passed.
    let today = store
        .reserve(&request(id, "2026-03-10", "2026-03-10", "today"))
        .await
        .unwrap();
    assert_eq!(today.correction, Some(false));
    // HR records leave already taken; the employee cannot cancel it.
    let hr = ReserveRequest {
        by: test_support::by_hr(id),
        ..request(id, "2026-03-02", "2026-03-04", "taken")
    };
    let taken = store.reserve(&hr).await.unwrap();
    assert_eq!(taken.correction, Some(true));
    let target = CancelTarget::Id(taken.reservation.id().clone());
    let before = snapshot(&store, id).await;
    let err = store
        .cancel(id, &target, &by_employee(id))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Domain(DomainError::CancellingTakenLeave { .. })
        ),
        "{err:?}"
    );
    assert_eq!(snapshot(&store, id).await, before);
    let undone = store
        .cancel(id, &target, &test_support::by_hr(id))
        .await
        .unwrap();
    assert!(undone.correction);
    // A reservation starting today has no day before today: the employee may cancel it.
    let starting_today = CancelTarget::Id(today.reservation.id().clone());
    let cancelled = store
        .cancel(id, &starting_today, &by_employee(id))
        .await
        .unwrap();
    assert!(!cancelled.correction);

    let history = store.history(id).await.unwrap();
    let cancel = history
        .iter()
        .find(|h| {
            h.kind == domain::history::ChangeKind::Cancelled
                && h.reservation == *taken.reservation.id()
        })
        .unwrap();
    assert!(cancel.correction);
    assert_eq!(cancel.actor.user, Some(EmployeeId::new(999).unwrap()));
    assert_eq!(cancel.request, "test-hr");
    let b = cancel.balances[0];
    assert_eq!(
        (
            b.taken_before,
            b.available_before,
            b.taken_after,
            b.available_after
        ),
        (4, 16, 1, 19)
    );
    assert_ledger_sound(&store, id).await;
}

/// Stored data that contradicts itself is a dependency failure at cancel time, never a
/// "not found" the user could act on: a missing claim, a refund larger than `taken`, a
/// claim whose reservation is gone. Nothing is written.
#[tokio::test]
async fn an_inconsistent_ledger_refuses_to_cancel_as_a_dependency_failure() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use store::Inconsistency;
    let store = fresh_store().await;
    let id = seed(&store, 44, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let r = store
        .reserve(&request(id, "2026-06-01", "2026-06-03", "a"))
        .await
        .unwrap()
        .reservation;
    let key = |sk: &str| {
        std::collections::HashMap::from([
            ("PK".to_owned(), AttributeValue::S("EMP#44".into())),
            ("SK".to_owned(), AttributeValue::S(sk.into())),
        ])
    };
    let target = CancelTarget::Id(r.id().clone());
    let me = by_employee(id);
    let cancel = || store.cancel(id, &target, &me);

    // A claim lost.
    let claim = store
        .client()
        .delete_item()
        .table_name(store.table_name())
        .set_key(Some(key("DAY#2026-06-02")))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let before = snapshot(&store, id).await;
    let err = cancel().await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Inconsistent { sk, problem: Inconsistency::MissingClaim, .. } if sk == "DAY#2026-06-02"),
        "{err:?}"
    );
    assert!(err.is_dependency_failure());
    assert_eq!(snapshot(&store, id).await, before, "nothing written");

    // The claim back, and a balance whose taken is below the refund.
    store
        .client()
        .put_item()
        .table_name(store.table_name())
        .set_item(Some(claim))
        .send()
        .await
        .unwrap();
    store
        .client()
        .update_item()
        .table_name(store.table_name())
        .set_key(Some(key("YEAR#2026")))
        .update_expression("SET taken = :t, available = :a")
        .expression_attribute_values(":t", AttributeValue::N("1".into()))
        .expression_attribute_values(":a", AttributeValue::N("9".into()))
        .send()
        .await
        .unwrap();
    let before = snapshot(&store, id).await;
    let err = cancel().await.unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Inconsistent {
                problem: Inconsistency::RefundExceedsTaken {
                    taken: 1,
                    requested: 3
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(snapshot(&store, id).await, before);

    // A claim whose reservation is gone: cancelling by that day says so.
    store
        .client()
        .delete_item()
        .table_name(store.table_name())
        .set_key(Some(key(&format!("RES#{}", r.id()))))
        .send()
        .await
        .unwrap();
    let err = store
        .cancel(
            id,
            &CancelTarget::Covering(date("2026-06-01")),
            &by_employee(id),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Inconsistent {
                problem: Inconsistency::MissingReservation,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_dependency_failure());
}

/// Under the weekdays policy a weekend inside a booking has no claim, yet naming it finds
/// the booking; a claim naming a reservation that does not book its day is a dependency
/// failure, not a refund of other days.
#[tokio::test]
async fn cancelling_by_date_finds_a_weekend_day_and_refuses_a_misplaced_claim() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = fresh_store().await;
    let id = seed(&store, 45, EmployeeStatus::Active, &[(2026, 20, 0)]).await;
    let saturday_to_tuesday = ReserveRequest {
        policy: DayCountPolicy::Weekdays,
        ..request(id, "2026-01-24", "2026-01-27", "weekend")
    };
    let r = store
        .reserve(&saturday_to_tuesday)
        .await
        .unwrap()
        .reservation;
    let cancelled = store
        .cancel(
            id,
            &CancelTarget::Covering(date("2026-01-24")),
            &by_employee(id),
        )
        .await
        .unwrap();
    assert_eq!(cancelled.reservation.id(), r.id());
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 20);

    // A claim on 2026-02-10 naming a reservation of 2026-02-02..03.
    let booked = store
        .reserve(&request(id, "2026-02-02", "2026-02-03", "elsewhere"))
        .await
        .unwrap()
        .reservation;
    let stray = std::collections::HashMap::from([
        ("PK".to_owned(), AttributeValue::S("EMP#45".into())),
        ("SK".to_owned(), AttributeValue::S("DAY#2026-02-10".into())),
        ("entity".to_owned(), AttributeValue::S("DayClaim".into())),
        ("employee_id".to_owned(), AttributeValue::N("45".into())),
        ("date".to_owned(), AttributeValue::S("2026-02-10".into())),
        (
            "reservation_id".to_owned(),
            AttributeValue::S(booked.id().to_string()),
        ),
    ]);
    store
        .client()
        .put_item()
        .table_name(store.table_name())
        .set_item(Some(stray))
        .send()
        .await
        .unwrap();
    let before = snapshot(&store, id).await;
    let err = store
        .cancel(
            id,
            &CancelTarget::Covering(date("2026-02-10")),
            &by_employee(id),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Inconsistent {
                problem: store::Inconsistency::ClaimOutsideReservation,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_dependency_failure());
    assert_eq!(snapshot(&store, id).await, before, "nothing refunded");
}
