//! Pure types and rules of the HR vacation assistant.
//!
//! Nothing here performs I/O: the types are validated on construction (their fields are
//! private and their constructors return [`Result`]), and the rules are plain functions and
//! methods, so the store, the Lambda handler and the seeder all share one definition of what
//! a valid employee, balance, date range or reservation is.
//!
//! - [`EmployeeId`], [`Employee`], [`EmployeeStatus`]: who can take vacations.
//! - [`DateRange`] and [`parse_iso_date`]: inclusive ranges of ISO dates, bounded in length so
//!   that one reservation always fits in one DynamoDB transaction.
//! - [`DayCountPolicy`] and [`Charge`]: how many days a range costs, split per calendar year.
//! - [`YearBalance`]: a year's `total = taken + available` ledger.
//! - [`Reservation`], [`ReservationId`], [`Incarnation`], [`IdempotencyKey`]: a booking and
//!   its identity.
//! - [`Actor`]: who makes a change; [`rules`]: what they may change given today's date;
//!   [`history`]: the entry every change leaves.
#![warn(missing_docs)]

mod actor;
mod balance;
mod dates;
mod employee;
mod error;
pub mod history;
pub mod ledger;
mod policy;
mod reservation;
pub mod rules;

pub use actor::{Actor, ActorRole};
pub use balance::YearBalance;
pub use dates::{parse_iso_date, parse_year, DateRange, MAX_YEAR, MIN_YEAR};
pub use employee::{Employee, EmployeeId, EmployeeStatus};
pub use error::{bounded, DomainError, MAX_ECHO_CHARS};
pub use policy::{Charge, DayCountPolicy, YearCharge};
pub use reservation::{IdempotencyKey, Incarnation, Reservation, ReservationId};
