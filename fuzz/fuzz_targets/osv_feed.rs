//! Fuzzes the OSV record parser.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_intel_as(&[rapport_formats::IntelFormat::Osv], data));
