//! Fuzzes the sarif parser: any bytes must give findings or a positioned error, never a
//! panic, a hang or unbounded memory.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_formats::{Format, ScanContext, parse};

fuzz_target!(|data: &[u8]| {
    let context = ScanContext { fallback_target: "fuzz".into() };
    for format in [Format::Sarif] {
        let mut count = 0usize;
        let _ = parse(format, std::io::Cursor::new(data), &context, &mut |_finding| {
            count += 1;
            Ok(())
        });
    }
});
