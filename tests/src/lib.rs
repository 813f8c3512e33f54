//! Shared harness for the integration tests and benchmarks: one DynamoDB Local container
//! per test binary (started on first use through testcontainers), and a fresh table per
//! test.
//!
//! If the container cannot start, the calling test panics with the reason: these tests
//! fail, they never skip. Run `scripts/setup.sh` first to get a Docker engine and the
//! image. Set `TEST_LOG=1` to see the store's logs.

pub mod lambda;
pub mod load;
pub mod proxy;
pub mod seeding;

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use chrono::NaiveDate;
use domain::{Employee, EmployeeId, EmployeeStatus, YearBalance};
use store::{Store, StoreConfig};
use testcontainers::core::{ContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use testcontainers_modules::dynamodb_local::DynamoDb;

/// The DynamoDB Local image tag every test uses (built locally by `scripts/setup.sh` when
/// it cannot be pulled).
pub const DYNAMODB_LOCAL_TAG: &str = pinned("DYNAMODB_LOCAL_TAG");

/// A version pinned in the workspace's `versions.env`, the one file the scripts, compose and
/// the tests read: the value of `KEY=value`, read at compile time.
pub const fn pinned(key: &str) -> &'static str {
    const FILE: &str = include_str!("../../versions.env");
    let file = FILE.as_bytes();
    let key = key.as_bytes();
    let mut line = 0;
    while line < file.len() {
        // Does the line starting at `line` read `KEY=`?
        let mut k = 0;
        while k < key.len() && line + k < file.len() && file[line + k] == key[k] {
            k += 1;
        }
        if k == key.len() && line + k < file.len() && file[line + k] == b'=' {
            let start = line + k + 1;
            let mut end = start;
            while end < file.len() && file[end] != b'\n' {
                end += 1;
            }
            let (_, rest) = FILE.as_bytes().split_at(start);
            let (value, _) = rest.split_at(end - start);
            return match std::str::from_utf8(value) {
                Ok(v) => v,
                Err(_) => panic!("versions.env is not UTF-8"),
            };
        }
        while line < file.len() && file[line] != b'\n' {
            line += 1;
        }
        line += 1;
    }
    panic!("versions.env lacks a pinned version")
}
/// Label put on every container this harness starts, so stray ones can be found.
pub const CONTAINER_LABEL: &str = "hr-vacations.test";
/// Label holding the id of the process that started the container: `scripts/test.sh`
/// removes only containers whose process is gone, never another run's.
pub const OWNER_LABEL: &str = "hr-vacations.test.pid";

/// A running DynamoDB Local.
#[derive(Debug, Clone)]
pub struct DynamoLocal {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The container's id.
    pub container_id: String,
}

static LOCAL: OnceLock<Result<DynamoLocal, String>> = OnceLock::new();
static STARTED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static VOLUMES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Removes the containers this process started when it exits. Statics are never
/// dropped, so without this each test binary would leave its container running.
#[ctor::dtor]
fn remove_containers() {
    let ids = STARTED.lock().map(|ids| ids.clone()).unwrap_or_default();
    let volumes = VOLUMES.lock().map(|v| v.clone()).unwrap_or_default();
    let docker = |args: &[&str]| {
        let _ = std::process::Command::new("docker")
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    };
    for id in ids {
        docker(&["rm", "--force", "--volumes", &id]);
    }
    for volume in volumes {
        docker(&["volume", "rm", "--force", &volume]);
    }
}

/// Logs to stderr when `TEST_LOG=1`.
pub fn init_test_log() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,store=debug".into()),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

/// The container shared by this test binary, started on first call.
///
/// # Panics
/// When no container can be started or it never answers: the test fails with the cause.
pub fn dynamodb_local() -> &'static DynamoLocal {
    init_test_log();
    let started = LOCAL.get_or_init(|| {
        // A thread of its own with its own runtime: the container outlives the runtime of
        // whichever test happened to come first.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let (local, container) = runtime.block_on(start_container(&["-inMemory"], None))?;
            // Removed by `remove_containers` at exit, not by its Drop.
            std::mem::forget(container);
            Ok(local)
        })
        .join()
        .unwrap_or_else(|_| Err("the thread starting DynamoDB Local panicked".into()))
    });
    match started {
        Ok(local) => local,
        Err(e) => panic!(
            "DynamoDB Local could not be started in testcontainers: {e}\n\
             Run scripts/setup.sh to get a Docker engine and the amazon/dynamodb-local:{DYNAMODB_LOCAL_TAG} image."
        ),
    }
}

/// Starts a DynamoDB Local container with `-sharedDb` plus `storage_args`, waits until
/// its API answers, and registers it (and `volume`, a named volume mounted at `/data`) for
/// removal at exit.
pub async fn start_container(
    storage_args: &[&str],
    volume: Option<&str>,
) -> Result<(DynamoLocal, testcontainers::ContainerAsync<DynamoDb>), String> {
    let mut cmd = vec!["-jar", "DynamoDBLocal.jar", "-sharedDb"];
    cmd.extend_from_slice(storage_args);
    let mut request = DynamoDb::default()
        .with_tag(DYNAMODB_LOCAL_TAG)
        .with_cmd(cmd)
        .with_label(CONTAINER_LABEL, "1")
        .with_label(OWNER_LABEL, std::process::id().to_string())
        .with_ready_conditions(vec![WaitFor::message_on_stdout(
            "Initializing DynamoDB Local",
        )])
        .with_startup_timeout(Duration::from_secs(90));
    if let Some(name) = volume {
        VOLUMES
            .lock()
            .map_err(|e| e.to_string())?
            .push(name.to_owned());
        // The official image runs as a user that cannot write a fresh volume.
        request = request
            .with_mount(testcontainers::core::Mount::volume_mount(name, "/data"))
            .with_user("root");
    }
    let container = request
        .start()
        .await
        .map_err(|e| format!("starting the container failed: {e}"))?;
    let id = container.id().to_owned();
    STARTED.lock().map_err(|e| e.to_string())?.push(id.clone());
    let port = host_port(&container).await?;
    let local = DynamoLocal {
        endpoint: format!("http://127.0.0.1:{port}"),
        container_id: id,
    };
    wait_until_serving(&local.endpoint, Duration::from_secs(60)).await?;
    Ok((local, container))
}

/// The loopback port mapped to the container's 8000 (it changes when a container restarts).
pub async fn host_port(
    container: &testcontainers::ContainerAsync<DynamoDb>,
) -> Result<u16, String> {
    container
        .get_host_port_ipv4(ContainerPort::Tcp(8000))
        .await
        .map_err(|e| format!("reading the container's port failed: {e}"))
}

/// Polls `ListTables` until DynamoDB Local answers: its start-up log line comes before
/// the port accepts requests.
pub async fn wait_until_serving(endpoint: &str, limit: Duration) -> Result<(), String> {
    let client = store::dynamodb_client(&sdk_config().await, Some(endpoint));
    let started = Instant::now();
    loop {
        match client.list_tables().send().await {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() > limit => {
                return Err(format!(
                    "DynamoDB Local at {endpoint} did not answer within {limit:?}: {e}"
                ))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// SDK configuration for DynamoDB Local: fixed region and dummy credentials, so nothing
/// from the machine's AWS setup leaks into the tests.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "tests"))
        .load()
        .await
}

/// A store over a new, empty table with a unique name in the shared container.
pub async fn fresh_store() -> Store {
    fresh_store_at(&dynamodb_local().endpoint).await
}

/// The date the store tests take as today: every date they book is on or after it.
pub fn test_today() -> NaiveDate {
    date("2025-01-01")
}

/// An employee acting for themselves, in a test request.
pub fn by_employee(id: EmployeeId) -> store::Attribution {
    store::Attribution::new(domain::Actor::employee(id), "test")
}

/// HR user 999 acting on `target`'s vacations, in a test request.
pub fn by_hr(target: EmployeeId) -> store::Attribution {
    let hr = EmployeeId::new(999).unwrap_or_else(|e| panic!("{e}"));
    store::Attribution::new(domain::Actor::hr(hr, target), "test-hr")
}

/// A store over a new, empty table at `endpoint`, with today pinned to [`test_today`].
pub async fn fresh_store_at(endpoint: &str) -> Store {
    let mut config = StoreConfig::new(format!("vacations-{}", uuid::Uuid::new_v4().simple()));
    config.endpoint_url = Some(endpoint.to_owned());
    config.clock = store::Clock::on(test_today());
    let store = Store::from_sdk_config(&sdk_config().await, config);
    store
        .create_table_if_missing()
        .await
        .unwrap_or_else(|e| panic!("creating the test table failed: {e:?}"));
    store
}

/// Creates `table`, keyed by `id` (HASH, S) alone: a table that is not the store's.
pub async fn create_table_with_another_key_schema(client: &aws_sdk_dynamodb::Client, table: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let id = AttributeDefinition::builder()
        .attribute_name("id")
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition");
    let key = KeySchemaElement::builder()
        .attribute_name("id")
        .key_type(KeyType::Hash)
        .build()
        .expect("key schema element");
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(id)
        .key_schema(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating table {table} failed: {e:?}"));
}

/// Parses an ISO date (test input only).
pub fn date(text: &str) -> NaiveDate {
    domain::parse_iso_date(text).unwrap_or_else(|e| panic!("{e}"))
}

/// Employee `id`, named after the original data.
pub fn employee(id: u32, status: EmployeeStatus) -> Employee {
    Employee::new(
        EmployeeId::new(id).unwrap_or_else(|e| panic!("{e}")),
        format!("Employee {id}"),
        "Developer",
        date("2019-03-01"),
        status,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Writes employee `id` with the given `(year, total, taken)` balances.
pub async fn seed(
    store: &Store,
    id: u32,
    status: EmployeeStatus,
    balances: &[(i32, u32, u32)],
) -> EmployeeId {
    let employee = employee(id, status);
    let balances: Vec<YearBalance> = balances
        .iter()
        .map(|&(year, total, taken)| {
            YearBalance::new(year, total, taken).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    store
        .put_employee(&employee, &balances)
        .await
        .unwrap_or_else(|e| panic!("seeding failed: {e:?}"));
    employee.id()
}

/// Reads the employee's whole partition and panics on any broken invariant:
/// `total = taken + available` for every year, and claims match reservations exactly.
pub async fn assert_ledger_sound(store: &Store, employee: EmployeeId) -> domain::ledger::Ledger {
    let ledger = store
        .ledger(employee)
        .await
        .unwrap_or_else(|e| panic!("reading the ledger failed: {e:?}"));
    let violations = ledger.audit();
    assert!(
        violations.is_empty(),
        "ledger of employee {employee} is broken:\n{}",
        violations
            .iter()
            .map(|v| format!("  - {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    ledger
}

/// Counts the HTTP requests a client sends (every attempt, retries included), by
/// operation name.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(std::sync::Arc<Mutex<std::collections::BTreeMap<String, u64>>>);

impl RequestCounter {
    /// Requests sent so far, per operation (`TransactWriteItems`, `GetItem`, …).
    pub fn by_operation(&self) -> std::collections::BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Requests sent so far, all operations.
    pub fn total(&self) -> u64 {
        self.by_operation().values().sum()
    }

    /// Forgets the counts.
    pub fn reset(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

impl aws_sdk_dynamodb::config::Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        if let Ok(mut m) = self.0.lock() {
            *m.entry(operation).or_default() += 1;
        }
        Ok(())
    }
}

/// A client for `endpoint` whose requests `counter` counts.
pub async fn counted_client(endpoint: &str, counter: &RequestCounter) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .interceptor(counter.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

#[cfg(test)]
mod pinned_versions {
    use super::*;

    #[test]
    fn the_image_and_its_tag_are_pinned_together() {
        assert!(!DYNAMODB_LOCAL_TAG.is_empty());
        assert_eq!(
            pinned("DYNAMODB_LOCAL_IMAGE"),
            format!("amazon/dynamodb-local:{DYNAMODB_LOCAL_TAG}")
        );
        assert!(pinned("MINISTACK_VERSION").split('.').count() == 3);
    }
}
