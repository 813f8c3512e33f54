//! One scenario through Bedrock Agents Classic, the AgentCore Gateway target and MCP: the
//! same outcomes, and the same ledger afterwards.

use domain::{EmployeeId, EmployeeStatus};
use handler::{Handler, Settings};
use serde_json::{json, Value};
use store::Store;

use crate::support::{answer, stdio};

/// The scenario, as employee 2: (tool, arguments).
fn scenario() -> Vec<(&'static str, Value)> {
    vec![
        ("get_available_vacations_days", json!({"employee_id": 2})),
        (
            "reserve_vacation_time",
            json!({"employee_id": 2, "start_date": "2026-02-02", "end_date": "2026-02-04"}),
        ),
        (
            "reserve_vacation_time",
            json!({"employee_id": 2, "start_date": "2026-02-04", "end_date": "2026-02-05"}),
        ),
        (
            "reserve_vacation_time",
            json!({"employee_id": 2, "start_date": "2026-03-02", "end_date": "2026-03-10"}),
        ),
        (
            "reserve_vacation_time",
            json!({"employee_id": 2, "start_date": "2026-04-06", "end_date": "2026-04-08"}),
        ),
        (
            "list_planned_vacations",
            json!({"employee_id": 2, "year": 2026}),
        ),
        (
            "cancel_vacation",
            json!({"employee_id": 2, "start_date": "2026-02-03"}),
        ),
        (
            "get_available_vacations_days",
            json!({"employee_id": 2, "year": 2026}),
        ),
        ("get_available_vacations_days", json!({"employee_id": 3})),
        ("cancel_vacation", json!({"employee_id": 2})),
        (
            "reserve_vacation_time",
            json!({"employee_id": 2, "start_date": "2025-12-01", "end_date": "2025-12-02"}),
        ),
    ]
}

/// What must be equal across transports: ok, the code, and the figures (not ids).
fn essence(body: &Value) -> Value {
    json!({
        "ok": body["ok"],
        "error": body["error"],
        "available_days": body["available_days"],
        "days_charged": body["days_charged"],
        "days_refunded": body["days_refunded"],
        "remaining": body["remaining"],
        "reservations": body["reservations"].as_array().map(|r| r.iter().map(|r| json!([r["start_date"], r["end_date"], r["days"]])).collect::<Vec<_>>()),
    })
}

/// The ledger of employee 2, without ids, times or requests.
async fn ledger(store: &Store) -> Value {
    let two = EmployeeId::new(2).unwrap();
    let ledger = test_support::assert_ledger_sound(store, two).await;
    let balance = store.get_balance(two, 2026).await.unwrap();
    let reservations: Vec<Value> = store
        .list_reservations(two, None)
        .await
        .unwrap()
        .iter()
        .map(|r| json!([r.range().to_string(), r.charge().total_days()]))
        .collect();
    // As a set: entries written within the same millisecond have no order of their own
    // (their keys sort by time, then by a random id).
    let mut history: Vec<String> = ledger
        .history
        .iter()
        .map(|h| format!("{:?} {} by {}", h.kind, h.range, h.actor.role))
        .collect();
    history.sort();
    json!({"balance": [balance.total(), balance.taken()], "reservations": reservations, "history": history})
}

async fn fresh() -> Store {
    let store = test_support::fresh_store().await;
    test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    test_support::seed(&store, 3, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    store
}

fn handler(store: &Store) -> Handler {
    let settings = Settings {
        today: Some(test_support::date("2026-01-01")),
        ..Settings::default()
    };
    Handler::new(store.clone(), settings)
}

async fn classic(store: &Store) -> Vec<Value> {
    let handler = handler(store);
    let mut out = Vec::new();
    for (n, (tool, arguments)) in scenario().into_iter().enumerate() {
        let params: Vec<(String, String)> = arguments
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect();
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let event = test_support::lambda::function_event(
            tool,
            &params,
            test_support::lambda::as_employee(2),
            &format!("turn {n}"),
        );
        let response = handler.handle(event).await;
        let text = response["response"]["functionResponse"]["responseBody"]["TEXT"]["body"]
            .as_str()
            .unwrap();
        out.push(essence(&serde_json::from_str(text).unwrap()));
    }
    out
}

async fn gateway(store: &Store) -> Vec<Value> {
    let handler = handler(store);
    let mut out = Vec::new();
    for (n, (tool, mut arguments)) in scenario().into_iter().enumerate() {
        arguments["_caller"] = json!({"employeeId": "2", "role": "employee"});
        let event = test_support::lambda::gateway_invocation(tool, arguments, &format!("req-{n}"));
        let answer = handler
            .handle_invocation(event)
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        out.push(essence(&answer));
    }
    out
}

async fn mcp(store: &Store) -> Vec<Value> {
    let client = stdio(store.table_name(), &["--as", "2", "--today", "2026-01-01"]).await;
    let mut out = Vec::new();
    for (tool, arguments) in scenario() {
        let (_, body) = answer(&client, tool, arguments).await;
        out.push(essence(&body));
    }
    client.cancel().await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_gives_the_same_outcomes_and_leaves_the_same_ledger() {
    let (a, b, c) = (fresh().await, fresh().await, fresh().await);
    let by_classic = classic(&a).await;
    let by_gateway = gateway(&b).await;
    let by_mcp = mcp(&c).await;
    let codes: Vec<&Value> = by_classic.iter().map(|o| &o["error"]).collect();
    assert_eq!(
        codes,
        [
            &Value::Null,
            &Value::Null,
            &json!("overlap"),
            &json!("insufficient_balance"),
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &json!("not_allowed"),
            &json!("invalid_parameters"),
            &json!("date_in_the_past"),
        ],
        "{by_classic:#?}"
    );
    for (n, ((classic, gateway), mcp)) in
        by_classic.iter().zip(&by_gateway).zip(&by_mcp).enumerate()
    {
        assert_eq!(classic, gateway, "step {n}: classic vs gateway");
        assert_eq!(classic, mcp, "step {n}: classic vs mcp");
    }
    let ledger_a = ledger(&a).await;
    assert_eq!(ledger_a["balance"], json!([10, 3]), "{ledger_a}");
    assert_eq!(ledger_a, ledger(&b).await, "classic vs gateway");
    assert_eq!(ledger_a, ledger(&c).await, "classic vs mcp");
}
