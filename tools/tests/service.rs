//! The use-cases on DynamoDB Local, called the way every adapter calls them: a tool, a
//! caller, parsed arguments and a call context. No event of any transport is involved.

use std::time::Duration;

use domain::{EmployeeId, EmployeeStatus};
use serde_json::{json, Value};
use store::Store;
use tools::catalogue::find;
use tools::{args, CallContext, Caller, McpChannel, Outcome, Service, Settings, Verdict};

fn today() -> chrono::NaiveDate {
    test_support::date("2026-01-01")
}

async fn service() -> (Service, Store) {
    let store = test_support::fresh_store().await;
    let settings = Settings {
        today: Some(today()),
        ..Settings::default()
    };
    (Service::new(store.clone(), settings), store)
}

fn mcp(request: &str) -> CallContext {
    CallContext::Mcp {
        channel: McpChannel::Stdio,
        request_id: request.to_owned(),
    }
}

/// Prepares and runs `tool` with JSON `arguments` as `caller`.
async fn call(service: &Service, caller: Caller, tool: &str, arguments: Value) -> Outcome {
    let tool = find(tool).unwrap_or_else(|| panic!("no tool {tool}"));
    let parsed = args::parse_json(tool, arguments.as_object().unwrap());
    match service.prepare(tool, caller, parsed) {
        Ok(call) => service.run_call(&call, &mcp("1")).await,
        Err(refused) => refused,
    }
}

fn id(n: u32) -> EmployeeId {
    EmployeeId::new(n).unwrap()
}

#[tokio::test]
async fn every_use_case_answers_with_a_typed_outcome() {
    let (service, store) = service().await;
    let two = test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let me = Caller::Employee(two);

    let balance = call(
        &service,
        me,
        "get_available_vacations_days",
        json!({"employee_id": 2}),
    )
    .await;
    assert_eq!((balance.verdict, balance.status), (Verdict::Done, 200));
    assert_eq!(balance.body["available_days"], 22);
    assert_eq!(balance.body["year"], 2026, "the pinned today's year");

    let dates = json!({"employee_id": 2, "start_date": "2026-03-02", "end_date": "2026-03-04"});
    let booked = call(&service, me, "reserve_vacation_time", dates.clone()).await;
    assert_eq!(booked.verdict, Verdict::Done, "{:?}", booked.body);
    let reservation = booked.reservation_id().unwrap().to_owned();
    assert_eq!(booked.body["remaining"][0]["available_days"], 19);

    // Over MCP (and the Gateway) the same range is the same booking: never charged twice.
    let again = call(&service, me, "reserve_vacation_time", dates).await;
    assert_eq!(again.reservation_id(), Some(reservation.as_str()));
    assert_eq!(store.get_balance(two, 2026).await.unwrap().available(), 19);

    let listed = call(
        &service,
        me,
        "list_planned_vacations",
        json!({"employee_id": 2, "year": 2026}),
    )
    .await;
    assert_eq!(
        listed.body["reservations"].as_array().map(Vec::len),
        Some(1)
    );

    let cancelled = call(
        &service,
        me,
        "cancel_vacation",
        json!({"employee_id": 2, "start_date": "2026-03-03"}),
    )
    .await;
    assert_eq!(cancelled.verdict, Verdict::Done, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["days_refunded"], 3);
    assert_eq!(store.get_balance(two, 2026).await.unwrap().available(), 22);

    let history = store.history(two).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history.iter().all(|h| h.request == "mcp-stdio:1"),
        "{history:?}"
    );
    test_support::assert_ledger_sound(&store, two).await;
}

#[tokio::test]
async fn refusals_say_why_and_change_nothing() {
    let (service, store) = service().await;
    let two = test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 2, 0)]).await;
    test_support::seed(&store, 4, EmployeeStatus::Inactive, &[(2026, 20, 0)]).await;
    let me = Caller::Employee(two);
    let hr = Caller::Hr(id(test_support::lambda::HR_USER));
    let cases = [
        (
            me,
            "get_available_vacations_days",
            json!({"employee_id": 3}),
            Verdict::Refused,
            "not_allowed",
        ),
        (
            me,
            "get_available_vacations_days",
            json!({"employee_id": "two"}),
            Verdict::NeedsInput,
            "invalid_parameters",
        ),
        (
            me,
            "reserve_vacation_time",
            json!({"employee_id": 2, "start_date": "2026-03-02", "end_date": "2026-03-04"}),
            Verdict::NeedsInput,
            "insufficient_balance",
        ),
        (
            me,
            "reserve_vacation_time",
            json!({"employee_id": 2, "start_date": "2025-12-30", "end_date": "2025-12-30"}),
            Verdict::NeedsInput,
            "date_in_the_past",
        ),
        (
            hr,
            "get_available_vacations_days",
            json!({"employee_id": 9}),
            Verdict::NeedsInput,
            "unknown_employee",
        ),
        (
            hr,
            "reserve_vacation_time",
            json!({"employee_id": 4, "start_date": "2026-03-02", "end_date": "2026-03-02"}),
            Verdict::Done,
            "ok",
        ),
        (
            me,
            "cancel_vacation",
            json!({"employee_id": 2, "reservation_id": "0123456789ab"}),
            Verdict::NeedsInput,
            "reservation_not_found",
        ),
    ];
    let before = test_support::dump(store.client(), store.table_name()).await;
    for (caller, tool, arguments, verdict, code) in cases {
        let outcome = call(&service, caller, tool, arguments.clone()).await;
        assert_eq!(
            (outcome.verdict, outcome.code()),
            (verdict, code),
            "{arguments}: {:?}",
            outcome.body
        );
        assert!(outcome.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        if verdict == Verdict::Done {
            // HR books for an inactive employee; undo it so the table is compared as it was.
            let reservation = outcome.reservation_id().unwrap().to_owned();
            let undone = call(
                &service,
                hr,
                "cancel_vacation",
                json!({"employee_id": 4, "reservation_id": reservation}),
            )
            .await;
            assert_eq!(undone.verdict, Verdict::Done, "{:?}", undone.body);
        }
    }
    let after = test_support::dump(store.client(), store.table_name()).await;
    let without_history = |items: Vec<String>| -> Vec<String> {
        items.into_iter().filter(|i| !i.contains("HIST#")).collect()
    };
    assert_eq!(without_history(before), without_history(after));
}

/// Past the deadline the answer is a dependency failure that tells the user to check.
#[tokio::test]
async fn a_call_past_its_deadline_is_a_dependency_failure() {
    let (service, store) = service().await;
    test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let tool = find("list_planned_vacations").unwrap();
    let parsed = args::parse_text(tool, [("employee_id", "2")]);
    let call = service
        .prepare(tool, Caller::Employee(id(2)), parsed)
        .unwrap();
    let outcome = service.run_within(&call, &mcp("1"), Duration::ZERO).await;
    assert_eq!(
        (outcome.verdict, outcome.code()),
        (Verdict::DependencyFailure, "timeout")
    );
    assert!(outcome.body["message"]
        .as_str()
        .unwrap()
        .contains("list the planned vacations"));
}
