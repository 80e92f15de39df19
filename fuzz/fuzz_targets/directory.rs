//! Fuzzes the directory parser.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::DirectoryFormat;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_directory_as(&[DirectoryFormat::Scim, DirectoryFormat::PeopleCsv, DirectoryFormat::TeamsCsv], data));
