//! The IAM documents of the AgentCore platform, pure and tested like [`crate::policy`]:
//! the gateway may only invoke the two functions, the interceptor only write its logs,
//! the harness only invoke its model and write its logs.

use serde_json::{json, Value};

use crate::config::Model;
use crate::policy::{self, Account};

/// The service AgentCore's gateways and harnesses act as.
pub const AGENTCORE_SERVICE: &str = "bedrock-agentcore.amazonaws.com";

impl Account {
    /// Every AgentCore resource of the account in the region, as the trust policies'
    /// `aws:SourceArn` condition names them.
    pub fn any_agentcore_arn(&self) -> String {
        format!(
            "arn:{}:bedrock-agentcore:{}:{}:*",
            self.partition, self.region, self.id
        )
    }

    /// The ARN of a Lambda function.
    pub fn function_arn(&self, function: &str) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{function}",
            self.partition, self.region, self.id
        )
    }
}

/// Who may assume the gateway's and the harness's roles: AgentCore, for a resource of this
/// account and region (the confused-deputy conditions AWS documents).
pub fn agentcore_trust(account: &Account) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": AGENTCORE_SERVICE},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account.id},
                "ArnLike": {"aws:SourceArn": account.any_agentcore_arn()}
            }
        }]
    })
}

/// The gateway's permissions: invoking the tools function and the interceptor, nothing else.
pub fn gateway_permissions(account: &Account, functions: &[&str]) -> Value {
    let arns: Vec<String> = functions.iter().map(|f| account.function_arn(f)).collect();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "InvokeTools",
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": arns
        }]
    })
}

/// The interceptor's permissions: writing to its own log group. No DynamoDB at all: it
/// only reads the caller's token and rewrites the request.
pub fn interceptor_permissions(account: &Account, function: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": account.lambda_log_group_arn(function)
        }]
    })
}

/// The harness's permissions: its model (as the Classic agent's role has them) and its
/// logs. It gets no `bedrock-agentcore:InvokeGateway`: the terminal, not the harness, calls
/// the gateway (see [`crate::harness`]).
///
/// Unconfirmed: which log group a harness writes to; AgentCore's runtimes use
/// `/aws/bedrock-agentcore/runtimes/…`, so the grant covers `/aws/bedrock-agentcore/*`.
pub fn harness_permissions(account: &Account, model: &Model) -> Value {
    let mut doc = policy::agent_permissions(account, model);
    let logs = json!({
        "Sid": "OwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": format!(
            "arn:{}:logs:{}:{}:log-group:/aws/bedrock-agentcore/*",
            account.partition, account.region, account.id
        )
    });
    if let Some(statements) = doc["Statement"].as_array_mut() {
        statements.push(logs);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account {
            partition: "aws".into(),
            region: "us-east-1".into(),
            id: "123456789012".into(),
        }
    }

    #[test]
    fn the_trust_is_limited_to_agentcore_resources_of_this_account() {
        let doc = agentcore_trust(&account());
        let st = &doc["Statement"][0];
        assert_eq!(st["Principal"]["Service"], AGENTCORE_SERVICE);
        assert_eq!(
            st["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
        assert_eq!(
            st["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:*"
        );
    }

    #[test]
    fn the_gateway_invokes_only_the_two_functions() {
        let doc = gateway_permissions(&account(), &["hr-actions", "hr-interceptor"]);
        assert_eq!(policy::actions(&doc), vec!["lambda:InvokeFunction"]);
        assert_eq!(
            policy::resources(&doc),
            vec![
                "arn:aws:lambda:us-east-1:123456789012:function:hr-actions",
                "arn:aws:lambda:us-east-1:123456789012:function:hr-interceptor"
            ]
        );
    }

    #[test]
    fn the_interceptor_reaches_no_table() {
        let doc = interceptor_permissions(&account(), "hr-interceptor");
        assert!(policy::actions(&doc).iter().all(|a| a.starts_with("logs:")));
    }

    #[test]
    fn the_harness_reaches_its_model_and_no_gateway() {
        let doc = harness_permissions(&account(), &Model::new("us.amazon.nova-micro-v1:0"));
        let actions = policy::actions(&doc);
        assert!(actions.iter().any(|a| a == "bedrock:InvokeModel"));
        assert!(!actions.iter().any(|a| a.starts_with("bedrock-agentcore:")));
        assert!(actions.iter().all(|a| !a.contains('*')));
    }
}
