//! `cargo bench -p hr-tests --bench load -- [--transport classic|gateway|mcp-http]
//! [--employees N] [--clients N] [--seconds S | --operations N]
//! [--mix balance=40,book=35,cancel=10,list=15] [--window-days D]`
//!
//! Drives the tools against DynamoDB Local (testcontainers) through one transport: Bedrock
//! events or Gateway invocations through the Lambda handler in process, or MCP over
//! streamable HTTP to an `hr-mcp` HTTP service in process (HS256 bearer tokens verified on
//! every request). Prints throughput, p50/p95/p99 per operation and the outcomes, then
//! audits the table. Exits non-zero when the audit finds anything.

use std::time::Duration;

use std::sync::Arc;

use handler::{AnonymousAccess, Handler, Settings};
use store::Store;
use test_support::load::{self, Driver, LoadConfig, Mix, Stop};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The transports a run may drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Classic,
    Gateway,
    McpHttp,
}

fn transport(text: &str) -> Result<Transport, Error> {
    match text {
        "classic" => Ok(Transport::Classic),
        "gateway" => Ok(Transport::Gateway),
        "mcp-http" => Ok(Transport::McpHttp),
        other => Err(format!("unknown transport {other:?} (classic, gateway, mcp-http)").into()),
    }
}

fn parse_args() -> Result<(Transport, LoadConfig), Error> {
    let mut chosen = Transport::Classic;
    let mut config = LoadConfig {
        employees: 200,
        days_per_year: 25,
        clients: 16,
        stop: Stop::After(Duration::from_secs(120)),
        mix: Mix::default(),
        window_days: 90,
        year: 2026,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--transport" => chosen = transport(&value()?)?,
            "--employees" => config.employees = value()?.parse()?,
            "--clients" => config.clients = value()?.parse()?,
            "--seconds" => config.stop = Stop::After(Duration::from_secs(value()?.parse()?)),
            "--operations" => config.stop = Stop::Operations(value()?.parse()?),
            "--mix" => config.mix = value()?.parse()?,
            "--window-days" => config.window_days = value()?.parse()?,
            "--days-per-year" => config.days_per_year = value()?.parse()?,
            "--bench" => {} // passed by `cargo bench`
            "--help" | "-h" => {
                println!("options: --transport classic|gateway|mcp-http --employees N --clients N --seconds S | --operations N --mix balance=40,book=35,cancel=10,list=15 --window-days D --days-per-year D");
                std::process::exit(0);
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    if config.employees == 0 || config.clients == 0 || config.window_days == 0 {
        return Err("--employees, --clients and --window-days must be above 0".into());
    }
    Ok((chosen, config))
}

const SECRET: &str = "load-test-secret";

/// The driver for `transport`, over `store`; MCP gets an in-process `hr-mcp` HTTP service
/// on a loopback port, verifying an HR user's HS256 token on every request.
async fn driver(transport: Transport, store: &Store, settings: Settings) -> Result<Driver, Error> {
    let handler = Handler::new(store.clone(), settings.clone());
    Ok(match transport {
        Transport::Classic => Driver::Classic(handler),
        Transport::Gateway => Driver::Gateway(handler),
        Transport::McpHttp => {
            let verifier = mcp::auth::Verifier::new(mcp::auth::VerifierConfig {
                keys: mcp::auth::KeySource::Hs256Secret(SECRET.to_owned()),
                audience: None,
                issuer: None,
            })
            .await?;
            let server = mcp::server::HrServer::new(
                handler.service().clone(),
                mcp::server::Identity::FromToken(tools::ClaimMapping::default()),
                tools::McpChannel::Http,
            );
            let app = mcp::http::router(
                server,
                Some(Arc::new(verifier)),
                mcp::http::AllowedHosts::Loopback,
                tokio_util::sync::CancellationToken::new(),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let url = format!("http://{}/mcp", listener.local_addr()?);
            tokio::spawn(async move { axum::serve(listener, app).await });
            let claims = serde_json::json!({
                "custom:employee_id": test_support::lambda::HR_USER.to_string(),
                "cognito:groups": ["hr"],
                "exp": jsonwebtoken::get_current_timestamp() + 24 * 3600,
            });
            let token = jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes())?,
            )?;
            Driver::McpHttp { url, token }
        }
    })
}

fn main() -> Result<(), Error> {
    let (transport, config) = parse_args()?;
    let endpoint = test_support::dynamodb_local().endpoint.clone();
    let report = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let store = test_support::fresh_store_at(&endpoint).await;
            let settings = Settings {
                anonymous_access: AnonymousAccess::Refuse,
                today: Some(test_support::date("2026-03-01")),
                ..Settings::default()
            };
            let driver = driver(transport, &store, settings).await?;
            println!(
                "load: {transport:?}, {} employees, {} clients, {:?}, mix {:?}, DynamoDB Local at {endpoint}",
                config.employees, config.clients, config.stop, config.mix
            );
            Ok::<_, Error>(load::run(&driver, &store, &config).await?)
        })?;
    println!("{report}");
    if !report.audit.is_clean() {
        for v in &report.audit.violations {
            eprintln!("  violation: {v}");
        }
        std::process::exit(1);
    }
    Ok(())
}
