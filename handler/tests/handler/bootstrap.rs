//! The real `bootstrap` binary, run as a process against a local Lambda Runtime API and
//! DynamoDB Local: it answers the recorded event (and others) correctly through
//! `/invocation/next` and `/response`, logs JSON lines without personal data, and refuses
//! to start without its table. Set `BOOTSTRAP_BIN` to test another build of it, such as
//! the packaged artifact.

use std::path::Path;
use std::time::Duration;

use chrono::Datelike;
use domain::{Employee, EmployeeId, EmployeeStatus, YearBalance};
use serde_json::{json, Value};
use test_support::lambda::{
    as_employee, as_hr, bootstrap_command, bootstrap_path, check_answer, fixture_event,
    function_event, Outcome, Running, RuntimeApi,
};

const NAME: &str = "Zanele Okonkwo";

fn bootstrap() -> String {
    bootstrap_path(env!("CARGO_BIN_EXE_bootstrap"))
}

async fn answer(api: &RuntimeApi, id: &str, event: Value) -> Value {
    api.push(id, event.clone());
    let (outcome, _) = api
        .outcome(id, Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match outcome {
        Outcome::Response(response) => {
            check_answer(&event, &response).unwrap_or_else(|e| panic!("{e}: {response}"));
            response
        }
        Outcome::Error(error) => panic!("the function reported an error for {id}: {error}"),
    }
}

fn body(response: &Value) -> Value {
    let text = response["response"]["functionResponse"]["responseBody"]["TEXT"]["body"]
        .as_str()
        .unwrap_or_else(|| panic!("no TEXT body: {response}"));
    serde_json::from_str(text).unwrap()
}

/// The built binary serves the recorded event and a booking end to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_the_recorded_event() {
    let store = test_support::fresh_store().await;
    let year = chrono::Utc::now().year();
    let two = EmployeeId::new(2).unwrap();
    let profile = Employee::new(
        two,
        NAME,
        "Payroll specialist",
        test_support::date("2019-03-01"),
        EmployeeStatus::Active,
    )
    .unwrap();
    store
        .put_employee(&profile, &[YearBalance::new(year, 22, 0).unwrap()])
        .await
        .unwrap();

    let api = RuntimeApi::start().await;
    let endpoint = &test_support::dynamodb_local().endpoint;
    let running = Running::spawn(bootstrap_command(
        Path::new(&bootstrap()),
        &api.address(),
        store.table_name(),
        endpoint,
    ));

    // As recorded: no identity in the session, so a clear refusal, not an error.
    let refused = answer(&api, "req-1", fixture_event()).await;
    assert_eq!(
        refused["response"]["function"],
        "get_available_vacations_days"
    );
    assert!(refused["response"]["functionResponse"]
        .get("responseState")
        .is_none());
    assert_eq!(body(&refused)["error"], "not_signed_in");

    // The same question from the signed-in employee 2.
    let mut signed_in = fixture_event();
    signed_in["sessionAttributes"] = as_employee(2);
    let answered = answer(&api, "req-2", signed_in).await;
    let figures = body(&answered);
    assert_eq!(
        (figures["available_days"].clone(), figures["year"].clone()),
        (json!(22), json!(year))
    );
    assert_eq!(answered["sessionAttributes"], as_employee(2));

    // A booking by HR really writes.
    let start = format!("{year}-01-24");
    let end = format!("{year}-01-26");
    let booking = function_event(
        "reserve_vacation_time",
        &[
            ("employee_id", "2"),
            ("start_date", &start),
            ("end_date", &end),
        ],
        as_hr(),
        &format!("Book {NAME} from {start} to {end}"),
    );
    let booked = body(&answer(&api, "req-3", booking).await);
    assert_eq!(booked["days_charged"], 3);
    assert_eq!(store.get_balance(two, year).await.unwrap().available(), 19);

    // Garbage is still answered on /response, never /error.
    let garbage = answer(&api, "req-4", json!(["not", "an", "event"])).await;
    assert_eq!(body(&garbage)["error"], "malformed_event");

    let (out, err) = running.stop();
    if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
        eprintln!(
            "bootstrap stdout:\n{}\nbootstrap stderr:\n{}",
            out.join("\n"),
            err.join("\n")
        );
    }
    assert!(
        out.iter().any(|l| l.contains("\"answered\"")),
        "no answer logged: {out:?} {err:?}"
    );
    // The booking's line says who acted for whom, and on which reservation: ids only.
    let reservation = booked["reservation"]["reservation_id"].as_str().unwrap();
    let logged: Vec<Value> = out
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "answered" && v["tool"] == "reserve_vacation_time")
        .collect();
    assert_eq!(logged.len(), 1, "{out:?}");
    assert_eq!(
        (
            &logged[0]["caller_id"],
            &logged[0]["caller_role"],
            &logged[0]["employee"],
            &logged[0]["reservation"]
        ),
        (
            &json!(test_support::lambda::HR_USER),
            &json!("hr"),
            &json!(2),
            &json!(reservation)
        ),
        "{:?}",
        logged[0]
    );
    for line in out.iter().chain(&err) {
        let parsed: Result<Value, _> = serde_json::from_str(line);
        assert!(
            parsed.is_ok_and(|v| v.is_object()),
            "not a JSON log line: {line}"
        );
        for secret in [NAME, "Zanele", "How much vacation", "Book "] {
            assert!(!line.contains(secret), "personal data in the log: {line}");
        }
    }
}

/// Without `TABLE_NAME` the binary stops at once and says why.
#[test]
fn the_binary_refuses_to_start_without_its_table() {
    let output = bootstrap_command(
        Path::new(&bootstrap()),
        "127.0.0.1:9",
        "",
        "http://127.0.0.1:9",
    )
    .env_remove("TABLE_NAME")
    .output()
    .unwrap_or_else(|e| panic!("starting {}: {e}", bootstrap()));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TABLE_NAME must be set"), "{stderr}");
}
