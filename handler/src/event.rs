//! The events Bedrock sends to an action group's Lambda, in both styles: function details
//! (`function`) and OpenAPI (`apiPath`, `httpMethod`, `requestBody`).
//!
//! `aws_lambda_events` models only the OpenAPI shape, so these types are our own. An event
//! is read in two passes: first, leniently, the [`Envelope`] (what the answer must echo),
//! which never fails; then, strictly, the whole event. A malformed event therefore still
//! gets a well-formed answer that names the problem.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// Attribute maps (`sessionAttributes`, `promptSessionAttributes`): text to text.
pub type Attributes = BTreeMap<String, String>;

/// The agent that sent the event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// The agent's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The agent's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The alias invoked.
    #[serde(default)]
    pub alias: Option<String>,
    /// The agent version behind the alias.
    #[serde(default)]
    pub version: Option<String>,
}

/// One parameter as Bedrock sends it: the value is always text, whatever `type` says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventParameter {
    /// The parameter's name.
    pub name: String,
    /// The declared type (`string`, `integer`, …); informative only.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The value, as text.
    pub value: String,
}

/// A function-details event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionEvent {
    /// `"1.0"`.
    #[serde(default)]
    pub message_version: Option<String>,
    /// The calling agent.
    #[serde(default)]
    pub agent: Option<Agent>,
    /// What the user said in this turn. Personal data: never logged.
    #[serde(default)]
    pub input_text: Option<String>,
    /// The agent session.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The action group.
    pub action_group: String,
    /// The function the model chose.
    pub function: String,
    /// The model's arguments.
    #[serde(default)]
    pub parameters: Vec<EventParameter>,
    /// Set by the invoking application for the whole session; the model cannot change them.
    #[serde(default)]
    pub session_attributes: Attributes,
    /// Set by the invoking application for this turn.
    #[serde(default)]
    pub prompt_session_attributes: Attributes,
}

/// The `content` of an OpenAPI event's request body, per media type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RequestBody {
    /// Media type → properties.
    pub content: BTreeMap<String, BodyContent>,
}

/// The properties of a request body in one media type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BodyContent {
    /// The body's fields, as parameters.
    #[serde(default)]
    pub properties: Vec<EventParameter>,
}

/// An OpenAPI (API-schema) event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiEvent {
    /// `"1.0"`.
    #[serde(default)]
    pub message_version: Option<String>,
    /// The calling agent.
    #[serde(default)]
    pub agent: Option<Agent>,
    /// What the user said in this turn. Personal data: never logged.
    #[serde(default)]
    pub input_text: Option<String>,
    /// The agent session.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The action group.
    pub action_group: String,
    /// The operation's path, such as `/reserve_vacation_time`.
    pub api_path: String,
    /// The operation's method.
    pub http_method: String,
    /// Path and query parameters.
    #[serde(default)]
    pub parameters: Vec<EventParameter>,
    /// The JSON body's fields.
    #[serde(default)]
    pub request_body: Option<RequestBody>,
    /// Set by the invoking application for the whole session.
    #[serde(default)]
    pub session_attributes: Attributes,
    /// Set by the invoking application for this turn.
    #[serde(default)]
    pub prompt_session_attributes: Attributes,
}

/// A well-formed event of either style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Function details.
    Function(FunctionEvent),
    /// OpenAPI.
    Api(ApiEvent),
}

/// What an answer must echo, and where to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A function-details invocation of `function`.
    Function(String),
    /// An OpenAPI invocation.
    Api {
        /// The operation's path.
        path: String,
        /// The operation's method.
        method: String,
    },
}

/// The parts of an event an answer echoes. Read leniently, so even a malformed event can be
/// answered: a field that is missing or of the wrong type is echoed as empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The action group, echoed.
    pub action_group: String,
    /// Function or API operation, echoed.
    pub target: Target,
    /// Passed through unchanged (text values only).
    pub session_attributes: Attributes,
    /// Passed through unchanged (text values only).
    pub prompt_session_attributes: Attributes,
}

/// Why an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the event is malformed: {0}")]
pub struct MalformedEvent(pub String);

impl Envelope {
    /// Reads what an answer to `raw` must echo. An event with `apiPath` is answered in the
    /// OpenAPI shape, anything else in the function-details shape.
    pub fn read(raw: &Value) -> Self {
        // Bedrock's names are at most 100 characters: anything longer is no name of ours,
        // and is echoed cut so that the answer stays small.
        let text = |key: &str| {
            domain::bounded(
                raw.get(key).and_then(Value::as_str).unwrap_or_default(),
                200,
            )
        };
        let target = if raw.get("apiPath").is_some() {
            Target::Api {
                path: text("apiPath"),
                method: text("httpMethod"),
            }
        } else {
            Target::Function(text("function"))
        };
        Self {
            action_group: text("actionGroup"),
            target,
            session_attributes: text_attributes(raw.get("sessionAttributes")),
            prompt_session_attributes: text_attributes(raw.get("promptSessionAttributes")),
        }
    }
}

/// The text-valued entries of an attribute map; anything else is dropped, since Bedrock
/// only accepts text values back.
fn text_attributes(value: Option<&Value>) -> Attributes {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

impl Event {
    /// Reads `raw` strictly, in the style its [`Envelope`] says.
    pub fn parse(raw: Value) -> Result<Self, MalformedEvent> {
        if !raw.is_object() {
            return Err(MalformedEvent("it is not a JSON object".into()));
        }
        let is_api = raw.get("apiPath").is_some();
        let described = |e: serde_path_to_error::Error<serde_json::Error>| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                MalformedEvent(inner.to_string())
            } else {
                MalformedEvent(format!("{path}: {inner}"))
            }
        };
        if is_api {
            serde_path_to_error::deserialize(raw)
                .map(Event::Api)
                .map_err(described)
        } else {
            serde_path_to_error::deserialize(raw)
                .map(Event::Function)
                .map_err(described)
        }
    }

    /// The session id, if any.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Self::Function(e) => e.session_id.as_deref(),
            Self::Api(e) => e.session_id.as_deref(),
        }
    }

    /// The user's words for this turn, if any (never log them).
    pub fn input_text(&self) -> Option<&str> {
        match self {
            Self::Function(e) => e.input_text.as_deref(),
            Self::Api(e) => e.input_text.as_deref(),
        }
    }

    /// The session attributes set by the invoking application.
    pub fn session_attributes(&self) -> &Attributes {
        match self {
            Self::Function(e) => &e.session_attributes,
            Self::Api(e) => &e.session_attributes,
        }
    }

    /// The prompt session attributes set by the invoking application.
    pub fn prompt_session_attributes(&self) -> &Attributes {
        match self {
            Self::Function(e) => &e.prompt_session_attributes,
            Self::Api(e) => &e.prompt_session_attributes,
        }
    }

    /// Every argument the model supplied: the function's parameters, or an API call's
    /// query/path parameters plus its JSON body's properties. A body in another media type
    /// is refused, since the schema declares only `application/json`.
    pub fn arguments(&self) -> Result<Vec<&EventParameter>, MalformedEvent> {
        match self {
            Self::Function(e) => Ok(e.parameters.iter().collect()),
            Self::Api(e) => {
                let mut all: Vec<&EventParameter> = e.parameters.iter().collect();
                if let Some(body) = &e.request_body {
                    for (media_type, content) in &body.content {
                        if media_type != "application/json" {
                            return Err(MalformedEvent(format!(
                                "requestBody: media type {media_type:?} is not supported, only application/json"
                            )));
                        }
                        all.extend(content.properties.iter());
                    }
                }
                Ok(all)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture() -> Value {
        serde_json::from_str(include_str!(
            "../tests/fixtures/bedrock-event-get-available.json"
        ))
        .unwrap()
    }

    #[test]
    fn the_recorded_event_reads_as_a_function_invocation() {
        let raw = fixture();
        let envelope = Envelope::read(&raw);
        assert_eq!(envelope.action_group, "VacationsActionGroup");
        assert_eq!(
            envelope.target,
            Target::Function("get_available_vacations_days".into())
        );
        let Event::Function(event) = Event::parse(raw).unwrap() else {
            panic!("not a function event")
        };
        assert_eq!(event.parameters.len(), 1);
        assert_eq!(event.parameters[0].name, "employee_id");
        assert_eq!(event.parameters[0].value, "2");
        assert_eq!(
            event.session_id.as_deref(),
            Some("331e8192-f7c9-11f0-9152-cbe55b511572")
        );
        assert_eq!(event.agent.unwrap().id.as_deref(), Some("HOJVVJ4OFP"));
    }

    #[test]
    fn an_openapi_event_gathers_query_and_body_arguments() {
        let raw = json!({
            "messageVersion": "1.0", "actionGroup": "G", "sessionId": "s",
            "apiPath": "/reserve_vacation_time", "httpMethod": "POST",
            "parameters": [{"name": "employee_id", "type": "integer", "value": "2"}],
            "requestBody": {"content": {"application/json": {"properties": [
                {"name": "start_date", "type": "string", "value": "2026-01-24"}
            ]}}}
        });
        let event = Event::parse(raw).unwrap();
        let names: Vec<_> = event
            .arguments()
            .unwrap()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["employee_id", "start_date"]);
    }

    #[test]
    fn a_body_in_another_media_type_is_refused() {
        let raw = json!({
            "actionGroup": "G", "apiPath": "/x", "httpMethod": "POST",
            "requestBody": {"content": {"text/plain": {"properties": []}}}
        });
        let err = Event::parse(raw).unwrap().arguments().unwrap_err();
        assert!(err.0.contains("text/plain"), "{err}");
    }

    #[test]
    fn a_malformed_event_names_the_offending_field() {
        let mut raw = fixture();
        raw["parameters"][0]["value"] = json!(2);
        let err = Event::parse(raw).unwrap_err();
        assert!(err.0.starts_with("parameters[0].value:"), "{err}");

        let err = Event::parse(json!({"function": "f"})).unwrap_err();
        assert!(err.0.contains("actionGroup"), "{err}");
        assert!(Event::parse(json!([1, 2])).is_err());
    }

    #[test]
    fn the_envelope_of_garbage_is_empty_but_usable() {
        let envelope = Envelope::read(&json!("nonsense"));
        assert_eq!(envelope.action_group, "");
        assert_eq!(envelope.target, Target::Function(String::new()));
        let envelope = Envelope::read(&json!({
            "actionGroup": 7, "apiPath": null,
            "sessionAttributes": {"role": "hr", "n": 1, "o": {}}
        }));
        assert_eq!(
            envelope.target,
            Target::Api {
                path: String::new(),
                method: String::new()
            }
        );
        assert_eq!(
            envelope.session_attributes,
            Attributes::from([("role".into(), "hr".into())])
        );
    }
}
