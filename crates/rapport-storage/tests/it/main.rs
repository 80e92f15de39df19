//! The storage story, told once and run against SQLite and PostgreSQL in the same test run.

// Test code: a broken assumption should stop the test with a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod accounts;
mod backends;
mod events;
mod messages;
mod ownership;
mod plan;
mod story;
