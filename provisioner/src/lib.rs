//! Stands the HR agent up on Amazon Bedrock Agents and talks to it.
//!
//! - [`deploy`]: `up` (the ten steps, each get-or-create-or-update), `down` (the
//!   teardown order Bedrock needs) and `status` (with drift).
//! - [`policy`]: the IAM documents, pure and tested.
//! - [`schema`]: the action group's function schema, from the handler's catalogue.
//! - [`invoke`]: `InvokeAgent`, its event stream rendered, confirmations answered.
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
