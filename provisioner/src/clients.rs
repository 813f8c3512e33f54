//! The SDK clients, all built from one `SdkConfig` (region, credentials and endpoints
//! resolved the SDK's way: `AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, ...).

/// One client per service the provisioner talks to.
#[derive(Debug, Clone)]
pub struct Clients {
    /// STS: who we are (the account id in every ARN).
    pub sts: aws_sdk_sts::Client,
    /// IAM: the two roles and their inline policies.
    pub iam: aws_sdk_iam::Client,
    /// Lambda: the function and its resource policy.
    pub lambda: aws_sdk_lambda::Client,
    /// DynamoDB: the table.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Bedrock Agents control plane.
    pub agent: aws_sdk_bedrockagent::Client,
    /// Bedrock Agents runtime (`InvokeAgent`).
    pub runtime: aws_sdk_bedrockagentruntime::Client,
    /// AgentCore control plane: the gateway, its target, the harness.
    pub agentcore: aws_sdk_bedrockagentcorecontrol::Client,
    /// AgentCore data plane (`InvokeHarness`).
    pub harness: aws_sdk_bedrockagentcore::Client,
    /// Amazon Cognito: the trial user pool, its app client, group and users.
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    /// CloudWatch Logs: the functions' log groups, with their retention.
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Clients {
    /// Clients for every service from the shared configuration.
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            sts: aws_sdk_sts::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
            lambda: aws_sdk_lambda::Client::new(sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            agent: aws_sdk_bedrockagent::Client::new(sdk),
            runtime: aws_sdk_bedrockagentruntime::Client::new(sdk),
            agentcore: aws_sdk_bedrockagentcorecontrol::Client::new(sdk),
            harness: aws_sdk_bedrockagentcore::Client::new(sdk),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
        }
    }
}
