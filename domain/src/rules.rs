//! The date and status rules of booking and cancelling, given today's date in the
//! business time zone.
//!
//! - An employee books only from today on, and cancels only a reservation that has not
//!   started yet: a reservation already under way is refused as a whole (its days are
//!   being taken; HR corrects it if needed). Partial refunds are not offered, so a
//!   reservation is always either wholly booked or wholly cancelled.
//! - HR (and the local demo) may book or cancel past days: a *correction*, which the
//!   history marks as such.
//! - Whether the employee must be Active is checked by the store inside the transaction
//!   (HR may act for an inactive employee).

use chrono::NaiveDate;

use crate::{Actor, DateRange, DomainError};

/// Whether a permitted change touches days before today (HR correcting the past).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Correction(pub bool);

/// Checks that `actor` may book `range` when today is `today`.
pub fn check_booking(
    range: &DateRange,
    today: NaiveDate,
    actor: &Actor,
) -> Result<Correction, DomainError> {
    let past = range.start() < today;
    if past && !actor.has_hr_authority() {
        return Err(DomainError::BookingInThePast {
            start: range.start(),
            today,
        });
    }
    Ok(Correction(past))
}

/// Checks that `actor` may cancel a reservation of `range` when today is `today`.
pub fn check_cancelling(
    range: &DateRange,
    today: NaiveDate,
    actor: &Actor,
) -> Result<Correction, DomainError> {
    let started = range.start() < today;
    if started && !actor.has_hr_authority() {
        return Err(DomainError::CancellingTakenLeave {
            start: range.start(),
            end: range.end(),
            today,
        });
    }
    Ok(Correction(started))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_iso_date, EmployeeId};

    fn day(text: &str) -> NaiveDate {
        parse_iso_date(text).unwrap()
    }

    fn range(a: &str, b: &str) -> DateRange {
        DateRange::parse(a, b).unwrap()
    }

    fn employee() -> Actor {
        Actor::employee(EmployeeId::new(2).unwrap())
    }

    fn hr() -> Actor {
        Actor::hr(EmployeeId::new(9).unwrap(), EmployeeId::new(2).unwrap())
    }

    #[test]
    fn an_employee_books_from_today_on_and_never_before() {
        let today = day("2026-03-10");
        assert_eq!(
            check_booking(&range("2026-03-10", "2026-03-12"), today, &employee()),
            Ok(Correction(false))
        );
        assert_eq!(
            check_booking(&range("2026-03-09", "2026-03-12"), today, &employee()),
            Err(DomainError::BookingInThePast {
                start: day("2026-03-09"),
                today
            })
        );
    }

    #[test]
    fn an_employee_cannot_cancel_a_reservation_under_way_or_over() {
        let today = day("2026-03-10");
        assert!(check_cancelling(&range("2026-03-10", "2026-03-12"), today, &employee()).is_ok());
        for (a, b) in [("2026-03-08", "2026-03-12"), ("2026-01-01", "2026-01-02")] {
            assert!(matches!(
                check_cancelling(&range(a, b), today, &employee()),
                Err(DomainError::CancellingTakenLeave { .. })
            ));
        }
    }

    #[test]
    fn hr_may_correct_the_past_and_it_is_marked_a_correction() {
        let today = day("2026-03-10");
        let past = range("2026-03-01", "2026-03-02");
        assert_eq!(check_booking(&past, today, &hr()), Ok(Correction(true)));
        assert_eq!(check_cancelling(&past, today, &hr()), Ok(Correction(true)));
        let future = range("2026-04-01", "2026-04-02");
        assert_eq!(check_booking(&future, today, &hr()), Ok(Correction(false)));
    }
}
