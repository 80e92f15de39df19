//! Running the real binary against a fresh database of each kind.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

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

/// A fresh PostgreSQL database, for what only PostgreSQL offers (several servers on one).
pub fn on_postgres() -> Rapport {
    Rapport { database: postgres_url(), work: tempfile::tempdir().unwrap() }
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

#[allow(
    clippy::disallowed_methods,
    reason = "the server under test reads the clock; due dates and exceptions follow it"
)]
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The outbox's deliveries (`outbox --json`) due by now: those held for their reader's quiet
/// hours wait, whichever server runs.
#[allow(clippy::disallowed_methods, reason = "the server under test reads the clock to deliver")]
pub fn due_now(deliveries: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    let now = time::OffsetDateTime::now_utc().format(&format).unwrap();
    deliveries
        .into_iter()
        .filter(|delivery| delivery["next_attempt_at"].as_str().unwrap() <= now.as_str())
        .collect()
}

/// A running `rapport serve`, stopped with SIGTERM when dropped.
pub struct Served {
    child: Child,
    pub base: String,
    /// Kept open so the server's last words at shutdown have somewhere to go.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Served {
    /// Ends the server at once, as a crash or `kill -9` would: nothing is shut down in order.
    pub fn die(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // Ask politely (graceful shutdown), then make sure.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

pub fn serve(rapport: &Rapport) -> Served {
    serve_with(rapport, &["--listen", "127.0.0.1:0"], &[])
}

/// `rapport serve` with these arguments and environment variables.
pub fn serve_with(rapport: &Rapport, args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut command = vec!["serve"];
    command.extend(args);
    served(rapport, &command, envs).0
}

/// `rapport demo` serving the samples on a free port, and what it said before it served.
pub fn demo_served(rapport: &Rapport, args: &[&str]) -> (Served, String) {
    let samples = sample("");
    let mut command = vec!["demo", "--samples", &samples, "--listen", "127.0.0.1:0"];
    command.extend(args);
    served(rapport, &command, &[])
}

/// Starts a command that ends by serving, and reads what it prints up to the server's address.
fn served(rapport: &Rapport, command: &[&str], envs: &[(&str, &str)]) -> (Served, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(command)
        .envs(envs.iter().copied())
        .env("RAPPORT_DATABASE_URL", &rapport.database)
        .env_remove("RAPPORT_LOG")
        .current_dir(rapport.work.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start rapport");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut said = String::new();
    let base = loop {
        let mut line = String::new();
        let read = stdout.read_line(&mut line).unwrap();
        assert!(read > 0, "{command:?} ended before serving: {said}");
        said.push_str(&line);
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap_or_default().trim().to_owned();
        }
    };
    (Served { base: format!("http://{base}"), child, _stdout: stdout }, said)
}

/// Creates an account and returns its one-time password.
pub fn add_account(rapport: &Rapport, email: &str, role: &str, team: Option<&str>) -> String {
    let mut args = vec!["account", "add", "--email", email, "--name", email, "--role", role];
    if let Some(team) = team {
        args.extend(["--team", team]);
    }
    let out = rapport.ok(&args);
    out.trim().rsplit(' ').next().unwrap().to_owned()
}

/// The Payments team's manager and a member of the security team, in the sample directory.
pub const PAYMENTS_MANAGER: &str = "priya.nair@example.com";
pub const SECURITY: &str = "sam.okafor@example.com";

/// The samples' scans, people, owners and the KEV catalogue, imported.
pub fn sample_estate(rapport: &Rapport) {
    rapport.ok(&["import", &sample("cyclonedx-log4j.json"), &sample("grype-image.json")]);
    rapport.ok(&["people", "import", &sample("people/people.csv"), &sample("people/teams.csv")]);
    rapport.ok(&["owners", "apply", &sample("ownership/ownership.toml")]);
    let kev = corpus("feeds/kev/known_exploited_vulnerabilities.json").display().to_string();
    rapport.ok(&["intel", "import", &kev]);
}

/// A `.nessus` file whose one ReportItem nests 50,000 elements deep.
pub fn deep_nessus() -> Vec<u8> {
    let depth = 50_000;
    format!(
        "<?xml version=\"1.0\"?><NessusClientData_v2><Report name=\"deep\"><ReportHost name=\"10.0.0.1\">\
         <ReportItem port=\"0\" svc_name=\"general\" protocol=\"tcp\" severity=\"2\" pluginID=\"1\" \
         pluginName=\"x\">{}{}</ReportItem></ReportHost></Report></NessusClientData_v2>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    )
    .into_bytes()
}

/// A printed PDF's pages as pypdf reads them (`scripts/pdf_pages.py`): each page's `width` and
/// `height` in points and its `text`. None without the pypdf `scripts/test` installs, which in
/// CI is a failure.
pub fn pdf_pages(pdf: &Path) -> Option<Vec<serde_json::Value>> {
    let Some(python) = std::env::var_os("RAPPORT_PDF_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_PDF_PYTHON is not set: run the tests with scripts/test"
        );
        eprintln!("the PDF's pages not read: RAPPORT_PDF_PYTHON is not set (scripts/test installs pypdf)");
        return None;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pdf_pages.py");
    let read = Command::new(python).arg(script).arg(pdf).output().expect("run pypdf");
    assert!(
        read.status.success(),
        "pypdf cannot read {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&read.stderr)
    );
    Some(serde_json::from_slice(&read.stdout).expect("pdf_pages.py prints JSON"))
}

/// The printed words of all pages in lower case, as a reader sees them whatever the stylesheet
/// capitalises.
pub fn printed_words(pages: &[serde_json::Value]) -> String {
    pages.iter().filter_map(|page| page["text"].as_str()).collect::<String>().to_lowercase()
}

/// Whether pages are A4 (595 by 842 points, to a point), the size the print stylesheet sets.
pub fn is_a4(page: &serde_json::Value) -> bool {
    let near =
        |field: &str, points: f64| page[field].as_f64().is_some_and(|value| (value - points).abs() < 1.5);
    near("width", 595.0) && near("height", 842.0)
}
