//! `provisioner down`: the teardown order Bedrock needs. Aliases (never the built-in test
//! alias), then the action group (disabled, then deleted), then the agent (until it is
//! gone), then the Lambda, the table only when asked, and last the roles with their
//! policies. Whatever is already gone is skipped, so a second `down` changes nothing.

use aws_sdk_bedrockagent::operation::get_agent_alias::GetAgentAliasError;
use aws_sdk_bedrockagent::types::ActionGroupState;
use aws_sdk_iam::operation::get_role::GetRoleError;
use aws_sdk_lambda::operation::delete_function::DeleteFunctionError;

use super::{Change, Deployer};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::wait::{self, Poll};

impl Deployer {
    /// Removes everything `up` made; the table only with `delete_table`.
    pub async fn down(&self, progress: Progress, delete_table: bool) -> Result<()> {
        let names = self.names.clone();
        progress
            .step("AWS account", async {
                let a = self.account().await?;
                let note = format!("{} in {}", a.id, a.region);
                Ok::<_, Error>(((), note))
            })
            .await?;
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
        // A protected table is refused, but the roles still go: the error comes last.
        let mut table_refused = None;
        if delete_table {
            table_refused = progress
                .step(
                    &format!("DynamoDB table {}", names.table),
                    self.remove_table(),
                )
                .await
                .err();
        } else {
            progress
                .step(&format!("DynamoDB table {}", names.table), async {
                    Ok::<_, Error>(((), "kept (pass --delete-table to remove it)".to_owned()))
                })
                .await?;
        }
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

    async fn remove_aliases(&self, agent_id: Option<&str>) -> Result<((), String)> {
        let Some(agent_id) = agent_id else {
            return Ok(((), Change::Absent.to_string()));
        };
        let aliases = self.list_aliases(agent_id).await?;
        if aliases.is_empty() {
            return Ok(((), Change::Absent.to_string()));
        }
        let names: Vec<String> = aliases.iter().map(|(_, n)| n.clone()).collect();
        if self.dry_run {
            return Ok(((), format!("would remove {}", names.join(", "))));
        }
        for (alias_id, _) in &aliases {
            let agents = &self.clients.agent;
            match agents
                .delete_agent_alias()
                .agent_id(agent_id)
                .agent_alias_id(alias_id)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) => {}
                Err(e) => return Err(Error::aws("DeleteAgentAlias", e)),
            }
            let what = format!("alias {alias_id} to be deleted");
            wait::until(self.pacing.status, &what, || async {
                match agents
                    .get_agent_alias()
                    .agent_id(agent_id)
                    .agent_alias_id(alias_id)
                    .send()
                    .await
                {
                    Ok(out) => Ok(Poll::Pending(
                        out.agent_alias
                            .map(|a| a.agent_alias_status.as_str().to_owned())
                            .unwrap_or_default(),
                    )),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(GetAgentAliasError::is_resource_not_found_exception) =>
                    {
                        Ok(Poll::Ready(()))
                    }
                    Err(e) => Err(Error::aws("GetAgentAlias", e)),
                }
            })
            .await?;
        }
        Ok(((), format!("removed {}", names.join(", "))))
    }

    async fn remove_action_group(&self, agent_id: Option<&str>) -> Result<((), String)> {
        let Some(agent_id) = agent_id else {
            return Ok(((), Change::Absent.to_string()));
        };
        let Some(group_id) = self.find_action_group(agent_id).await? else {
            return Ok(((), Change::Absent.to_string()));
        };
        if self.dry_run {
            return Ok(((), Change::WouldRemove.to_string()));
        }
        let agents = &self.clients.agent;
        let group = agents
            .get_agent_action_group()
            .agent_id(agent_id)
            .agent_version("DRAFT")
            .action_group_id(&group_id)
            .send()
            .await
            .map_err(|e| Error::aws("GetAgentActionGroup", e))?
            .agent_action_group;
        // An enabled action group cannot be deleted: disable it first, restating its
        // executor and schema (the update replaces the whole group).
        if let Some(group) = group.filter(|g| g.action_group_state == ActionGroupState::Enabled) {
            agents
                .update_agent_action_group()
                .agent_id(agent_id)
                .agent_version("DRAFT")
                .action_group_id(&group_id)
                .action_group_name(&group.action_group_name)
                .set_action_group_executor(group.action_group_executor.clone())
                .set_function_schema(group.function_schema.clone())
                .action_group_state(ActionGroupState::Disabled)
                .send()
                .await
                .map_err(|e| Error::aws("UpdateAgentActionGroup", e))?;
        }
        match agents
            .delete_agent_action_group()
            .agent_id(agent_id)
            .agent_version("DRAFT")
            .action_group_id(&group_id)
            .send()
            .await
        {
            Ok(_) => Ok(((), "disabled, then removed".to_owned())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(((), Change::Absent.to_string()))
            }
            Err(e) => Err(Error::aws("DeleteAgentActionGroup", e)),
        }
    }

    async fn remove_agent(&self, agent_id: Option<&str>) -> Result<((), String)> {
        let Some(agent_id) = agent_id else {
            return Ok(((), Change::Absent.to_string()));
        };
        if self.dry_run {
            return Ok(((), Change::WouldRemove.to_string()));
        }
        match self
            .clients
            .agent
            .delete_agent()
            .agent_id(agent_id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => return Err(Error::aws("DeleteAgent", e)),
        }
        // A new agent of the same name clashes while this one is still DELETING.
        self.wait_agent_gone(agent_id).await?;
        Ok(((), Change::Removed.to_string()))
    }

    async fn remove_function(&self) -> Result<((), String)> {
        if self.dry_run {
            let there = self.function_configuration().await?.is_some();
            let c = if there {
                Change::WouldRemove
            } else {
                Change::Absent
            };
            return Ok(((), c.to_string()));
        }
        // Its resource policy (the permission for Bedrock) goes with it.
        match self
            .clients
            .lambda
            .delete_function()
            .function_name(&self.names.function)
            .send()
            .await
        {
            Ok(_) => Ok(((), Change::Removed.to_string())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteFunctionError::is_resource_not_found_exception) =>
            {
                Ok(((), Change::Absent.to_string()))
            }
            Err(e) => Err(Error::aws("DeleteFunction", e)),
        }
    }

    pub(super) async fn remove_table(&self) -> Result<((), String)> {
        let ddb = &self.clients.dynamodb;
        let table = match ddb
            .describe_table()
            .table_name(&self.names.table)
            .send()
            .await
        {
            Ok(out) => out.table,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                None
            }
            Err(e) => return Err(Error::aws("DescribeTable", e)),
        };
        let Some(table) = table else {
            return Ok(((), Change::Absent.to_string()));
        };
        // Deletion protection is the owner's explicit wish: respect it, never turn it off.
        if table.deletion_protection_enabled() == Some(true) {
            return Err(Error::TableProtected {
                table: self.names.table.clone(),
            });
        }
        if self.dry_run {
            return Ok(((), Change::WouldRemove.to_string()));
        }
        store::Store::new(ddb.clone(), self.names.table.clone())
            .delete_table()
            .await?;
        Ok(((), Change::Removed.to_string()))
    }

    /// Deletes a role: its inline policies, then detaches managed ones (a role with
    /// policies cannot be deleted), then the role.
    pub(super) async fn remove_role(&self, role: &str) -> Result<((), String)> {
        let iam = &self.clients.iam;
        match iam.get_role().role_name(role).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(GetRoleError::is_no_such_entity_exception) =>
            {
                return Ok(((), Change::Absent.to_string()));
            }
            Err(e) => return Err(Error::aws("GetRole", e)),
        }
        if self.dry_run {
            return Ok(((), Change::WouldRemove.to_string()));
        }
        let inline = iam
            .list_role_policies()
            .role_name(role)
            .send()
            .await
            .map_err(|e| Error::aws("ListRolePolicies", e))?;
        for policy in inline.policy_names() {
            iam.delete_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| Error::aws("DeleteRolePolicy", e))?;
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .map_err(|e| Error::aws("ListAttachedRolePolicies", e))?;
        for policy in attached.attached_policies() {
            if let Some(arn) = policy.policy_arn() {
                iam.detach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| Error::aws("DetachRolePolicy", e))?;
            }
        }
        match iam.delete_role().role_name(role).send().await {
            Ok(_) => Ok(((), Change::Removed.to_string())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Ok(((), Change::Absent.to_string()))
            }
            Err(e) => Err(Error::aws("DeleteRole", e)),
        }
    }
}
