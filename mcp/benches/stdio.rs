//! `cargo bench -p hr-mcp --bench stdio [-- --calls N --starts N]`
//!
//! The real `hr-mcp stdio` (release build) against DynamoDB Local (testcontainers):
//! - start-up: from spawning the process to the answer of the first `tools/list`
//!   (`initialize` included), median and slowest of `--starts` runs;
//! - `tools/call` latency: the median of `get_available_vacations_days` through MCP next
//!   to the median of the bare `Store::get_balance` it makes, measured alternately in one
//!   run, and their ratio;
//!   (with rmcp's client, and with a minimal line-based JSON-RPC client that measures what
//!   the server and the protocol add), and `tools/list` as the floor of the overhead;
//! - the server's peak resident set size (`VmHWM`) after the calls.

use std::time::{Duration, Instant};

use domain::EmployeeStatus;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::ServiceExt;
use serde_json::json;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn options() -> Result<(usize, usize), Error> {
    let (mut calls, mut starts) = (400, 20);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--calls" => calls = args.next().ok_or("--calls needs a value")?.parse()?,
            "--starts" => starts = args.next().ok_or("--starts needs a value")?.parse()?,
            "--bench" => {}
            other => return Err(format!("unknown option {other} (--calls N, --starts N)").into()),
        }
    }
    Ok((calls.max(1), starts.max(1)))
}

fn command(table: &str, endpoint: &str) -> tokio::process::Command {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_hr-mcp")).configure(|c| {
        c.env_clear()
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RUST_LOG", "warn")
            .args([
                "stdio",
                "--as",
                "2",
                "--today",
                "2026-01-01",
                "--table",
                table,
                "--endpoint-url",
                endpoint,
            ]);
    })
}

/// The same alternation with the least client there can be: JSON-RPC lines written to the
/// server's stdin and read from its stdout, so the figure is what the server and the
/// protocol add, without a client library's own scheduling.
async fn raw_client_calls(
    table: &str,
    endpoint: &str,
    store: &store::Store,
    employee: domain::EmployeeId,
    calls: usize,
) -> Result<(Duration, Duration), Error> {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut child = command(table, endpoint)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let mut send = async |message: serde_json::Value| -> Result<(), Error> {
        stdin.write_all(format!("{message}\n").as_bytes()).await?;
        Ok(stdin.flush().await?)
    };
    send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}))
    .await?;
    lines.next_line().await?.ok_or("no initialize answer")?;
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await?;
    let (mut bare, mut through_mcp) = (Vec::new(), Vec::new());
    for n in 0..calls + 20 {
        let sent = Instant::now();
        store.get_balance(employee, 2026).await?;
        let direct = sent.elapsed();
        let sent = Instant::now();
        send(json!({"jsonrpc": "2.0", "id": n + 1, "method": "tools/call", "params": {
            "name": "get_available_vacations_days", "arguments": {"employee_id": 2, "year": 2026}}}))
        .await?;
        let line = lines.next_line().await?.ok_or("the server closed stdout")?;
        let mcp = sent.elapsed();
        let answer: serde_json::Value = serde_json::from_str(&line)?;
        assert_eq!(answer["result"]["isError"], false, "{answer}");
        if n >= 20 {
            bare.push(direct);
            through_mcp.push(mcp);
        }
    }
    Ok((median(&mut through_mcp), median(&mut bare)))
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Error> {
    let (calls, starts) = options()?;
    let endpoint = test_support::dynamodb_local().endpoint.clone();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let store = test_support::fresh_store_at(&endpoint).await;
            let two = test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 22, 0)]).await;
            let table = store.table_name().to_owned();

            let mut startup = Vec::new();
            for _ in 0..starts {
                let spawned = Instant::now();
                let client = ().serve(TokioChildProcess::new(command(&table, &endpoint))?).await?;
                let tools = client.list_all_tools().await?;
                startup.push(spawned.elapsed());
                assert_eq!(tools.len(), 4);
                client.cancel().await?;
            }
            let slowest = *startup.iter().max().unwrap_or(&Duration::ZERO);
            println!(
                "start to first tools/list: median {:.1} ms, slowest {:.1} ms over {starts} starts",
                ms(median(&mut startup)),
                ms(slowest)
            );

            let transport = TokioChildProcess::new(command(&table, &endpoint))?;
            let pid = transport.id().ok_or("the server has no pid")?;
            let client = ().serve(transport).await?;
            let arguments = json!({"employee_id": 2, "year": 2026}).as_object().cloned().unwrap_or_default();
            let (mut bare, mut through_mcp) = (Vec::new(), Vec::new());
            for n in 0..calls + 20 {
                let sent = Instant::now();
                store.get_balance(two, 2026).await?;
                let direct = sent.elapsed();
                let sent = Instant::now();
                let result = client
                    .call_tool(CallToolRequestParams::new("get_available_vacations_days").with_arguments(arguments.clone()))
                    .await?;
                let mcp = sent.elapsed();
                assert_eq!(result.is_error, Some(false), "{result:?}");
                if n >= 20 {
                    // The first calls warm connections up on both sides.
                    bare.push(direct);
                    through_mcp.push(mcp);
                }
            }
            // What MCP over stdio costs with no store call at all: the floor of the overhead.
            let mut listing = Vec::new();
            for _ in 0..calls {
                let sent = Instant::now();
                client.list_all_tools().await?;
                listing.push(sent.elapsed());
            }
            println!("tools/list over stdio (no store call): median {:.3} ms", ms(median(&mut listing)));
            let (bare, through_mcp) = (median(&mut bare), median(&mut through_mcp));
            println!(
                "tools/call over stdio: median {:.3} ms; bare Store::get_balance: median {:.3} ms; ratio {:.3} ({calls} calls each, alternated)",
                ms(through_mcp),
                ms(bare),
                through_mcp.as_secs_f64() / bare.as_secs_f64()
            );
            let raw = raw_client_calls(&table, &endpoint, &store, two, calls).await?;
            println!(
                "tools/call over stdio, minimal line client: median {:.3} ms; bare Store::get_balance: median {:.3} ms; ratio {:.3}",
                ms(raw.0),
                ms(raw.1),
                raw.0.as_secs_f64() / raw.1.as_secs_f64()
            );
            let rss = test_support::lambda::peak_rss_kib(pid).ok_or("no VmHWM")?;
            println!("hr-mcp stdio peak RSS: {:.1} MB ({rss} KiB)", rss as f64 / 1024.0);
            client.cancel().await?;
            Ok(())
        })
}
