//! The people and data of the tests, and the ledger assertion every write test ends with.

use chrono::NaiveDate;
use domain::{Employee, EmployeeId, EmployeeStatus, YearBalance};
use store::Store;

/// The date the store tests take as today: every date they book is on or after it.
pub fn test_today() -> NaiveDate {
    date("2025-01-01")
}

/// An employee acting for themselves, in a test request.
pub fn by_employee(id: EmployeeId) -> store::Attribution {
    store::Attribution::new(domain::Actor::employee(id), "test")
}

/// HR user 999 acting on `target`'s vacations, in a test request.
pub fn by_hr(target: EmployeeId) -> store::Attribution {
    let hr = EmployeeId::new(999).unwrap_or_else(|e| panic!("{e}"));
    store::Attribution::new(domain::Actor::hr(hr, target), "test-hr")
}

/// Parses an ISO date (test input only).
pub fn date(text: &str) -> NaiveDate {
    domain::parse_iso_date(text).unwrap_or_else(|e| panic!("{e}"))
}

/// Employee `id`, named after the original data.
pub fn employee(id: u32, status: EmployeeStatus) -> Employee {
    Employee::new(
        EmployeeId::new(id).unwrap_or_else(|e| panic!("{e}")),
        format!("Employee {id}"),
        "Developer",
        date("2019-03-01"),
        status,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Writes employee `id` with the given `(year, total, taken)` balances.
pub async fn seed(
    store: &Store,
    id: u32,
    status: EmployeeStatus,
    balances: &[(i32, u32, u32)],
) -> EmployeeId {
    let employee = employee(id, status);
    let balances: Vec<YearBalance> = balances
        .iter()
        .map(|&(year, total, taken)| {
            YearBalance::new(year, total, taken).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    store
        .put_employee(&employee, &balances)
        .await
        .unwrap_or_else(|e| panic!("seeding failed: {e:?}"));
    employee.id()
}

/// Reads the employee's whole partition and panics on any broken invariant:
/// `total = taken + available` for every year, and claims match reservations exactly.
pub async fn assert_ledger_sound(store: &Store, employee: EmployeeId) -> domain::ledger::Ledger {
    let ledger = store
        .ledger(employee)
        .await
        .unwrap_or_else(|e| panic!("reading the ledger failed: {e:?}"));
    let violations = ledger.audit();
    assert!(
        violations.is_empty(),
        "ledger of employee {employee} is broken:\n{}",
        violations
            .iter()
            .map(|v| format!("  - {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    ledger
}
