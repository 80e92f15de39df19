//! Project chores, run with `cargo xtask COMMAND`:
//!
//! - `generate`: writes a realistic synthetic scan (Trivy, SARIF or CycloneDX) of N findings;
//! - `bench`: imports generated files of 10k, 100k and 1M findings into SQLite and
//!   PostgreSQL with the release binary and prints findings per second and peak memory;
//! - `bench-estate`: imports a generated inventory of 50k hosts with their software, and
//!   decides the ownership of 100k assets against 1,000 rules (engine alone and end to end);
//! - `bench-intel`: imports the real KEV and EPSS feeds, decides a generated million
//!   findings on 20,000 hosts, and re-decides them after a feed change and a tree change;
//! - `bench-messages`: composes and queues an emergency's messages to 10,000 people, and
//!   delivers them to a local SMTP server.
//! - `bench-campaigns`: schedules the hygiene campaigns over 50,000 hosts and 20,000 people.
//! - `bench-findings`: lists 1 to 10,000 of 300,000 findings, and filters matching none.
//! - `bench-health`: counts the health of 200 teams over 24 months from a generated stream.
//! - `bench-stix`: imports MITRE's ATT&CK for ICS bundle and a generated bundle of indicators.
//!
//! The tidy checks that enforce ARCHITECTURE.md live in `tidy.rs` and run with `cargo test`.

mod bench;
mod bench_campaigns;
mod bench_estate;
mod bench_findings;
mod bench_health;
mod bench_intel;
mod bench_messages;
mod bench_plan;
mod bench_server;
mod bench_stix;
mod estate;
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
    BenchEstate(bench_estate::BenchEstateArgs),
    BenchIntel(bench_intel::BenchIntelArgs),
    /// List a few of 300,000 findings, unfiltered and filtered.
    BenchFindings(bench_findings::BenchFindingsArgs),
    /// Plan a million findings for 200 teams; the plan's measures.
    BenchPlan(bench_plan::BenchPlanArgs),
    /// Composing and queuing a message for each of 10,000 people, and delivering them to a
    /// local SMTP server.
    BenchMessages(bench_messages::BenchMessagesArgs),
    BenchCampaigns(bench_campaigns::BenchCampaignsArgs),
    /// The health of 200 teams over 24 months, counted from a generated event stream.
    BenchHealth(bench_health::BenchHealthArgs),
    /// A partner's plan page under load (wrk), over the databases bench-plan leaves.
    BenchServer(bench_server::BenchServerArgs),
    /// Importing STIX bundles: ATT&CK for ICS and generated indicators.
    BenchStix(bench_stix::BenchStixArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate(args) => generate::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::BenchEstate(args) => bench_estate::run(&args),
        Command::BenchIntel(args) => bench_intel::run(&args),
        Command::BenchFindings(args) => bench_findings::run(&args),
        Command::BenchPlan(args) => bench_plan::run(&args),
        Command::BenchMessages(args) => bench_messages::run(&args),
        Command::BenchCampaigns(args) => bench_campaigns::run(&args),
        Command::BenchHealth(args) => bench_health::run(&args),
        Command::BenchServer(args) => bench_server::run(&args),
        Command::BenchStix(args) => bench_stix::run(&args),
    }
}
