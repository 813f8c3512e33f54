//! Bounded retries with jittered exponential backoff, for transactions that DynamoDB
//! cancels because of contention (`TransactionConflict`), throttling, or a concurrent
//! request with the same client token (`TransactionInProgressException`).

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::StoreError;

/// How many times, and how patiently, a transaction is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff ceiling before the first retry; doubled after each.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// "Full jitter" backoff before retry number `retry` (1-based): uniform in
    /// `0 ..= min(max_delay, base_delay * 2^(retry-1))`, so competing writers spread out.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << (retry - 1).min(16))
            .min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// What one attempt produced.
pub(crate) enum Attempt<T> {
    /// Final: success or an error that retrying cannot fix.
    Done(Result<T, StoreError>),
    /// Transient: worth another attempt; the text says why.
    Retry(String),
}

/// Runs `attempt` until it is done or the policy's attempts are spent.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    mut attempt: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let attempts = policy.max_attempts.max(1);
    let mut last_reason = String::new();
    for n in 1..=attempts {
        if n > 1 {
            tokio::time::sleep(policy.delay(n - 1)).await;
        }
        match attempt().await {
            Attempt::Done(result) => return result,
            Attempt::Retry(reason) => {
                tracing::debug!(operation, attempt = n, %reason, "transient failure, retrying");
                last_reason = reason;
            }
        }
    }
    Err(StoreError::Contention {
        operation,
        attempts,
        reason: last_reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    #[tokio::test]
    async fn a_transient_failure_is_retried_until_it_succeeds() {
        let calls = AtomicU32::new(0);
        let result = with_retries(&quick(5), "op", || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Attempt::Retry("TransactionConflict".into())
            } else {
                Attempt::Done(Ok(42))
            }
        })
        .await;
        assert_eq!(result.unwrap(), 42);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_are_bounded_and_report_the_last_reason() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&quick(4), "TransactWriteItems", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Attempt::Retry("ThrottlingError".into())
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        match result {
            Err(StoreError::Contention {
                attempts, reason, ..
            }) => assert_eq!((attempts, reason.as_str()), (4, "ThrottlingError")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_final_error_is_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&quick(4), "op", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Attempt::Done(Err(StoreError::IdempotencyKeyReused))
        })
        .await;
        assert!(matches!(result, Err(StoreError::IdempotencyKeyReused)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy::default();
        for retry in 1..40 {
            assert!(policy.delay(retry) <= policy.max_delay);
        }
    }
}
