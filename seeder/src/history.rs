//! `seeder history`: one employee's audit trail, read-only — every booking and cancellation
//! with who made it, in which request, and each year's balance before and after.

use std::fmt::Write as _;

use domain::history::HistoryEntry;
use domain::EmployeeId;
use serde::Serialize;

use crate::options::Output;
use crate::run::classify;
use crate::SeedError;
use store::Session;

/// One employee's history, as printed.
#[derive(Debug, Serialize)]
pub struct History {
    /// The table.
    pub table: String,
    /// Whose history.
    pub employee: u32,
    /// The entries, oldest first.
    pub entries: Vec<Entry>,
}

/// One entry, for people and programs.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// `booked` or `cancelled`.
    pub event: &'static str,
    /// The reservation.
    pub reservation_id: String,
    /// Which write of that reservation id.
    pub incarnation: String,
    /// First day.
    pub start_date: String,
    /// Last day.
    pub end_date: String,
    /// The day-count policy.
    pub policy: &'static str,
    /// Days charged or given back, per year.
    pub days: Vec<YearDays>,
    /// Each touched year's balance before and after (none for seeded bookings, whose
    /// balances were written already charged).
    pub balances: Vec<Balance>,
    /// Who: `employee`, `hr`, `local-demo` or `seeder`.
    pub actor_role: &'static str,
    /// The acting user's id, when known.
    pub actor_id: Option<u32>,
    /// The request it came from.
    pub request: String,
    /// Whether HR changed days before today.
    pub correction: bool,
}

/// Days of one year.
#[derive(Debug, Serialize)]
pub struct YearDays {
    /// The year.
    pub year: i32,
    /// The days.
    pub days: u32,
}

/// One year's balance before and after a change.
#[derive(Debug, Serialize)]
pub struct Balance {
    /// The year.
    pub year: i32,
    /// Days granted.
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

impl From<&HistoryEntry> for Entry {
    fn from(h: &HistoryEntry) -> Self {
        Self {
            at: store::keys::timestamp(h.at),
            event: h.kind.as_str(),
            reservation_id: h.reservation.to_string(),
            incarnation: h.incarnation.to_string(),
            start_date: store::keys::iso_date(h.range.start()),
            end_date: store::keys::iso_date(h.range.end()),
            policy: h.policy.as_str(),
            days: h
                .days
                .iter()
                .map(|c| YearDays {
                    year: c.year,
                    days: c.days,
                })
                .collect(),
            balances: h
                .balances
                .iter()
                .map(|b| Balance {
                    year: b.year,
                    total: b.total,
                    taken_before: b.taken_before,
                    available_before: b.available_before,
                    taken_after: b.taken_after,
                    available_after: b.available_after,
                })
                .collect(),
            actor_role: h.actor.role.as_str(),
            actor_id: h.actor.user.map(EmployeeId::get),
            request: h.request.clone(),
            correction: h.correction,
        }
    }
}

/// Reads `employee`'s history from the session's table. Sends one Query (and pages).
pub async fn history(session: &Session, employee: EmployeeId) -> Result<History, SeedError> {
    let entries = session
        .store
        .history(employee)
        .await
        .map_err(|e| classify(session, e))?;
    Ok(History {
        table: session.store.table_name().to_owned(),
        employee: employee.get(),
        entries: entries.iter().map(Entry::from).collect(),
    })
}

impl History {
    /// The history in `output`'s format, ending with a newline.
    pub fn render(&self, output: Output) -> String {
        match output {
            // Plain strings, numbers and booleans: serialising cannot fail.
            Output::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
            Output::Text => self.text(),
        }
    }

    fn text(&self) -> String {
        let mut out = format!(
            "History of employee {} in table {} ({} entr{})\n",
            self.employee,
            self.table,
            self.entries.len(),
            if self.entries.len() == 1 { "y" } else { "ies" }
        );
        for e in &self.entries {
            let who = match e.actor_id {
                Some(id) => format!("{} {id}", e.actor_role),
                None => e.actor_role.to_owned(),
            };
            let days: Vec<String> = e
                .days
                .iter()
                .map(|d| format!("{} day(s) of {}", d.days, d.year))
                .collect();
            let _ = write!(
                out,
                "  {}  {:<9} {} {}..{}  {}  by {who}{}  ({})",
                e.at,
                e.event,
                e.reservation_id,
                e.start_date,
                e.end_date,
                days.join(", "),
                if e.correction { " [correction]" } else { "" },
                e.request
            );
            for b in &e.balances {
                let _ = write!(
                    out,
                    "\n      {}: taken {} -> {}, available {} -> {} (of {})",
                    b.year,
                    b.taken_before,
                    b.taken_after,
                    b.available_before,
                    b.available_after,
                    b.total
                );
            }
            out.push('\n');
        }
        out
    }
}
