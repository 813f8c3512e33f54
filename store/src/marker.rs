//! The seed marker: what a seeder wrote, or is writing, into the table.
//!
//! | item        | `PK`   | `SK`   | attributes                                                   |
//! |-------------|--------|--------|--------------------------------------------------------------|
//! | seed marker | `META` | `SEED` | `seed`, `current_year`, `employees`, `generator`, `complete` |
//!
//! A seeder records what it is about to write in the marker ([`Store::put_seed_marker`])
//! before writing it, so that a later run can tell a table holding the same data (writing
//! it again changes nothing) from a table seeded differently (writing over it would leave
//! the other data's reservations and claims behind, and break the ledger).

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};

use crate::items::{self, Item};
use crate::keys;
use crate::{Store, StoreError};

/// Partition key of the table's metadata items.
pub(crate) const META_PK: &str = "META";
/// Sort key of the seed marker.
pub(crate) const SEED_SK: &str = "SEED";
/// The `entity` attribute of the seed marker.
const SEED_MARKER_ENTITY: &str = "SeedMarker";

/// What a seeder wrote, or is writing, into the table: the one item outside the employee
/// partitions (`PK = META`, `SK = SEED`, with `seed`, `current_year`, `employees`,
/// `generator` and `complete`).
///
/// A seeder records what it is about to write in the marker ([`Store::put_seed_marker`])
/// before writing it, so that a later run can tell a table holding the same data (writing
/// it again changes nothing) from a table seeded differently (writing over it would leave
/// the other data's reservations and claims behind, and break the ledger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeedMarker {
    /// The generator's seed.
    pub seed: u64,
    /// The last of the seeded years.
    pub current_year: i32,
    /// Employees written (ids `1..=employees`).
    pub employees: u32,
    /// The version of the generator: the same seed gives other data in another version.
    pub generator: u32,
    /// Whether every item was written.
    pub complete: bool,
}

impl SeedMarker {
    /// Whether the two markers describe the same data, complete or not.
    pub fn same_data(&self, other: &SeedMarker) -> bool {
        (self.seed, self.current_year, self.employees, self.generator)
            == (
                other.seed,
                other.current_year,
                other.employees,
                other.generator,
            )
    }
}

/// The outcome of [`Store::put_seed_marker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerWrite {
    /// The marker was written.
    Written,
    /// The table holds a marker for other data, left as it is.
    Conflict(SeedMarker),
}

#[derive(Debug, Serialize, Deserialize)]
struct SeedMarkerItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    seed: u64,
    current_year: i32,
    employees: u32,
    generator: u32,
    complete: bool,
}

fn seed_marker_item(marker: &SeedMarker) -> Result<Item, StoreError> {
    let item = SeedMarkerItem {
        pk: META_PK.to_owned(),
        sk: SEED_SK.to_owned(),
        entity: SEED_MARKER_ENTITY.to_owned(),
        seed: marker.seed,
        current_year: marker.current_year,
        employees: marker.employees,
        generator: marker.generator,
        complete: marker.complete,
    };
    serde_dynamo::to_item(item).map_err(|e| StoreError::CorruptItem {
        pk: META_PK.to_owned(),
        sk: SEED_SK.to_owned(),
        source: e.into(),
    })
}

fn seed_marker_from_item(item: &Item) -> Result<SeedMarker, StoreError> {
    let raw: SeedMarkerItem = items::from_item(item)?;
    Ok(SeedMarker {
        seed: raw.seed,
        current_year: raw.current_year,
        employees: raw.employees,
        generator: raw.generator,
        complete: raw.complete,
    })
}

impl Store {
    /// The seed marker, if the table has one.
    #[tracing::instrument(skip_all, fields(table = %self.table))]
    pub async fn seed_marker(&self) -> Result<Option<SeedMarker>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(META_PK.to_owned(), SEED_SK.to_owned())))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("GetItem", e))?;
        out.item.as_ref().map(seed_marker_from_item).transpose()
    }

    /// Writes the seed marker unless the table holds one for other data (see
    /// [`SeedMarker::same_data`]), in one conditional write: of two seeders racing on one
    /// table with different data, one gets [`MarkerWrite::Conflict`].
    #[tracing::instrument(skip_all, fields(table = %self.table, complete = marker.complete))]
    pub async fn put_seed_marker(&self, marker: &SeedMarker) -> Result<MarkerWrite, StoreError> {
        let number = |n: String| AttributeValue::N(n);
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(seed_marker_item(marker)?))
            .condition_expression(
                "attribute_not_exists(#pk) OR (#seed = :seed AND #year = :year \
                 AND #employees = :employees AND #generator = :generator)",
            )
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#seed", "seed")
            .expression_attribute_names("#year", "current_year")
            .expression_attribute_names("#employees", "employees")
            .expression_attribute_names("#generator", "generator")
            .expression_attribute_values(":seed", number(marker.seed.to_string()))
            .expression_attribute_values(":year", number(marker.current_year.to_string()))
            .expression_attribute_values(":employees", number(marker.employees.to_string()))
            .expression_attribute_values(":generator", number(marker.generator.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(MarkerWrite::Written),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(old) => Ok(MarkerWrite::Conflict(seed_marker_from_item(old)?)),
                        None => Err(StoreError::dynamo("PutItem", err)),
                    }
                }
                _ => Err(StoreError::dynamo("PutItem", err)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(item: &'a Item, name: &str) -> &'a str {
        item[name].as_s().unwrap()
    }

    #[test]
    fn markers_for_the_same_data_match_whether_complete_or_not() {
        let marker = SeedMarker {
            seed: 42,
            current_year: 2026,
            employees: 10,
            generator: 1,
            complete: false,
        };
        let done = SeedMarker {
            complete: true,
            ..marker
        };
        assert!(marker.same_data(&done));
        for other in [
            SeedMarker { seed: 43, ..marker },
            SeedMarker {
                current_year: 2025,
                ..marker
            },
            SeedMarker {
                employees: 11,
                ..marker
            },
            SeedMarker {
                generator: 2,
                ..marker
            },
        ] {
            assert!(!marker.same_data(&other), "{other:?}");
        }
    }

    #[test]
    fn the_seed_marker_round_trips_through_its_item() {
        let marker = SeedMarker {
            seed: u64::MAX,
            current_year: 2026,
            employees: 100_000,
            generator: 1,
            complete: true,
        };
        let item = seed_marker_item(&marker).unwrap();
        assert_eq!((text(&item, "PK"), text(&item, "SK")), ("META", "SEED"));
        assert_eq!(item["seed"].as_n().unwrap(), "18446744073709551615");
        assert_eq!(seed_marker_from_item(&item).unwrap(), marker);
    }
}
