//! The typed errors of every domain rule.

use chrono::NaiveDate;

/// The longest piece of a rejected value quoted back in an error, in characters.
pub const MAX_ECHO_CHARS: usize = 64;

/// `text` cut to at most `max` characters, an ellipsis marking the cut: how a value
/// someone supplied is quoted back.
pub fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// `text` as an error quotes it: cut to [`MAX_ECHO_CHARS`] characters, so a rejected value
/// never makes an answer long.
pub(crate) fn echo(text: &str) -> String {
    bounded(text, MAX_ECHO_CHARS)
}

/// Why a value was rejected by a domain rule. Each variant's message is written for the
/// person who supplied the value, since the agent relays it to them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// An employee id that is not a positive whole number.
    #[error("employee id must be a positive whole number such as 2, got {0:?}")]
    InvalidEmployeeId(String),
    /// A date that is not a real calendar date written as `YYYY-MM-DD`.
    #[error("dates must be real calendar dates written as YYYY-MM-DD, got {0:?}")]
    InvalidDate(String),
    /// A year outside the range the assistant handles.
    #[error("year must be between {min} and {max}, got {got:?}")]
    InvalidYear {
        /// What was supplied.
        got: String,
        /// The lowest accepted year.
        min: i32,
        /// The highest accepted year.
        max: i32,
    },
    /// A range whose end comes before its start.
    #[error("the end date {end} is before the start date {start}")]
    EndBeforeStart {
        /// First day of the range.
        start: NaiveDate,
        /// Last day of the range.
        end: NaiveDate,
    },
    /// A range longer than one reservation may be.
    #[error("a reservation may cover at most {max} calendar days, this one covers {days}")]
    RangeTooLong {
        /// Calendar days in the requested range.
        days: u32,
        /// The longest allowed range.
        max: u32,
    },
    /// A range in which the day-count policy charges no day at all (e.g. a weekend under a
    /// weekdays-only policy).
    #[error("the range {start} to {end} contains no chargeable day")]
    NothingToCharge {
        /// First day of the range.
        start: NaiveDate,
        /// Last day of the range.
        end: NaiveDate,
    },
    /// A balance whose parts do not add up, or that takes more than it has.
    #[error("invalid balance for {year}: total {total}, taken {taken}, available {available}")]
    InconsistentBalance {
        /// The balance's year.
        year: i32,
        /// Days granted for the year.
        total: u32,
        /// Days used or booked.
        taken: u32,
        /// Days left.
        available: u32,
    },
    /// A charge larger than the days left in a year.
    #[error("only {available} day(s) available in {year}, {requested} requested")]
    InsufficientBalance {
        /// The year charged.
        year: i32,
        /// Days left in that year.
        available: u32,
        /// Days the request would charge.
        requested: u32,
    },
    /// A refund larger than the days taken in a year.
    #[error("cannot refund {requested} day(s) to {year}: only {taken} taken")]
    RefundExceedsTaken {
        /// The year refunded.
        year: i32,
        /// Days taken in that year.
        taken: u32,
        /// Days the refund would return.
        requested: u32,
    },
    /// A missing or over-long name or job title.
    #[error("{field} must be 1 to {max} characters")]
    InvalidText {
        /// Which field.
        field: &'static str,
        /// The longest allowed value.
        max: usize,
    },
    /// A status other than `Active` or `Inactive`.
    #[error("employee status must be Active or Inactive, got {0:?}")]
    InvalidStatus(String),
    /// A reservation id not of the form this system issues.
    #[error("reservation id must be 12 lowercase hexadecimal characters, got {0:?}")]
    InvalidReservationId(String),
    /// An idempotency key that is empty, too long, or not printable ASCII.
    #[error("idempotency key must be 1 to {max} printable ASCII characters")]
    InvalidIdempotencyKey {
        /// The longest allowed key.
        max: usize,
    },
    /// A stored reservation incarnation that is not of the form this system writes.
    #[error("reservation incarnation must be 8 to 32 lowercase hexadecimal characters, got {0:?}")]
    InvalidIncarnation(String),
    /// A day-count policy name this system does not know.
    #[error("day-count policy must be calendar-days or weekdays, got {0:?}")]
    InvalidPolicy(String),
    /// An employee booking days before today.
    #[error("vacation cannot be booked in the past: the range starts on {start}, and today is {today}; only HR can record past leave")]
    BookingInThePast {
        /// First day of the range.
        start: NaiveDate,
        /// Today in the business time zone.
        today: NaiveDate,
    },
    /// An employee cancelling a reservation that has already started.
    #[error("the vacation from {start} to {end} has already started or is over (today is {today}), so it can no longer be cancelled; only HR can correct taken leave")]
    CancellingTakenLeave {
        /// First day of the reservation.
        start: NaiveDate,
        /// Last day of the reservation.
        end: NaiveDate,
        /// Today in the business time zone.
        today: NaiveDate,
    },
    /// Per-year charges that do not match the reservation's range and policy.
    #[error("the charged days do not match what the policy gives for {start} to {end}")]
    ChargeMismatch {
        /// First day of the range.
        start: NaiveDate,
        /// Last day of the range.
        end: NaiveDate,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_rejected_value_is_quoted_cut() {
        let err = crate::parse_iso_date(&"9".repeat(5_000)).unwrap_err();
        let DomainError::InvalidDate(quoted) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(quoted.chars().count(), MAX_ECHO_CHARS + 1);
        assert!(err.to_string().len() < 200);
        assert_eq!(echo("2026-01-2x"), "2026-01-2x");
    }
}
