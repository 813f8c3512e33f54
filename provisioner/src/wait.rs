//! Waiting for AWS: polling a status until it settles, and retrying a call that fails
//! only because IAM has not propagated yet. Both are bounded; neither sleeps blindly.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result};

/// How often and how long to poll or retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// The first delay.
    pub first: Duration,
    /// The longest delay (delays double up to it).
    pub max: Duration,
    /// When to give up.
    pub timeout: Duration,
}

impl Pacing {
    /// Polling a status: agents and aliases settle in seconds, Lambda updates too.
    pub const STATUS: Pacing = Pacing {
        first: Duration::from_millis(500),
        max: Duration::from_secs(5),
        timeout: Duration::from_secs(600),
    };

    /// Retrying a call refused because a new role or policy has not propagated: IAM is
    /// eventually consistent, usually within seconds, rarely up to a minute or two.
    pub const IAM_PROPAGATION: Pacing = Pacing {
        first: Duration::from_secs(1),
        max: Duration::from_secs(10),
        timeout: Duration::from_secs(120),
    };

    /// Retrying point-in-time recovery on a table created moments ago: DynamoDB turns its
    /// continuous backups on by itself after `CreateTable` and refuses PITR until then
    /// (`ContinuousBackupsUnavailableException`). Unconfirmed: AWS documents neither how
    /// long that takes nor a status to poll; minutes at most is the reported experience.
    pub const TABLE_BACKUPS: Pacing = Pacing {
        first: Duration::from_secs(2),
        max: Duration::from_secs(15),
        timeout: Duration::from_secs(300),
    };
}

/// What one look at a resource found.
#[derive(Debug)]
pub enum Poll<T> {
    /// Settled: stop polling.
    Ready(T),
    /// Still moving; the status seen, for the timeout message.
    Pending(String),
}

/// Polls `look` until it is ready, or `pacing.timeout` has passed.
pub async fn until<T, F, Fut>(pacing: Pacing, what: &str, mut look: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let started = Instant::now();
    let mut delay = pacing.first;
    loop {
        match look().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(last) => {
                if started.elapsed() >= pacing.timeout {
                    return Err(Error::Timeout {
                        what: what.to_owned(),
                        last,
                        seconds: pacing.timeout.as_secs(),
                    });
                }
                tracing::debug!(what, status = %last, "waiting");
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(pacing.max);
    }
}

/// Runs `call` again while it fails with an error `is_propagation` recognises, within
/// `pacing`. Any other error, or the last one, is returned as is.
pub async fn retry_propagation<T, E, F, Fut>(
    pacing: Pacing,
    is_propagation: impl Fn(&E) -> bool,
    call: F,
) -> std::result::Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, E>>,
{
    retry_while(pacing, "IAM has not propagated yet", is_propagation, call).await
}

/// Runs `call` again while it fails with an error `is_transient` recognises, within
/// `pacing`; `why` names what is awaited, for the log. Any other error, or the last one,
/// is returned as is.
pub async fn retry_while<T, E, F, Fut>(
    pacing: Pacing,
    why: &str,
    is_transient: impl Fn(&E) -> bool,
    mut call: F,
) -> std::result::Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, E>>,
{
    let started = Instant::now();
    let mut delay = pacing.first;
    loop {
        match call().await {
            Err(e) if is_transient(&e) && started.elapsed() + delay <= pacing.timeout => {
                tracing::info!("{why}; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(pacing.max);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn polling_stops_at_the_first_ready_answer() {
        let seen = AtomicUsize::new(0);
        let v = until(Pacing::STATUS, "thing", || async {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            Ok(if n < 3 {
                Poll::Pending("CREATING".into())
            } else {
                Poll::Ready(n)
            })
        })
        .await
        .unwrap();
        assert_eq!(v, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn polling_gives_up_with_the_last_status() {
        let err = until::<(), _, _>(Pacing::STATUS, "the agent", || async {
            Ok(Poll::Pending("PREPARING".into()))
        })
        .await
        .unwrap_err();
        match err {
            Error::Timeout { what, last, .. } => {
                assert_eq!(what, "the agent");
                assert_eq!(last, "PREPARING");
            }
            other => panic!("{other}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_propagation_error_is_retried_and_only_for_a_while() {
        let calls = AtomicUsize::new(0);
        let r: std::result::Result<(), &str> = retry_propagation(
            Pacing::IAM_PROPAGATION,
            |e| *e == "not yet",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("not yet")
            },
        )
        .await;
        assert_eq!(r, Err("not yet"));
        let n = calls.load(Ordering::SeqCst);
        assert!((5..=20).contains(&n), "{n} attempts");

        let calls = AtomicUsize::new(0);
        let r: std::result::Result<(), &str> = retry_propagation(
            Pacing::IAM_PROPAGATION,
            |e| *e == "not yet",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("denied")
            },
        )
        .await;
        assert_eq!(r, Err("denied"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
