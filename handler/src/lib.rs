//! The Lambda behind the agents: thin adapters over the tool core ([`tools`]), one per
//! shape of invocation, all in the same `bootstrap`.
//!
//! ```text
//! invocation ─► Handler::handle_invocation ─┬─ mcp.gatewayRequest event ──► interceptor
//!                                           ├─ client context names a tool ► gateway (Lambda target)
//!                                           └─ anything else ─────────────► classic (Bedrock Agents)
//! ```
//!
//! - [`classic`]: Bedrock Agents Classic action groups, [`event`] and [`response`] their
//!   formats, function details and OpenAPI alike.
//! - [`gateway`]: an AgentCore Gateway's Lambda target: the event is the arguments, the
//!   tool name and ids come in the client context, the verified caller as `_caller`.
//! - [`interceptor`]: the Gateway's REQUEST interceptor: the bearer token's claims become
//!   `_caller` on every `tools/call`.
//! - [`config`]: settings from the environment; [`Handler`]: one per cold start.
//!
//! Each adapter decodes its request into the core's terms, calls the core, and encodes the
//! [`tools::Outcome`]; what a tool means, its arguments, messages and rules live in the core.
#![warn(missing_docs)]

pub mod classic;
pub mod config;
pub mod event;
pub mod gateway;
pub mod interceptor;
pub mod response;

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use chrono::NaiveDate;
use domain::DayCountPolicy;
use serde_json::Value;
use store::{Store, StoreConfig};
use tools::{ClaimMapping, Service};

pub use config::{Config, ConfigError, LogFormat};
pub use tools::{AnonymousAccess, Verdict, DEFAULT_DEADLINE};

/// How the handler behaves, beyond where the data is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// What to do with Classic requests that carry no identity.
    pub anonymous_access: AnonymousAccess,
    /// How booked days are counted.
    pub policy: DayCountPolicy,
    /// The date taken as today; the store's clock when `None` (see [`tools::Settings::today`]).
    pub today: Option<NaiveDate>,
    /// The longest an event may take: past it the answer is a dependency failure saying
    /// the vacation system did not answer in time, well before the Lambda's own timeout.
    pub deadline: Duration,
    /// Which claims of the bearer token name the caller (the interceptor).
    pub claims: ClaimMapping,
    /// The Gateway target whose tools this function serves (`<target>___<tool>`); any
    /// target when `None`.
    pub gateway_target: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            anonymous_access: AnonymousAccess::default(),
            policy: DayCountPolicy::default(),
            today: None,
            deadline: DEFAULT_DEADLINE,
            claims: ClaimMapping::default(),
            gateway_target: None,
        }
    }
}

/// Answers the Lambda's invocations. Built once per cold start; cheap to share.
#[derive(Debug, Clone)]
pub struct Handler {
    service: Service,
    settings: Settings,
}

/// A Gateway call whose dependency is broken: answered as a Lambda error, the only kind
/// of answer the Gateway reports as a failure. Its text is the outcome's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct DependencyFailure {
    /// The outcome's code (`unavailable`, `timeout`).
    pub code: String,
    /// The outcome's message.
    pub message: String,
}

impl From<DependencyFailure> for lambda_runtime::Diagnostic {
    fn from(failure: DependencyFailure) -> Self {
        Self {
            error_type: "DependencyFailure".to_owned(),
            error_message: failure.to_string(),
        }
    }
}

impl Handler {
    /// A handler over `store`.
    pub fn new(store: Store, settings: Settings) -> Self {
        let service = Service::new(
            store,
            tools::Settings {
                policy: settings.policy,
                today: settings.today,
                deadline: settings.deadline,
            },
        );
        Self { service, settings }
    }

    /// The handler the Lambda runs: one SDK configuration and one DynamoDB client, built
    /// from `config`. Timeouts are bounded so that an unreachable DynamoDB becomes a
    /// dependency-failure answer rather than a Lambda timeout.
    pub async fn from_config(config: &Config) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(4))
            .operation_timeout(Duration::from_secs(12))
            .build();
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .load()
            .await;
        let store = Store::from_sdk_config(
            &sdk,
            StoreConfig {
                endpoint_url: config.endpoint_url.clone(),
                clock: store::Clock::system(config.time_zone),
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
                claims: config.claims.clone(),
                gateway_target: config.gateway_target.clone(),
            },
        )
    }

    /// The store it answers from.
    pub fn store(&self) -> &Store {
        self.service.store()
    }

    /// The tool core it adapts.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Answers one Bedrock Agents Classic event (function details or OpenAPI) with the
    /// response Bedrock expects. Never fails and never panics on any input.
    pub async fn handle(&self, event: Value) -> Value {
        self.classic(event, self.settings.deadline).await
    }

    /// Answers one Lambda invocation, whichever caller sent it: the shape of the event and
    /// its context chooses the adapter. Within the smaller of [`Settings::deadline`] and the
    /// invocation's deadline less [`DEADLINE_MARGIN`], so a slow DynamoDB is reported,
    /// never cut off by Lambda. Only a Gateway call whose dependency is broken is an
    /// error.
    pub async fn handle_invocation(
        &self,
        event: lambda_runtime::LambdaEvent<Value>,
    ) -> Result<Value, DependencyFailure> {
        let lambda_runtime::LambdaEvent { payload, context } = event;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let left = Duration::from_millis(context.deadline).saturating_sub(now);
        let deadline = effective_deadline(self.settings.deadline, Some(left));
        if interceptor::is_interceptor_event(&payload) {
            return Ok(self.intercept(payload));
        }
        let custom = context.client_context.as_ref().map(|c| &c.custom);
        match custom.and_then(gateway::GatewayContext::read) {
            Some(call) => {
                self.gateway(payload, call, &context.request_id, deadline)
                    .await
            }
            None => Ok(self.classic(payload, deadline).await),
        }
    }
}

/// How long before the Lambda's own deadline the handler answers at the latest, so its
/// answer (a failure saying the system was too slow) still reaches the caller.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// The smaller of the configured deadline and the invocation's time left less
/// [`DEADLINE_MARGIN`] (at least a few milliseconds, to answer at all).
fn effective_deadline(configured: Duration, lambda_left: Option<Duration>) -> Duration {
    match lambda_left {
        Some(left) => configured.min(
            left.saturating_sub(DEADLINE_MARGIN)
                .max(Duration::from_millis(10)),
        ),
        None => configured,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_the_smaller_of_the_configured_one_and_the_lambdas_less_a_margin() {
        let ten = Duration::from_secs(10);
        assert_eq!(effective_deadline(ten, None), ten);
        assert_eq!(
            effective_deadline(ten, Some(Duration::from_secs(3))),
            Duration::from_millis(2500)
        );
        assert_eq!(effective_deadline(ten, Some(Duration::from_secs(60))), ten);
        assert_eq!(
            effective_deadline(ten, Some(Duration::ZERO)),
            Duration::from_millis(10)
        );
    }
}
