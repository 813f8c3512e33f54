//! Stands the HR agent up on Amazon Bedrock Agents (Classic) or Amazon Bedrock AgentCore,
//! and talks to it.
//!
//! - [`deploy`]: `up` (each step get-or-create-or-update), `down` (the teardown order each
//!   platform needs) and `status` (with drift); [`deploy::agentcore`] for the gateway, its
//!   interceptor and target, the trial user pool and the harness.
//! - [`policy`]: the IAM documents, pure and tested.
//! - [`schema`]: the action group's function schema, from the tool core's catalogue.
//! - [`invoke`]: `InvokeAgent`, its event stream rendered, confirmations answered.
//! - [`harness`]: `InvokeHarness`, with each tool call asked about and run against the
//!   gateway under the person's token.
//! - [`exit`]: the one map from a failure to an exit status.
#![warn(missing_docs)]

pub mod cli;
pub mod clients;
pub mod config;
pub mod deploy;
pub mod error;
pub mod exit;
pub mod harness;
pub mod invoke;
pub mod policy;
pub mod progress;
pub mod schema;
pub mod state;
pub mod wait;

pub use clients::Clients;
pub use config::Settings;
pub use deploy::{Deployer, Outputs};
pub use error::{Error, Result};
