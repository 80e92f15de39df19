//! Integration tests of the format parsers against real scanner output in the shared corpus.

// Test code: a broken assumption should stop the test with a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod bad_input;
mod corpus;
mod feeds;
mod inventory;
mod ssvc_judge;
mod stix;
mod stix_judge;
mod support;
mod values;
