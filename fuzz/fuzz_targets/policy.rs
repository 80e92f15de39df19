//! Fuzzes the policy file parser and its checks.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_policy_file(data));
