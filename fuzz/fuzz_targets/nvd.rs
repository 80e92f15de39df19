//! Fuzzes the NVD API 2.0 parser.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_intel_as(&[rapport_formats::IntelFormat::Nvd], data));
