//! Step 1: the DynamoDB table (on demand, point-in-time recovery, deletion protection).

use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::operation::update_continuous_backups::UpdateContinuousBackupsError;
use aws_sdk_dynamodb::types::{
    PointInTimeRecoverySpecification, PointInTimeRecoveryStatus, Select, TableDescription,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use super::{Change, Deployer, Done};
use crate::error::{found, Error, Result};
use crate::wait;

/// The table as the later steps need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableRef {
    /// Whether this run created it.
    pub created: bool,
}

impl Deployer {
    pub(super) async fn ensure_table(&self) -> Result<Done<TableRef>> {
        let ddb = &self.clients.dynamodb;
        let table = &self.names.table;
        let existing = self.describe_table().await?;
        let Some(existing) = existing else {
            if self.dry_run {
                return Ok(Done::new(TableRef { created: false }, Change::WouldCreate));
            }
            // The store owns the key schema: it creates the table (on demand) and waits
            // until it is ACTIVE.
            store::Store::new(ddb.clone(), table.clone())
                .create_table_if_missing()
                .await?;
            self.set_table_options(true, self.settings.deletion_protection == Some(true))
                .await?;
            return Ok(Done::new(TableRef { created: true }, Change::Created));
        };

        let mut diffs = Vec::new();
        let pitr = ddb
            .describe_continuous_backups()
            .table_name(table)
            .send()
            .await
            .map_err(|e| Error::aws("DescribeContinuousBackups", e))?;
        let pitr_on = pitr
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            == Some(&PointInTimeRecoveryStatus::Enabled);
        if !pitr_on {
            diffs.push("point-in-time recovery on".to_owned());
        }
        let protection = existing.deletion_protection_enabled().unwrap_or(false);
        let wanted_protection = self.settings.deletion_protection.unwrap_or(protection);
        if protection != wanted_protection {
            diffs.push(format!("deletion protection {}", on_off(wanted_protection)));
        }
        let unchanged = TableRef { created: false };
        if diffs.is_empty() {
            return Ok(Done::new(unchanged, Change::Unchanged));
        }
        if self.dry_run {
            return Ok(Done::new(unchanged, Change::WouldUpdate(diffs)));
        }
        // Wait out an update in progress (a table being created by someone else, too).
        store::Store::new(ddb.clone(), table.clone())
            .create_table_if_missing()
            .await?;
        self.set_table_options(!pitr_on, wanted_protection != protection)
            .await
            .map(|()| Done::new(unchanged, Change::Updated(diffs)))
    }

    /// Whether the table holds no item (a `Scan` of at most one item, counted).
    pub(super) async fn table_is_empty(&self) -> Result<bool> {
        let out = self
            .clients
            .dynamodb
            .scan()
            .table_name(&self.names.table)
            .select(Select::Count)
            .limit(1)
            .send()
            .await
            .map_err(|e| Error::aws("Scan", e))?;
        Ok(out.count() == 0 && out.last_evaluated_key().is_none())
    }

    /// The table's description, if it exists.
    pub(super) async fn describe_table(&self) -> Result<Option<TableDescription>> {
        let answer = self
            .clients
            .dynamodb
            .describe_table()
            .table_name(&self.names.table)
            .send()
            .await;
        Ok(found(
            "DescribeTable",
            answer,
            DescribeTableError::is_resource_not_found_exception,
        )?
        .and_then(|o| o.table))
    }

    async fn set_table_options(&self, pitr: bool, protection: bool) -> Result<()> {
        let ddb = &self.clients.dynamodb;
        if pitr {
            let spec = PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .map_err(|e| Error::Conflict {
                    what: "point-in-time recovery".into(),
                    problem: e.to_string(),
                })?;
            // A table created moments ago refuses PITR until DynamoDB has turned its
            // continuous backups on ("Backups have not yet been enabled for this table").
            wait::retry_while(
                self.pacing.backups,
                "the table's continuous backups are not enabled yet",
                |e: &SdkError<UpdateContinuousBackupsError, HttpResponse>| {
                    e.as_service_error().is_some_and(
                        UpdateContinuousBackupsError::is_continuous_backups_unavailable_exception,
                    )
                },
                || {
                    ddb.update_continuous_backups()
                        .table_name(&self.names.table)
                        .point_in_time_recovery_specification(spec.clone())
                        .send()
                },
            )
            .await
            .map_err(|e| Error::aws("UpdateContinuousBackups", e))?;
        }
        if protection {
            let on = self.settings.deletion_protection.unwrap_or(false);
            ddb.update_table()
                .table_name(&self.names.table)
                .deletion_protection_enabled(on)
                .send()
                .await
                .map_err(|e| Error::aws("UpdateTable", e))?;
        }
        Ok(())
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}
