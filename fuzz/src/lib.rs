//! What every fuzz target does: parse the bytes as each given format and drop the findings
//! (or VEX statements). Any input must end in findings or a positioned error, never a panic,
//! a hang or unbounded memory.

use rapport_formats::{Format, ScanContext, parse, parse_vex};

pub fn parse_as(formats: &[Format], data: &[u8]) {
    let context = ScanContext { fallback_target: "fuzz".into() };
    for format in formats {
        let _ = parse(*format, std::io::Cursor::new(data), &context, &mut |_finding| Ok(()));
    }
}

/// The same for VEX documents, which hold statements instead of findings.
pub fn parse_vex_as(format: Format, data: &[u8]) {
    let _ = parse_vex(format, std::io::Cursor::new(data), &mut |_statement| Ok(()));
}
