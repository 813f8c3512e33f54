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

    /// Nothing to talk to: the agent (or its alias, or the harness) is not there.
    #[error("{what} is not deployed in {region}: {next}")]
    NotDeployed {
        /// What is missing (`the agent hr-assistant with alias live`, `the harness hr_assistant`).
        what: String,
        /// The region looked in.
        region: String,
        /// What to run, for the platform the state file records.
        next: String,
    },

    /// Bedrock Agents (Classic) refuses to create agents for this account.
    #[error("Agents Classic is closed to this account ({message}); `provisioner up --platform agentcore` deploys the same tools on Amazon Bedrock AgentCore{cleanup}")]
    ClassicClosed {
        /// AWS's words.
        message: String,
        /// What was done with what this run had created, starting with "; " (or empty).
        cleanup: String,
    },

    /// The command needs a user pool user that is not there.
    #[error("no user {username} in the user pool {pool}: run `provisioner user add {employee_id}` first")]
    NoSuchUser {
        /// The Cognito user name.
        username: String,
        /// The employee id it stands for.
        employee_id: String,
        /// The pool.
        pool: String,
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

/// The start of Bedrock's refusal for accounts that may no longer create agents.
pub const CLASSIC_CLOSED_MESSAGE: &str = "Bedrock Agents is in Maintenance Mode";

/// Whether an AWS error is Agents Classic's maintenance-mode refusal (403
/// `AccessDeniedException`, "Bedrock Agents is in Maintenance Mode. New agent creation is
/// not available for accounts without prior service usage …").
pub fn is_classic_closed(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("AccessDeniedException")
        && message.is_some_and(|m| m.contains(CLASSIC_CLOSED_MESSAGE))
}

/// Turns an SDK answer whose error means "not there" into `None`; any other error is
/// wrapped as [`Error::aws`] for `operation`.
pub fn found<T, E, R>(
    operation: &'static str,
    result: std::result::Result<T, SdkError<E, R>>,
    is_not_found: impl FnOnce(&E) -> bool,
) -> Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.as_service_error().is_some_and(is_not_found) => Ok(None),
        Err(e) => Err(Error::aws(operation, e)),
    }
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
        if is_classic_closed(code.as_deref(), message.as_deref()) {
            return Error::ClassicClosed {
                message: message.unwrap_or_default(),
                cleanup: String::new(),
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

/// How many times one turn may hand control back to the terminal (confirmations, tool
/// calls) before the terminal stops answering.
pub const MAX_ROUNDS: usize = 8;

/// The kinds of error the agent runtimes (`InvokeAgent`, `InvokeHarness`) report, each with
/// its own exit status (see [`crate::exit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 403: the caller, or the agent's role, lacks a permission.
    AccessDenied,
    /// 429: too many requests.
    Throttling,
    /// 424: a tool's Lambda failed or answered in the wrong shape.
    DependencyFailed,
    /// 400: the request is invalid.
    Validation,
    /// 404: no such agent, alias or harness.
    ResourceNotFound,
    /// 409: the agent is busy.
    Conflict,
    /// 400: a quota is exhausted.
    ServiceQuotaExceeded,
    /// 424: the model is not ready.
    ModelNotReady,
    /// 502: a gateway failed.
    BadGateway,
    /// 500: AWS failed.
    InternalServer,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// What it means and what to do, in one sentence.
    pub fn explanation(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "access denied: the caller needs bedrock:InvokeAgent on the alias (Classic) or bedrock-agentcore:InvokeHarness and InvokeAgentRuntime on the harness (AgentCore), and the agent's role needs access to its model",
            ErrorKind::Throttling => "throttled: too many requests; wait a moment and ask again",
            ErrorKind::DependencyFailed => "a tool failed: the Lambda errored or answered in the wrong shape; see its logs in CloudWatch",
            ErrorKind::Validation => "the request was rejected as invalid",
            ErrorKind::ResourceNotFound => "the agent was not found: run `provisioner up` (or `provisioner status` to see what is missing)",
            ErrorKind::Conflict => "the agent is busy (being prepared or updated); ask again shortly",
            ErrorKind::ServiceQuotaExceeded => "a Bedrock service quota is exhausted; ask again later or raise the quota",
            ErrorKind::ModelNotReady => "the model is not ready to serve yet; ask again in a minute",
            ErrorKind::BadGateway => "AWS had a gateway error; ask again",
            ErrorKind::InternalServer => "AWS had an internal error; ask again",
            ErrorKind::Other => "the agent failed",
        }
    }
}

/// Why a turn failed.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The agent reported an error (in the stream or as the call's answer).
    #[error("{}: {message}", kind.explanation())]
    Agent {
        /// Which error.
        kind: ErrorKind,
        /// AWS's message.
        message: String,
    },
    /// Configuration, credentials, network or a missing deployment: see [`Error`].
    #[error(transparent)]
    Setup(#[from] Error),
    /// The stream could not be read.
    #[error("the answer stream broke off: {0}")]
    Stream(String),
    /// The answer could not be written, or the confirmation could not be read.
    #[error("cannot use the terminal")]
    Io(#[from] std::io::Error),
    /// The agent kept returning control (confirmations, tool calls) without finishing.
    #[error(
        "the agent returned control {MAX_ROUNDS} times in one turn without finishing; stopping"
    )]
    TooManyRounds,
}

impl InvokeError {
    /// An error answer to a runtime call (`InvokeAgent`, `InvokeHarness`): the agent's kind
    /// of error, as `kind` sorts it, unless the credentials themselves were refused or the
    /// call never got an answer, which are setup problems.
    pub(crate) fn from_call<E, R>(
        operation: &'static str,
        e: SdkError<E, R>,
        kind: impl FnOnce(&E) -> ErrorKind,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match e.as_service_error() {
            Some(service) if !is_credential_code(e.code()) => InvokeError::Agent {
                kind: kind(service),
                message: service.message().unwrap_or("no message").to_owned(),
            },
            _ => InvokeError::Setup(Error::aws(operation, e)),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
