//! ISO dates and inclusive date ranges.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::DomainError;

/// The lowest year the assistant accepts in a date or a year parameter.
pub const MIN_YEAR: i32 = 1970;
/// The highest year the assistant accepts in a date or a year parameter.
pub const MAX_YEAR: i32 = 2200;

/// Parses a date written exactly as `YYYY-MM-DD` (ISO 8601 calendar date, zero-padded).
///
/// Stricter than `chrono`'s `%Y-%m-%d`, which accepts `2026-1-5`, signs and extra digits:
/// dates are also sort keys in the table, so only the canonical form is allowed.
pub fn parse_iso_date(text: &str) -> Result<NaiveDate, DomainError> {
    let invalid = || DomainError::InvalidDate(crate::error::echo(text));
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(invalid());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid())?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        return Err(invalid());
    }
    Ok(date)
}

/// Parses a calendar year written as four digits, between [`MIN_YEAR`] and [`MAX_YEAR`].
pub fn parse_year(text: &str) -> Result<i32, DomainError> {
    let invalid = || DomainError::InvalidYear {
        got: crate::error::echo(text),
        min: MIN_YEAR,
        max: MAX_YEAR,
    };
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let year = text.parse::<i32>().map_err(|_| invalid())?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(invalid());
    }
    Ok(year)
}

/// An inclusive range of days, `start ..= end`, at most [`DateRange::MAX_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

impl DateRange {
    /// The longest range, in calendar days. A reservation writes one day claim per calendar
    /// day plus the reservation, the employee check and up to two year balances, and a
    /// DynamoDB transaction holds at most 100 actions: 90 leaves room to spare.
    pub const MAX_DAYS: u32 = 90;

    /// Builds the range `start ..= end`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, DomainError> {
        if end < start {
            return Err(DomainError::EndBeforeStart { start, end });
        }
        let days = u32::try_from((end - start).num_days() + 1).unwrap_or(u32::MAX);
        if days > Self::MAX_DAYS {
            return Err(DomainError::RangeTooLong {
                days,
                max: Self::MAX_DAYS,
            });
        }
        Ok(Self { start, end })
    }

    /// Parses both ends with [`parse_iso_date`], then builds the range.
    pub fn parse(start: &str, end: &str) -> Result<Self, DomainError> {
        Self::new(parse_iso_date(start)?, parse_iso_date(end)?)
    }

    /// First day, included.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// Last day, included.
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Number of calendar days, both ends included (at least 1).
    pub fn calendar_days(&self) -> u32 {
        // Bounded by MAX_DAYS at construction.
        (self.end - self.start).num_days() as u32 + 1
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(move |d| *d <= self.end)
    }

    /// Whether the range shares at least one day with `year`.
    pub fn touches_year(&self, year: i32) -> bool {
        self.start.year() <= year && year <= self.end.year()
    }

    /// Whether the two ranges share at least one day.
    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).unwrap()
    }

    #[test]
    fn the_original_example_spans_three_days() {
        let range = DateRange::parse("2026-01-24", "2026-01-26").unwrap();
        assert_eq!(range.calendar_days(), 3);
        assert_eq!(range.days().count(), 3);
    }

    #[test]
    fn a_single_day_is_a_range_of_one() {
        assert_eq!(
            DateRange::parse("2026-03-01", "2026-03-01")
                .unwrap()
                .calendar_days(),
            1
        );
    }

    #[test]
    fn a_range_ending_before_it_starts_is_rejected() {
        assert_eq!(
            DateRange::parse("2026-01-26", "2026-01-24"),
            Err(DomainError::EndBeforeStart {
                start: d("2026-01-26"),
                end: d("2026-01-24")
            })
        );
    }

    #[test]
    fn a_range_longer_than_the_maximum_is_rejected() {
        assert!(DateRange::parse("2026-01-01", "2026-03-31").is_ok()); // 90 days
        assert_eq!(
            DateRange::parse("2026-01-01", "2026-04-01"),
            Err(DomainError::RangeTooLong { days: 91, max: 90 })
        );
        assert_eq!(
            DateRange::parse("1970-01-01", "2200-12-31"),
            Err(DomainError::RangeTooLong {
                days: 84_371,
                max: 90
            })
        );
    }

    #[test]
    fn only_canonical_iso_dates_are_accepted() {
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
        for bad in [
            "2026-1-24",
            "2026/01/24",
            "24-01-2026",
            "2026-01-24T00:00:00",
            " 2026-01-24",
            "2026−01−24", // the original seeder's Unicode minus signs
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "+026-01-24",
            "1969-12-31",
            "2201-01-01",
            "",
        ] {
            assert_eq!(
                parse_iso_date(bad),
                Err(DomainError::InvalidDate(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn years_are_four_digits_in_bounds() {
        assert_eq!(parse_year("2026"), Ok(2026));
        for bad in ["26", "02026", "2026.0", " 2026", "1969", "2201", "year"] {
            assert!(parse_year(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn overlap_is_inclusive_at_both_ends() {
        let a = DateRange::parse("2026-01-10", "2026-01-12").unwrap();
        let b = DateRange::parse("2026-01-12", "2026-01-15").unwrap();
        let c = DateRange::parse("2026-01-13", "2026-01-15").unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..(365 * 200)).prop_map(|n| d("1980-01-01") + chrono::Days::new(n as u64))
    }

    proptest! {
        /// A valid range's day count is its length, and its days are consecutive.
        #[test]
        fn valid_ranges_count_their_days(start in any_date(), len in 0u64..120) {
            let end = start + chrono::Days::new(len);
            match DateRange::new(start, end) {
                Ok(range) => {
                    prop_assert!(len < DateRange::MAX_DAYS as u64);
                    prop_assert_eq!(range.calendar_days() as u64, len + 1);
                    let days: Vec<_> = range.days().collect();
                    prop_assert_eq!(days.first().copied(), Some(start));
                    prop_assert_eq!(days.last().copied(), Some(end));
                    prop_assert!(days.windows(2).all(|w| w[0].succ_opt() == Some(w[1])));
                }
                Err(e) => {
                    prop_assert!(len >= DateRange::MAX_DAYS as u64);
                    prop_assert_eq!(e, DomainError::RangeTooLong { days: len as u32 + 1, max: DateRange::MAX_DAYS });
                }
            }
        }

        /// Every in-bounds date's ISO text parses back to itself.
        #[test]
        fn iso_text_round_trips(date in any_date()) {
            prop_assert_eq!(parse_iso_date(&date.format("%Y-%m-%d").to_string()), Ok(date));
        }

        /// Arbitrary text never panics the parser, and what it accepts is canonical.
        #[test]
        fn parsing_arbitrary_text_is_total(s in "\\PC{0,14}") {
            if let Ok(date) = parse_iso_date(&s) {
                prop_assert_eq!(date.format("%Y-%m-%d").to_string(), s);
            }
        }
    }
}
