//! The date and status rules of booking and cancelling, given today's date in the
//! business time zone.
//!
//! - An employee books only days from today on, and cancels only a reservation none of
//!   whose charged days is before today (today's included): one already under way is
//!   refused as a whole (its days are being taken; HR corrects it if needed). Partial
//!   refunds are not offered, so a reservation is always either wholly booked or wholly
//!   cancelled.
//! - The days that count are the charged ones: under the weekdays policy a Saturday-to-
//!   Friday booking starts, for these rules, on the Monday.
//! - HR (and the local demo) may book or cancel past days: a *correction*, which the
//!   history marks as such.
//! - Whether the employee must be Active is checked by the store inside the transaction
//!   (HR may act for an inactive employee).

use chrono::NaiveDate;

use crate::{Actor, DomainError, Reservation};

/// Whether a permitted change touches days before today (HR correcting the past).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Correction(pub bool);

/// The first day `reservation` charges (a reservation always charges one at least).
fn first_charged_day(reservation: &Reservation) -> NaiveDate {
    reservation
        .claimed_days()
        .next()
        .unwrap_or(reservation.range().start())
}

/// Checks that `actor` may book `reservation` when today is `today`.
pub fn check_booking(
    reservation: &Reservation,
    today: NaiveDate,
    actor: &Actor,
) -> Result<Correction, DomainError> {
    let first = first_charged_day(reservation);
    let past = first < today;
    if past && !actor.has_hr_authority() {
        return Err(DomainError::BookingInThePast {
            start: first,
            today,
        });
    }
    Ok(Correction(past))
}

/// Checks that `actor` may cancel `reservation` when today is `today`.
pub fn check_cancelling(
    reservation: &Reservation,
    today: NaiveDate,
    actor: &Actor,
) -> Result<Correction, DomainError> {
    let started = first_charged_day(reservation) < today;
    if started && !actor.has_hr_authority() {
        return Err(DomainError::CancellingTakenLeave {
            start: reservation.range().start(),
            end: reservation.range().end(),
            today,
        });
    }
    Ok(Correction(started))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        parse_iso_date, DateRange, DayCountPolicy, EmployeeId, Incarnation, ReservationId,
    };

    fn day(text: &str) -> NaiveDate {
        parse_iso_date(text).unwrap()
    }

    fn range(a: &str, b: &str) -> Reservation {
        under(DayCountPolicy::CalendarDays, a, b)
    }

    fn under(policy: DayCountPolicy, a: &str, b: &str) -> Reservation {
        let employee = EmployeeId::new(2).unwrap();
        let id = ReservationId::parse("0123456789ab").unwrap();
        let incarnation = Incarnation::parse("0123456789abcdef").unwrap();
        Reservation::new(
            id,
            employee,
            DateRange::parse(a, b).unwrap(),
            policy,
            incarnation,
        )
        .unwrap()
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

    /// Under the weekdays policy the rules look at the first charged day: a booking from
    /// Saturday 2026-03-07 to Tuesday 2026-03-10 starts, for them, on Monday the 9th.
    #[test]
    fn the_first_charged_day_is_what_counts() {
        let saturday_to_tuesday = under(DayCountPolicy::Weekdays, "2026-03-07", "2026-03-10");
        let sunday = day("2026-03-08");
        assert_eq!(
            check_booking(&saturday_to_tuesday, sunday, &employee()),
            Ok(Correction(false))
        );
        assert!(check_cancelling(&saturday_to_tuesday, sunday, &employee()).is_ok());
        let tuesday = day("2026-03-10");
        assert!(check_cancelling(&saturday_to_tuesday, tuesday, &employee()).is_err());
    }

    /// A reservation starting today may still be cancelled: none of its days is before
    /// today.
    #[test]
    fn a_reservation_starting_today_can_still_be_cancelled() {
        let today = day("2026-03-10");
        assert_eq!(
            check_cancelling(&range("2026-03-10", "2026-03-10"), today, &employee()),
            Ok(Correction(false))
        );
    }
}
