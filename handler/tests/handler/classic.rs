//! Every tool end to end through `Handler::handle`, in both action-group styles, against
//! DynamoDB Local: the recorded event, the original conversation, bookings and their
//! idempotency, cancellations, pass-through of session attributes, and dependency failure.

use crate::support::*;
use handler::{AnonymousAccess, Handler, Settings};
use serde_json::{json, Value};
use test_support::lambda::{as_employee, as_hr, check_answer, fixture_event};

/// The recorded event carries no identity: by default it is refused with a clear message
/// (not a failure), and with the local-demo setting it is answered from the table.
#[tokio::test]
async fn the_recorded_event_is_refused_without_identity_and_answered_in_demo_mode() {
    let (strict, store) = handler().await;
    let id = active(&store, 2, &[(2025, 20, 5), (2026, 22, 0)]).await;

    let answer = call(&strict, &fixture_event()).await;
    assert_eq!(answer.state, None);
    assert_eq!(answer.code(), "not_signed_in");
    assert!(
        answer.message().contains("not linked to a signed-in user"),
        "{answer:?}"
    );

    let demo = Handler::new(
        store.clone(),
        Settings {
            anonymous_access: AnonymousAccess::HrForLocalDemo,
            today: Some(today()),
            ..Settings::default()
        },
    );
    let answer = call(&demo, &fixture_event()).await;
    assert_done(&answer);
    assert_eq!(answer.body["available_days"], 22);
    assert_eq!(answer.body["year"], 2026);
    assert_eq!(answer.body["employee_id"], 2);

    let mut signed_in = fixture_event();
    signed_in["sessionAttributes"] = as_employee(2);
    let answer = call(&strict, &signed_in).await;
    assert_done(&answer);
    assert_eq!(
        answer.message(),
        "Employee 2 has 22 vacation day(s) available in 2026 (22 granted, 0 taken or booked)."
    );
    assert_eq!(available(&store, id, 2026).await, 22);
}

/// The original conversation, in both styles: ask, book 2026-01-24 to 26, ask again (the
/// balance drops by 3), list, cancel by id (it comes back), book and cancel by date.
#[tokio::test]
async fn every_tool_works_end_to_end_in_both_styles() {
    for style in STYLES {
        let (handler, store) = handler().await;
        let id = active(&store, 2, &[(2026, 22, 0)]).await;
        let me = || as_employee(2);

        let ask = event(
            style,
            "get_available_vacations_days",
            &[("employee_id", "2")],
            me(),
            "How much?",
        );
        assert_eq!(
            call(&handler, &ask).await.body["available_days"],
            22,
            "{style:?}"
        );

        let book = event(
            style,
            "reserve_vacation_time",
            &[
                ("employee_id", "2"),
                ("start_date", "2026-01-24"),
                ("end_date", "2026-01-26"),
            ],
            me(),
            "Book 2026-01-24 to 2026-01-26",
        );
        let booked = call(&handler, &book).await;
        assert_done(&booked);
        assert_eq!(booked.body["days_charged"], 3);
        assert_eq!(
            booked.body["remaining"],
            json!([{"year": 2026, "available_days": 19, "total_days": 22}])
        );
        let reservation = booked.body["reservation"].clone();
        assert_eq!(reservation["start_date"], "2026-01-24");
        assert_eq!(reservation["end_date"], "2026-01-26");
        let reservation_id = reservation["reservation_id"].as_str().unwrap().to_owned();
        assert!(
            booked
                .message()
                .contains("3 day(s) charged; 19 day(s) left in 2026"),
            "{booked:?}"
        );

        assert_eq!(call(&handler, &ask).await.body["available_days"], 19);
        assert_eq!(available(&store, id, 2026).await, 19);

        let list = event(
            style,
            "list_planned_vacations",
            &[("employee_id", "2")],
            me(),
            "What is planned?",
        );
        let listed = call(&handler, &list).await;
        assert_done(&listed);
        assert_eq!(listed.body["reservations"], json!([reservation]));
        let list_2025 = event(
            style,
            "list_planned_vacations",
            &[("employee_id", "2"), ("year", "2025")],
            me(),
            "And in 2025?",
        );
        let listed = call(&handler, &list_2025).await;
        assert_eq!(listed.body["reservations"], json!([]));
        assert_eq!(
            listed.message(),
            "Employee 2 has no booked vacations touching 2025."
        );

        let cancel = event(
            style,
            "cancel_vacation",
            &[("employee_id", "2"), ("reservation_id", &reservation_id)],
            me(),
            "Cancel it",
        );
        let cancelled = call(&handler, &cancel).await;
        assert_done(&cancelled);
        assert_eq!(cancelled.body["days_refunded"], 3);
        assert_eq!(cancelled.body["remaining"][0]["available_days"], 22);
        assert_eq!(available(&store, id, 2026).await, 22);

        let book_again = event(
            style,
            "reserve_vacation_time",
            &[
                ("employee_id", "2"),
                ("start_date", "2026-07-01"),
                ("end_date", "2026-07-10"),
            ],
            me(),
            "Ten days in July",
        );
        assert_eq!(call(&handler, &book_again).await.body["days_charged"], 10);
        let cancel_by_day = event(
            style,
            "cancel_vacation",
            &[("employee_id", "2"), ("start_date", "2026-07-05")],
            me(),
            "Cancel my July vacation",
        );
        let cancelled = call(&handler, &cancel_by_day).await;
        assert_done(&cancelled);
        assert_eq!(cancelled.body["cancelled"]["start_date"], "2026-07-01");
        assert_eq!(available(&store, id, 2026).await, 22);
        test_support::assert_ledger_sound(&store, id).await;
    }
}

/// The name the original Lambda routed still works, and is echoed as sent.
#[tokio::test]
async fn the_original_tutorial_s_function_name_still_routes() {
    let (handler, store) = handler().await;
    active(&store, 2, &[(2026, 22, 4)]).await;
    for style in STYLES {
        let ask = event(
            style,
            "get_available_vacation_days",
            &[("employee_id", "2")],
            as_hr(),
            "?",
        );
        let answer = call(&handler, &ask).await;
        assert_done(&answer);
        assert_eq!(answer.body["available_days"], 18);
    }
}

/// An optional year selects that year's balance.
#[tokio::test]
async fn a_year_can_be_asked_for() {
    let (handler, store) = handler().await;
    active(&store, 4, &[(2025, 20, 5), (2026, 22, 0)]).await;
    let ask = event(
        Style::Function,
        "get_available_vacations_days",
        &[("employee_id", "4"), ("year", "2025")],
        as_hr(),
        "And last year?",
    );
    let answer = call(&handler, &ask).await;
    assert_eq!(
        (
            answer.body["year"].clone(),
            answer.body["available_days"].clone()
        ),
        (json!(2025), json!(15))
    );
}

/// A booking across New Year charges each year its own days and reports both balances.
#[tokio::test]
async fn a_booking_across_new_year_reports_both_years() {
    let (_, store) = handler().await;
    let settings = Settings {
        today: Some(test_support::date("2025-12-01")),
        ..Settings::default()
    };
    let handler = Handler::new(store.clone(), settings);
    active(&store, 6, &[(2025, 20, 0), (2026, 22, 0)]).await;
    let book = event(
        Style::Api,
        "reserve_vacation_time",
        &[
            ("employee_id", "6"),
            ("start_date", "2025-12-30"),
            ("end_date", "2026-01-02"),
        ],
        as_employee(6),
        "New Year off",
    );
    let answer = call(&handler, &book).await;
    assert_eq!(answer.status, Some(200));
    assert_eq!(answer.body["days_charged"], 4);
    assert_eq!(
        answer.body["remaining"],
        json!([
            {"year": 2025, "available_days": 18, "total_days": 20},
            {"year": 2026, "available_days": 20, "total_days": 22},
        ])
    );
}

/// Bedrock retrying the same invocation books once and answers with the same booking.
#[tokio::test]
async fn a_retried_invocation_books_once() {
    let (handler, store) = handler().await;
    let id = active(&store, 2, &[(2026, 22, 0)]).await;
    let book = event(
        Style::Function,
        "reserve_vacation_time",
        &[
            ("employee_id", "2"),
            ("start_date", "2026-01-24"),
            ("end_date", "2026-01-26"),
        ],
        as_employee(2),
        "Book the 24th to the 26th",
    );
    let first = call(&handler, &book).await;
    let second = call(&handler, &book).await;
    assert_done(&second);
    assert_eq!(first.body["reservation"], second.body["reservation"]);
    assert_eq!(second.body["remaining"][0]["available_days"], 19);
    assert_eq!(available(&store, id, 2026).await, 19);
    let ledger = test_support::assert_ledger_sound(&store, id).await;
    assert_eq!(ledger.reservations.len(), 1);
}

/// A new request (another turn) for days already booked is an overlap naming the days;
/// for other days it is a second booking.
#[tokio::test]
async fn a_new_request_books_anew_or_reports_the_overlap() {
    let (handler, store) = handler().await;
    let id = active(&store, 2, &[(2026, 22, 0)]).await;
    let book = |start: &str, end: &str, said: &str| {
        event(
            Style::Function,
            "reserve_vacation_time",
            &[
                ("employee_id", "2"),
                ("start_date", start),
                ("end_date", end),
            ],
            as_employee(2),
            said,
        )
    };
    assert_done(&call(&handler, &book("2026-01-24", "2026-01-26", "Book 24 to 26")).await);
    let clash = call(&handler, &book("2026-01-25", "2026-01-27", "Then 25 to 27")).await;
    assert_eq!(clash.state.as_deref(), Some("REPROMPT"));
    assert_eq!(clash.code(), "overlap");
    assert!(
        clash.message().contains("2026-01-25, 2026-01-26"),
        "{clash:?}"
    );
    assert_eq!(
        clash.body["booked_dates"],
        json!(["2026-01-25", "2026-01-26"])
    );
    let other = call(
        &handler,
        &book("2026-02-02", "2026-02-03", "And 2 to 3 February"),
    )
    .await;
    assert_done(&other);
    assert_eq!(available(&store, id, 2026).await, 17);
}

/// With the application's turn id, the same words in two turns are two requests.
#[tokio::test]
async fn a_turn_id_tells_repeated_words_apart() {
    let (handler, store) = handler().await;
    let id = active(&store, 2, &[(2026, 22, 0)]).await;
    let mut book = event(
        Style::Function,
        "reserve_vacation_time",
        &[
            ("employee_id", "2"),
            ("start_date", "2026-05-04"),
            ("end_date", "2026-05-05"),
        ],
        as_employee(2),
        "yes",
    );
    book["promptSessionAttributes"] = json!({"turnId": "turn-1"});
    let first = call(&handler, &book).await;
    assert_done(&first);
    let cancel = event(
        Style::Function,
        "cancel_vacation",
        &[
            ("employee_id", "2"),
            (
                "reservation_id",
                first.body["reservation"]["reservation_id"]
                    .as_str()
                    .unwrap(),
            ),
        ],
        as_employee(2),
        "yes",
    );
    assert_done(&call(&handler, &cancel).await);
    book["promptSessionAttributes"] = json!({"turnId": "turn-2"});
    let again = call(&handler, &book).await;
    assert_done(&again);
    assert_ne!(
        first.body["reservation"]["reservation_id"],
        again.body["reservation"]["reservation_id"]
    );
    assert_eq!(available(&store, id, 2026).await, 20);
}

/// The very same request again after its booking was cancelled (the same words in the
/// same conversation) books again, for real: a new incarnation of the reservation, charged
/// once, and the answer is what the table holds.
#[tokio::test]
async fn repeating_a_cancelled_request_books_it_again_truthfully() {
    let (handler, store) = handler().await;
    let id = active(&store, 2, &[(2026, 22, 0)]).await;
    let book = event(
        Style::Function,
        "reserve_vacation_time",
        &[
            ("employee_id", "2"),
            ("start_date", "2026-06-01"),
            ("end_date", "2026-06-03"),
        ],
        as_employee(2),
        "Book June 1 to 3",
    );
    let booked = call(&handler, &book).await;
    let rid = booked.body["reservation"]["reservation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancel = event(
        Style::Function,
        "cancel_vacation",
        &[("employee_id", "2"), ("reservation_id", &rid)],
        as_employee(2),
        "Cancel it",
    );
    assert_done(&call(&handler, &cancel).await);
    let replay = call(&handler, &book).await;
    assert_done(&replay);
    assert_eq!(replay.body["reservation"]["reservation_id"], rid.as_str());
    assert_eq!(replay.body["remaining"][0]["available_days"], 19);
    assert_eq!(available(&store, id, 2026).await, 19);
    let ledger = test_support::assert_ledger_sound(&store, id).await;
    assert_eq!(ledger.reservations.len(), 1);
    assert_eq!(ledger.history.len(), 3, "booked, cancelled, booked");
}

/// Session and prompt session attributes come back unchanged, whatever the outcome.
#[tokio::test]
async fn session_attributes_pass_through() {
    let (handler, store) = handler().await;
    active(&store, 2, &[(2026, 22, 0)]).await;
    let session = json!({"employeeId": "2", "role": "employee", "locale": "en-GB"});
    for style in STYLES {
        for employee in ["2", "3", "x"] {
            let mut ask = event(
                style,
                "get_available_vacations_days",
                &[("employee_id", employee)],
                session.clone(),
                "?",
            );
            ask["promptSessionAttributes"] = json!({"turnId": "t-9", "channel": "web"});
            // `call` checks both maps are echoed exactly.
            call(&handler, &ask).await;
        }
    }
}

/// Only a broken dependency is a FAILURE (503 for OpenAPI), and its message gives nothing
/// of DynamoDB away.
#[tokio::test]
async fn an_unreachable_table_is_a_failure() {
    let config = store::StoreConfig {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        ..store::StoreConfig::new("vacations")
    };
    let store = store::Store::from_sdk_config(&test_support::sdk_config().await, config);
    let handler = Handler::new(
        store,
        Settings {
            today: Some(today()),
            ..Settings::default()
        },
    );
    for style in STYLES {
        let ask = event(
            style,
            "get_available_vacations_days",
            &[("employee_id", "2")],
            as_hr(),
            "?",
        );
        let answer = call(&handler, &ask).await;
        match style {
            Style::Function => assert_eq!(answer.state.as_deref(), Some("FAILURE")),
            Style::Api => assert_eq!(answer.status, Some(503)),
        }
        assert_eq!(answer.code(), "unavailable");
        assert!(!answer.message().contains("127.0.0.1"), "{answer:?}");
    }
}

/// The answer to a malformed event is still one Bedrock accepts, echoing what it can.
#[tokio::test]
async fn malformed_events_get_well_formed_answers() {
    let (handler, _store) = handler().await;
    for raw in [
        json!(null),
        json!("text"),
        json!([]),
        json!({}),
        json!({"actionGroup": "G", "function": 7}),
        json!({"actionGroup": "G", "apiPath": "/list_planned_vacations"}),
        json!({"actionGroup": "G", "function": "list_planned_vacations", "parameters": "employee_id=2"}),
    ] {
        let response = handler.handle(raw.clone()).await;
        let answer =
            check_answer(&raw, &response).unwrap_or_else(|e| panic!("{e}: {raw} -> {response}"));
        assert_eq!(answer.code(), "malformed_event", "{raw}");
        assert_eq!(answer.body["ok"], Value::Bool(false));
    }
}
