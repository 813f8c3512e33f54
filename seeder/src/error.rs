//! Why a seeding run stopped.

use store::{SeedMarker, StoreError};

use crate::generate::PlanError;

/// Why `seeder run` or `seeder audit` did not finish. Every message says what to do
/// about it.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// Parameters out of range; nothing was touched.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The table cannot be reached or used (no credentials, no region, nothing
    /// answering, no table).
    #[error(transparent)]
    Connect(#[from] store::ConnectError),
    /// The table holds another seed's data (or another size, year or generator).
    #[error(
        "table {table} holds {found}, but this run would write {wanted}; writing over it would \
         leave the other data's vacations behind. Pass --reset to empty the table first, or run \
         with the same parameters"
    )]
    SeededDifferently {
        /// The table.
        table: String,
        /// What the table holds.
        found: Described,
        /// What this run would write.
        wanted: Described,
    },
    /// The table holds items the seeder did not write.
    #[error(
        "table {table} already holds items that the seeder did not write; pass --reset to \
         delete every item of the table before seeding"
    )]
    NotEmpty {
        /// The table.
        table: String,
    },
    /// An interrupted run's table holds items that the run did not write, or its items
    /// changed: it was used since (a booking or cancellation, or by hand), and resuming
    /// would overwrite or contradict that. Nothing was written.
    #[error(
        "table {table} changed since its seeding stopped: {differing} of the seeded items \
         differ from what the seed writes{}, and it holds {others} item(s) the seed does not \
         write, as after bookings or cancellations through the assistant. Resuming would \
         overwrite or contradict them, so nothing was written: pass --reset to delete every \
         item and seed afresh, or keep the table as it is",
        listed(first_differing)
    )]
    ChangedSinceInterrupted {
        /// The table.
        table: String,
        /// Seeded items that hold other attributes than the seed writes.
        differing: u64,
        /// Items the seed does not write (the seed marker aside).
        others: u64,
        /// The keys of the first differing items, `PK / SK`, comma-separated.
        first_differing: String,
    },
    /// `--reset` without a terminal to ask on, and without `--yes`.
    #[error("--reset deletes every item of table {table}: pass --yes to confirm it when not running on a terminal")]
    ConfirmationRequired {
        /// The table.
        table: String,
    },
    /// The user answered no.
    #[error("reset cancelled: nothing was deleted or written")]
    ResetDeclined,
    /// The confirmation could not be read.
    #[error("reading the confirmation from the terminal failed")]
    Prompt(#[source] std::io::Error),
    /// Writing stopped part-way: the table holds part of the data, with a seed marker
    /// that says it is incomplete, so the same command resumes it.
    #[error(
        "seeding table {table} stopped after {written} of {total} items were written; the \
         table is marked incomplete: run the same command again (with --seed {seed}) to write \
         the rest"
    )]
    Interrupted {
        /// The table.
        table: String,
        /// Items confirmed written before the failure.
        written: u64,
        /// Items the run writes in all.
        total: u64,
        /// The seed, which a resumed run must use.
        seed: u64,
        /// Why it stopped.
        #[source]
        source: Box<SeedError>,
    },
    /// A store operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// " (a, b)" after a count, or nothing when there is nothing to list.
fn listed(keys: &str) -> String {
    if keys.is_empty() {
        String::new()
    } else {
        format!(" ({keys})")
    }
}

/// A seed marker, described for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Described(pub SeedMarker);

impl std::fmt::Display for Described {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.0;
        write!(
            f,
            "the data of seed {} for {} employee(s), years up to {} (generator {})",
            m.seed, m.employees, m.current_year, m.generator
        )
    }
}
