//! Booking: one conditional `TransactWriteItems`, and the reading of its cancellation
//! reasons.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use chrono::NaiveDate;
use domain::{
    Charge, DateRange, DayCountPolicy, EmployeeId, EmployeeStatus, IdempotencyKey, Reservation,
    ReservationId,
};

use crate::items::{self, Item};
use crate::keys;
use crate::retry::Attempt;
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
    /// Identifies the request: a retry with the same key is applied once.
    pub idempotency_key: IdempotencyKey,
}

/// What each action of the transaction is, in the transaction's order, so that the
/// cancellation reasons (which come back in the same order) can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    EmployeeCheck,
    Balance { year: i32, days: u32 },
    Reservation,
    Claim(NaiveDate),
}

/// A prepared transaction: its actions, what they are, and its client token.
pub(crate) struct Plan {
    pub items: Vec<TransactWriteItem>,
    pub actions: Vec<Action>,
    pub token: String,
}

/// The client request token for `purpose` on `key`: 32 hex characters (DynamoDB takes
/// 1 to 36), the same for every retry of the request.
pub(crate) fn client_token(key: &IdempotencyKey, employee: EmployeeId, purpose: &str) -> String {
    key.digest(employee, purpose)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn n(value: u32) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Builds the reservation a request would write.
pub(crate) fn reservation_for(request: &ReserveRequest) -> Result<Reservation, StoreError> {
    let charge: Charge = request.policy.charge(&request.range)?;
    let id = ReservationId::derive(request.employee, &request.idempotency_key);
    Ok(Reservation::new(
        id,
        request.employee,
        request.range,
        charge,
    )?)
}

/// The transaction that books `reservation` in `table`.
pub(crate) fn plan(
    table: &str,
    reservation: &Reservation,
    key: &IdempotencyKey,
) -> Result<Plan, StoreError> {
    let employee = reservation.employee();
    let pk = keys::employee_pk(employee);
    let all_old = ReturnValuesOnConditionCheckFailure::AllOld;
    let mut items = Vec::new();
    let mut actions = Vec::new();

    items.push(
        TransactWriteItem::builder()
            .condition_check(
                ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(items::key(pk.clone(), keys::PROFILE.to_owned())))
                    .condition_expression("attribute_exists(PK) AND #status = :active")
                    .set_expression_attribute_names(Some(names(&[("#status", "status")])))
                    .expression_attribute_values(":active", s(EmployeeStatus::Active.as_str()))
                    .return_values_on_condition_check_failure(all_old.clone())
                    .build()
                    .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?,
            )
            .build(),
    );
    actions.push(Action::EmployeeCheck);

    for charge in reservation.charge().years() {
        items.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(items::key(pk.clone(), keys::year_sk(charge.year))))
                        .update_expression(
                            "SET #available = #available - :days, #taken = #taken + :days",
                        )
                        .condition_expression("attribute_exists(PK) AND #available >= :days")
                        .set_expression_attribute_names(Some(names(&[
                            ("#available", "available"),
                            ("#taken", "taken"),
                        ])))
                        .expression_attribute_values(":days", n(charge.days))
                        .return_values_on_condition_check_failure(all_old.clone())
                        .build()
                        .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?,
                )
                .build(),
        );
        actions.push(Action::Balance {
            year: charge.year,
            days: charge.days,
        });
    }

    let put = |item: Item| {
        Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(all_old.clone())
            .build()
            .map(|p| TransactWriteItem::builder().put(p).build())
            .map_err(|e| StoreError::dynamo("TransactWriteItems", e))
    };
    items.push(put(items::reservation_item(reservation))?);
    actions.push(Action::Reservation);
    for day in reservation.range().days() {
        items.push(put(items::day_claim_item(employee, day, reservation.id()))?);
        actions.push(Action::Claim(day));
    }

    Ok(Plan {
        items,
        actions,
        token: client_token(key, employee, "reserve"),
    })
}

/// Reads why DynamoDB cancelled a booking. Reasons come back in action order. The most
/// fundamental refusal wins: who (employee), then whether it is a replay of this very
/// booking, then which days clash, then which year lacks a balance or days.
pub(crate) fn interpret_cancellation(
    reservation: &Reservation,
    actions: &[Action],
    reasons: &[CancellationReason],
) -> Attempt<Reservation> {
    let employee = reservation.employee();
    let failed = |r: &CancellationReason| r.code() == Some("ConditionalCheckFailed");

    let mut overlap_dates = Vec::new();
    let mut held_by = Vec::new();
    let mut missing_year = None;
    let mut short = None;
    for (action, reason) in actions.iter().zip(reasons).filter(|(_, r)| failed(r)) {
        let old = reason.item();
        match action {
            Action::EmployeeCheck => {
                let error = match old {
                    None => StoreError::EmployeeNotFound(employee),
                    Some(item) => match items::employee_from_item(item) {
                        Ok(_) => StoreError::EmployeeInactive(employee),
                        Err(e) => e,
                    },
                };
                return Attempt::Done(Err(error));
            }
            Action::Reservation => {
                let Some(item) = old else { continue };
                return Attempt::Done(match items::reservation_from_item(item) {
                    // The same booking was already applied (a retry after the token's
                    // ten minutes, or a concurrent duplicate): report it as booked.
                    Ok(existing) if existing.range() == reservation.range() => Ok(existing),
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
            Action::Balance { year, days } => match old {
                None => missing_year = missing_year.or(Some(*year)),
                Some(item) => {
                    let available = items::balance_from_item(item).map(|b| b.available());
                    match available {
                        Ok(available) => {
                            short = short.or(Some((*year, available, *days)));
                        }
                        Err(e) => return Attempt::Done(Err(e)),
                    }
                }
            },
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
    } else {
        unexpected(reasons)
    };
    Attempt::Done(Err(error))
}

impl Store {
    /// Books `request.range` for `request.employee` in one conditional transaction.
    ///
    /// On success every day of the range is claimed by the returned reservation and each
    /// touched year's balance is charged its days. Otherwise nothing is written and the
    /// error says why: [`StoreError::EmployeeNotFound`], [`StoreError::EmployeeInactive`],
    /// [`StoreError::Overlap`], [`StoreError::NoBalanceForYear`],
    /// [`StoreError::InsufficientBalance`], [`StoreError::IdempotencyKeyReused`], or a
    /// dependency failure.
    ///
    /// Retrying with the same idempotency key returns the same reservation without
    /// charging again.
    #[tracing::instrument(skip(self, request), fields(employee = %request.employee, days = request.range.calendar_days()))]
    pub async fn reserve(&self, request: &ReserveRequest) -> Result<Reservation, StoreError> {
        let reservation = reservation_for(request)?;
        let plan = plan(&self.table, &reservation, &request.idempotency_key)?;
        self.transact(&plan.items, &plan.token, reservation.clone(), |reasons| {
            interpret_cancellation(&reservation, &plan.actions, reasons)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transact::transient_reason;
    use domain::{Employee, YearBalance};

    fn employee() -> EmployeeId {
        EmployeeId::new(2).unwrap()
    }

    fn booking(start: &str, end: &str, key: &str) -> (Reservation, Plan) {
        let request = ReserveRequest {
            employee: employee(),
            range: DateRange::parse(start, end).unwrap(),
            policy: DayCountPolicy::CalendarDays,
            idempotency_key: IdempotencyKey::new(key).unwrap(),
        };
        let reservation = reservation_for(&request).unwrap();
        let plan = plan("t", &reservation, &request.idempotency_key).unwrap();
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
    ) -> Result<Reservation, StoreError> {
        assert_eq!(reasons.len(), plan.actions.len());
        match interpret_cancellation(r, &plan.actions, &reasons) {
            Attempt::Done(result) => result,
            Attempt::Retry(why) => panic!("unexpected retry: {why}"),
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
                    days: 1
                },
                Action::Balance {
                    year: 2026,
                    days: 2
                },
                Action::Reservation,
                Action::Claim(r.range().start()),
                Action::Claim(r.range().start().succ_opt().unwrap()),
                Action::Claim(r.range().end()),
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
        let reasons = vec![ok(), failed(Some(balance)), ok(), failed(None)];
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

    #[test]
    fn a_missing_year_is_named() {
        let (r, plan) = booking("2025-12-31", "2026-01-01", "k");
        let reasons = vec![ok(), ok(), failed(None), ok(), ok(), ok()];
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
        ];
        assert_eq!(outcome(&r, &plan, reasons).unwrap(), r);

        let (moved, moved_plan) = booking("2026-03-01", "2026-03-02", "k");
        assert_eq!(moved.id(), r.id(), "same key, same id");
        let reasons = vec![
            ok(),
            ok(),
            failed(Some(items::reservation_item(&r))),
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
        let reasons = vec![ok(), code("ValidationError"), ok(), ok()];
        let err = outcome(&r, &plan, reasons).unwrap_err();
        assert!(
            matches!(err, StoreError::UnexpectedCancellation { .. }) && err.is_dependency_failure()
        );
    }
}
