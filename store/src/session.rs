//! A store opened the way a command-line tool opens it (the seeder, `hr-mcp`): one SDK
//! configuration from the command line and the AWS conventions, checked before anything
//! is sent: a region, and credentials (dummy ones for an endpoint such as DynamoDB Local
//! when none are configured). Its errors say what to do, in the tools' own flags.

use std::error::Error as _;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_dynamodb::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_dynamodb::error::ConnectorError;
use aws_types::service_config::ServiceConfigKey;

use crate::{Store, StoreConfig, StoreError};

/// Where the table is, as a command line says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The table.
    pub table: String,
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
}

/// Why the table cannot be used. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No usable credentials for real AWS.
    #[error(
        "no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a \
         profile with --profile (or AWS_PROFILE), or run `aws sso login`; for DynamoDB Local \
         pass --endpoint-url"
    )]
    NoCredentials(#[source] CredentialsError),
    /// No region anywhere.
    #[error("no AWS region configured: pass --region (or set AWS_REGION, or a region in your AWS profile)")]
    NoRegion,
    /// Nothing answers at the endpoint.
    #[error(
        "cannot reach DynamoDB {location}: check the endpoint and that the service is running"
    )]
    Unreachable {
        /// "at <endpoint>" or "in region <region>".
        location: String,
        /// The failed call.
        #[source]
        source: StoreError,
    },
    /// The table does not exist.
    #[error(
        "table {table} does not exist {location}: check --table (or TABLE_NAME), --region and \
         --endpoint-url"
    )]
    NoTable {
        /// The table.
        table: String,
        /// "at <endpoint>" or "in region <region>".
        location: String,
    },
    /// Any other answer of DynamoDB.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The region used with a custom endpoint when none is configured: DynamoDB Local
/// accepts any.
const LOCAL_REGION: &str = "us-east-1";

/// The store, and where it is.
#[derive(Debug, Clone)]
pub struct Session {
    /// The store over the target table.
    pub store: Store,
    /// The endpoint, when not the SDK's default for the region.
    pub endpoint: Option<String>,
    /// The region.
    pub region: String,
}

impl Session {
    /// Where the table is, for messages: "at <endpoint>" or "in region <region>".
    pub fn location(&self) -> String {
        match &self.endpoint {
            Some(url) => format!("at {url}"),
            None => format!("in region {}", self.region),
        }
    }
}

/// Loads the SDK configuration (`--profile`, `--region`, then the SDK's own sources),
/// settles the endpoint, region and credentials, and opens the store.
///
/// With an endpoint (from `--endpoint-url`, `AWS_ENDPOINT_URL_DYNAMODB`,
/// `AWS_ENDPOINT_URL` or the profile) and no usable credentials, dummy credentials and,
/// if needed, a default region are used; without an endpoint, both must be configured.
pub async fn connect(target: &Target) -> Result<Session, ConnectError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let mut sdk = loader.load().await;
    let endpoint = target
        .endpoint_url
        .clone()
        .or_else(|| configured_endpoint(&sdk));
    if sdk.region().is_none() {
        if endpoint.is_none() {
            return Err(ConnectError::NoRegion);
        }
        sdk = sdk
            .into_builder()
            .region(Region::from_static(LOCAL_REGION))
            .build();
    }
    match (check_credentials(&sdk).await, &endpoint) {
        (Ok(()), _) => {}
        // DynamoDB Local accepts any credentials; a real endpoint would refuse these
        // with a clear authentication error on the first request.
        (Err(e), Some(url)) => {
            tracing::info!(endpoint = %url, error = %e, "no usable AWS credentials: using dummy ones");
            let dummy = Credentials::new("local", "local", None, None, "seeder-endpoint-override");
            sdk = sdk
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(dummy))
                .build();
        }
        (Err(e), None) => return Err(ConnectError::NoCredentials(e)),
    }
    let region = sdk.region().map(ToString::to_string).unwrap_or_default();
    let config = StoreConfig {
        endpoint_url: target.endpoint_url.clone(),
        ..StoreConfig::new(target.table.clone())
    };
    Ok(Session {
        store: Store::from_sdk_config(&sdk, config),
        endpoint,
        region,
    })
}

impl Session {
    /// `err` as it concerns this session: [`ConnectError::Unreachable`] when nothing
    /// answered (refused, unresolvable, timed out), [`ConnectError::NoTable`] for a missing
    /// table, any other answer as it is.
    pub fn classify(&self, err: StoreError) -> ConnectError {
        match err {
            StoreError::TableNotFound { table } => ConnectError::NoTable {
                table,
                location: self.location(),
            },
            err if is_unreachable(&err) => ConnectError::Unreachable {
                location: self.location(),
                source: err,
            },
            err => ConnectError::Store(err),
        }
    }

    /// Checks that the table exists, with our key schema, and answers, before anything
    /// else is sent; the error says what to fix.
    pub async fn check_table(&self) -> Result<(), ConnectError> {
        self.store.check_table().await.map_err(|e| self.classify(e))
    }
}

/// Whether `err` comes from failing to connect (refused, unresolvable, timed out) rather
/// than from an answer of DynamoDB.
pub fn is_unreachable(err: &StoreError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = err.source();
    while let Some(e) = cause {
        if let Some(connector) = e.downcast_ref::<ConnectorError>() {
            return connector.is_io() || connector.is_timeout();
        }
        cause = e.source();
    }
    false
}

/// The DynamoDB endpoint the SDK configuration sets, as the DynamoDB client resolves it:
/// `AWS_ENDPOINT_URL_DYNAMODB` (or the profile's `services` section) first, then
/// `AWS_ENDPOINT_URL` (or the profile's `endpoint_url`).
fn configured_endpoint(sdk: &SdkConfig) -> Option<String> {
    let key = ServiceConfigKey::builder()
        .service_id("DynamoDB")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    sdk.service_config()
        .and_then(|service| service.load_config(key))
        .or_else(|| sdk.endpoint_url().map(str::to_owned))
}

/// Resolves credentials once, so that missing ones are reported before any request.
async fn check_credentials(sdk: &SdkConfig) -> Result<(), CredentialsError> {
    match sdk.credentials_provider() {
        Some(provider) => provider.provide_credentials().await.map(|_| ()),
        None => Err(CredentialsError::not_loaded_no_source()),
    }
}
