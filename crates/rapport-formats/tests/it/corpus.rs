//! Every corpus file of the formats read is imported, or rejected for a reason stated here.

use std::path::Path;

use crate::support::{Outcome, corpus, read};

const FOLDERS: [&str; 19] = [
    "scans/trivy",
    "scans/anchore_grype",
    "scans/sarif",
    "scans/cyclonedx",
    "scans/osv_scanner",
    "scans/nessus",
    "scans/snyk",
    "scans/govulncheck",
    "scans/npm_audit",
    "scans/npm_audit_7_plus",
    "scans/gitlab_dep_scan",
    "scans/github_vulnerability",
    "scans/dependency_check",
    "scans/nessus_was",
    "scans/openvas",
    "scans/qualys",
    "scans/qualys_vmdr",
    "scans/openvex",
    "scans/csaf",
];

fn files(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = walk(folder);
    files.retain(|f| f.file_name().is_some_and(|n| n != "SOURCES.md"));
    files.sort();
    files
}

fn walk(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { found.extend(walk(&path)) } else { found.push(path) }
    }
    found
}

/// Files the parsers refuse, and why a reader would agree.
const REFUSED: [(&str, &str); 2] = [
    // An entry naming only a package: nothing to act on.
    ("scans/trivy/legacy_trivy_mix.json", "missing field `VulnerabilityID`"),
    // Zero bytes: not a report of any format (govulncheck writes at least its `config`).
    ("scans/govulncheck/empty.json", "the file is empty"),
];

#[test]
fn every_file_of_the_formats_read_imports_or_is_refused_for_a_stated_reason() {
    let mut imported = 0;
    for folder in FOLDERS {
        for file in files(&corpus(folder)) {
            let name = file.strip_prefix(corpus("")).unwrap().display().to_string();
            let refusal = REFUSED.iter().find(|(refused, _)| *refused == name).map(|(_, reason)| *reason);
            match (read(&file), refusal) {
                (Outcome::Parsed(..) | Outcome::Statements(..), None) => imported += 1,
                (Outcome::Rejected(error), Some(reason)) => {
                    assert!(error.to_string().contains(reason), "{name}: {error}");
                }
                (Outcome::Undetected(error), Some(reason)) => {
                    assert!(error.contains(reason), "{name}: {error}")
                }
                (Outcome::Parsed(format, found), _) => {
                    panic!("{name}: parsed as {format} ({} findings)", found.len())
                }
                (outcome, _) => panic!("{name}: unexpected {outcome:?}"),
            }
        }
    }
    assert!(imported >= 100, "{imported}");
}

/// SARIF test data from the specification and the SARIF SDK: logs of other SARIF versions,
/// schemas and notes are refused, everything else imports.
#[test]
fn sarif_specification_files() {
    for file in files(&corpus("scans/sarif_spec")) {
        let name = file.display().to_string();
        match read(&file) {
            Outcome::Parsed(..) => {}
            Outcome::Statements(format, _) => panic!("{name}: read as {format}"),
            Outcome::Rejected(error) => {
                let message = error.to_string();
                let understood = message.contains("is not supported: expected \"2.1.0\"")
                    || name.contains("SyntaxError")
                    || name.contains("SentinelIndexBloat")
                    || (name.contains("schema") && message.contains("needs a `runs` array"));
                assert!(understood, "{name}: {message}");
            }
            Outcome::Undetected(reason) => {
                let not_a_log =
                    name.ends_with(".md") || name.contains("schema") || name.contains("external-properties");
                assert!(not_a_log, "{name}: {reason}");
            }
        }
    }
}
