//! The DynamoDB data layer of the HR vacation assistant: one table, single-table design.
//!
//! # Key design
//!
//! Everything about an employee lives in one partition, `PK = EMP#<id>`; the sort key `SK`
//! says what an item is:
//!
//! | item          | `PK`       | `SK`                 | attributes                                              |
//! |---------------|------------|----------------------|---------------------------------------------------------|
//! | profile       | `EMP#<id>` | `PROFILE`            | `name`, `job_title`, `start_date`, `status`             |
//! | year balance  | `EMP#<id>` | `YEAR#<yyyy>`        | `year`, `total`, `taken`, `available`                   |
//! | reservation   | `EMP#<id>` | `RES#<reservation>`  | `start_date`, `end_date`, `days`, `charges[{year,days}]` |
//! | day claim     | `EMP#<id>` | `DAY#<yyyy-mm-dd>`   | `date`, `reservation_id`                                |
//!
//! Every item also carries `entity` (`Employee`, `Balance`, `Reservation`, `DayClaim`) and
//! `employee_id`. These four kinds replace the original SQL tables: `employees` (profile),
//! `vacations` (balances) and `planned_vacations` (reservations, plus the claims).
//!
//! A *day claim* exists for every calendar day of every reservation. Two bookings that
//! share a day would write the same claim key, so `attribute_not_exists` on the claims
//! makes double-booking impossible, whatever the concurrency.
//!
//! # Reserving
//!
//! [`Store::reserve`] is one `TransactWriteItems`, with no read before it: a condition
//! check that the employee exists and is Active, a conditional decrement of each charged
//! year (`available >= days`), a conditional put of the reservation and of each day claim.
//! DynamoDB applies all of it or nothing. When it refuses, the `CancellationReasons`
//! (with `ReturnValuesOnConditionCheckFailure = ALL_OLD`) say which condition failed and
//! hold the item that failed it, so the precise [`StoreError`] costs no extra round trip.
//! The `ClientRequestToken` is derived from the caller's idempotency key, and the
//! reservation id too, so a retried request is applied once.
//!
//! [`Store::cancel`] reads the reservation, then deletes it and its claims and refunds the
//! balances in one transaction conditioned on the reservation and its claims still being
//! there.
#![warn(missing_docs)]

mod audit;
pub mod bulk;
mod cancel;
mod change;
mod clock;
mod error;
mod items;
pub mod keys;
mod marker;
mod queries;
mod recent;
mod reserve;
mod retry;
mod scan;
pub mod session;
mod table;
mod token;
mod transact;

use aws_sdk_dynamodb::Client;

pub use audit::{profile_key, violation_keys, AuditReport, ItemKey, Recheck};
pub use bulk::{BulkOptions, BulkReport, Record, BATCH_SIZE};
pub use cancel::{CancelTarget, Cancellation};
pub use change::Attribution;
pub use clock::{Clock, UnknownTimeZone};
pub use error::{Inconsistency, StoreError};
pub use marker::{MarkerWrite, SeedMarker};
pub use reserve::{Booking, ReserveRequest};
pub use retry::RetryPolicy;
pub use session::{connect, ConnectError, Session, Target};

/// Where the table is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The table's name.
    pub table_name: String,
    /// An explicit endpoint (e.g. DynamoDB Local), overriding what the SDK configuration
    /// resolved from `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL` or the profile.
    pub endpoint_url: Option<String>,
    /// Retries of transactions cancelled by contention or throttling.
    pub retry: RetryPolicy,
    /// Where today's date comes from.
    pub clock: Clock,
}

impl StoreConfig {
    /// A configuration for `table_name` with the SDK's endpoint and the default retries.
    pub fn new(table_name: impl Into<String>) -> Self {
        Self {
            table_name: table_name.into(),
            endpoint_url: None,
            retry: RetryPolicy::default(),
            clock: Clock::default(),
        }
    }
}

/// A DynamoDB client built from the shared SDK configuration, with `endpoint_url`
/// overriding the SDK's endpoint resolution when given.
pub fn dynamodb_client(sdk: &aws_config::SdkConfig, endpoint_url: Option<&str>) -> Client {
    let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(url) = endpoint_url {
        builder = builder.endpoint_url(url);
    }
    Client::from_conf(builder.build())
}

/// The vacation data of every employee, in one DynamoDB table. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    retry: RetryPolicy,
    clock: Clock,
    /// Shared by clones: every handle of one process guesses from the same memory.
    recent: std::sync::Arc<recent::RecentBalances>,
}

impl Store {
    /// A store over an existing client.
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table: table_name.into(),
            retry: RetryPolicy::default(),
            clock: Clock::default(),
            recent: Default::default(),
        }
    }

    /// A store built from the shared SDK configuration and the store's own settings.
    pub fn from_sdk_config(sdk: &aws_config::SdkConfig, config: StoreConfig) -> Self {
        let client = dynamodb_client(sdk, config.endpoint_url.as_deref());
        Self::new(client, config.table_name)
            .with_retry(config.retry)
            .with_clock(config.clock)
    }

    /// The same store with another clock (a business time zone, or a date pinned for
    /// tests and demos).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The store's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The same store with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The underlying client (for tools that need calls the store does not offer).
    pub fn client(&self) -> &Client {
        &self.client
    }
}
