//! Helpers for the seeder's tests: a whole table as sorted text, to compare two tables
//! item by item, byte for byte.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

/// Every item of `table`, each rendered with its attributes (at every depth) in name order,
/// sorted: two tables with equal dumps hold exactly the same items.
///
/// # Panics
/// When the scan fails (test helper).
pub async fn dump(client: &Client, table: &str) -> Vec<String> {
    let mut pages = client
        .scan()
        .table_name(table)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send();
    let mut items = Vec::new();
    while let Some(item) = pages.next().await {
        let item = item.unwrap_or_else(|e| panic!("scanning {table} failed: {e:?}"));
        items.push(canonical(&AttributeValue::M(item)));
    }
    items.sort();
    items
}

/// A table name no other test uses.
pub fn unique_table_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// `value` as text, maps with their keys in order, so that equal values read the same.
pub fn canonical(value: &AttributeValue) -> String {
    match value {
        AttributeValue::M(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            let fields: Vec<String> = names
                .into_iter()
                .map(|name| format!("{name:?}: {}", canonical(&map[name])))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        AttributeValue::L(list) => {
            let values: Vec<String> = list.iter().map(canonical).collect();
            format!("[{}]", values.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// The items only `a` holds and those only `b` holds (empty both when the dumps are equal),
/// for a readable failure.
pub fn difference(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let (a_set, b_set): (BTreeSet<&String>, BTreeSet<&String>) =
        (a.iter().collect(), b.iter().collect());
    (
        a_set.difference(&b_set).map(|s| (*s).clone()).collect(),
        b_set.difference(&a_set).map(|s| (*s).clone()).collect(),
    )
}
