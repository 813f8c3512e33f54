//! A short load run through the Lambda handler (about 30 s), ending with a table-wide audit
//! that must pass. Longer runs: `cargo bench -p hr-tests --bench load -- --help`.

use std::time::Duration;

use handler::{AnonymousAccess, Handler, Settings};
use test_support::load::{self, LoadConfig, Mix, Stop};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_seconds_of_mixed_load_leave_a_clean_ledger() {
    let store = test_support::fresh_store().await;
    let handler = Handler::new(
        store.clone(),
        Settings {
            anonymous_access: AnonymousAccess::Refuse,
            today: Some(test_support::date("2026-03-01")),
            ..Settings::default()
        },
    );
    let config = LoadConfig {
        employees: 20,
        days_per_year: 25,
        clients: 8,
        stop: Stop::After(Duration::from_secs(30)),
        mix: Mix::default(),
        window_days: 60,
        year: 2026,
    };
    let report = load::run(&load::Driver::Classic(handler), &store, &config)
        .await
        .unwrap();
    println!("{report}");
    assert!(report.audit.is_clean(), "{report}");
    assert_eq!(report.count("failed"), 0, "{report}");
    assert!(report.count("booked") > 0, "{report}");
    assert!(
        report.count("overlap") + report.count("insufficient") > 0,
        "no collision at all: {report}"
    );
    assert_eq!(report.count("malformed answer"), 0, "{report}");
}
