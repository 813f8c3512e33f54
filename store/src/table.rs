//! Creating the table, and checking an existing one has our key schema.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TableDescription, TableStatus,
};

use crate::keys::{PK, SK};
use crate::{Store, StoreError};

/// How long [`Store::create_table_if_missing`] waits for ACTIVE.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

impl Store {
    /// Creates the table (on-demand billing) unless it exists, then waits until it is
    /// ACTIVE. Idempotent, and safe when several processes race to create it. Returns
    /// whether this call created it.
    ///
    /// An existing table with another key schema is an error: writing into it would fail
    /// item by item.
    #[tracing::instrument(skip(self), fields(table = %self.table))]
    pub async fn create_table_if_missing(&self) -> Result<bool, StoreError> {
        let created = match self.describe().await? {
            Some(existing) => {
                self.check_schema(&existing)?;
                false
            }
            None => self.create().await?,
        };
        self.wait_until_active().await?;
        Ok(created)
    }

    /// Checks that the table exists and has our key schema, without writing anything.
    pub async fn check_table(&self) -> Result<(), StoreError> {
        match self.describe().await? {
            Some(existing) => self.check_schema(&existing),
            None => Err(StoreError::TableNotFound {
                table: self.table.clone(),
            }),
        }
    }

    /// Deletes the table if it exists (tests and teardown).
    pub async fn delete_table(&self) -> Result<(), StoreError> {
        match self
            .client
            .delete_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(StoreError::dynamo("DeleteTable", e)),
        }
    }

    async fn describe(&self) -> Result<Option<TableDescription>, StoreError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(out) => Ok(out.table),
            Err(e)
                if e.as_service_error()
                    .is_some_and(DescribeTableError::is_resource_not_found_exception) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::dynamo("DescribeTable", e)),
        }
    }

    async fn create(&self) -> Result<bool, StoreError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        let request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute(PK).map_err(build_error)?)
            .attribute_definitions(attribute(SK).map_err(build_error)?)
            .key_schema(key(PK, KeyType::Hash).map_err(build_error)?)
            .key_schema(key(SK, KeyType::Range).map_err(build_error)?);
        match request.send().await {
            Ok(_) => Ok(true),
            // Someone else created it between our describe and create.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError::dynamo("CreateTable", e)),
        }
    }

    fn check_schema(&self, table: &TableDescription) -> Result<(), StoreError> {
        let schema: Vec<(String, String)> = table
            .key_schema()
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_owned(),
                    k.key_type().as_str().to_owned(),
                )
            })
            .collect();
        let type_of = |name: &str| {
            table
                .attribute_definitions()
                .iter()
                .find(|a| a.attribute_name() == name)
                .map(|a| a.attribute_type().as_str().to_owned())
                .unwrap_or_default()
        };
        let expected = [
            (PK.to_owned(), "HASH".to_owned()),
            (SK.to_owned(), "RANGE".to_owned()),
        ];
        if schema != expected || type_of(PK) != "S" || type_of(SK) != "S" {
            let found = schema
                .iter()
                .map(|(name, kind)| format!("{name} ({kind}, {})", type_of(name)))
                .collect::<Vec<_>>()
                .join(" and ");
            return Err(StoreError::TableSchemaMismatch {
                table: self.table.clone(),
                found,
            });
        }
        Ok(())
    }

    async fn wait_until_active(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(50);
        loop {
            let status = self.describe().await?.and_then(|t| t.table_status);
            if status == Some(TableStatus::Active) {
                return Ok(());
            }
            if started.elapsed() > ACTIVE_TIMEOUT {
                return Err(StoreError::TableNotReady {
                    table: self.table.clone(),
                    seconds: ACTIVE_TIMEOUT.as_secs(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::dynamo("CreateTable", e)
}
