//! The commands about risk: `intel import|list`, `tree show|check|history`, `assess` and
//! `why`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rapport_core::{Assessment, Cvss, Outcome};
use rapport_formats::DEFAULT_TREE;
use rapport_storage::{FindingFilter, Store, StoredFinding};
use rapport_workflows::{
    AssessReport, EPSS_URL, Fetched, IntelOptions, IntelReport, KEV_URL, apply_tree, assess_findings,
    compile_tree, current_tree, feed_client, fetch_feed, finding_detail, import_intel,
};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};

use crate::commands::{now, open};

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Import feed files or folders of them: CISA KEV (JSON, CSV), FIRST EPSS (.csv.gz), NVD
    /// API 2.0 JSON, CVE JSON 5, OSV (files or a zip), CSAF advisories. Then re-decide the
    /// open findings.
    Import(IntelImportArgs),
    /// Fetch feeds from their publishers (CISA KEV and FIRST EPSS unless URLs are given),
    /// with conditional requests: an unchanged feed is not downloaded again. Then re-decide.
    Fetch(IntelFetchArgs),
    /// List the feed imports: which edition of each feed, and what it changed.
    List(JsonFlag),
}

#[derive(Debug, Args)]
pub struct IntelFetchArgs {
    /// Feed URLs to fetch instead of the KEV and EPSS ones (OSV zips, CSAF advisories...).
    urls: Vec<String>,
    /// Where CISA's KEV catalogue is published.
    #[arg(long, env = "RAPPORT_KEV_URL", default_value = KEV_URL)]
    kev_url: String,
    /// Where FIRST's current EPSS scores are published.
    #[arg(long, env = "RAPPORT_EPSS_URL", default_value = EPSS_URL)]
    epss_url: String,
    /// Store a catalogue edition older than the stored one (to go back on purpose).
    #[arg(long)]
    allow_older: bool,
    /// Store the intel without re-deciding the findings and rebuilding the plans.
    #[arg(long)]
    no_assess: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct IntelImportArgs {
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Store a catalogue edition older than the stored one (to go back on purpose).
    #[arg(long)]
    allow_older: bool,
    /// Store the intel without re-deciding the findings and rebuilding the plans.
    #[arg(long)]
    no_assess: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TreeCommand {
    /// Print the decision tree in use (or the default one) as a file to edit.
    Show(TreeShowArgs),
    /// Check an edited tree: every combination once, every word known, and where a worse
    /// situation gets a milder outcome.
    Check(TreeFileArgs),
    /// List the tree versions applied.
    History,
}

#[derive(Debug, Args)]
pub struct TreeShowArgs {
    /// Print the built-in default rather than the tree in use.
    #[arg(long)]
    default: bool,
}

#[derive(Debug, Args)]
pub struct TreeFileArgs {
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Apply this decision tree (stored as a new version) before deciding.
    #[arg(long)]
    tree: Option<PathBuf>,
    /// Also list every decision that changed since this day (YYYY-MM-DD) or moment (RFC 3339).
    #[arg(long, value_parser = parse_since)]
    since: Option<OffsetDateTime>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DecisionsArgs {
    /// Only this outcome: act, attend, track* or track.
    #[arg(long, value_parser = parse_outcome)]
    outcome: Option<Outcome>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_outcome(word: &str) -> Result<Outcome, String> {
    Outcome::parse(&word.to_ascii_lowercase())
        .ok_or_else(|| format!("{word:?} is not an outcome: expected act, attend, track* or track"))
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// A finding's number (as `rapport findings --json` shows it) or a vulnerability id.
    what: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn parse_since(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| {
            Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
                .map(|date| date.with_time(Time::MIDNIGHT).assume_utc())
        })
        .map_err(|_| format!("{text:?} is not a day (2026-01-30) or a moment (2026-01-30T12:00:00Z)"))
}

pub async fn intel(database: &str, command: IntelCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let code = match command {
        IntelCommand::Import(args) => intel_import(&store, args).await?,
        IntelCommand::Fetch(args) => intel_fetch(&store, args).await?,
        IntelCommand::List(args) => {
            let mut out = crate::printable::stdout();
            for import in store.intel_imports().await? {
                if args.json {
                    let line = json!({
                        "id": import.id, "feed": import.feed, "format": import.format, "file": import.file,
                        "edition": import.edition_version, "edition_date": import.edition_date.map(|d| d.to_string()),
                        "imported_at": import.imported_at.format(&Rfc3339)?, "items": import.items,
                        "added": import.added, "changed": import.changed, "removed": import.removed,
                    });
                    writeln!(out, "{line}")?;
                } else {
                    let edition = match (&import.edition_version, import.edition_date) {
                        (Some(version), Some(date)) => format!(" edition {version} of {date}"),
                        _ => String::new(),
                    };
                    writeln!(
                        out,
                        "{:>4}  {}  {:<9} {}{edition}: {} ({} new, {} changed, {} removed)",
                        import.id,
                        import.imported_at.format(&Rfc3339)?,
                        import.format,
                        import.file,
                        rapport_core::words::count(import.items, "item", "items"),
                        import.added,
                        import.changed,
                        import.removed
                    )?;
                }
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

async fn intel_import(store: &Store, args: IntelImportArgs) -> anyhow::Result<ExitCode> {
    let options = IntelOptions { allow_older: args.allow_older };
    let mut failed = false;
    let mut stored_any = false;
    let mut out = crate::printable::stdout();
    for path in &args.paths {
        match import_intel(store, path, options, now()).await {
            Ok((reports, skipped)) => stored_any |= print_imported(&mut out, &reports, &skipped, args.json)?,
            Err(error) => {
                failed = true;
                eprintln!("error: {}", crate::printable::neutralised(&error.to_string()));
            }
        }
    }
    reassess(store, &mut out, stored_any && !args.no_assess, args.json).await?;
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Prints what feed imports did and what was skipped; true when any stored something.
fn print_imported(
    out: &mut impl Write,
    reports: &[IntelReport],
    skipped: &[rapport_workflows::Skipped],
    json: bool,
) -> anyhow::Result<bool> {
    for report in reports {
        print_intel(out, report, json)?;
    }
    if !json {
        for skip in skipped {
            writeln!(out, "{}: skipped, {}", skip.path.display(), skip.reason)?;
        }
    }
    Ok(reports.iter().any(|report| report.counts.is_some()))
}

/// Brings decisions and plans up to date after new intel, when asked to.
async fn reassess(store: &Store, out: &mut impl Write, wanted: bool, json: bool) -> anyhow::Result<()> {
    if wanted {
        let refreshed = rapport_workflows::refresh(store, now()).await?;
        crate::commands::print_refreshed(out, &refreshed, json)?;
    }
    Ok(())
}

async fn intel_fetch(store: &Store, args: IntelFetchArgs) -> anyhow::Result<ExitCode> {
    let options = IntelOptions { allow_older: args.allow_older };
    let client = feed_client().context("starting the HTTP client")?;
    let urls = if args.urls.is_empty() {
        vec![args.kev_url.clone(), args.epss_url.clone()]
    } else {
        args.urls.clone()
    };
    let mut failed = false;
    let mut stored_any = false;
    let mut out = crate::printable::stdout();
    for url in &urls {
        match fetch_feed(store, &client, url, options, now()).await {
            Ok(Fetched::NotModified) => {
                if args.json {
                    writeln!(out, "{}", json!({"url": url, "not_modified": true}))?;
                } else {
                    writeln!(out, "{url}: not modified since the last fetch")?;
                }
            }
            Ok(Fetched::Imported { reports, skipped }) => {
                stored_any |= print_imported(&mut out, &reports, &skipped, args.json)?;
            }
            Err(error) => {
                failed = true;
                eprintln!("error: {}", crate::printable::neutralised(&error.to_string()));
            }
        }
    }
    reassess(store, &mut out, stored_any && !args.no_assess, args.json).await?;
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_intel(out: &mut impl Write, report: &IntelReport, json: bool) -> anyhow::Result<()> {
    let edition = report.edition.as_ref().map(|e| format!("{} of {}", e.version, e.date));
    if json {
        let counts = report.counts.as_ref();
        let line = json!({
            "file": report.path.display().to_string(), "format": report.format.name(), "edition": edition,
            "items": report.items, "stored": counts.is_some(),
            "added": counts.map(|c| c.added), "changed": counts.map(|c| c.changed),
            "removed": counts.map(|c| c.removed), "older_kept": counts.map(|c| c.older_kept),
            "cut": report.cut,
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    let edition = edition.map(|e| format!(", edition {e}")).unwrap_or_default();
    match &report.counts {
        None => writeln!(
            out,
            "{}: {}{edition} is already stored; nothing changed",
            report.path.display(),
            report.format
        )?,
        Some(counts) => {
            let older = if counts.older_kept > 0 {
                format!(", {} older than stored and not taken", counts.older_kept)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{}: {}{edition}: {} ({} new, {} changed, {} removed{older})",
                report.path.display(),
                report.format,
                rapport_core::words::count(report.items, "item", "items"),
                counts.added,
                counts.changed,
                counts.removed
            )?
        }
    }
    if report.cut > 0 {
        writeln!(out, "  {}", crate::commands::cut_note(report.cut, ("record", "records")))?;
    }
    Ok(())
}

pub fn print_assess(out: &mut impl Write, report: &AssessReport, json: bool) -> anyhow::Result<()> {
    let outcome = |o: Outcome| report.outcomes.get(&o).copied().unwrap_or(0);
    if json {
        let line = json!({
            "findings": report.findings, "first_decided": report.first_decided, "changed": report.changed,
            "unchanged": report.unchanged, "distinct_decisions": report.distinct,
            "act": outcome(Outcome::Act), "attend": outcome(Outcome::Attend),
            "track_star": outcome(Outcome::TrackStar), "track": outcome(Outcome::Track),
            "tree": report.tree.as_ref().map(|t| json!({"name": t.name, "version": t.version})),
            "kev": report.kev_edition, "epss": report.epss_edition,
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    let tree = report.tree.as_ref().map(|t| format!("{} v{}", t.name, t.version)).unwrap_or_default();
    writeln!(
        out,
        "Decided {} open findings with tree {tree}: {} Act, {} Attend, {} Track*, {} Track \
         ({} decided for the first time, {} changed, {} unchanged).",
        report.findings,
        outcome(Outcome::Act),
        outcome(Outcome::Attend),
        outcome(Outcome::TrackStar),
        outcome(Outcome::Track),
        report.first_decided,
        report.changed,
        report.unchanged
    )?;
    writeln!(
        out,
        "Evidence: CISA KEV {}; EPSS {}.",
        report
            .kev_edition
            .as_deref()
            .map(|v| format!("catalogue {v}"))
            .unwrap_or_else(|| "not imported".into()),
        report.epss_edition.as_deref().unwrap_or("not imported")
    )?;
    Ok(())
}

pub async fn tree(database: &str, command: TreeCommand) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    match command {
        TreeCommand::Show(args) if args.default => write!(out, "{DEFAULT_TREE}")?,
        TreeCommand::Show(_) => {
            let store = open(database).await?;
            let (_, stored) = current_tree(&store, now()).await?;
            write!(out, "{}", stored.content)?;
            store.close().await;
        }
        TreeCommand::Check(args) => {
            let text = std::fs::read_to_string(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let tree = compile_tree(&args.file.display().to_string(), &text)?;
            writeln!(
                out,
                "{}: \"{}\" decides every one of the 72 combinations.",
                args.file.display(),
                tree.name
            )?;
            let inversions = tree.inversions();
            if !inversions.is_empty() {
                writeln!(
                    out,
                    "Where a worse situation gets a milder outcome (legal, but check it is meant):"
                )?;
                for inversion in inversions {
                    writeln!(out, "  {inversion}")?;
                }
            }
        }
        TreeCommand::History => {
            let store = open(database).await?;
            for stored in store.decision_trees().await? {
                writeln!(out, "v{}  {}  {}", stored.id, stored.applied_at.format(&Rfc3339)?, stored.name)?;
            }
            store.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn assess(database: &str, args: AssessArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    if let Some(file) = &args.tree {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let (version, new) = apply_tree(&store, &file.display().to_string(), &text, now()).await?;
        if !args.json {
            let state = if new { "applied as" } else { "is already" };
            writeln!(out, "{}: {state} decision tree version {version}.", file.display())?;
        }
    }
    let report = assess_findings(&store, now()).await?;
    print_assess(&mut out, &report, args.json)?;
    if let Some(since) = args.since {
        let changes = store.decision_changes_since(since).await?;
        if !args.json {
            let changed = rapport_core::words::count(changes.len(), "decision", "decisions");
            writeln!(out, "\n{changed} changed since {}:", since.format(&Rfc3339)?)?;
        }
        for line in changes {
            if args.json {
                let change = json!({
                    "finding": line.finding, "vulnerability": line.vulnerability, "target": line.target,
                    "changed_at": line.change.changed_at.format(&Rfc3339)?,
                    "from": line.change.previous_outcome, "to": line.change.current_outcome, "cause": line.change.cause,
                });
                writeln!(out, "{change}")?;
            } else {
                writeln!(
                    out,
                    "  #{} {} on {} ({}): {}",
                    line.finding,
                    line.vulnerability,
                    line.target,
                    line.change.changed_at.format(&Rfc3339)?,
                    line.change.cause
                )?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn decisions(database: &str, args: DecisionsArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let lines = store.decided_findings(args.outcome.map(Outcome::as_str), i64::from(args.limit)).await?;
    let mut out = crate::printable::stdout();
    print_decisions(&mut out, &lines, args.json)?;
    if lines.is_empty() && !args.json {
        writeln!(out, "No decisions yet: import intel with `rapport intel import` or run `rapport assess`.")?;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn print_decisions(
    out: &mut impl Write,
    lines: &[rapport_storage::DecisionLine],
    json: bool,
) -> anyhow::Result<()> {
    for line in lines {
        let assessment: Assessment = serde_json::from_str(&line.body).context("reading a stored decision")?;
        if json {
            let row = json!({
                "finding": line.finding, "vulnerability": line.vulnerability, "target": line.target,
                "outcome": assessment.outcome, "reason": assessment.reason, "points": assessment.points,
                "decided_at": line.decided_at.format(&Rfc3339)?,
            });
            writeln!(out, "{row}")?;
        } else {
            writeln!(
                out,
                "{:<7} #{:<6} {:<20} {}\n        {}",
                assessment.outcome.label(),
                line.finding,
                line.vulnerability,
                line.target,
                assessment.reason
            )?;
        }
    }
    Ok(())
}

pub async fn why(database: &str, args: WhyArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let findings = match args.what.parse::<i64>() {
        Ok(id) => store.findings(&FindingFilter { id: Some(id), ..FindingFilter::default() }).await?,
        Err(_) => {
            let mut ids = vec![args.what.clone()];
            ids.extend(
                store.aliases_of(std::slice::from_ref(&args.what)).await?.into_iter().map(|(_, alias)| alias),
            );
            let mut found = Vec::new();
            for id in ids {
                let filter = FindingFilter { vulnerability: Some(id), ..FindingFilter::default() };
                found.extend(store.findings(&filter).await?);
            }
            found.sort_by_key(|stored| stored.id);
            found.dedup_by_key(|stored| stored.id);
            found
        }
    };
    if findings.is_empty() {
        eprintln!("error: no open finding is {:?}: give a finding's number or a vulnerability id", args.what);
        store.close().await;
        return Ok(ExitCode::FAILURE);
    }
    let mut out = crate::printable::stdout();
    let mut undecided = false;
    for stored in &findings {
        let detail = finding_detail(&store, stored.id).await?;
        let Some((assessment, decided_at)) = &detail.decision else {
            undecided = true;
            writeln!(out, "Finding #{} has no decision yet: run `rapport assess`.", stored.id)?;
            continue;
        };
        if args.json {
            let line = json!({
                "finding": stored.id, "vulnerability": stored.finding.display_id(),
                "target": stored.finding.target.name, "team": stored.owner,
                "decided_at": decided_at.format(&Rfc3339)?,
                "decision": assessment, "cvss": detail.cvss,
                "history": detail.history.iter().map(|c| Ok(json!({
                    "changed_at": c.changed_at.format(&Rfc3339)?, "from": c.previous_outcome,
                    "to": c.current_outcome, "cause": c.cause,
                }))).collect::<anyhow::Result<Vec<_>>>()?,
                "actions": detail.actions.iter().map(|a| a.id).collect::<Vec<_>>(),
            });
            writeln!(out, "{line}")?;
            continue;
        }
        print_why(&mut out, stored, assessment, *decided_at, &detail.cvss)?;
        if !detail.history.is_empty() {
            writeln!(out, "  History:")?;
            for change in &detail.history {
                writeln!(out, "    {}  {}", change.changed_at.format(&Rfc3339)?, change.cause)?;
            }
        }
        for action in &detail.actions {
            writeln!(out, "  Action #{} of {}: {}", action.id, action.team, action.action.what)?;
        }
        writeln!(out)?;
    }
    store.close().await;
    Ok(if undecided { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_why(
    out: &mut impl Write,
    stored: &StoredFinding,
    assessment: &Assessment,
    decided_at: OffsetDateTime,
    cvss: &[Cvss],
) -> anyhow::Result<()> {
    let finding = &stored.finding;
    let component = finding
        .component
        .as_ref()
        .map(|c| format!(" in {} {}", c.name, c.installed_version.as_deref().unwrap_or("")))
        .unwrap_or_default();
    writeln!(
        out,
        "Finding #{}: {}{component} on {} {} (found by {})",
        stored.id,
        finding.display_id(),
        finding.target.kind.as_str().replace('_', " "),
        finding.target.name,
        finding.tool.name
    )?;
    writeln!(out, "  {}: {}", assessment.outcome.label(), assessment.reason)?;
    let points = &assessment.points;
    let because = &assessment.because;
    writeln!(out, "  Why:")?;
    writeln!(out, "    exploitation  {:<11} {}", points.exploitation.as_str(), because.exploitation)?;
    writeln!(out, "    exposure      {:<11} {}", points.exposure.as_str(), because.exposure)?;
    writeln!(out, "    automatable   {:<11} {}", points.automatable.as_str(), because.automatable)?;
    writeln!(out, "    human impact  {:<11} {}", points.human_impact.as_str(), because.human_impact)?;
    writeln!(out, "  Evidence:")?;
    for line in assessment.evidence_lines() {
        writeln!(out, "    {line}")?;
    }
    for score in cvss {
        writeln!(
            out,
            "    CVSS {}: {} ({})",
            score.score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "?".into()),
            score.vector,
            score.source.as_deref().unwrap_or("unnamed source")
        )?;
    }
    if let Some(who) = &assessment.evidence.not_affected {
        writeln!(out, "    Not affected: {who}")?;
    }
    writeln!(
        out,
        "  Decided {} with tree \"{}\" version {}.",
        decided_at.format(&Rfc3339)?,
        assessment.tree.name,
        assessment.tree.version
    )?;
    Ok(())
}
