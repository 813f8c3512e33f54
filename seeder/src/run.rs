//! `seeder run`: the table, the seed marker, the optional reset, the writing, and the
//! summary read back from the table.

use std::time::Instant;

use domain::EmployeeId;
use futures::future::try_join_all;
use store::{BulkOptions, BulkReport, MarkerWrite, SeedMarker, Store, StoreError};

use crate::console::{per_second, Console};
use crate::error::Described;
use crate::generate::{Plan, GENERATOR_VERSION};
use crate::options::Seeding;
use crate::report::{EmployeeBalance, Outcome, Report, SeedSource, LISTED_EMPLOYEES};
use crate::SeedError;
use store::Session;

/// Seeds the session's table as `args` say; see the `run` subcommand's help.
///
/// Nothing is deleted or written unless the parameters are valid and the table either
/// is empty, holds an interrupted run of the same data and nothing else, or is emptied by
/// `--reset`. Resuming an interrupted run writes only the items still missing, never over
/// an item already there.
pub async fn run(
    session: &Session,
    args: &Seeding,
    console: &Console,
) -> Result<Report, SeedError> {
    // Checked before any request, for callers that did not go through the command line.
    Plan::new(0, args.current_year, args.employees)?;
    let store = &session.store;
    let table = store.table_name().to_owned();
    let failed = |e: StoreError| classify(session, e);
    let options = BulkOptions {
        concurrency: usize::from(args.concurrency),
        ..BulkOptions::default()
    };

    let table_created = store.create_table_if_missing().await.map_err(failed)?;
    let mut found = store.seed_marker().await.map_err(failed)?;
    let mut known_empty = table_created;
    let mut deleted = BulkReport::default();
    if args.reset && !table_created && !store.is_empty().await.map_err(failed)? {
        confirm_reset(session, args, console, found).await?;
        let mut progress = console.progress("deleting", None);
        deleted = store
            .delete_all_items(&options, |n| progress.add(n))
            .await
            .map_err(failed)?;
        progress.finish();
        found = None;
        known_empty = true;
    }

    let (seed, seed_source) = match (args.seed, found) {
        (Some(seed), _) => (seed, SeedSource::Option),
        (None, Some(marker)) => (marker.seed, SeedSource::Table),
        (None, None) => (u64::from(rand::random::<u32>()), SeedSource::Random),
    };
    let plan = Plan::new(seed, args.current_year, args.employees)?;
    let wanted = plan.marker(false);
    let outcome = match found {
        Some(marker) if !marker.same_data(&wanted) => {
            return Err(seeded_differently(&table, marker, wanted))
        }
        Some(marker) if marker.complete => Outcome::AlreadySeeded,
        Some(_) => Outcome::Resumed,
        None if !known_empty && !store.is_empty().await.map_err(failed)? => {
            return Err(SeedError::NotEmpty { table });
        }
        None => Outcome::Seeded,
    };
    if seed_source == SeedSource::Random {
        console.note(&format!(
            "no --seed given: using seed {seed} (pass --seed {seed} to generate the same data)"
        ));
    }

    let written = match outcome {
        Outcome::AlreadySeeded => Written::default(),
        Outcome::Resumed => resume(session, &plan, &options, console).await?,
        Outcome::Seeded => write(session, &plan, &options, console).await?,
    };
    if outcome != Outcome::AlreadySeeded {
        claim(session, &plan.marker(true)).await?;
    }

    let balances = if plan.employees() <= LISTED_EMPLOYEES {
        Some(read_balances(store, &plan).await.map_err(failed)?)
    } else {
        None
    };
    Ok(Report {
        table,
        endpoint: session.endpoint.clone(),
        region: session.region.clone(),
        seed,
        seed_source,
        generator: GENERATOR_VERSION,
        years: plan.years().collect(),
        employees: plan.employees(),
        outcome,
        table_created,
        deleted_items: deleted.items,
        items_written: written.report.items,
        items_skipped: written.skipped,
        write_requests: written.report.requests,
        retried_items: written.report.retried_items,
        check_seconds: written.check_seconds,
        write_seconds: written.seconds,
        items_per_second: per_second(written.report.items, written.seconds),
        balances,
    })
}

/// What the writing did, and how long it took.
#[derive(Debug, Default)]
struct Written {
    report: BulkReport,
    /// Items already in the table: found by the check before a resume, or by its
    /// conditional puts.
    skipped: u64,
    /// Seconds the check before a resume took.
    check_seconds: f64,
    /// Seconds the writes took.
    seconds: f64,
}

/// Claims the table for the plan's data and writes all of it, in batches that overwrite:
/// for a table that holds none of it.
async fn write(
    session: &Session,
    plan: &Plan,
    options: &BulkOptions,
    console: &Console,
) -> Result<Written, SeedError> {
    claim(session, &plan.marker(false)).await?;
    let total = plan.item_count();
    let mut progress = console.progress("writing", Some(total));
    let started = Instant::now();
    let result = session
        .store
        .write_records(plan.records(), options, |n| progress.add(n))
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let done = progress.done();
    progress.finish();
    let report = result.map_err(|e| interrupted(session, plan, done, e))?;
    Ok(Written {
        report,
        seconds,
        ..Written::default()
    })
}

/// Completes an interrupted run: checks that the table holds nothing but items of the
/// plan as the plan writes them, and refuses, sending no write at all, when it does not
/// (the table was used since); then writes the missing items, each only if still absent.
async fn resume(
    session: &Session,
    plan: &Plan,
    options: &BulkOptions,
    console: &Console,
) -> Result<Written, SeedError> {
    let store = &session.store;
    let total = plan.item_count();
    let mut progress = console.progress("checking", Some(total));
    let started = Instant::now();
    let found = store
        .compare_records(plan.records(), options, |n| progress.add(n))
        .await;
    let check_seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let found = found.map_err(|e| classify(session, e))?;
    if !found.only_missing() {
        return Err(SeedError::ChangedSinceInterrupted {
            table: store.table_name().to_owned(),
            differing: found.differing,
            others: found.others,
            first_differing: found
                .first_differing()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }

    // Claimed again for this data, in case another seeder claimed it for other data.
    claim(session, &plan.marker(false)).await?;
    let mut progress = console.progress("writing", Some(found.missing));
    let started = Instant::now();
    let result = store
        .write_missing_records(plan.records(), &found, options, |n| progress.add(n))
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let done = progress.done();
    progress.finish();
    let report = result.map_err(|e| interrupted(session, plan, found.same + done, e))?;
    Ok(Written {
        report,
        skipped: found.same + report.skipped,
        check_seconds,
        seconds,
    })
}

/// Writing stopped with `done` of the plan's items in the table.
fn interrupted(session: &Session, plan: &Plan, done: u64, e: StoreError) -> SeedError {
    SeedError::Interrupted {
        table: session.store.table_name().to_owned(),
        written: done,
        total: plan.item_count(),
        seed: plan.seed(),
        source: Box::new(classify(session, e)),
    }
}

/// Asks before `--reset` deletes, unless `--yes`; refuses without a terminal to ask on.
async fn confirm_reset(
    session: &Session,
    args: &Seeding,
    console: &Console,
    found: Option<SeedMarker>,
) -> Result<(), SeedError> {
    if args.yes {
        return Ok(());
    }
    let table = session.store.table_name().to_owned();
    if !console.interactive {
        return Err(SeedError::ConfirmationRequired { table });
    }
    let holds = match found {
        Some(marker) => Described(marker).to_string(),
        None => "items the seeder did not write".to_owned(),
    };
    let question = format!(
        "Table {table} {} holds {holds}. Delete every item of it? This cannot be undone.",
        session.location()
    );
    match console.confirm(question).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(SeedError::ResetDeclined),
        Err(e) => Err(SeedError::Prompt(e)),
    }
}

/// Writes `marker`, unless another seeder has meanwhile claimed the table for other data.
async fn claim(session: &Session, marker: &SeedMarker) -> Result<(), SeedError> {
    let store = &session.store;
    match store.put_seed_marker(marker).await {
        Ok(MarkerWrite::Written) => Ok(()),
        Ok(MarkerWrite::Conflict(found)) => {
            Err(seeded_differently(store.table_name(), found, *marker))
        }
        Err(e) => Err(classify(session, e)),
    }
}

fn seeded_differently(table: &str, found: SeedMarker, wanted: SeedMarker) -> SeedError {
    SeedError::SeededDifferently {
        table: table.to_owned(),
        found: Described(found),
        wanted: Described(wanted),
    }
}

/// A store error, or why the table cannot be reached or used.
pub(crate) fn classify(session: &Session, err: StoreError) -> SeedError {
    match session.classify(err) {
        store::ConnectError::Store(err) => SeedError::Store(err),
        other => SeedError::Connect(other),
    }
}

/// Every employee of the plan with their current-year balance, as the table holds them.
async fn read_balances(store: &Store, plan: &Plan) -> Result<Vec<EmployeeBalance>, StoreError> {
    let year = plan.current_year();
    let reads = (1..=plan.employees()).map(|n| async move {
        let id = EmployeeId::new(n)?;
        let employee = store.get_employee(id).await?;
        let balance = store.get_balance(id, year).await?;
        let planned = store.list_reservations(id, Some(year)).await?;
        Ok::<_, StoreError>(EmployeeBalance {
            id: n,
            name: employee.name().to_owned(),
            job_title: employee.job_title().to_owned(),
            status: employee.status().to_string(),
            start_date: employee.start_date().format("%Y-%m-%d").to_string(),
            year,
            total: balance.total(),
            taken: balance.taken(),
            available: balance.available(),
            planned_vacations: planned.len(),
        })
    });
    try_join_all(reads).await
}
