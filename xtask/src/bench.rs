//! The import benchmark: generated files of growing size imported by the release binary
//! into fresh SQLite and PostgreSQL databases, first import and re-import, with wall time
//! and the child's peak resident memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;

use crate::generate::{GenerateArgs, Kind};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Finding counts to import.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sizes: Vec<u64>,
    /// Formats to generate.
    #[arg(long, value_delimiter = ',', default_value = "trivy,sarif,cyclonedx")]
    formats: Vec<String>,
    /// Admin URL of a PostgreSQL server; a fresh database is created per run (with psql).
    /// Without it only SQLite is measured.
    #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
    postgres: Option<String>,
}

pub struct Measure {
    pub seconds: f64,
    pub peak_kib: u64,
    /// What the command printed.
    pub summary: String,
}

/// Builds the release binary and returns its path.
/// Prints one measured step: what, on which back end, seconds, peak memory, and the first
/// line the command printed.
pub fn row(what: &str, backend: &str, measure: &Measure) {
    println!(
        "{what:<44} {backend:<9} {:>8.3} s {:>8.1} MiB   {}",
        measure.seconds,
        measure.peak_kib as f64 / 1024.0,
        measure.summary.lines().next().unwrap_or("").chars().take(150).collect::<String>()
    );
}

pub fn release_binary(root: &Path) -> anyhow::Result<PathBuf> {
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet", "-p", "rapport-cli"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    Ok(root.join("target/release/rapport"))
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let binary = release_binary(&root)?;
    let folder = root.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    println!(
        "{:<10} {:>9} {:<9} {:<9} {:>8} {:>12} {:>10}",
        "format", "findings", "backend", "pass", "seconds", "findings/s", "peak MiB"
    );
    for format in &args.formats {
        let kind: Kind = clap::ValueEnum::from_str(format, true).map_err(|e| anyhow::anyhow!(e))?;
        for &size in &args.sizes {
            let file = folder.join(format!("{format}-{size}.json"));
            if !file.exists() {
                crate::generate::run(&GenerateArgs {
                    format: kind,
                    findings: size,
                    out: file.clone(),
                    seed: 7,
                })?;
            }
            let mut backends =
                vec![("sqlite", format!("sqlite://{}/bench-{format}-{size}.db", folder.display()))];
            if let Some(admin) = &args.postgres {
                backends.push(("postgres", fresh_postgres(admin, &format!("bench_{format}_{size}"))?));
            }
            for (backend, url) in backends {
                if backend == "sqlite" {
                    remove_sqlite(&folder, &format!("bench-{format}-{size}.db"));
                }
                for pass in ["first", "re-import"] {
                    let measure = measure(
                        &binary,
                        &url,
                        &["import", "--json", "--no-plan", &file.display().to_string()],
                    )?;
                    println!(
                        "{:<10} {:>9} {:<9} {:<9} {:>8.2} {:>12.0} {:>10.1}   {}",
                        format,
                        size,
                        backend,
                        pass,
                        measure.seconds,
                        size as f64 / measure.seconds,
                        measure.peak_kib as f64 / 1024.0,
                        measure.summary
                    );
                }
            }
        }
    }
    Ok(())
}

pub fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).context("xtask has no parent folder")
}

/// Removes a SQLite database `name` (ending in `.db`) and its access file, with their logs.
pub fn remove_sqlite(folder: &Path, name: &str) {
    let access = format!("{}-access.db", name.trim_end_matches(".db"));
    for file in [name, access.as_str()] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(folder.join(format!("{file}{suffix}")));
        }
    }
}

pub fn fresh_postgres(admin: &str, name: &str) -> anyhow::Result<String> {
    for statement in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
        let status =
            Command::new("psql").args([admin, "-q", "-c", &statement]).stdout(Stdio::null()).status()?;
        if !status.success() {
            bail!("psql could not run {statement:?}");
        }
    }
    let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

/// Runs one command of the binary and measures it; peak memory is the child's own, from
/// `wait4`.
pub fn measure(binary: &Path, url: &str, args: &[&str]) -> anyhow::Result<Measure> {
    let start = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .env("RAPPORT_DATABASE_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    let mut stdout = child.stdout.take().context("no stdout")?;
    let mut summary = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut summary)?;
    let (status, peak_kib) = wait_with_peak_memory(pid)?;
    let seconds = start.elapsed().as_secs_f64();
    if status != 0 {
        bail!("rapport {} failed", args.join(" "));
    }
    Ok(Measure { seconds, peak_kib, summary: summary.trim().to_owned() })
}

#[allow(unsafe_code)]
fn wait_with_peak_memory(pid: u32) -> anyhow::Result<(i32, u64)> {
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if waited < 0 {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    // ru_maxrss is in KiB on Linux.
    Ok((libc::WEXITSTATUS(status), usage.ru_maxrss as u64))
}
