//! Sending a conditional transaction with its client token, retrying what is transient.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};

use crate::retry::{with_retries, Attempt};
use crate::{Store, StoreError};

/// The first transient code among cancellation reasons: contention with another
/// transaction, or throttling. Worth retrying as is.
pub(crate) fn transient_reason(reasons: &[CancellationReason]) -> Option<String> {
    reasons
        .iter()
        .filter_map(CancellationReason::code)
        .find(|code| {
            matches!(
                *code,
                "TransactionConflict"
                    | "ThrottlingError"
                    | "ProvisionedThroughputExceeded"
                    | "RequestLimitExceeded"
            )
        })
        .map(str::to_owned)
}

impl Store {
    /// Sends `items` as one `TransactWriteItems` with `token`, retrying (with the same
    /// token, so at most one attempt applies) while DynamoDB reports contention,
    /// throttling or the same token in flight. A cancellation is read by `on_cancel`.
    pub(crate) async fn transact<T: Clone>(
        &self,
        items: &[TransactWriteItem],
        token: &str,
        success: T,
        on_cancel: impl Fn(&[CancellationReason]) -> Attempt<T>,
    ) -> Result<T, StoreError> {
        with_retries(&self.retry, "TransactWriteItems", || async {
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.to_vec()))
                .client_request_token(token)
                .send()
                .await;
            let Err(err) = sent else {
                return Attempt::Done(Ok(success.clone()));
            };
            match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let reasons = cancelled.cancellation_reasons();
                    // A failed condition is an answer: retrying cannot change it, so it
                    // wins over a transient reason reported beside it.
                    let refused = reasons
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed"));
                    match transient_reason(reasons) {
                        Some(code) if !refused => Attempt::Retry(code),
                        _ => on_cancel(reasons),
                    }
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                    Attempt::InProgress
                }
                // Every round of a change has its own token, so this is no user's mistake.
                Some(TransactWriteItemsError::IdempotentParameterMismatchException(_)) => {
                    Attempt::Done(Err(StoreError::dynamo("TransactWriteItems", err)))
                }
                Some(
                    TransactWriteItemsError::ProvisionedThroughputExceededException(_)
                    | TransactWriteItemsError::ThrottlingException(_)
                    | TransactWriteItemsError::RequestLimitExceeded(_),
                ) => Attempt::Retry("Throttling".into()),
                _ => Attempt::Done(Err(StoreError::dynamo("TransactWriteItems", err))),
            }
        })
        .await
    }
}

/// The error for a cancellation that none of our conditions explains.
pub(crate) fn unexpected(reasons: &[CancellationReason]) -> StoreError {
    StoreError::UnexpectedCancellation {
        operation: "TransactWriteItems",
        codes: reasons
            .iter()
            .map(|r| r.code().unwrap_or("None").to_owned())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::error::TransactionCanceledException;
    use aws_sdk_dynamodb::Client;
    use aws_smithy_mocks::{mock, mock_client};

    fn cancelled(codes: &[&str]) -> TransactWriteItemsError {
        let mut exception = TransactionCanceledException::builder();
        for code in codes {
            exception =
                exception.cancellation_reasons(CancellationReason::builder().code(*code).build());
        }
        TransactWriteItemsError::TransactionCanceledException(exception.build())
    }

    /// DynamoDB may report a failed condition beside a conflict on another item: the
    /// condition's answer is final, so it is given at once rather than retried away.
    #[tokio::test]
    async fn a_refusal_wins_over_a_transient_reason_in_the_same_cancellation() {
        let rule = mock!(Client::transact_write_items)
            .then_error(|| cancelled(&["ConditionalCheckFailed", "TransactionConflict"]));
        let store = Store::new(mock_client!(aws_sdk_dynamodb, [&rule]), "t");
        let got = store
            .transact(&[], "token", (), |reasons| {
                assert_eq!(reasons.len(), 2);
                Attempt::Done(Err(StoreError::IdempotencyKeyReused))
            })
            .await;
        assert!(
            matches!(got, Err(StoreError::IdempotencyKeyReused)),
            "{got:?}"
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_conflict_alone_is_retried() {
        let rule = mock!(Client::transact_write_items)
            .sequence()
            .error(|| cancelled(&["None", "TransactionConflict"]))
            .output(|| {
                aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput::builder()
                    .build()
            })
            .build();
        let store = Store::new(
            mock_client!(
                aws_sdk_dynamodb,
                aws_smithy_mocks::RuleMode::Sequential,
                [&rule]
            ),
            "t",
        );
        let got = store
            .transact(&[], "token", 7, |_| {
                Attempt::Done(Err(StoreError::IdempotencyKeyReused))
            })
            .await;
        assert_eq!(got.unwrap(), 7);
        assert_eq!(rule.num_calls(), 2);
    }
}
