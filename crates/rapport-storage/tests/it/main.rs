//! The storage story, told once and run against SQLite and PostgreSQL in the same test run.

mod backends;
mod story;
