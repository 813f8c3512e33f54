//! `hr-mcp stdio`, as an MCP client starts it.

use domain::EmployeeStatus;
use serde_json::json;

use crate::support::{answer, call, command, endpoint, stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tools_are_listed_from_the_catalogue_with_schemas_and_annotations() {
    let store = test_support::fresh_store().await;
    let client = stdio(store.table_name(), &["--as", "2"]).await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("hr-vacations")
    );
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, tools::catalogue::names());
    for tool in &tools {
        let ours = tools::catalogue::find(&tool.name).unwrap();
        assert_eq!(
            serde_json::Value::Object((*tool.input_schema).clone()),
            ours.input_schema()
        );
        assert!(tool.output_schema.is_some(), "{}", tool.name);
        let hints = tool.annotations.as_ref().unwrap();
        assert_eq!(
            hints.read_only_hint,
            Some(ours.is_read_only()),
            "{}",
            tool.name
        );
        assert_eq!(
            hints.destructive_hint,
            Some(ours.is_destructive()),
            "{}",
            tool.name
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_answers_and_refusals_are_results_marked_as_errors() {
    let store = test_support::fresh_store().await;
    let two = test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    test_support::seed(&store, 3, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let client = stdio(store.table_name(), &["--as", "2", "--today", "2026-01-01"]).await;

    let (error, balance) = answer(
        &client,
        "get_available_vacations_days",
        json!({"employee_id": 2}),
    )
    .await;
    assert!(!error);
    assert_eq!(
        (balance["available_days"].clone(), balance["year"].clone()),
        (json!(22), json!(2026))
    );

    let dates = json!({"employee_id": 2, "start_date": "2026-02-02", "end_date": "2026-02-04"});
    let (error, booked) = answer(&client, "reserve_vacation_time", dates.clone()).await;
    assert!(!error, "{booked}");
    let reservation = booked["reservation"]["reservation_id"].clone();
    let (_, again) = answer(&client, "reserve_vacation_time", dates).await;
    assert_eq!(
        again["reservation"]["reservation_id"], reservation,
        "a repeat is the same booking"
    );
    assert_eq!(store.get_balance(two, 2026).await.unwrap().available(), 19);

    let (_, listed) = answer(&client, "list_planned_vacations", json!({"employee_id": 2})).await;
    assert_eq!(listed["reservations"].as_array().map(Vec::len), Some(1));

    for (arguments, code) in [
        (json!({"employee_id": 3}), "not_allowed"),
        (json!({"employee_id": "two"}), "invalid_parameters"),
        (
            json!({"employee_id": 2, "year": 20260}),
            "invalid_parameters",
        ),
        (
            json!({"employee_id": 2, "extra": true}),
            "invalid_parameters",
        ),
    ] {
        let (error, refused) =
            answer(&client, "get_available_vacations_days", arguments.clone()).await;
        assert!(error, "{arguments}: {refused}");
        assert_eq!(
            (refused["ok"].clone(), refused["error"].clone()),
            (json!(false), json!(code)),
            "{arguments}"
        );
        assert!(refused["message"].as_str().is_some_and(|m| m.len() > 10));
    }
    let (error, past) = answer(
        &client,
        "reserve_vacation_time",
        json!({"employee_id": 2, "start_date": "2025-12-30", "end_date": "2025-12-31"}),
    )
    .await;
    assert!(error && past["error"] == "date_in_the_past", "{past}");

    // An unknown tool is a JSON-RPC error, not a result.
    let unknown = call(&client, "drop_table", json!({})).await.unwrap_err();
    match unknown {
        rmcp::ServiceError::McpError(e) => {
            assert_eq!(e.code.0, -32602);
            assert!(e.message.contains("drop_table"), "{}", e.message);
        }
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }

    let (error, cancelled) = answer(
        &client,
        "cancel_vacation",
        json!({"employee_id": 2, "reservation_id": reservation}),
    )
    .await;
    assert!(!error, "{cancelled}");
    assert_eq!(store.get_balance(two, 2026).await.unwrap().available(), 22);
    let history = store.history(two).await.unwrap();
    assert!(
        history.iter().all(|h| h.request.starts_with("mcp-stdio:")),
        "{history:?}"
    );
    test_support::assert_ledger_sound(&store, two).await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_acts_for_anyone_and_is_recorded_as_hr() {
    let store = test_support::fresh_store().await;
    let two = test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let hr = test_support::lambda::HR_USER.to_string();
    let client = stdio(store.table_name(), &["--hr", &hr, "--today", "2026-01-01"]).await;
    let (error, booked) = answer(
        &client,
        "reserve_vacation_time",
        json!({"employee_id": 2, "start_date": "2026-03-02", "end_date": "2026-03-02"}),
    )
    .await;
    assert!(!error, "{booked}");
    let history = store.history(two).await.unwrap();
    assert_eq!(history[0].actor.role, domain::ActorRole::Hr);
    client.cancel().await.unwrap();
}

/// Without its table, or without DynamoDB, `hr-mcp` stops at once with the seeder's
/// clear sentences, before any client talks to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_refuses_to_start_without_its_table_or_dynamodb() {
    test_support::dynamodb_local();
    let missing = command("no-such-table")
        .args(["stdio", "--as", "2"])
        .args(endpoint())
        .output()
        .await
        .unwrap();
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("table no-such-table does not exist at"),
        "{stderr}"
    );

    let unreachable = command("t")
        .args(["stdio", "--as", "2", "--endpoint-url", "http://127.0.0.1:9"])
        .output()
        .await
        .unwrap();
    assert!(!unreachable.status.success());
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(
        stderr.contains("cannot reach DynamoDB at http://127.0.0.1:9"),
        "{stderr}"
    );
    assert!(!stderr.contains("IMDS"), "{stderr}");

    let nobody = command("t").args(["stdio"]).output().await.unwrap();
    assert!(String::from_utf8_lossy(&nobody.stderr)
        .contains("needs --as <EMPLOYEE_ID> or --hr <HR_USER_ID>"));
}

/// The revisions today's clients speak are served as asked: 2025-06-18 and 2025-11-25
/// through `initialize`, 2026-07-28 (stateless, no `initialize`) through discovery, over
/// stdio and HTTP alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_revisions_clients_speak_are_served() {
    use rmcp::model::{ClientConfig, ProtocolVersion};
    use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
    use rmcp::ServiceExt;

    let store = test_support::fresh_store().await;
    test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
    let table = store.table_name().to_owned();
    let child = || {
        let command = command(&table).configure(|c| {
            c.args(["stdio", "--as", "2"]).args(endpoint());
        });
        TokioChildProcess::new(command).unwrap()
    };
    let server = crate::support::http(&table, &["--as", "2"]).await;
    let http = || {
        StreamableHttpClientTransport::from_config(StreamableHttpClientTransportConfig::with_uri(
            server.url.clone(),
        ))
    };
    for version in [ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_11_25] {
        let config = ClientConfig::default().with_protocol_version(version.clone());
        for client in [
            config.clone().serve(child()).await.unwrap(),
            config.clone().serve(http()).await.unwrap(),
        ] {
            let negotiated = client.peer_info().unwrap().protocol_version.clone();
            assert_eq!(negotiated, version);
            assert_eq!(client.list_all_tools().await.unwrap().len(), 4);
            client.cancel().await.unwrap();
        }
    }
    let discover = || ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    for client in [
        ClientConfig::default()
            .serve_with_lifecycle(child(), discover())
            .await
            .unwrap(),
        ClientConfig::default()
            .serve_with_lifecycle(http(), discover())
            .await
            .unwrap(),
    ] {
        let negotiated = client.peer_info().unwrap().protocol_version.clone();
        assert_eq!(negotiated, ProtocolVersion::V_2026_07_28);
        let result = client
            .call_tool(
                rmcp::model::CallToolRequestParams::new("get_available_vacations_days")
                    .with_arguments(
                        json!({"employee_id": 2, "year": 2026})
                            .as_object()
                            .unwrap()
                            .clone(),
                    ),
            )
            .await
            .unwrap();
        assert_eq!(result.structured_content.unwrap()["available_days"], 22);
        client.cancel().await.unwrap();
    }
}
