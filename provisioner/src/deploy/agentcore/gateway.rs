//! The gateway (MCP, inbound `CUSTOM_JWT`, the REQUEST interceptor) and its Lambda target
//! (the tool schema rendered from the catalogue).

use std::collections::HashMap;

use aws_sdk_bedrockagentcorecontrol::operation::get_gateway::{GetGatewayError, GetGatewayOutput};
use aws_sdk_bedrockagentcorecontrol::operation::get_gateway_target::{
    GetGatewayTargetError, GetGatewayTargetOutput,
};
use aws_sdk_bedrockagentcorecontrol::types::{
    AuthorizerConfiguration, AuthorizerType, CredentialProviderConfiguration,
    CredentialProviderType, CustomJwtAuthorizerConfiguration, GatewayInterceptionPoint,
    GatewayInterceptorConfiguration, GatewayProtocolType, GatewayStatus, InterceptorConfiguration,
    InterceptorInputConfiguration, LambdaInterceptorConfiguration, McpLambdaTargetConfiguration,
    McpTargetConfiguration, SchemaDefinition, SchemaType, TargetConfiguration, TargetStatus,
    ToolDefinition, ToolSchema,
};
use serde_json::Value;

use super::Jwt;
use crate::deploy::{reasons, Change, Deployer, Done};
use crate::error::{found, Error, Result};
use crate::wait::{self, Poll};

/// The gateway as later steps need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayRef {
    /// Its id.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// Its MCP endpoint.
    pub url: String,
}

/// The gateway's description: also how `up` recognises a gateway it made.
pub const GATEWAY_DESCRIPTION: &str = "HR vacation tools (made by provisioner).";

impl Deployer {
    /// The gateway with our name, if any.
    pub(crate) async fn find_gateway(&self) -> Result<Option<String>> {
        let mut pages = self
            .clients
            .agentcore
            .list_gateways()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListGateways", e))?;
            if let Some(g) = page.items().iter().find(|g| g.name() == self.names.gateway) {
                return Ok(Some(g.gateway_id().to_owned()));
            }
        }
        Ok(None)
    }

    pub(crate) async fn get_gateway(&self, id: &str) -> Result<Option<GetGatewayOutput>> {
        found(
            "GetGateway",
            self.clients
                .agentcore
                .get_gateway()
                .gateway_identifier(id)
                .send()
                .await,
            GetGatewayError::is_resource_not_found_exception,
        )
    }

    pub(super) async fn ensure_gateway(
        &self,
        role_arn: &str,
        interceptor_arn: &str,
        jwt: &Jwt,
    ) -> Result<Done<GatewayRef>> {
        let existing = match self.find_gateway().await? {
            Some(id) => self.get_gateway(&id).await?,
            None => None,
        };
        let Some(gateway) = existing else {
            if self.dry_run {
                return Ok(Done::new(GatewayRef::default(), Change::WouldCreate));
            }
            let created = self
                .clients
                .agentcore
                .create_gateway()
                .name(&self.names.gateway)
                .description(GATEWAY_DESCRIPTION)
                .role_arn(role_arn)
                .protocol_type(GatewayProtocolType::Mcp)
                .authorizer_type(AuthorizerType::CustomJwt)
                .authorizer_configuration(authorizer(jwt)?)
                .interceptor_configurations(interceptor(interceptor_arn)?)
                .send()
                .await
                .map_err(|e| Error::aws("CreateGateway", e))?;
            let gateway = self.wait_gateway_ready(&created.gateway_id).await?;
            return Ok(Done::new(gateway_ref(&gateway), Change::Created));
        };
        let diffs = gateway_differences(&gateway, role_arn, interceptor_arn, jwt);
        let r = gateway_ref(&gateway);
        if diffs.is_empty() {
            return Ok(Done::new(r, Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(r, Change::WouldUpdate(diffs)));
        }
        self.wait_gateway_ready(&gateway.gateway_id).await?;
        // An update restates the whole gateway.
        self.clients
            .agentcore
            .update_gateway()
            .gateway_identifier(&gateway.gateway_id)
            .name(&self.names.gateway)
            .description(GATEWAY_DESCRIPTION)
            .role_arn(role_arn)
            .protocol_type(GatewayProtocolType::Mcp)
            .authorizer_type(AuthorizerType::CustomJwt)
            .authorizer_configuration(authorizer(jwt)?)
            .interceptor_configurations(interceptor(interceptor_arn)?)
            .send()
            .await
            .map_err(|e| Error::aws("UpdateGateway", e))?;
        let gateway = self.wait_gateway_ready(&gateway.gateway_id).await?;
        Ok(Done::new(gateway_ref(&gateway), Change::Updated(diffs)))
    }

    pub(crate) async fn wait_gateway_ready(&self, id: &str) -> Result<GetGatewayOutput> {
        let what = format!("gateway {}", self.names.gateway);
        wait::until(self.pacing.status, &what, || async {
            let Some(g) = self.get_gateway(id).await? else {
                return Ok(Poll::Pending("not found yet".into()));
            };
            match &g.status {
                GatewayStatus::Ready => Ok(Poll::Ready(g)),
                GatewayStatus::Failed | GatewayStatus::UpdateUnsuccessful => Err(Error::Failed {
                    what: what.clone(),
                    reasons: format!(
                        "{} ({})",
                        g.status.as_str(),
                        reasons(g.status_reasons.as_deref())
                    ),
                }),
                other => Ok(Poll::Pending(other.as_str().to_owned())),
            }
        })
        .await
    }

    /// Our target on the gateway, if any: its id.
    pub(crate) async fn find_target(&self, gateway_id: &str) -> Result<Option<String>> {
        let mut pages = self
            .clients
            .agentcore
            .list_gateway_targets()
            .gateway_identifier(gateway_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListGatewayTargets", e))?;
            if let Some(t) = page.items().iter().find(|t| t.name() == self.names.target) {
                return Ok(Some(t.target_id().to_owned()));
            }
        }
        Ok(None)
    }

    pub(crate) async fn get_target(
        &self,
        gateway_id: &str,
        target_id: &str,
    ) -> Result<Option<GetGatewayTargetOutput>> {
        found(
            "GetGatewayTarget",
            self.clients
                .agentcore
                .get_gateway_target()
                .gateway_identifier(gateway_id)
                .target_id(target_id)
                .send()
                .await,
            GetGatewayTargetError::is_resource_not_found_exception,
        )
    }

    pub(super) async fn ensure_target(
        &self,
        gateway: &GatewayRef,
        function_arn: &str,
    ) -> Result<Done<String>> {
        if gateway.id.is_empty() {
            return Ok(Done::new(String::new(), Change::WouldCreate));
        }
        let wanted = target_configuration(function_arn)?;
        let existing = match self.find_target(&gateway.id).await? {
            Some(id) => self.get_target(&gateway.id, &id).await?,
            None => None,
        };
        let Some(target) = existing else {
            if self.dry_run {
                return Ok(Done::new(String::new(), Change::WouldCreate));
            }
            let created = self
                .clients
                .agentcore
                .create_gateway_target()
                .gateway_identifier(&gateway.id)
                .name(&self.names.target)
                .description("The vacation tools Lambda.")
                .target_configuration(wanted)
                .credential_provider_configurations(gateway_role_credentials()?)
                .send()
                .await
                .map_err(|e| Error::aws("CreateGatewayTarget", e))?;
            self.wait_target_ready(&gateway.id, &created.target_id)
                .await?;
            return Ok(Done::new(created.target_id, Change::Created));
        };
        let diffs = target_differences(&target, &wanted);
        if diffs.is_empty() {
            return Ok(Done::new(target.target_id, Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(target.target_id, Change::WouldUpdate(diffs)));
        }
        self.clients
            .agentcore
            .update_gateway_target()
            .gateway_identifier(&gateway.id)
            .target_id(&target.target_id)
            .name(&self.names.target)
            .description("The vacation tools Lambda.")
            .target_configuration(wanted)
            .credential_provider_configurations(gateway_role_credentials()?)
            .send()
            .await
            .map_err(|e| Error::aws("UpdateGatewayTarget", e))?;
        self.wait_target_ready(&gateway.id, &target.target_id)
            .await?;
        Ok(Done::new(target.target_id, Change::Updated(diffs)))
    }

    async fn wait_target_ready(&self, gateway_id: &str, target_id: &str) -> Result<()> {
        let what = format!("gateway target {}", self.names.target);
        wait::until(self.pacing.status, &what, || async {
            let Some(t) = self.get_target(gateway_id, target_id).await? else {
                return Ok(Poll::Pending("not found yet".into()));
            };
            match &t.status {
                TargetStatus::Ready => Ok(Poll::Ready(())),
                TargetStatus::Failed
                | TargetStatus::UpdateUnsuccessful
                | TargetStatus::SynchronizeUnsuccessful => Err(Error::Failed {
                    what: what.clone(),
                    reasons: format!(
                        "{} ({})",
                        t.status.as_str(),
                        reasons(t.status_reasons.as_deref())
                    ),
                }),
                other => Ok(Poll::Pending(other.as_str().to_owned())),
            }
        })
        .await
    }
}

fn gateway_ref(g: &GetGatewayOutput) -> GatewayRef {
    GatewayRef {
        id: g.gateway_id.clone(),
        arn: g.gateway_arn.clone(),
        url: g.gateway_url.clone().unwrap_or_default(),
    }
}

fn conflict(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Conflict {
        what: what.to_owned(),
        problem: e.to_string(),
    }
}

/// The inbound `CUSTOM_JWT` authorizer.
pub(crate) fn authorizer(jwt: &Jwt) -> Result<AuthorizerConfiguration> {
    let mut c = CustomJwtAuthorizerConfiguration::builder().discovery_url(&jwt.discovery_url);
    if !jwt.audiences.is_empty() {
        c = c.set_allowed_audience(Some(jwt.audiences.clone()));
    }
    if !jwt.clients.is_empty() {
        c = c.set_allowed_clients(Some(jwt.clients.clone()));
    }
    Ok(AuthorizerConfiguration::CustomJwtAuthorizer(
        c.build().map_err(|e| conflict("the JWT authorizer", e))?,
    ))
}

/// The REQUEST interceptor, with the request headers passed (the interceptor reads the
/// caller's token from `Authorization`). The exception level is left at its default, so
/// the model never sees internal errors.
pub(crate) fn interceptor(arn: &str) -> Result<GatewayInterceptorConfiguration> {
    let lambda = LambdaInterceptorConfiguration::builder()
        .arn(arn)
        .build()
        .map_err(|e| conflict("the interceptor", e))?;
    GatewayInterceptorConfiguration::builder()
        .interceptor(InterceptorConfiguration::Lambda(lambda))
        .interception_points(GatewayInterceptionPoint::Request)
        .input_configuration(
            InterceptorInputConfiguration::builder()
                .pass_request_headers(true)
                .build()
                .map_err(|e| conflict("the interceptor", e))?,
        )
        .build()
        .map_err(|e| conflict("the interceptor", e))
}

fn gateway_role_credentials() -> Result<CredentialProviderConfiguration> {
    // Lambda targets support only the gateway's own role outbound.
    CredentialProviderConfiguration::builder()
        .credential_provider_type(CredentialProviderType::GatewayIamRole)
        .build()
        .map_err(|e| conflict("the target's credentials", e))
}

/// What differs between the deployed gateway and ours.
pub(crate) fn gateway_differences(
    g: &GetGatewayOutput,
    role_arn: &str,
    interceptor_arn: &str,
    jwt: &Jwt,
) -> Vec<String> {
    let mut diffs = Vec::new();
    if g.role_arn.as_deref() != Some(role_arn) {
        diffs.push("role".to_owned());
    }
    if g.protocol_type != GatewayProtocolType::Mcp {
        diffs.push("protocol MCP".to_owned());
    }
    let jwt_ok = g.authorizer_type == AuthorizerType::CustomJwt
        && match &g.authorizer_configuration {
            Some(AuthorizerConfiguration::CustomJwtAuthorizer(c)) => {
                c.discovery_url == jwt.discovery_url
                    && sorted(c.allowed_audience.as_deref()) == sorted(Some(&jwt.audiences))
                    && sorted(c.allowed_clients.as_deref()) == sorted(Some(&jwt.clients))
            }
            _ => false,
        };
    if !jwt_ok {
        diffs.push("JWT authorizer".to_owned());
    }
    let interceptor_ok = match g.interceptor_configurations.as_deref() {
        Some([one]) => {
            matches!(&one.interceptor, Some(InterceptorConfiguration::Lambda(l)) if l.arn == interceptor_arn)
                && one.interception_points == [GatewayInterceptionPoint::Request]
                && one
                    .input_configuration
                    .as_ref()
                    .is_some_and(|i| i.pass_request_headers)
        }
        _ => false,
    };
    if !interceptor_ok {
        diffs.push("REQUEST interceptor".to_owned());
    }
    diffs
}

fn sorted(v: Option<&[String]>) -> Vec<String> {
    let mut v = v.unwrap_or_default().to_vec();
    v.sort();
    v
}

/// The Lambda target: our function, and the catalogue's tools as the gateway's schema.
pub(crate) fn target_configuration(function_arn: &str) -> Result<TargetConfiguration> {
    let tools = tool_definitions(&tools::catalogue::gateway_tool_schema(
        crate::schema::DEPLOYED_POLICY,
    ))?;
    let lambda = McpLambdaTargetConfiguration::builder()
        .lambda_arn(function_arn)
        .tool_schema(ToolSchema::InlinePayload(tools))
        .build()
        .map_err(|e| conflict("the gateway target", e))?;
    Ok(TargetConfiguration::Mcp(McpTargetConfiguration::Lambda(
        lambda,
    )))
}

/// The catalogue's gateway schema (`[{name, description, inputSchema, outputSchema}]`)
/// as the SDK's types.
pub(crate) fn tool_definitions(schema: &Value) -> Result<Vec<ToolDefinition>> {
    let tools = schema.as_array().cloned().unwrap_or_default();
    tools
        .iter()
        .map(|t| {
            ToolDefinition::builder()
                .name(t["name"].as_str().unwrap_or_default())
                .description(t["description"].as_str().unwrap_or_default())
                .set_input_schema(Some(schema_definition(&t["inputSchema"])?))
                .set_output_schema(match &t["outputSchema"] {
                    Value::Null => None,
                    s => Some(schema_definition(s)?),
                })
                .build()
                .map_err(|e| conflict("a tool definition", e))
        })
        .collect()
}

fn schema_definition(v: &Value) -> Result<SchemaDefinition> {
    let kind = SchemaType::from(v["type"].as_str().unwrap_or("object"));
    let properties = match v["properties"].as_object() {
        Some(map) => Some(
            map.iter()
                .map(|(k, p)| Ok((k.clone(), schema_definition(p)?)))
                .collect::<Result<HashMap<_, _>>>()?,
        ),
        None => None,
    };
    let required = v["required"].as_array().map(|r| {
        r.iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    });
    let items = match &v["items"] {
        Value::Null => None,
        i => Some(Box::new(schema_definition(i)?)),
    };
    SchemaDefinition::builder()
        .r#type(kind)
        .set_properties(properties)
        .set_required(required)
        .set_items(items)
        .set_description(v["description"].as_str().map(str::to_owned))
        .build()
        .map_err(|e| conflict("a tool schema", e))
}

/// What differs between the deployed target and ours.
pub(crate) fn target_differences(
    t: &GetGatewayTargetOutput,
    wanted: &TargetConfiguration,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let (have_lambda, have_tools) = lambda_and_tools(t.target_configuration.as_ref());
    let (want_lambda, want_tools) = lambda_and_tools(Some(wanted));
    if have_lambda != want_lambda {
        diffs.push("Lambda".to_owned());
    }
    if canonical_tools(have_tools) != canonical_tools(want_tools) {
        diffs.push("tool schema".to_owned());
    }
    if !t
        .credential_provider_configurations
        .iter()
        .all(|c| c.credential_provider_type == CredentialProviderType::GatewayIamRole)
        || t.credential_provider_configurations.is_empty()
    {
        diffs.push("credentials: the gateway's role".to_owned());
    }
    diffs
}

fn lambda_and_tools(c: Option<&TargetConfiguration>) -> (Option<&str>, &[ToolDefinition]) {
    match c {
        Some(TargetConfiguration::Mcp(McpTargetConfiguration::Lambda(l))) => (
            Some(l.lambda_arn.as_str()),
            match &l.tool_schema {
                Some(ToolSchema::InlinePayload(t)) => t.as_slice(),
                _ => &[],
            },
        ),
        _ => (None, &[]),
    }
}

/// Tools as JSON, in name order: the same schema compares equal whatever order AWS lists
/// tools or properties in (properties are a map; a missing `required` is an empty one).
fn canonical_tools(tools: &[ToolDefinition]) -> Vec<Value> {
    let mut out: Vec<(String, Value)> = tools
        .iter()
        .map(|t| {
            let json = serde_json::json!({
                "name": t.name,
                "description": t.description,
                "inputSchema": t.input_schema.as_ref().map(schema_json),
                "outputSchema": t.output_schema.as_ref().map(schema_json),
            });
            (t.name.clone(), json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

fn schema_json(s: &SchemaDefinition) -> Value {
    let properties: serde_json::Map<String, Value> = s
        .properties
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), schema_json(v)))
        .collect();
    let mut required = s.required.clone().unwrap_or_default();
    required.sort();
    serde_json::json!({
        "type": s.r#type.as_str(),
        "properties": properties,
        "required": required,
        "items": s.items.as_deref().map(schema_json),
        "description": s.description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_tools_in_another_order_compare_equal() {
        let config = target_configuration("arn:aws:lambda:us-east-1:1:function:f").unwrap();
        let (_, tools) = lambda_and_tools(Some(&config));
        let mut reordered: Vec<ToolDefinition> = tools.to_vec();
        reordered.reverse();
        // The same properties inserted in another order, and no `required` at all where
        // there was an empty one.
        for t in &mut reordered {
            if let Some(input) = t.input_schema.as_mut() {
                let props: Vec<_> = input
                    .properties
                    .take()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                input.properties = Some(props.into_iter().rev().collect());
                if input.required.as_ref().is_some_and(|r| r.is_empty()) {
                    input.required = None;
                }
            }
        }
        assert_eq!(canonical_tools(tools), canonical_tools(&reordered));
        reordered[0].description.push('!');
        assert_ne!(canonical_tools(tools), canonical_tools(&reordered));
    }

    #[test]
    fn the_target_schema_is_the_catalogues() {
        let config = target_configuration("arn:aws:lambda:us-east-1:1:function:f").unwrap();
        let (lambda, tools) = lambda_and_tools(Some(&config));
        assert_eq!(lambda, Some("arn:aws:lambda:us-east-1:1:function:f"));
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        let catalogue: Vec<&str> = tools::catalogue::TOOLS.iter().map(|t| t.name).collect();
        assert_eq!(names, catalogue);
        for t in tools {
            let input = t.input_schema.as_ref().unwrap();
            assert_eq!(input.r#type, SchemaType::Object);
        }
    }
}
