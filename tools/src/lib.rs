//! What each tool *means*, with no transport in it: the single home of the vacation tools
//! that Bedrock Agents Classic, the AgentCore Gateway and MCP clients call.
//!
//! ```text
//! transport request ─► adapter: decode ─► (tool, arguments, caller, context)
//!                                              │
//!             catalogue::find ─► args::parse_* ─► Service::prepare ─► Service::run_within
//!                                                                         │
//! transport answer  ◄── adapter: encode ◄──────────────── Outcome ◄───────┘
//! ```
//!
//! - [`catalogue`]: the tools, defined once, and every schema rendered from them.
//! - [`args`]: one strict parser for text (Bedrock) and typed JSON (MCP, Gateway) values.
//! - [`caller`]: who is asking, who they may act for, and how claims name them.
//! - [`context`]: where a call came from: what its history records, what its booking key
//!   is derived from.
//! - [`service`]: the use-cases; [`outcome`]: what a call comes to, and every message;
//!   [`record`]: the log line of a call.
//!
//! Nothing here knows a Lambda event, an MCP message or a command line: an adapter
//! decodes its transport's request into these types, and encodes the [`Outcome`].
#![warn(missing_docs)]

pub mod args;
pub mod caller;
pub mod catalogue;
pub mod context;
pub mod outcome;
pub mod record;
pub mod service;

pub use args::{ArgValue, InvalidArguments, Problem, Request};
pub use caller::{AnonymousAccess, Caller, ClaimMapping, IdentityError};
pub use catalogue::{Tool, ToolId, TOOLS};
pub use context::{CallContext, McpChannel, Turn};
pub use outcome::{Outcome, Verdict};
pub use record::CallRecord;
pub use service::{Call, Service, Settings, DEFAULT_DEADLINE};
