//! Cancelling: read the reservation, then undo it in one conditional transaction.

use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use chrono::NaiveDate;
use domain::{DomainError, EmployeeId, IdempotencyKey, Reservation, ReservationId};

use crate::items;
use crate::keys;
use crate::reserve::client_token;
use crate::retry::Attempt;
use crate::transact::unexpected;
use crate::{Store, StoreError};

/// Which reservation to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelTarget {
    /// The reservation with this id.
    Id(ReservationId),
    /// The reservation that books this day (usually its start date).
    Covering(NaiveDate),
}

impl std::fmt::Display for CancelTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Covering(date) => write!(f, "covering {}", keys::iso_date(*date)),
        }
    }
}

enum Step {
    Reservation,
    Claim,
    Balance { year: i32, days: u32 },
}

fn build(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::dynamo("TransactWriteItems", e)
}

fn plan(
    table: &str,
    reservation: &Reservation,
) -> Result<(Vec<TransactWriteItem>, Vec<Step>), StoreError> {
    let pk = keys::employee_pk(reservation.employee());
    let rid = AttributeValue::S(reservation.id().to_string());
    let all_old = ReturnValuesOnConditionCheckFailure::AllOld;
    let iso = |d: NaiveDate| AttributeValue::S(keys::iso_date(d));
    let mut items = Vec::new();
    let mut steps = Vec::new();

    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(items::key(
            pk.clone(),
            keys::reservation_sk(reservation.id()),
        )))
        .condition_expression("attribute_exists(PK) AND start_date = :start AND end_date = :end")
        .expression_attribute_values(":start", iso(reservation.range().start()))
        .expression_attribute_values(":end", iso(reservation.range().end()))
        .return_values_on_condition_check_failure(all_old.clone())
        .build()
        .map_err(build)?;
    items.push(TransactWriteItem::builder().delete(delete).build());
    steps.push(Step::Reservation);

    for day in reservation.range().days() {
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(items::key(pk.clone(), keys::day_sk(day))))
            .condition_expression("reservation_id = :rid")
            .expression_attribute_values(":rid", rid.clone())
            .return_values_on_condition_check_failure(all_old.clone())
            .build()
            .map_err(build)?;
        items.push(TransactWriteItem::builder().delete(delete).build());
        steps.push(Step::Claim);
    }

    for charge in reservation.charge().years() {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(items::key(pk.clone(), keys::year_sk(charge.year))))
            .update_expression("SET #available = #available + :days, #taken = #taken - :days")
            .condition_expression("attribute_exists(PK) AND #taken >= :days")
            .expression_attribute_names("#available", "available")
            .expression_attribute_names("#taken", "taken")
            .expression_attribute_values(":days", AttributeValue::N(charge.days.to_string()))
            .return_values_on_condition_check_failure(all_old.clone())
            .build()
            .map_err(build)?;
        items.push(TransactWriteItem::builder().update(update).build());
        steps.push(Step::Balance {
            year: charge.year,
            days: charge.days,
        });
    }
    Ok((items, steps))
}

fn interpret(
    reservation: &Reservation,
    steps: &[Step],
    reasons: &[CancellationReason],
) -> Attempt<Reservation> {
    let employee = reservation.employee();
    for (step, reason) in steps.iter().zip(reasons) {
        if reason.code() != Some("ConditionalCheckFailed") {
            continue;
        }
        let error = match step {
            // Cancelled or changed concurrently since we read it.
            Step::Reservation | Step::Claim => StoreError::ReservationNotFound {
                employee,
                target: reservation.id().to_string(),
            },
            Step::Balance { year, days } => match reason.item() {
                None => StoreError::NoBalanceForYear {
                    employee,
                    year: *year,
                },
                Some(item) => match items::balance_figures_from_item(item) {
                    Ok(f) => StoreError::Domain(DomainError::RefundExceedsTaken {
                        year: *year,
                        taken: u32::try_from(f.taken).unwrap_or(0),
                        requested: *days,
                    }),
                    Err(e) => e,
                },
            },
        };
        return Attempt::Done(Err(error));
    }
    Attempt::Done(Err(unexpected(reasons)))
}

impl Store {
    /// Cancels a reservation: deletes it and its day claims and refunds each charged
    /// year, all in one transaction conditioned on the reservation and its claims being
    /// exactly as read. Returns the cancelled reservation.
    #[tracing::instrument(skip(self), fields(employee = %employee))]
    pub async fn cancel(
        &self,
        employee: EmployeeId,
        target: &CancelTarget,
    ) -> Result<Reservation, StoreError> {
        let not_found = || StoreError::ReservationNotFound {
            employee,
            target: target.to_string(),
        };
        let id = match target {
            CancelTarget::Id(id) => id.clone(),
            CancelTarget::Covering(date) => self
                .day_claim_owner(employee, *date)
                .await?
                .ok_or_else(not_found)?,
        };
        let reservation = self
            .get_reservation(employee, &id)
            .await?
            .ok_or_else(not_found)?;
        let (items, steps) = plan(&self.table, &reservation)?;
        let identity = format!(
            "{}/{}/{}",
            reservation.id(),
            reservation.range().start(),
            reservation.range().end()
        );
        let token = client_token(&IdempotencyKey::new(identity)?, employee, "cancel");

        self.transact(&items, &token, reservation.clone(), |reasons| {
            interpret(&reservation, &steps, reasons)
        })
        .await
    }
}
