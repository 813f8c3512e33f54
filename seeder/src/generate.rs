//! The generated data: pure, deterministic, and streamed one employee at a time.
//!
//! A [`Plan`] is a seed, a current year and a number of employees. Employee `n` is drawn
//! from its own ChaCha8 stream (the seed is the key, `n` the stream number), so their data
//! depends on the seed, the year and `n` only: not on how many employees are generated,
//! nor on the machine, nor on the `rand` version (the draws use the raw 64-bit output,
//! never `rand`'s distributions). Each employee gets:
//!
//! - a name: the original ten in order for employees 1 to 10, then a first name and a last
//!   name drawn from theirs;
//! - a job title from [`JOB_TITLES`]; a status, Active four times in five (so most of a
//!   demo's employees can book), else Inactive; a start date between
//!   [`FIRST_START_YEAR`] and [`LAST_START_YEAR`];
//! - for the current year and the two before it ([`YEARS`] in all), a balance of
//!   [`TOTAL_DAYS`] days and 0 to [`MAX_PLANNED`] planned vacations of 1 to
//!   [`MAX_PLANNED_DAYS`] days inside that year. Vacation `k` of `c` lies in the `k`-th of
//!   `c` equal parts of the year, so they never overlap. Days are counted by [`POLICY`], as a booking counts
//!   them, and `taken` is the planned days plus some days taken earlier: never more than
//!   `total`, so `total = taken + available` holds.
//!
//! Changing what a seed produces means raising [`GENERATOR_VERSION`]: the seed marker
//! records it, so a table seeded by another version is recognised as other data.

use std::ops::RangeInclusive;

use chrono::{Datelike, Days, NaiveDate};
use domain::{
    DateRange, DayCountPolicy, Employee, EmployeeId, EmployeeStatus, IdempotencyKey, Incarnation,
    Reservation, ReservationId, YearBalance, MAX_YEAR,
};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use store::{Record, SeedMarker};

/// The version of the generation rules, recorded in the seed marker.
pub const GENERATOR_VERSION: u32 = 2;

/// The original ten employees, in order: employees 1 to 10.
pub const NAMES: [&str; 10] = [
    "John Doe",
    "Jane Smith",
    "Bob Johnson",
    "Alice Williams",
    "Tom Brown",
    "Emily Davis",
    "Michael Wilson",
    "Sarah Taylor",
    "David Anderson",
    "Jessica Thompson",
];
/// First names of employees beyond the tenth.
pub const FIRST_NAMES: [&str; 10] = [
    "John", "Jane", "Bob", "Alice", "Tom", "Emily", "Michael", "Sarah", "David", "Jessica",
];
/// Last names of employees beyond the tenth.
pub const LAST_NAMES: [&str; 10] = [
    "Doe", "Smith", "Johnson", "Williams", "Brown", "Davis", "Wilson", "Taylor", "Anderson",
    "Thompson",
];
/// The job titles drawn from.
pub const JOB_TITLES: [&str; 6] = [
    "Manager",
    "Developer",
    "Designer",
    "Analyst",
    "Accountant",
    "Sales Representative",
];
/// The earliest start year.
pub const FIRST_START_YEAR: i32 = 2015;
/// The latest start year.
pub const LAST_START_YEAR: i32 = 2022;
/// Years with a balance: the current year and the ones before it.
pub const YEARS: i32 = 3;
/// Days granted per year.
pub const TOTAL_DAYS: RangeInclusive<u32> = 10..=30;
/// The most planned vacations in one year.
pub const MAX_PLANNED: u32 = 3;
/// The longest planned vacation, in days.
pub const MAX_PLANNED_DAYS: u32 = 5;
/// How a vacation's days are counted: the domain's policy, as a booking counts them.
pub const POLICY: DayCountPolicy = DayCountPolicy::CalendarDays;
/// The current years accepted: every seeded year must come after every start date.
pub const CURRENT_YEARS: RangeInclusive<i32> = (LAST_START_YEAR + YEARS)..=MAX_YEAR;
/// The employee counts accepted (ids `1..=employees`).
pub const EMPLOYEES: RangeInclusive<u32> = 1..=EmployeeId::MAX;

/// Parameters out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// No employee, or more than ids allow.
    #[error(
        "the number of employees must be between {min} and {max}, got {0}",
        min = EMPLOYEES.start(),
        max = EMPLOYEES.end()
    )]
    Employees(u32),
    /// A current year whose seeded years would come before some start dates, or beyond
    /// the years the assistant handles.
    #[error(
        "the current year must be between {min} and {max}, got {0}: the {YEARS} seeded years \
         must come after every start date ({FIRST_START_YEAR}-{LAST_START_YEAR})",
        min = CURRENT_YEARS.start(),
        max = CURRENT_YEARS.end()
    )]
    CurrentYear(i32),
}

/// What to generate: everything the data depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Plan {
    seed: u64,
    current_year: i32,
    employees: u32,
}

/// One generated employee with their balances and planned vacations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedEmployee {
    /// The profile.
    pub employee: Employee,
    /// One balance per seeded year, oldest first.
    pub balances: Vec<YearBalance>,
    /// For each balance, in the same order, the days of its `taken` taken earlier,
    /// outside the system (the rest is what the planned vacations charge).
    pub earlier_taken: Vec<u32>,
    /// The planned vacations, in date order.
    pub reservations: Vec<Reservation>,
    /// The seed it was generated from (named in its history entries).
    pub seed: u64,
}

/// When a seeded vacation's history says it was booked: the start of its year, 00:00 UTC
/// (the seeder cannot know when a person booked it, and the time must not depend on when
/// the seeder runs, or a resumed seed would differ from a single run).
pub fn seeded_at(year: i32) -> chrono::DateTime<chrono::Utc> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
        .and_utc()
}

impl GeneratedEmployee {
    /// The records that write this employee.
    pub fn into_records(self) -> impl Iterator<Item = Record> {
        let (id, seed) = (self.employee.id(), self.seed);
        std::iter::once(Record::Employee(self.employee))
            .chain(self.balances.into_iter().zip(self.earlier_taken).map(
                move |(balance, earlier_taken)| Record::Balance {
                    employee: id,
                    balance,
                    earlier_taken,
                },
            ))
            .chain(self.reservations.into_iter().map(move |reservation| {
                let year = reservation.range().start().year();
                Record::Reservation {
                    booked_at: seeded_at(year),
                    request: format!("seed {seed}"),
                    reservation,
                }
            }))
    }
}

/// The numbers drawn for one employee, before they become domain values.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sketch {
    name: String,
    job_title: &'static str,
    status: EmployeeStatus,
    start_date: NaiveDate,
    years: Vec<YearSketch>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct YearSketch {
    year: i32,
    total: u32,
    earlier_taken: u32,
    /// First day and length of each planned vacation, in date order.
    vacations: Vec<(NaiveDate, u32)>,
}

impl Sketch {
    fn item_count(&self) -> u64 {
        let vacations: u64 = self
            .years
            .iter()
            .flat_map(|y| &y.vacations)
            // The reservation, a claim per day (calendar days: every day is charged), and
            // its history entry.
            .map(|&(_, days)| 2 + u64::from(days))
            .sum();
        1 + self.years.len() as u64 + vacations
    }
}

/// Uniform draws from the raw output of a ChaCha8 stream.
struct Dice(ChaCha8Rng);

impl Dice {
    fn for_employee(seed: u64, employee: u32) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(u64::from(employee));
        Self(rng)
    }

    /// A number in `0..n` (`n > 0`), by multiply-and-shift: the bias is below `n / 2^64`.
    fn below(&mut self, n: u32) -> u32 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u32
    }

    /// A number in `range`.
    fn within(&mut self, range: RangeInclusive<u32>) -> u32 {
        range.start() + self.below(range.end() - range.start() + 1)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len() as u32) as usize]
    }
}

fn first_day(year: i32) -> NaiveDate {
    // Years are within the domain's bounds, where every January 1st exists.
    NaiveDate::from_yo_opt(year, 1).expect("January 1st exists in every seeded year")
}

fn days_in(year: i32) -> u32 {
    (first_day(year + 1) - first_day(year)).num_days() as u32
}

impl Plan {
    /// A plan for employees `1..=employees` with balances for `current_year` and the
    /// years before it.
    pub fn new(seed: u64, current_year: i32, employees: u32) -> Result<Self, PlanError> {
        if !EMPLOYEES.contains(&employees) {
            return Err(PlanError::Employees(employees));
        }
        if !CURRENT_YEARS.contains(&current_year) {
            return Err(PlanError::CurrentYear(current_year));
        }
        Ok(Self {
            seed,
            current_year,
            employees,
        })
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The last seeded year.
    pub fn current_year(&self) -> i32 {
        self.current_year
    }
    /// How many employees.
    pub fn employees(&self) -> u32 {
        self.employees
    }
    /// The seeded years, oldest first.
    pub fn years(&self) -> RangeInclusive<i32> {
        (self.current_year - YEARS + 1)..=self.current_year
    }

    /// The marker recording this plan in the table.
    pub fn marker(&self, complete: bool) -> SeedMarker {
        SeedMarker {
            seed: self.seed,
            current_year: self.current_year,
            employees: self.employees,
            generator: GENERATOR_VERSION,
            complete,
        }
    }

    fn ids(&self) -> impl Iterator<Item = EmployeeId> {
        (1..=self.employees)
            .map(|n| EmployeeId::new(n).expect("1..=employees are valid ids, checked by new"))
    }

    /// Every employee, one at a time.
    pub fn generate(&self) -> impl Iterator<Item = GeneratedEmployee> {
        let plan = *self;
        self.ids().map(move |id| plan.employee(id))
    }

    /// Every record to write, one employee at a time: memory does not grow with the
    /// number of employees.
    pub fn records(&self) -> impl Iterator<Item = Record> {
        self.generate().flat_map(GeneratedEmployee::into_records)
    }

    /// How many items [`Plan::records`] writes, without building them.
    pub fn item_count(&self) -> u64 {
        self.ids().map(|id| self.sketch(id).item_count()).sum()
    }

    /// Employee `id`'s data (the same whatever the number of employees).
    pub fn employee(&self, id: EmployeeId) -> GeneratedEmployee {
        let sketch = self.sketch(id);
        let employee = Employee::new(
            id,
            sketch.name,
            sketch.job_title,
            sketch.start_date,
            sketch.status,
        )
        .expect("generated names and titles are short and not blank");
        let mut balances = Vec::with_capacity(sketch.years.len());
        let mut earlier_taken = Vec::with_capacity(sketch.years.len());
        let mut reservations = Vec::new();
        for year in sketch.years {
            let mut planned = 0;
            for (k, &(start, days)) in year.vacations.iter().enumerate() {
                let reservation = self.reservation(id, year.year, k, start, days);
                planned += reservation.charge().total_days();
                reservations.push(reservation);
            }
            let taken = planned + year.earlier_taken;
            earlier_taken.push(year.earlier_taken);
            balances.push(
                YearBalance::new(year.year, year.total, taken)
                    .expect("planned and earlier days fit in the year's total"),
            );
        }
        GeneratedEmployee {
            employee,
            balances,
            earlier_taken,
            reservations,
            seed: self.seed,
        }
    }

    /// The `k`-th planned vacation of `year`: `days` days from `start`, with the id a
    /// booking keyed by the plan, the year and `k` would get.
    fn reservation(
        &self,
        id: EmployeeId,
        year: i32,
        k: usize,
        start: NaiveDate,
        days: u32,
    ) -> Reservation {
        let range = DateRange::new(start, start + Days::new(u64::from(days) - 1))
            .expect("planned vacations are 1 to 5 days");
        let key = format!("seeder/v{GENERATOR_VERSION}/{}/{year}/{k}", self.seed);
        let key = IdempotencyKey::new(key).expect("the key is short printable ASCII");
        // Derived, so a resumed seed writes the very items a single run would.
        let digest = key.digest(id, "incarnation");
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        Reservation::new(
            ReservationId::derive(id, &key),
            id,
            range,
            POLICY,
            Incarnation::from_bytes(&first),
        )
        .expect("calendar days always charge at least one day")
    }

    /// The draws for employee `id`, in a fixed order (part of [`GENERATOR_VERSION`]).
    fn sketch(&self, id: EmployeeId) -> Sketch {
        let mut dice = Dice::for_employee(self.seed, id.get());
        let name = match NAMES.get(id.get() as usize - 1) {
            Some(name) => (*name).to_owned(),
            None => format!("{} {}", dice.pick(&FIRST_NAMES), dice.pick(&LAST_NAMES)),
        };
        let job_title = dice.pick(&JOB_TITLES);
        let status = if dice.below(5) < 4 {
            EmployeeStatus::Active
        } else {
            EmployeeStatus::Inactive
        };
        let start_days = (first_day(LAST_START_YEAR + 1) - first_day(FIRST_START_YEAR)).num_days();
        let start_date =
            first_day(FIRST_START_YEAR) + Days::new(u64::from(dice.below(start_days as u32)));
        let years = self
            .years()
            .map(|year| {
                let total = dice.within(TOTAL_DAYS);
                let count = dice.below(MAX_PLANNED + 1);
                let mut room = total;
                let mut vacations = Vec::with_capacity(count as usize);
                // Vacation k lies in the k-th of `count` equal parts of the year.
                if let Some(part) = days_in(year).checked_div(count) {
                    for k in 0..count {
                        let longest = MAX_PLANNED_DAYS.min(room);
                        if longest == 0 {
                            break;
                        }
                        let days = dice.within(1..=longest);
                        let offset = k * part + dice.below(part - days + 1);
                        vacations.push((first_day(year) + Days::new(u64::from(offset)), days));
                        room -= days;
                    }
                }
                let earlier_taken = dice.below(room / 2 + 1);
                YearSketch {
                    year,
                    total,
                    earlier_taken,
                    vacations,
                }
            })
            .collect();
        Sketch {
            name,
            job_title,
            status,
            start_date,
            years,
        }
    }
}

/// The current calendar year, by the machine's clock (UTC).
pub fn this_year() -> i32 {
    chrono::Utc::now().year()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ledger::{BalanceFigures, DayClaim, Ledger};
    use proptest::prelude::*;

    fn id(n: u32) -> EmployeeId {
        EmployeeId::new(n).unwrap()
    }

    /// The ledger the generated employee would have once written.
    fn ledger(e: &GeneratedEmployee) -> Ledger {
        Ledger {
            employee: e.employee.id(),
            balances: e
                .balances
                .iter()
                .zip(&e.earlier_taken)
                .map(|(b, earlier)| BalanceFigures {
                    year: b.year(),
                    total: b.total().into(),
                    taken: b.taken().into(),
                    available: b.available().into(),
                    earlier_taken: Some((*earlier).into()),
                })
                .collect(),
            history: e
                .reservations
                .iter()
                .map(|r| {
                    let at = seeded_at(r.range().start().year());
                    store::bulk::seeded_history(r, at, format!("seed {}", e.seed))
                })
                .collect(),
            claims: e
                .reservations
                .iter()
                .flat_map(|r| {
                    let range = r.range();
                    range
                        .days()
                        .map(|date| DayClaim {
                            date,
                            reservation: r.id().clone(),
                        })
                        .collect::<Vec<_>>()
                })
                .collect(),
            reservations: e.reservations.clone(),
        }
    }

    #[test]
    fn the_first_ten_employees_have_the_original_names_in_order() {
        let plan = Plan::new(7, 2026, 12).unwrap();
        let names: Vec<String> = plan
            .generate()
            .map(|e| e.employee.name().to_owned())
            .collect();
        assert_eq!(&names[..10], NAMES);
        for name in &names[10..] {
            let (first, last) = name.split_once(' ').unwrap();
            assert!(
                FIRST_NAMES.contains(&first) && LAST_NAMES.contains(&last),
                "{name}"
            );
        }
    }

    #[test]
    fn the_same_plan_gives_the_same_data_and_another_seed_other_data() {
        let plan = Plan::new(42, 2026, 30).unwrap();
        let again: Vec<_> = plan.generate().collect();
        assert_eq!(plan.generate().collect::<Vec<_>>(), again);
        let other: Vec<_> = Plan::new(43, 2026, 30).unwrap().generate().collect();
        assert_ne!(other, again);
    }

    #[test]
    fn an_employee_does_not_depend_on_how_many_are_generated() {
        let small = Plan::new(5, 2026, 3).unwrap();
        let large = Plan::new(5, 2026, 300).unwrap();
        assert_eq!(small.employee(id(3)), large.employee(id(3)));
        assert_eq!(small.employee(id(3)), large.generate().nth(2).unwrap());
    }

    /// Pinned output: a change here changes every seeded table, and needs a new
    /// GENERATOR_VERSION. (Version 2 derived new reservation ids and added incarnations,
    /// the days taken earlier and the seeder's history entries; the draws are version 1's.)
    #[test]
    fn seed_one_still_generates_what_version_two_generated() {
        let plan = Plan::new(1, 2026, 1).unwrap();
        let e = plan.employee(id(1));
        let summary = format!(
            "{} {} {} {} | {} | {}",
            e.employee.name(),
            e.employee.job_title(),
            e.employee.status(),
            e.employee.start_date(),
            e.balances
                .iter()
                .zip(&e.earlier_taken)
                .map(|(b, earlier)| format!(
                    "{}:{}/{} ({earlier} earlier)",
                    b.year(),
                    b.taken(),
                    b.total()
                ))
                .collect::<Vec<_>>()
                .join(" "),
            e.reservations
                .iter()
                .map(|r| format!(
                    "{}/{}={}",
                    r.id(),
                    &r.incarnation().as_str()[..8],
                    r.range()
                ))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(summary, PINNED_SEED_ONE);
    }

    const PINNED_SEED_ONE: &str = "John Doe Manager Inactive 2020-02-08 \
        | 2024:6/16 (1 earlier) 2025:8/28 (4 earlier) 2026:8/17 (8 earlier) \
        | 271a87e0abcb/0c63abac=2024-07-13 to 2024-07-17 2f37ea47d7be/69ca9e42=2025-02-03 to 2025-02-03 \
        1c50188fc9e7/8cdcbbf7=2025-05-05 to 2025-05-05 ce489aa96e24/dac59b28=2025-10-23 to 2025-10-24";

    #[test]
    fn the_item_count_is_what_the_records_write() {
        let plan = Plan::new(9, 2030, 40).unwrap();
        let written: usize = plan.records().map(|r| r.item_count()).sum();
        assert_eq!(plan.item_count(), written as u64);
    }

    #[test]
    fn out_of_range_parameters_are_refused() {
        assert_eq!(Plan::new(1, 2026, 0), Err(PlanError::Employees(0)));
        assert_eq!(
            Plan::new(1, 2026, EmployeeId::MAX + 1),
            Err(PlanError::Employees(EmployeeId::MAX + 1))
        );
        assert_eq!(Plan::new(1, 2024, 1), Err(PlanError::CurrentYear(2024)));
        assert_eq!(Plan::new(1, 2201, 1), Err(PlanError::CurrentYear(2201)));
        assert!(Plan::new(1, 2025, 1).is_ok() && Plan::new(1, 2200, EmployeeId::MAX).is_ok());
        assert!(PlanError::CurrentYear(2024)
            .to_string()
            .starts_with("the current year must be between 2025 and 2200, got 2024"));
    }

    #[test]
    fn the_marker_records_the_plan_and_the_generator() {
        let marker = Plan::new(3, 2026, 10).unwrap().marker(false);
        assert_eq!(
            (
                marker.seed,
                marker.current_year,
                marker.employees,
                marker.generator,
                marker.complete
            ),
            (3, 2026, 10, GENERATOR_VERSION, false)
        );
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut dice = Dice::for_employee(0, 1);
        for n in [1, 2, 3, 6, 10, 2922] {
            for _ in 0..1000 {
                assert!(dice.below(n) < n);
            }
        }
        let mut seen = [false; 21];
        for _ in 0..2000 {
            seen[(dice.within(10..=30) - 10) as usize] = true;
        }
        assert!(
            seen.iter().all(|s| *s),
            "every total from 10 to 30 comes up"
        );
    }

    proptest! {
        /// Whatever the seed, year and employee, the data obeys the rules and the
        /// ledger's invariants.
        #[test]
        fn every_generated_employee_is_sound(seed in any::<u64>(), year in CURRENT_YEARS, n in 1u32..=EmployeeId::MAX) {
            let plan = Plan::new(seed, year, EmployeeId::MAX).unwrap();
            let e = plan.employee(id(n));
            prop_assert!(JOB_TITLES.contains(&e.employee.job_title()));
            let start = e.employee.start_date().year();
            prop_assert!((FIRST_START_YEAR..=LAST_START_YEAR).contains(&start));
            prop_assert_eq!(e.balances.iter().map(|b| b.year()).collect::<Vec<_>>(), plan.years().collect::<Vec<_>>());
            for b in &e.balances {
                prop_assert!(TOTAL_DAYS.contains(&b.total()));
                let planned: Vec<_> = e.reservations.iter().filter(|r| r.range().touches_year(b.year())).collect();
                prop_assert!(planned.len() as u32 <= MAX_PLANNED);
                let days: u32 = planned.iter().map(|r| r.charge().days_in(b.year())).sum();
                prop_assert!(b.taken() >= days);
                for r in planned {
                    prop_assert_eq!(r.range().start().year(), b.year());
                    prop_assert_eq!(r.range().end().year(), b.year());
                    prop_assert!((1..=MAX_PLANNED_DAYS).contains(&r.range().calendar_days()));
                    prop_assert_eq!(r.charge(), &POLICY.charge(&r.range()).unwrap());
                }
            }
            for pair in e.reservations.windows(2) {
                prop_assert!(pair[0].range().end() < pair[1].range().start());
            }
            prop_assert_eq!(ledger(&e).audit(), vec![]);
        }
    }
}
