//! Reservations (bookings) and their identity.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::{Charge, DateRange, DomainError, EmployeeId};

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
            return Err(DomainError::InvalidReservationId(text.to_owned()));
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

/// A booking: an employee's inclusive date range and what it charged to each year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    id: ReservationId,
    employee: EmployeeId,
    range: DateRange,
    charge: Charge,
}

impl Reservation {
    /// Assembles a reservation; the charge must fit the range (see [`Charge::from_parts`]).
    pub fn new(
        id: ReservationId,
        employee: EmployeeId,
        range: DateRange,
        charge: Charge,
    ) -> Result<Self, DomainError> {
        let charge = Charge::from_parts(&range, charge.years().to_vec())?;
        Ok(Self {
            id,
            employee,
            range,
            charge,
        })
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
    /// Days charged per year.
    pub fn charge(&self) -> &Charge {
        &self.charge
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

    #[test]
    fn a_reservation_rejects_a_charge_from_another_range() {
        let employee = EmployeeId::new(1).unwrap();
        let id = ReservationId::derive(employee, &key("k"));
        let short = DateRange::parse("2026-01-24", "2026-01-24").unwrap();
        let long = DateRange::parse("2026-01-24", "2026-01-26").unwrap();
        let charge = DayCountPolicy::CalendarDays.charge(&long).unwrap();
        assert!(Reservation::new(id.clone(), employee, long, charge.clone()).is_ok());
        assert!(Reservation::new(id, employee, short, charge).is_err());
    }
}
