//! The audit trail: one immutable entry per booking or cancellation, written in the same
//! transaction as the change itself, so the history can never disagree with the ledger.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::{Actor, DateRange, DayCountPolicy, EmployeeId, Incarnation, ReservationId, YearCharge};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// A reservation was booked.
    Booked,
    /// A reservation was cancelled and its days given back.
    Cancelled,
}

impl ChangeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "booked" => Some(Self::Booked),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One year balance just before and just after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BalanceChange {
    /// The year.
    pub year: i32,
    /// Days granted (unchanged by bookings and cancellations).
    pub total: u32,
    /// `taken` before.
    pub taken_before: u32,
    /// `available` before.
    pub available_before: u32,
    /// `taken` after.
    pub taken_after: u32,
    /// `available` after.
    pub available_after: u32,
}

/// One entry of an employee's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The entry's own id (also the end of its sort key).
    pub id: String,
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// Whose vacations changed.
    pub employee: EmployeeId,
    /// What happened.
    pub kind: ChangeKind,
    /// The reservation booked or cancelled.
    pub reservation: ReservationId,
    /// Which write of that reservation id.
    pub incarnation: Incarnation,
    /// Its days.
    pub range: DateRange,
    /// The policy it was counted under.
    pub policy: DayCountPolicy,
    /// Days charged (booked) or given back (cancelled), per year.
    pub days: Vec<YearCharge>,
    /// Each touched year's balance before and after.
    pub balances: Vec<BalanceChange>,
    /// Who made the change.
    pub actor: Actor,
    /// The request it came from (agent session, request id), for tracing it back.
    pub request: String,
    /// Whether it changed days before today (only HR may).
    pub correction: bool,
}

impl HistoryEntry {
    /// The longest request reference kept.
    pub const MAX_REQUEST_LEN: usize = 200;
}
