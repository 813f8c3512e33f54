//! Talking to the deployed agent: `InvokeAgent` on the alias, its event stream rendered as
//! it arrives (answer chunks on stdout, the trace on stderr), confirmations answered with
//! the matching `invocationId`, and each error event turned into a clear message with its
//! own exit status.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use aws_sdk_bedrockagentruntime::error::SdkError;
use aws_sdk_bedrockagentruntime::operation::invoke_agent::InvokeAgentError;
use aws_sdk_bedrockagentruntime::types::error::ResponseStreamError;
use aws_sdk_bedrockagentruntime::types::{
    ActionInvocationType, ApiResult, ConfirmationState, FunctionResult, InvocationInputMember,
    InvocationResultMember, OrchestrationTrace, PreProcessingTrace, ResponseStream,
    ReturnControlPayload, SessionState, Trace, TracePart,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{ErrorKind, InvokeError, MAX_ROUNDS};

/// The session attribute the handler reads the caller's employee id from.
pub const EMPLOYEE_ID_ATTRIBUTE: &str = tools::caller::EMPLOYEE_ID_ATTRIBUTE;
/// The session attribute the handler reads the caller's role from.
pub const ROLE_ATTRIBUTE: &str = tools::caller::ROLE_ATTRIBUTE;

/// Who the caller is, as the handler reads it from `sessionAttributes` (which the model
/// cannot change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No identity: the handler refuses to touch vacation data.
    Anonymous,
    /// An employee, who may act only for themselves.
    Employee(String),
    /// Human resources (the HR user's own id, which the history records), who may act
    /// for anyone.
    Hr(String),
}

impl Identity {
    /// The session attributes for this identity.
    pub fn attributes(&self) -> HashMap<String, String> {
        let mut attrs = HashMap::new();
        match self {
            Identity::Anonymous => {}
            Identity::Employee(id) => {
                attrs.insert(EMPLOYEE_ID_ATTRIBUTE.to_owned(), id.clone());
                attrs.insert(ROLE_ATTRIBUTE.to_owned(), "employee".to_owned());
            }
            Identity::Hr(id) => {
                attrs.insert(EMPLOYEE_ID_ATTRIBUTE.to_owned(), id.clone());
                attrs.insert(ROLE_ATTRIBUTE.to_owned(), "hr".to_owned());
            }
        }
        attrs
    }
}

/// Checks a session id against `InvokeAgent`'s rule: 2 to 100 of `[0-9a-zA-Z._:-]`.
pub fn valid_session_id(id: &str) -> bool {
    (2..=100).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

/// A fresh, valid session id.
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The kind of an error event in `InvokeAgent`'s stream.
fn kind_of_stream(e: &ResponseStreamError) -> ErrorKind {
    match e {
        ResponseStreamError::AccessDeniedException(_) => ErrorKind::AccessDenied,
        ResponseStreamError::ThrottlingException(_) => ErrorKind::Throttling,
        ResponseStreamError::DependencyFailedException(_) => ErrorKind::DependencyFailed,
        ResponseStreamError::ValidationException(_) => ErrorKind::Validation,
        ResponseStreamError::ResourceNotFoundException(_) => ErrorKind::ResourceNotFound,
        ResponseStreamError::ConflictException(_) => ErrorKind::Conflict,
        ResponseStreamError::ServiceQuotaExceededException(_) => ErrorKind::ServiceQuotaExceeded,
        ResponseStreamError::ModelNotReadyException(_) => ErrorKind::ModelNotReady,
        ResponseStreamError::BadGatewayException(_) => ErrorKind::BadGateway,
        ResponseStreamError::InternalServerException(_) => ErrorKind::InternalServer,
        _ => ErrorKind::Other,
    }
}

/// The kind of an error answer to `InvokeAgent` itself.
fn kind_of_call(e: &InvokeAgentError) -> ErrorKind {
    match e {
        InvokeAgentError::AccessDeniedException(_) => ErrorKind::AccessDenied,
        InvokeAgentError::ThrottlingException(_) => ErrorKind::Throttling,
        InvokeAgentError::DependencyFailedException(_) => ErrorKind::DependencyFailed,
        InvokeAgentError::ValidationException(_) => ErrorKind::Validation,
        InvokeAgentError::ResourceNotFoundException(_) => ErrorKind::ResourceNotFound,
        InvokeAgentError::ConflictException(_) => ErrorKind::Conflict,
        InvokeAgentError::ServiceQuotaExceededException(_) => ErrorKind::ServiceQuotaExceeded,
        InvokeAgentError::ModelNotReadyException(_) => ErrorKind::ModelNotReady,
        InvokeAgentError::BadGatewayException(_) => ErrorKind::BadGateway,
        InvokeAgentError::InternalServerException(_) => ErrorKind::InternalServer,
        _ => ErrorKind::Other,
    }
}

/// Asks the user to accept or decline an action.
pub trait Confirm {
    /// Shows `question`; true when the user accepts.
    fn confirm(&mut self, question: &str) -> std::io::Result<bool>;
}

/// Accepts everything (`--yes`).
#[derive(Debug, Clone, Copy)]
pub struct AcceptAll;

impl Confirm for AcceptAll {
    fn confirm(&mut self, _question: &str) -> std::io::Result<bool> {
        Ok(true)
    }
}

/// Asks on stderr and reads a line from `input`; only `y`/`yes` accepts, and end of input
/// declines.
#[derive(Debug)]
pub struct Ask<R> {
    input: R,
}

impl<R: BufRead> Ask<R> {
    /// Asks on stderr, reads from `input`.
    pub fn new(input: R) -> Self {
        Self { input }
    }
}

impl<R: BufRead> Confirm for Ask<R> {
    fn confirm(&mut self, question: &str) -> std::io::Result<bool> {
        let mut err = std::io::stderr();
        write!(err, "{question} [y/N] ")?;
        err.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            writeln!(err)?;
            return Ok(false);
        }
        Ok(matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }
}

/// One conversation with the agent's alias.
#[derive(Debug, Clone)]
pub struct Conversation {
    client: aws_sdk_bedrockagentruntime::Client,
    agent_id: String,
    alias_id: String,
    session_id: String,
    identity: Identity,
    trace: bool,
}

/// What a turn did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Turn {
    /// The answer text.
    pub answer: String,
    /// Actions the user accepted.
    pub confirmed: Vec<String>,
    /// Actions the user declined.
    pub declined: Vec<String>,
}

impl Conversation {
    /// A conversation in `session_id`.
    pub fn new(
        client: aws_sdk_bedrockagentruntime::Client,
        agent_id: impl Into<String>,
        alias_id: impl Into<String>,
        session_id: impl Into<String>,
        identity: Identity,
        trace: bool,
    ) -> Self {
        Self {
            client,
            agent_id: agent_id.into(),
            alias_id: alias_id.into(),
            session_id: session_id.into(),
            identity,
            trace,
        }
    }

    /// The session id.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Sends `text` (or, with `None`, only ends the session) and renders the answer: chunks
    /// to `out` as they arrive, the trace (with `--trace`) and failures to `err`. A
    /// confirmation request goes to `confirm`, and the answer back to the agent, until it
    /// has finished. With `end_session`, the session is ended once the turn has finished;
    /// a turn that fails leaves it open (it expires after the agent's idle timeout).
    pub async fn say(
        &self,
        text: Option<&str>,
        end_session: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
        confirm: &mut dyn Confirm,
    ) -> Result<Turn, InvokeError> {
        // `endSession` goes only on a call that nothing in the turn can follow: any answer
        // may be a returnControl asking for a confirmation, and the confirmation's result
        // must reach a live session. So the turn runs with the session open, and ending it
        // is a call of its own, without input, once nothing is pending. InvokeAgent's
        // reference has no other way for an agent's session: "End a conversation by
        // setting endSession to true"
        // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_InvokeAgent.html).
        // The `EndSession` operation is for the separate session-management API's sessions
        // (UUIDs made by `CreateSession`), not for an agent's free-form session ids.
        let turn = match (text, end_session) {
            (None, true) => Turn::default(),
            _ => self.turn(text, out, err, confirm).await?,
        };
        if end_session {
            self.end(err).await?;
        }
        Ok(turn)
    }

    /// One turn: the question, then each confirmation's answer, until the agent finishes.
    async fn turn(
        &self,
        text: Option<&str>,
        out: &mut dyn Write,
        err: &mut dyn Write,
        confirm: &mut dyn Confirm,
    ) -> Result<Turn, InvokeError> {
        let mut turn = Turn::default();
        let mut state = self.session_state().build();
        let mut input = text.map(str::to_owned);
        for _ in 0..MAX_ROUNDS {
            let answer = self
                .request(state)
                .set_input_text(input.take())
                .send()
                .await
                .map_err(|e| InvokeError::from_call("InvokeAgent", e, kind_of_call))?;
            let mut stream = answer.completion;
            let mut returned: Option<ReturnControlPayload> = None;
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
                    ResponseStream::Chunk(part) => {
                        if let Some(bytes) = part.bytes {
                            let text = String::from_utf8_lossy(bytes.as_ref()).into_owned();
                            out.write_all(text.as_bytes())?;
                            out.flush()?;
                            turn.answer.push_str(&text);
                        }
                    }
                    ResponseStream::Trace(part) => render_trace(&part, self.trace, err)?,
                    ResponseStream::ReturnControl(payload) => returned = Some(payload),
                    ResponseStream::Files(_) => writeln!(
                        err,
                        "(the agent sent files, which this terminal does not show)"
                    )?,
                    _ => {}
                }
            }
            let Some(payload) = returned else {
                end_line(out, &turn.answer)?;
                return Ok(turn);
            };
            let results = answer_return_control(&payload, confirm, err, &mut turn)?;
            state = self
                .session_state()
                .set_invocation_id(payload.invocation_id.clone())
                .set_return_control_invocation_results(Some(results))
                .build();
        }
        Err(InvokeError::TooManyRounds)
    }

    /// Ends the session: a call with `endSession` and no input. Whatever text it streams
    /// is not part of any answer and is dropped; failures still show on `err`.
    async fn end(&self, err: &mut dyn Write) -> Result<(), InvokeError> {
        let answer = self
            .request(self.session_state().build())
            .end_session(true)
            .send()
            .await
            .map_err(|e| InvokeError::from_call("InvokeAgent", e, kind_of_call))?;
        let mut stream = answer.completion;
        while let Some(event) = stream.recv().await.map_err(stream_error)? {
            if let ResponseStream::Trace(part) = event {
                render_trace(&part, self.trace, err)?;
            }
        }
        Ok(())
    }

    /// An `InvokeAgent` call in this session, with the trace on (failures always show).
    fn request(
        &self,
        state: SessionState,
    ) -> aws_sdk_bedrockagentruntime::operation::invoke_agent::builders::InvokeAgentFluentBuilder
    {
        self.client
            .invoke_agent()
            .agent_id(&self.agent_id)
            .agent_alias_id(&self.alias_id)
            .session_id(&self.session_id)
            .enable_trace(true)
            .session_state(state)
    }

    /// The session state every call carries: the caller's identity.
    fn session_state(&self) -> aws_sdk_bedrockagentruntime::types::builders::SessionStateBuilder {
        SessionState::builder().set_session_attributes(Some(self.identity.attributes()))
    }
}

fn end_line(out: &mut dyn Write, answer: &str) -> std::io::Result<()> {
    if !answer.is_empty() && !answer.ends_with('\n') {
        writeln!(out)?;
    }
    out.flush()
}

fn stream_error(
    e: SdkError<ResponseStreamError, aws_smithy_types::event_stream::RawMessage>,
) -> InvokeError {
    match e.as_service_error() {
        Some(service) => InvokeError::Agent {
            kind: kind_of_stream(service),
            message: service.message().unwrap_or("no message").to_owned(),
        },
        None => InvokeError::Stream(
            aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
        ),
    }
}

/// Asks about each action the agent wants confirmed, and builds the results to send back.
fn answer_return_control(
    payload: &ReturnControlPayload,
    confirm: &mut dyn Confirm,
    err: &mut dyn Write,
    turn: &mut Turn,
) -> Result<Vec<InvocationResultMember>, InvokeError> {
    let mut results = Vec::new();
    for input in payload.invocation_inputs() {
        match input {
            InvocationInputMember::FunctionInvocationInput(f) => {
                let function = f.function.clone().unwrap_or_default();
                let args = f
                    .parameters()
                    .iter()
                    .map(|p| format!("{}={}", p.name().unwrap_or("?"), p.value().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(", ");
                let summary = format!("{function}({args})");
                let accepted = ask(confirm, err, &summary, f.action_invocation_type.as_ref())?;
                record(turn, &summary, accepted);
                let result = FunctionResult::builder()
                    .action_group(&f.action_group)
                    .function(function)
                    .confirmation_state(state_of(accepted))
                    .build()
                    .map_err(|e| InvokeError::Stream(e.to_string()))?;
                results.push(InvocationResultMember::FunctionResult(result));
            }
            InvocationInputMember::ApiInvocationInput(a) => {
                let summary = format!(
                    "{} {}",
                    a.http_method().unwrap_or("?"),
                    a.api_path().unwrap_or("?")
                );
                let accepted = ask(confirm, err, &summary, a.action_invocation_type.as_ref())?;
                record(turn, &summary, accepted);
                let result = ApiResult::builder()
                    .action_group(&a.action_group)
                    .set_http_method(a.http_method.clone())
                    .set_api_path(a.api_path.clone())
                    .confirmation_state(state_of(accepted))
                    .build()
                    .map_err(|e| InvokeError::Stream(e.to_string()))?;
                results.push(InvocationResultMember::ApiResult(result));
            }
            _ => writeln!(
                err,
                "(the agent returned control for an action this terminal does not know)"
            )?,
        }
    }
    Ok(results)
}

fn ask(
    confirm: &mut dyn Confirm,
    err: &mut dyn Write,
    summary: &str,
    kind: Option<&ActionInvocationType>,
) -> Result<bool, InvokeError> {
    if kind == Some(&ActionInvocationType::Result) {
        // Not a confirmation: the agent expects us to run the action ourselves, which this
        // terminal cannot do. Declining lets it tell the user.
        writeln!(
            err,
            "! the agent asked this terminal to run {summary} itself; declining"
        )?;
        return Ok(false);
    }
    writeln!(err, "? the agent wants to run {summary}")?;
    let accepted = confirm.confirm("  Confirm?")?;
    writeln!(err, "  {}", if accepted { "confirmed" } else { "declined" })?;
    Ok(accepted)
}

fn record(turn: &mut Turn, summary: &str, accepted: bool) {
    if accepted {
        turn.confirmed.push(summary.to_owned());
    } else {
        turn.declined.push(summary.to_owned());
    }
}

fn state_of(accepted: bool) -> ConfirmationState {
    if accepted {
        ConfirmationState::Confirm
    } else {
        ConfirmationState::Deny
    }
}

/// Renders one trace event readably. Failures are always shown; the rest only with
/// `--trace`.
pub fn render_trace(part: &TracePart, verbose: bool, err: &mut dyn Write) -> std::io::Result<()> {
    let Some(trace) = &part.trace else {
        return Ok(());
    };
    match trace {
        Trace::FailureTrace(f) => {
            writeln!(
                err,
                "✗ failure{}: {}",
                f.failure_code.map(|c| format!(" {c}")).unwrap_or_default(),
                f.failure_reason.as_deref().unwrap_or("no reason given")
            )?;
        }
        _ if !verbose => {}
        Trace::PreProcessingTrace(PreProcessingTrace::ModelInvocationOutput(o)) => {
            if let Some(p) = &o.parsed_response {
                let verdict = if p.is_valid == Some(false) {
                    "rejected"
                } else {
                    "accepted"
                };
                writeln!(
                    err,
                    "· pre-processing: input {verdict}{}",
                    p.rationale
                        .as_deref()
                        .map(|r| format!(" — {r}"))
                        .unwrap_or_default()
                )?;
            }
        }
        Trace::OrchestrationTrace(o) => match o {
            OrchestrationTrace::Rationale(r) => {
                writeln!(
                    err,
                    "· thinking: {}",
                    r.text.as_deref().unwrap_or("").trim()
                )?;
            }
            OrchestrationTrace::InvocationInput(i) => {
                if let Some(a) = &i.action_group_invocation_input {
                    let target = a
                        .function
                        .clone()
                        .or_else(|| a.api_path.clone())
                        .unwrap_or_else(|| "?".to_owned());
                    let args = a
                        .parameters()
                        .iter()
                        .map(|p| {
                            format!(
                                "{}={}",
                                p.name.as_deref().unwrap_or("?"),
                                p.value.as_deref().unwrap_or("")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    writeln!(
                        err,
                        "→ calls {}{target}({args})",
                        a.action_group_name
                            .as_deref()
                            .map(|g| format!("{g}."))
                            .unwrap_or_default()
                    )?;
                }
            }
            OrchestrationTrace::Observation(o) => {
                if let Some(out) = &o.action_group_invocation_output {
                    writeln!(
                        err,
                        "← the Lambda returned: {}",
                        out.text.as_deref().unwrap_or("").trim()
                    )?;
                }
                if let Some(r) = &o.reprompt_response {
                    writeln!(
                        err,
                        "← reprompt: {}",
                        r.text.as_deref().unwrap_or("").trim()
                    )?;
                }
            }
            _ => {}
        },
        Trace::GuardrailTrace(g) => {
            writeln!(
                err,
                "· guardrail: {}",
                g.action.as_ref().map(|a| a.as_str()).unwrap_or("checked")
            )?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_follow_the_api_rule() {
        assert!(valid_session_id(&new_session_id()));
        assert!(valid_session_id("ab"));
        assert!(valid_session_id("a.b_c:d-e"));
        assert!(!valid_session_id("a"));
        assert!(!valid_session_id(&"a".repeat(101)));
        assert!(!valid_session_id("has space"));
    }

    #[test]
    fn identities_become_the_attributes_the_handler_reads() {
        assert!(Identity::Anonymous.attributes().is_empty());
        let e = Identity::Employee("2".into()).attributes();
        assert_eq!(e["employeeId"], "2");
        assert_eq!(e["role"], "employee");
        let hr = Identity::Hr("900".into()).attributes();
        assert_eq!(hr["role"], "hr");
        assert_eq!(hr["employeeId"], "900");
    }
}
