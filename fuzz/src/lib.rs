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
        // Writing a rule in must keep the file readable, or refuse: never a file that says
        // something else (the writer reads back what it wrote).
        let rule = rapport_core::RuleSpec {
            name: Some("given \"here\"\n".into()),
            team: Some("Web".into()),
            conditions: rapport_core::Conditions {
                name: rapport_core::Patterns::exactly("a*[b]"),
                ..rapport_core::Conditions::default()
            },
            ..rapport_core::RuleSpec::default()
        };
        if let Ok(written) = rapport_formats::with_rules_first(text, &[rule]) {
            assert!(parse_ownership(&written).is_ok(), "a written file no longer reads");
        }
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

/// A document of an XML format with a nest grown from the fuzzer's bytes in place of each
/// `{nest}`: each pair of bytes opens an element, closes one (now and then wrongly), opens a
/// run of them (deep), or adds a run of siblings with attributes and text (wide). Runs are up
/// to 255 long, so a few hundred bytes nest tens of thousands deep or wide, which random bytes
/// alone never reach.
pub fn parse_nested_xml(format: Format, document: &str, data: &[u8]) {
    const NAMES: [&str; 6] = ["a", "b", "ReportItem", "result", "component", "vulnerability"];
    let mut nest = String::new();
    let mut open: Vec<&str> = Vec::new();
    for pair in data.chunks(2) {
        let action = pair.first().copied().unwrap_or(0);
        let count = pair.get(1).copied().unwrap_or(1);
        let name = NAMES[usize::from(action >> 5) % NAMES.len()];
        match action % 4 {
            0 => {
                nest.push_str(&format!("<{name}>"));
                open.push(name);
            }
            1 => match open.pop() {
                // A mismatched end must be refused as calmly as a matched one is read.
                Some(last) if count % 16 == 0 => nest.push_str(&format!("</{last}x>")),
                Some(last) => nest.push_str(&format!("</{last}>")),
                None => {}
            },
            2 => {
                for _ in 0..count {
                    nest.push_str(&format!("<{name}>"));
                    open.push(name);
                }
            }
            _ => {
                for _ in 0..count {
                    nest.push_str(&format!("<{name} k=\"{count}\">t&amp;{count}</{name}>"));
                }
            }
        }
    }
    while let Some(last) = open.pop() {
        nest.push_str(&format!("</{last}>"));
    }
    let input = document.replace("{nest}", &nest);
    parse_as(&[format], input.as_bytes());
}

/// A STIX 2.1 bundle: an object it hands out is kept with its own id.
pub fn parse_stix_bundle(data: &[u8]) {
    let _ = rapport_formats::parse_stix_bundle(std::io::Cursor::new(data), &mut |object| {
        assert!(object.json.contains(&object.id), "an object is kept with its own id");
        Ok(())
    });
}

/// A STIX pattern, from any text.
pub fn parse_stix_pattern(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rapport_formats::parse_pattern(text);
    }
}
