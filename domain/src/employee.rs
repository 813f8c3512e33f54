//! Employees and their identifiers.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// An employee's number: a positive whole number (1, 2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct EmployeeId(u32);

impl EmployeeId {
    /// The largest id accepted: nine digits, so parsing never overflows.
    pub const MAX: u32 = 999_999_999;

    /// Wraps a number, rejecting 0 and values above [`EmployeeId::MAX`].
    pub fn new(value: u32) -> Result<Self, DomainError> {
        if value == 0 || value > Self::MAX {
            return Err(DomainError::InvalidEmployeeId(value.to_string()));
        }
        Ok(Self(value))
    }

    /// Parses text strictly: ASCII digits only, no sign, no spaces, no decimal point, no
    /// leading zero. `"2"` is an id; `" 2"`, `"2.0"`, `"+2"` and `"02"` are not.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::InvalidEmployeeId(crate::error::echo(text));
        let well_formed = !text.is_empty()
            && text.len() <= 9
            && text.bytes().all(|b| b.is_ascii_digit())
            && !text.starts_with('0');
        if !well_formed {
            return Err(invalid());
        }
        let value = text.parse::<u32>().map_err(|_| invalid())?;
        Self::new(value)
    }

    /// The number itself.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for EmployeeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for EmployeeId {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<u32> for EmployeeId {
    type Error = DomainError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<EmployeeId> for u32 {
    fn from(id: EmployeeId) -> Self {
        id.0
    }
}

/// Whether an employee may book vacations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EmployeeStatus {
    /// Currently employed: may book.
    Active,
    /// No longer (or not yet) employed: may not book.
    Inactive,
}

impl EmployeeStatus {
    /// The status as stored and shown: `Active` or `Inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }
}

impl fmt::Display for EmployeeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EmployeeStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Active" => Ok(Self::Active),
            "Inactive" => Ok(Self::Inactive),
            other => Err(DomainError::InvalidStatus(crate::error::echo(other))),
        }
    }
}

/// An employee's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    id: EmployeeId,
    name: String,
    job_title: String,
    start_date: NaiveDate,
    status: EmployeeStatus,
}

impl Employee {
    /// The longest name or job title accepted.
    pub const MAX_TEXT: usize = 100;

    /// Builds a profile; the name and job title must be 1 to [`Employee::MAX_TEXT`]
    /// characters and not blank.
    pub fn new(
        id: EmployeeId,
        name: impl Into<String>,
        job_title: impl Into<String>,
        start_date: NaiveDate,
        status: EmployeeStatus,
    ) -> Result<Self, DomainError> {
        let name = checked_text("name", name.into())?;
        let job_title = checked_text("job title", job_title.into())?;
        Ok(Self {
            id,
            name,
            job_title,
            start_date,
            status,
        })
    }

    /// The employee's number.
    pub fn id(&self) -> EmployeeId {
        self.id
    }
    /// Full name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Job title.
    pub fn job_title(&self) -> &str {
        &self.job_title
    }
    /// First day of employment.
    pub fn start_date(&self) -> NaiveDate {
        self.start_date
    }
    /// Whether the employee may book.
    pub fn status(&self) -> EmployeeStatus {
        self.status
    }
}

fn checked_text(field: &'static str, value: String) -> Result<String, DomainError> {
    let chars = value.chars().count();
    if value.trim().is_empty() || chars > Employee::MAX_TEXT {
        return Err(DomainError::InvalidText {
            field,
            max: Employee::MAX_TEXT,
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_plain_number_is_an_employee_id() {
        assert_eq!(EmployeeId::parse("2").unwrap().get(), 2);
        assert_eq!(EmployeeId::parse("999999999").unwrap().get(), 999_999_999);
    }

    #[test]
    fn anything_but_plain_digits_is_rejected() {
        for bad in [
            "",
            " 2",
            "2 ",
            "2.0",
            "+2",
            "-2",
            "02",
            "0",
            "1e3",
            "two",
            "１",
            "1000000000",
        ] {
            assert_eq!(
                EmployeeId::parse(bad),
                Err(DomainError::InvalidEmployeeId(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn status_round_trips_through_text() {
        for status in [EmployeeStatus::Active, EmployeeStatus::Inactive] {
            assert_eq!(status.as_str().parse::<EmployeeStatus>(), Ok(status));
        }
        assert!("active".parse::<EmployeeStatus>().is_err());
    }

    #[test]
    fn a_blank_name_is_rejected() {
        let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let id = EmployeeId::new(1).unwrap();
        let err = Employee::new(id, "  ", "Manager", date, EmployeeStatus::Active).unwrap_err();
        assert!(matches!(
            err,
            DomainError::InvalidText { field: "name", .. }
        ));
        let long = "x".repeat(Employee::MAX_TEXT + 1);
        assert!(Employee::new(id, "Jane", long, date, EmployeeStatus::Active).is_err());
    }

    proptest! {
        /// Every id's canonical text parses back to the same id.
        #[test]
        fn display_then_parse_is_identity(n in 1u32..=EmployeeId::MAX) {
            let id = EmployeeId::new(n).unwrap();
            prop_assert_eq!(EmployeeId::parse(&id.to_string()), Ok(id));
        }

        /// Parsing arbitrary text never panics, and accepts only canonical digits.
        #[test]
        fn parsing_arbitrary_text_accepts_only_canonical_digits(s in "\\PC{0,12}") {
            if let Ok(id) = EmployeeId::parse(&s) {
                prop_assert_eq!(id.to_string(), s);
            }
        }
    }
}
