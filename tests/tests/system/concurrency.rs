//! Real parallel tasks against one table in DynamoDB Local: whatever the interleaving, no
//! balance is overdrawn, no day is booked twice, and `total = taken + available` holds.

use std::sync::Arc;

use chrono::Days;
use domain::{DateRange, DayCountPolicy, EmployeeId, EmployeeStatus, IdempotencyKey, Reservation};
use futures::future::join_all;
use store::{CancelTarget, ReserveRequest, Store, StoreError};
use test_support::{assert_ledger_sound, date, fresh_store, seed};

fn request(employee: EmployeeId, range: DateRange, key: &str) -> ReserveRequest {
    ReserveRequest {
        employee,
        range,
        policy: DayCountPolicy::CalendarDays,
        idempotency_key: IdempotencyKey::new(key).unwrap(),
        by: test_support::by_employee(employee),
    }
}

/// Runs every request in its own task, all at once, and returns the outcomes in order.
async fn reserve_all(
    store: &Store,
    requests: Vec<ReserveRequest>,
) -> Vec<Result<Reservation, StoreError>> {
    let store = Arc::new(store.clone());
    let tasks = requests.into_iter().map(|req| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.reserve(&req).await.map(|b| b.reservation) })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect()
}

/// 50 one-day bookings on distinct days against 10 available days: exactly 10 succeed,
/// the 40 others are refused for insufficient balance, and the balance ends at 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_bookings_for_ten_days_book_exactly_ten() {
    let store = fresh_store().await;
    let id = seed(&store, 1, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let requests = (0..50u64)
        .map(|i| {
            let day = date("2026-03-01") + Days::new(i);
            request(id, DateRange::new(day, day).unwrap(), &format!("day-{i}"))
        })
        .collect();
    let outcomes = reserve_all(&store, requests).await;

    let booked = outcomes.iter().filter(|o| o.is_ok()).count();
    let insufficient = outcomes
        .iter()
        .filter(|o| matches!(o, Err(StoreError::InsufficientBalance { requested: 1, .. })))
        .count();
    assert_eq!((booked, insufficient), (10, 40), "{outcomes:?}");
    let balance = store.get_balance(id, 2026).await.unwrap();
    assert_eq!((balance.taken(), balance.available()), (10, 0));
    let ledger = assert_ledger_sound(&store, id).await;
    assert_eq!((ledger.reservations.len(), ledger.claims.len()), (10, 10));
}

/// 25 bookings of the same 3-day range with different keys: exactly one succeeds, the
/// others report the overlap, and the balance drops by exactly 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_five_bookings_of_one_range_book_it_once() {
    let store = fresh_store().await;
    let id = seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let range = DateRange::parse("2026-01-24", "2026-01-26").unwrap();
    let requests = (0..25)
        .map(|i| request(id, range, &format!("user-{i}")))
        .collect();
    let outcomes = reserve_all(&store, requests).await;

    let booked: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let overlaps = outcomes
        .iter()
        .filter(|o| matches!(o, Err(StoreError::Overlap { dates, .. }) if !dates.is_empty()))
        .count();
    assert_eq!((booked.len(), overlaps), (1, 24), "{outcomes:?}");
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 19);
    let ledger = assert_ledger_sound(&store, id).await;
    assert_eq!((ledger.reservations.len(), ledger.claims.len()), (1, 3));
}

/// The same booking sent 10 times at once with one idempotency key: every caller is told
/// it is booked, with the same reservation, and it is charged once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_copies_of_one_request_are_applied_once() {
    let store = fresh_store().await;
    let id = seed(&store, 3, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let range = DateRange::parse("2026-07-01", "2026-07-05").unwrap();
    let requests = (0..10)
        .map(|_| request(id, range, "session-9/turn-2"))
        .collect();
    let outcomes = reserve_all(&store, requests).await;

    let first = outcomes[0].as_ref().unwrap_or_else(|e| panic!("{e:?}"));
    for outcome in &outcomes {
        assert_eq!(outcome.as_ref().unwrap_or_else(|e| panic!("{e:?}")), first);
    }
    assert_eq!(store.get_balance(id, 2026).await.unwrap().available(), 17);
    let ledger = assert_ledger_sound(&store, id).await;
    assert_eq!((ledger.reservations.len(), ledger.claims.len()), (1, 5));
}

/// Bookings and cancellations interleaved at random over overlapping ranges: whatever
/// each call answered, the ledger adds up at the end, and the balance matches exactly the
/// reservations left.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_bookings_and_cancellations_keep_the_ledger_sound() {
    let store = fresh_store().await;
    let id = seed(&store, 4, EmployeeStatus::Active, &[(2026, 30, 0)]).await;
    let store = Arc::new(store);
    let tasks = (0..60u64).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            // Ranges of 1-3 days over a 20-day window: many collide.
            let start = date("2026-05-01") + Days::new((i * 7) % 20);
            let range = DateRange::new(start, start + Days::new(i % 3)).unwrap();
            let booked = store.reserve(&request(id, range, &format!("k-{i}"))).await;
            if i % 2 == 0 {
                if let Ok(b) = &booked {
                    tokio::task::yield_now().await;
                    let target = CancelTarget::Id(b.reservation.id().clone());
                    let _ = store
                        .cancel(id, &target, &test_support::by_employee(id))
                        .await;
                }
            } else {
                // Cancel whatever holds the start day, ours or someone else's.
                let by = test_support::by_employee(id);
                let _ = store.cancel(id, &CancelTarget::Covering(start), &by).await;
            }
            booked.map(|_| ()).or_else(|e| match e {
                StoreError::Overlap { .. } | StoreError::InsufficientBalance { .. } => Ok(()),
                other => Err(other),
            })
        })
    });
    for outcome in join_all(tasks).await {
        outcome
            .unwrap()
            .unwrap_or_else(|e| panic!("unexpected failure: {e:?}"));
    }

    let ledger = assert_ledger_sound(&store, id).await;
    let reserved: u32 = ledger
        .reservations
        .iter()
        .map(|r| r.charge().total_days())
        .sum();
    let balance = store.get_balance(id, 2026).await.unwrap();
    assert_eq!(
        balance.taken(),
        reserved,
        "taken must equal what the remaining reservations charge"
    );
}

/// A booking across New Year charges each year its own days; when either year lacks days
/// it writes nothing at all, even with the other year's days available.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_year_crossing_booking_charges_both_years_or_nothing() {
    let store = fresh_store().await;
    let rich = seed(
        &store,
        5,
        EmployeeStatus::Active,
        &[(2025, 10, 0), (2026, 10, 0)],
    )
    .await;
    let poor = seed(
        &store,
        6,
        EmployeeStatus::Active,
        &[(2025, 10, 0), (2026, 1, 0)],
    )
    .await;
    let range = DateRange::parse("2025-12-30", "2026-01-02").unwrap();
    let outcomes = reserve_all(
        &store,
        vec![
            request(rich, range, "crossing"),
            request(poor, range, "crossing"),
        ],
    )
    .await;

    let booked = outcomes[0].as_ref().unwrap();
    assert_eq!(booked.charge().days_in(2025), 2);
    assert_eq!(booked.charge().days_in(2026), 2);
    assert_eq!(store.get_balance(rich, 2025).await.unwrap().available(), 8);
    assert_eq!(store.get_balance(rich, 2026).await.unwrap().available(), 8);

    assert!(
        matches!(
            outcomes[1],
            Err(StoreError::InsufficientBalance {
                year: 2026,
                available: 1,
                requested: 2,
                ..
            })
        ),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(
        store.get_balance(poor, 2025).await.unwrap().available(),
        10,
        "2025 untouched"
    );
    assert_eq!(store.get_balance(poor, 2026).await.unwrap().available(), 1);
    let ledger = assert_ledger_sound(&store, poor).await;
    assert!(ledger.reservations.is_empty() && ledger.claims.is_empty());
    assert_ledger_sound(&store, rich).await;
}
