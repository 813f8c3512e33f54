//! `up`, `down` and `status`: each resource is found by name, then created, updated or
//! left alone, so every command can be re-run and resumes where an interrupted run stopped.

mod agent;
pub mod agentcore;
mod alias;
mod down;
mod function;
mod role;
mod status;
mod table;
mod up;

use std::fmt;
use std::path::{Path, PathBuf};

use aws_sdk_bedrockagent::types::{AgentStatus, AgentSummary};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::clients::Clients;
use crate::config::{Names, Settings};
use crate::error::{Error, Result};
use crate::policy::Account;
use crate::progress::Progress;
use crate::wait::Pacing;

pub use agentcore::AgentCoreOutputs;
pub use status::{Drift, Row, StatusReport};
pub use up::Outputs;

/// The built-in alias of the DRAFT version: never ours to delete.
pub const TEST_ALIAS_ID: &str = "TSTALIASID";

/// How long to wait for statuses and for IAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacings {
    /// Polling statuses.
    pub status: Pacing,
    /// Retrying calls refused while IAM propagates.
    pub iam: Pacing,
    /// Retrying point-in-time recovery while a new table's backups are being turned on.
    pub backups: Pacing,
}

impl Default for Pacings {
    fn default() -> Self {
        Self {
            status: Pacing::STATUS,
            iam: Pacing::IAM_PROPAGATION,
            backups: Pacing::TABLE_BACKUPS,
        }
    }
}

/// What a step produced for the later steps, and what it did (or would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done<T> {
    /// What later steps need (an ARN, an id, ...).
    pub value: T,
    /// What the step changed, and why.
    pub change: Change,
}

impl<T> Done<T> {
    /// `value`, with what was done to get it.
    pub fn new(value: T, change: Change) -> Self {
        Self { value, change }
    }
}

/// What a step did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Already as wanted.
    Unchanged,
    /// Made.
    Created,
    /// Changed; what changed.
    Updated(Vec<String>),
    /// Removed.
    Removed,
    /// Not there (nothing to remove).
    Absent,
    /// Dry run: would be made.
    WouldCreate,
    /// Dry run: would change; what.
    WouldUpdate(Vec<String>),
    /// Dry run: would be removed.
    WouldRemove,
    /// Anything else, in words (`kept (pass --delete-table to remove it)`).
    Note(String),
}

impl Change {
    /// Whether the step wrote anything.
    pub fn wrote(&self) -> bool {
        matches!(self, Change::Created | Change::Updated(_) | Change::Removed)
    }

    /// The same change with more said about it (`unchanged; left alone: ...`).
    pub fn with_notes(self, notes: Vec<String>) -> Self {
        if notes.is_empty() {
            return self;
        }
        Change::Note(format!("{self}; {}", notes.join("; ")))
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Unchanged => f.write_str("unchanged"),
            Change::Created => f.write_str("created"),
            Change::Updated(what) => write!(f, "updated ({})", what.join("; ")),
            Change::Removed => f.write_str("removed"),
            Change::Absent => f.write_str("already gone"),
            Change::WouldCreate => f.write_str("would create"),
            Change::WouldUpdate(what) => write!(f, "would update ({})", what.join("; ")),
            Change::WouldRemove => f.write_str("would remove"),
            Change::Note(text) => f.write_str(text),
        }
    }
}

/// The handler's zip, read once, with the hash Lambda reports as `CodeSha256`.
#[derive(Debug, Clone)]
pub struct LambdaPackage {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Base64 of its SHA-256, as Lambda's `CodeSha256`.
    pub sha256: String,
}

/// Lambda's limit for a zip uploaded directly (not through S3).
const DIRECT_UPLOAD_LIMIT: usize = 50 * 1024 * 1024;

impl LambdaPackage {
    /// Reads the zip at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::LambdaZip {
            path: path.to_owned(),
            source,
        })?;
        if bytes.len() > DIRECT_UPLOAD_LIMIT {
            return Err(Error::InvalidSetting {
                what: "Lambda package",
                value: path.display().to_string(),
                rule: "a zip uploaded directly must be under 50 MB: strip the binary",
            });
        }
        Ok(Self::from_bytes(path.to_owned(), bytes))
    }

    /// A package from bytes already in memory.
    pub fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> Self {
        let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
        Self {
            path,
            bytes,
            sha256,
        }
    }
}

/// Runs the commands against one account and region.
#[derive(Debug, Clone)]
pub struct Deployer {
    clients: Clients,
    settings: Settings,
    names: Names,
    pacing: Pacings,
    dry_run: bool,
}

impl Deployer {
    /// A deployer for validated `settings`.
    pub fn new(clients: Clients, settings: Settings) -> Result<Self> {
        settings.validate()?;
        let names = settings.names();
        Ok(Self {
            clients,
            settings,
            names,
            pacing: Pacings::default(),
            dry_run: false,
        })
    }

    /// The same deployer with other waiting limits (tests use short ones).
    pub fn with_pacing(mut self, pacing: Pacings) -> Self {
        self.pacing = pacing;
        self
    }

    /// The same deployer, but reading only: every change is reported, none is made.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The resource names.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The account and partition of the caller (STS `GetCallerIdentity`), which also
    /// proves the credentials work before anything else is attempted.
    pub async fn account(&self) -> Result<Account> {
        let me = self
            .clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| Error::aws("GetCallerIdentity", e))?;
        let id = me.account().unwrap_or_default().to_owned();
        let partition = me
            .arn()
            .and_then(|arn| arn.split(':').nth(1))
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
            .to_owned();
        Ok(Account {
            partition,
            region: self.settings.region.clone(),
            id,
        })
    }

    /// The first step of every command: who we are, shown.
    pub(crate) async fn account_step(&self, progress: Progress) -> Result<Account> {
        progress
            .step("AWS account", async {
                let a = self.account().await?;
                let note = format!("{} in {}", a.id, a.region);
                Ok::<_, Error>(Done::new(a, Change::Note(note)))
            })
            .await
    }

    /// The Lambda package; in a dry run a missing one is only a warning.
    pub(crate) fn package(&self) -> Result<Option<LambdaPackage>> {
        match LambdaPackage::read(&self.settings.lambda_zip) {
            Ok(p) => Ok(Some(p)),
            Err(e) if self.dry_run => {
                tracing::warn!("{e}");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// `down`'s table step: removed only with `delete_table`. A protected table is refused,
    /// but the rest still goes: the refusal is returned for the caller to report last.
    pub(crate) async fn table_teardown_step(
        &self,
        progress: Progress,
        delete_table: bool,
    ) -> Result<Option<Error>> {
        let name = format!("DynamoDB table {}", self.names.table);
        if delete_table {
            return Ok(progress.step(&name, self.remove_table()).await.err());
        }
        progress
            .step(&name, async {
                let note = "kept (pass --delete-table to remove it)".to_owned();
                Ok::<_, Error>(Done::new((), Change::Note(note)))
            })
            .await?;
        Ok(None)
    }

    /// The agent with our name, if any (`ListAgents`, every page).
    pub(crate) async fn find_agent(&self) -> Result<Option<AgentSummary>> {
        let mut pages = self.clients.agent.list_agents().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAgents", e))?;
            if let Some(found) = page
                .agent_summaries()
                .iter()
                .find(|a| a.agent_name() == self.names.agent)
            {
                return Ok(Some(found.clone()));
            }
        }
        Ok(None)
    }
}

/// Whether an agent status is a transition to wait out.
pub(crate) fn agent_is_moving(status: &AgentStatus) -> bool {
    status.as_str().ends_with("ING")
}

/// Failure reasons of a resource as one phrase.
pub(crate) fn reasons(list: Option<&[String]>) -> String {
    match list {
        Some(r) if !r.is_empty() => r.join("; "),
        _ => "no reason given".to_owned(),
    }
}
