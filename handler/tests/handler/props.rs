//! Property tests against DynamoDB Local: whatever JSON arrives, and whatever text the
//! model puts in the parameters, the handler never panics and always answers in a shape
//! Bedrock accepts; with DynamoDB healthy, nothing is ever a FAILURE; and the data stays
//! sound after every case, whatever got booked or cancelled.

use std::sync::{Mutex, OnceLock};

use crate::support::*;
use handler::Handler;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use store::Store;
use test_support::lambda::check_answer;
use tokio::runtime::Runtime;

struct Fixture {
    runtime: Runtime,
    handler: Handler,
    store: Store,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (handler, store) = runtime.block_on(async {
            let (handler, store) = handler().await;
            active(&store, 2, &[(2025, 30, 0), (2026, 30, 0)]).await;
            active(&store, 3, &[(2026, 5, 0)]).await;
            test_support::seed(
                &store,
                4,
                domain::EmployeeStatus::Inactive,
                &[(2026, 10, 0)],
            )
            .await;
            (handler, store)
        });
        Fixture {
            runtime,
            handler,
            store,
        }
    })
}

/// Sends `event`, checks the answer is acceptable and not a FAILURE, and that every
/// employee's ledger is still sound (one case at a time, so no audit reads a transaction
/// halfway).
fn check(event: Value) -> Result<(), TestCaseError> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let f = fixture();
    let response = f.runtime.block_on(f.handler.handle(event.clone()));
    let answer = check_answer(&event, &response)
        .map_err(|e| TestCaseError::fail(format!("{e}\nevent: {event}\nanswer: {response}")))?;
    prop_assert_ne!(answer.state.as_deref(), Some("FAILURE"), "{}", response);
    prop_assert_ne!(answer.status, Some(503), "{}", response);
    f.runtime.block_on(async {
        for id in [2, 3, 4] {
            let id = domain::EmployeeId::new(id).unwrap();
            let violations = f.store.ledger(id).await.unwrap().audit();
            prop_assert!(violations.is_empty(), "after {}: {:?}", event, violations);
        }
        Ok(())
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|x| json!(x)),
        "\\PC{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys an event has, mixed with arbitrary ones, so objects often look like events.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "messageVersion", "actionGroup", "function", "apiPath", "httpMethod", "parameters",
            "requestBody", "content", "application/json", "properties", "name", "type", "value",
            "sessionId", "inputText", "sessionAttributes", "promptSessionAttributes", "role",
            "employeeId", "turnId", "agent",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

/// Text the model might put in a value: near-valid numbers and dates, and anything.
fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,4}",
        " ?[0-9]{1,3}(\\.0)? ?",
        "20[0-9]{2}",
        "202[5-7]-0[1-3]-[0-3][0-9]",
        "20[0-9]{2}-[0-9]{1,2}-[0-9]{1,2}",
        "[0-9a-f]{12}",
        "\\PC{0,20}",
    ]
}

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "employee_id", "year", "start_date", "end_date", "reservation_id",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ]
}

fn function_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "get_available_vacations_days", "get_available_vacation_days",
            "reserve_vacation_time", "list_planned_vacations", "cancel_vacation",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,24}",
    ]
}

fn session() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!({"role": "hr", "employeeId": "900000"})),
        Just(json!({"role": "hr"})),
        Just(json!({"role": "employee", "employeeId": "2"})),
        Just(json!({"role": "employee", "employeeId": "3"})),
        (value_text(), value_text()).prop_map(|(r, e)| json!({"role": r, "employeeId": e})),
    ]
}

prop_compose! {
    /// A well-formed event of either style whose function, parameters and identity are
    /// arbitrary.
    fn arbitrary_call()(
        api in any::<bool>(),
        function in function_name(),
        method in prop::sample::select(vec!["GET", "POST", "get", "DELETE"]),
        params in prop::collection::vec((param_name(), value_text()), 0..5),
        session in session(),
        input in "\\PC{0,30}",
        turn in prop::option::of("[a-z0-9-]{0,8}"),
    ) -> Value {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let mut event = if api {
            test_support::lambda::api_event(&format!("/{function}"), method, &pairs, session, &input)
        } else {
            test_support::lambda::function_event(&function, &pairs, session, &input)
        };
        if let Some(turn) = turn {
            event["promptSessionAttributes"] = json!({"turnId": turn});
        }
        event
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any JSON at all gets an answer Bedrock accepts.
    #[test]
    fn any_json_gets_an_acceptable_answer(event in any_json()) {
        check(event)?;
    }

    /// Any object built from event keys and arbitrary values gets an acceptable answer.
    #[test]
    fn any_event_shaped_object_gets_an_acceptable_answer(
        fields in prop::collection::btree_map(key(), any_json(), 0..10)
    ) {
        check(Value::Object(fields.into_iter().collect::<Map<String, Value>>()))?;
    }

    /// Any function, arguments and identity, in either style, get an acceptable answer,
    /// never a FAILURE while DynamoDB is healthy.
    #[test]
    fn any_arguments_get_an_acceptable_answer(event in arbitrary_call()) {
        check(event)?;
    }
}
