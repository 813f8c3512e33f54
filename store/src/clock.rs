//! Today, in the business time zone: the one place the store (and the tools above it)
//! learn the date and time, so tests and demos can pin it.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Where "now" comes from, and the time zone in which it is a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    zone: Tz,
    fixed: Option<DateTime<Utc>>,
}

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time zone name such as UTC or Europe/Berlin")]
pub struct UnknownTimeZone(pub String);

impl Default for Clock {
    fn default() -> Self {
        Self::system(Tz::UTC)
    }
}

impl Clock {
    /// The system clock, with dates in `zone`.
    pub fn system(zone: Tz) -> Self {
        Self { zone, fixed: None }
    }

    /// A clock stopped at `now` (tests, demos), with dates in `zone`.
    pub fn fixed(now: DateTime<Utc>, zone: Tz) -> Self {
        Self {
            zone,
            fixed: Some(now),
        }
    }

    /// A UTC clock stopped at noon of `date`.
    pub fn on(date: NaiveDate) -> Self {
        Self::on_in(date, Tz::UTC)
    }

    /// A clock stopped at noon of `date` in `zone`, so that `today()` is `date` there.
    pub fn on_in(date: NaiveDate, zone: Tz) -> Self {
        use chrono::TimeZone;
        let noon = date.and_hms_opt(12, 0, 0).unwrap_or_default();
        let now = zone
            .from_local_datetime(&noon)
            .earliest()
            .map_or_else(|| noon.and_utc(), |t| t.with_timezone(&Utc));
        Self::fixed(now, zone)
    }

    /// Parses an IANA time zone name (`UTC`, `Europe/Berlin`).
    pub fn parse_zone(name: &str) -> Result<Tz, UnknownTimeZone> {
        name.parse().map_err(|_| UnknownTimeZone(name.to_owned()))
    }

    /// The same clock with dates in `zone`.
    pub fn in_zone(self, zone: Tz) -> Self {
        Self { zone, ..self }
    }

    /// The time zone dates are taken in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }

    /// Today's date in the business time zone.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&self.zone).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_date_in_the_business_time_zone() {
        let late = "2026-03-09T23:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let utc = Clock::fixed(late, Tz::UTC);
        assert_eq!(utc.today().to_string(), "2026-03-09");
        let berlin = utc.in_zone(Clock::parse_zone("Europe/Berlin").unwrap());
        assert_eq!(berlin.today().to_string(), "2026-03-10");
        let la = utc.in_zone(Clock::parse_zone("America/Los_Angeles").unwrap());
        assert_eq!(la.today().to_string(), "2026-03-09");
    }

    #[test]
    fn an_unknown_zone_is_refused_by_name() {
        assert_eq!(
            Clock::parse_zone("Mars/Olympus"),
            Err(UnknownTimeZone("Mars/Olympus".into()))
        );
        assert_eq!(
            Clock::on(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap())
                .today()
                .to_string(),
            "2026-01-02"
        );
    }

    /// A pinned date is that date in the business zone, even twelve hours and more from UTC.
    #[test]
    fn a_pinned_date_is_the_date_in_its_zone() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        for zone in [
            "Pacific/Auckland",
            "Pacific/Kiritimati",
            "Pacific/Pago_Pago",
            "UTC",
        ] {
            let clock = Clock::on_in(date, Clock::parse_zone(zone).unwrap());
            assert_eq!(clock.today(), date, "{zone}");
        }
    }
}
