//! The log line of a call, the same on every transport: ids and outcome codes only (no
//! names, no user text, no other arguments).

use std::time::Instant;

use domain::EmployeeId;

use crate::args::Request;
use crate::caller::Caller;
use crate::catalogue::Tool;
use crate::outcome::Outcome;

/// What is known of a call so far, kept as it is learnt so that a call cut off by its
/// deadline still logs its tool, caller and employee.
#[derive(Debug, Clone, Default)]
pub struct CallRecord {
    /// The tool, once known.
    pub tool: Option<&'static Tool>,
    /// The caller, once identified.
    pub caller: Option<Caller>,
    /// Whose data the call touches, once its arguments parsed.
    pub employee: Option<EmployeeId>,
    /// The reservation a cancellation names, logged even when it is refused or cut off.
    pub reservation: Option<String>,
}

impl CallRecord {
    /// Notes whose data a request with valid arguments touches, before it is authorized.
    pub fn requested(&mut self, request: &Request) {
        self.employee = Some(request.employee());
        self.reservation = request.reservation().map(|r| r.as_str().to_owned());
    }

    /// Writes the call's `answered` line: `style` names the transport.
    pub fn log(&self, style: &str, outcome: &Outcome, started: Instant) {
        tracing::info!(
            tool = self.tool.map_or("unknown", |t| t.name),
            style,
            caller_id = self.caller.and_then(|c| c.id()).map(EmployeeId::get),
            caller_role = self.caller.map(|c| c.role()),
            employee = self.employee.map(EmployeeId::get),
            reservation = outcome.reservation_id().or(self.reservation.as_deref()),
            outcome = outcome.code(),
            verdict = ?outcome.verdict,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        );
    }
}
