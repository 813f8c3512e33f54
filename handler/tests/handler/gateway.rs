//! The real `bootstrap` as an AgentCore Gateway's Lambda target and REQUEST interceptor,
//! run as a process against a local Lambda Runtime API and DynamoDB Local. Gateway
//! invocations carry their context in the `Lambda-Runtime-Client-Context` header, as
//! Lambda delivers it; interceptor invocations are `mcp.gatewayRequest` events.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use chrono::Datelike;
use domain::EmployeeStatus;
use serde_json::{json, Value};
use store::Store;
use test_support::dump;
use test_support::lambda::{
    bootstrap_command, bootstrap_path, gateway_client_context, Outcome, Running, RuntimeApi,
};

const TARGET: &str = "vacations";
const GATEWAY: &str = "gw-test-0001";

/// A `bootstrap` serving a fresh table, configured for target [`TARGET`].
struct Lambda {
    api: RuntimeApi,
    store: Store,
    running: Running,
    calls: std::sync::atomic::AtomicUsize,
}

impl Lambda {
    async fn start(extra_env: &[(&str, &str)]) -> Self {
        let store = test_support::fresh_store().await;
        let api = RuntimeApi::start().await;
        let mut command = bootstrap_command(
            Path::new(&bootstrap_path(env!("CARGO_BIN_EXE_bootstrap"))),
            &api.address(),
            store.table_name(),
            &test_support::dynamodb_local().endpoint,
        );
        command.env("HR_GATEWAY_TARGET", TARGET);
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let running = Running::spawn(command);
        Self {
            api,
            store,
            running,
            calls: Default::default(),
        }
    }

    fn next_id(&self) -> String {
        let n = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("req-{n}")
    }

    /// Invokes the target as the gateway would for `tool_name` (prefix included).
    async fn invoke(&self, tool_name: &str, arguments: Value) -> Outcome {
        let id = self.next_id();
        let context = gateway_client_context(GATEWAY, tool_name, &format!("aws-{id}"));
        self.api.push_with_client_context(&id, arguments, context);
        self.outcome(&id).await
    }

    /// Invokes `tool` of our target and expects a normal answer.
    async fn call(&self, tool: &str, arguments: Value) -> Value {
        match self.invoke(&format!("{TARGET}___{tool}"), arguments).await {
            Outcome::Response(answer) => {
                assert!(answer.is_object(), "not an object: {answer}");
                assert!(
                    answer["ok"].is_boolean() && answer["message"].is_string(),
                    "{answer}"
                );
                answer
            }
            Outcome::Error(e) => panic!("a Lambda error for {tool}: {e}"),
        }
    }

    /// Sends an interceptor event and returns its answer.
    async fn intercept(&self, event: Value) -> Value {
        let id = self.next_id();
        self.api.push(&id, event);
        match self.outcome(&id).await {
            Outcome::Response(answer) => answer,
            Outcome::Error(e) => panic!("the interceptor reported an error: {e}"),
        }
    }

    async fn outcome(&self, id: &str) -> Outcome {
        let (outcome, _) = self
            .api
            .outcome(id, Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        outcome
    }
}

fn employee(id: u32) -> Value {
    json!({"employeeId": id.to_string(), "role": "employee"})
}

fn hr() -> Value {
    json!({"employeeId": test_support::lambda::HR_USER.to_string(), "role": "hr"})
}

/// `arguments` with `caller` as `_caller`.
fn with(caller: Value, mut arguments: Value) -> Value {
    arguments["_caller"] = caller;
    arguments
}

/// A year whose every day is still ahead, so employees may book any of it.
fn next_year() -> i32 {
    chrono::Utc::now().year() + 1
}

/// Every tool through the Gateway target: answers are the outcome's JSON, a repeated
/// booking is that booking (charged once), and the history says it came from the gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_answers_through_the_gateway_target() {
    let lambda = Lambda::start(&[]).await;
    let year = next_year();
    let two = test_support::seed(&lambda.store, 2, EmployeeStatus::Active, &[(year, 22, 0)]).await;
    let me = || employee(2);

    let balance = lambda
        .call(
            "get_available_vacations_days",
            with(me(), json!({"employee_id": 2, "year": year})),
        )
        .await;
    assert_eq!(
        (balance["ok"].clone(), balance["available_days"].clone()),
        (json!(true), json!(22))
    );

    let dates = json!({"employee_id": 2, "start_date": format!("{year}-03-02"), "end_date": format!("{year}-03-04")});
    let booked = lambda
        .call("reserve_vacation_time", with(me(), dates.clone()))
        .await;
    assert_eq!(booked["ok"], true, "{booked}");
    assert_eq!(booked["days_charged"], 3);
    let reservation = booked["reservation"]["reservation_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The same booking again (a retry, or the model asking twice): the same reservation,
    // charged once.
    let again = lambda
        .call("reserve_vacation_time", with(me(), dates))
        .await;
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(again["reservation"]["reservation_id"], reservation.as_str());
    assert_eq!(
        lambda
            .store
            .get_balance(two, year)
            .await
            .unwrap()
            .available(),
        19
    );

    let listed = lambda
        .call(
            "list_planned_vacations",
            with(me(), json!({"employee_id": "2"})),
        )
        .await;
    assert_eq!(
        listed["reservations"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );

    let cancelled = lambda
        .call(
            "cancel_vacation",
            with(
                me(),
                json!({"employee_id": 2, "reservation_id": reservation}),
            ),
        )
        .await;
    assert_eq!(
        (cancelled["ok"].clone(), cancelled["days_refunded"].clone()),
        (json!(true), json!(3))
    );
    assert_eq!(
        lambda
            .store
            .get_balance(two, year)
            .await
            .unwrap()
            .available(),
        22
    );

    let history = lambda.store.history(two).await.unwrap();
    assert_eq!(history.len(), 2);
    for entry in &history {
        assert!(
            entry
                .request
                .starts_with(&format!("agentcore-gateway:{GATEWAY}/aws-req-")),
            "{}",
            entry.request
        );
        assert_eq!(entry.actor, domain::Actor::employee(two));
    }
    test_support::assert_ledger_sound(&lambda.store, two).await;

    let (out, _) = lambda.running.stop();
    let line = out
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "answered" && l["tool"] == "cancel_vacation")
        .unwrap_or_else(|| panic!("no log line: {out:?}"));
    assert_eq!(
        (&line["style"], &line["caller_id"], &line["employee"]),
        (&json!("gateway"), &json!(2), &json!(2))
    );
}

/// A refusal case: its name, the call (tool, arguments), the `_caller` sent, the code
/// expected and a piece of its message.
type Case = (
    &'static str,
    (&'static str, Value),
    Option<Value>,
    &'static str,
    &'static str,
);

/// Bad input, no identity, a forged identity, acting for someone else, unknown tools:
/// each is an answer with `ok: false`, its code and a message, never a Lambda error,
/// and none of them changes a single item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_answers_and_change_nothing() {
    let lambda = Lambda::start(&[]).await;
    let year = next_year();
    test_support::seed(&lambda.store, 2, EmployeeStatus::Active, &[(year, 22, 0)]).await;
    test_support::seed(&lambda.store, 3, EmployeeStatus::Active, &[(year, 22, 0)]).await;
    let start = format!("{year}-03-02");
    let book = |args: Value| ("reserve_vacation_time", args);
    let booking = |employee: Value, start: Value, end: Value| json!({"employee_id": employee, "start_date": start, "end_date": end});
    let get = |employee: Value| {
        (
            "get_available_vacations_days",
            json!({"employee_id": employee}),
        )
    };
    let cases: Vec<Case> = vec![
        (
            "decimal id",
            get(json!(2.0)),
            Some(employee(2)),
            "invalid_parameters",
            "employee_id",
        ),
        (
            "zero id",
            get(json!(0)),
            Some(employee(2)),
            "invalid_parameters",
            "employee_id",
        ),
        (
            "negative id",
            get(json!(-1)),
            Some(employee(2)),
            "invalid_parameters",
            "employee_id",
        ),
        (
            "padded id",
            get(json!(" 2")),
            Some(employee(2)),
            "invalid_parameters",
            "employee_id",
        ),
        (
            "leading zero",
            get(json!("02")),
            Some(employee(2)),
            "invalid_parameters",
            "employee_id",
        ),
        (
            "boolean id",
            get(json!(true)),
            Some(employee(2)),
            "invalid_parameters",
            "must be a whole number",
        ),
        (
            "unknown parameter",
            (
                "get_available_vacations_days",
                json!({"employee_id": 2, "employeeId": 2}),
            ),
            Some(employee(2)),
            "invalid_parameters",
            "\"employeeId\" is not a parameter",
        ),
        (
            "day-first date",
            book(booking(json!(2), json!("02/03/2027"), json!(start))),
            Some(employee(2)),
            "invalid_parameters",
            "start_date",
        ),
        (
            "end before start",
            book(booking(
                json!(2),
                json!(format!("{year}-03-05")),
                json!(start),
            )),
            Some(employee(2)),
            "invalid_parameters",
            "end_date",
        ),
        (
            "too long",
            book(booking(
                json!(2),
                json!(start),
                json!(format!("{year}-12-30")),
            )),
            Some(employee(2)),
            "invalid_parameters",
            "end_date",
        ),
        (
            "date as a number",
            book(booking(json!(2), json!(20270302), json!(start))),
            Some(employee(2)),
            "invalid_parameters",
            "start_date must be text",
        ),
        (
            "both cancel targets",
            (
                "cancel_vacation",
                json!({"employee_id": 2, "reservation_id": "0123456789ab", "start_date": start}),
            ),
            Some(employee(2)),
            "invalid_parameters",
            "not both",
        ),
        (
            "no cancel target",
            ("cancel_vacation", json!({"employee_id": 2})),
            Some(employee(2)),
            "invalid_parameters",
            "say which vacation",
        ),
        (
            "arguments not an object",
            ("get_available_vacations_days", json!([2])),
            None,
            "malformed_event",
            "not a JSON object",
        ),
        (
            "no caller",
            get(json!(2)),
            None,
            "not_signed_in",
            "not linked to a signed-in user",
        ),
        (
            "caller without a role",
            get(json!(2)),
            Some(json!({"employeeId": "2"})),
            "invalid_identity",
            "without a role",
        ),
        (
            "caller with another role",
            get(json!(2)),
            Some(json!({"employeeId": "2", "role": "admin"})),
            "invalid_identity",
            "employee or hr",
        ),
        (
            "caller as text",
            get(json!(2)),
            Some(json!("hr")),
            "invalid_identity",
            "not an object",
        ),
        (
            "caller with extra fields",
            get(json!(2)),
            Some(json!({"employeeId": "2", "role": "employee", "actAs": "hr"})),
            "invalid_identity",
            "unknown fields",
        ),
        (
            "acting for another employee",
            book(booking(json!(3), json!(start), json!(start))),
            Some(employee(2)),
            "not_allowed",
            "only view and manage your own vacations",
        ),
        (
            "reading another employee",
            get(json!(3)),
            Some(employee(2)),
            "not_allowed",
            "employee 3",
        ),
    ];
    let before = dump(lambda.store.client(), lambda.store.table_name()).await;
    let mut failures = Vec::new();
    for (name, (tool, args), caller, code, says) in cases {
        let args = match caller {
            Some(caller) => with(caller, args),
            None => args,
        };
        let answer = lambda.call(tool, args).await;
        let message = answer["message"].as_str().unwrap_or_default();
        if answer["ok"] != false || answer["error"] != code || !message.contains(says) {
            failures.push(format!(
                "{name}: expected {code} saying {says:?}, got {answer}"
            ));
        }
    }
    for unknown in [
        format!("{TARGET}___drop_table"),
        "other___get_available_vacations_days".to_owned(),
        "get_available_vacations_days".to_owned(),
    ] {
        match lambda
            .invoke(&unknown, with(hr(), json!({"employee_id": 2})))
            .await
        {
            Outcome::Response(answer) if answer["error"] == "unknown_function" => {
                let listed = answer["available_functions"].as_array().map(Vec::len);
                assert_eq!(listed, Some(4), "{answer}");
            }
            other => failures.push(format!(
                "{unknown}: expected unknown_function, got {other:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let after = dump(lambda.store.client(), lambda.store.table_name()).await;
    assert_eq!(before, after, "a refused call changed the table");
}

/// With DynamoDB out of reach the call is a Lambda error (what the gateway reports as a
/// failure), whose text says the system is unavailable; nothing else ever is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_broken_dependency_is_a_lambda_error() {
    let api = RuntimeApi::start().await;
    let mut command = bootstrap_command(
        Path::new(&bootstrap_path(env!("CARGO_BIN_EXE_bootstrap"))),
        &api.address(),
        "no-such-table",
        "http://127.0.0.1:9",
    );
    command.env("HR_DEADLINE_MS", "3000");
    let _running = Running::spawn(command);
    let context = gateway_client_context(
        "gw-unreachable",
        "vacations___get_available_vacations_days",
        "aws-req-1",
    );
    api.push_with_client_context(
        "req-1",
        with(employee(2), json!({"employee_id": 2})),
        context,
    );
    let (outcome, _) = api.outcome("req-1", Duration::from_secs(30)).await.unwrap();
    let Outcome::Error(error) = outcome else {
        panic!("expected a Lambda error, got {outcome:?}")
    };
    assert_eq!(error["errorType"], "DependencyFailure", "{error}");
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("unavailable") || message.contains("did not answer"),
        "{message}"
    );
}

/// An unsigned JWT with `claims` (the interceptor trusts the gateway's authorizer to have
/// verified the signature).
fn token(claims: Value) -> String {
    let part = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        part(json!({"alg": "RS256", "typ": "JWT"})),
        part(claims)
    )
}

fn interceptor_event(authorization: Option<String>, body: Value) -> Value {
    let mut headers = json!({"Accept": "application/json", "Mcp-Session-Id": "s-1"});
    if let Some(value) = authorization {
        headers["Authorization"] = json!(value);
    }
    json!({
        "interceptorInputVersion": "1.0",
        "mcp": {
            "rawGatewayRequest": {"body": body.to_string()},
            "gatewayRequest": {"path": "/mcp", "httpMethod": "POST", "headers": headers, "body": body},
        },
    })
}

fn tools_call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": format!("{TARGET}___{tool}"), "arguments": arguments}})
}

/// The interceptor writes the token's caller into every `tools/call`, replacing what the
/// client sent; without a usable identity it answers at once; other methods pass through.
/// What it forwards is what the target then serves: the identity the model cannot change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interceptor_hands_the_tokens_caller_to_the_target() {
    let lambda = Lambda::start(&[]).await;
    let year = next_year();
    test_support::seed(&lambda.store, 2, EmployeeStatus::Active, &[(year, 22, 0)]).await;
    test_support::seed(&lambda.store, 3, EmployeeStatus::Active, &[(year, 22, 0)]).await;
    let employee_two = format!(
        "Bearer {}",
        token(json!({"custom:employee_id": "2", "sub": "u2"}))
    );
    let hr_user = format!(
        "Bearer {}",
        token(json!({"custom:employee_id": 900000, "cognito:groups": ["staff", "hr"]}))
    );

    // Other methods pass through unchanged.
    for body in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}}),
    ] {
        let answer = lambda
            .intercept(interceptor_event(None, body.clone()))
            .await;
        assert_eq!(
            answer,
            json!({"interceptorOutputVersion": "1.0", "mcp": {"transformedGatewayRequest": {"body": body}}})
        );
    }

    // A client-sent `_caller` claiming HR is replaced by the token's employee.
    let forged = tools_call(
        3,
        "get_available_vacations_days",
        json!({"employee_id": 3, "_caller": {"employeeId": "900000", "role": "hr"}}),
    );
    let answer = lambda
        .intercept(interceptor_event(Some(employee_two.clone()), forged))
        .await;
    let forwarded = &answer["mcp"]["transformedGatewayRequest"]["body"];
    assert_eq!(
        forwarded["params"]["arguments"]["_caller"],
        employee(2),
        "{answer}"
    );
    assert!(answer["mcp"].get("transformedGatewayResponse").is_none());
    // ... so the target refuses employee 2 reading employee 3.
    let served = lambda
        .call(
            "get_available_vacations_days",
            forwarded["params"]["arguments"].clone(),
        )
        .await;
    assert_eq!(served["error"], "not_allowed", "{served}");

    // HR by group membership; arguments absent become an object with the caller.
    let answer = lambda
        .intercept(interceptor_event(
            Some(hr_user),
            json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "vacations___list_planned_vacations"}}),
        ))
        .await;
    assert_eq!(
        answer["mcp"]["transformedGatewayRequest"]["body"]["params"]["arguments"],
        json!({"_caller": hr()})
    );

    // No usable identity: answered at once with an MCP tool result marked as an error.
    for (authorization, code) in [
        (None, "not_signed_in"),
        (Some("Basic dXNlcjpwYXNz".to_owned()), "not_signed_in"),
        (
            Some(format!(
                "Bearer {}",
                token(json!({"sub": "no-employee-id"}))
            )),
            "not_signed_in",
        ),
        (Some("Bearer not.a-token".to_owned()), "invalid_identity"),
        (
            Some(format!(
                "Bearer {}",
                token(json!({"custom:employee_id": "two"}))
            )),
            "invalid_identity",
        ),
    ] {
        let call = tools_call(7, "get_available_vacations_days", json!({"employee_id": 2}));
        let answer = lambda
            .intercept(interceptor_event(authorization.clone(), call))
            .await;
        let response = &answer["mcp"]["transformedGatewayResponse"];
        assert_eq!(response["statusCode"], 200, "{authorization:?}: {answer}");
        assert_eq!(response["body"]["id"], 7);
        let result = &response["body"]["result"];
        assert_eq!(result["isError"], true, "{answer}");
        let text: Value =
            serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(
            (text["ok"].clone(), text["error"].clone()),
            (json!(false), json!(code)),
            "{authorization:?}"
        );
        assert_eq!(result["structuredContent"], text);
    }

    let (out, _) = lambda.running.stop();
    for line in &out {
        assert!(!line.contains("eyJ"), "a token in the log: {line}");
    }
}

/// The claim names are configurable: a deployment with its own identity provider maps
/// its own claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claim_mapping_is_configurable() {
    let lambda = Lambda::start(&[
        ("HR_CLAIM_EMPLOYEE_ID", "employee_number"),
        ("HR_CLAIM_ROLE", "roles"),
        ("HR_CLAIM_HR_VALUE", "people-team"),
    ])
    .await;
    let authorization = format!(
        "Bearer {}",
        token(json!({"employee_number": "41", "roles": "people-team", "custom:employee_id": "2"}))
    );
    let call = tools_call(1, "list_planned_vacations", json!({"employee_id": 2}));
    let answer = lambda
        .intercept(interceptor_event(Some(authorization), call))
        .await;
    assert_eq!(
        answer["mcp"]["transformedGatewayRequest"]["body"]["params"]["arguments"]["_caller"],
        json!({"employeeId": "41", "role": "hr"}),
        "{answer}"
    );
}
