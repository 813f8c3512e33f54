//! An independent audit of the whole table: a parallel scan, every item regrouped by
//! employee, and [`Ledger::audit`] on each; then [`Store::recheck`] reads the partitions
//! with findings again, since a scan of a table in use is not a snapshot. Read-only, so
//! operators can run it against a live table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use domain::ledger::{Ledger, Violation};
use domain::EmployeeId;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::items::{self, entity, Item};
use crate::keys;
use crate::scan::parallel_scan;
use crate::{Store, StoreError};

/// What an audit read and found.
#[derive(Debug, Default)]
pub struct AuditReport {
    /// Items read.
    pub items: u64,
    /// Employees with a profile.
    pub employees: u64,
    /// Year balances checked.
    pub balances: u64,
    /// Reservations checked.
    pub reservations: u64,
    /// Day claims checked.
    pub claims: u64,
    /// History entries checked.
    pub history: u64,
    /// Items outside employee partitions (e.g. the seeder's marker), not audited. A
    /// partition key that starts with `EMP#` but names no employee (`EMP#02`, `EMP#x`) is
    /// not one of these: it is reported unreadable.
    pub other_items: u64,
    /// Broken invariants, by employee.
    pub violations: Vec<Violation>,
    /// Employee partitions holding data but no profile.
    pub partitions_without_profile: Vec<EmployeeId>,
    /// Items that could not be read as what they claim to be.
    pub unreadable: Vec<StoreError>,
}

impl AuditReport {
    /// Whether every invariant holds.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
            && self.partitions_without_profile.is_empty()
            && self.unreadable.is_empty()
    }
}

/// The key of one item, found broken or missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.pk, self.sk)
    }
}

impl ItemKey {
    fn new(employee: EmployeeId, sk: String) -> Self {
        Self {
            pk: keys::employee_pk(employee),
            sk,
        }
    }
}

/// The keys of the items a violation is about: the items holding the wrong figures or
/// references, and the items that should exist and do not (a missing claim's day, the
/// balance a charge needs), so that an operator can look each one up.
pub fn violation_keys(violation: &Violation) -> Vec<ItemKey> {
    let key = |sk: String| ItemKey::new(violation.employee(), sk);
    match violation {
        Violation::Unbalanced { figures, .. } => vec![key(keys::year_sk(figures.year))],
        Violation::TakenBelowReserved { year, .. } => vec![key(keys::year_sk(*year))],
        Violation::ChargeWithoutBalance {
            reservation, year, ..
        } => vec![
            key(keys::reservation_sk(reservation)),
            key(keys::year_sk(*year)),
        ],
        Violation::MissingClaim {
            reservation, date, ..
        } => vec![
            key(keys::reservation_sk(reservation)),
            key(keys::day_sk(*date)),
        ],
        Violation::OrphanClaim {
            date, reservation, ..
        } => vec![
            key(keys::day_sk(*date)),
            key(keys::reservation_sk(reservation)),
        ],
        Violation::TakenMismatch { year, .. } => vec![key(keys::year_sk(*year))],
        Violation::ReservationWithoutHistory { reservation, .. }
        | Violation::BookedButMissing { reservation, .. } => {
            vec![key(keys::reservation_sk(reservation))]
        }
        // Keys are unique and agree with attributes when read, so a duplicate can only
        // come from a ledger assembled elsewhere: there is no key to name.
        Violation::Duplicate { .. } => vec![],
    }
}

/// The key of the profile a partition lacks.
pub fn profile_key(employee: EmployeeId) -> ItemKey {
    ItemKey::new(employee, keys::PROFILE.to_owned())
}

/// What [`Store::recheck`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recheck {
    /// Employee partitions read again.
    pub employees: u64,
    /// Findings of the scan that the re-read did not confirm (data written while the
    /// scan ran).
    pub cleared: u64,
}

/// Partitions re-read at once by [`Store::recheck`].
const RECHECK_CONCURRENCY: usize = 16;

/// One employee's items, as read.
#[derive(Default)]
struct Partition {
    has_profile: bool,
    ledger: Option<Ledger>,
}

/// Sorts one item into `partitions`, counting it in `report`.
fn file_item(
    item: &Item,
    partitions: &mut BTreeMap<EmployeeId, Partition>,
    report: &mut AuditReport,
) {
    report.items += 1;
    let pk = item.get(keys::PK).and_then(|v| v.as_s().ok());
    let Some(id) = pk.and_then(|pk| pk.strip_prefix("EMP#")) else {
        report.other_items += 1;
        return;
    };
    let Ok(employee) = EmployeeId::parse(id) else {
        report.unreadable.push(items::corrupt(
            item,
            format!(
                "the partition key names no employee (employee ids are written as 2, not {id:?})"
            ),
        ));
        return;
    };
    let partition = partitions.entry(employee).or_default();
    let ledger = partition
        .ledger
        .get_or_insert_with(|| Ledger::empty(employee));
    let filed = match items::entity_of(item) {
        Some(entity::EMPLOYEE) => items::employee_from_item(item).map(|_| {
            partition.has_profile = true;
            report.employees += 1;
        }),
        Some(entity::BALANCE) => items::balance_figures_from_item(item).map(|b| {
            report.balances += 1;
            ledger.balances.push(b);
        }),
        Some(entity::RESERVATION) => items::reservation_from_item(item).map(|r| {
            report.reservations += 1;
            ledger.reservations.push(r);
        }),
        Some(entity::DAY_CLAIM) => items::day_claim_from_item(item).map(|c| {
            report.claims += 1;
            ledger.claims.push(c);
        }),
        Some(entity::HISTORY) => items::history_from_item(item).map(|h| {
            report.history += 1;
            ledger.history.push(h);
        }),
        other => Err(items::corrupt(
            item,
            format!("unknown entity {other:?} in an employee partition"),
        )),
    };
    if let Err(e) = filed {
        report.unreadable.push(e);
    }
}

impl Store {
    /// Reads the whole table with a parallel scan of `segments` segments (strongly
    /// consistent) and checks every employee's ledger. Writes nothing.
    ///
    /// Items are regrouped by employee in memory, in compact form (a few hundred bytes per
    /// reservation), so the scan order does not matter.
    pub async fn audit(&self, segments: u32) -> Result<AuditReport, StoreError> {
        self.audit_with_progress(segments, |_| {}).await
    }

    /// [`Store::audit`], calling `progress` with the number of items of each page read.
    #[tracing::instrument(skip(self, progress), fields(table = %self.table))]
    pub async fn audit_with_progress(
        &self,
        segments: u32,
        mut progress: impl FnMut(u64),
    ) -> Result<AuditReport, StoreError> {
        let segments = segments.clamp(1, 1_000) as usize;
        // Bounded: a slow consumer holds the scanners back instead of buffering the table.
        let (sender, mut pages) = mpsc::channel::<Vec<Item>>(segments * 2);
        let scan = parallel_scan(
            &self.client,
            &self.table,
            segments,
            |scan| scan.consistent_read(true),
            move |page| {
                let sender = sender.clone();
                async move {
                    let read = sender.send(page.items.unwrap_or_default()).await;
                    Ok(if read.is_ok() {
                        ControlFlow::Continue(())
                    } else {
                        ControlFlow::Break(())
                    })
                }
            },
        );
        let mut report = AuditReport::default();
        let mut partitions = BTreeMap::new();
        let file = async {
            // Ends when the scan is over and every sender is gone.
            while let Some(page) = pages.recv().await {
                progress(page.len() as u64);
                for item in page {
                    file_item(&item, &mut partitions, &mut report);
                }
            }
        };
        let (scanned, ()) = tokio::join!(scan, file);
        scanned?;
        for (employee, partition) in partitions {
            if !partition.has_profile {
                report.partitions_without_profile.push(employee);
            }
            if let Some(ledger) = partition.ledger {
                report.violations.extend(ledger.audit());
            }
        }
        Ok(report)
    }

    /// Reads again, with one consistent query each, the partitions the audit found
    /// something wrong in, and keeps only what the re-read confirms (findings that were
    /// not there before are kept too). A scan is not a snapshot: a booking or a
    /// cancellation committed while it ran can look half-applied in it, and a partition
    /// seeded while it ran can look as if it had no profile. Writes nothing.
    ///
    /// A partition holding an unreadable item keeps the scan's findings (the item is
    /// reported in [`AuditReport::unreadable`] either way).
    #[tracing::instrument(skip(self, report), fields(table = %self.table))]
    pub async fn recheck(&self, report: &mut AuditReport) -> Result<Recheck, StoreError> {
        let suspects: BTreeSet<EmployeeId> = report
            .violations
            .iter()
            .map(Violation::employee)
            .chain(report.partitions_without_profile.iter().copied())
            .collect();
        let mut recheck = Recheck {
            employees: suspects.len() as u64,
            cleared: 0,
        };
        if suspects.is_empty() {
            return Ok(recheck);
        }

        let permits = Arc::new(Semaphore::new(RECHECK_CONCURRENCY));
        let mut reads = JoinSet::new();
        for employee in suspects {
            let (store, permits) = (self.clone(), permits.clone());
            reads.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let reread = store
                    .ledger_and_profile(employee)
                    .await
                    .map(|(ledger, has_profile)| (ledger.audit(), has_profile));
                (employee, reread)
            });
        }
        let mut now: BTreeMap<EmployeeId, (Vec<Violation>, bool)> = BTreeMap::new();
        while let Some(joined) = reads.join_next().await {
            let (employee, reread) = match joined {
                Ok(done) => done,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Never aborted; were one cancelled, the scan's findings would stand.
                Err(_) => continue,
            };
            match reread {
                Ok(found) => {
                    now.insert(employee, found);
                }
                // The unreadable item is reported already; keep what the scan found.
                Err(StoreError::CorruptItem { .. }) => {}
                Err(e) => return Err(e),
            }
        }

        let scanned = std::mem::take(&mut report.violations);
        let mut violations = Vec::with_capacity(scanned.len());
        for v in scanned {
            match now.get(&v.employee()) {
                None => violations.push(v),
                Some((found, _)) if !found.contains(&v) => recheck.cleared += 1,
                Some(_) => {}
            }
        }
        report.partitions_without_profile.retain(|e| {
            let gone = now.get(e).is_some_and(|(_, has_profile)| *has_profile);
            recheck.cleared += u64::from(gone);
            !gone
        });
        for (found, _) in now.into_values() {
            violations.extend(found);
        }
        // Stable: each employee's findings stay in the order the ledger audit gives.
        violations.sort_by_key(Violation::employee);
        report.violations = violations;
        Ok(recheck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use domain::{
        DateRange, DayCountPolicy, IdempotencyKey, Reservation, ReservationId, YearBalance,
    };

    fn employee() -> EmployeeId {
        EmployeeId::new(3).unwrap()
    }

    fn reservation() -> Reservation {
        let range = DateRange::parse("2026-02-02", "2026-02-03").unwrap();
        let id = ReservationId::derive(employee(), &IdempotencyKey::new("k").unwrap());
        let incarnation = domain::Incarnation::parse("0123456789abcdef").unwrap();
        Reservation::new(
            id,
            employee(),
            range,
            DayCountPolicy::CalendarDays,
            incarnation,
        )
        .unwrap()
    }

    fn file_all(items: &[Item]) -> AuditReport {
        let mut report = AuditReport::default();
        let mut partitions = BTreeMap::new();
        for item in items {
            file_item(item, &mut partitions, &mut report);
        }
        for (employee, partition) in partitions {
            if !partition.has_profile {
                report.partitions_without_profile.push(employee);
            }
            report.violations.extend(partition.ledger.unwrap().audit());
        }
        report
    }

    #[test]
    fn a_sound_partition_in_any_order_is_clean() {
        let r = reservation();
        let profile = items::employee_item(
            &domain::Employee::new(
                employee(),
                "Tom Brown",
                "Analyst",
                domain::parse_iso_date("2020-01-01").unwrap(),
                domain::EmployeeStatus::Active,
            )
            .unwrap(),
        );
        let booked = crate::bulk::seeded_history(
            &r,
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "seed 1".into(),
        );
        let mut all = vec![
            items::day_claim_item(employee(), r.range().end(), r.id()),
            items::balance_item_with(employee(), &YearBalance::new(2026, 10, 2).unwrap(), 0),
            items::reservation_item(&r),
            profile,
            items::history_item(&booked),
            items::day_claim_item(employee(), r.range().start(), r.id()),
            items::key("META".into(), "SEED".into()),
        ];
        let report = file_all(&all);
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(
            (
                report.items,
                report.employees,
                report.claims,
                report.history,
                report.other_items
            ),
            (7, 1, 2, 1, 1)
        );

        all.remove(0); // a claim goes missing
        all.remove(2); // and so does the profile
        let report = file_all(&all);
        assert!(matches!(
            report.violations[..],
            [Violation::MissingClaim { .. }]
        ));
        assert_eq!(report.partitions_without_profile, vec![employee()]);
    }

    #[test]
    fn each_violation_names_the_keys_of_its_items() {
        let r = reservation();
        let rid = r.id().clone();
        let day = r.range().start();
        let keys_of = |v: Violation| -> Vec<String> {
            violation_keys(&v).iter().map(ToString::to_string).collect()
        };
        let figures = domain::ledger::BalanceFigures {
            year: 2026,
            total: 1,
            taken: 1,
            available: 1,
            earlier_taken: Some(0),
        };
        let e = employee();
        assert_eq!(
            keys_of(Violation::Unbalanced {
                employee: e,
                figures
            }),
            ["EMP#3 / YEAR#2026"]
        );
        assert_eq!(
            keys_of(Violation::TakenBelowReserved {
                employee: e,
                year: 2025,
                taken: 0,
                reserved: 2
            }),
            ["EMP#3 / YEAR#2025"]
        );
        let res = format!("EMP#3 / RES#{rid}");
        assert_eq!(
            keys_of(Violation::ChargeWithoutBalance {
                employee: e,
                reservation: rid.clone(),
                year: 2027
            }),
            [res.as_str(), "EMP#3 / YEAR#2027"]
        );
        assert_eq!(
            keys_of(Violation::MissingClaim {
                employee: e,
                reservation: rid.clone(),
                date: day,
                held_by: None
            }),
            [res.as_str(), "EMP#3 / DAY#2026-02-02"]
        );
        assert_eq!(
            keys_of(Violation::OrphanClaim {
                employee: e,
                date: day,
                reservation: rid.clone()
            }),
            ["EMP#3 / DAY#2026-02-02", res.as_str()]
        );
        assert_eq!(profile_key(e).to_string(), "EMP#3 / PROFILE");
    }

    /// `EMP#02` is no employee's partition and no foreign item either: it is reported.
    #[test]
    fn a_partition_key_that_names_no_employee_is_unreadable_not_foreign() {
        let mut profile = items::key("EMP#02".into(), "PROFILE".into());
        profile.insert("entity".into(), AttributeValue::S("Employee".into()));
        let report = file_all(&[profile, items::key("META".into(), "SEED".into())]);
        assert_eq!(report.other_items, 1, "only the marker");
        assert!(
            matches!(&report.unreadable[..], [StoreError::CorruptItem { pk, .. }] if pk == "EMP#02"),
            "{report:?}"
        );
        assert!(!report.is_clean());
    }

    #[test]
    fn an_unreadable_item_is_reported_not_fatal() {
        let mut balance = items::balance_item(employee(), &YearBalance::new(2026, 10, 2).unwrap());
        balance.insert("total".into(), AttributeValue::S("ten".into()));
        let report = file_all(&[balance]);
        assert!(matches!(
            report.unreadable[..],
            [StoreError::CorruptItem { .. }]
        ));
        assert!(!report.is_clean());
    }
}
