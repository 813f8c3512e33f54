//! `InvokeAgent`'s event stream, mocked with real event-stream frames (chunks, traces, a
//! returnControl asking for confirmation, error events): what the terminal shows, what is
//! sent back to the agent, and the exit status of each error.

use std::sync::{Arc, Mutex};

use aws_sdk_bedrockagentruntime::operation::invoke_agent::InvokeAgentInput;
use aws_sdk_bedrockagentruntime::types::{ConfirmationState, InvocationResultMember};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine;
use provisioner::error::{ErrorKind, InvokeError};
use provisioner::exit;
use provisioner::invoke::{Confirm, Conversation, Identity};
use serde_json::json;

/// One event-stream frame, as Bedrock writes it.
fn frame(
    message_type: &'static str,
    type_header: &'static str,
    kind: &'static str,
    payload: serde_json::Value,
) -> Vec<u8> {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.into()),
        ))
        .add_header(Header::new(type_header, HeaderValue::String(kind.into())))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut out).unwrap();
    out
}

fn event(kind: &'static str, payload: serde_json::Value) -> Vec<u8> {
    frame("event", ":event-type", kind, payload)
}

fn chunk(text: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    event("chunk", json!({"bytes": b64}))
}

fn trace(trace: serde_json::Value) -> Vec<u8> {
    event(
        "trace",
        json!({"agentId": "AGENT00001", "sessionId": "s-1", "trace": trace}),
    )
}

fn exception(kind: &'static str, message: &str) -> Vec<u8> {
    frame(
        "exception",
        ":exception-type",
        kind,
        json!({"message": message}),
    )
}

fn stream(frames: &[Vec<u8>]) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(200).unwrap(),
        SdkBody::from(frames.concat()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/vnd.amazon.eventstream");
    response
        .headers_mut()
        .insert("x-amz-bedrock-agent-session-id", "s-1");
    response
}

/// Scripted answers to confirmations, and the questions asked.
#[derive(Default)]
struct Script {
    answers: Vec<bool>,
    asked: usize,
}

impl Confirm for Script {
    fn confirm(&mut self, _question: &str) -> std::io::Result<bool> {
        self.asked += 1;
        Ok(self.answers.get(self.asked - 1).copied().unwrap_or(false))
    }
}

fn conversation(client: aws_sdk_bedrockagentruntime::Client, trace: bool) -> Conversation {
    Conversation::new(
        client,
        "AGENT00001",
        "ALIAS00001",
        "s-1",
        Identity::Employee("2".into()),
        trace,
    )
}

fn text(buf: &[u8]) -> String {
    String::from_utf8(buf.to_vec()).unwrap()
}

/// Chunks print as they come; with --trace the rationale, the function call with its
/// parameters and what the Lambda returned are rendered on stderr.
#[tokio::test]
async fn chunks_print_and_the_trace_renders_each_step() {
    let seen: Arc<Mutex<Vec<InvokeAgentInput>>> = Arc::default();
    let log = seen.clone();
    let rule = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(move |r| {
            log.lock().unwrap().push(r.clone());
            true
        })
        .then_http_response(|| {
            stream(&[
                trace(json!({"orchestrationTrace": {"rationale": {"text": "The user wants their balance."}}})),
                trace(json!({"orchestrationTrace": {"invocationInput": {
                    "invocationType": "ACTION_GROUP",
                    "actionGroupInvocationInput": {
                        "actionGroupName": "vacations",
                        "function": "get_available_vacations_days",
                        "parameters": [{"name": "employee_id", "type": "integer", "value": "2"}]
                    }
                }}})),
                trace(json!({"orchestrationTrace": {"observation": {
                    "type": "ACTION_GROUP",
                    "actionGroupInvocationOutput": {"text": "{\"available\":10}"}
                }}})),
                chunk("You have "),
                chunk("10 days left."),
            ])
        });
    let client = mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, &[&rule]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let turn = conversation(client, true)
        .say(
            Some("How many days do I have?"),
            false,
            &mut out,
            &mut err,
            &mut Script::default(),
        )
        .await
        .unwrap();
    assert_eq!(text(&out), "You have 10 days left.\n");
    assert_eq!(turn.answer, "You have 10 days left.");
    let err = text(&err);
    assert!(
        err.contains("· thinking: The user wants their balance."),
        "{err}"
    );
    assert!(
        err.contains("→ calls vacations.get_available_vacations_days(employee_id=2)"),
        "{err}"
    );
    assert!(
        err.contains("← the Lambda returned: {\"available\":10}"),
        "{err}"
    );

    let sent = seen.lock().unwrap();
    let request = sent.first().unwrap();
    assert_eq!(request.input_text(), Some("How many days do I have?"));
    assert_eq!(request.enable_trace(), Some(true));
    let attrs = request
        .session_state()
        .and_then(|s| s.session_attributes())
        .unwrap();
    assert_eq!(attrs["employeeId"], "2");
    assert_eq!(attrs["role"], "employee");
}

/// Without --trace the steps stay hidden, but a failure trace is always shown.
#[tokio::test]
async fn failures_show_even_without_trace() {
    let rule = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent).then_http_response(|| {
        stream(&[
            trace(json!({"orchestrationTrace": {"rationale": {"text": "hidden"}}})),
            trace(json!({"failureTrace": {"failureReason": "The Lambda timed out", "failureCode": 424}})),
            chunk("Sorry."),
        ])
    });
    let client = mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, &[&rule]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    conversation(client, false)
        .say(
            Some("hi"),
            false,
            &mut out,
            &mut err,
            &mut Script::default(),
        )
        .await
        .unwrap();
    let err = text(&err);
    assert!(!err.contains("hidden"), "{err}");
    assert!(err.contains("✗ failure 424: The Lambda timed out"), "{err}");
}

fn return_control() -> Vec<u8> {
    event(
        "returnControl",
        json!({
            "invocationId": "inv-1",
            "invocationInputs": [{"functionInvocationInput": {
                "actionGroup": "vacations",
                "function": "reserve_vacation_time",
                "actionInvocationType": "USER_CONFIRMATION",
                "parameters": [
                    {"name": "employee_id", "type": "integer", "value": "2"},
                    {"name": "start_date", "type": "string", "value": "2026-01-24"},
                    {"name": "end_date", "type": "string", "value": "2026-01-26"}
                ]
            }}]
        }),
    )
}

fn confirmation_of(input: &InvokeAgentInput) -> Option<(String, ConfirmationState)> {
    let state = input.session_state()?;
    let id = state.invocation_id()?.to_owned();
    match state.return_control_invocation_results().first()? {
        InvocationResultMember::FunctionResult(f) => {
            (f.function() == Some("reserve_vacation_time") && f.action_group() == "vacations")
                .then(|| (id, f.confirmation_state().cloned().unwrap()))
        }
        _ => None,
    }
}

/// A confirmation request is shown; the answer goes back with the matching invocationId,
/// without new input text, and the identity is kept.
async fn confirm_flow(accept: bool) -> (String, String, Vec<InvokeAgentInput>) {
    let seen: Arc<Mutex<Vec<InvokeAgentInput>>> = Arc::default();
    let log = seen.clone();
    let first = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(move |r| {
            log.lock().unwrap().push(r.clone());
            r.input_text().is_some()
        })
        .then_http_response(|| stream(&[chunk(""), return_control()]));
    let log = seen.clone();
    let answered = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(move |r| {
            log.lock().unwrap().push(r.clone());
            confirmation_of(r) == Some(("inv-1".to_owned(), ConfirmationState::Confirm))
        })
        .then_http_response(|| stream(&[chunk("Booked: 3 days.")]));
    let declined = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(|r| {
            confirmation_of(r) == Some(("inv-1".to_owned(), ConfirmationState::Deny))
        })
        .then_http_response(|| stream(&[chunk("Nothing was booked.")]));
    let client = mock_client!(
        aws_sdk_bedrockagentruntime,
        RuleMode::MatchAny,
        &[&first, &answered, &declined]
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut script = Script {
        answers: vec![accept],
        asked: 0,
    };
    let turn = conversation(client, false)
        .say(
            Some("Book Jan 24-26 for me"),
            false,
            &mut out,
            &mut err,
            &mut script,
        )
        .await
        .unwrap();
    assert_eq!(script.asked, 1);
    assert_eq!(turn.confirmed.len() + turn.declined.len(), 1);
    let requests = seen.lock().unwrap().clone();
    (text(&out), text(&err), requests)
}

#[tokio::test]
async fn an_accepted_confirmation_goes_back_with_its_invocation_id() {
    let (out, err, requests) = confirm_flow(true).await;
    assert_eq!(out, "Booked: 3 days.\n");
    assert!(
        err.contains("the agent wants to run reserve_vacation_time(employee_id=2, start_date=2026-01-24, end_date=2026-01-26)"),
        "{err}"
    );
    let answer = requests.last().unwrap();
    assert_eq!(answer.input_text(), None);
    assert_eq!(
        confirmation_of(answer),
        Some(("inv-1".to_owned(), ConfirmationState::Confirm))
    );
    let attrs = answer
        .session_state()
        .and_then(|s| s.session_attributes())
        .unwrap();
    assert_eq!(attrs["employeeId"], "2");
}

#[tokio::test]
async fn a_declined_confirmation_is_sent_as_deny() {
    let (out, err, _) = confirm_flow(false).await;
    assert_eq!(out, "Nothing was booked.\n");
    assert!(err.contains("declined"), "{err}");
}

/// Each error event becomes its own message and exit status; the text already received
/// stays printed.
#[tokio::test]
async fn every_error_event_has_its_message_and_exit_status() {
    let cases: [(&'static str, ErrorKind, u8); 10] = [
        ("accessDeniedException", ErrorKind::AccessDenied, 10),
        ("throttlingException", ErrorKind::Throttling, 11),
        ("dependencyFailedException", ErrorKind::DependencyFailed, 12),
        ("validationException", ErrorKind::Validation, 13),
        ("resourceNotFoundException", ErrorKind::ResourceNotFound, 14),
        ("conflictException", ErrorKind::Conflict, 15),
        (
            "serviceQuotaExceededException",
            ErrorKind::ServiceQuotaExceeded,
            16,
        ),
        ("modelNotReadyException", ErrorKind::ModelNotReady, 17),
        ("badGatewayException", ErrorKind::BadGateway, 18),
        ("internalServerException", ErrorKind::InternalServer, 19),
    ];
    for (wire, kind, code) in cases {
        let rule = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent).then_http_response(
            move || stream(&[chunk("Partial"), exception(wire, "it went wrong")]),
        );
        let client = mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, &[&rule]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let e = conversation(client, false)
            .say(
                Some("hi"),
                false,
                &mut out,
                &mut err,
                &mut Script::default(),
            )
            .await
            .unwrap_err();
        match &e {
            InvokeError::Agent { kind: got, message } => {
                assert_eq!(*got, kind, "{wire}");
                assert_eq!(message, "it went wrong");
            }
            other => panic!("{wire}: {other}"),
        }
        assert_eq!(exit::of_turn(&e), code, "{wire}");
        assert!(e.to_string().starts_with(kind.explanation()), "{e}");
        assert_eq!(text(&out), "Partial\n", "{wire}");
    }
}

/// An error answered to the call itself (before any stream) maps the same way.
#[tokio::test]
async fn an_error_answer_to_the_call_maps_to_its_kind() {
    let rule = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent).then_http_response(|| {
        let body = json!({"message": "Agent not found"}).to_string();
        let mut r = HttpResponse::new(StatusCode::try_from(404).unwrap(), SdkBody::from(body));
        r.headers_mut()
            .insert("x-amzn-errortype", "ResourceNotFoundException");
        r.headers_mut().insert("content-type", "application/json");
        r
    });
    let client = mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, &[&rule]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let e = conversation(client, false)
        .say(
            Some("hi"),
            false,
            &mut out,
            &mut err,
            &mut Script::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(exit::of_turn(&e), 14, "{e}");
    assert!(e.to_string().contains("run `provisioner up`"), "{e}");
}

/// A rule that records the requests it answers, in the order they come.
fn recorded(
    log: &Arc<Mutex<Vec<InvokeAgentInput>>>,
    matches: impl Fn(&InvokeAgentInput) -> bool + Send + Sync + 'static,
) -> impl Fn(&InvokeAgentInput) -> bool + Send + Sync + 'static {
    let log = log.clone();
    move |r| {
        let hit = matches(r);
        if hit {
            log.lock().unwrap().push(r.clone());
        }
        hit
    }
}

/// `invoke --end-session` on a turn that asks for a confirmation: the question and the
/// confirmation's answer keep the session open (the answer must reach a live session), and
/// only a last call, with no input, ends it.
#[tokio::test]
async fn ending_the_session_waits_for_the_confirmation_to_be_answered() {
    let seen: Arc<Mutex<Vec<InvokeAgentInput>>> = Arc::default();
    let question = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(recorded(&seen, |r| {
            r.input_text() == Some("Book Jan 24-26 for me")
        }))
        .then_http_response(|| stream(&[chunk(""), return_control()]));
    let answered = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(recorded(&seen, |r| {
            confirmation_of(r) == Some(("inv-1".to_owned(), ConfirmationState::Confirm))
        }))
        .then_http_response(|| stream(&[chunk("Booked: 3 days.")]));
    let ending = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(recorded(&seen, |r| {
            r.input_text().is_none() && confirmation_of(r).is_none()
        }))
        .then_http_response(|| stream(&[]));
    let client = mock_client!(
        aws_sdk_bedrockagentruntime,
        RuleMode::MatchAny,
        &[&question, &answered, &ending]
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut script = Script {
        answers: vec![true],
        asked: 0,
    };
    let turn = conversation(client, false)
        .say(
            Some("Book Jan 24-26 for me"),
            true,
            &mut out,
            &mut err,
            &mut script,
        )
        .await
        .unwrap();
    assert_eq!(turn.confirmed.len(), 1);
    assert_eq!(text(&out), "Booked: 3 days.\n");

    let requests = seen.lock().unwrap().clone();
    assert_ne!(
        requests[0].end_session(),
        Some(true),
        "the question ended the session before its confirmation was answered"
    );
    assert_ne!(
        requests[1].end_session(),
        Some(true),
        "the confirmation's answer ended the session"
    );
    assert_eq!(requests.len(), 3, "no last call ended the session");
    let last = &requests[2];
    assert_eq!(last.end_session(), Some(true));
    assert_eq!(last.input_text(), None);
    assert!(confirmation_of(last).is_none());
}

/// A plain answer with --end-session: the question, then one call that only ends it.
#[tokio::test]
async fn ending_the_session_after_a_plain_answer_is_a_last_call_without_input() {
    let seen: Arc<Mutex<Vec<InvokeAgentInput>>> = Arc::default();
    let question = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(recorded(&seen, |r| r.input_text() == Some("hi")))
        .then_http_response(|| stream(&[chunk("Hello.")]));
    let ending = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(recorded(&seen, |r| r.input_text().is_none()))
        .then_http_response(|| stream(&[]));
    let client = mock_client!(
        aws_sdk_bedrockagentruntime,
        RuleMode::MatchAny,
        &[&question, &ending]
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    conversation(client, false)
        .say(Some("hi"), true, &mut out, &mut err, &mut Script::default())
        .await
        .unwrap();
    assert_eq!(text(&out), "Hello.\n");
    let requests = seen.lock().unwrap().clone();
    let ends: Vec<_> = requests.iter().map(|r| r.end_session()).collect();
    assert_eq!(requests.len(), 2, "{ends:?}");
    assert_ne!(ends[0], Some(true));
    assert_eq!(ends[1], Some(true));
    let attrs = requests[1]
        .session_state()
        .and_then(|s| s.session_attributes())
        .unwrap();
    assert_eq!(attrs["employeeId"], "2");
}

/// Ending a chat (no text) is one call, which ends the session.
#[tokio::test]
async fn ending_a_session_without_a_question_is_one_call() {
    let seen: Arc<Mutex<Vec<InvokeAgentInput>>> = Arc::default();
    let ending = mock!(aws_sdk_bedrockagentruntime::Client::invoke_agent)
        .match_requests(recorded(&seen, |r| r.input_text().is_none()))
        .then_http_response(|| stream(&[]));
    let client = mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, &[&ending]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    conversation(client, false)
        .say(None, true, &mut out, &mut err, &mut Script::default())
        .await
        .unwrap();
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].end_session(), Some(true));
}
