//! The campaigns benchmark: a generated estate of 50,000 Fleet hosts used by 20,000 people
//! (macOS hosts a version behind, some disks unencrypted, restarts days to weeks ago), then
//! the campaigns scheduled with the release binary: a first run (everyone with a gap joins,
//! the first nudges go), a run an hour later (nothing new is due), and one three days later
//! (the next nudges). Prints each run's time and peak memory.

use std::path::Path;

use clap::Args;

use crate::bench::{fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};
use crate::bench_estate::write_file;
use crate::estate;

#[derive(Debug, Args)]
pub struct BenchCampaignsArgs {
    #[arg(long, default_value_t = 50_000)]
    hosts: u64,
    /// People of each squad of about 250 hosts: 100 makes 20,000 people for 50,000 hosts.
    #[arg(long, default_value_t = 100)]
    users_per_squad: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

/// The generated hosts reported on 20 November; the runs are days after.
const RUNS: [(&str, &str); 3] = [
    ("schedule: first run", "2026-11-25T09:00:00Z"),
    ("schedule: an hour later", "2026-11-25T10:00:00Z"),
    ("schedule: three days later", "2026-11-28T09:00:00Z"),
];

pub fn run(args: &BenchCampaignsArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    let inventory = folder.join(format!("fleet-campaigns-{}x{}.json", args.hosts, args.users_per_squad));
    write_file(&inventory, |out| estate::fleet_hosts(out, 5, args.hosts, 0, args.users_per_squad))?;
    let people = folder.join(format!("people-campaigns-{}x{}.csv", args.hosts, args.users_per_squad));
    write_file(&people, |out| estate::people_csv(out, args.hosts, args.users_per_squad))?;
    let path = |p: &Path| p.display().to_string();

    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-campaigns.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_campaigns")?));
    }
    println!("{} hosts, {} people", args.hosts, estate::squads(args.hosts) * args.users_per_squad);
    for (backend, url) in &backends {
        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-campaigns.db");
        }
        let run = |args: &[&str]| measure(&binary, url, args);
        run(&["people", "import", &path(&people)])?;
        run(&["inventory", "import", "--no-plan", &path(&inventory)])?;
        for (what, at) in RUNS {
            let took = run(&["campaign", "schedule", "--at", at])?;
            let said = took.summary.lines().last().unwrap_or_default().to_owned();
            row(what, backend, &crate::bench::Measure { summary: said, ..took });
        }
    }
    Ok(())
}
