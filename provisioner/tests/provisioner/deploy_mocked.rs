//! `up`, `down` and `status` against mocked AWS clients (aws-smithy-mocks): the order of
//! calls across services, waiting on each status, the IAM propagation retry, and that a
//! second `up` over a complete deployment writes nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_bedrockagent::operation::create_agent::{CreateAgentError, CreateAgentOutput};
use aws_sdk_bedrockagent::operation::create_agent_action_group::CreateAgentActionGroupOutput;
use aws_sdk_bedrockagent::operation::create_agent_alias::CreateAgentAliasOutput;
use aws_sdk_bedrockagent::operation::delete_agent::DeleteAgentOutput;
use aws_sdk_bedrockagent::operation::delete_agent_action_group::DeleteAgentActionGroupOutput;
use aws_sdk_bedrockagent::operation::delete_agent_alias::DeleteAgentAliasOutput;
use aws_sdk_bedrockagent::operation::get_agent::{GetAgentError, GetAgentOutput};
use aws_sdk_bedrockagent::operation::get_agent_action_group::GetAgentActionGroupOutput;
use aws_sdk_bedrockagent::operation::get_agent_alias::{GetAgentAliasError, GetAgentAliasOutput};
use aws_sdk_bedrockagent::operation::list_agent_action_groups::ListAgentActionGroupsOutput;
use aws_sdk_bedrockagent::operation::list_agent_aliases::ListAgentAliasesOutput;
use aws_sdk_bedrockagent::operation::list_agent_versions::ListAgentVersionsOutput;
use aws_sdk_bedrockagent::operation::list_agents::ListAgentsOutput;
use aws_sdk_bedrockagent::operation::prepare_agent::PrepareAgentOutput;
use aws_sdk_bedrockagent::operation::update_agent::UpdateAgentOutput;
use aws_sdk_bedrockagent::operation::update_agent_action_group::UpdateAgentActionGroupOutput;
use aws_sdk_bedrockagent::types::{
    ActionGroupExecutor, ActionGroupState, ActionGroupSummary, Agent, AgentActionGroup, AgentAlias,
    AgentAliasRoutingConfigurationListItem, AgentAliasStatus, AgentAliasSummary, AgentStatus,
    AgentSummary, AgentVersionSummary,
};
use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupOutput;
use aws_sdk_cloudwatchlogs::operation::delete_log_group::{
    DeleteLogGroupError, DeleteLogGroupOutput,
};
use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyOutput;
use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_dynamodb::operation::create_table::CreateTableOutput;
use aws_sdk_dynamodb::operation::delete_table::DeleteTableOutput;
use aws_sdk_dynamodb::operation::describe_continuous_backups::DescribeContinuousBackupsOutput;
use aws_sdk_dynamodb::operation::describe_table::{DescribeTableError, DescribeTableOutput};
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::operation::update_continuous_backups::{
    UpdateContinuousBackupsError, UpdateContinuousBackupsOutput,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, ContinuousBackupsDescription, ContinuousBackupsStatus, KeySchemaElement,
    KeyType, PointInTimeRecoveryDescription, PointInTimeRecoveryStatus, ScalarAttributeType,
    TableDescription, TableStatus,
};
use aws_sdk_iam::operation::create_role::CreateRoleOutput;
use aws_sdk_iam::operation::delete_role::DeleteRoleOutput;
use aws_sdk_iam::operation::delete_role_policy::DeleteRolePolicyOutput;
use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
use aws_sdk_iam::operation::get_role_policy::GetRolePolicyOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
use aws_sdk_iam::operation::put_role_policy::PutRolePolicyOutput;
use aws_sdk_iam::types::Role;
use aws_sdk_lambda::operation::add_permission::AddPermissionOutput;
use aws_sdk_lambda::operation::create_function::{CreateFunctionError, CreateFunctionOutput};
use aws_sdk_lambda::operation::delete_function::DeleteFunctionOutput;
use aws_sdk_lambda::operation::get_function_configuration::{
    GetFunctionConfigurationError, GetFunctionConfigurationOutput,
};
use aws_sdk_lambda::operation::get_policy::{GetPolicyError, GetPolicyOutput};
use aws_sdk_lambda::operation::remove_permission::RemovePermissionOutput;
use aws_sdk_lambda::types::{
    Architecture, EnvironmentResponse, LastUpdateStatus, LogFormat, LoggingConfig, Runtime, State,
};
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use aws_smithy_types::DateTime;
use provisioner::config::{
    Inbound, Model, Platform, Settings, DESCRIPTION, IDLE_SESSION_TTL_SECONDS, INSTRUCTION,
};
use provisioner::deploy::{Deployer, LambdaPackage, Pacings};
use provisioner::policy::{self, Account};
use provisioner::progress::Progress;
use provisioner::wait::Pacing;
use provisioner::{schema, Clients, Error};

use crate::support::Calls;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const AGENT_ID: &str = "AGENT00001";
const ALIAS_ID: &str = "ALIAS00001";
const GROUP_ID: &str = "GROUP00001";

/// Lambda's words while a new role cannot be assumed yet.
const ROLE_NOT_ASSUMABLE: &str = "The role defined for the function cannot be assumed by Lambda.";
/// Bedrock's words while the agent role's new policy propagates (reported on
/// hashicorp/terraform-provider-aws#42847).
const PROFILE_NOT_YET_ALLOWED: &str =
    "Access denied when calling Bedrock. Ensure Agent role has valid permissions to use the inference profile.";
/// The caller itself lacking the permission: not a propagation delay.
const CALLER_NOT_ALLOWED: &str =
    "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: bedrock:CreateAgent";

/// The error metadata the SDK fills from the wire (code and message), which a modeled
/// error built in a test does not have by itself.
fn wire_meta(code: &str, message: &str) -> aws_smithy_types::error::ErrorMetadata {
    aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .message(message)
        .build()
}

/// Rules per service.
#[derive(Default)]
struct Mocks {
    sts: Vec<Rule>,
    iam: Vec<Rule>,
    lambda: Vec<Rule>,
    dynamodb: Vec<Rule>,
    agent: Vec<Rule>,
    logs: Vec<Rule>,
}

impl Mocks {
    fn clients(&self, calls: &Calls) -> Clients {
        let c = calls.clone();
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, &self.sts, |b| b
            .interceptor(c.clone()));
        let c = calls.clone();
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, &self.iam, |b| b
            .interceptor(c.clone()));
        let c = calls.clone();
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &self.lambda, |b| b
            .interceptor(c.clone()));
        let c = calls.clone();
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &self.dynamodb, |b| b
            .interceptor(c.clone()));
        let c = calls.clone();
        let agent = mock_client!(aws_sdk_bedrockagent, RuleMode::MatchAny, &self.agent, |b| b
            .interceptor(c.clone()));
        let c = calls.clone();
        let logs = mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::MatchAny,
            &self.logs,
            |b| b.interceptor(c.clone())
        );
        Clients {
            sts,
            iam,
            lambda,
            dynamodb,
            agent,
            runtime: mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, &[]),
            agentcore: mock_client!(aws_sdk_bedrockagentcorecontrol, RuleMode::MatchAny, &[]),
            harness: mock_client!(aws_sdk_bedrockagentcore, RuleMode::MatchAny, &[]),
            cognito: mock_client!(aws_sdk_cognitoidentityprovider, RuleMode::MatchAny, &[]),
            logs,
        }
    }
}

// --- fixtures -------------------------------------------------------------------------

struct Fixture {
    _dir: tempfile::TempDir,
    settings: Settings,
    package: LambdaPackage,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("bootstrap.zip");
    std::fs::write(&zip, b"PK\x05\x06 not really a zip, but bytes with a hash").unwrap();
    let package = LambdaPackage::read(&zip).unwrap();
    let settings = Settings {
        name: "hr-assistant".into(),
        region: REGION.into(),
        model: Model::new("us.amazon.nova-micro-v1:0"),
        table_name: "hr-vacations".into(),
        deletion_protection: None,
        lambda_zip: zip,
        confirmation: true,
        alias_name: "live".into(),
        action_group_name: "vacations".into(),
        platform: Platform::Classic,
        inbound: Inbound::Unset,
    };
    Fixture {
        _dir: dir,
        settings,
        package,
    }
}

fn account() -> Account {
    Account {
        partition: "aws".into(),
        region: REGION.into(),
        id: ACCOUNT.into(),
    }
}

fn fast() -> Pacings {
    let p = Pacing {
        first: Duration::from_millis(10),
        max: Duration::from_millis(100),
        timeout: Duration::from_secs(30),
    };
    Pacings {
        status: p,
        iam: p,
        backups: p,
    }
}

fn deployer(mocks: &Mocks, calls: &Calls, f: &Fixture) -> Deployer {
    Deployer::new(mocks.clients(calls), f.settings.clone())
        .unwrap()
        .with_pacing(fast())
}

fn t(secs: i64) -> DateTime {
    DateTime::from_secs(1_800_000_000 + secs)
}

fn sts_rules() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .account(ACCOUNT)
                .arn(format!("arn:aws:iam::{ACCOUNT}:user/dev"))
                .build()
        }),
    ]
}

fn table(status: TableStatus) -> TableDescription {
    TableDescription::builder()
        .table_name("hr-vacations")
        .table_status(status)
        .deletion_protection_enabled(false)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("SK")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("SK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .build()
}

fn pitr(on: bool) -> DescribeContinuousBackupsOutput {
    let status = if on {
        PointInTimeRecoveryStatus::Enabled
    } else {
        PointInTimeRecoveryStatus::Disabled
    };
    DescribeContinuousBackupsOutput::builder()
        .continuous_backups_description(
            ContinuousBackupsDescription::builder()
                .continuous_backups_status(ContinuousBackupsStatus::Enabled)
                .point_in_time_recovery_description(
                    PointInTimeRecoveryDescription::builder()
                        .point_in_time_recovery_status(status)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .build()
}

fn role(name: &str, trust: &serde_json::Value) -> Role {
    // IAM returns documents URL-encoded.
    let encoded: String = percent_encode(&trust.to_string());
    Role::builder()
        .path("/")
        .role_name(name)
        .role_id("AROAEXAMPLE")
        .arn(account().role_arn(name))
        .create_date(t(0))
        .assume_role_policy_document(encoded)
        .build()
        .unwrap()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn function(f: &Fixture, state: State, update: LastUpdateStatus) -> GetFunctionConfigurationOutput {
    let names = f.settings.names();
    GetFunctionConfigurationOutput::builder()
        .function_name(&names.function)
        .function_arn(format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
            names.function
        ))
        .runtime(Runtime::Providedal2023)
        .role(account().role_arn(&names.lambda_role))
        .handler("bootstrap")
        .timeout(30)
        .memory_size(256)
        .code_sha256(&f.package.sha256)
        .environment(
            EnvironmentResponse::builder()
                .variables("TABLE_NAME", "hr-vacations")
                .build(),
        )
        .architectures(Architecture::X8664)
        .logging_config(LoggingConfig::builder().log_format(LogFormat::Json).build())
        .state(state)
        .last_update_status(update)
        .build()
}

fn agent(f: &Fixture, status: AgentStatus, prepared_at: Option<DateTime>) -> Agent {
    let names = f.settings.names();
    Agent::builder()
        .agent_id(AGENT_ID)
        .agent_name(&names.agent)
        .agent_arn(account().agent_arn(AGENT_ID))
        .agent_version("DRAFT")
        .agent_status(status)
        .instruction(INSTRUCTION)
        .description(DESCRIPTION)
        .foundation_model("us.amazon.nova-micro-v1:0")
        .idle_session_ttl_in_seconds(IDLE_SESSION_TTL_SECONDS)
        .agent_resource_role_arn(account().role_arn(&names.agent_role))
        .created_at(t(0))
        .updated_at(t(1))
        .set_prepared_at(prepared_at)
        .build()
        .unwrap()
}

fn agent_summary(status: AgentStatus) -> AgentSummary {
    AgentSummary::builder()
        .agent_id(AGENT_ID)
        .agent_name("hr-assistant")
        .agent_status(status)
        .updated_at(t(1))
        .build()
        .unwrap()
}

fn group_summary() -> ActionGroupSummary {
    ActionGroupSummary::builder()
        .action_group_id(GROUP_ID)
        .action_group_name("vacations")
        .action_group_state(ActionGroupState::Enabled)
        .updated_at(t(1))
        .build()
        .unwrap()
}

fn group(f: &Fixture) -> AgentActionGroup {
    let names = f.settings.names();
    AgentActionGroup::builder()
        .agent_id(AGENT_ID)
        .agent_version("DRAFT")
        .action_group_id(GROUP_ID)
        .action_group_name("vacations")
        .created_at(t(1))
        .updated_at(t(1))
        .action_group_state(ActionGroupState::Enabled)
        .action_group_executor(ActionGroupExecutor::Lambda(format!(
            "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}",
            names.function
        )))
        .function_schema(schema::catalogue_schema(true).unwrap())
        .build()
        .unwrap()
}

fn alias(status: AgentAliasStatus, version: &str) -> AgentAlias {
    AgentAlias::builder()
        .agent_id(AGENT_ID)
        .agent_alias_id(ALIAS_ID)
        .agent_alias_name("live")
        .agent_alias_arn(format!(
            "arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/{AGENT_ID}/{ALIAS_ID}"
        ))
        .routing_configuration(
            AgentAliasRoutingConfigurationListItem::builder()
                .agent_version(version)
                .build(),
        )
        .created_at(t(3))
        .updated_at(t(3))
        .agent_alias_status(status)
        .build()
        .unwrap()
}

fn alias_summary(id: &str, name: &str) -> AgentAliasSummary {
    AgentAliasSummary::builder()
        .agent_alias_id(id)
        .agent_alias_name(name)
        .agent_alias_status(AgentAliasStatus::Prepared)
        .created_at(t(3))
        .updated_at(t(3))
        .build()
        .unwrap()
}

fn permission_policy(f: &Fixture) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": f.settings.names().permission_sid,
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hr-assistant-actions",
            "Condition": {
                "ArnLike": {"AWS:SourceArn": account().agent_arn(AGENT_ID)},
                "StringEquals": {"AWS:SourceAccount": ACCOUNT}
            }
        }]
    })
    .to_string()
}

// --- a fresh account ------------------------------------------------------------------

fn fresh_account(f: &Fixture) -> Mocks {
    let names = f.settings.names();
    let f_active = function(f, State::Active, LastUpdateStatus::Successful);
    let f_pending = function(f, State::Pending, LastUpdateStatus::Successful);
    let a_creating = agent(f, AgentStatus::Creating, None);
    let a_not_prepared = agent(f, AgentStatus::NotPrepared, None);
    let a_preparing = agent(f, AgentStatus::Preparing, None);
    let a_prepared = agent(f, AgentStatus::Prepared, Some(t(2)));
    let g = group(f);
    let lambda_role = role(&names.lambda_role, &policy::lambda_trust());
    let agent_role = role(&names.agent_role, &policy::agent_trust(&account()));
    Mocks {
        logs: logs_absent(),
        sts: sts_rules(),
        dynamodb: vec![
            mock!(aws_sdk_dynamodb::Client::describe_table)
                .sequence()
                .error(|| {
                    DescribeTableError::ResourceNotFoundException(
                        aws_sdk_dynamodb::types::error::ResourceNotFoundException::builder()
                            .build(),
                    )
                })
                .times(2)
                .output(|| {
                    DescribeTableOutput::builder()
                        .table(table(TableStatus::Creating))
                        .build()
                })
                .output(|| {
                    DescribeTableOutput::builder()
                        .table(table(TableStatus::Active))
                        .build()
                })
                .build(),
            mock!(aws_sdk_dynamodb::Client::create_table)
                .then_output(|| CreateTableOutput::builder().build()),
            mock!(aws_sdk_dynamodb::Client::update_continuous_backups)
                .match_requests(|r| {
                    r.point_in_time_recovery_specification()
                        .is_some_and(|s| s.point_in_time_recovery_enabled())
                })
                .then_output(|| UpdateContinuousBackupsOutput::builder().build()),
        ],
        iam: vec![
            mock!(aws_sdk_iam::Client::get_role).then_error(|| {
                GetRoleError::NoSuchEntityException(
                    aws_sdk_iam::types::error::NoSuchEntityException::builder().build(),
                )
            }),
            {
                let (l, a) = (lambda_role.clone(), agent_role.clone());
                mock!(aws_sdk_iam::Client::create_role).then_compute_output(move |r| {
                    let role = if r.role_name() == Some(l.role_name()) {
                        l.clone()
                    } else {
                        a.clone()
                    };
                    CreateRoleOutput::builder().role(role).build()
                })
            },
            mock!(aws_sdk_iam::Client::put_role_policy)
                .then_output(|| PutRolePolicyOutput::builder().build()),
        ],
        lambda: vec![
            mock!(aws_sdk_lambda::Client::get_function_configuration)
                .sequence()
                .error(|| {
                    GetFunctionConfigurationError::ResourceNotFoundException(
                        aws_sdk_lambda::types::error::ResourceNotFoundException::builder().build(),
                    )
                })
                .output(move || f_pending.clone())
                .output(move || f_active.clone())
                .build(),
            mock!(aws_sdk_lambda::Client::create_function)
                .sequence()
                .error(|| {
                    CreateFunctionError::InvalidParameterValueException(
                        aws_sdk_lambda::types::error::InvalidParameterValueException::builder()
                            .message(ROLE_NOT_ASSUMABLE)
                            .meta(wire_meta(
                                "InvalidParameterValueException",
                                ROLE_NOT_ASSUMABLE,
                            ))
                            .build(),
                    )
                })
                .times(2)
                .output(|| {
                    CreateFunctionOutput::builder()
                        .function_arn(
                            "arn:aws:lambda:us-east-1:123456789012:function:hr-assistant-actions",
                        )
                        .build()
                })
                .build(),
            mock!(aws_sdk_lambda::Client::get_policy).then_error(|| {
                GetPolicyError::ResourceNotFoundException(
                    aws_sdk_lambda::types::error::ResourceNotFoundException::builder().build(),
                )
            }),
            mock!(aws_sdk_lambda::Client::add_permission)
                .match_requests(|r| {
                    r.principal() == Some("bedrock.amazonaws.com")
                        && r.source_arn()
                            == Some("arn:aws:bedrock:us-east-1:123456789012:agent/AGENT00001")
                        && r.source_account() == Some(ACCOUNT)
                })
                .then_output(|| AddPermissionOutput::builder().build()),
        ],
        agent: vec![
            mock!(aws_sdk_bedrockagent::Client::list_agents).then_output(|| {
                ListAgentsOutput::builder()
                    .set_agent_summaries(Some(vec![]))
                    .build()
                    .unwrap()
            }),
            {
                let a = a_creating.clone();
                mock!(aws_sdk_bedrockagent::Client::create_agent)
                    .sequence()
                    .error(|| {
                        CreateAgentError::AccessDeniedException(
                            aws_sdk_bedrockagent::types::error::AccessDeniedException::builder()
                                .message(PROFILE_NOT_YET_ALLOWED)
                                .meta(wire_meta("AccessDeniedException", PROFILE_NOT_YET_ALLOWED))
                                .build(),
                        )
                    })
                    .output(move || CreateAgentOutput::builder().agent(a.clone()).build())
                    .build()
            },
            mock!(aws_sdk_bedrockagent::Client::get_agent)
                .sequence()
                .output(move || GetAgentOutput::builder().agent(a_creating.clone()).build())
                .output(move || {
                    GetAgentOutput::builder()
                        .agent(a_not_prepared.clone())
                        .build()
                })
                .times(2)
                .output(move || GetAgentOutput::builder().agent(a_preparing.clone()).build())
                .output(move || GetAgentOutput::builder().agent(a_prepared.clone()).build())
                .build(),
            mock!(aws_sdk_bedrockagent::Client::list_agent_action_groups)
                .sequence()
                .output(|| {
                    ListAgentActionGroupsOutput::builder()
                        .set_action_group_summaries(Some(vec![]))
                        .build()
                        .unwrap()
                })
                .output(|| {
                    ListAgentActionGroupsOutput::builder()
                        .action_group_summaries(group_summary())
                        .build()
                        .unwrap()
                })
                .build(),
            mock!(aws_sdk_bedrockagent::Client::create_agent_action_group)
                .match_requests(|r| {
                    r.agent_version() == Some("DRAFT")
                        && r.function_schema() == Some(&schema::catalogue_schema(true).unwrap())
                })
                .then_output(move || {
                    CreateAgentActionGroupOutput::builder()
                        .agent_action_group(g.clone())
                        .build()
                }),
            mock!(aws_sdk_bedrockagent::Client::list_agent_versions).then_output(|| {
                ListAgentVersionsOutput::builder()
                    .set_agent_version_summaries(Some(vec![]))
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagent::Client::prepare_agent).then_output(|| {
                PrepareAgentOutput::builder()
                    .agent_id(AGENT_ID)
                    .agent_status(AgentStatus::Preparing)
                    .agent_version("DRAFT")
                    .prepared_at(t(2))
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagent::Client::list_agent_aliases).then_output(|| {
                ListAgentAliasesOutput::builder()
                    .agent_alias_summaries(alias_summary("TSTALIASID", "AgentTestAlias"))
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagent::Client::create_agent_alias)
                .match_requests(|r| r.routing_configuration().is_empty())
                .then_output(|| {
                    CreateAgentAliasOutput::builder()
                        .agent_alias(alias(AgentAliasStatus::Creating, "1"))
                        .build()
                }),
            mock!(aws_sdk_bedrockagent::Client::get_agent_alias)
                .sequence()
                .output(|| {
                    GetAgentAliasOutput::builder()
                        .agent_alias(alias(AgentAliasStatus::Creating, "1"))
                        .build()
                })
                .output(|| {
                    GetAgentAliasOutput::builder()
                        .agent_alias(alias(AgentAliasStatus::Prepared, "1"))
                        .build()
                })
                .build(),
        ],
    }
}

/// On a fresh account, `up` makes every resource in the order, waits on each
/// status, retries the calls refused while IAM propagates, and returns every output.
#[tokio::test]
async fn up_on_a_fresh_account_creates_everything_in_order() {
    let f = fixture();
    let calls = Calls::default();
    let mocks = fresh_account(&f);
    let outputs = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();

    let expected = [
        "GetCallerIdentity",
        // 1. table: created, waited for (CREATING → ACTIVE), point-in-time recovery on
        "DescribeTable",
        "DescribeTable",
        "CreateTable",
        "DescribeTable",
        "DescribeTable",
        "UpdateContinuousBackups",
        // 2. the Lambda's role
        "GetRole",
        "CreateRole",
        "PutRolePolicy",
        // the function's log group, with its retention (made before the function: its
        // role may no longer create it)
        "DescribeLogGroups",
        "CreateLogGroup",
        "PutRetentionPolicy",
        // 3. the function: two refusals while the role propagates, then Pending → Active
        "GetFunctionConfiguration",
        "CreateFunction",
        "CreateFunction",
        "CreateFunction",
        "GetFunctionConfiguration",
        "GetFunctionConfiguration",
        // the agent as it is (none yet), read before its role: a model change widens
        // the role first
        "ListAgents",
        // 4. the agent's role
        "GetRole",
        "CreateRole",
        "PutRolePolicy",
        // 5. the agent: one refusal while its role propagates, then CREATING → NOT_PREPARED
        "CreateAgent",
        "CreateAgent",
        "GetAgent",
        "GetAgent",
        // 6. the action group
        "ListAgentActionGroups",
        "CreateAgentActionGroup",
        // 7. the Lambda permission
        "GetPolicy",
        "AddPermission",
        // 8. prepare: settled first, then PREPARING → PREPARED
        "GetAgent",
        "ListAgentActionGroups",
        "ListAgentVersions",
        "PrepareAgent",
        "GetAgent",
        "GetAgent",
        // 9. the alias: CREATING → PREPARED
        "ListAgentAliases",
        "CreateAgentAlias",
        "GetAgentAlias",
        "GetAgentAlias",
    ];
    assert_eq!(calls.list(), expected);
    assert_eq!(outputs.agent_id, AGENT_ID);
    assert_eq!(outputs.alias_id, ALIAS_ID);
    assert_eq!(outputs.agent_version, "1");
    assert_eq!(outputs.action_group_id, GROUP_ID);
    assert_eq!(outputs.account, ACCOUNT);
    assert_eq!(
        outputs.function_arn,
        "arn:aws:lambda:us-east-1:123456789012:function:hr-assistant-actions"
    );
    assert_eq!(
        outputs.agent_role_arn,
        account().role_arn("AmazonBedrockExecutionRoleForAgents_hr-assistant")
    );
}

// --- a complete deployment ------------------------------------------------------------

fn complete_deployment(f: &Fixture) -> Mocks {
    let names = f.settings.names();
    let lambda_role = role(&names.lambda_role, &policy::lambda_trust());
    let agent_role = role(&names.agent_role, &policy::agent_trust(&account()));
    let lambda_policy = policy::lambda_permissions(&account(), &names).to_string();
    let agent_policy = policy::agent_permissions(&account(), &f.settings.model).to_string();
    let f_active = function(f, State::Active, LastUpdateStatus::Successful);
    let prepared = agent(f, AgentStatus::Prepared, Some(t(2)));
    let g = group(f);
    let permission = permission_policy(f);
    Mocks {
        logs: logs_present(Some(30)),
        sts: sts_rules(),
        dynamodb: vec![
            mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
                DescribeTableOutput::builder()
                    .table(table(TableStatus::Active))
                    .build()
            }),
            mock!(aws_sdk_dynamodb::Client::describe_continuous_backups).then_output(|| pitr(true)),
        ],
        iam: vec![
            {
                let (l, a) = (lambda_role, agent_role);
                mock!(aws_sdk_iam::Client::get_role).then_compute_output(move |r| {
                    let role = if r.role_name() == Some(l.role_name()) {
                        l.clone()
                    } else {
                        a.clone()
                    };
                    GetRoleOutput::builder().role(role).build()
                })
            },
            {
                let lambda_role_name = names.lambda_role.clone();
                mock!(aws_sdk_iam::Client::get_role_policy).then_compute_output(move |r| {
                    let doc = if r.role_name() == Some(lambda_role_name.as_str()) {
                        &lambda_policy
                    } else {
                        &agent_policy
                    };
                    GetRolePolicyOutput::builder()
                        .role_name(r.role_name().unwrap_or_default())
                        .policy_name(r.policy_name().unwrap_or_default())
                        .policy_document(percent_encode(doc))
                        .build()
                        .unwrap()
                })
            },
        ],
        lambda: vec![
            mock!(aws_sdk_lambda::Client::get_function_configuration)
                .then_output(move || f_active.clone()),
            mock!(aws_sdk_lambda::Client::get_policy).then_output(move || {
                GetPolicyOutput::builder()
                    .policy(permission.clone())
                    .build()
            }),
        ],
        agent: vec![
            mock!(aws_sdk_bedrockagent::Client::list_agents).then_output(|| {
                ListAgentsOutput::builder()
                    .agent_summaries(agent_summary(AgentStatus::Prepared))
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagent::Client::get_agent)
                .then_output(move || GetAgentOutput::builder().agent(prepared.clone()).build()),
            mock!(aws_sdk_bedrockagent::Client::list_agent_action_groups).then_output(|| {
                ListAgentActionGroupsOutput::builder()
                    .action_group_summaries(group_summary())
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagent::Client::get_agent_action_group).then_output(move || {
                GetAgentActionGroupOutput::builder()
                    .agent_action_group(g.clone())
                    .build()
            }),
            mock!(aws_sdk_bedrockagent::Client::list_agent_aliases).then_output(|| {
                ListAgentAliasesOutput::builder()
                    .agent_alias_summaries(alias_summary("TSTALIASID", "AgentTestAlias"))
                    .agent_alias_summaries(alias_summary(ALIAS_ID, "live"))
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagent::Client::get_agent_alias).then_output(|| {
                GetAgentAliasOutput::builder()
                    .agent_alias(alias(AgentAliasStatus::Prepared, "1"))
                    .build()
            }),
            mock!(aws_sdk_bedrockagent::Client::list_agent_versions).then_output(|| {
                ListAgentVersionsOutput::builder()
                    .agent_version_summaries(
                        AgentVersionSummary::builder()
                            .agent_name("hr-assistant")
                            .agent_status(AgentStatus::Prepared)
                            .agent_version("1")
                            .created_at(t(3))
                            .updated_at(t(3))
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap()
            }),
        ],
    }
}

fn writes(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| {
            [
                "Create", "Put", "Update", "Prepare", "Add", "Remove", "Delete", "Attach",
                "Detach", "Tag",
            ]
            .iter()
            .any(|verb| c.starts_with(verb))
        })
        .cloned()
        .collect()
}

/// Over a complete, current deployment, `up` only reads: no create, update or prepare.
#[tokio::test]
async fn a_second_up_makes_no_create_or_update_call() {
    let f = fixture();
    let calls = Calls::default();
    let mocks = complete_deployment(&f);
    let outputs = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    let list = calls.list();
    assert!(writes(&list).is_empty(), "writes: {:?}", writes(&list));
    let expected = [
        "GetCallerIdentity",
        "DescribeTable",
        "DescribeContinuousBackups",
        "GetRole",
        "GetRolePolicy",
        // the function's log group, found with its retention
        "DescribeLogGroups",
        "GetFunctionConfiguration",
        // the agent, read before its role (its model decides the role's policy)
        "ListAgents",
        "GetAgent",
        "GetRole",
        "GetRolePolicy",
        "ListAgentActionGroups",
        "GetAgentActionGroup",
        "GetPolicy",
        "GetAgent",
        "ListAgentActionGroups",
        "ListAgentVersions",
        "ListAgentAliases",
        "GetAgentAlias",
        "GetAgent",
        "ListAgentVersions",
        "GetAgentAlias",
    ];
    assert_eq!(list, expected);
    assert!(list.contains(&"GetAgentActionGroup".to_owned()), "{list:?}");
    assert_eq!(outputs.alias_id, ALIAS_ID);
    assert_eq!(outputs.agent_version, "1");
}

/// `status` over the same deployment reports every resource and no drift.
#[tokio::test]
async fn status_of_a_current_deployment_shows_no_drift() {
    let f = fixture();
    let calls = Calls::default();
    let mocks = complete_deployment(&f);
    let report = deployer(&mocks, &calls, &f).status().await.unwrap();
    assert!(report.drift.is_empty(), "{:?}", report.drift);
    // Nine rows: the function's log group has its own since `up` makes it.
    assert_eq!(report.rows.len(), 9, "{:?}", report.rows);
    assert!(writes(&calls.list()).is_empty());
}

/// A dry run over a fresh account reads, plans every step, and writes nothing.
#[tokio::test]
async fn a_dry_run_writes_nothing() {
    let f = fixture();
    let calls = Calls::default();
    let mocks = fresh_account(&f);
    let outputs = deployer(&mocks, &calls, &f)
        .dry_run(true)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert!(writes(&calls.list()).is_empty(), "{:?}", calls.list());
    assert!(outputs.agent_id.is_empty());
}

/// A prepare that ends FAILED stops `up` with AWS's reasons.
#[tokio::test]
async fn a_failed_prepare_reports_its_reasons() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    let not_prepared = agent(&f, AgentStatus::NotPrepared, Some(t(2)));
    let preparing = agent(&f, AgentStatus::Preparing, Some(t(2)));
    let mut failed = agent(&f, AgentStatus::Failed, Some(t(2)));
    failed.failure_reasons = Some(vec!["Lambda ARN is invalid".into()]);
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::get_agent)
            .sequence()
            .output(move || {
                GetAgentOutput::builder()
                    .agent(not_prepared.clone())
                    .build()
            })
            .times(2)
            .output(move || GetAgentOutput::builder().agent(preparing.clone()).build())
            .output(move || GetAgentOutput::builder().agent(failed.clone()).build())
            .build(),
    );
    mocks.agent.push(
        mock!(aws_sdk_bedrockagent::Client::prepare_agent).then_output(|| {
            PrepareAgentOutput::builder()
                .agent_id(AGENT_ID)
                .agent_status(AgentStatus::Preparing)
                .agent_version("DRAFT")
                .prepared_at(t(2))
                .build()
                .unwrap()
        }),
    );
    let err = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Failed { .. }), "{err}");
    assert!(err.to_string().contains("Lambda ARN is invalid"), "{err}");
    assert_eq!(calls.count("PrepareAgent"), 1);
}

/// An agent that never leaves PREPARING ends in a timeout naming the last status.
#[tokio::test]
async fn a_status_that_never_settles_times_out() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    let preparing = agent(&f, AgentStatus::Preparing, Some(t(2)));
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::get_agent)
            .then_output(move || GetAgentOutput::builder().agent(preparing.clone()).build()),
    );
    let short = Pacing {
        first: Duration::from_millis(5),
        max: Duration::from_millis(10),
        timeout: Duration::from_millis(100),
    };
    let err = Deployer::new(mocks.clients(&calls), f.settings.clone())
        .unwrap()
        .with_pacing(Pacings {
            status: short,
            iam: short,
            backups: short,
        })
        .up(Progress::Quiet)
        .await
        .unwrap_err();
    match err {
        Error::Timeout { last, .. } => assert_eq!(last, "PREPARING"),
        other => panic!("{other}"),
    }
    assert!(
        writes(&calls.list()).is_empty(),
        "no prepare may start while one runs"
    );
}

/// The caller lacking a permission is not IAM propagation: no retry. (With an agent role
/// this run created, the same words can mean IAM propagating: see
/// `a_new_agent_role_is_waited_for_even_when_bedrock_blames_the_caller`; here the role
/// was there before.)
#[tokio::test]
async fn a_caller_without_permission_is_not_retried() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = fresh_account(&f);
    let names = f.settings.names();
    let agent_role = role(&names.agent_role, &policy::agent_trust(&account()));
    let agent_policy = policy::agent_permissions(&account(), &f.settings.model).to_string();
    let agent_role_name = names.agent_role.clone();
    mocks.iam.insert(
        0,
        mock!(aws_sdk_iam::Client::get_role)
            .match_requests(move |r| r.role_name() == Some(agent_role_name.as_str()))
            .then_output(move || GetRoleOutput::builder().role(agent_role.clone()).build()),
    );
    mocks.iam.push(
        mock!(aws_sdk_iam::Client::get_role_policy).then_compute_output(move |r| {
            GetRolePolicyOutput::builder()
                .role_name(r.role_name().unwrap_or_default())
                .policy_name(r.policy_name().unwrap_or_default())
                .policy_document(percent_encode(&agent_policy))
                .build()
                .unwrap()
        }),
    );
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::create_agent).then_error(|| {
            CreateAgentError::AccessDeniedException(
                aws_sdk_bedrockagent::types::error::AccessDeniedException::builder()
                    .message(CALLER_NOT_ALLOWED)
                    .meta(wire_meta("AccessDeniedException", CALLER_NOT_ALLOWED))
                    .build(),
            )
        }),
    );
    let err = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap_err();
    assert_eq!(calls.count("CreateAgent"), 1);
    assert!(
        err.to_string()
            .contains("CreateAgent failed: AccessDeniedException"),
        "{err}"
    );
}

// --- down -----------------------------------------------------------------------------

fn teardown_rules(f: &Fixture, mocks: &mut Mocks) {
    let deleting = agent(f, AgentStatus::Deleting, Some(t(2)));
    let g = group(f);
    mocks.agent = vec![
        mock!(aws_sdk_bedrockagent::Client::list_agents).then_output(|| {
            ListAgentsOutput::builder()
                .agent_summaries(agent_summary(AgentStatus::Prepared))
                .build()
                .unwrap()
        }),
        mock!(aws_sdk_bedrockagent::Client::list_agent_aliases).then_output(|| {
            ListAgentAliasesOutput::builder()
                .agent_alias_summaries(alias_summary("TSTALIASID", "AgentTestAlias"))
                .agent_alias_summaries(alias_summary(ALIAS_ID, "live"))
                .build()
                .unwrap()
        }),
        mock!(aws_sdk_bedrockagent::Client::delete_agent_alias)
            .match_requests(|r| r.agent_alias_id() == Some(ALIAS_ID))
            .then_output(|| {
                DeleteAgentAliasOutput::builder()
                    .agent_id(AGENT_ID)
                    .agent_alias_id(ALIAS_ID)
                    .agent_alias_status(AgentAliasStatus::Deleting)
                    .build()
                    .unwrap()
            }),
        mock!(aws_sdk_bedrockagent::Client::get_agent_alias)
            .sequence()
            .output(|| {
                GetAgentAliasOutput::builder()
                    .agent_alias(alias(AgentAliasStatus::Deleting, "1"))
                    .build()
            })
            .error(|| {
                GetAgentAliasError::ResourceNotFoundException(
                    aws_sdk_bedrockagent::types::error::ResourceNotFoundException::builder()
                        .build(),
                )
            })
            .build(),
        mock!(aws_sdk_bedrockagent::Client::list_agent_action_groups).then_output(|| {
            ListAgentActionGroupsOutput::builder()
                .action_group_summaries(group_summary())
                .build()
                .unwrap()
        }),
        mock!(aws_sdk_bedrockagent::Client::get_agent_action_group).then_output(move || {
            GetAgentActionGroupOutput::builder()
                .agent_action_group(g.clone())
                .build()
        }),
        mock!(aws_sdk_bedrockagent::Client::update_agent_action_group)
            .match_requests(|r| r.action_group_state() == Some(&ActionGroupState::Disabled))
            .then_output(|| UpdateAgentActionGroupOutput::builder().build()),
        mock!(aws_sdk_bedrockagent::Client::delete_agent_action_group)
            .then_output(|| DeleteAgentActionGroupOutput::builder().build()),
        mock!(aws_sdk_bedrockagent::Client::delete_agent).then_output(|| {
            DeleteAgentOutput::builder()
                .agent_id(AGENT_ID)
                .agent_status(AgentStatus::Deleting)
                .build()
                .unwrap()
        }),
        mock!(aws_sdk_bedrockagent::Client::get_agent)
            .sequence()
            .output(move || GetAgentOutput::builder().agent(deleting.clone()).build())
            .error(|| {
                GetAgentError::ResourceNotFoundException(
                    aws_sdk_bedrockagent::types::error::ResourceNotFoundException::builder()
                        .build(),
                )
            })
            .build(),
    ];
    mocks.lambda = vec![mock!(aws_sdk_lambda::Client::delete_function)
        .then_output(|| DeleteFunctionOutput::builder().build())];
    mocks.logs = vec![mock!(aws_sdk_cloudwatchlogs::Client::delete_log_group)
        .match_requests(|r| r.log_group_name() == Some("/aws/lambda/hr-assistant-actions"))
        .then_output(|| DeleteLogGroupOutput::builder().build())];
    let names = f.settings.names();
    let (lambda_role, agent_role) = (
        role(&names.lambda_role, &policy::lambda_trust()),
        role(&names.agent_role, &policy::agent_trust(&account())),
    );
    mocks.iam = vec![
        mock!(aws_sdk_iam::Client::get_role).then_compute_output(move |r| {
            let role = if r.role_name() == Some(lambda_role.role_name()) {
                lambda_role.clone()
            } else {
                agent_role.clone()
            };
            GetRoleOutput::builder().role(role).build()
        }),
        mock!(aws_sdk_iam::Client::list_role_policies).then_output(|| {
            ListRolePoliciesOutput::builder()
                .policy_names("the-policy")
                .build()
                .unwrap()
        }),
        mock!(aws_sdk_iam::Client::delete_role_policy)
            .then_output(|| DeleteRolePolicyOutput::builder().build()),
        mock!(aws_sdk_iam::Client::list_attached_role_policies)
            .then_output(|| ListAttachedRolePoliciesOutput::builder().build()),
        mock!(aws_sdk_iam::Client::delete_role).then_output(|| DeleteRoleOutput::builder().build()),
    ];
}

/// `down` removes in the order Bedrock needs: aliases (not the test alias), the action
/// group disabled then deleted, the agent until gone, the Lambda, then the roles; the
/// table stays without --delete-table.
#[tokio::test]
async fn down_removes_in_the_teardown_order() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = Mocks {
        sts: sts_rules(),
        ..Mocks::default()
    };
    teardown_rules(&f, &mut mocks);
    deployer(&mocks, &calls, &f)
        .down(Progress::Quiet, false)
        .await
        .unwrap();
    let expected = [
        "GetCallerIdentity",
        "ListAgents",
        "ListAgentAliases",
        "DeleteAgentAlias",
        "GetAgentAlias",
        "GetAgentAlias",
        "ListAgentActionGroups",
        "GetAgentActionGroup",
        "UpdateAgentActionGroup",
        "DeleteAgentActionGroup",
        "DeleteAgent",
        "GetAgent",
        "GetAgent",
        "DeleteFunction",
        // the function's log group goes with it (up makes it)
        "DeleteLogGroup",
        "GetRole",
        "ListRolePolicies",
        "DeleteRolePolicy",
        "ListAttachedRolePolicies",
        "DeleteRole",
        "GetRole",
        "ListRolePolicies",
        "DeleteRolePolicy",
        "ListAttachedRolePolicies",
        "DeleteRole",
    ];
    assert_eq!(calls.list(), expected);
}

/// `down` over nothing only looks, and succeeds.
#[tokio::test]
async fn a_second_down_is_a_no_op() {
    let f = fixture();
    let calls = Calls::default();
    let mocks = Mocks {
        logs: vec![mock!(aws_sdk_cloudwatchlogs::Client::delete_log_group).then_error(|| {
            DeleteLogGroupError::ResourceNotFoundException(
                aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException::builder().build(),
            )
        })],
        sts: sts_rules(),
        agent: vec![mock!(aws_sdk_bedrockagent::Client::list_agents)
            .then_output(|| ListAgentsOutput::builder().set_agent_summaries(Some(vec![])).build().unwrap())],
        lambda: vec![mock!(aws_sdk_lambda::Client::delete_function).then_error(|| {
            aws_sdk_lambda::operation::delete_function::DeleteFunctionError::ResourceNotFoundException(
                aws_sdk_lambda::types::error::ResourceNotFoundException::builder().build(),
            )
        })],
        iam: vec![mock!(aws_sdk_iam::Client::get_role).then_error(|| {
            GetRoleError::NoSuchEntityException(aws_sdk_iam::types::error::NoSuchEntityException::builder().build())
        })],
        dynamodb: vec![mock!(aws_sdk_dynamodb::Client::describe_table).then_error(|| {
            DescribeTableError::ResourceNotFoundException(aws_sdk_dynamodb::types::error::ResourceNotFoundException::builder().build())
        })],
    };
    deployer(&mocks, &calls, &f)
        .down(Progress::Quiet, true)
        .await
        .unwrap();
    assert_eq!(
        calls.list(),
        [
            "GetCallerIdentity",
            "ListAgents",
            "DeleteFunction",
            // the log group, already gone
            "DeleteLogGroup",
            "DescribeTable",
            "GetRole",
            "GetRole"
        ]
    );
}

/// A protected table is never deleted, and the error says how to proceed.
#[tokio::test]
async fn down_respects_deletion_protection() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = Mocks {
        sts: sts_rules(),
        ..Mocks::default()
    };
    teardown_rules(&f, &mut mocks);
    mocks.dynamodb = vec![
        mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
            let mut protected = table(TableStatus::Active);
            protected.deletion_protection_enabled = Some(true);
            DescribeTableOutput::builder().table(protected).build()
        }),
    ];
    let err = deployer(&mocks, &calls, &f)
        .down(Progress::Quiet, true)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TableProtected { .. }), "{err}");
    assert_eq!(calls.count("DeleteTable"), 0);
    // The refusal does not leave the roles behind.
    assert_eq!(calls.count("DeleteRole"), 2);
}

/// A draft prepared after the alias's version was cut (an interrupted `up`, or a prepare
/// by hand) moves the alias to a new version: `UpdateAgentAlias` without a routing
/// configuration, then waiting until the alias is PREPARED again.
#[tokio::test]
async fn an_alias_behind_the_prepared_draft_moves_to_a_new_version() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    let prepared_later = agent(&f, AgentStatus::Prepared, Some(t(5)));
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::get_agent).then_output(move || {
            GetAgentOutput::builder()
                .agent(prepared_later.clone())
                .build()
        }),
    );
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::get_agent_alias)
            .sequence()
            .output(|| {
                GetAgentAliasOutput::builder()
                    .agent_alias(alias(AgentAliasStatus::Prepared, "1"))
                    .build()
            })
            .times(2)
            .output(|| {
                GetAgentAliasOutput::builder()
                    .agent_alias(alias(AgentAliasStatus::Updating, "2"))
                    .build()
            })
            .output(|| {
                GetAgentAliasOutput::builder()
                    .agent_alias(alias(AgentAliasStatus::Prepared, "2"))
                    .build()
            })
            .build(),
    );
    mocks.agent.push(
        mock!(aws_sdk_bedrockagent::Client::update_agent_alias)
            .match_requests(|r| r.routing_configuration().is_empty() && r.agent_alias_name() == Some("live"))
            .then_output(|| {
                aws_sdk_bedrockagent::operation::update_agent_alias::UpdateAgentAliasOutput::builder()
                    .agent_alias(alias(AgentAliasStatus::Updating, "2"))
                    .build()
            }),
    );
    let outputs = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(writes(&calls.list()), ["UpdateAgentAlias"]);
    assert_eq!(outputs.agent_version, "2");
}

/// If AWS leaves the alias on its old version after the update, `up` stops with a clear
/// error instead of updating it again on every run. (`up` now waits for the alias to
/// move, so this test waits less long than the others before giving up.)
#[tokio::test]
async fn an_alias_that_does_not_move_is_an_error() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    let prepared_later = agent(&f, AgentStatus::Prepared, Some(t(5)));
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::get_agent).then_output(move || {
            GetAgentOutput::builder()
                .agent(prepared_later.clone())
                .build()
        }),
    );
    mocks.agent.push(
        mock!(aws_sdk_bedrockagent::Client::update_agent_alias).then_output(|| {
            aws_sdk_bedrockagent::operation::update_agent_alias::UpdateAgentAliasOutput::builder()
                .agent_alias(alias(AgentAliasStatus::Prepared, "1"))
                .build()
        }),
    );
    let short = Pacing {
        first: Duration::from_millis(5),
        max: Duration::from_millis(20),
        timeout: Duration::from_millis(300),
    };
    let err = Deployer::new(mocks.clients(&calls), f.settings.clone())
        .unwrap()
        .with_pacing(Pacings {
            status: short,
            iam: short,
            backups: short,
        })
        .up(Progress::Quiet)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("still routes to version 1"),
        "{err}"
    );
    assert_eq!(calls.count("UpdateAgentAlias"), 1);
}

// --- CloudWatch Logs ------------------------------------------------------------------

/// The function's log group.
const LOG_GROUP: &str = "/aws/lambda/hr-assistant-actions";

fn log_group(name: &str, retention: Option<i32>) -> LogGroup {
    LogGroup::builder()
        .log_group_name(name)
        .set_retention_in_days(retention)
        .build()
}

/// `DescribeLogGroups` by prefix also finds groups that only start like ours.
fn logs_present(retention: Option<i32>) -> Vec<Rule> {
    vec![
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .match_requests(|r| r.log_group_name_prefix() == Some(LOG_GROUP))
            .then_output(move || {
                DescribeLogGroupsOutput::builder()
                    .log_groups(log_group(LOG_GROUP, retention))
                    .log_groups(log_group(&format!("{LOG_GROUP}-other"), None))
                    .build()
            }),
        mock!(aws_sdk_cloudwatchlogs::Client::put_retention_policy)
            .match_requests(|r| {
                r.log_group_name() == Some(LOG_GROUP) && r.retention_in_days() == Some(30)
            })
            .then_output(|| PutRetentionPolicyOutput::builder().build()),
    ]
}

fn logs_absent() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .match_requests(|r| r.log_group_name_prefix() == Some(LOG_GROUP))
            .then_output(|| {
                DescribeLogGroupsOutput::builder()
                    .log_groups(log_group(&format!("{LOG_GROUP}-other"), None))
                    .build()
            }),
        mock!(aws_sdk_cloudwatchlogs::Client::create_log_group)
            .match_requests(|r| r.log_group_name() == Some(LOG_GROUP))
            .then_output(|| CreateLogGroupOutput::builder().build()),
        mock!(aws_sdk_cloudwatchlogs::Client::put_retention_policy)
            .match_requests(|r| {
                r.log_group_name() == Some(LOG_GROUP) && r.retention_in_days() == Some(30)
            })
            .then_output(|| PutRetentionPolicyOutput::builder().build()),
    ]
}

// --- point-in-time recovery ---------------------------------------------------------

/// Right after `CreateTable`, DynamoDB may refuse point-in-time recovery because the
/// table's continuous backups are still being turned on: `up` asks again for a while.
#[tokio::test]
async fn point_in_time_recovery_is_retried_while_backups_are_being_enabled() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = fresh_account(&f);
    mocks.dynamodb.insert(
        0,
        mock!(aws_sdk_dynamodb::Client::update_continuous_backups)
            .sequence()
            .error(|| {
                UpdateContinuousBackupsError::ContinuousBackupsUnavailableException(
                    aws_sdk_dynamodb::types::error::ContinuousBackupsUnavailableException::builder(
                    )
                    .message("Backups are being enabled for the table")
                    .meta(wire_meta(
                        "ContinuousBackupsUnavailableException",
                        "Backups are being enabled for the table",
                    ))
                    .build(),
                )
            })
            .times(2)
            .build(),
    );
    deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(calls.count("UpdateContinuousBackups"), 3);
}

/// Right after its role is made, `CreateAgent` may be refused as if the caller lacked
/// `bedrock:CreateAgent`: with a role this run created, that is IAM propagating.
#[tokio::test]
async fn a_new_agent_role_is_waited_for_even_when_bedrock_blames_the_caller() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = fresh_account(&f);
    let creating = agent(&f, AgentStatus::Creating, None);
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::create_agent)
            .sequence()
            .error(|| {
                CreateAgentError::AccessDeniedException(
                    aws_sdk_bedrockagent::types::error::AccessDeniedException::builder()
                        .message(CALLER_NOT_ALLOWED)
                        .meta(wire_meta("AccessDeniedException", CALLER_NOT_ALLOWED))
                        .build(),
                )
            })
            .times(2)
            .output(move || CreateAgentOutput::builder().agent(creating.clone()).build())
            .build(),
    );
    deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(calls.count("CreateAgent"), 3);
}

// --- CloudWatch Logs ------------------------------------------------------------------

fn position(calls: &[String], op: &str) -> usize {
    calls
        .iter()
        .position(|c| c == op)
        .unwrap_or_else(|| panic!("no {op} in {calls:?}"))
}

/// `up` makes the function's log group, with a retention, before the function can write
/// to it (the Lambda role may no longer create it).
#[tokio::test]
async fn up_creates_the_function_log_group_with_a_retention() {
    let f = fixture();
    let calls = Calls::default();
    let mocks = fresh_account(&f);
    deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    let list = calls.list();
    for op in ["DescribeLogGroups", "CreateLogGroup", "PutRetentionPolicy"] {
        assert_eq!(calls.count(op), 1, "{op} in {list:?}");
    }
    assert!(position(&list, "CreateLogGroup") < position(&list, "PutRetentionPolicy"));
    assert!(position(&list, "PutRetentionPolicy") < position(&list, "CreateFunction"));
}

/// A log group kept for another period is drift, and `up` only sets the retention.
#[tokio::test]
async fn a_log_group_with_another_retention_is_drift_that_up_repairs() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    mocks.logs = logs_present(Some(7));
    let report = deployer(&mocks, &calls, &f).status().await.unwrap();
    assert!(
        report
            .drift
            .iter()
            .any(|d| d.to_string().contains(LOG_GROUP) && d.to_string().contains("30")),
        "{:?}",
        report.drift
    );
    let calls = Calls::default();
    deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(writes(&calls.list()), ["PutRetentionPolicy"]);
}

/// `down` deletes the log group after the function, and a missing one is no error.
#[tokio::test]
async fn down_deletes_the_function_log_group() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = Mocks {
        sts: sts_rules(),
        ..Mocks::default()
    };
    teardown_rules(&f, &mut mocks);
    deployer(&mocks, &calls, &f)
        .down(Progress::Quiet, false)
        .await
        .unwrap();
    let list = calls.list();
    assert_eq!(calls.count("DeleteLogGroup"), 1, "{list:?}");
    assert!(position(&list, "DeleteFunction") < position(&list, "DeleteLogGroup"));
}

// --- a live agent: Bedrock as a small state machine -----------------------------------

/// What `up` sets as the alias's description (how it recognises its own aliases).
const OUR_ALIAS_DESCRIPTION: &str = "The version `provisioner invoke` talks to.";
/// What `up` sets as the action group's description.
const OUR_GROUP_DESCRIPTION: &str = "Vacation balances, bookings and cancellations.";

/// Bedrock's control plane as state, for the tests where the order of changes matters.
/// `UpdateAgent` changes the DRAFT; `PrepareAgent` stamps a new `preparedAt`, but the
/// first `stale_gets` reads after it still show the agent as it was; `UpdateAgentAlias`
/// cuts a new version, but the first `stale_alias_reads` reads still show the old routing.
#[derive(Clone)]
struct Live(Arc<Mutex<LiveState>>);

struct LiveState {
    agent: Agent,
    before_prepare: Option<Agent>,
    stale_gets: usize,
    stale_gets_after_prepare: usize,
    /// Besides TSTALIASID.
    aliases: Vec<AgentAliasSummary>,
    alias_version: String,
    old_alias_version: String,
    stale_alias_reads: usize,
    stale_alias_reads_after_update: usize,
    versions: Vec<(u32, DateTime)>,
    groups: Vec<(ActionGroupSummary, ActionGroupState)>,
    clock: i64,
    /// Every write, with the id it was for.
    log: Vec<String>,
}

impl Live {
    fn new(f: &Fixture) -> Self {
        let mut live_group = group_summary();
        live_group.description = Some(OUR_GROUP_DESCRIPTION.into());
        Live(Arc::new(Mutex::new(LiveState {
            agent: agent(f, AgentStatus::Prepared, Some(t(2))),
            before_prepare: None,
            stale_gets: 0,
            stale_gets_after_prepare: 0,
            aliases: vec![described_alias(ALIAS_ID, "live", OUR_ALIAS_DESCRIPTION)],
            alias_version: "1".into(),
            old_alias_version: "1".into(),
            stale_alias_reads: 0,
            stale_alias_reads_after_update: 0,
            versions: vec![(1, t(3))],
            groups: vec![(live_group, ActionGroupState::Enabled)],
            clock: 10,
            log: Vec::new(),
        })))
    }

    fn with(self, change: impl FnOnce(&mut LiveState)) -> Self {
        change(&mut self.0.lock().unwrap());
        self
    }

    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().log.clone()
    }

    fn rules(&self, f: &Fixture) -> Vec<Rule> {
        let live_group = group(f);
        let s = self.clone();
        let list_agents =
            mock!(aws_sdk_bedrockagent::Client::list_agents).then_compute_output(move |_| {
                let st = s.0.lock().unwrap();
                ListAgentsOutput::builder()
                    .agent_summaries(agent_summary(st.agent.agent_status.clone()))
                    .build()
                    .unwrap()
            });
        let s = self.clone();
        let get_agent =
            mock!(aws_sdk_bedrockagent::Client::get_agent).then_compute_output(move |_| {
                let mut st = s.0.lock().unwrap();
                let shown = match (&st.before_prepare, st.stale_gets) {
                    (Some(old), n) if n > 0 => {
                        let old = old.clone();
                        st.stale_gets -= 1;
                        old
                    }
                    _ => st.agent.clone(),
                };
                GetAgentOutput::builder().agent(shown).build()
            });
        let s = self.clone();
        let update_agent =
            mock!(aws_sdk_bedrockagent::Client::update_agent).then_compute_output(move |r| {
                let mut st = s.0.lock().unwrap();
                st.clock += 1;
                let now = t(st.clock);
                st.agent.foundation_model = r.foundation_model().map(str::to_owned);
                st.agent.agent_status = AgentStatus::NotPrepared;
                st.agent.updated_at = now;
                st.log.push(format!(
                    "UpdateAgent {}",
                    r.foundation_model().unwrap_or_default()
                ));
                UpdateAgentOutput::builder().agent(st.agent.clone()).build()
            });
        let s = self.clone();
        let prepare =
            mock!(aws_sdk_bedrockagent::Client::prepare_agent).then_compute_output(move |_| {
                let mut st = s.0.lock().unwrap();
                st.clock += 1;
                let now = t(st.clock);
                st.before_prepare = Some(st.agent.clone());
                st.stale_gets = st.stale_gets_after_prepare;
                st.agent.agent_status = AgentStatus::Prepared;
                st.agent.prepared_at = Some(now);
                st.log.push("PrepareAgent".into());
                PrepareAgentOutput::builder()
                    .agent_id(AGENT_ID)
                    .agent_status(AgentStatus::Preparing)
                    .agent_version("DRAFT")
                    .prepared_at(now)
                    .build()
                    .unwrap()
            });
        let s = self.clone();
        let list_groups = mock!(aws_sdk_bedrockagent::Client::list_agent_action_groups)
            .then_compute_output(move |_| {
                let st = s.0.lock().unwrap();
                ListAgentActionGroupsOutput::builder()
                    .set_action_group_summaries(Some(
                        st.groups.iter().map(|(g, _)| g.clone()).collect(),
                    ))
                    .build()
                    .unwrap()
            });
        let s = self.clone();
        let get_group = mock!(aws_sdk_bedrockagent::Client::get_agent_action_group)
            .then_compute_output(move |r| {
                let st = s.0.lock().unwrap();
                let mut g = live_group.clone();
                if let Some((summary, state)) = st
                    .groups
                    .iter()
                    .find(|(g, _)| Some(g.action_group_id()) == r.action_group_id())
                {
                    g.action_group_id = summary.action_group_id.clone();
                    g.action_group_name = summary.action_group_name.clone();
                    g.description = summary.description.clone();
                    g.action_group_state = state.clone();
                }
                GetAgentActionGroupOutput::builder()
                    .agent_action_group(g)
                    .build()
            });
        let s = self.clone();
        let update_group = mock!(aws_sdk_bedrockagent::Client::update_agent_action_group)
            .then_compute_output(move |r| {
                let mut st = s.0.lock().unwrap();
                let id = r.action_group_id().unwrap_or_default().to_owned();
                let state = r
                    .action_group_state()
                    .cloned()
                    .unwrap_or(ActionGroupState::Enabled);
                st.log
                    .push(format!("UpdateAgentActionGroup {id} {}", state.as_str()));
                if let Some(entry) = st.groups.iter_mut().find(|(g, _)| g.action_group_id == id) {
                    entry.1 = state;
                }
                UpdateAgentActionGroupOutput::builder().build()
            });
        let s = self.clone();
        let delete_group = mock!(aws_sdk_bedrockagent::Client::delete_agent_action_group)
            .then_compute_output(move |r| {
                let mut st = s.0.lock().unwrap();
                let id = r.action_group_id().unwrap_or_default().to_owned();
                st.log.push(format!("DeleteAgentActionGroup {id}"));
                st.groups.retain(|(g, _)| g.action_group_id != id);
                DeleteAgentActionGroupOutput::builder().build()
            });
        let s = self.clone();
        let list_aliases = mock!(aws_sdk_bedrockagent::Client::list_agent_aliases)
            .then_compute_output(move |_| {
                let st = s.0.lock().unwrap();
                let mut all = vec![alias_summary(TEST_ALIAS, "AgentTestAlias")];
                all.extend(st.aliases.iter().cloned());
                ListAgentAliasesOutput::builder()
                    .set_agent_alias_summaries(Some(all))
                    .build()
                    .unwrap()
            });
        let s = self.clone();
        let get_alias =
            mock!(aws_sdk_bedrockagent::Client::get_agent_alias).then_compute_response(move |r| {
                let mut st = s.0.lock().unwrap();
                let id = r.agent_alias_id().unwrap_or_default().to_owned();
                let Some(summary) = st.aliases.iter().find(|a| a.agent_alias_id == id).cloned()
                else {
                    return MockResponse::Error(GetAgentAliasError::ResourceNotFoundException(
                        aws_sdk_bedrockagent::types::error::ResourceNotFoundException::builder()
                            .build(),
                    ));
                };
                let version = if id != ALIAS_ID {
                    "1".to_owned()
                } else if st.stale_alias_reads > 0 {
                    st.stale_alias_reads -= 1;
                    st.old_alias_version.clone()
                } else {
                    st.alias_version.clone()
                };
                let mut a = alias(AgentAliasStatus::Prepared, &version);
                a.agent_alias_id = summary.agent_alias_id.clone();
                a.agent_alias_name = summary.agent_alias_name.clone();
                a.description = summary.description.clone();
                MockResponse::Output(GetAgentAliasOutput::builder().agent_alias(a).build())
            });
        let s = self.clone();
        let update_alias = mock!(aws_sdk_bedrockagent::Client::update_agent_alias)
            .then_compute_output(move |r| {
                let mut st = s.0.lock().unwrap();
                st.clock += 1;
                let now = t(st.clock);
                st.old_alias_version = st.alias_version.clone();
                st.alias_version = match r
                    .routing_configuration()
                    .first()
                    .and_then(|c| c.agent_version())
                {
                    Some(v) => v.to_owned(),
                    None => {
                        let next = st.versions.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
                        st.versions.push((next, now));
                        next.to_string()
                    }
                };
                st.stale_alias_reads = st.stale_alias_reads_after_update;
                let entry = format!(
                    "UpdateAgentAlias {} -> {}",
                    r.agent_alias_id().unwrap_or_default(),
                    st.alias_version
                );
                st.log.push(entry);
                aws_sdk_bedrockagent::operation::update_agent_alias::UpdateAgentAliasOutput::builder()
                    .agent_alias(alias(AgentAliasStatus::Updating, &st.old_alias_version))
                    .build()
            });
        let s = self.clone();
        let delete_alias = mock!(aws_sdk_bedrockagent::Client::delete_agent_alias)
            .then_compute_output(move |r| {
                let mut st = s.0.lock().unwrap();
                let id = r.agent_alias_id().unwrap_or_default().to_owned();
                st.log.push(format!("DeleteAgentAlias {id}"));
                st.aliases.retain(|a| a.agent_alias_id != id);
                DeleteAgentAliasOutput::builder()
                    .agent_id(AGENT_ID)
                    .agent_alias_id(id)
                    .agent_alias_status(AgentAliasStatus::Deleting)
                    .build()
                    .unwrap()
            });
        let s = self.clone();
        let list_versions = mock!(aws_sdk_bedrockagent::Client::list_agent_versions)
            .then_compute_output(move |_| {
                let st = s.0.lock().unwrap();
                ListAgentVersionsOutput::builder()
                    .set_agent_version_summaries(Some(
                        st.versions
                            .iter()
                            .map(|(n, at)| {
                                AgentVersionSummary::builder()
                                    .agent_name("hr-assistant")
                                    .agent_status(AgentStatus::Prepared)
                                    .agent_version(n.to_string())
                                    .created_at(*at)
                                    .updated_at(*at)
                                    .build()
                                    .unwrap()
                            })
                            .collect(),
                    ))
                    .build()
                    .unwrap()
            });
        vec![
            list_agents,
            get_agent,
            update_agent,
            prepare,
            list_groups,
            get_group,
            update_group,
            delete_group,
            list_aliases,
            get_alias,
            update_alias,
            delete_alias,
            list_versions,
        ]
    }
}

const TEST_ALIAS: &str = "TSTALIASID";

fn described_alias(id: &str, name: &str, description: &str) -> AgentAliasSummary {
    let mut a = alias_summary(id, name);
    a.description = Some(description.into());
    a
}

/// The first `GetAgent` after `PrepareAgent` can still show the old PREPARED status with
/// the old `preparedAt`: `up` waits for a `preparedAt` newer than before its prepare.
#[tokio::test]
async fn up_waits_for_its_own_prepare_not_an_older_prepared_status() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    // The action group changed after the last prepare: a prepare is due.
    let live = Live::new(&f).with(|st| {
        st.groups[0].0.updated_at = t(5);
        st.stale_gets_after_prepare = 1;
    });
    mocks.agent = live.rules(&f);
    let outputs = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    let list = calls.list();
    let after_prepare = &list[position(&list, "PrepareAgent") + 1..];
    let gets = after_prepare
        .iter()
        .take_while(|c| *c == "GetAgent")
        .count();
    assert_eq!(gets, 2, "{list:?}");
    assert_eq!(outputs.agent_version, "2");
}

/// Right after `UpdateAgentAlias`, the alias can still read PREPARED on its old version:
/// `up` waits until it routes to the new one.
#[tokio::test]
async fn up_waits_for_the_alias_to_route_to_the_new_version() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    // Prepared after version 1 was cut: the alias must move to a new version.
    let live = Live::new(&f).with(|st| {
        st.agent.prepared_at = Some(t(5));
        st.stale_alias_reads_after_update = 2;
    });
    mocks.agent = live.rules(&f);
    let outputs = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(outputs.agent_version, "2");
    assert_eq!(live.log(), ["UpdateAgentAlias ALIAS00001 -> 2"]);
}

/// The model the live alias's version uses.
const OLD_MODEL: &str = "us.amazon.nova-lite-v1:0";

/// A model change never leaves the live alias without its model: the agent role first
/// allows both models, and only once the alias routes to the new version the new one.
#[tokio::test]
async fn a_model_change_widens_the_agent_role_first_and_narrows_it_last() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    let live = Live::new(&f).with(|st| st.agent.foundation_model = Some(OLD_MODEL.into()));
    mocks.agent = live.rules(&f);
    let names = f.settings.names();
    let old_policy = policy::agent_permissions(&account(), &Model::new(OLD_MODEL));
    let lambda_policy = policy::lambda_permissions(&account(), &names);
    // IAM as state: what was put last is what is read.
    let documents: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (lambda_role, agent_role) = (
        role(&names.lambda_role, &policy::lambda_trust()),
        role(&names.agent_role, &policy::agent_trust(&account())),
    );
    let put = documents.clone();
    let read = documents.clone();
    let lambda_role_name = names.lambda_role.clone();
    mocks.iam = vec![
        mock!(aws_sdk_iam::Client::get_role).then_compute_output(move |r| {
            let role = if r.role_name() == Some(lambda_role.role_name()) {
                lambda_role.clone()
            } else {
                agent_role.clone()
            };
            GetRoleOutput::builder().role(role).build()
        }),
        mock!(aws_sdk_iam::Client::get_role_policy).then_compute_output(move |r| {
            let role = r.role_name().unwrap_or_default().to_owned();
            let doc = read
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|(name, _)| *name == role)
                .map(|(_, d)| d.clone())
                .unwrap_or_else(|| {
                    if role == lambda_role_name {
                        lambda_policy.to_string()
                    } else {
                        old_policy.to_string()
                    }
                });
            GetRolePolicyOutput::builder()
                .role_name(role)
                .policy_name(r.policy_name().unwrap_or_default())
                .policy_document(percent_encode(&doc))
                .build()
                .unwrap()
        }),
        mock!(aws_sdk_iam::Client::put_role_policy).then_compute_output(move |r| {
            put.lock().unwrap().push((
                r.role_name().unwrap_or_default().to_owned(),
                r.policy_document().unwrap_or_default().to_owned(),
            ));
            PutRolePolicyOutput::builder().build()
        }),
    ];
    let outputs = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(outputs.agent_version, "2");
    let list = writes(&calls.list());
    assert_eq!(
        list,
        [
            "PutRolePolicy",
            "UpdateAgent",
            "PrepareAgent",
            "UpdateAgentAlias",
            "PutRolePolicy"
        ]
    );
    let docs = documents.lock().unwrap().clone();
    assert!(docs.iter().all(|(r, _)| *r == names.agent_role), "{docs:?}");
    let old_model = "arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0";
    let new_model = "arn:aws:bedrock:*::foundation-model/amazon.nova-micro-v1:0";
    let first: serde_json::Value = serde_json::from_str(&docs[0].1).unwrap();
    let last: serde_json::Value = serde_json::from_str(&docs[1].1).unwrap();
    let first_resources = policy::resources(&first);
    assert!(first_resources.iter().any(|r| r == old_model), "{first}");
    assert!(first_resources.iter().any(|r| r == new_model), "{first}");
    assert!(policy::same_policy(
        &last,
        &policy::agent_permissions(&account(), &f.settings.model)
    ));
}

// --- the Lambda permission ------------------------------------------------------------

fn permission_policy_with(sid: &str, agent_id: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hr-assistant-actions",
            "Condition": {
                "ArnLike": {"AWS:SourceArn": account().agent_arn(agent_id)},
                "StringEquals": {"AWS:SourceAccount": ACCOUNT}
            }
        }]
    })
    .to_string()
}

/// A statement for another agent (a re-created one) is replaced without a gap: the new
/// statement is added under a new id first, then the old one removed.
#[tokio::test]
async fn a_permission_for_another_agent_is_replaced_add_first() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    let sid = f.settings.names().permission_sid;
    let doc = permission_policy_with(&sid, "OLDAGENT01");
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (added, removed) = (seen.clone(), seen.clone());
    mocks.lambda.insert(
        0,
        mock!(aws_sdk_lambda::Client::get_policy)
            .then_output(move || GetPolicyOutput::builder().policy(doc.clone()).build()),
    );
    mocks.lambda.push(
        mock!(aws_sdk_lambda::Client::add_permission).then_compute_output(move |r| {
            added.lock().unwrap().push(format!(
                "add {} {}",
                r.statement_id().unwrap_or_default(),
                r.source_arn().unwrap_or_default()
            ));
            AddPermissionOutput::builder().build()
        }),
    );
    mocks.lambda.push(
        mock!(aws_sdk_lambda::Client::remove_permission).then_compute_output(move |r| {
            removed
                .lock()
                .unwrap()
                .push(format!("remove {}", r.statement_id().unwrap_or_default()));
            RemovePermissionOutput::builder().build()
        }),
    );
    deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().clone(),
        [
            format!("add {sid}-{AGENT_ID} {}", account().agent_arn(AGENT_ID)),
            format!("remove {sid}"),
        ]
    );
}

/// A statement `up` added under a suffixed id is recognised as ours by its prefix.
#[tokio::test]
async fn a_suffixed_permission_statement_is_recognised_as_ours() {
    let f = fixture();
    let mut mocks = complete_deployment(&f);
    let sid = format!("{}-{AGENT_ID}", f.settings.names().permission_sid);
    let doc = permission_policy_with(&sid, AGENT_ID);
    mocks.lambda.insert(
        0,
        mock!(aws_sdk_lambda::Client::get_policy)
            .then_output(move || GetPolicyOutput::builder().policy(doc.clone()).build()),
    );
    let calls = Calls::default();
    let report = deployer(&mocks, &calls, &f).status().await.unwrap();
    assert!(report.drift.is_empty(), "{:?}", report.drift);
    let calls = Calls::default();
    deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert!(writes(&calls.list()).is_empty(), "{:?}", calls.list());
}

fn described_group(id: &str, name: &str, description: &str) -> ActionGroupSummary {
    let mut g = group_summary();
    g.action_group_id = id.into();
    g.action_group_name = name.into();
    g.description = Some(description.into());
    g
}

// --- renamed aliases and action groups ------------------------------------------------

/// After a rename, the alias and the action group this tool made under the old names go
/// (the group disabled first, so it is never left enabled); those someone else made stay.
#[tokio::test]
async fn renamed_aliases_and_action_groups_of_ours_are_removed() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = complete_deployment(&f);
    let live = Live::new(&f).with(|st| {
        st.aliases.push(described_alias(
            "ALIAS00002",
            "old-live",
            OUR_ALIAS_DESCRIPTION,
        ));
        st.aliases
            .push(described_alias("ALIAS00003", "someone", "Their own alias."));
        st.groups.push((
            described_group("GROUP00002", "old-vacations", OUR_GROUP_DESCRIPTION),
            ActionGroupState::Enabled,
        ));
        st.groups.push((
            described_group("GROUP00003", "theirs", "Their own tools."),
            ActionGroupState::Enabled,
        ));
    });
    mocks.agent = live.rules(&f);
    let outputs = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(outputs.alias_id, ALIAS_ID);
    assert_eq!(
        live.log(),
        [
            "UpdateAgentActionGroup GROUP00002 DISABLED",
            "DeleteAgentActionGroup GROUP00002",
            "PrepareAgent",
            "UpdateAgentAlias ALIAS00001 -> 2",
            "DeleteAgentAlias ALIAS00002",
        ]
    );
}

// --- Agents Classic closed ------------------------------------------------------------

const MAINTENANCE_MODE: &str = "Bedrock Agents is in Maintenance Mode. New agent creation is not available for accounts without prior service usage";

/// When Agents Classic refuses new agents, `up` removes what this run made (in reverse
/// order; the table only because this run made it and it is empty) and says so.
#[tokio::test]
async fn a_closed_classic_removes_what_this_run_created() {
    let f = fixture();
    let calls = Calls::default();
    let mut mocks = fresh_account(&f);
    mocks.agent.insert(
        0,
        mock!(aws_sdk_bedrockagent::Client::create_agent).then_error(|| {
            CreateAgentError::AccessDeniedException(
                aws_sdk_bedrockagent::types::error::AccessDeniedException::builder()
                    .message(MAINTENANCE_MODE)
                    .meta(wire_meta("AccessDeniedException", MAINTENANCE_MODE))
                    .build(),
            )
        }),
    );
    mocks.iam.extend([
        mock!(aws_sdk_iam::Client::list_role_policies).then_compute_output(|r| {
            let policy = if r.role_name() == Some("hr-assistant-lambda") {
                "table-and-logs"
            } else {
                "model-access"
            };
            ListRolePoliciesOutput::builder()
                .policy_names(policy)
                .build()
                .unwrap()
        }),
        mock!(aws_sdk_iam::Client::delete_role_policy)
            .then_output(|| DeleteRolePolicyOutput::builder().build()),
        mock!(aws_sdk_iam::Client::list_attached_role_policies)
            .then_output(|| ListAttachedRolePoliciesOutput::builder().build()),
        mock!(aws_sdk_iam::Client::delete_role).then_output(|| DeleteRoleOutput::builder().build()),
    ]);
    mocks.lambda.push(
        mock!(aws_sdk_lambda::Client::delete_function)
            .then_output(|| DeleteFunctionOutput::builder().build()),
    );
    mocks.logs.push(
        mock!(aws_sdk_cloudwatchlogs::Client::delete_log_group)
            .match_requests(|r| r.log_group_name() == Some(LOG_GROUP))
            .then_output(|| DeleteLogGroupOutput::builder().build()),
    );
    mocks.dynamodb.extend([
        mock!(aws_sdk_dynamodb::Client::scan)
            .then_output(|| ScanOutput::builder().count(0).scanned_count(0).build()),
        mock!(aws_sdk_dynamodb::Client::delete_table)
            .then_output(|| DeleteTableOutput::builder().build()),
    ]);
    let err = deployer(&mocks, &calls, &f)
        .up(Progress::Quiet)
        .await
        .unwrap_err();
    let list = calls.list();
    let after = &list[position(&list, "CreateAgent")..];
    assert_eq!(
        after,
        [
            "CreateAgent",
            // the agent role
            "ListRolePolicies",
            "DeleteRolePolicy",
            "ListAttachedRolePolicies",
            "DeleteRole",
            // the function, then its log group
            "DeleteFunction",
            "DeleteLogGroup",
            // the Lambda role
            "ListRolePolicies",
            "DeleteRolePolicy",
            "ListAttachedRolePolicies",
            "DeleteRole",
            // the table: empty, so it goes
            "Scan",
            "DeleteTable",
        ]
    );
    match &err {
        Error::ClassicClosed { message, cleanup } => {
            assert_eq!(message, MAINTENANCE_MODE);
            assert_eq!(
                cleanup,
                "; removed what this run had created (table hr-vacations, roles hr-assistant-lambda and AmazonBedrockExecutionRoleForAgents_hr-assistant, log group /aws/lambda/hr-assistant-actions, function hr-assistant-actions)"
            );
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("--platform agentcore"), "{err}");
    assert_eq!(provisioner::exit::of_error(&err), 5);
}
