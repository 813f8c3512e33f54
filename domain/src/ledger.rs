//! The invariants of one employee's stored data, checked independently of how it was written.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::history::{ChangeKind, HistoryEntry};
use crate::{EmployeeId, Incarnation, Reservation, ReservationId};

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
    /// Days taken outside this system (before it, or recorded by the seeder), so that
    /// `taken` must be exactly these plus what the reservations charge. `None` on items
    /// written before the figure existed: then only `taken ≥ reserved` can be checked.
    pub earlier_taken: Option<i64>,
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
    /// Every history entry, in any order.
    pub history: Vec<HistoryEntry>,
}

impl Ledger {
    /// An empty ledger of `employee`.
    pub fn empty(employee: EmployeeId) -> Self {
        Self {
            employee,
            balances: Vec::new(),
            reservations: Vec::new(),
            claims: Vec::new(),
            history: Vec::new(),
        }
    }
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// `total != taken + available`, a figure below zero, or days taken earlier that are
    /// negative or more than `taken`.
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
    /// A year's `taken` is not its earlier days plus what its reservations charge: an
    /// over-charge, or a refund that was lost.
    TakenMismatch {
        /// Whose balance.
        employee: EmployeeId,
        /// The year.
        year: i32,
        /// Stored `taken`.
        taken: i64,
        /// Stored `earlier_taken`.
        earlier_taken: i64,
        /// Sum of the reservations' charges to that year.
        reserved: i64,
    },
    /// Two items say they are the same thing (the same year, reservation or day).
    Duplicate {
        /// Whose items.
        employee: EmployeeId,
        /// What is duplicated, e.g. `year 2026`, `day 2026-01-24`.
        what: String,
        /// How many items say so.
        count: usize,
    },
    /// A reservation whose history does not say it is booked: no booking entry for this
    /// incarnation, or a cancellation after it. The change that made it is unattributed.
    ReservationWithoutHistory {
        /// Whose reservation.
        employee: EmployeeId,
        /// The reservation.
        reservation: ReservationId,
        /// Its incarnation.
        incarnation: Incarnation,
    },
    /// A history whose last entry for a reservation incarnation says booked, while the
    /// reservation is not there (or is another incarnation): a lost booking, or a
    /// cancellation that left no entry.
    BookedButMissing {
        /// Whose reservation.
        employee: EmployeeId,
        /// The reservation.
        reservation: ReservationId,
        /// The incarnation the history says is booked.
        incarnation: Incarnation,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unbalanced { employee, figures: b } => write!(
                f,
                "employee {employee} year {}: total {} != taken {} + available {} (or a figure is negative, or earlier_taken {} is outside 0..=taken)",
                b.year, b.total, b.taken, b.available,
                b.earlier_taken.map_or("unknown".to_owned(), |e| e.to_string())
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
            Self::TakenMismatch {
                employee,
                year,
                taken,
                earlier_taken,
                reserved,
            } => write!(
                f,
                "employee {employee} year {year}: taken {taken} != {earlier_taken} taken earlier + {reserved} reserved"
            ),
            Self::Duplicate {
                employee,
                what,
                count,
            } => write!(f, "employee {employee}: {count} items for {what}"),
            Self::ReservationWithoutHistory {
                employee,
                reservation,
                incarnation,
            } => write!(
                f,
                "employee {employee} reservation {reservation} (incarnation {incarnation}): no history entry says it is booked"
            ),
            Self::BookedButMissing {
                employee,
                reservation,
                incarnation,
            } => write!(
                f,
                "employee {employee} reservation {reservation} (incarnation {incarnation}): the history says booked, but it is not in the table"
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
            | Self::OrphanClaim { employee, .. }
            | Self::TakenMismatch { employee, .. }
            | Self::Duplicate { employee, .. }
            | Self::ReservationWithoutHistory { employee, .. }
            | Self::BookedButMissing { employee, .. } => *employee,
        }
    }
}

impl Ledger {
    /// Every broken invariant, in a stable order; empty when the data is sound:
    /// - each balance has `total = taken + available`, none negative;
    /// - each charged year has a balance, whose `taken` is exactly its `earlier_taken`
    ///   plus what its reservations charge (at least that, when `earlier_taken` is
    ///   unknown);
    /// - each reservation's every charged day is claimed by it, and every claim belongs to
    ///   a reservation that charges that day (so no two reservations share a day);
    /// - no year, reservation or day is stored twice;
    /// - the history agrees with the reservations: an incarnation whose last entry is a
    ///   booking is present, and every present reservation has such an entry.
    ///
    /// (That each reservation's charges are what its policy gives for its dates, and that
    /// keys agree with attributes, is checked when the items are read.)
    pub fn audit(&self) -> Vec<Violation> {
        let employee = self.employee;
        let mut found = Vec::new();
        self.duplicates(&mut found);
        let balances: BTreeMap<i32, &BalanceFigures> =
            self.balances.iter().map(|b| (b.year, b)).collect();
        for b in &self.balances {
            let earlier_wrong = b.earlier_taken.is_some_and(|e| e < 0 || e > b.taken);
            if b.total < 0
                || b.taken < 0
                || b.available < 0
                || b.total != b.taken + b.available
                || earlier_wrong
            {
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
        for b in balances.values() {
            let year_reserved = reserved.get(&b.year).copied().unwrap_or(0);
            match b.earlier_taken {
                Some(earlier) if b.taken != earlier + year_reserved => {
                    found.push(Violation::TakenMismatch {
                        employee,
                        year: b.year,
                        taken: b.taken,
                        earlier_taken: earlier,
                        reserved: year_reserved,
                    })
                }
                None if b.taken < year_reserved => found.push(Violation::TakenBelowReserved {
                    employee,
                    year: b.year,
                    taken: b.taken,
                    reserved: year_reserved,
                }),
                _ => {}
            }
        }

        let claims: BTreeMap<NaiveDate, &ReservationId> = self
            .claims
            .iter()
            .map(|c| (c.date, &c.reservation))
            .collect();
        for r in &self.reservations {
            for date in r.claimed_days() {
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
                .any(|r| r.id() == &c.reservation && r.claimed_days().any(|d| d == c.date));
            if !covered {
                found.push(Violation::OrphanClaim {
                    employee,
                    date: c.date,
                    reservation: c.reservation.clone(),
                });
            }
        }
        self.history_agrees(&mut found);
        found
    }

    fn duplicates(&self, found: &mut Vec<Violation>) {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let keys = self
            .balances
            .iter()
            .map(|b| format!("year {}", b.year))
            .chain(
                self.reservations
                    .iter()
                    .map(|r| format!("reservation {}", r.id())),
            )
            .chain(self.claims.iter().map(|c| format!("day {}", c.date)))
            .chain(
                self.history
                    .iter()
                    .map(|h| format!("history entry {}", h.id)),
            );
        for key in keys {
            *counts.entry(key).or_default() += 1;
        }
        for (what, count) in counts.into_iter().filter(|(_, n)| *n > 1) {
            found.push(Violation::Duplicate {
                employee: self.employee,
                what,
                count,
            });
        }
    }

    fn history_agrees(&self, found: &mut Vec<Violation>) {
        // Each incarnation is written once and cancelled at most once, so its state is
        // "booked" exactly when it has a booking entry and no cancellation entry, whatever
        // the order of their times (two changes may share a millisecond).
        let mut state: BTreeMap<(&ReservationId, &Incarnation), (bool, bool)> = BTreeMap::new();
        for h in &self.history {
            let (booked, cancelled) = state.entry((&h.reservation, &h.incarnation)).or_default();
            match h.kind {
                ChangeKind::Booked => *booked = true,
                ChangeKind::Cancelled => *cancelled = true,
            }
        }
        let is_booked = |key| state.get(&key).is_some_and(|&(b, c)| b && !c);
        for r in &self.reservations {
            if !is_booked((r.id(), r.incarnation())) {
                found.push(Violation::ReservationWithoutHistory {
                    employee: self.employee,
                    reservation: r.id().clone(),
                    incarnation: r.incarnation().clone(),
                });
            }
        }
        for &(id, incarnation) in state.keys() {
            let present = self
                .reservations
                .iter()
                .any(|r| r.id() == id && r.incarnation() == incarnation);
            if is_booked((id, incarnation)) && !present {
                found.push(Violation::BookedButMissing {
                    employee: self.employee,
                    reservation: id.clone(),
                    incarnation: incarnation.clone(),
                });
            }
        }
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
        reincarnation(key, start, end, "0123456789abcdef")
    }

    fn reincarnation(key: &str, start: &str, end: &str, incarnation: &str) -> Reservation {
        let range = DateRange::parse(start, end).unwrap();
        let id = ReservationId::derive(employee(), &IdempotencyKey::new(key).unwrap());
        let incarnation = Incarnation::parse(incarnation).unwrap();
        Reservation::new(
            id,
            employee(),
            range,
            DayCountPolicy::CalendarDays,
            incarnation,
        )
        .unwrap()
    }

    /// The history entry of `kind` for `r`, `minute` minutes into 2026.
    fn entry(r: &Reservation, kind: ChangeKind, minute: i64) -> HistoryEntry {
        let at = "2026-01-01T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            + chrono::Duration::minutes(minute);
        HistoryEntry {
            id: format!("{minute:012x}"),
            at,
            employee: employee(),
            kind,
            reservation: r.id().clone(),
            incarnation: r.incarnation().clone(),
            range: r.range(),
            policy: r.policy(),
            days: r.charge().years().to_vec(),
            balances: vec![],
            actor: crate::Actor::employee(employee()),
            request: "test".into(),
            correction: false,
        }
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
                earlier_taken: Some(0),
            }],
            claims: claims_of(&r),
            history: vec![entry(&r, ChangeKind::Booked, 1)],
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

    /// Without `earlier_taken` (items written before it existed) only a `taken` below
    /// what is reserved can be seen.
    #[test]
    fn taken_below_what_reservations_charge_is_reported() {
        let mut ledger = sound();
        ledger.balances[0].earlier_taken = None;
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
        ledger.history.push(entry(&other, ChangeKind::Booked, 2));
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

    /// A negative `earlier_taken` could hide a lost charge: it is reported.
    #[test]
    fn days_taken_earlier_outside_zero_to_taken_are_reported() {
        let mut ledger = sound();
        ledger.balances[0].earlier_taken = Some(-1);
        assert!(matches!(ledger.audit()[0], Violation::Unbalanced { .. }));
        ledger.balances[0].earlier_taken = Some(4);
        assert!(matches!(ledger.audit()[0], Violation::Unbalanced { .. }));
    }

    #[test]
    fn an_over_charge_is_reported_against_the_days_taken_earlier() {
        let mut ledger = sound();
        ledger.balances[0].taken = 4;
        ledger.balances[0].available = 18;
        assert_eq!(
            ledger.audit(),
            vec![Violation::TakenMismatch {
                employee: employee(),
                year: 2026,
                taken: 4,
                earlier_taken: 0,
                reserved: 3,
            }]
        );
        ledger.balances[0].earlier_taken = Some(1);
        assert_eq!(ledger.audit(), vec![], "one day taken outside the system");
    }

    /// A cancellation that deleted the reservation but kept the charge, and wrote no
    /// history: both the lost refund and the missing entry are visible.
    #[test]
    fn a_lost_refund_and_an_unrecorded_cancellation_are_reported() {
        let mut ledger = sound();
        ledger.reservations.clear();
        ledger.claims.clear();
        let found = ledger.audit();
        assert!(
            matches!(
                found[..],
                [
                    Violation::TakenMismatch { reserved: 0, .. },
                    Violation::BookedButMissing { .. }
                ]
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_reservation_the_history_does_not_book_is_reported() {
        let mut ledger = sound();
        ledger.history.clear();
        assert!(matches!(
            ledger.audit()[..],
            [Violation::ReservationWithoutHistory { .. }]
        ));
        let r = ledger.reservations[0].clone();
        ledger.history = vec![
            entry(&r, ChangeKind::Booked, 1),
            entry(&r, ChangeKind::Cancelled, 2),
        ];
        assert!(matches!(
            ledger.audit()[..],
            [Violation::ReservationWithoutHistory { .. }]
        ));
    }

    /// Booked, cancelled, and booked again under the same id: the history of each
    /// incarnation agrees with the table.
    #[test]
    fn a_reservation_booked_again_after_a_cancellation_is_sound() {
        let mut ledger = sound();
        let first = ledger.reservations[0].clone();
        let again = reincarnation("a", "2026-01-24", "2026-01-26", "fedcba9876543210");
        assert_eq!(first.id(), again.id());
        ledger.history = vec![
            entry(&again, ChangeKind::Booked, 5),
            entry(&first, ChangeKind::Booked, 1),
            entry(&first, ChangeKind::Cancelled, 3),
        ];
        ledger.reservations = vec![again.clone()];
        assert_eq!(ledger.audit(), vec![]);
        ledger.reservations = vec![first];
        assert_eq!(ledger.audit().len(), 2, "{:?}", ledger.audit());
    }

    #[test]
    fn duplicates_are_reported_not_collapsed() {
        let mut ledger = sound();
        ledger.claims.push(ledger.claims[0].clone());
        let mut second = ledger.balances[0];
        second.taken = 0;
        second.available = 22;
        ledger.balances.push(second);
        let found = ledger.audit();
        let duplicates: Vec<String> = found
            .iter()
            .filter(|v| matches!(v, Violation::Duplicate { .. }))
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            duplicates,
            [
                "employee 7: 2 items for day 2026-01-24",
                "employee 7: 2 items for year 2026"
            ]
        );
    }
}
