//! Talking to the AgentCore harness: `InvokeHarness` in one runtime session, its event
//! stream rendered as it arrives (text on stdout; tool calls and results on stderr under
//! `--trace`), and each inline-function call run here, in the terminal:
//!
//! - a booking or cancellation is shown to the person, who accepts or declines it, before
//!   anything is sent;
//! - the call goes to the gateway's MCP endpoint with the person's own token, so the
//!   gateway's authorizer and interceptor (not the model) decide who is asking;
//! - the answer goes back to the harness as the tool's result, in the same session.

use std::collections::BTreeMap;
use std::io::Write;

use aws_sdk_bedrockagentcore::error::SdkError;
use aws_sdk_bedrockagentcore::operation::invoke_harness::InvokeHarnessError;
use aws_sdk_bedrockagentcore::types::error::InvokeHarnessStreamOutputError;
use aws_sdk_bedrockagentcore::types::{
    HarnessContentBlock, HarnessContentBlockDelta, HarnessContentBlockStart,
    HarnessConversationRole, HarnessMessage, HarnessStopReason, HarnessToolResultBlock,
    HarnessToolResultBlockDelta, HarnessToolResultContentBlock, HarnessToolUseStatus,
    InvokeHarnessStreamOutput,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use crate::error::{Error, ErrorKind, InvokeError, MAX_ROUNDS};
use crate::invoke::{Confirm, Turn};

/// `InvokeHarness` wants a runtime session id of at least this many characters.
pub const MIN_SESSION_ID: usize = 33;

/// Checks a runtime session id: 33 to 256 characters, no whitespace.
pub fn valid_session_id(id: &str) -> bool {
    (MIN_SESSION_ID..=256).contains(&id.len()) && !id.chars().any(char::is_whitespace)
}

/// A fresh runtime session id (a UUID: 36 characters).
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What a tool answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolAnswer {
    /// The answer's text (our tools answer JSON).
    pub text: String,
    /// Whether the tool refused or failed.
    pub is_error: bool,
}

/// Runs a tool for the harness: in production, an MCP call to the gateway under the
/// person's token ([`GatewayTools`]).
#[allow(async_fn_in_trait)]
pub trait ToolRunner {
    /// Calls `tool` (the catalogue's name) with `arguments`.
    async fn call(&mut self, tool: &str, arguments: Value) -> Result<ToolAnswer, InvokeError>;
}

/// The gateway's tools over MCP (streamable HTTP), with the person's bearer token.
pub struct GatewayTools {
    url: String,
    token: String,
    target: String,
    client: Option<rmcp::service::RunningService<rmcp::RoleClient, ()>>,
}

impl GatewayTools {
    /// The tools of `target` on the gateway at `url`, called with `token`.
    pub fn new(
        url: impl Into<String>,
        token: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        Self {
            url: url.into(),
            token: token.into(),
            target: target.into(),
            client: None,
        }
    }

    fn refused(message: String) -> InvokeError {
        InvokeError::Agent {
            kind: ErrorKind::AccessDenied,
            message,
        }
    }
}

impl ToolRunner for GatewayTools {
    async fn call(&mut self, tool: &str, arguments: Value) -> Result<ToolAnswer, InvokeError> {
        use rmcp::model::CallToolRequestParams;
        use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
        use rmcp::transport::StreamableHttpClientTransport;
        use rmcp::ServiceExt;

        if self.client.is_none() {
            let config = StreamableHttpClientTransportConfig::with_uri(self.url.clone())
                .auth_header(self.token.clone());
            let client = ()
                .serve(StreamableHttpClientTransport::from_config(config))
                .await
                .map_err(|e| {
                    let text = e.to_string();
                    if text.contains("401") || text.contains("403") || text.contains("nauthorized") {
                        Self::refused(format!(
                            "the gateway at {} refused the token (expired, or not one its authorizer accepts): {text}",
                            self.url
                        ))
                    } else {
                        InvokeError::Setup(Error::Unreachable {
                            operation: "the gateway's MCP endpoint",
                            source: Box::new(e),
                        })
                    }
                })?;
            self.client = Some(client);
        }
        let client = self.client.as_ref().expect("connected above");
        let arguments = match arguments {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let result = client
            .call_tool(
                CallToolRequestParams::new(format!("{}___{tool}", self.target))
                    .with_arguments(arguments),
            )
            .await
            .map_err(|e| InvokeError::Agent {
                kind: ErrorKind::DependencyFailed,
                message: format!("the gateway's {tool} failed: {e}"),
            })?;
        let text = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(ToolAnswer {
            text,
            is_error: result.is_error.unwrap_or(false),
        })
    }
}

/// One conversation with the harness, in one runtime session.
pub struct HarnessConversation<R> {
    client: aws_sdk_bedrockagentcore::Client,
    harness_arn: String,
    session_id: String,
    tools: R,
    confirmation: bool,
    trace: bool,
}

/// A tool call the harness handed back, as its stream assembled it.
#[derive(Debug, Default)]
struct ToolUse {
    id: String,
    name: String,
    input: String,
    answered: bool,
}

impl<R: ToolRunner> HarnessConversation<R> {
    /// A conversation in `session_id` (see [`valid_session_id`]), running tool calls with
    /// `tools`; with `confirmation`, bookings and cancellations are asked about first.
    pub fn new(
        client: aws_sdk_bedrockagentcore::Client,
        harness_arn: impl Into<String>,
        session_id: impl Into<String>,
        tools: R,
        confirmation: bool,
        trace: bool,
    ) -> Self {
        Self {
            client,
            harness_arn: harness_arn.into(),
            session_id: session_id.into(),
            tools,
            confirmation,
            trace,
        }
    }

    /// The runtime session id.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Sends `text` and renders the answer: text to `out` as it arrives, tool calls and
    /// results (with `--trace`) and failures to `err`. Each inline-function call is run
    /// here (asking `confirm` first for bookings and cancellations) and its result sent
    /// back, until the harness ends its turn.
    pub async fn say(
        &mut self,
        text: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
        confirm: &mut dyn Confirm,
    ) -> Result<Turn, InvokeError> {
        let mut turn = Turn::default();
        let mut message = HarnessMessage::builder()
            .role(HarnessConversationRole::User)
            .content(HarnessContentBlock::Text(text.to_owned()))
            .build()
            .map_err(|e| InvokeError::Stream(e.to_string()))?;
        for _ in 0..MAX_ROUNDS {
            let answer = self
                .client
                .invoke_harness()
                .harness_arn(&self.harness_arn)
                .runtime_session_id(&self.session_id)
                .messages(message)
                .send()
                .await
                .map_err(|e| InvokeError::from_call("InvokeHarness", e, kind_of_call))?;
            let mut stream = answer.stream;
            let mut blocks: BTreeMap<i32, ToolUse> = BTreeMap::new();
            let mut stop = None;
            loop {
                let event = match stream.recv().await {
                    Ok(Some(event)) => event,
                    Ok(None) => break,
                    Err(e) => {
                        end_line(out, &turn.answer)?;
                        return Err(stream_error(e));
                    }
                };
                match event {
                    InvokeHarnessStreamOutput::ContentBlockStart(start) => match start.start {
                        Some(HarnessContentBlockStart::ToolUse(t)) => {
                            blocks.insert(
                                start.content_block_index,
                                ToolUse {
                                    id: t.tool_use_id,
                                    name: t.name,
                                    ..ToolUse::default()
                                },
                            );
                        }
                        Some(HarnessContentBlockStart::ToolResult(r)) => {
                            // The harness ran this tool itself: nothing for us to run.
                            for b in blocks.values_mut().filter(|b| b.id == r.tool_use_id) {
                                b.answered = true;
                            }
                        }
                        _ => {}
                    },
                    InvokeHarnessStreamOutput::ContentBlockDelta(delta) => match delta.delta {
                        Some(HarnessContentBlockDelta::Text(t)) => {
                            out.write_all(t.as_bytes())?;
                            out.flush()?;
                            turn.answer.push_str(&t);
                        }
                        Some(HarnessContentBlockDelta::ToolUse(t)) => {
                            if let Some(b) = blocks.get_mut(&delta.content_block_index) {
                                b.input.push_str(&t.input);
                            }
                        }
                        Some(HarnessContentBlockDelta::ToolResult(parts)) if self.trace => {
                            for part in parts {
                                if let HarnessToolResultBlockDelta::Text(t) = part {
                                    writeln!(err, "← {}", t.trim())?;
                                }
                            }
                        }
                        _ => {}
                    },
                    InvokeHarnessStreamOutput::ContentBlockStop(stop_event) => {
                        if let Some(b) = blocks.get(&stop_event.content_block_index) {
                            if self.trace {
                                writeln!(err, "→ calls {}({})", b.name, b.input.trim())?;
                            }
                        }
                    }
                    InvokeHarnessStreamOutput::MessageStop(m) => stop = Some(m.stop_reason),
                    _ => {}
                }
            }
            let pending: Vec<ToolUse> = blocks.into_values().filter(|b| !b.answered).collect();
            match stop {
                Some(HarnessStopReason::ToolUse) if !pending.is_empty() => {
                    let mut results = Vec::new();
                    for call in pending {
                        results.push(self.run(call, err, confirm, &mut turn).await?);
                    }
                    message = HarnessMessage::builder()
                        .role(HarnessConversationRole::User)
                        .set_content(Some(results))
                        .build()
                        .map_err(|e| InvokeError::Stream(e.to_string()))?;
                }
                // `tool_use` with nothing left for us: the harness ran every call itself.
                Some(HarnessStopReason::EndTurn | HarnessStopReason::ToolUse) | None => {
                    end_line(out, &turn.answer)?;
                    return Ok(turn);
                }
                Some(other) => {
                    end_line(out, &turn.answer)?;
                    return Err(InvokeError::Agent {
                        kind: ErrorKind::Other,
                        message: format!("the harness stopped the turn: {}", other.as_str()),
                    });
                }
            }
        }
        Err(InvokeError::TooManyRounds)
    }

    /// Runs one handed-back tool call, asking first when it changes vacation data.
    async fn run(
        &mut self,
        call: ToolUse,
        err: &mut dyn Write,
        confirm: &mut dyn Confirm,
        turn: &mut Turn,
    ) -> Result<HarnessContentBlock, InvokeError> {
        let arguments: Value = if call.input.trim().is_empty() {
            Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_str(&call.input).unwrap_or(Value::String(call.input.clone()))
        };
        let summary = format!("{}({})", call.name, summary_of(&arguments));
        let answer = match tools::catalogue::find(&call.name) {
            None => ToolAnswer {
                text: format!("{{\"ok\":false,\"error\":\"unknown_tool\",\"message\":\"There is no tool {}.\"}}", call.name),
                is_error: true,
            },
            Some(tool) if tool.require_confirmation && self.confirmation => {
                writeln!(err, "? the agent wants to run {summary}")?;
                let accepted = confirm.confirm("  Confirm?")?;
                writeln!(err, "  {}", if accepted { "confirmed" } else { "declined" })?;
                if accepted {
                    turn.confirmed.push(summary.clone());
                    self.tools.call(tool.name, arguments).await?
                } else {
                    turn.declined.push(summary.clone());
                    ToolAnswer {
                        text: "{\"ok\":false,\"error\":\"declined\",\"message\":\"The person declined; nothing was changed.\"}".to_owned(),
                        is_error: true,
                    }
                }
            }
            Some(tool) => self.tools.call(tool.name, arguments).await?,
        };
        if self.trace {
            writeln!(err, "← {}", answer.text.trim())?;
        }
        let block = HarnessToolResultBlock::builder()
            .tool_use_id(call.id)
            .content(HarnessToolResultContentBlock::Text(answer.text))
            .status(if answer.is_error {
                HarnessToolUseStatus::Error
            } else {
                HarnessToolUseStatus::Success
            })
            .build()
            .map_err(|e| InvokeError::Stream(e.to_string()))?;
        Ok(HarnessContentBlock::ToolResult(block))
    }
}

fn summary_of(arguments: &Value) -> String {
    match arguments {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn end_line(out: &mut dyn Write, answer: &str) -> std::io::Result<()> {
    if !answer.is_empty() && !answer.ends_with('\n') {
        writeln!(out)?;
    }
    out.flush()
}

fn kind_of_call(e: &InvokeHarnessError) -> ErrorKind {
    match e {
        InvokeHarnessError::AccessDeniedException(_) => ErrorKind::AccessDenied,
        InvokeHarnessError::ThrottlingException(_) => ErrorKind::Throttling,
        InvokeHarnessError::ValidationException(_) => ErrorKind::Validation,
        InvokeHarnessError::ResourceNotFoundException(_) => ErrorKind::ResourceNotFound,
        InvokeHarnessError::ServiceQuotaExceededException(_) => ErrorKind::ServiceQuotaExceeded,
        InvokeHarnessError::InternalServerException(_) => ErrorKind::InternalServer,
        InvokeHarnessError::RuntimeClientError(_) => ErrorKind::DependencyFailed,
        other => kind_of_code(other.code()),
    }
}

/// The stream models only three error events; any other arrives unmodelled, with its
/// code (`throttlingException`, …), and is sorted by that code.
fn kind_of_stream(e: &InvokeHarnessStreamOutputError) -> ErrorKind {
    match e {
        InvokeHarnessStreamOutputError::ValidationException(_) => ErrorKind::Validation,
        InvokeHarnessStreamOutputError::InternalServerException(_) => ErrorKind::InternalServer,
        InvokeHarnessStreamOutputError::RuntimeClientError(_) => ErrorKind::DependencyFailed,
        other => kind_of_code(other.code()),
    }
}

fn kind_of_code(code: Option<&str>) -> ErrorKind {
    let code = code.unwrap_or_default().to_ascii_lowercase();
    match code.trim_end_matches("exception") {
        "accessdenied" => ErrorKind::AccessDenied,
        "throttling" => ErrorKind::Throttling,
        "validation" => ErrorKind::Validation,
        "resourcenotfound" => ErrorKind::ResourceNotFound,
        "conflict" => ErrorKind::Conflict,
        "servicequotaexceeded" => ErrorKind::ServiceQuotaExceeded,
        "internalserver" => ErrorKind::InternalServer,
        "runtimeclienterror" => ErrorKind::DependencyFailed,
        _ => ErrorKind::Other,
    }
}

fn stream_error(
    e: SdkError<InvokeHarnessStreamOutputError, aws_smithy_types::event_stream::RawMessage>,
) -> InvokeError {
    // An unmodelled error event carries its code in the `:exception-type` header only; the
    // SDK looks for it in the payload (`code`, `__type`), where an event's is not.
    let header = match e.raw_response() {
        Some(aws_smithy_types::event_stream::RawMessage::Decoded(m)) => m
            .headers()
            .iter()
            .find(|h| h.name().as_str() == ":exception-type")
            .and_then(|h| h.value().as_string().ok())
            .map(|s| s.as_str().to_owned()),
        _ => None,
    };
    match e.as_service_error() {
        Some(service) => InvokeError::Agent {
            kind: match kind_of_stream(service) {
                ErrorKind::Other => kind_of_code(service.code().or(header.as_deref())),
                kind => kind,
            },
            message: service.message().unwrap_or("no message").to_owned(),
        },
        None => InvokeError::Stream(
            aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_long_enough_for_invoke_harness() {
        assert!(valid_session_id(&new_session_id()));
        assert!(!valid_session_id("short"));
        assert!(!valid_session_id(&format!("{} x", "a".repeat(40))));
    }
}
