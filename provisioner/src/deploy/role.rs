//! Steps 2 and 4: a role, its trust policy and its one inline policy.

use aws_sdk_iam::operation::get_role::GetRoleError;
use aws_sdk_iam::operation::get_role_policy::GetRolePolicyError;
use aws_sdk_iam::types::Role;
use serde_json::Value;

use super::{Change, Deployer, Done};
use crate::error::{found, Error, Result};
use crate::policy::{self, Account};

/// A role as the later steps need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleRef {
    /// Its ARN.
    pub arn: String,
    /// Whether this run created it (a role seconds old may not have propagated yet).
    pub created: bool,
}

impl Deployer {
    pub(super) async fn ensure_role(&self, spec: RoleSpec<'_>) -> Result<Done<RoleRef>> {
        let iam = &self.clients.iam;
        let arn_if_new = spec.account.role_arn(spec.name);
        let Some(role) = self.find_role(spec.name).await? else {
            if self.dry_run {
                return Ok(Done::new(
                    RoleRef {
                        arn: arn_if_new,
                        created: false,
                    },
                    Change::WouldCreate,
                ));
            }
            let created = iam
                .create_role()
                .role_name(spec.name)
                .description(spec.description)
                .assume_role_policy_document(spec.trust.to_string())
                .send()
                .await
                .map_err(|e| Error::aws("CreateRole", e))?;
            self.put_role_policy(&spec).await?;
            let arn = created
                .role()
                .map(|r| r.arn().to_owned())
                .unwrap_or(arn_if_new);
            return Ok(Done::new(RoleRef { arn, created: true }, Change::Created));
        };

        let mut diffs = Vec::new();
        let trust = role
            .assume_role_policy_document()
            .map(policy::decode_iam_document)
            .transpose()
            .map_err(|source| Error::PolicyJson {
                what: format!("role {}", spec.name),
                source,
            })?;
        let trust_same = trust.is_some_and(|t| policy::same_policy(&t, &spec.trust));
        if !trust_same {
            diffs.push("trust policy".to_owned());
        }
        let current = match self.role_policy(spec.name, spec.policy_name).await? {
            Some(raw) => {
                Some(
                    policy::decode_iam_document(&raw).map_err(|source| Error::PolicyJson {
                        what: format!("policy {} of {}", spec.policy_name, spec.name),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let policy_same = current.is_some_and(|p| policy::same_policy(&p, &spec.policy));
        if !policy_same {
            diffs.push(format!("policy {}", spec.policy_name));
        }
        let role = RoleRef {
            arn: role.arn().to_owned(),
            created: false,
        };
        if diffs.is_empty() {
            return Ok(Done::new(role, Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(role, Change::WouldUpdate(diffs)));
        }
        if !trust_same {
            iam.update_assume_role_policy()
                .role_name(spec.name)
                .policy_document(spec.trust.to_string())
                .send()
                .await
                .map_err(|e| Error::aws("UpdateAssumeRolePolicy", e))?;
        }
        if !policy_same {
            self.put_role_policy(&spec).await?;
        }
        Ok(Done::new(role, Change::Updated(diffs)))
    }

    /// The role, if it exists (`GetRole`).
    pub(super) async fn find_role(&self, name: &str) -> Result<Option<Role>> {
        let answer = self.clients.iam.get_role().role_name(name).send().await;
        Ok(
            found("GetRole", answer, GetRoleError::is_no_such_entity_exception)?
                .and_then(|out| out.role),
        )
    }

    /// The inline policy's document as IAM returns it (URL-encoded), if it exists.
    pub(super) async fn role_policy(
        &self,
        role: &str,
        policy_name: &str,
    ) -> Result<Option<String>> {
        let answer = self
            .clients
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await;
        Ok(found(
            "GetRolePolicy",
            answer,
            GetRolePolicyError::is_no_such_entity_exception,
        )?
        .map(|out| out.policy_document().to_owned()))
    }

    async fn put_role_policy(&self, spec: &RoleSpec<'_>) -> Result<()> {
        self.clients
            .iam
            .put_role_policy()
            .role_name(spec.name)
            .policy_name(spec.policy_name)
            .policy_document(spec.policy.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::aws("PutRolePolicy", e))
    }

    /// Deletes a role: its inline policies, then detaches managed ones (a role with
    /// policies cannot be deleted), then the role. Whatever is already gone is skipped;
    /// returns whether the role was there to delete.
    pub(super) async fn delete_role(&self, role: &str) -> Result<bool> {
        let iam = &self.clients.iam;
        let inline = iam.list_role_policies().role_name(role).send().await;
        let Some(inline) = found("ListRolePolicies", inline, |e| {
            e.is_no_such_entity_exception()
        })?
        else {
            return Ok(false);
        };
        for policy in inline.policy_names() {
            let answer = iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send()
                .await;
            found("DeleteRolePolicy", answer, |e| {
                e.is_no_such_entity_exception()
            })?;
        }
        let attached = iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await;
        let attached = found("ListAttachedRolePolicies", attached, |e| {
            e.is_no_such_entity_exception()
        })?;
        for policy in attached.iter().flat_map(|a| a.attached_policies()) {
            if let Some(arn) = policy.policy_arn() {
                let answer = iam
                    .detach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send()
                    .await;
                found("DetachRolePolicy", answer, |e| {
                    e.is_no_such_entity_exception()
                })?;
            }
        }
        let answer = iam.delete_role().role_name(role).send().await;
        Ok(found("DeleteRole", answer, |e| e.is_no_such_entity_exception())?.is_some())
    }
}

/// A role with one inline policy.
pub(super) struct RoleSpec<'a> {
    pub(super) name: &'a str,
    pub(super) description: &'a str,
    pub(super) trust: Value,
    pub(super) policy_name: &'a str,
    pub(super) policy: Value,
    pub(super) account: &'a Account,
}
