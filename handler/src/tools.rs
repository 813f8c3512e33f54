//! What each tool does with the store, and how every outcome becomes a [`Reply`].

use chrono::Datelike;
use domain::DomainError;
use domain::{DateRange, EmployeeId, Reservation, YearBalance};
use futures::future::try_join_all;
use serde_json::{json, Value};
use store::{Attribution, CancelTarget, ReserveRequest, StoreError};

use crate::catalogue::Tool;
use crate::event::Event;
use crate::idempotency::{booking_key, Turn};
use crate::identity::{Caller, IdentityError};
use crate::params::InvalidArguments;
use crate::response::{Reply, Verdict};
use crate::Handler;

impl Handler {
    /// Days left in `year` (the current year when absent).
    pub(crate) async fn available(&self, employee: EmployeeId, year: Option<i32>) -> Reply {
        let year = year.unwrap_or_else(|| self.today().year());
        match self.store.get_balance(employee, year).await {
            Ok(b) => Reply::done(
                format!(
                    "Employee {employee} has {} vacation day(s) available in {year} ({} granted, {} taken or booked).",
                    b.available(),
                    b.total(),
                    b.taken()
                ),
                json!({
                    "employee_id": employee.get(),
                    "year": year,
                    "available_days": b.available(),
                    "total_days": b.total(),
                    "taken_days": b.taken(),
                }),
            ),
            Err(e) => store_problem(&e),
        }
    }

    /// Books `range` and answers from the committed write: the balances it left.
    pub(crate) async fn reserve(
        &self,
        tool: &Tool,
        event: &Event,
        caller: Caller,
        employee: EmployeeId,
        range: DateRange,
    ) -> Reply {
        let Some(session_id) = event.session_id().filter(|s| !s.is_empty()) else {
            return malformed(
                "the event has no sessionId, which a booking needs to be applied exactly once",
            );
        };
        let turn = Turn::of(event.prompt_session_attributes(), event.input_text());
        let request = ReserveRequest {
            employee,
            range,
            policy: self.settings.policy,
            idempotency_key: booking_key(
                self.store.table_name(),
                session_id,
                tool.name,
                employee,
                &range,
                turn,
            ),
            by: attribution(caller, employee, session_id),
        };
        let booking = match self.store.reserve(&request).await {
            Ok(b) => b,
            Err(e) => return store_problem(&e),
        };
        let reservation = &booking.reservation;
        tracing::debug!(reservation = %reservation.id(), "booked");
        let charged = reservation.charge().total_days();
        // A replay of a booking that already stood carries no figures of its own: read
        // them. The booking stands either way, so a failed read only costs the figures.
        let balances = match booking.balances {
            Some(balances) => Ok(balances),
            None => {
                let years = reservation.charge().charged_years();
                self.balances(employee, &years).await
            }
        };
        let (left, remaining) = match &balances {
            Ok(b) => (left_text(b), balances_json(b)),
            Err(e) => {
                tracing::warn!(error = %e, "booked, but the balance could not be read back");
                (
                    "the remaining balance could not be read just now; ask for it again in a moment".to_owned(),
                    Value::Null,
                )
            }
        };
        Reply::done(
            format!(
                "Booked {} for employee {employee} (reservation {}): {charged} day(s) charged; {left}.",
                reservation.range(),
                reservation.id(),
            ),
            json!({
                "reservation": reservation_json(reservation),
                "days_charged": charged,
                "remaining": remaining,
                "correction": booking.correction,
            }),
        )
    }

    /// The employee's bookings.
    pub(crate) async fn list(&self, employee: EmployeeId, year: Option<i32>) -> Reply {
        let reservations = match self.store.list_reservations(employee, year).await {
            Ok(r) => r,
            Err(e) => return store_problem(&e),
        };
        let scope = year.map(|y| format!(" touching {y}")).unwrap_or_default();
        let message = if reservations.is_empty() {
            format!("Employee {employee} has no booked vacations{scope}.")
        } else {
            let items: Vec<String> = reservations
                .iter()
                .map(|r| {
                    format!(
                        "{} ({} day(s), reservation {})",
                        r.range(),
                        r.charge().total_days(),
                        r.id()
                    )
                })
                .collect();
            format!(
                "Employee {employee} has {} booked vacation(s){scope}: {}.",
                reservations.len(),
                items.join("; ")
            )
        };
        Reply::done(
            message,
            json!({
                "employee_id": employee.get(),
                "year": year,
                "reservations": reservations.iter().map(reservation_json).collect::<Vec<_>>(),
            }),
        )
    }

    /// Cancels a booking and answers from the committed write: the refunded balances.
    pub(crate) async fn cancel(
        &self,
        event: &Event,
        caller: Caller,
        employee: EmployeeId,
        target: &CancelTarget,
    ) -> Reply {
        let Some(session_id) = event.session_id().filter(|s| !s.is_empty()) else {
            return malformed(
                "the event has no sessionId, which the history of a cancellation records",
            );
        };
        let by = attribution(caller, employee, session_id);
        let cancelled = match self.store.cancel(employee, target, &by).await {
            Ok(c) => c,
            Err(e) => return store_problem(&e),
        };
        let reservation = &cancelled.reservation;
        tracing::debug!(reservation = %reservation.id(), "cancelled");
        let refunded = reservation.charge().total_days();
        Reply::done(
            format!(
                "Cancelled {} for employee {employee} (reservation {}): {refunded} day(s) given back; {}.",
                reservation.range(),
                reservation.id(),
                left_text(&cancelled.balances)
            ),
            json!({
                "cancelled": reservation_json(reservation),
                "days_refunded": refunded,
                "remaining": balances_json(&cancelled.balances),
                "correction": cancelled.correction,
            }),
        )
    }

    async fn balances(
        &self,
        employee: EmployeeId,
        years: &[i32],
    ) -> Result<Vec<YearBalance>, StoreError> {
        try_join_all(years.iter().map(|y| self.store.get_balance(employee, *y))).await
    }
}

/// Who changes `employee`'s vacations, in which Bedrock session: what the history keeps
/// (ids only, no words).
fn attribution(caller: Caller, employee: EmployeeId, session_id: &str) -> Attribution {
    Attribution::new(
        caller.actor_for(employee),
        format!("bedrock-session:{session_id}"),
    )
}

fn reservation_json(r: &Reservation) -> Value {
    json!({
        "reservation_id": r.id().as_str(),
        "employee_id": r.employee().get(),
        "start_date": store::keys::iso_date(r.range().start()),
        "end_date": store::keys::iso_date(r.range().end()),
        "days": r.charge().total_days(),
        "charged_per_year": r.charge().years().iter()
            .map(|c| json!({"year": c.year, "days": c.days}))
            .collect::<Vec<_>>(),
    })
}

fn balances_json(balances: &[YearBalance]) -> Value {
    balances
        .iter()
        .map(
            |b| json!({"year": b.year(), "available_days": b.available(), "total_days": b.total()}),
        )
        .collect()
}

fn left_text(balances: &[YearBalance]) -> String {
    let parts: Vec<String> = balances
        .iter()
        .map(|b| format!("{} day(s) left in {}", b.available(), b.year()))
        .collect();
    parts.join(", ")
}

/// A malformed event: the model (or whatever sent it) must try again.
pub(crate) fn malformed(reason: impl std::fmt::Display) -> Reply {
    Reply::problem(
        Verdict::Reprompt,
        400,
        "malformed_event",
        format!("The request could not be understood: {reason}."),
        Value::Null,
    )
}

/// A function (or API path) the catalogue does not have.
pub(crate) fn unknown_function(name: &str) -> Reply {
    let known = crate::catalogue::names();
    Reply::problem(
        Verdict::Reprompt,
        404,
        "unknown_function",
        format!(
            "There is no function {:?}. The available functions are: {}.",
            crate::response::bounded(name, domain::MAX_ECHO_CHARS),
            known.join(", ")
        ),
        json!({ "available_functions": known }),
    )
}

/// An OpenAPI call with the wrong method for its path.
pub(crate) fn wrong_method(tool: &Tool, method: &str) -> Reply {
    Reply::problem(
        Verdict::Reprompt,
        405,
        "method_not_allowed",
        format!(
            "{} is called with {}, not {:?}.",
            tool.api_path(),
            tool.method.as_str(),
            crate::response::bounded(method, 16)
        ),
        json!({ "allowed_method": tool.method.as_str() }),
    )
}

/// Arguments that do not parse.
pub(crate) fn invalid_arguments(tool: &Tool, err: &InvalidArguments) -> Reply {
    let problems: Vec<Value> = err
        .0
        .iter()
        .map(|p| json!({"parameter": p.param(), "problem": p.to_string()}))
        .collect();
    Reply::problem(
        Verdict::Reprompt,
        400,
        "invalid_parameters",
        format!(
            "Some details of the {} request need fixing: {err}.",
            tool.name
        ),
        json!({ "problems": problems }),
    )
}

/// No usable identity in the session.
pub(crate) fn unidentified(err: &IdentityError) -> Reply {
    let code = match err {
        IdentityError::Missing => "not_signed_in",
        IdentityError::Invalid(_) => "invalid_identity",
    };
    Reply::problem(
        Verdict::Refused,
        403,
        code,
        capitalized(&err.to_string()),
        Value::Null,
    )
}

/// A caller acting for someone they may not.
pub(crate) fn forbidden(caller: Caller, employee: EmployeeId) -> Reply {
    let message = match caller {
        Caller::Employee(me) => format!(
            "You can only view and manage your own vacations (employee {me}), not those of employee {employee}."
        ),
        _ => format!("You may not view or manage the vacations of employee {employee}."),
    };
    Reply::problem(
        Verdict::Refused,
        403,
        "not_allowed",
        message,
        json!({ "employee_id": employee.get() }),
    )
}

/// Turns a store error into the answer the model relays: a refusal or a request to supply
/// something again, or `FAILURE` when DynamoDB (or the stored data) is broken.
pub(crate) fn store_problem(err: &StoreError) -> Reply {
    if err.is_dependency_failure() {
        tracing::error!(error = %err, cause = ?std::error::Error::source(err).map(ToString::to_string), "dependency failure");
        return Reply::problem(
            Verdict::Failure,
            503,
            "unavailable",
            "The vacation system is unavailable right now. Please try again in a few minutes.",
            Value::Null,
        );
    }
    let (verdict, status, code, details) = match err {
        StoreError::EmployeeNotFound(id) => (
            Verdict::Reprompt,
            404,
            "unknown_employee",
            json!({"employee_id": id.get()}),
        ),
        StoreError::EmployeeInactive(id) => (
            Verdict::Refused,
            409,
            "inactive_employee",
            json!({"employee_id": id.get()}),
        ),
        StoreError::NoBalanceForYear { year, .. } => (
            Verdict::Reprompt,
            404,
            "no_balance_for_year",
            json!({"year": year}),
        ),
        StoreError::NoBalances(_) => (Verdict::Reprompt, 404, "no_balance", Value::Null),
        StoreError::InsufficientBalance {
            year,
            available,
            requested,
            ..
        } => (
            Verdict::Reprompt,
            409,
            "insufficient_balance",
            json!({"year": year, "available_days": available, "requested_days": requested}),
        ),
        StoreError::Overlap { dates, held_by, .. } => (
            Verdict::Reprompt,
            409,
            "overlap",
            json!({
                "booked_dates": dates.iter().map(|d| store::keys::iso_date(*d)).collect::<Vec<_>>(),
                "held_by": held_by.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            }),
        ),
        StoreError::ReservationNotFound { .. } => {
            (Verdict::Reprompt, 404, "reservation_not_found", Value::Null)
        }
        StoreError::IdempotencyKeyReused => {
            (Verdict::Reprompt, 409, "request_already_used", Value::Null)
        }
        StoreError::Domain(DomainError::BookingInThePast { today, .. }) => (
            Verdict::Reprompt,
            400,
            "date_in_the_past",
            json!({"today": store::keys::iso_date(*today)}),
        ),
        StoreError::Domain(DomainError::CancellingTakenLeave { today, .. }) => (
            Verdict::Refused,
            409,
            "leave_already_started",
            json!({"today": store::keys::iso_date(*today)}),
        ),
        _ => (Verdict::Reprompt, 400, "invalid_request", Value::Null),
    };
    Reply::problem(verdict, status, code, store_message(err), details)
}

/// The answer when an event outlives [`crate::Settings::deadline`]: a broken dependency,
/// and a booking may or may not have been applied, so the user is told to check.
pub(crate) fn deadline_exceeded(deadline: std::time::Duration) -> Reply {
    Reply::problem(
        Verdict::Failure,
        504,
        "timeout",
        format!(
            "The vacation system did not answer within {} s. If you were booking or cancelling, \
             list the planned vacations before trying again.",
            deadline.as_secs_f64()
        ),
        json!({"deadline_ms": u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX)}),
    )
}

fn store_message(err: &StoreError) -> String {
    match err {
        StoreError::EmployeeNotFound(id) => {
            format!("There is no employee with id {id}. Please check the employee id.")
        }
        StoreError::InsufficientBalance {
            employee,
            year,
            available,
            requested,
        } => format!(
            "Not enough vacation days: employee {employee} has only {available} day(s) available in {year}, \
             and this booking needs {requested}. Choose a shorter range."
        ),
        StoreError::Overlap { .. } => format!(
            "{}. Choose days that are not booked yet.",
            capitalized(&err.to_string())
        ),
        StoreError::ReservationNotFound { .. } => format!(
            "{}; it may already have been cancelled. List the planned vacations to find the right one.",
            capitalized(&err.to_string())
        ),
        StoreError::IdempotencyKeyReused => {
            "This request was already used for a different booking. Please ask again.".to_owned()
        }
        other => format!("{}.", capitalized(&other.to_string())),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Verdict;
    use domain::parse_iso_date;

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    #[test]
    fn refusals_about_the_data_are_relayed_not_failures() {
        let cases = [
            (
                StoreError::EmployeeNotFound(id(9)),
                Verdict::Reprompt,
                "unknown_employee",
            ),
            (
                StoreError::EmployeeInactive(id(9)),
                Verdict::Refused,
                "inactive_employee",
            ),
            (
                StoreError::InsufficientBalance {
                    employee: id(2),
                    year: 2026,
                    available: 2,
                    requested: 3,
                },
                Verdict::Reprompt,
                "insufficient_balance",
            ),
            (
                StoreError::Overlap {
                    employee: id(2),
                    dates: vec![parse_iso_date("2026-01-26").unwrap()],
                    held_by: vec![],
                },
                Verdict::Reprompt,
                "overlap",
            ),
            (
                StoreError::IdempotencyKeyReused,
                Verdict::Reprompt,
                "request_already_used",
            ),
        ];
        for (err, verdict, code) in cases {
            let reply = store_problem(&err);
            assert_eq!((reply.verdict, reply.code()), (verdict, code), "{err:?}");
        }
    }

    #[test]
    fn the_insufficient_balance_message_says_how_many_days_are_left() {
        let reply = store_problem(&StoreError::InsufficientBalance {
            employee: id(2),
            year: 2026,
            available: 2,
            requested: 3,
        });
        let message = reply.body["message"].as_str().unwrap();
        assert!(
            message.contains("only 2 day(s) available in 2026"),
            "{message}"
        );
        assert_eq!(reply.body["available_days"], 2);
    }

    #[test]
    fn the_overlap_message_names_the_days() {
        let reply = store_problem(&StoreError::Overlap {
            employee: id(2),
            dates: vec![
                parse_iso_date("2026-01-25").unwrap(),
                parse_iso_date("2026-01-26").unwrap(),
            ],
            held_by: vec![],
        });
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains("2026-01-25, 2026-01-26"), "{message}");
        assert_eq!(
            reply.body["booked_dates"],
            json!(["2026-01-25", "2026-01-26"])
        );
    }

    #[test]
    fn only_a_broken_dependency_is_a_failure() {
        let err = StoreError::Contention {
            operation: "TransactWriteItems",
            attempts: 8,
            reason: "ThrottlingError".into(),
        };
        let reply = store_problem(&err);
        assert_eq!((reply.verdict, reply.status), (Verdict::Failure, 503));
        // The caller is not told about DynamoDB internals.
        assert!(!reply.body["message"]
            .as_str()
            .unwrap()
            .contains("Throttling"));
    }
}
