//! What can go wrong, with messages that say what to do about it.

use std::path::PathBuf;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A boxed cause kept for `source()`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Every failure of the provisioner. The `Display` of each is one sentence a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No region came from `--region`, `AWS_REGION` or the profile.
    #[error("no AWS region is configured: set AWS_REGION (or `region` in your AWS profile) or pass --region")]
    NoRegion,

    /// The credential chain found nothing usable.
    #[error("no AWS credentials were found: set AWS_PROFILE (then `aws sso login` if it uses SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials(#[source] BoxError),

    /// AWS refused the credentials themselves (unknown, expired or mis-signed).
    #[error("AWS rejected the credentials ({code}) during {operation}: refresh them (e.g. `aws sso login`) or check AWS_PROFILE")]
    BadCredentials {
        /// The call that was refused.
        operation: &'static str,
        /// The AWS error code.
        code: String,
        /// The SDK error.
        #[source]
        source: BoxError,
    },

    /// The endpoint did not answer.
    #[error("could not reach AWS during {operation}: check the network, the region and any AWS_ENDPOINT_URL")]
    Unreachable {
        /// The call that could not be sent.
        operation: &'static str,
        /// The SDK error.
        #[source]
        source: BoxError,
    },

    /// An AWS call failed for another reason.
    #[error("{operation} failed: {code}: {message}{hint}")]
    Aws {
        /// The call that failed.
        operation: &'static str,
        /// The AWS error code (`AccessDeniedException`, ...), or `unknown`.
        code: String,
        /// AWS's message.
        message: String,
        /// A hint on what to do, starting with "; " (empty when there is none).
        hint: &'static str,
        /// The SDK error.
        #[source]
        source: BoxError,
    },

    /// A resource did not reach the awaited status in time.
    #[error("timed out after {seconds} s waiting for {what} (last seen: {last}); run the command again to keep waiting")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The last status seen.
        last: String,
        /// How long was waited.
        seconds: u64,
    },

    /// A resource ended in a failed state.
    #[error("{what} failed: {reasons}")]
    Failed {
        /// The resource.
        what: String,
        /// AWS's failure reasons, joined.
        reasons: String,
    },

    /// The Lambda package cannot be read.
    #[error("cannot read the Lambda package {}: build it with scripts/package-lambda.sh or pass --lambda-zip", path.display())]
    LambdaZip {
        /// Where it was looked for.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A setting breaks one of AWS's limits.
    #[error("invalid {what} {value:?}: {rule}")]
    InvalidSetting {
        /// Which setting.
        what: &'static str,
        /// The value given.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },

    /// The table is protected against deletion.
    #[error("the table {table} has deletion protection on: turn it off first (`provisioner up --deletion-protection false`), then run `provisioner down --delete-table` again")]
    TableProtected {
        /// The table.
        table: String,
    },

    /// The agent (or its alias) is not there.
    #[error("the agent {name} has no alias {alias} in {region}: run `provisioner up` first")]
    NotDeployed {
        /// The agent's name.
        name: String,
        /// The alias's name.
        alias: String,
        /// The region looked in.
        region: String,
    },

    /// An existing resource has a shape we cannot update in place.
    #[error("{what}: {problem}")]
    Conflict {
        /// The resource.
        what: String,
        /// What is wrong with it.
        problem: String,
    },

    /// The table exists with another key schema (from the store).
    #[error("the table step failed: {0}")]
    Store(#[from] store::StoreError),

    /// The state file cannot be written or read.
    #[error("cannot use the state file {}: {source}", path.display())]
    StateFile {
        /// The file.
        path: PathBuf,
        /// The I/O or JSON error.
        #[source]
        source: BoxError,
    },

    /// A policy document from AWS is not valid JSON.
    #[error("the policy of {what} returned by AWS is not valid JSON")]
    PolicyJson {
        /// Whose policy.
        what: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },

    /// Reading the terminal failed.
    #[error("cannot read from the terminal")]
    Terminal(#[source] std::io::Error),
}

/// Codes AWS uses when the credentials themselves are refused.
const CREDENTIAL_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "InvalidAccessKeyId",
];

/// Whether an AWS error code means the credentials themselves were refused.
pub(crate) fn is_credential_code(code: Option<&str>) -> bool {
    code.is_some_and(|c| CREDENTIAL_CODES.contains(&c))
}

impl Error {
    /// Wraps an SDK error of `operation`, sorting out the cases a user fixes differently.
    pub fn aws<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match &err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                return Error::Unreachable {
                    operation,
                    source: Box::new(err),
                }
            }
            _ => {}
        }
        let code = err.code().map(str::to_owned);
        let message = err.message().map(str::to_owned);
        if is_credential_code(code.as_deref()) {
            return Error::BadCredentials {
                operation,
                code: code.unwrap_or_default(),
                source: Box::new(err),
            };
        }
        let hint = match code.as_deref() {
            Some("AccessDeniedException" | "AccessDenied") => {
                "; the caller needs that permission (see README, Deploying to AWS)"
            }
            Some("ThrottlingException" | "Throttling" | "TooManyRequestsException") => {
                "; wait a minute and run the command again"
            }
            _ => "",
        };
        let message = message.unwrap_or_else(|| match &err {
            SdkError::ServiceError(_) => "no message".to_owned(),
            other => other.to_string(),
        });
        Error::Aws {
            operation,
            code: code.unwrap_or_else(|| "unknown".to_owned()),
            message,
            hint,
            source: Box::new(err),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
