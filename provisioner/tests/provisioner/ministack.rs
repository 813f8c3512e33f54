//! The real `provisioner` binary against the ministack emulator (IAM, STS, Lambda,
//! DynamoDB and Bedrock Agents over their real wire protocols), started here on a free
//! loopback port: `up`, `status`, `up` again (no changes), `invoke`, `down`, `down` again.
//! Between the steps the SDK checks each resource's configuration, and after `down` that
//! nothing remains. If ministack cannot start, the test fails (scripts/setup.sh installs
//! it into target/ministack-venv).
//!
//! Emulator quirks, worked around here and nowhere in the binary:
//! - ministack routes `CreateAgent` and `ListAgents` only at `/agents/` (with the slash),
//!   while the Rust SDK sends `/agents`. A small reverse proxy in this test, on its own
//!   loopback port in front of ministack, rewrites a path of exactly `/agents` (with or
//!   without a query) to `/agents/` and forwards everything else as it came; the binary
//!   and the checking clients below both use the proxy's URL as their endpoint. The
//!   binary under test is the one `cargo build` makes: it carries no emulator code.
//! - ministack's `CreateAgentAlias` does not cut a numbered version (the routing
//!   configuration stays empty) and `PrepareAgent` records no `preparedAt`: the test checks
//!   the alias is PREPARED, not which version it routes to.
//! - ministack never runs the Lambda and answers `InvokeAgent` with one canned chunk, so
//!   the zip here is a stand-in (building the real one takes minutes and ministack would
//!   not run it), and `invoke` is checked for the streamed chunk only.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_bedrockagent::types::{ActionGroupExecutor, AgentAliasStatus};
use aws_sdk_dynamodb::types::BillingMode;
use aws_sdk_dynamodb::types::PointInTimeRecoveryStatus;
use aws_sdk_lambda::types::Architecture;
use aws_sdk_sts::config::Credentials;
use provisioner::config::{
    Inbound, Model, Platform, Settings, DESCRIPTION, IDLE_SESSION_TTL_SECONDS, INSTRUCTION,
};
use provisioner::deploy::LambdaPackage;
use provisioner::policy::{self, Account};
use provisioner::schema::{self, Canonical};
use provisioner::Clients;
use serde_json::Value;

const REGION: &str = "us-east-1";
const NAME: &str = "hr-it";
const TABLE: &str = "hr-it-vacations";

/// A ministack process behind its path-fixing proxy, both stopped when dropped.
struct Ministack {
    child: Child,
    /// The proxy's URL: the endpoint everything in this test talks to.
    url: String,
    log: PathBuf,
    _proxy: Proxy,
}

impl Drop for Ministack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The reverse proxy in front of ministack (see the module doc), served on its own thread
/// and runtime so that the test's blocking runs of the binary cannot starve it.
struct Proxy {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Clone)]
struct Upstream {
    base: String,
    http: reqwest::Client,
}

impl Proxy {
    /// Forwards to `upstream` (`http://host:port`) from a free loopback port.
    fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Upstream {
            base: upstream.to_owned(),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(forward).with_state(state);
                let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                    let _ = stopped.await;
                });
                if let Err(e) = serve.await {
                    eprintln!("the ministack proxy stopped: {e}");
                }
            });
        });
        Self {
            url,
            stop: Some(stop),
        }
    }
}

/// `/agents` or `/agents?query` → the same with `/agents/`; any other path: `None`.
fn with_agents_slash(uri: &Uri) -> Option<PathAndQuery> {
    if uri.path() != "/agents" {
        return None;
    }
    let fixed = match uri.query() {
        Some(query) => format!("/agents/?{query}"),
        None => "/agents/".to_owned(),
    };
    Some(fixed.parse().unwrap())
}

/// Headers that belong to one connection, not to the message, and the length, which the
/// forwarding client sets from the body it sends.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut headers = headers.clone();
    for name in [
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::TE,
        header::TRAILER,
        header::UPGRADE,
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
    ] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers
}

/// Sends the request on to ministack, its path fixed if needed, and its answer back.
async fn forward(State(upstream): State<Upstream>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = with_agents_slash(&parts.uri)
        .or_else(|| parts.uri.path_and_query().cloned())
        .map_or_else(|| "/".to_owned(), |p| p.to_string());
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let answer = upstream
        .http
        .request(parts.method, format!("{}{path}", upstream.base))
        .headers(end_to_end(&parts.headers))
        .body(body)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            return Response::builder()
                .status(502)
                .body(Body::from(format!("the ministack proxy: {e}")))
                .unwrap()
        }
    };
    let status = answer.status();
    let headers = end_to_end(answer.headers());
    let body = answer.bytes().await.unwrap();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn venv() -> PathBuf {
    workspace_root().join("target/ministack-venv")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_ministack(dir: &Path) -> Ministack {
    let bin = venv().join("bin/ministack");
    assert!(
        bin.exists(),
        "ministack is not installed at {}: run scripts/setup.sh",
        bin.display()
    );
    let port = free_port();
    let log = dir.join("ministack.log");
    let child = Command::new(&bin)
        .env("GATEWAY_PORT", port.to_string())
        .env("BIND_HOST", "127.0.0.1")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("ministack.err")).unwrap(),
        ))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let proxy = Proxy::start(&format!("http://127.0.0.1:{port}"));
    let ministack = Ministack {
        child,
        url: proxy.url.clone(),
        log,
        _proxy: proxy,
    };
    // Ready when it answers an API call (through the proxy), not when it prints its banner.
    let clients = clients(&ministack.url).await;
    let started = Instant::now();
    loop {
        if clients.sts.get_caller_identity().send().await.is_ok() {
            return ministack;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "ministack did not answer through {} within 60 s; see {}",
            ministack.url,
            ministack.log.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn clients(url: &str) -> Clients {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("test", "test", None, None, "ministack"))
        .load()
        .await;
    Clients::new(&sdk)
}

/// A stand-in Lambda package: ministack stores it but never runs it.
fn stand_in_zip(dir: &Path) -> PathBuf {
    let zip = dir.join("bootstrap.zip");
    let status = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.writestr('bootstrap', '#!/bin/sh\\n')")
        .arg(&zip)
        .status()
        .unwrap();
    assert!(status.success());
    zip
}

/// Runs the real binary against ministack, from `dir`.
fn provisioner(ministack: &Ministack, dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_provisioner"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", &ministack.url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PROVISIONER_NAME", NAME)
        .env("TABLE_NAME", TABLE)
        .output()
        .unwrap();
    if std::env::var_os("TEST_LOG").is_some() {
        eprintln!(
            "$ provisioner {}\n{}{}",
            args.join(" "),
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output, what: &str) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

fn settings(zip: &Path) -> Settings {
    Settings {
        name: NAME.into(),
        region: REGION.into(),
        model: Model::new(provisioner::config::DEFAULT_MODEL),
        table_name: TABLE.into(),
        deletion_protection: None,
        lambda_zip: zip.to_owned(),
        confirmation: true,
        alias_name: "live".into(),
        action_group_name: "vacations".into(),
        platform: Platform::Classic,
        inbound: Inbound::Unset,
    }
}

/// Checks, with the SDK, that every resource `up` makes is there and configured.
async fn check_deployed(c: &Clients, s: &Settings, package: &LambdaPackage) -> String {
    let names = s.names();
    let account_id = c
        .sts
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account
        .unwrap();
    let account = Account {
        partition: "aws".into(),
        region: REGION.into(),
        id: account_id.clone(),
    };

    // 1. table: on demand, point-in-time recovery on
    let table = c
        .dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let billing = table
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .cloned();
    assert_eq!(
        billing.map(|b| b.as_str().to_owned()),
        Some(BillingMode::PayPerRequest.as_str().to_owned())
    );
    let pitr = c
        .dynamodb
        .describe_continuous_backups()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        pitr.continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status()),
        Some(&PointInTimeRecoveryStatus::Enabled)
    );

    // 2. the Lambda's role: trusted by Lambda only, its policy scoped to the table
    let role = c
        .iam
        .get_role()
        .role_name(&names.lambda_role)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let trust = policy::decode_iam_document(role.assume_role_policy_document().unwrap()).unwrap();
    assert!(
        policy::same_policy(&trust, &policy::lambda_trust()),
        "{trust}"
    );
    let doc = c
        .iam
        .get_role_policy()
        .role_name(&names.lambda_role)
        .policy_name(&names.lambda_policy)
        .send()
        .await
        .unwrap();
    let doc = policy::decode_iam_document(doc.policy_document()).unwrap();
    assert!(
        policy::same_policy(&doc, &policy::lambda_permissions(&account, &names)),
        "{doc}"
    );
    assert!(
        policy::resources(&doc).contains(&account.table_arn(TABLE)),
        "{doc}"
    );
    assert!(
        policy::actions(&doc).iter().all(|a| !a.contains('*')),
        "{doc}"
    );

    // 3. the function
    let f = c
        .lambda
        .get_function_configuration()
        .function_name(&names.function)
        .send()
        .await
        .unwrap();
    assert_eq!(f.runtime().map(|r| r.as_str()), Some("provided.al2023"));
    assert_eq!(f.architectures(), [Architecture::X8664]);
    assert_eq!(f.timeout(), Some(30));
    assert_eq!(f.handler(), Some("bootstrap"));
    assert_eq!(
        f.logging_config()
            .and_then(|l| l.log_format())
            .map(|l| l.as_str()),
        Some("JSON")
    );
    assert_eq!(f.role(), Some(role.arn()));
    assert_eq!(f.code_sha256(), Some(package.sha256.as_str()));
    let env = f.environment().and_then(|e| e.variables()).unwrap();
    assert_eq!(env.get("TABLE_NAME").map(String::as_str), Some(TABLE));
    let function_arn = f.function_arn().unwrap().to_owned();

    // 4. the agent's role: trusted by Bedrock for agents of this account only
    let role = c
        .iam
        .get_role()
        .role_name(&names.agent_role)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let trust = policy::decode_iam_document(role.assume_role_policy_document().unwrap()).unwrap();
    let cond = &trust["Statement"][0]["Condition"];
    assert_eq!(
        cond["StringEquals"]["aws:SourceAccount"],
        Value::from(account_id.clone()),
        "{trust}"
    );
    assert_eq!(
        cond["ArnLike"]["AWS:SourceArn"],
        Value::from(account.any_agent_arn()),
        "{trust}"
    );
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "bedrock.amazonaws.com"
    );
    let doc = c
        .iam
        .get_role_policy()
        .role_name(&names.agent_role)
        .policy_name(&names.agent_policy)
        .send()
        .await
        .unwrap();
    let doc = policy::decode_iam_document(doc.policy_document()).unwrap();
    assert!(
        policy::same_policy(&doc, &policy::agent_permissions(&account, &s.model)),
        "{doc}"
    );

    // 5. the agent
    let agents = c.agent.list_agents().send().await.unwrap();
    let summary = agents
        .agent_summaries()
        .iter()
        .find(|a| a.agent_name() == NAME)
        .expect("agent");
    let agent = c
        .agent
        .get_agent()
        .agent_id(summary.agent_id())
        .send()
        .await
        .unwrap()
        .agent
        .unwrap();
    assert_eq!(agent.instruction.as_deref(), Some(INSTRUCTION));
    assert_eq!(agent.description.as_deref(), Some(DESCRIPTION));
    assert_eq!(
        agent.foundation_model.as_deref(),
        Some("us.amazon.nova-micro-v1:0")
    );
    assert_eq!(agent.idle_session_ttl_in_seconds, IDLE_SESSION_TTL_SECONDS);
    assert_eq!(agent.agent_resource_role_arn, role.arn());
    assert_eq!(agent.agent_status.as_str(), "PREPARED");

    // 6. the action group: the catalogue's schema, our Lambda, enabled
    let groups = c
        .agent
        .list_agent_action_groups()
        .agent_id(&agent.agent_id)
        .agent_version("DRAFT")
        .send()
        .await
        .unwrap();
    let summary = groups
        .action_group_summaries()
        .iter()
        .find(|g| g.action_group_name() == "vacations")
        .expect("action group");
    let group = c
        .agent
        .get_agent_action_group()
        .agent_id(&agent.agent_id)
        .agent_version("DRAFT")
        .action_group_id(summary.action_group_id())
        .send()
        .await
        .unwrap()
        .agent_action_group
        .unwrap();
    let deployed = Canonical::of(group.function_schema.as_ref().unwrap());
    let catalogue = Canonical::of(&schema::catalogue_schema(true).unwrap());
    assert_eq!(deployed, catalogue);
    assert_eq!(
        group.action_group_executor,
        Some(ActionGroupExecutor::Lambda(function_arn))
    );
    assert_eq!(group.action_group_state.as_str(), "ENABLED");

    // 7. the permission: Bedrock, for this agent, from this account
    let p = c
        .lambda
        .get_policy()
        .function_name(&names.function)
        .send()
        .await
        .unwrap();
    let p: Value = serde_json::from_str(p.policy().unwrap()).unwrap();
    let st = p["Statement"]
        .as_array()
        .unwrap()
        .iter()
        // Ours by its id's prefix (`<name>-bedrock-agent-<agent id>`): a replacement is
        // added under a new id before the old one goes.
        .find(|s| {
            s["Sid"]
                .as_str()
                .is_some_and(|sid| sid.starts_with(names.permission_sid.as_str()))
        })
        .expect("statement");
    assert_eq!(st["Principal"]["Service"], "bedrock.amazonaws.com");
    assert_eq!(
        st["Condition"]["ArnLike"]["AWS:SourceArn"],
        Value::from(account.agent_arn(&agent.agent_id)),
        "{st}"
    );
    assert_eq!(
        st["Condition"]["StringEquals"]["AWS:SourceAccount"],
        Value::from(account_id),
        "{st}"
    );

    // 9. the alias, PREPARED
    let aliases = c
        .agent
        .list_agent_aliases()
        .agent_id(&agent.agent_id)
        .send()
        .await
        .unwrap();
    let alias = aliases
        .agent_alias_summaries()
        .iter()
        .find(|a| a.agent_alias_name() == "live")
        .expect("alias");
    assert_eq!(alias.agent_alias_status(), &AgentAliasStatus::Prepared);
    agent.agent_id
}

async fn check_removed(c: &Clients, s: &Settings) {
    let names = s.names();
    for role in [&names.lambda_role, &names.agent_role] {
        let e = c.iam.get_role().role_name(role).send().await.unwrap_err();
        assert!(
            e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()),
            "{role} remains"
        );
    }
    let e = c
        .lambda
        .get_function_configuration()
        .function_name(&names.function)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "function remains"
    );
    let groups = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{}", names.function))
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty(), "log group remains");
    let agents = c.agent.list_agents().send().await.unwrap();
    assert!(
        !agents
            .agent_summaries()
            .iter()
            .any(|a| a.agent_name() == NAME),
        "agent remains"
    );
}

#[tokio::test]
async fn up_status_up_invoke_down_down_against_ministack() {
    let dir = tempfile::tempdir().unwrap();
    let ministack = start_ministack(dir.path()).await;
    let c = clients(&ministack.url).await;
    let zip = stand_in_zip(dir.path());
    let zip_arg = zip.to_str().unwrap();
    let s = settings(&zip);
    let package = LambdaPackage::read(&zip).unwrap();

    // A dry run first: it plans and changes nothing.
    let (_, stderr) = ok(
        &provisioner(
            &ministack,
            dir.path(),
            &["up", "--dry-run", "--lambda-zip", zip_arg],
        ),
        "up --dry-run",
    );
    assert!(stderr.contains("would create"), "{stderr}");
    assert!(
        c.iam
            .get_role()
            .role_name(s.names().lambda_role)
            .send()
            .await
            .is_err(),
        "a dry run created a role"
    );

    // up: everything is created.
    let (stdout, stderr) = ok(
        &provisioner(&ministack, dir.path(), &["up", "--lambda-zip", zip_arg]),
        "up",
    );
    // Eight resources and the function's log group.
    assert_eq!(stderr.matches(": created").count(), 9, "{stderr}");
    let agent_id = check_deployed(&c, &s, &package).await;
    assert!(stdout.contains(&agent_id), "{stdout}");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!(".provisioner/{NAME}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(state["platform"], "classic");
    assert_eq!(state["classic"]["agent_id"], Value::from(agent_id.clone()));
    assert_eq!(state["classic"]["region"], REGION);
    assert_eq!(state["settings"]["lambda_zip"], zip_arg);
    let retention = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{}", s.names().function))
        .send()
        .await
        .unwrap()
        .log_groups()
        .first()
        .and_then(|g| g.retention_in_days());
    assert_eq!(
        retention,
        Some(30),
        "the function's log group and its retention"
    );

    // status: every resource, no drift.
    let (stdout, _) = ok(
        &provisioner(&ministack, dir.path(), &["status", "--lambda-zip", zip_arg]),
        "status",
    );
    assert!(stdout.contains("No drift"), "{stdout}");
    assert!(stdout.contains(&agent_id), "{stdout}");

    // up again: nothing changes.
    let updated_before = c
        .agent
        .get_agent()
        .agent_id(&agent_id)
        .send()
        .await
        .unwrap()
        .agent
        .unwrap()
        .updated_at;
    let (_, stderr) = ok(
        &provisioner(&ministack, dir.path(), &["up", "--lambda-zip", zip_arg]),
        "second up",
    );
    assert!(
        !stderr.contains("created")
            && !stderr.contains("updated")
            && !stderr.contains(": prepared"),
        "{stderr}"
    );
    assert_eq!(stderr.matches(": unchanged").count(), 9, "{stderr}");
    assert!(stderr.contains("already prepared"), "{stderr}");
    let updated_after = c
        .agent
        .get_agent()
        .agent_id(&agent_id)
        .send()
        .await
        .unwrap()
        .agent
        .unwrap()
        .updated_at;
    assert_eq!(updated_before, updated_after);
    check_deployed(&c, &s, &package).await;

    // A schema drift is reported by status and repaired by up.
    let groups = c
        .agent
        .list_agent_action_groups()
        .agent_id(&agent_id)
        .agent_version("DRAFT")
        .send()
        .await
        .unwrap();
    let group_id = groups.action_group_summaries()[0]
        .action_group_id()
        .to_owned();
    c.agent
        .update_agent_action_group()
        .agent_id(&agent_id)
        .agent_version("DRAFT")
        .action_group_id(&group_id)
        .action_group_name("vacations")
        .action_group_executor(ActionGroupExecutor::Lambda(format!(
            "arn:aws:lambda:{REGION}:000000000000:function:{NAME}-actions"
        )))
        .function_schema(schema::catalogue_schema(false).unwrap())
        .send()
        .await
        .unwrap();
    let (stdout, _) = ok(
        &provisioner(&ministack, dir.path(), &["status", "--lambda-zip", zip_arg]),
        "status after drift",
    );
    assert!(
        stdout.contains("schema differs from the catalogue"),
        "{stdout}"
    );
    let (_, stderr) = ok(
        &provisioner(&ministack, dir.path(), &["up", "--lambda-zip", zip_arg]),
        "up repairing drift",
    );
    assert!(
        stderr.contains("Action group vacations: updated"),
        "{stderr}"
    );
    assert!(stderr.contains("prepared (changed by this run"), "{stderr}");
    check_deployed(&c, &s, &package).await;

    // invoke: the emulator's canned chunk streams to stdout.
    let (stdout, stderr) = ok(
        &provisioner(
            &ministack,
            dir.path(),
            &["invoke", "How many vacation days do I have?", "--as", "2"],
        ),
        "invoke",
    );
    assert!(stdout.contains("ministack"), "{stdout}");
    assert!(stderr.contains("session"), "{stderr}");

    // down: everything but the table goes; down again changes nothing.
    let (_, stderr) = ok(&provisioner(&ministack, dir.path(), &["down"]), "down");
    assert!(stderr.contains("kept"), "{stderr}");
    check_removed(&c, &s).await;
    assert!(
        c.dynamodb
            .describe_table()
            .table_name(TABLE)
            .send()
            .await
            .is_ok(),
        "the table must stay"
    );
    let (_, stderr) = ok(
        &provisioner(&ministack, dir.path(), &["down"]),
        "second down",
    );
    assert!(!stderr.contains("removed"), "{stderr}");
    check_removed(&c, &s).await;

    // invoke with nothing deployed: its own exit status.
    let out = provisioner(&ministack, dir.path(), &["invoke", "hi"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));

    // Deletion protection is respected: the table stays, the error says what to do.
    c.dynamodb
        .update_table()
        .table_name(TABLE)
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap();
    let out = provisioner(&ministack, dir.path(), &["down", "--delete-table"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("has deletion protection on"),
        "{}",
        text(&out.stderr)
    );
    assert!(c
        .dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .is_ok());
    c.dynamodb
        .update_table()
        .table_name(TABLE)
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();

    // down --delete-table removes the table too.
    ok(
        &provisioner(&ministack, dir.path(), &["down", "--delete-table"]),
        "down --delete-table",
    );
    assert!(
        c.dynamodb
            .describe_table()
            .table_name(TABLE)
            .send()
            .await
            .is_err(),
        "the table remains"
    );
}

/// A missing region or missing credentials is one sentence and exit status 3, although the
/// SDK first asks the EC2 instance-metadata endpoint for both and warns when it cannot:
/// those warnings (two long `aws_config` lines) show only with --verbose.
#[test]
fn missing_aws_configuration_is_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    // No AWS_EC2_METADATA_DISABLED: as on a user's machine, the SDK tries the
    // instance-metadata endpoint, which does not serve this machine (off EC2 it never
    // does), fails and logs a warning.
    let run = |args: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_provisioner"));
        cmd.args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("HOME", dir.path());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "provisioner {} (on EC2, the instance metadata may supply a region and \
             credentials):\n{}",
            args.join(" "),
            text(&out.stderr)
        );
        text(&out.stderr)
    };
    let one_line = |stderr: &str| stderr.ends_with('\n') && stderr.lines().count() == 1;

    let stderr = run(&["status"], &[]);
    assert!(one_line(&stderr), "{stderr}");
    assert!(stderr.contains("no AWS region is configured"), "{stderr}");

    let stderr = run(&["status"], &[("AWS_REGION", REGION)]);
    assert!(one_line(&stderr), "{stderr}");
    assert!(stderr.contains("no AWS credentials were found"), "{stderr}");

    // --verbose keeps the SDK's side of the story.
    let stderr = run(&["status", "--verbose"], &[]);
    assert!(stderr.lines().count() > 1, "{stderr}");
    assert!(stderr.contains("aws_config::imds"), "{stderr}");
    assert!(stderr.contains("no AWS region is configured"), "{stderr}");
}

/// The proxy adds the slash to the bare collection path only, keeping any query.
#[test]
fn only_the_bare_agents_path_gets_a_slash() {
    let fixed = |uri: &str| with_agents_slash(&uri.parse().unwrap()).map(|p| p.to_string());
    assert_eq!(fixed("/agents").as_deref(), Some("/agents/"));
    assert_eq!(
        fixed("/agents?maxResults=10").as_deref(),
        Some("/agents/?maxResults=10")
    );
    assert_eq!(fixed("/agents/"), None);
    assert_eq!(fixed("/agents/AB12/"), None);
    assert_eq!(fixed("/agents/AB12/agentaliases/"), None);
    assert_eq!(fixed("/agentsX"), None);
}

/// The trial user pool on ministack's Cognito: `up`'s pool step makes the pool, its app
/// client and the `hr` group; the real binary's `user add` makes users; their ID tokens
/// carry the claims the interceptor maps by default, so each signs in as who they are.
#[tokio::test]
async fn trial_users_sign_in_with_the_claims_the_interceptor_maps() {
    use base64::Engine;
    use provisioner::deploy::agentcore::users::TrialUser;
    use provisioner::deploy::Deployer;
    use tools::caller::{Caller, ClaimMapping};

    let dir = tempfile::tempdir().unwrap();
    let ministack = start_ministack(dir.path()).await;
    let c = clients(&ministack.url).await;
    let mut s = settings(&stand_in_zip(dir.path()));
    s.platform = Platform::Agentcore;
    s.inbound = Inbound::UserPool;
    let deployer = Deployer::new(c.clone(), s.clone()).unwrap();
    let pool = deployer.ensure_user_pool().await.unwrap().value;
    assert!(!pool.pool_id.is_empty() && !pool.client_id.is_empty());
    let again = deployer.ensure_user_pool().await.unwrap();
    assert_eq!(
        again.value, pool,
        "the pool, client and group are found again by name"
    );
    assert_eq!(again.change.to_string(), "unchanged");

    for (id, hr) in [("2", false), ("900", true)] {
        let mut args = vec!["user", "add", id];
        if hr {
            args.push("--hr");
        }
        let (stdout, _) = ok(&provisioner(&ministack, dir.path(), &args), "user add");
        assert!(stdout.contains(&format!("employee-{id}")), "{stdout}");
    }
    let path = dir.path().join(format!(".provisioner/{NAME}-users.json"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the passwords are readable by others: {mode:o}"
        );
    }
    let users: Vec<TrialUser> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(users.len(), 2);

    let mapping = ClaimMapping::default();
    for user in &users {
        let token = deployer.sign_in(user, &pool.client_id).await.unwrap();
        let payload = token.split('.').nth(1).expect("a JWT");
        let claims: serde_json::Map<String, Value> = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload.trim_end_matches('='))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            claims["aud"],
            Value::from(pool.client_id.clone()),
            "{claims:?}"
        );
        let caller = mapping.caller(&claims).unwrap();
        let id = domain::EmployeeId::new(user.employee_id.parse().unwrap()).unwrap();
        let expected = if user.hr {
            Caller::Hr(id)
        } else {
            Caller::Employee(id)
        };
        assert_eq!(caller, expected, "{claims:?}");
    }

    assert_eq!(
        deployer
            .remove_user_pool()
            .await
            .unwrap()
            .change
            .to_string(),
        "removed"
    );
    assert_eq!(
        deployer
            .remove_user_pool()
            .await
            .unwrap()
            .change
            .to_string(),
        "already gone"
    );
}
