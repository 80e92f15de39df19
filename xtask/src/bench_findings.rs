//! The findings list's benchmark: a generated Trivy scan of 300,000 findings imported with the
//! release binary, then `rapport findings --limit N --json` timed per back end, unfiltered,
//! with filters and a search that match nothing (the worst case for walking the list in
//! order), and in the other orders. A short list should cost about as little as its length,
//! whatever the estate's size.

use clap::Args;

use crate::bench::{fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};
use crate::generate::{GenerateArgs, Kind};

#[derive(Debug, Args)]
pub struct BenchFindingsArgs {
    /// Findings in the generated scan.
    #[arg(long, default_value_t = 300_000)]
    findings: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

pub fn run(args: &BenchFindingsArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    let scan = folder.join(format!("findings-list-{}.json", args.findings));
    if !scan.exists() {
        crate::generate::run(&GenerateArgs {
            format: Kind::Trivy,
            findings: args.findings,
            out: scan.clone(),
            seed: 7,
        })?;
    }
    let scan = scan.display().to_string();
    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-findings.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_findings")?));
    }
    for (backend, url) in &backends {
        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-findings.db");
        }
        let run = |args: &[&str]| measure(&binary, url, args);
        row("import (setup)", backend, &run(&["import", "--no-plan", &scan])?);
        for limit in ["1", "50", "1000", "10000"] {
            let listed = run(&["findings", "--json", "--limit", limit])?;
            row(&format!("findings --limit {limit}"), backend, &listed);
        }
        for (what, filter) in [
            ("--target", "no-such-target"),
            ("--tool", "no-such-tool"),
            ("--id", "CVE-0-0"),
            ("--search", "no such words"),
            ("--team", "no-such-team"),
        ] {
            let listed = run(&["findings", "--json", "--limit", "50", what, filter])?;
            row(&format!("findings --limit 50 {what} (matching none)"), backend, &listed);
        }
        // A word some of the findings hold, and the orders other than the default.
        for (what, args) in [
            ("--search openssl", ["--search", "openssl"]),
            ("--sort newest", ["--sort", "newest"]),
            ("--sort vulnerability", ["--sort", "vulnerability"]),
        ] {
            let listed = run(&[&["findings", "--json", "--limit", "50"][..], &args[..]].concat())?;
            row(&format!("findings --limit 50 {what}"), backend, &listed);
        }
    }
    Ok(())
}
