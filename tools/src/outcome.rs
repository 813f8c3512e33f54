//! What a tool call comes to, before any transport shapes it: an [`Outcome`] with a
//! [`Verdict`], a stable code, a message the model can relay, and the data; and every
//! outcome that is not a use-case's own answer (a malformed request, an unknown tool,
//! invalid arguments, no identity, a refusal, a broken dependency, a deadline), written once.

use domain::DomainError;
use domain::EmployeeId;
use serde_json::{json, Map, Value};
use store::StoreError;

use crate::args::InvalidArguments;
use crate::caller::{Caller, IdentityError};
use crate::catalogue::Tool;

/// How a call went; each transport says it its own way (Classic: `responseState`;
/// OpenAPI: the status; Gateway and MCP: `ok` / `isError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Done as asked.
    Done,
    /// A refusal with nothing for the user to supply again (not allowed, inactive
    /// employee): an answer the model relays.
    Refused,
    /// The user (or the model) must supply something different: other dates, a valid
    /// id, a missing detail.
    NeedsInput,
    /// A dependency is broken (DynamoDB, or the stored data), or too slow.
    DependencyFailure,
}

/// A tool's answer before a transport shapes it: a verdict, the HTTP status that names it
/// (for HTTP-shaped transports such as OpenAPI action groups), and a JSON object that
/// always holds `ok` and a `message` the model can relay (plus `error`, a stable code,
/// when not ok).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// How it went.
    pub verdict: Verdict,
    /// The OpenAPI status.
    pub status: u16,
    /// The body.
    pub body: Map<String, Value>,
}

impl Outcome {
    /// A successful answer: `fields` plus `ok: true` and `message`.
    pub fn done(message: impl Into<String>, fields: Value) -> Self {
        let mut body = object(fields);
        body.insert("ok".into(), Value::Bool(true));
        body.insert("message".into(), Value::String(message.into()));
        Self {
            verdict: Verdict::Done,
            status: 200,
            body,
        }
    }

    /// An unsuccessful answer: `details` plus `ok: false`, `error: code` and `message`.
    pub fn problem(
        verdict: Verdict,
        status: u16,
        code: &str,
        message: impl Into<String>,
        details: Value,
    ) -> Self {
        let mut body = object(details);
        body.insert("ok".into(), Value::Bool(false));
        body.insert("error".into(), Value::String(code.to_owned()));
        body.insert("message".into(), Value::String(message.into()));
        Self {
            verdict,
            status,
            body,
        }
    }

    /// The stable code of an unsuccessful reply (`"ok"` otherwise), for logs and tests.
    pub fn code(&self) -> &str {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("ok")
    }

    /// The message the model relays.
    pub fn message(&self) -> &str {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The reservation a booking or cancellation answer is about, for the log line.
    pub fn reservation_id(&self) -> Option<&str> {
        ["reservation", "cancelled"]
            .iter()
            .find_map(|k| self.body.get(*k)?.get("reservation_id")?.as_str())
    }
}

/// The longest answer body a transport sends, in bytes: whatever a call produced, the
/// answer stays under 64 KB with its envelope (Bedrock's limit for an action group's
/// answer, and ample for every other transport).
pub const MAX_BODY_BYTES: usize = 60 * 1024;

impl Outcome {
    /// The body as JSON text.
    pub fn to_json_text(&self) -> String {
        Value::Object(self.body.clone()).to_string()
    }

    /// This outcome, or [`answer_too_large`] when its body exceeds [`MAX_BODY_BYTES`].
    pub fn bounded(self) -> Self {
        self.sized().0
    }

    /// [`Outcome::bounded`], with the body's JSON text (written once).
    pub fn sized(self) -> (Self, String) {
        let text = self.to_json_text();
        if text.len() <= MAX_BODY_BYTES {
            return (self, text);
        }
        tracing::warn!(
            bytes = text.len(),
            code = self.code(),
            "answer too large, replaced"
        );
        let too_large = answer_too_large();
        let text = too_large.to_json_text();
        (too_large, text)
    }
}

/// An answer too large to send.
pub fn answer_too_large() -> Outcome {
    Outcome::problem(
        Verdict::NeedsInput,
        413,
        "answer_too_large",
        "The answer was too large to send. Ask for less at once (for example one year of bookings).",
        Value::Null,
    )
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => Map::from_iter([("value".to_owned(), other)]),
    }
}

/// A malformed event: the model (or whatever sent it) must try again.
pub fn malformed(reason: impl std::fmt::Display) -> Outcome {
    Outcome::problem(
        Verdict::NeedsInput,
        400,
        "malformed_event",
        format!("The request could not be understood: {reason}."),
        Value::Null,
    )
}

/// A function (or API path) the catalogue does not have.
pub fn unknown_function(name: &str) -> Outcome {
    let known = crate::catalogue::names();
    Outcome::problem(
        Verdict::NeedsInput,
        404,
        "unknown_function",
        format!(
            "There is no function {:?}. The available functions are: {}.",
            domain::bounded(name, domain::MAX_ECHO_CHARS),
            known.join(", ")
        ),
        json!({ "available_functions": known }),
    )
}

/// An OpenAPI call with the wrong method for its path.
pub fn wrong_method(tool: &Tool, method: &str) -> Outcome {
    Outcome::problem(
        Verdict::NeedsInput,
        405,
        "method_not_allowed",
        format!(
            "{} is called with {}, not {:?}.",
            tool.api_path(),
            tool.method.as_str(),
            domain::bounded(method, 16)
        ),
        json!({ "allowed_method": tool.method.as_str() }),
    )
}

/// Arguments that do not parse.
pub fn invalid_arguments(tool: &Tool, err: &InvalidArguments) -> Outcome {
    let problems: Vec<Value> = err
        .0
        .iter()
        .map(|p| json!({"parameter": p.param(), "problem": p.to_string()}))
        .collect();
    Outcome::problem(
        Verdict::NeedsInput,
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
pub fn unidentified(err: &IdentityError) -> Outcome {
    let code = match err {
        IdentityError::Missing => "not_signed_in",
        IdentityError::Invalid(_) => "invalid_identity",
    };
    Outcome::problem(
        Verdict::Refused,
        403,
        code,
        capitalized(&err.to_string()),
        Value::Null,
    )
}

/// A caller acting for someone they may not.
pub fn forbidden(caller: Caller, employee: EmployeeId) -> Outcome {
    let message = match caller {
        Caller::Employee(me) => format!(
            "You can only view and manage your own vacations (employee {me}), not those of employee {employee}."
        ),
        _ => format!("You may not view or manage the vacations of employee {employee}."),
    };
    Outcome::problem(
        Verdict::Refused,
        403,
        "not_allowed",
        message,
        json!({ "employee_id": employee.get() }),
    )
}

/// Turns a store error into the answer the model relays: a refusal or a request to supply
/// something again, or `FAILURE` when DynamoDB (or the stored data) is broken.
pub fn store_problem(err: &StoreError) -> Outcome {
    if err.is_dependency_failure() {
        tracing::error!(error = %err, cause = ?std::error::Error::source(err).map(ToString::to_string), "dependency failure");
        return Outcome::problem(
            Verdict::DependencyFailure,
            503,
            "unavailable",
            "The vacation system is unavailable right now. Please try again in a few minutes.",
            Value::Null,
        );
    }
    let (verdict, status, code, details) = match err {
        StoreError::EmployeeNotFound(id) => (
            Verdict::NeedsInput,
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
            Verdict::NeedsInput,
            404,
            "no_balance_for_year",
            json!({"year": year}),
        ),
        StoreError::NoBalances(_) => (Verdict::NeedsInput, 404, "no_balance", Value::Null),
        StoreError::InsufficientBalance {
            year,
            available,
            requested,
            ..
        } => (
            Verdict::NeedsInput,
            409,
            "insufficient_balance",
            json!({"year": year, "available_days": available, "requested_days": requested}),
        ),
        StoreError::Overlap { dates, held_by, .. } => (
            Verdict::NeedsInput,
            409,
            "overlap",
            json!({
                "booked_dates": dates.iter().map(|d| store::keys::iso_date(*d)).collect::<Vec<_>>(),
                "held_by": held_by.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            }),
        ),
        StoreError::ReservationNotFound { .. } => (
            Verdict::NeedsInput,
            404,
            "reservation_not_found",
            Value::Null,
        ),
        StoreError::IdempotencyKeyReused => (
            Verdict::NeedsInput,
            409,
            "request_already_used",
            Value::Null,
        ),
        StoreError::Domain(DomainError::BookingInThePast { today, .. }) => (
            Verdict::NeedsInput,
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
        _ => (Verdict::NeedsInput, 400, "invalid_request", Value::Null),
    };
    Outcome::problem(verdict, status, code, store_message(err), details)
}

/// The answer when an event outlives [`crate::Settings::deadline`]: a broken dependency,
/// and a booking may or may not have been applied, so the user is told to check.
pub fn deadline_exceeded(deadline: std::time::Duration) -> Outcome {
    Outcome::problem(
        Verdict::DependencyFailure,
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
    use domain::parse_iso_date;

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    #[test]
    fn refusals_about_the_data_are_relayed_not_failures() {
        let cases = [
            (
                StoreError::EmployeeNotFound(id(9)),
                Verdict::NeedsInput,
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
                Verdict::NeedsInput,
                "insufficient_balance",
            ),
            (
                StoreError::Overlap {
                    employee: id(2),
                    dates: vec![parse_iso_date("2026-01-26").unwrap()],
                    held_by: vec![],
                },
                Verdict::NeedsInput,
                "overlap",
            ),
            (
                StoreError::IdempotencyKeyReused,
                Verdict::NeedsInput,
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
        assert_eq!(
            (reply.verdict, reply.status),
            (Verdict::DependencyFailure, 503)
        );
        // The caller is not told about DynamoDB internals.
        assert!(!reply.body["message"]
            .as_str()
            .unwrap()
            .contains("Throttling"));
    }
}
