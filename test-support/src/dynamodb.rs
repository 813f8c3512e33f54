//! One DynamoDB Local container per test binary, started on first use through
//! testcontainers and removed when the process exits; further containers for the tests
//! that stop, pause or restart theirs; the SDK configuration every test client uses.
//!
//! If a container cannot start, the calling test panics with the reason: these tests
//! fail, they never skip.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use testcontainers::core::{ContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use testcontainers_modules::dynamodb_local::DynamoDb;

use crate::versions::pinned;

/// The DynamoDB Local image tag every test uses (built locally by `scripts/setup.sh` when
/// it cannot be pulled).
pub const DYNAMODB_LOCAL_TAG: &str = pinned("DYNAMODB_LOCAL_TAG");

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
