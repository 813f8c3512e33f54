//! The system-level suites, one binary: concurrency and load on the shared DynamoDB Local,
//! faults on containers of their own, and the pinned versions every script and test reads.
//! (The transport parity suite runs the real `hr-mcp` binary, which cargo builds for
//! `hr-mcp`'s own tests only, so it lives in `mcp/tests/mcp/parity.rs`.)

mod concurrency;
mod faults;
mod load;
mod versions;
