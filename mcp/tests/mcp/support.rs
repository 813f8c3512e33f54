//! Starting the real `hr-mcp` binary against DynamoDB Local, clients for it, and tokens.

use std::process::Stdio;
use std::time::Duration;

use jsonwebtoken::{encode, get_current_timestamp, Algorithm, EncodingKey, Header};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A connected MCP client.
pub type Client = RunningService<RoleClient, ()>;

/// The shared secret the HTTP servers of these tests verify HS256 tokens with.
pub const SECRET: &str = "test-only-secret";
/// The audience those tokens are for.
pub const AUDIENCE: &str = "hr-mcp-tests";
/// The arguments of an HTTP server verifying [`SECRET`]'s tokens for [`AUDIENCE`], on the
/// tests' date.
pub const HS256_SERVER: [&str; 6] = [
    "--jwt-hs256-secret",
    SECRET,
    "--jwt-audience",
    AUDIENCE,
    "--today",
    "2026-01-01",
];

/// The issuer of the RS256 tokens.
pub const ISSUER: &str = "https://issuer.test";

/// `hr-mcp` with the environment a user's MCP client would give it for DynamoDB Local.
pub fn command(table: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_hr-mcp"));
    command
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("TABLE_NAME", table)
        .env("RUST_LOG", "info");
    command
}

/// The endpoint argument for the shared DynamoDB Local.
pub fn endpoint() -> [String; 2] {
    [
        "--endpoint-url".into(),
        test_support::dynamodb_local().endpoint.clone(),
    ]
}

/// A client of `hr-mcp stdio <args>` over the table.
pub async fn stdio(table: &str, args: &[&str]) -> Client {
    let command = command(table).configure(|c| {
        c.arg("stdio").args(args).args(endpoint());
    });
    let (transport, _stderr) = TokioChildProcess::builder(command)
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting hr-mcp: {e}"));
    ().serve(transport)
        .await
        .unwrap_or_else(|e| panic!("connecting to hr-mcp stdio: {e}"))
}

/// A running `hr-mcp http`, killed when dropped.
pub struct HttpServer {
    _child: tokio::process::Child,
    /// `http://127.0.0.1:<port>/mcp`.
    pub url: String,
}

/// Starts `hr-mcp http --listen 127.0.0.1:0 <args>` and waits until it listens.
pub async fn http(table: &str, args: &[&str]) -> HttpServer {
    let mut child = command(table)
        .args(["http", "--listen", "127.0.0.1:0"])
        .args(args)
        .args(endpoint())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting hr-mcp http: {e}"));
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix("hr-mcp: listening on ") {
                let url = rest.split([' ', ',']).next().unwrap_or_default();
                return url.to_owned();
            }
            eprintln!("[hr-mcp] {line}");
        }
        panic!("hr-mcp http exited before listening")
    })
    .await
    .unwrap_or_else(|_| panic!("hr-mcp http did not listen within 30 s"));
    // Keep draining, so the server never blocks on a full pipe.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
                eprintln!("[hr-mcp] {line}");
            }
        }
    });
    HttpServer { _child: child, url }
}

/// A client of `server` presenting `token`.
pub async fn connect(
    server: &HttpServer,
    token: &str,
) -> Result<Client, rmcp::service::ClientInitializeError> {
    let config = StreamableHttpClientTransportConfig::with_uri(server.url.clone())
        .auth_header(token.to_owned());
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
}

/// An HS256 token signed with `secret` for `claims` plus `aud` and an `exp` in
/// `expires_in` seconds (negative: already expired).
pub fn hs256(secret: &str, claims: Value, expires_in: i64) -> String {
    let mut claims = claims;
    claims["aud"] = json!(AUDIENCE);
    claims["exp"] = json!(get_current_timestamp() as i64 + expires_in);
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// An RS256 token with key id `kid`, signed with the test-only fixture key.
pub fn rs256(kid: &str, claims: Value) -> String {
    let mut claims = claims;
    claims["iss"] = json!(ISSUER);
    claims["exp"] = json!(get_current_timestamp() + 300);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, &claims, &rsa_key()).unwrap()
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(include_bytes!("../fixtures/test-only-rsa-private.pem")).unwrap()
}

/// The JWKS holding the fixture key's public half under `kid`.
pub fn jwks(kid: &str) -> Value {
    let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&rsa_key(), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    json!({"keys": [jwk]})
}

/// Calls `tool` with `arguments`.
pub async fn call(
    client: &Client,
    tool: &str,
    arguments: Value,
) -> Result<CallToolResult, rmcp::ServiceError> {
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
}

/// The structured result of a call that must come back as a result; checks that the text
/// content is the same JSON.
pub async fn answer(client: &Client, tool: &str, arguments: Value) -> (bool, Value) {
    let result = call(client, tool, arguments)
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let structured = result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("{tool}: no structuredContent: {result:?}"));
    let text = result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<Value>(&text).ok(),
        Some(structured.clone()),
        "text and structuredContent differ"
    );
    (result.is_error == Some(true), structured)
}
