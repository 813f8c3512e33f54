//! The answers Bedrock accepts from an action group's Lambda, and the [`Reply`] every tool
//! produces before it is put in that shape.
//!
//! Function-details answers carry the body as JSON text under `TEXT` and an optional
//! `responseState`: absent for an answer, `REPROMPT` when the user must supply something
//! again, `FAILURE` only when a dependency is broken. OpenAPI answers carry the body under
//! `application/json` with an HTTP status; the Lambda contract documents no
//! `responseState` for them, so none is sent and the status alone says how it went.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::event::{Attributes, Envelope, Target};

/// The only message version Bedrock speaks.
pub const MESSAGE_VERSION: &str = "1.0";

/// `responseState` of a function-details answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ResponseState {
    /// The model gets the body and asks the user again.
    Reprompt,
    /// The agent raises `dependencyFailedException` to its caller.
    Failure,
}

/// The text of a response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    /// JSON text.
    pub body: String,
}

/// A function-details body: only `TEXT` is supported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBody {
    /// The body.
    #[serde(rename = "TEXT")]
    pub text: Body,
}

/// An OpenAPI body, in the media type the schema declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonBody {
    /// The body.
    #[serde(rename = "application/json")]
    pub json: Body,
}

/// `functionResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResponse {
    /// Absent for an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_state: Option<ResponseState>,
    /// The answer.
    pub response_body: TextBody,
}

/// The `response` of a function-details answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResult {
    /// Echoed from the event.
    pub action_group: String,
    /// Echoed from the event.
    pub function: String,
    /// The answer.
    pub function_response: FunctionResponse,
}

/// The `response` of an OpenAPI answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResult {
    /// Echoed from the event.
    pub action_group: String,
    /// Echoed from the event.
    pub api_path: String,
    /// Echoed from the event.
    pub http_method: String,
    /// How it went.
    pub http_status_code: u16,
    /// The answer.
    pub response_body: JsonBody,
}

/// Either style's `response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ActionResponse {
    /// Function details.
    Function(FunctionResult),
    /// OpenAPI.
    Api(ApiResult),
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaResponse {
    /// Always [`MESSAGE_VERSION`].
    pub message_version: String,
    /// The answer proper.
    pub response: ActionResponse,
    /// Passed through from the event.
    pub session_attributes: Attributes,
    /// Passed through from the event.
    pub prompt_session_attributes: Attributes,
}

/// How a reply is classified; decides `responseState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Done as asked.
    Done,
    /// A refusal with nothing for the user to supply again (not allowed, inactive
    /// employee): an answer the model relays.
    Refused,
    /// The user (or the model) must supply something again: `REPROMPT`.
    Reprompt,
    /// A dependency is broken: `FAILURE`.
    Failure,
}

impl Verdict {
    /// The function-details `responseState`.
    pub fn state(self) -> Option<ResponseState> {
        match self {
            Self::Done | Self::Refused => None,
            Self::Reprompt => Some(ResponseState::Reprompt),
            Self::Failure => Some(ResponseState::Failure),
        }
    }
}

/// A tool's answer before it is shaped for Bedrock: a verdict, an HTTP status for OpenAPI
/// action groups, and a JSON object that always holds `ok` and a `message` the model can
/// relay (plus `error`, a stable code, when not ok).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// How it went.
    pub verdict: Verdict,
    /// The OpenAPI status.
    pub status: u16,
    /// The body.
    pub body: Map<String, Value>,
}

impl Reply {
    /// A successful answer: `fields` plus `ok: true` and `message`.
    pub fn done(message: impl Into<String>, fields: Value) -> Self {
        let mut body = object(fields);
        body.insert("ok".into(), Value::Bool(true));
        body.insert("message".into(), Value::String(message.into()));
        Self {
            verdict: Verdict::Done,
            status: 200,
            body,
        }
    }

    /// An unsuccessful answer: `details` plus `ok: false`, `error: code` and `message`.
    pub fn problem(
        verdict: Verdict,
        status: u16,
        code: &str,
        message: impl Into<String>,
        details: Value,
    ) -> Self {
        let mut body = object(details);
        body.insert("ok".into(), Value::Bool(false));
        body.insert("error".into(), Value::String(code.to_owned()));
        body.insert("message".into(), Value::String(message.into()));
        Self {
            verdict,
            status,
            body,
        }
    }

    /// The stable code of an unsuccessful reply (`"ok"` otherwise), for logs and tests.
    pub fn code(&self) -> &str {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("ok")
    }

    /// The reservation a booking or cancellation answer is about, for the log line.
    pub fn reservation_id(&self) -> Option<&str> {
        ["reservation", "cancelled"]
            .iter()
            .find_map(|k| self.body.get(*k)?.get("reservation_id")?.as_str())
    }
}

/// The longest answer body sent, in bytes: whatever a call produced, the answer stays
/// under 64 KB with its envelope.
pub const MAX_BODY_BYTES: usize = 60 * 1024;

pub use domain::bounded;

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => Map::from_iter([("value".to_owned(), other)]),
    }
}

impl LambdaResponse {
    /// Shapes `reply` as the answer to the event `envelope` was read from.
    pub fn new(envelope: &Envelope, reply: &Reply) -> Self {
        let mut text = Value::Object(reply.body.clone()).to_string();
        let mut verdict = reply.verdict;
        let mut status = reply.status;
        if text.len() > MAX_BODY_BYTES {
            tracing::warn!(
                bytes = text.len(),
                code = reply.code(),
                "answer too large, replaced"
            );
            let too_large = Reply::problem(
                Verdict::Reprompt,
                413,
                "answer_too_large",
                "The answer was too large to send. Ask for less at once (for example one year of bookings).",
                Value::Null,
            );
            text = Value::Object(too_large.body).to_string();
            (verdict, status) = (too_large.verdict, too_large.status);
        }
        let body = Body { body: text };
        let response = match &envelope.target {
            Target::Function(function) => ActionResponse::Function(FunctionResult {
                action_group: envelope.action_group.clone(),
                function: function.clone(),
                function_response: FunctionResponse {
                    response_state: verdict.state(),
                    response_body: TextBody { text: body },
                },
            }),
            Target::Api { path, method } => ActionResponse::Api(ApiResult {
                action_group: envelope.action_group.clone(),
                api_path: path.clone(),
                http_method: method.clone(),
                http_status_code: status,
                response_body: JsonBody { json: body },
            }),
        };
        Self {
            message_version: MESSAGE_VERSION.to_owned(),
            response,
            session_attributes: envelope.session_attributes.clone(),
            prompt_session_attributes: envelope.prompt_session_attributes.clone(),
        }
    }

    /// The answer as JSON.
    pub fn into_value(self) -> Value {
        // Only strings, integers and string-keyed maps: serialization cannot fail. Should
        // it ever, a FAILURE is still an answer Bedrock accepts.
        serde_json::to_value(&self).unwrap_or_else(|e| {
            tracing::error!(error = %e, "serializing the response failed");
            json!({
                "messageVersion": MESSAGE_VERSION,
                "response": {
                    "actionGroup": "",
                    "function": "",
                    "functionResponse": {
                        "responseState": "FAILURE",
                        "responseBody": {"TEXT": {"body": "{\"ok\":false,\"error\":\"internal\"}"}},
                    },
                },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(target: Target) -> Envelope {
        Envelope {
            action_group: "VacationsActionGroup".into(),
            target,
            session_attributes: Attributes::from([("role".into(), "hr".into())]),
            prompt_session_attributes: Attributes::new(),
        }
    }

    #[test]
    fn a_function_answer_has_the_documented_shape() {
        let reply = Reply::done("19 days left", json!({"available_days": 19}));
        let mut value = LambdaResponse::new(
            &envelope(Target::Function("get_available_vacations_days".into())),
            &reply,
        )
        .into_value();
        // The body is JSON text; compare it parsed, since its key order depends on whether
        // serde_json's `preserve_order` feature is on in the build (it is in the workspace).
        let body = value["response"]["functionResponse"]["responseBody"]["TEXT"]
            .as_object_mut()
            .and_then(|text| text.remove("body"))
            .and_then(|body| body.as_str().map(str::to_owned))
            .expect("a TEXT body");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"available_days": 19, "message": "19 days left", "ok": true})
        );
        assert_eq!(
            value,
            json!({
                "messageVersion": "1.0",
                "response": {
                    "actionGroup": "VacationsActionGroup",
                    "function": "get_available_vacations_days",
                    "functionResponse": {"responseBody": {"TEXT": {}}},
                },
                "sessionAttributes": {"role": "hr"},
                "promptSessionAttributes": {},
            })
        );
    }

    #[test]
    fn an_answer_never_exceeds_64_kb() {
        let huge = "x".repeat(200 * 1024);
        let reply = Reply::done(huge, Value::Null);
        let value =
            LambdaResponse::new(&envelope(Target::Function("f".into())), &reply).into_value();
        assert!(value.to_string().len() < 64 * 1024);
        let function = &value["response"]["functionResponse"];
        assert_eq!(function["responseState"], "REPROMPT");
        assert!(function["responseBody"]["TEXT"]["body"]
            .as_str()
            .unwrap()
            .contains("answer_too_large"));
    }

    /// An absurd function name is echoed cut, so the whole answer stays under 64 KB.
    #[test]
    fn an_answer_with_an_absurd_function_name_stays_under_64_kb() {
        let raw = json!({"function": "f".repeat(100_000), "actionGroup": "g"});
        let envelope = Envelope::read(&raw);
        let reply = Reply::problem(
            Verdict::Reprompt,
            404,
            "unknown_function",
            "no",
            Value::Null,
        );
        let value = LambdaResponse::new(&envelope, &reply).into_value();
        assert!(
            value.to_string().len() < 1024,
            "{}",
            value.to_string().len()
        );
    }

    #[test]
    fn echoed_values_are_cut_to_a_bounded_length() {
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded("ééééé", 3), "ééé…");
        assert_eq!(bounded(&"y".repeat(10_000), 64).chars().count(), 65);
    }

    #[test]
    fn a_reprompt_and_a_failure_set_the_response_state() {
        let target = Target::Function("f".into());
        for (verdict, state) in [
            (Verdict::Reprompt, Some("REPROMPT")),
            (Verdict::Failure, Some("FAILURE")),
            (Verdict::Refused, None),
        ] {
            let reply = Reply::problem(verdict, 400, "x", "why", Value::Null);
            let value = LambdaResponse::new(&envelope(target.clone()), &reply).into_value();
            let got = value["response"]["functionResponse"].get("responseState");
            assert_eq!(got.and_then(Value::as_str), state, "{verdict:?}");
        }
    }

    #[test]
    fn an_openapi_answer_carries_the_status_and_a_json_body() {
        let reply = Reply::problem(
            Verdict::Reprompt,
            404,
            "unknown_employee",
            "who?",
            json!({}),
        );
        let target = Target::Api {
            path: "/reserve_vacation_time".into(),
            method: "POST".into(),
        };
        let value = LambdaResponse::new(&envelope(target), &reply).into_value();
        let response = &value["response"];
        assert_eq!(response["apiPath"], "/reserve_vacation_time");
        assert_eq!(response["httpMethod"], "POST");
        assert_eq!(response["httpStatusCode"], 404);
        assert!(response.get("responseState").is_none());
        let body: Value = serde_json::from_str(
            response["responseBody"]["application/json"]["body"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            body,
            json!({"ok": false, "error": "unknown_employee", "message": "who?"})
        );
        assert_eq!(reply.code(), "unknown_employee");
    }
}
