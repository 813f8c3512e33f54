//! Step 3: the Lambda function, its configuration and its code (uploaded only when the zip's hash changed).

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_lambda::operation::get_function_configuration::{
    GetFunctionConfigurationError, GetFunctionConfigurationOutput,
};
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, LastUpdateStatus, LogFormat, LoggingConfig, Runtime,
    State,
};
use aws_smithy_types::Blob;

use super::{Change, Deployer, Done, LambdaPackage};
use crate::config::{LAMBDA_MEMORY_MB, LAMBDA_RUNTIME, LAMBDA_TIMEOUT_SECONDS};
use crate::error::{found, Error, Result};
use crate::wait::{self, Poll};

/// The function as the later steps need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FunctionRef {
    /// Its ARN.
    pub arn: String,
    /// Whether this run created it.
    pub created: bool,
}

impl Deployer {
    pub(super) async fn ensure_function(
        &self,
        role_arn: &str,
        package: Option<&LambdaPackage>,
    ) -> Result<Done<FunctionRef>> {
        self.ensure_function_spec(&self.classic_function(role_arn), package)
            .await
    }

    /// The Classic action group's function, as `up` makes it and `status` compares it.
    pub(super) fn classic_function<'a>(&'a self, role_arn: &'a str) -> FunctionSpec<'a> {
        FunctionSpec {
            name: &self.names.function,
            description: "Answers the HR agent's action group (vacation balances and bookings).",
            role_arn,
            env: HashMap::from([("TABLE_NAME".to_owned(), self.names.table.clone())]),
        }
    }

    /// Creates or updates the function `spec` describes, from `package`.
    pub(super) async fn ensure_function_spec(
        &self,
        spec: &FunctionSpec<'_>,
        package: Option<&LambdaPackage>,
    ) -> Result<Done<FunctionRef>> {
        let existing = self.configuration_of(spec.name).await?;
        let Some(current) = existing else {
            let arn_if_new = format!(
                "arn:{}:lambda:{}:{}:function:{}",
                arn_partition(spec.role_arn),
                self.settings.region,
                arn_account(spec.role_arn),
                spec.name
            );
            let Some(package) = package.filter(|_| !self.dry_run) else {
                let arn = arn_if_new;
                let created = false;
                return Ok(Done::new(FunctionRef { arn, created }, Change::WouldCreate));
            };
            let arn = self.create_function(spec, package).await?;
            self.wait_function_settled(spec.name).await?;
            return Ok(Done::new(
                FunctionRef { arn, created: true },
                Change::Created,
            ));
        };

        let function = FunctionRef {
            arn: current.function_arn().unwrap_or_default().to_owned(),
            created: false,
        };
        let config_diffs = function_config_differences(&current, spec);
        let arch_differs = current.architectures() != [Architecture::X8664];
        let code_differs = match package {
            Some(p) => current.code_sha256() != Some(p.sha256.as_str()) || arch_differs,
            None => false,
        };
        let mut diffs = config_diffs.clone();
        if code_differs {
            diffs.push("code".to_owned());
        }
        if diffs.is_empty() {
            return Ok(Done::new(function, Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(function, Change::WouldUpdate(diffs)));
        }
        self.wait_function_settled(spec.name).await?;
        let lambda = &self.clients.lambda;
        if !config_diffs.is_empty() {
            wait::retry_propagation(self.pacing.iam, is_lambda_role_propagation, || {
                lambda
                    .update_function_configuration()
                    .function_name(spec.name)
                    .role(spec.role_arn)
                    .runtime(Runtime::from(LAMBDA_RUNTIME))
                    .handler("bootstrap")
                    .timeout(LAMBDA_TIMEOUT_SECONDS)
                    .memory_size(LAMBDA_MEMORY_MB)
                    .environment(environment(&spec.env))
                    .logging_config(json_logs())
                    .send()
            })
            .await
            .map_err(|e| Error::aws("UpdateFunctionConfiguration", e))?;
            self.wait_function_settled(spec.name).await?;
        }
        if let (true, Some(package)) = (code_differs, package) {
            lambda
                .update_function_code()
                .function_name(spec.name)
                .zip_file(Blob::new(package.bytes.clone()))
                .architectures(Architecture::X8664)
                .send()
                .await
                .map_err(|e| Error::aws("UpdateFunctionCode", e))?;
            self.wait_function_settled(spec.name).await?;
        }
        Ok(Done::new(function, Change::Updated(diffs)))
    }

    /// The configuration of the function `name`, if it exists.
    pub(crate) async fn configuration_of(
        &self,
        name: &str,
    ) -> Result<Option<GetFunctionConfigurationOutput>> {
        let answer = self
            .clients
            .lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await;
        found(
            "GetFunctionConfiguration",
            answer,
            GetFunctionConfigurationError::is_resource_not_found_exception,
        )
    }

    async fn create_function(
        &self,
        spec: &FunctionSpec<'_>,
        package: &LambdaPackage,
    ) -> Result<String> {
        let lambda = &self.clients.lambda;
        // A role created seconds ago may not be assumable by Lambda yet: Lambda then
        // refuses with InvalidParameterValue, which only time cures.
        let out = wait::retry_propagation(self.pacing.iam, is_lambda_role_propagation, || {
            lambda
                .create_function()
                .function_name(spec.name)
                .description(spec.description)
                .runtime(Runtime::from(LAMBDA_RUNTIME))
                .architectures(Architecture::X8664)
                .handler("bootstrap")
                .role(spec.role_arn)
                .code(
                    FunctionCode::builder()
                        .zip_file(Blob::new(package.bytes.clone()))
                        .build(),
                )
                .timeout(LAMBDA_TIMEOUT_SECONDS)
                .memory_size(LAMBDA_MEMORY_MB)
                .environment(environment(&spec.env))
                .logging_config(json_logs())
                .send()
        })
        .await
        .map_err(|e| Error::aws("CreateFunction", e))?;
        Ok(out.function_arn().unwrap_or_default().to_owned())
    }

    /// Waits until the function is Active and no update is in progress.
    async fn wait_function_settled(&self, name: &str) -> Result<()> {
        let what = format!("Lambda function {name}");
        wait::until(self.pacing.status, &what, || async {
            let Some(c) = self.configuration_of(name).await? else {
                return Ok(Poll::Pending("not found yet".into()));
            };
            let state = c.state().cloned().unwrap_or(State::Pending);
            let update = c
                .last_update_status()
                .cloned()
                .unwrap_or(LastUpdateStatus::Successful);
            if state == State::Failed || update == LastUpdateStatus::Failed {
                return Err(Error::Failed {
                    what: what.clone(),
                    reasons: c
                        .last_update_status_reason()
                        .or(c.state_reason())
                        .unwrap_or("no reason given")
                        .to_owned(),
                });
            }
            if state == State::Active && update == LastUpdateStatus::Successful {
                Ok(Poll::Ready(()))
            } else {
                Ok(Poll::Pending(format!(
                    "{} / {}",
                    state.as_str(),
                    update.as_str()
                )))
            }
        })
        .await
    }
}

// --- the function's log group -------------------------------------------------------

/// How many days the functions' log events are kept (one of the values CloudWatch Logs
/// accepts for `PutRetentionPolicy`).
pub(crate) const LOG_RETENTION_DAYS: i32 = 30;

/// The log group Lambda writes a function's logs to.
pub(crate) fn log_group_name(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// A function's log group after its step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogGroupRef {
    /// Its name.
    pub name: String,
    /// Whether this run created it.
    pub created: bool,
}

impl Deployer {
    /// Makes `function`'s log group with [`LOG_RETENTION_DAYS`], or sets the retention of
    /// the one there. The group is made before the function runs: the function's role
    /// may write to it but not create it.
    pub(crate) async fn ensure_log_group(&self, function: &str) -> Result<Done<LogGroupRef>> {
        let name = log_group_name(function);
        let logs = &self.clients.logs;
        let existing = self.find_log_group(function).await?;
        let mut created = false;
        let change = match existing {
            Some(group) if group.retention_in_days() == Some(LOG_RETENTION_DAYS) => {
                Change::Unchanged
            }
            Some(_) if self.dry_run => {
                Change::WouldUpdate(vec![format!("retention {LOG_RETENTION_DAYS} days")])
            }
            None if self.dry_run => Change::WouldCreate,
            Some(_) => Change::Updated(vec![format!("retention {LOG_RETENTION_DAYS} days")]),
            None => {
                // Lambda may make it first if the function ran with an older role that
                // still could: then it is simply there.
                let answer = logs.create_log_group().log_group_name(&name).send().await;
                created = found("CreateLogGroup", answer, |e| {
                    e.is_resource_already_exists_exception()
                })?
                .is_some();
                if created {
                    Change::Created
                } else {
                    Change::Updated(vec![format!("retention {LOG_RETENTION_DAYS} days")])
                }
            }
        };
        if change.wrote() {
            logs.put_retention_policy()
                .log_group_name(&name)
                .retention_in_days(LOG_RETENTION_DAYS)
                .send()
                .await
                .map_err(|e| Error::aws("PutRetentionPolicy", e))?;
        }
        Ok(Done::new(LogGroupRef { name, created }, change))
    }

    /// `function`'s log group, if it exists (`DescribeLogGroups` by prefix, every page,
    /// then the exact name: the prefix also matches longer names).
    pub(crate) async fn find_log_group(&self, function: &str) -> Result<Option<LogGroup>> {
        let name = log_group_name(function);
        let mut pages = self
            .clients
            .logs
            .describe_log_groups()
            .log_group_name_prefix(&name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("DescribeLogGroups", e))?;
            if let Some(group) = page
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name.as_str()))
            {
                return Ok(Some(group.clone()));
            }
        }
        Ok(None)
    }

    /// Deletes `function`'s log group; nothing to do when it is not there.
    pub(crate) async fn remove_log_group(&self, function: &str) -> Result<Done<()>> {
        if self.dry_run {
            let change = match self.find_log_group(function).await? {
                Some(_) => Change::WouldRemove,
                None => Change::Absent,
            };
            return Ok(Done::new((), change));
        }
        let answer = self
            .clients
            .logs
            .delete_log_group()
            .log_group_name(log_group_name(function))
            .send()
            .await;
        let removed = found("DeleteLogGroup", answer, |e| {
            e.is_resource_not_found_exception()
        })?
        .is_some();
        let change = if removed {
            Change::Removed
        } else {
            Change::Absent
        };
        Ok(Done::new((), change))
    }
}

/// Everything a Lambda configuration must match.
pub(super) struct FunctionSpec<'a> {
    /// The function's name.
    pub(super) name: &'a str,
    /// Its description.
    pub(super) description: &'a str,
    /// Its execution role.
    pub(super) role_arn: &'a str,
    /// Its environment.
    pub(super) env: HashMap<String, String>,
}

fn environment(vars: &HashMap<String, String>) -> Environment {
    Environment::builder()
        .set_variables(Some(vars.clone()))
        .build()
}

/// JSON log lines: Lambda then sets `AWS_LAMBDA_LOG_FORMAT=JSON`, which the handler
/// follows.
fn json_logs() -> LoggingConfig {
    LoggingConfig::builder().log_format(LogFormat::Json).build()
}

fn arn_partition(arn: &str) -> &str {
    arn.split(':').nth(1).unwrap_or("aws")
}

fn arn_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// What differs between the deployed function's configuration and ours.
pub(super) fn function_config_differences(
    c: &GetFunctionConfigurationOutput,
    spec: &FunctionSpec<'_>,
) -> Vec<String> {
    let mut diffs = Vec::new();
    if c.role() != Some(spec.role_arn) {
        diffs.push("role".to_owned());
    }
    if c.runtime().map(|r| r.as_str()) != Some(LAMBDA_RUNTIME) {
        diffs.push("runtime".to_owned());
    }
    if c.handler() != Some("bootstrap") {
        diffs.push("handler".to_owned());
    }
    if c.timeout() != Some(LAMBDA_TIMEOUT_SECONDS) {
        diffs.push(format!("timeout {LAMBDA_TIMEOUT_SECONDS} s"));
    }
    if c.memory_size() != Some(LAMBDA_MEMORY_MB) {
        diffs.push(format!("memory {LAMBDA_MEMORY_MB} MB"));
    }
    if c.logging_config().and_then(|l| l.log_format()) != Some(&LogFormat::Json) {
        diffs.push("JSON logs".to_owned());
    }
    let env = c
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    if env != spec.env {
        diffs.push("environment".to_owned());
    }
    diffs
}

/// Lambda's refusal of a role it cannot assume yet.
fn is_lambda_role_propagation<E>(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    e.code() == Some("InvalidParameterValueException")
        && e.message().is_some_and(|m| m.contains("cannot be assumed"))
}
