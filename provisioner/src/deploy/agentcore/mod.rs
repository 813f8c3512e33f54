//! The AgentCore platform: `up`, `down` and `status` for the table, the tools Lambda and
//! the interceptor Lambda (the same zip), the gateway with its `CUSTOM_JWT` authorizer,
//! REQUEST interceptor and Lambda target, an optional trial Cognito user pool, and the
//! harness. Every resource is found by name, as on Classic, so each command can be re-run.
//!
//! How identity and confirmation reach the tools (see also [`crate::harness`]):
//! - The harness's tools are inline functions: it never calls the gateway itself, it hands
//!   each tool call back to the terminal (`stop_reason = tool_use`).
//! - The terminal asks the person before a booking or cancellation, and only then calls
//!   the gateway's MCP endpoint with the person's own JWT.
//! - The gateway's `CUSTOM_JWT` authorizer checks the token; the interceptor replaces any
//!   `_caller` argument with the caller its claims name; the tools Lambda refuses a call
//!   without it. The model can neither skip the question nor change who is asking.

pub mod gateway;
pub mod harness;
pub mod policy;
pub mod users;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::function::{log_group_name, FunctionSpec};
use super::role::RoleSpec;
use super::status::StatusReport;
use super::{Change, Deployer, Done};
use crate::config::Inbound;
use aws_sdk_bedrockagentcorecontrol::types::{GatewayStatus, HarnessStatus};

use crate::error::{found, Error, Result};
use crate::policy as iam;
use crate::progress::Progress;
use crate::wait::{self, Poll};

/// The gateway's inbound JWT rules, resolved (from the flags, or from the trial pool).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jwt {
    /// The OpenID Connect discovery URL.
    pub discovery_url: String,
    /// Accepted `aud` values.
    pub audiences: Vec<String>,
    /// Accepted `client_id` values.
    pub clients: Vec<String>,
}

/// What `up --platform agentcore` leaves behind, written to the state file and printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentCoreOutputs {
    /// The region.
    pub region: String,
    /// The account id.
    pub account: String,
    /// The DynamoDB table's ARN.
    pub table_arn: String,
    /// The tools Lambda.
    pub function_arn: String,
    /// The interceptor Lambda.
    pub interceptor_arn: String,
    /// The gateway's id.
    pub gateway_id: String,
    /// The gateway's ARN.
    pub gateway_arn: String,
    /// The gateway's MCP endpoint (what the terminal, or any MCP client, calls).
    pub gateway_url: String,
    /// The Lambda target's id.
    pub target_id: String,
    /// The tools' name prefix on the gateway (`<target>___<tool>`).
    pub target_name: String,
    /// The trial user pool, when `up` made one.
    #[serde(default)]
    pub user_pool_id: String,
    /// Its app client.
    #[serde(default)]
    pub user_pool_client_id: String,
    /// The OpenID Connect discovery URL the gateway trusts.
    pub discovery_url: String,
    /// The harness's id.
    pub harness_id: String,
    /// The harness's ARN (what `InvokeHarness` takes).
    pub harness_arn: String,
    /// The model or inference profile.
    pub model: String,
}

/// What stays unconfirmed without a real account; `status` repeats it.
pub const UNCONFIRMED: &[&str] = &[
    "the gateway forwards the `_caller` argument the interceptor adds although the tool schema does not declare it (if it drops it, every call is refused as not signed in; none is let through)",
    "the gateway's CUSTOM_JWT authorizer accepts Cognito ID tokens by their `aud` (ID tokens carry custom:employee_id; access tokens do not)",
    "`allowedTools` names inline functions by their tool names, which keeps the built-in shell and file tools off",
];

impl Deployer {
    fn jwt_from_settings(&self) -> Option<Jwt> {
        match &self.settings.inbound {
            Inbound::Jwt {
                discovery_url,
                audiences,
                clients,
            } => Some(Jwt {
                discovery_url: discovery_url.clone(),
                audiences: audiences.clone(),
                clients: clients.clone(),
            }),
            _ => None,
        }
    }

    fn tools_env(&self) -> HashMap<String, String> {
        HashMap::from([
            ("TABLE_NAME".to_owned(), self.names.table.clone()),
            ("HR_GATEWAY_TARGET".to_owned(), self.names.target.clone()),
        ])
    }

    /// `up` on AgentCore, in order; see the module documentation.
    pub async fn up_agentcore(&self, progress: Progress) -> Result<AgentCoreOutputs> {
        self.settings.validate_inbound()?;
        let names = self.names.clone();
        let account = self.account_step(progress).await?;
        let package = self.package()?;
        progress
            .step(
                &format!("DynamoDB table {}", names.table),
                self.ensure_table(),
            )
            .await?;
        let lambda_role = progress
            .step(
                &format!("Lambda role {}", names.lambda_role),
                self.ensure_role(RoleSpec {
                    name: &names.lambda_role,
                    description: "Runs the HR tools Lambda: its table and its logs only.",
                    trust: iam::lambda_trust(),
                    policy_name: &names.lambda_policy,
                    policy: iam::lambda_permissions(&account, &names),
                    account: &account,
                }),
            )
            .await?;
        for function in [&names.function, &names.interceptor_function] {
            progress
                .step(
                    &format!("Log group {}", log_group_name(function)),
                    self.ensure_log_group(function),
                )
                .await?;
        }
        let function_arn = progress
            .step(
                &format!("Lambda function {}", names.function),
                self.ensure_function_spec(
                    &FunctionSpec {
                        name: &names.function,
                        description: "The HR vacation tools, served by the AgentCore gateway.",
                        role_arn: &lambda_role.arn,
                        env: self.tools_env(),
                    },
                    package.as_ref(),
                ),
            )
            .await?
            .arn;
        let interceptor_role = progress
            .step(
                &format!("Interceptor role {}", names.interceptor_role),
                self.ensure_role(RoleSpec {
                    name: &names.interceptor_role,
                    description: "Runs the gateway's interceptor: its logs only, no table.",
                    trust: iam::lambda_trust(),
                    policy_name: &names.interceptor_policy,
                    policy: policy::interceptor_permissions(&account, &names.interceptor_function),
                    account: &account,
                }),
            )
            .await?;
        let interceptor_arn = progress
            .step(
                &format!("Interceptor function {}", names.interceptor_function),
                self.ensure_function_spec(
                    &FunctionSpec {
                        name: &names.interceptor_function,
                        description: "Maps the caller's JWT claims to the tools' caller (AgentCore gateway REQUEST interceptor).",
                        role_arn: &interceptor_role.arn,
                        env: self.tools_env(),
                    },
                    package.as_ref(),
                ),
            )
            .await?
            .arn;
        let (jwt, pool) = match self.jwt_from_settings() {
            Some(jwt) => (jwt, None),
            None => {
                let pool = progress
                    .step(
                        &format!("User pool {}", names.user_pool),
                        self.ensure_user_pool(),
                    )
                    .await?;
                (pool.jwt(&account.region), Some(pool))
            }
        };
        let gateway_role = progress
            .step(
                &format!("Gateway role {}", names.gateway_role),
                self.ensure_role(RoleSpec {
                    name: &names.gateway_role,
                    description:
                        "Lets the AgentCore gateway invoke the HR tools and its interceptor.",
                    trust: policy::agentcore_trust(&account),
                    policy_name: &names.gateway_policy,
                    policy: policy::gateway_permissions(
                        &account,
                        &[&names.function, &names.interceptor_function],
                    ),
                    account: &account,
                }),
            )
            .await?;
        let gateway = progress
            .step(
                &format!("Gateway {}", names.gateway),
                self.ensure_gateway(&gateway_role.arn, &interceptor_arn, &jwt),
            )
            .await?;
        let target_id = progress
            .step(
                &format!("Gateway target {}", names.target),
                self.ensure_target(&gateway, &function_arn),
            )
            .await?;
        let harness_role = progress
            .step(
                &format!("Harness role {}", names.harness_role),
                self.ensure_role(RoleSpec {
                    name: &names.harness_role,
                    description: "Lets the AgentCore harness invoke its model.",
                    trust: policy::agentcore_trust(&account),
                    policy_name: &names.harness_policy,
                    policy: policy::harness_permissions(&account, &self.settings.model),
                    account: &account,
                }),
            )
            .await?;
        let harness = progress
            .step(
                &format!("Harness {}", names.harness),
                self.ensure_harness(&harness_role.arn),
            )
            .await?;
        let pool = pool.unwrap_or_default();
        Ok(AgentCoreOutputs {
            region: account.region.clone(),
            account: account.id.clone(),
            table_arn: account.table_arn(&names.table),
            function_arn,
            interceptor_arn,
            gateway_id: gateway.id,
            gateway_arn: gateway.arn,
            gateway_url: gateway.url,
            target_id,
            target_name: names.target.clone(),
            user_pool_id: pool.pool_id,
            user_pool_client_id: pool.client_id,
            discovery_url: jwt.discovery_url,
            harness_id: harness.id,
            harness_arn: harness.arn,
            model: self.settings.model.id().to_owned(),
        })
    }

    /// `down` on AgentCore: the harness, the target, the gateway (each until gone), the
    /// user pool, the functions, the table only when asked, then the roles.
    pub async fn down_agentcore(&self, progress: Progress, delete_table: bool) -> Result<()> {
        let names = self.names.clone();
        self.account_step(progress).await?;
        progress
            .step(&format!("Harness {}", names.harness), self.remove_harness())
            .await?;
        let gateway_id = self.find_gateway().await?;
        progress
            .step(
                &format!("Gateway target {}", names.target),
                self.remove_target(gateway_id.as_deref()),
            )
            .await?;
        progress
            .step(
                &format!("Gateway {}", names.gateway),
                self.remove_gateway(gateway_id.as_deref()),
            )
            .await?;
        // Looked for by name whatever the recorded settings say, so a lost state file
        // leaves no trial pool behind.
        progress
            .step(
                &format!("User pool {}", names.user_pool),
                self.remove_user_pool(),
            )
            .await?;
        for function in [&names.function, &names.interceptor_function] {
            progress
                .step(
                    &format!("Lambda function {function}"),
                    self.remove_function_named(function),
                )
                .await?;
            progress
                .step(
                    &format!("Log group {}", log_group_name(function)),
                    self.remove_log_group(function),
                )
                .await?;
        }
        let table_refused = self.table_teardown_step(progress, delete_table).await?;
        for role in [
            &names.harness_role,
            &names.gateway_role,
            &names.interceptor_role,
            &names.lambda_role,
        ] {
            progress
                .step(&format!("Role {role}"), self.remove_role(role))
                .await?;
        }
        table_refused.map_or(Ok(()), Err)
    }

    async fn remove_harness(&self) -> Result<Done<()>> {
        let Some(id) = self.find_harness().await? else {
            return Ok(Done::new((), Change::Absent));
        };
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        found(
            "DeleteHarness",
            self.clients
                .agentcore
                .delete_harness()
                .harness_id(&id)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
        )?;
        let what = format!("harness {} to be deleted", self.names.harness);
        wait::until(self.pacing.status, &what, || async {
            match self.get_harness(&id).await? {
                None => Ok(Poll::Ready(())),
                Some(h) if h.status == HarnessStatus::DeleteFailed => Err(Error::Failed {
                    what: what.clone(),
                    reasons: h.failure_reason.unwrap_or_else(|| "no reason given".into()),
                }),
                Some(h) => Ok(Poll::Pending(h.status.as_str().to_owned())),
            }
        })
        .await?;
        Ok(Done::new((), Change::Removed))
    }

    async fn remove_target(&self, gateway_id: Option<&str>) -> Result<Done<()>> {
        let Some(gateway_id) = gateway_id else {
            return Ok(Done::new((), Change::Absent));
        };
        let Some(target_id) = self.find_target(gateway_id).await? else {
            return Ok(Done::new((), Change::Absent));
        };
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        found(
            "DeleteGatewayTarget",
            self.clients
                .agentcore
                .delete_gateway_target()
                .gateway_identifier(gateway_id)
                .target_id(&target_id)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
        )?;
        // A gateway with targets cannot be deleted: wait until this one is gone.
        let what = format!("gateway target {} to be deleted", self.names.target);
        wait::until(self.pacing.status, &what, || async {
            Ok(match self.get_target(gateway_id, &target_id).await? {
                None => Poll::Ready(()),
                Some(t) => Poll::Pending(t.status.as_str().to_owned()),
            })
        })
        .await?;
        Ok(Done::new((), Change::Removed))
    }

    async fn remove_gateway(&self, gateway_id: Option<&str>) -> Result<Done<()>> {
        let Some(id) = gateway_id else {
            return Ok(Done::new((), Change::Absent));
        };
        if self.dry_run {
            return Ok(Done::new((), Change::WouldRemove));
        }
        found(
            "DeleteGateway",
            self.clients
                .agentcore
                .delete_gateway()
                .gateway_identifier(id)
                .send()
                .await,
            |e| e.is_resource_not_found_exception(),
        )?;
        let what = format!("gateway {} to be deleted", self.names.gateway);
        wait::until(self.pacing.status, &what, || async {
            match self.get_gateway(id).await? {
                None => Ok(Poll::Ready(())),
                Some(g) if g.status == GatewayStatus::Failed => Err(Error::Failed {
                    what: what.clone(),
                    reasons: super::reasons(g.status_reasons.as_deref()),
                }),
                Some(g) => Ok(Poll::Pending(g.status.as_str().to_owned())),
            }
        })
        .await?;
        Ok(Done::new((), Change::Removed))
    }

    /// `status` on AgentCore: every resource, its state and drift, and what AWS leaves
    /// unconfirmed.
    pub async fn status_agentcore(&self) -> Result<StatusReport> {
        let account = self.account().await?;
        let names = self.names.clone();
        let mut report = StatusReport::default();
        self.table_status(&mut report).await?;
        self.role_status(
            &mut report,
            &names.lambda_role,
            &names.lambda_policy,
            iam::lambda_trust(),
            iam::lambda_permissions(&account, &names),
        )
        .await?;
        self.function_status(
            &mut report,
            &FunctionSpec {
                name: &names.function,
                description: "",
                role_arn: &account.role_arn(&names.lambda_role),
                env: self.tools_env(),
            },
        )
        .await?;
        self.log_group_status(&mut report, &names.function).await?;
        self.role_status(
            &mut report,
            &names.interceptor_role,
            &names.interceptor_policy,
            iam::lambda_trust(),
            policy::interceptor_permissions(&account, &names.interceptor_function),
        )
        .await?;
        self.function_status(
            &mut report,
            &FunctionSpec {
                name: &names.interceptor_function,
                description: "",
                role_arn: &account.role_arn(&names.interceptor_role),
                env: self.tools_env(),
            },
        )
        .await?;
        self.log_group_status(&mut report, &names.interceptor_function)
            .await?;
        let jwt = match self.jwt_from_settings() {
            Some(jwt) => Some(jwt),
            None => {
                // The pool step read only: it finds the pool and its app client by name.
                let pool = self.clone().dry_run(true).ensure_user_pool().await?.value;
                if pool.pool_id.is_empty() {
                    report.missing("user pool", &names.user_pool);
                    None
                } else {
                    report.row(
                        "user pool",
                        format!("{} ({})", names.user_pool, pool.pool_id),
                        "present",
                    );
                    Some(pool.jwt(&account.region))
                }
            }
        };
        self.role_status(
            &mut report,
            &names.gateway_role,
            &names.gateway_policy,
            policy::agentcore_trust(&account),
            policy::gateway_permissions(&account, &[&names.function, &names.interceptor_function]),
        )
        .await?;
        let gateway = match self.find_gateway().await? {
            Some(id) => self.get_gateway(&id).await?,
            None => None,
        };
        match &gateway {
            None => {
                report.missing("gateway", &names.gateway);
                report.missing("gateway target", &names.target);
            }
            Some(g) => {
                report.row(
                    "gateway",
                    format!("{} ({})", names.gateway, g.gateway_id),
                    format!(
                        "{} {}",
                        g.status.as_str(),
                        g.gateway_url.as_deref().unwrap_or("")
                    ),
                );
                let diffs = gateway::gateway_differences(
                    g,
                    &account.role_arn(&names.gateway_role),
                    &account.function_arn(&names.interceptor_function),
                    &jwt.clone().unwrap_or_default(),
                );
                if !diffs.is_empty() {
                    report.drift.push(super::Drift::Config {
                        resource: format!("gateway {}", names.gateway),
                        what: diffs,
                    });
                }
                let target = match self.find_target(&g.gateway_id).await? {
                    Some(id) => self.get_target(&g.gateway_id, &id).await?,
                    None => None,
                };
                match target {
                    None => report.missing("gateway target", &names.target),
                    Some(t) => {
                        report.row(
                            "gateway target",
                            format!("{} ({})", names.target, t.target_id),
                            t.status.as_str(),
                        );
                        let wanted =
                            gateway::target_configuration(&account.function_arn(&names.function))?;
                        let diffs = gateway::target_differences(&t, &wanted);
                        if !diffs.is_empty() {
                            report.drift.push(super::Drift::Config {
                                resource: format!("gateway target {}", names.target),
                                what: diffs,
                            });
                        }
                    }
                }
            }
        }
        self.role_status(
            &mut report,
            &names.harness_role,
            &names.harness_policy,
            policy::agentcore_trust(&account),
            policy::harness_permissions(&account, &self.settings.model),
        )
        .await?;
        let harness = match self.find_harness().await? {
            Some(id) => self.get_harness(&id).await?,
            None => None,
        };
        match harness {
            None => report.missing("harness", &names.harness),
            Some(h) => {
                report.row(
                    "harness",
                    format!("{} ({})", names.harness, h.harness_id),
                    h.status.as_str(),
                );
                let diffs = harness::harness_differences(
                    &h,
                    &account.role_arn(&names.harness_role),
                    self.settings.model.id(),
                );
                if !diffs.is_empty() {
                    report.drift.push(super::Drift::Config {
                        resource: format!("harness {}", names.harness),
                        what: diffs,
                    });
                }
            }
        }
        report.row(
            "identity",
            "the person's JWT",
            "terminal → gateway CUSTOM_JWT → interceptor → tools",
        );
        report.row(
            "confirmation",
            "bookings, cancellations",
            if self.settings.confirmation {
                "asked in the terminal before the gateway is called"
            } else {
                "off (--no-confirmation)"
            },
        );
        report.notes = UNCONFIRMED.iter().map(|s| (*s).to_owned()).collect();
        Ok(report)
    }
}
