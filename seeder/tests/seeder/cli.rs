//! The `seeder` binary run as a process against DynamoDB Local in testcontainers: exit
//! status, summaries that match the table, progress and errors as a user sees them.

use std::process::{Command, Output};

use aws_sdk_dynamodb::types::AttributeValue;
use domain::EmployeeId;
use store::Store;
use test_support::{dump, unique_table_name};
use test_support::{dynamodb_local, sdk_config};

/// The seeder with a clean environment: no AWS configuration or credentials from this
/// machine, and no instance metadata to probe; backtraces asked for, as some users have
/// them, to show that errors are reported without one.
fn seeder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seeder"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", "/nonexistent/aws/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap_or_else(|e| panic!("running the seeder failed: {e}"))
}

/// `seeder run` against the test container's table `table`, with `extra` options.
fn run(table: &str, extra: &[&str]) -> Output {
    let endpoint = &dynamodb_local().endpoint;
    let mut args = vec!["run", "--endpoint-url", endpoint, "--table", table];
    args.extend_from_slice(extra);
    seeder(&args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Fails unless the run failed with `code` and its stderr says `says`.
fn assert_failure(out: &Output, code: i32, says: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
    assert!(
        stderr(out).contains(says),
        "stderr lacks {says:?}:\n{}",
        stderr(out)
    );
    assert!(
        !stderr(out).contains("backtrace"),
        "an error is not a crash:\n{}",
        stderr(out)
    );
}

async fn store(table: &str) -> Store {
    let client = store::dynamodb_client(&sdk_config().await, Some(&dynamodb_local().endpoint));
    Store::new(client, table)
}

async fn table_exists(table: &str) -> bool {
    let store = store(table).await;
    let names = store.client().list_tables().send().await.unwrap();
    names.table_names().contains(&table.to_owned())
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("the summary is not JSON ({e}):\n{}", stdout(out)))
}

/// One employee's line of the text summary, as `[id, name, title, status, started, total,
/// taken, available, planned]`.
fn row(text: &str, id: u32) -> Vec<String> {
    text.lines()
        .map(|line| {
            line.split(['│', '┆'])
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.first().map(String::as_str) == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("no row for employee {id} in:\n{text}"))
}

#[tokio::test]
async fn the_json_summary_matches_the_table() {
    let table = unique_table_name("cli");
    let out = run(
        &table,
        &["--seed", "31", "--employees", "12", "--output", "json"],
    );
    assert_success(&out);
    let summary = json(&out);
    assert_eq!(summary["seed"], 31);
    assert_eq!(summary["seed_source"], "option");
    assert_eq!(summary["outcome"], "seeded");
    assert_eq!(summary["table_created"], true);
    assert_eq!(summary["employees"], 12);

    let store = store(&table).await;
    let items = dump(store.client(), &table).await;
    assert_eq!(
        summary["items_written"],
        items.len() as u64 - 1,
        "all but the marker"
    );
    let balances = summary["balances"].as_array().unwrap();
    assert_eq!(balances.len(), 12);
    let year = summary["years"][2].as_i64().unwrap() as i32;
    for (n, listed) in (1..=12).zip(balances) {
        let id = EmployeeId::new(n).unwrap();
        let employee = store.get_employee(id).await.unwrap();
        let balance = store.get_balance(id, year).await.unwrap();
        let planned = store.list_reservations(id, Some(year)).await.unwrap();
        assert_eq!(listed["id"], n);
        assert_eq!(listed["name"], employee.name());
        assert_eq!(listed["job_title"], employee.job_title());
        assert_eq!(listed["status"], employee.status().as_str());
        assert_eq!(listed["start_date"], employee.start_date().to_string());
        assert_eq!(listed["total"], balance.total());
        assert_eq!(listed["taken"], balance.taken());
        assert_eq!(listed["available"], balance.available());
        assert_eq!(listed["planned_vacations"], planned.len());
    }
}

#[tokio::test]
async fn the_text_summary_matches_the_table_and_a_second_run_writes_nothing() {
    let table = unique_table_name("cli");
    let out = run(&table, &["--seed", "32"]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("Seeded table {table} (seed 32, 10 employee(s)")),
        "{text}"
    );
    // Not on a terminal: plain progress lines instead of a bar.
    assert!(
        stderr(&out).contains("seeder: writing: "),
        "{}",
        stderr(&out)
    );

    let store = store(&table).await;
    let year = generate_year(&text);
    for n in 1..=10 {
        let id = EmployeeId::new(n).unwrap();
        let employee = store.get_employee(id).await.unwrap();
        let balance = store.get_balance(id, year).await.unwrap();
        let planned = store.list_reservations(id, Some(year)).await.unwrap();
        let expected = [
            n.to_string(),
            employee.name().to_owned(),
            employee.job_title().to_owned(),
            employee.status().to_string(),
            employee.start_date().to_string(),
            balance.total().to_string(),
            balance.taken().to_string(),
            balance.available().to_string(),
            planned.len().to_string(),
        ];
        assert_eq!(row(&text, n), expected);
    }
    assert_eq!(row(&text, 1)[1], "John Doe");
    assert_eq!(row(&text, 10)[1], "Jessica Thompson");

    let before = dump(store.client(), &table).await;
    let again = run(&table, &["--seed", "32"]);
    assert_success(&again);
    assert!(
        stdout(&again).contains("already holds this data"),
        "{}",
        stdout(&again)
    );
    assert_eq!(row(&stdout(&again), 4), row(&text, 4));
    assert_eq!(dump(store.client(), &table).await, before);
}

/// The year of the text summary's "Balances for <year>:" line.
fn generate_year(text: &str) -> i32 {
    text.lines()
        .find_map(|l| l.strip_prefix("Balances for "))
        .and_then(|rest| rest.trim_end_matches(':').parse().ok())
        .unwrap_or_else(|| panic!("no balances line in:\n{text}"))
}

#[tokio::test]
async fn without_a_seed_the_random_seed_is_printed_and_reproduces_the_data() {
    let table = unique_table_name("cli");
    let out = run(&table, &["--output", "json"]);
    assert_success(&out);
    let summary = json(&out);
    assert_eq!(summary["seed_source"], "random");
    let seed = summary["seed"].as_u64().unwrap();
    assert!(
        stderr(&out).contains(&format!("using seed {seed} (pass --seed {seed}")),
        "{}",
        stderr(&out)
    );

    let other = unique_table_name("cli");
    assert_success(&run(&other, &["--seed", &seed.to_string()]));
    let (a, b) = (store(&table).await, store(&other).await);
    assert_eq!(
        dump(a.client(), &table).await,
        dump(b.client(), &other).await
    );
}

#[tokio::test]
async fn other_parameters_are_refused_and_reset_needs_yes_off_a_terminal() {
    let table = unique_table_name("cli");
    assert_success(&run(&table, &["--seed", "33"]));
    let store = store(&table).await;
    let before = dump(store.client(), &table).await;

    let other = run(&table, &["--seed", "34"]);
    assert_failure(&other, 1, "Pass --reset to empty the table first");
    let reset = run(&table, &["--seed", "34", "--reset"]);
    assert_failure(
        &reset,
        1,
        "pass --yes to confirm it when not running on a terminal",
    );
    assert_eq!(dump(store.client(), &table).await, before);

    let confirmed = run(
        &table,
        &["--seed", "34", "--reset", "--yes", "--output", "json"],
    );
    assert_success(&confirmed);
    assert_eq!(json(&confirmed)["deleted_items"], before.len() as u64);
    assert_eq!(json(&confirmed)["seed"], 34);
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_with_a_clear_message() {
    // Port 9 (discard) on loopback: nothing listens there.
    let out = seeder(&["run", "--endpoint-url", "http://127.0.0.1:9", "--seed", "1"]);
    assert_failure(
        &out,
        1,
        "Error: cannot reach DynamoDB at http://127.0.0.1:9: check the endpoint and that the service is running",
    );
}

#[tokio::test]
async fn a_table_with_another_key_schema_is_refused_untouched() {
    let table = unique_table_name("cli");
    let store = store(&table).await;
    test_support::create_table_with_another_key_schema(store.client(), &table).await;
    let out = run(&table, &["--seed", "1"]);
    assert_failure(
        &out,
        1,
        &format!("Error: table {table} exists but its key schema is id (HASH, S), expected PK (HASH, S) and SK (RANGE, S)"),
    );
    assert!(dump(store.client(), &table).await.is_empty());
}

#[tokio::test]
async fn bad_arguments_are_refused_before_anything_is_touched() {
    let table = unique_table_name("cli");
    for (args, says) in [
        (
            &["--employees", "0"][..],
            "the number of employees must be between 1 and 999999999, got 0",
        ),
        (
            &["--current-year", "2024"],
            "the current year must be between 2025 and 2200, got 2024",
        ),
        (&["--concurrency", "0"], "0 is not in 1..=256"),
        (&["--output", "yaml"], "invalid value 'yaml'"),
    ] {
        let out = run(&table, args);
        assert_failure(&out, 2, says);
    }
    assert!(!table_exists(&table).await);
}

#[tokio::test]
async fn missing_credentials_or_region_for_real_aws_are_one_clear_sentence() {
    let out = seeder(&["run", "--region", "eu-west-1", "--seed", "1"]);
    assert_failure(
        &out,
        1,
        "Error: no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
    let out = seeder(&["run", "--seed", "1"]);
    assert_failure(&out, 1, "Error: no AWS region configured: pass --region");
}

/// `seeder audit` against the test container's table `table`, with `extra` options.
fn audit(table: &str, extra: &[&str]) -> Output {
    let endpoint = &dynamodb_local().endpoint;
    let mut args = vec!["audit", "--endpoint-url", endpoint, "--table", table];
    args.extend_from_slice(extra);
    seeder(&args)
}

#[tokio::test]
async fn the_audit_of_a_seeded_table_passes_and_counts_every_item() {
    let table = unique_table_name("cli-audit");
    let seeded = run(&table, &["--seed", "35", "--output", "json"]);
    assert_success(&seeded);
    let store = store(&table).await;
    let before = dump(store.client(), &table).await;

    let out = audit(&table, &["--segments", "3"]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("read {} items in", before.len())),
        "{text}"
    );
    assert!(
        text.contains("(parallel scan of 3 segments, consistent reads)"),
        "{text}"
    );
    assert!(
        text.contains("checked 10 employees: 30 year balances"),
        "{text}"
    );
    assert!(text.ends_with("OK: every invariant holds\n"), "{text}");

    let out = audit(&table, &["--output", "json"]);
    assert_success(&out);
    let report = json(&out);
    assert_eq!(report["clean"], true);
    assert_eq!(report["items"], before.len() as u64);
    assert_eq!(report["other_items"], 1, "the seed marker");
    let counted = ["employees", "balances", "reservations", "claims", "history"]
        .iter()
        .map(|k| report[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(counted + 1, before.len() as u64);
    assert_eq!(report["violations"], serde_json::json!([]));
    assert_eq!(dump(store.client(), &table).await, before, "read-only");
}

#[tokio::test]
async fn the_audit_of_a_corrupted_table_names_every_violation_and_fails() {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    let table = unique_table_name("cli-audit");
    assert_success(&run(&table, &["--seed", "36", "--current-year", "2026"]));
    let store = store(&table).await;
    let client = store.client();
    let (id, year) = (EmployeeId::new(3).unwrap(), 2026);
    let reservation = store
        .list_reservations(id, None)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("seed 36 plans a vacation for employee 3");
    let key = |pk: &str, sk: &str| {
        std::collections::HashMap::from([
            ("PK".to_owned(), V::S(pk.into())),
            ("SK".to_owned(), V::S(sk.into())),
        ])
    };
    // A lost day claim, a balance that no longer adds up, an unreadable item, and a
    // partition without a profile.
    let day = reservation.range().start();
    client
        .delete_item()
        .table_name(&table)
        .set_key(Some(key("EMP#3", &format!("DAY#{day}"))))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name(&table)
        .set_key(Some(key("EMP#5", &format!("YEAR#{year}"))))
        .update_expression("SET available = available + :one")
        .expression_attribute_values(":one", V::N("1".into()))
        .send()
        .await
        .unwrap();
    // A balance of a year nothing charges, so that its being unreadable breaks nothing else.
    let mut unreadable = key("EMP#6", "YEAR#2031");
    for (name, value) in [
        ("entity", V::S("Balance".into())),
        ("employee_id", V::N("6".into())),
        ("year", V::N("2031".into())),
        ("total", V::S("ten".into())),
        ("taken", V::N("0".into())),
        ("available", V::N("10".into())),
    ] {
        unreadable.insert(name.to_owned(), value);
    }
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(unreadable))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name(&table)
        .set_key(Some(key("EMP#8", "PROFILE")))
        .send()
        .await
        .unwrap();
    let before = dump(client, &table).await;

    let out = audit(&table, &[]);
    assert_failure(&out, 1, &format!("seeder: 4 violation(s) in table {table}"));
    let text = stdout(&out);
    assert!(text.contains("FAILED: 4 violation(s)"), "{text}");
    assert!(
        text.contains(&format!(
            "employee 3 reservation {}: day {day} has no claim\n     keys: EMP#3 / RES#{}, EMP#3 / DAY#{day}",
            reservation.id(),
            reservation.id()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("keys: EMP#5 / YEAR#{year}")) && text.contains("employee 5 year"),
        "{text}"
    );
    assert!(
        text.contains("employee 8: data stored, but no profile\n     keys: EMP#8 / PROFILE"),
        "{text}"
    );
    assert!(
        text.contains("stored item EMP#6 / YEAR#2031 is invalid"),
        "{text}"
    );
    assert!(
        text.contains("re-read 3 employee partition(s) with findings: 0 finding(s) not confirmed"),
        "{text}"
    );

    let out = audit(&table, &["--output", "json", "--segments", "5"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["clean"], false);
    let mut kinds: Vec<(u64, String)> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["employee"].as_u64().unwrap(),
                v["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            (3, "missing_claim".to_owned()),
            (5, "unbalanced".to_owned()),
            (6, "unreadable_item".to_owned()),
            (8, "missing_profile".to_owned())
        ]
    );
    assert_eq!(dump(client, &table).await, before, "read-only");
}

/// Each check of the stricter audit, planted on its own employee and reported: an
/// over-charge, a claim whose key and date disagree, a reservation whose days disagree with
/// its charges, charges the policy would not give, a reservation without its history, and
/// a partition key that names no employee.
#[tokio::test]
async fn the_audit_reports_each_planted_ledger_violation() {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    let table = unique_table_name("cli-strict");
    assert_success(&run(&table, &["--seed", "36", "--current-year", "2026"]));
    let store = store(&table).await;
    let client = store.client();
    let mut booked = Vec::new();
    for n in 1..=10 {
        let id = EmployeeId::new(n).unwrap();
        if let Some(r) = store.list_reservations(id, None).await.unwrap().pop() {
            booked.push((n, r));
        }
    }
    assert!(
        booked.len() >= 5,
        "seed 36 books for at least five employees"
    );
    let key = |pk: String, sk: String| {
        std::collections::HashMap::from([("PK".to_owned(), V::S(pk)), ("SK".to_owned(), V::S(sk))])
    };
    let n = |v: u32| V::N(v.to_string());
    let update = |pk: String, sk: String| {
        client
            .update_item()
            .table_name(&table)
            .set_key(Some(key(pk, sk)))
    };

    // An over-charge: one more day taken than the reservations and earlier days account for.
    let (over, r) = &booked[0];
    let year = r.range().start().format("%Y");
    update(format!("EMP#{over}"), format!("YEAR#{year}"))
        .update_expression("SET taken = taken + :one, available = available - :one")
        .expression_attribute_values(":one", n(1))
        .send()
        .await
        .unwrap();
    // A claim stored under one day whose date says the next.
    let (moved, r) = &booked[1];
    let day = r.range().start();
    let next = day.succ_opt().unwrap();
    update(format!("EMP#{moved}"), format!("DAY#{day}"))
        .update_expression("SET #date = :next")
        .expression_attribute_names("#date", "date")
        .expression_attribute_values(":next", V::S(next.to_string()))
        .send()
        .await
        .unwrap();
    // A reservation whose days say one more than its charges.
    let (days_off, r) = &booked[2];
    update(format!("EMP#{days_off}"), format!("RES#{}", r.id()))
        .update_expression("SET #days = #days + :one")
        .expression_attribute_names("#days", "days")
        .expression_attribute_values(":one", n(1))
        .send()
        .await
        .unwrap();
    // Charges the policy would not give (and days to match them).
    let (charged, r) = &booked[3];
    let total = r.charge().total_days() + 1;
    let year: i32 = r.range().start().format("%Y").to_string().parse().unwrap();
    let charge = V::M(std::collections::HashMap::from([
        ("year".to_owned(), n(year as u32)),
        ("days".to_owned(), n(total)),
    ]));
    update(format!("EMP#{charged}"), format!("RES#{}", r.id()))
        .update_expression("SET #days = :total, charges = :charges")
        .expression_attribute_names("#days", "days")
        .expression_attribute_values(":total", n(total))
        .expression_attribute_values(":charges", V::L(vec![charge]))
        .send()
        .await
        .unwrap();
    // A reservation whose history entry is gone.
    let (unrecorded, r) = &booked[4];
    let history = store
        .history(EmployeeId::new(*unrecorded).unwrap())
        .await
        .unwrap();
    let entry = history.iter().find(|h| &h.reservation == r.id()).unwrap();
    client
        .delete_item()
        .table_name(&table)
        .set_key(Some(key(
            format!("EMP#{unrecorded}"),
            store::keys::history_sk(entry.at, &entry.id),
        )))
        .send()
        .await
        .unwrap();
    // A partition key that names no employee.
    let mut stray = key("EMP#02".into(), "PROFILE".into());
    stray.insert("entity".into(), V::S("Employee".into()));
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(stray))
        .send()
        .await
        .unwrap();
    let before = dump(client, &table).await;

    let out = audit(&table, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let found: Vec<(Option<u64>, String, String)> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["employee"].as_u64(),
                v["kind"].as_str().unwrap().to_owned(),
                v["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has = |employee: Option<u32>, kind: &str, says: &str| {
        assert!(
            found
                .iter()
                .any(|(e, k, m)| *e == employee.map(u64::from) && k == kind && m.contains(says)),
            "no {kind} for {employee:?} saying {says:?} in {found:#?}"
        );
    };
    has(Some(*over), "taken_mismatch", "taken earlier");
    has(
        Some(*moved),
        "unreadable_item",
        &format!("but its attributes say DAY#{next}"),
    );
    has(
        Some(*days_off),
        "unreadable_item",
        "but the charges add up to",
    );
    has(
        Some(*charged),
        "unreadable_item",
        "do not match what the policy gives",
    );
    has(
        Some(*unrecorded),
        "reservation_without_history",
        "no history entry says it is booked",
    );
    has(None, "unreadable_item", "names no employee");
    assert_eq!(dump(client, &table).await, before, "read-only");
}

#[tokio::test]
async fn the_audit_of_a_missing_table_or_endpoint_fails_with_status_2() {
    let table = unique_table_name("cli-audit");
    let out = audit(&table, &[]);
    assert_failure(
        &out,
        2,
        &format!(
            "Error: table {table} does not exist at {}: check --table",
            dynamodb_local().endpoint
        ),
    );
    assert!(!table_exists(&table).await, "the audit creates nothing");

    let out = seeder(&["audit", "--endpoint-url", "http://127.0.0.1:9"]);
    assert_failure(
        &out,
        2,
        "Error: cannot reach DynamoDB at http://127.0.0.1:9",
    );
    let out = seeder(&["audit", "--region", "eu-west-1"]);
    assert_failure(&out, 2, "Error: no usable AWS credentials");
}

/// The table of an interrupted run: `seeder run` with `--seed 21`, of which only the first
/// records were written before it stopped.
async fn interrupted(table: &str) -> Store {
    let store = store(table).await;
    store.create_table_if_missing().await.unwrap();
    let plan = seeder::generate::Plan::new(21, 2026, 10).unwrap();
    store.put_seed_marker(&plan.marker(false)).await.unwrap();
    store
        .write_records(plan.records().take(20), &Default::default(), |_| {})
        .await
        .unwrap();
    store
}

/// A resume writes only what is missing and says how much it left as it was; one into a
/// table used since the interruption fails with status 1, saying why, and writes nothing.
#[tokio::test]
async fn a_resume_counts_what_it_skips_and_refuses_a_table_used_since() {
    let table = unique_table_name("cli");
    let store = interrupted(&table).await;
    let held = dump(store.client(), &table).await.len() as u64 - 1;
    let args = ["--seed", "21", "--current-year", "2026", "--output", "json"];
    let resumed = run(&table, &args);
    assert_success(&resumed);
    let summary = json(&resumed);
    assert_eq!(summary["outcome"], "resumed");
    assert_eq!(summary["items_skipped"], held);
    let total = held + summary["items_written"].as_u64().unwrap();
    assert_eq!(total, dump(store.client(), &table).await.len() as u64 - 1);

    let used = unique_table_name("cli");
    let store = interrupted(&used).await;
    store
        .client()
        .update_item()
        .table_name(&used)
        .key("PK", AttributeValue::S("EMP#1".into()))
        .key("SK", AttributeValue::S("YEAR#2026".into()))
        .update_expression("SET taken = taken + :one, available = available - :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let before = dump(store.client(), &used).await;
    let refused = run(&used, &args);
    assert_failure(
        &refused,
        1,
        "changed since its seeding stopped: 1 of the seeded items differ from what the seed \
         writes (EMP#1 / YEAR#2026)",
    );
    assert!(
        stderr(&refused).contains("pass --reset"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(dump(store.client(), &used).await, before);
}
