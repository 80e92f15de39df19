//! Running the real binary against a fresh database of each kind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn corpus(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus").join(relative)
}

/// A file of the project's `samples/` folder.
pub fn sample(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(relative).display().to_string()
}

pub struct Rapport {
    pub database: String,
    pub work: tempfile::TempDir,
}

impl Rapport {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rapport"))
            .args(args)
            .env("RAPPORT_DATABASE_URL", &self.database)
            .env_remove("RAPPORT_LOG")
            .current_dir(self.work.path())
            .stdin(Stdio::null())
            .output()
            .expect("run rapport")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(!output.status.success(), "{args:?} should fail");
        String::from_utf8(output.stderr).unwrap()
    }

    pub fn json_lines(&self, args: &[&str]) -> Vec<serde_json::Value> {
        self.ok(args).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }

    pub fn write(&self, name: &str, contents: &[u8]) -> String {
        let path = self.work.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    /// (open findings, imports): what a failed import must leave unchanged.
    pub fn state(&self) -> (usize, usize) {
        let findings = self.ok(&["findings", "--json", "--all"]).lines().count();
        let imports = self.ok(&["imports", "--json"]).lines().count();
        (findings, imports)
    }
}

fn postgres_url() -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(rapport_storage::testing::fresh_postgres_database("rapport_cli")).unwrap()
}

/// A fresh SQLite database and a fresh PostgreSQL database.
pub fn each_backend() -> Vec<Rapport> {
    let sqlite_work = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/data/rapport.db", sqlite_work.path().display());
    vec![
        Rapport { database: sqlite, work: sqlite_work },
        Rapport { database: postgres_url(), work: tempfile::tempdir().unwrap() },
    ]
}
