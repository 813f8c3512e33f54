//! Bounded retries with jittered exponential backoff, for transactions that DynamoDB
//! cancels because of contention (`TransactionConflict`), throttling, or a concurrent
//! request with the same client token (`TransactionInProgressException`).
//!
//! A transaction in progress is waited for longer than the other transient failures:
//! AWS advises retrying `TransactionInProgressException` for more than five seconds after
//! the first attempt, since DynamoDB may need that long to recover the earlier request.
//! (Assumption from the `TransactWriteItems` documentation; DynamoDB Local never
//! needs it.) The Lambda's own deadline still bounds the whole call.

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
    /// How long after the first attempt a transaction in progress (same client token,
    /// still being applied or recovered) is still retried, even past `max_attempts`.
    pub in_progress_patience: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(1),
            in_progress_patience: Duration::from_secs(6),
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
    /// The same request is still in progress at DynamoDB: retried until
    /// [`RetryPolicy::in_progress_patience`] has passed, whatever the attempt count.
    InProgress,
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
    let started = tokio::time::Instant::now();
    let mut n = 0;
    loop {
        if n > 0 {
            tokio::time::sleep(policy.delay(n)).await;
        }
        n += 1;
        let reason = match attempt().await {
            Attempt::Done(result) => return result,
            Attempt::Retry(reason) if n < attempts => reason,
            Attempt::InProgress if started.elapsed() < policy.in_progress_patience => {
                "TransactionInProgress".to_owned()
            }
            Attempt::Retry(reason) => return Err(gave_up(operation, n, reason)),
            Attempt::InProgress => {
                return Err(gave_up(operation, n, "TransactionInProgress".to_owned()))
            }
        };
        tracing::debug!(operation, attempt = n, %reason, "transient failure, retrying");
    }
}

fn gave_up(operation: &'static str, attempts: u32, reason: String) -> StoreError {
    StoreError::Contention {
        operation,
        attempts,
        reason,
    }
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
            in_progress_patience: Duration::from_secs(6),
        }
    }

    /// A request still in progress is retried for more than five seconds, as AWS advises,
    /// even when that takes more attempts than the policy allows for contention.
    #[tokio::test(start_paused = true)]
    async fn a_transaction_in_progress_is_retried_for_more_than_five_seconds() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let started = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&policy, "TransactWriteItems", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Attempt::InProgress
        })
        .await;
        assert!(
            started.elapsed() > Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(calls.load(Ordering::SeqCst) > 3);
        assert!(
            matches!(&result, Err(StoreError::Contention { reason, .. }) if reason == "TransactionInProgress"),
            "{result:?}"
        );
        // And one that clears in time succeeds.
        let calls = AtomicU32::new(0);
        let result = with_retries(&policy, "TransactWriteItems", || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 5 {
                Attempt::InProgress
            } else {
                Attempt::Done(Ok(7))
            }
        })
        .await;
        assert_eq!(result.unwrap(), 7);
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
