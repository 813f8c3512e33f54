//! The balances this process last saw, as the first guess of a change's plan.
//!
//! A change conditions every balance update on the exact figures it planned from (see
//! [`crate::change`]), so a guess is never trusted: a wrong one makes DynamoDB refuse the
//! transaction and return the balance as it is, and the change is planned again from that.
//! A right one saves the consistent read before the write — the common case in a Lambda
//! that just answered "how many days do I have left?", or that booked for the same
//! employee a moment ago.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use domain::{EmployeeId, YearBalance};

/// Last-seen balances by employee and year, at most [`RecentBalances::CAPACITY`].
#[derive(Debug, Default)]
pub(crate) struct RecentBalances(Mutex<HashMap<(EmployeeId, i32), YearBalance>>);

impl RecentBalances {
    /// More entries than this and the memory starts over: a guess is only an optimisation.
    pub(crate) const CAPACITY: usize = 10_000;

    /// The last-seen balances of every one of `years`, or `None` if any is unknown.
    pub(crate) fn get(
        &self,
        employee: EmployeeId,
        years: &[i32],
    ) -> Option<BTreeMap<i32, YearBalance>> {
        let seen = self.0.lock().ok()?;
        years
            .iter()
            .map(|y| seen.get(&(employee, *y)).map(|b| (*y, *b)))
            .collect()
    }

    /// Remembers `balances` as `employee`'s latest.
    pub(crate) fn remember<'a>(
        &self,
        employee: EmployeeId,
        balances: impl IntoIterator<Item = &'a YearBalance>,
    ) {
        let Ok(mut seen) = self.0.lock() else { return };
        for b in balances {
            if seen.len() >= Self::CAPACITY && !seen.contains_key(&(employee, b.year())) {
                seen.clear();
            }
            seen.insert((employee, b.year()), *b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    #[test]
    fn a_guess_needs_every_year_and_is_per_employee() {
        let recent = RecentBalances::default();
        let b26 = YearBalance::new(2026, 20, 3).unwrap();
        recent.remember(id(2), [&b26]);
        assert_eq!(recent.get(id(2), &[2026]).unwrap()[&2026], b26);
        assert!(recent.get(id(2), &[2025, 2026]).is_none());
        assert!(recent.get(id(3), &[2026]).is_none());
        let later = b26.charge(2).unwrap();
        recent.remember(id(2), [&later]);
        assert_eq!(recent.get(id(2), &[2026]).unwrap()[&2026], later);
    }

    #[test]
    fn memory_is_bounded() {
        let recent = RecentBalances::default();
        for n in 1..=(RecentBalances::CAPACITY as u32 + 5) {
            recent.remember(id(n), [&YearBalance::new(2026, 1, 0).unwrap()]);
        }
        assert!(recent.0.lock().unwrap().len() <= RecentBalances::CAPACITY);
    }
}
