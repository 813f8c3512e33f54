//! The answers Bedrock accepts from an action group's Lambda, shaped from the core's
//! [`Outcome`].
//!
//! Function-details answers carry the body as JSON text under `TEXT` and an optional
//! `responseState`: absent for an answer, `REPROMPT` when the user must supply something
//! again, `FAILURE` only when a dependency is broken. OpenAPI answers carry the body under
//! `application/json` with an HTTP status; the Lambda contract documents no
//! `responseState` for them, so none is sent and the status alone says how it went.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use tools::{Outcome, Verdict};

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

/// The function-details `responseState` a verdict takes: none for an answer or a
/// refusal the model relays, `REPROMPT` when something must be supplied again, `FAILURE`
/// for a broken dependency.
pub fn state(verdict: Verdict) -> Option<ResponseState> {
    match verdict {
        Verdict::Done | Verdict::Refused => None,
        Verdict::NeedsInput => Some(ResponseState::Reprompt),
        Verdict::DependencyFailure => Some(ResponseState::Failure),
    }
}

impl LambdaResponse {
    /// Shapes `outcome` as the answer to the event `envelope` was read from.
    pub fn new(envelope: &Envelope, outcome: &Outcome) -> Self {
        let (outcome, text) = outcome.clone().sized();
        let (verdict, status) = (outcome.verdict, outcome.status);
        let body = Body { body: text };
        let response = match &envelope.target {
            Target::Function(function) => ActionResponse::Function(FunctionResult {
                action_group: envelope.action_group.clone(),
                function: function.clone(),
                function_response: FunctionResponse {
                    response_state: state(verdict),
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
        let outcome = Outcome::done("19 days left", json!({"available_days": 19}));
        let mut value = LambdaResponse::new(
            &envelope(Target::Function("get_available_vacations_days".into())),
            &outcome,
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
        let outcome = Outcome::done(huge, Value::Null);
        let value =
            LambdaResponse::new(&envelope(Target::Function("f".into())), &outcome).into_value();
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
        let outcome = Outcome::problem(
            Verdict::NeedsInput,
            404,
            "unknown_function",
            "no",
            Value::Null,
        );
        let value = LambdaResponse::new(&envelope, &outcome).into_value();
        assert!(
            value.to_string().len() < 1024,
            "{}",
            value.to_string().len()
        );
    }

    #[test]
    fn echoed_values_are_cut_to_a_bounded_length() {
        assert_eq!(domain::bounded("short", 10), "short");
        assert_eq!(domain::bounded("ééééé", 3), "ééé…");
        assert_eq!(domain::bounded(&"y".repeat(10_000), 64).chars().count(), 65);
    }

    #[test]
    fn a_reprompt_and_a_failure_set_the_response_state() {
        let target = Target::Function("f".into());
        for (verdict, state) in [
            (Verdict::NeedsInput, Some("REPROMPT")),
            (Verdict::DependencyFailure, Some("FAILURE")),
            (Verdict::Refused, None),
        ] {
            let outcome = Outcome::problem(verdict, 400, "x", "why", Value::Null);
            let value = LambdaResponse::new(&envelope(target.clone()), &outcome).into_value();
            let got = value["response"]["functionResponse"].get("responseState");
            assert_eq!(got.and_then(Value::as_str), state, "{verdict:?}");
        }
    }

    #[test]
    fn an_openapi_answer_carries_the_status_and_a_json_body() {
        let outcome = Outcome::problem(
            Verdict::NeedsInput,
            404,
            "unknown_employee",
            "who?",
            json!({}),
        );
        let target = Target::Api {
            path: "/reserve_vacation_time".into(),
            method: "POST".into(),
        };
        let value = LambdaResponse::new(&envelope(target), &outcome).into_value();
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
        assert_eq!(outcome.code(), "unknown_employee");
    }
}
