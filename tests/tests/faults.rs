//! Fault injection against DynamoDB Local (testcontainers, persistent `-dbPath` on a
//! volume), with a fault-injecting TCP proxy between the store and the container.
//!
//! Whatever the fault, afterwards: every year balance adds up and equals exactly what the
//! reservations charge (the employees start with nothing taken), every reservation has
//! exactly its day claims, and every booking acknowledged to a caller is in the table.
//!
//! One limit is DynamoDB Local's, not ours: on SIGKILL it can lose the transactions it
//! acknowledged in the last moments before the kill (it answers before its SQLite write is
//! done; seen losing the very last acknowledged `TransactWriteItems` of a stream, whole).
//! DynamoDB itself answers only once a write is durable. So the killed-database test allows
//! a booking acknowledged within [`KILL_DURABILITY_WINDOW`] of the kill to be missing,
//! provided it left no trace at all (the ledger checks prove that), and reports it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use chrono::Days;
use domain::{DateRange, DayCountPolicy, EmployeeId, EmployeeStatus, IdempotencyKey, Reservation};
use rand::Rng;
use store::{ReserveRequest, Store, StoreConfig, StoreError};
use test_support::proxy::FaultProxy;
use test_support::{date, host_port, seed, start_container, wait_until_serving};
use testcontainers::ContainerAsync;
use testcontainers_modules::dynamodb_local::DynamoDb;

const EMPLOYEES: u32 = 40;
const YEAR_TOTAL: u32 = 366;
/// See the module docs: bookings acknowledged this close to a SIGKILL may be lost by
/// DynamoDB Local (whole, never in part).
const KILL_DURABILITY_WINDOW: Duration = Duration::from_secs(1);
/// No call may take longer than this: the SDK's operation timeout (5 s) plus slack.
const CALL_LIMIT: Duration = Duration::from_secs(12);

struct Rig {
    container: ContainerAsync<DynamoDb>,
    proxy: FaultProxy,
    store: Store,
}

/// A container of its own (a fault must not hit other tests), persistent storage on a
/// volume, the proxy in front, and a store with tight SDK timeouts talking through it.
async fn rig() -> Rig {
    test_support::init_test_log();
    let volume = format!("hr-faults-{}", uuid::Uuid::new_v4().simple());
    let (_local, container) = start_container(&["-dbPath", "/data"], Some(&volume))
        .await
        .unwrap_or_else(|e| panic!("DynamoDB Local could not be started: {e}"));
    let upstream = upstream(&container).await;
    let proxy = FaultProxy::start(upstream).await.unwrap();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "tests"))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(5))
                .build(),
        )
        .load()
        .await;
    let mut config = StoreConfig::new(format!("faults-{}", uuid::Uuid::new_v4().simple()));
    config.endpoint_url = Some(proxy.endpoint());
    config.clock = store::Clock::on(test_support::test_today());
    let store = Store::from_sdk_config(&sdk, config);
    store.create_table_if_missing().await.unwrap();
    for id in 1..=EMPLOYEES {
        seed(&store, id, EmployeeStatus::Active, &[(2026, YEAR_TOTAL, 0)]).await;
    }
    Rig {
        container,
        proxy,
        store,
    }
}

/// Freezes the container. The cgroup freezer can fail with "unable to freeze" while the
/// processes are busy in the kernel; that is Docker's flake, so try a few times.
async fn pause(container: &ContainerAsync<DynamoDb>) {
    let mut attempts = 0;
    while let Err(e) = container.pause().await {
        attempts += 1;
        assert!(attempts < 10, "the container could not be paused: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn upstream(container: &ContainerAsync<DynamoDb>) -> SocketAddr {
    let port = host_port(container).await.unwrap();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A booking of 1-3 days somewhere in 2026 for a random employee.
fn random_request(key: String) -> ReserveRequest {
    let mut rng = rand::rng();
    let start = date("2026-01-01") + Days::new(rng.random_range(0..360));
    let end = start + Days::new(rng.random_range(0..3));
    let employee = EmployeeId::new(rng.random_range(1..=EMPLOYEES)).unwrap();
    ReserveRequest {
        employee,
        range: DateRange::new(start, end).unwrap(),
        policy: DayCountPolicy::CalendarDays,
        idempotency_key: IdempotencyKey::new(key).unwrap(),
        by: test_support::by_employee(employee),
    }
}

#[derive(Debug)]
struct Call {
    request: ReserveRequest,
    outcome: Result<Reservation, StoreError>,
    finished: Instant,
}

/// Whether some booking succeeded after `instant`: the system recovered from the fault.
fn booked_after(calls: &[Call], instant: Instant) -> bool {
    calls
        .iter()
        .any(|c| c.outcome.is_ok() && c.finished > instant)
}

/// Shared between a storm and the fault that hits it.
#[derive(Default)]
struct Control {
    stop: AtomicBool,
    booked: AtomicU64,
}

impl Control {
    /// After recovery: lets the storm go on until it has booked `n` more (the system is
    /// serving again), or 30 s have passed, then stops it.
    async fn stop_after_bookings(&self, n: u64) {
        let target = self.booked.load(Ordering::SeqCst) + n;
        let started = Instant::now();
        while self.booked.load(Ordering::SeqCst) < target
            && started.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// `workers` tasks booking back to back until told to stop; every call is bounded by
/// [`CALL_LIMIT`] and a call that hits it fails the test.
async fn storm(store: &Store, workers: usize, control: Arc<Control>) -> Vec<Call> {
    let tasks = (0..workers).map(|w| {
        let store = store.clone();
        let control = Arc::clone(&control);
        tokio::spawn(async move {
            let mut calls = Vec::new();
            let mut i = 0;
            while !control.stop.load(Ordering::SeqCst) {
                let request = random_request(format!("w{w}-{i}"));
                i += 1;
                let outcome = tokio::time::timeout(CALL_LIMIT, store.reserve(&request))
                    .await
                    .unwrap_or_else(|_| panic!("a booking hung past {CALL_LIMIT:?}"))
                    .map(|b| b.reservation);
                if outcome
                    .as_ref()
                    .is_err_and(StoreError::is_dependency_failure)
                {
                    // As a real client would: back off a little before the next call.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                calls.push(Call {
                    request,
                    outcome,
                    finished: Instant::now(),
                });
            }
            calls
        })
    });
    gather(tasks).await
}

/// Waits for every worker and puts their calls together.
async fn gather(tasks: impl IntoIterator<Item = tokio::task::JoinHandle<Vec<Call>>>) -> Vec<Call> {
    let mut calls = Vec::new();
    for task in futures::future::join_all(tasks).await {
        calls.extend(task.unwrap());
    }
    calls
}

/// Tallies outcomes, and checks each failure is a refusal or a dependency failure with a
/// clear message (never a corrupt item or an unexplained cancellation).
fn tally(calls: &[Call]) -> BTreeMap<&'static str, usize> {
    let mut kinds = BTreeMap::new();
    for call in calls {
        let kind = match &call.outcome {
            Ok(_) => "booked",
            Err(StoreError::Overlap { .. }) => "overlap",
            Err(StoreError::InsufficientBalance { .. }) => "insufficient",
            Err(e @ (StoreError::Dynamo { .. } | StoreError::Contention { .. })) => {
                assert!(e.to_string().starts_with("DynamoDB"), "{e}");
                "dependency failure"
            }
            Err(other) => panic!("unexpected outcome {other:?} for {:?}", call.request),
        };
        *kinds.entry(kind).or_default() += 1;
    }
    kinds
}

/// The ledger checks of the module docs, through `store` (after the fault is gone). With
/// `killed_at`, acknowledgements within [`KILL_DURABILITY_WINDOW`] before it may be missing.
async fn assert_sound_and_acknowledged(store: &Store, calls: &[Call], killed_at: Option<Instant>) {
    let mut stored = Vec::new();
    for id in 1..=EMPLOYEES {
        let employee = EmployeeId::new(id).unwrap();
        let ledger = test_support::assert_ledger_sound(store, employee).await;
        let reserved: i64 = ledger
            .reservations
            .iter()
            .map(|r| i64::from(r.charge().days_in(2026)))
            .sum();
        let taken = ledger
            .balances
            .iter()
            .find(|b| b.year == 2026)
            .map(|b| b.taken);
        assert_eq!(
            taken,
            Some(reserved),
            "employee {id}: a booking was half applied"
        );
        stored.extend(ledger.reservations);
    }
    let (lost, tolerated): (Vec<&Call>, Vec<&Call>) = calls
        .iter()
        .filter(|c| c.outcome.as_ref().is_ok_and(|b| !stored.contains(b)))
        .partition(|c| match killed_at {
            Some(kill) => c.finished + KILL_DURABILITY_WINDOW < kill,
            None => true,
        });
    if let (Some(kill), false) = (killed_at, tolerated.is_empty()) {
        let before_kill: Vec<_> = tolerated
            .iter()
            .map(|c| kill.saturating_duration_since(c.finished))
            .collect();
        eprintln!(
            "DynamoDB Local lost {} booking(s), whole, acknowledged this long before SIGKILL: {before_kill:?}",
            tolerated.len()
        );
    }
    assert!(
        lost.is_empty(),
        "acknowledged bookings were lost: {lost:#?}"
    );
}

/// The database freezes for 7 s (longer than the SDK's 5 s operation timeout) in the
/// middle of a storm: calls during the freeze fail
/// with a clear dependency error within their timeout, nothing hangs, and afterwards the
/// ledger is sound and every acknowledged booking is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_database_fails_calls_cleanly_and_loses_nothing() {
    let rig = rig().await;
    let control = Arc::new(Control::default());
    let fault = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        pause(&rig.container).await;
        tokio::time::sleep(Duration::from_secs(7)).await;
        rig.container.unpause().await.unwrap();
        let recovered = Instant::now();
        control.stop_after_bookings(5).await;
        recovered
    };
    let (calls, recovered) = tokio::join!(storm(&rig.store, 8, Arc::clone(&control)), fault);
    let kinds = tally(&calls);
    eprintln!("paused database: {} calls, {kinds:?}", calls.len());
    assert!(
        kinds.contains_key("dependency failure"),
        "the pause was never felt: {kinds:?}"
    );
    assert!(
        booked_after(&calls, recovered),
        "no booking after the pause: {kinds:?}"
    );
    assert_sound_and_acknowledged(&rig.store, &calls, None).await;
}

/// The database is killed (SIGKILL) mid-storm and restarted on its volume: no booking is
/// half applied and no acknowledged booking is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_database_keeps_every_acknowledged_booking_whole() {
    let rig = rig().await;
    let control = Arc::new(Control::default());
    let fault = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let killed_at = Instant::now();
        let killed = std::process::Command::new("docker")
            .args(["kill", "--signal", "KILL", rig.container.id()])
            .output()
            .unwrap();
        assert!(killed.status.success(), "docker kill: {killed:?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
        rig.container.start().await.unwrap();
        rig.proxy.set_upstream(upstream(&rig.container).await);
        wait_until_serving(&rig.proxy.endpoint(), Duration::from_secs(60))
            .await
            .unwrap();
        let recovered = Instant::now();
        control.stop_after_bookings(5).await;
        (recovered, killed_at)
    };
    let (calls, (recovered, killed_at)) =
        tokio::join!(storm(&rig.store, 8, Arc::clone(&control)), fault);
    let kinds = tally(&calls);
    eprintln!("killed database: {} calls, {kinds:?}", calls.len());
    assert!(
        kinds.contains_key("dependency failure"),
        "the kill was never felt: {kinds:?}"
    );
    let after: Vec<String> = calls
        .iter()
        .filter(|c| c.finished > recovered)
        .take(3)
        .map(|c| match &c.outcome {
            Ok(_) => "booked".to_owned(),
            Err(e) => format!("{e:?}"),
        })
        .collect();
    assert!(
        booked_after(&calls, recovered),
        "no booking after the restart: {kinds:?}; first outcomes after it: {after:#?}"
    );
    assert_sound_and_acknowledged(&rig.store, &calls, Some(killed_at)).await;
}

/// A third of the responses are lost after DynamoDB applied the request. Callers retry
/// with the same idempotency key until they get an answer; each distinct booking is
/// charged exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lost_responses_never_charge_a_booking_twice() {
    let rig = rig().await;
    rig.proxy.drop_responses(0.33);
    let store = Arc::new(rig.store.clone());
    let tasks = (0..8).map(|w| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut calls = Vec::new();
            for i in 0..25 {
                let request = random_request(format!("lossy-{w}-{i}"));
                let mut attempts = 0;
                let outcome = loop {
                    attempts += 1;
                    match store.reserve(&request).await {
                        Err(e) if e.is_dependency_failure() && attempts < 30 => continue,
                        other => break other.map(|b| b.reservation),
                    }
                };
                calls.push(Call {
                    request,
                    outcome,
                    finished: Instant::now(),
                });
            }
            calls
        })
    });
    let calls = gather(tasks).await;
    rig.proxy.drop_responses(0.0);
    let kinds = tally(&calls);
    eprintln!(
        "lost responses: {} requests, {} responses dropped, {} forwarded, {kinds:?}",
        calls.len(),
        rig.proxy.dropped(),
        rig.proxy.forwarded()
    );
    assert!(
        rig.proxy.dropped() > 10,
        "too few faults injected to prove anything"
    );
    assert_eq!(
        kinds.get("dependency failure"),
        None,
        "a request never got an answer"
    );

    let mut charged_by_requests: BTreeMap<EmployeeId, u32> = BTreeMap::new();
    let mut booked_ids = std::collections::BTreeSet::new();
    for call in &calls {
        if let Ok(r) = &call.outcome {
            assert!(
                booked_ids.insert((r.employee(), r.id().clone())),
                "two requests, one id"
            );
            *charged_by_requests.entry(r.employee()).or_default() += r.charge().total_days();
        }
    }
    assert_sound_and_acknowledged(&rig.store, &calls, None).await;
    for id in 1..=EMPLOYEES {
        let employee = EmployeeId::new(id).unwrap();
        let taken = rig.store.get_balance(employee, 2026).await.unwrap().taken();
        let expected = charged_by_requests.get(&employee).copied().unwrap_or(0);
        assert_eq!(
            taken, expected,
            "employee {id}: charged days != distinct successful bookings"
        );
        let stored = rig
            .store
            .list_reservations(employee, None)
            .await
            .unwrap()
            .len();
        let acknowledged = booked_ids.iter().filter(|(e, _)| *e == employee).count();
        assert_eq!(
            stored, acknowledged,
            "employee {id}: a booking nobody was told of"
        );
    }
}

/// Every response is delayed by 3 s while the handler's deadline is 1 s: the balance query
/// and the booking each answer `FAILURE` with a clear message at the deadline instead of
/// hanging, and once the database is fast again the ledger is sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_database_gets_a_failure_answer_at_the_deadline() {
    use handler::{Handler, Settings};
    let rig = rig().await;
    let deadline = Duration::from_secs(1);
    let handler = Handler::new(
        rig.store.clone(),
        Settings {
            deadline,
            today: Some(date("2026-01-01")),
            ..Settings::default()
        },
    );
    rig.proxy.delay_responses(Duration::from_secs(3));
    let hr = test_support::lambda::as_hr();
    let events = [
        serde_json::json!({
            "messageVersion": "1.0", "sessionId": "slow-1", "inputText": "how many days",
            "actionGroup": "VacationsActionGroup", "function": "get_available_vacations_days",
            "parameters": [{"name": "employee_id", "type": "integer", "value": "1"}],
            "sessionAttributes": hr, "promptSessionAttributes": {}
        }),
        serde_json::json!({
            "messageVersion": "1.0", "sessionId": "slow-1", "inputText": "book it",
            "actionGroup": "VacationsActionGroup", "function": "reserve_vacation_time",
            "parameters": [
                {"name": "employee_id", "type": "integer", "value": "1"},
                {"name": "start_date", "type": "string", "value": "2026-04-01"},
                {"name": "end_date", "type": "string", "value": "2026-04-02"}
            ],
            "sessionAttributes": hr, "promptSessionAttributes": {}
        }),
    ];
    for event in events {
        let started = Instant::now();
        let answer = handler.handle(event).await;
        let took = started.elapsed();
        let function = &answer["response"]["functionResponse"];
        assert_eq!(function["responseState"], "FAILURE", "{answer}");
        let body: serde_json::Value =
            serde_json::from_str(function["responseBody"]["TEXT"]["body"].as_str().unwrap())
                .unwrap();
        assert_eq!(body["error"], "timeout", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("did not answer within 1 s"),
            "{body}"
        );
        // A liveness bound, not a performance target: the call ended at its deadline.
        assert!(
            took < deadline + Duration::from_secs(2),
            "answered after {took:?}"
        );
    }
    rig.proxy.delay_responses(Duration::ZERO);
    // The booking may have reached DynamoDB before the deadline cut the wait: whole or absent.
    assert_sound_and_acknowledged(&rig.store, &[], None).await;
}
