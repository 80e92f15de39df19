//! What every fuzz target does: parse the bytes as each given format and drop the findings
//! (or VEX statements, device reports, people). Any input must end in findings or a positioned error, never a panic,
//! a hang or unbounded memory.

use rapport_formats::{
    DirectoryFormat, Format, InventoryFormat, ScanContext, parse, parse_directory, parse_inventory, parse_ownership,
    parse_vex,
};

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

/// Device inventories: each given format, reports dropped.
pub fn parse_inventory_as(formats: &[InventoryFormat], data: &[u8]) {
    for format in formats {
        let _ = parse_inventory(*format, std::io::Cursor::new(data), &mut |_report| Ok(()));
    }
}

/// Directories of people and teams, each given format.
pub fn parse_directory_as(formats: &[DirectoryFormat], data: &[u8]) {
    for format in formats {
        let _ = parse_directory(*format, std::io::Cursor::new(data));
    }
}

/// The ownership file: parsed, then compiled into rules.
pub fn parse_ownership_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok((_, spec)) = parse_ownership(text)
    {
        let _ = rapport_core::Ownership::compile(spec);
    }
}

/// Intel feeds: detection, then each given format, items dropped.
pub fn parse_intel_as(formats: &[rapport_formats::IntelFormat], data: &[u8]) {
    let _ = rapport_formats::detect_intel(data);
    for format in formats {
        let _ = rapport_formats::parse_intel(*format, std::io::Cursor::new(data), &mut |_item| Ok(()));
    }
}

/// The decision tree file: parsed, compiled, checked for inversions.
pub fn parse_tree_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(spec) = rapport_formats::parse_tree(text)
        && let Ok(tree) = rapport_core::DecisionTree::compile(&spec)
    {
        let _ = tree.inversions();
    }
}

/// The policy file: parsed and checked.
pub fn parse_policy_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(spec) = rapport_formats::parse_policy(text)
        && let Ok(policy) = rapport_core::Policy::compile(spec)
    {
        let _ = policy.emergency_words();
    }
}
