//! Fuzzes the STIX pattern reader.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_stix_pattern(data));
