//! What each command is asked to do, as plain values: the binary's command line converts
//! into these (`src/cli.rs`), and tests build them directly.

use domain::EmployeeId;

/// The table's name when none is given.
pub const DEFAULT_TABLE: &str = "hr-vacations";
/// `BatchWriteItem` requests in flight when no concurrency is given.
pub const DEFAULT_CONCURRENCY: u16 = 16;
/// Parallel scan segments of `seeder audit` when none are given.
pub const DEFAULT_SEGMENTS: u32 = 8;

/// A command and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `seeder run`: create the table if it is missing, then write the generated data.
    Run {
        /// Which table, where, and as whom.
        target: store::Target,
        /// What to generate and how to write it.
        seeding: Seeding,
        /// The summary's format.
        output: Output,
    },
    /// `seeder audit`: check every invariant of the table's data (read-only).
    Audit {
        /// Which table, where, and as whom.
        target: store::Target,
        /// Parallel scan segments (1 to 1000).
        segments: u32,
        /// The report's format.
        output: Output,
    },
    /// `seeder history`: one employee's bookings and cancellations (read-only).
    History {
        /// Which table, where, and as whom.
        target: store::Target,
        /// Whose history.
        employee: EmployeeId,
        /// The history's format.
        output: Output,
    },
}

impl Command {
    /// The exit status when the command fails: 1 for `run` and `history`; 2 for `audit`,
    /// whose 1 means "violations found".
    pub fn failure_status(&self) -> u8 {
        match self {
            Self::Run { .. } | Self::History { .. } => 1,
            Self::Audit { .. } => 2,
        }
    }
}

/// What to generate and how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeding {
    /// The generator's seed: the same seed gives the same table, byte for byte. Without it,
    /// a table already seeded keeps its seed, and a new one gets a random seed.
    pub seed: Option<u64>,
    /// How many employees to generate (ids 1 to N).
    pub employees: u32,
    /// The last of the three seeded years.
    pub current_year: i32,
    /// `BatchWriteItem` requests in flight at once.
    pub concurrency: u16,
    /// Delete every item of the table before seeding (asks first on a terminal).
    pub reset: bool,
    /// Do not ask before `reset` deletes (needed when not on a terminal).
    pub yes: bool,
}

impl Seeding {
    /// The options writing these parameters, with everything else at its default.
    pub fn new(seed: Option<u64>, current_year: i32, employees: u32) -> Self {
        Self {
            seed,
            employees,
            current_year,
            concurrency: DEFAULT_CONCURRENCY,
            reset: false,
            yes: false,
        }
    }
}

/// The format of a summary or report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A readable table.
    Text,
    /// One JSON document.
    Json,
}
