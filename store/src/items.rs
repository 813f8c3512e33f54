//! Item ⇄ domain conversions. Items are written as attribute maps built directly from the
//! domain values (the seeder writes millions of them, and an intermediate struct copied
//! again by `serde_dynamo` doubled the allocations of every string), and read back through
//! plain serde structs with `serde_dynamo`, re-validated by the domain constructors, so a
//! corrupt item is an error, never a silently wrong value. A test pins each written map to
//! what `serde_dynamo` makes of the same struct, so writer and reader cannot drift apart.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use domain::history::{BalanceChange, ChangeKind, HistoryEntry};
use domain::ledger::{BalanceFigures, DayClaim};
use domain::{
    parse_iso_date, Actor, ActorRole, DateRange, DomainError, Employee, EmployeeId, Incarnation,
    Reservation, ReservationId, YearBalance, YearCharge,
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
    pub const HISTORY: &str = "History";
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_taken: Option<i64>,
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
    pub incarnation: String,
    pub start_date: String,
    pub end_date: String,
    pub policy: String,
    pub days: u32,
    pub charges: Vec<ChargeEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct BalanceChangeEntry {
    pub year: i32,
    pub total: u32,
    pub taken_before: u32,
    pub available_before: u32,
    pub taken_after: u32,
    pub available_after: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct HistoryItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub employee_id: u32,
    pub history_id: String,
    pub at: String,
    pub event: String,
    pub reservation_id: String,
    pub incarnation: String,
    pub start_date: String,
    pub end_date: String,
    pub policy: String,
    pub days: u32,
    pub charges: Vec<ChargeEntry>,
    pub balances: Vec<BalanceChangeEntry>,
    pub actor_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<u32>,
    pub request: String,
    pub correction: bool,
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

/// Checks that an item's keys agree with its attributes: `PK` is the partition of its
/// `employee_id` and `SK` is `expected_sk` (built from the item's own attributes). A claim
/// stored under one day's key but naming another would leave the other day open to a
/// double booking, so such an item is never taken at its word.
fn check_keys(
    item: &Item,
    pk: &str,
    sk: &str,
    employee_id: u32,
    expected_sk: String,
) -> Result<(), StoreError> {
    let expected_pk = format!("EMP#{employee_id}");
    if pk != expected_pk {
        return Err(corrupt(
            item,
            format!("its partition key is {pk} but its employee_id says {expected_pk}"),
        ));
    }
    if sk != expected_sk {
        return Err(corrupt(
            item,
            format!("its sort key is {sk} but its attributes say {expected_sk}"),
        ));
    }
    Ok(())
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
    check_keys(
        item,
        &raw.pk,
        &raw.sk,
        raw.employee_id,
        keys::PROFILE.to_owned(),
    )?;
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

/// A balance with no reservations behind it: every day taken was taken outside the system.
pub(crate) fn balance_item(employee: EmployeeId, balance: &YearBalance) -> Item {
    balance_item_with(employee, balance, balance.taken())
}

/// A balance whose `taken` includes `earlier_taken` days taken outside the system, the
/// rest being what its reservations charge.
pub(crate) fn balance_item_with(
    employee: EmployeeId,
    balance: &YearBalance,
    earlier_taken: u32,
) -> Item {
    employee_partition_item(
        employee,
        keys::year_sk(balance.year()),
        entity::BALANCE,
        [
            ("year", number(balance.year())),
            ("total", number(balance.total())),
            ("taken", number(balance.taken())),
            ("available", number(balance.available())),
            ("earlier_taken", number(earlier_taken)),
        ],
    )
}

/// The stored figures, unchecked (for audits).
pub(crate) fn balance_figures_from_item(item: &Item) -> Result<BalanceFigures, StoreError> {
    let raw: BalanceItem = from_item(item)?;
    check_keys(
        item,
        &raw.pk,
        &raw.sk,
        raw.employee_id,
        keys::year_sk(raw.year),
    )?;
    Ok(BalanceFigures {
        year: raw.year,
        total: raw.total,
        taken: raw.taken,
        available: raw.available,
        earlier_taken: raw.earlier_taken,
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

/// `[{year, days}]`.
fn charges_list(charges: &[YearCharge]) -> AttributeValue {
    AttributeValue::L(
        charges
            .iter()
            .map(|c| {
                AttributeValue::M(HashMap::from([
                    ("year".to_owned(), number(c.year)),
                    ("days".to_owned(), number(c.days)),
                ]))
            })
            .collect(),
    )
}

pub(crate) fn reservation_item(reservation: &Reservation) -> Item {
    let (range, charge) = (reservation.range(), reservation.charge());
    let charges = charges_list(charge.years());
    employee_partition_item(
        reservation.employee(),
        keys::reservation_sk(reservation.id()),
        entity::RESERVATION,
        [
            ("reservation_id", text(reservation.id().as_str())),
            ("incarnation", text(reservation.incarnation().as_str())),
            ("start_date", text(keys::iso_date(range.start()))),
            ("end_date", text(keys::iso_date(range.end()))),
            ("policy", text(reservation.policy().as_str())),
            ("days", number(charge.total_days())),
            ("charges", charges),
        ],
    )
}

pub(crate) fn reservation_from_item(item: &Item) -> Result<Reservation, StoreError> {
    let raw: ReservationItem = from_item(item)?;
    let sk = format!("{}{}", keys::RESERVATION_PREFIX, raw.reservation_id);
    check_keys(item, &raw.pk, &raw.sk, raw.employee_id, sk)?;
    let charges = year_charges(&raw.charges);
    let total: u32 = charges.iter().map(|c| c.days).sum();
    if total != raw.days {
        return Err(corrupt(
            item,
            format!("days is {} but the charges add up to {total}", raw.days),
        ));
    }
    let parsed = (|| -> Result<Reservation, DomainError> {
        Reservation::from_stored(
            ReservationId::parse(&raw.reservation_id)?,
            EmployeeId::new(raw.employee_id)?,
            DateRange::parse(&raw.start_date, &raw.end_date)?,
            raw.policy.parse()?,
            charges,
            Incarnation::parse(&raw.incarnation)?,
        )
    })();
    parsed.map_err(|e| corrupt(item, e))
}

fn year_charges(entries: &[ChargeEntry]) -> Vec<YearCharge> {
    entries
        .iter()
        .map(|c| YearCharge {
            year: c.year,
            days: c.days,
        })
        .collect()
}

/// A history entry's item. Written once, with `attribute_not_exists`, never updated.
pub(crate) fn history_item(entry: &HistoryEntry) -> Item {
    let balances = entry
        .balances
        .iter()
        .map(|b| {
            AttributeValue::M(HashMap::from([
                ("year".to_owned(), number(b.year)),
                ("total".to_owned(), number(b.total)),
                ("taken_before".to_owned(), number(b.taken_before)),
                ("available_before".to_owned(), number(b.available_before)),
                ("taken_after".to_owned(), number(b.taken_after)),
                ("available_after".to_owned(), number(b.available_after)),
            ]))
        })
        .collect();
    let mut item = employee_partition_item(
        entry.employee,
        keys::history_sk(entry.at, &entry.id),
        entity::HISTORY,
        [
            ("history_id", text(entry.id.as_str())),
            ("at", text(keys::timestamp(entry.at))),
            ("event", text(entry.kind.as_str())),
            ("reservation_id", text(entry.reservation.as_str())),
            ("incarnation", text(entry.incarnation.as_str())),
            ("start_date", text(keys::iso_date(entry.range.start()))),
            ("end_date", text(keys::iso_date(entry.range.end()))),
            ("policy", text(entry.policy.as_str())),
            (
                "days",
                number(entry.days.iter().map(|c| c.days).sum::<u32>()),
            ),
            ("charges", charges_list(&entry.days)),
            ("balances", AttributeValue::L(balances)),
            ("actor_role", text(entry.actor.role.as_str())),
            ("request", text(entry.request.as_str())),
            ("correction", AttributeValue::Bool(entry.correction)),
        ],
    );
    if let Some(id) = entry.actor.user {
        item.insert("actor_id".to_owned(), number(id.get()));
    }
    item
}

pub(crate) fn history_from_item(item: &Item) -> Result<HistoryEntry, StoreError> {
    let raw: HistoryItem = from_item(item)?;
    let sk = format!("{}{}#{}", keys::HISTORY_PREFIX, raw.at, raw.history_id);
    check_keys(item, &raw.pk, &raw.sk, raw.employee_id, sk)?;
    let role = ActorRole::parse(&raw.actor_role)
        .ok_or_else(|| corrupt(item, format!("unknown actor_role {:?}", raw.actor_role)))?;
    let kind = ChangeKind::parse(&raw.event)
        .ok_or_else(|| corrupt(item, format!("unknown event {:?}", raw.event)))?;
    let at = chrono::DateTime::parse_from_rfc3339(&raw.at)
        .map_err(|e| corrupt(item, e))?
        .to_utc();
    let parsed = (|| -> Result<HistoryEntry, DomainError> {
        Ok(HistoryEntry {
            id: raw.history_id,
            at,
            employee: EmployeeId::new(raw.employee_id)?,
            kind,
            reservation: ReservationId::parse(&raw.reservation_id)?,
            incarnation: Incarnation::parse(&raw.incarnation)?,
            range: DateRange::parse(&raw.start_date, &raw.end_date)?,
            policy: raw.policy.parse()?,
            days: year_charges(&raw.charges),
            balances: raw
                .balances
                .iter()
                .map(|b| BalanceChange {
                    year: b.year,
                    total: b.total,
                    taken_before: b.taken_before,
                    available_before: b.available_before,
                    taken_after: b.taken_after,
                    available_after: b.available_after,
                })
                .collect(),
            actor: Actor {
                user: raw.actor_id.map(EmployeeId::new).transpose()?,
                role,
            },
            request: raw.request,
            correction: raw.correction,
        })
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
    let sk = format!("{}{}", keys::DAY_PREFIX, raw.date);
    check_keys(item, &raw.pk, &raw.sk, raw.employee_id, sk)?;
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
        let incarnation = Incarnation::parse("00112233445566778899aabbccddeeff").unwrap();
        Reservation::new(rid, id, range, DayCountPolicy::CalendarDays, incarnation).unwrap()
    }

    fn history() -> HistoryEntry {
        let r = reservation();
        HistoryEntry {
            id: "0a0b0c0d0e0f".into(),
            at: "2025-12-01T09:30:00.25Z".parse().unwrap(),
            employee: r.employee(),
            kind: ChangeKind::Booked,
            reservation: r.id().clone(),
            incarnation: r.incarnation().clone(),
            range: r.range(),
            policy: r.policy(),
            days: r.charge().years().to_vec(),
            balances: vec![BalanceChange {
                year: 2025,
                total: 20,
                taken_before: 3,
                available_before: 17,
                taken_after: 5,
                available_after: 15,
            }],
            actor: Actor::hr(EmployeeId::new(9).unwrap(), r.employee()),
            request: "session-1/turn-2".into(),
            correction: true,
        }
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
                earlier_taken: Some(3),
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
                incarnation: "00112233445566778899aabbccddeeff".into(),
                start_date: "2025-12-30".into(),
                end_date: "2026-01-02".into(),
                policy: "calendar-days".into(),
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
    fn a_history_entry_round_trips_and_is_its_structs_serde_form() {
        let entry = history();
        let item = history_item(&entry);
        assert_eq!(
            item["SK"].as_s().unwrap(),
            "HIST#2025-12-01T09:30:00.250Z#0a0b0c0d0e0f"
        );
        assert_eq!(history_from_item(&item).unwrap(), entry);
        let raw: HistoryItem = from_item(&item).unwrap();
        assert_eq!(item, serde_form(&raw));
        assert_eq!((raw.actor_role.as_str(), raw.actor_id), ("hr", Some(9)));
        let mut anonymous = entry.clone();
        anonymous.actor = Actor::local_demo();
        let item = history_item(&anonymous);
        assert!(!item.contains_key("actor_id"));
        assert_eq!(history_from_item(&item).unwrap(), anonymous);
    }

    #[test]
    fn a_reservation_whose_days_or_charges_disagree_is_a_corrupt_item() {
        let mut item = reservation_item(&reservation());
        item.insert("days".into(), AttributeValue::N("5".into()));
        let err = reservation_from_item(&item).unwrap_err();
        assert!(format!("{:?}", err).contains("add up to 4"), "{err:?}");
        // Four days charged, as `days` says, but not as the policy splits them by year.
        let mut item = reservation_item(&reservation());
        let charge = |year: i32, days: u32| {
            AttributeValue::M(HashMap::from([
                ("year".to_owned(), number(year)),
                ("days".to_owned(), number(days)),
            ]))
        };
        item.insert(
            "charges".into(),
            AttributeValue::L(vec![charge(2025, 1), charge(2026, 3)]),
        );
        assert!(matches!(
            reservation_from_item(&item),
            Err(StoreError::CorruptItem { .. })
        ));
    }

    /// Each kind of item whose keys disagree with its attributes is refused when read.
    #[test]
    fn an_item_whose_keys_disagree_with_its_attributes_is_a_corrupt_item() {
        let r = reservation();
        let e = employee();
        let claim = day_claim_item(r.employee(), r.range().start(), r.id());
        let cases: Vec<(Item, &str, &str)> = vec![
            (employee_item(&e), "PK", "EMP#3"),
            (employee_item(&e), "SK", "PROFILE2"),
            (
                balance_item(e.id(), &YearBalance::new(2026, 22, 3).unwrap()),
                "SK",
                "YEAR#2025",
            ),
            (reservation_item(&r), "SK", "RES#0123456789ab"),
            (reservation_item(&r), "PK", "EMP#02"),
            (claim, "SK", "DAY#2025-12-31"),
            (
                history_item(&history()),
                "SK",
                "HIST#2025-12-01T09:30:00.250Z#ffffffffffff",
            ),
        ];
        for (mut item, key, value) in cases {
            item.insert(key.to_owned(), AttributeValue::S(value.to_owned()));
            let read = match items_entity(&item) {
                "Employee" => employee_from_item(&item).map(drop),
                "Balance" => balance_figures_from_item(&item).map(drop),
                "Reservation" => reservation_from_item(&item).map(drop),
                "DayClaim" => day_claim_from_item(&item).map(drop),
                _ => history_from_item(&item).map(drop),
            };
            let err = read.expect_err(value);
            let cause = std::error::Error::source(&err).unwrap().to_string();
            assert!(cause.contains(value), "{value}: {cause}");
        }
    }

    fn items_entity(item: &Item) -> &str {
        entity_of(item).unwrap()
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
