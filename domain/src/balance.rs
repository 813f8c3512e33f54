//! A year's vacation ledger.

use crate::DomainError;

/// One employee's vacation days for one calendar year.
///
/// `total = taken + available` holds by construction: `available` is derived, and every
/// change goes through [`YearBalance::charge`] or [`YearBalance::refund`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct YearBalance {
    year: i32,
    total: u32,
    taken: u32,
}

impl YearBalance {
    /// A balance granting `total` days of which `taken` are used.
    pub fn new(year: i32, total: u32, taken: u32) -> Result<Self, DomainError> {
        if taken > total {
            return Err(DomainError::InconsistentBalance {
                year,
                total,
                taken,
                available: 0,
            });
        }
        Ok(Self { year, total, taken })
    }

    /// Rebuilds a balance whose three figures were stored separately, rejecting any that
    /// do not add up.
    pub fn from_stored(
        year: i32,
        total: u32,
        taken: u32,
        available: u32,
    ) -> Result<Self, DomainError> {
        if taken.checked_add(available) != Some(total) {
            return Err(DomainError::InconsistentBalance {
                year,
                total,
                taken,
                available,
            });
        }
        Self::new(year, total, taken)
    }

    /// The calendar year.
    pub fn year(&self) -> i32 {
        self.year
    }
    /// Days granted for the year.
    pub fn total(&self) -> u32 {
        self.total
    }
    /// Days used or booked.
    pub fn taken(&self) -> u32 {
        self.taken
    }
    /// Days left: `total - taken`.
    pub fn available(&self) -> u32 {
        self.total - self.taken
    }

    /// The balance after booking `days` more, if that many are available.
    pub fn charge(self, days: u32) -> Result<Self, DomainError> {
        if days > self.available() {
            return Err(DomainError::InsufficientBalance {
                year: self.year,
                available: self.available(),
                requested: days,
            });
        }
        Ok(Self {
            taken: self.taken + days,
            ..self
        })
    }

    /// The balance after returning `days` booked days.
    pub fn refund(self, days: u32) -> Result<Self, DomainError> {
        if days > self.taken {
            return Err(DomainError::RefundExceedsTaken {
                year: self.year,
                taken: self.taken,
                requested: days,
            });
        }
        Ok(Self {
            taken: self.taken - days,
            ..self
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn booking_three_days_from_twenty_two_leaves_nineteen() {
        let balance = YearBalance::new(2026, 22, 0).unwrap().charge(3).unwrap();
        assert_eq!(
            (balance.total(), balance.taken(), balance.available()),
            (22, 3, 19)
        );
    }

    #[test]
    fn charging_more_than_available_is_refused() {
        let balance = YearBalance::new(2026, 10, 8).unwrap();
        assert_eq!(
            balance.charge(3),
            Err(DomainError::InsufficientBalance {
                year: 2026,
                available: 2,
                requested: 3
            })
        );
    }

    #[test]
    fn stored_figures_that_do_not_add_up_are_rejected() {
        assert!(YearBalance::from_stored(2026, 10, 3, 7).is_ok());
        assert!(YearBalance::from_stored(2026, 10, 3, 8).is_err());
        assert!(YearBalance::from_stored(2026, u32::MAX, u32::MAX, 1).is_err());
        assert!(YearBalance::new(2026, 3, 4).is_err());
    }

    #[test]
    fn refunding_more_than_taken_is_refused() {
        assert!(YearBalance::new(2026, 10, 2).unwrap().refund(3).is_err());
    }

    proptest! {
        /// Any sequence of charges and refunds keeps total = taken + available, and never
        /// goes below zero.
        #[test]
        fn the_ledger_always_balances(total in 0u32..60, ops in proptest::collection::vec((any::<bool>(), 0u32..10), 0..50)) {
            let mut balance = YearBalance::new(2026, total, 0).unwrap();
            for (is_charge, days) in ops {
                let next = if is_charge { balance.charge(days) } else { balance.refund(days) };
                if let Ok(next) = next {
                    balance = next;
                }
                prop_assert_eq!(balance.taken() + balance.available(), balance.total());
                prop_assert_eq!(YearBalance::from_stored(2026, balance.total(), balance.taken(), balance.available()), Ok(balance));
            }
        }
    }
}
