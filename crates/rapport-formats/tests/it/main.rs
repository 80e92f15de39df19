//! Integration tests of the format parsers against real scanner output in the shared corpus.

mod corpus;
mod support;
