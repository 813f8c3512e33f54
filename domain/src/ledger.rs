//! The invariants of one employee's stored data, checked independently of how it was written.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::{EmployeeId, Reservation, ReservationId};

/// A year balance's three figures as stored, unchecked (they may be negative or not add
/// up: that is what an audit looks for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceFigures {
    /// The calendar year.
    pub year: i32,
    /// Days granted.
    pub total: i64,
    /// Days used or booked.
    pub taken: i64,
    /// Days left.
    pub available: i64,
}

/// One booked day and the reservation that owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayClaim {
    /// The booked day.
    pub date: NaiveDate,
    /// Its owner.
    pub reservation: ReservationId,
}

/// Everything stored for one employee, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    /// Whose data it is.
    pub employee: EmployeeId,
    /// Every year balance.
    pub balances: Vec<BalanceFigures>,
    /// Every reservation.
    pub reservations: Vec<Reservation>,
    /// Every day claim.
    pub claims: Vec<DayClaim>,
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// `total != taken + available`, or a figure below zero.
    Unbalanced {
        /// Whose balance.
        employee: EmployeeId,
        /// The figures found.
        figures: BalanceFigures,
    },
    /// A reservation charges a year that has no balance.
    ChargeWithoutBalance {
        /// Whose reservation.
        employee: EmployeeId,
        /// The reservation.
        reservation: ReservationId,
        /// The year charged.
        year: i32,
    },
    /// A year's `taken` is smaller than what its reservations charge.
    TakenBelowReserved {
        /// Whose balance.
        employee: EmployeeId,
        /// The year.
        year: i32,
        /// Stored `taken`.
        taken: i64,
        /// Sum of the reservations' charges to that year.
        reserved: i64,
    },
    /// A reservation's day has no claim, or another reservation's claim.
    MissingClaim {
        /// Whose reservation.
        employee: EmployeeId,
        /// The reservation.
        reservation: ReservationId,
        /// The unclaimed day.
        date: NaiveDate,
        /// The reservation that holds the day instead, if any.
        held_by: Option<ReservationId>,
    },
    /// A claim whose reservation does not exist or does not cover that day.
    OrphanClaim {
        /// Whose claim.
        employee: EmployeeId,
        /// The claimed day.
        date: NaiveDate,
        /// The reservation the claim names.
        reservation: ReservationId,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unbalanced { employee, figures: b } => write!(
                f,
                "employee {employee} year {}: total {} != taken {} + available {} (or negative)",
                b.year, b.total, b.taken, b.available
            ),
            Self::ChargeWithoutBalance {
                employee,
                reservation,
                year,
            } => write!(
                f,
                "employee {employee} reservation {reservation}: charges {year}, which has no balance"
            ),
            Self::TakenBelowReserved {
                employee,
                year,
                taken,
                reserved,
            } => write!(
                f,
                "employee {employee} year {year}: taken {taken} is below the {reserved} day(s) reserved"
            ),
            Self::MissingClaim {
                employee,
                reservation,
                date,
                held_by,
            } => match held_by {
                Some(other) => write!(
                    f,
                    "employee {employee} reservation {reservation}: day {date} is claimed by {other}"
                ),
                None => write!(
                    f,
                    "employee {employee} reservation {reservation}: day {date} has no claim"
                ),
            },
            Self::OrphanClaim {
                employee,
                date,
                reservation,
            } => write!(
                f,
                "employee {employee}: claim on {date} names {reservation}, which does not book that day"
            ),
        }
    }
}

impl Violation {
    /// Whose data it is about.
    pub fn employee(&self) -> EmployeeId {
        match self {
            Self::Unbalanced { employee, .. }
            | Self::ChargeWithoutBalance { employee, .. }
            | Self::TakenBelowReserved { employee, .. }
            | Self::MissingClaim { employee, .. }
            | Self::OrphanClaim { employee, .. } => *employee,
        }
    }
}

impl Ledger {
    /// Every broken invariant, in a stable order; empty when the data is sound:
    /// - each balance has `total = taken + available`, none negative;
    /// - each charged year has a balance whose `taken` covers its reservations' charges;
    /// - each reservation's every day is claimed by it, and every claim belongs to a
    ///   reservation that covers that day (so no two reservations share a day).
    pub fn audit(&self) -> Vec<Violation> {
        let employee = self.employee;
        let mut found = Vec::new();
        let balances: BTreeMap<i32, &BalanceFigures> =
            self.balances.iter().map(|b| (b.year, b)).collect();
        for b in &self.balances {
            if b.total < 0 || b.taken < 0 || b.available < 0 || b.total != b.taken + b.available {
                found.push(Violation::Unbalanced {
                    employee,
                    figures: *b,
                });
            }
        }

        let mut reserved: BTreeMap<i32, i64> = BTreeMap::new();
        for r in &self.reservations {
            for c in r.charge().years() {
                *reserved.entry(c.year).or_default() += i64::from(c.days);
                if !balances.contains_key(&c.year) {
                    found.push(Violation::ChargeWithoutBalance {
                        employee,
                        reservation: r.id().clone(),
                        year: c.year,
                    });
                }
            }
        }
        for (year, reserved) in reserved {
            if let Some(b) = balances.get(&year) {
                if b.taken < reserved {
                    found.push(Violation::TakenBelowReserved {
                        employee,
                        year,
                        taken: b.taken,
                        reserved,
                    });
                }
            }
        }

        let claims: BTreeMap<NaiveDate, &ReservationId> = self
            .claims
            .iter()
            .map(|c| (c.date, &c.reservation))
            .collect();
        for r in &self.reservations {
            for date in r.range().days() {
                let holder = claims.get(&date).copied();
                if holder != Some(r.id()) {
                    found.push(Violation::MissingClaim {
                        employee,
                        reservation: r.id().clone(),
                        date,
                        held_by: holder.cloned(),
                    });
                }
            }
        }
        for c in &self.claims {
            let covered = self
                .reservations
                .iter()
                .any(|r| r.id() == &c.reservation && r.range().days().any(|d| d == c.date));
            if !covered {
                found.push(Violation::OrphanClaim {
                    employee,
                    date: c.date,
                    reservation: c.reservation.clone(),
                });
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DateRange, DayCountPolicy, IdempotencyKey};

    fn employee() -> EmployeeId {
        EmployeeId::new(7).unwrap()
    }

    fn reservation(key: &str, start: &str, end: &str) -> Reservation {
        let range = DateRange::parse(start, end).unwrap();
        let id = ReservationId::derive(employee(), &IdempotencyKey::new(key).unwrap());
        let charge = DayCountPolicy::CalendarDays.charge(&range).unwrap();
        Reservation::new(id, employee(), range, charge).unwrap()
    }

    fn claims_of(r: &Reservation) -> Vec<DayClaim> {
        r.range()
            .days()
            .map(|date| DayClaim {
                date,
                reservation: r.id().clone(),
            })
            .collect()
    }

    fn sound() -> Ledger {
        let r = reservation("a", "2026-01-24", "2026-01-26");
        Ledger {
            employee: employee(),
            balances: vec![BalanceFigures {
                year: 2026,
                total: 22,
                taken: 3,
                available: 19,
            }],
            claims: claims_of(&r),
            reservations: vec![r],
        }
    }

    #[test]
    fn a_sound_ledger_has_no_violation() {
        assert_eq!(sound().audit(), vec![]);
    }

    #[test]
    fn a_balance_that_does_not_add_up_is_reported() {
        let mut ledger = sound();
        ledger.balances[0].available = 20;
        assert!(matches!(ledger.audit()[..], [Violation::Unbalanced { .. }]));
    }

    #[test]
    fn a_missing_claim_and_an_orphan_claim_are_reported() {
        let mut ledger = sound();
        let moved = ledger.claims.pop().unwrap();
        ledger.claims.push(DayClaim {
            date: moved.date.succ_opt().unwrap(),
            reservation: moved.reservation,
        });
        let found = ledger.audit();
        assert!(matches!(
            found[..],
            [
                Violation::MissingClaim { .. },
                Violation::OrphanClaim { .. }
            ]
        ));
    }

    #[test]
    fn taken_below_what_reservations_charge_is_reported() {
        let mut ledger = sound();
        ledger.balances[0].taken = 2;
        ledger.balances[0].available = 20;
        assert!(matches!(
            ledger.audit()[..],
            [Violation::TakenBelowReserved {
                taken: 2,
                reserved: 3,
                ..
            }]
        ));
    }

    #[test]
    fn a_day_held_by_another_reservation_is_reported() {
        let mut ledger = sound();
        let other = reservation("b", "2026-01-26", "2026-01-26");
        ledger.balances[0].taken = 4;
        ledger.balances[0].available = 18;
        ledger.reservations.push(other);
        let found = ledger.audit();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(
            found[0],
            Violation::MissingClaim {
                held_by: Some(_),
                ..
            }
        ));
        assert!(found[0].to_string().contains("is claimed by"));
    }
}
