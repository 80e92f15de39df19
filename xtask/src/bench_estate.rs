//! The inventory and ownership benchmark:
//!
//! 1. a generated Fleet host list with software imported by the release binary into fresh
//!    SQLite and PostgreSQL databases, first import and re-import (hosts per second, peak
//!    memory);
//! 2. ownership decided for generated assets against generated rules, in this process
//!    (the rules engine alone; run it with `--release`);
//! 3. `rapport owners check` and `owners apply` over as many devices, end to end.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use rapport_core::{AssetFacts, AssetId, Ownership, TargetKind};

use crate::bench::{Measure, fresh_postgres, release_binary, remove_sqlite, workspace_root};
use crate::estate;

#[derive(Debug, Args)]
pub struct BenchEstateArgs {
    /// Hosts in the inventory import.
    #[arg(long, default_value_t = 50_000)]
    hosts: u64,
    /// Packages on each host.
    #[arg(long, default_value_t = 150)]
    packages: u64,
    /// Assets decided by the ownership rules.
    #[arg(long, default_value_t = 100_000)]
    assets: u64,
    /// Ownership rules.
    #[arg(long, default_value_t = 1000)]
    rules: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    write(&mut out)?;
    out.flush()?;
    Ok(())
}

fn row(what: &str, backend: &str, count: u64, unit: &str, measure: &Measure) {
    println!(
        "{what:<28} {backend:<9} {count:>8} {:>8.2} s {:>10.0} {unit}/s {:>8.1} MiB   {}",
        measure.seconds,
        count as f64 / measure.seconds,
        measure.peak_kib as f64 / 1024.0,
        measure.summary.chars().take(120).collect::<String>()
    );
}

pub fn run(args: &BenchEstateArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;

    let inventory = folder.join(format!("fleet-{}x{}.json", args.hosts, args.packages));
    if !inventory.exists() {
        write_file(&inventory, |out| estate::fleet_hosts(out, 7, args.hosts, args.packages, 40))?;
    }
    let devices = folder.join(format!("fleet-{}x0.json", args.assets));
    if !devices.exists() {
        write_file(&devices, |out| estate::fleet_hosts(out, 11, args.assets, 0, 40))?;
    }
    let people = folder.join(format!("people-{}.csv", args.assets));
    write_file(&people, |out| estate::people_csv(out, args.assets, 40))?;
    let rules = folder.join(format!("ownership-{}.toml", args.rules));
    write_file(&rules, |out| estate::ownership_toml(out, 3, args.assets, args.rules))?;

    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-estate.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_estate")?));
    }
    let path = |p: &Path| p.display().to_string();
    for (backend, url) in &backends {
        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-estate.db");
        }
        let run = |args: &[&str]| crate::bench::measure(&binary, url, args);
        for pass in ["first", "re-import"] {
            let took = run(&["inventory", "import", "--json", "--no-plan", &path(&inventory)])?;
            row(&format!("inventory import ({pass})"), backend, args.hosts, "hosts", &took);
        }
        let took = run(&["inventory", "import", "--json", "--no-plan", &path(&devices)])?;
        row("inventory import (no sw)", backend, args.assets, "hosts", &took);
        run(&["people", "import", &path(&people)])?;
        let all = args.assets + args.hosts;
        let took = run(&["owners", "check", &path(&rules)])?;
        row("owners check", backend, all, "assets", &Measure { summary: String::new(), ..took });
        let took = run(&["owners", "apply", &path(&rules)])?;
        row("owners apply (first)", backend, all, "assets", &Measure { summary: String::new(), ..took });
    }

    let text = std::fs::read_to_string(&rules)?;
    let (_, spec) = rapport_formats::parse_ownership(&text)?;
    let ownership = Ownership::compile(spec)?;
    let assets = synthetic_assets(args.assets);
    if cfg!(debug_assertions) {
        println!(
            "(the rules engine below was timed in a debug build: run `cargo run --release -p xtask -- bench-estate`)"
        );
    }
    let start = Instant::now();
    let mut owned = 0u64;
    for (asset, hostname, ips, tags) in &assets {
        let mut facts = AssetFacts::of(asset);
        facts.hostname = hostname.as_deref().or(facts.hostname);
        facts.ips.extend(ips.iter().copied());
        facts.tags = tags;
        if ownership.resolve(&facts, |_| None).owner.is_some() {
            owned += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "rules engine: {} assets against {} rules in {seconds:.3} s ({:.0} assets/s); {owned} owned",
        assets.len(),
        args.rules,
        assets.len() as f64 / seconds
    );
    if owned == 0 {
        bail!("no asset was owned: the generated rules do not fit the generated assets");
    }
    Ok(())
}

type Synthetic = (AssetId, Option<String>, Vec<core::net::IpAddr>, Vec<String>);

/// Hosts, images and repositories named as the estate's rules expect.
fn synthetic_assets(count: u64) -> Vec<Synthetic> {
    let squads = estate::squads(count);
    let mut random = crate::generate::Random(19);
    (0..count)
        .map(|index| {
            let squad = random.below(squads);
            match index % 10 {
                0..=6 => {
                    let hostname = format!("web-{index:06}.squad{squad:03}.example.com");
                    let ip = core::net::IpAddr::from([
                        10,
                        (squad / 250) as u8,
                        (squad % 250) as u8,
                        (1 + index % 250) as u8,
                    ]);
                    let asset = AssetId { kind: TargetKind::Host, name: format!("device-{index}") };
                    (asset, Some(hostname), vec![ip], vec![format!("label=squad-{squad}")])
                }
                7 | 8 => {
                    let name =
                        format!("registry.example.com/squad-{squad}/app-{}:1.{}", index % 50, index % 9);
                    (AssetId { kind: TargetKind::ContainerImage, name }, None, Vec::new(), Vec::new())
                }
                _ => {
                    let name = format!("github.com/example/squad-{squad}-service-{}", index % 30);
                    (AssetId { kind: TargetKind::Repository, name }, None, Vec::new(), Vec::new())
                }
            }
        })
        .collect()
}
