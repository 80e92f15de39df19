//! The assessment benchmark: the real KEV and EPSS feeds from the shared corpus imported with
//! the release binary, and a generated estate of a million findings on 20,000 hosts decided,
//! then re-decided after a feed change (a newer KEV catalogue) and after a tree change.

use std::path::Path;

use clap::Args;

use crate::bench::{fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};

#[derive(Debug, Args)]
pub struct BenchIntelArgs {
    /// Findings in the generated Nessus export (one host per 50).
    #[arg(long, default_value_t = 1_000_000)]
    findings: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

/// Exposure and criticality by address range, so decisions differ from host to host.
const OWNERSHIP: &str = r#"
[[rule]]
name = "DMZ"
team = "Web"
exposure = "internet"
criticality = "critical"
match.ip = "10.0.0.0/18"

[[rule]]
name = "lab"
team = "Research"
exposure = "isolated"
criticality = "low"
match.ip = "10.0.64.0/18"

[[rule]]
name = "servers"
team = "Platform"
exposure = "internal"
criticality = "high"
match.ip = "10.0.128.0/17"
"#;

pub fn run(args: &BenchIntelArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    let scan = crate::generate::host_scan(&folder, args.findings)?;
    let ownership = folder.join("ownership-intel.toml");
    std::fs::write(&ownership, OWNERSHIP)?;
    let edited_tree = folder.join("tree-edited.toml");
    let tree = rapport_formats::DEFAULT_TREE
        .replace("unknown_exposure = \"controlled\"", "unknown_exposure = \"open\"");
    std::fs::write(&edited_tree, tree.replace("epss_poc_probability = 0.1", "epss_poc_probability = 0.05"))?;
    let feeds = root.join("../shared/corpus/feeds");
    let feed = |relative: &str| feeds.join(relative).display().to_string();
    let path = |p: &Path| p.display().to_string();

    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-intel.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_intel")?));
    }
    for (backend, url) in &backends {
        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-intel.db");
        }
        let run = |args: &[&str]| measure(&binary, url, args);
        row(
            "import the KEV catalogue 2025.08.25",
            backend,
            &run(&["intel", "import", "--no-assess", &feed("kev/known_exploited_vulnerabilities.json")])?,
        );
        row(
            "import EPSS 2026-01-30 (313,089 rows)",
            backend,
            &run(&["intel", "import", "--no-assess", &feed("epss/2026-01-30/epss_scores.csv.gz")])?,
        );
        row(
            "import EPSS again (same day: no-op)",
            backend,
            &run(&["intel", "import", "--no-assess", &feed("epss/2026-01-30/epss_scores.csv.gz")])?,
        );
        row(
            &format!("import {} findings (setup)", args.findings),
            backend,
            &run(&["import", "--no-plan", &path(&scan)])?,
        );
        row("owners apply (setup)", backend, &run(&["owners", "apply", &path(&ownership)])?);
        row("assess: first decisions", backend, &run(&["assess"])?);
        row("assess: nothing changed", backend, &run(&["assess"])?);
        row(
            "import KEV 2026.01.29",
            backend,
            &run(&["intel", "import", "--no-assess", &feed("kev/2026.01.29/cisa_kev.json")])?,
        );
        row("assess: after the KEV change", backend, &run(&["assess"])?);
        row("assess: after a tree change", backend, &run(&["assess", "--tree", &path(&edited_tree)])?);
    }
    Ok(())
}
