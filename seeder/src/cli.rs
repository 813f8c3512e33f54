//! The command line: every option, with its environment fallback, read once in `main` and
//! converted into the library's plain [`seeder::Command`]. Only the binary has it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use domain::EmployeeId;
use seeder::generate::{self, Plan};
use seeder::options::{DEFAULT_CONCURRENCY, DEFAULT_SEGMENTS, DEFAULT_TABLE};

/// Creates the HR vacations table and fills it with generated employees, balances and
/// planned vacations; audits a table's data.
#[derive(Debug, Parser)]
#[command(name = "seeder", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the table if it is missing, then write the generated data.
    ///
    /// The data is a pure function of --seed, --current-year and --employees. Before writing,
    /// the seeder records them in a marker item (PK `META`, SK `SEED`). Running again with
    /// the same parameters changes nothing; a run interrupted half-way is completed by
    /// running it again, which writes only the missing items and never over one already
    /// there, and refuses, writing nothing, a table used since (an item changed, or items
    /// the seed does not write). A table holding other data (another seed, year or size,
    /// or items not written by the seeder) is refused unless --reset empties it first.
    Run(RunArgs),
    /// Check every invariant of the table's data, reading all of it (read-only).
    ///
    /// A parallel scan with consistent reads regroups every item by employee and checks
    /// that every year balance has total = taken + available and none negative; that
    /// every year a reservation charges has a balance whose taken covers its
    /// reservations; that every day of every reservation is claimed by that reservation
    /// (so no day is booked twice); that every day claim belongs to a reservation
    /// covering that day; that every employee partition has a profile; and that every
    /// item reads as what it claims to be. Every violation is printed with the keys of
    /// the items concerned.
    ///
    /// A scan is not a snapshot: on a table in use, a booking made while it runs can look
    /// half-applied. Before reporting, the audit therefore reads each partition where it
    /// found something again (one consistent query each) and keeps what that confirms.
    ///
    /// It sends only DescribeTable, Scan and Query requests: read-only IAM
    /// permissions are enough. Exit status: 0 when every invariant holds, 1 when a
    /// violation is found, 2 when the audit could not run.
    Audit(AuditArgs),
    /// Print one employee's history: every booking and cancellation, with who made it
    /// (role and user id), the request it came from, whether HR corrected the past, and
    /// each year's balance before and after (read-only, one Query).
    History(HistoryArgs),
}

impl From<Command> for seeder::Command {
    fn from(command: Command) -> Self {
        match command {
            Command::Run(args) => Self::Run {
                target: args.target.into(),
                seeding: args.seeding.into(),
                output: args.output.into(),
            },
            Command::Audit(args) => Self::Audit {
                target: args.target.into(),
                segments: args.segments,
                output: args.output.into(),
            },
            Command::History(args) => Self::History {
                target: args.target.into(),
                employee: args.employee,
                output: args.output.into(),
            },
        }
    }
}

/// Options of `seeder history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// Where the table is.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Whose history.
    #[arg(long, value_parser = parse_employee_id)]
    pub employee: EmployeeId,
    /// How to print it.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

fn parse_employee_id(text: &str) -> Result<EmployeeId, String> {
    EmployeeId::parse(text).map_err(|e| e.to_string())
}

/// Options of `seeder audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Where the table is.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Segments of the parallel scan (each read by its own task).
    #[arg(long, default_value_t = DEFAULT_SEGMENTS, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub segments: u32,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// Options of `seeder run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Where the table is.
    #[command(flatten)]
    pub target: TargetArgs,
    /// What to write.
    #[command(flatten)]
    pub seeding: SeedArgs,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// Which table, where, and as whom.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The table's name.
    #[arg(long, env = "TABLE_NAME", default_value = DEFAULT_TABLE)]
    pub table: String,
    /// The AWS region (the profile's when not given).
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,
    /// The AWS profile to take credentials and region from.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// A DynamoDB endpoint overriding the SDK's (which already follows
    /// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL and the profile), e.g.
    /// http://localhost:8000 for DynamoDB Local. With an endpoint and no credentials
    /// configured, dummy credentials are used.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl From<TargetArgs> for store::Target {
    fn from(args: TargetArgs) -> Self {
        Self {
            table: args.table,
            region: args.region,
            profile: args.profile,
            endpoint_url: args.endpoint_url,
        }
    }
}

/// What to generate and how to write it.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// The generator's seed: the same seed gives the same table, byte for byte. Without it,
    /// a table already seeded keeps its seed, and a new one gets a random seed (printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// How many employees to generate (ids 1 to N).
    #[arg(long, default_value_t = 10, value_parser = parse_employees)]
    pub employees: u32,
    /// The last of the three seeded years.
    #[arg(long, default_value_t = generate::this_year(), value_parser = parse_current_year)]
    pub current_year: i32,
    /// BatchWriteItem requests in flight at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Delete every item of the table before seeding (asks first on a terminal).
    #[arg(long)]
    pub reset: bool,
    /// Do not ask before --reset deletes (needed when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl From<SeedArgs> for seeder::Seeding {
    fn from(args: SeedArgs) -> Self {
        Self {
            seed: args.seed,
            employees: args.employees,
            current_year: args.current_year,
            concurrency: args.concurrency,
            reset: args.reset,
            yes: args.yes,
        }
    }
}

/// The summary's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A readable table.
    Text,
    /// One JSON document.
    Json,
}

impl From<Output> for seeder::Output {
    fn from(output: Output) -> Self {
        match output {
            Output::Text => Self::Text,
            Output::Json => Self::Json,
        }
    }
}

fn parse_employees(text: &str) -> Result<u32, String> {
    let n: u32 = text
        .parse()
        .map_err(|_| format!("expected a whole number from 1 to {}", EmployeeId::MAX))?;
    Plan::new(0, generate::CURRENT_YEARS.start().to_owned(), n)
        .map(|_| n)
        .map_err(|e| e.to_string())
}

fn parse_current_year(text: &str) -> Result<i32, String> {
    let year: i32 = text
        .parse()
        .map_err(|_| "expected a four-digit year".to_owned())?;
    Plan::new(0, year, 1)
        .map(|_| year)
        .map_err(|e| e.to_string())
}

/// Prints the error and its causes, as anyhow's `{:?}` writes them but without the
/// backtrace it adds when `RUST_BACKTRACE` is set: a user's mistake is not a crash.
pub fn report(e: &anyhow::Error) {
    eprintln!("Error: {e}");
    let mut causes = e.chain().skip(1).peekable();
    if causes.peek().is_some() {
        eprintln!("\nCaused by:");
        for (n, cause) in causes.enumerate() {
            eprintln!("    {n}: {cause}");
        }
    }
}

/// Writes the summary to stdout.
pub fn print(text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("writing the summary to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<RunArgs, clap::Error> {
        match Cli::try_parse_from(["seeder", "run"].iter().chain(args))?.command {
            Command::Run(run) => Ok(run),
            other => panic!("parsed as {other:?}"),
        }
    }

    fn parse_audit(args: &[&str]) -> Result<AuditArgs, clap::Error> {
        match Cli::try_parse_from(["seeder", "audit"].iter().chain(args))?.command {
            Command::Audit(audit) => Ok(audit),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn audit_reads_its_options_and_refuses_out_of_range_segments() {
        let audit = parse_audit(&["--table", "t"]).unwrap();
        assert_eq!((audit.segments, audit.output), (8, Output::Text));
        assert_eq!(audit.target.table, "t");
        let audit = parse_audit(&[
            "--endpoint-url",
            "http://localhost:8000",
            "--segments",
            "32",
            "--output",
            "json",
        ])
        .unwrap();
        assert_eq!((audit.segments, audit.output), (32, Output::Json));
        assert_eq!(
            audit.target.endpoint_url.as_deref(),
            Some("http://localhost:8000")
        );
        for bad in ["0", "1001", "many"] {
            let err = parse_audit(&["--segments", bad]).unwrap_err().to_string();
            assert!(err.contains("--segments"), "{err}");
        }
        // Writing options belong to `run` only.
        assert!(parse_audit(&["--reset"]).is_err());
    }

    #[test]
    fn the_defaults_are_ten_employees_this_year_and_a_random_seed() {
        let run = parse(&["--table", "t"]).unwrap();
        assert_eq!(run.seeding.employees, 10);
        assert_eq!(run.seeding.current_year, generate::this_year());
        assert_eq!(run.seeding.seed, None);
        assert_eq!(run.seeding.concurrency, 16);
        assert_eq!(run.output, Output::Text);
        assert!(!run.seeding.reset && !run.seeding.yes);
    }

    #[test]
    fn every_option_is_read() {
        let run = parse(&[
            "--table",
            "t",
            "--region",
            "eu-west-1",
            "--profile",
            "p",
            "--endpoint-url",
            "http://localhost:8000",
            "--seed",
            "42",
            "--employees",
            "100000",
            "--current-year",
            "2030",
            "--concurrency",
            "64",
            "--reset",
            "--yes",
            "--output",
            "json",
        ])
        .unwrap();
        assert_eq!(run.target.table, "t");
        assert_eq!(run.target.region.as_deref(), Some("eu-west-1"));
        assert_eq!(run.target.profile.as_deref(), Some("p"));
        assert_eq!(
            run.target.endpoint_url.as_deref(),
            Some("http://localhost:8000")
        );
        assert_eq!(run.seeding.seed, Some(42));
        assert_eq!(run.seeding.employees, 100_000);
        assert_eq!(run.seeding.current_year, 2030);
        assert_eq!(run.seeding.concurrency, 64);
        assert!(run.seeding.reset && run.seeding.yes);
        assert_eq!(run.output, Output::Json);
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_reason() {
        for (args, says) in [
            (&["--employees", "0"][..], "between 1 and 999999999, got 0"),
            (&["--employees", "ten"], "expected a whole number"),
            (
                &["--current-year", "2024"],
                "between 2025 and 2200, got 2024",
            ),
            (&["--current-year", "26"], "between 2025 and 2200, got 26"),
            (&["--concurrency", "0"], "0 is not in 1..=256"),
            (&["--seed", "-1"], "'-1'"),
            (&["--output", "yaml"], "yaml"),
        ] {
            let err = parse(args).unwrap_err().to_string();
            assert!(err.contains(says), "{args:?}: {err}");
        }
    }
}
