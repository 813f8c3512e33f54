//! `InvokeHarness`'s event stream, mocked with real event-stream frames (text deltas, tool
//! calls split over several deltas, stop reasons, error events): what the terminal shows,
//! which tool calls run (and which are asked about first), what is sent back to the
//! harness, and the exit status of each failure.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use aws_sdk_bedrockagentcore::operation::invoke_harness::InvokeHarnessInput;
use aws_sdk_bedrockagentcore::types::{
    HarnessContentBlock, HarnessConversationRole, HarnessToolResultBlock,
    HarnessToolResultContentBlock, HarnessToolUseStatus,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use provisioner::error::{ErrorKind, InvokeError, MAX_ROUNDS};
use provisioner::exit;
use provisioner::harness::{self, HarnessConversation, ToolAnswer, ToolRunner};
use provisioner::invoke::{Confirm, Turn};
use serde_json::{json, Value};

const HARNESS_ARN: &str =
    "arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/hr_assistant-Ab12Cd34Ef";

/// One event-stream frame, as AgentCore writes it.
fn frame(
    message_type: &'static str,
    type_header: &'static str,
    kind: &str,
    payload: Value,
) -> Vec<u8> {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.into()),
        ))
        .add_header(Header::new(
            type_header,
            HeaderValue::String(kind.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut out = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut out).unwrap();
    out
}

fn event(kind: &'static str, payload: Value) -> Vec<u8> {
    frame("event", ":event-type", kind, payload)
}

fn exception(kind: &str, message: &str) -> Vec<u8> {
    frame(
        "exception",
        ":exception-type",
        kind,
        json!({"message": message}),
    )
}

fn message_start() -> Vec<u8> {
    event("messageStart", json!({"role": "assistant"}))
}

/// A text block: one delta per part, then its stop.
fn text_block(index: i32, parts: &[&str]) -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = parts
        .iter()
        .map(|t| {
            event(
                "contentBlockDelta",
                json!({"contentBlockIndex": index, "delta": {"text": t}}),
            )
        })
        .collect();
    frames.push(event(
        "contentBlockStop",
        json!({"contentBlockIndex": index}),
    ));
    frames
}

/// An inline-function call: its start, its JSON input split over `input` deltas, its stop.
fn tool_use_block(index: i32, id: &str, name: &str, input: &[&str]) -> Vec<Vec<u8>> {
    let mut frames = vec![event(
        "contentBlockStart",
        json!({"contentBlockIndex": index, "start": {"toolUse": {"toolUseId": id, "name": name}}}),
    )];
    frames.extend(input.iter().map(|part| {
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": index, "delta": {"toolUse": {"input": part}}}),
        )
    }));
    frames.push(event(
        "contentBlockStop",
        json!({"contentBlockIndex": index}),
    ));
    frames
}

fn message_stop(reason: &str) -> Vec<u8> {
    event("messageStop", json!({"stopReason": reason}))
}

fn metadata() -> Vec<u8> {
    event(
        "metadata",
        json!({
            "usage": {"inputTokens": 120, "outputTokens": 30, "totalTokens": 150},
            "metrics": {"latencyMs": 850}
        }),
    )
}

/// A whole assistant message: its start, the blocks, its stop reason and the metadata.
fn assistant(blocks: Vec<Vec<Vec<u8>>>, stop: &str) -> Vec<Vec<u8>> {
    let mut frames = vec![message_start()];
    frames.extend(blocks.into_iter().flatten());
    frames.push(message_stop(stop));
    frames.push(metadata());
    frames
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
}

/// An error answer to the call itself, as restJson writes it.
fn error_answer(status: u16, code: &'static str, message: &str) -> HttpResponse {
    let body = json!({"message": message}).to_string();
    let mut response =
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
    response.headers_mut().insert("x-amzn-errortype", code);
    response
        .headers_mut()
        .insert("content-type", "application/json");
    response
}

/// The tool calls the runner received, in order.
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// Records each call and answers the same canned answer.
struct Desk {
    calls: Calls,
    answer: ToolAnswer,
}

impl ToolRunner for Desk {
    async fn call(&mut self, tool: &str, arguments: Value) -> Result<ToolAnswer, InvokeError> {
        self.calls
            .lock()
            .unwrap()
            .push((tool.to_owned(), arguments));
        Ok(self.answer.clone())
    }
}

fn desk(text: &str) -> (Desk, Calls) {
    let calls = Calls::default();
    let desk = Desk {
        calls: calls.clone(),
        answer: ToolAnswer {
            text: text.to_owned(),
            is_error: false,
        },
    };
    (desk, calls)
}

/// A stderr that the script can read while it is being asked.
#[derive(Clone, Default)]
struct Screen(Rc<RefCell<Vec<u8>>>);

impl Screen {
    fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).unwrap()
    }
}

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Scripted answers to confirmations; each question is recorded with what stderr showed
/// when it was asked.
#[derive(Default)]
struct Script {
    answers: Vec<bool>,
    screen: Screen,
    asked: Vec<String>,
}

impl Confirm for Script {
    fn confirm(&mut self, question: &str) -> std::io::Result<bool> {
        self.asked.push(format!("{}{question}", self.screen.text()));
        Ok(self
            .answers
            .get(self.asked.len() - 1)
            .copied()
            .unwrap_or(false))
    }
}

/// What one `say` did.
struct Outcome {
    result: Result<Turn, InvokeError>,
    out: String,
    err: String,
    requests: Vec<InvokeHarnessInput>,
    calls: Vec<(String, Value)>,
    asked: Vec<String>,
    session_id: String,
}

/// Says `text` to a harness that answers the calls with `responses`, in order (the last
/// repeated), with a runner answering `tool_text` and confirmations answered by `answers`.
async fn run(
    responses: Vec<HttpResponseFn>,
    tool_text: &str,
    answers: Vec<bool>,
    confirmation: bool,
    trace: bool,
) -> Outcome {
    let seen: Arc<Mutex<Vec<InvokeHarnessInput>>> = Arc::default();
    let log = seen.clone();
    let mut sequence = mock!(aws_sdk_bedrockagentcore::Client::invoke_harness)
        .match_requests(move |r| {
            log.lock().unwrap().push(r.clone());
            true
        })
        .sequence();
    for response in responses {
        sequence = sequence.http_response(response);
    }
    let rule = sequence.repeatedly().build();
    let client = mock_client!(aws_sdk_bedrockagentcore, RuleMode::MatchAny, &[&rule]);
    let (tools, calls) = desk(tool_text);
    let mut conversation = HarnessConversation::new(
        client,
        HARNESS_ARN,
        harness::new_session_id(),
        tools,
        confirmation,
        trace,
    );
    let mut script = Script {
        answers,
        ..Script::default()
    };
    let mut screen = script.screen.clone();
    let mut out = Vec::new();
    let result = conversation
        .say(
            "How many vacation days do I have?",
            &mut out,
            &mut screen,
            &mut script,
        )
        .await;
    let requests = seen.lock().unwrap().clone();
    let calls = calls.lock().unwrap().clone();
    Outcome {
        result,
        out: String::from_utf8(out).unwrap(),
        err: screen.text(),
        requests,
        calls,
        asked: script.asked,
        session_id: conversation.session_id().to_owned(),
    }
}

type HttpResponseFn = Box<dyn Fn() -> HttpResponse + Send + Sync>;

fn answering(frames: Vec<Vec<u8>>) -> HttpResponseFn {
    Box::new(move || stream(&frames))
}

/// The single tool result a request sends back, with its text.
fn tool_result(request: &InvokeHarnessInput) -> (&HarnessToolResultBlock, String) {
    let messages = request.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].role(), &HarnessConversationRole::User);
    let content = messages[0].content();
    assert_eq!(content.len(), 1, "{content:?}");
    let HarnessContentBlock::ToolResult(block) = &content[0] else {
        panic!("not a tool result: {content:?}");
    };
    let text = block
        .content()
        .iter()
        .map(|c| match c {
            HarnessToolResultContentBlock::Text(t) => t.clone(),
            other => panic!("not text: {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("");
    (block, text)
}

/// Text deltas print in order as they come; a plain `end_turn` is one call, carrying the
/// harness, the session and the person's words as one user text message.
#[tokio::test]
async fn text_streams_in_order_and_a_plain_answer_is_one_call() {
    let o = run(
        vec![answering(assistant(
            vec![text_block(0, &["You have ", "12 days ", "left in 2026."])],
            "end_turn",
        ))],
        "unused",
        vec![],
        true,
        false,
    )
    .await;
    let turn = o.result.unwrap();
    assert_eq!(o.out, "You have 12 days left in 2026.\n");
    assert_eq!(turn.answer, "You have 12 days left in 2026.");
    assert!(o.calls.is_empty());
    assert!(o.asked.is_empty());
    assert_eq!(o.requests.len(), 1);

    let request = &o.requests[0];
    assert_eq!(request.harness_arn(), Some(HARNESS_ARN));
    let session = request.runtime_session_id().unwrap();
    assert_eq!(session, o.session_id);
    assert!(session.len() >= harness::MIN_SESSION_ID, "{session}");
    let messages = request.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].role(), &HarnessConversationRole::User);
    assert_eq!(
        messages[0].content(),
        &[HarnessContentBlock::Text(
            "How many vacation days do I have?".to_owned()
        )]
    );
}

const BALANCE: &str = r#"{"ok":true,"available":12,"granted":25,"year":2026}"#;

/// A balance lookup split over three input deltas, then the answer.
async fn balance_flow(trace: bool) -> Outcome {
    run(
        vec![
            answering(assistant(
                vec![
                    text_block(0, &["Let me check. "]),
                    tool_use_block(
                        1,
                        "tooluse_b1",
                        "get_available_vacations_days",
                        &["{\"employee_id\"", ":2,\"ye", "ar\":2026}"],
                    ),
                ],
                "tool_use",
            )),
            answering(assistant(
                vec![text_block(0, &["You have 12 days left."])],
                "end_turn",
            )),
        ],
        BALANCE,
        vec![],
        true,
        trace,
    )
    .await
}

/// A read-only call runs without asking, with the concatenated JSON arguments; its one
/// result goes back in the same session, and the final answer prints.
#[tokio::test]
async fn a_read_only_tool_runs_without_asking_and_its_result_goes_back() {
    let o = balance_flow(false).await;
    o.result.unwrap();
    assert_eq!(
        o.calls,
        vec![(
            "get_available_vacations_days".to_owned(),
            json!({"employee_id": 2, "year": 2026})
        )]
    );
    assert!(o.asked.is_empty(), "{:?}", o.asked);
    assert_eq!(o.requests.len(), 2);
    assert_eq!(o.requests[1].runtime_session_id(), Some(&*o.session_id));
    assert_eq!(o.requests[1].harness_arn(), Some(HARNESS_ARN));
    let (block, text) = tool_result(&o.requests[1]);
    assert_eq!(block.tool_use_id(), "tooluse_b1");
    assert_eq!(block.status(), Some(&HarnessToolUseStatus::Success));
    assert_eq!(text, BALANCE);
    assert_eq!(o.out, "Let me check. You have 12 days left.\n");
}

/// With --trace, stderr shows the call with its arguments and what the tool answered.
#[tokio::test]
async fn the_trace_shows_the_call_and_its_result() {
    let o = balance_flow(true).await;
    o.result.unwrap();
    assert!(
        o.err
            .contains(r#"→ calls get_available_vacations_days({"employee_id":2,"year":2026})"#),
        "{}",
        o.err
    );
    assert!(o.err.contains(&format!("← {BALANCE}")), "{}", o.err);
}

/// Without --trace, neither the call nor its result reaches stderr.
#[tokio::test]
async fn without_trace_the_call_and_its_result_stay_hidden() {
    let o = balance_flow(false).await;
    o.result.unwrap();
    assert!(!o.err.contains("get_available_vacations_days"), "{}", o.err);
    assert!(!o.err.contains("available"), "{}", o.err);
}

const BOOKED: &str = r#"{"ok":true,"reservation_id":"a1b2c3d4e5f6","charged":3,"left":9}"#;

/// A call to `tool` with `input` (split in two deltas), then a closing answer.
async fn changing_flow(
    tool: &str,
    input: [&str; 2],
    answers: Vec<bool>,
    confirmation: bool,
) -> Outcome {
    run(
        vec![
            answering(assistant(
                vec![tool_use_block(0, "tooluse_w1", tool, &input)],
                "tool_use",
            )),
            answering(assistant(vec![text_block(0, &["Done."])], "end_turn")),
        ],
        BOOKED,
        answers,
        confirmation,
        false,
    )
    .await
}

const BOOKING: [&str; 2] = [
    r#"{"employee_id":2,"start_date":"2026-01-24""#,
    r#","end_date":"2026-01-26"}"#,
];
const CANCELLING: [&str; 2] = [
    r#"{"employee_id":2,"#,
    r#""reservation_id":"a1b2c3d4e5f6"}"#,
];

/// Bookings and cancellations are asked about once, naming the tool and its arguments; once
/// accepted they run and their result goes back as a success.
#[tokio::test]
async fn an_accepted_change_is_asked_once_then_runs() {
    for (tool, input, argument) in [
        ("reserve_vacation_time", BOOKING, "start_date=2026-01-24"),
        ("cancel_vacation", CANCELLING, "reservation_id=a1b2c3d4e5f6"),
    ] {
        let o = changing_flow(tool, input, vec![true], true).await;
        let turn = o.result.unwrap();
        assert_eq!(o.asked.len(), 1, "{tool}: {:?}", o.asked);
        assert!(o.asked[0].contains(tool), "{}", o.asked[0]);
        assert!(o.asked[0].contains(argument), "{}", o.asked[0]);
        let arguments: Value = serde_json::from_str(&input.concat()).unwrap();
        assert_eq!(o.calls, vec![(tool.to_owned(), arguments)], "{tool}");
        assert_eq!(turn.confirmed.len(), 1, "{tool}: {turn:?}");
        assert!(turn.confirmed[0].contains(tool), "{turn:?}");
        assert!(turn.declined.is_empty(), "{turn:?}");
        let (block, text) = tool_result(&o.requests[1]);
        assert_eq!(block.tool_use_id(), "tooluse_w1");
        assert_eq!(block.status(), Some(&HarnessToolUseStatus::Success));
        assert_eq!(text, BOOKED);
        assert_eq!(o.out, "Done.\n");
    }
}

/// A declined booking never reaches the tool: the harness is told, as an error result, that
/// the person declined, and the turn lists it.
#[tokio::test]
async fn a_declined_booking_is_not_run_and_is_reported_as_declined() {
    let o = changing_flow("reserve_vacation_time", BOOKING, vec![false], true).await;
    let turn = o.result.unwrap();
    assert_eq!(o.asked.len(), 1, "{:?}", o.asked);
    assert!(o.calls.is_empty(), "{:?}", o.calls);
    assert_eq!(turn.declined.len(), 1, "{turn:?}");
    assert!(
        turn.declined[0].contains("reserve_vacation_time"),
        "{turn:?}"
    );
    assert!(turn.confirmed.is_empty(), "{turn:?}");
    assert_eq!(o.requests.len(), 2);
    let (block, text) = tool_result(&o.requests[1]);
    assert_eq!(block.tool_use_id(), "tooluse_w1");
    assert_eq!(block.status(), Some(&HarnessToolUseStatus::Error));
    assert!(text.contains("declined"), "{text}");
    assert!(o.err.contains("declined"), "{}", o.err);
}

/// With confirmation off (`--yes`), a booking runs without a question.
#[tokio::test]
async fn without_confirmation_a_booking_runs_without_asking() {
    let o = changing_flow("reserve_vacation_time", BOOKING, vec![false], false).await;
    o.result.unwrap();
    assert!(o.asked.is_empty(), "{:?}", o.asked);
    assert_eq!(o.calls.len(), 1, "{:?}", o.calls);
    assert_eq!(o.calls[0].0, "reserve_vacation_time");
    let (block, text) = tool_result(&o.requests[1]);
    assert_eq!(block.status(), Some(&HarnessToolUseStatus::Success));
    assert_eq!(text, BOOKED);
}

/// Each error event becomes its kind, AWS's message and its exit status; the text already
/// received stays printed. Only three are modelled; the others arrive with their code in
/// `:exception-type` alone.
#[tokio::test]
async fn every_error_event_has_its_kind_and_exit_status() {
    let cases: [(&str, ErrorKind, u8); 9] = [
        ("accessDeniedException", ErrorKind::AccessDenied, 10),
        ("throttlingException", ErrorKind::Throttling, 11),
        ("runtimeClientError", ErrorKind::DependencyFailed, 12),
        ("validationException", ErrorKind::Validation, 13),
        ("resourceNotFoundException", ErrorKind::ResourceNotFound, 14),
        ("conflictException", ErrorKind::Conflict, 15),
        (
            "serviceQuotaExceededException",
            ErrorKind::ServiceQuotaExceeded,
            16,
        ),
        ("internalServerException", ErrorKind::InternalServer, 19),
        ("somethingNewException", ErrorKind::Other, 20),
    ];
    let mut wrong = Vec::new();
    for (wire, kind, code) in cases {
        let frames = vec![
            message_start(),
            text_block(0, &["Partial"]).remove(0),
            exception(wire, "it went wrong"),
        ];
        let o = run(vec![answering(frames)], "unused", vec![], true, false).await;
        let e = o.result.unwrap_err();
        match &e {
            InvokeError::Agent { kind: got, message } => {
                assert_eq!(message, "it went wrong", "{wire}");
                if *got != kind || exit::of_turn(&e) != code {
                    wrong.push(format!(
                        "{wire}: {got:?} (exit {}), wanted {kind:?} (exit {code})",
                        exit::of_turn(&e)
                    ));
                }
            }
            other => panic!("{wire}: {other}"),
        }
        assert!(e.to_string().ends_with("it went wrong"), "{e}");
        assert_eq!(o.out, "Partial\n", "{wire}");
        assert_eq!(o.requests.len(), 1, "{wire}");
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// An error answered to the call itself, before any stream, maps to its exit status; a
/// refused credential is a configuration problem.
#[tokio::test(start_paused = true)]
async fn an_error_answer_to_the_call_maps_to_its_exit_status() {
    let cases: [(u16, &'static str, u8); 8] = [
        (403, "AccessDeniedException", 10),
        (429, "ThrottlingException", 11),
        (424, "RuntimeClientError", 12),
        (400, "ValidationException", 13),
        (404, "ResourceNotFoundException", 14),
        (402, "ServiceQuotaExceededException", 16),
        (500, "InternalServerException", 19),
        (403, "UnrecognizedClientException", exit::CONFIGURATION),
    ];
    for (status, wire, code) in cases {
        let o = run(
            vec![Box::new(move || error_answer(status, wire, "refused here"))],
            "unused",
            vec![],
            true,
            false,
        )
        .await;
        let e = o.result.unwrap_err();
        assert_eq!(exit::of_turn(&e), code, "{wire}: {e}");
        assert!(o.calls.is_empty(), "{wire}");
        assert_eq!(o.out, "", "{wire}");
    }
}

/// The harness giving up on the turn (any stop reason but `end_turn` and `tool_use`) is a
/// failure that names the reason, after the text received so far.
#[tokio::test]
async fn another_stop_reason_fails_the_turn_and_names_it() {
    for reason in [
        "max_iterations_exceeded",
        "max_tokens",
        "content_filtered",
        "a_reason_from_next_year",
    ] {
        let o = run(
            vec![answering(assistant(
                vec![text_block(0, &["I was about to"])],
                reason,
            ))],
            "unused",
            vec![],
            true,
            false,
        )
        .await;
        let e = o.result.unwrap_err();
        assert!(
            matches!(
                e,
                InvokeError::Agent {
                    kind: ErrorKind::Other,
                    ..
                }
            ),
            "{reason}: {e:?}"
        );
        assert!(e.to_string().contains(reason), "{e}");
        assert_eq!(exit::of_turn(&e), 20, "{reason}");
        assert_eq!(o.out, "I was about to\n", "{reason}");
        assert_eq!(o.requests.len(), 1, "{reason}");
    }
}

/// A harness that asks for a tool forever is stopped after MAX_ROUNDS calls.
#[tokio::test]
async fn a_harness_that_never_ends_its_turn_is_stopped() {
    let o = run(
        vec![answering(assistant(
            vec![tool_use_block(
                0,
                "tooluse_loop",
                "list_planned_vacations",
                &[r#"{"employee_id":2}"#],
            )],
            "tool_use",
        ))],
        r#"{"ok":true,"vacations":[]}"#,
        vec![],
        true,
        false,
    )
    .await;
    let e = o.result.unwrap_err();
    assert!(matches!(e, InvokeError::TooManyRounds), "{e:?}");
    assert_eq!(exit::of_turn(&e), exit::OTHER);
    assert_eq!(o.requests.len(), MAX_ROUNDS);
    assert_eq!(o.calls.len(), MAX_ROUNDS);
}

/// A tool the catalogue does not have is never run; the harness gets an error result.
#[tokio::test]
async fn an_unknown_tool_is_not_run_and_answered_with_an_error() {
    let o = run(
        vec![
            answering(assistant(
                vec![tool_use_block(0, "tooluse_x", "drop_table", &["{}"])],
                "tool_use",
            )),
            answering(assistant(vec![text_block(0, &["Sorry."])], "end_turn")),
        ],
        "unused",
        vec![true],
        true,
        false,
    )
    .await;
    o.result.unwrap();
    assert!(o.calls.is_empty(), "{:?}", o.calls);
    assert!(o.asked.is_empty(), "{:?}", o.asked);
    let (block, text) = tool_result(&o.requests[1]);
    assert_eq!(block.tool_use_id(), "tooluse_x");
    assert_eq!(block.status(), Some(&HarnessToolUseStatus::Error));
    assert!(text.contains("unknown_tool"), "{text}");
}

/// A call whose result the harness streams itself (it ran the tool) is not run again
/// here; only the inline call left pending is, and only its result goes back.
#[tokio::test]
async fn a_call_the_harness_answered_itself_is_not_run_again() {
    let answered_by_harness = event(
        "contentBlockStart",
        json!({"contentBlockIndex": 1, "start": {"toolResult": {"toolUseId": "tooluse_gw", "status": "success"}}}),
    );
    let o = run(
        vec![
            answering(assistant(
                vec![
                    tool_use_block(
                        0,
                        "tooluse_gw",
                        "get_available_vacations_days",
                        &[r#"{"employee_id":2}"#],
                    ),
                    vec![answered_by_harness],
                    tool_use_block(
                        2,
                        "tooluse_inline",
                        "list_planned_vacations",
                        &[r#"{"employee_id":2}"#],
                    ),
                ],
                "tool_use",
            )),
            answering(assistant(vec![text_block(0, &["Here."])], "end_turn")),
        ],
        r#"{"ok":true,"vacations":[]}"#,
        vec![],
        true,
        false,
    )
    .await;
    o.result.unwrap();
    assert_eq!(
        o.calls,
        vec![(
            "list_planned_vacations".to_owned(),
            json!({"employee_id": 2})
        )]
    );
    let (block, _) = tool_result(&o.requests[1]);
    assert_eq!(block.tool_use_id(), "tooluse_inline");
}
