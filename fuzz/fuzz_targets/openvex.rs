//! Fuzzes the openvex parser.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::Format;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_vex_as(Format::OpenVex, data));
