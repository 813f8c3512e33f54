//! A table of bad inputs: each gets an answer Bedrock accepts, with the right state and a
//! message that says what is wrong, and none of them changes a single item of the table.

use crate::support::*;
use serde_json::{json, Value};
use test_support::dump;
use test_support::lambda::{api_event, as_employee, as_hr, function_event};

struct Case {
    /// What the case is about.
    name: &'static str,
    event: Value,
    /// `responseState` (function details) or status (OpenAPI) expected.
    expect: Expect,
    /// The body's `error` code.
    code: &'static str,
    /// A piece of the message the user must see.
    says: &'static str,
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    Reprompt,
    /// An answer with no state: a refusal to relay.
    Refused,
    Status(u16),
}

fn hr(function: &str, params: &[(&str, &str)]) -> Value {
    function_event(function, params, as_hr(), "please")
}

fn get(employee: &str) -> Value {
    hr("get_available_vacations_days", &[("employee_id", employee)])
}

fn book(employee: &str, start: &str, end: &str) -> Value {
    hr(
        "reserve_vacation_time",
        &[
            ("employee_id", employee),
            ("start_date", start),
            ("end_date", end),
        ],
    )
}

fn case(
    name: &'static str,
    event: Value,
    expect: Expect,
    code: &'static str,
    says: &'static str,
) -> Case {
    Case {
        name,
        event,
        expect,
        code,
        says,
    }
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let bad_params = "invalid_parameters";
    let mut number_as_json = get("2");
    number_as_json["parameters"][0]["value"] = json!(2);
    let mut params_as_text = get("2");
    params_as_text["parameters"] = json!("employee_id=2");
    let mut no_session = book("2", "2026-04-01", "2026-04-02");
    no_session.as_object_mut().map(|o| o.remove("sessionId"));
    let mut text_body = api_event(
        "/reserve_vacation_time",
        "POST",
        &[
            ("employee_id", "2"),
            ("start_date", "2026-04-01"),
            ("end_date", "2026-04-02"),
        ],
        as_hr(),
        "please",
    );
    text_body["requestBody"] = json!({"content": {"text/plain": {"properties": []}}});
    let mut no_action_group = get("2");
    no_action_group
        .as_object_mut()
        .map(|o| o.remove("actionGroup"));

    vec![
        // Employee ids: positive whole numbers only.
        case(
            "decimal id",
            get("2.0"),
            Reprompt,
            bad_params,
            "employee id must be a positive whole number",
        ),
        case("padded id", get(" 2"), Reprompt, bad_params, "got \" 2\""),
        case(
            "leading zero",
            get("02"),
            Reprompt,
            bad_params,
            "got \"02\"",
        ),
        case(
            "negative id",
            get("-1"),
            Reprompt,
            bad_params,
            "employee_id: employee id must be",
        ),
        case("word id", get("two"), Reprompt, bad_params, "got \"two\""),
        case("empty id", get(""), Reprompt, bad_params, "got \"\""),
        case(
            "huge id",
            get("99999999999999999999"),
            Reprompt,
            bad_params,
            "employee_id",
        ),
        case(
            "missing id",
            hr("get_available_vacations_days", &[]),
            Reprompt,
            bad_params,
            "employee_id is required",
        ),
        // Years.
        case(
            "decimal year",
            hr(
                "get_available_vacations_days",
                &[("employee_id", "2"), ("year", "2026.0")],
            ),
            Reprompt,
            bad_params,
            "year must be between 1970 and 2200",
        ),
        case(
            "two-digit year",
            hr(
                "list_planned_vacations",
                &[("employee_id", "2"), ("year", "26")],
            ),
            Reprompt,
            bad_params,
            "got \"26\"",
        ),
        case(
            "ancient year",
            hr(
                "list_planned_vacations",
                &[("employee_id", "2"), ("year", "1969")],
            ),
            Reprompt,
            bad_params,
            "got \"1969\"",
        ),
        // Parameters that do not exist or come twice.
        case(
            "camelCase name",
            hr("get_available_vacations_days", &[("employeeId", "2")]),
            Reprompt,
            bad_params,
            "\"employeeId\" is not a parameter",
        ),
        case(
            "repeated id",
            hr(
                "get_available_vacations_days",
                &[("employee_id", "2"), ("employee_id", "3")],
            ),
            Reprompt,
            bad_params,
            "employee_id was given more than once",
        ),
        // Dates: YYYY-MM-DD only, real days, sane ranges.
        case(
            "unpadded date",
            book("2", "2026-1-24", "2026-01-26"),
            Reprompt,
            bad_params,
            "start_date: dates must be real calendar dates written as YYYY-MM-DD",
        ),
        case(
            "european date",
            book("2", "24/01/2026", "2026-01-26"),
            Reprompt,
            bad_params,
            "got \"24/01/2026\"",
        ),
        case(
            "impossible date",
            book("2", "2026-02-30", "2026-03-02"),
            Reprompt,
            bad_params,
            "got \"2026-02-30\"",
        ),
        case(
            "date-time",
            book("2", "2026-01-24", "2026-01-26T00:00:00"),
            Reprompt,
            bad_params,
            "end_date",
        ),
        case(
            "unicode minus",
            book("2", "2026\u{2212}01\u{2212}24", "2026-01-26"),
            Reprompt,
            bad_params,
            "start_date",
        ),
        case(
            "end before start",
            book("2", "2026-01-26", "2026-01-24"),
            Reprompt,
            bad_params,
            "the end date 2026-01-24 is before the start date 2026-01-26",
        ),
        case(
            "range too long",
            book("2", "2026-01-01", "2026-04-01"),
            Reprompt,
            bad_params,
            "at most 90 calendar days, this one covers 91",
        ),
        case(
            "missing end",
            hr(
                "reserve_vacation_time",
                &[("employee_id", "2"), ("start_date", "2026-01-24")],
            ),
            Reprompt,
            bad_params,
            "end_date is required",
        ),
        // Business refusals.
        case(
            "unknown employee books",
            book("999", "2026-04-01", "2026-04-02"),
            Reprompt,
            "unknown_employee",
            "no employee with id 999",
        ),
        case(
            "unknown employee asks",
            get("998"),
            Reprompt,
            "unknown_employee",
            "no employee with id 998",
        ),
        case(
            "inactive employee",
            function_event(
                "reserve_vacation_time",
                &[
                    ("employee_id", "5"),
                    ("start_date", "2026-04-01"),
                    ("end_date", "2026-04-02"),
                ],
                as_employee(5),
                "please",
            ),
            Refused,
            "inactive_employee",
            "Employee 5 is inactive, so only HR can book or cancel their vacations",
        ),
        case(
            "insufficient balance",
            book("7", "2026-05-01", "2026-05-03"),
            Reprompt,
            "insufficient_balance",
            "only 2 day(s) available in 2026, and this booking needs 3",
        ),
        case(
            "overlap",
            book("2", "2026-02-12", "2026-02-14"),
            Reprompt,
            "overlap",
            "already has vacation booked on 2026-02-12",
        ),
        case(
            "no balance that year",
            book("2", "2027-02-01", "2027-02-02"),
            Reprompt,
            "no_balance_for_year",
            "no vacation balance for 2027",
        ),
        case(
            "no balance asked",
            hr(
                "get_available_vacations_days",
                &[("employee_id", "2"), ("year", "2030")],
            ),
            Reprompt,
            "no_balance_for_year",
            "2030",
        ),
        // Cancellations.
        case(
            "cancel unknown id",
            hr(
                "cancel_vacation",
                &[("employee_id", "2"), ("reservation_id", "0123456789ab")],
            ),
            Reprompt,
            "reservation_not_found",
            "no reservation 0123456789ab",
        ),
        case(
            "cancel free day",
            hr(
                "cancel_vacation",
                &[("employee_id", "2"), ("start_date", "2026-03-03")],
            ),
            Reprompt,
            "reservation_not_found",
            "covering 2026-03-03",
        ),
        case(
            "cancel bad id",
            hr(
                "cancel_vacation",
                &[("employee_id", "2"), ("reservation_id", "XYZ")],
            ),
            Reprompt,
            bad_params,
            "12 lowercase hexadecimal characters",
        ),
        case(
            "cancel both",
            hr(
                "cancel_vacation",
                &[
                    ("employee_id", "2"),
                    ("reservation_id", "0123456789ab"),
                    ("start_date", "2026-02-10"),
                ],
            ),
            Reprompt,
            bad_params,
            "not both",
        ),
        case(
            "cancel neither",
            hr("cancel_vacation", &[("employee_id", "2")]),
            Reprompt,
            bad_params,
            "say which vacation to cancel",
        ),
        // Who is asking.
        case(
            "no identity",
            function_event(
                "reserve_vacation_time",
                &[
                    ("employee_id", "2"),
                    ("start_date", "2026-04-01"),
                    ("end_date", "2026-04-02"),
                ],
                json!({}),
                "book",
            ),
            Refused,
            "not_signed_in",
            "not linked to a signed-in user",
        ),
        case(
            "unknown role",
            function_event(
                "get_available_vacations_days",
                &[("employee_id", "2")],
                json!({"role": "admin", "employeeId": "2"}),
                "?",
            ),
            Refused,
            "invalid_identity",
            "role must be employee or hr",
        ),
        case(
            "someone else's booking",
            function_event(
                "reserve_vacation_time",
                &[
                    ("employee_id", "2"),
                    ("start_date", "2026-04-01"),
                    ("end_date", "2026-04-02"),
                ],
                as_employee(3),
                "book for 2",
            ),
            Refused,
            "not_allowed",
            "only view and manage your own vacations (employee 3)",
        ),
        case(
            "someone else's cancellation",
            function_event(
                "cancel_vacation",
                &[("employee_id", "2"), ("start_date", "2026-02-10")],
                as_employee(3),
                "cancel 2's",
            ),
            Refused,
            "not_allowed",
            "not those of employee 2",
        ),
        // Routing and malformed events.
        case(
            "unknown function",
            hr("delete_all_vacations", &[("employee_id", "2")]),
            Reprompt,
            "unknown_function",
            "There is no function \"delete_all_vacations\"",
        ),
        case(
            "number instead of text",
            number_as_json,
            Reprompt,
            "malformed_event",
            "parameters[0].value",
        ),
        case(
            "parameters as text",
            params_as_text,
            Reprompt,
            "malformed_event",
            "parameters",
        ),
        case(
            "no action group",
            no_action_group,
            Reprompt,
            "malformed_event",
            "actionGroup",
        ),
        case(
            "booking without session",
            no_session,
            Reprompt,
            "malformed_event",
            "no sessionId",
        ),
        case(
            "not an object",
            json!(["get_available_vacations_days", "2"]),
            Reprompt,
            "malformed_event",
            "not a JSON object",
        ),
        // OpenAPI: the status says it.
        case(
            "api unknown path",
            api_event("/vacations", "GET", &[("employee_id", "2")], as_hr(), "?"),
            Status(404),
            "unknown_function",
            "There is no function",
        ),
        case(
            "api wrong method",
            api_event(
                "/reserve_vacation_time",
                "GET",
                &[
                    ("employee_id", "2"),
                    ("start_date", "2026-04-01"),
                    ("end_date", "2026-04-02"),
                ],
                as_hr(),
                "book",
            ),
            Status(405),
            "method_not_allowed",
            "is called with POST",
        ),
        case(
            "api bad date",
            api_event(
                "/reserve_vacation_time",
                "POST",
                &[
                    ("employee_id", "2"),
                    ("start_date", "2026-04-31"),
                    ("end_date", "2026-05-02"),
                ],
                as_hr(),
                "book",
            ),
            Status(400),
            bad_params,
            "got \"2026-04-31\"",
        ),
        case(
            "api overlap",
            api_event(
                "/reserve_vacation_time",
                "POST",
                &[
                    ("employee_id", "2"),
                    ("start_date", "2026-02-09"),
                    ("end_date", "2026-02-10"),
                ],
                as_hr(),
                "book",
            ),
            Status(409),
            "overlap",
            "booked on 2026-02-10",
        ),
        case(
            "api insufficient",
            api_event(
                "/reserve_vacation_time",
                "POST",
                &[
                    ("employee_id", "7"),
                    ("start_date", "2026-06-01"),
                    ("end_date", "2026-06-05"),
                ],
                as_employee(7),
                "book",
            ),
            Status(409),
            "insufficient_balance",
            "only 2 day(s) available",
        ),
        case(
            "api body not json",
            text_body,
            Status(400),
            "malformed_event",
            "text/plain",
        ),
        case(
            "api no identity",
            api_event(
                "/list_planned_vacations",
                "GET",
                &[("employee_id", "2")],
                json!({}),
                "?",
            ),
            Status(403),
            "not_signed_in",
            "signed-in",
        ),
        case(
            "api unknown employee",
            api_event(
                "/list_planned_vacations",
                "GET",
                &[("employee_id", "404")],
                as_hr(),
                "?",
            ),
            Status(404),
            "unknown_employee",
            "404",
        ),
    ]
}

/// Every bad input is answered well and leaves the table exactly as it was.
#[tokio::test]
async fn bad_inputs_get_clear_answers_and_change_nothing() {
    let (handler, store) = handler().await;
    let two = active(&store, 2, &[(2026, 22, 0)]).await;
    active(&store, 3, &[(2026, 22, 0)]).await;
    test_support::seed(
        &store,
        5,
        domain::EmployeeStatus::Inactive,
        &[(2026, 20, 0)],
    )
    .await;
    active(&store, 7, &[(2026, 10, 8)]).await;
    let booked = call(&handler, &book("2", "2026-02-10", "2026-02-12")).await;
    assert_done(&booked);

    let before = dump(store.client(), store.table_name()).await;
    assert!(before.len() > 10, "the table should hold the seeded data");
    let cases = cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let answer = call(&handler, &case.event).await;
        let state_ok = match case.expect {
            Expect::Reprompt => answer.state.as_deref() == Some("REPROMPT"),
            Expect::Refused => answer.state.is_none() && answer.status.is_none(),
            Expect::Status(s) => answer.status == Some(s) && answer.state.is_none(),
        };
        if !state_ok
            || answer.code() != case.code
            || !answer.message().contains(case.says)
            || answer.body["ok"] != false
        {
            failures.push(format!(
                "{}: expected {:?} {} {:?}, got {answer:?}",
                case.name, case.expect, case.code, case.says
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let after = dump(store.client(), store.table_name()).await;
    assert_eq!(before, after, "a refused request changed the table");
    assert_eq!(available(&store, two, 2026).await, 19);
}
