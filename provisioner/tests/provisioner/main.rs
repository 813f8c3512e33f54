//! The provisioner's integration tests, one binary: `up`, `down` and `status` on both
//! platforms against mocked AWS clients, the runtimes' event streams, and the real binary
//! against the ministack emulator.

mod agentcore_mocked;
mod deploy_mocked;
mod harness_stream;
mod invoke_stream;
mod ministack;
mod support;
