//! The seeder: `seeder run` creates the HR vacations table if it is missing and fills it
//! with generated employees, year balances and planned vacations, through the store;
//! `seeder audit` checks every invariant of a table's data; `seeder history` prints one
//! employee's audit trail.
//!
//! - [`generate`]: the data, a pure function of a seed, a current year and a number of
//!   employees, streamed one employee at a time (memory does not grow with the number).
//! - [`run()`]: the table, the seed marker that makes runs idempotent and refuses to mix
//!   two seeds' data, `--reset`, the bulk write (`BatchWriteItem`, bounded parallelism,
//!   retried `UnprocessedItems`), the resume of an interrupted run (a check, then
//!   conditional puts of the missing items only), and the summary read back from the table.
//! - [`audit()`]: the read-only audit of a whole table, and its report.
//! - [`history`]: one employee's bookings and cancellations, who made them, and the
//!   balances before and after.
//! - [`execute`]: connects ([`store::connect`]: one SDK configuration from the options
//!   and the AWS conventions, the region and credentials checked before anything is
//!   sent) and runs a command.
//! - [`options`], [`console`], [`report`]: what each command is asked to do (plain values
//!   the binary's command line converts into), what is shown while it runs, and the
//!   summary.
#![warn(missing_docs)]

mod audit;
pub mod console;
mod error;
pub mod generate;
pub mod history;
pub mod options;
pub mod report;
mod run;

pub use audit::{audit, Audit};
pub use console::Console;
pub use error::{Described, SeedError};
pub use options::{Command, Output, Seeding};
pub use report::Report;
pub use run::run;

/// What a command printed and its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// The summary or report, for stdout.
    pub output: String,
    /// 0, or 1 when `seeder audit` found a violation.
    pub status: u8,
}

/// Connects as `command`'s options say and runs it.
pub async fn execute(command: Command, console: &Console) -> Result<Done, SeedError> {
    match command {
        Command::Run {
            target,
            seeding,
            output,
        } => {
            let session = store::connect(&target).await?;
            let report = run(&session, &seeding, console).await?;
            Ok(Done {
                output: report.render(output),
                status: 0,
            })
        }
        Command::Audit {
            target,
            segments,
            output,
        } => {
            let session = store::connect(&target).await?;
            let audit = audit(&session, segments, console).await?;
            if !audit.clean {
                console.note(&format!(
                    "{} violation(s) in table {}",
                    audit.violations.len(),
                    audit.table
                ));
            }
            Ok(Done {
                output: audit.render(output),
                status: if audit.clean { 0 } else { VIOLATIONS_FOUND },
            })
        }
        Command::History {
            target,
            employee,
            output,
        } => {
            let session = store::connect(&target).await?;
            let history = history::history(&session, employee).await?;
            Ok(Done {
                output: history.render(output),
                status: 0,
            })
        }
    }
}

/// `seeder audit`'s exit status when it found a violation.
pub const VIOLATIONS_FOUND: u8 = 1;
