//! The summary printed at the end: a table for people, or one JSON document for programs.

use comfy_table::modifiers::UTF8_ROUND_CORNERS;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};
use serde::Serialize;

use crate::options::Output;

/// The most employees listed in the summary; beyond, only counts are given.
pub const LISTED_EMPLOYEES: u32 = 20;

/// Where the seed came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedSource {
    /// `--seed`.
    Option,
    /// The table's seed marker (no `--seed`, table already seeded).
    Table,
    /// Drawn at random (no `--seed`, nothing seeded yet).
    Random,
}

/// What the run did to the table's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Wrote the data into a table without any.
    Seeded,
    /// Wrote the items an interrupted run left missing, and nothing else.
    Resumed,
    /// The table already held all of it: nothing written.
    AlreadySeeded,
}

/// One employee and their current-year balance, as read back from the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmployeeBalance {
    /// Employee id.
    pub id: u32,
    /// Name.
    pub name: String,
    /// Job title.
    pub job_title: String,
    /// Active or Inactive.
    pub status: String,
    /// First day of employment, ISO.
    pub start_date: String,
    /// The balance's year (the current year).
    pub year: i32,
    /// Days granted.
    pub total: u32,
    /// Days used or booked.
    pub taken: u32,
    /// Days left.
    pub available: u32,
    /// Reservations touching the year.
    pub planned_vacations: usize,
}

/// What `seeder run` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The table.
    pub table: String,
    /// Its endpoint, when not the region's default.
    pub endpoint: Option<String>,
    /// Its region.
    pub region: String,
    /// The seed of the data in the table.
    pub seed: u64,
    /// Where the seed came from.
    pub seed_source: SeedSource,
    /// The generator version.
    pub generator: u32,
    /// The seeded years, oldest first.
    pub years: Vec<i32>,
    /// Employees in the data (ids 1 to this).
    pub employees: u32,
    /// What the run did.
    pub outcome: Outcome,
    /// Whether the run created the table.
    pub table_created: bool,
    /// Items deleted by `--reset`.
    pub deleted_items: u64,
    /// Items written.
    pub items_written: u64,
    /// Items of the data left as they were because the table already held them (when
    /// resuming an interrupted run).
    pub items_skipped: u64,
    /// Requests sent for them: `BatchWriteItem`s, resends of unprocessed items included,
    /// or, when resuming, `TransactWriteItems` of up to 25 conditional puts.
    pub write_requests: u64,
    /// Items sent again after DynamoDB left them unprocessed.
    pub retried_items: u64,
    /// Seconds spent checking what an interrupted run left, before resuming it.
    pub check_seconds: f64,
    /// Seconds spent writing.
    pub write_seconds: f64,
    /// Items written per second.
    pub items_per_second: f64,
    /// Every employee with their current-year balance, read back from the table, when
    /// there are at most [`LISTED_EMPLOYEES`].
    pub balances: Option<Vec<EmployeeBalance>>,
}

impl Report {
    /// The summary in `output`'s format, ending with a newline.
    pub fn render(&self, output: Output) -> String {
        match output {
            // Serialising plain strings and numbers cannot fail.
            Output::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
            Output::Text => self.text(),
        }
    }

    fn years_text(&self) -> String {
        match (self.years.first(), self.years.last()) {
            (Some(first), Some(last)) => format!("{first}-{last}"),
            _ => String::new(),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        if self.table_created {
            let location = match &self.endpoint {
                Some(url) => format!("at {url}"),
                None => format!("in region {}", self.region),
            };
            out += &format!("Created table {} {location}.\n", self.table);
        }
        if self.deleted_items > 0 {
            out += &format!(
                "Deleted {} items from table {}.\n",
                self.deleted_items, self.table
            );
        }
        let data = format!(
            "seed {}, {} employee(s), years {}",
            self.seed,
            self.employees,
            self.years_text()
        );
        let written = format!(
            "{} items written in {:.1} s ({:.0} items/s)",
            self.items_written, self.write_seconds, self.items_per_second
        );
        out += &match self.outcome {
            Outcome::Seeded => format!("Seeded table {} ({data}): {written}.\n", self.table),
            Outcome::Resumed => format!(
                "Completed the interrupted seeding of table {} ({data}): {written}; {} items \
                 already there left as they were (checked in {:.1} s).\n",
                self.table, self.items_skipped, self.check_seconds
            ),
            Outcome::AlreadySeeded => format!(
                "Table {} already holds this data ({data}): nothing written. \
                 Pass --reset to write it afresh.\n",
                self.table
            ),
        };
        if self.seed_source == SeedSource::Random {
            out += &format!(
                "The seed was chosen at random: pass --seed {} to generate this data again.\n",
                self.seed
            );
        }
        match &self.balances {
            Some(balances) => {
                let year = self.years.last().copied().unwrap_or_default();
                out += &format!(
                    "\nBalances for {year}:\n{}\n",
                    balance_table(balances, year)
                );
            }
            None => {
                out += &format!(
                    "\n{} employees: too many to list (the summary lists up to {LISTED_EMPLOYEES}).\n",
                    self.employees
                );
            }
        }
        out
    }
}

fn balance_table(balances: &[EmployeeBalance], year: i32) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .apply_modifier(UTF8_ROUND_CORNERS)
        .set_header(vec![
            "ID".to_owned(),
            "Name".to_owned(),
            "Job title".to_owned(),
            "Status".to_owned(),
            "Started".to_owned(),
            "Total".to_owned(),
            "Taken".to_owned(),
            "Available".to_owned(),
            format!("Planned in {year}"),
        ]);
    for b in balances {
        table.add_row(vec![
            b.id.to_string(),
            b.name.clone(),
            b.job_title.clone(),
            b.status.clone(),
            b.start_date.clone(),
            b.total.to_string(),
            b.taken.to_string(),
            b.available.to_string(),
            b.planned_vacations.to_string(),
        ]);
    }
    for column in [0, 5, 6, 7, 8] {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(balances: Option<Vec<EmployeeBalance>>) -> Report {
        Report {
            table: "hr-vacations".into(),
            endpoint: Some("http://localhost:8000".into()),
            region: "us-east-1".into(),
            seed: 42,
            seed_source: SeedSource::Random,
            generator: 1,
            years: vec![2024, 2025, 2026],
            employees: 1,
            outcome: Outcome::Seeded,
            table_created: true,
            deleted_items: 0,
            items_written: 12,
            items_skipped: 0,
            write_requests: 1,
            retried_items: 0,
            check_seconds: 0.0,
            write_seconds: 0.5,
            items_per_second: 24.0,
            balances,
        }
    }

    fn jane() -> EmployeeBalance {
        EmployeeBalance {
            id: 2,
            name: "Jane Smith".into(),
            job_title: "Sales Representative".into(),
            status: "Active".into(),
            start_date: "2018-05-01".into(),
            year: 2026,
            total: 22,
            taken: 3,
            available: 19,
            planned_vacations: 1,
        }
    }

    #[test]
    fn the_text_summary_lists_each_employee_with_their_balance() {
        let text = report(Some(vec![jane()])).render(Output::Text);
        assert!(
            text.contains("Created table hr-vacations at http://localhost:8000."),
            "{text}"
        );
        assert!(text.contains("Seeded table hr-vacations (seed 42, 1 employee(s), years 2024-2026): 12 items written in 0.5 s (24 items/s)."), "{text}");
        assert!(
            text.contains("pass --seed 42 to generate this data again"),
            "{text}"
        );
        let row = text.lines().find(|l| l.contains("Jane Smith")).unwrap();
        let cells: Vec<&str> = row
            .split(['│', '┆'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            cells,
            [
                "2",
                "Jane Smith",
                "Sales Representative",
                "Active",
                "2018-05-01",
                "22",
                "3",
                "19",
                "1"
            ]
        );
    }

    #[test]
    fn a_resumed_run_says_what_it_wrote_and_what_it_left_as_it_was() {
        let resumed = Report {
            outcome: Outcome::Resumed,
            items_skipped: 30,
            check_seconds: 0.25,
            ..report(None)
        };
        let text = resumed.render(Output::Text);
        assert!(text.contains("Completed the interrupted seeding of table hr-vacations (seed 42, 1 employee(s), years 2024-2026): 12 items written in 0.5 s (24 items/s); 30 items already there left as they were (checked in 0.2 s)."), "{text}");
        let json: serde_json::Value = serde_json::from_str(&resumed.render(Output::Json)).unwrap();
        assert_eq!(json["items_skipped"], 30);
        assert_eq!(json["check_seconds"], 0.25);
    }

    #[test]
    fn beyond_twenty_employees_only_the_count_is_given() {
        let mut many = report(None);
        many.employees = 100_000;
        let text = many.render(Output::Text);
        assert!(
            text.contains("100000 employees: too many to list"),
            "{text}"
        );
        assert!(!text.contains('│'));
    }

    #[test]
    fn the_json_summary_has_every_field() {
        let json: serde_json::Value =
            serde_json::from_str(&report(Some(vec![jane()])).render(Output::Json)).unwrap();
        assert_eq!(json["seed"], 42);
        assert_eq!(json["seed_source"], "random");
        assert_eq!(json["outcome"], "seeded");
        assert_eq!(json["years"], serde_json::json!([2024, 2025, 2026]));
        assert_eq!(json["balances"][0]["available"], 19);
        assert_eq!(json["balances"][0]["name"], "Jane Smith");
        assert!(report(None)
            .render(Output::Json)
            .contains("\"balances\": null"));
    }
}
