//! Reads, and the seeding write of an employee with balances.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::NaiveDate;
use domain::ledger::Ledger;
use domain::{Employee, EmployeeId, Reservation, ReservationId, YearBalance};

use crate::items::{self, entity, Item};
use crate::keys;
use crate::{Store, StoreError};

impl Store {
    /// Writes (or overwrites) an employee's profile and the given year balances, atomically.
    #[tracing::instrument(skip_all, fields(employee = %employee.id(), years = balances.len()))]
    pub async fn put_employee(
        &self,
        employee: &Employee,
        balances: &[YearBalance],
    ) -> Result<(), StoreError> {
        let put = |item: Item| {
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(|e| StoreError::dynamo("TransactWriteItems", e))
        };
        let mut writes = vec![put(items::employee_item(employee))?];
        for balance in balances {
            writes.push(put(items::balance_item(employee.id(), balance))?);
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?;
        Ok(())
    }

    /// The employee's profile, or [`StoreError::EmployeeNotFound`].
    #[tracing::instrument(skip(self))]
    pub async fn get_employee(&self, employee: EmployeeId) -> Result<Employee, StoreError> {
        match self.get_item(employee, keys::PROFILE.to_owned()).await? {
            Some(item) => items::employee_from_item(&item),
            None => Err(StoreError::EmployeeNotFound(employee)),
        }
    }

    /// The employee's balance for `year`: [`StoreError::NoBalanceForYear`] when the
    /// employee exists without one, [`StoreError::EmployeeNotFound`] when they do not.
    #[tracing::instrument(skip(self))]
    pub async fn get_balance(
        &self,
        employee: EmployeeId,
        year: i32,
    ) -> Result<YearBalance, StoreError> {
        match self.get_item(employee, keys::year_sk(year)).await? {
            Some(item) => {
                let balance = items::balance_from_item(&item)?;
                self.saw(employee, [&balance]);
                Ok(balance)
            }
            None => {
                // Only the unhappy path pays for a second read, to say which is missing.
                self.get_employee(employee).await?;
                Err(StoreError::NoBalanceForYear { employee, year })
            }
        }
    }

    /// The balance of the employee's most recent year.
    #[tracing::instrument(skip(self))]
    pub async fn latest_balance(&self, employee: EmployeeId) -> Result<YearBalance, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(keys::employee_pk(employee)))
            .expression_attribute_values(":prefix", AttributeValue::S(keys::YEAR_PREFIX.into()))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        match out.items().first() {
            Some(item) => items::balance_from_item(item),
            None => {
                self.get_employee(employee).await?;
                Err(StoreError::NoBalances(employee))
            }
        }
    }

    /// The employee's reservations in start-date order, only those touching `year` when
    /// given. [`StoreError::EmployeeNotFound`] for an unknown employee.
    #[tracing::instrument(skip(self))]
    pub async fn list_reservations(
        &self,
        employee: EmployeeId,
        year: Option<i32>,
    ) -> Result<Vec<Reservation>, StoreError> {
        // `PROFILE` sorts just before `RES#…`, so one range query returns the profile
        // (proving the employee exists) and every reservation.
        let found = self
            .query_partition(employee, Some((keys::PROFILE, "RES$")))
            .await?;
        let mut exists = false;
        let mut reservations = Vec::new();
        for item in &found {
            match items::entity_of(item) {
                Some(entity::EMPLOYEE) => exists = true,
                Some(entity::RESERVATION) => reservations.push(items::reservation_from_item(item)?),
                _ => {}
            }
        }
        if !exists {
            return Err(StoreError::EmployeeNotFound(employee));
        }
        reservations.retain(|r| year.is_none_or(|y| r.range().touches_year(y)));
        reservations.sort_by_key(|r| (r.range().start(), r.id().clone()));
        Ok(reservations)
    }

    /// One reservation by id, if it exists.
    #[tracing::instrument(skip(self))]
    pub async fn get_reservation(
        &self,
        employee: EmployeeId,
        id: &ReservationId,
    ) -> Result<Option<Reservation>, StoreError> {
        self.get_item(employee, keys::reservation_sk(id))
            .await?
            .map(|item| items::reservation_from_item(&item))
            .transpose()
    }

    /// The reservation that books `date` for the employee, if any.
    /// The employee's history, oldest first: every booking and cancellation, with who made
    /// it and the balances before and after. Fails with [`StoreError::EmployeeNotFound`]
    /// when there is no such employee.
    #[tracing::instrument(skip(self))]
    pub async fn history(
        &self,
        employee: EmployeeId,
    ) -> Result<Vec<domain::history::HistoryEntry>, StoreError> {
        // `HIST#…` sorts just before `PROFILE`, so one range query returns the history and
        // the profile (proving the employee exists).
        let found = self
            .query_partition(employee, Some((keys::HISTORY_PREFIX, keys::PROFILE)))
            .await?;
        let mut exists = false;
        let mut history = Vec::new();
        for item in &found {
            match items::entity_of(item) {
                Some(entity::EMPLOYEE) => exists = true,
                Some(entity::HISTORY) => history.push(items::history_from_item(item)?),
                _ => {}
            }
        }
        if !exists {
            return Err(StoreError::EmployeeNotFound(employee));
        }
        // By time; within one millisecond a booking before the cancellation of it.
        history.sort_by_key(|h| (h.at, h.kind == domain::history::ChangeKind::Cancelled));
        Ok(history)
    }

    pub(crate) async fn day_claim_owner(
        &self,
        employee: EmployeeId,
        date: NaiveDate,
    ) -> Result<Option<ReservationId>, StoreError> {
        self.get_item(employee, keys::day_sk(date))
            .await?
            .map(|item| items::day_claim_from_item(&item).map(|c| c.reservation))
            .transpose()
    }

    /// Everything stored for the employee (balances, reservations, claims), read in one
    /// consistent query, for auditing with [`Ledger::audit`].
    #[tracing::instrument(skip(self))]
    pub async fn ledger(&self, employee: EmployeeId) -> Result<Ledger, StoreError> {
        self.ledger_and_profile(employee)
            .await
            .map(|(ledger, _)| ledger)
    }

    /// [`Store::ledger`], and whether the partition holds a profile, from the same query.
    pub(crate) async fn ledger_and_profile(
        &self,
        employee: EmployeeId,
    ) -> Result<(Ledger, bool), StoreError> {
        let mut has_profile = false;
        let mut ledger = Ledger::empty(employee);
        for item in self.query_partition(employee, None).await? {
            match items::entity_of(&item) {
                Some(entity::BALANCE) => ledger
                    .balances
                    .push(items::balance_figures_from_item(&item)?),
                Some(entity::RESERVATION) => ledger
                    .reservations
                    .push(items::reservation_from_item(&item)?),
                Some(entity::DAY_CLAIM) => ledger.claims.push(items::day_claim_from_item(&item)?),
                Some(entity::HISTORY) => ledger.history.push(items::history_from_item(&item)?),
                // A profile that does not read counts as none, as in the audit's scan.
                Some(entity::EMPLOYEE) => has_profile = items::employee_from_item(&item).is_ok(),
                _ => {}
            }
        }
        Ok((ledger, has_profile))
    }

    async fn get_item(&self, employee: EmployeeId, sk: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(keys::employee_pk(employee), sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("GetItem", e))?;
        Ok(out.item)
    }

    /// Every item of the partition, or those whose sort key is between the bounds.
    pub(crate) async fn query_partition(
        &self,
        employee: EmployeeId,
        between: Option<(&str, &str)>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_values(":pk", AttributeValue::S(keys::employee_pk(employee)));
        request = match between {
            Some((low, high)) => request
                .key_condition_expression("PK = :pk AND SK BETWEEN :low AND :high")
                .expression_attribute_values(":low", AttributeValue::S(low.into()))
                .expression_attribute_values(":high", AttributeValue::S(high.into())),
            None => request.key_condition_expression("PK = :pk"),
        };
        let mut pages = request.into_paginator().items().send();
        let mut found = Vec::new();
        while let Some(item) = pages.next().await {
            found.push(item.map_err(|e| StoreError::dynamo("Query", e))?);
        }
        Ok(found)
    }
}
