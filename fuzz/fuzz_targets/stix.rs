//! Fuzzes the STIX 2.1 bundle reader, with every object it accepts read back as JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_stix_bundle(data));
