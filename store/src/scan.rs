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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    use super::*;

    fn item(pk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([("PK".to_owned(), AttributeValue::S(pk.to_owned()))])
    }

    /// Every segment's first page points at more; the page after it is its last. Only
    /// requests of three segments with consistent reads are answered.
    fn two_pages_a_segment() -> [Rule; 2] {
        let asked = |r: &aws_sdk_dynamodb::operation::scan::ScanInput| {
            r.total_segments() == Some(3) && r.consistent_read() == Some(true)
        };
        let first = mock!(Client::scan)
            .match_requests(move |r| asked(r) && r.exclusive_start_key().is_none())
            .sequence()
            .output(|| {
                ScanOutput::builder()
                    .items(item("first"))
                    .last_evaluated_key("PK", AttributeValue::S("first".into()))
                    .build()
            })
            .repeatedly()
            .build();
        let last = mock!(Client::scan)
            .match_requests(move |r| asked(r) && r.exclusive_start_key().is_some())
            .sequence()
            .output(|| ScanOutput::builder().items(item("last")).build())
            .repeatedly()
            .build();
        [first, last]
    }

    async fn scan_counting(
        client: &Client,
        flow: ControlFlow<()>,
    ) -> (Result<(), StoreError>, usize) {
        let pages = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&pages);
        let scanned = parallel_scan(
            client,
            "vacations",
            3,
            |scan| scan.consistent_read(true),
            move |_| {
                seen.fetch_add(1, Ordering::SeqCst);
                std::future::ready(Ok(flow))
            },
        )
        .await;
        (scanned, pages.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn every_segment_is_read_to_its_last_page_as_the_caller_asks() {
        let [first, last] = two_pages_a_segment();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&first, &last]);
        let (scanned, pages) = scan_counting(&client, ControlFlow::Continue(())).await;
        scanned.unwrap();
        assert_eq!((first.num_calls(), last.num_calls(), pages), (3, 3, 6));
    }

    #[tokio::test]
    async fn a_segment_stops_when_its_reader_says_so() {
        let [first, last] = two_pages_a_segment();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&first, &last]);
        let (scanned, pages) = scan_counting(&client, ControlFlow::Break(())).await;
        scanned.unwrap();
        assert_eq!((first.num_calls(), last.num_calls(), pages), (3, 0, 3));
    }

    #[tokio::test]
    async fn a_failed_scan_is_the_scans_error() {
        let refused = mock!(Client::scan)
            .sequence()
            .http_status(
                400,
                Some(
                    r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"no"}"#
                        .to_owned(),
                ),
            )
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&refused]);
        let (scanned, pages) = scan_counting(&client, ControlFlow::Continue(())).await;
        assert_eq!(scanned.unwrap_err().to_string(), "DynamoDB Scan failed");
        assert!(refused.num_calls() >= 1);
        assert_eq!(pages, 0, "no page was handed on");
    }
}
