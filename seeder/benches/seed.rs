//! `cargo bench -p hr-seeder --bench seed [-- --employees N --concurrency C --rounds R
//! --endpoint URL --resume F]`
//!
//! Seeds N employees (100,000 by default) into DynamoDB Local (a testcontainers container,
//! or the one at `--endpoint`) with the real `seeder` binary, run as a child process, and
//! reports its items/s, its CPU time and its peak RSS (the child's `VmHWM`, its resident
//! set's high-water mark, read from `/proc` every 10 ms while it runs: `getrusage` on
//! children would also count the pages of this process at the time of the spawn).
//!
//! In the same run, a bare parallel `BatchWriteItem` loop writes the same items (built by
//! hand, attribute by attribute, from the same generated employees) with the same
//! concurrency. Each side writes alone into a DynamoDB Local started for it, after the same
//! warm-up write: DynamoDB Local slows down as a run goes on, even after the tables written
//! are deleted (seen here: whichever side wrote second in one container was 15-20% slower),
//! so sharing one container would measure the order, not the writers. With several rounds,
//! which side goes first alternates, and the medians are compared. With `--endpoint`, both
//! sides share that database instead, each writing into a table deleted right after.
//!
//! The seeder's rate is end to end: from the process's start to its exit, table creation,
//! seed marker, counting pass and summary included. Targets: at least 0.9 times the bare
//! loop's rate, and a peak RSS under 100 MB.
//!
//! With `--resume F` (0 to 1), the seeder resumes instead: its table is given the first
//! fraction F of the items and an incomplete seed marker beforehand (not timed), as an
//! interrupted run leaves it, and the seeder checks the table and writes the rest with
//! conditional puts. Its rate is then the data's items (checked or written) per second,
//! end to end, with the check's and the writes' own rates beside it; the bare loop still
//! writes the whole data into an empty table, for reference.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use seeder::generate::{GeneratedEmployee, Plan};
use test_support::{dump, unique_table_name};
use test_support::{fresh_store_at, sdk_config};
use testcontainers::ContainerAsync;
use testcontainers_modules::dynamodb_local::DynamoDb;
use tokio::task::JoinSet;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Item = HashMap<String, AttributeValue>;

/// The seed and year both sides write.
const SEED: u64 = 1;
const YEAR: i32 = 2026;
/// Below this many items, the bench also checks that both sides wrote the same items.
const COMPARE_BELOW: u64 = 100_000;

struct Options {
    employees: u32,
    concurrency: usize,
    rounds: usize,
    endpoint: Option<String>,
    /// The fraction of the items already in the seeder's table, for a resume.
    resume: Option<f64>,
}

fn main() -> Result<(), Error> {
    let mut options = Options {
        employees: 100_000,
        concurrency: 16,
        rounds: 1,
        endpoint: None,
        resume: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--employees" => options.employees = value()?.parse()?,
            "--concurrency" => options.concurrency = value()?.parse()?,
            "--rounds" => options.rounds = value()?.parse()?,
            "--endpoint" => options.endpoint = Some(value()?),
            "--resume" => options.resume = Some(value()?.parse()?),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(&options))
}

/// A DynamoDB Local for one side: the `--endpoint` given, or a container started for it
/// (removed when the returned handle is dropped), warmed up.
async fn database(
    options: &Options,
) -> Result<(String, Client, Option<ContainerAsync<DynamoDb>>), Error> {
    let (endpoint, container) = match &options.endpoint {
        Some(url) => {
            test_support::wait_until_serving(url, Duration::from_secs(60)).await?;
            (url.clone(), None)
        }
        None => {
            let (local, container) = test_support::start_container(&["-inMemory"], None).await?;
            (local.endpoint, Some(container))
        }
    };
    let client = store::dynamodb_client(&sdk_config().await, Some(&endpoint));
    let warmup = fresh_store_at(&endpoint).await;
    let t = Instant::now();
    let warmup_plan = Plan::new(SEED + 1, YEAR, 2_000)?;
    let items = bare_loop(
        &client,
        warmup.table_name(),
        &warmup_plan,
        options.concurrency,
    )
    .await?;
    println!(
        "  warm-up of DynamoDB Local at {endpoint}: {items} items in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    warmup.delete_table().await?;
    Ok((endpoint, client, container))
}

async fn bench(options: &Options) -> Result<(), Error> {
    let plan = Plan::new(SEED, YEAR, options.employees)?;
    let database_text = match &options.endpoint {
        Some(url) => format!("both sides on DynamoDB Local at {url}"),
        None => "each side on a DynamoDB Local of its own".to_owned(),
    };
    println!(
        "seed benchmark: {} employees ({} items), concurrency {}, {} round(s), {database_text}",
        options.employees,
        plan.item_count(),
        options.concurrency,
        options.rounds
    );

    let mut seeder_rates = Vec::new();
    let mut bare_rates = Vec::new();
    let mut peak_rss_kb = 0;
    let expected = plan.item_count();
    let compare = expected < COMPARE_BELOW;
    for round in 1..=options.rounds {
        // Each side writes alone in its database, and the side going first alternates.
        let mut dumps = Vec::new();
        let sides = if round % 2 == 1 {
            [Side::Seeder, Side::Bare]
        } else {
            [Side::Bare, Side::Seeder]
        };
        for side in sides {
            let (endpoint, client, container) = database(options).await?;
            let endpoint = endpoint.as_str();
            let (table, items) = match side {
                Side::Seeder if options.resume.is_some() => {
                    let interrupted = fresh_store_at(endpoint).await;
                    let table = interrupted.table_name().to_owned();
                    let held = interrupt(&interrupted, &plan, options).await?;
                    let run = run_seeder(endpoint, &table, options).await?;
                    let rate = expected as f64 / run.wall.as_secs_f64();
                    println!(
                        "  round {round}: resume {} of {expected} items held, {} written in \
                         {:>7.1} s = {rate:>6.0} items/s end to end (check {:.1} s = {:.0} \
                         items/s, writes {:.1} s = {:.0} items/s), CPU {:.1} s, peak RSS {:.1} MB",
                        held,
                        run.items,
                        run.wall.as_secs_f64(),
                        run.check_seconds,
                        expected as f64 / run.check_seconds,
                        run.write_seconds,
                        run.items as f64 / run.write_seconds,
                        run.cpu_seconds,
                        run.peak_rss_kb as f64 / 1024.0
                    );
                    seeder_rates.push(rate);
                    peak_rss_kb = peak_rss_kb.max(run.peak_rss_kb);
                    (table, held + run.items)
                }
                Side::Seeder => {
                    let table = unique_table_name("bench-seeder");
                    let run = run_seeder(endpoint, &table, options).await?;
                    let rate = run.items as f64 / run.wall.as_secs_f64();
                    println!(
                        "  round {round}: seeder {} items in {:>7.1} s = {rate:>6.0} items/s end to end \
                         (write phase {:.1} s = {:.0} items/s), CPU {:.1} s, peak RSS {:.1} MB",
                        run.items,
                        run.wall.as_secs_f64(),
                        run.write_seconds,
                        run.items as f64 / run.write_seconds,
                        run.cpu_seconds,
                        run.peak_rss_kb as f64 / 1024.0
                    );
                    seeder_rates.push(rate);
                    peak_rss_kb = peak_rss_kb.max(run.peak_rss_kb);
                    (table, run.items)
                }
                Side::Bare => {
                    let table = fresh_store_at(endpoint).await.table_name().to_owned();
                    let (t, cpu) = (Instant::now(), own_cpu_seconds());
                    let items = bare_loop(&client, &table, &plan, options.concurrency).await?;
                    let (wall, cpu) = (t.elapsed(), own_cpu_seconds() - cpu);
                    let rate = items as f64 / wall.as_secs_f64();
                    println!(
                        "  round {round}: bare   {items} items in {:>7.1} s = {rate:>6.0} items/s, \
                         CPU {cpu:.1} s",
                        wall.as_secs_f64()
                    );
                    bare_rates.push(rate);
                    (table, items)
                }
            };
            if items != expected {
                return Err(format!("{side:?} wrote {items} items, not {expected}").into());
            }
            if compare {
                let mut items = dump(&client, &table).await;
                items.retain(|item| !item.contains("\"SeedMarker\""));
                dumps.push(items);
            }
            store::Store::new(client.clone(), table)
                .delete_table()
                .await?;
            if let Some(container) = container {
                container.rm().await?;
            }
        }
        if compare {
            if dumps[0] != dumps[1] {
                return Err("the bare loop did not write the seeder's items".into());
            }
            println!("  round {round}: both sides wrote the same items");
        }
    }

    let (seeder, bare) = (median(&mut seeder_rates), median(&mut bare_rates));
    let peak_rss_mb = peak_rss_kb as f64 / 1024.0;
    println!("  seeder (median)              {seeder:>8.0} items/s");
    println!("  bare BatchWriteItem (median) {bare:>8.0} items/s");
    match options.resume {
        // A resume reads the whole data and writes part of it: no target against a
        // fresh write, only the comparison.
        Some(_) => println!(
            "  ratio resume (end to end) / bare fresh write: {:.3}",
            seeder / bare
        ),
        None => println!(
            "  ratio seeder / bare: {:.3}  (target >= 0.9)",
            seeder / bare
        ),
    }
    println!("  seeder peak RSS: {peak_rss_mb:.1} MB  (target < 100 MB)");
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Seeder,
    Bare,
}

/// One run of the seeder binary.
struct SeederRun {
    items: u64,
    wall: Duration,
    check_seconds: f64,
    write_seconds: f64,
    cpu_seconds: f64,
    peak_rss_kb: u64,
}

/// Gives the table of `store` the first `--resume` fraction of the items of `plan` and an
/// incomplete seed marker, as an interrupted run leaves it. Returns how many items it wrote.
async fn interrupt(store: &store::Store, plan: &Plan, options: &Options) -> Result<u64, Error> {
    store.put_seed_marker(&plan.marker(false)).await?;
    let fraction = options.resume.unwrap_or(0.0).clamp(0.0, 1.0);
    let wanted = (plan.item_count() as f64 * fraction) as u64;
    let mut taken = 0;
    let records = plan.records().take_while(|r| {
        taken += r.item_count() as u64;
        taken <= wanted
    });
    let bulk = store::BulkOptions {
        concurrency: options.concurrency,
        ..store::BulkOptions::default()
    };
    Ok(store.write_records(records, &bulk, |_| {}).await?.items)
}

/// Runs the release `seeder` binary into `table`, which it creates if it is missing.
async fn run_seeder(endpoint: &str, table: &str, options: &Options) -> Result<SeederRun, Error> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_seeder"));
    command
        .args(["run", "--endpoint-url", endpoint, "--table", table])
        .args([
            "--seed",
            &SEED.to_string(),
            "--current-year",
            &YEAR.to_string(),
        ])
        .args(["--employees", &options.employees.to_string()])
        .args(["--concurrency", &options.concurrency.to_string()])
        .args(["--output", "json"])
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let cpu = children_cpu_seconds();
    let started = Instant::now();
    let (status, stdout, peak_rss_kb) =
        tokio::task::spawn_blocking(move || watch(command)).await??;
    let wall = started.elapsed();
    if !status.success() {
        return Err(format!("the seeder failed ({status})").into());
    }
    let summary: serde_json::Value = serde_json::from_slice(&stdout)?;
    Ok(SeederRun {
        items: summary["items_written"]
            .as_u64()
            .ok_or("no items_written in the summary")?,
        wall,
        check_seconds: summary["check_seconds"]
            .as_f64()
            .ok_or("no check_seconds in the summary")?,
        write_seconds: summary["write_seconds"]
            .as_f64()
            .ok_or("no write_seconds in the summary")?,
        cpu_seconds: children_cpu_seconds() - cpu,
        peak_rss_kb,
    })
}

/// Runs `command` to its end (its stderr shown, its stdout kept), reading its `VmHWM`
/// every 10 ms: returns its exit status, its stdout and its peak RSS in KB.
fn watch(mut command: Command) -> Result<(std::process::ExitStatus, Vec<u8>, u64), Error> {
    let mut child = command.stdout(Stdio::piped()).spawn()?;
    let mut pipe = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        pipe.read_to_end(&mut out).map(|_| out)
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        // VmHWM only grows while the process lives: the last reading is its peak so far.
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            peak = peak.max(vm_hwm_kb(&text).unwrap_or(0));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = reader.join().map_err(|_| "the stdout reader panicked")??;
    Ok((status, stdout, peak))
}

/// The `VmHWM:   1234 kB` line of a `/proc/<pid>/status`.
fn vm_hwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Writes the items of `plan`, built by hand, into `table`: 25 per `BatchWriteItem`,
/// `concurrency` requests in flight, unprocessed items sent again at once. Returns how
/// many items it wrote.
async fn bare_loop(
    client: &Client,
    table: &str,
    plan: &Plan,
    concurrency: usize,
) -> Result<u64, Error> {
    let mut items = plan.generate().flat_map(items_of);
    let mut in_flight: JoinSet<Result<(), Error>> = JoinSet::new();
    let mut written = 0;
    loop {
        let batch = items
            .by_ref()
            .take(25)
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build()?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, Error>>()?;
        if batch.is_empty() {
            break;
        }
        written += batch.len() as u64;
        if in_flight.len() >= concurrency {
            if let Some(done) = in_flight.join_next().await {
                done??;
            }
        }
        let (client, table) = (client.clone(), table.to_owned());
        in_flight.spawn(async move {
            let mut pending = batch;
            while !pending.is_empty() {
                let out = client
                    .batch_write_item()
                    .request_items(&table, pending)
                    .send()
                    .await?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&table))
                    .unwrap_or_default();
            }
            Ok(())
        });
    }
    while let Some(done) = in_flight.join_next().await {
        done??;
    }
    Ok(written)
}

/// The items the store writes for `e`, built attribute by attribute.
fn items_of(e: GeneratedEmployee) -> Vec<Item> {
    let id = e.employee.id().get();
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let n = |v: i64| AttributeValue::N(v.to_string());
    let item = |sk: String, entity: &str, rest: Vec<(&str, AttributeValue)>| -> Item {
        let mut item = HashMap::from([
            ("PK".to_owned(), AttributeValue::S(format!("EMP#{id}"))),
            ("SK".to_owned(), AttributeValue::S(sk)),
            ("entity".to_owned(), s(entity)),
            ("employee_id".to_owned(), n(id.into())),
        ]);
        item.extend(rest.into_iter().map(|(k, v)| (k.to_owned(), v)));
        item
    };
    let mut items = vec![item(
        "PROFILE".to_owned(),
        "Employee",
        vec![
            ("name", s(e.employee.name())),
            ("job_title", s(e.employee.job_title())),
            ("start_date", s(&e.employee.start_date().to_string())),
            ("status", s(e.employee.status().as_str())),
        ],
    )];
    for b in &e.balances {
        items.push(item(
            format!("YEAR#{}", b.year()),
            "Balance",
            vec![
                ("year", n(b.year().into())),
                ("total", n(b.total().into())),
                ("taken", n(b.taken().into())),
                ("available", n(b.available().into())),
            ],
        ));
    }
    for r in &e.reservations {
        let rid = r.id().as_str();
        let range = r.range();
        let charges = r
            .charge()
            .years()
            .iter()
            .map(|c| {
                AttributeValue::M(HashMap::from([
                    ("year".to_owned(), n(c.year.into())),
                    ("days".to_owned(), n(c.days.into())),
                ]))
            })
            .collect();
        items.push(item(
            format!("RES#{rid}"),
            "Reservation",
            vec![
                ("reservation_id", s(rid)),
                ("start_date", s(&range.start().to_string())),
                ("end_date", s(&range.end().to_string())),
                ("days", n(r.charge().total_days().into())),
                ("charges", AttributeValue::L(charges)),
            ],
        ));
        for day in range.days() {
            items.push(item(
                format!("DAY#{day}"),
                "DayClaim",
                vec![("date", s(&day.to_string())), ("reservation_id", s(rid))],
            ));
        }
    }
    items
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// User and system CPU seconds of `who` (`RUSAGE_SELF` or `RUSAGE_CHILDREN`).
fn cpu_seconds(who: libc::c_int) -> f64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct it is given a valid pointer to.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return f64::NAN;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// CPU time of this process so far (the bare loop's, when measured around it).
fn own_cpu_seconds() -> f64 {
    cpu_seconds(libc::RUSAGE_SELF)
}

/// CPU time of the children waited for so far (the seeder runs).
fn children_cpu_seconds() -> f64 {
    cpu_seconds(libc::RUSAGE_CHILDREN)
}
