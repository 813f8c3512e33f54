//! `hr-mcp`: the vacation tools as an MCP server, an adapter over the tool core
//! ([`tools`]) like the Lambda's.
//!
//! - [`server`]: rmcp's `ServerHandler` over the core: `tools/list` from the catalogue,
//!   `tools/call` answered with the core's outcome.
//! - [`auth`]: bearer JWTs for HTTP, verified against an HS256 secret or a JWKS.
//! - [`http`]: the streamable HTTP service; [`cli`]: the command line (`stdio` for one
//!   person, `http` for many).
#![warn(missing_docs)]

pub mod auth;
pub mod cli;
pub mod http;
pub mod server;
