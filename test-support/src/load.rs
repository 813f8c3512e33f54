//! A load generator that drives the tools through any transport against one table, then
//! audits the table: Bedrock Agents Classic events and AgentCore Gateway invocations through
//! the Lambda handler (the same code path as Lambda), or MCP `tools/call` over streamable
//! HTTP to an `hr-mcp` server.
//!
//! Used by the short load test (`tests/tests/system/load.rs`, part of the suite) and by the long
//! runs (`cargo bench -p hr-tests --bench load -- …`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate};
use domain::{EmployeeStatus, YearBalance};
use handler::Handler;
use rand::Rng;
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Map, Value};
use store::{AuditReport, Store, StoreError};

/// How the load reaches the tools.
#[derive(Debug, Clone)]
pub enum Driver {
    /// Bedrock Agents Classic function-details events, through the handler.
    Classic(Handler),
    /// AgentCore Gateway Lambda-target invocations (client context, `_caller`), through
    /// the handler.
    Gateway(Handler),
    /// MCP `tools/call` over streamable HTTP: one client session per load client.
    McpHttp {
        /// The server's `/mcp` URL.
        url: String,
        /// The bearer token every client presents (an HR user's).
        token: String,
    },
}

/// A load client's connection.
enum Connection<'a> {
    Handler { handler: &'a Handler, gateway: bool },
    Mcp(RunningService<RoleClient, ()>),
}

impl Driver {
    async fn connect(&self) -> Connection<'_> {
        match self {
            Self::Classic(handler) => Connection::Handler {
                handler,
                gateway: false,
            },
            Self::Gateway(handler) => Connection::Handler {
                handler,
                gateway: true,
            },
            Self::McpHttp { url, token } => {
                let config = StreamableHttpClientTransportConfig::with_uri(url.clone())
                    .auth_header(token.clone());
                let client =
                    ().serve(StreamableHttpClientTransport::from_config(config))
                        .await
                        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
                Connection::Mcp(client)
            }
        }
    }
}

impl Connection<'_> {
    /// Calls `tool` with `arguments` as HR, and returns the answer's body (`None` when the
    /// transport itself failed, as a Lambda error does).
    async fn call(
        &self,
        tool: &str,
        arguments: Map<String, Value>,
        client: usize,
        n: usize,
    ) -> Option<Value> {
        match self {
            Self::Handler {
                handler,
                gateway: false,
            } => {
                let params: Vec<Value> = arguments
                    .iter()
                    .map(|(name, value)| {
                        let kind = if value.is_number() {
                            "integer"
                        } else {
                            "string"
                        };
                        let text = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        json!({"name": name, "type": kind, "value": text})
                    })
                    .collect();
                let event = json!({
                    "messageVersion": "1.0",
                    "agent": {"name": "hr-assistant", "id": "LOADTEST01", "alias": "TSTALIASID", "version": "DRAFT"},
                    "inputText": format!("load client {client} operation {n}"),
                    "sessionId": format!("load-client-{client}"),
                    "actionGroup": "VacationsActionGroup",
                    "function": tool,
                    "parameters": params,
                    "sessionAttributes": crate::lambda::as_hr(),
                    "promptSessionAttributes": {},
                });
                let response = handler.handle(event).await;
                let function = &response["response"]["functionResponse"];
                function["responseBody"]["TEXT"]["body"]
                    .as_str()
                    .and_then(|text| serde_json::from_str(text).ok())
            }
            Self::Handler {
                handler,
                gateway: true,
            } => {
                let mut arguments = arguments;
                arguments.insert("_caller".into(), crate::lambda::as_hr());
                let event = crate::lambda::gateway_invocation(
                    tool,
                    Value::Object(arguments),
                    &format!("load-{client}-{n}"),
                );
                handler.handle_invocation(event).await.ok()
            }
            Self::Mcp(session) => session
                .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
                .await
                .ok()
                .and_then(|result| result.structured_content),
        }
    }
}

/// The operations, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// `get_available_vacations_days`.
    Balance,
    /// `reserve_vacation_time`.
    Book,
    /// `cancel_vacation`.
    Cancel,
    /// `list_planned_vacations`.
    List,
}

impl Op {
    fn function(self) -> &'static str {
        match self {
            Self::Balance => "get_available_vacations_days",
            Self::Book => "reserve_vacation_time",
            Self::Cancel => "cancel_vacation",
            Self::List => "list_planned_vacations",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Balance => "balance",
            Self::Book => "book",
            Self::Cancel => "cancel",
            Self::List => "list",
        })
    }
}

/// Relative weights of the operations, e.g. `balance=40,book=35,cancel=10,list=15`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    weights: [(Op, u32); 4],
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            weights: [
                (Op::Balance, 40),
                (Op::Book, 35),
                (Op::Cancel, 10),
                (Op::List, 15),
            ],
        }
    }
}

impl FromStr for Mix {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut mix = Self {
            weights: [
                (Op::Balance, 0),
                (Op::Book, 0),
                (Op::Cancel, 0),
                (Op::List, 0),
            ],
        };
        for part in text.split(',') {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not name=weight"))?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("weight of {name:?} is not a whole number"))?;
            let slot = mix
                .weights
                .iter_mut()
                .find(|(op, _)| op.to_string() == name.trim())
                .ok_or_else(|| {
                    format!("unknown operation {name:?} (balance, book, cancel, list)")
                })?;
            slot.1 = weight;
        }
        if mix.weights.iter().all(|(_, w)| *w == 0) {
            return Err("at least one weight must be above 0".into());
        }
        Ok(mix)
    }
}

impl Mix {
    fn pick(&self, rng: &mut impl Rng) -> Op {
        let total: u32 = self.weights.iter().map(|(_, w)| w).sum();
        let mut roll = rng.random_range(0..total);
        for (op, weight) in self.weights {
            if roll < weight {
                return op;
            }
            roll -= weight;
        }
        Op::Balance
    }
}

/// When a run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this long.
    After(Duration),
    /// After this many operations in all.
    Operations(u64),
}

/// A load run's settings.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Employees seeded (ids 1..=n), each with `days_per_year` days in the year.
    pub employees: u32,
    /// Days granted to each employee.
    pub days_per_year: u32,
    /// Concurrent clients.
    pub clients: usize,
    /// When to stop.
    pub stop: Stop,
    /// The operation mix.
    pub mix: Mix,
    /// Bookings fall in the first `window_days` days of the year: the smaller, the more
    /// collisions.
    pub window_days: u64,
    /// The year booked and queried.
    pub year: i32,
}

/// What a run measured.
#[derive(Debug)]
pub struct LoadReport {
    /// Operations completed.
    pub operations: u64,
    /// Wall time of the load phase.
    pub elapsed: Duration,
    /// Latency samples by operation.
    pub latencies: BTreeMap<Op, Vec<Duration>>,
    /// Outcomes by operation and kind (`booked`, `insufficient`, `overlap`, `refused:<code>`,
    /// `failed`, …).
    pub outcomes: BTreeMap<(Op, String), u64>,
    /// The audit run after the load.
    pub audit: AuditReport,
}

impl LoadReport {
    /// How many operations ended as `kind`, over all operations.
    pub fn count(&self, kind: &str) -> u64 {
        self.outcomes
            .iter()
            .filter(|((_, k), _)| k == kind)
            .map(|(_, n)| n)
            .sum()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        writeln!(
            f,
            "{} operations in {secs:.1} s: {:.0} ops/s",
            self.operations,
            self.operations as f64 / secs.max(f64::EPSILON)
        )?;
        writeln!(
            f,
            "  {:<8} {:>8} {:>10} {:>10} {:>10}",
            "op", "count", "p50 ms", "p95 ms", "p99 ms"
        )?;
        for (op, samples) in &self.latencies {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            writeln!(
                f,
                "  {:<8} {:>8} {:>10.2} {:>10.2} {:>10.2}",
                op.to_string(),
                samples.len(),
                ms(percentile(samples, 0.50)),
                ms(percentile(samples, 0.95)),
                ms(percentile(samples, 0.99)),
            )?;
        }
        writeln!(f, "  outcomes:")?;
        for ((op, kind), n) in &self.outcomes {
            writeln!(f, "    {:<8} {kind:<32} {n}", op.to_string())?;
        }
        let a = &self.audit;
        write!(
            f,
            "audit: {} items, {} employees, {} balances, {} reservations, {} day claims: {}",
            a.items,
            a.employees,
            a.balances,
            a.reservations,
            a.claims,
            if a.is_clean() {
                "OK".to_owned()
            } else {
                format!(
                    "{} violation(s), {} partition(s) without profile, {} unreadable item(s)",
                    a.violations.len(),
                    a.partitions_without_profile.len(),
                    a.unreadable.len()
                )
            }
        )
    }
}

/// Seeds the employees, runs the load through `driver` (over `store`'s table), then
/// audits the table.
pub async fn run(
    driver: &Driver,
    store: &Store,
    config: &LoadConfig,
) -> Result<LoadReport, StoreError> {
    for id in 1..=config.employees {
        let employee = crate::ledger::employee(id, EmployeeStatus::Active);
        let balance = YearBalance::new(config.year, config.days_per_year, 0)?;
        store.put_employee(&employee, &[balance]).await?;
    }
    let driver = Arc::new(driver.clone());
    let config = Arc::new(config.clone());
    let started = Instant::now();
    let issued = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..config.clients {
        let (driver, config, issued) = (
            Arc::clone(&driver),
            Arc::clone(&config),
            Arc::clone(&issued),
        );
        tasks.spawn(async move { client_loop(client, &driver, &config, &issued, started).await });
    }
    let mut latencies: BTreeMap<Op, Vec<Duration>> = BTreeMap::new();
    let mut outcomes = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let samples = joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        for (op, elapsed, kind) in samples {
            latencies.entry(op).or_default().push(elapsed);
            *outcomes.entry((op, kind)).or_default() += 1;
        }
    }
    let elapsed = started.elapsed();
    for samples in latencies.values_mut() {
        samples.sort();
    }
    let operations = latencies.values().map(|s| s.len() as u64).sum();
    let audit = store.audit(4).await?;
    Ok(LoadReport {
        operations,
        elapsed,
        latencies,
        outcomes,
        audit,
    })
}

async fn client_loop(
    client: usize,
    driver: &Driver,
    config: &LoadConfig,
    issued: &std::sync::atomic::AtomicU64,
    started: Instant,
) -> Vec<(Op, Duration, String)> {
    use std::sync::atomic::Ordering;
    let mut samples = Vec::new();
    let mut booked: Vec<(u32, String)> = Vec::new();
    let connection = driver.connect().await;
    let first_day = NaiveDate::from_ymd_opt(config.year, 1, 1).unwrap_or_default();
    loop {
        let go_on = match config.stop {
            Stop::After(limit) => started.elapsed() < limit,
            Stop::Operations(n) => issued.fetch_add(1, Ordering::SeqCst) < n,
        };
        if !go_on {
            return samples;
        }
        let n = samples.len();
        let (op, employee, params) = {
            let mut rng = rand::rng();
            let op = config.mix.pick(&mut rng);
            let employee = rng.random_range(1..=config.employees);
            let params = match op {
                Op::Balance | Op::List => vec![("employee_id", json!(employee))],
                Op::Book => {
                    let start = first_day + Days::new(rng.random_range(0..config.window_days));
                    let end = start + Days::new(rng.random_range(0..4));
                    let end = if end.year() == config.year {
                        end
                    } else {
                        start
                    };
                    vec![
                        ("employee_id", json!(employee)),
                        ("start_date", json!(start.format("%Y-%m-%d").to_string())),
                        ("end_date", json!(end.format("%Y-%m-%d").to_string())),
                    ]
                }
                Op::Cancel => match booked.is_empty() {
                    false => {
                        let (owner, id) = booked.swap_remove(rng.random_range(0..booked.len()));
                        vec![("employee_id", json!(owner)), ("reservation_id", json!(id))]
                    }
                    true => {
                        let day = first_day + Days::new(rng.random_range(0..config.window_days));
                        vec![
                            ("employee_id", json!(employee)),
                            ("start_date", json!(day.format("%Y-%m-%d").to_string())),
                        ]
                    }
                },
            };
            (op, employee, params)
        };
        let arguments: Map<String, Value> = params
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        let sent = Instant::now();
        let body = connection.call(op.function(), arguments, client, n).await;
        let elapsed = sent.elapsed();
        let kind = classify(op, body.as_ref(), employee, &mut booked);
        samples.push((op, elapsed, kind));
    }
}

/// The outcome kind of one answer; remembers successful bookings so they can be cancelled.
fn classify(
    op: Op,
    body: Option<&Value>,
    employee: u32,
    booked: &mut Vec<(u32, String)>,
) -> String {
    let Some(body) = body else {
        return "failed".into();
    };
    if body["ok"] == true {
        return match op {
            Op::Book => {
                if let Some(id) = body["reservation"]["reservation_id"].as_str() {
                    booked.push((employee, id.to_owned()));
                }
                "booked".into()
            }
            Op::Cancel => "cancelled".into(),
            Op::Balance | Op::List => "answered".into(),
        };
    }
    match body["error"].as_str() {
        Some("insufficient_balance") => "insufficient".into(),
        Some("overlap") => "overlap".into(),
        // A broken dependency (FAILURE, a Lambda error, an MCP error result alike).
        Some("unavailable" | "timeout") => "failed".into(),
        Some(code) => format!("refused:{code}"),
        None => "malformed answer".into(),
    }
}
