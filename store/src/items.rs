//! Item ⇄ domain conversions. Items are written as attribute maps built directly from the
//! domain values (the seeder writes millions of them, and an intermediate struct copied
//! again by `serde_dynamo` doubled the allocations of every string), and read back through
//! plain serde structs with `serde_dynamo`, re-validated by the domain constructors, so a
//! corrupt item is an error, never a silently wrong value. A test pins each written map to
//! what `serde_dynamo` makes of the same struct, so writer and reader cannot drift apart.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use domain::ledger::{BalanceFigures, DayClaim};
use domain::{
    parse_iso_date, Charge, DateRange, DomainError, Employee, EmployeeId, Reservation,
    ReservationId, YearBalance, YearCharge,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::keys;
use crate::StoreError;

/// A DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// The `entity` attribute of each kind of item, so a scan can tell them apart without
/// parsing keys.
pub(crate) mod entity {
    pub const EMPLOYEE: &str = "Employee";
    pub const BALANCE: &str = "Balance";
    pub const RESERVATION: &str = "Reservation";
    pub const DAY_CLAIM: &str = "DayClaim";
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct EmployeeItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub employee_id: u32,
    pub name: String,
    pub job_title: String,
    pub start_date: String,
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BalanceItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub employee_id: u32,
    pub year: i32,
    pub total: i64,
    pub taken: i64,
    pub available: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChargeEntry {
    pub year: i32,
    pub days: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ReservationItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub employee_id: u32,
    pub reservation_id: String,
    pub start_date: String,
    pub end_date: String,
    pub days: u32,
    pub charges: Vec<ChargeEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DayClaimItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub employee_id: u32,
    pub date: String,
    pub reservation_id: String,
}

/// A string attribute.
fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// An item of `employee`'s partition: its keys, `entity`, `employee_id`, then `rest`.
fn employee_partition_item<const N: usize>(
    employee: EmployeeId,
    sk: String,
    entity: &str,
    rest: [(&str, AttributeValue); N],
) -> Item {
    let mut item = Item::with_capacity(4 + N);
    item.insert(keys::PK.to_owned(), text(keys::employee_pk(employee)));
    item.insert(keys::SK.to_owned(), text(sk));
    item.insert("entity".to_owned(), text(entity));
    item.insert("employee_id".to_owned(), number(employee.get()));
    item.extend(rest.map(|(name, value)| (name.to_owned(), value)));
    item
}

/// Reads an attribute map into `T`, naming the item's keys when it does not fit.
pub(crate) fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item.clone()).map_err(|e| corrupt(item, e))
}

/// The `CorruptItem` error for `item`, keeping `cause`.
pub(crate) fn corrupt(
    item: &Item,
    cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> StoreError {
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    StoreError::CorruptItem {
        pk: text(keys::PK),
        sk: text(keys::SK),
        source: cause.into(),
    }
}

pub(crate) fn employee_item(employee: &Employee) -> Item {
    employee_partition_item(
        employee.id(),
        keys::PROFILE.to_owned(),
        entity::EMPLOYEE,
        [
            ("name", text(employee.name())),
            ("job_title", text(employee.job_title())),
            ("start_date", text(keys::iso_date(employee.start_date()))),
            ("status", text(employee.status().as_str())),
        ],
    )
}

pub(crate) fn employee_from_item(item: &Item) -> Result<Employee, StoreError> {
    let raw: EmployeeItem = from_item(item)?;
    let parsed = (|| -> Result<Employee, DomainError> {
        Employee::new(
            EmployeeId::new(raw.employee_id)?,
            raw.name,
            raw.job_title,
            parse_iso_date(&raw.start_date)?,
            raw.status.parse()?,
        )
    })();
    parsed.map_err(|e| corrupt(item, e))
}

pub(crate) fn balance_item(employee: EmployeeId, balance: &YearBalance) -> Item {
    employee_partition_item(
        employee,
        keys::year_sk(balance.year()),
        entity::BALANCE,
        [
            ("year", number(balance.year())),
            ("total", number(balance.total())),
            ("taken", number(balance.taken())),
            ("available", number(balance.available())),
        ],
    )
}

/// The stored figures, unchecked (for audits).
pub(crate) fn balance_figures_from_item(item: &Item) -> Result<BalanceFigures, StoreError> {
    let raw: BalanceItem = from_item(item)?;
    Ok(BalanceFigures {
        year: raw.year,
        total: raw.total,
        taken: raw.taken,
        available: raw.available,
    })
}

pub(crate) fn balance_from_item(item: &Item) -> Result<YearBalance, StoreError> {
    let f = balance_figures_from_item(item)?;
    let figure = |n: i64| u32::try_from(n).map_err(|e| corrupt(item, e));
    YearBalance::from_stored(
        f.year,
        figure(f.total)?,
        figure(f.taken)?,
        figure(f.available)?,
    )
    .map_err(|e| corrupt(item, e))
}

pub(crate) fn reservation_item(reservation: &Reservation) -> Item {
    let (range, charge) = (reservation.range(), reservation.charge());
    let charges = charge
        .years()
        .iter()
        .map(|c| {
            AttributeValue::M(HashMap::from([
                ("year".to_owned(), number(c.year)),
                ("days".to_owned(), number(c.days)),
            ]))
        })
        .collect();
    employee_partition_item(
        reservation.employee(),
        keys::reservation_sk(reservation.id()),
        entity::RESERVATION,
        [
            ("reservation_id", text(reservation.id().as_str())),
            ("start_date", text(keys::iso_date(range.start()))),
            ("end_date", text(keys::iso_date(range.end()))),
            ("days", number(charge.total_days())),
            ("charges", AttributeValue::L(charges)),
        ],
    )
}

pub(crate) fn reservation_from_item(item: &Item) -> Result<Reservation, StoreError> {
    let raw: ReservationItem = from_item(item)?;
    let parsed = (|| -> Result<Reservation, DomainError> {
        let range = DateRange::parse(&raw.start_date, &raw.end_date)?;
        let charges = raw
            .charges
            .iter()
            .map(|c| YearCharge {
                year: c.year,
                days: c.days,
            })
            .collect();
        let charge = Charge::from_parts(&range, charges)?;
        Reservation::new(
            ReservationId::parse(&raw.reservation_id)?,
            EmployeeId::new(raw.employee_id)?,
            range,
            charge,
        )
    })();
    parsed.map_err(|e| corrupt(item, e))
}

pub(crate) fn day_claim_item(employee: EmployeeId, date: NaiveDate, owner: &ReservationId) -> Item {
    employee_partition_item(
        employee,
        keys::day_sk(date),
        entity::DAY_CLAIM,
        [
            ("date", text(keys::iso_date(date))),
            ("reservation_id", text(owner.as_str())),
        ],
    )
}

pub(crate) fn day_claim_from_item(item: &Item) -> Result<DayClaim, StoreError> {
    let raw: DayClaimItem = from_item(item)?;
    let parsed = (|| -> Result<DayClaim, DomainError> {
        Ok(DayClaim {
            date: parse_iso_date(&raw.date)?,
            reservation: ReservationId::parse(&raw.reservation_id)?,
        })
    })();
    parsed.map_err(|e| corrupt(item, e))
}

/// The primary key of an item: `{PK, SK}`.
pub(crate) fn key(pk: String, sk: String) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), AttributeValue::S(pk)),
        (keys::SK.to_owned(), AttributeValue::S(sk)),
    ])
}

/// The `entity` attribute of an item, if any.
pub(crate) fn entity_of(item: &Item) -> Option<&str> {
    item.get("entity")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{DayCountPolicy, EmployeeStatus, IdempotencyKey};

    fn employee() -> Employee {
        Employee::new(
            EmployeeId::new(2).unwrap(),
            "Jane Smith",
            "Developer",
            parse_iso_date("2018-05-01").unwrap(),
            EmployeeStatus::Active,
        )
        .unwrap()
    }

    fn reservation() -> Reservation {
        let id = EmployeeId::new(2).unwrap();
        let range = DateRange::parse("2025-12-30", "2026-01-02").unwrap();
        let rid = ReservationId::derive(id, &IdempotencyKey::new("k").unwrap());
        let charge = DayCountPolicy::CalendarDays.charge(&range).unwrap();
        Reservation::new(rid, id, range, charge).unwrap()
    }

    /// What `serde_dynamo` makes of an item struct: the form the readers expect.
    fn serde_form<T: Serialize>(value: &T) -> Item {
        serde_dynamo::to_item(value).unwrap()
    }

    #[test]
    fn written_items_are_exactly_the_serde_form_of_their_structs() {
        let (e, r) = (employee(), reservation());
        let id = e.id();
        assert_eq!(
            employee_item(&e),
            serde_form(&EmployeeItem {
                pk: "EMP#2".into(),
                sk: "PROFILE".into(),
                entity: "Employee".into(),
                employee_id: 2,
                name: "Jane Smith".into(),
                job_title: "Developer".into(),
                start_date: "2018-05-01".into(),
                status: "Active".into(),
            })
        );
        assert_eq!(
            balance_item(id, &YearBalance::new(2026, 22, 3).unwrap()),
            serde_form(&BalanceItem {
                pk: "EMP#2".into(),
                sk: "YEAR#2026".into(),
                entity: "Balance".into(),
                employee_id: 2,
                year: 2026,
                total: 22,
                taken: 3,
                available: 19,
            })
        );
        let rid = r.id().as_str();
        assert_eq!(
            reservation_item(&r),
            serde_form(&ReservationItem {
                pk: "EMP#2".into(),
                sk: format!("RES#{rid}"),
                entity: "Reservation".into(),
                employee_id: 2,
                reservation_id: rid.into(),
                start_date: "2025-12-30".into(),
                end_date: "2026-01-02".into(),
                days: 4,
                charges: vec![
                    ChargeEntry {
                        year: 2025,
                        days: 2
                    },
                    ChargeEntry {
                        year: 2026,
                        days: 2
                    },
                ],
            })
        );
        assert_eq!(
            day_claim_item(id, r.range().end(), r.id()),
            serde_form(&DayClaimItem {
                pk: "EMP#2".into(),
                sk: "DAY#2026-01-02".into(),
                entity: "DayClaim".into(),
                employee_id: 2,
                date: "2026-01-02".into(),
                reservation_id: rid.into(),
            })
        );
    }

    #[test]
    fn an_employee_round_trips_through_its_item() {
        let item = employee_item(&employee());
        assert_eq!(item["PK"].as_s().unwrap(), "EMP#2");
        assert_eq!(item["SK"].as_s().unwrap(), "PROFILE");
        assert_eq!(item["status"].as_s().unwrap(), "Active");
        assert_eq!(employee_from_item(&item).unwrap(), employee());
    }

    #[test]
    fn a_balance_round_trips_and_stores_all_three_figures() {
        let balance = YearBalance::new(2026, 22, 3).unwrap();
        let item = balance_item(EmployeeId::new(2).unwrap(), &balance);
        assert_eq!(item["SK"].as_s().unwrap(), "YEAR#2026");
        assert_eq!(item["available"].as_n().unwrap(), "19");
        assert_eq!(balance_from_item(&item).unwrap(), balance);
    }

    #[test]
    fn a_reservation_round_trips_with_its_per_year_charges() {
        let item = reservation_item(&reservation());
        assert_eq!(item["days"].as_n().unwrap(), "4");
        assert_eq!(reservation_from_item(&item).unwrap(), reservation());
    }

    #[test]
    fn a_day_claim_round_trips() {
        let r = reservation();
        let date = r.range().start();
        let item = day_claim_item(r.employee(), date, r.id());
        let claim = day_claim_from_item(&item).unwrap();
        assert_eq!((claim.date, &claim.reservation), (date, r.id()));
    }

    #[test]
    fn a_balance_that_does_not_add_up_is_a_corrupt_item() {
        let mut item = balance_item(
            EmployeeId::new(2).unwrap(),
            &YearBalance::new(2026, 22, 3).unwrap(),
        );
        item.insert("available".into(), AttributeValue::N("20".into()));
        let err = balance_from_item(&item).unwrap_err();
        assert!(
            matches!(&err, StoreError::CorruptItem { pk, sk, .. } if pk == "EMP#2" && sk == "YEAR#2026"),
            "{err:?}"
        );
        item.insert("available".into(), AttributeValue::N("-1".into()));
        assert!(balance_from_item(&item).is_err());
    }

    #[test]
    fn an_employee_with_a_malformed_date_is_a_corrupt_item() {
        let mut item = employee_item(&employee());
        item.insert("start_date".into(), AttributeValue::S("2018−05−01".into()));
        assert!(matches!(
            employee_from_item(&item),
            Err(StoreError::CorruptItem { .. })
        ));
        item.remove("name");
        assert!(employee_from_item(&item).is_err());
    }
}
