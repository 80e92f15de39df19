//! Project chores, run with `cargo xtask COMMAND`:
//!
//! - `generate`: writes a realistic synthetic scan (Trivy, SARIF or CycloneDX) of N findings;
//! - `bench`: imports generated files of 10k, 100k and 1M findings into SQLite and
//!   PostgreSQL with the release binary and prints findings per second and peak memory.
//!
//! The tidy checks that enforce ARCHITECTURE.md live in `tidy.rs` and run with `cargo test`.

mod bench;
mod generate;
#[cfg(test)]
mod tidy;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Generate(generate::GenerateArgs),
    Bench(bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate(args) => generate::run(&args),
        Command::Bench(args) => bench::run(&args),
    }
}
