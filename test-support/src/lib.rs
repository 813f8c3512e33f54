//! What the workspace's tests and benchmarks share; a dev-dependency only, never a product
//! crate's dependency:
//!
//! - [`dynamodb`]: one DynamoDB Local container per test binary (testcontainers), more for
//!   the tests that stop theirs, and the SDK configuration of every test client;
//! - [`tables`]: a fresh table with a unique name per test, a whole table as sorted text,
//!   a client whose requests are counted;
//! - [`ledger`]: the tests' people and data, and the ledger assertion;
//! - [`lambda`]: Bedrock and Gateway events, a checker of answers written from the
//!   contract, and a local Lambda Runtime API to run the real `bootstrap`;
//! - [`proxy`]: a TCP proxy that drops or delays DynamoDB's answers;
//! - [`load`]: the load generator of the load test and the load benchmark;
//! - [`versions`]: the versions pinned in `versions.env`.
//!
//! A test whose container cannot start panics with the reason: these tests fail, they never
//! skip. Run `scripts/setup.sh` first to get a Docker engine and the image. Set
//! `TEST_LOG=1` to see the store's logs.
//!
//! Everything is behind the `harness` feature, which every user gets through the
//! workspace's declaration of this crate; without it (a plain `cargo build --workspace`,
//! where nothing uses it) the crate is empty, so the product's build never compiles
//! testcontainers.
#![cfg(feature = "harness")]

pub mod dynamodb;
pub mod lambda;
pub mod ledger;
pub mod load;
pub mod proxy;
pub mod tables;
pub mod versions;

pub use dynamodb::{
    dynamodb_local, host_port, init_test_log, sdk_config, start_container, wait_until_serving,
    DynamoLocal, CONTAINER_LABEL, DYNAMODB_LOCAL_TAG, OWNER_LABEL,
};
pub use ledger::{assert_ledger_sound, by_employee, by_hr, date, employee, seed, test_today};
pub use tables::{
    canonical, counted_client, create_table_with_another_key_schema, difference, dump, fresh_store,
    fresh_store_at, unique_table_name, RequestCounter,
};
