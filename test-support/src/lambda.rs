//! Test support for the Lambda handler: Bedrock events in both action-group styles, a
//! checker of answers written from the contract (`bedrock-agent-contract.md`), not from
//! the handler's own types, a whole-table dump to prove refused calls wrote nothing, and a
//! local implementation of the Lambda Runtime API to run the real `bootstrap` binary.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::Notify;

/// The event Bedrock recorded for "How much vacation does employee 2 have available?"
/// (kept with the handler's tests).
pub const FIXTURE_EVENT: &str =
    include_str!("../../handler/tests/fixtures/bedrock-event-get-available.json");

/// The recorded event, parsed.
pub fn fixture_event() -> Value {
    serde_json::from_str(FIXTURE_EVENT).unwrap_or_else(|e| panic!("fixture: {e}"))
}

/// The action group every built event names.
pub const ACTION_GROUP: &str = "VacationsActionGroup";

/// Session attributes of an employee acting as themselves.
pub fn as_employee(id: u32) -> Value {
    json!({"employeeId": id.to_string(), "role": "employee"})
}

/// The HR user of the tests' sessions: an id no seeded employee has, so HR never acts on
/// their own vacations by accident (which would make them an employee).
pub const HR_USER: u32 = 900_000;

/// Session attributes of HR user [`HR_USER`].
pub fn as_hr() -> Value {
    json!({"role": "hr", "employeeId": HR_USER.to_string()})
}

fn declared_type(name: &str) -> &'static str {
    match name {
        "employee_id" | "year" => "integer",
        _ => "string",
    }
}

fn parameter_list(params: &[(&str, &str)]) -> Value {
    params
        .iter()
        .map(|(name, value)| json!({"name": name, "type": declared_type(name), "value": value}))
        .collect()
}

/// A function-details event as Bedrock sends it.
pub fn function_event(
    function: &str,
    params: &[(&str, &str)],
    session_attributes: Value,
    input_text: &str,
) -> Value {
    json!({
        "messageVersion": "1.0",
        "agent": {"name": "hr-assistant", "id": "AGENT12345", "alias": "TSTALIASID", "version": "DRAFT"},
        "inputText": input_text,
        "sessionId": "session-0001",
        "actionGroup": ACTION_GROUP,
        "function": function,
        "parameters": parameter_list(params),
        "sessionAttributes": session_attributes,
        "promptSessionAttributes": {},
    })
}

/// An OpenAPI event: `GET` arguments as query parameters, others in the JSON body.
pub fn api_event(
    path: &str,
    method: &str,
    params: &[(&str, &str)],
    session_attributes: Value,
    input_text: &str,
) -> Value {
    let mut event = json!({
        "messageVersion": "1.0",
        "agent": {"name": "hr-assistant", "id": "AGENT12345", "alias": "TSTALIASID", "version": "DRAFT"},
        "inputText": input_text,
        "sessionId": "session-0001",
        "actionGroup": ACTION_GROUP,
        "apiPath": path,
        "httpMethod": method,
        "parameters": [],
        "sessionAttributes": session_attributes,
        "promptSessionAttributes": {},
    });
    if method == "GET" {
        event["parameters"] = parameter_list(params);
    } else {
        event["requestBody"] =
            json!({"content": {"application/json": {"properties": parameter_list(params)}}});
    }
    event
}

/// The Lambda client context of an AgentCore Gateway invocation of `tool_name` (its
/// target's name prefixed) through gateway `gateway_id`, for its request `request_id`: what
/// Lambda sends in `Lambda-Runtime-Client-Context`.
pub fn gateway_client_context(gateway_id: &str, tool_name: &str, request_id: &str) -> Value {
    json!({"custom": {
        "bedrockAgentCoreMessageVersion": "1.0",
        "bedrockAgentCoreAwsRequestId": request_id,
        "bedrockAgentCoreMcpMessageId": "1",
        "bedrockAgentCoreGatewayId": gateway_id,
        "bedrockAgentCoreTargetId": "TARGET0001",
        "bedrockAgentCoreToolName": tool_name,
    }})
}

/// A Lambda invocation as an AgentCore Gateway makes it for `tool` (our target's name
/// prefixed): the arguments as the event, the gateway's ids and the tool name in the
/// client context, and a deadline 30 s away.
pub fn gateway_invocation(
    tool: &str,
    arguments: Value,
    request_id: &str,
) -> lambda_runtime::LambdaEvent<Value> {
    let mut context = lambda_runtime::Context::default();
    context.request_id = request_id.to_owned();
    context.deadline = SystemTime::now()
        .checked_add(Duration::from_secs(30))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    // `ClientContext` is not exported: built the way the runtime builds it, from JSON.
    context.client_context = serde_json::from_value(gateway_client_context(
        "gw-load",
        &format!("vacations___{tool}"),
        request_id,
    ))
    .ok();
    lambda_runtime::LambdaEvent::new(arguments, context)
}

/// An answer that passed [`check_answer`], taken apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// `responseState` (function details only).
    pub state: Option<String>,
    /// `httpStatusCode` (OpenAPI only).
    pub status: Option<u16>,
    /// The body, parsed.
    pub body: Value,
}

impl Answer {
    /// The body's `message`.
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }

    /// The body's `error` code, or `"ok"`.
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("ok")
    }
}

fn keys_are(
    map: &Map<String, Value>,
    required: &[&str],
    optional: &[&str],
    at: &str,
) -> Result<(), String> {
    for key in required {
        if !map.contains_key(*key) {
            return Err(format!("{at}: missing {key}"));
        }
    }
    for key in map.keys() {
        if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            return Err(format!("{at}: unexpected field {key}"));
        }
    }
    Ok(())
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{at} is not an object: {value}"))
}

fn string<'a>(value: &'a Value, at: &str) -> Result<&'a str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{at} is not a string: {value}"))
}

fn text_map(value: &Value, at: &str) -> Result<BTreeMap<String, String>, String> {
    object(value, at)?
        .iter()
        .map(|(k, v)| Ok((k.clone(), string(v, &format!("{at}.{k}"))?.to_owned())))
        .collect()
}

/// The text-valued entries of `event[key]` (what an answer must pass through).
fn expected_attributes(event: &Value, key: &str) -> BTreeMap<String, String> {
    event
        .get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn echoed(event: &Value, key: &str) -> String {
    event
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Checks `response` is an answer to `event` that Bedrock accepts, per the contract:
/// `messageVersion` "1.0"; the style of the event (`apiPath` → OpenAPI); `actionGroup` and
/// `function` (or `apiPath`, `httpMethod`) echoed; a `TEXT` (or `application/json`) body
/// of JSON text; `responseState` absent, `REPROMPT` or `FAILURE`; an integer HTTP status;
/// session attributes passed through; no other field. Our own rule on top: the body is a
/// JSON object with `ok` and a non-empty `message`.
pub fn check_answer(event: &Value, response: &Value) -> Result<Answer, String> {
    let top = object(response, "answer")?;
    keys_are(
        top,
        &["messageVersion", "response"],
        &[
            "sessionAttributes",
            "promptSessionAttributes",
            "knowledgeBasesConfiguration",
        ],
        "answer",
    )?;
    if top["messageVersion"] != "1.0" {
        return Err(format!("messageVersion is {}", top["messageVersion"]));
    }
    for key in ["sessionAttributes", "promptSessionAttributes"] {
        let got = match top.get(key) {
            Some(v) => text_map(v, key)?,
            None => BTreeMap::new(),
        };
        if got != expected_attributes(event, key) {
            return Err(format!("{key} not passed through: {got:?}"));
        }
    }
    let inner = object(&top["response"], "response")?;
    if string(&inner["actionGroup"], "response.actionGroup")? != echoed(event, "actionGroup") {
        return Err("actionGroup not echoed".into());
    }
    let is_api = event.get("apiPath").is_some();
    let (state, status, body_text) = if is_api {
        keys_are(
            inner,
            &[
                "actionGroup",
                "apiPath",
                "httpMethod",
                "httpStatusCode",
                "responseBody",
            ],
            &[],
            "response",
        )?;
        if string(&inner["apiPath"], "response.apiPath")? != echoed(event, "apiPath")
            || string(&inner["httpMethod"], "response.httpMethod")? != echoed(event, "httpMethod")
        {
            return Err("apiPath/httpMethod not echoed".into());
        }
        let status = inner["httpStatusCode"]
            .as_u64()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| format!("httpStatusCode is {}", inner["httpStatusCode"]))?;
        let body = object(&inner["responseBody"], "response.responseBody")?;
        keys_are(body, &["application/json"], &[], "response.responseBody")?;
        let content = object(&body["application/json"], "responseBody.application/json")?;
        keys_are(content, &["body"], &[], "responseBody.application/json")?;
        (None, Some(status as u16), string(&content["body"], "body")?)
    } else {
        keys_are(
            inner,
            &["actionGroup", "function", "functionResponse"],
            &[],
            "response",
        )?;
        if string(&inner["function"], "response.function")? != echoed(event, "function") {
            return Err("function not echoed".into());
        }
        let fr = object(&inner["functionResponse"], "functionResponse")?;
        keys_are(
            fr,
            &["responseBody"],
            &["responseState"],
            "functionResponse",
        )?;
        let state = match fr.get("responseState") {
            None => None,
            Some(s) => match string(s, "responseState")? {
                s @ ("REPROMPT" | "FAILURE") => Some(s.to_owned()),
                other => return Err(format!("responseState {other:?}")),
            },
        };
        let body = object(&fr["responseBody"], "functionResponse.responseBody")?;
        keys_are(body, &["TEXT"], &[], "functionResponse.responseBody")?;
        let content = object(&body["TEXT"], "responseBody.TEXT")?;
        keys_are(content, &["body"], &[], "responseBody.TEXT")?;
        (state, None, string(&content["body"], "body")?)
    };
    let body: Value = serde_json::from_str(body_text)
        .map_err(|e| format!("body is not JSON ({e}): {body_text}"))?;
    let fields = object(&body, "body")?;
    if !fields.get("ok").is_some_and(Value::is_boolean) {
        return Err(format!("body has no ok flag: {body}"));
    }
    if fields
        .get("message")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(format!("body has no message: {body}"));
    }
    Ok(Answer {
        state,
        status,
        body,
    })
}

/// What the function returned for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Posted to `/response`.
    Response(Value),
    /// Posted to `/error`.
    Error(Value),
}

/// An event waiting for `/next`: its request id, the event, and the client context
/// (`Lambda-Runtime-Client-Context`) if any.
type Queued = (String, Value, Option<Value>);

#[derive(Default)]
struct RuntimeState {
    queue: Mutex<VecDeque<Queued>>,
    queued: Notify,
    outcomes: Mutex<HashMap<String, (Outcome, Instant)>>,
    answered: Notify,
    init_errors: Mutex<Vec<Value>>,
    first_poll: Mutex<Option<Instant>>,
}

/// A local Lambda Runtime API (`/2018-06-01/runtime/...`): queue events, let a `bootstrap`
/// process poll them, collect what it posts back.
pub struct RuntimeApi {
    address: SocketAddr,
    state: Arc<RuntimeState>,
}

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:hr-vacations-handler";

impl RuntimeApi {
    /// Serves on a free loopback port, on the current Tokio runtime.
    pub async fn start() -> Self {
        let state = Arc::new(RuntimeState::default());
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("binding the Runtime API failed: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("reading the Runtime API address failed: {e}"));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("the local Runtime API stopped: {e}");
            }
        });
        Self { address, state }
    }

    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` expects.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Queues `event` under `request_id`.
    pub fn push(&self, request_id: &str, event: Value) {
        self.enqueue((request_id.to_owned(), event, None));
    }

    /// Queues `event` under `request_id`, with `client_context` (a `ClientContext` as
    /// JSON, such as `{"custom": {...}}`) sent in the `Lambda-Runtime-Client-Context`
    /// header, as Lambda does for an AgentCore Gateway's invocations.
    pub fn push_with_client_context(&self, request_id: &str, event: Value, client_context: Value) {
        self.enqueue((request_id.to_owned(), event, Some(client_context)));
    }

    fn enqueue(&self, queued: Queued) {
        if let Ok(mut queue) = self.state.queue.lock() {
            queue.push_back(queued);
        }
        // A `Notified` counts as waiting from its creation, so none is missed.
        self.state.queued.notify_waiters();
    }

    /// Waits for the function's outcome for `request_id`, and when it arrived.
    pub async fn outcome(
        &self,
        request_id: &str,
        limit: Duration,
    ) -> Result<(Outcome, Instant), String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.state.answered.notified();
            if let Some(found) = self
                .state
                .outcomes
                .lock()
                .map_err(|e| e.to_string())?
                .get(request_id)
                .cloned()
            {
                return Ok(found);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let init = self.init_errors();
                return Err(format!(
                    "no answer to {request_id} within {limit:?} (init errors: {init:?})"
                ));
            }
        }
    }

    /// When the function first asked for an event: the end of its initialisation.
    pub fn first_poll(&self) -> Option<Instant> {
        self.state.first_poll.lock().ok().and_then(|t| *t)
    }

    /// What the function reported through `/init/error`.
    pub fn init_errors(&self) -> Vec<Value> {
        self.state
            .init_errors
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }
}

async fn next(State(state): State<Arc<RuntimeState>>) -> impl IntoResponse {
    if let Ok(mut first) = state.first_poll.lock() {
        first.get_or_insert_with(Instant::now);
    }
    let (id, event, client_context) = loop {
        let notified = state.queued.notified();
        let popped = state.queue.lock().ok().and_then(|mut q| q.pop_front());
        if let Some(found) = popped {
            break found;
        }
        notified.await;
    };
    let deadline = SystemTime::now()
        .checked_add(Duration::from_secs(30))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis());
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set("lambda-runtime-invoked-function-arn", ARN.to_owned());
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
    );
    set("content-type", "application/json".to_owned());
    if let Some(context) = client_context {
        set("lambda-runtime-client-context", context.to_string());
    }
    (StatusCode::OK, headers, event.to_string())
}

fn record(state: &RuntimeState, id: String, outcome: Outcome) -> StatusCode {
    if let Ok(mut outcomes) = state.outcomes.lock() {
        outcomes.insert(id, (outcome, Instant::now()));
    }
    state.answered.notify_waiters();
    StatusCode::ACCEPTED
}

fn json_or_text(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(
    State(state): State<Arc<RuntimeState>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    record(&state, id, Outcome::Response(json_or_text(&body)))
}

async fn error(
    State(state): State<Arc<RuntimeState>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    record(&state, id, Outcome::Error(json_or_text(&body)))
}

async fn init_error(State(state): State<Arc<RuntimeState>>, body: Bytes) -> StatusCode {
    if let Ok(mut errors) = state.init_errors.lock() {
        errors.push(json_or_text(&body));
    }
    state.answered.notify_waiters();
    StatusCode::ACCEPTED
}

/// The `bootstrap` to test: `$BOOTSTRAP_BIN` when set (e.g. the packaged artifact),
/// otherwise `built` (the binary cargo built for this test).
pub fn bootstrap_path(built: &str) -> String {
    std::env::var("BOOTSTRAP_BIN")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| built.to_owned())
}

/// A command running `bootstrap` as Lambda would, against `runtime_api`, with only the
/// environment Lambda gives (plus the table and DynamoDB Local's endpoint), JSON logs,
/// and stdout/stderr piped.
pub fn bootstrap_command(
    bootstrap: &Path,
    runtime_api: &str,
    table: &str,
    endpoint: &str,
) -> Command {
    let mut command = Command::new(bootstrap);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "hr-vacations-handler")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        .env("TABLE_NAME", table)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A `bootstrap` (or any) process this test started, its output lines collected on
/// threads so its pipes never fill up; killed when dropped, whatever happens.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
}

impl Running {
    /// Spawns `command` (whose stdout and stderr are piped).
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {:?}: {e}", command.get_program()));
        let (stdout, out) = collect(child.stdout.take());
        let (stderr, err) = collect(child.stderr.take());
        Self {
            child,
            stdout,
            stderr,
            readers: vec![out, err],
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Stops the process and returns every line it wrote: stdout, then stderr.
    pub fn stop(mut self) -> (Vec<String>, Vec<String>) {
        self.kill();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let lines =
            |all: &Arc<Mutex<Vec<String>>>| all.lock().map(|l| l.clone()).unwrap_or_default();
        (lines(&self.stdout), lines(&self.stderr))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

fn collect(
    stream: Option<impl Read + Send + 'static>,
) -> (Arc<Mutex<Vec<String>>>, JoinHandle<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let reader = std::thread::spawn(move || {
        let Some(stream) = stream else { return };
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut all) = sink.lock() {
                all.push(line);
            }
        }
    });
    (lines, reader)
}

/// The process's peak resident set size so far, in KiB (`VmHWM` in `/proc/<pid>/status`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
