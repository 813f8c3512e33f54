//! `provisioner status`: every resource and its state, and what has drifted from what
//! `up` would make.

use aws_sdk_bedrockagent::types::{ActionGroupExecutor, FunctionSchema};
use aws_sdk_dynamodb::types::PointInTimeRecoveryStatus;

use super::agent::{agent_differences, permission_matches, prepare_reasons};
use super::alias::{alias_plan, AliasPlan};
use super::function::{
    function_config_differences, log_group_name, FunctionSpec, LOG_RETENTION_DAYS,
};
use super::{Deployer, LambdaPackage};
use crate::error::{Error, Result};
use crate::policy;
use crate::schema::{self, Canonical};

/// One resource's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Its kind.
    pub resource: &'static str,
    /// Its name (or id).
    pub name: String,
    /// Its state, or `missing`.
    pub state: String,
}

/// A difference between what is deployed and what `up` would make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The action group's schema is not the catalogue's.
    Schema(Vec<String>),
    /// The agent's DRAFT changed after its last prepare.
    ChangedAfterPrepare(Vec<String>),
    /// The alias routes to an older version than it should.
    AliasBehind {
        /// The version it routes to.
        current: Option<String>,
        /// What it should route to (`a new version` when the prepared DRAFT was never cut).
        wanted: String,
    },
    /// A resource's configuration differs.
    Config {
        /// Which resource.
        resource: String,
        /// What differs.
        what: Vec<String>,
    },
    /// A resource `up` makes is missing.
    Missing(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Schema(d) => write!(
                f,
                "the action group's schema differs from the catalogue: {}",
                d.join("; ")
            ),
            Drift::ChangedAfterPrepare(r) => {
                write!(f, "the agent needs a prepare: {}", r.join("; "))
            }
            Drift::AliasBehind { current, wanted } => write!(
                f,
                "the alias is behind: it routes to {} but should route to {wanted}",
                current.as_deref().unwrap_or("no version")
            ),
            Drift::Config { resource, what } => {
                write!(f, "{resource} differs: {}", what.join("; "))
            }
            Drift::Missing(what) => write!(f, "{what} is missing"),
        }
    }
}

/// What `status` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusReport {
    /// One row per resource, in `up`'s order.
    pub rows: Vec<Row>,
    /// Every drift found; empty when `up` would change nothing.
    pub drift: Vec<Drift>,
    /// What the deployment relies on that AWS's documentation leaves unconfirmed.
    pub notes: Vec<String>,
}

impl StatusReport {
    pub(crate) fn row(
        &mut self,
        resource: &'static str,
        name: impl Into<String>,
        state: impl Into<String>,
    ) {
        self.rows.push(Row {
            resource,
            name: name.into(),
            state: state.into(),
        });
    }

    pub(crate) fn missing(&mut self, resource: &'static str, name: &str) {
        self.row(resource, name, "missing");
        self.drift
            .push(Drift::Missing(format!("{resource} {name}")));
    }
}

impl Deployer {
    /// Reads every resource; changes nothing.
    pub async fn status(&self) -> Result<StatusReport> {
        let account = self.account().await?;
        let names = self.names.clone();
        let mut report = StatusReport::default();

        self.table_status(&mut report).await?;
        self.role_status(
            &mut report,
            &names.lambda_role,
            &names.lambda_policy,
            policy::lambda_trust(),
            policy::lambda_permissions(&account, &names),
        )
        .await?;
        self.log_group_status(&mut report, &names.function).await?;
        let lambda_role = account.role_arn(&names.lambda_role);
        self.function_status(&mut report, &self.classic_function(&lambda_role))
            .await?;
        self.role_status(
            &mut report,
            &names.agent_role,
            &names.agent_policy,
            policy::agent_trust(&account),
            policy::agent_permissions(&account, &self.settings.model),
        )
        .await?;

        let Some(summary) = self.find_agent().await? else {
            report.missing("agent", &names.agent);
            report.missing("action group", &names.action_group);
            report.missing("alias", &names.alias);
            return Ok(report);
        };
        let agent = self.get_agent(summary.agent_id()).await?;
        report.row(
            "agent",
            format!("{} ({})", names.agent, agent.agent_id),
            agent.agent_status.as_str(),
        );
        let diffs = agent_differences(
            &agent,
            &account.role_arn(&names.agent_role),
            self.settings.model.id(),
        );
        if !diffs.is_empty() {
            report.drift.push(Drift::Config {
                resource: format!("agent {}", names.agent),
                what: diffs,
            });
        }

        match self.find_action_group(&agent.agent_id).await? {
            None => report.missing("action group", &names.action_group),
            Some(group_id) => {
                let group = self
                    .clients
                    .agent
                    .get_agent_action_group()
                    .agent_id(&agent.agent_id)
                    .agent_version("DRAFT")
                    .action_group_id(&group_id)
                    .send()
                    .await
                    .map_err(|e| Error::aws("GetAgentActionGroup", e))?
                    .agent_action_group;
                if let Some(group) = group {
                    report.row(
                        "action group",
                        format!("{} ({group_id})", names.action_group),
                        group.action_group_state.as_str(),
                    );
                    let wanted = schema::catalogue_schema(self.settings.confirmation)?;
                    let deployed = group
                        .function_schema
                        .clone()
                        .unwrap_or(FunctionSchema::Functions(Vec::new()));
                    let diffs = Canonical::of(&deployed).differences(&Canonical::of(&wanted));
                    if !diffs.is_empty() {
                        report.drift.push(Drift::Schema(diffs));
                    }
                    let function_arn = format!(
                        "arn:{}:lambda:{}:{}:function:{}",
                        account.partition, account.region, account.id, names.function
                    );
                    if !matches!(&group.action_group_executor, Some(ActionGroupExecutor::Lambda(arn)) if *arn == function_arn)
                    {
                        report.drift.push(Drift::Config {
                            resource: format!("action group {}", names.action_group),
                            what: vec!["executor is not our Lambda".into()],
                        });
                    }
                }
            }
        }

        let (_, ours) = self.permission_statements().await?;
        let source_arn = account.agent_arn(&agent.agent_id);
        let scoped = ours
            .iter()
            .find(|st| permission_matches(st, &source_arn, &account.id));
        let stale = ours.len() - usize::from(scoped.is_some());
        report.row(
            "Lambda permission",
            scoped
                .and_then(|st| st["Sid"].as_str())
                .unwrap_or(&names.permission_sid)
                .to_owned(),
            match (ours.is_empty(), scoped.is_some()) {
                (true, _) => "missing",
                (false, true) => "scoped to the agent",
                (false, false) => "differs",
            },
        );
        if scoped.is_none() {
            report.drift.push(Drift::Config {
                resource: "Lambda permission".into(),
                what: vec!["not scoped to this agent and account".into()],
            });
        } else if stale > 0 {
            report.drift.push(Drift::Config {
                resource: "Lambda permission".into(),
                what: vec![format!("{stale} statement(s) of ours for other agents")],
            });
        }

        let groups = self.action_group_update_times(&agent.agent_id).await?;
        let latest = self.latest_version(&agent.agent_id).await?;
        let reasons = prepare_reasons(&agent, &groups, latest.as_ref().map(|(_, at)| *at), false);
        if !reasons.is_empty() {
            report.drift.push(Drift::ChangedAfterPrepare(reasons));
        }

        match self.find_alias(&agent.agent_id).await? {
            None => report.missing("alias", &names.alias),
            Some(alias_id) => {
                let (version, alias_status) =
                    self.alias_version(&agent.agent_id, &alias_id).await?;
                report.row(
                    "alias",
                    format!("{} ({alias_id})", names.alias),
                    format!(
                        "{} → version {}",
                        alias_status.as_str(),
                        version.as_deref().unwrap_or("none")
                    ),
                );
                if let Some(plan) = alias_plan(false, &agent, latest.as_ref(), version.as_deref()) {
                    let wanted = match plan {
                        AliasPlan::NewVersion => "a new version of the prepared draft".to_owned(),
                        AliasPlan::Version(v) => format!("version {v}"),
                    };
                    report.drift.push(Drift::AliasBehind {
                        current: version,
                        wanted,
                    });
                }
            }
        }
        Ok(report)
    }

    pub(super) async fn table_status(&self, report: &mut StatusReport) -> Result<()> {
        let ddb = &self.clients.dynamodb;
        let Some(table) = self.describe_table().await? else {
            report.missing("table", &self.names.table);
            return Ok(());
        };
        let pitr = ddb
            .describe_continuous_backups()
            .table_name(&self.names.table)
            .send()
            .await
            .map_err(|e| Error::aws("DescribeContinuousBackups", e))?
            .continuous_backups_description
            .and_then(|d| d.point_in_time_recovery_description)
            .and_then(|p| p.point_in_time_recovery_status)
            == Some(PointInTimeRecoveryStatus::Enabled);
        let protected = table.deletion_protection_enabled().unwrap_or(false);
        let state = format!(
            "{}, point-in-time recovery {}, deletion protection {}",
            table
                .table_status()
                .map(|s| s.as_str())
                .unwrap_or("unknown"),
            if pitr { "on" } else { "off" },
            if protected { "on" } else { "off" },
        );
        report.row("table", self.names.table.clone(), state);
        let mut what = Vec::new();
        if !pitr {
            what.push("point-in-time recovery is off".to_owned());
        }
        if let Some(wanted) = self
            .settings
            .deletion_protection
            .filter(|w| *w != protected)
        {
            what.push(format!(
                "deletion protection should be {}",
                if wanted { "on" } else { "off" }
            ));
        }
        if !what.is_empty() {
            report.drift.push(Drift::Config {
                resource: format!("table {}", self.names.table),
                what,
            });
        }
        Ok(())
    }

    pub(super) async fn role_status(
        &self,
        report: &mut StatusReport,
        role: &str,
        policy_name: &str,
        trust: serde_json::Value,
        permissions: serde_json::Value,
    ) -> Result<()> {
        let Some(found) = self.find_role(role).await? else {
            report.missing("role", role);
            return Ok(());
        };
        let mut what = Vec::new();
        let trust_ok = found
            .assume_role_policy_document()
            .and_then(|d| policy::decode_iam_document(d).ok())
            .is_some_and(|d| policy::same_policy(&d, &trust));
        if !trust_ok {
            what.push("trust policy".to_owned());
        }
        let inline = self
            .role_policy(role, policy_name)
            .await?
            .and_then(|raw| policy::decode_iam_document(&raw).ok());
        if !inline.is_some_and(|p| policy::same_policy(&p, &permissions)) {
            what.push(format!("policy {policy_name}"));
        }
        report.row(
            "role",
            role,
            if what.is_empty() {
                "as configured".to_owned()
            } else {
                "differs".to_owned()
            },
        );
        if !what.is_empty() {
            report.drift.push(Drift::Config {
                resource: format!("role {role}"),
                what,
            });
        }
        Ok(())
    }

    /// A function's log group and its retention.
    pub(crate) async fn log_group_status(
        &self,
        report: &mut StatusReport,
        function: &str,
    ) -> Result<()> {
        let name = log_group_name(function);
        let Some(group) = self.find_log_group(function).await? else {
            report.missing("log group", &name);
            return Ok(());
        };
        let retention = group.retention_in_days();
        let kept = match retention {
            Some(days) => format!("retention {days} days"),
            None => "never expires".to_owned(),
        };
        report.row("log group", name.clone(), kept.clone());
        if retention != Some(LOG_RETENTION_DAYS) {
            report.drift.push(Drift::Config {
                resource: format!("log group {name}"),
                what: vec![format!(
                    "retention should be {LOG_RETENTION_DAYS} days ({kept})"
                )],
            });
        }
        Ok(())
    }

    /// The function `spec` describes: its state, and what differs from the spec and from
    /// the local package.
    pub(super) async fn function_status(
        &self,
        report: &mut StatusReport,
        spec: &FunctionSpec<'_>,
    ) -> Result<()> {
        let Some(c) = self.configuration_of(spec.name).await? else {
            report.missing("Lambda function", spec.name);
            return Ok(());
        };
        report.row(
            "Lambda function",
            spec.name,
            format!(
                "{} / last update {}",
                c.state().map(|s| s.as_str()).unwrap_or("unknown"),
                c.last_update_status()
                    .map(|s| s.as_str())
                    .unwrap_or("unknown")
            ),
        );
        let mut what = function_config_differences(&c, spec);
        match LambdaPackage::read(&self.settings.lambda_zip) {
            Ok(p) if c.code_sha256() != Some(p.sha256.as_str()) => {
                what.push(format!("code differs from {}", p.path.display()));
            }
            Ok(_) => {}
            Err(_) => tracing::info!("no local package to compare the code with"),
        }
        if !what.is_empty() {
            report.drift.push(Drift::Config {
                resource: format!("Lambda function {}", spec.name),
                what,
            });
        }
        Ok(())
    }
}
