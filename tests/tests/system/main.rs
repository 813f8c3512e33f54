//! The system-level suites that share one DynamoDB Local: concurrency and load, and the
//! pinned versions every script and test reads. The fault tests (`tests/faults.rs`) are a
//! binary of their own: each stops, pauses or slows its own container, and their
//! deadlines are measured with nothing else running in the process. The transport parity
//! suite runs the real `hr-mcp` binary, which cargo builds for `hr-mcp`'s own tests only,
//! so it lives in `mcp/tests/mcp/parity.rs`.

mod concurrency;
mod load;
mod versions;
