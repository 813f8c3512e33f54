//! `provisioner down`: the teardown order Bedrock needs. Aliases (never the built-in test
//! alias), then the action group (disabled, then deleted), then the agent (until it is
//! gone), then the Lambda, the table only when asked, and last the roles with their
//! policies. Whatever is already gone is skipped, so a second `down` changes nothing.

use aws_sdk_lambda::operation::delete_function::DeleteFunctionError;

use super::function::log_group_name;
use super::{Change, Deployer, Done};
use crate::error::{found, Error, Result};
use crate::progress::Progress;

impl Deployer {
    /// Removes everything `up` made; the table only with `delete_table`.
    pub async fn down(&self, progress: Progress, delete_table: bool) -> Result<()> {
        let names = self.names.clone();
        self.account_step(progress).await?;
        let agent = self.find_agent().await?;
        let agent_id = agent.as_ref().map(|a| a.agent_id().to_owned());

        progress
            .step("Aliases", self.remove_aliases(agent_id.as_deref()))
            .await?;
        progress
            .step(
                &format!("Action group {}", names.action_group),
                self.remove_action_group(agent_id.as_deref()),
            )
            .await?;
        progress
            .step(
                &format!("Agent {}", names.agent),
                self.remove_agent(agent_id.as_deref()),
            )
            .await?;
        progress
            .step(
                &format!("Lambda function {}", names.function),
                self.remove_function(),
            )
            .await?;
        progress
            .step(
                &format!("Log group {}", log_group_name(&names.function)),
                self.remove_log_group(&names.function),
            )
            .await?;
        // A protected table is refused, but the roles still go: the error comes last.
        let table_refused = self.table_teardown_step(progress, delete_table).await?;
        progress
            .step(
                &format!("Agent role {}", names.agent_role),
                self.remove_role(&names.agent_role),
            )
            .await?;
        progress
            .step(
                &format!("Lambda role {}", names.lambda_role),
                self.remove_role(&names.lambda_role),
            )
            .await?;
        table_refused.map_or(Ok(()), Err)
    }

    async fn remove_aliases(&self, agent_id: Option<&str>) -> Result<Done<()>> {
        let Some(agent_id) = agent_id else {
            return Ok(Done::new((), Change::Absent));
        };
        let aliases = self.list_aliases(agent_id).await?;
        if aliases.is_empty() {
            return Ok(Done::new((), Change::Absent));
        }
        let names: Vec<String> = aliases.iter().map(|(_, n)| n.clone()).collect();
        if self.dry_run {
            let note = format!("would remove {}", names.join(", "));
            return Ok(Done::new((), Change::Note(note)));
        }
        for (alias_id, _) in &aliases {
            self.delete_alias(agent_id, alias_id).await?;
        }
        let note = format!("removed {}", names.join(", "));
        Ok(Done::new((), Change::Note(note)))
    }

    async fn remove_action_group(&self, agent_id: Option<&str>) -> Result<Done<()>> {
        let Some(agent_id) = agent_id else {
            return Ok(Done::new((), Change::Absent));
        };
        let Some(group_id) = self.find_action_group(agent_id).await? else {
            return Ok(Done::new((), Change::Absent));
        };
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        let removed = self.delete_action_group(agent_id, &group_id).await?;
        let change = if removed {
            Change::Note("disabled, then removed".to_owned())
        } else {
            Change::Absent
        };
        Ok(Done::new((), change))
    }

    async fn remove_agent(&self, agent_id: Option<&str>) -> Result<Done<()>> {
        let Some(agent_id) = agent_id else {
            return Ok(Done::new((), Change::Absent));
        };
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        let answer = self
            .clients
            .agent
            .delete_agent()
            .agent_id(agent_id)
            .send()
            .await;
        found("DeleteAgent", answer, |e| {
            e.is_resource_not_found_exception()
        })?;
        // A new agent of the same name clashes while this one is still DELETING.
        self.wait_agent_gone(agent_id).await?;
        Ok(Done::new((), Change::Removed))
    }

    pub(super) async fn remove_function(&self) -> Result<Done<()>> {
        self.remove_function_named(&self.names.function).await
    }

    /// Deletes the function `name` (its resource policy goes with it), if it is there.
    pub(super) async fn remove_function_named(&self, name: &str) -> Result<Done<()>> {
        if self.dry_run {
            let there = self.configuration_of(name).await?.is_some();
            let c = if there {
                Change::WouldRemove
            } else {
                Change::Absent
            };
            return Ok(Done::new((), c));
        }
        let answer = self
            .clients
            .lambda
            .delete_function()
            .function_name(name)
            .send()
            .await;
        let removed = found(
            "DeleteFunction",
            answer,
            DeleteFunctionError::is_resource_not_found_exception,
        )?
        .is_some();
        Ok(Done::new((), removed_or_absent(removed)))
    }

    pub(super) async fn remove_table(&self) -> Result<Done<()>> {
        let Some(table) = self.describe_table().await? else {
            return Ok(Done::new((), Change::Absent));
        };
        // Deletion protection is the owner's explicit wish: respect it, never turn it off.
        if table.deletion_protection_enabled() == Some(true) {
            return Err(Error::TableProtected {
                table: self.names.table.clone(),
            });
        }
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        store::Store::new(self.clients.dynamodb.clone(), self.names.table.clone())
            .delete_table()
            .await?;
        Ok(Done::new((), Change::Removed))
    }

    /// Deletes a role and its policies, if it is there.
    pub(super) async fn remove_role(&self, role: &str) -> Result<Done<()>> {
        if self.find_role(role).await?.is_none() {
            return Ok(Done::new((), Change::Absent));
        }
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        let removed = self.delete_role(role).await?;
        Ok(Done::new((), removed_or_absent(removed)))
    }
}

fn removed_or_absent(removed: bool) -> Change {
    if removed {
        Change::Removed
    } else {
        Change::Absent
    }
}
