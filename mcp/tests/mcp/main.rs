//! `hr-mcp` end to end: the real binary driven by rmcp's client over stdio and HTTP,
//! against DynamoDB Local; the same scenario through every transport.

mod concurrency;
mod http;
mod parity;
mod stdio;
mod support;
