//! Key builders for the single-table design.
//!
//! Every item of an employee lives in the employee's partition `EMP#<id>`; the sort key
//! says what the item is. Years are always four digits and dates ISO, so sort keys order
//! chronologically.

use chrono::{Datelike, NaiveDate};
use domain::{EmployeeId, ReservationId};

/// Partition key attribute name.
pub const PK: &str = "PK";
/// Sort key attribute name.
pub const SK: &str = "SK";

/// Sort key of the employee profile.
pub const PROFILE: &str = "PROFILE";
/// Sort-key prefix of year balances.
pub const YEAR_PREFIX: &str = "YEAR#";
/// Sort-key prefix of reservations.
pub const RESERVATION_PREFIX: &str = "RES#";
/// Sort-key prefix of day claims.
pub const DAY_PREFIX: &str = "DAY#";
/// Sort-key prefix of history entries.
pub const HISTORY_PREFIX: &str = "HIST#";

/// `EMP#<id>`: the partition holding everything about one employee.
pub fn employee_pk(id: EmployeeId) -> String {
    format!("EMP#{id}")
}

/// `YEAR#<yyyy>`.
pub fn year_sk(year: i32) -> String {
    format!("{YEAR_PREFIX}{year:04}")
}

/// `RES#<reservation id>`.
pub fn reservation_sk(id: &ReservationId) -> String {
    format!("{RESERVATION_PREFIX}{id}")
}

/// `DAY#<yyyy-mm-dd>`.
pub fn day_sk(date: NaiveDate) -> String {
    format!("{DAY_PREFIX}{}", IsoDate(date))
}

/// `HIST#<time>#<entry id>`: the time in UTC with milliseconds, so entries sort in the
/// order they were written.
pub fn history_sk(at: chrono::DateTime<chrono::Utc>, id: &str) -> String {
    format!("{HISTORY_PREFIX}{}#{id}", timestamp(at))
}

/// A time as stored: RFC 3339 in UTC with milliseconds (`2026-03-01T12:00:00.000Z`).
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `yyyy-mm-dd`, as every date is stored (the domain's years have four digits).
pub fn iso_date(date: NaiveDate) -> String {
    IsoDate(date).to_string()
}

/// Writes a date as `yyyy-mm-dd` with plain integer formatting: chrono's `format` parses
/// its format string on every call, which showed up when writing millions of day claims.
struct IsoDate(NaiveDate);

impl std::fmt::Display for IsoDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let date = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            date.year(),
            date.month(),
            date.day()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape() {
        let id = EmployeeId::new(2).unwrap();
        assert_eq!(employee_pk(id), "EMP#2");
        assert_eq!(year_sk(2026), "YEAR#2026");
        let date = domain::parse_iso_date("2026-01-24").unwrap();
        assert_eq!(day_sk(date), "DAY#2026-01-24");
        let rid = ReservationId::parse("0123456789ab").unwrap();
        assert_eq!(reservation_sk(&rid), "RES#0123456789ab");
        let at = "2026-03-01T12:00:00.5Z".parse().unwrap();
        assert_eq!(
            history_sk(at, "00ff00ff00ff"),
            "HIST#2026-03-01T12:00:00.500Z#00ff00ff00ff"
        );
    }

    #[test]
    fn dates_are_written_as_chrono_writes_iso_dates() {
        let first = domain::parse_iso_date("1970-01-01").unwrap();
        for date in first.iter_days().step_by(13).take(18_000) {
            assert_eq!(iso_date(date), date.format("%Y-%m-%d").to_string());
        }
        let last = chrono::NaiveDate::from_ymd_opt(domain::MAX_YEAR, 12, 31).unwrap();
        assert_eq!(iso_date(last), format!("{}-12-31", domain::MAX_YEAR));
        assert_eq!(day_sk(first), "DAY#1970-01-01");
    }

    #[test]
    fn year_and_day_keys_sort_chronologically() {
        assert!(year_sk(2025) < year_sk(2026));
        let a = domain::parse_iso_date("2026-01-09").unwrap();
        let b = domain::parse_iso_date("2026-01-10").unwrap();
        assert!(day_sk(a) < day_sk(b));
    }
}
