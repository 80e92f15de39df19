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
        "rapport-formats" | "rapport-storage" | "rapport-messages" => Some(1),
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

/// Whether a string literal's text is SQL: it holds the start of a statement, written as
/// Rapport writes SQL (upper-case words): SELECT ... FROM, INSERT INTO, UPDATE x SET,
/// DELETE FROM, WITH x AS, CREATE TABLE/INDEX/DATABASE, DROP TABLE.
fn looks_like_sql(literal: &str) -> bool {
    let words: Vec<&str> = literal.split_whitespace().collect();
    let pair = |first: &str, second: &str| words.windows(2).any(|w| w[0] == first && w[1] == second);
    let around = |first: &str, third: &str| words.windows(3).any(|w| w[0] == first && w[2] == third);
    (words.contains(&"SELECT") && words.contains(&"FROM"))
        || pair("INSERT", "INTO")
        || around("UPDATE", "SET")
        || pair("DELETE", "FROM")
        || around("WITH", "AS")
        || ["TABLE", "INDEX", "DATABASE"].iter().any(|what| pair("CREATE", what))
        || pair("DROP", "TABLE")
}

/// The string literals of a Rust source text (plain and raw ones), outside comments.
fn string_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\'' if chars.get(i + 2) == Some(&'\'') || chars.get(i + 1) == Some(&'\\') => {
                // A character literal such as '"' or '\"'.
                i += if chars.get(i + 1) == Some(&'\\') { 4 } else { 3 };
                continue;
            }
            '"' => {
                let raw = i > 0 && (chars[i - 1] == 'r' || chars[i - 1] == '#');
                let mut literal = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && !raw {
                        i += 1;
                    }
                    if let Some(c) = chars.get(i) {
                        literal.push(*c);
                    }
                    i += 1;
                }
                found.push(literal);
            }
            _ => {}
        }
        i += 1;
    }
    found
}

#[test]
fn only_storage_contains_sql() {
    for file in rust_files(&root().join("crates")) {
        if file.components().any(|c| c.as_os_str() == "rapport-storage") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for literal in string_literals(&text) {
            assert!(!looks_like_sql(&literal), "{} contains SQL: {literal:?}", file.display());
        }
    }
}

#[test]
fn the_sql_check_finds_sql_and_leaves_words_alone() {
    let source = r#"
        const Q: &str = "SELECT id FROM actions WHERE team = $1";
        // "DELETE FROM x" in a comment is not code.
        let quote = '"';
        let words = "the policy is UPDATED weekly, WITH care; SELECT one";
        let insert = "INSERT INTO events (id) VALUES ($1)";
    "#;
    let sql: Vec<String> = string_literals(source).into_iter().filter(|l| looks_like_sql(l)).collect();
    assert_eq!(sql, ["SELECT id FROM actions WHERE team = $1", "INSERT INTO events (id) VALUES ($1)"]);
}

/// Library code reads no environment: settings come in as parameters. The command line reads
/// it, the server's configuration takes it as a function, and the storage crate's test helper
/// reads the address of the test command's PostgreSQL.
#[test]
fn library_crates_read_no_environment() {
    let allowed = ["crates/rapport-server/src/config.rs", "crates/rapport-storage/src/testing.rs"];
    for file in rust_files(&root().join("crates")) {
        let relative = file.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
        let library = !relative.starts_with("crates/rapport-cli/") && relative.contains("/src/");
        if !library || allowed.contains(&relative.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for read in ["env::var(", "env::var_os(", "env::vars(", "env::vars_os(", "env::args("] {
            assert!(
                !text.contains(read),
                "{relative} reads the environment ({read}); take it as a parameter"
            );
        }
    }
}

/// The longest a source file may be, not counting its inline test module.
const MOST_LINES: usize = 800;

/// The lines of a source file that are not its inline `#[cfg(test)] mod tests { ... }`.
fn lines_without_tests(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut counted = 0;
    let mut i = 0;
    while i < lines.len() {
        let opens_tests = lines[i].trim() == "#[cfg(test)]"
            && lines.get(i + 1).is_some_and(|next| next.contains("mod tests {"));
        if opens_tests {
            let mut depth = 0i64;
            i += 1;
            while i < lines.len() {
                depth += lines[i].matches('{').count() as i64 - lines[i].matches('}').count() as i64;
                i += 1;
                if depth <= 0 {
                    break;
                }
            }
            continue;
        }
        counted += 1;
        i += 1;
    }
    counted
}

#[test]
fn no_source_file_is_longer_than_800_lines() {
    for file in rust_files(&root().join("crates")).into_iter().chain(rust_files(&root().join("xtask"))) {
        let relative = file.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
        if relative.contains("/tests/") || relative.ends_with("/tests.rs") {
            continue;
        }
        let lines = lines_without_tests(&std::fs::read_to_string(&file).unwrap());
        assert!(
            lines <= MOST_LINES,
            "{relative} has {lines} lines besides its tests; split it by what it does"
        );
    }
}

#[test]
fn a_test_module_is_not_counted_but_everything_else_is() {
    let text =
        "//! a\nfn a() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n    }\n}\nfn b() {}\n";
    assert_eq!(lines_without_tests(text), 3);
}

/// Released migrations, each with the SHA-256 of its text: an edited one changes the schema
/// of every database it already ran on, so it fails here. A new migration is added to the
/// list when it is written.
const RELEASED_MIGRATIONS: &str = "crates/rapport-storage/migrations/released.sha256";

#[test]
fn released_migrations_are_never_edited() {
    use sha2::Digest;
    let listed: BTreeMap<String, String> = std::fs::read_to_string(root().join(RELEASED_MIGRATIONS))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (hash, name) =
                line.split_once("  ").unwrap_or_else(|| panic!("{RELEASED_MIGRATIONS}: {line:?}"));
            (name.to_owned(), hash.to_owned())
        })
        .collect();
    for backend in ["sqlite", "postgres"] {
        let folder = root().join("crates/rapport-storage/migrations").join(backend);
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{backend}/{}", path.file_name().unwrap().to_string_lossy());
            let hash: String = sha2::Sha256::digest(std::fs::read(&path).unwrap())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            match listed.get(&name) {
                Some(known) => assert_eq!(
                    known, &hash,
                    "{name} was edited after its release: write a new migration instead (and restore this one)"
                ),
                None => panic!("{name} is not in {RELEASED_MIGRATIONS}; add the line \"{hash}  {name}\""),
            }
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
