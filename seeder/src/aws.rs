//! One SDK configuration from the command line and the AWS conventions, checked before
//! anything is sent: a region, and credentials (dummy ones for an endpoint such as
//! DynamoDB Local when none are configured).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_dynamodb::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use aws_types::service_config::ServiceConfigKey;
use store::{Store, StoreConfig};

use crate::config::TargetArgs;
use crate::SeedError;

/// The region used with a custom endpoint when none is configured: DynamoDB Local
/// accepts any.
const LOCAL_REGION: &str = "us-east-1";

/// The store to seed, and where it is.
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
pub async fn connect(target: &TargetArgs) -> Result<Session, SeedError> {
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
            return Err(SeedError::NoRegion);
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
        (Err(e), None) => return Err(SeedError::NoCredentials(e)),
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
