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
use domain::{DayCountPolicy, EmployeeId, ReservationId};
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
    /// The date taken as today (for "the current year" and the date rules); the store's
    /// clock (the date in the business time zone) when `None`. Demos and tests pin it so
    /// their figures do not depend on when they run.
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
    /// A handler over `store`; a pinned [`Settings::today`] becomes the store's clock, so
    /// the tools and the store's date rules agree on what today is.
    pub fn new(store: Store, settings: Settings) -> Self {
        let store = match settings.today {
            Some(today) => {
                let zone = store.clock().zone();
                store.with_clock(store::Clock::on_in(today, zone))
            }
            None => store,
        };
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
    pub async fn handle(&self, event: Value) -> Value {
        self.handle_within(event, None).await
    }

    /// [`Handler::handle`] for a Lambda invocation whose own deadline is `lambda_deadline`
    /// (`LambdaEvent::context.deadline`, milliseconds since the Unix epoch): the answer
    /// comes within the smaller of [`Settings::deadline`] and that deadline less
    /// [`DEADLINE_MARGIN`], so a slow DynamoDB is reported, never cut off by Lambda.
    pub async fn handle_invocation(&self, event: Value, lambda_deadline: u64) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let left = Duration::from_millis(lambda_deadline).saturating_sub(now);
        self.handle_within(event, Some(left)).await
    }

    #[tracing::instrument(name = "invocation", skip_all)]
    async fn handle_within(&self, event: Value, lambda_left: Option<Duration>) -> Value {
        let started = Instant::now();
        let deadline = effective_deadline(self.settings.deadline, lambda_left);
        let envelope = Envelope::read(&event);
        // Boxed: the SDK's futures nest deeply, and callers composing this one (the Lambda
        // runtime's service) would otherwise hit the compiler's type-depth limit.
        // What is known of the call stays known when the deadline cuts it off.
        let mut facts = Facts::default();
        let answered =
            tokio::time::timeout(deadline, Box::pin(self.reply(event, &mut facts))).await;
        let reply = answered.unwrap_or_else(|_| tools::deadline_exceeded(deadline));
        // Ids and outcome codes only: no names, no user text, no other arguments.
        tracing::info!(
            tool = facts.tool.map_or("unknown", |t| t.name),
            style = match envelope.target {
                event::Target::Function(_) => "function",
                event::Target::Api { .. } => "openapi",
            },
            caller_id = facts.caller.and_then(|c| c.id()).map(EmployeeId::get),
            caller_role = facts.caller.map(|c| c.role()),
            employee = facts.employee.map(EmployeeId::get),
            reservation = reply
                .reservation_id()
                .or(facts.reservation.as_ref().map(ReservationId::as_str)),
            outcome = reply.code(),
            verdict = ?reply.verdict,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        );
        LambdaResponse::new(&envelope, &reply).into_value()
    }

    async fn reply(&self, raw: Value, facts: &mut Facts) -> Reply {
        let event = match Event::parse(raw) {
            Ok(event) => event,
            Err(e) => return tools::malformed(&e.0),
        };
        let tool = match &event {
            Event::Function(e) => catalogue::find(&e.function).ok_or(&e.function),
            Event::Api(e) => catalogue::find_by_path(&e.api_path).ok_or(&e.api_path),
        };
        let tool = match tool {
            Ok(tool) => tool,
            Err(name) => return tools::unknown_function(name),
        };
        facts.tool = Some(tool);
        if let Event::Api(e) = &event {
            if !e.http_method.eq_ignore_ascii_case(tool.method.as_str()) {
                return tools::wrong_method(tool, &e.http_method);
            }
        }
        let caller =
            match Caller::identify(event.session_attributes(), self.settings.anonymous_access) {
                Ok(caller) => caller,
                Err(e) => return tools::unidentified(&e),
            };
        facts.caller = Some(caller);
        let request = match event.arguments() {
            Ok(args) => params::parse(tool, &args),
            Err(e) => return tools::malformed(&e.0),
        };
        let request = match request {
            Ok(request) => request,
            Err(e) => return tools::invalid_arguments(tool, &e),
        };
        facts.employee = Some(request.employee());
        if let Request::Cancel {
            target: store::CancelTarget::Id(id),
            ..
        } = &request
        {
            facts.reservation = Some(id.clone());
        }
        if !caller.may_act_for(request.employee()) {
            return tools::forbidden(caller, request.employee());
        }
        let reply = match request {
            Request::Available { employee, year } => self.available(employee, year).await,
            Request::Reserve { employee, range } => {
                self.reserve(tool, &event, caller, employee, range).await
            }
            Request::List { employee, year } => self.list(employee, year).await,
            Request::Cancel { employee, target } => {
                self.cancel(&event, caller, employee, &target).await
            }
        };
        reply
    }

    fn today(&self) -> NaiveDate {
        self.store.clock().today()
    }
}

/// What the log line of a call says about it (ids only).
#[derive(Debug, Clone, Default)]
struct Facts {
    tool: Option<&'static Tool>,
    caller: Option<Caller>,
    employee: Option<EmployeeId>,
    /// The reservation a cancellation names, logged even when it is refused or cut off.
    reservation: Option<ReservationId>,
}

/// How long before the Lambda's own deadline the handler answers at the latest, so its
/// answer (a `FAILURE` saying the system was too slow) still reaches Bedrock.
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
