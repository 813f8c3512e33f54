//! Reservations (bookings) and their identity.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::{Charge, DateRange, DayCountPolicy, DomainError, EmployeeId, YearCharge};

/// What makes two booking requests "the same request": a retried request carries the same
/// key and is applied once. The Lambda derives it from the agent session and the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 200;

    /// Accepts 1 to [`IdempotencyKey::MAX_LEN`] printable ASCII characters.
    pub fn new(key: impl Into<String>) -> Result<Self, DomainError> {
        let key = key.into();
        let printable = key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if key.is_empty() || key.len() > Self::MAX_LEN || !printable {
            return Err(DomainError::InvalidIdempotencyKey { max: Self::MAX_LEN });
        }
        Ok(Self(key))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A SHA-256 digest of the key scoped to one employee and one purpose, so the same key
    /// used for two employees or two kinds of operation never collides.
    pub fn digest(&self, employee: EmployeeId, purpose: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(employee.get().to_be_bytes());
        hasher.update([0]);
        hasher.update(self.0.as_bytes());
        hasher.finalize().into()
    }
}

/// A reservation's id: 12 lowercase hexadecimal characters, unique per employee.
///
/// It is derived from the booking's idempotency key, so a retried booking writes the same
/// reservation and the transaction's conditions recognise it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReservationId(String);

impl ReservationId {
    const LEN: usize = 12;

    /// The id of the reservation that `key` books for `employee`.
    pub fn derive(employee: EmployeeId, key: &IdempotencyKey) -> Self {
        let digest = key.digest(employee, "reservation-id");
        Self(hex(&digest[..Self::LEN / 2]))
    }

    /// Parses an id as this system issues them.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let ok = text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            return Err(DomainError::InvalidReservationId(crate::error::echo(text)));
        }
        Ok(Self(text.to_owned()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReservationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lowercase hexadecimal text of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which write of a reservation this is. A reservation id is derived from the booking's
/// idempotency key, so the same id can exist again after it was cancelled (the same words
/// asked again, a table seeded again); the incarnation tells those writes apart, so a
/// cancellation or a history entry always names the one it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Incarnation(String);

impl Incarnation {
    /// Accepts 8 to 32 lowercase hexadecimal characters.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let ok = (8..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            return Err(DomainError::InvalidIncarnation(crate::error::echo(text)));
        }
        Ok(Self(text.to_owned()))
    }

    /// The incarnation named by the first 16 bytes of `bytes` (a digest or random bytes).
    pub fn from_bytes(bytes: &[u8; 16]) -> Self {
        Self(hex(bytes))
    }

    /// The incarnation's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Incarnation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A booking: an employee's inclusive date range, the day-count policy it was booked
/// under, what that policy charged to each year, and which write of the id it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    id: ReservationId,
    employee: EmployeeId,
    range: DateRange,
    policy: DayCountPolicy,
    charge: Charge,
    incarnation: Incarnation,
}

impl Reservation {
    /// A new booking of `range` under `policy`: the charge is what the policy gives.
    pub fn new(
        id: ReservationId,
        employee: EmployeeId,
        range: DateRange,
        policy: DayCountPolicy,
        incarnation: Incarnation,
    ) -> Result<Self, DomainError> {
        let charge = policy.charge(&range)?;
        Ok(Self {
            id,
            employee,
            range,
            policy,
            charge,
            incarnation,
        })
    }

    /// A booking read back from storage: its stored charges must be exactly what its
    /// policy gives for its range, so a charge that was altered is never taken as true.
    pub fn from_stored(
        id: ReservationId,
        employee: EmployeeId,
        range: DateRange,
        policy: DayCountPolicy,
        charges: Vec<YearCharge>,
        incarnation: Incarnation,
    ) -> Result<Self, DomainError> {
        let booked = Self::new(id, employee, range, policy, incarnation)?;
        if booked.charge.years() != charges.as_slice() {
            return Err(DomainError::ChargeMismatch {
                start: range.start(),
                end: range.end(),
            });
        }
        Ok(booked)
    }

    /// The reservation's id.
    pub fn id(&self) -> &ReservationId {
        &self.id
    }
    /// Whose reservation it is.
    pub fn employee(&self) -> EmployeeId {
        self.employee
    }
    /// The booked days, both ends included.
    pub fn range(&self) -> DateRange {
        self.range
    }
    /// The day-count policy it was booked under.
    pub fn policy(&self) -> DayCountPolicy {
        self.policy
    }
    /// Days charged per year.
    pub fn charge(&self) -> &Charge {
        &self.charge
    }
    /// Which write of this id it is.
    pub fn incarnation(&self) -> &Incarnation {
        &self.incarnation
    }
    /// The days the reservation claims: those its policy charges (under the weekdays
    /// policy a weekend inside the range stays free for another booking).
    pub fn claimed_days(&self) -> impl Iterator<Item = chrono::NaiveDate> + '_ {
        let policy = self.policy;
        self.range.days().filter(move |d| policy.charges(*d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DayCountPolicy;

    fn key(s: &str) -> IdempotencyKey {
        IdempotencyKey::new(s).unwrap()
    }

    #[test]
    fn the_same_key_gives_the_same_id_and_other_keys_or_employees_do_not() {
        let one = EmployeeId::new(1).unwrap();
        let two = EmployeeId::new(2).unwrap();
        let id = ReservationId::derive(one, &key("session-a/req-1"));
        assert_eq!(id, ReservationId::derive(one, &key("session-a/req-1")));
        assert_ne!(id, ReservationId::derive(one, &key("session-a/req-2")));
        assert_ne!(id, ReservationId::derive(two, &key("session-a/req-1")));
        assert_eq!(ReservationId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn reservation_ids_are_twelve_lowercase_hex_characters() {
        assert!(ReservationId::parse("0123456789ab").is_ok());
        for bad in [
            "0123456789AB",
            "0123456789a",
            "0123456789abc",
            "g123456789ab",
            "",
        ] {
            assert!(ReservationId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn idempotency_keys_must_be_printable_and_bounded() {
        assert!(IdempotencyKey::new("a").is_ok());
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("x".repeat(201)).is_err());
        assert!(IdempotencyKey::new("tab\there").is_err());
    }

    fn incarnation() -> Incarnation {
        Incarnation::parse("0123456789abcdef").unwrap()
    }

    #[test]
    fn a_stored_reservation_must_carry_what_its_policy_charges() {
        let employee = EmployeeId::new(1).unwrap();
        let id = ReservationId::derive(employee, &key("k"));
        // Friday to Monday.
        let range = DateRange::parse("2026-01-23", "2026-01-26").unwrap();
        let charges = |days| vec![YearCharge { year: 2026, days }];
        let stored = |policy, days| {
            Reservation::from_stored(
                id.clone(),
                employee,
                range,
                policy,
                charges(days),
                incarnation(),
            )
        };
        assert!(stored(DayCountPolicy::CalendarDays, 4).is_ok());
        assert!(stored(DayCountPolicy::Weekdays, 2).is_ok());
        assert!(matches!(
            stored(DayCountPolicy::CalendarDays, 3),
            Err(DomainError::ChargeMismatch { .. })
        ));
        assert!(stored(DayCountPolicy::Weekdays, 4).is_err());
    }

    #[test]
    fn only_the_charged_days_are_claimed() {
        let employee = EmployeeId::new(1).unwrap();
        let id = ReservationId::derive(employee, &key("k"));
        let range = DateRange::parse("2026-01-23", "2026-01-26").unwrap();
        let weekdays = Reservation::new(
            id.clone(),
            employee,
            range,
            DayCountPolicy::Weekdays,
            incarnation(),
        )
        .unwrap();
        let claimed: Vec<String> = weekdays.claimed_days().map(|d| d.to_string()).collect();
        assert_eq!(claimed, ["2026-01-23", "2026-01-26"]);
        let calendar = Reservation::new(
            id,
            employee,
            range,
            DayCountPolicy::CalendarDays,
            incarnation(),
        )
        .unwrap();
        assert_eq!(calendar.claimed_days().count(), 4);
    }

    #[test]
    fn incarnations_are_eight_to_thirty_two_lowercase_hex_characters() {
        assert!(Incarnation::parse("0123abcd").is_ok());
        assert!(Incarnation::parse(&"f".repeat(32)).is_ok());
        for bad in ["0123abc", "0123ABCD", &"f".repeat(33), "0123abcg", ""] {
            assert!(Incarnation::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Incarnation::from_bytes(&[0xab; 16]).as_str(),
            "ab".repeat(16)
        );
    }
}
