//! The use-cases: what each tool does with the store, answered as an [`Outcome`].
//!
//! A transport hands [`Service::prepare`] the tool, the caller and the parsed arguments;
//! what comes back is either a [`Call`] the caller may make, or the outcome saying why not.
//! [`Service::run_within`] then carries it out within a deadline.

use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use domain::{DateRange, DayCountPolicy, EmployeeId, Reservation, YearBalance};
use futures::future::try_join_all;
use serde_json::{json, Value};
use store::{Attribution, CancelTarget, ReserveRequest, Store, StoreError};

use crate::args::{InvalidArguments, Request};
use crate::caller::Caller;
use crate::catalogue::Tool;
use crate::context::CallContext;
use crate::outcome::{self, store_problem, Outcome};

/// How the tools behave, beyond where the data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How booked days are counted.
    pub policy: DayCountPolicy,
    /// The date taken as today (for "the current year" and the date rules); the store's
    /// clock (the date in the business time zone) when `None`. Demos and tests pin it so
    /// their figures do not depend on when they run.
    pub today: Option<NaiveDate>,
    /// The longest a call may take: past it the answer is a dependency failure saying the
    /// vacation system did not answer in time.
    pub deadline: Duration,
}

/// [`Settings::deadline`] unless configured: a third of the 30 s the provisioner gives the
/// Lambda, so a slow DynamoDB is reported, not cut off by Lambda.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

impl Default for Settings {
    fn default() -> Self {
        Self {
            policy: DayCountPolicy::default(),
            today: None,
            deadline: DEFAULT_DEADLINE,
        }
    }
}

/// The tools over one store. Cheap to clone and share.
#[derive(Debug, Clone)]
pub struct Service {
    store: Store,
    settings: Settings,
}

/// A call the caller may make: the tool, who calls, and valid arguments for someone the
/// caller may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    tool: &'static Tool,
    caller: Caller,
    request: Request,
}

impl Service {
    /// The tools over `store`; a pinned [`Settings::today`] becomes the store's clock, so
    /// the tools and the store's date rules agree on what today is.
    pub fn new(store: Store, settings: Settings) -> Self {
        let store = match settings.today {
            Some(today) => {
                let zone = store.clock().zone();
                store.with_clock(store::Clock::on_in(today, zone))
            }
            None => store,
        };
        Self { store, settings }
    }

    /// The store it answers from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Checks a call before it runs: its arguments parsed, and the caller allowed to act
    /// for the employee they name. Every transport calls this, so the same arguments from
    /// the same caller are accepted or refused alike, with the same message.
    pub fn prepare(
        &self,
        tool: &'static Tool,
        caller: Caller,
        arguments: Result<Request, InvalidArguments>,
    ) -> Result<Call, Outcome> {
        let request = arguments.map_err(|e| outcome::invalid_arguments(tool, &e))?;
        if !caller.may_act_for(request.employee()) {
            return Err(outcome::forbidden(caller, request.employee()));
        }
        Ok(Call {
            tool,
            caller,
            request,
        })
    }

    /// Runs `call` within `deadline`; past it, the answer is [`outcome::deadline_exceeded`]
    /// (a booking may or may not have been applied, and the user is told to check).
    pub async fn run_within(
        &self,
        call: &Call,
        context: &CallContext,
        deadline: Duration,
    ) -> Outcome {
        // Boxed: the SDK's futures nest deeply, and callers composing this one (the Lambda
        // runtime's service, rmcp's) would otherwise hit the compiler's type-depth limit.
        let ran = tokio::time::timeout(deadline, Box::pin(self.run(call, context))).await;
        ran.unwrap_or_else(|_| outcome::deadline_exceeded(deadline))
    }

    /// Runs `call` within [`Settings::deadline`].
    pub async fn run_call(&self, call: &Call, context: &CallContext) -> Outcome {
        self.run_within(call, context, self.settings.deadline).await
    }

    async fn run(&self, call: &Call, context: &CallContext) -> Outcome {
        match &call.request {
            Request::Available { employee, year } => self.available(*employee, *year).await,
            Request::Reserve { employee, range } => {
                self.reserve(call, context, *employee, *range).await
            }
            Request::List { employee, year } => self.list(*employee, *year).await,
            Request::Cancel { employee, target } => {
                self.cancel(call.caller, context, *employee, target).await
            }
        }
    }

    fn today(&self) -> NaiveDate {
        self.store.clock().today()
    }

    /// Days left in `year` (the current year when absent).
    async fn available(&self, employee: EmployeeId, year: Option<i32>) -> Outcome {
        let year = year.unwrap_or_else(|| self.today().year());
        match self.store.get_balance(employee, year).await {
            Ok(b) => Outcome::done(
                format!(
                    "Employee {employee} has {} vacation day(s) available in {year} ({} granted, {} taken or booked).",
                    b.available(),
                    b.total(),
                    b.taken()
                ),
                json!({
                    "employee_id": employee.get(),
                    "year": year,
                    "available_days": b.available(),
                    "total_days": b.total(),
                    "taken_days": b.taken(),
                }),
            ),
            Err(e) => store_problem(&e),
        }
    }

    /// Books `range` and answers from the committed write: the balances it left.
    async fn reserve(
        &self,
        call: &Call,
        context: &CallContext,
        employee: EmployeeId,
        range: DateRange,
    ) -> Outcome {
        let request = ReserveRequest {
            employee,
            range,
            policy: self.settings.policy,
            idempotency_key: context.booking_key(
                self.store.table_name(),
                call.tool.name,
                employee,
                &range,
            ),
            by: attribution(call.caller, employee, context),
        };
        let booking = match self.store.reserve(&request).await {
            Ok(b) => b,
            Err(e) => return store_problem(&e),
        };
        let reservation = &booking.reservation;
        tracing::debug!(reservation = %reservation.id(), "booked");
        let charged = reservation.charge().total_days();
        // A replay of a booking that already stood carries no figures of its own: read
        // them. The booking stands either way, so a failed read only costs the figures.
        let balances = match booking.balances {
            Some(balances) => Ok(balances),
            None => {
                let years = reservation.charge().charged_years();
                self.balances(employee, &years).await
            }
        };
        let (left, remaining) = match &balances {
            Ok(b) => (left_text(b), balances_json(b)),
            Err(e) => {
                tracing::warn!(error = %e, "booked, but the balance could not be read back");
                (
                    "the remaining balance could not be read just now; ask for it again in a moment".to_owned(),
                    Value::Null,
                )
            }
        };
        Outcome::done(
            format!(
                "Booked {} for employee {employee} (reservation {}): {charged} day(s) charged; {left}.",
                reservation.range(),
                reservation.id(),
            ),
            json!({
                "reservation": reservation_json(reservation),
                "days_charged": charged,
                "remaining": remaining,
                "correction": booking.correction,
            }),
        )
    }

    /// The employee's bookings.
    async fn list(&self, employee: EmployeeId, year: Option<i32>) -> Outcome {
        let reservations = match self.store.list_reservations(employee, year).await {
            Ok(r) => r,
            Err(e) => return store_problem(&e),
        };
        let scope = year.map(|y| format!(" touching {y}")).unwrap_or_default();
        let message = if reservations.is_empty() {
            format!("Employee {employee} has no booked vacations{scope}.")
        } else {
            let items: Vec<String> = reservations
                .iter()
                .map(|r| {
                    format!(
                        "{} ({} day(s), reservation {})",
                        r.range(),
                        r.charge().total_days(),
                        r.id()
                    )
                })
                .collect();
            format!(
                "Employee {employee} has {} booked vacation(s){scope}: {}.",
                reservations.len(),
                items.join("; ")
            )
        };
        Outcome::done(
            message,
            json!({
                "employee_id": employee.get(),
                "year": year,
                "reservations": reservations.iter().map(reservation_json).collect::<Vec<_>>(),
            }),
        )
    }

    /// Cancels a booking and answers from the committed write: the refunded balances.
    async fn cancel(
        &self,
        caller: Caller,
        context: &CallContext,
        employee: EmployeeId,
        target: &CancelTarget,
    ) -> Outcome {
        let by = attribution(caller, employee, context);
        let cancelled = match self.store.cancel(employee, target, &by).await {
            Ok(c) => c,
            Err(e) => return store_problem(&e),
        };
        let reservation = &cancelled.reservation;
        tracing::debug!(reservation = %reservation.id(), "cancelled");
        let refunded = reservation.charge().total_days();
        Outcome::done(
            format!(
                "Cancelled {} for employee {employee} (reservation {}): {refunded} day(s) given back; {}.",
                reservation.range(),
                reservation.id(),
                left_text(&cancelled.balances)
            ),
            json!({
                "cancelled": reservation_json(reservation),
                "days_refunded": refunded,
                "remaining": balances_json(&cancelled.balances),
                "correction": cancelled.correction,
            }),
        )
    }

    async fn balances(
        &self,
        employee: EmployeeId,
        years: &[i32],
    ) -> Result<Vec<YearBalance>, StoreError> {
        try_join_all(years.iter().map(|y| self.store.get_balance(employee, *y))).await
    }
}

/// Who changes `employee`'s vacations, through which request: what the history keeps
/// (ids only, no words).
fn attribution(caller: Caller, employee: EmployeeId, context: &CallContext) -> Attribution {
    Attribution::new(caller.actor_for(employee), context.request())
}

fn reservation_json(r: &Reservation) -> Value {
    json!({
        "reservation_id": r.id().as_str(),
        "employee_id": r.employee().get(),
        "start_date": store::keys::iso_date(r.range().start()),
        "end_date": store::keys::iso_date(r.range().end()),
        "days": r.charge().total_days(),
        "charged_per_year": r.charge().years().iter()
            .map(|c| json!({"year": c.year, "days": c.days}))
            .collect::<Vec<_>>(),
    })
}

fn balances_json(balances: &[YearBalance]) -> Value {
    balances
        .iter()
        .map(
            |b| json!({"year": b.year(), "available_days": b.available(), "total_days": b.total()}),
        )
        .collect()
}

fn left_text(balances: &[YearBalance]) -> String {
    let parts: Vec<String> = balances
        .iter()
        .map(|b| format!("{} day(s) left in {}", b.available(), b.year()))
        .collect();
    parts.join(", ")
}
