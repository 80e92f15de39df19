//! End-to-end tests of the `rapport` binary against SQLite and PostgreSQL.

mod import;
mod support;
