//! The seeder's integration tests, one binary over one DynamoDB Local: the library
//! (determinism, idempotency, `--reset`, refusals that leave the table untouched) and the
//! real `seeder` binary as a user runs it.

mod cli;
mod run;
