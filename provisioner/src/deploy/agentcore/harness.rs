//! The harness: the managed agent loop, with the catalogue's tools as inline functions
//! (return of control to the terminal), memory disabled and no built-in tools.

use aws_sdk_bedrockagentcorecontrol::operation::get_harness::GetHarnessError;
use aws_sdk_bedrockagentcorecontrol::types::{
    Harness, HarnessBedrockModelConfig, HarnessDisabledMemoryConfiguration,
    HarnessInlineFunctionConfig, HarnessMemoryConfiguration, HarnessModelConfiguration,
    HarnessStatus, HarnessSystemContentBlock, HarnessTool, HarnessToolConfiguration,
    HarnessToolType, UpdatedHarnessMemoryConfiguration,
};
use aws_smithy_types::Document;
use serde_json::Value;

use crate::config::INSTRUCTION;
use crate::deploy::{Change, Deployer, Done};
use crate::error::{found, Error, Result};
use crate::wait::{self, Poll};

/// How many model-and-tool steps one turn may take.
pub const MAX_ITERATIONS: i32 = 12;

/// How long one turn may take, in seconds.
pub const TIMEOUT_SECONDS: i32 = 120;

/// What the harness's instruction adds to the agent's: the tools run in the person's
/// terminal, under their identity, and bookings wait for their answer.
pub const HARNESS_NOTE: &str = " Each tool runs in the person's own terminal, under their \
identity; bookings and cancellations run only after they confirm. If a tool answers that the \
person declined, do not call it again for the same dates unless they ask.";

/// The harness as later commands need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HarnessRef {
    /// Its id.
    pub id: String,
    /// Its ARN (what `InvokeHarness` takes).
    pub arn: String,
}

impl Deployer {
    /// The harness with our name, if any: its id.
    pub(crate) async fn find_harness(&self) -> Result<Option<String>> {
        let mut pages = self
            .clients
            .agentcore
            .list_harnesses()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListHarnesses", e))?;
            if let Some(h) = page
                .harnesses()
                .iter()
                .find(|h| h.harness_name() == self.names.harness)
            {
                return Ok(Some(h.harness_id().to_owned()));
            }
        }
        Ok(None)
    }

    pub(crate) async fn get_harness(&self, id: &str) -> Result<Option<Harness>> {
        Ok(found(
            "GetHarness",
            self.clients
                .agentcore
                .get_harness()
                .harness_id(id)
                .send()
                .await,
            GetHarnessError::is_resource_not_found_exception,
        )?
        .and_then(|o| o.harness))
    }

    pub(super) async fn ensure_harness(&self, role_arn: &str) -> Result<Done<HarnessRef>> {
        let existing = match self.find_harness().await? {
            Some(id) => self.get_harness(&id).await?,
            None => None,
        };
        let Some(harness) = existing else {
            if self.dry_run {
                return Ok(Done::new(HarnessRef::default(), Change::WouldCreate));
            }
            let agentcore = &self.clients.agentcore;
            let created = wait::retry_propagation(self.pacing.iam, is_role_propagation, || {
                agentcore
                    .create_harness()
                    .harness_name(&self.names.harness)
                    .execution_role_arn(role_arn)
                    .model(model(self.settings.model.id()))
                    .system_prompt(system_prompt())
                    .set_tools(Some(inline_tools()))
                    .set_allowed_tools(Some(allowed_tools()))
                    .memory(no_memory())
                    .max_iterations(MAX_ITERATIONS)
                    .timeout_seconds(TIMEOUT_SECONDS)
                    .send()
            })
            .await
            .map_err(|e| Error::aws("CreateHarness", e))?;
            let id = created
                .harness
                .map(|h| h.harness_id)
                .ok_or_else(|| Error::Conflict {
                    what: format!("harness {}", self.names.harness),
                    problem: "CreateHarness returned no harness".into(),
                })?;
            let ready = self.wait_harness_ready(&id).await?;
            return Ok(Done::new(harness_ref(&ready), Change::Created));
        };
        let diffs = harness_differences(&harness, role_arn, self.settings.model.id());
        let r = harness_ref(&harness);
        if diffs.is_empty() {
            return Ok(Done::new(r, Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(r, Change::WouldUpdate(diffs)));
        }
        self.wait_harness_ready(&harness.harness_id).await?;
        let agentcore = &self.clients.agentcore;
        wait::retry_propagation(self.pacing.iam, is_role_propagation, || {
            agentcore
                .update_harness()
                .harness_id(&harness.harness_id)
                .execution_role_arn(role_arn)
                .model(model(self.settings.model.id()))
                .system_prompt(system_prompt())
                .set_tools(Some(inline_tools()))
                .set_allowed_tools(Some(allowed_tools()))
                .memory(
                    UpdatedHarnessMemoryConfiguration::builder()
                        .set_optional_value(Some(no_memory()))
                        .build(),
                )
                .max_iterations(MAX_ITERATIONS)
                .timeout_seconds(TIMEOUT_SECONDS)
                .send()
        })
        .await
        .map_err(|e| Error::aws("UpdateHarness", e))?;
        let ready = self.wait_harness_ready(&harness.harness_id).await?;
        Ok(Done::new(harness_ref(&ready), Change::Updated(diffs)))
    }

    pub(crate) async fn wait_harness_ready(&self, id: &str) -> Result<Harness> {
        let what = format!("harness {}", self.names.harness);
        wait::until(self.pacing.status, &what, || async {
            let Some(h) = self.get_harness(id).await? else {
                return Ok(Poll::Pending("not found yet".into()));
            };
            match &h.status {
                HarnessStatus::Ready => Ok(Poll::Ready(h)),
                HarnessStatus::CreateFailed | HarnessStatus::UpdateFailed => Err(Error::Failed {
                    what: what.clone(),
                    reasons: format!(
                        "{} ({})",
                        h.status.as_str(),
                        h.failure_reason.as_deref().unwrap_or("no reason given")
                    ),
                }),
                other => Ok(Poll::Pending(other.as_str().to_owned())),
            }
        })
        .await
    }
}

fn harness_ref(h: &Harness) -> HarnessRef {
    HarnessRef {
        id: h.harness_id.clone(),
        arn: h.arn.clone(),
    }
}

/// AgentCore refusing a role it cannot assume yet (unconfirmed wording: a
/// ValidationException or AccessDeniedException naming the role), retried while IAM
/// propagates.
fn is_role_propagation<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    matches!(
        e.code(),
        Some("ValidationException" | "AccessDeniedException")
    ) && e.message().is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("role") && (m.contains("assume") || m.contains("trust"))
    })
}

fn model(id: &str) -> HarnessModelConfiguration {
    HarnessModelConfiguration::BedrockModelConfig(
        HarnessBedrockModelConfig::builder()
            .model_id(id)
            .build()
            .expect("model_id is set"),
    )
}

fn system_prompt() -> HarnessSystemContentBlock {
    HarnessSystemContentBlock::Text(format!("{INSTRUCTION}{HARNESS_NOTE}"))
}

fn no_memory() -> HarnessMemoryConfiguration {
    // Omitting `memory` provisions paid managed memory.
    HarnessMemoryConfiguration::Disabled(HarnessDisabledMemoryConfiguration::builder().build())
}

/// The catalogue's tools as inline functions: the harness hands each call back to the
/// terminal, which asks the person (bookings, cancellations) and then calls the gateway
/// under the person's token.
pub(crate) fn inline_tools() -> Vec<HarnessTool> {
    let schema = tools::catalogue::gateway_tool_schema(crate::schema::DEPLOYED_POLICY);
    schema
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            let config = HarnessInlineFunctionConfig::builder()
                .description(t["description"].as_str().unwrap_or_default())
                .input_schema(document(&t["inputSchema"]))
                .build()
                .expect("description and schema are set");
            HarnessTool::builder()
                .r#type(HarnessToolType::InlineFunction)
                .name(t["name"].as_str().unwrap_or_default())
                .config(HarnessToolConfiguration::InlineFunction(config))
                .build()
                .expect("type is set")
        })
        .collect()
}

/// Only our tools: this keeps the built-in shell and file tools off (unconfirmed: that
/// inline functions are named in `allowedTools` by their tool names).
pub(crate) fn allowed_tools() -> Vec<String> {
    tools::catalogue::TOOLS
        .iter()
        .map(|t| t.name.to_owned())
        .collect()
}

/// A JSON value as a Smithy document.
pub fn document(v: &Value) -> Document {
    use aws_smithy_types::Number;
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(document).collect()),
        Value::Object(o) => {
            Document::Object(o.iter().map(|(k, v)| (k.clone(), document(v))).collect())
        }
    }
}

/// Tools as JSON, in name order: their schemas are Smithy documents (maps), which compare
/// equal whatever order AWS returns their keys in.
fn tools_json(tools: &[HarnessTool]) -> Vec<Value> {
    let mut out: Vec<Value> = tools
        .iter()
        .map(|t| {
            let (description, schema) = match &t.config {
                Some(HarnessToolConfiguration::InlineFunction(f)) => {
                    (Some(f.description.clone()), json(&f.input_schema))
                }
                _ => (None, Value::Null),
            };
            serde_json::json!({
                "type": t.r#type.as_str(),
                "name": t.name,
                "description": description,
                "inputSchema": schema,
            })
        })
        .collect();
    out.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_owned());
    out
}

/// A Smithy document as JSON.
fn json(d: &Document) -> Value {
    use aws_smithy_types::Number;
    match d {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => Value::from(*f),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(a) => Value::Array(a.iter().map(json).collect()),
        Document::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
    }
}

/// What differs between the deployed harness and ours.
pub(crate) fn harness_differences(h: &Harness, role_arn: &str, model_id: &str) -> Vec<String> {
    let mut diffs = Vec::new();
    if h.execution_role_arn != role_arn {
        diffs.push("execution role".to_owned());
    }
    let model_ok = matches!(&h.model, Some(HarnessModelConfiguration::BedrockModelConfig(m)) if m.model_id == model_id);
    if !model_ok {
        diffs.push(format!("model {model_id}"));
    }
    if h.system_prompt != [system_prompt()] {
        diffs.push("instruction".to_owned());
    }
    if tools_json(&h.tools) != tools_json(&inline_tools()) {
        diffs.push("tools".to_owned());
    }
    let mut have = h.allowed_tools.clone();
    have.sort();
    let mut want = allowed_tools();
    want.sort();
    if have != want {
        diffs.push("allowed tools (no built-in shell or file tools)".to_owned());
    }
    if !matches!(h.memory, Some(HarnessMemoryConfiguration::Disabled(_))) {
        diffs.push("memory disabled".to_owned());
    }
    if h.max_iterations != Some(MAX_ITERATIONS) || h.timeout_seconds != Some(TIMEOUT_SECONDS) {
        diffs.push("limits".to_owned());
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_tool_is_an_inline_function_and_nothing_else_is_allowed() {
        let tools = inline_tools();
        assert_eq!(tools.len(), tools::catalogue::TOOLS.len());
        assert!(tools
            .iter()
            .all(|t| t.r#type == HarnessToolType::InlineFunction));
        assert_eq!(
            allowed_tools(),
            tools
                .iter()
                .map(|t| t.name.clone().unwrap())
                .collect::<Vec<_>>()
        );
        assert!(!allowed_tools()
            .iter()
            .any(|t| t.contains("shell") || t.contains("file")));
    }

    #[test]
    fn the_same_tools_in_another_key_order_have_no_differences() {
        let ours = inline_tools();
        let mut theirs = ours.clone();
        theirs.reverse();
        for t in &mut theirs {
            if let Some(HarnessToolConfiguration::InlineFunction(f)) = t.config.as_mut() {
                if let Document::Object(o) = &f.input_schema {
                    let mut pairs: Vec<_> = o.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    pairs.reverse();
                    let rebuilt: std::collections::HashMap<_, _> = pairs.into_iter().collect();
                    f.input_schema = Document::Object(rebuilt);
                }
            }
        }
        assert_eq!(tools_json(&ours), tools_json(&theirs));
        assert_eq!(
            json(&document(&serde_json::json!({"a": [1, -2, "x"]}))),
            serde_json::json!({"a": [1, -2, "x"]})
        );
    }

    #[test]
    fn json_becomes_the_same_document() {
        let v = serde_json::json!({"a": [1, -2, 2.5, "x", true, null]});
        let Document::Object(o) = document(&v) else {
            panic!()
        };
        let Document::Array(a) = &o["a"] else {
            panic!()
        };
        assert_eq!(a.len(), 6);
        assert_eq!(a[1], Document::Number(aws_smithy_types::Number::NegInt(-2)));
    }
}
