//! One function per command.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use rapport_core::Severity;
use rapport_core::words::count;
use rapport_formats::Format;
use rapport_storage::{
    DecisionFilter, FindingFilter, FindingOrder, FindingState, ImportRecord, OwnerFilter, Store,
    StoredFinding, redact,
};
use rapport_workflows::{ImportReport, ImportRequest, Progress, Refreshed, import_file};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import; the format of each is detected from its content.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Force a format instead of detecting it (an unknown name lists them all); for the formats that
    /// come as XML or CSV (cyclonedx, nessus, openvas, qualys) the syntax is still read from
    /// the content.
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// A label for where these files came from (also names the target of files that do not).
    #[arg(long)]
    source: Option<String>,
    /// Print one JSON object per file (and one for the decisions and plans brought up to date).
    #[arg(long)]
    json: bool,
    /// Only import: leave decisions and plans as they are (`rapport assess` and `rapport plan`
    /// bring them up to date later).
    #[arg(long)]
    no_plan: bool,
}

fn parse_format(name: &str) -> Result<Format, String> {
    name.parse()
}

#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Print one JSON object per finding.
    #[arg(long)]
    json: bool,
    /// Only findings at or above this severity (critical, high, medium, low, info).
    #[arg(long)]
    severity: Option<Severity>,
    /// Only findings from this tool (trivy, grype, nessus, a SARIF driver name...).
    #[arg(long)]
    tool: Option<String>,
    /// Only findings whose target name contains this text.
    #[arg(long)]
    target: Option<String>,
    /// Only findings with this id (CVE, GHSA, rule id).
    #[arg(long)]
    id: Option<String>,
    /// Include findings that a rescan has resolved (as --state any).
    #[arg(long, conflicts_with = "state")]
    all: bool,
    /// Open findings, those a rescan resolved, or any.
    #[arg(long, value_parser = parse_state)]
    state: Option<FindingState>,
    /// Only findings on assets this team owns; "nobody" for assets no rule matched.
    #[arg(long, value_parser = parse_owner)]
    team: Option<OwnerFilter>,
    /// Only findings with this decision (act, attend, track*, track), or "undecided".
    #[arg(long, value_parser = parse_decision)]
    decision: Option<DecisionFilter>,
    /// Only findings with this text in the vulnerability id, package, target or advisory.
    #[arg(long)]
    search: Option<String>,
    /// The order: severity (the default), newest, vulnerability or target.
    #[arg(long, value_parser = parse_order, default_value = "severity")]
    sort: FindingOrder,
    /// Skip this many findings first (the next page).
    #[arg(long, default_value_t = 0)]
    skip: u64,
    /// At most this many findings.
    #[arg(long)]
    limit: Option<u32>,
}

fn parse_state(word: &str) -> Result<FindingState, String> {
    FindingState::parse(word).ok_or_else(|| format!("{word:?}: expected {}", FindingState::WORDS))
}

fn parse_owner(word: &str) -> Result<OwnerFilter, String> {
    Ok(OwnerFilter::parse(word))
}

fn parse_decision(word: &str) -> Result<DecisionFilter, String> {
    DecisionFilter::parse(word).ok_or_else(|| format!("{word:?}: expected {}", DecisionFilter::WORDS))
}

fn parse_order(word: &str) -> Result<FindingOrder, String> {
    FindingOrder::parse(word).ok_or_else(|| format!("{word:?}: expected {}", FindingOrder::WORDS))
}

#[derive(Debug, Args)]
pub struct ImportsArgs {
    /// Print one JSON object per import.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The folder of samples: scans at its top, and `inventory/`, `people/` and
    /// `ownership/` beside them.
    #[arg(long, default_value = "samples")]
    samples: PathBuf,
    /// Load the samples and stop, without starting the server.
    #[arg(long)]
    no_serve: bool,
    /// Where the server listens (default 127.0.0.1:8080, or RAPPORT_LISTEN).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Give the demo's administrator a new one-time password, even if they chose their own.
    #[arg(long)]
    reset_admin: bool,
    /// Live through this many months up to now on a moving clock: the scans arrive one month
    /// after another, teams acknowledge, fix, ask for time and give feedback at their own pace,
    /// the security team answers, weekly rescans confirm the fixes, and the clock ticks daily,
    /// so that health, wins and briefings have real shapes.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=24))]
    months: u32,
}

impl DemoArgs {
    pub fn serves(&self) -> bool {
        !self.no_serve
    }
}

pub async fn open(database: &str) -> anyhow::Result<Store> {
    Store::connect(database).await.with_context(|| format!("opening {}", redact(database)))
}

/// The binary is the one place that reads the clock; libraries take `now` as a parameter.
#[allow(clippy::disallowed_methods)]
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[derive(Serialize)]
struct ImportLine<'a> {
    file: String,
    format: &'a str,
    findings: u64,
    new: u64,
    known: u64,
    resolved: u64,
    #[serde(skip_serializing_if = "is_zero")]
    vex_statements: u64,
    #[serde(skip_serializing_if = "is_zero")]
    vex_changed: u64,
    /// Findings whose text was cut to Rapport's limits.
    #[serde(skip_serializing_if = "is_zero")]
    cut: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

pub async fn import(database: &str, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut failed = false;
    let mut imported = false;
    for path in &args.files {
        let request = ImportRequest {
            path: path.clone(),
            format: args.format,
            source: args.source.clone(),
            name: None,
            progress: None,
            waiting: Some(Arc::new(|| {
                eprintln!(
                    "Another import is writing to the database; this one waits its turn and starts when that \
                     one is done."
                )
            })),
        };
        match import_with_progress(&store, request).await {
            Ok(report) => {
                imported = true;
                print_import(&report, args.json)?
            }
            Err(error) => {
                failed = true;
                eprintln!("error: {}", crate::printable::neutralised(&error.to_string()));
            }
        }
    }
    if imported && !args.no_plan {
        refresh_and_tell(&store, args.json).await?;
    }
    store.close().await;
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Brings decisions, plans and campaigns up to date after an import, and composes the
/// messages of what changed at once, as the server's clock would.
pub async fn refresh_and_tell(store: &Store, json: bool) -> anyhow::Result<()> {
    let refreshed = rapport_workflows::refresh(store, now()).await?;
    print_refreshed(&mut crate::printable::stdout(), &refreshed, json)?;
    let templates = rapport_workflows::templates_in_force(store).await?;
    let composed = rapport_workflows::compose_messages(store, &templates, now()).await?;
    if !json && composed.messages > 0 {
        writeln!(crate::printable::stdout(), "{}", crate::messages::composed(&composed))?;
    }
    Ok(())
}

/// What bringing decisions and plans up to date did, after an import of any kind.
pub fn print_refreshed(out: &mut impl Write, refreshed: &Refreshed, json: bool) -> anyhow::Result<()> {
    let (assessed, built) = (&refreshed.assessed, &refreshed.built);
    if json {
        let line = serde_json::json!({"refreshed": {
            "assets_owned": refreshed.owned, "decisions_changed": assessed.changed, "first_decided": assessed.first_decided,
            "actions": built.actions, "actions_opened": built.opened, "actions_closed": built.closed,
            "actions_reopened": built.reopened, "unowned_findings": built.unowned_findings,
            "campaign_nudges": refreshed.campaigns.nudged, "campaign_thanks": refreshed.campaigns.thanked,
        }});
        writeln!(out, "{line}")?;
        return Ok(());
    }
    if refreshed.owned > 0 {
        writeln!(out, "{} new assets owned by the ownership rules in force.", refreshed.owned)?;
    }
    crate::assess::print_assess(out, assessed, false)?;
    crate::plan::print_build(out, built)?;
    for event in &refreshed.campaigns.recorded {
        writeln!(out, "{}: {}", event.subject.as_deref().unwrap_or_default(), event.detail)?;
    }
    if let Some(line) = crate::campaigns::scheduled(&refreshed.campaigns) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A progress bar on stderr for long files, only when a person is watching.
async fn import_with_progress(
    store: &Store,
    mut request: ImportRequest,
) -> Result<ImportReport, rapport_workflows::IngestError> {
    let size = std::fs::metadata(&request.path).map(|m| m.len()).unwrap_or(0);
    let watching = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = (watching && size > 8 * 1024 * 1024).then(|| {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(request.path.display().to_string());
        bar
    });
    if let Some(bar) = &bar {
        let bar = bar.clone();
        let progress: Progress = Arc::new(move |read| bar.set_position(read));
        request.progress = Some(progress);
    }
    let result = import_file(store, request, now).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

fn print_import(report: &ImportReport, json: bool) -> anyhow::Result<()> {
    let summary = &report.summary;
    let mut out = crate::printable::stdout();
    if json {
        let line = ImportLine {
            file: report.path.display().to_string(),
            format: report.format.name(),
            findings: summary.findings,
            new: summary.new,
            known: summary.known,
            resolved: summary.resolved,
            vex_statements: summary.vex_statements,
            vex_changed: summary.vex_changed,
            cut: report.cut,
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    } else if report.format.is_vex() {
        writeln!(
            out,
            "{}: {} new VEX statements from {}; {} open findings now show what they say",
            report.path.display(),
            summary.vex_statements,
            report.format,
            summary.vex_changed
        )?;
    } else {
        writeln!(
            out,
            "{}: {} from {} ({} new, {} already known, {} resolved by this rescan)",
            report.path.display(),
            count(summary.findings, "finding", "findings"),
            report.format,
            summary.new,
            summary.known,
            summary.resolved
        )?;
    }
    if report.cut > 0 && !json {
        writeln!(out, "  {}", cut_note(report.cut, ("finding", "findings")))?;
    }
    Ok(())
}

/// Says that some imported texts were longer than Rapport keeps.
pub fn cut_note(cut: u64, (one, many): (&str, &str)) -> String {
    format!(
        "{} had text longer than Rapport keeps ({} bytes for a title, {} KiB for a \
         description): the start of it is kept, marked as cut",
        count(cut, one, many),
        rapport_core::text_limits::TITLE_BYTES,
        rapport_core::text_limits::TEXT_BYTES >> 10
    )
}

pub async fn findings(database: &str, args: FindingsArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let state = if args.all { FindingState::Any } else { args.state.unwrap_or_default() };
    let filter = FindingFilter {
        state,
        min_severity: args.severity,
        tool: args.tool,
        target: args.target,
        vulnerability: args.id,
        id: None,
        owner: args.team,
        decision: args.decision,
        search: args.search.filter(|words| !words.trim().is_empty()),
        order: args.sort,
        offset: args.skip,
        limit: args.limit,
    };
    let mut out = crate::printable::stdout();
    let mut shown = 0u64;
    store
        .each_finding(&filter, |stored| -> anyhow::Result<()> {
            shown += 1;
            if args.json {
                writeln!(out, "{}", serde_json::to_string(&FindingLine::of(&stored)?)?)?;
            } else {
                writeln!(out, "{}", table_line(&stored))?;
            }
            Ok(())
        })
        .await?;
    if !args.json && shown == 0 {
        writeln!(out, "No findings match.")?;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct FindingLine<'a> {
    id: i64,
    fingerprint: &'a str,
    first_seen: String,
    last_seen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_by_import: Option<i64>,
    #[serde(flatten)]
    finding: &'a rapport_core::Finding,
}

impl<'a> FindingLine<'a> {
    fn of(stored: &'a StoredFinding) -> anyhow::Result<Self> {
        Ok(FindingLine {
            id: stored.id,
            fingerprint: &stored.fingerprint,
            first_seen: stored.first_seen.format(&Rfc3339)?,
            last_seen: stored.last_seen.format(&Rfc3339)?,
            resolved_by_import: stored.resolved_by.map(|(import, _)| import),
            finding: &stored.finding,
        })
    }
}

fn table_line(stored: &StoredFinding) -> String {
    let finding = &stored.finding;
    let what = finding.affected();
    let status = match (finding.status.label(), &finding.vex) {
        ("affected", None) => String::new(),
        (status, Some(vex)) => format!(" [{status}, per {}]", vex.source.document),
        (status, None) => format!(" [{status}]"),
    };
    let resolved = if stored.resolved_by.is_some() { " [resolved]" } else { "" };
    format!(
        "{:<8} {:<20} {}  {}  {}{status}{resolved}",
        finding.severity.as_str(),
        finding.display_id(),
        finding.target.name,
        what,
        finding.title
    )
}

pub async fn imports(database: &str, args: ImportsArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    for record in store.imports().await? {
        let started = record.started_at.format(&Rfc3339)?;
        if args.json {
            let line = serde_json::json!({
                "id": record.id, "file": record.file, "format": record.format, "source": record.source,
                "started_at": started, "findings": record.findings, "new": record.new,
                "known": record.known, "resolved": record.resolved,
                "vex_statements": record.vex_statements, "vex_changed": record.vex_changed,
                "devices": record.devices, "new_devices": record.new_devices,
                "people": record.people, "teams": record.teams,
                "complete": record.finished_at.is_some(), "awaiting_refresh": record.awaiting_refresh,
            });
            writeln!(out, "{line}")?;
        } else {
            let owed = if record.awaiting_refresh { "  (not yet decided and planned)" } else { "" };
            let started = crate::printable::moment(record.started_at);
            writeln!(
                out,
                "#{:<4} {started}  {:<14} {}  {}{owed}",
                record.id,
                record.format,
                import_counts(&record),
                record.file
            )?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// What an import stored, in the words of its kind of file.
fn import_counts(record: &ImportRecord) -> String {
    if record.devices > 0 {
        format!("{} ({} new)", count(record.devices, "device", "devices"), record.new_devices)
    } else if record.people > 0 || record.teams > 0 {
        format!("{}, {}", count(record.people, "person", "people"), count(record.teams, "team", "teams"))
    } else if record.vex_statements > 0 || record.vex_changed > 0 {
        format!(
            "{} ({} changed)",
            count(record.vex_statements, "VEX statement", "VEX statements"),
            count(record.vex_changed, "finding", "findings")
        )
    } else {
        format!(
            "{} ({} new, {} known, {} resolved)",
            count(record.findings, "finding", "findings"),
            record.new,
            record.known,
            record.resolved
        )
    }
}

pub async fn demo(database: &str, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    writeln!(crate::printable::stdout(), "Database: {} ({})", redact(database), store.backend())?;
    let end = now();
    let start = crate::demo_months::start_of(end, args.months);
    let mut files = sample_files(&args.samples)?;
    files.sort();
    let scans = crate::demo_months::arrivals(files, args.months);
    for path in &scans.first {
        let request = ImportRequest {
            path: path.clone(),
            format: None,
            source: None,
            name: None,
            progress: None,
            waiting: None,
        };
        let report = import_file(&store, request, || start).await?;
        print_import(&report, false)?;
    }
    let (open_count, resolved) = store.count_findings().await?;
    writeln!(
        crate::printable::stdout(),
        "\n{open_count} open findings stored ({resolved} resolved). The most severe:"
    )?;
    let top = FindingFilter { limit: Some(10), ..FindingFilter::default() };
    for stored in store.findings(&top).await? {
        writeln!(crate::printable::stdout(), "  {}", table_line(&stored))?;
    }
    crate::assets::demo_ownership(&store, &args.samples, start).await?;
    crate::assets::demo_intel(&store, &args.samples, start).await?;
    crate::plan::demo_plan(&store, &args.samples, start).await?;
    crate::campaigns::demo_campaigns(&store, start).await?;
    crate::follow_through::demo_follow_through(&store, start).await?;
    let templates = rapport_workflows::templates_in_force(&store).await?;
    let composed = rapport_workflows::compose_messages(&store, &templates, start).await?;
    writeln!(
        crate::printable::stdout(),
        "\n{} Each person's inbox: `rapport messages list --person priya.nair@example.com`, or \
         `--person anna@acme.com` for the nudge to the sample laptop's user.",
        crate::messages::composed(&composed)
    )?;
    if args.months > 0 {
        let lived = crate::demo_months::live(&store, &args.samples, &scans, start, end).await?;
        writeln!(crate::printable::stdout(), "\n{lived}")?;
    }
    writeln!(
        crate::printable::stdout(),
        "Next: `rapport plan --team Payments`, `rapport action show 1`, `rapport why CVE-2021-44228`, \
         `rapport owners explain 1.2.3.4`, `rapport events` (what happened, in order), or bring your own \
         with `rapport import FILE...`, `rapport intel fetch`."
    )?;
    if !args.serves() {
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let sign_in = crate::server::demo_admin(&store, args.reset_admin).await?;
    writeln!(crate::printable::stdout(), "\n{sign_in}")?;
    crate::server::demo_serve(store, args.listen).await
}

fn sample_files(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(folder).with_context(|| {
        format!("reading the sample folder {} (run the demo from the project's root)", folder.display())
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let is_note = path.extension().is_some_and(|e| e == "md");
        if path.is_file() && !is_note {
            files.push(path);
        }
    }
    Ok(files)
}
