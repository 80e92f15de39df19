//! The messages crate's integration tests.

// Test code: a broken assumption should stop the test with a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod readability_judge;
