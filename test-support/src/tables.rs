//! Tables: a fresh one per test in the shared container, one with a key schema that is not
//! the store's, a whole table as sorted text (to prove a refused call wrote nothing, or to
//! compare two tables item by item, byte for byte), and a client whose requests are
//! counted.

use std::collections::BTreeSet;
use std::sync::Mutex;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use store::{Store, StoreConfig};

use crate::dynamodb::{dynamodb_local, sdk_config};
use crate::ledger::test_today;

/// A store over a new, empty table with a unique name in the shared container.
pub async fn fresh_store() -> Store {
    fresh_store_at(&dynamodb_local().endpoint).await
}

/// A store over a new, empty table at `endpoint`, with today pinned to [`test_today`].
pub async fn fresh_store_at(endpoint: &str) -> Store {
    let mut config = StoreConfig::new(unique_table_name("vacations"));
    config.endpoint_url = Some(endpoint.to_owned());
    config.clock = store::Clock::on(test_today());
    let store = Store::from_sdk_config(&sdk_config().await, config);
    store
        .create_table_if_missing()
        .await
        .unwrap_or_else(|e| panic!("creating the test table failed: {e:?}"));
    store
}

/// Creates `table`, keyed by `id` (HASH, S) alone: a table that is not the store's.
pub async fn create_table_with_another_key_schema(client: &aws_sdk_dynamodb::Client, table: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let id = AttributeDefinition::builder()
        .attribute_name("id")
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition");
    let key = KeySchemaElement::builder()
        .attribute_name("id")
        .key_type(KeyType::Hash)
        .build()
        .expect("key schema element");
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(id)
        .key_schema(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating table {table} failed: {e:?}"));
}

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

/// Counts the HTTP requests a client sends (every attempt, retries included), by
/// operation name.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(std::sync::Arc<Mutex<std::collections::BTreeMap<String, u64>>>);

impl RequestCounter {
    /// Requests sent so far, per operation (`TransactWriteItems`, `GetItem`, …).
    pub fn by_operation(&self) -> std::collections::BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Requests sent so far, all operations.
    pub fn total(&self) -> u64 {
        self.by_operation().values().sum()
    }

    /// Forgets the counts.
    pub fn reset(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

impl aws_sdk_dynamodb::config::Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        if let Ok(mut m) = self.0.lock() {
            *m.entry(operation).or_default() += 1;
        }
        Ok(())
    }
}

/// A client for `endpoint` whose requests `counter` counts.
pub async fn counted_client(endpoint: &str, counter: &RequestCounter) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .interceptor(counter.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}
