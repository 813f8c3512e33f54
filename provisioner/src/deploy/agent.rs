//! Steps 5 to 8: the agent, its action group, the Lambda permission, and the prepare.

use aws_sdk_bedrockagent::operation::create_agent::CreateAgentError;
use aws_sdk_bedrockagent::operation::get_agent::GetAgentError;
use aws_sdk_bedrockagent::types::{
    ActionGroupExecutor, ActionGroupState, ActionGroupSummary, Agent, AgentStatus, FunctionSchema,
};
use aws_sdk_lambda::operation::get_policy::GetPolicyError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::DateTime;
use serde_json::Value;

use super::role::RoleRef;
use super::up::AgentRef;
use super::{agent_is_moving, reasons, Change, Deployer, Done};
use crate::config::{DESCRIPTION, IDLE_SESSION_TTL_SECONDS, INSTRUCTION};
use crate::error::{found, is_classic_closed, Error, Result};
use crate::policy::Account;
use crate::schema::{self, Canonical};
use crate::wait::{self, Poll};

/// The agent after its step: what later steps address, and whether its DRAFT changed.
#[derive(Debug, Clone)]
pub(crate) struct AgentDone {
    /// The agent (none in a dry run that would create it).
    pub agent: Option<AgentRef>,
    /// Whether its DRAFT changed (or, in a dry run, would): it needs a prepare.
    pub changed: bool,
}

/// The action group after its step.
#[derive(Debug, Clone)]
pub(crate) struct GroupDone {
    /// Its id (none in a dry run that would create it).
    pub id: Option<String>,
    /// Whether the DRAFT's action groups changed (or would): a prepare is due.
    pub changed: bool,
}

impl Deployer {
    pub(super) async fn ensure_agent(
        &self,
        account: &Account,
        role: &RoleRef,
        deployed: Option<&Agent>,
    ) -> Result<Done<AgentDone>> {
        let role_arn = role.arn.as_str();
        let not_yet = AgentDone {
            agent: None,
            changed: true,
        };
        let mut found = deployed.cloned();
        if let Some(old) = &found {
            if old.agent_status == AgentStatus::Deleting {
                if self.dry_run {
                    return Ok(Done::new(
                        not_yet,
                        Change::Note(
                            "would wait for the old agent to be deleted, then create".into(),
                        ),
                    ));
                }
                // Creating the same name while the old agent is still deleting clashes.
                self.wait_agent_gone(&old.agent_id).await?;
                found = None;
            }
        }
        let Some(existing) = found else {
            if self.dry_run {
                return Ok(Done::new(not_yet, Change::WouldCreate));
            }
            let agent = self.create_agent(role).await?;
            let agent = self.wait_agent_settled(&agent.agent_id).await?;
            let r = AgentRef {
                id: agent.agent_id.clone(),
                arn: account.agent_arn(&agent.agent_id),
            };
            let done = AgentDone {
                agent: Some(r),
                changed: true,
            };
            return Ok(Done::new(done, Change::Created));
        };

        let id = existing.agent_id.clone();
        let settled = !agent_is_moving(&existing.agent_status)
            && existing.agent_status != AgentStatus::Failed;
        let agent = if self.dry_run || settled {
            existing
        } else {
            self.wait_agent_settled(&id).await?
        };
        let r = AgentRef {
            id: id.clone(),
            arn: agent.agent_arn.clone(),
        };
        let diffs = agent_differences(&agent, role_arn, self.settings.model.id());
        let done = |changed| AgentDone {
            agent: Some(r.clone()),
            changed,
        };
        if diffs.is_empty() {
            return Ok(Done::new(done(false), Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(done(true), Change::WouldUpdate(diffs)));
        }
        let agents = &self.clients.agent;
        wait::retry_propagation(self.pacing.iam, is_agent_role_propagation, || {
            agents
                .update_agent()
                .agent_id(&id)
                .agent_name(&self.names.agent)
                .agent_resource_role_arn(role_arn)
                .foundation_model(self.settings.model.id())
                .instruction(INSTRUCTION)
                .description(DESCRIPTION)
                .idle_session_ttl_in_seconds(IDLE_SESSION_TTL_SECONDS)
                .send()
        })
        .await
        .map_err(|e| Error::aws("UpdateAgent", e))?;
        self.wait_agent_settled(&id).await?;
        Ok(Done::new(done(true), Change::Updated(diffs)))
    }

    async fn create_agent(&self, role: &RoleRef) -> Result<Agent> {
        let agents = &self.clients.agent;
        // Right after the role's policy is written, Bedrock may still find it unable to
        // use the inference profile (AccessDenied naming the agent role): retry that. With
        // a role this run created, Bedrock may even answer as if the *caller* lacked
        // bedrock:CreateAgent while the role propagates: retry that too, but only then (a
        // role that was already there leaves the caller's own permission as the cause).
        let is_propagation = |e: &SdkError<CreateAgentError, HttpResponse>| {
            is_agent_role_propagation(e) || (role.created && is_create_agent_refused(e))
        };
        let out = wait::retry_propagation(self.pacing.iam, is_propagation, || {
            agents
                .create_agent()
                .agent_name(&self.names.agent)
                .agent_resource_role_arn(&role.arn)
                .foundation_model(self.settings.model.id())
                .instruction(INSTRUCTION)
                .description(DESCRIPTION)
                .idle_session_ttl_in_seconds(IDLE_SESSION_TTL_SECONDS)
                .send()
        })
        .await
        .map_err(|e| Error::aws("CreateAgent", e))?;
        out.agent.ok_or_else(|| Error::Conflict {
            what: format!("agent {}", self.names.agent),
            problem: "CreateAgent returned no agent".into(),
        })
    }

    /// The agent with our name as it is now (`ListAgents`, then `GetAgent`), if any.
    pub(super) async fn deployed_agent(&self) -> Result<Option<Agent>> {
        let Some(summary) = self.find_agent().await? else {
            return Ok(None);
        };
        self.try_get_agent(summary.agent_id()).await
    }

    pub(crate) async fn get_agent(&self, id: &str) -> Result<Agent> {
        self.try_get_agent(id)
            .await?
            .ok_or_else(|| Error::Conflict {
                what: format!("agent {}", self.names.agent),
                problem: "it disappeared while being set up; run the command again".into(),
            })
    }

    pub(crate) async fn try_get_agent(&self, id: &str) -> Result<Option<Agent>> {
        let answer = self.clients.agent.get_agent().agent_id(id).send().await;
        Ok(found(
            "GetAgent",
            answer,
            GetAgentError::is_resource_not_found_exception,
        )?
        .and_then(|out| out.agent))
    }

    /// The agent, or, when its status is FAILED, an error about `what` with AWS's reasons.
    async fn get_agent_unless_failed(&self, id: &str, what: &str) -> Result<Agent> {
        let agent = self.get_agent(id).await?;
        if agent.agent_status == AgentStatus::Failed {
            return Err(Error::Failed {
                what: what.to_owned(),
                reasons: reasons(agent.failure_reasons.as_deref()),
            });
        }
        Ok(agent)
    }

    /// Waits while the agent's status is a transition (CREATING, UPDATING, PREPARING,
    /// VERSIONING), then returns it. FAILED is an error with AWS's reasons.
    pub(crate) async fn wait_agent_settled(&self, id: &str) -> Result<Agent> {
        let what = format!("agent {}", self.names.agent);
        wait::until(self.pacing.status, &what, || async {
            let agent = self.get_agent_unless_failed(id, &what).await?;
            if agent_is_moving(&agent.agent_status) {
                Ok(Poll::Pending(agent.agent_status.as_str().to_owned()))
            } else {
                Ok(Poll::Ready(agent))
            }
        })
        .await
    }

    /// Waits for the prepare just started: settled, with a `preparedAt` newer than
    /// `before`. Right after `PrepareAgent`, `GetAgent` can still show the previous
    /// PREPARED status with the previous `preparedAt`, which is not this prepare.
    async fn wait_prepared_after(&self, id: &str, before: Option<DateTime>) -> Result<Agent> {
        let what = format!("agent {} to be prepared", self.names.agent);
        wait::until(self.pacing.status, &what, || async {
            let agent = self.get_agent_unless_failed(id, &what).await?;
            let status = agent.agent_status.as_str().to_owned();
            let newer = match (agent.prepared_at, before) {
                (Some(at), Some(before)) => at > before,
                (Some(_), None) => true,
                // No preparedAt before or after (AWS always stamps one; an emulator may
                // not): the settled PREPARED status is all there is to go on.
                (None, None) => agent.agent_status == AgentStatus::Prepared,
                (None, Some(_)) => false,
            };
            if agent_is_moving(&agent.agent_status) {
                Ok(Poll::Pending(status))
            } else if !newer {
                Ok(Poll::Pending(format!("{status} (from an earlier prepare)")))
            } else {
                Ok(Poll::Ready(agent))
            }
        })
        .await
    }

    pub(crate) async fn wait_agent_gone(&self, id: &str) -> Result<()> {
        let what = format!("agent {} to be deleted", self.names.agent);
        wait::until(self.pacing.status, &what, || async {
            Ok(match self.try_get_agent(id).await? {
                None => Poll::Ready(()),
                Some(a) => Poll::Pending(a.agent_status.as_str().to_owned()),
            })
        })
        .await
    }

    // --- 6. action group -----------------------------------------------------------

    /// Our action group, created or updated; and the groups this tool made under an
    /// earlier name removed (disabled first: never left enabled). Groups someone else
    /// made are left alone, and named in the note.
    pub(super) async fn ensure_action_group(
        &self,
        agent: Option<&AgentRef>,
        function_arn: &str,
    ) -> Result<Done<GroupDone>> {
        let Some(agent) = agent else {
            let done = GroupDone {
                id: None,
                changed: true,
            };
            return Ok(Done::new(done, Change::WouldCreate));
        };
        let groups = self.list_action_groups(&agent.id).await?;
        let existing = groups
            .iter()
            .find(|g| g.action_group_name() == self.names.action_group)
            .map(|g| g.action_group_id().to_owned());
        let found = Leftovers::of(
            groups
                .iter()
                .map(|g| (g.action_group_id(), g.action_group_name(), g.description())),
            &self.names.action_group,
            ACTION_GROUP_DESCRIPTION,
        );
        let mut notes = Vec::new();
        for (id, name) in &found.ours {
            if self.dry_run {
                notes.push(format!("would remove {name} (an earlier name)"));
            } else if self.delete_action_group(&agent.id, id).await? {
                notes.push(format!("removed {name} (an earlier name)"));
            }
        }
        notes.extend(found.others_note());
        let mut done = self
            .ensure_named_action_group(agent, function_arn, existing)
            .await?;
        done.value.changed |= !found.ours.is_empty();
        done.change = done.change.with_notes(notes);
        Ok(done)
    }

    async fn ensure_named_action_group(
        &self,
        agent: &AgentRef,
        function_arn: &str,
        existing: Option<String>,
    ) -> Result<Done<GroupDone>> {
        let wanted = schema::catalogue_schema(self.settings.confirmation)?;
        let done = |id, changed| GroupDone { id, changed };
        let agents = &self.clients.agent;
        let Some(group_id) = existing else {
            if self.dry_run {
                return Ok(Done::new(done(None, true), Change::WouldCreate));
            }
            let out = agents
                .create_agent_action_group()
                .agent_id(&agent.id)
                .agent_version("DRAFT")
                .action_group_name(&self.names.action_group)
                .description(ACTION_GROUP_DESCRIPTION)
                .action_group_executor(ActionGroupExecutor::Lambda(function_arn.to_owned()))
                .function_schema(wanted)
                .action_group_state(ActionGroupState::Enabled)
                .send()
                .await
                .map_err(|e| Error::aws("CreateAgentActionGroup", e))?;
            let id = out
                .agent_action_group
                .map(|g| g.action_group_id)
                .unwrap_or_default();
            return Ok(Done::new(done(Some(id), true), Change::Created));
        };

        let group = agents
            .get_agent_action_group()
            .agent_id(&agent.id)
            .agent_version("DRAFT")
            .action_group_id(&group_id)
            .send()
            .await
            .map_err(|e| Error::aws("GetAgentActionGroup", e))?
            .agent_action_group;
        let mut diffs = Vec::new();
        if let Some(group) = &group {
            match &group.action_group_executor {
                Some(ActionGroupExecutor::Lambda(arn)) if arn == function_arn => {}
                _ => diffs.push("executor".to_owned()),
            }
            if group.action_group_state != ActionGroupState::Enabled {
                diffs.push("state ENABLED".to_owned());
            }
            let deployed = Canonical::of(
                group
                    .function_schema
                    .as_ref()
                    .unwrap_or(&FunctionSchema::Functions(Vec::new())),
            );
            diffs.extend(deployed.differences(&Canonical::of(&wanted)));
        } else {
            diffs.push("unreadable".to_owned());
        }
        if diffs.is_empty() {
            return Ok(Done::new(done(Some(group_id), false), Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(
                done(Some(group_id), true),
                Change::WouldUpdate(diffs),
            ));
        }
        agents
            .update_agent_action_group()
            .agent_id(&agent.id)
            .agent_version("DRAFT")
            .action_group_id(&group_id)
            .action_group_name(&self.names.action_group)
            .description(ACTION_GROUP_DESCRIPTION)
            .action_group_executor(ActionGroupExecutor::Lambda(function_arn.to_owned()))
            .function_schema(wanted)
            .action_group_state(ActionGroupState::Enabled)
            .send()
            .await
            .map_err(|e| Error::aws("UpdateAgentActionGroup", e))?;
        Ok(Done::new(
            done(Some(group_id), true),
            Change::Updated(diffs),
        ))
    }

    pub(crate) async fn find_action_group(&self, agent_id: &str) -> Result<Option<String>> {
        Ok(self
            .list_action_groups(agent_id)
            .await?
            .into_iter()
            .find(|g| g.action_group_name() == self.names.action_group)
            .map(|g| g.action_group_id().to_owned()))
    }

    /// Every action group of the DRAFT (`ListAgentActionGroups`, every page).
    pub(crate) async fn list_action_groups(
        &self,
        agent_id: &str,
    ) -> Result<Vec<ActionGroupSummary>> {
        let mut pages = self
            .clients
            .agent
            .list_agent_action_groups()
            .agent_id(agent_id)
            .agent_version("DRAFT")
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAgentActionGroups", e))?;
            out.extend(page.action_group_summaries().iter().cloned());
        }
        Ok(out)
    }

    /// Disables the action group if it is enabled (an enabled one cannot be deleted),
    /// then deletes it. Returns whether it was there.
    pub(super) async fn delete_action_group(&self, agent_id: &str, group_id: &str) -> Result<bool> {
        let agents = &self.clients.agent;
        let answer = agents
            .get_agent_action_group()
            .agent_id(agent_id)
            .agent_version("DRAFT")
            .action_group_id(group_id)
            .send()
            .await;
        let Some(group) = found("GetAgentActionGroup", answer, |e| {
            e.is_resource_not_found_exception()
        })?
        .and_then(|out| out.agent_action_group) else {
            return Ok(false);
        };
        // The update replaces the whole group: restate its executor and schema.
        if group.action_group_state == ActionGroupState::Enabled {
            agents
                .update_agent_action_group()
                .agent_id(agent_id)
                .agent_version("DRAFT")
                .action_group_id(group_id)
                .action_group_name(&group.action_group_name)
                .set_action_group_executor(group.action_group_executor.clone())
                .set_function_schema(group.function_schema.clone())
                .action_group_state(ActionGroupState::Disabled)
                .send()
                .await
                .map_err(|e| Error::aws("UpdateAgentActionGroup", e))?;
        }
        let answer = agents
            .delete_agent_action_group()
            .agent_id(agent_id)
            .agent_version("DRAFT")
            .action_group_id(group_id)
            .send()
            .await;
        Ok(found("DeleteAgentActionGroup", answer, |e| {
            e.is_resource_not_found_exception()
        })?
        .is_some())
    }

    // --- 7. Lambda permission ------------------------------------------------------

    pub(super) async fn ensure_permission(
        &self,
        account: &Account,
        agent: Option<&AgentRef>,
    ) -> Result<Done<()>> {
        let Some(agent) = agent else {
            return Ok(Done::new((), Change::WouldCreate));
        };
        let source_arn = account.agent_arn(&agent.id);
        let (all, ours) = self.permission_statements().await?;
        let (matching, stale): (Vec<&Value>, Vec<&Value>) = ours
            .iter()
            .partition(|st| permission_matches(st, &source_arn, &account.id));
        let why = if matching.is_empty() {
            "source agent"
        } else {
            "statements for other agents removed"
        };
        let state = match (ours.is_empty(), matching.is_empty(), stale.is_empty()) {
            (true, _, _) => Change::WouldCreate,
            (false, false, true) => Change::Unchanged,
            _ => Change::WouldUpdate(vec![why.into()]),
        };
        if state == Change::Unchanged || self.dry_run {
            return Ok(Done::new((), state));
        }
        let lambda = &self.clients.lambda;
        // Add first, then remove: Bedrock may invoke the function at any moment, and a
        // statement id cannot be reused, so the new statement gets its own id.
        if matching.is_empty() {
            let taken: Vec<&str> = all.iter().filter_map(|st| st["Sid"].as_str()).collect();
            let sid = new_statement_id(&self.names.permission_sid, &agent.id, &taken);
            lambda
                .add_permission()
                .function_name(&self.names.function)
                .statement_id(&sid)
                .action("lambda:InvokeFunction")
                .principal("bedrock.amazonaws.com")
                .source_arn(&source_arn)
                .source_account(&account.id)
                .send()
                .await
                .map_err(|e| Error::aws("AddPermission", e))?;
        }
        for st in stale {
            let Some(sid) = st["Sid"].as_str() else {
                continue;
            };
            let answer = lambda
                .remove_permission()
                .function_name(&self.names.function)
                .statement_id(sid)
                .send()
                .await;
            found("RemovePermission", answer, |e| {
                e.is_resource_not_found_exception()
            })?;
        }
        let done = if ours.is_empty() {
            Change::Created
        } else {
            Change::Updated(vec![why.into()])
        };
        Ok(Done::new((), done))
    }

    /// The statements of the function's resource policy: all of them, and ours (their
    /// `Sid` is our statement id, or starts with it and a `-`).
    pub(crate) async fn permission_statements(&self) -> Result<(Vec<Value>, Vec<Value>)> {
        let answer = self
            .clients
            .lambda
            .get_policy()
            .function_name(&self.names.function)
            .send()
            .await;
        let policy = found(
            "GetPolicy",
            answer,
            GetPolicyError::is_resource_not_found_exception,
        )?
        .and_then(|out| out.policy);
        let Some(policy) = policy else {
            return Ok((Vec::new(), Vec::new()));
        };
        let doc: Value = serde_json::from_str(&policy).map_err(|source| Error::PolicyJson {
            what: format!("function {}", self.names.function),
            source,
        })?;
        let statements = match &doc["Statement"] {
            Value::Array(s) => s.clone(),
            one @ Value::Object(_) => vec![one.clone()],
            _ => Vec::new(),
        };
        let ours = statements
            .iter()
            .filter(|st| {
                st["Sid"]
                    .as_str()
                    .is_some_and(|sid| is_our_statement(sid, &self.names.permission_sid))
            })
            .cloned()
            .collect();
        Ok((statements, ours))
    }

    // --- 8. prepare ----------------------------------------------------------------

    pub(super) async fn ensure_prepared(
        &self,
        agent: Option<&AgentRef>,
        changed: bool,
    ) -> Result<Done<bool>> {
        let Some(agent) = agent else {
            return Ok(Done::new(true, Change::Note("would prepare".to_owned())));
        };
        // Never start a prepare while another is running (ours from an interrupted run, or
        // someone else's): wait for the agent to settle first.
        let current = if self.dry_run {
            self.get_agent(&agent.id).await?
        } else {
            self.wait_agent_settled(&agent.id).await?
        };
        let groups = self.action_group_update_times(&agent.id).await?;
        let cut = self.latest_version(&agent.id).await?.map(|(_, at)| at);
        let reasons = prepare_reasons(&current, &groups, cut, changed);
        if reasons.is_empty() {
            return Ok(Done::new(
                false,
                Change::Note("already prepared".to_owned()),
            ));
        }
        if self.dry_run {
            let note = format!("would prepare ({})", reasons.join("; "));
            return Ok(Done::new(true, Change::Note(note)));
        }
        self.clients
            .agent
            .prepare_agent()
            .agent_id(&agent.id)
            .send()
            .await
            .map_err(|e| Error::aws("PrepareAgent", e))?;
        let prepared = self
            .wait_prepared_after(&agent.id, current.prepared_at)
            .await?;
        if prepared.agent_status != AgentStatus::Prepared {
            return Err(Error::Failed {
                what: format!("preparing agent {}", self.names.agent),
                reasons: format!(
                    "it ended {} ({})",
                    prepared.agent_status.as_str(),
                    super::reasons(prepared.failure_reasons.as_deref())
                ),
            });
        }
        let note = format!("prepared ({})", reasons.join("; "));
        Ok(Done::new(true, Change::Note(note)))
    }

    pub(crate) async fn action_group_update_times(&self, agent_id: &str) -> Result<Vec<DateTime>> {
        let mut pages = self
            .clients
            .agent
            .list_agent_action_groups()
            .agent_id(agent_id)
            .agent_version("DRAFT")
            .into_paginator()
            .send();
        let mut times = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAgentActionGroups", e))?;
            times.extend(page.action_group_summaries().iter().map(|g| g.updated_at));
        }
        Ok(times)
    }
}

/// The description `up` gives its action group: how it knows the groups it made.
pub(crate) const ACTION_GROUP_DESCRIPTION: &str = "Vacation balances, bookings and cancellations.";

/// The aliases or action groups besides the one wanted: those this tool made (known by
/// the description it sets) under another name, and everyone else's.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Leftovers {
    /// Ours under an earlier name: (id, name).
    pub ours: Vec<(String, String)>,
    /// Not made by this tool: their names.
    pub others: Vec<String>,
}

impl Leftovers {
    /// Sorts `(id, name, description)` items, leaving out the one named `wanted`.
    pub(crate) fn of<'a>(
        items: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
        wanted: &str,
        our_description: &str,
    ) -> Self {
        let mut out = Self::default();
        for (id, name, description) in items.filter(|(_, name, _)| *name != wanted) {
            if description == Some(our_description) {
                out.ours.push((id.to_owned(), name.to_owned()));
            } else {
                out.others.push(name.to_owned());
            }
        }
        out
    }

    /// The note naming what was left alone, if anything.
    pub(crate) fn others_note(&self) -> Option<String> {
        (!self.others.is_empty()).then(|| {
            format!(
                "left alone (not made by this tool): {}",
                self.others.join(", ")
            )
        })
    }
}

/// What differs between the deployed agent and ours.
pub(crate) fn agent_differences(agent: &Agent, role_arn: &str, model: &str) -> Vec<String> {
    let mut diffs = Vec::new();
    if agent.agent_resource_role_arn != role_arn {
        diffs.push("role".to_owned());
    }
    if agent.foundation_model.as_deref() != Some(model) {
        diffs.push(format!("model {model}"));
    }
    if agent.instruction.as_deref() != Some(INSTRUCTION) {
        diffs.push("instruction".to_owned());
    }
    if agent.description.as_deref() != Some(DESCRIPTION) {
        diffs.push("description".to_owned());
    }
    if agent.idle_session_ttl_in_seconds != IDLE_SESSION_TTL_SECONDS {
        diffs.push(format!("idle session TTL {IDLE_SESSION_TTL_SECONDS} s"));
    }
    diffs
}

/// Slack between `updatedAt` and `preparedAt`: AWS stamps both during a prepare, not
/// necessarily with the same instant (unconfirmed), and a prepare must not look like a
/// change made after it.
const PREPARE_CLOCK_SLACK_SECS: i64 = 5;

/// Why the DRAFT needs a prepare; empty when it does not. `last_version_cut` is when the
/// latest numbered version was created: cutting one passes the agent through VERSIONING,
/// which may touch its `updatedAt` (unconfirmed) without changing the DRAFT.
pub(crate) fn prepare_reasons(
    agent: &Agent,
    group_updates: &[DateTime],
    last_version_cut: Option<DateTime>,
    changed_now: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if changed_now {
        out.push("changed by this run".to_owned());
    }
    if agent.agent_status != AgentStatus::Prepared {
        out.push(format!("status {}", agent.agent_status.as_str()));
    }
    if let Some(prepared) = agent.prepared_at {
        let settled =
            last_version_cut.map_or(prepared.secs(), |cut| cut.secs().max(prepared.secs()));
        if agent.updated_at.secs() > settled + PREPARE_CLOCK_SLACK_SECS {
            out.push("agent changed after its last prepare".to_owned());
        }
        if group_updates.iter().any(|t| t.secs() > prepared.secs()) {
            out.push("action group changed after the last prepare".to_owned());
        }
    }
    out
}

/// Whether a statement id is ours: `prefix` itself (what earlier versions used), or
/// `prefix-...`.
pub(crate) fn is_our_statement(sid: &str, prefix: &str) -> bool {
    sid == prefix
        || sid
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// A statement id for the agent's permission that no statement uses yet: `prefix-<agent
/// id>`, then `-2`, `-3`... if taken (a statement for the same agent that differs).
fn new_statement_id(prefix: &str, agent_id: &str, taken: &[&str]) -> String {
    let base = format!("{prefix}-{agent_id}");
    std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|sid| !taken.contains(&sid.as_str()))
        .unwrap_or(base)
}

/// Whether our statement allows exactly Bedrock, for this agent, from this account.
pub(crate) fn permission_matches(st: &Value, source_arn: &str, account: &str) -> bool {
    let service = &st["Principal"]["Service"];
    let principal_ok = service == "bedrock.amazonaws.com"
        || service
            .as_array()
            .is_some_and(|s| s.len() == 1 && s[0] == "bedrock.amazonaws.com");
    let action_ok = st["Action"] == "lambda:InvokeFunction";
    let arn_ok = st["Condition"]["ArnLike"]["AWS:SourceArn"] == source_arn;
    let account_ok = st["Condition"]["StringEquals"]["AWS:SourceAccount"] == account;
    principal_ok && action_ok && arn_ok && account_ok && st["Effect"] == "Allow"
}

/// Bedrock's AccessDenied naming the caller and `bedrock:CreateAgent`. Unconfirmed in
/// AWS's documentation as a propagation symptom: it is reported right after the agent
/// role was created, and is retried only then. The maintenance-mode refusal of Agents
/// Classic is never retried.
fn is_create_agent_refused(e: &SdkError<CreateAgentError, HttpResponse>) -> bool {
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    e.code() == Some("AccessDeniedException")
        && !is_classic_closed(e.code(), e.message())
        && e.message()
            .is_some_and(|m| m.contains("is not authorized to perform: bedrock:CreateAgent"))
}

/// Bedrock's refusal while the agent role's permissions propagate: an AccessDenied about
/// the *agent role* (not the caller lacking a permission, which "is not authorized").
fn is_agent_role_propagation<E>(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    e.code() == Some("AccessDeniedException")
        && e.message().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("role") && !m.contains("is not authorized to perform")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::alias::{alias_plan, AliasPlan};

    fn agent(status: AgentStatus, updated: i64, prepared: Option<i64>) -> Agent {
        Agent::builder()
            .agent_id("AGENT00001")
            .agent_name("hr-assistant")
            .agent_arn("arn:aws:bedrock:us-east-1:123456789012:agent/AGENT00001")
            .agent_version("DRAFT")
            .agent_status(status)
            .idle_session_ttl_in_seconds(IDLE_SESSION_TTL_SECONDS)
            .agent_resource_role_arn("arn:aws:iam::123456789012:role/r")
            .created_at(DateTime::from_secs(0))
            .updated_at(DateTime::from_secs(updated))
            .set_prepared_at(prepared.map(DateTime::from_secs))
            .build()
            .unwrap()
    }

    #[test]
    fn a_prepared_agent_with_nothing_newer_needs_no_prepare() {
        let a = agent(AgentStatus::Prepared, 100, Some(100));
        assert!(prepare_reasons(&a, &[DateTime::from_secs(50)], None, false).is_empty());
    }

    #[test]
    fn cutting_a_version_after_the_prepare_is_not_a_change() {
        let a = agent(AgentStatus::Prepared, 200, Some(100));
        assert!(prepare_reasons(&a, &[], Some(DateTime::from_secs(198)), false).is_empty());
        assert_eq!(
            prepare_reasons(&a, &[], None, false),
            vec!["agent changed after its last prepare"]
        );
    }

    #[test]
    fn a_draft_changed_after_its_prepare_needs_one() {
        let a = agent(AgentStatus::Prepared, 100, Some(100));
        assert_eq!(
            prepare_reasons(&a, &[DateTime::from_secs(101)], None, false),
            vec!["action group changed after the last prepare"]
        );
        let b = agent(AgentStatus::NotPrepared, 100, None);
        assert_eq!(
            prepare_reasons(&b, &[], None, false),
            vec!["status NOT_PREPARED"]
        );
        assert!(!prepare_reasons(&a, &[], None, true).is_empty());
    }

    #[test]
    fn the_alias_moves_only_when_behind() {
        let prepared = agent(AgentStatus::Prepared, 100, Some(100));
        let v1_after = (1, DateTime::from_secs(110));
        let v1_before = (1, DateTime::from_secs(90));
        assert_eq!(
            alias_plan(false, &prepared, Some(&v1_after), Some("1")),
            None
        );
        assert_eq!(
            alias_plan(false, &prepared, Some(&v1_before), Some("1")),
            Some(AliasPlan::NewVersion)
        );
        assert_eq!(
            alias_plan(true, &prepared, Some(&v1_after), Some("1")),
            Some(AliasPlan::NewVersion)
        );
        let v2 = (2, DateTime::from_secs(120));
        assert_eq!(
            alias_plan(false, &prepared, Some(&v2), Some("1")),
            Some(AliasPlan::Version("2".into()))
        );
        assert_eq!(alias_plan(false, &prepared, None, None), None);
    }

    #[test]
    fn our_statements_are_known_by_their_id_prefix_and_new_ids_are_free() {
        let p = "hr-assistant-bedrock-agent";
        assert!(is_our_statement(p, p));
        assert!(is_our_statement("hr-assistant-bedrock-agent-AGENT00001", p));
        assert!(!is_our_statement("hr-assistant-bedrock-agentX", p));
        assert!(!is_our_statement("someone-else", p));
        assert_eq!(
            new_statement_id(p, "A1", &[p]),
            "hr-assistant-bedrock-agent-A1"
        );
        assert_eq!(
            new_statement_id(p, "A1", &["hr-assistant-bedrock-agent-A1"]),
            "hr-assistant-bedrock-agent-A1-2"
        );
    }

    #[test]
    fn only_what_this_tool_made_under_another_name_is_ours_to_remove() {
        let ours = Some("made by us");
        let found = Leftovers::of(
            [
                ("1", "live", ours),
                ("2", "old-live", ours),
                ("3", "theirs", Some("someone else's")),
                ("4", "bare", None),
            ]
            .into_iter(),
            "live",
            "made by us",
        );
        assert_eq!(found.ours, vec![("2".to_owned(), "old-live".to_owned())]);
        assert_eq!(
            found.others_note().as_deref(),
            Some("left alone (not made by this tool): theirs, bare")
        );
        assert_eq!(
            Change::Unchanged
                .with_notes(found.others_note().into_iter().collect())
                .to_string(),
            "unchanged; left alone (not made by this tool): theirs, bare"
        );
    }

    #[test]
    fn the_permission_must_name_this_agent_and_account() {
        let st = serde_json::json!({
            "Sid": "s", "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Condition": {
                "ArnLike": {"AWS:SourceArn": "arn:aws:bedrock:us-east-1:1:agent/A"},
                "StringEquals": {"AWS:SourceAccount": "1"}
            }
        });
        assert!(permission_matches(
            &st,
            "arn:aws:bedrock:us-east-1:1:agent/A",
            "1"
        ));
        assert!(!permission_matches(
            &st,
            "arn:aws:bedrock:us-east-1:1:agent/B",
            "1"
        ));
        assert!(!permission_matches(
            &st,
            "arn:aws:bedrock:us-east-1:1:agent/A",
            "2"
        ));
    }
}
