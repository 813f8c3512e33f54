//! The IAM documents, as pure functions of the settings and the account.
//!
//! Each grants the least the component needs: the Lambda reaches only its table and its
//! own log group; the agent reaches only the chosen model (its inference profile and the
//! foundation model behind it). No statement uses a `*` action.

use serde_json::{json, Value};

use crate::config::{Model, Names};

/// Where the resources live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// The region.
    pub region: String,
    /// The 12-digit account id.
    pub id: String,
}

impl Account {
    /// The ARN of a DynamoDB table.
    pub fn table_arn(&self, table: &str) -> String {
        format!(
            "arn:{}:dynamodb:{}:{}:table/{table}",
            self.partition, self.region, self.id
        )
    }

    /// The ARN of an agent.
    pub fn agent_arn(&self, agent_id: &str) -> String {
        format!(
            "arn:{}:bedrock:{}:{}:agent/{agent_id}",
            self.partition, self.region, self.id
        )
    }

    /// The ARN pattern matching every agent of the account in the region.
    pub fn any_agent_arn(&self) -> String {
        self.agent_arn("*")
    }

    /// The ARN of an IAM role.
    pub fn role_arn(&self, role: &str) -> String {
        format!("arn:{}:iam::{}:role/{role}", self.partition, self.id)
    }

    /// The log group a Lambda function writes to, as an IAM resource.
    pub fn lambda_log_group_arn(&self, function: &str) -> String {
        format!(
            "arn:{}:logs:{}:{}:log-group:/aws/lambda/{function}:*",
            self.partition, self.region, self.id
        )
    }

    /// The ARN of an inference profile of the account.
    pub fn inference_profile_arn(&self, profile_id: &str) -> String {
        format!(
            "arn:{}:bedrock:{}:{}:inference-profile/{profile_id}",
            self.partition, self.region, self.id
        )
    }

    /// The ARN of a foundation model. A cross-region profile routes to other regions, so
    /// for a profile the model is allowed in every region (`*`); a plain model id only here.
    pub fn foundation_model_arn(&self, model: &Model) -> String {
        let region = if model.is_inference_profile() {
            "*"
        } else {
            self.region.as_str()
        };
        format!(
            "arn:{}:bedrock:{region}::foundation-model/{}",
            self.partition,
            model.foundation_model()
        )
    }
}

/// The DynamoDB actions the handler performs through the store: reads (`GetItem`,
/// `Query`) and the items of its `TransactWriteItems` (IAM checks each item's own action:
/// `ConditionCheckItem`, `PutItem`, `UpdateItem`, `DeleteItem`).
pub const TABLE_ACTIONS: &[&str] = &[
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
];

/// Who may assume the Lambda's role: the Lambda service.
pub fn lambda_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// The Lambda's permissions: the handler's DynamoDB actions on its table, and writing
/// to its own log group. Not creating it: `up` makes the group with a retention, and a
/// group Lambda made by itself would keep its logs forever.
pub fn lambda_permissions(account: &Account, names: &Names) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "VacationTable",
                "Effect": "Allow",
                "Action": TABLE_ACTIONS,
                "Resource": account.table_arn(&names.table)
            },
            {
                "Sid": "OwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": account.lambda_log_group_arn(&names.function)
            }
        ]
    })
}

/// Who may assume the agent's role: Bedrock, acting for an agent of this account and
/// region (the confused-deputy conditions AWS documents).
pub fn agent_trust(account: &Account) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account.id},
                "ArnLike": {"AWS:SourceArn": account.any_agent_arn()}
            }
        }]
    })
}

/// The agent's permissions: invoking the chosen model, streamed or not, through its
/// inference profile (and the foundation model behind it), and reading that profile and
/// that foundation model (AWS's agent service-role page asks for `GetFoundationModel`
/// with an inference profile; unconfirmed here: the stored copy of that page could not
/// be read past its opening, so this follows the reported requirement).
pub fn agent_permissions(account: &Account, model: &Model) -> Value {
    agent_permissions_for(account, &[model])
}

/// The agent's permissions for several models at once: while the agent moves from one
/// model to another, the live alias still runs on the old one until it routes to the
/// new version, so for that while the role must allow both.
pub fn agent_permissions_for(account: &Account, models: &[&Model]) -> Value {
    let mut invoke = Vec::new();
    let mut profiles = Vec::new();
    let mut behind_profiles = Vec::new();
    for model in models {
        let model_arn = account.foundation_model_arn(model);
        if model.is_inference_profile() {
            let profile_arn = account.inference_profile_arn(model.id());
            push_new(&mut invoke, profile_arn.clone());
            push_new(&mut profiles, profile_arn);
            push_new(&mut behind_profiles, model_arn.clone());
        }
        push_new(&mut invoke, model_arn);
    }
    let mut statements = vec![json!({
        "Sid": "InvokeModel",
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": one_or_many(invoke)
    })];
    if !profiles.is_empty() {
        statements.push(json!({
            "Sid": "ReadInferenceProfile",
            "Effect": "Allow",
            "Action": "bedrock:GetInferenceProfile",
            "Resource": one_or_many(profiles)
        }));
        statements.push(json!({
            "Sid": "ReadFoundationModel",
            "Effect": "Allow",
            "Action": "bedrock:GetFoundationModel",
            "Resource": one_or_many(behind_profiles)
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn push_new(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// One resource as a string (as IAM shows it), several as a list.
fn one_or_many(mut items: Vec<String>) -> Value {
    if items.len() == 1 {
        Value::String(items.remove(0))
    } else {
        json!(items)
    }
}

/// Whether two policy documents say the same thing: IAM returns them with its own
/// formatting, may turn a one-element list into a string (or back), and does not keep
/// the order of lists.
pub fn same_policy(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

fn normalize(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalize).collect();
            if items.len() == 1 {
                return items.remove(0);
            }
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}

/// Decodes a policy document as IAM returns it from `GetRole` / `GetRolePolicy`:
/// URL-encoded JSON (RFC 3986). Plain JSON is accepted too.
pub fn decode_iam_document(raw: &str) -> Result<Value, serde_json::Error> {
    match serde_json::from_str(raw) {
        Ok(v) => Ok(v),
        Err(_) => {
            let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
            serde_json::from_str(&decoded)
        }
    }
}

/// Every `Action` of a document, flattened.
pub fn actions(doc: &Value) -> Vec<String> {
    field_values(doc, "Action")
}

/// Every `Resource` of a document, flattened.
pub fn resources(doc: &Value) -> Vec<String> {
    field_values(doc, "Resource")
}

fn field_values(doc: &Value, field: &str) -> Vec<String> {
    let statements = match &doc["Statement"] {
        Value::Array(s) => s.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    statements
        .iter()
        .flat_map(|s| match &s[field] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::settings;

    fn account() -> Account {
        Account {
            partition: "aws".into(),
            region: "us-east-1".into(),
            id: "123456789012".into(),
        }
    }

    fn no_wildcard_action(doc: &Value) {
        let actions = actions(doc);
        assert!(!actions.is_empty());
        for a in actions {
            assert!(!a.contains('*'), "wildcard action {a} in {doc}");
        }
    }

    #[test]
    fn the_lambda_reaches_only_its_table_and_its_log_group() {
        let s = settings();
        let doc = lambda_permissions(&account(), &s.names());
        no_wildcard_action(&doc);
        let resources = resources(&doc);
        assert_eq!(
            resources,
            vec![
                "arn:aws:dynamodb:us-east-1:123456789012:table/hr-vacations".to_owned(),
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/hr-assistant-actions:*"
                    .to_owned(),
            ]
        );
        let table_actions: Vec<String> = actions(&doc)
            .into_iter()
            .filter(|a| a.starts_with("dynamodb:"))
            .collect();
        assert_eq!(table_actions, TABLE_ACTIONS);
        assert!(!table_actions
            .iter()
            .any(|a| a.contains("Delete") && a.contains("Table")));
    }

    #[test]
    fn the_agent_reaches_only_the_chosen_profile_and_its_model() {
        let s = settings();
        let doc = agent_permissions(&account(), &s.model);
        no_wildcard_action(&doc);
        let profile =
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0";
        let model = "arn:aws:bedrock:*::foundation-model/amazon.nova-micro-v1:0";
        for r in resources(&doc) {
            assert!(r == profile || r == model, "unexpected resource {r}");
        }
        let actions = actions(&doc);
        for needed in [
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream",
            "bedrock:GetInferenceProfile",
        ] {
            assert!(actions.iter().any(|a| a == needed), "missing {needed}");
        }
    }

    #[test]
    fn with_an_inference_profile_the_agent_may_read_the_foundation_model() {
        let s = settings();
        let doc = agent_permissions(&account(), &s.model);
        let model = "arn:aws:bedrock:*::foundation-model/amazon.nova-micro-v1:0";
        let reads: Vec<&Value> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|st| actions(&json!({"Statement": [st]})) == ["bedrock:GetFoundationModel"])
            .collect();
        assert_eq!(reads.len(), 1, "{doc}");
        assert_eq!(
            resources(&json!({"Statement": reads})),
            vec![model.to_owned()]
        );
    }

    #[test]
    fn the_lambda_writes_to_its_log_group_but_cannot_create_one() {
        let s = settings();
        let doc = lambda_permissions(&account(), &s.names());
        let actions = actions(&doc);
        assert!(!actions.iter().any(|a| a == "logs:CreateLogGroup"), "{doc}");
        for needed in ["logs:CreateLogStream", "logs:PutLogEvents"] {
            assert!(actions.iter().any(|a| a == needed), "missing {needed}");
        }
    }

    #[test]
    fn during_a_model_change_the_agent_may_use_both_models() {
        let old = Model::new("us.amazon.nova-lite-v1:0");
        let new = settings().model;
        let doc = agent_permissions_for(&account(), &[&new, &old]);
        no_wildcard_action(&doc);
        let resources = resources(&doc);
        for model in ["amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0"] {
            let arn = format!("arn:aws:bedrock:*::foundation-model/{model}");
            assert!(resources.contains(&arn), "{doc}");
            let profile =
                format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{model}");
            assert!(resources.contains(&profile), "{doc}");
        }
        assert!(same_policy(
            &agent_permissions_for(&account(), &[&new]),
            &agent_permissions(&account(), &new)
        ));
    }

    #[test]
    fn a_plain_model_id_is_allowed_in_its_region_only() {
        let doc = agent_permissions(&account(), &Model::new("amazon.nova-micro-v1:0"));
        no_wildcard_action(&doc);
        assert_eq!(
            resources(&doc),
            vec!["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0".to_owned()]
        );
        assert!(!actions(&doc)
            .iter()
            .any(|a| a == "bedrock:GetInferenceProfile"));
    }

    #[test]
    fn the_agent_trust_is_limited_to_bedrock_agents_of_this_account() {
        let doc = agent_trust(&account());
        let st = &doc["Statement"][0];
        assert_eq!(st["Principal"]["Service"], "bedrock.amazonaws.com");
        assert_eq!(st["Action"], "sts:AssumeRole");
        assert_eq!(
            st["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
        assert_eq!(
            st["Condition"]["ArnLike"]["AWS:SourceArn"],
            "arn:aws:bedrock:us-east-1:123456789012:agent/*"
        );
    }

    #[test]
    fn the_lambda_trust_names_only_the_lambda_service() {
        let doc = lambda_trust();
        assert_eq!(
            doc["Statement"][0]["Principal"]["Service"],
            "lambda.amazonaws.com"
        );
        no_wildcard_action(&doc);
    }

    #[test]
    fn documents_differing_only_in_iam_formatting_are_the_same() {
        let ours = lambda_trust();
        let theirs = json!({"Statement": [{"Action": ["sts:AssumeRole"], "Principal": {"Service": ["lambda.amazonaws.com"]}, "Effect": "Allow"}], "Version": "2012-10-17"});
        assert!(same_policy(&ours, &theirs));
        let other = json!({"Statement": [{"Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}, "Effect": "Allow"}], "Version": "2012-10-17"});
        assert!(!same_policy(&ours, &other));
    }

    #[test]
    fn url_encoded_documents_from_iam_decode() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            decode_iam_document(raw).unwrap(),
            json!({"Version": "2012-10-17", "Statement": []})
        );
    }
}
