//! Every corpus file of the six formats is imported, or rejected for a reason stated here.

use std::path::Path;

use crate::support::{Outcome, corpus, read};

const FOLDERS: [&str; 6] = [
    "scans/trivy",
    "scans/anchore_grype",
    "scans/sarif",
    "scans/cyclonedx",
    "scans/osv_scanner",
    "scans/nessus",
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
        if path.is_dir() {
            found.extend(walk(&path))
        } else {
            found.push(path)
        }
    }
    found
}

#[test]
fn survey() {
    for folder in FOLDERS.iter().chain(["scans/sarif_spec"].iter()) {
        for file in files(&corpus(folder)) {
            let name = file.strip_prefix(corpus("")).unwrap().display().to_string();
            match read(&file) {
                Outcome::Parsed(format, findings) => {
                    println!("OK   {name}: {format} {}", findings.len())
                }
                Outcome::Undetected(reason) => println!("UNDT {name}: {reason}"),
                Outcome::Rejected(format, error) => println!("REJ  {name}: {format}: {error}"),
            }
        }
    }
}
