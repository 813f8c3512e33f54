//! How many vacation days a date range costs, and which year pays for them.

use std::fmt;

use chrono::{Datelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::{DateRange, DomainError};

/// The rule that decides which days of a range are charged to the balance.
///
/// The store never counts days itself: it charges what the policy computed, so adding a
/// policy changes nothing below this module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DayCountPolicy {
    /// Every calendar day counts, both ends included: the original system's rule
    /// (2026-01-24 to 2026-01-26 costs 3 days).
    #[default]
    CalendarDays,
    /// Only Monday to Friday count.
    Weekdays,
}

impl DayCountPolicy {
    /// Whether `day` costs a vacation day under this policy.
    pub fn charges(self, day: chrono::NaiveDate) -> bool {
        match self {
            Self::CalendarDays => true,
            Self::Weekdays => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The days `range` costs, split by calendar year: a range crossing New Year charges
    /// each year's balance for its own days. Fails when no day at all is charged.
    pub fn charge(self, range: &DateRange) -> Result<Charge, DomainError> {
        let mut per_year: Vec<YearCharge> = Vec::with_capacity(2);
        for day in range.days().filter(|d| self.charges(*d)) {
            match per_year.last_mut() {
                Some(last) if last.year == day.year() => last.days += 1,
                _ => per_year.push(YearCharge {
                    year: day.year(),
                    days: 1,
                }),
            }
        }
        if per_year.is_empty() {
            return Err(DomainError::NothingToCharge {
                start: range.start(),
                end: range.end(),
            });
        }
        Ok(Charge(per_year))
    }
}

impl DayCountPolicy {
    /// The name the policy is stored and configured under.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CalendarDays => "calendar-days",
            Self::Weekdays => "weekdays",
        }
    }

    /// Which days the policy charges, in words, for tool descriptions and answers.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CalendarDays => "every calendar day of the range is charged, weekends included",
            Self::Weekdays => {
                "only Monday to Friday are charged; Saturdays and Sundays inside the range are free"
            }
        }
    }
}

impl std::str::FromStr for DayCountPolicy {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<Self, DomainError> {
        match text {
            "calendar-days" => Ok(Self::CalendarDays),
            "weekdays" => Ok(Self::Weekdays),
            other => Err(DomainError::InvalidPolicy(crate::error::echo(other))),
        }
    }
}

impl fmt::Display for DayCountPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CalendarDays => "calendar days",
            Self::Weekdays => "weekdays",
        })
    }
}

/// Days charged to one year's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct YearCharge {
    /// The balance's year.
    pub year: i32,
    /// Days charged to it (at least 1).
    pub days: u32,
}

/// The days a reservation costs: one [`YearCharge`] per touched year, in year order, none
/// of them zero, at least one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Charge(Vec<YearCharge>);

impl Charge {
    /// Rebuilds a charge read back from storage, checking it could have come from
    /// `range`: years in order, inside the range, each charged 1 to its day count.
    pub fn from_parts(range: &DateRange, parts: Vec<YearCharge>) -> Result<Self, DomainError> {
        let mismatch = || DomainError::ChargeMismatch {
            start: range.start(),
            end: range.end(),
        };
        if parts.is_empty() || parts.windows(2).any(|w| w[0].year >= w[1].year) {
            return Err(mismatch());
        }
        for part in &parts {
            let days_in_year = range.days().filter(|d| d.year() == part.year).count() as u32;
            if part.days == 0 || part.days > days_in_year {
                return Err(mismatch());
            }
        }
        Ok(Self(parts))
    }

    /// The per-year charges, in year order.
    pub fn years(&self) -> &[YearCharge] {
        &self.0
    }

    /// The years charged, in order.
    pub fn charged_years(&self) -> Vec<i32> {
        self.0.iter().map(|c| c.year).collect()
    }

    /// Days charged in `year` (0 when the year is not touched).
    pub fn days_in(&self, year: i32) -> u32 {
        self.0.iter().find(|c| c.year == year).map_or(0, |c| c.days)
    }

    /// Total days charged across years.
    pub fn total_days(&self) -> u32 {
        self.0.iter().map(|c| c.days).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_iso_date;
    use proptest::prelude::*;

    fn range(a: &str, b: &str) -> DateRange {
        DateRange::parse(a, b).unwrap()
    }

    #[test]
    fn calendar_days_count_both_ends() {
        let charge = DayCountPolicy::CalendarDays
            .charge(&range("2026-01-24", "2026-01-26"))
            .unwrap();
        assert_eq!(
            charge.years(),
            &[YearCharge {
                year: 2026,
                days: 3
            }]
        );
        assert_eq!(charge.total_days(), 3);
    }

    #[test]
    fn a_range_crossing_new_year_charges_each_year_its_own_days() {
        let charge = DayCountPolicy::CalendarDays
            .charge(&range("2025-12-30", "2026-01-02"))
            .unwrap();
        assert_eq!(
            charge.years(),
            &[
                YearCharge {
                    year: 2025,
                    days: 2
                },
                YearCharge {
                    year: 2026,
                    days: 2
                }
            ]
        );
        assert_eq!(charge.days_in(2025), 2);
        assert_eq!(charge.days_in(2027), 0);
    }

    #[test]
    fn weekdays_skip_saturday_and_sunday() {
        // 2026-01-23 is a Friday; the 24th and 25th are the weekend.
        let charge = DayCountPolicy::Weekdays
            .charge(&range("2026-01-23", "2026-01-26"))
            .unwrap();
        assert_eq!(charge.total_days(), 2);
    }

    #[test]
    fn a_weekend_costs_nothing_under_weekdays_and_is_rejected() {
        assert_eq!(
            DayCountPolicy::Weekdays.charge(&range("2026-01-24", "2026-01-25")),
            Err(DomainError::NothingToCharge {
                start: parse_iso_date("2026-01-24").unwrap(),
                end: parse_iso_date("2026-01-25").unwrap()
            })
        );
    }

    #[test]
    fn weekdays_leave_out_a_year_whose_days_are_all_weekend() {
        // 2022-01-01 and 02 are a weekend; 2021-12-31 is a Friday.
        let charge = DayCountPolicy::Weekdays
            .charge(&range("2021-12-31", "2022-01-02"))
            .unwrap();
        assert_eq!(
            charge.years(),
            &[YearCharge {
                year: 2021,
                days: 1
            }]
        );
    }

    #[test]
    fn stored_charges_that_do_not_fit_the_range_are_rejected() {
        let r = range("2025-12-31", "2026-01-01");
        let ok = vec![
            YearCharge {
                year: 2025,
                days: 1,
            },
            YearCharge {
                year: 2026,
                days: 1,
            },
        ];
        assert!(Charge::from_parts(&r, ok).is_ok());
        for bad in [
            vec![],
            vec![YearCharge {
                year: 2025,
                days: 2,
            }],
            vec![YearCharge {
                year: 2024,
                days: 1,
            }],
            vec![YearCharge {
                year: 2026,
                days: 0,
            }],
            vec![
                YearCharge {
                    year: 2026,
                    days: 1,
                },
                YearCharge {
                    year: 2025,
                    days: 1,
                },
            ],
        ] {
            assert!(Charge::from_parts(&r, bad.clone()).is_err(), "{bad:?}");
        }
    }

    fn any_range() -> impl Strategy<Value = DateRange> {
        (0u64..(365 * 30), 0u64..DateRange::MAX_DAYS as u64).prop_map(|(offset, len)| {
            let start = parse_iso_date("2000-01-01").unwrap() + chrono::Days::new(offset);
            DateRange::new(start, start + chrono::Days::new(len)).unwrap()
        })
    }

    proptest! {
        /// Calendar-day charges add up to the range's length, split over at most two years
        /// that the range really touches.
        #[test]
        fn calendar_charges_sum_to_the_range_length(r in any_range()) {
            let charge = DayCountPolicy::CalendarDays.charge(&r).unwrap();
            prop_assert_eq!(charge.total_days(), r.calendar_days());
            prop_assert!(charge.years().len() <= 2);
            prop_assert!(charge.years().iter().all(|c| r.touches_year(c.year) && c.days > 0));
            prop_assert_eq!(Charge::from_parts(&r, charge.years().to_vec()), Ok(charge));
        }

        /// Weekday charges never exceed calendar charges, year by year, and count exactly
        /// the Monday-to-Friday days.
        #[test]
        fn weekday_charges_are_the_weekdays(r in any_range()) {
            let calendar = DayCountPolicy::CalendarDays.charge(&r).unwrap();
            let weekdays = r.days().filter(|d| d.weekday().num_days_from_monday() < 5).count() as u32;
            match DayCountPolicy::Weekdays.charge(&r) {
                Ok(charge) => {
                    prop_assert_eq!(charge.total_days(), weekdays);
                    for c in charge.years() {
                        prop_assert!(c.days <= calendar.days_in(c.year));
                    }
                }
                Err(_) => prop_assert_eq!(weekdays, 0),
            }
        }
    }
}
