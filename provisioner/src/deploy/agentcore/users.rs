//! `--create-user-pool`: a trial Amazon Cognito user pool whose ID tokens the gateway
//! accepts, with an app client the terminal signs in through, an `hr` group, and the
//! users `provisioner user add` makes.

use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::operation::get_group::GetGroupError;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AttributeDataType, AttributeType, AuthFlowType,
    ExplicitAuthFlowsType, MessageActionType, PasswordPolicyType, SchemaAttributeType,
    UserPoolPolicyType,
};
use serde::{Deserialize, Serialize};

use super::Jwt;
use crate::deploy::{Change, Deployer, Done};
use crate::error::{found, Error, Result};

/// The custom attribute holding the employee id (`custom:employee_id` in the ID token,
/// which the interceptor maps by default).
pub const EMPLOYEE_ID_ATTRIBUTE: &str = "employee_id";

/// The group whose members act as HR (`cognito:groups` contains it).
pub const HR_GROUP: &str = "hr";

/// The pool as later steps need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPoolRef {
    /// Its id.
    pub pool_id: String,
    /// The app client's id (the ID tokens' audience).
    pub client_id: String,
}

impl UserPoolRef {
    /// What the gateway's authorizer accepts: ID tokens of this pool for this client.
    pub fn jwt(&self, region: &str) -> Jwt {
        Jwt {
            discovery_url: format!(
                "https://cognito-idp.{region}.amazonaws.com/{}/.well-known/openid-configuration",
                self.pool_id
            ),
            audiences: vec![self.client_id.clone()],
            clients: Vec::new(),
        }
    }
}

/// One user `provisioner user add` made, kept in `.provisioner/<name>-users.json`
/// (readable by its owner only) so that `invoke --as` can sign in as them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialUser {
    /// The employee id.
    pub employee_id: String,
    /// The Cognito user name.
    pub username: String,
    /// The password `user add` set.
    pub password: String,
    /// Whether the user is in the `hr` group.
    pub hr: bool,
}

/// The Cognito user name for an employee id.
pub fn username(employee_id: &str) -> String {
    format!("employee-{employee_id}")
}

impl Deployer {
    /// The pool with our name, if any: its id.
    pub(crate) async fn find_user_pool(&self) -> Result<Option<String>> {
        let mut pages = self
            .clients
            .cognito
            .list_user_pools()
            .max_results(60)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListUserPools", e))?;
            if let Some(p) = page
                .user_pools()
                .iter()
                .find(|p| p.name() == Some(self.names.user_pool.as_str()))
            {
                return Ok(p.id().map(str::to_owned));
            }
        }
        Ok(None)
    }

    async fn find_client(&self, pool_id: &str) -> Result<Option<String>> {
        let mut pages = self
            .clients
            .cognito
            .list_user_pool_clients()
            .user_pool_id(pool_id)
            .max_results(60)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListUserPoolClients", e))?;
            if let Some(c) = page
                .user_pool_clients()
                .iter()
                .find(|c| c.client_name() == Some(self.names.user_pool_client.as_str()))
            {
                return Ok(c.client_id().map(str::to_owned));
            }
        }
        Ok(None)
    }

    /// The pool, its app client and the `hr` group, each made when missing.
    pub async fn ensure_user_pool(&self) -> Result<Done<UserPoolRef>> {
        let cognito = &self.clients.cognito;
        let mut made = Vec::new();
        let pool_id = match self.find_user_pool().await? {
            Some(id) => id,
            None if self.dry_run => {
                return Ok(Done::new(UserPoolRef::default(), Change::WouldCreate))
            }
            None => {
                let out = cognito
                    .create_user_pool()
                    .pool_name(&self.names.user_pool)
                    .schema(
                        SchemaAttributeType::builder()
                            .name(EMPLOYEE_ID_ATTRIBUTE)
                            .attribute_data_type(AttributeDataType::String)
                            .mutable(true)
                            .build(),
                    )
                    .admin_create_user_config(
                        AdminCreateUserConfigType::builder()
                            .allow_admin_create_user_only(true)
                            .build(),
                    )
                    .policies(
                        UserPoolPolicyType::builder()
                            .password_policy(
                                PasswordPolicyType::builder()
                                    .minimum_length(16)
                                    .require_lowercase(true)
                                    .require_uppercase(true)
                                    .require_numbers(true)
                                    .build(),
                            )
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| Error::aws("CreateUserPool", e))?;
                made.push("pool");
                out.user_pool
                    .and_then(|p| p.id)
                    .ok_or_else(|| Error::Conflict {
                        what: format!("user pool {}", self.names.user_pool),
                        problem: "CreateUserPool returned no id".into(),
                    })?
            }
        };
        let client_id = match self.find_client(&pool_id).await? {
            Some(id) => id,
            None if self.dry_run => String::new(),
            None => {
                let out = cognito
                    .create_user_pool_client()
                    .user_pool_id(&pool_id)
                    .client_name(&self.names.user_pool_client)
                    .generate_secret(false)
                    .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
                    .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
                    .send()
                    .await
                    .map_err(|e| Error::aws("CreateUserPoolClient", e))?;
                made.push("app client");
                out.user_pool_client
                    .and_then(|c| c.client_id)
                    .unwrap_or_default()
            }
        };
        let group = found(
            "GetGroup",
            cognito
                .get_group()
                .user_pool_id(&pool_id)
                .group_name(HR_GROUP)
                .send()
                .await,
            GetGroupError::is_resource_not_found_exception,
        )?;
        if group.is_none() && !self.dry_run {
            cognito
                .create_group()
                .user_pool_id(&pool_id)
                .group_name(HR_GROUP)
                .description("Acts for anyone in the vacation tools.")
                .send()
                .await
                .map_err(|e| Error::aws("CreateGroup", e))?;
            made.push("hr group");
        }
        let change = match (made.is_empty(), self.dry_run) {
            (true, false) if group.is_some() => Change::Unchanged,
            (true, true) if group.is_some() && !client_id.is_empty() => Change::Unchanged,
            (_, true) => Change::WouldUpdate(vec!["app client or hr group".into()]),
            _ if made.contains(&"pool") => Change::Created,
            _ => Change::Updated(made.iter().map(|m| format!("{m} created")).collect()),
        };
        Ok(Done::new(UserPoolRef { pool_id, client_id }, change))
    }

    /// Creates (or resets) the trial user for `employee_id`, with a new password.
    pub async fn add_user(&self, employee_id: &str, hr: bool) -> Result<TrialUser> {
        let pool_id = self
            .find_user_pool()
            .await?
            .ok_or_else(|| Error::NotDeployed {
                what: format!("the user pool {}", self.names.user_pool),
                region: self.settings.region.clone(),
                next: "run `provisioner up --platform agentcore --create-user-pool` first".into(),
            })?;
        if employee_id.parse::<u32>().map_or(true, |n| n == 0) {
            return Err(Error::InvalidSetting {
                what: "employee id",
                value: employee_id.to_owned(),
                rule: "a whole number from 1",
            });
        }
        let cognito = &self.clients.cognito;
        let name = username(employee_id);
        let password = new_password();
        let created = cognito
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(&name)
            .user_attributes(attribute(
                &format!("custom:{EMPLOYEE_ID_ATTRIBUTE}"),
                employee_id,
            ))
            .message_action(MessageActionType::Suppress)
            // Set here as well as below, so Cognito never has to invent one.
            .temporary_password(&password)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(AdminCreateUserError::is_username_exists_exception) => {}
            Err(e) => return Err(Error::aws("AdminCreateUser", e)),
        }
        cognito
            .admin_set_user_password()
            .user_pool_id(&pool_id)
            .username(&name)
            .password(&password)
            .permanent(true)
            .send()
            .await
            .map_err(|e| Error::aws("AdminSetUserPassword", e))?;
        let membership = if hr {
            cognito
                .admin_add_user_to_group()
                .user_pool_id(&pool_id)
                .username(&name)
                .group_name(HR_GROUP)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Error::aws("AdminAddUserToGroup", e))
        } else {
            cognito
                .admin_remove_user_from_group()
                .user_pool_id(&pool_id)
                .username(&name)
                .group_name(HR_GROUP)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Error::aws("AdminRemoveUserFromGroup", e))
        };
        membership?;
        Ok(TrialUser {
            employee_id: employee_id.to_owned(),
            username: name,
            password,
            hr,
        })
    }

    /// Signs `user` in through the pool's app client `client_id` (which `up` recorded):
    /// their ID token.
    pub async fn sign_in(&self, user: &TrialUser, client_id: &str) -> Result<String> {
        let out = self
            .clients
            .cognito
            .initiate_auth()
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .client_id(client_id)
            .auth_parameters("USERNAME", &user.username)
            .auth_parameters("PASSWORD", &user.password)
            .send()
            .await
            .map_err(|e| Error::aws("InitiateAuth", e))?;
        out.authentication_result
            .and_then(|r| r.id_token)
            .ok_or_else(|| Error::Conflict {
                what: format!("user {}", user.username),
                problem: "Cognito asked for another sign-in step (a new password?): run `provisioner user add` again".into(),
            })
    }

    /// Deletes the pool (its client, group and users go with it).
    pub async fn remove_user_pool(&self) -> Result<Done<()>> {
        let Some(pool_id) = self.find_user_pool().await? else {
            return Ok(Done::new((), Change::Absent));
        };
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        self.clients
            .cognito
            .delete_user_pool()
            .user_pool_id(&pool_id)
            .send()
            .await
            .map_err(|e| Error::aws("DeleteUserPool", e))?;
        Ok(Done::new((), Change::Removed))
    }
}

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("name is set")
}

/// A password meeting the pool's policy: 16+ characters with upper, lower and digits.
fn new_password() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    format!("Hr{}{}", &a[..20], "X7")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_meet_the_pool_policy_and_differ() {
        let (a, b) = (new_password(), new_password());
        assert_ne!(a, b);
        for p in [a, b] {
            assert!(p.len() >= 16);
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn the_pool_gives_the_gateway_its_discovery_url_and_audience() {
        let jwt = UserPoolRef {
            pool_id: "us-east-1_abc".into(),
            client_id: "client1".into(),
        }
        .jwt("us-east-1");
        assert_eq!(
            jwt.discovery_url,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/openid-configuration"
        );
        assert_eq!(jwt.audiences, vec!["client1"]);
    }
}
