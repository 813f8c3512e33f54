//! The AgentCore Gateway adapter: the Lambda target behind a gateway's MCP tools.
//!
//! The event is only the tool's arguments, a JSON object; the Lambda client context
//! (`context.client_context.custom`, all text) names the tool as
//! `<target>___<tool>` and carries the gateway's ids:
//!
//! ```json
//! {"bedrockAgentCoreMessageVersion": "1.0", "bedrockAgentCoreAwsRequestId": "…",
//!  "bedrockAgentCoreMcpMessageId": "…", "bedrockAgentCoreGatewayId": "…",
//!  "bedrockAgentCoreTargetId": "…", "bedrockAgentCoreToolName": "vacations___reserve_vacation_time"}
//! ```
//!
//! The verified caller arrives as the reserved argument `_caller`, written by our REQUEST
//! interceptor ([`crate::interceptor`]) from the bearer token's claims; no schema
//! advertises it, and a call without it is refused as not signed in. *Unconfirmed*: that
//! the gateway forwards an argument its tool schema does not declare. Should it drop it,
//! every call is refused as not signed in: never let through.
//!
//! The answer is the outcome's body (`ok`, `error`, `message` and the data), which the
//! gateway returns as the tool result's text. Only a broken dependency is a Lambda error:
//! the gateway shows any Lambda error to the client as a generic failure, so refusals are
//! answers the model can relay.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use tools::caller::RESERVED_ARGUMENT;
use tools::{args, catalogue, outcome, CallContext, CallRecord, Caller, Outcome, Verdict};

use crate::{DependencyFailure, Handler};

/// The client-context key naming the tool.
pub const TOOL_NAME_KEY: &str = "bedrockAgentCoreToolName";
/// The client-context key naming the gateway.
pub const GATEWAY_ID_KEY: &str = "bedrockAgentCoreGatewayId";
/// The client-context key holding the gateway's request id.
pub const REQUEST_ID_KEY: &str = "bedrockAgentCoreAwsRequestId";
/// What separates the target's name from the tool's in [`TOOL_NAME_KEY`].
pub const TARGET_SEPARATOR: &str = "___";

/// What the client context of a Gateway invocation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayContext<'a> {
    /// `<target>___<tool>`.
    pub tool_name: &'a str,
    /// The gateway's id, when given.
    pub gateway_id: Option<&'a str>,
    /// The gateway's request id, when given.
    pub request_id: Option<&'a str>,
}

impl<'a> GatewayContext<'a> {
    /// The Gateway context in a client context's `custom` map; `None` when it names no
    /// tool (the invocation is not the Gateway's).
    pub fn read(custom: &'a HashMap<String, String>) -> Option<Self> {
        Some(Self {
            tool_name: custom.get(TOOL_NAME_KEY)?,
            gateway_id: custom.get(GATEWAY_ID_KEY).map(String::as_str),
            request_id: custom.get(REQUEST_ID_KEY).map(String::as_str),
        })
    }

    /// The tool's own name: [`GatewayContext::tool_name`] less its `<target>___` prefix,
    /// and only when the target is `expected_target` (any target when `None`).
    pub fn tool(&self, expected_target: Option<&str>) -> Option<&'a str> {
        let (target, tool) = self.tool_name.split_once(TARGET_SEPARATOR)?;
        match expected_target {
            Some(expected) if expected != target => None,
            _ => Some(tool),
        }
    }
}

impl Handler {
    /// Answers a Gateway target invocation within `deadline`.
    #[tracing::instrument(name = "invocation", skip_all)]
    pub(crate) async fn gateway(
        &self,
        arguments: Value,
        context: GatewayContext<'_>,
        lambda_request_id: &str,
        deadline: Duration,
    ) -> Result<Value, DependencyFailure> {
        let started = Instant::now();
        let mut facts = CallRecord::default();
        let outcome = self
            .gateway_outcome(arguments, &context, lambda_request_id, deadline, &mut facts)
            .await
            .bounded();
        facts.log("gateway", &outcome, started);
        if outcome.verdict == Verdict::DependencyFailure {
            return Err(DependencyFailure {
                code: outcome.code().to_owned(),
                message: outcome.message().to_owned(),
            });
        }
        Ok(Value::Object(outcome.body))
    }

    async fn gateway_outcome(
        &self,
        arguments: Value,
        context: &GatewayContext<'_>,
        lambda_request_id: &str,
        deadline: Duration,
        facts: &mut CallRecord,
    ) -> Outcome {
        let tool = context
            .tool(self.settings.gateway_target.as_deref())
            .and_then(catalogue::find);
        let Some(tool) = tool else {
            return outcome::unknown_function(context.tool_name);
        };
        facts.tool = Some(tool);
        let Value::Object(mut arguments) = arguments else {
            return outcome::malformed("the tool's arguments are not a JSON object");
        };
        let caller = match Caller::from_reserved(arguments.remove(RESERVED_ARGUMENT).as_ref()) {
            Ok(caller) => caller,
            Err(e) => return outcome::unidentified(&e),
        };
        facts.caller = Some(caller);
        let parsed = args::parse_json(tool, &arguments);
        if let Ok(request) = &parsed {
            facts.requested(request);
        }
        let call = match self.service.prepare(tool, caller, parsed) {
            Ok(call) => call,
            Err(refused) => return refused,
        };
        let context = CallContext::Gateway {
            gateway_id: context.gateway_id.unwrap_or("unknown").to_owned(),
            request_id: context.request_id.unwrap_or(lambda_request_id).to_owned(),
        };
        self.service.run_within(&call, &context, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(tool: &str) -> HashMap<String, String> {
        HashMap::from([
            (TOOL_NAME_KEY.to_owned(), tool.to_owned()),
            (GATEWAY_ID_KEY.to_owned(), "gw-1".to_owned()),
        ])
    }

    #[test]
    fn the_tool_name_loses_its_target_prefix() {
        let map = custom("vacations___reserve_vacation_time");
        let context = GatewayContext::read(&map).unwrap();
        assert_eq!(context.tool(None), Some("reserve_vacation_time"));
        assert_eq!(
            context.tool(Some("vacations")),
            Some("reserve_vacation_time")
        );
        assert_eq!(context.tool(Some("other")), None);
        assert_eq!(context.gateway_id, Some("gw-1"));
        let bare = custom("reserve_vacation_time");
        assert_eq!(GatewayContext::read(&bare).unwrap().tool(None), None);
        assert!(GatewayContext::read(&HashMap::new()).is_none());
    }
}
