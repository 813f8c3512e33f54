//! The parallel scan: every segment of the table read at once, each in a task of its own,
//! page after page. The caller says what to ask of each page (consistency, projection,
//! filter, count) and what to do with each page as it arrives; the audit, the count of
//! the seeder's resume and the delete-all of `--reset` are the three readers.

use std::future::Future;
use std::ops::ControlFlow;
use std::sync::Arc;

use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::Client;
use tokio::task::{JoinError, JoinSet};

use crate::StoreError;

/// Scans `table` in `segments` segments (at least 1) at once. Each request is the one
/// `request` makes of a plain `Scan` of its segment; each page goes to `page`, in the
/// segment's task, which says whether that segment goes on. Returns when every segment has
/// read its last page or stopped; the first error (of a `Scan` or of `page`) stops it,
/// abandoning the other segments.
pub(crate) async fn parallel_scan<R, P, Fut>(
    client: &Client,
    table: &str,
    segments: usize,
    request: R,
    page: P,
) -> Result<(), StoreError>
where
    R: Fn(ScanFluentBuilder) -> ScanFluentBuilder + Send + Sync + 'static,
    P: Fn(ScanOutput) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ControlFlow<()>, StoreError>> + Send,
{
    let segments = i32::try_from(segments.max(1)).unwrap_or(i32::MAX);
    let (request, page) = (Arc::new(request), Arc::new(page));
    let mut tasks = JoinSet::new();
    for segment in 0..segments {
        let (client, table) = (client.clone(), table.to_owned());
        let (request, page) = (Arc::clone(&request), Arc::clone(&page));
        tasks.spawn(async move {
            let mut start = None;
            loop {
                let scan = client
                    .scan()
                    .table_name(&table)
                    .segment(segment)
                    .total_segments(segments);
                let mut out = request(scan)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| StoreError::dynamo("Scan", e))?;
                // A page may come back empty with more to read.
                let next = out.last_evaluated_key.take().filter(|k| !k.is_empty());
                if page(out).await?.is_break() {
                    return Ok(());
                }
                match next {
                    Some(key) => start = Some(key),
                    None => return Ok(()),
                }
            }
        });
    }
    while let Some(result) = tasks.join_next().await {
        joined(result)?;
    }
    Ok(())
}

/// The result of a task of the store's; a panic in it is the caller's panic.
pub(crate) fn joined<T>(result: Result<Result<T, StoreError>, JoinError>) -> Result<T, StoreError> {
    match result {
        Ok(done) => done,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Tasks are aborted only when their set is dropped, and then nobody waits on them.
        Err(e) => panic!("a store task was cancelled: {e}"),
    }
}
