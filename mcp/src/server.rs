//! The MCP adapter: rmcp's `ServerHandler`, written by hand over the tool core so that
//! the catalogue stays the only definition of the tools.
//!
//! - `tools/list`: every catalogue tool with its JSON Schema, the common output schema,
//!   and annotations (balance and list are read-only; bookings and cancellations are
//!   not, so clients ask before running them).
//! - `tools/call`: the core's outcome as `structuredContent`, with the same JSON as text;
//!   anything but done is a result with `isError: true` carrying the message the model
//!   should relay. An unknown tool is a JSON-RPC error (-32602), as MCP asks.

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value};
use tools::{
    args, catalogue, outcome, CallContext, CallRecord, Caller, McpChannel, Outcome, Service,
    Verdict,
};

use crate::auth::VerifiedClaims;

/// Who the server acts for.
#[derive(Debug, Clone)]
pub enum Identity {
    /// One person, on the operator's word (`--as` / `--hr`), as for any local CLI.
    Fixed(Caller),
    /// Whoever the verified bearer token of each HTTP request names.
    FromToken(tools::ClaimMapping),
}

/// The vacation tools as an MCP server.
#[derive(Debug, Clone)]
pub struct HrServer {
    service: Service,
    identity: Identity,
    channel: McpChannel,
    /// Tells this server's calls apart in the history: the process and its start.
    instance: Arc<str>,
    tools: Arc<Vec<Tool>>,
}

/// What the server tells clients it is for.
const INSTRUCTIONS: &str = "Vacation balances and bookings of employees. Ask for the balance \
     or the planned vacations before booking; bookings and cancellations change the ledger, so \
     confirm them with the user first. Every answer has a message to relay; when ok is false, \
     the error code says why.";

impl HrServer {
    /// A server over `service` acting for `identity`, reached through `channel`.
    pub fn new(service: Service, identity: Identity, channel: McpChannel) -> Self {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let tools = listed_tools(service.settings().policy);
        Self {
            service,
            identity,
            channel,
            instance: format!("{}-{started}", std::process::id()).into(),
            tools: Arc::new(tools),
        }
    }

    /// The caller of a request: the fixed one, or the one its verified token names.
    fn caller(&self, context: &RequestContext<RoleServer>) -> Result<Caller, tools::IdentityError> {
        match &self.identity {
            Identity::Fixed(caller) => Ok(*caller),
            Identity::FromToken(mapping) => {
                let claims = context
                    .extensions
                    .get::<axum::http::request::Parts>()
                    .and_then(|parts| parts.extensions.get::<VerifiedClaims>())
                    .ok_or(tools::IdentityError::Missing)?;
                mapping.caller(&claims.0)
            }
        }
    }

    async fn outcome(
        &self,
        tool: &'static catalogue::Tool,
        arguments: &Map<String, Value>,
        context: &RequestContext<RoleServer>,
        record: &mut CallRecord,
    ) -> Outcome {
        let caller = match self.caller(context) {
            Ok(caller) => caller,
            Err(e) => return outcome::unidentified(&e),
        };
        record.caller = Some(caller);
        let parsed = args::parse_json(tool, arguments);
        if let Ok(request) = &parsed {
            record.requested(request);
        }
        let call = match self.service.prepare(tool, caller, parsed) {
            Ok(call) => call,
            Err(refused) => return refused,
        };
        let request_id = format!("{}/{}", self.instance, rpc_id(&context.id));
        let context = CallContext::Mcp {
            channel: self.channel,
            request_id,
        };
        self.service.run_call(&call, &context).await
    }
}

/// The JSON-RPC id as text.
fn rpc_id(id: &rmcp::model::RequestId) -> String {
    match serde_json::to_value(id) {
        Ok(Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The catalogue as MCP tools.
fn listed_tools(policy: domain::DayCountPolicy) -> Vec<Tool> {
    catalogue::TOOLS
        .iter()
        .map(|tool| {
            let annotations = ToolAnnotations::new()
                .read_only(tool.is_read_only())
                .destructive(tool.is_destructive())
                .idempotent(true)
                .open_world(false);
            Tool::new(
                tool.name,
                tool.describe(policy),
                object(tool.input_schema()),
            )
            .with_title(tool.name.replace('_', " "))
            .with_raw_output_schema(object(catalogue::output_schema()))
            .with_annotations(annotations)
        })
        .collect()
}

fn object(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

impl ServerHandler for HrServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("hr-vacations", env!("CARGO_PKG_VERSION"))
                    .with_title("HR vacation assistant"),
            )
            .with_instructions(INSTRUCTIONS)
            // The answer to an `initialize` asking for a version rmcp does not know; every
            // known one (2024-11-05 to 2026-07-28) is served as asked.
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items((*self.tools).clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = Instant::now();
        let Some(tool) = catalogue::find(&request.name) else {
            let unknown = outcome::unknown_function(&request.name);
            let message = unknown.message().to_owned();
            return Err(ErrorData::invalid_params(
                message,
                Some(Value::Object(unknown.body)),
            ));
        };
        let mut record = CallRecord {
            tool: Some(tool),
            ..CallRecord::default()
        };
        let arguments = request.arguments.unwrap_or_default();
        let (outcome, text) = self
            .outcome(tool, &arguments, &context, &mut record)
            .await
            .sized();
        record.log(self.channel.transport(), &outcome, started);
        // The same JSON as text and as structured content, written once.
        let content = vec![ContentBlock::text(text)];
        let mut result = match outcome.verdict {
            Verdict::Done => CallToolResult::success(content),
            Verdict::Refused | Verdict::NeedsInput | Verdict::DependencyFailure => {
                CallToolResult::error(content)
            }
        };
        result.structured_content = Some(Value::Object(outcome.body));
        Ok(result.into())
    }
}
