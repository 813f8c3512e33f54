//! The Lambda behind the Bedrock agent's action group: the only code between the model and
//! the vacation data.
//!
//! ```text
//! Bedrock event (JSON) ─► Envelope::read ──────────────────────────────┐ (what to echo)
//!                      └► Event::parse ─► catalogue route ─► identity ─► params ─► tool ─► Reply
//!                                                                                           │
//! Bedrock answer (JSON) ◄── LambdaResponse::new(envelope, reply) ◄──────────────────────────┘
//! ```
//!
//! - [`catalogue`]: the tools, defined once, and the schemas sent to Bedrock.
//! - [`event`] and [`response`]: both action-group styles, read and answered.
//! - [`identity`]: who is asking (session attributes), and what they may do.
//! - [`params`]: strict reading of arguments; [`idempotency`]: booking keys.
//! - [`config`]: settings from the environment; [`Handler`]: one per cold start.
//!
//! Every event gets an answer Bedrock accepts, never a panic or a Lambda error: a user's
//! mistake or a business refusal is an answer the model relays (`REPROMPT` when something
//! must be supplied again), and only a broken dependency is `FAILURE`.
#![warn(missing_docs)]

pub mod catalogue;
pub mod config;
pub mod demo;
pub mod event;
pub mod idempotency;
pub mod identity;
pub mod params;
pub mod response;
mod tools;

use std::time::{Duration, Instant};

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use chrono::NaiveDate;
use domain::DayCountPolicy;
use serde_json::Value;
use store::{Store, StoreConfig};

pub use config::{Config, ConfigError, LogFormat};
pub use identity::AnonymousAccess;
pub use response::{Reply, Verdict};

use catalogue::Tool;
use event::{Envelope, Event};
use identity::Caller;
use params::Request;
use response::LambdaResponse;

/// How the handler behaves, beyond where the data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// What to do with requests that carry no identity.
    pub anonymous_access: AnonymousAccess,
    /// How booked days are counted.
    pub policy: DayCountPolicy,
    /// The date taken as today (for "the current year"); the UTC date when `None`. Demos
    /// and tests pin it so their figures do not depend on when they run.
    pub today: Option<NaiveDate>,
    /// The longest an event may take: past it the answer is a `FAILURE` saying the
    /// vacation system did not answer in time, well before the Lambda's own timeout.
    pub deadline: Duration,
}

/// [`Settings::deadline`] unless configured: a third of the 30 s the provisioner gives the
/// Lambda, so a slow DynamoDB is reported, not cut off by Lambda.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

impl Default for Settings {
    fn default() -> Self {
        Self {
            anonymous_access: AnonymousAccess::default(),
            policy: DayCountPolicy::default(),
            today: None,
            deadline: DEFAULT_DEADLINE,
        }
    }
}

/// Answers Bedrock events. Built once per cold start; cheap to share.
#[derive(Debug, Clone)]
pub struct Handler {
    store: Store,
    settings: Settings,
}

impl Handler {
    /// A handler over `store`.
    pub fn new(store: Store, settings: Settings) -> Self {
        Self { store, settings }
    }

    /// The handler the Lambda runs: one SDK configuration and one DynamoDB client, built
    /// from `config`. Timeouts are bounded so that an unreachable DynamoDB becomes a
    /// `FAILURE` answer rather than a Lambda timeout.
    pub async fn from_config(config: &Config) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs(2))
            .operation_attempt_timeout(std::time::Duration::from_secs(4))
            .operation_timeout(std::time::Duration::from_secs(12))
            .build();
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .load()
            .await;
        let store = Store::from_sdk_config(
            &sdk,
            StoreConfig {
                endpoint_url: config.endpoint_url.clone(),
                ..StoreConfig::new(config.table_name.clone())
            },
        );
        Self::new(
            store,
            Settings {
                anonymous_access: config.anonymous_access,
                policy: config.policy,
                today: None,
                deadline: config.deadline,
            },
        )
    }

    /// The store it answers from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Answers one Bedrock event (function-details or OpenAPI) with the response Bedrock
    /// expects. Never fails and never panics on any input: whatever `event` is, the result
    /// is a well-formed answer.
    #[tracing::instrument(name = "invocation", skip_all)]
    pub async fn handle(&self, event: Value) -> Value {
        let started = Instant::now();
        let envelope = Envelope::read(&event);
        // Boxed: the SDK's futures nest deeply, and callers composing this one (the Lambda
        // runtime's service) would otherwise hit the compiler's type-depth limit.
        let answered =
            tokio::time::timeout(self.settings.deadline, Box::pin(self.reply(event))).await;
        let (tool, reply) =
            answered.unwrap_or_else(|_| (None, tools::deadline_exceeded(self.settings.deadline)));
        // Only routing facts and outcome codes: no names, no user text, no arguments.
        tracing::info!(
            tool = tool.map_or("unknown", |t| t.name),
            style = match envelope.target {
                event::Target::Function(_) => "function",
                event::Target::Api { .. } => "openapi",
            },
            outcome = reply.code(),
            verdict = ?reply.verdict,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        );
        LambdaResponse::new(&envelope, &reply).into_value()
    }

    async fn reply(&self, raw: Value) -> (Option<&'static Tool>, Reply) {
        let event = match Event::parse(raw) {
            Ok(event) => event,
            Err(e) => return (None, tools::malformed(&e.0)),
        };
        let tool = match &event {
            Event::Function(e) => catalogue::find(&e.function).ok_or(&e.function),
            Event::Api(e) => catalogue::find_by_path(&e.api_path).ok_or(&e.api_path),
        };
        let tool = match tool {
            Ok(tool) => tool,
            Err(name) => return (None, tools::unknown_function(name)),
        };
        if let Event::Api(e) = &event {
            if !e.http_method.eq_ignore_ascii_case(tool.method.as_str()) {
                return (Some(tool), tools::wrong_method(tool, &e.http_method));
            }
        }
        let caller =
            match Caller::identify(event.session_attributes(), self.settings.anonymous_access) {
                Ok(caller) => caller,
                Err(e) => return (Some(tool), tools::unidentified(&e)),
            };
        let request = match event.arguments() {
            Ok(args) => params::parse(tool, &args),
            Err(e) => return (Some(tool), tools::malformed(&e.0)),
        };
        let request = match request {
            Ok(request) => request,
            Err(e) => return (Some(tool), tools::invalid_arguments(tool, &e)),
        };
        if !caller.may_act_for(request.employee()) {
            return (Some(tool), tools::forbidden(caller, request.employee()));
        }
        tracing::debug!(role = caller.role(), "authorized");
        let reply = match request {
            Request::Available { employee, year } => self.available(employee, year).await,
            Request::Reserve { employee, range } => {
                self.reserve(tool, &event, employee, range).await
            }
            Request::List { employee, year } => self.list(employee, year).await,
            Request::Cancel { employee, target } => self.cancel(employee, &target).await,
        };
        (Some(tool), reply)
    }

    fn today(&self) -> NaiveDate {
        self.settings
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive())
    }
}

/// Installs the log subscriber: JSON lines or text on stdout (where Lambda collects them),
/// filtered by `filter` (`info` when it does not parse). Later calls do nothing.
pub fn init_tracing(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stdout);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        // Lambda stamps every text line with its own time.
        LogFormat::Text => builder.without_time().try_init(),
    };
}
