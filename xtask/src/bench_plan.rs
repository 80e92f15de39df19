//! The planning benchmark and the plan's measures: a generated Nessus export of a million
//! findings on 20,000 hosts built from 60 standard builds, owned by 200 teams (address
//! blocks), decided with the real KEV and EPSS feeds, then planned with the release binary.
//! Prints the times, and per team how much of the open Act and Attend work its 20 biggest
//! actions cover and whether its next two weeks fit its hours or the plan says why not.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use clap::Args;
use rapport_core::TeamPlan;

use crate::bench::{fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};

#[derive(Debug, Args)]
pub struct BenchPlanArgs {
    /// Findings in the generated Nessus export (one host per 50).
    #[arg(long, default_value_t = 1_000_000)]
    findings: u64,
    #[arg(long, default_value_t = 200)]
    teams: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

/// Hosts are 10.x.y.z in order; each /26 block of 64 goes to team `block % teams`. The first
/// tenth of the teams run internet-facing services.
fn ownership(hosts: u64, teams: u64) -> String {
    let mut text = String::new();
    for block in 0..hosts.div_ceil(64) {
        let first = block * 64;
        let team = block % teams;
        let (exposure, criticality) = match team % 10 {
            0 => ("internet", "critical"),
            1 | 2 => ("internal", "high"),
            3 => ("isolated", "low"),
            _ => ("internal", "medium"),
        };
        let _ = writeln!(
            text,
            "[[rule]]\nname = \"block {block}\"\nteam = \"Team {team:03}\"\nexposure = \"{exposure}\"\ncriticality = \"{criticality}\"\nmatch.ip = \"10.{}.{}.{}/26\"\n",
            first / 65536 % 256,
            first / 256 % 256,
            first % 256
        );
    }
    text
}

fn directory(teams: u64) -> (String, String) {
    let mut people = String::from("name,email,team,audience\n");
    let mut capacity = String::from("team,weekly capacity hours\n");
    for team in 0..teams {
        let _ = writeln!(people, "Lead {team},lead{team}@example.com,Team {team:03},manager");
        let _ = writeln!(capacity, "Team {team:03},{}", 4 + team % 4 * 4);
    }
    people.push_str("Sec,sec@example.com,Security,engineer\n");
    (people, capacity)
}

pub fn run(args: &BenchPlanArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    let scan = crate::generate::host_scan(&folder, args.findings)?;
    let hosts = (args.findings / 50).max(1);
    let owners = folder.join("ownership-plan.toml");
    std::fs::write(&owners, ownership(hosts, args.teams))?;
    let (people, capacity) = directory(args.teams);
    let people_file = folder.join("people-plan.csv");
    let teams_file = folder.join("teams-plan.csv");
    std::fs::write(&people_file, people)?;
    std::fs::write(&teams_file, capacity)?;
    let feeds = root.join("../shared/corpus/feeds");
    let feed = |relative: &str| feeds.join(relative).display().to_string();
    let path = |p: &Path| p.display().to_string();

    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-plan.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_plan")?));
    }
    for (backend, url) in &backends {
        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-plan.db");
        }
        let run = |args: &[&str]| measure(&binary, url, args);
        run(&["intel", "import", "--no-assess", &feed("kev/2026.01.29/cisa_kev.json")])?;
        run(&["intel", "import", "--no-assess", &feed("epss/2026-01-30/epss_scores.csv.gz")])?;
        row(
            &format!("import {} findings (setup)", args.findings),
            backend,
            &run(&["import", "--no-plan", &path(&scan)])?,
        );
        run(&["people", "import", &path(&people_file), &path(&teams_file)])?;
        run(&["owners", "apply", &path(&owners)])?;
        row("assess (setup)", backend, &run(&["assess"])?);
        row("plan: first, every team", backend, &run(&["plan"])?);
        row("plan: again, nothing changed", backend, &run(&["plan"])?);
        let mut reads = Vec::new();
        for team in [0, 57, 123, 199].into_iter().filter(|t| *t < args.teams) {
            let name = format!("Team {team:03}");
            let read = run(&["plan", "--no-refresh", "--team", &name])?;
            reads.push(read.seconds);
        }
        let worst = reads.iter().copied().fold(0.0, f64::max);
        println!(
            "{:<44} {backend:<9} {worst:>8.3} s (slowest of {} teams, process start included)",
            "plan: one team's plan read",
            reads.len()
        );
        // The clock a year on: every dated action is overdue once; the second tick finds the
        // same names recorded and records nothing.
        row("tick: first, a year on", backend, &run(&["tick", "--at", "2027-12-01T09:00:00Z"])?);
        row("tick: again, nothing new", backend, &run(&["tick", "--at", "2027-12-01T09:00:00Z"])?);
        let json = run(&["plan", "--no-refresh", "--json"])?;
        measures(&json.summary)?;
    }
    Ok(())
}

/// Coverage of the open Act and Attend findings by each team's 20 biggest actions, and the
/// next two weeks against capacity.
fn measures(json: &str) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Output {
        plans: Vec<TeamPlan>,
    }
    let plans = serde_json::from_str::<Output>(json).context("reading `rapport plan --json`")?.plans;
    let (mut covered_teams, mut urgent_teams, mut fitting, mut explained) = (0, 0, 0, 0);
    let mut worst: Option<(f64, String)> = None;
    for plan in &plans {
        let mut urgent: Vec<u32> = plan
            .actions
            .iter()
            .map(|action| action.by_outcome.iter().take(2).sum::<u32>())
            .filter(|n| *n > 0)
            .collect();
        urgent.sort_unstable_by(|a, b| b.cmp(a));
        let total: u32 = urgent.iter().sum();
        if total > 0 {
            urgent_teams += 1;
            let top: u32 = urgent.iter().take(20).sum();
            let share = f64::from(top) / f64::from(total);
            if share >= 0.9 {
                covered_teams += 1;
            }
            if worst.as_ref().is_none_or(|(lowest, _)| share < *lowest) {
                let team = format!("{} ({total} urgent findings in {} actions)", plan.team, urgent.len());
                worst = Some((share, team));
            }
        }
        let fits = plan.weeks.iter().take(2).all(|week| week.booked_hours <= week.capacity_hours + 1e-6);
        let late = plan.actions.iter().any(|action| action.late);
        if fits && !late {
            fitting += 1;
        } else if !plan.shortfall.is_empty() {
            explained += 1;
        }
    }
    println!(
        "measure: {covered_teams} of {urgent_teams} teams with Act/Attend work have >= 90% of it in their 20 biggest actions; lowest: {}",
        worst.map_or_else(|| "none".into(), |(share, team)| format!("{:.1}% for {team}", share * 100.0))
    );
    println!(
        "measure: {fitting} of {} teams' plans fit their hours with nothing late; {explained} say why not; {} neither",
        plans.len(),
        plans.len() - fitting - explained
    );
    Ok(())
}
