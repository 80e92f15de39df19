//! End-to-end tests of the `rapport` binary against SQLite and PostgreSQL.

// Test code: a broken assumption should stop the test with a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod assess;
mod briefing;
mod browser;
mod campaigns;
mod channels;
mod events;
mod follow_through;
mod habits;
mod health;
mod import;
mod incidents;
mod messages;
mod ownership;
mod plan;
mod schemathesis;
mod server;
mod stix;
mod support;
mod vex;
