//! The `rapport` binary: parses the command line and hands each command to the library
//! crates. This is the only place that reads the clock and the environment, and the only
//! place `anyhow` is used.

mod assess;
mod assets;
mod briefing;
mod campaigns;
mod commands;
mod demo_months;
mod events;
mod follow_through;
mod health;
mod incidents;
mod messages;
mod plan;
mod printable;
mod server;
mod stix;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rapport_storage::DEFAULT_DATABASE_URL;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "A security partnership platform: from scanner output to a plan each team can finish."
)]
struct Cli {
    /// Database URL: sqlite://PATH (the default) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "RAPPORT_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    database: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import scanner output or VEX documents; each file is one transaction (all of it or nothing).
    Import(commands::ImportArgs),
    /// List the open findings.
    Findings(commands::FindingsArgs),
    /// List the import history.
    Imports(commands::ImportsArgs),
    /// Device inventory: osquery results logs and Fleet host JSON.
    #[command(subcommand)]
    Inventory(assets::InventoryCommand),
    /// People and teams: CSV and SCIM 2.0.
    #[command(subcommand)]
    People(assets::PeopleCommand),
    /// Who owns what: check, apply and explain the ownership file.
    #[command(subcommand)]
    Owners(assets::OwnersCommand),
    /// List assets with their owner and the rule that decided it.
    Assets(assets::AssetsArgs),
    /// Vulnerability intelligence: CISA KEV, EPSS, NVD, CVE records, OSV, CSAF advisories.
    #[command(subcommand)]
    Intel(assess::IntelCommand),
    /// The decision tree that turns evidence into Act, Attend, Track* or Track.
    #[command(subcommand)]
    Tree(assess::TreeCommand),
    /// Decide every open finding's priority from the evidence; record what changed and why.
    Assess(assess::AssessArgs),
    /// List the open findings' decisions, most urgent first, each with its reason.
    Decisions(assess::DecisionsArgs),
    /// Explain a finding's decision (or every finding of a vulnerability): the reason, the
    /// evidence and the history.
    Why(assess::WhyArgs),
    /// Each team's plan: its actions week by week within its capacity and the policy.
    Plan(plan::PlanArgs),
    /// Remediation actions: one per fix, with what it fixes.
    Actions(plan::ActionsArgs),
    /// One action: show what to do and why, or mark it done.
    #[command(subcommand)]
    Action(plan::ActionCommand),
    /// The agreed policy: show, check and apply its versions; record a team's acknowledgement.
    #[command(subcommand)]
    Policy(plan::PolicyCommand),
    /// Exceptions and risk acceptances on actions: ask, approve, reject, list.
    #[command(subcommand)]
    Exception(plan::ExceptionCommand),
    /// Emergencies declared outside the policy's criteria: declare one, list them for review.
    #[command(subcommand)]
    Emergency(plan::EmergencyCommand),
    /// What happened, in order: the event stream messages, health and sharing read.
    Events(events::EventsArgs),
    /// Each team's health month by month, and the security team's own record.
    Health(health::HealthArgs),
    /// The monthly briefing for the executives or a team's manager: as text, HTML or PDF.
    Briefing(briefing::BriefingArgs),
    /// Run the clock's work once: due soon, overdue, exceptions ending and ended; then compose
    /// the messages of everything that happened since the last time.
    Tick(events::TickArgs),
    /// The messages Rapport writes to people: preview one, list and read them, compose them.
    #[command(subcommand)]
    Messages(messages::MessagesCommand),
    /// The outbox: deliveries queued, sent, being retried or given up; retry one.
    Outbox(messages::OutboxArgs),
    /// Hygiene campaigns: the ones Rapport ships, and checking a campaign file.
    #[command(subcommand)]
    Campaign(campaigns::CampaignCommand),
    /// Follow-through: advisories (new KEV entries, OSV and CSAF records, vendor release feeds)
    /// drafted into one thing to do for whom they concern; preview, edit and send the drafts.
    #[command(subcommand)]
    FollowThrough(follow_through::FollowThroughCommand),
    /// Incidents the security team handled: record one from its file, list them, show one.
    #[command(subcommand)]
    Incident(incidents::IncidentCommand),
    /// STIX 2.1: import bundles (peers' intel, MITRE ATT&CK as reference) and list what is held.
    #[command(subcommand)]
    Stix(stix::StixCommand),
    /// Load the samples (scans, a device, people, ownership, intel, a policy) into the database,
    /// show what Rapport makes of them, and serve the pages.
    Demo(commands::DemoArgs),
    /// Serve the web pages and the JSON API.
    Serve(server::ServeArgs),
    /// Accounts that may sign in to the server, and their API tokens.
    #[command(subcommand)]
    Account(server::AccountCommand),
    /// Print the OpenAPI document of the server's JSON API.
    Openapi,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // One thread drives the database side; parsing runs on a blocking thread beside it. A
    // multi-threaded runtime only added wake-ups between the two (measured: PostgreSQL imports
    // 10% slower).
    // The server answers many requests at once: it gets a thread per core.
    let serving = match &cli.command {
        Command::Serve(_) => true,
        Command::Demo(args) => args.serves(),
        _ => false,
    };
    let builder = if serving {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match { builder }.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", printable::neutralised(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Import(args) => commands::import(&cli.database, args).await,
        Command::Findings(args) => commands::findings(&cli.database, args).await,
        Command::Imports(args) => commands::imports(&cli.database, args).await,
        Command::Inventory(command) => assets::inventory(&cli.database, command).await,
        Command::People(command) => assets::people(&cli.database, command).await,
        Command::Owners(command) => assets::owners(&cli.database, command).await,
        Command::Assets(args) => assets::assets(&cli.database, args).await,
        Command::Intel(command) => assess::intel(&cli.database, command).await,
        Command::Tree(command) => assess::tree(&cli.database, command).await,
        Command::Assess(args) => assess::assess(&cli.database, args).await,
        Command::Decisions(args) => assess::decisions(&cli.database, args).await,
        Command::Why(args) => assess::why(&cli.database, args).await,
        Command::Plan(args) => plan::plan(&cli.database, args).await,
        Command::Actions(args) => plan::actions(&cli.database, args).await,
        Command::Action(command) => plan::action(&cli.database, command).await,
        Command::Policy(command) => plan::policy(&cli.database, command).await,
        Command::Exception(command) => plan::exception(&cli.database, command).await,
        Command::Emergency(command) => plan::emergency(&cli.database, command).await,
        Command::Events(args) => events::events(&cli.database, args).await,
        Command::Health(args) => health::health(&cli.database, args).await,
        Command::Briefing(args) => briefing::briefing(&cli.database, args).await,
        Command::Tick(args) => events::run_tick(&cli.database, args).await,
        Command::Messages(command) => messages::messages(&cli.database, command).await,
        Command::Outbox(args) => messages::outbox(&cli.database, args).await,
        Command::Campaign(command) => campaigns::campaign(&cli.database, command).await,
        Command::FollowThrough(command) => follow_through::follow_through(&cli.database, command).await,
        Command::Incident(command) => incidents::incident(&cli.database, command).await,
        Command::Stix(command) => stix::stix(&cli.database, command).await,
        Command::Demo(args) => commands::demo(&cli.database, args).await,
        Command::Serve(args) => server::serve(&cli.database, args).await,
        Command::Account(command) => server::account(&cli.database, command).await,
        Command::Openapi => server::openapi(),
    }
}

/// Output piped into `head` is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
