//! The STIX import benchmark: MITRE's ATT&CK for ICS bundle (1,826 objects) and a generated
//! bundle of indicators, each imported with the release binary into a fresh SQLite and
//! PostgreSQL database, and then again (every version already held).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use rapport_core::Tlp;

use crate::bench::{fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};
use crate::generate::Random;

#[derive(Debug, Args)]
pub struct BenchStixArgs {
    /// Indicators in the generated bundle.
    #[arg(long, default_value_t = 50_000)]
    indicators: u64,
    /// Admin URL of a PostgreSQL server; without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

pub fn run(args: &BenchStixArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    let attack =
        root.join("../shared/corpus/stix/mitre-attack_attack-stix-data/ics-attack/ics-attack-18.1.json");
    let generated = indicator_bundle(&folder, args.indicators)?;
    let path = |p: &Path| p.display().to_string();
    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-stix.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_stix")?));
    }
    for (backend, url) in &backends {
        if *backend == "sqlite" {
            remove_sqlite(&folder, "bench-stix.db");
        }
        let run = |args: &[&str]| measure(&binary, url, args);
        row(
            "import ATT&CK for ICS 18.1 (1,826 objects)",
            backend,
            &run(&["stix", "import", &path(&attack)])?,
        );
        row("import ATT&CK for ICS again (all held)", backend, &run(&["stix", "import", &path(&attack)])?);
        let what = format!("import {} generated indicators", args.indicators);
        row(&what, backend, &run(&["stix", "import", &path(&generated)])?);
    }
    Ok(())
}

/// A bundle of `count` indicators of addresses, domains and file hashes, each marked with a
/// TLP level, written once and reused.
fn indicator_bundle(folder: &Path, count: u64) -> anyhow::Result<PathBuf> {
    let out = folder.join(format!("stix-indicators-{count}.json"));
    if out.exists() {
        return Ok(out);
    }
    let mut random = Random(23);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out)?);
    write!(file, r#"{{"type": "bundle", "id": "bundle--{}", "objects": ["#, uuid(&mut random))?;
    for n in 0..count {
        let pattern = match n % 3 {
            0 => format!("[ipv4-addr:value = '198.51.{}.{}']", random.below(256), random.below(256)),
            1 => format!("[domain-name:value = 'host{}.example.net']", random.below(1_000_000)),
            _ => {
                let mut hash = String::new();
                for _ in 0..4 {
                    let _ = write!(hash, "{:016x}", random.next());
                }
                format!("[file:hashes.'SHA-256' = '{hash}']")
            }
        };
        let tlp = Tlp::ALL.get(random.below(4) as usize).copied().unwrap_or(Tlp::Green);
        let separator = if n == 0 { "" } else { "," };
        write!(
            file,
            r#"{separator}
{{"type": "indicator", "spec_version": "2.1", "id": "indicator--{}", "created": "2026-11-{:02}T10:00:00.000Z",
 "modified": "2026-11-{:02}T10:00:00.000Z", "name": "Seen in incident {}", "pattern": "{pattern}",
 "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z", "indicator_types": ["malicious-activity"],
 "object_marking_refs": ["{}"]}}"#,
            uuid(&mut random),
            1 + n % 28,
            1 + n % 28,
            n / 10,
            tlp.marking_id()
        )?;
    }
    writeln!(file, "]}}")?;
    file.flush()?;
    Ok(out)
}

/// A random UUID of version 4, as STIX ids carry.
fn uuid(random: &mut Random) -> String {
    let (high, low) = (random.next(), random.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        8 + (low >> 62),
        (low >> 48) & 0xfff,
        low & 0xffff_ffff_ffff
    )
}
