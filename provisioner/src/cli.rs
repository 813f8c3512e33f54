//! The command line: arguments (clap, with environment fallbacks), the one SDK
//! configuration, and each command's output and exit status.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use clap::{Args, Parser, Subcommand};

use crate::clients::Clients;
use crate::config::{Model, Settings, DEFAULT_MODEL};
use crate::deploy::{Deployer, Outputs};
use crate::error::InvokeError;
use crate::error::{Error, Result};
use crate::exit;
use crate::invoke::{self, AcceptAll, Ask, Confirm, Conversation, Identity};
use crate::progress::Progress;
use crate::state;

/// Stands the HR agent up on Amazon Bedrock Agents, and talks to it.
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
    /// The alias `up` keeps current and `invoke` talks to.
    #[arg(long, global = true, default_value = "live")]
    pub alias: String,
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
}

/// What `up`, `down` and `status` need.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Model id or inference profile id (a `us.` profile works only from US regions).
    #[arg(long, env = "PROVISIONER_MODEL", default_value = DEFAULT_MODEL)]
    pub model: String,
    /// The DynamoDB table.
    #[arg(long, env = "TABLE_NAME", default_value = "hr-vacations")]
    pub table_name: String,
    /// The handler's zip (scripts/package-lambda.sh makes it).
    #[arg(long, default_value = "target/lambda/bootstrap.zip")]
    pub lambda_zip: PathBuf,
    /// Do not ask users to confirm bookings and cancellations.
    #[arg(long)]
    pub no_confirmation: bool,
    /// The action group's name.
    #[arg(long, default_value = "vacations")]
    pub action_group: String,
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
    /// Talk as this employee (sets the session's employeeId and role=employee).
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
    let sdk = sdk_config(&cli).await?;
    let region = sdk.region().map(|r| r.to_string()).ok_or(Error::NoRegion)?;
    let clients = Clients::new(&sdk);
    let state_file = cli
        .state_file
        .clone()
        .unwrap_or_else(|| state::default_path(&cli.name));
    let progress = Progress::for_stderr();
    match cli.command {
        Command::Up {
            deploy,
            deletion_protection,
            dry_run,
        } => {
            let settings = settings(&cli.name, &cli.alias, &region, &deploy, deletion_protection);
            let deployer = Deployer::new(clients, settings)?.dry_run(dry_run);
            if dry_run {
                eprintln!("Dry run: reading only, nothing will change.");
            }
            let outputs = deployer.up(progress).await?;
            if dry_run {
                return Ok(());
            }
            state::write(&state_file, &outputs)?;
            print_outputs(&outputs, &state_file);
            Ok(())
        }
        Command::Down {
            deploy,
            delete_table,
            dry_run,
        } => {
            let settings = settings(&cli.name, &cli.alias, &region, &deploy, None);
            let deployer = Deployer::new(clients, settings)?.dry_run(dry_run);
            if dry_run {
                eprintln!("Dry run: reading only, nothing will be removed.");
            }
            deployer.down(progress, delete_table).await?;
            if !dry_run {
                state::remove(&state_file)?;
            }
            Ok(())
        }
        Command::Status { deploy } => {
            let settings = settings(&cli.name, &cli.alias, &region, &deploy, None);
            let report = Deployer::new(clients, settings)?.status().await?;
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_header(["resource", "name", "state"]);
            for row in &report.rows {
                table.add_row([row.resource, row.name.as_str(), row.state.as_str()]);
            }
            println!("{table}");
            if report.drift.is_empty() {
                println!("No drift: `provisioner up` would change nothing.");
            } else {
                println!("Drift (`provisioner up` fixes it):");
                for d in &report.drift {
                    println!("  - {d}");
                }
            }
            Ok(())
        }
        Command::Invoke {
            text,
            talk,
            end_session,
        } => {
            let conversation =
                conversation(&clients, &cli.name, &cli.alias, &region, &state_file, &talk).await?;
            let mut confirm = confirmer(talk.yes);
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            conversation
                .say(
                    Some(&text),
                    end_session,
                    &mut out,
                    &mut err,
                    confirm.as_mut(),
                )
                .await?;
            if !end_session {
                eprintln!(
                    "(session {}: pass --session-id to continue it)",
                    conversation.session_id()
                );
            }
            Ok(())
        }
        Command::Chat { talk } => {
            let conversation =
                conversation(&clients, &cli.name, &cli.alias, &region, &state_file, &talk).await?;
            chat(&conversation, talk.yes).await
        }
    }
}

async fn sdk_config(cli: &Cli) -> Result<aws_config::SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &cli.region {
        loader = loader.region(Region::new(region.clone()));
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

fn settings(
    name: &str,
    alias: &str,
    region: &str,
    deploy: &DeployArgs,
    deletion_protection: Option<bool>,
) -> Settings {
    Settings {
        name: name.to_owned(),
        region: region.to_owned(),
        model: Model::new(&deploy.model),
        table_name: deploy.table_name.clone(),
        deletion_protection,
        lambda_zip: deploy.lambda_zip.clone(),
        confirmation: !deploy.no_confirmation,
        alias_name: alias.to_owned(),
        action_group_name: deploy.action_group.clone(),
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

/// The agent and alias to talk to: the flags, else the state file, else a lookup by name.
async fn conversation(
    clients: &Clients,
    name: &str,
    alias: &str,
    region: &str,
    state_file: &std::path::Path,
    talk: &TalkArgs,
) -> Result<Conversation> {
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
            let saved = state::read(state_file)?
                .filter(|o| o.region == region && !o.agent_id.is_empty() && !o.alias_id.is_empty());
            match saved {
                Some(o) => (o.agent_id, o.alias_id),
                None => find_by_name(clients, name, alias, region).await?,
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

async fn chat(conversation: &Conversation, yes: bool) -> Result<(), InvokeError> {
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Talking to the agent (session {}). /quit or Ctrl-D to end.",
            conversation.session_id()
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
        match conversation
            .say(Some(line), false, &mut out, &mut err, confirm.as_mut())
            .await
        {
            Ok(_) => last_error = None,
            // One failed turn does not end the conversation: say why and go on.
            Err(e @ InvokeError::Agent { .. }) => {
                eprintln!("error: {e}");
                last_error = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    let mut sink = std::io::sink();
    if let Err(e) = conversation
        .say(None, true, &mut sink, &mut err, &mut AcceptAll)
        .await
    {
        tracing::warn!("ending the session failed: {e}");
    }
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
