//! Strict reading of a tool's arguments into a typed [`Request`], from either form they
//! travel in: text values (Bedrock, [`parse_text`]) or typed JSON (MCP and the AgentCore
//! Gateway, [`parse_json`]).
//!
//! Every value is parsed with the domain's own parsers from its text, and nothing is
//! trimmed or guessed: `"2"` is an employee id, `" 2"` and `"2.0"` are not; dates are
//! `YYYY-MM-DD` only. A JSON number is read from its JSON text (`2` is `"2"`, `2.0` is
//! `"2.0"` and refused alike), and a whole-number parameter also takes a numeric JSON
//! string, since some clients send one; a text parameter takes only a JSON string. A JSON
//! `null` counts as left out. Every problem is reported at once, so the model can fix
//! them all in one go.

use std::borrow::Cow;
use std::fmt;

use domain::{parse_iso_date, parse_year, DateRange, DomainError, EmployeeId, ReservationId};
use store::CancelTarget;

use crate::catalogue::{ParamType, Tool, ToolId};

/// One argument's value, as a transport carries it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArgValue<'a> {
    /// Text, whatever the declared type (Bedrock).
    Text(&'a str),
    /// A typed JSON value (MCP, the Gateway).
    Json(&'a serde_json::Value),
}

/// A tool call with valid arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Days available in `year` (the current year when absent).
    Available {
        /// Whose balance.
        employee: EmployeeId,
        /// Which year.
        year: Option<i32>,
    },
    /// Book `range`.
    Reserve {
        /// Who books.
        employee: EmployeeId,
        /// The days, both ends included.
        range: DateRange,
    },
    /// List bookings, those touching `year` only when given.
    List {
        /// Whose bookings.
        employee: EmployeeId,
        /// Which year, if any.
        year: Option<i32>,
    },
    /// Cancel a booking.
    Cancel {
        /// Whose booking.
        employee: EmployeeId,
        /// Which one.
        target: CancelTarget,
    },
}

impl Request {
    /// The employee whose data the request touches.
    pub fn employee(&self) -> EmployeeId {
        match self {
            Self::Available { employee, .. }
            | Self::Reserve { employee, .. }
            | Self::List { employee, .. }
            | Self::Cancel { employee, .. } => *employee,
        }
    }

    /// The reservation a cancellation names by id, if it does.
    pub fn reservation(&self) -> Option<&ReservationId> {
        match self {
            Self::Cancel {
                target: CancelTarget::Id(id),
                ..
            } => Some(id),
            _ => None,
        }
    }
}

/// One thing wrong with the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A parameter the tool does not have.
    Unknown(String),
    /// A parameter given more than once.
    Repeated(&'static str),
    /// A required parameter left out.
    Missing(&'static str),
    /// A JSON value of the wrong type (a list for a date, `true` for an id).
    WrongType {
        /// Which parameter.
        param: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        got: &'static str,
    },
    /// A value that does not parse, or breaks a rule.
    Invalid {
        /// Which parameter (for a range, the end date).
        param: &'static str,
        /// Why.
        error: DomainError,
    },
    /// `cancel_vacation` got both `reservation_id` and `start_date`.
    BothCancelTargets,
    /// `cancel_vacation` got neither `reservation_id` nor `start_date`.
    NoCancelTarget,
}

impl Problem {
    /// The parameter concerned, if one.
    pub fn param(&self) -> Option<&str> {
        match self {
            Self::Unknown(name) => Some(name),
            Self::Repeated(name) | Self::Missing(name) => Some(name),
            Self::Invalid { param, .. } | Self::WrongType { param, .. } => Some(param),
            Self::BothCancelTargets | Self::NoCancelTarget => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(name) => write!(f, "{name:?} is not a parameter of this function"),
            Self::Repeated(name) => write!(f, "{name} was given more than once"),
            Self::Missing(name) => write!(f, "{name} is required"),
            Self::Invalid { param, error } => write!(f, "{param}: {error}"),
            Self::WrongType {
                param,
                expected,
                got,
            } => write!(f, "{param} must be {expected}, not {got}"),
            Self::BothCancelTargets => f.write_str(
                "give either reservation_id or start_date to say which vacation to cancel, not both",
            ),
            Self::NoCancelTarget => f.write_str(
                "say which vacation to cancel with its reservation_id or one of its booked days as start_date",
            ),
        }
    }
}

/// Why arguments were rejected: every problem found, in parameter order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArguments(pub Vec<Problem>);

impl fmt::Display for InvalidArguments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(Problem::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for InvalidArguments {}

/// The arguments of one call, by catalogue parameter.
struct Arguments<'a> {
    tool: &'static Tool,
    given: Vec<(&'static str, Cow<'a, str>)>,
    problems: Vec<Problem>,
}

impl<'a> Arguments<'a> {
    fn collect(
        tool: &'static Tool,
        args: impl IntoIterator<Item = (&'a str, ArgValue<'a>)>,
    ) -> Self {
        let mut given: Vec<(&'static str, Cow<'a, str>)> = Vec::new();
        let mut problems = Vec::new();
        for (name, value) in args {
            match tool.param(name) {
                None => problems.push(Problem::Unknown(domain::bounded(
                    name,
                    domain::MAX_ECHO_CHARS,
                ))),
                Some(p) if given.iter().any(|(n, _)| *n == p.name) => {
                    if !problems.contains(&Problem::Repeated(p.name)) {
                        problems.push(Problem::Repeated(p.name));
                    }
                }
                Some(p) => match text_of(p.name, p.kind(), value) {
                    Ok(Some(text)) => given.push((p.name, text)),
                    Ok(None) => {}
                    Err(problem) => problems.push(problem),
                },
            }
        }
        Self {
            tool,
            given,
            problems,
        }
    }

    fn text(&self, name: &'static str) -> Option<&str> {
        self.given
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Whether `name` was given a value, even one of the wrong type.
    fn has(&self, name: &'static str) -> bool {
        self.text(name).is_some()
            || self
                .problems
                .iter()
                .any(|p| matches!(p, Problem::WrongType { param, .. } if *param == name))
    }

    /// Parses an optional parameter; `None` when absent or invalid (the problem recorded).
    fn optional<T>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Option<T> {
        let parsed = parse(self.text(name)?);
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.problems.push(Problem::Invalid { param: name, error });
                None
            }
        }
    }

    /// Parses a required parameter, recording a problem when absent or invalid.
    fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, DomainError>,
    ) -> Option<T> {
        debug_assert!(self.tool.param(name).is_some_and(|p| p.required));
        if !self.has(name) {
            self.problems.push(Problem::Missing(name));
            return None;
        }
        self.optional(name, parse)
    }

    fn finish(mut self, request: Option<Request>) -> Result<Request, InvalidArguments> {
        // Unknown or repeated parameters first, then the rest in catalogue order.
        let order = |p: &Problem| match p {
            Problem::Unknown(_) | Problem::Repeated(_) => 0,
            other => {
                1 + other
                    .param()
                    .and_then(|n| self.tool.params.iter().position(|c| c.name == n))
                    .unwrap_or(self.tool.params.len())
            }
        };
        self.problems.sort_by_key(order);
        match request {
            Some(request) if self.problems.is_empty() => Ok(request),
            _ => Err(InvalidArguments(self.problems)),
        }
    }
}

/// The text a value is parsed from; `None` for a JSON `null` (left out).
fn text_of<'a>(
    param: &'static str,
    kind: ParamType,
    value: ArgValue<'a>,
) -> Result<Option<Cow<'a, str>>, Problem> {
    use serde_json::Value;
    let json = match value {
        ArgValue::Text(text) => return Ok(Some(Cow::Borrowed(text))),
        ArgValue::Json(json) => json,
    };
    let (expected, got) = match (kind, json) {
        (_, Value::Null) => return Ok(None),
        (_, Value::String(text)) => return Ok(Some(Cow::Borrowed(text.as_str()))),
        (ParamType::Integer, Value::Number(n)) => return Ok(Some(Cow::Owned(n.to_string()))),
        (ParamType::Integer, other) => ("a whole number", json_type(other)),
        (ParamType::String, other) => ("text", json_type(other)),
    };
    Err(Problem::WrongType {
        param,
        expected,
        got,
    })
}

fn json_type(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads text arguments, `(name, value)` in the order given (Bedrock's parameter list).
pub fn parse_text<'a>(
    tool: &'static Tool,
    args: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Request, InvalidArguments> {
    parse(
        tool,
        args.into_iter()
            .map(|(name, value)| (name, ArgValue::Text(value))),
    )
}

/// Reads a JSON object's members as arguments (MCP's and the Gateway's `arguments`).
pub fn parse_json(
    tool: &'static Tool,
    args: &serde_json::Map<String, serde_json::Value>,
) -> Result<Request, InvalidArguments> {
    parse(
        tool,
        args.iter()
            .map(|(name, value)| (name.as_str(), ArgValue::Json(value))),
    )
}

/// Reads `args` as arguments of `tool`.
pub fn parse<'a>(
    tool: &'static Tool,
    args: impl IntoIterator<Item = (&'a str, ArgValue<'a>)>,
) -> Result<Request, InvalidArguments> {
    let mut a = Arguments::collect(tool, args);
    let employee = a.required("employee_id", EmployeeId::parse);
    let request = match tool.id {
        ToolId::GetAvailableVacationDays => {
            let year = a.optional("year", parse_year);
            employee.map(|employee| Request::Available { employee, year })
        }
        ToolId::ListPlannedVacations => {
            let year = a.optional("year", parse_year);
            employee.map(|employee| Request::List { employee, year })
        }
        ToolId::ReserveVacationTime => {
            let start = a.required("start_date", parse_iso_date);
            let end = a.required("end_date", parse_iso_date);
            let range = match (start, end) {
                (Some(start), Some(end)) => match DateRange::new(start, end) {
                    Ok(range) => Some(range),
                    Err(error) => {
                        a.problems.push(Problem::Invalid {
                            param: "end_date",
                            error,
                        });
                        None
                    }
                },
                _ => None,
            };
            employee
                .zip(range)
                .map(|(employee, range)| Request::Reserve { employee, range })
        }
        ToolId::CancelVacation => {
            let by_id = a.optional("reservation_id", ReservationId::parse);
            let by_date = a.optional("start_date", parse_iso_date);
            let given = (a.has("reservation_id"), a.has("start_date"));
            let target = match given {
                (true, true) => {
                    a.problems.push(Problem::BothCancelTargets);
                    None
                }
                (false, false) => {
                    a.problems.push(Problem::NoCancelTarget);
                    None
                }
                _ => by_id
                    .map(CancelTarget::Id)
                    .or(by_date.map(CancelTarget::Covering)),
            };
            employee
                .zip(target)
                .map(|(employee, target)| Request::Cancel { employee, target })
        }
    };
    a.finish(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::find;
    use proptest::prelude::*;

    fn call(tool: &str, pairs: &[(&str, &str)]) -> Result<Request, InvalidArguments> {
        parse_text(find(tool).unwrap(), pairs.iter().copied())
    }

    fn call_json(tool: &str, args: serde_json::Value) -> Result<Request, InvalidArguments> {
        parse_json(find(tool).unwrap(), args.as_object().unwrap())
    }

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    #[test]
    fn the_original_questions_parse() {
        assert_eq!(
            call("get_available_vacations_days", &[("employee_id", "2")]),
            Ok(Request::Available {
                employee: id(2),
                year: None
            })
        );
        assert_eq!(
            call(
                "reserve_vacation_time",
                &[
                    ("employee_id", "2"),
                    ("start_date", "2026-01-24"),
                    ("end_date", "2026-01-26")
                ]
            ),
            Ok(Request::Reserve {
                employee: id(2),
                range: DateRange::parse("2026-01-24", "2026-01-26").unwrap()
            })
        );
        assert_eq!(
            call(
                "list_planned_vacations",
                &[("employee_id", "2"), ("year", "2026")]
            ),
            Ok(Request::List {
                employee: id(2),
                year: Some(2026)
            })
        );
        assert_eq!(
            call(
                "cancel_vacation",
                &[("employee_id", "2"), ("reservation_id", "0123456789ab")]
            ),
            Ok(Request::Cancel {
                employee: id(2),
                target: CancelTarget::Id(ReservationId::parse("0123456789ab").unwrap())
            })
        );
        assert_eq!(
            call(
                "cancel_vacation",
                &[("employee_id", "2"), ("start_date", "2026-01-24")]
            ),
            Ok(Request::Cancel {
                employee: id(2),
                target: CancelTarget::Covering(parse_iso_date("2026-01-24").unwrap())
            })
        );
    }

    #[test]
    fn near_numbers_are_not_numbers() {
        for bad in ["2.0", " 2", "2 ", "+2", "02", "0", "-1", "", "２"] {
            let err = call("get_available_vacations_days", &[("employee_id", bad)]).unwrap_err();
            assert!(
                matches!(
                    &err.0[..],
                    [Problem::Invalid {
                        param: "employee_id",
                        ..
                    }]
                ),
                "{bad:?}: {err:?}"
            );
        }
        let err = call(
            "get_available_vacations_days",
            &[("employee_id", "2"), ("year", "2026.0")],
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("year: year must be"), "{err}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = call(
            "reserve_vacation_time",
            &[
                ("end_date", "26/01/2026"),
                ("employeeId", "2"),
                ("start_date", "2026-1-24"),
                ("start_date", "2026-01-24"),
            ],
        )
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 5, "{text}");
        assert!(matches!(err.0[0], Problem::Unknown(_)), "{text}");
        assert!(
            matches!(err.0[1], Problem::Repeated("start_date")),
            "{text}"
        );
        assert!(
            matches!(err.0[2], Problem::Missing("employee_id")),
            "{text}"
        );
        assert!(text.contains("\"employeeId\" is not a parameter"), "{text}");
        assert!(text.contains("26/01/2026"), "{text}");
    }

    #[test]
    fn range_rules_are_reported_on_the_end_date() {
        let err = call(
            "reserve_vacation_time",
            &[
                ("employee_id", "2"),
                ("start_date", "2026-01-26"),
                ("end_date", "2026-01-24"),
            ],
        )
        .unwrap_err();
        assert!(matches!(
            err.0[..],
            [Problem::Invalid {
                param: "end_date",
                error: DomainError::EndBeforeStart { .. }
            }]
        ));
    }

    #[test]
    fn a_cancellation_needs_exactly_one_target() {
        let both = call(
            "cancel_vacation",
            &[
                ("employee_id", "2"),
                ("reservation_id", "0123456789ab"),
                ("start_date", "2026-01-24"),
            ],
        );
        assert_eq!(
            both,
            Err(InvalidArguments(vec![Problem::BothCancelTargets]))
        );
        let neither = call("cancel_vacation", &[("employee_id", "2")]);
        assert_eq!(
            neither,
            Err(InvalidArguments(vec![Problem::NoCancelTarget]))
        );
    }

    /// Typed JSON reads as the same text would: the same requests, the same problems.
    #[test]
    fn json_arguments_follow_the_same_rules_as_text() {
        use serde_json::json;
        assert_eq!(
            call_json(
                "reserve_vacation_time",
                json!({"employee_id": 2, "start_date": "2026-01-24", "end_date": "2026-01-26"})
            ),
            call(
                "reserve_vacation_time",
                &[
                    ("employee_id", "2"),
                    ("start_date", "2026-01-24"),
                    ("end_date", "2026-01-26")
                ]
            )
        );
        // A numeric string is a number; a null is left out.
        assert_eq!(
            call_json(
                "list_planned_vacations",
                json!({"employee_id": "2", "year": null})
            ),
            Ok(Request::List {
                employee: id(2),
                year: None
            })
        );
        for (json, text) in [
            (json!(2.0), "2.0"),
            (json!(0), "0"),
            (json!(-1), "-1"),
            (json!(1e3), "1000.0"),
        ] {
            assert_eq!(
                call_json("get_available_vacations_days", json!({"employee_id": json})),
                call("get_available_vacations_days", &[("employee_id", text)]),
                "{json}"
            );
        }
    }

    #[test]
    fn json_values_of_the_wrong_type_are_named() {
        use serde_json::json;
        let err = call_json(
            "cancel_vacation",
            json!({"employee_id": true, "reservation_id": 123, "start_date": ["2026-01-24"], "x": 1}),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err.0[0], Problem::Unknown(_)), "{text}");
        assert!(
            text.contains("employee_id must be a whole number, not true or false"),
            "{text}"
        );
        assert!(
            text.contains("reservation_id must be text, not a number"),
            "{text}"
        );
        assert!(
            text.contains("start_date must be text, not a list"),
            "{text}"
        );
    }

    proptest! {
        /// Whatever the text, parsing never panics, and an accepted employee id or year is
        /// exactly its canonical text.
        #[test]
        fn arbitrary_values_parse_totally(employee in "\\PC{0,12}", year in "\\PC{0,6}") {
            let got = call("list_planned_vacations", &[("employee_id", &employee), ("year", &year)]);
            if let Ok(Request::List { employee: e, year: y }) = got {
                prop_assert_eq!(e.to_string(), employee);
                prop_assert_eq!(y.map(|y| y.to_string()), Some(year));
            }
        }
    }
}
