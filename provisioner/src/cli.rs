//! The command line: arguments (clap, with environment fallbacks), the one SDK
//! configuration, and each command's output and exit status.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use clap::{Args, Parser, Subcommand};

use crate::clients::Clients;
use crate::config::{Inbound, Model, Platform, Settings, DEFAULT_MODEL};
use crate::deploy::agentcore::users::{self, TrialUser};
use crate::deploy::{AgentCoreOutputs, Deployer, Outputs, StatusReport};
use crate::error::InvokeError;
use crate::error::{Error, Result};
use crate::exit;
use crate::harness::{self, GatewayTools, HarnessConversation};
use crate::invoke::{self, AcceptAll, Ask, Confirm, Conversation, Identity};
use crate::progress::Progress;
use crate::state;
use crate::state::{Recorded, State};

/// Stands the HR agent up on Amazon Bedrock Agents (Classic) or Amazon Bedrock AgentCore,
/// and talks to it.
#[derive(Debug, Parser)]
#[command(name = "provisioner", version, about)]
pub struct Cli {
    /// AWS region (otherwise AWS_REGION or the profile's region).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS profile (otherwise AWS_PROFILE or `default`).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (otherwise AWS_ENDPOINT_URL and the
    /// service-specific AWS_ENDPOINT_URL_* variables apply, as in every AWS SDK).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// The agent's name; every other resource name derives from it.
    #[arg(
        long,
        global = true,
        env = "PROVISIONER_NAME",
        default_value = "hr-assistant"
    )]
    pub name: String,
    /// Classic: the alias `up` keeps current and `invoke` talks to [default: the recorded
    /// one, else `live`].
    #[arg(long, global = true)]
    pub alias: Option<String>,
    /// Where `up` writes its outputs [default: .provisioner/<name>.json].
    #[arg(long, global = true)]
    pub state_file: Option<PathBuf>,
    /// Log what the provisioner does on stderr (RUST_LOG=debug shows every SDK call).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update everything, in order; safe to re-run.
    Up {
        /// The deployment's settings.
        #[command(flatten)]
        deploy: DeployArgs,
        /// Set the table's deletion protection (true or false); left as it is otherwise.
        #[arg(long)]
        deletion_protection: Option<bool>,
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove everything `up` made (the table only with --delete-table).
    Down {
        /// The deployment's settings.
        #[command(flatten)]
        deploy: DeployArgs,
        /// Also delete the DynamoDB table and its data (refused while it is protected).
        #[arg(long)]
        delete_table: bool,
        /// Print what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show each resource, its state, and any drift from what `up` would make.
    Status {
        /// The deployment's settings.
        #[command(flatten)]
        deploy: DeployArgs,
    },
    /// Ask the agent one question.
    Invoke {
        /// The question.
        text: String,
        /// How to talk.
        #[command(flatten)]
        talk: TalkArgs,
        /// End the session after this answer.
        #[arg(long)]
        end_session: bool,
    },
    /// A conversation in the terminal, in one session (`/quit` or Ctrl-D ends it).
    Chat {
        /// How to talk.
        #[command(flatten)]
        talk: TalkArgs,
    },
    /// AgentCore with `--create-user-pool`: the trial pool's users.
    User {
        /// What to do with users.
        #[command(subcommand)]
        command: UserCommand,
    },
}

/// `provisioner user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create (or reset) the user for an employee id, with a new password kept in
    /// `.provisioner/<name>-users.json`; `invoke --as <employee-id>` then signs in as them.
    Add {
        /// The employee id the user's token carries (`custom:employee_id`).
        employee_id: String,
        /// Put the user in the `hr` group: they may act for anyone.
        #[arg(long)]
        hr: bool,
    },
}

/// What `up`, `down` and `status` need. Every value left out is the one the state file
/// recorded, else the default shown.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Where the agent runs: `classic` (Bedrock Agents) or `agentcore` [default: classic].
    #[arg(long, value_enum)]
    pub platform: Option<Platform>,
    /// Model id or inference profile id (a `us.` profile works only from US regions)
    /// [default: us.amazon.nova-micro-v1:0].
    #[arg(long, env = "PROVISIONER_MODEL")]
    pub model: Option<String>,
    /// The DynamoDB table [default: hr-vacations].
    #[arg(long, env = "TABLE_NAME")]
    pub table_name: Option<String>,
    /// The handler's zip (scripts/package-lambda.sh makes it)
    /// [default: target/lambda/bootstrap.zip].
    #[arg(long)]
    pub lambda_zip: Option<PathBuf>,
    /// Do not ask users to confirm bookings and cancellations.
    #[arg(long, conflicts_with = "confirmation")]
    pub no_confirmation: bool,
    /// Ask users to confirm bookings and cancellations again (after --no-confirmation).
    #[arg(long)]
    pub confirmation: bool,
    /// The action group's name (Classic) or the gateway target's (AgentCore)
    /// [default: vacations].
    #[arg(long)]
    pub action_group: Option<String>,
    /// AgentCore: the identity provider's OpenID Connect discovery URL, for the gateway's
    /// CUSTOM_JWT authorizer.
    #[arg(long, value_name = "URL", conflicts_with = "create_user_pool")]
    pub jwt_discovery_url: Option<String>,
    /// AgentCore: an accepted token audience (repeatable; an ID token's `aud`).
    #[arg(
        long = "jwt-audience",
        value_name = "AUD",
        requires = "jwt_discovery_url"
    )]
    pub jwt_audiences: Vec<String>,
    /// AgentCore: an accepted client id (repeatable; an access token's `client_id`).
    #[arg(
        long = "jwt-client-id",
        value_name = "ID",
        requires = "jwt_discovery_url"
    )]
    pub jwt_clients: Vec<String>,
    /// AgentCore: make a trial Amazon Cognito user pool instead (see `provisioner user add`).
    #[arg(long)]
    pub create_user_pool: bool,
}

/// How `invoke` and `chat` talk.
#[derive(Debug, Clone, Args)]
pub struct TalkArgs {
    /// Show the agent's steps: rationale, function calls, what the Lambda returned.
    #[arg(long)]
    pub trace: bool,
    /// Continue this session [default: a fresh one].
    #[arg(long)]
    pub session_id: Option<String>,
    /// Talk as this employee (Classic: sets the session's employeeId and role=employee;
    /// AgentCore with a trial user pool: signs in as that employee's user).
    #[arg(long = "as", value_name = "EMPLOYEE_ID")]
    pub as_employee: Option<String>,
    /// Talk as this HR user (sets the session's employeeId to the HR user's own id and
    /// role=hr), who may act for anyone; on their own vacations, as an employee.
    #[arg(long, value_name = "HR_USER_ID", conflicts_with = "as_employee")]
    pub hr: Option<String>,
    /// Accept every confirmation the agent asks for.
    #[arg(long, short)]
    pub yes: bool,
    /// Agent id [default: from the state file, else found by name].
    #[arg(long)]
    pub agent_id: Option<String>,
    /// Alias id [default: from the state file, else found by name].
    #[arg(long)]
    pub alias_id: Option<String>,
    /// AgentCore: a file holding the person's JWT (an ID token of the identity provider
    /// the gateway trusts); `HR_ID_TOKEN` may hold the token itself. With a trial user
    /// pool, `--as`/`--hr` sign in as the user `provisioner user add` made instead.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["as_employee", "hr"])]
    pub token_file: Option<PathBuf>,
}

/// Runs the parsed command line and returns the process's exit status.
pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(exit::of_turn(&e))
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), InvokeError> {
    let state_file = cli
        .state_file
        .clone()
        .unwrap_or_else(|| state::default_path(&cli.name));
    let recorded = state::read(&state_file)?;
    // The deployment lives where `up` made it: --region, else the recorded region, else
    // the SDK's own (AWS_REGION, the profile).
    let recorded_region = recorded
        .as_ref()
        .map(|s| s.settings.region.clone())
        .filter(|r| !r.is_empty());
    let sdk = sdk_config(&cli, cli.region.clone().or(recorded_region)).await?;
    let region = sdk.region().map(|r| r.to_string()).ok_or(Error::NoRegion)?;
    let clients = Clients::new(&sdk);
    let progress = Progress::for_stderr();
    match &cli.command {
        Command::Up {
            deploy,
            deletion_protection,
            dry_run,
        } => {
            let settings = settings(
                &cli,
                &region,
                deploy,
                recorded.as_ref(),
                *deletion_protection,
            );
            let deployer = Deployer::new(clients, settings.clone())?.dry_run(*dry_run);
            if *dry_run {
                eprintln!("Dry run: reading only, nothing will change.");
            }
            // Recorded before the first step, so a run that fails half-way is resumed (and
            // removed) on the same platform with the same settings.
            let mut state = State {
                platform: settings.platform,
                settings: record(&settings),
                ..recorded.clone().unwrap_or_default()
            };
            state.classic_closed = None;
            if !dry_run {
                state::write(&state_file, &state)?;
            }
            match settings.platform {
                Platform::Classic => match deployer.up(progress).await {
                    Ok(outputs) => {
                        if *dry_run {
                            return Ok(());
                        }
                        state.classic = Some(outputs.clone());
                        state::write(&state_file, &state)?;
                        print_outputs(&outputs, &state_file);
                    }
                    Err(e @ Error::ClassicClosed { .. }) => {
                        if let (Error::ClassicClosed { message, .. }, false) = (&e, *dry_run) {
                            // Recorded, so that `status` and `invoke` point at AgentCore
                            // instead of at a command that cannot succeed.
                            state.classic_closed = Some(message.clone());
                            state::write(&state_file, &state)?;
                        }
                        return Err(e.into());
                    }
                    Err(e) => return Err(e.into()),
                },
                Platform::Agentcore => {
                    let outputs = deployer.up_agentcore(progress).await?;
                    if *dry_run {
                        return Ok(());
                    }
                    state.agentcore = Some(outputs.clone());
                    state::write(&state_file, &state)?;
                    print_agentcore_outputs(&outputs, &state_file);
                }
            }
            Ok(())
        }
        Command::Down {
            deploy,
            delete_table,
            dry_run,
        } => {
            let settings = settings(&cli, &region, deploy, recorded.as_ref(), None);
            let deployer = Deployer::new(clients, settings.clone())?.dry_run(*dry_run);
            if *dry_run {
                eprintln!("Dry run: reading only, nothing will be removed.");
            }
            match settings.platform {
                Platform::Classic => deployer.down(progress, *delete_table).await?,
                Platform::Agentcore => deployer.down_agentcore(progress, *delete_table).await?,
            }
            if !dry_run {
                // The platform and settings stay, so a second `down` (or `status`) follows
                // the same platform; nothing deployed remains to point at.
                let state = State {
                    platform: settings.platform,
                    settings: record(&settings),
                    ..State::default()
                };
                state::write(&state_file, &state)?;
                state::remove(&users_file(&state_file))?;
            }
            Ok(())
        }
        Command::Status { deploy } => {
            let settings = settings(&cli, &region, deploy, recorded.as_ref(), None);
            let deployer = Deployer::new(clients, settings.clone())?;
            let closed = recorded.as_ref().and_then(|s| s.classic_closed.clone());
            let report = match settings.platform {
                Platform::Classic => deployer.status().await?,
                Platform::Agentcore => deployer.status_agentcore().await?,
            };
            print_status(&report, settings.platform, closed.as_deref());
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { employee_id, hr },
        } => {
            let settings = settings(&cli, &region, &no_deploy_args(), recorded.as_ref(), None);
            let deployer = Deployer::new(clients, settings)?;
            let user = deployer.add_user(employee_id, *hr).await?;
            let path = users_file(&state_file);
            let mut users: Vec<TrialUser> = state::read_json(&path)?;
            users.retain(|u| u.employee_id != user.employee_id);
            users.push(user.clone());
            let json = serde_json::to_string_pretty(&users).map_err(|e| Error::StateFile {
                path: path.clone(),
                source: Box::new(e),
            })?;
            state::write_private(&path, &(json + "\n"))?;
            println!(
                "User {} (employee {}{}) is ready; its password is in {} (readable by you only).",
                user.username,
                user.employee_id,
                if user.hr { ", in the hr group" } else { "" },
                path.display()
            );
            println!(
                "Talk as them: provisioner invoke {} {} \"How many vacation days do I have left?\"",
                if user.hr { "--hr" } else { "--as" },
                user.employee_id
            );
            Ok(())
        }
        Command::Invoke {
            text,
            talk,
            end_session,
        } => {
            let mut talker = talker(&cli, &clients, &region, &state_file, recorded, talk).await?;
            let mut confirm = confirmer(talk.yes);
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            talker
                .say(text, *end_session, &mut out, &mut err, confirm.as_mut())
                .await?;
            if !end_session || matches!(talker, Talker::Harness(_)) {
                eprintln!(
                    "(session {}: pass --session-id to continue it)",
                    talker.session_id()
                );
            }
            Ok(())
        }
        Command::Chat { talk } => {
            let mut talker = talker(&cli, &clients, &region, &state_file, recorded, talk).await?;
            chat(&mut talker, talk.yes).await
        }
    }
}

/// The trial users' file beside the state file.
fn users_file(state_file: &Path) -> PathBuf {
    let stem = state_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    state_file.with_file_name(format!("{stem}-users.json"))
}

fn no_deploy_args() -> DeployArgs {
    DeployArgs {
        platform: None,
        model: None,
        table_name: None,
        lambda_zip: None,
        no_confirmation: false,
        confirmation: false,
        action_group: None,
        jwt_discovery_url: None,
        jwt_audiences: Vec::new(),
        jwt_clients: Vec::new(),
        create_user_pool: false,
    }
}

fn print_status(report: &StatusReport, platform: Platform, closed: Option<&str>) {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["resource", "name", "state"]);
    for row in &report.rows {
        table.add_row([row.resource, row.name.as_str(), row.state.as_str()]);
    }
    println!("{table}");
    let fix = match (platform, closed) {
        (Platform::Classic, Some(message)) => {
            println!("Agents Classic is closed to this account ({message}).");
            println!("`provisioner up --platform agentcore` deploys the same tools on Amazon Bedrock AgentCore.");
            None
        }
        (Platform::Classic, None) => Some("`provisioner up`"),
        (Platform::Agentcore, _) => Some("`provisioner up --platform agentcore`"),
    };
    match (report.drift.is_empty(), fix) {
        (true, Some(fix)) => println!("No drift: {fix} would change nothing."),
        (true, None) => {}
        (false, Some(fix)) => {
            println!("Drift ({fix} fixes it):");
            for d in &report.drift {
                println!("  - {d}");
            }
        }
        (false, None) => {
            println!("Not deployed:");
            for d in &report.drift {
                println!("  - {d}");
            }
        }
    }
    if !report.notes.is_empty() {
        println!("Unconfirmed without a real account (see README, Deploying to AWS):");
        for n in &report.notes {
            println!("  - {n}");
        }
    }
}

async fn sdk_config(cli: &Cli, region: Option<String>) -> Result<aws_config::SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    if let Some(profile) = &cli.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &cli.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(Error::NoRegion);
    }
    // Resolve credentials now, so a missing or broken configuration is one clear
    // sentence instead of an error on the first call.
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| Error::NoCredentials("no credentials provider".into()))?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| Error::NoCredentials(Box::new(e)))?;
    Ok(sdk)
}

/// The settings: each flag given, else what the state file recorded, else the default.
fn settings(
    cli: &Cli,
    region: &str,
    deploy: &DeployArgs,
    recorded: Option<&State>,
    deletion_protection: Option<bool>,
) -> Settings {
    let saved = recorded.map(|s| &s.settings);
    let pick = |flag: Option<&String>, saved: Option<&String>, default: &str| -> String {
        flag.or(saved.filter(|s| !s.is_empty()))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let inbound = if deploy.create_user_pool {
        Inbound::UserPool
    } else if let Some(url) = &deploy.jwt_discovery_url {
        Inbound::Jwt {
            discovery_url: url.clone(),
            audiences: deploy.jwt_audiences.clone(),
            clients: deploy.jwt_clients.clone(),
        }
    } else {
        saved.map(|s| s.inbound.clone()).unwrap_or_default()
    };
    let confirmation = if deploy.no_confirmation {
        false
    } else if deploy.confirmation {
        true
    } else {
        saved.is_none_or(|s| s.confirmation)
    };
    Settings {
        name: cli.name.clone(),
        region: region.to_owned(),
        model: Model::new(pick(
            deploy.model.as_ref(),
            saved.map(|s| &s.model),
            DEFAULT_MODEL,
        )),
        table_name: pick(
            deploy.table_name.as_ref(),
            saved.map(|s| &s.table_name),
            "hr-vacations",
        ),
        deletion_protection,
        lambda_zip: deploy
            .lambda_zip
            .clone()
            .or(saved
                .map(|s| s.lambda_zip.clone())
                .filter(|p| !p.as_os_str().is_empty()))
            .unwrap_or_else(|| PathBuf::from("target/lambda/bootstrap.zip")),
        confirmation,
        alias_name: pick(cli.alias.as_ref(), saved.map(|s| &s.alias), "live"),
        action_group_name: pick(
            deploy.action_group.as_ref(),
            saved.map(|s| &s.action_group),
            "vacations",
        ),
        platform: deploy
            .platform
            .or(recorded.map(|s| s.platform))
            .unwrap_or_default(),
        inbound,
    }
}

/// What the state file keeps of the settings.
fn record(s: &Settings) -> Recorded {
    Recorded {
        region: s.region.clone(),
        model: s.model.id().to_owned(),
        table_name: s.table_name.clone(),
        lambda_zip: s.lambda_zip.clone(),
        confirmation: s.confirmation,
        action_group: s.action_group_name.clone(),
        alias: s.alias_name.clone(),
        inbound: s.inbound.clone(),
    }
}

fn print_agentcore_outputs(outputs: &AgentCoreOutputs, state_file: &Path) {
    println!(
        "Deployed on AgentCore in {} (account {}):",
        outputs.region, outputs.account
    );
    for (k, v) in [
        ("table", &outputs.table_arn),
        ("tools function", &outputs.function_arn),
        ("interceptor", &outputs.interceptor_arn),
        ("gateway id", &outputs.gateway_id),
        ("gateway (MCP)", &outputs.gateway_url),
        ("target id", &outputs.target_id),
        ("JWT issuer", &outputs.discovery_url),
        ("user pool", &outputs.user_pool_id),
        ("app client", &outputs.user_pool_client_id),
        ("harness", &outputs.harness_arn),
        ("model", &outputs.model),
    ] {
        if !v.is_empty() {
            println!("  {k:<16} {v}");
        }
    }
    println!("Outputs written to {}.", state_file.display());
    if !outputs.user_pool_id.is_empty() {
        println!("Next: provisioner user add <employee-id> [--hr], then provisioner invoke --as <employee-id> \"...\".");
    }
}

fn print_outputs(outputs: &Outputs, state_file: &std::path::Path) {
    println!(
        "Deployed in {} (account {}):",
        outputs.region, outputs.account
    );
    for (k, v) in [
        ("table", &outputs.table_arn),
        ("lambda role", &outputs.lambda_role_arn),
        ("function", &outputs.function_arn),
        ("agent role", &outputs.agent_role_arn),
        ("agent id", &outputs.agent_id),
        ("agent", &outputs.agent_arn),
        ("model", &outputs.model),
        ("action group id", &outputs.action_group_id),
        ("alias id", &outputs.alias_id),
        ("alias", &outputs.alias_arn),
        ("agent version", &outputs.agent_version),
    ] {
        let v = if v.is_empty() {
            "(none reported)"
        } else {
            v.as_str()
        };
        println!("  {k:<16} {v}");
    }
    println!("Outputs written to {}.", state_file.display());
}

/// Who the terminal talks to: the Classic agent's alias or the AgentCore harness.
enum Talker {
    Classic(Conversation),
    Harness(HarnessConversation<GatewayTools>),
}

impl Talker {
    fn session_id(&self) -> &str {
        match self {
            Talker::Classic(c) => c.session_id(),
            Talker::Harness(h) => h.session_id(),
        }
    }

    async fn say(
        &mut self,
        text: &str,
        end_session: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
        confirm: &mut dyn Confirm,
    ) -> Result<(), InvokeError> {
        match self {
            Talker::Classic(c) => c.say(Some(text), end_session, out, err, confirm).await,
            // A harness session has no explicit end: it expires on its own.
            Talker::Harness(h) => h.say(text, out, err, confirm).await,
        }
        .map(|_| ())
    }

    /// Ends the session where the platform has such a thing.
    async fn finish(&mut self, err: &mut dyn Write) {
        if let Talker::Classic(c) = self {
            let mut sink = std::io::sink();
            if let Err(e) = c.say(None, true, &mut sink, err, &mut AcceptAll).await {
                tracing::warn!("ending the session failed: {e}");
            }
        }
    }
}

/// The platform the state file records, and what to talk to on it.
async fn talker(
    cli: &Cli,
    clients: &Clients,
    region: &str,
    state_file: &Path,
    recorded: Option<State>,
    talk: &TalkArgs,
) -> Result<Talker> {
    let platform = recorded.as_ref().map(|s| s.platform).unwrap_or_default();
    if let Some(message) = recorded.as_ref().and_then(|s| s.classic_closed.clone()) {
        if recorded
            .as_ref()
            .and_then(|s| s.agentcore.as_ref())
            .is_none()
        {
            return Err(Error::NotDeployed {
                what: format!("the agent {}", cli.name),
                region: region.to_owned(),
                next: format!("Agents Classic is closed to this account ({message}); run `provisioner up --platform agentcore`"),
            });
        }
    }
    match platform {
        Platform::Classic => Ok(Talker::Classic(
            conversation(clients, cli, region, recorded, talk).await?,
        )),
        Platform::Agentcore => {
            let state = recorded.unwrap_or_default();
            let Some(outputs) = state.agentcore.clone() else {
                return Err(Error::NotDeployed {
                    what: format!("the harness {}", cli.name.replace('-', "_")),
                    region: region.to_owned(),
                    next: "run `provisioner up --platform agentcore` first".into(),
                });
            };
            let session_id = match &talk.session_id {
                Some(id) if !harness::valid_session_id(id) => {
                    return Err(Error::InvalidSetting {
                        what: "session id",
                        value: id.clone(),
                        rule: "InvokeHarness needs 33 to 256 characters without spaces",
                    })
                }
                Some(id) => id.clone(),
                None => harness::new_session_id(),
            };
            let token = token(cli, clients, region, state_file, &state, talk).await?;
            let tools = GatewayTools::new(&outputs.gateway_url, token, &outputs.target_name);
            Ok(Talker::Harness(HarnessConversation::new(
                clients.harness.clone(),
                outputs.harness_arn,
                session_id,
                tools,
                state.settings.confirmation,
                talk.trace,
            )))
        }
    }
}

/// The person's JWT: `--token-file`, else `HR_ID_TOKEN`, else a sign-in to the trial user
/// pool as the user `--as`/`--hr` names.
async fn token(
    cli: &Cli,
    clients: &Clients,
    region: &str,
    state_file: &Path,
    state: &State,
    talk: &TalkArgs,
) -> Result<String> {
    let who = talk.hr.as_ref().or(talk.as_employee.as_ref());
    if let Some(path) = &talk.token_file {
        let text = std::fs::read_to_string(path).map_err(|e| Error::StateFile {
            path: path.clone(),
            source: Box::new(e),
        })?;
        return Ok(text.trim().to_owned());
    }
    // An explicit --as/--hr wins over a token left in the environment: the person named
    // on the command line is the one who acts.
    if who.is_none() {
        if let Ok(token) = std::env::var("HR_ID_TOKEN") {
            if !token.trim().is_empty() {
                return Ok(token.trim().to_owned());
            }
        }
    }
    let (Some(employee_id), Inbound::UserPool) = (who, &state.settings.inbound) else {
        return Err(Error::InvalidSetting {
            what: "identity",
            value: String::new(),
            rule: "on AgentCore the gateway needs the person's token: pass --token-file (or set HR_ID_TOKEN), or with a trial user pool --as/--hr <employee-id>",
        });
    };
    let users: Vec<TrialUser> = state::read_json(&users_file(state_file))?;
    let (pool, client_id) = state
        .agentcore
        .as_ref()
        .map(|o| (o.user_pool_id.clone(), o.user_pool_client_id.clone()))
        .unwrap_or_default();
    let user = users
        .into_iter()
        .find(|u| &u.employee_id == employee_id)
        .ok_or_else(|| Error::NoSuchUser {
            username: users::username(employee_id),
            employee_id: employee_id.clone(),
            pool,
        })?;
    if talk.hr.is_some() && !user.hr {
        return Err(Error::InvalidSetting {
            what: "--hr",
            value: employee_id.clone(),
            rule: "that user is not in the hr group: run `provisioner user add <id> --hr`",
        });
    }
    let settings = settings(cli, region, &no_deploy_args(), Some(state), None);
    Deployer::new(clients.clone(), settings)?
        .sign_in(&user, &client_id)
        .await
}

/// The agent and alias to talk to: the flags, else the state file, else a lookup by name.
async fn conversation(
    clients: &Clients,
    cli: &Cli,
    region: &str,
    recorded: Option<State>,
    talk: &TalkArgs,
) -> Result<Conversation> {
    let alias = cli
        .alias
        .clone()
        .or(recorded
            .as_ref()
            .map(|s| s.settings.alias.clone())
            .filter(|a| !a.is_empty()))
        .unwrap_or_else(|| "live".to_owned());
    let session_id = match &talk.session_id {
        Some(id) if !invoke::valid_session_id(id) => {
            return Err(Error::InvalidSetting {
                what: "session id",
                value: id.clone(),
                rule: "2 to 100 characters among letters, digits, '.', '_', ':' and '-'",
            })
        }
        Some(id) => id.clone(),
        None => invoke::new_session_id(),
    };
    let identity = match (&talk.as_employee, &talk.hr) {
        (_, Some(id)) => Identity::Hr(id.clone()),
        (Some(id), None) => Identity::Employee(id.clone()),
        (None, None) => Identity::Anonymous,
    };
    let (agent_id, alias_id) = match (&talk.agent_id, &talk.alias_id) {
        (Some(a), Some(b)) => (a.clone(), b.clone()),
        _ => {
            let saved = recorded
                .and_then(|s| s.classic)
                .filter(|o| o.region == region && !o.agent_id.is_empty() && !o.alias_id.is_empty());
            match saved {
                Some(o) => (o.agent_id, o.alias_id),
                None => find_by_name(clients, &cli.name, &alias, region).await?,
            }
        }
    };
    Ok(Conversation::new(
        clients.runtime.clone(),
        talk.agent_id.clone().unwrap_or(agent_id),
        talk.alias_id.clone().unwrap_or(alias_id),
        session_id,
        identity,
        talk.trace,
    ))
}

async fn find_by_name(
    clients: &Clients,
    name: &str,
    alias: &str,
    region: &str,
) -> Result<(String, String)> {
    let not_deployed = || Error::NotDeployed {
        what: format!("the agent {name} with alias {alias}"),
        region: region.to_owned(),
        next: "run `provisioner up` first".to_owned(),
    };
    let settings = Settings {
        name: name.to_owned(),
        region: region.to_owned(),
        model: Model::new(DEFAULT_MODEL),
        table_name: "unused".to_owned(),
        deletion_protection: None,
        lambda_zip: PathBuf::new(),
        confirmation: true,
        alias_name: alias.to_owned(),
        action_group_name: "unused".to_owned(),
        platform: Platform::Classic,
        inbound: Inbound::Unset,
    };
    let deployer = Deployer::new(clients.clone(), settings)?;
    let agent = deployer.find_agent().await?.ok_or_else(not_deployed)?;
    let alias_id = deployer
        .find_alias(agent.agent_id())
        .await?
        .ok_or_else(not_deployed)?;
    Ok((agent.agent_id().to_owned(), alias_id))
}

fn confirmer(yes: bool) -> Box<dyn Confirm> {
    if yes {
        Box::new(AcceptAll)
    } else {
        Box::new(Ask::new(std::io::stdin().lock()))
    }
}

async fn chat(talker: &mut Talker, yes: bool) -> Result<(), InvokeError> {
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Talking to the agent (session {}). /quit or Ctrl-D to end.",
            talker.session_id()
        );
    }
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let mut lines = std::io::stdin().lock().lines();
    let mut last_error = None;
    loop {
        if interactive {
            eprint!("you> ");
            std::io::stderr().flush()?;
        }
        let Some(line) = lines.next().transpose()? else {
            break;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if matches!(line, "/quit" | "/exit") {
            break;
        }
        // Confirmations in a chat read the same terminal as the questions.
        let mut confirm: Box<dyn Confirm> = if yes {
            Box::new(AcceptAll)
        } else {
            Box::new(LinesConfirm(&mut lines))
        };
        match talker
            .say(line, false, &mut out, &mut err, confirm.as_mut())
            .await
        {
            Ok(()) => last_error = None,
            // One failed turn does not end the conversation: say why and go on.
            Err(e @ InvokeError::Agent { .. }) => {
                eprintln!("error: {e}");
                last_error = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    talker.finish(&mut err).await;
    match last_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Confirmation answers read from the chat's own line iterator.
struct LinesConfirm<'a, I>(&'a mut I);

impl<I: Iterator<Item = std::io::Result<String>>> Confirm for LinesConfirm<'_, I> {
    fn confirm(&mut self, question: &str) -> std::io::Result<bool> {
        eprint!("{question} [y/N] ");
        std::io::stderr().flush()?;
        match self.0.next().transpose()? {
            Some(line) => Ok(matches!(
                line.trim().to_ascii_lowercase().as_str(),
                "y" | "yes"
            )),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("provisioner").chain(args.iter().copied()))
    }

    fn offline_clients() -> Clients {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build();
        Clients::new(&sdk)
    }

    #[test]
    fn later_commands_reuse_what_up_recorded_and_flags_win() {
        let up = cli(&[
            "up",
            "--platform",
            "agentcore",
            "--create-user-pool",
            "--model",
            "eu.amazon.nova-micro-v1:0",
            "--table-name",
            "t1",
            "--no-confirmation",
        ]);
        let Command::Up { deploy, .. } = &up.command else {
            panic!()
        };
        let first = settings(&up, "eu-west-1", deploy, None, None);
        assert_eq!(first.platform, Platform::Agentcore);
        assert_eq!(first.inbound, Inbound::UserPool);
        assert!(!first.confirmation);
        let state = State {
            platform: first.platform,
            settings: record(&first),
            ..State::default()
        };
        let status = cli(&["status"]);
        let Command::Status { deploy } = &status.command else {
            panic!()
        };
        let later = settings(&status, "eu-west-1", deploy, Some(&state), None);
        assert_eq!(later, first, "status follows what up recorded");
        let again = cli(&["up", "--confirmation", "--table-name", "t2"]);
        let Command::Up { deploy, .. } = &again.command else {
            panic!()
        };
        let changed = settings(&again, "eu-west-1", deploy, Some(&state), None);
        assert!(changed.confirmation);
        assert_eq!(changed.table_name, "t2");
        assert_eq!(changed.platform, Platform::Agentcore);
        assert_eq!(changed.model.id(), "eu.amazon.nova-micro-v1:0");
    }

    #[tokio::test]
    async fn after_classic_refused_the_account_invoke_points_at_agentcore_not_at_up() {
        let dir = tempfile::tempdir().unwrap();
        let state_file = dir.path().join("hr.json");
        let state = State {
            platform: Platform::Classic,
            classic_closed: Some("Bedrock Agents is in Maintenance Mode.".into()),
            ..State::default()
        };
        let invoke = cli(&["invoke", "hello", "--as", "2"]);
        let Command::Invoke { talk, .. } = &invoke.command else {
            panic!()
        };
        let err = match talker(
            &invoke,
            &offline_clients(),
            "us-east-1",
            &state_file,
            Some(state),
            talk,
        )
        .await
        {
            Err(e) => e,
            Ok(_) => panic!("a closed Classic has nothing to talk to"),
        };
        let message = err.to_string();
        assert!(message.contains("--platform agentcore"), "{message}");
        assert!(!message.contains("run `provisioner up` first"), "{message}");
        assert_eq!(exit::of_error(&err), exit::NOT_DEPLOYED);
    }

    #[tokio::test]
    async fn agentcore_without_a_token_or_a_trial_user_is_refused_before_any_call() {
        let dir = tempfile::tempdir().unwrap();
        let state = State {
            platform: Platform::Agentcore,
            settings: Recorded {
                inbound: Inbound::Jwt {
                    discovery_url: "https://idp.example.com/.well-known/openid-configuration"
                        .into(),
                    audiences: vec!["a".into()],
                    clients: vec![],
                },
                ..Recorded::default()
            },
            agentcore: Some(AgentCoreOutputs {
                harness_arn: "arn:aws:bedrock-agentcore:us-east-1:1:harness/h".into(),
                ..AgentCoreOutputs::default()
            }),
            ..State::default()
        };
        let invoke = cli(&["invoke", "hello", "--as", "2"]);
        let Command::Invoke { talk, .. } = &invoke.command else {
            panic!()
        };
        std::env::remove_var("HR_ID_TOKEN");
        let err = match talker(
            &invoke,
            &offline_clients(),
            "us-east-1",
            &dir.path().join("hr.json"),
            Some(state),
            talk,
        )
        .await
        {
            Err(e) => e,
            Ok(_) => panic!("no identity"),
        };
        assert!(err.to_string().contains("--token-file"), "{err}");
    }

    #[test]
    fn a_short_session_id_is_refused_for_the_harness() {
        assert!(!harness::valid_session_id("demo-session-1"));
        assert!(harness::valid_session_id(&"s".repeat(33)));
    }
}
