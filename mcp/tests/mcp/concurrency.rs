//! Bookings racing through MCP over HTTP on one balance: exactly as many succeed as the
//! balance allows, and the ledger stays sound.

use domain::EmployeeStatus;
use futures::future::join_all;
use serde_json::json;

use crate::support::{answer, connect, hs256, http, HS256_SERVER, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_bookings_over_mcp_never_overdraw() {
    let store = test_support::fresh_store().await;
    // 10 days: three 3-day bookings fit, a fourth does not.
    let two = test_support::seed(&store, 2, EmployeeStatus::Active, &[(2026, 10, 0)]).await;
    let server = http(store.table_name(), &HS256_SERVER).await;
    let token = hs256(SECRET, json!({"custom:employee_id": "2"}), 300);
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(connect(&server, &token).await.unwrap());
    }
    // Eight different weeks, each client its own: no two overlap, so only the balance
    // decides who gets through.
    let bookings = clients.iter().enumerate().map(|(n, client)| {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
            + chrono::Duration::weeks(n as i64);
        let end = start + chrono::Duration::days(2);
        let arguments =
            json!({"employee_id": 2, "start_date": start.to_string(), "end_date": end.to_string()});
        async move { answer(client, "reserve_vacation_time", arguments).await }
    });
    let answers = join_all(bookings).await;
    let booked = answers.iter().filter(|(error, _)| !error).count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(error, _)| *error)
        .map(|(_, a)| a["error"].clone())
        .collect();
    assert_eq!(booked, 3, "{answers:?}");
    assert!(
        refused.iter().all(|code| code == "insufficient_balance"),
        "{refused:?}"
    );
    let balance = store.get_balance(two, 2026).await.unwrap();
    assert_eq!((balance.taken(), balance.available()), (9, 1));
    let ledger = test_support::assert_ledger_sound(&store, two).await;
    assert_eq!(ledger.history.len(), 3, "one history entry per booking");
    for client in clients {
        client.cancel().await.unwrap();
    }
}
