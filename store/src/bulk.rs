//! Bulk writes, for seeding and emptying a table.
//!
//! [`Store::write_records`] takes a stream of [`Record`]s (domain values, never attribute
//! maps) and expands each into its items with the same builders as the transactional path,
//! so a seeded reservation is exactly what [`Store::reserve`] would have written: the
//! reservation item and one day claim per day. The items go out with `BatchWriteItem`,
//! [`BATCH_SIZE`] per request and at most [`BulkOptions::concurrency`] requests in flight.
//! The `UnprocessedItems` DynamoDB hands back are sent again after a jittered exponential
//! backoff, until the retry policy is spent. A request refused as a whole for throttling
//! is resent by the SDK's retry strategy, configured from the same policy: it resends the
//! serialized request, so no copy of the items is kept for the case. Records are pulled
//! from the iterator only as requests complete, so memory stays bounded whatever the
//! number of records.
//!
//! Unlike a transaction, a bulk write is not atomic: a reader may see a reservation before
//! its claims. Bulk writes are for seeding a table nobody books in yet.
//!
//! # Resuming without overwriting
//!
//! `BatchWriteItem` cannot be conditional, so [`Store::write_records`] overwrites: right for
//! a table known to be empty, wrong for one a seeding run left half-written, which may have
//! been used since. Two calls resume such a table instead:
//!
//! - [`Store::compare_records`] reads what the table holds of the records' items
//!   (`BatchGetItem`, [`GET_BATCH_SIZE`] keys per request, consistent reads) and counts the
//!   items that are none of them (one parallel `Scan` with `Select = COUNT`). Its
//!   [`Comparison`] says which items are there as the records write them, which are
//!   missing, which differ, and how many others the table holds. A booking or a
//!   cancellation changes a balance or adds items, so it shows as a difference or as
//!   others; an interrupted run leaves only items exactly as written, and missing ones.
//! - [`Store::write_missing_records`] writes only the items the comparison found missing,
//!   each put conditioned on `attribute_not_exists(PK)`, so an item written since the
//!   comparison (by a booking, or another seeder) is skipped, never replaced. The puts go
//!   [`BATCH_SIZE`] to a `TransactWriteItems`, [`BulkOptions::concurrency`] in flight: as
//!   many items in flight as in the batch loop, and on DynamoDB Local a fifth more items/s
//!   than as many single `PutItem`s, for a quarter of the CPU. A transaction costs twice
//!   the write units of plain puts, which only the missing items pay.
//!
//! [`Store::delete_all_items`] empties the table (a parallel scan of the keys and batched
//! deletes) and [`Store::is_empty`] says whether there is anything to delete.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::ops::{ControlFlow, Range};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, DeleteRequest, KeysAndAttributes, Put, PutRequest, Select,
    TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use domain::{Employee, EmployeeId, Reservation, YearBalance};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::items::{self, Item};
use crate::keys;
use crate::marker::{META_PK, SEED_SK};
use crate::scan::{joined, parallel_scan};
use crate::{ItemKey, RetryPolicy, Store, StoreError};

/// Items per `BatchWriteItem` request: DynamoDB's limit.
pub const BATCH_SIZE: usize = 25;
/// Keys per `BatchGetItem` request: DynamoDB's limit.
pub const GET_BATCH_SIZE: usize = 100;
/// The differing items a [`Comparison`] names; beyond, it counts them.
pub const DIFFERING_NAMED: usize = 10;

/// One thing to write in bulk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An employee's profile.
    Employee(Employee),
    /// One year balance of an employee.
    Balance {
        /// Whose balance.
        employee: EmployeeId,
        /// The balance.
        balance: YearBalance,
        /// Of its `taken`, the days taken outside the system (not by its reservations).
        earlier_taken: u32,
    },
    /// A reservation, written with one day claim per day it charges and the history
    /// entry that books it: by the seeder, at `booked_at`, in `request`, with no balance
    /// figures (the balances it charges are not touched: write them, already charged, as
    /// [`Record::Balance`]). The entry's id is the start of the incarnation, so the same
    /// record always writes the same items.
    Reservation {
        /// The reservation.
        reservation: Reservation,
        /// When the history says it was booked.
        booked_at: chrono::DateTime<chrono::Utc>,
        /// The request the history names (e.g. the seed).
        request: String,
    },
}

impl Record {
    /// How many items the record writes.
    pub fn item_count(&self) -> usize {
        match self {
            Self::Employee(_) | Self::Balance { .. } => 1,
            Self::Reservation { reservation, .. } => 2 + reservation.claimed_days().count(),
        }
    }

    fn into_items(self) -> Vec<Item> {
        match self {
            Self::Employee(employee) => vec![items::employee_item(&employee)],
            Self::Balance {
                employee,
                balance,
                earlier_taken,
            } => vec![items::balance_item_with(employee, &balance, earlier_taken)],
            Self::Reservation {
                reservation: r,
                booked_at,
                request,
            } => {
                let mut out = Vec::with_capacity(2 + r.range().calendar_days() as usize);
                out.push(items::reservation_item(&r));
                out.extend(
                    r.claimed_days()
                        .map(|day| items::day_claim_item(r.employee(), day, r.id())),
                );
                out.push(items::history_item(&seeded_history(&r, booked_at, request)));
                out
            }
        }
    }
}

/// The history entry [`Record::Reservation`] writes for a seeded reservation.
pub fn seeded_history(
    r: &Reservation,
    at: chrono::DateTime<chrono::Utc>,
    request: String,
) -> domain::history::HistoryEntry {
    domain::history::HistoryEntry {
        id: r.incarnation().as_str()[..8].to_owned(),
        at,
        employee: r.employee(),
        kind: domain::history::ChangeKind::Booked,
        reservation: r.id().clone(),
        incarnation: r.incarnation().clone(),
        range: r.range(),
        policy: r.policy(),
        days: r.charge().years().to_vec(),
        balances: Vec::new(),
        actor: domain::Actor::seeder(),
        request,
        correction: false,
    }
}

/// How a bulk operation spreads its requests and how patiently it retries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkOptions {
    /// Requests in flight at once (at least 1 is used).
    pub concurrency: usize,
    /// Attempts and backoff for a request's unprocessed items, and for a request refused
    /// for throttling (retried by the SDK).
    pub retry: RetryPolicy,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            retry: RetryPolicy {
                max_attempts: 10,
                base_delay: Duration::from_millis(50),
                max_delay: Duration::from_secs(5),
                ..RetryPolicy::default()
            },
        }
    }
}

/// What a bulk write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Items written (or deleted).
    pub items: u64,
    /// Requests sent: `BatchWriteItem`s, those resending unprocessed items included, or
    /// `TransactWriteItems` of conditional puts, those sent again included (the SDK's own
    /// resends of a throttled request are not counted).
    pub requests: u64,
    /// Items sent again because DynamoDB left them unprocessed.
    pub retried_items: u64,
    /// Items a conditional put found already there, and left as they were.
    pub skipped: u64,
}

impl std::ops::AddAssign for BulkReport {
    fn add_assign(&mut self, other: Self) {
        self.items += other.items;
        self.requests += other.requests;
        self.retried_items += other.retried_items;
        self.skipped += other.skipped;
    }
}

/// What the table holds of a stream of records' items: see [`Store::compare_records`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Items the table holds exactly as the records write them.
    pub same: u64,
    /// Items the table does not hold.
    pub missing: u64,
    /// Items the table holds with other attributes.
    pub differing: u64,
    /// Items the table holds that are none of the records' items, the seed marker aside.
    pub others: u64,
    /// The first differing items, with their positions in the records' sequence of items.
    named: Vec<(u64, ItemKey)>,
    /// Where the missing items are in the records' sequence of items.
    gaps: Gaps,
}

impl Comparison {
    /// Whether the table holds nothing but the records' items, each as they write it:
    /// what a run interrupted part-way leaves.
    pub fn only_missing(&self) -> bool {
        self.differing == 0 && self.others == 0
    }

    /// The keys of the first differing items, in the records' order, at most
    /// [`DIFFERING_NAMED`].
    pub fn first_differing(&self) -> impl Iterator<Item = &ItemKey> {
        self.named.iter().map(|(_, key)| key)
    }
}

/// Positions in a sequence of items, as disjoint ranges, neighbours merged: the missing
/// items of an interrupted run are few runs of positions, whatever the number of items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Gaps(BTreeMap<u64, u64>);

impl Gaps {
    /// Adds `range`, which overlaps no range already there.
    fn insert(&mut self, range: Range<u64>) {
        if range.is_empty() {
            return;
        }
        let (mut start, mut end) = (range.start, range.end);
        if let Some((&before, &before_end)) = self.0.range(..start).next_back() {
            if before_end == start {
                self.0.remove(&before);
                start = before;
            }
        }
        if let Some(after_end) = self.0.remove(&end) {
            end = after_end;
        }
        self.0.insert(start, end);
    }

    /// The items of `items` (numbered from 0) whose positions are in the gaps.
    fn select<'a, T>(
        &'a self,
        items: impl Iterator<Item = T> + 'a,
    ) -> impl Iterator<Item = T> + 'a {
        let mut ranges = self.0.iter().map(|(&start, &end)| start..end).peekable();
        items.zip(0u64..).filter_map(move |(item, at)| {
            while ranges.next_if(|r| r.end <= at).is_some() {}
            ranges.peek().filter(|r| r.contains(&at)).map(|_| item)
        })
    }
}

/// What one `BatchGetItem` found of its items.
#[derive(Debug, Default)]
struct BatchComparison {
    same: u64,
    missing: Vec<Range<u64>>,
    differing: Vec<(u64, ItemKey)>,
}

impl Comparison {
    fn add(&mut self, batch: BatchComparison) {
        self.same += batch.same;
        for gap in batch.missing {
            self.missing += gap.end - gap.start;
            self.gaps.insert(gap);
        }
        self.differing += batch.differing.len() as u64;
        // Batches finish in any order: keep the first ones of the records' order.
        self.named.extend(batch.differing);
        self.named.sort_by_key(|(at, _)| *at);
        self.named.truncate(DIFFERING_NAMED);
    }
}

/// The items of `records`, cut into `BatchWriteItem`-sized groups, lazily.
fn batches(records: impl Iterator<Item = Record>) -> impl Iterator<Item = Vec<Item>> {
    let mut items = records.flat_map(Record::into_items);
    std::iter::from_fn(move || {
        let batch: Vec<Item> = items.by_ref().take(BATCH_SIZE).collect();
        (!batch.is_empty()).then_some(batch)
    })
}

fn put_request(item: Item) -> Result<WriteRequest, StoreError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(|e| StoreError::dynamo("BatchWriteItem", e))?;
    Ok(WriteRequest::builder().put_request(put).build())
}

fn delete_request(key: Item) -> Result<WriteRequest, StoreError> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key))
        .build()
        .map_err(|e| StoreError::dynamo("BatchWriteItem", e))?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

/// Sends `pending` with `send`, which returns what DynamoDB left unprocessed, until
/// nothing is left, backing off before each new attempt; gives up with
/// [`StoreError::Contention`] once the policy's attempts are spent.
pub(crate) async fn until_processed<F, Fut>(
    policy: &RetryPolicy,
    mut pending: Vec<WriteRequest>,
    mut send: F,
) -> Result<BulkReport, StoreError>
where
    F: FnMut(Vec<WriteRequest>) -> Fut,
    Fut: Future<Output = Result<Vec<WriteRequest>, StoreError>>,
{
    let attempts = policy.max_attempts.max(1);
    let mut report = BulkReport {
        items: pending.len() as u64,
        ..BulkReport::default()
    };
    for n in 1..=attempts {
        if n > 1 {
            tokio::time::sleep(policy.delay(n - 1)).await;
            report.retried_items += pending.len() as u64;
        }
        report.requests += 1;
        pending = send(pending).await?;
        if pending.is_empty() {
            return Ok(report);
        }
        tracing::debug!(
            attempt = n,
            unprocessed = pending.len(),
            "BatchWriteItem incomplete, retrying"
        );
    }
    Err(StoreError::Contention {
        operation: "BatchWriteItem",
        attempts,
        reason: format!("{} item(s) still unprocessed", pending.len()),
    })
}

/// One `BatchWriteItem` of `requests` into `table`: what DynamoDB left unprocessed. A
/// request still throttled once the client's retries are spent is
/// [`StoreError::Contention`].
async fn send_batch(
    client: &Client,
    table: &str,
    requests: Vec<WriteRequest>,
) -> Result<Vec<WriteRequest>, StoreError> {
    match client
        .batch_write_item()
        .request_items(table, requests)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .unprocessed_items
            .and_then(|mut left| left.remove(table))
            .unwrap_or_default()),
        Err(err) => match err.as_service_error() {
            Some(e)
                if e.is_provisioned_throughput_exceeded_exception()
                    || e.is_request_limit_exceeded()
                    || e.is_throttling_exception() =>
            {
                let code = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(e);
                let attempts = client
                    .config()
                    .retry_config()
                    .map_or(1, |r| r.max_attempts());
                Err(StoreError::Contention {
                    operation: "BatchWriteItem",
                    attempts,
                    reason: code.unwrap_or("Throttling").to_owned(),
                })
            }
            _ => Err(StoreError::dynamo("BatchWriteItem", err)),
        },
    }
}

/// `client` with the SDK's retries (of a throttled request, a 5xx or a lost connection)
/// set as `retry` says: standard mode, jittered exponential backoff, the SDK's retry quota.
fn bulk_client(client: &Client, retry: &RetryPolicy) -> Client {
    let retry = RetryConfig::standard()
        .with_max_attempts(retry.max_attempts.max(1))
        .with_initial_backoff(retry.base_delay)
        .with_max_backoff(retry.max_delay);
    Client::from_conf(client.config().to_builder().retry_config(retry).build())
}

/// Runs `start` on each group, at most `limit` (at least 1) at once, in tasks, and hands
/// each result to `finish` as it completes. Groups are pulled only as slots free up; the
/// first error stops it, abandoning what is in flight.
async fn in_parallel<G, T, F, Fut>(
    groups: impl Iterator<Item = Result<G, StoreError>>,
    limit: usize,
    mut start: F,
    mut finish: impl FnMut(T),
) -> Result<(), StoreError>
where
    F: FnMut(G) -> Fut,
    Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    T: Send + 'static,
{
    let limit = limit.max(1);
    let mut in_flight: JoinSet<Result<T, StoreError>> = JoinSet::new();
    for group in groups {
        let group = group?;
        if in_flight.len() >= limit {
            if let Some(result) = in_flight.join_next().await {
                finish(joined(result)?);
            }
        }
        in_flight.spawn(start(group));
    }
    while let Some(result) = in_flight.join_next().await {
        finish(joined(result)?);
    }
    Ok(())
}

fn gap_len(gaps: &[Range<u64>]) -> u64 {
    gaps.iter().map(|g| g.end - g.start).sum()
}

/// The `PK` and `SK` of an item the store built.
fn key_of(item: &Item) -> Result<ItemKey, StoreError> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    match (text(keys::PK), text(keys::SK)) {
        (Some(pk), Some(sk)) => Ok(ItemKey { pk, sk }),
        (pk, sk) => Err(StoreError::CorruptItem {
            pk: pk.unwrap_or_default(),
            sk: sk.unwrap_or_default(),
            source: "no string PK and SK".into(),
        }),
    }
}

/// Reads the items of `group` (each with its position) from `table` and compares each
/// with what it holds.
async fn compare_batch(
    client: &Client,
    table: &str,
    retry: &RetryPolicy,
    group: Vec<(Item, u64)>,
) -> Result<BatchComparison, StoreError> {
    let keys = group
        .iter()
        .map(|(item, _)| key_of(item).map(|k| items::key(k.pk, k.sk)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut held: HashMap<(String, String), Item> = HashMap::with_capacity(keys.len());
    for item in get_all(client, table, retry, keys).await? {
        let key = key_of(&item)?;
        held.insert((key.pk, key.sk), item);
    }
    let mut batch = BatchComparison::default();
    for (item, at) in group {
        let key = key_of(&item)?;
        match held.get(&(key.pk.clone(), key.sk.clone())) {
            Some(found) if *found == item => batch.same += 1,
            Some(_) => batch.differing.push((at, key)),
            None => match batch.missing.last_mut() {
                Some(gap) if gap.end == at => gap.end += 1,
                _ => batch.missing.push(at..at + 1),
            },
        }
    }
    Ok(batch)
}

/// The items of `table` at `keys` (consistent reads), in any order, sending the keys
/// DynamoDB leaves unprocessed again after a backoff, until the policy is spent.
async fn get_all(
    client: &Client,
    table: &str,
    policy: &RetryPolicy,
    mut keys: Vec<Item>,
) -> Result<Vec<Item>, StoreError> {
    let attempts = policy.max_attempts.max(1);
    let mut found = Vec::with_capacity(keys.len());
    for n in 1..=attempts {
        if n > 1 {
            tokio::time::sleep(policy.delay(n - 1)).await;
        }
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::dynamo("BatchGetItem", e))?;
        let mut out = client
            .batch_get_item()
            .request_items(table, request)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("BatchGetItem", e))?;
        found.extend(
            out.responses
                .as_mut()
                .and_then(|r| r.remove(table))
                .unwrap_or_default(),
        );
        keys = out
            .unprocessed_keys
            .and_then(|mut left| left.remove(table))
            .map(|left| left.keys)
            .unwrap_or_default();
        if keys.is_empty() {
            return Ok(found);
        }
    }
    Err(StoreError::Contention {
        operation: "BatchGetItem",
        attempts,
        reason: format!("{} key(s) still unprocessed", keys.len()),
    })
}

/// Puts each item of `group` into `table` unless an item with its key is there, in one
/// `TransactWriteItems` of conditional puts: what was written, and what was skipped.
///
/// A transaction applies all of its puts or none, so when DynamoDB cancels it because
/// some items are there, those are dropped and the rest sent again at once; when it
/// cancels for contention or throttling, it is sent again after a backoff, until `policy`
/// is spent.
async fn put_all_if_absent(
    client: &Client,
    table: &str,
    policy: &RetryPolicy,
    mut pending: Vec<Item>,
) -> Result<BulkReport, StoreError> {
    let attempts = policy.max_attempts.max(1);
    let mut report = BulkReport::default();
    let mut transient = 0;
    while !pending.is_empty() {
        let puts = pending
            .iter()
            .map(|item| put_if_absent(table, item.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        report.requests += 1;
        let sent = client
            .transact_write_items()
            .set_transact_items(Some(puts))
            .send()
            .await;
        let Err(err) = sent else {
            report.items += pending.len() as u64;
            return Ok(report);
        };
        let reason = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                let reasons = cancelled.cancellation_reasons();
                let there = |n: usize| {
                    reasons.get(n).and_then(CancellationReason::code)
                        == Some("ConditionalCheckFailed")
                };
                if (0..pending.len()).any(there) {
                    let before = pending.len();
                    pending = pending
                        .into_iter()
                        .enumerate()
                        .filter(|(n, _)| !there(*n))
                        .map(|(_, item)| item)
                        .collect();
                    report.skipped += (before - pending.len()) as u64;
                    continue;
                }
                match crate::transact::transient_reason(reasons) {
                    Some(code) => code,
                    None => return Err(crate::transact::unexpected(reasons)),
                }
            }
            Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                "TransactionInProgress".to_owned()
            }
            _ => return Err(StoreError::dynamo("TransactWriteItems", err)),
        };
        transient += 1;
        if transient >= attempts {
            return Err(StoreError::Contention {
                operation: "TransactWriteItems",
                attempts,
                reason,
            });
        }
        tracing::debug!(attempt = transient, %reason, "conditional puts cancelled, retrying");
        tokio::time::sleep(policy.delay(transient)).await;
    }
    Ok(report)
}

/// A put of `item` into `table`, conditioned on no item with its key being there.
fn put_if_absent(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", keys::PK)
        .build()
        .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// How many items `table` holds, the seed marker aside: a parallel scan of `segments`
/// segments (at least 1) that counts, with consistent reads.
async fn count_items_but_the_marker(
    client: &Client,
    table: &str,
    segments: usize,
) -> Result<u64, StoreError> {
    let total = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&total);
    parallel_scan(
        client,
        table,
        segments,
        |scan| {
            scan.select(Select::Count)
                .consistent_read(true)
                .filter_expression("NOT (#pk = :meta AND #sk = :seed)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":meta", AttributeValue::S(META_PK.to_owned()))
                .expression_attribute_values(":seed", AttributeValue::S(SEED_SK.to_owned()))
        },
        move |page| {
            counted.fetch_add(u64::try_from(page.count).unwrap_or(0), Ordering::Relaxed);
            std::future::ready(Ok(ControlFlow::Continue(())))
        },
    )
    .await?;
    Ok(total.load(Ordering::Relaxed))
}

impl Store {
    /// Writes every record, overwriting items with the same keys; see the
    /// [module docs](self). For a table known to hold none of them: to complete a table
    /// that holds part of them, see [`Store::compare_records`]. `progress` is called with the number of items of each request
    /// as it completes. Every key must appear once: DynamoDB refuses a request that
    /// writes one item twice.
    ///
    /// On an error, requests still in flight are abandoned and the table holds part of
    /// the records.
    #[tracing::instrument(skip_all, fields(table = %self.table, concurrency = options.concurrency))]
    pub async fn write_records<I>(
        &self,
        records: I,
        options: &BulkOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<BulkReport, StoreError>
    where
        I: IntoIterator<Item = Record>,
    {
        let client = bulk_client(&self.client, &options.retry);
        let mut report = BulkReport::default();
        // The next request is built before a slot frees up.
        let requests = batches(records.into_iter()).map(|batch| {
            batch
                .into_iter()
                .map(put_request)
                .collect::<Result<Vec<_>, _>>()
        });
        let (table, retry) = (&self.table, options.retry);
        in_parallel(
            requests,
            options.concurrency,
            |requests| {
                let (client, table) = (client.clone(), table.clone());
                async move {
                    until_processed(&retry, requests, |r| send_batch(&client, &table, r)).await
                }
            },
            |done: BulkReport| {
                report += done;
                progress(done.items);
            },
        )
        .await?;
        Ok(report)
    }

    /// Reads what the table holds of the items of `records` and counts the items it holds
    /// besides, the seed marker aside; see [resuming](self#resuming-without-overwriting).
    /// `progress` is called with the number of items of each read as it completes.
    /// Writes nothing.
    ///
    /// A table in use can change while it reads: the comparison tells what each item was
    /// when it was read.
    #[tracing::instrument(skip_all, fields(table = %self.table, concurrency = options.concurrency))]
    pub async fn compare_records<I>(
        &self,
        records: I,
        options: &BulkOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<Comparison, StoreError>
    where
        I: IntoIterator<Item = Record>,
    {
        let client = bulk_client(&self.client, &options.retry);
        let held = count_items_but_the_marker(&client, &self.table, options.concurrency).await?;
        let mut comparison = Comparison::default();
        let mut numbered = records.into_iter().flat_map(Record::into_items).zip(0u64..);
        let groups = std::iter::from_fn(|| {
            let group: Vec<(Item, u64)> = numbered.by_ref().take(GET_BATCH_SIZE).collect();
            (!group.is_empty()).then_some(Ok(group))
        });
        let (table, retry) = (&self.table, options.retry);
        in_parallel(
            groups,
            options.concurrency,
            |group| {
                let (client, table) = (client.clone(), table.clone());
                async move { compare_batch(&client, &table, &retry, group).await }
            },
            |batch: BatchComparison| {
                progress(batch.same + batch.differing.len() as u64 + gap_len(&batch.missing));
                comparison.add(batch);
            },
        )
        .await?;
        comparison.others = held.saturating_sub(comparison.same + comparison.differing);
        Ok(comparison)
    }

    /// Writes the items of `records` that `comparison` found missing, each only if the
    /// table still does not hold it; see [resuming](self#resuming-without-overwriting).
    /// `records` must be the records `comparison` was made of, in the same order.
    /// `progress` is called with the number of items of each group of puts as it completes,
    /// written or skipped.
    ///
    /// On an error, puts still in flight are abandoned and the table holds part of the
    /// missing items.
    #[tracing::instrument(skip_all, fields(table = %self.table, concurrency = options.concurrency))]
    pub async fn write_missing_records<I>(
        &self,
        records: I,
        comparison: &Comparison,
        options: &BulkOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<BulkReport, StoreError>
    where
        I: IntoIterator<Item = Record>,
    {
        let client = bulk_client(&self.client, &options.retry);
        let mut missing = comparison
            .gaps
            .select(records.into_iter().flat_map(Record::into_items));
        let groups = std::iter::from_fn(|| {
            let group: Vec<Item> = missing.by_ref().take(BATCH_SIZE).collect();
            (!group.is_empty()).then_some(Ok(group))
        });
        let mut report = BulkReport::default();
        let (table, retry) = (&self.table, options.retry);
        in_parallel(
            groups,
            options.concurrency,
            |group| {
                let (client, table) = (client.clone(), table.clone());
                async move { put_all_if_absent(&client, &table, &retry, group).await }
            },
            |done: BulkReport| {
                report += done;
                progress(done.items + done.skipped);
            },
        )
        .await?;
        Ok(report)
    }

    /// Deletes every item of the table, the seed marker included, with a parallel scan of
    /// [`BulkOptions::concurrency`] segments, each deleting what it finds in batches.
    /// `progress` is called with the number of items of each delete request as it
    /// completes. Returns what was deleted.
    ///
    /// Items written while it runs may survive it.
    #[tracing::instrument(skip_all, fields(table = %self.table))]
    pub async fn delete_all_items(
        &self,
        options: &BulkOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<BulkReport, StoreError> {
        let client = bulk_client(&self.client, &options.retry);
        let (sender, mut done) = mpsc::unbounded_channel();
        let (retry, table) = (options.retry, self.table.clone());
        let deleter = client.clone();
        let scan = parallel_scan(
            &client,
            &self.table,
            options.concurrency,
            |scan| {
                scan.projection_expression("#pk, #sk")
                    .expression_attribute_names("#pk", keys::PK)
                    .expression_attribute_names("#sk", keys::SK)
            },
            move |page| {
                let (client, table, sender) = (deleter.clone(), table.clone(), sender.clone());
                delete_page(client, table, retry, page.items.unwrap_or_default(), sender)
            },
        );
        let tally = async {
            let mut report = BulkReport::default();
            // Ends when the scan is over and every sender is gone.
            while let Some(batch) = done.recv().await {
                report += batch;
                progress(batch.items);
            }
            report
        };
        let (scanned, report) = tokio::join!(scan, tally);
        scanned?;
        Ok(report)
    }

    /// Whether the table holds no item at all.
    #[tracing::instrument(skip_all, fields(table = %self.table))]
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .limit(1)
                .projection_expression("#pk")
                .expression_attribute_names("#pk", keys::PK)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| StoreError::dynamo("Scan", e))?;
            if !page.items().is_empty() {
                return Ok(false);
            }
            // A page may come back empty with more to read.
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(true),
            }
        }
    }
}

/// Deletes the items of one page of the scan, [`BATCH_SIZE`] to a request, reporting
/// each batch on `done`; stops the segment when nobody listens any more.
async fn delete_page(
    client: Client,
    table: String,
    retry: RetryPolicy,
    found: Vec<Item>,
    done: mpsc::UnboundedSender<BulkReport>,
) -> Result<ControlFlow<()>, StoreError> {
    let mut found = found.into_iter().peekable();
    while found.peek().is_some() {
        let requests = found
            .by_ref()
            .take(BATCH_SIZE)
            .map(delete_request)
            .collect::<Result<Vec<_>, _>>()?;
        let report = until_processed(&retry, requests, |r| send_batch(&client, &table, r)).await?;
        if done.send(report).is_err() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    use domain::{DateRange, DayCountPolicy, EmployeeStatus, IdempotencyKey, ReservationId};

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    fn employee(n: u32) -> Record {
        let start = domain::parse_iso_date("2019-03-01").unwrap();
        Record::Employee(
            Employee::new(
                id(n),
                "Jane Smith",
                "Analyst",
                start,
                EmployeeStatus::Active,
            )
            .unwrap(),
        )
    }

    fn reservation(n: u32, start: &str, end: &str) -> Reservation {
        let range = DateRange::parse(start, end).unwrap();
        let rid = ReservationId::derive(id(n), &IdempotencyKey::new("bulk-test").unwrap());
        let incarnation = domain::Incarnation::parse("0123456789abcdef").unwrap();
        Reservation::new(rid, id(n), range, DayCountPolicy::CalendarDays, incarnation).unwrap()
    }

    fn seeded(r: Reservation) -> Record {
        Record::Reservation {
            reservation: r,
            booked_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            request: "seed 1".into(),
        }
    }

    fn text<'a>(item: &'a Item, name: &str) -> &'a str {
        item[name].as_s().unwrap()
    }

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        }
    }

    fn requests(n: usize) -> Vec<WriteRequest> {
        (0..n)
            .map(|i| put_request(items::key(format!("EMP#{i}"), "PROFILE".into())).unwrap())
            .collect()
    }

    #[test]
    fn a_reservation_expands_to_its_item_one_claim_per_day_and_its_history_entry() {
        let r = reservation(4, "2025-12-30", "2026-01-02");
        let record = seeded(r.clone());
        assert_eq!(record.item_count(), 6);
        let written = record.into_items();
        assert_eq!(written.len(), 6);
        assert_eq!(written[0], items::reservation_item(&r));
        let history = items::history_from_item(&written[5]).unwrap();
        assert_eq!(
            (history.reservation, history.incarnation, history.actor),
            (
                r.id().clone(),
                r.incarnation().clone(),
                domain::Actor::seeder()
            )
        );
        assert_eq!(
            text(&written[5], "SK"),
            "HIST#2026-01-01T00:00:00.000Z#01234567"
        );
        let days: Vec<&str> = written[1..5].iter().map(|i| text(i, "SK")).collect();
        assert_eq!(
            days,
            [
                "DAY#2025-12-30",
                "DAY#2025-12-31",
                "DAY#2026-01-01",
                "DAY#2026-01-02"
            ]
        );
        for claim in &written[1..5] {
            assert_eq!(text(claim, "PK"), "EMP#4");
            assert_eq!(text(claim, "reservation_id"), r.id().as_str());
        }
    }

    #[test]
    fn employees_and_balances_are_one_item_each() {
        let balance = YearBalance::new(2026, 20, 4).unwrap();
        let record = Record::Balance {
            employee: id(3),
            balance,
            earlier_taken: 1,
        };
        assert_eq!(record.item_count(), 1);
        assert_eq!(
            record.into_items(),
            vec![items::balance_item_with(id(3), &balance, 1)]
        );
        assert_eq!(employee(3).into_items().len(), 1);
    }

    #[test]
    fn records_are_cut_into_batches_of_twenty_five_items_in_order() {
        // 20 profiles, then a 10-day reservation (12 items) that straddles the boundary.
        let mut records: Vec<Record> = (1..=20).map(employee).collect();
        records.push(seeded(reservation(21, "2026-03-01", "2026-03-10")));
        let cut: Vec<Vec<Item>> = batches(records.into_iter()).collect();
        assert_eq!(cut.iter().map(Vec::len).collect::<Vec<_>>(), [25, 7]);
        assert_eq!(
            text(&cut[0][20], "SK"),
            format!("RES#{}", text(&cut[0][20], "reservation_id"))
        );
        assert_eq!(text(&cut[1][5], "SK"), "DAY#2026-03-10");
        assert_eq!(batches(std::iter::empty()).count(), 0);
    }

    #[tokio::test]
    async fn unprocessed_items_are_sent_again_until_none_are_left() {
        let calls = AtomicU32::new(0);
        let report = until_processed(&quick(5), requests(25), |sent| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                // DynamoDB processes ten at a time.
                let left: Vec<_> = sent.into_iter().skip(10).collect();
                assert!(n < 3, "sent again after everything was processed");
                Ok(left)
            }
        })
        .await
        .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            report,
            BulkReport {
                items: 25,
                requests: 3,
                retried_items: 15 + 5,
                skipped: 0
            }
        );
    }

    /// A store whose client answers as `rule` says, through the SDK's
    /// whole response path (status, body, error parsing, retry classification).
    fn mocked_store(rule: &aws_smithy_mocks::Rule) -> Store {
        let client = aws_smithy_mocks::mock_client!(
            aws_sdk_dynamodb,
            aws_smithy_mocks::RuleMode::Sequential,
            [rule]
        );
        Store::new(client, "vacations")
    }

    /// DynamoDB's answer to a request over the table's provisioned throughput.
    fn throughput_exceeded() -> String {
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#.to_owned()
    }

    fn thirty_profiles() -> Vec<Record> {
        (1..=30).map(employee).collect()
    }

    fn options(max_attempts: u32) -> BulkOptions {
        BulkOptions {
            concurrency: 1,
            retry: quick(max_attempts),
        }
    }

    #[tokio::test]
    async fn a_throttled_request_is_sent_again_whole_by_the_sdk() {
        use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
        // 30 items: a request of 25, throttled twice, then one of 5.
        let rule = aws_smithy_mocks::mock!(Client::batch_write_item)
            .match_requests(|r| {
                let sent = r.request_items().map_or(0, |m| m["vacations"].len());
                sent == 25 || sent == 5
            })
            .sequence()
            .http_status(400, Some(throughput_exceeded()))
            .times(2)
            .output(|| BatchWriteItemOutput::builder().build())
            .times(2)
            .build();
        let store = mocked_store(&rule);
        let mut progress = Vec::new();
        let report = store
            .write_records(thirty_profiles(), &options(3), |n| progress.push(n))
            .await
            .unwrap();
        assert_eq!(rule.num_calls(), 4);
        assert_eq!(progress, [25, 5]);
        // Our own count: two requests; the SDK's two resends are its own.
        assert_eq!(
            report,
            BulkReport {
                items: 30,
                requests: 2,
                retried_items: 0,
                skipped: 0
            }
        );
    }

    #[tokio::test]
    async fn a_request_throttled_past_the_policys_attempts_fails_clearly() {
        let rule = aws_smithy_mocks::mock!(Client::batch_write_item)
            .sequence()
            .http_status(400, Some(throughput_exceeded()))
            .repeatedly()
            .build();
        let store = mocked_store(&rule);
        let err = store
            .write_records(thirty_profiles(), &options(4), |_| {})
            .await
            .unwrap_err();
        assert_eq!(rule.num_calls(), 4, "one request, sent 4 times by the SDK");
        assert_eq!(
            err.to_string(),
            "DynamoDB BatchWriteItem gave up after 4 attempts: ProvisionedThroughputExceededException"
        );
    }

    #[tokio::test]
    async fn items_that_stay_unprocessed_give_up_after_the_policys_attempts() {
        let calls = AtomicU32::new(0);
        let err = until_processed(&quick(4), requests(3), |sent| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(sent) }
        })
        .await
        .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert!(
            matches!(&err, StoreError::Contention { operation: "BatchWriteItem", attempts: 4, reason } if reason == "3 item(s) still unprocessed"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "DynamoDB BatchWriteItem gave up after 4 attempts: 3 item(s) still unprocessed"
        );
    }

    #[tokio::test]
    async fn a_failed_request_is_not_retried() {
        let calls = AtomicU32::new(0);
        let result = until_processed(&quick(4), requests(3), |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(StoreError::IdempotencyKeyReused) }
        })
        .await;
        assert!(matches!(result, Err(StoreError::IdempotencyKeyReused)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
    fn gaps(ranges: &[Range<u64>]) -> Gaps {
        let mut gaps = Gaps::default();
        for r in ranges {
            gaps.insert(r.clone());
        }
        gaps
    }

    #[test]
    fn neighbouring_gaps_merge_in_whatever_order_they_come() {
        let merged = gaps(&[10..20, 0..5, 30..40, 5..10, 20..25, 41..42, 42..42]);
        assert_eq!(merged.0, BTreeMap::from([(0, 25), (30, 40), (41, 42)]));
    }

    #[test]
    fn only_the_items_in_the_gaps_are_selected() {
        let picked: Vec<u64> = gaps(&[2..4, 7..8, 9..12]).select(100..110).collect();
        assert_eq!(picked, [102, 103, 107, 109]);
        assert_eq!(Gaps::default().select(0..10).count(), 0);
    }

    fn key_at(n: u64) -> ItemKey {
        ItemKey {
            pk: format!("EMP#{n}"),
            sk: "PROFILE".into(),
        }
    }

    #[test]
    fn a_comparison_names_the_first_differing_items_whatever_order_batches_finish_in() {
        let mut comparison = Comparison::default();
        comparison.add(BatchComparison {
            same: 3,
            missing: vec![200..210, 220..221],
            differing: (100..120).map(|n| (n, key_at(n))).collect(),
        });
        comparison.add(BatchComparison {
            same: 1,
            missing: vec![5..6, 7..9],
            differing: vec![(50, key_at(50))],
        });
        assert_eq!((comparison.same, comparison.missing), (4, 14));
        assert_eq!(comparison.differing, 21);
        let named: Vec<String> = comparison.first_differing().map(|k| k.pk.clone()).collect();
        assert_eq!(named.len(), DIFFERING_NAMED);
        assert_eq!(named[..2], ["EMP#50", "EMP#100"]);
        assert!(!comparison.only_missing());
    }

    /// DynamoDB's answer to a transaction it cancelled, with one reason code per action.
    fn cancelled(codes: &[&str]) -> String {
        let reasons: Vec<String> = codes
            .iter()
            .map(|code| format!(r#"{{"Code":"{code}"}}"#))
            .collect();
        format!(
            r#"{{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled","CancellationReasons":[{}]}}"#,
            reasons.join(",")
        )
    }

    fn profiles(ids: std::ops::RangeInclusive<u32>) -> Vec<Item> {
        ids.map(|n| items::key(format!("EMP#{n}"), "PROFILE".into()))
            .collect()
    }

    /// Only the items already there are dropped from the transaction, the rest written; a
    /// transaction cancelled for contention is sent again whole.
    #[tokio::test]
    async fn conditional_puts_skip_the_items_already_there_and_write_the_rest() {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
        let conditional =
            |r: &aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput| {
                r.transact_items().iter().all(|action| {
                    action.put().is_some_and(|put| {
                        put.condition_expression() == Some("attribute_not_exists(#pk)")
                            && put.expression_attribute_names().and_then(|n| n.get("#pk"))
                                == Some(&"PK".to_owned())
                    })
                })
            };
        let three = aws_smithy_mocks::mock!(Client::transact_write_items)
            .match_requests(move |r| conditional(r) && r.transact_items().len() == 3)
            .sequence()
            .http_status(
                400,
                Some(cancelled(&["None", "TransactionConflict", "None"])),
            )
            .http_status(
                400,
                Some(cancelled(&["None", "ConditionalCheckFailed", "None"])),
            )
            .build();
        let two = aws_smithy_mocks::mock!(Client::transact_write_items)
            .match_requests(move |r| {
                let keys: Vec<&str> = r
                    .transact_items()
                    .iter()
                    .filter_map(|a| a.put().map(|p| p.item()["PK"].as_s().unwrap().as_str()))
                    .collect();
                conditional(r) && keys == ["EMP#1", "EMP#3"]
            })
            .then_output(|| TransactWriteItemsOutput::builder().build());
        let client = aws_smithy_mocks::mock_client!(
            aws_sdk_dynamodb,
            aws_smithy_mocks::RuleMode::Sequential,
            [&three, &two]
        );
        let report = put_all_if_absent(&client, "vacations", &quick(3), profiles(1..=3))
            .await
            .unwrap();
        assert_eq!((three.num_calls(), two.num_calls()), (2, 1));
        assert_eq!(
            report,
            BulkReport {
                items: 2,
                requests: 3,
                retried_items: 0,
                skipped: 1
            }
        );
    }

    #[tokio::test]
    async fn conditional_puts_cancelled_for_contention_past_the_policys_attempts_fail_clearly() {
        let rule = aws_smithy_mocks::mock!(Client::transact_write_items)
            .sequence()
            .http_status(400, Some(cancelled(&["ThrottlingError", "None"])))
            .repeatedly()
            .build();
        let client = aws_smithy_mocks::mock_client!(
            aws_sdk_dynamodb,
            aws_smithy_mocks::RuleMode::Sequential,
            [&rule]
        );
        let err = put_all_if_absent(&client, "vacations", &quick(3), profiles(1..=2))
            .await
            .unwrap_err();
        assert_eq!(rule.num_calls(), 3);
        assert_eq!(
            err.to_string(),
            "DynamoDB TransactWriteItems gave up after 3 attempts: ThrottlingError"
        );
    }
}
