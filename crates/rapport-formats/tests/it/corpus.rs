//! Every corpus file of the formats read is imported, or rejected for a reason stated here.

use std::path::Path;

use crate::support::{Outcome, corpus, read};

/// Each folder of the corpus and the formats its files are detected as (a folder of one
/// tool's output may hold another format the tool also writes: Snyk Code writes SARIF).
const FOLDERS: [(&str, &[&str]); 19] = [
    ("scans/trivy", &["trivy"]),
    ("scans/anchore_grype", &["grype"]),
    ("scans/sarif", &["sarif"]),
    ("scans/cyclonedx", &["cyclonedx-json", "cyclonedx-xml"]),
    ("scans/osv_scanner", &["osv-scanner"]),
    ("scans/nessus", &["nessus", "nessus-csv"]),
    ("scans/snyk", &["snyk", "sarif"]),
    ("scans/govulncheck", &["govulncheck"]),
    ("scans/npm_audit", &["npm-audit"]),
    ("scans/npm_audit_7_plus", &["npm-audit"]),
    ("scans/gitlab_dep_scan", &["gitlab-dependency-scanning"]),
    ("scans/github_vulnerability", &["github"]),
    ("scans/dependency_check", &["dependency-check"]),
    ("scans/nessus_was", &["nessus", "nessus-csv"]),
    ("scans/openvas", &["openvas", "openvas-csv"]),
    ("scans/qualys", &["qualys", "qualys-csv"]),
    ("scans/qualys_vmdr", &["qualys-csv"]),
    ("scans/openvex", &["openvex"]),
    ("scans/csaf", &["csaf"]),
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
    for (folder, formats) in FOLDERS {
        for file in files(&corpus(folder)) {
            let name = file.strip_prefix(corpus("")).unwrap().display().to_string();
            let refusal = REFUSED.iter().find(|(refused, _)| *refused == name).map(|(_, reason)| *reason);
            match (read(&file), refusal) {
                (Outcome::Parsed(format, _) | Outcome::Statements(format, _), None) => {
                    assert!(formats.contains(&format.name()), "{name} was read as {format}");
                    imported += 1;
                }
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
