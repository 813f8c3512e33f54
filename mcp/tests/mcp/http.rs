//! `hr-mcp http`: every request needs a verified bearer token, whose claims say who asks.

use domain::EmployeeStatus;
use serde_json::{json, Value};

use crate::support::{
    answer, command, connect, hs256, http, jwks, rs256, HS256_SERVER, ISSUER, SECRET,
};

fn employee(id: u32) -> Value {
    json!({"custom:employee_id": id.to_string(), "sub": format!("user-{id}")})
}

/// A raw `initialize` POST with `authorization`, for what happens before MCP.
async fn initialize(url: &str, authorization: Option<String>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"}}})
            .to_string(),
        );
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_verified_and_their_claims_say_who_asks() {
    let store = test_support::fresh_store().await;
    let two = test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    test_support::seed(&store, 3, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let server = http(store.table_name(), &HS256_SERVER).await;

    // No token, another key, expired, another audience: 401 before any MCP message.
    let wrong_audience = {
        let mut claims = employee(2);
        claims["exp"] = json!(jsonwebtoken::get_current_timestamp() + 300);
        claims["aud"] = json!("someone-else");
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    for (authorization, says) in [
        (None, ""),
        (Some("Basic dXNlcjpwYXNz".to_owned()), ""),
        (
            Some(format!(
                "Bearer {}",
                hs256("another-secret", employee(2), 300)
            )),
            "signature",
        ),
        (
            Some(format!("Bearer {}", hs256(SECRET, employee(2), -300))),
            "expired",
        ),
        (Some(format!("Bearer {wrong_audience}")), "audience"),
        (Some("Bearer not-a-jwt".to_owned()), "not valid"),
    ] {
        let response = initialize(&server.url, authorization.clone()).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert!(challenge.contains(says), "{authorization:?}: {challenge}");
    }
    assert!(connect(&server, &hs256("another-secret", employee(2), 300))
        .await
        .is_err());

    // Employee 2's token: their own vacations only.
    let client = connect(&server, &hs256(SECRET, employee(2), 300))
        .await
        .unwrap();
    let (error, balance) = answer(
        &client,
        "get_available_vacations_days",
        json!({"employee_id": 2}),
    )
    .await;
    assert!(!error, "{balance}");
    assert_eq!(balance["available_days"], 22);
    let (error, refused) =
        answer(&client, "list_planned_vacations", json!({"employee_id": 3})).await;
    assert!(error && refused["error"] == "not_allowed", "{refused}");
    let (error, booked) = answer(
        &client,
        "reserve_vacation_time",
        json!({"employee_id": 2, "start_date": "2026-05-04", "end_date": "2026-05-06"}),
    )
    .await;
    assert!(!error, "{booked}");
    let history = store.history(two).await.unwrap();
    assert!(
        history[0].request.starts_with("mcp-http:"),
        "{}",
        history[0].request
    );
    client.cancel().await.unwrap();

    // A verified token that names no employee: a result saying so, for the model to relay.
    let client = connect(&server, &hs256(SECRET, json!({"sub": "robot"}), 300))
        .await
        .unwrap();
    let (error, refused) = answer(
        &client,
        "get_available_vacations_days",
        json!({"employee_id": 2}),
    )
    .await;
    assert!(error && refused["error"] == "not_signed_in", "{refused}");
    client.cancel().await.unwrap();

    // HR by group membership may act for anyone.
    let hr = json!({"custom:employee_id": test_support::lambda::HR_USER, "cognito:groups": ["hr"]});
    let client = connect(&server, &hs256(SECRET, hr, 300)).await.unwrap();
    let (error, listed) =
        answer(&client, "list_planned_vacations", json!({"employee_id": 3})).await;
    assert!(!error, "{listed}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_tokens_are_verified_against_a_jwks_file_or_url() {
    let store = test_support::fresh_store().await;
    test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks("key-1").to_string()).unwrap();
    let by_file = http(
        store.table_name(),
        &[
            "--jwks-file",
            file.to_str().unwrap(),
            "--jwt-issuer",
            ISSUER,
        ],
    )
    .await;

    // A JWKS served over HTTP, as an identity provider's jwks_uri is.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let document = jwks("key-1");
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let by_url = http(
        store.table_name(),
        &["--jwks-url", &jwks_url, "--jwt-issuer", ISSUER],
    )
    .await;

    for server in [&by_file, &by_url] {
        let client = connect(server, &rs256("key-1", employee(2))).await.unwrap();
        let (error, balance) = answer(
            &client,
            "get_available_vacations_days",
            json!({"employee_id": 2, "year": 2026}),
        )
        .await;
        assert!(!error, "{balance}");
        client.cancel().await.unwrap();
        for refused in [
            rs256("unknown-key", employee(2)),
            hs256(SECRET, employee(2), 300),
        ] {
            let response = initialize(&server.url, Some(format!("Bearer {refused}"))).await;
            assert_eq!(response.status(), 401);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_never_serves_the_network_without_verifying_tokens() {
    let store = test_support::fresh_store().await;
    let refused = command(store.table_name())
        .args(["http", "--listen", "0.0.0.0:0", "--as", "2"])
        .args(crate::support::endpoint())
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("refusing to serve 0.0.0.0:0 without verifying tokens"),
        "{stderr}"
    );

    let unscoped = command(store.table_name())
        .args([
            "http",
            "--listen",
            "127.0.0.1:0",
            "--jwks-url",
            "http://127.0.0.1:9/jwks.json",
        ])
        .args(crate::support::endpoint())
        .output()
        .await
        .unwrap();
    assert!(!unscoped.status.success());

    // On loopback, a local trial for one person needs no token.
    test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let local = http(store.table_name(), &["--as", "2"]).await;
    let client = connect(&local, "").await.unwrap();
    let (error, _) = answer(
        &client,
        "get_available_vacations_days",
        json!({"employee_id": 2, "year": 2026}),
    )
    .await;
    assert!(!error);
    client.cancel().await.unwrap();
}
