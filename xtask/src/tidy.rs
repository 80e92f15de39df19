//! Tidy checks: the architecture written in ARCHITECTURE.md, enforced by `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The layers of ARCHITECTURE.md: a crate may depend only on crates of lower layers.
fn layer(crate_name: &str) -> Option<u8> {
    match crate_name {
        "rapport-core" => Some(0),
        "rapport-formats" | "rapport-storage" => Some(1),
        "rapport-workflows" => Some(2),
        "rapport-server" => Some(3),
        "rapport-cli" => Some(4),
        _ => None,
    }
}

struct Metadata {
    /// Workspace crate → its direct workspace dependencies (normal and dev).
    workspace: BTreeMap<String, BTreeSet<String>>,
    /// Crate name → names of every crate in its normal dependency tree.
    trees: BTreeMap<String, BTreeSet<String>>,
}

fn metadata() -> Metadata {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let name_of: BTreeMap<String, String> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p["name"].as_str().unwrap().to_owned()))
        .collect();
    let members: BTreeSet<String> = json["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| name_of[m.as_str().unwrap()].clone())
        .collect();
    let mut workspace = BTreeMap::new();
    let mut normal_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in json["resolve"]["nodes"].as_array().unwrap() {
        let name = name_of[node["id"].as_str().unwrap()].clone();
        for dep in node["deps"].as_array().unwrap() {
            let dep_name = name_of[dep["pkg"].as_str().unwrap()].clone();
            let kinds: Vec<&str> = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kind"].as_str().unwrap_or("normal"))
                .collect();
            if members.contains(&dep_name) {
                workspace.entry(name.clone()).or_insert_with(BTreeSet::new).insert(dep_name.clone());
            }
            if kinds.contains(&"normal") {
                normal_edges.entry(name.clone()).or_default().insert(dep_name);
            }
        }
    }
    let trees = members
        .iter()
        .map(|member| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![member.clone()];
            while let Some(next) = stack.pop() {
                for dep in normal_edges.get(&next).into_iter().flatten() {
                    if seen.insert(dep.clone()) {
                        stack.push(dep.clone());
                    }
                }
            }
            (member.clone(), seen)
        })
        .collect();
    Metadata { workspace, trees }
}

#[test]
fn no_crate_depends_on_a_crate_above_it() {
    for (name, deps) in metadata().workspace {
        let Some(own) = layer(&name) else { continue };
        for dep in deps {
            let theirs = layer(&dep).unwrap_or_else(|| panic!("{name} depends on {dep}, which has no layer"));
            assert!(theirs < own, "{name} (layer {own}) must not depend on {dep} (layer {theirs})");
        }
    }
}

#[test]
fn the_core_has_no_io_runtime_or_database_in_its_tree() {
    let tree = &metadata().trees["rapport-core"];
    for forbidden in ["tokio", "sqlx", "reqwest", "hyper", "axum", "async-std", "mio"] {
        assert!(!tree.contains(forbidden), "rapport-core's dependency tree contains {forbidden}");
    }
    for file in rust_files(&root().join("crates/rapport-core/src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in
            ["std::fs", "std::net", "std::io::stdin", "SystemTime::now", "OffsetDateTime::now", "std::env"]
        {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", file.display());
        }
    }
}

#[test]
fn only_storage_contains_sql() {
    for file in rust_files(&root().join("crates")) {
        if file.components().any(|c| c.as_os_str() == "rapport-storage") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for statement in ["INSERT INTO", "CREATE TABLE", "CREATE DATABASE", "UPDATE findings", "DELETE FROM"]
        {
            assert!(!text.contains(statement), "{} contains SQL ({statement})", file.display());
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_comment() {
    for file in rust_files(&root()) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a //! comment saying what it is for",
            file.display()
        );
    }
}

#[test]
fn both_databases_have_the_same_migrations() {
    let list = |backend: &str| {
        let folder = root().join("crates/rapport-storage/migrations").join(backend);
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        list("sqlite"),
        list("postgres"),
        "migrations/sqlite and migrations/postgres must list the same files"
    );
}

fn rust_files(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            // `vendor` holds published crates as they were released (see vendor/README.md).
            if !["target", ".git", "corpus", "artifacts", "vendor"].contains(&name.as_str()) {
                found.extend(rust_files(&path));
            }
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
    found
}
