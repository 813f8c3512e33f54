//! Step 9: the alias, on a version of the prepared agent.

use aws_sdk_bedrockagent::operation::get_agent_alias::GetAgentAliasError;
use aws_sdk_bedrockagent::types::{
    Agent, AgentAliasRoutingConfigurationListItem, AgentAliasStatus, AgentAliasSummary,
};
use aws_smithy_types::DateTime;

use super::agent::Leftovers;
use super::up::AgentRef;
use super::{reasons, Change, Deployer, Done, TEST_ALIAS_ID};
use crate::error::{found, Error, Result};
use crate::wait::{self, Poll};

/// The alias as `up` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AliasRef {
    /// Its id (what `InvokeAgent` takes).
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// The agent version it routes to.
    pub version: String,
}

/// The description `up` gives its alias: how it knows the aliases it made.
pub(crate) const ALIAS_DESCRIPTION: &str = "The version `provisioner invoke` talks to.";

impl Deployer {
    /// Our alias, on the prepared agent's latest version; then the aliases this tool
    /// made under an earlier name removed (once ours is ready). Aliases someone else
    /// made, and the built-in test alias, are left alone; the first named in the note.
    pub(super) async fn ensure_alias(
        &self,
        agent: Option<&AgentRef>,
        prepared_now: bool,
    ) -> Result<Done<Option<AliasRef>>> {
        let Some(agent) = agent else {
            return Ok(Done::new(None, Change::WouldCreate));
        };
        let aliases = self.alias_summaries(&agent.id).await?;
        let existing = aliases
            .iter()
            .find(|a| a.agent_alias_name() == self.names.alias)
            .map(|a| a.agent_alias_id().to_owned());
        let mut done = self
            .ensure_named_alias(agent, prepared_now, existing)
            .await?;
        let found = Leftovers::of(
            aliases
                .iter()
                .map(|a| (a.agent_alias_id(), a.agent_alias_name(), a.description())),
            &self.names.alias,
            ALIAS_DESCRIPTION,
        );
        let mut notes = Vec::new();
        for (id, name) in &found.ours {
            if self.dry_run {
                notes.push(format!("would remove {name} (an earlier name)"));
            } else {
                self.delete_alias(&agent.id, id).await?;
                notes.push(format!("removed {name} (an earlier name)"));
            }
        }
        notes.extend(found.others_note());
        done.change = done.change.with_notes(notes);
        Ok(done)
    }

    async fn ensure_named_alias(
        &self,
        agent: &AgentRef,
        prepared_now: bool,
        existing: Option<String>,
    ) -> Result<Done<Option<AliasRef>>> {
        let agents = &self.clients.agent;
        let Some(alias_id) = existing else {
            if self.dry_run {
                return Ok(Done::new(None, Change::WouldCreate));
            }
            // Without a routing configuration, AWS snapshots the prepared DRAFT as a new
            // numbered version and points the alias at it.
            let out = agents
                .create_agent_alias()
                .agent_id(&agent.id)
                .agent_alias_name(&self.names.alias)
                .description(ALIAS_DESCRIPTION)
                .send()
                .await
                .map_err(|e| Error::aws("CreateAgentAlias", e))?;
            let id = out
                .agent_alias
                .map(|a| a.agent_alias_id)
                .unwrap_or_default();
            let alias = self.wait_alias_prepared(&agent.id, &id).await?;
            return Ok(Done::new(Some(alias), Change::Created));
        };

        let (current_version, _) = self.alias_version(&agent.id, &alias_id).await?;
        let agent_now = self.get_agent(&agent.id).await?;
        let latest = self.latest_version(&agent.id).await?;
        let plan = alias_plan(
            prepared_now,
            &agent_now,
            latest.as_ref(),
            current_version.as_deref(),
        );
        let Some(plan) = plan else {
            let alias = if self.dry_run {
                self.alias_outputs(&agent.id, &alias_id).await?
            } else {
                self.wait_alias_prepared(&agent.id, &alias_id).await?
            };
            return Ok(Done::new(Some(alias), Change::Unchanged));
        };
        let why = match &plan {
            AliasPlan::NewVersion => "point at a new version of the prepared draft".to_owned(),
            AliasPlan::Version(v) => format!("point at version {v}"),
        };
        if self.dry_run {
            let alias = self.alias_outputs(&agent.id, &alias_id).await?;
            return Ok(Done::new(Some(alias), Change::WouldUpdate(vec![why])));
        }
        self.wait_alias_prepared(&agent.id, &alias_id).await?;
        let mut update = agents
            .update_agent_alias()
            .agent_id(&agent.id)
            .agent_alias_id(&alias_id)
            .agent_alias_name(&self.names.alias)
            .description(ALIAS_DESCRIPTION);
        if let AliasPlan::Version(v) = &plan {
            update = update.routing_configuration(
                AgentAliasRoutingConfigurationListItem::builder()
                    .agent_version(v)
                    .build(),
            );
        }
        update
            .send()
            .await
            .map_err(|e| Error::aws("UpdateAgentAlias", e))?;
        // Right after the update the alias can still read PREPARED on its old version:
        // wait until it routes where the plan says. Without a routing configuration the
        // update should cut a new version (as creating an alias does), numbered above
        // every version there was. If it never moves, every later `up` would try again:
        // stop and say so instead.
        let floor = latest
            .map(|(n, _)| n)
            .into_iter()
            .chain(current_version.as_deref().and_then(|v| v.parse().ok()))
            .max()
            .unwrap_or(0);
        let routed = self
            .wait_alias(&agent.id, &alias_id, |version| match &plan {
                AliasPlan::Version(v) => version == v,
                // An alias that routed to no version before (AWS always reports one; an
                // emulator may not) has nothing to compare with: PREPARED is enough.
                AliasPlan::NewVersion => {
                    current_version.is_none() || version.parse::<u32>().is_ok_and(|n| n > floor)
                }
            })
            .await;
        let alias = match routed {
            Ok(alias) => alias,
            Err(Error::Timeout { .. }) => {
                return Err(Error::Conflict {
                    what: format!("alias {}", self.names.alias),
                    problem: format!(
                        "it still routes to version {} after the update; point it at a new version in the console, then run `provisioner status`",
                        current_version.as_deref().unwrap_or("none")
                    ),
                })
            }
            Err(e) => return Err(e),
        };
        Ok(Done::new(Some(alias), Change::Updated(vec![why])))
    }

    pub(crate) async fn find_alias(&self, agent_id: &str) -> Result<Option<String>> {
        Ok(self
            .list_aliases(agent_id)
            .await?
            .into_iter()
            .find(|(_, name)| *name == self.names.alias)
            .map(|(id, _)| id))
    }

    /// Deletes an alias and waits until it is gone (already gone is fine).
    pub(super) async fn delete_alias(&self, agent_id: &str, alias_id: &str) -> Result<()> {
        let agents = &self.clients.agent;
        let answer = agents
            .delete_agent_alias()
            .agent_id(agent_id)
            .agent_alias_id(alias_id)
            .send()
            .await;
        found("DeleteAgentAlias", answer, |e| {
            e.is_resource_not_found_exception()
        })?;
        let what = format!("alias {alias_id} to be deleted");
        wait::until(self.pacing.status, &what, || async {
            let answer = agents
                .get_agent_alias()
                .agent_id(agent_id)
                .agent_alias_id(alias_id)
                .send()
                .await;
            Ok(
                match found(
                    "GetAgentAlias",
                    answer,
                    GetAgentAliasError::is_resource_not_found_exception,
                )? {
                    None => Poll::Ready(()),
                    Some(out) => Poll::Pending(
                        out.agent_alias
                            .map(|a| a.agent_alias_status.as_str().to_owned())
                            .unwrap_or_default(),
                    ),
                },
            )
        })
        .await
    }

    /// Every alias of the agent but the built-in test alias: (id, name).
    pub(crate) async fn list_aliases(&self, agent_id: &str) -> Result<Vec<(String, String)>> {
        Ok(self
            .alias_summaries(agent_id)
            .await?
            .into_iter()
            .map(|a| (a.agent_alias_id, a.agent_alias_name))
            .collect())
    }

    /// Every alias of the agent but the built-in test alias (`ListAgentAliases`, every
    /// page).
    pub(crate) async fn alias_summaries(&self, agent_id: &str) -> Result<Vec<AgentAliasSummary>> {
        let mut pages = self
            .clients
            .agent
            .list_agent_aliases()
            .agent_id(agent_id)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAgentAliases", e))?;
            out.extend(
                page.agent_alias_summaries()
                    .iter()
                    .filter(|a| a.agent_alias_id() != TEST_ALIAS_ID)
                    .cloned(),
            );
        }
        Ok(out)
    }

    /// The version the alias routes to, and its status.
    pub(crate) async fn alias_version(
        &self,
        agent_id: &str,
        alias_id: &str,
    ) -> Result<(Option<String>, AgentAliasStatus)> {
        let alias = self
            .clients
            .agent
            .get_agent_alias()
            .agent_id(agent_id)
            .agent_alias_id(alias_id)
            .send()
            .await
            .map_err(|e| Error::aws("GetAgentAlias", e))?
            .agent_alias;
        Ok(match alias {
            Some(a) => (
                a.routing_configuration
                    .first()
                    .and_then(|r| r.agent_version.clone()),
                a.agent_alias_status,
            ),
            None => (None, AgentAliasStatus::Failed),
        })
    }

    /// The highest numbered version of the agent, with its creation time.
    pub(crate) async fn latest_version(&self, agent_id: &str) -> Result<Option<(u32, DateTime)>> {
        let mut pages = self
            .clients
            .agent
            .list_agent_versions()
            .agent_id(agent_id)
            .into_paginator()
            .send();
        let mut latest: Option<(u32, DateTime)> = None;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAgentVersions", e))?;
            for v in page.agent_version_summaries() {
                if let Ok(n) = v.agent_version().parse::<u32>() {
                    if latest.is_none_or(|(m, _)| n > m) {
                        latest = Some((n, v.created_at));
                    }
                }
            }
        }
        Ok(latest)
    }

    pub(super) async fn alias_outputs(&self, agent_id: &str, alias_id: &str) -> Result<AliasRef> {
        let alias = self
            .clients
            .agent
            .get_agent_alias()
            .agent_id(agent_id)
            .agent_alias_id(alias_id)
            .send()
            .await
            .map_err(|e| Error::aws("GetAgentAlias", e))?
            .agent_alias;
        Ok(alias
            .map(|a| {
                let version = a
                    .routing_configuration
                    .first()
                    .and_then(|r| r.agent_version.clone())
                    .unwrap_or_default();
                AliasRef {
                    id: a.agent_alias_id,
                    arn: a.agent_alias_arn,
                    version,
                }
            })
            .unwrap_or_default())
    }

    /// Waits until the alias is PREPARED.
    pub(super) async fn wait_alias_prepared(
        &self,
        agent_id: &str,
        alias_id: &str,
    ) -> Result<AliasRef> {
        self.wait_alias(agent_id, alias_id, |_| true).await
    }

    /// Waits until the alias is PREPARED on a version `wanted` accepts.
    pub(super) async fn wait_alias(
        &self,
        agent_id: &str,
        alias_id: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<AliasRef> {
        let what = format!("alias {}", self.names.alias);
        wait::until(self.pacing.status, &what, || async {
            let alias = self
                .clients
                .agent
                .get_agent_alias()
                .agent_id(agent_id)
                .agent_alias_id(alias_id)
                .send()
                .await
                .map_err(|e| Error::aws("GetAgentAlias", e))?
                .agent_alias;
            let Some(alias) = alias else {
                return Ok(Poll::Pending("not found yet".into()));
            };
            match alias.agent_alias_status {
                AgentAliasStatus::Prepared => {
                    let version = alias
                        .routing_configuration
                        .first()
                        .and_then(|r| r.agent_version.clone())
                        .unwrap_or_default();
                    if !wanted(&version) {
                        return Ok(Poll::Pending(format!("PREPARED on version {version}")));
                    }
                    Ok(Poll::Ready(AliasRef {
                        id: alias.agent_alias_id,
                        arn: alias.agent_alias_arn,
                        version,
                    }))
                }
                AgentAliasStatus::Failed | AgentAliasStatus::Dissociated => Err(Error::Failed {
                    what: what.clone(),
                    reasons: format!(
                        "{} ({})",
                        alias.agent_alias_status.as_str(),
                        reasons(alias.failure_reasons.as_deref())
                    ),
                }),
                other => Ok(Poll::Pending(other.as_str().to_owned())),
            }
        })
        .await
    }
}

/// How the alias must move, if at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AliasPlan {
    /// Snapshot the prepared DRAFT as a new version.
    NewVersion,
    /// Point at an existing version.
    Version(String),
}

/// Whether the alias is behind: the DRAFT was prepared after the latest version was cut
/// (or in this run), or the alias routes to an older version than the latest.
pub(crate) fn alias_plan(
    prepared_now: bool,
    agent: &Agent,
    latest: Option<&(u32, DateTime)>,
    current: Option<&str>,
) -> Option<AliasPlan> {
    if prepared_now {
        return Some(AliasPlan::NewVersion);
    }
    if let (Some(prepared), Some((_, cut))) = (agent.prepared_at, latest) {
        if prepared.secs() > cut.secs() {
            return Some(AliasPlan::NewVersion);
        }
    }
    match (latest, current) {
        (Some((n, _)), Some(v)) if v != n.to_string() => Some(AliasPlan::Version(n.to_string())),
        (Some((n, _)), None) => Some(AliasPlan::Version(n.to_string())),
        _ => None,
    }
}
