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
