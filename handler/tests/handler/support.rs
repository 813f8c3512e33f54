//! What the handler's integration tests share: a handler over a fresh table in the shared
//! DynamoDB Local, and a call that checks every answer against the contract.

use chrono::NaiveDate;
use domain::{EmployeeId, EmployeeStatus};
use handler::{AnonymousAccess, Handler, Settings};
use serde_json::Value;
use store::Store;
use test_support::lambda::{check_answer, Answer};

/// The date the tests take as today: "the current year" is 2026, and every day of it can
/// still be booked.
pub fn today() -> NaiveDate {
    test_support::date("2026-01-01")
}

/// A handler over a fresh, empty table; `anonymous` decides what happens without identity.
pub async fn handler_with(anonymous: AnonymousAccess) -> (Handler, Store) {
    let store = test_support::fresh_store().await;
    let settings = Settings {
        anonymous_access: anonymous,
        today: Some(today()),
        ..Settings::default()
    };
    (Handler::new(store.clone(), settings), store)
}

/// A handler with the default (refusing) anonymous access.
pub async fn handler() -> (Handler, Store) {
    handler_with(AnonymousAccess::Refuse).await
}

/// Seeds employee `id` as Active with `(year, total, taken)` balances.
pub async fn active(store: &Store, id: u32, balances: &[(i32, u32, u32)]) -> EmployeeId {
    test_support::seed(store, id, EmployeeStatus::Active, balances).await
}

/// Sends `event` and checks the answer is one Bedrock accepts.
pub async fn call(handler: &Handler, event: &Value) -> Answer {
    let response = handler.handle(event.clone()).await;
    check_answer(event, &response).unwrap_or_else(|e| {
        panic!("answer not acceptable to Bedrock: {e}\nevent: {event}\nanswer: {response}")
    })
}

/// The available days the store holds for `employee` in `year`.
pub async fn available(store: &Store, employee: EmployeeId, year: i32) -> u32 {
    store
        .get_balance(employee, year)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .available()
}

/// The action-group styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Function details.
    Function,
    /// OpenAPI.
    Api,
}

/// Both styles, for tests that run once per style.
pub const STYLES: [Style; 2] = [Style::Function, Style::Api];

/// An event calling `function` in `style` (OpenAPI: `/<function>` with its method).
pub fn event(
    style: Style,
    function: &str,
    params: &[(&str, &str)],
    session: Value,
    input_text: &str,
) -> Value {
    match style {
        Style::Function => {
            test_support::lambda::function_event(function, params, session, input_text)
        }
        Style::Api => {
            let method = tools::catalogue::find(function).map_or("POST", |t| t.method.as_str());
            test_support::lambda::api_event(
                &format!("/{function}"),
                method,
                params,
                session,
                input_text,
            )
        }
    }
}

/// Asserts an answer succeeded (no state, status 200, `ok: true`).
pub fn assert_done(answer: &Answer) {
    assert!(
        answer.state.is_none()
            && answer.status.is_none_or(|s| s == 200)
            && answer.body["ok"] == true,
        "expected success, got {answer:?}"
    );
}
