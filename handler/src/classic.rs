//! The Bedrock Agents Classic adapter: an action group's event in, the answer Bedrock
//! accepts out.
//!
//! ```text
//! Bedrock event (JSON) ─► Envelope::read ─────────────────────────────────┐ (what to echo)
//!                      └► Event::parse ─► catalogue ─► session attributes ─► core ─► Outcome
//!                                                                                     │
//! Bedrock answer (JSON) ◄── LambdaResponse::new(envelope, outcome) ◄──────────────────┘
//! ```
//!
//! Every event gets an answer Bedrock accepts, never a panic or a Lambda error: a user's
//! mistake or a business refusal is an answer the model relays (`REPROMPT` when something
//! must be supplied again), and only a broken dependency is `FAILURE`.

use std::time::{Duration, Instant};

use serde_json::Value;
use tools::caller::{EMPLOYEE_ID_ATTRIBUTE, ROLE_ATTRIBUTE};
use tools::context::TURN_ID_ATTRIBUTE;
use tools::{args, catalogue, outcome, CallContext, CallRecord, Caller, Outcome, ToolId, Turn};

use crate::event::{Envelope, Event, Target};
use crate::response::LambdaResponse;
use crate::Handler;

impl Handler {
    /// Answers a Classic event within `deadline`.
    #[tracing::instrument(name = "invocation", skip_all)]
    pub(crate) async fn classic(&self, event: Value, deadline: Duration) -> Value {
        let started = Instant::now();
        let envelope = Envelope::read(&event);
        // What is known of the call stays known when the deadline cuts it off.
        let mut facts = CallRecord::default();
        let outcome = self.classic_outcome(event, deadline, &mut facts).await;
        let style = match envelope.target {
            Target::Function(_) => "function",
            Target::Api { .. } => "openapi",
        };
        facts.log(style, &outcome, started);
        LambdaResponse::new(&envelope, &outcome).into_value()
    }

    async fn classic_outcome(
        &self,
        raw: Value,
        deadline: Duration,
        facts: &mut CallRecord,
    ) -> Outcome {
        let event = match Event::parse(raw) {
            Ok(event) => event,
            Err(e) => return outcome::malformed(&e.0),
        };
        let tool = match &event {
            Event::Function(e) => catalogue::find(&e.function).ok_or(&e.function),
            Event::Api(e) => catalogue::find_by_path(&e.api_path).ok_or(&e.api_path),
        };
        let tool = match tool {
            Ok(tool) => tool,
            Err(name) => return outcome::unknown_function(name),
        };
        facts.tool = Some(tool);
        if let Event::Api(e) = &event {
            if !e.http_method.eq_ignore_ascii_case(tool.method.as_str()) {
                return outcome::wrong_method(tool, &e.http_method);
            }
        }
        let attributes = event.session_attributes();
        let attribute = |name: &str| attributes.get(name).map(String::as_str);
        let caller = match Caller::identify(
            attribute(ROLE_ATTRIBUTE),
            attribute(EMPLOYEE_ID_ATTRIBUTE),
            self.settings.anonymous_access,
        ) {
            Ok(caller) => caller,
            Err(e) => return outcome::unidentified(&e),
        };
        facts.caller = Some(caller);
        let arguments = match event.arguments() {
            Ok(args) => args::parse_text(
                tool,
                args.iter().map(|p| (p.name.as_str(), p.value.as_str())),
            ),
            Err(e) => return outcome::malformed(&e.0),
        };
        if let Ok(request) = &arguments {
            facts.requested(request);
        }
        let call = match self.service.prepare(tool, caller, arguments) {
            Ok(call) => call,
            Err(refused) => return refused,
        };
        let session_id = event.session_id().unwrap_or_default();
        if session_id.is_empty() {
            let needed_for = match tool.id {
                ToolId::ReserveVacationTime => "a booking needs to be applied exactly once",
                ToolId::CancelVacation => "the history of a cancellation records",
                ToolId::GetAvailableVacationDays | ToolId::ListPlannedVacations => "",
            };
            if !needed_for.is_empty() {
                return outcome::malformed(format!(
                    "the event has no sessionId, which {needed_for}"
                ));
            }
        }
        let turn = Turn::of(
            event
                .prompt_session_attributes()
                .get(TURN_ID_ATTRIBUTE)
                .map(String::as_str),
            event.input_text(),
        );
        let context = CallContext::Classic {
            session_id: session_id.to_owned(),
            turn,
        };
        self.service.run_within(&call, &context, deadline).await
    }
}
