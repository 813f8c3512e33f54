//! `hr-mcp`'s command line, and what each command starts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use domain::{DayCountPolicy, EmployeeId};
use rmcp::ServiceExt;
use tools::{Caller, ClaimMapping, McpChannel, Service, Settings};

use crate::auth::{KeySource, Verifier, VerifierConfig};
use crate::http::{router, AllowedHosts};
use crate::server::{HrServer, Identity};

/// The HR vacation tools as an MCP server: balances, bookings and cancellations on the
/// vacation table, for any MCP client (Claude Desktop, Kiro, Gemini CLI, Amazon Q, …).
#[derive(Debug, Parser)]
#[command(name = "hr-mcp", version)]
pub struct Cli {
    /// How clients connect.
    #[command(subcommand)]
    pub command: Command,
}

/// How clients connect.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve one person over stdin and stdout, the way MCP clients start local servers.
    Stdio {
        /// Who is asking (the operator's word, as for any local CLI).
        #[command(flatten)]
        who: Who,
        /// Where the table is, and how the tools behave.
        #[command(flatten)]
        common: Common,
    },
    /// Serve streamable HTTP at `/mcp`; every request needs a verified bearer JWT (or, on a
    /// loopback address, --as/--hr serve one person without tokens).
    Http(Box<HttpArgs>),
}

/// `hr-mcp http`.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// The address to listen on, such as 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Token verification.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// On a loopback address without a verifier: serve this one person (local trials).
    #[command(flatten)]
    pub who: Who,
    /// Host names clients may use (the `Host` header), repeatable. Default: the loopback
    /// names on a loopback address, any name otherwise.
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// Where the table is, and how the tools behave.
    #[command(flatten)]
    pub common: Common,
}

/// Who is asking, on the operator's word.
#[derive(Debug, Clone, Args)]
#[group(multiple = false)]
pub struct Who {
    /// Act as this employee, for their own vacations only (stdio: this or --hr is
    /// required; http: without tokens, loopback addresses only).
    #[arg(long = "as", value_name = "EMPLOYEE_ID", value_parser = employee_id)]
    pub employee: Option<EmployeeId>,
    /// Act as this HR user (their own employee id), for anyone (stdio: this or --as is
    /// required; http: without tokens, loopback addresses only).
    #[arg(long, value_name = "HR_USER_ID", value_parser = employee_id)]
    pub hr: Option<EmployeeId>,
}

impl Who {
    fn caller(&self) -> Option<Caller> {
        match (self.employee, self.hr) {
            (Some(id), _) => Some(Caller::Employee(id)),
            (None, Some(id)) => Some(Caller::Hr(id)),
            (None, None) => None,
        }
    }
}

/// Bearer-token verification for `http`.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// Verify HS256 tokens with this shared secret (local use; prefer the environment).
    #[arg(
        long,
        env = "HR_MCP_JWT_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        group = "keys"
    )]
    pub jwt_hs256_secret: Option<String>,
    /// Verify tokens with the keys of this JWKS file.
    #[arg(long, value_name = "PATH", group = "keys")]
    pub jwks_file: Option<PathBuf>,
    /// Verify tokens with the keys of this JWKS URL (an identity provider's jwks_uri).
    #[arg(long, value_name = "URL", group = "keys")]
    pub jwks_url: Option<String>,
    /// The audience (`aud`) tokens must be for.
    #[arg(long, value_name = "AUD")]
    pub jwt_audience: Option<String>,
    /// The issuer (`iss`) tokens must come from.
    #[arg(long, value_name = "ISS")]
    pub jwt_issuer: Option<String>,
    /// The claim holding the caller's employee id.
    #[arg(long, default_value = tools::caller::DEFAULT_EMPLOYEE_ID_CLAIM, value_name = "CLAIM")]
    pub claim_employee_id: String,
    /// The claim holding the caller's groups or role.
    #[arg(long, default_value = tools::caller::DEFAULT_ROLE_CLAIM, value_name = "CLAIM")]
    pub claim_role: String,
    /// The value of that claim meaning HR.
    #[arg(long, default_value = tools::caller::DEFAULT_HR_VALUE, value_name = "VALUE")]
    pub claim_hr_value: String,
}

impl AuthArgs {
    fn verifier(&self) -> Option<VerifierConfig> {
        let keys = if let Some(secret) = &self.jwt_hs256_secret {
            KeySource::Hs256Secret(secret.clone())
        } else if let Some(path) = &self.jwks_file {
            KeySource::JwksFile(path.clone())
        } else {
            KeySource::JwksUrl(self.jwks_url.clone()?)
        };
        Some(VerifierConfig {
            keys,
            audience: self.jwt_audience.clone(),
            issuer: self.jwt_issuer.clone(),
        })
    }

    fn mapping(&self) -> ClaimMapping {
        ClaimMapping {
            employee_id: self.claim_employee_id.clone(),
            role: self.claim_role.clone(),
            hr_value: self.claim_hr_value.clone(),
        }
    }
}

/// Where the table is (the seeder's options), and how the tools behave.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The table's name.
    #[arg(long, env = "TABLE_NAME", default_value = "hr-vacations")]
    pub table: String,
    /// The AWS region (the profile's when not given).
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,
    /// The AWS profile to take credentials and region from.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// A DynamoDB endpoint overriding the SDK's, e.g. http://localhost:8000 for DynamoDB
    /// Local (dummy credentials are used when none are configured).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// How booked days are counted: calendar-days or weekdays.
    #[arg(long, env = "HR_DAY_COUNT_POLICY", default_value = "calendar-days", value_parser = policy)]
    pub day_count_policy: DayCountPolicy,
    /// The business time zone in which today is taken (an IANA name).
    #[arg(long, env = "HR_TIME_ZONE", default_value = "UTC", value_parser = zone)]
    pub time_zone: chrono_tz::Tz,
    /// Take this date (YYYY-MM-DD) as today, as demos do.
    #[arg(long, value_name = "DATE", value_parser = date)]
    pub today: Option<chrono::NaiveDate>,
}

fn employee_id(text: &str) -> Result<EmployeeId, String> {
    EmployeeId::parse(text).map_err(|e| e.to_string())
}

fn policy(text: &str) -> Result<DayCountPolicy, String> {
    text.parse().map_err(|e: domain::DomainError| e.to_string())
}

fn zone(text: &str) -> Result<chrono_tz::Tz, String> {
    store::Clock::parse_zone(text).map_err(|e| e.to_string())
}

fn date(text: &str) -> Result<chrono::NaiveDate, String> {
    domain::parse_iso_date(text).map_err(|e| e.to_string())
}

impl Common {
    /// Opens the table and checks it answers, with the seeder's messages when it does not.
    async fn service(&self) -> anyhow::Result<Service> {
        let target = store::Target {
            table: self.table.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
        };
        let session = store::connect(&target).await?;
        session.check_table().await?;
        let store = session
            .store
            .with_clock(store::Clock::system(self.time_zone));
        Ok(Service::new(
            store,
            Settings {
                policy: self.day_count_policy,
                today: self.today,
                ..Settings::default()
            },
        ))
    }
}

/// Runs the command until its client goes away (stdio) or it is stopped (HTTP).
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Stdio { who, common } => {
            let caller = who
                .caller()
                .context("hr-mcp stdio needs --as <EMPLOYEE_ID> or --hr <HR_USER_ID>")?;
            let service = common.service().await?;
            let server = HrServer::new(service, Identity::Fixed(caller), McpChannel::Stdio);
            let running = server
                .serve(rmcp::transport::stdio_pipes())
                .await
                .context("starting the MCP session on stdio")?;
            running.waiting().await.context("serving stdio")?;
            Ok(())
        }
        Command::Http(args) => http(*args).await,
    }
}

async fn http(args: HttpArgs) -> anyhow::Result<()> {
    let HttpArgs {
        listen,
        auth,
        who,
        allowed_hosts,
        common,
    } = args;
    let verifier = match (auth.verifier(), who.caller()) {
        (Some(_), Some(_)) => bail!("--as and --hr are for a server without a token verifier: with one, each token says who is asking"),
        (Some(config), None) => Some(Arc::new(Verifier::new(config).await?)),
        (None, Some(_)) if listen.ip().is_loopback() => None,
        (None, _) if !listen.ip().is_loopback() => bail!(
            "refusing to serve {listen} without verifying tokens: pass --jwt-hs256-secret, \
             --jwks-file or --jwks-url (or listen on a loopback address with --as or --hr)"
        ),
        (None, _) => bail!(
            "hr-mcp http needs a token verifier (--jwt-hs256-secret, --jwks-file or --jwks-url), \
             or --as/--hr on a loopback address for a local trial"
        ),
    };
    let (identity, serving) = match who.caller() {
        Some(caller) => (
            Identity::Fixed(caller),
            format!(
                " as {} {}, without tokens",
                caller.role(),
                caller.id().map_or(0, EmployeeId::get)
            ),
        ),
        None => (
            Identity::FromToken(auth.mapping()),
            ", verifying bearer tokens".to_owned(),
        ),
    };
    let service = common.service().await?;
    let server = HrServer::new(service, identity, McpChannel::Http);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let hosts = match (allowed_hosts.is_empty(), listen.ip().is_loopback()) {
        (false, _) => AllowedHosts::These(allowed_hosts),
        (true, true) => AllowedHosts::Loopback,
        (true, false) => AllowedHosts::Any,
    };
    let app = router(server, verifier, hosts, shutdown.child_token());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    eprintln!("hr-mcp: listening on http://{bound}/mcp{serving}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
        })
        .await
        .context("serving HTTP")
}
