//! Steps 2 and 4: a role, its trust policy and its one inline policy.

use aws_sdk_iam::operation::get_role::GetRoleError;
use aws_sdk_iam::operation::get_role_policy::GetRolePolicyError;
use serde_json::Value;

use super::{Change, Deployer};
use crate::error::{Error, Result};
use crate::policy::{self, Account};

impl Deployer {
    pub(super) async fn ensure_role(&self, spec: RoleSpec<'_>) -> Result<(String, String)> {
        let iam = &self.clients.iam;
        let arn_if_new = spec.account.role_arn(spec.name);
        let existing = match iam.get_role().role_name(spec.name).send().await {
            Ok(out) => out.role,
            Err(e)
                if e.as_service_error()
                    .is_some_and(GetRoleError::is_no_such_entity_exception) =>
            {
                None
            }
            Err(e) => return Err(Error::aws("GetRole", e)),
        };
        let Some(role) = existing else {
            if self.dry_run {
                return Ok((arn_if_new, Change::WouldCreate.to_string()));
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
            return Ok((arn, Change::Created.to_string()));
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
        let current = match iam
            .get_role_policy()
            .role_name(spec.name)
            .policy_name(spec.policy_name)
            .send()
            .await
        {
            Ok(out) => Some(policy::decode_iam_document(out.policy_document()).map_err(
                |source| Error::PolicyJson {
                    what: format!("policy {} of {}", spec.policy_name, spec.name),
                    source,
                },
            )?),
            Err(e)
                if e.as_service_error()
                    .is_some_and(GetRolePolicyError::is_no_such_entity_exception) =>
            {
                None
            }
            Err(e) => return Err(Error::aws("GetRolePolicy", e)),
        };
        let policy_same = current.is_some_and(|p| policy::same_policy(&p, &spec.policy));
        if !policy_same {
            diffs.push(format!("policy {}", spec.policy_name));
        }
        let arn = role.arn().to_owned();
        if diffs.is_empty() {
            return Ok((arn, Change::Unchanged.to_string()));
        }
        if self.dry_run {
            return Ok((arn, Change::WouldUpdate(diffs).to_string()));
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
        Ok((arn, Change::Updated(diffs).to_string()))
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
