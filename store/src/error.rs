//! The store's error type.

use chrono::NaiveDate;
use domain::{DomainError, EmployeeId, ReservationId};

/// Why a store operation did not succeed.
///
/// The first group are answers about the data (the request was understood and refused);
/// the second are failures of DynamoDB or of the stored data, see
/// [`StoreError::is_dependency_failure`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No profile for that employee.
    #[error("employee {0} does not exist")]
    EmployeeNotFound(EmployeeId),
    /// The employee is inactive: only HR may book or cancel their vacations.
    #[error("employee {0} is inactive, so only HR can book or cancel their vacations")]
    EmployeeInactive(EmployeeId),
    /// The employee has no balance for a year the request touches.
    #[error("employee {employee} has no vacation balance for {year}")]
    NoBalanceForYear {
        /// Whose balance.
        employee: EmployeeId,
        /// The missing year.
        year: i32,
    },
    /// The employee has no balance for any year.
    #[error("employee {0} has no vacation balance for any year")]
    NoBalances(EmployeeId),
    /// Not enough days left in a year the request charges.
    #[error("employee {employee} has only {available} day(s) available in {year}, but {requested} were requested")]
    InsufficientBalance {
        /// Whose balance.
        employee: EmployeeId,
        /// The year short of days.
        year: i32,
        /// Days left in it.
        available: u32,
        /// Days the request charges to it.
        requested: u32,
    },
    /// Some requested days are already booked by other reservations.
    #[error(
        "employee {employee} already has vacation booked on {}",
        list_dates(dates)
    )]
    Overlap {
        /// Whose booking.
        employee: EmployeeId,
        /// The days already booked, in order.
        dates: Vec<NaiveDate>,
        /// The reservations holding them.
        held_by: Vec<ReservationId>,
    },
    /// No reservation matches (already cancelled, or never booked).
    #[error("employee {employee} has no reservation {target}")]
    ReservationNotFound {
        /// Whose reservation.
        employee: EmployeeId,
        /// What was looked for: an id, or "on <date>".
        target: String,
    },
    /// The idempotency key was already used for a different booking.
    #[error("this request's idempotency key was already used for a different booking")]
    IdempotencyKeyReused,
    /// The request broke a domain rule.
    #[error(transparent)]
    Domain(#[from] DomainError),

    /// The table exists with a different key schema.
    #[error("table {table} exists but its key schema is {found}, expected PK (HASH, S) and SK (RANGE, S)")]
    TableSchemaMismatch {
        /// The table.
        table: String,
        /// The schema found, as text.
        found: String,
    },
    /// The table does not exist.
    #[error("table {table} does not exist")]
    TableNotFound {
        /// The table.
        table: String,
    },
    /// The table did not become ACTIVE in time.
    #[error("table {table} did not become ACTIVE within {seconds} s")]
    TableNotReady {
        /// The table.
        table: String,
        /// How long we waited.
        seconds: u64,
    },
    /// The stored data contradicts itself where a change needs it to agree (a reservation
    /// without its claim or its balance, a refund larger than `taken`): nothing was
    /// written, and the data needs an administrator, not a different request.
    #[error("stored data is inconsistent at {pk} / {sk}: {problem}")]
    Inconsistent {
        /// The partition key of the item concerned.
        pk: String,
        /// Its sort key.
        sk: String,
        /// What is wrong.
        problem: Inconsistency,
    },
    /// A stored item that cannot be read back as a valid domain value.
    #[error("stored item {pk} / {sk} is invalid")]
    CorruptItem {
        /// Its partition key.
        pk: String,
        /// Its sort key.
        sk: String,
        /// What is wrong with it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// DynamoDB kept cancelling the transaction for contention or throttling.
    #[error("DynamoDB {operation} gave up after {attempts} attempts: {reason}")]
    Contention {
        /// The operation.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The last reason given.
        reason: String,
    },
    /// DynamoDB cancelled a transaction for a reason none of our conditions explains.
    #[error("DynamoDB cancelled {operation} unexpectedly: {codes:?}")]
    UnexpectedCancellation {
        /// The operation.
        operation: &'static str,
        /// The cancellation reason codes, in action order.
        codes: Vec<String>,
    },
    /// A DynamoDB call failed (unreachable endpoint, timeout, permissions, …).
    #[error("DynamoDB {operation} failed")]
    Dynamo {
        /// The operation.
        operation: &'static str,
        /// The SDK's error.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },
}

impl StoreError {
    /// Whether the error is a failure of DynamoDB or of the stored data rather than an
    /// answer about the request: the Lambda reports these as `FAILURE`.
    pub fn is_dependency_failure(&self) -> bool {
        matches!(
            self,
            Self::TableSchemaMismatch { .. }
                | Self::TableNotFound { .. }
                | Self::TableNotReady { .. }
                | Self::CorruptItem { .. }
                | Self::Inconsistent { .. }
                | Self::Contention { .. }
                | Self::UnexpectedCancellation { .. }
                | Self::Dynamo { .. }
        )
    }

    /// Wraps an SDK error of `operation`.
    pub(crate) fn dynamo(operation: &'static str, err: impl Into<aws_sdk_dynamodb::Error>) -> Self {
        Self::Dynamo {
            operation,
            source: Box::new(err.into()),
        }
    }
}

/// What is inconsistent in [`StoreError::Inconsistent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistency {
    /// A reservation's day has no claim, or another reservation's.
    #[error("the reservation's day claim is missing or names another reservation")]
    MissingClaim,
    /// A day claim names a reservation that does not exist.
    #[error("a day claim names this reservation, which does not exist")]
    MissingReservation,
    /// A day claim names a reservation that does not book that day.
    #[error("the day claim names a reservation that does not book that day")]
    ClaimOutsideReservation,
    /// A charged year has no balance item.
    #[error("the balance of a year the reservation charges is missing")]
    MissingBalance,
    /// Giving the days back would make `taken` negative.
    #[error("refunding {requested} day(s) would exceed the {taken} day(s) taken")]
    RefundExceedsTaken {
        /// Stored `taken`.
        taken: u32,
        /// Days the refund gives back.
        requested: u32,
    },
}

fn list_dates(dates: &[NaiveDate]) -> String {
    dates
        .iter()
        .map(|&d| crate::keys::iso_date(d))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlap_names_every_booked_day() {
        let err = StoreError::Overlap {
            employee: EmployeeId::new(2).unwrap(),
            dates: vec![
                domain::parse_iso_date("2026-01-24").unwrap(),
                domain::parse_iso_date("2026-01-25").unwrap(),
            ],
            held_by: vec![],
        };
        assert_eq!(
            err.to_string(),
            "employee 2 already has vacation booked on 2026-01-24, 2026-01-25"
        );
        assert!(!err.is_dependency_failure());
    }
}
