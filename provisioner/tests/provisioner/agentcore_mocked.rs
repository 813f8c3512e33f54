//! `up`, `down` and `status` on the AgentCore platform against mocked AWS clients
//! (aws-smithy-mocks) over one in-memory account: what a fresh `up` creates and in which
//! order, that a second `up` only reads, that `down` removes everything in order, and that a
//! second `down` only reads. Each AgentCore resource is created CREATING and turns READY on
//! the next look, so every wait is exercised.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::operation as ac;
use aws_sdk_bedrockagentcorecontrol::types as act;
use aws_sdk_cloudwatchlogs::operation as logs;
use aws_sdk_cognitoidentityprovider::operation as cog;
use aws_sdk_cognitoidentityprovider::types as cogt;
use aws_sdk_dynamodb::operation as ddb;
use aws_sdk_dynamodb::types as ddbt;
use aws_sdk_iam::operation as iam;
use aws_sdk_lambda::operation as lambda;
use aws_sdk_lambda::types as lt;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use aws_smithy_types::DateTime;
use provisioner::config::{Inbound, Model, Platform, Settings};
use provisioner::deploy::{Deployer, LambdaPackage, Pacings};
use provisioner::progress::Progress;
use provisioner::wait::Pacing;
use provisioner::Clients;

use crate::support::Calls;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// Everything the account holds.
#[derive(Debug, Default)]
struct Account {
    table: Option<&'static str>,
    pitr: bool,
    /// name → (trust, inline policies)
    roles: BTreeMap<String, (String, BTreeMap<String, String>)>,
    functions: BTreeMap<String, lambda::create_function::CreateFunctionInput>,
    log_groups: BTreeMap<String, Option<i32>>,
    pool: Option<String>,
    client: Option<String>,
    group: bool,
    gateway: Option<(ac::create_gateway::CreateGatewayInput, act::GatewayStatus)>,
    target: Option<(
        ac::create_gateway_target::CreateGatewayTargetInput,
        act::TargetStatus,
    )>,
    harness: Option<(ac::create_harness::CreateHarnessInput, act::HarnessStatus)>,
}

type World = Arc<Mutex<Account>>;

fn t0() -> DateTime {
    DateTime::from_secs(1_800_000_000)
}

fn gateway_out(
    i: &ac::create_gateway::CreateGatewayInput,
    status: act::GatewayStatus,
) -> ac::get_gateway::GetGatewayOutput {
    ac::get_gateway::GetGatewayOutput::builder()
        .gateway_arn(format!(
            "arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:gateway/gw-1"
        ))
        .gateway_id("gw-1")
        .gateway_url("https://gw-1.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp")
        .created_at(t0())
        .updated_at(t0())
        .status(status)
        .name(i.name().unwrap_or_default())
        .set_role_arn(i.role_arn().map(str::to_owned))
        .protocol_type(i.protocol_type().cloned().unwrap())
        .authorizer_type(i.authorizer_type().cloned().unwrap())
        .set_authorizer_configuration(i.authorizer_configuration().cloned())
        .set_interceptor_configurations(Some(i.interceptor_configurations().to_vec()))
        .build()
        .unwrap()
}

fn target_out(
    i: &ac::create_gateway_target::CreateGatewayTargetInput,
    status: act::TargetStatus,
) -> ac::get_gateway_target::GetGatewayTargetOutput {
    ac::get_gateway_target::GetGatewayTargetOutput::builder()
        .gateway_arn(format!(
            "arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:gateway/gw-1"
        ))
        .target_id("tg-1")
        .created_at(t0())
        .updated_at(t0())
        .status(status)
        .name(i.name().unwrap_or_default())
        .set_target_configuration(i.target_configuration().cloned())
        .set_credential_provider_configurations(Some(
            i.credential_provider_configurations().to_vec(),
        ))
        .build()
        .unwrap()
}

fn harness_out(
    i: &ac::create_harness::CreateHarnessInput,
    status: act::HarnessStatus,
) -> act::Harness {
    act::Harness::builder()
        .harness_id("hr_assistant-1")
        .harness_name(i.harness_name().unwrap_or_default())
        .arn(format!(
            "arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:harness/hr_assistant-1"
        ))
        .status(status)
        .execution_role_arn(i.execution_role_arn().unwrap_or_default())
        .created_at(t0())
        .updated_at(t0())
        .set_model(i.model().cloned())
        .set_system_prompt(Some(i.system_prompt().to_vec()))
        .set_tools(Some(i.tools().to_vec()))
        .set_skills(Some(Vec::new()))
        .set_allowed_tools(Some(i.allowed_tools().to_vec()))
        .set_memory(i.memory().cloned())
        .set_max_iterations(i.max_iterations())
        .set_timeout_seconds(i.timeout_seconds())
        .build()
        .unwrap()
}

fn not_found_ac() -> act::error::ResourceNotFoundException {
    act::error::ResourceNotFoundException::builder()
        .message("not found")
        .build()
}

/// The rules of every service, over `world`.
fn clients(world: &World, calls: &Calls) -> Clients {
    let w = world.clone();
    let sts = vec![
        mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput::builder()
                .account(ACCOUNT)
                .arn(format!("arn:aws:iam::{ACCOUNT}:user/dev"))
                .build()
        }),
    ];

    let dynamodb = {
        let (a, b, c, d) = (w.clone(), w.clone(), w.clone(), w.clone());
        vec![
            mock!(aws_sdk_dynamodb::Client::describe_table).then_compute_response(move |_| {
                let mut acc = a.lock().unwrap();
                match acc.table {
                    None => MockResponse::Error(
                        ddb::describe_table::DescribeTableError::ResourceNotFoundException(
                            ddbt::error::ResourceNotFoundException::builder().build(),
                        ),
                    ),
                    Some(status) => {
                        acc.table = Some("ACTIVE");
                        MockResponse::Output(
                            ddb::describe_table::DescribeTableOutput::builder()
                                .table(table(status))
                                .build(),
                        )
                    }
                }
            }),
            mock!(aws_sdk_dynamodb::Client::create_table).then_compute_output(move |_| {
                b.lock().unwrap().table = Some("CREATING");
                ddb::create_table::CreateTableOutput::builder().build()
            }),
            mock!(aws_sdk_dynamodb::Client::update_continuous_backups).then_compute_output(
                move |_| {
                    c.lock().unwrap().pitr = true;
                    ddb::update_continuous_backups::UpdateContinuousBackupsOutput::builder().build()
                },
            ),
            mock!(aws_sdk_dynamodb::Client::describe_continuous_backups).then_compute_output(
                move |_| {
                    let on = d.lock().unwrap().pitr;
                    ddb::describe_continuous_backups::DescribeContinuousBackupsOutput::builder()
                        .continuous_backups_description(
                            ddbt::ContinuousBackupsDescription::builder()
                                .continuous_backups_status(ddbt::ContinuousBackupsStatus::Enabled)
                                .point_in_time_recovery_description(
                                    ddbt::PointInTimeRecoveryDescription::builder()
                                        .point_in_time_recovery_status(if on {
                                            ddbt::PointInTimeRecoveryStatus::Enabled
                                        } else {
                                            ddbt::PointInTimeRecoveryStatus::Disabled
                                        })
                                        .build(),
                                )
                                .build()
                                .unwrap(),
                        )
                        .build()
                },
            ),
        ]
    };

    let iam_rules = {
        let (a, b, c, d, e, f, g) = (
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
            w.clone(),
        );
        let no_such = || aws_sdk_iam::types::error::NoSuchEntityException::builder().build();
        vec![
            mock!(aws_sdk_iam::Client::get_role).then_compute_response(move |r| {
                let acc = a.lock().unwrap();
                match acc.roles.get(r.role_name().unwrap()) {
                    None => MockResponse::Error(
                        iam::get_role::GetRoleError::NoSuchEntityException(no_such()),
                    ),
                    Some((trust, _)) => MockResponse::Output(
                        iam::get_role::GetRoleOutput::builder()
                            .role(role(r.role_name().unwrap(), trust))
                            .build(),
                    ),
                }
            }),
            mock!(aws_sdk_iam::Client::create_role).then_compute_output(move |r| {
                let name = r.role_name().unwrap().to_owned();
                let trust = r.assume_role_policy_document().unwrap().to_owned();
                b.lock()
                    .unwrap()
                    .roles
                    .insert(name.clone(), (trust.clone(), BTreeMap::new()));
                iam::create_role::CreateRoleOutput::builder()
                    .role(role(&name, &trust))
                    .build()
            }),
            mock!(aws_sdk_iam::Client::put_role_policy).then_compute_output(move |r| {
                if let Some((_, p)) = c.lock().unwrap().roles.get_mut(r.role_name().unwrap()) {
                    p.insert(
                        r.policy_name().unwrap().to_owned(),
                        r.policy_document().unwrap().to_owned(),
                    );
                }
                iam::put_role_policy::PutRolePolicyOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::get_role_policy).then_compute_response(move |r| {
                let acc = d.lock().unwrap();
                match acc
                    .roles
                    .get(r.role_name().unwrap())
                    .and_then(|(_, p)| p.get(r.policy_name().unwrap()))
                {
                    None => MockResponse::Error(
                        iam::get_role_policy::GetRolePolicyError::NoSuchEntityException(no_such()),
                    ),
                    Some(doc) => MockResponse::Output(
                        iam::get_role_policy::GetRolePolicyOutput::builder()
                            .role_name(r.role_name().unwrap())
                            .policy_name(r.policy_name().unwrap())
                            .policy_document(doc)
                            .build()
                            .unwrap(),
                    ),
                }
            }),
            mock!(aws_sdk_iam::Client::list_role_policies).then_compute_output(move |r| {
                let acc = e.lock().unwrap();
                let names: Vec<String> = acc
                    .roles
                    .get(r.role_name().unwrap())
                    .map(|(_, p)| p.keys().cloned().collect())
                    .unwrap_or_default();
                iam::list_role_policies::ListRolePoliciesOutput::builder()
                    .set_policy_names(Some(names))
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_iam::Client::delete_role_policy).then_compute_output(move |r| {
                if let Some((_, p)) = f.lock().unwrap().roles.get_mut(r.role_name().unwrap()) {
                    p.remove(r.policy_name().unwrap());
                }
                iam::delete_role_policy::DeleteRolePolicyOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::list_attached_role_policies).then_output(|| {
                iam::list_attached_role_policies::ListAttachedRolePoliciesOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::delete_role).then_compute_output(move |r| {
                g.lock().unwrap().roles.remove(r.role_name().unwrap());
                iam::delete_role::DeleteRoleOutput::builder().build()
            }),
        ]
    };

    let lambda_rules = {
        let (a, b, c) = (w.clone(), w.clone(), w.clone());
        vec![
            mock!(aws_sdk_lambda::Client::get_function_configuration).then_compute_response(move |r| {
                let acc = a.lock().unwrap();
                match acc.functions.get(r.function_name().unwrap()) {
                    None => MockResponse::Error(
                        lambda::get_function_configuration::GetFunctionConfigurationError::ResourceNotFoundException(
                            lt::error::ResourceNotFoundException::builder().build(),
                        ),
                    ),
                    Some(f) => MockResponse::Output(function_out(f)),
                }
            }),
            mock!(aws_sdk_lambda::Client::create_function).then_compute_output(move |r| {
                let name = r.function_name().unwrap().to_owned();
                b.lock().unwrap().functions.insert(name.clone(), r.clone());
                lambda::create_function::CreateFunctionOutput::builder()
                    .function_arn(format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"))
                    .build()
            }),
            mock!(aws_sdk_lambda::Client::delete_function).then_compute_response(move |r| {
                match c.lock().unwrap().functions.remove(r.function_name().unwrap()) {
                    Some(_) => MockResponse::Output(lambda::delete_function::DeleteFunctionOutput::builder().build()),
                    None => MockResponse::Error(lambda::delete_function::DeleteFunctionError::ResourceNotFoundException(
                        lt::error::ResourceNotFoundException::builder().build(),
                    )),
                }
            }),
        ]
    };

    let logs_rules = {
        let (a, b, c, d) = (w.clone(), w.clone(), w.clone(), w.clone());
        vec![
            mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups).then_compute_output(move |r| {
                let acc = a.lock().unwrap();
                let prefix = r.log_group_name_prefix().unwrap_or_default();
                let groups = acc
                    .log_groups
                    .iter()
                    .filter(|(n, _)| n.starts_with(prefix))
                    .map(|(n, days)| {
                        aws_sdk_cloudwatchlogs::types::LogGroup::builder()
                            .log_group_name(n)
                            .set_retention_in_days(*days)
                            .build()
                    })
                    .collect();
                logs::describe_log_groups::DescribeLogGroupsOutput::builder()
                    .set_log_groups(Some(groups))
                    .build()
            }),
            mock!(aws_sdk_cloudwatchlogs::Client::create_log_group).then_compute_output(move |r| {
                b.lock().unwrap().log_groups.insert(r.log_group_name().unwrap().to_owned(), None);
                logs::create_log_group::CreateLogGroupOutput::builder().build()
            }),
            mock!(aws_sdk_cloudwatchlogs::Client::put_retention_policy).then_compute_output(move |r| {
                c.lock()
                    .unwrap()
                    .log_groups
                    .insert(r.log_group_name().unwrap().to_owned(), r.retention_in_days());
                logs::put_retention_policy::PutRetentionPolicyOutput::builder().build()
            }),
            mock!(aws_sdk_cloudwatchlogs::Client::delete_log_group).then_compute_response(move |r| {
                match d.lock().unwrap().log_groups.remove(r.log_group_name().unwrap()) {
                    Some(_) => MockResponse::Output(logs::delete_log_group::DeleteLogGroupOutput::builder().build()),
                    None => MockResponse::Error(logs::delete_log_group::DeleteLogGroupError::ResourceNotFoundException(
                        aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException::builder().build(),
                    )),
                }
            }),
        ]
    };

    let cognito_rules =
        {
            let (a, b, c, d, e, f, g) = (
                w.clone(),
                w.clone(),
                w.clone(),
                w.clone(),
                w.clone(),
                w.clone(),
                w.clone(),
            );
            vec![
                mock!(aws_sdk_cognitoidentityprovider::Client::list_user_pools)
                    .then_compute_output(move |_| {
                        let pool = a.lock().unwrap().pool.clone();
                        cog::list_user_pools::ListUserPoolsOutput::builder()
                            .set_user_pools(Some(
                                pool.into_iter()
                                    .map(|id| {
                                        cogt::UserPoolDescriptionType::builder()
                                            .id(id)
                                            .name("hr-assistant-users")
                                            .build()
                                    })
                                    .collect(),
                            ))
                            .build()
                    }),
                mock!(aws_sdk_cognitoidentityprovider::Client::create_user_pool)
                    .then_compute_output(move |r| {
                        assert!(
                            r.schema().iter().any(|s| s.name() == Some("employee_id")),
                            "the pool must carry the employee id attribute"
                        );
                        b.lock().unwrap().pool = Some("us-east-1_pool1".into());
                        cog::create_user_pool::CreateUserPoolOutput::builder()
                            .user_pool(cogt::UserPoolType::builder().id("us-east-1_pool1").build())
                            .build()
                    }),
                mock!(aws_sdk_cognitoidentityprovider::Client::list_user_pool_clients)
                    .then_compute_output(move |_| {
                        let client = c.lock().unwrap().client.clone();
                        cog::list_user_pool_clients::ListUserPoolClientsOutput::builder()
                            .set_user_pool_clients(Some(
                                client
                                    .into_iter()
                                    .map(|id| {
                                        cogt::UserPoolClientDescription::builder()
                                            .client_id(id)
                                            .client_name("hr-assistant-cli")
                                            .build()
                                    })
                                    .collect(),
                            ))
                            .build()
                    }),
                mock!(aws_sdk_cognitoidentityprovider::Client::create_user_pool_client)
                    .then_compute_output(move |r| {
                        assert_eq!(
                            r.generate_secret(),
                            Some(false),
                            "the terminal holds no secret"
                        );
                        d.lock().unwrap().client = Some("client1".into());
                        cog::create_user_pool_client::CreateUserPoolClientOutput::builder()
                            .user_pool_client(
                                cogt::UserPoolClientType::builder()
                                    .client_id("client1")
                                    .build(),
                            )
                            .build()
                    }),
                mock!(aws_sdk_cognitoidentityprovider::Client::get_group).then_compute_response(
                    move |r| {
                        if e.lock().unwrap().group {
                            MockResponse::Output(
                                cog::get_group::GetGroupOutput::builder()
                                    .group(
                                        cogt::GroupType::builder()
                                            .group_name(r.group_name().unwrap())
                                            .build(),
                                    )
                                    .build(),
                            )
                        } else {
                            MockResponse::Error(
                                cog::get_group::GetGroupError::ResourceNotFoundException(
                                    cogt::error::ResourceNotFoundException::builder().build(),
                                ),
                            )
                        }
                    },
                ),
                mock!(aws_sdk_cognitoidentityprovider::Client::create_group).then_compute_output(
                    move |_| {
                        f.lock().unwrap().group = true;
                        cog::create_group::CreateGroupOutput::builder().build()
                    },
                ),
                mock!(aws_sdk_cognitoidentityprovider::Client::delete_user_pool)
                    .then_compute_output(move |_| {
                        let mut acc = g.lock().unwrap();
                        (acc.pool, acc.client, acc.group) = (None, None, false);
                        cog::delete_user_pool::DeleteUserPoolOutput::builder().build()
                    }),
            ]
        };

    let agentcore_rules = {
        let ws: Vec<World> = (0..12).map(|_| w.clone()).collect();
        let mut ws = ws.into_iter();
        let mut next = || ws.next().unwrap();
        let (a, b, c, d, e, f, g, h, i, j, k, l) = (
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        );
        vec![
            mock!(aws_sdk_bedrockagentcorecontrol::Client::list_gateways).then_compute_output(move |_| {
                let acc = a.lock().unwrap();
                let items = acc
                    .gateway
                    .iter()
                    .map(|(gw, status)| {
                        act::GatewaySummary::builder()
                            .gateway_id("gw-1")
                            .name(gw.name().unwrap())
                            .status(status.clone())
                            .created_at(t0())
                            .updated_at(t0())
                            .authorizer_type(act::AuthorizerType::CustomJwt)
                            .protocol_type(act::GatewayProtocolType::Mcp)
                            .build()
                            .unwrap()
                    })
                    .collect();
                ac::list_gateways::ListGatewaysOutput::builder().set_items(Some(items)).build().unwrap()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::create_gateway).then_compute_output(move |r| {
                b.lock().unwrap().gateway = Some((r.clone(), act::GatewayStatus::Creating));
                let out = gateway_out(r, act::GatewayStatus::Creating);
                ac::create_gateway::CreateGatewayOutput::builder()
                    .gateway_arn(out.gateway_arn)
                    .gateway_id(out.gateway_id)
                    .created_at(t0())
                    .updated_at(t0())
                    .status(act::GatewayStatus::Creating)
                    .name(out.name)
                    .protocol_type(act::GatewayProtocolType::Mcp)
                    .authorizer_type(act::AuthorizerType::CustomJwt)
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::get_gateway).then_compute_response(move |_| {
                let mut acc = c.lock().unwrap();
                match acc.gateway.as_mut() {
                    None => MockResponse::Error(ac::get_gateway::GetGatewayError::ResourceNotFoundException(not_found_ac())),
                    Some((gw, status)) => {
                        let out = gateway_out(gw, status.clone());
                        *status = act::GatewayStatus::Ready;
                        MockResponse::Output(out)
                    }
                }
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::delete_gateway).then_compute_output(move |_| {
                d.lock().unwrap().gateway = None;
                ac::delete_gateway::DeleteGatewayOutput::builder()
                    .gateway_id("gw-1")
                    .status(act::GatewayStatus::Deleting)
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::list_gateway_targets).then_compute_output(move |_| {
                let acc = e.lock().unwrap();
                let items = acc
                    .target
                    .iter()
                    .map(|(t, status)| {
                        act::TargetSummary::builder()
                            .target_id("tg-1")
                            .name(t.name().unwrap())
                            .status(status.clone())
                            .created_at(t0())
                            .updated_at(t0())
                            .build()
                            .unwrap()
                    })
                    .collect();
                ac::list_gateway_targets::ListGatewayTargetsOutput::builder().set_items(Some(items)).build().unwrap()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::create_gateway_target).then_compute_output(move |r| {
                f.lock().unwrap().target = Some((r.clone(), act::TargetStatus::Creating));
                let out = target_out(r, act::TargetStatus::Creating);
                ac::create_gateway_target::CreateGatewayTargetOutput::builder()
                    .gateway_arn(out.gateway_arn)
                    .target_id(out.target_id)
                    .created_at(t0())
                    .updated_at(t0())
                    .status(act::TargetStatus::Creating)
                    .name(out.name)
                    .set_credential_provider_configurations(Some(out.credential_provider_configurations))
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::get_gateway_target).then_compute_response(move |_| {
                let mut acc = g.lock().unwrap();
                match acc.target.as_mut() {
                    None => MockResponse::Error(ac::get_gateway_target::GetGatewayTargetError::ResourceNotFoundException(not_found_ac())),
                    Some((t, status)) => {
                        let out = target_out(t, status.clone());
                        *status = act::TargetStatus::Ready;
                        MockResponse::Output(out)
                    }
                }
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::delete_gateway_target).then_compute_output(move |_| {
                h.lock().unwrap().target = None;
                ac::delete_gateway_target::DeleteGatewayTargetOutput::builder()
                    .gateway_arn(format!("arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:gateway/gw-1"))
                    .target_id("tg-1")
                    .status(act::TargetStatus::Deleting)
                    .build()
                    .unwrap()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::list_harnesses).then_compute_output(move |_| {
                let acc = i.lock().unwrap();
                let items = acc
                    .harness
                    .iter()
                    .map(|(hn, status)| {
                        act::HarnessSummary::builder()
                            .harness_id("hr_assistant-1")
                            .harness_name(hn.harness_name().unwrap())
                            .arn(format!("arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:harness/hr_assistant-1"))
                            .status(status.clone())
                            .created_at(t0())
                            .updated_at(t0())
                            .build()
                            .unwrap()
                    })
                    .collect();
                ac::list_harnesses::ListHarnessesOutput::builder().set_harnesses(Some(items)).build().unwrap()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::create_harness).then_compute_output(move |r| {
                j.lock().unwrap().harness = Some((r.clone(), act::HarnessStatus::Creating));
                ac::create_harness::CreateHarnessOutput::builder()
                    .harness(harness_out(r, act::HarnessStatus::Creating))
                    .build()
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::get_harness).then_compute_response(move |_| {
                let mut acc = k.lock().unwrap();
                match acc.harness.as_mut() {
                    None => MockResponse::Error(ac::get_harness::GetHarnessError::ResourceNotFoundException(not_found_ac())),
                    Some((hn, status)) => {
                        let out = harness_out(hn, status.clone());
                        *status = act::HarnessStatus::Ready;
                        MockResponse::Output(ac::get_harness::GetHarnessOutput::builder().harness(out).build())
                    }
                }
            }),
            mock!(aws_sdk_bedrockagentcorecontrol::Client::delete_harness).then_compute_output(move |_| {
                l.lock().unwrap().harness = None;
                ac::delete_harness::DeleteHarnessOutput::builder().build()
            }),
        ]
    };

    macro_rules! client {
        ($sdk:ident, $rules:expr) => {{
            let c = calls.clone();
            mock_client!($sdk, RuleMode::MatchAny, &$rules, |b| b
                .interceptor(c.clone()))
        }};
    }
    Clients {
        sts: client!(aws_sdk_sts, sts),
        iam: client!(aws_sdk_iam, iam_rules),
        lambda: client!(aws_sdk_lambda, lambda_rules),
        dynamodb: client!(aws_sdk_dynamodb, dynamodb),
        agent: client!(aws_sdk_bedrockagent, Vec::<Rule>::new()),
        runtime: client!(aws_sdk_bedrockagentruntime, Vec::<Rule>::new()),
        agentcore: client!(aws_sdk_bedrockagentcorecontrol, agentcore_rules),
        harness: client!(aws_sdk_bedrockagentcore, Vec::<Rule>::new()),
        cognito: client!(aws_sdk_cognitoidentityprovider, cognito_rules),
        logs: client!(aws_sdk_cloudwatchlogs, logs_rules),
    }
}

fn table(status: &str) -> ddbt::TableDescription {
    let key = |name: &str, kind| {
        ddbt::KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attr = |name: &str| {
        ddbt::AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ddbt::ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    ddbt::TableDescription::builder()
        .table_name("hr-vacations")
        .table_status(ddbt::TableStatus::from(status))
        .deletion_protection_enabled(false)
        .key_schema(key("PK", ddbt::KeyType::Hash))
        .key_schema(key("SK", ddbt::KeyType::Range))
        .attribute_definitions(attr("PK"))
        .attribute_definitions(attr("SK"))
        .build()
}

fn role(name: &str, trust: &str) -> aws_sdk_iam::types::Role {
    aws_sdk_iam::types::Role::builder()
        .path("/")
        .role_name(name)
        .role_id("AROAEXAMPLE")
        .arn(format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
        .create_date(t0())
        .assume_role_policy_document(trust)
        .build()
        .unwrap()
}

fn function_out(
    f: &lambda::create_function::CreateFunctionInput,
) -> lambda::get_function_configuration::GetFunctionConfigurationOutput {
    let package = LambdaPackage::from_bytes(
        "bootstrap.zip".into(),
        f.code()
            .and_then(|c| c.zip_file())
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default(),
    );
    let name = f.function_name().unwrap();
    lambda::get_function_configuration::GetFunctionConfigurationOutput::builder()
        .function_name(name)
        .function_arn(format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"))
        .set_runtime(f.runtime().cloned())
        .set_role(f.role().map(str::to_owned))
        .set_handler(f.handler().map(str::to_owned))
        .set_timeout(f.timeout())
        .set_memory_size(f.memory_size())
        .code_sha256(package.sha256)
        .environment(
            lt::EnvironmentResponse::builder()
                .set_variables(f.environment().and_then(|e| e.variables()).cloned())
                .build(),
        )
        .set_architectures(Some(f.architectures().to_vec()))
        .set_logging_config(f.logging_config().cloned())
        .state(lt::State::Active)
        .last_update_status(lt::LastUpdateStatus::Successful)
        .build()
}

struct Fixture {
    _dir: tempfile::TempDir,
    settings: Settings,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("bootstrap.zip");
    std::fs::write(&zip, b"PK\x05\x06 a stand-in zip").unwrap();
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
        platform: Platform::Agentcore,
        inbound: Inbound::UserPool,
    };
    Fixture {
        _dir: dir,
        settings,
    }
}

fn deployer(world: &World, calls: &Calls, f: &Fixture) -> Deployer {
    let p = Pacing {
        first: Duration::from_millis(1),
        max: Duration::from_millis(5),
        timeout: Duration::from_secs(5),
    };
    Deployer::new(clients(world, calls), f.settings.clone())
        .unwrap()
        .with_pacing(Pacings {
            status: p,
            iam: p,
            backups: p,
        })
}

/// The calls that change anything.
fn writes(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| {
            [
                "Create", "Update", "Put", "Delete", "Add", "Remove", "Admin",
            ]
            .iter()
            .any(|w| c.starts_with(w))
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn up_on_a_fresh_account_creates_everything_in_order_and_a_second_up_only_reads() {
    let f = fixture();
    let world = World::default();
    let calls = Calls::default();
    let outputs = deployer(&world, &calls, &f)
        .up_agentcore(Progress::Quiet)
        .await
        .unwrap();
    let expected = [
        "GetCallerIdentity",
        // the table: created, CREATING → ACTIVE, point-in-time recovery on
        "DescribeTable",
        "DescribeTable",
        "CreateTable",
        "DescribeTable",
        "DescribeTable",
        "UpdateContinuousBackups",
        // the tools Lambda's role, the two log groups with their retention
        "GetRole",
        "CreateRole",
        "PutRolePolicy",
        "DescribeLogGroups",
        "CreateLogGroup",
        "PutRetentionPolicy",
        "DescribeLogGroups",
        "CreateLogGroup",
        "PutRetentionPolicy",
        // the tools Lambda
        "GetFunctionConfiguration",
        "CreateFunction",
        "GetFunctionConfiguration",
        // the interceptor: its own role (no table), the same zip
        "GetRole",
        "CreateRole",
        "PutRolePolicy",
        "GetFunctionConfiguration",
        "CreateFunction",
        "GetFunctionConfiguration",
        // the trial user pool, its app client and the hr group
        "ListUserPools",
        "CreateUserPool",
        "ListUserPoolClients",
        "CreateUserPoolClient",
        "GetGroup",
        "CreateGroup",
        // the gateway's role, the gateway (CREATING → READY)
        "GetRole",
        "CreateRole",
        "PutRolePolicy",
        "ListGateways",
        "CreateGateway",
        "GetGateway",
        "GetGateway",
        // its Lambda target (CREATING → READY)
        "ListGatewayTargets",
        "CreateGatewayTarget",
        "GetGatewayTarget",
        "GetGatewayTarget",
        // the harness's role, the harness (CREATING → READY)
        "GetRole",
        "CreateRole",
        "PutRolePolicy",
        "ListHarnesses",
        "CreateHarness",
        "GetHarness",
        "GetHarness",
    ];
    assert_eq!(calls.list(), expected);
    assert_eq!(outputs.gateway_id, "gw-1");
    assert!(outputs.gateway_url.ends_with("/mcp"));
    assert_eq!(outputs.target_name, "vacations");
    assert_eq!(outputs.user_pool_client_id, "client1");
    assert_eq!(
        outputs.discovery_url,
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool1/.well-known/openid-configuration"
    );
    assert!(outputs.harness_arn.contains(":harness/"));

    {
        let acc = world.lock().unwrap();
        // The gateway: MCP, CUSTOM_JWT from the pool with its client as audience, the
        // REQUEST interceptor with headers passed, exception level left at its default.
        let (gw, _) = acc.gateway.as_ref().unwrap();
        assert_eq!(gw.protocol_type(), Some(&act::GatewayProtocolType::Mcp));
        assert_eq!(gw.authorizer_type(), Some(&act::AuthorizerType::CustomJwt));
        let Some(act::AuthorizerConfiguration::CustomJwtAuthorizer(jwt)) =
            gw.authorizer_configuration()
        else {
            panic!("no JWT authorizer")
        };
        assert_eq!(jwt.allowed_audience(), ["client1".to_owned()]);
        let interceptor = &gw.interceptor_configurations()[0];
        assert_eq!(
            interceptor.interception_points(),
            [act::GatewayInterceptionPoint::Request]
        );
        assert!(interceptor
            .input_configuration()
            .unwrap()
            .pass_request_headers());
        assert_eq!(gw.exception_level(), None);
        // The interceptor's role reaches no table; the gateway's invokes the two functions.
        let (_, p) = &acc.roles["hr-assistant-interceptor"];
        assert!(!p.values().any(|d| d.contains("dynamodb")));
        let (trust, p) = &acc.roles["hr-assistant-gateway"];
        assert!(
            trust.contains("bedrock-agentcore.amazonaws.com")
                && trust.contains("aws:SourceAccount")
        );
        let doc = &p["invoke-tools"];
        assert!(
            doc.contains("function:hr-assistant-actions")
                && doc.contains("function:hr-assistant-interceptor")
        );
        // The harness: no hyphens, memory disabled, only our tools allowed.
        let (h, _) = acc.harness.as_ref().unwrap();
        assert_eq!(h.harness_name(), Some("hr_assistant"));
        assert!(matches!(
            h.memory(),
            Some(act::HarnessMemoryConfiguration::Disabled(_))
        ));
        let allowed = h.allowed_tools();
        assert_eq!(allowed.len(), tools::catalogue::TOOLS.len());
        assert!(h
            .tools()
            .iter()
            .all(|t| t.r#type() == &act::HarnessToolType::InlineFunction));
        // Both functions carry the target name the handler strips from tool names.
        for f in acc.functions.values() {
            let env = f.environment().unwrap().variables().unwrap();
            assert_eq!(env["HR_GATEWAY_TARGET"], "vacations");
        }
        assert_eq!(
            acc.log_groups.values().collect::<Vec<_>>(),
            [&Some(30), &Some(30)]
        );
    }

    // A second up reads every resource and writes nothing.
    let again = Calls::default();
    let second = deployer(&world, &again, &f)
        .up_agentcore(Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(
        writes(&again.list()),
        Vec::<String>::new(),
        "{:?}",
        again.list()
    );
    assert_eq!(second, outputs);

    // status: every resource, no drift, and what stays unconfirmed.
    let report = deployer(&world, &Calls::default(), &f)
        .status_agentcore()
        .await
        .unwrap();
    assert!(report.drift.is_empty(), "{:?}", report.drift);
    assert!(report
        .rows
        .iter()
        .any(|r| r.resource == "harness" && r.state == "READY"));
    assert!(!report.notes.is_empty());
}

#[tokio::test]
async fn down_removes_everything_in_order_and_a_second_down_only_reads() {
    let f = fixture();
    let world = World::default();
    deployer(&world, &Calls::default(), &f)
        .up_agentcore(Progress::Quiet)
        .await
        .unwrap();

    let calls = Calls::default();
    deployer(&world, &calls, &f)
        .down_agentcore(Progress::Quiet, false)
        .await
        .unwrap();
    let removed = writes(&calls.list());
    assert_eq!(
        removed,
        [
            "DeleteHarness",
            "DeleteGatewayTarget",
            "DeleteGateway",
            "DeleteUserPool",
            "DeleteFunction",
            "DeleteLogGroup",
            "DeleteFunction",
            "DeleteLogGroup",
            // four roles, each with its inline policy
            "DeleteRolePolicy",
            "DeleteRole",
            "DeleteRolePolicy",
            "DeleteRole",
            "DeleteRolePolicy",
            "DeleteRole",
            "DeleteRolePolicy",
            "DeleteRole",
        ]
    );
    // Each deletion is waited out before the next: the target before the gateway.
    let list = calls.list();
    let pos = |op: &str| list.iter().position(|c| c == op).unwrap();
    assert!(pos("GetGatewayTarget") > pos("DeleteGatewayTarget"));
    assert!(pos("GetGatewayTarget") < pos("DeleteGateway"));
    {
        let acc = world.lock().unwrap();
        assert!(acc.roles.is_empty() && acc.functions.is_empty() && acc.log_groups.is_empty());
        assert!(
            acc.gateway.is_none()
                && acc.target.is_none()
                && acc.harness.is_none()
                && acc.pool.is_none()
        );
        assert!(
            acc.table.is_some(),
            "the table stays without --delete-table"
        );
    }

    // A second down finds nothing. Functions and log groups are deleted without a look
    // first, as on Classic: the answer "not found" is the look, and nothing changes.
    let again = Calls::default();
    deployer(&world, &again, &f)
        .down_agentcore(Progress::Quiet, false)
        .await
        .unwrap();
    assert_eq!(
        writes(&again.list()),
        [
            "DeleteFunction",
            "DeleteLogGroup",
            "DeleteFunction",
            "DeleteLogGroup"
        ],
        "{:?}",
        again.list()
    );
    let acc = world.lock().unwrap();
    assert!(acc.roles.is_empty() && acc.functions.is_empty() && acc.gateway.is_none());
}
