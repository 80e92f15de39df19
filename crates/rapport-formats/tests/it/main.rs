//! Integration tests of the format parsers against real scanner output in the shared corpus.

mod bad_input;
mod corpus;
mod support;
mod values;
