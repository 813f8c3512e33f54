//! What bookings and cancellations share: who makes the change, the balances read before
//! it, the transaction plan (its actions and what each one is), and the history entry
//! written in the same transaction.
//!
//! A change plans from the balances it touches (read with one consistent query, or the
//! figures this process last saw: see [`crate::recent`]), then conditions each balance
//! update on exactly those figures, so the history entry it writes holds the true figures
//! before and after. When another change got there first, the failed condition returns
//! the balance as it now is (`ALL_OLD`) and the change is planned again from those
//! figures, without another read ([`Store::apply`]).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use chrono::NaiveDate;
use domain::history::{BalanceChange, ChangeKind, HistoryEntry};
use domain::{Actor, EmployeeId, EmployeeStatus, Reservation, YearBalance};

use crate::items::{self, Item};
use crate::keys;
use crate::{Store, StoreError};

/// Who makes a change, and the request it comes from: what the history records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The acting user and role.
    pub actor: Actor,
    /// The request (agent session and turn, MCP request id, …), at most
    /// [`HistoryEntry::MAX_REQUEST_LEN`] bytes; longer text is cut.
    pub request: String,
}

impl Attribution {
    /// `actor` acting in `request`.
    pub fn new(actor: Actor, request: impl Into<String>) -> Self {
        let mut request = request.into();
        if request.len() > HistoryEntry::MAX_REQUEST_LEN {
            let mut end = HistoryEntry::MAX_REQUEST_LEN;
            while !request.is_char_boundary(end) {
                end -= 1;
            }
            request.truncate(end);
        }
        Self { actor, request }
    }
}

/// What each action of a transaction is, in the transaction's order, so that the
/// cancellation reasons (which come back in the same order) can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// The profile exists (and is Active, for a booking or an employee's cancellation).
    EmployeeCheck,
    /// A year balance, planned from `before` (`None`: no balance item was found).
    Balance {
        year: i32,
        days: u32,
        before: Option<YearBalance>,
    },
    /// The reservation's put (booking) or delete (cancelling).
    Reservation,
    /// A day claim's put or delete.
    Claim(NaiveDate),
    /// The history entry's put.
    History,
}

/// A prepared transaction: its actions, what they are, and its client token.
pub(crate) struct Plan {
    pub items: Vec<TransactWriteItem>,
    pub actions: Vec<Action>,
    pub token: String,
}

/// What a sent plan came to, short of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Written as planned.
    Done,
    /// A booking that already stands with the same days (a retried request).
    Replayed(Reservation),
    /// A balance changed since it was read: plan again from these figures.
    Moved(Vec<YearBalance>),
}

/// How a balance changes: a booking takes days, a cancellation gives them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Take,
    GiveBack,
}

/// The most times a change is planned again because a balance moved under it: each time
/// another change to the same balance committed first, so this bounds only a pile-up of
/// concurrent changes to one employee.
pub(crate) const MAX_REPLANS: u32 = 64;

fn built<T>(result: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::dynamo("TransactWriteItems", e))
}

impl Plan {
    pub(crate) fn new(token: String) -> Self {
        Self {
            items: Vec::new(),
            actions: Vec::new(),
            token,
        }
    }

    fn push(&mut self, item: TransactWriteItem, action: Action) {
        self.items.push(item);
        self.actions.push(action);
    }

    /// A check that `employee`'s profile exists and, when `active` is set, is Active.
    pub(crate) fn check_employee(
        &mut self,
        table: &str,
        employee: EmployeeId,
        active: bool,
    ) -> Result<(), StoreError> {
        let mut check = ConditionCheck::builder()
            .table_name(table)
            .set_key(Some(items::key(
                keys::employee_pk(employee),
                keys::PROFILE.to_owned(),
            )))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        check = if active {
            check
                .condition_expression("attribute_exists(PK) AND #status = :active")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(
                    ":active",
                    AttributeValue::S(EmployeeStatus::Active.as_str().to_owned()),
                )
        } else {
            check.condition_expression("attribute_exists(PK)")
        };
        let item = TransactWriteItem::builder()
            .condition_check(built(check.build())?)
            .build();
        self.push(item, Action::EmployeeCheck);
        Ok(())
    }

    /// Takes or gives back `days` of `year`, conditioned on the balance being exactly
    /// `before`. With no `before` (no balance found) the condition cannot hold, so the
    /// transaction is refused and the reason says whether the balance has appeared since.
    pub(crate) fn change_balance(
        &mut self,
        table: &str,
        employee: EmployeeId,
        year: i32,
        days: u32,
        before: Option<YearBalance>,
        direction: Direction,
    ) -> Result<(), StoreError> {
        let n = |v: u32| AttributeValue::N(v.to_string());
        let (expression, enough) = match direction {
            Direction::Take => (
                "SET #available = #available - :days, #taken = #taken + :days",
                "#available >= :days",
            ),
            Direction::GiveBack => (
                "SET #available = #available + :days, #taken = #taken - :days",
                "#taken >= :days",
            ),
        };
        let mut update = Update::builder()
            .table_name(table)
            .set_key(Some(items::key(
                keys::employee_pk(employee),
                keys::year_sk(year),
            )))
            .update_expression(expression)
            .expression_attribute_names("#available", "available")
            .expression_attribute_names("#taken", "taken")
            .expression_attribute_values(":days", n(days))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        update = match before {
            Some(b) => update
                .condition_expression(format!(
                    "attribute_exists(PK) AND #total = :total AND #taken = :taken \
                     AND #available = :available AND {enough}"
                ))
                .expression_attribute_names("#total", "total")
                .expression_attribute_values(":total", n(b.total()))
                .expression_attribute_values(":taken", n(b.taken()))
                .expression_attribute_values(":available", n(b.available())),
            None => {
                update.condition_expression("attribute_exists(PK) AND attribute_not_exists(PK)")
            }
        };
        let item = TransactWriteItem::builder()
            .update(built(update.build())?)
            .build();
        self.push(item, Action::Balance { year, days, before });
        Ok(())
    }

    /// Puts `item` if nothing has its key yet.
    pub(crate) fn put_new(
        &mut self,
        table: &str,
        item: Item,
        action: Action,
    ) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let item = TransactWriteItem::builder()
            .put(built(put.build())?)
            .build();
        self.push(item, action);
        Ok(())
    }

    /// Deletes the item at `key` if `condition` holds over `values`.
    pub(crate) fn delete_if(
        &mut self,
        table: &str,
        key: Item,
        condition: &str,
        values: HashMap<String, AttributeValue>,
        action: Action,
    ) -> Result<(), StoreError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(table)
            .set_key(Some(key))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let item = TransactWriteItem::builder()
            .delete(built(delete.build())?)
            .build();
        self.push(item, action);
        Ok(())
    }
}

/// What a refused balance condition found.
pub(crate) enum BalanceNow {
    /// No balance item.
    Missing,
    /// The balance as it is now.
    Is(YearBalance),
}

/// Reads the balance a failed balance condition returned.
pub(crate) fn balance_now(reason: &CancellationReason) -> Result<BalanceNow, StoreError> {
    match reason.item() {
        None => Ok(BalanceNow::Missing),
        Some(item) => items::balance_from_item(item).map(BalanceNow::Is),
    }
}

/// Why a refused employee check refused: no profile, an inactive one, or one that does
/// not read.
pub(crate) fn employee_refusal(employee: EmployeeId, reason: &CancellationReason) -> StoreError {
    match reason.item() {
        None => StoreError::EmployeeNotFound(employee),
        Some(item) => match items::employee_from_item(item) {
            Ok(_) => StoreError::EmployeeInactive(employee),
            Err(e) => e,
        },
    }
}

/// Whether DynamoDB refused this action's condition.
pub(crate) fn refused(reason: &CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
}

/// Each touched year's balance before and after taking or giving back `days`, for the
/// history entry and the answer. A year that cannot take the change keeps its figures
/// (the transaction's condition refuses it anyway).
pub(crate) fn balance_changes(
    reservation: &Reservation,
    before: &BTreeMap<i32, YearBalance>,
    direction: Direction,
) -> Vec<BalanceChange> {
    reservation
        .charge()
        .years()
        .iter()
        .filter_map(|c| {
            let b = before.get(&c.year)?;
            let after = match direction {
                Direction::Take => b.charge(c.days),
                Direction::GiveBack => b.refund(c.days),
            }
            .unwrap_or(*b);
            Some(BalanceChange {
                year: c.year,
                total: b.total(),
                taken_before: b.taken(),
                available_before: b.available(),
                taken_after: after.taken(),
                available_after: after.available(),
            })
        })
        .collect()
}

/// The balances after a change, from its history entry.
pub(crate) fn balances_after(entry: &HistoryEntry) -> Result<Vec<YearBalance>, StoreError> {
    entry
        .balances
        .iter()
        .map(|b| {
            YearBalance::from_stored(b.year, b.total, b.taken_after, b.available_after)
                .map_err(StoreError::from)
        })
        .collect()
}

/// The history entry of `kind` for `reservation`, made `at` by `by`.
pub(crate) fn entry(
    at: chrono::DateTime<chrono::Utc>,
    kind: ChangeKind,
    reservation: &Reservation,
    balances: Vec<BalanceChange>,
    by: &Attribution,
    correction: bool,
) -> HistoryEntry {
    HistoryEntry {
        id: crate::token::random_entry_id(),
        at,
        employee: reservation.employee(),
        kind,
        reservation: reservation.id().clone(),
        incarnation: reservation.incarnation().clone(),
        range: reservation.range(),
        policy: reservation.policy(),
        days: reservation.charge().years().to_vec(),
        balances,
        actor: by.actor,
        request: by.request.clone(),
        correction,
    }
}

impl Store {
    /// The balances a change of `years` plans from: the last seen, when every year is
    /// known (a guess the transaction's conditions verify), else read.
    pub(crate) async fn planning_balances(
        &self,
        employee: EmployeeId,
        years: &[i32],
    ) -> Result<(BTreeMap<i32, YearBalance>, Guessed), StoreError> {
        match self.recent.get(employee, years) {
            Some(seen) => Ok((seen, Guessed(true))),
            None => Ok((self.year_balances(employee, years).await?, Guessed(false))),
        }
    }

    /// Remembers balances just read or written, for the next change's guess.
    pub(crate) fn saw<'a>(
        &self,
        employee: EmployeeId,
        balances: impl IntoIterator<Item = &'a YearBalance>,
    ) {
        self.recent.remember(employee, balances);
    }

    /// The balances of `years` for `employee`, read in one consistent query.
    pub(crate) async fn year_balances(
        &self,
        employee: EmployeeId,
        years: &[i32],
    ) -> Result<BTreeMap<i32, YearBalance>, StoreError> {
        let (Some(first), Some(last)) = (years.iter().min(), years.iter().max()) else {
            return Ok(BTreeMap::new());
        };
        let found = self
            .query_partition(
                employee,
                Some((&keys::year_sk(*first), &keys::year_sk(*last))),
            )
            .await?;
        let read: BTreeMap<i32, YearBalance> = found
            .iter()
            .filter(|item| items::entity_of(item) == Some(items::entity::BALANCE))
            .map(|item| items::balance_from_item(item).map(|b| (b.year(), b)))
            .collect::<Result<_, _>>()?;
        self.saw(employee, read.values());
        Ok(read)
    }
}

/// Whether planning balances came from memory rather than a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Guessed(pub bool);

/// One change to send: which, to what, by whom, and how each round is planned and its
/// refusal read.
pub(crate) struct Change<'a, P, I> {
    /// Booked or cancelled.
    pub kind: ChangeKind,
    /// The reservation booked or cancelled.
    pub reservation: &'a Reservation,
    /// Who makes it.
    pub by: &'a Attribution,
    /// Whether it touches days before today.
    pub correction: bool,
    /// Whether it takes days or gives them back.
    pub direction: Direction,
    /// The transaction for one round: from these balances, with this history entry and
    /// token (an error refuses the change before anything is sent).
    pub plan: P,
    /// Reads a refusal of that transaction.
    pub interpret: I,
}

/// What a sent change came to.
pub(crate) enum Outcome {
    /// Written, leaving these balances.
    Written(Vec<YearBalance>),
    /// A booking that already stood.
    Replayed(Reservation),
}

impl Store {
    /// Sends `change`, planned from `before`; while a balance moved under it, plans again
    /// from the balance DynamoDB returned, up to [`MAX_REPLANS`] times. Each round has its
    /// own history entry and so its own client token: this change of this incarnation.
    pub(crate) async fn apply<P, I>(
        &self,
        change: Change<'_, P, I>,
        mut before: BTreeMap<i32, YearBalance>,
    ) -> Result<Outcome, StoreError>
    where
        P: Fn(&BTreeMap<i32, YearBalance>, &HistoryEntry, String) -> Result<Plan, StoreError>,
        I: Fn(&[Action], &[CancellationReason]) -> crate::retry::Attempt<Applied>,
    {
        let r = change.reservation;
        let employee = r.employee();
        for round in 0..MAX_REPLANS {
            if round > 0 {
                pause_before_replanning(round).await;
            }
            let changes = balance_changes(r, &before, change.direction);
            let history = entry(
                self.clock.now(),
                change.kind,
                r,
                changes,
                change.by,
                change.correction,
            );
            let token = crate::token::client_token(
                &self.table,
                change.kind.as_str(),
                &[
                    &employee.to_string(),
                    r.id().as_str(),
                    r.incarnation().as_str(),
                    &history.id,
                ],
            );
            let plan = (change.plan)(&before, &history, token)?;
            let applied = self
                .transact(&plan.items, &plan.token, Applied::Done, |reasons| {
                    (change.interpret)(&plan.actions, reasons)
                })
                .await?;
            match applied {
                Applied::Done => {
                    let after = balances_after(&history)?;
                    self.saw(employee, &after);
                    return Ok(Outcome::Written(after));
                }
                Applied::Replayed(existing) => return Ok(Outcome::Replayed(existing)),
                Applied::Moved(now) => {
                    self.saw(employee, &now);
                    moved_to(&mut before, now);
                }
            }
        }
        Err(StoreError::Contention {
            operation: "TransactWriteItems",
            attempts: MAX_REPLANS,
            reason: "the balance kept changing under concurrent changes".to_owned(),
        })
    }
}

/// Folds the balances a refused plan found into what the next plan starts from.
pub(crate) fn moved_to(before: &mut BTreeMap<i32, YearBalance>, now: Vec<YearBalance>) {
    for b in now {
        before.insert(b.year(), b);
    }
}

/// A short pause before planning again after a balance moved, so that changes racing for
/// one balance spread out.
pub(crate) async fn pause_before_replanning(round: u32) {
    let ceiling = 2u64.saturating_pow(round.min(6));
    let millis = rand::random_range(0..=ceiling);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}
