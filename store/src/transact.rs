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
                    match transient_reason(reasons) {
                        Some(code) => Attempt::Retry(code),
                        None => on_cancel(reasons),
                    }
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                    Attempt::Retry("TransactionInProgress".into())
                }
                Some(TransactWriteItemsError::IdempotentParameterMismatchException(_)) => {
                    Attempt::Done(Err(StoreError::IdempotencyKeyReused))
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
