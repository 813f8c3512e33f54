//! `seeder audit`: the whole table read with a parallel scan, every invariant checked,
//! the partitions with findings read again, and a report naming every violation's keys.
//! Read-only.

use std::error::Error as _;
use std::fmt::Write as _;
use std::time::Instant;

use domain::ledger::Violation;
use serde::Serialize;
use store::{profile_key, violation_keys, AuditReport, ItemKey, Recheck, StoreError};

use crate::console::Console;
use crate::options::Output;
use crate::run::classify;
use crate::SeedError;
use store::Session;

/// The invariants the audit checks, as the report lists them.
pub const INVARIANTS: [&str; 8] = [
    "every year balance: total = taken + available, none negative",
    "every year a reservation charges has a balance whose taken is exactly its days taken earlier plus what its reservations charge",
    "every reservation's days equal the sum of its charges, and its charges are what its day-count policy gives for its dates",
    "every charged day of every reservation is claimed by that reservation (no day booked twice)",
    "every day claim belongs to a reservation that charges that day (no orphan claim)",
    "the history agrees with the reservations: booked and not cancelled exactly when present",
    "no year, reservation, day or history entry is stored twice",
    "every key agrees with its item's attributes, every employee partition has a profile, and every item reads as what it claims to be",
];

/// What `seeder audit` read and found.
#[derive(Debug, Serialize)]
pub struct Audit {
    /// The table.
    pub table: String,
    /// Its endpoint, when not the region's default.
    pub endpoint: Option<String>,
    /// Its region.
    pub region: String,
    /// Segments of the parallel scan.
    pub segments: u32,
    /// Seconds the audit took, re-reads included.
    pub seconds: f64,
    /// Items read by the scan.
    pub items: u64,
    /// Employee profiles.
    pub employees: u64,
    /// Year balances checked.
    pub balances: u64,
    /// Reservations checked.
    pub reservations: u64,
    /// Day claims checked.
    pub claims: u64,
    /// History entries checked.
    pub history: u64,
    /// Items outside employee partitions (the seeder's marker), not audited.
    pub other_items: u64,
    /// Partitions read again because the scan found something in them.
    pub rechecked_employees: u64,
    /// Findings of the scan that the re-read did not confirm.
    pub cleared_on_recheck: u64,
    /// Whether every invariant holds.
    pub clean: bool,
    /// Every violation, by employee.
    pub violations: Vec<Finding>,
}

/// One violation, for people and programs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind: `unbalanced`, `charge_without_balance`, `taken_below_reserved`,
    /// `missing_claim`, `orphan_claim`, `missing_profile` or `unreadable_item`.
    pub kind: &'static str,
    /// Whose data, when the item's key names an employee.
    pub employee: Option<u32>,
    /// What is wrong.
    pub message: String,
    /// The items concerned: wrong, or missing.
    pub keys: Vec<Key>,
}

/// An item's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl From<ItemKey> for Key {
    fn from(key: ItemKey) -> Self {
        Self {
            pk: key.pk,
            sk: key.sk,
        }
    }
}

/// Audits the session's table: see the `audit` subcommand's help. Sends only reads.
pub async fn audit(
    session: &Session,
    segments: u32,
    console: &Console,
) -> Result<Audit, SeedError> {
    let store = &session.store;
    let started = Instant::now();
    store
        .check_table()
        .await
        .map_err(|e| classify(session, e))?;
    let mut progress = console.progress("reading", None);
    let mut report = store
        .audit_with_progress(segments, |n| progress.add(n))
        .await
        .map_err(|e| classify(session, e))?;
    progress.finish();
    let recheck = store
        .recheck(&mut report)
        .await
        .map_err(|e| classify(session, e))?;
    Ok(Audit::new(
        session,
        segments,
        started.elapsed().as_secs_f64(),
        report,
        recheck,
    ))
}

impl Audit {
    fn new(
        session: &Session,
        segments: u32,
        seconds: f64,
        report: AuditReport,
        recheck: Recheck,
    ) -> Self {
        let clean = report.is_clean();
        let mut violations: Vec<Finding> = report.violations.iter().map(finding).collect();
        violations.extend(
            report
                .partitions_without_profile
                .iter()
                .map(|&employee| Finding {
                    kind: "missing_profile",
                    employee: Some(employee.get()),
                    message: format!("employee {employee}: data stored, but no profile"),
                    keys: vec![profile_key(employee).into()],
                }),
        );
        violations.extend(report.unreadable.iter().map(unreadable));
        Self {
            table: session.store.table_name().to_owned(),
            endpoint: session.endpoint.clone(),
            region: session.region.clone(),
            segments,
            seconds,
            items: report.items,
            employees: report.employees,
            balances: report.balances,
            reservations: report.reservations,
            claims: report.claims,
            history: report.history,
            other_items: report.other_items,
            rechecked_employees: recheck.employees,
            cleared_on_recheck: recheck.cleared,
            clean,
            violations,
        }
    }

    /// The report in `output`'s format, ending with a newline.
    pub fn render(&self, output: Output) -> String {
        match output {
            // Serialising plain strings and numbers cannot fail.
            Output::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
            Output::Text => self.text(),
        }
    }

    fn text(&self) -> String {
        let location = match &self.endpoint {
            Some(url) => format!("at {url}"),
            None => format!("in region {}", self.region),
        };
        let mut out = format!("Audit of table {} {location} (read-only)\n", self.table);
        let _ = writeln!(
            out,
            "  read {} items in {:.1} s (parallel scan of {} segments, consistent reads)",
            self.items, self.seconds, self.segments
        );
        let _ = writeln!(
            out,
            "  checked {} employees: {} year balances, {} reservations, {} day claims, {} history entries",
            self.employees, self.balances, self.reservations, self.claims, self.history
        );
        if self.other_items > 0 {
            let _ = writeln!(
                out,
                "  not audited: {} item(s) outside employee partitions (the seeder's marker)",
                self.other_items
            );
        }
        out += "  invariants:\n";
        for invariant in INVARIANTS {
            let _ = writeln!(out, "    - {invariant}");
        }
        if self.rechecked_employees > 0 {
            let _ = writeln!(
                out,
                "  re-read {} employee partition(s) with findings: {} finding(s) not confirmed \
                 (written while the scan ran)",
                self.rechecked_employees, self.cleared_on_recheck
            );
        }
        if self.clean {
            out += "OK: every invariant holds\n";
            return out;
        }
        let _ = writeln!(out, "FAILED: {} violation(s)", self.violations.len());
        for (n, finding) in self.violations.iter().enumerate() {
            let keys = finding
                .keys
                .iter()
                .map(|k| format!("{} / {}", k.pk, k.sk))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(out, "  {}. {}\n     keys: {keys}", n + 1, finding.message);
        }
        out
    }
}

fn finding(violation: &Violation) -> Finding {
    let kind = match violation {
        Violation::Unbalanced { .. } => "unbalanced",
        Violation::ChargeWithoutBalance { .. } => "charge_without_balance",
        Violation::TakenBelowReserved { .. } => "taken_below_reserved",
        Violation::MissingClaim { .. } => "missing_claim",
        Violation::OrphanClaim { .. } => "orphan_claim",
        Violation::TakenMismatch { .. } => "taken_mismatch",
        Violation::Duplicate { .. } => "duplicate",
        Violation::ReservationWithoutHistory { .. } => "reservation_without_history",
        Violation::BookedButMissing { .. } => "booked_but_missing",
    };
    Finding {
        kind,
        employee: Some(violation.employee().get()),
        message: violation.to_string(),
        keys: violation_keys(violation)
            .into_iter()
            .map(Key::from)
            .collect(),
    }
}

fn unreadable(err: &StoreError) -> Finding {
    let (pk, sk) = match err {
        StoreError::CorruptItem { pk, sk, .. } => (pk.clone(), sk.clone()),
        _ => Default::default(),
    };
    let mut message = err.to_string();
    let mut cause = err.source();
    while let Some(e) = cause {
        let _ = write!(message, ": {e}");
        cause = e.source();
    }
    Finding {
        kind: "unreadable_item",
        employee: pk
            .strip_prefix("EMP#")
            .and_then(|id| domain::EmployeeId::parse(id).ok())
            .map(|id| id.get()),
        message,
        keys: vec![Key { pk, sk }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ledger::BalanceFigures;
    use domain::EmployeeId;

    fn audit(report: AuditReport, recheck: Recheck) -> Audit {
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                .build(),
        );
        let session = Session {
            store: store::Store::new(client, "hr-vacations"),
            endpoint: Some("http://localhost:8000".into()),
            region: "us-east-1".into(),
        };
        Audit::new(&session, 8, 1.25, report, recheck)
    }

    fn unbalanced() -> Violation {
        Violation::Unbalanced {
            employee: EmployeeId::new(24).unwrap(),
            figures: BalanceFigures {
                year: 2026,
                total: 20,
                taken: 3,
                available: 18,
                earlier_taken: Some(0),
            },
        }
    }

    #[test]
    fn a_clean_report_says_what_was_checked() {
        let text = audit(
            AuditReport {
                items: 661,
                employees: 20,
                balances: 60,
                reservations: 151,
                claims: 429,
                history: 151,
                other_items: 1,
                ..AuditReport::default()
            },
            Recheck::default(),
        )
        .render(Output::Text);
        assert!(text.starts_with(
            "Audit of table hr-vacations at http://localhost:8000 (read-only)\n  read 661 items in 1.2 s (parallel scan of 8 segments, consistent reads)\n  checked 20 employees: 60 year balances, 151 reservations, 429 day claims, 151 history entries\n"
        ), "{text}");
        for invariant in INVARIANTS {
            assert!(text.contains(invariant), "{text}");
        }
        assert!(text.ends_with("OK: every invariant holds\n"), "{text}");
        assert!(!text.contains("re-read"), "{text}");
    }

    #[test]
    fn every_violation_is_listed_with_its_keys() {
        let corrupt = StoreError::CorruptItem {
            pk: "EMP#7".into(),
            sk: "YEAR#2025".into(),
            source: "total: expected a number, got \"ten\"".into(),
        };
        let employee = EmployeeId::new(9).unwrap();
        let audit = audit(
            AuditReport {
                violations: vec![unbalanced()],
                partitions_without_profile: vec![employee],
                unreadable: vec![corrupt],
                ..AuditReport::default()
            },
            Recheck {
                employees: 2,
                cleared: 1,
            },
        );
        let text = audit.render(Output::Text);
        assert!(
            text.contains(
                "re-read 2 employee partition(s) with findings: 1 finding(s) not confirmed"
            ),
            "{text}"
        );
        assert!(text.contains("FAILED: 3 violation(s)\n  1. employee 24 year 2026: total 20 != taken 3 + available 18 (or a figure is negative, or earlier_taken 0 is outside 0..=taken)\n     keys: EMP#24 / YEAR#2026\n"), "{text}");
        assert!(
            text.contains(
                "  2. employee 9: data stored, but no profile\n     keys: EMP#9 / PROFILE\n"
            ),
            "{text}"
        );
        assert!(text.contains("  3. stored item EMP#7 / YEAR#2025 is invalid: total: expected a number, got \"ten\"\n     keys: EMP#7 / YEAR#2025\n"), "{text}");

        let json: serde_json::Value = serde_json::from_str(&audit.render(Output::Json)).unwrap();
        assert_eq!(json["clean"], false);
        assert_eq!(json["rechecked_employees"], 2);
        let kinds: Vec<&str> = json["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["unbalanced", "missing_profile", "unreadable_item"]);
        assert_eq!(json["violations"][2]["employee"], 7);
        assert_eq!(
            json["violations"][0]["keys"],
            serde_json::json!([{"pk": "EMP#24", "sk": "YEAR#2026"}])
        );
    }
}
