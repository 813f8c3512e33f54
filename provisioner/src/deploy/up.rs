//! `provisioner up`: the ten steps, in order, each get-or-create-or-update.

use serde::{Deserialize, Serialize};

use super::function::log_group_name;
use super::role::RoleSpec;
use super::{Change, Deployer, Done};
use aws_sdk_bedrockagent::types::AgentStatus;

use crate::config::Model;
use crate::error::{Error, Result};
use crate::policy::{self};
use crate::progress::Progress;

/// What `up` leaves behind, written to the state file and printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outputs {
    /// The region.
    pub region: String,
    /// The account id.
    pub account: String,
    /// The DynamoDB table.
    pub table_name: String,
    /// Its ARN.
    pub table_arn: String,
    /// The Lambda's execution role.
    pub lambda_role_arn: String,
    /// The Lambda function.
    pub function_arn: String,
    /// The agent's service role.
    pub agent_role_arn: String,
    /// The agent's id.
    pub agent_id: String,
    /// The agent's ARN.
    pub agent_arn: String,
    /// The model or inference profile.
    pub model: String,
    /// The action group's id.
    pub action_group_id: String,
    /// The alias's id (what `InvokeAgent` takes).
    pub alias_id: String,
    /// The alias's ARN.
    pub alias_arn: String,
    /// The agent version the alias points to.
    pub agent_version: String,
}

/// The agent as the later steps need it.
#[derive(Debug, Clone)]
pub(crate) struct AgentRef {
    pub id: String,
    pub arn: String,
}

impl Deployer {
    /// Runs the ten steps of `up` in order, showing each on `progress`. In a dry run,
    /// reads only and reports what would change. Returns the outputs (empty fields for
    /// what a dry run would create).
    ///
    /// When Agents Classic refuses to create the agent for this account, what this run
    /// created is removed again (newest first) and the error says so.
    pub async fn up(&self, progress: Progress) -> Result<Outputs> {
        let mut made = Vec::new();
        match self.run_up(progress, &mut made).await {
            Err(Error::ClassicClosed { message, .. }) => {
                let cleanup = progress
                    .step("Remove what this run created", async {
                        let phrase = self.remove_made(&made).await;
                        let note = if made.is_empty() {
                            "nothing to remove".to_owned()
                        } else {
                            phrase.trim_start_matches("; ").to_owned()
                        };
                        Ok::<_, Error>(Done::new(phrase, Change::Note(note)))
                    })
                    .await?;
                Err(Error::ClassicClosed { message, cleanup })
            }
            other => other,
        }
    }

    async fn run_up(&self, progress: Progress, made: &mut Vec<Made>) -> Result<Outputs> {
        let names = self.names.clone();
        let account = self.account_step(progress).await?;
        let package = self.package()?;

        let table = progress
            .step(
                &format!("DynamoDB table {}", names.table),
                self.ensure_table(),
            )
            .await?;
        if table.created {
            made.push(Made::Table);
        }
        let lambda_role = progress
            .step(
                &format!("Lambda role {}", names.lambda_role),
                self.ensure_role(RoleSpec {
                    name: &names.lambda_role,
                    description:
                        "Runs the HR agent's action-group Lambda: its table and its logs only.",
                    trust: policy::lambda_trust(),
                    policy_name: &names.lambda_policy,
                    policy: policy::lambda_permissions(&account, &names),
                    account: &account,
                }),
            )
            .await?;
        if lambda_role.created {
            made.push(Made::Role(names.lambda_role.clone()));
        }
        let log_group = progress
            .step(
                &format!("Log group {}", log_group_name(&names.function)),
                self.ensure_log_group(&names.function),
            )
            .await?;
        if log_group.created {
            made.push(Made::LogGroup(names.function.clone()));
        }
        let function = progress
            .step(
                &format!("Lambda function {}", names.function),
                self.ensure_function(&lambda_role.arn, package.as_ref()),
            )
            .await?;
        if function.created {
            made.push(Made::Function);
        }
        // The agent as it is, before its role changes: if its model is about to change,
        // the live alias keeps using the old one until it routes to the new version.
        let deployed = self.deployed_agent().await?;
        let wanted_model = &self.settings.model;
        let old_model = deployed
            .as_ref()
            .filter(|a| a.agent_status != AgentStatus::Deleting)
            .and_then(|a| a.foundation_model.as_deref())
            .filter(|m| *m != wanted_model.id())
            .map(Model::new);
        let models: Vec<&Model> = std::iter::once(wanted_model)
            .chain(old_model.as_ref())
            .collect();
        let agent_role_spec = |models: &[&Model]| RoleSpec {
            name: &names.agent_role,
            description: "Lets the Bedrock agent invoke its model.",
            trust: policy::agent_trust(&account),
            policy_name: &names.agent_policy,
            policy: policy::agent_permissions_for(&account, models),
            account: &account,
        };
        let agent_role = progress
            .step(
                &format!("Agent role {}", names.agent_role),
                self.ensure_role(agent_role_spec(&models)),
            )
            .await?;
        if agent_role.created {
            made.push(Made::Role(names.agent_role.clone()));
        }
        let agent = progress
            .step(
                &format!("Agent {}", names.agent),
                self.ensure_agent(&account, &agent_role, deployed.as_ref()),
            )
            .await?;
        let group = progress
            .step(
                &format!("Action group {}", names.action_group),
                self.ensure_action_group(agent.agent.as_ref(), &function.arn),
            )
            .await?;
        progress
            .step(
                "Lambda permission for the agent",
                self.ensure_permission(&account, agent.agent.as_ref()),
            )
            .await?;
        let prepared = progress
            .step(
                "Prepare the agent",
                self.ensure_prepared(agent.agent.as_ref(), agent.changed || group.changed),
            )
            .await?;
        let alias = progress
            .step(
                &format!("Alias {}", names.alias),
                self.ensure_alias(agent.agent.as_ref(), prepared),
            )
            .await?;

        // The alias now routes to a version on the new model: the old one may go.
        if let (Some(old), Some(_), false) = (&old_model, &alias, self.dry_run) {
            progress
                .step(
                    &format!("Agent role {} without {old}", names.agent_role),
                    self.ensure_role(agent_role_spec(&[wanted_model])),
                )
                .await?;
        }

        let alias = alias.unwrap_or_default();
        let (agent_id, agent_arn) = agent.agent.map(|a| (a.id, a.arn)).unwrap_or_default();
        Ok(Outputs {
            region: account.region.clone(),
            account: account.id.clone(),
            table_name: names.table.clone(),
            table_arn: account.table_arn(&names.table),
            lambda_role_arn: lambda_role.arn,
            function_arn: function.arn,
            agent_role_arn: agent_role.arn,
            agent_id,
            agent_arn,
            model: self.settings.model.id().to_owned(),
            action_group_id: group.id.unwrap_or_default(),
            alias_id: alias.id,
            alias_arn: alias.arn,
            agent_version: alias.version,
        })
    }
}

/// A resource this run of `up` created (and may have to remove again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Made {
    /// The table.
    Table,
    /// A role, by name.
    Role(String),
    /// The log group of the function named.
    LogGroup(String),
    /// The Lambda function.
    Function,
}

impl Made {
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Made::Table => ("table", "tables"),
            Made::Role(_) => ("role", "roles"),
            Made::LogGroup(_) => ("log group", "log groups"),
            Made::Function => ("function", "functions"),
        }
    }
}

impl Deployer {
    /// Removes what `made` lists, newest first: the table only if it is still empty
    /// (and not protected). Never fails: what could not be removed is said in the
    /// phrase returned, which starts with "; " (empty when nothing was made).
    async fn remove_made(&self, made: &[Made]) -> String {
        let mut removed: Vec<(&Made, String)> = Vec::new();
        let mut problems = Vec::new();
        for item in made.iter().rev() {
            let (name, outcome) = match item {
                Made::Table => {
                    let name = self.names.table.clone();
                    let outcome = self.remove_new_table().await;
                    (name, outcome)
                }
                Made::Role(role) => (role.clone(), self.delete_role(role).await.map(|_| None)),
                Made::LogGroup(function) => (
                    log_group_name(function),
                    self.remove_log_group(function).await.map(|_| None),
                ),
                Made::Function => (
                    self.names.function.clone(),
                    self.remove_function().await.map(|_| None),
                ),
            };
            match outcome {
                Ok(None) => removed.push((item, name)),
                Ok(Some(kept)) => problems.push(format!("kept {} {name} ({kept})", item.kind().0)),
                Err(e) => problems.push(format!("could not remove {} {name}: {e}", item.kind().0)),
            }
        }
        let mut phrase = String::new();
        if !removed.is_empty() {
            // Grouped by kind, kinds and names in the order they were made.
            let mut groups: Vec<(&'static str, &'static str, Vec<String>)> = Vec::new();
            for item in made {
                let Some((_, name)) = removed.iter().find(|(m, _)| *m == item) else {
                    continue;
                };
                let (one, many) = item.kind();
                match groups.iter_mut().find(|(o, _, _)| *o == one) {
                    Some(group) => group.2.push(name.clone()),
                    None => groups.push((one, many, vec![name.clone()])),
                }
            }
            let parts: Vec<String> = groups
                .into_iter()
                .map(|(one, many, names)| match names.as_slice() {
                    [only] => format!("{one} {only}"),
                    [init @ .., last] => format!("{many} {} and {last}", init.join(", ")),
                    [] => String::new(),
                })
                .collect();
            phrase.push_str(&format!(
                "; removed what this run had created ({})",
                parts.join(", ")
            ));
        }
        for problem in problems {
            phrase.push_str("; ");
            phrase.push_str(&problem);
        }
        phrase
    }

    /// Deletes the table this run created, if nobody wrote to it meanwhile and it is not
    /// protected; `Some(reason)` when it is kept.
    async fn remove_new_table(&self) -> Result<Option<String>> {
        if self.settings.deletion_protection == Some(true) {
            return Ok(Some("deletion protection is on".to_owned()));
        }
        if !self.table_is_empty().await? {
            return Ok(Some("it has items".to_owned()));
        }
        store::Store::new(self.clients.dynamodb.clone(), self.names.table.clone())
            .delete_table()
            .await?;
        Ok(None)
    }
}
