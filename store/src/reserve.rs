//! Booking: read the balances, then one conditional `TransactWriteItems` that charges
//! them, writes the reservation, its day claims and its history entry; and the reading of
//! its cancellation reasons.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::CancellationReason;
use domain::history::{ChangeKind, HistoryEntry};
use domain::{
    rules, DateRange, DayCountPolicy, EmployeeId, IdempotencyKey, Incarnation, Reservation,
    ReservationId, YearBalance,
};

#[cfg(test)]
use crate::change;
use crate::change::{
    balance_now, employee_refusal, refused, Action, Applied, Attribution, BalanceNow, Change,
    Direction, Outcome, Plan,
};
use crate::items;
use crate::retry::Attempt;
use crate::token;
use crate::transact::unexpected;
use crate::{Store, StoreError};

/// A booking request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    /// Who books.
    pub employee: EmployeeId,
    /// The days booked, both ends included.
    pub range: DateRange,
    /// How the days are counted.
    pub policy: DayCountPolicy,
    /// Identifies the request: the reservation id is derived from it, so a retry with the
    /// same key while the booking stands is answered with that booking, never charged again.
    pub idempotency_key: IdempotencyKey,
    /// Who books, and in which request: what the history records.
    pub by: Attribution,
}

/// A booking that stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// The reservation.
    pub reservation: Reservation,
    /// Each charged year's balance right after this booking was written, from the write
    /// itself; `None` when the request was a replay of a booking that already stood.
    pub balances: Option<Vec<YearBalance>>,
    /// Whether an HR user booked days before today; `None` for a replay (the standing
    /// booking's history entry says).
    pub correction: Option<bool>,
}

/// The transaction that books `reservation` in `table`, from the balances `before`.
pub(crate) fn plan(
    table: &str,
    reservation: &Reservation,
    before: &BTreeMap<i32, YearBalance>,
    history: &HistoryEntry,
    token: String,
) -> Result<Plan, StoreError> {
    let employee = reservation.employee();
    let mut plan = Plan::new(token);
    // HR may book for an inactive employee (recording leave, correcting the past); an
    // employee books only while Active.
    let check_active = !history.actor.has_hr_authority();
    plan.check_employee(table, employee, check_active)?;
    for charge in reservation.charge().years() {
        plan.change_balance(
            table,
            employee,
            charge.year,
            charge.days,
            before.get(&charge.year).copied(),
            Direction::Take,
        )?;
    }
    plan.put_new(
        table,
        items::reservation_item(reservation),
        Action::Reservation,
    )?;
    for day in reservation.claimed_days() {
        let claim = items::day_claim_item(employee, day, reservation.id());
        plan.put_new(table, claim, Action::Claim(day))?;
    }
    plan.put_new(table, items::history_item(history), Action::History)?;
    Ok(plan)
}

/// Reads why DynamoDB cancelled a booking. Reasons come back in action order. The most
/// fundamental refusal wins: who (employee), then whether it is a replay of this very
/// booking, then which days clash, then which year lacks a balance or days, and last a
/// balance that merely moved (planned again).
pub(crate) fn interpret_cancellation(
    reservation: &Reservation,
    actions: &[Action],
    reasons: &[CancellationReason],
) -> Attempt<Applied> {
    let employee = reservation.employee();
    let mut overlap_dates = Vec::new();
    let mut held_by = Vec::new();
    let mut missing_year = None;
    let mut short = None;
    let mut moved = Vec::new();
    for (action, reason) in actions.iter().zip(reasons).filter(|(_, r)| refused(r)) {
        let old = reason.item();
        match action {
            Action::EmployeeCheck => return Attempt::Done(Err(employee_refusal(employee, reason))),
            Action::Reservation => {
                let Some(item) = old else { continue };
                return Attempt::Done(match items::reservation_from_item(item) {
                    // The same booking was already applied (a retried request, or a
                    // concurrent duplicate): report it as booked.
                    Ok(existing) if existing.range() == reservation.range() => {
                        Ok(Applied::Replayed(existing))
                    }
                    Ok(_) => Err(StoreError::IdempotencyKeyReused),
                    Err(e) => Err(e),
                });
            }
            Action::Claim(date) => {
                overlap_dates.push(*date);
                if let Some(owner) = old
                    .and_then(|i| i.get("reservation_id"))
                    .and_then(|v| v.as_s().ok())
                    .and_then(|id| ReservationId::parse(id).ok())
                {
                    if !held_by.contains(&owner) {
                        held_by.push(owner);
                    }
                }
            }
            Action::Balance { year, days, before } => match balance_now(reason) {
                Err(e) => return Attempt::Done(Err(e)),
                Ok(BalanceNow::Missing) => missing_year = missing_year.or(Some(*year)),
                Ok(BalanceNow::Is(now)) if now.available() < *days => {
                    short = short.or(Some((*year, now.available(), *days)));
                }
                Ok(BalanceNow::Is(now)) if Some(now) != *before => moved.push(now),
                Ok(BalanceNow::Is(_)) => {}
            },
            Action::History => {}
        }
    }
    let error = if !overlap_dates.is_empty() {
        StoreError::Overlap {
            employee,
            dates: overlap_dates,
            held_by,
        }
    } else if let Some(year) = missing_year {
        StoreError::NoBalanceForYear { employee, year }
    } else if let Some((year, available, requested)) = short {
        StoreError::InsufficientBalance {
            employee,
            year,
            available,
            requested,
        }
    } else if !moved.is_empty() {
        return Attempt::Done(Ok(Applied::Moved(moved)));
    } else {
        unexpected(reasons)
    };
    Attempt::Done(Err(error))
}

impl Store {
    /// Books `request.range` for `request.employee`: one consistent read of the balances
    /// it charges, then one conditional transaction.
    ///
    /// On success every charged day of the range is claimed by the returned reservation,
    /// each touched year's balance is charged its days, and a history entry records the
    /// booking with the balances before and after. Otherwise nothing is written and the
    /// error says why: a date rule ([`domain::rules::check_booking`]: an employee cannot
    /// book the past), [`StoreError::EmployeeNotFound`], [`StoreError::EmployeeInactive`],
    /// [`StoreError::Overlap`], [`StoreError::NoBalanceForYear`],
    /// [`StoreError::InsufficientBalance`], [`StoreError::IdempotencyKeyReused`], or a
    /// dependency failure.
    ///
    /// Retrying with the same idempotency key while the booking stands returns it without
    /// charging again.
    #[tracing::instrument(skip(self, request), fields(employee = %request.employee, days = request.range.calendar_days()))]
    pub async fn reserve(&self, request: &ReserveRequest) -> Result<Booking, StoreError> {
        let employee = request.employee;
        let id = ReservationId::derive(employee, &request.idempotency_key);
        // A new incarnation for this write: the same id booked again after a cancellation
        // is another incarnation, with another token.
        let incarnation = Incarnation::from_bytes(&token::random_bytes());
        let reservation =
            Reservation::new(id, employee, request.range, request.policy, incarnation)?;
        let correction = rules::check_booking(&reservation, self.clock.today(), &request.by.actor)?;
        let (before, _) = self
            .planning_balances(employee, &reservation.charge().charged_years())
            .await?;
        let change = Change {
            kind: ChangeKind::Booked,
            reservation: &reservation,
            by: &request.by,
            correction: correction.0,
            direction: Direction::Take,
            plan: |before: &BTreeMap<i32, YearBalance>, history: &HistoryEntry, token| {
                plan(&self.table, &reservation, before, history, token)
            },
            interpret: |actions: &[Action], reasons: &[CancellationReason]| {
                interpret_cancellation(&reservation, actions, reasons)
            },
        };
        Ok(match self.apply(change, before).await? {
            Outcome::Written(after) => Booking {
                balances: Some(after),
                correction: Some(correction.0),
                reservation,
            },
            Outcome::Replayed(existing) => Booking {
                reservation: existing,
                balances: None,
                correction: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::Item;
    use crate::transact::transient_reason;
    use domain::{Actor, Employee, EmployeeStatus};

    fn employee() -> EmployeeId {
        EmployeeId::new(2).unwrap()
    }

    fn booking(start: &str, end: &str, key: &str) -> (Reservation, Plan) {
        let range = DateRange::parse(start, end).unwrap();
        let id = ReservationId::derive(employee(), &IdempotencyKey::new(key).unwrap());
        let incarnation = Incarnation::from_bytes(&token::random_bytes());
        let reservation = Reservation::new(
            id,
            employee(),
            range,
            DayCountPolicy::CalendarDays,
            incarnation,
        )
        .unwrap();
        let before: BTreeMap<i32, YearBalance> = reservation
            .charge()
            .years()
            .iter()
            .map(|c| (c.year, YearBalance::new(c.year, 20, 0).unwrap()))
            .collect();
        let by = Attribution::new(Actor::employee(employee()), "test");
        let changes = change::balance_changes(&reservation, &before, Direction::Take);
        let history = change::entry(
            chrono::Utc::now(),
            ChangeKind::Booked,
            &reservation,
            changes,
            &by,
            false,
        );
        let plan = plan("t", &reservation, &before, &history, "token".into()).unwrap();
        (reservation, plan)
    }

    fn ok() -> CancellationReason {
        CancellationReason::builder().code("None").build()
    }

    fn failed(item: Option<Item>) -> CancellationReason {
        CancellationReason::builder()
            .code("ConditionalCheckFailed")
            .set_item(item)
            .build()
    }

    fn outcome(
        r: &Reservation,
        plan: &Plan,
        reasons: Vec<CancellationReason>,
    ) -> Result<Applied, StoreError> {
        assert_eq!(reasons.len(), plan.actions.len());
        match interpret_cancellation(r, &plan.actions, &reasons) {
            Attempt::Done(result) => result,
            Attempt::Retry(why) => panic!("unexpected retry: {why}"),
            Attempt::InProgress => panic!("unexpected retry"),
        }
    }

    fn profile(status: EmployeeStatus) -> Item {
        let e = Employee::new(
            employee(),
            "Jane Smith",
            "Developer",
            domain::parse_iso_date("2018-01-01").unwrap(),
            status,
        )
        .unwrap();
        items::employee_item(&e)
    }

    #[test]
    fn the_plan_has_one_action_per_item_in_transaction_order() {
        let (r, plan) = booking("2025-12-31", "2026-01-02", "k");
        assert_eq!(
            plan.actions,
            vec![
                Action::EmployeeCheck,
                Action::Balance {
                    year: 2025,
                    days: 1,
                    before: Some(YearBalance::new(2025, 20, 0).unwrap()),
                },
                Action::Balance {
                    year: 2026,
                    days: 2,
                    before: Some(YearBalance::new(2026, 20, 0).unwrap()),
                },
                Action::Reservation,
                Action::Claim(r.range().start()),
                Action::Claim(r.range().start().succ_opt().unwrap()),
                Action::Claim(r.range().end()),
                Action::History,
            ]
        );
        assert_eq!(plan.items.len(), plan.actions.len());
        assert!(plan.token.len() <= 36 && !plan.token.is_empty());
    }

    #[test]
    fn a_missing_or_inactive_profile_wins_over_everything_else() {
        let (r, plan) = booking("2026-01-24", "2026-01-24", "k");
        let all_failed = |first: Option<Item>| {
            let mut reasons = vec![failed(first)];
            reasons.extend((1..plan.actions.len()).map(|_| failed(None)));
            reasons
        };
        assert!(matches!(
            outcome(&r, &plan, all_failed(None)),
            Err(StoreError::EmployeeNotFound(_))
        ));
        assert!(matches!(
            outcome(
                &r,
                &plan,
                all_failed(Some(profile(EmployeeStatus::Inactive)))
            ),
            Err(StoreError::EmployeeInactive(_))
        ));
    }

    #[test]
    fn clashing_days_are_all_named_with_their_holders() {
        let (r, plan) = booking("2026-01-24", "2026-01-26", "k");
        let (other, _) = booking("2026-01-25", "2026-01-30", "other");
        let claim = |d: &str| {
            Some(items::day_claim_item(
                employee(),
                domain::parse_iso_date(d).unwrap(),
                other.id(),
            ))
        };
        let reasons = vec![
            ok(),
            ok(),
            ok(),
            ok(),
            failed(claim("2026-01-25")),
            failed(claim("2026-01-26")),
            ok(),
        ];
        match outcome(&r, &plan, reasons) {
            Err(StoreError::Overlap { dates, held_by, .. }) => {
                assert_eq!(dates.len(), 2);
                assert_eq!(held_by, vec![other.id().clone()]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_overlap_is_reported_before_a_short_balance() {
        let (r, plan) = booking("2026-01-24", "2026-01-24", "k");
        let balance = items::balance_item(employee(), &YearBalance::new(2026, 1, 1).unwrap());
        let reasons = vec![ok(), failed(Some(balance)), ok(), failed(None), ok()];
        assert!(matches!(
            outcome(&r, &plan, reasons),
            Err(StoreError::Overlap { .. })
        ));
    }

    #[test]
    fn a_short_balance_reports_available_and_requested() {
        let (r, plan) = booking("2026-01-24", "2026-01-26", "k");
        let balance = items::balance_item(employee(), &YearBalance::new(2026, 10, 8).unwrap());
        let mut reasons = vec![ok(), failed(Some(balance))];
        reasons.extend((2..plan.actions.len()).map(|_| ok()));
        assert!(matches!(
            outcome(&r, &plan, reasons),
            Err(StoreError::InsufficientBalance {
                year: 2026,
                available: 2,
                requested: 3,
                ..
            })
        ));
    }

    /// A balance that another booking changed since it was read is planned again from
    /// the figures the refusal returned, not reported as a refusal.
    #[test]
    fn a_balance_that_moved_is_planned_again_from_its_new_figures() {
        let (r, plan) = booking("2026-01-24", "2026-01-26", "k");
        let now = YearBalance::new(2026, 20, 4).unwrap();
        let mut reasons = vec![ok(), failed(Some(items::balance_item(employee(), &now)))];
        reasons.extend((2..plan.actions.len()).map(|_| ok()));
        assert_eq!(
            outcome(&r, &plan, reasons).unwrap(),
            Applied::Moved(vec![now])
        );
    }

    #[test]
    fn a_missing_year_is_named() {
        let (r, plan) = booking("2025-12-31", "2026-01-01", "k");
        let reasons = vec![ok(), ok(), failed(None), ok(), ok(), ok(), ok()];
        assert!(matches!(
            outcome(&r, &plan, reasons),
            Err(StoreError::NoBalanceForYear { year: 2026, .. })
        ));
    }

    #[test]
    fn an_existing_reservation_is_a_replay_when_it_books_the_same_days() {
        let (r, plan) = booking("2026-01-24", "2026-01-25", "k");
        let existing = Some(items::reservation_item(&r));
        let own_claim = |d| Some(items::day_claim_item(employee(), d, r.id()));
        let reasons = vec![
            ok(),
            ok(),
            failed(existing),
            failed(own_claim(r.range().start())),
            failed(own_claim(r.range().end())),
            ok(),
        ];
        assert_eq!(
            outcome(&r, &plan, reasons).unwrap(),
            Applied::Replayed(r.clone())
        );

        let (moved, moved_plan) = booking("2026-03-01", "2026-03-02", "k");
        assert_eq!(moved.id(), r.id(), "same key, same id");
        let reasons = vec![
            ok(),
            ok(),
            failed(Some(items::reservation_item(&r))),
            ok(),
            ok(),
            ok(),
        ];
        assert!(matches!(
            outcome(&moved, &moved_plan, reasons),
            Err(StoreError::IdempotencyKeyReused)
        ));
    }

    #[test]
    fn contention_and_throttling_are_transient_and_conditions_are_not() {
        let code = |c: &str| CancellationReason::builder().code(c).build();
        for transient in [
            "TransactionConflict",
            "ThrottlingError",
            "ProvisionedThroughputExceeded",
        ] {
            assert_eq!(
                transient_reason(&[ok(), code(transient)]).as_deref(),
                Some(transient)
            );
        }
        assert_eq!(transient_reason(&[ok(), failed(None)]), None);
    }

    #[test]
    fn a_cancellation_no_condition_explains_is_a_dependency_failure() {
        let (r, plan) = booking("2026-01-24", "2026-01-24", "k");
        let code = |c: &str| CancellationReason::builder().code(c).build();
        let reasons = vec![ok(), code("ValidationError"), ok(), ok(), ok()];
        let err = outcome(&r, &plan, reasons).unwrap_err();
        assert!(
            matches!(err, StoreError::UnexpectedCancellation { .. }) && err.is_dependency_failure()
        );
    }
}
