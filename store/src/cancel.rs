//! Cancelling: read the reservation and its balances, then undo it in one conditional
//! transaction that also writes its history entry.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use chrono::NaiveDate;
use domain::history::{ChangeKind, HistoryEntry};
use domain::{rules, EmployeeId, Reservation, ReservationId, YearBalance};

use crate::change::{
    balance_now, employee_refusal, refused, Action, Applied, Attribution, BalanceNow, Change,
    Direction, Outcome, Plan,
};
use crate::error::Inconsistency;
use crate::items;
use crate::keys;
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

/// A cancellation that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The reservation that no longer exists.
    pub reservation: Reservation,
    /// Each refunded year's balance right after the cancellation, from the write itself.
    pub balances: Vec<YearBalance>,
    /// Whether an HR user cancelled days before today.
    pub correction: bool,
}

/// The transaction that cancels `reservation`, from the balances `before`.
fn plan(
    table: &str,
    reservation: &Reservation,
    before: &BTreeMap<i32, YearBalance>,
    history: &HistoryEntry,
    check_active: bool,
    token: String,
) -> Result<Plan, StoreError> {
    let employee = reservation.employee();
    let pk = keys::employee_pk(employee);
    let mut plan = Plan::new(token);
    plan.check_employee(table, employee, check_active)?;
    plan.delete_if(
        table,
        items::key(pk.clone(), keys::reservation_sk(reservation.id())),
        "incarnation = :incarnation",
        HashMap::from([(
            ":incarnation".to_owned(),
            AttributeValue::S(reservation.incarnation().to_string()),
        )]),
        Action::Reservation,
    )?;
    for day in reservation.claimed_days() {
        plan.delete_if(
            table,
            items::key(pk.clone(), keys::day_sk(day)),
            "reservation_id = :rid",
            HashMap::from([(
                ":rid".to_owned(),
                AttributeValue::S(reservation.id().to_string()),
            )]),
            Action::Claim(day),
        )?;
    }
    for charge in reservation.charge().years() {
        plan.change_balance(
            table,
            employee,
            charge.year,
            charge.days,
            before.get(&charge.year).copied(),
            Direction::GiveBack,
        )?;
    }
    plan.put_new(table, items::history_item(history), Action::History)?;
    Ok(plan)
}

/// Reads why DynamoDB refused a cancellation. The employee's profile comes first, then
/// whether the reservation is still the one read; with the reservation in place, a missing
/// claim or balance, or a refund larger than `taken`, is stored data that contradicts
/// itself (a dependency failure, never the user's mistake); a balance that merely moved is
/// planned again.
fn interpret(
    reservation: &Reservation,
    actions: &[Action],
    reasons: &[CancellationReason],
) -> Attempt<Applied> {
    let employee = reservation.employee();
    let pk = || keys::employee_pk(employee);
    let mut inconsistent = None;
    let mut moved = Vec::new();
    for (action, reason) in actions.iter().zip(reasons).filter(|(_, r)| refused(r)) {
        match action {
            Action::EmployeeCheck => return Attempt::Done(Err(employee_refusal(employee, reason))),
            // Cancelled (and perhaps booked again) since we read it.
            Action::Reservation => {
                return Attempt::Done(Err(StoreError::ReservationNotFound {
                    employee,
                    target: reservation.id().to_string(),
                }))
            }
            Action::Claim(date) => {
                inconsistent = inconsistent.or(Some(StoreError::Inconsistent {
                    pk: pk(),
                    sk: keys::day_sk(*date),
                    problem: Inconsistency::MissingClaim,
                }));
            }
            Action::Balance { year, days, before } => {
                let sk = keys::year_sk(*year);
                match balance_now(reason) {
                    Err(e) => return Attempt::Done(Err(e)),
                    Ok(BalanceNow::Missing) => {
                        inconsistent = inconsistent.or(Some(StoreError::Inconsistent {
                            pk: pk(),
                            sk,
                            problem: Inconsistency::MissingBalance,
                        }));
                    }
                    Ok(BalanceNow::Is(now)) if now.taken() < *days => {
                        inconsistent = inconsistent.or(Some(StoreError::Inconsistent {
                            pk: pk(),
                            sk,
                            problem: Inconsistency::RefundExceedsTaken {
                                taken: now.taken(),
                                requested: *days,
                            },
                        }));
                    }
                    Ok(BalanceNow::Is(now)) if Some(now) != *before => moved.push(now),
                    Ok(BalanceNow::Is(_)) => {}
                }
            }
            Action::History => {}
        }
    }
    match inconsistent {
        Some(error) => Attempt::Done(Err(error)),
        None if !moved.is_empty() => Attempt::Done(Ok(Applied::Moved(moved))),
        None => Attempt::Done(Err(unexpected(reasons))),
    }
}

/// Refuses before writing what the read already shows to be inconsistent: a charged year
/// with no balance, or fewer days taken than the refund gives back.
fn check_refundable(
    reservation: &Reservation,
    before: &BTreeMap<i32, YearBalance>,
) -> Result<(), StoreError> {
    for charge in reservation.charge().years() {
        let problem = match before.get(&charge.year) {
            None => Inconsistency::MissingBalance,
            Some(b) if b.taken() < charge.days => Inconsistency::RefundExceedsTaken {
                taken: b.taken(),
                requested: charge.days,
            },
            Some(_) => continue,
        };
        return Err(StoreError::Inconsistent {
            pk: keys::employee_pk(reservation.employee()),
            sk: keys::year_sk(charge.year),
            problem,
        });
    }
    Ok(())
}

impl Store {
    /// Cancels a reservation: deletes it and its day claims, gives each charged year its
    /// days back and writes a history entry, all in one transaction conditioned on the
    /// reservation being the very incarnation read and the balances the very figures read.
    ///
    /// An employee (and HR acting on their own vacation) may cancel only a reservation none
    /// of whose charged days is before today, and only while Active; HR may cancel any, as
    /// a correction when it has started. By date, any day of the range finds it (a weekend
    /// day that the weekdays policy does not claim included). Returns what the table now holds: the cancelled reservation and the
    /// balances after the refund.
    #[tracing::instrument(skip(self, by), fields(employee = %employee, actor = %by.actor))]
    pub async fn cancel(
        &self,
        employee: EmployeeId,
        target: &CancelTarget,
        by: &Attribution,
    ) -> Result<Cancellation, StoreError> {
        let not_found = || StoreError::ReservationNotFound {
            employee,
            target: target.to_string(),
        };
        let id = match target {
            CancelTarget::Id(id) => id.clone(),
            CancelTarget::Covering(date) => match self.day_claim_owner(employee, *date).await? {
                Some(id) => id,
                // An unclaimed day inside a booking (a weekend under the weekdays policy).
                None => self
                    .list_reservations(employee, None)
                    .await?
                    .into_iter()
                    .find(|r| r.range().days().any(|d| d == *date))
                    .map(|r| r.id().clone())
                    .ok_or_else(not_found)?,
            },
        };
        let reservation = match self.get_reservation(employee, &id).await? {
            Some(r) => r,
            // A claim naming a reservation that does not exist: the table contradicts
            // itself, and saying "not found" would leave the day blocked for good.
            None if matches!(target, CancelTarget::Covering(_)) => {
                return Err(StoreError::Inconsistent {
                    pk: keys::employee_pk(employee),
                    sk: keys::reservation_sk(&id),
                    problem: Inconsistency::MissingReservation,
                })
            }
            None => return Err(not_found()),
        };
        // The claim of that day names this reservation: it must book that day, or the
        // table contradicts itself and cancelling would refund days nobody asked about.
        if let CancelTarget::Covering(date) = target {
            if !reservation.range().days().any(|d| d == *date) {
                return Err(StoreError::Inconsistent {
                    pk: keys::employee_pk(employee),
                    sk: keys::day_sk(*date),
                    problem: Inconsistency::ClaimOutsideReservation,
                });
            }
        }
        let correction = rules::check_cancelling(&reservation, self.clock.today(), &by.actor)?;
        let years = reservation.charge().charged_years();
        let (mut before, guessed) = self.planning_balances(employee, &years).await?;
        // A guess is verified by the transaction, but a refusal made before sending it
        // must rest on what the table holds.
        if guessed.0 && check_refundable(&reservation, &before).is_err() {
            before = self.year_balances(employee, &years).await?;
        }
        // HR may cancel for an inactive employee; everyone else needs them Active.
        let check_active = !by.actor.has_hr_authority();
        let change = Change {
            kind: ChangeKind::Cancelled,
            reservation: &reservation,
            by,
            correction: correction.0,
            direction: Direction::GiveBack,
            plan: |before: &BTreeMap<i32, YearBalance>, history: &HistoryEntry, token| {
                check_refundable(&reservation, before)?;
                plan(
                    &self.table,
                    &reservation,
                    before,
                    history,
                    check_active,
                    token,
                )
            },
            interpret: |actions: &[Action], reasons: &[CancellationReason]| {
                interpret(&reservation, actions, reasons)
            },
        };
        match self.apply(change, before).await? {
            Outcome::Written(balances) => Ok(Cancellation {
                balances,
                correction: correction.0,
                reservation,
            }),
            // Only a booking's reservation put can find its own earlier write.
            Outcome::Replayed(_) => Err(unexpected(&[])),
        }
    }
}
