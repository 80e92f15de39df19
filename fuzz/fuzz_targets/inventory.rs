//! Fuzzes the inventory parser.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::InventoryFormat;

fuzz_target!(|data: &[u8]| rapport_fuzz::parse_inventory_as(&[InventoryFormat::OsqueryResults, InventoryFormat::Fleet], data));
