//! The provisioner's settings, and every resource name derived from them.
//!
//! Resources are found by these names, so the names are the whole "state": the state file
//! only records outputs for convenience.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The prefix AWS expects on an agent's service role (the console and the docs use it).
pub const AGENT_ROLE_PREFIX: &str = "AmazonBedrockExecutionRoleForAgents_";

/// The agent's instruction: the original tutorial's HR agent, spelled out for the tools.
pub const INSTRUCTION: &str = "You are an HR agent. You help employees understand HR policies \
and manage their vacation time: how many vacation days they have available, booking time off \
and cancelling a booking. Use the tools to read and change vacation data, never guess numbers, \
and before booking or cancelling say exactly which dates are concerned.";

/// The agent's description.
pub const DESCRIPTION: &str =
    "HR assistant: explains HR policies, shows vacation balances, books and cancels time off.";

/// Idle session TTL of the agent, in seconds.
pub const IDLE_SESSION_TTL_SECONDS: i32 = 1800;

/// The default model: an inference profile id.
pub const DEFAULT_MODEL: &str = "us.amazon.nova-micro-v1:0";

/// The Lambda's timeout: a cold start plus DynamoDB needs more than the 3 s default.
pub const LAMBDA_TIMEOUT_SECONDS: i32 = 30;

/// The Lambda's memory (MB). Rust needs little; more memory also means more CPU.
pub const LAMBDA_MEMORY_MB: i32 = 256;

/// The Lambda runtime for a Rust `bootstrap` binary.
pub const LAMBDA_RUNTIME: &str = "provided.al2023";

/// Where the agent runs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Amazon Bedrock Agents ("Agents Classic"): an agent, an action group, an alias.
    /// Closed to accounts without prior use since 2026-07-30.
    #[default]
    Classic,
    /// Amazon Bedrock AgentCore: a gateway serving the Lambda as MCP tools, behind a JWT
    /// authorizer and the interceptor, and a harness (the managed agent loop).
    Agentcore,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Platform::Classic => "classic",
            Platform::Agentcore => "agentcore",
        })
    }
}

/// Who may call the gateway: the identity provider whose tokens its `CUSTOM_JWT`
/// authorizer accepts.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Inbound {
    /// Not chosen (Classic, or a command that does not deploy).
    #[default]
    Unset,
    /// An existing OpenID Connect provider.
    Jwt {
        /// Its `.well-known/openid-configuration` URL.
        discovery_url: String,
        /// Accepted `aud` values (an ID token's audience is its app client id).
        audiences: Vec<String>,
        /// Accepted `client_id` values (access tokens).
        clients: Vec<String>,
    },
    /// A trial Amazon Cognito user pool that `up` creates (`--create-user-pool`).
    UserPool,
}

/// Everything `up`, `down` and `status` need to know, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The agent's name; every other name derives from it.
    pub name: String,
    /// The AWS region.
    pub region: String,
    /// The foundation model or inference profile the agent uses.
    pub model: Model,
    /// The DynamoDB table.
    pub table_name: String,
    /// `Some(on)` sets the table's deletion protection; `None` leaves it as it is.
    pub deletion_protection: Option<bool>,
    /// The handler's zip.
    pub lambda_zip: PathBuf,
    /// Whether the functions the catalogue marks as needing confirmation require it.
    pub confirmation: bool,
    /// The alias `invoke` talks to.
    pub alias_name: String,
    /// The action group's name (Classic), which is also the gateway target's name
    /// (AgentCore): the prefix of every tool name the gateway serves.
    pub action_group_name: String,
    /// Where the agent runs.
    pub platform: Platform,
    /// AgentCore: who may call the gateway.
    pub inbound: Inbound,
}

impl Settings {
    /// Checks every name against AWS's limits, so `up` fails before its first call.
    pub fn validate(&self) -> Result<()> {
        check_agent_name("agent name", &self.name)?;
        check_agent_name("alias name", &self.alias_name)?;
        check_agent_name("action group name", &self.action_group_name)?;
        let names = self.names();
        if self.platform == Platform::Agentcore {
            if self.name.contains('_') {
                return Err(Error::InvalidSetting {
                    what: "agent name",
                    value: self.name.clone(),
                    rule: "on AgentCore it names the gateway: letters, digits and single '-'",
                });
            }
            let harness_ok = names.harness.len() <= 40
                && names.harness.starts_with(|c: char| c.is_ascii_alphabetic())
                && names
                    .harness
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !harness_ok {
                return Err(Error::InvalidSetting {
                    what: "agent name",
                    value: self.name.clone(),
                    rule: "the harness name derived from it ('-' becomes '_') must start with a letter and fit 40 characters",
                });
            }
            if self.action_group_name.contains('_') {
                return Err(Error::InvalidSetting {
                    what: "action group name",
                    value: self.action_group_name.clone(),
                    rule:
                        "on AgentCore it names the gateway target: letters, digits and single '-'",
                });
            }
            if [
                &names.interceptor_role,
                &names.gateway_role,
                &names.harness_role,
            ]
            .iter()
            .any(|n| n.len() > 64)
            {
                return Err(Error::InvalidSetting {
                    what: "agent name",
                    value: self.name.clone(),
                    rule: "the role names derived from it must fit IAM's 64 characters",
                });
            }
        }
        if names.agent_role.len() > 64 || names.lambda_role.len() > 64 {
            return Err(Error::InvalidSetting {
                what: "agent name",
                value: self.name.clone(),
                rule: "the role names derived from it must fit IAM's 64 characters: use at most 28 characters",
            });
        }
        if names.function.len() > 64 {
            return Err(Error::InvalidSetting {
                what: "agent name",
                value: self.name.clone(),
                rule: "the Lambda function name derived from it must fit 64 characters",
            });
        }
        let table_ok = (3..=255).contains(&self.table_name.len())
            && self
                .table_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !table_ok {
            return Err(Error::InvalidSetting {
                what: "table name",
                value: self.table_name.clone(),
                rule: "3 to 255 characters among a-z, A-Z, 0-9, '_', '-' and '.'",
            });
        }
        if self.model.id().is_empty() {
            return Err(Error::InvalidSetting {
                what: "model",
                value: String::new(),
                rule: "give a model id or an inference profile id",
            });
        }
        Ok(())
    }

    /// What `up` on AgentCore needs besides the names: an identity provider the gateway
    /// can trust. (`down` and `status` find everything by name and do not need it.)
    pub fn validate_inbound(&self) -> Result<()> {
        if self.inbound == Inbound::Unset {
            return Err(Error::InvalidSetting {
                    what: "inbound authorization",
                    value: "none".to_owned(),
                    rule: "AgentCore needs an identity provider: pass --jwt-discovery-url (with --jwt-audience or --jwt-client-id) or --create-user-pool",
                });
        }
        if let Inbound::Jwt {
            discovery_url,
            audiences,
            clients,
        } = &self.inbound
        {
            if !discovery_url.starts_with("https://")
                || !discovery_url.ends_with("/.well-known/openid-configuration")
            {
                return Err(Error::InvalidSetting {
                    what: "JWT discovery URL",
                    value: discovery_url.clone(),
                    rule: "an https URL ending in /.well-known/openid-configuration",
                });
            }
            if audiences.is_empty() && clients.is_empty() {
                return Err(Error::InvalidSetting {
                        what: "JWT authorizer",
                        value: discovery_url.clone(),
                        rule: "name at least one --jwt-audience or --jwt-client-id, so that tokens issued to other applications are refused",
                    });
            }
        }
        Ok(())
    }

    /// The names of every resource.
    pub fn names(&self) -> Names {
        Names {
            table: self.table_name.clone(),
            lambda_role: format!("{}-lambda", self.name),
            lambda_policy: "table-and-logs".to_owned(),
            function: format!("{}-actions", self.name),
            agent_role: format!("{AGENT_ROLE_PREFIX}{}", self.name),
            agent_policy: "model-access".to_owned(),
            agent: self.name.clone(),
            action_group: self.action_group_name.clone(),
            permission_sid: format!("{}-bedrock-agent", self.name),
            alias: self.alias_name.clone(),
            interceptor_role: format!("{}-interceptor", self.name),
            interceptor_function: format!("{}-interceptor", self.name),
            interceptor_policy: "logs-only".to_owned(),
            gateway_role: format!("{}-gateway", self.name),
            gateway_policy: "invoke-tools".to_owned(),
            gateway: self.name.clone(),
            target: self.action_group_name.clone(),
            harness_role: format!("{}-harness", self.name),
            harness_policy: "model-access".to_owned(),
            harness: self.name.replace('-', "_"),
            user_pool: format!("{}-users", self.name),
            user_pool_client: format!("{}-cli", self.name),
        }
    }
}

/// `([0-9a-zA-Z][_-]?){1,100}`: agent, alias, action group and function names.
fn check_agent_name(what: &'static str, value: &str) -> Result<()> {
    let mut previous_was_separator = true;
    let mut ok = !value.is_empty() && value.len() <= 200;
    let mut groups = 0;
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            previous_was_separator = false;
            groups += 1;
        } else if matches!(c, '_' | '-') && !previous_was_separator {
            previous_was_separator = true;
        } else {
            ok = false;
        }
    }
    if !ok || groups > 100 {
        return Err(Error::InvalidSetting {
            what,
            value: value.to_owned(),
            rule: "letters and digits, each optionally followed by one '_' or '-' (at most 100)",
        });
    }
    Ok(())
}

/// The names of the resources `up` manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// DynamoDB table.
    pub table: String,
    /// The Lambda's execution role.
    pub lambda_role: String,
    /// Its inline policy.
    pub lambda_policy: String,
    /// The Lambda function.
    pub function: String,
    /// The agent's service role.
    pub agent_role: String,
    /// Its inline policy.
    pub agent_policy: String,
    /// The agent.
    pub agent: String,
    /// The action group.
    pub action_group: String,
    /// The statement id of the Lambda permission for Bedrock.
    pub permission_sid: String,
    /// The alias.
    pub alias: String,
    /// AgentCore: the interceptor Lambda's role (logs only, no table).
    pub interceptor_role: String,
    /// AgentCore: the interceptor Lambda.
    pub interceptor_function: String,
    /// AgentCore: the interceptor role's inline policy.
    pub interceptor_policy: String,
    /// AgentCore: the gateway's service role.
    pub gateway_role: String,
    /// AgentCore: its inline policy (invoke the two functions).
    pub gateway_policy: String,
    /// AgentCore: the gateway.
    pub gateway: String,
    /// AgentCore: the gateway's Lambda target (the tools' name prefix).
    pub target: String,
    /// AgentCore: the harness's execution role.
    pub harness_role: String,
    /// AgentCore: its inline policy.
    pub harness_policy: String,
    /// AgentCore: the harness (no hyphens).
    pub harness: String,
    /// AgentCore, `--create-user-pool`: the Cognito user pool.
    pub user_pool: String,
    /// AgentCore, `--create-user-pool`: its app client (the CLI signs in with it).
    pub user_pool_client: String,
}

/// Geographic prefixes of cross-region inference profile ids.
const PROFILE_PREFIXES: &[&str] = &[
    "us-gov.", "us.", "eu.", "apac.", "ca.", "jp.", "au.", "global.",
];

/// A model id (`amazon.nova-micro-v1:0`) or an inference profile id
/// (`us.amazon.nova-micro-v1:0`), as `CreateAgent`'s `foundationModel` accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model(String);

impl Model {
    /// Wraps an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as given (what the agent's `foundationModel` is set to).
    pub fn id(&self) -> &str {
        &self.0
    }

    /// The foundation model behind it: the id without a profile's geographic prefix.
    pub fn foundation_model(&self) -> &str {
        PROFILE_PREFIXES
            .iter()
            .find_map(|p| self.0.strip_prefix(p))
            .unwrap_or(&self.0)
    }

    /// Whether it is a cross-region inference profile.
    pub fn is_inference_profile(&self) -> bool {
        self.foundation_model() != self.0
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn settings() -> Settings {
        Settings {
            name: "hr-assistant".into(),
            region: "us-east-1".into(),
            model: Model::new(DEFAULT_MODEL),
            table_name: "hr-vacations".into(),
            deletion_protection: None,
            lambda_zip: "target/lambda/bootstrap.zip".into(),
            confirmation: true,
            alias_name: "live".into(),
            action_group_name: "vacations".into(),
            platform: Platform::Classic,
            inbound: Inbound::Unset,
        }
    }

    #[test]
    fn agentcore_needs_an_identity_provider_and_a_harness_name_without_hyphens() {
        let mut s = settings();
        s.platform = Platform::Agentcore;
        s.validate().unwrap();
        assert!(matches!(
            s.validate_inbound(),
            Err(Error::InvalidSetting {
                what: "inbound authorization",
                ..
            })
        ));
        s.inbound = Inbound::UserPool;
        s.validate_inbound().unwrap();
        assert_eq!(s.names().harness, "hr_assistant");
        s.inbound = Inbound::Jwt {
            discovery_url: "https://idp.example.com/.well-known/openid-configuration".into(),
            audiences: vec![],
            clients: vec![],
        };
        assert!(s.validate_inbound().is_err(), "no audience and no client");
        s.inbound = Inbound::Jwt {
            discovery_url: "http://idp.example.com/.well-known/openid-configuration".into(),
            audiences: vec!["a".into()],
            clients: vec![],
        };
        assert!(s.validate_inbound().is_err(), "plain http");
        s.inbound = Inbound::UserPool;
        s.name = "9lives".into();
        assert!(
            s.validate().is_err(),
            "a harness name must start with a letter"
        );
        s.name = "hr_assistant".into();
        assert!(s.validate().is_err(), "a gateway name has no '_'");
    }

    #[test]
    fn the_default_settings_are_valid() {
        settings().validate().unwrap();
    }

    #[test]
    fn the_agent_role_carries_the_prefix_aws_expects() {
        assert_eq!(
            settings().names().agent_role,
            "AmazonBedrockExecutionRoleForAgents_hr-assistant"
        );
    }

    #[test]
    fn a_name_too_long_for_the_role_is_rejected() {
        let mut s = settings();
        s.name = "a".repeat(29);
        assert!(matches!(s.validate(), Err(Error::InvalidSetting { .. })));
        s.name = "a".repeat(28);
        s.validate().unwrap();
    }

    #[test]
    fn names_with_doubled_separators_or_odd_characters_are_rejected() {
        for bad in ["", "-lead", "a--b", "a b", "a.b", "é"] {
            assert!(check_agent_name("agent name", bad).is_err(), "{bad}");
        }
        for good in ["a", "a-b_c", "a-", "HR2"] {
            check_agent_name("agent name", good).unwrap();
        }
    }

    #[test]
    fn a_profile_id_names_its_foundation_model() {
        let m = Model::new("us.amazon.nova-micro-v1:0");
        assert!(m.is_inference_profile());
        assert_eq!(m.foundation_model(), "amazon.nova-micro-v1:0");
        let plain = Model::new("anthropic.claude-3-haiku-20240307-v1:0");
        assert!(!plain.is_inference_profile());
        assert_eq!(plain.foundation_model(), plain.id());
    }
}
