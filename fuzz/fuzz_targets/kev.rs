//! Fuzzes the CISA KEV parsers (JSON and CSV).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_intel_as(&[rapport_formats::IntelFormat::KevJson, rapport_formats::IntelFormat::KevCsv], data));
