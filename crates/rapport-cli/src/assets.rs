//! The commands about what exists and who owns it: `inventory import`, `people import`,
//! `owners check|apply|explain|history` and `assets`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rapport_core::Software;
use rapport_formats::InventoryFormat;
use rapport_storage::{AssetFilter, AssetOwnership, AssetRecord};
use rapport_workflows::{
    Explanation, OwnershipChange, OwnershipPlan, apply_ownership, check_ownership, explain_ownership,
    import_directory, import_inventory,
};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::commands::{now, open};

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Import osquery results logs or Fleet host JSON; each file is one transaction.
    Import(InventoryImportArgs),
}

#[derive(Debug, Args)]
pub struct InventoryImportArgs {
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Force a format instead of detecting it: osquery or fleet.
    #[arg(long, value_parser = parse_inventory_format)]
    format: Option<InventoryFormat>,
    /// Print one JSON object per file.
    #[arg(long)]
    json: bool,
    /// Only store the devices: leave deciding, planning, campaigns and messages to the next
    /// `rapport tick` or the server's clock.
    #[arg(long)]
    no_plan: bool,
}

fn parse_inventory_format(name: &str) -> Result<InventoryFormat, String> {
    match name.to_ascii_lowercase().as_str() {
        "osquery" => Ok(InventoryFormat::OsqueryResults),
        "fleet" => Ok(InventoryFormat::Fleet),
        other => Err(format!("unknown inventory format {other:?}: expected osquery or fleet")),
    }
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Import people (CSV or SCIM 2.0 JSON) or teams (CSV with capacity and what each team
    /// is measured on); each file is one transaction.
    Import(PeopleImportArgs),
    /// List everyone, with their team, audience and how to reach them.
    List(JsonArgs),
    /// List the teams: what each is measured on, its weekly capacity and its people.
    Teams(JsonArgs),
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print one JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct PeopleImportArgs {
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print one JSON object per file.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum OwnersCommand {
    /// Show what a new version of the ownership file would change, without applying it.
    Check(OwnersFileArgs),
    /// Apply a new version of the ownership file (it is kept, with every earlier one), then
    /// decide and plan again what it changed.
    Apply(OwnersApplyArgs),
    /// Say who owns an asset and which rules decided it.
    Explain(ExplainArgs),
    /// List the versions of the ownership file applied so far.
    History,
    /// Print a version of the ownership file as it was applied (the one in force by default),
    /// to edit it or compare it with another.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The version number (`rapport owners history` lists them).
    version: Option<i64>,
}

#[derive(Debug, Args)]
pub struct OwnersFileArgs {
    /// The ownership file (TOML or YAML).
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct OwnersApplyArgs {
    #[command(flatten)]
    rules: OwnersFileArgs,
    /// Keep the decisions and plans as they are (`rapport assess` and `rapport plan` catch up).
    #[arg(long)]
    no_plan: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The asset's name or hostname.
    asset: String,
    /// A path inside the asset (a file of a repository), for rules that split it by path.
    #[arg(long)]
    path: Option<String>,
}

#[derive(Debug, Args)]
pub struct AssetsArgs {
    /// Only the assets no rule gives an owner: the security team's queue.
    #[arg(long)]
    unowned: bool,
    /// Print one JSON object per asset.
    #[arg(long)]
    json: bool,
    /// A device the inventory has not heard from in this many days is stale.
    #[arg(long, default_value_t = 7)]
    stale_after_days: u32,
    /// At most this many assets.
    #[arg(long)]
    limit: Option<u32>,
    /// Only the asset with this name or hostname.
    #[arg(long)]
    name: Option<String>,
    /// Also list each device's installed software.
    #[arg(long)]
    software: bool,
}

pub async fn inventory(database: &str, command: InventoryCommand) -> anyhow::Result<ExitCode> {
    let InventoryCommand::Import(args) = command;
    let store = open(database).await?;
    let mut failed = false;
    let mut imported = false;
    let mut out = crate::printable::stdout();
    for path in &args.files {
        match import_inventory(&store, path, args.format, now).await {
            Ok(report) => {
                imported = true;
                let summary = &report.summary;
                if args.json {
                    let line = json!({"file": path.display().to_string(), "format": report.format.name(),
                        "devices": summary.devices, "new_devices": summary.new_devices});
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(
                        out,
                        "{}: {} from {} ({} new)",
                        path.display(),
                        rapport_core::words::count(summary.devices, "device", "devices"),
                        report.format,
                        summary.new_devices
                    )?;
                }
            }
            Err(error) => {
                failed = true;
                eprintln!("error: {}", crate::printable::neutralised(&error.to_string()));
            }
        }
    }
    if imported && !args.no_plan {
        crate::commands::refresh_and_tell(&store, args.json).await?;
    }
    store.close().await;
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

pub async fn people(database: &str, command: PeopleCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let code = match command {
        PeopleCommand::Import(args) => import_people(&store, args).await?,
        PeopleCommand::List(args) => list_people(&store, args.json).await?,
        PeopleCommand::Teams(args) => list_teams(&store, args.json).await?,
    };
    store.close().await;
    Ok(code)
}

async fn list_people(store: &rapport_storage::Store, json: bool) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    let people = store.people().await?;
    if people.is_empty() && !json {
        writeln!(out, "No people yet: rapport people import FILE")?;
    }
    for person in people {
        if json {
            writeln!(out, "{}", serde_json::to_string(&person)?)?;
        } else {
            let reach =
                [&person.email, &person.chat].into_iter().flatten().cloned().collect::<Vec<_>>().join(", ");
            let team = person.team.as_deref().unwrap_or("no team");
            let inactive = if person.active { "" } else { " [inactive]" };
            writeln!(
                out,
                "{:<28} {:<20} {:<10} {reach}{inactive}",
                person.name,
                team,
                person.audience.as_str()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list_teams(store: &rapport_storage::Store, json: bool) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    let people = store.people().await?;
    let teams = store.teams().await?;
    if teams.is_empty() && !json {
        writeln!(out, "No teams yet: rapport people import teams.csv")?;
    }
    for team in teams {
        let members = people.iter().filter(|p| p.team.as_deref() == Some(team.name.as_str())).count();
        if json {
            let line = json!({"name": team.name, "measured_on": team.measured_on,
                "weekly_capacity_hours": team.weekly_capacity_hours, "people": members});
            writeln!(out, "{line}")?;
        } else {
            let capacity =
                team.weekly_capacity_hours.map_or("capacity unknown".to_owned(), |h| format!("{h} h/week"));
            let measured =
                team.measured_on.as_deref().map(|m| format!(", measured on: {m}")).unwrap_or_default();
            let members = rapport_core::words::count(members, "person", "people");
            writeln!(out, "{:<20} {members}, {capacity}{measured}", team.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn import_people(store: &rapport_storage::Store, args: PeopleImportArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut out = crate::printable::stdout();
    for path in &args.files {
        match import_directory(store, path, now).await {
            Ok(report) => {
                let summary = &report.summary;
                if args.json {
                    let line = json!({"file": path.display().to_string(), "format": report.format.name(),
                        "people": summary.people, "teams": summary.teams});
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(
                        out,
                        "{}: {} and {} from {}",
                        path.display(),
                        rapport_core::words::count(summary.people, "person", "people"),
                        rapport_core::words::count(summary.teams, "team", "teams"),
                        report.format
                    )?;
                }
            }
            Err(error) => {
                failed = true;
                eprintln!("error: {}", crate::printable::neutralised(&error.to_string()));
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

pub async fn owners(database: &str, command: OwnersCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    match command {
        OwnersCommand::Check(args) => {
            let mut changes = ChangePrinter::new(&mut out, args.json)?;
            let plan = check_ownership(&store, &args.file, now(), |change| changes.print(&change)).await?;
            changes.finish(&args.file, &plan, None)?;
        }
        OwnersCommand::Apply(OwnersApplyArgs { rules, no_plan }) => {
            let mut changes = ChangePrinter::new(&mut out, rules.json)?;
            let (version, plan) =
                apply_ownership(&store, &rules.file, now(), |change| changes.print(&change)).await?;
            changes.finish(&rules.file, &plan, Some(version))?;
            // An owner, criticality or exposure changed is evidence the decisions rest on.
            if plan.changed > 0 && !no_plan {
                crate::commands::refresh_and_tell(&store, rules.json).await?;
            }
        }
        OwnersCommand::Explain(args) => {
            for explanation in explain_ownership(&store, &args.asset, args.path.as_deref(), now()).await? {
                print_explanation(&mut out, &explanation)?;
            }
        }
        OwnersCommand::History => {
            let versions = store.ownership_versions().await?;
            if versions.is_empty() {
                writeln!(out, "No ownership file has been applied yet (rapport owners apply FILE).")?;
            }
            for version in versions {
                writeln!(
                    out,
                    "version {:<3} {}  {} ({}), {} changed",
                    version.id,
                    crate::printable::moment(version.applied_at),
                    rapport_core::words::count(version.rules, "rule", "rules"),
                    version.syntax,
                    rapport_core::words::count(version.changed_assets, "asset", "assets")
                )?;
            }
        }
        OwnersCommand::Show(args) => {
            let versions = store.ownership_versions().await?;
            let shown = match args.version {
                Some(number) => versions.into_iter().find(|version| version.id == number),
                None => versions.into_iter().next_back(),
            };
            match shown {
                Some(version) => write!(out, "{}", version.content)?,
                None => {
                    let which = args.version.map_or_else(
                        || "No ownership file has been applied yet".to_owned(),
                        |n| format!("There is no ownership version {n}"),
                    );
                    anyhow::bail!("{which} (rapport owners history lists them)");
                }
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn owner_words(ownership: &AssetOwnership) -> String {
    match (&ownership.team, &ownership.team_rule) {
        (Some(team), Some(rule)) => format!("{team} ({rule})"),
        (Some(team), None) => team.clone(),
        (None, _) => "nobody".into(),
    }
}

/// Changes listed in words; `--json` lists them all.
const CHANGES_SHOWN: usize = 50;

/// Prints the changes of an ownership version as they are found, then what it decided: in
/// words (the first few changes), or as one JSON object listing them all.
struct ChangePrinter<'o, W: Write> {
    out: &'o mut W,
    json: bool,
    printed: usize,
    /// The first write error, reported when the printing is done.
    failed: Option<std::io::Error>,
}

impl<'o, W: Write> ChangePrinter<'o, W> {
    fn new(out: &'o mut W, json: bool) -> anyhow::Result<Self> {
        if json {
            write!(out, "{{\"changes\":[")?;
        }
        Ok(ChangePrinter { out, json, printed: 0, failed: None })
    }

    fn print(&mut self, change: &OwnershipChange) {
        if self.failed.is_some() || (!self.json && self.printed >= CHANGES_SHOWN) {
            return;
        }
        let written = if self.json {
            let line = json!({"asset": change.asset.to_string(), "name": change.name,
                "before": ownership_json(&change.before), "after": ownership_json(&change.after)});
            write!(self.out, "{}{line}", if self.printed == 0 { "" } else { "," })
        } else {
            writeln!(self.out, "  {} {}: {}", change.asset.kind.as_str(), change.name, change_words(change))
        };
        self.printed += 1;
        self.failed = written.err();
    }

    fn finish(self, file: &Path, plan: &OwnershipPlan, version: Option<i64>) -> anyhow::Result<()> {
        if let Some(error) = self.failed {
            return Err(error.into());
        }
        let out = self.out;
        if self.json {
            let unknown: Vec<_> =
                plan.unknown_teams.iter().map(|(rule, team)| json!({"rule": rule, "team": team})).collect();
            let tail = json!({"file": file.display().to_string(), "version": version, "syntax": plan.syntax,
                "rules": plan.rules, "assets": plan.assets, "changed": plan.changed, "unowned": plan.unowned,
                "unknown_teams": unknown});
            let tail = tail.to_string();
            writeln!(out, "],{}", tail.strip_prefix('{').unwrap_or(&tail))?;
            return Ok(());
        }
        if plan.changed > self.printed {
            writeln!(out, "  ... and {} more (--json lists them all)", plan.changed - self.printed)?;
        }
        let verb = if version.is_some() { "changed" } else { "would change" };
        match version {
            Some(version) => write!(out, "Applied {} as ownership version {version}: ", file.display())?,
            None => write!(out, "Checked {} (not applied): ", file.display())?,
        }
        writeln!(
            out,
            "{} ({}) over {}; {} {verb}; {} without an owner.",
            rapport_core::words::count(plan.rules, "rule", "rules"),
            plan.syntax,
            rapport_core::words::count(plan.assets, "asset", "assets"),
            plan.changed,
            plan.unowned
        )?;
        if plan.unowned > 0 {
            writeln!(
                out,
                "Assets without an owner wait in the security team's queue: rapport assets --unowned"
            )?;
        }
        for (rule, team) in &plan.unknown_teams {
            writeln!(out, "warning: {rule} names team {team:?}, which no imported team has (a typo?)")?;
        }
        Ok(())
    }
}

fn change_words(change: &OwnershipChange) -> String {
    let (before, after) = (&change.before, &change.after);
    let mut parts = vec![format!("owner {} → {}", owner_words(before), owner_words(after))];
    if before.criticality != after.criticality {
        parts.push(format!(
            "criticality {} → {}",
            before.criticality.as_deref().unwrap_or("none"),
            after.criticality.as_deref().unwrap_or("none")
        ));
    }
    if before.exposure != after.exposure {
        parts.push(format!(
            "exposure {} → {}",
            before.exposure.as_deref().unwrap_or("none"),
            after.exposure.as_deref().unwrap_or("none")
        ));
    }
    parts.join("; ")
}

fn ownership_json(ownership: &AssetOwnership) -> serde_json::Value {
    json!({"team": ownership.team, "rule": ownership.team_rule, "criticality": ownership.criticality,
        "criticality_rule": ownership.criticality_rule, "exposure": ownership.exposure,
        "exposure_rule": ownership.exposure_rule, "version": ownership.version})
}

fn print_explanation(out: &mut impl Write, explanation: &Explanation) -> anyhow::Result<()> {
    let asset = &explanation.asset;
    let place = explanation.path.as_deref().map(|p| format!(", file {p}")).unwrap_or_default();
    writeln!(out, "{} {} ({}{place})", asset.asset.kind.as_str(), asset.display_name(), asset.source)?;
    let Some(version) = &explanation.version else {
        writeln!(out, "  No ownership file has been applied yet: rapport owners apply FILE")?;
        return Ok(());
    };
    let decided = &explanation.decided;
    match (&decided.team, &decided.team_rule) {
        (Some(team), Some(rule)) => writeln!(out, "  owner: {team}, decided by {rule}")?,
        _ => writeln!(
            out,
            "  owner: none. No rule gives it an owner, so it waits in the security team's queue (rapport assets --unowned)."
        )?,
    }
    if let (Some(value), Some(rule)) = (&decided.criticality, &decided.criticality_rule) {
        writeln!(out, "  criticality: {value}, decided by {rule}")?;
    }
    if let (Some(value), Some(rule)) = (&decided.exposure, &decided.exposure_rule) {
        writeln!(out, "  exposure: {value}, decided by {rule}")?;
    }
    writeln!(
        out,
        "  under ownership version {} (applied {})",
        version.id,
        crate::printable::moment(version.applied_at)
    )?;
    if explanation.matching.is_empty() {
        writeln!(out, "  no rule matches it")?;
    } else {
        writeln!(out, "  rules that match, first wins for each decision:")?;
        for rule in &explanation.matching {
            writeln!(out, "    {}: {}, when {}", rule.label, rule.decides.join(", "), rule.conditions)?;
        }
    }
    Ok(())
}

pub async fn assets(database: &str, args: AssetsArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let now = now();
    store.add_scan_targets_as_assets(now).await?;
    let filter = AssetFilter {
        unowned_only: args.unowned,
        name: args.name.clone(),
        limit: args.limit,
        devices_only: false,
    };
    let stale_before = now - time::Duration::days(i64::from(args.stale_after_days));
    let mut out = crate::printable::stdout();
    let mut shown = 0u64;
    let mut listed = Vec::new();
    store
        .each_asset(&filter, |asset| -> anyhow::Result<()> {
            shown += 1;
            let stale = asset.last_seen.is_some_and(|seen| seen < stale_before);
            if args.software && asset.software_count.is_some() {
                // Software is read after the listing, which holds the connection.
                listed.push((asset, stale));
            } else if args.json {
                writeln!(out, "{}", asset_json(&asset, stale, None)?)?;
            } else {
                writeln!(out, "{}", asset_line(&asset, stale, now))?;
            }
            Ok(())
        })
        .await?;
    for (asset, stale) in listed {
        let software = store.asset_software(asset.id).await?;
        if args.json {
            writeln!(out, "{}", asset_json(&asset, stale, Some(&software))?)?;
        } else {
            writeln!(out, "{}", asset_line(&asset, stale, now))?;
            for package in software {
                writeln!(out, "    {} {} ({})", package.name, package.version, package.source)?;
            }
        }
    }
    if !args.json && shown == 0 {
        let what = if args.unowned {
            "Every asset has an owner."
        } else {
            "No assets yet: import scans or inventory."
        };
        writeln!(out, "{what}")?;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn asset_json(
    asset: &AssetRecord,
    stale: bool,
    software: Option<&[Software]>,
) -> anyhow::Result<serde_json::Value> {
    let time = |t: Option<OffsetDateTime>| t.map(|t| t.format(&Rfc3339)).transpose();
    let mut line = json!({
        "id": asset.id, "kind": asset.asset.kind.as_str(), "name": asset.asset.name, "hostname": asset.hostname,
        "source": asset.source, "first_seen": asset.first_seen.format(&Rfc3339)?, "last_seen": time(asset.last_seen)?,
        "stale": stale, "owner": ownership_json(&asset.ownership), "facts": asset.facts,
        "software_count": asset.software_count,
    });
    if let (Some(software), Some(object)) = (software, line.as_object_mut()) {
        object.insert("software".into(), serde_json::to_value(software)?);
    }
    Ok(line)
}

fn asset_line(asset: &AssetRecord, stale: bool, now: OffsetDateTime) -> String {
    let mut state = Vec::new();
    if let Some(facts) = &asset.facts {
        let os: Vec<&str> = [&facts.os_name, &facts.os_version, &facts.os_build]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !os.is_empty() {
            state.push(os.join(" "));
        }
        let setting = |name: &str, value: Option<bool>| {
            value.map(|on| format!("{name} {}", if on { "on" } else { "off" }))
        };
        state.extend(setting("disk encryption", facts.disk_encrypted));
        state.extend(setting("firewall", facts.firewall));
        state.extend(setting("screen lock", facts.screen_lock));
        if let Some(user) = &facts.user {
            state.push(format!("used by {user}"));
        }
    }
    if let Some(seen) = asset.last_seen {
        let days = rapport_core::words::count((now - seen).whole_days(), "day", "days");
        state.push(if stale { format!("STALE: last seen {days} ago") } else { format!("seen {days} ago") });
    }
    let mut decided = vec![match asset.ownership.team {
        Some(_) => format!("owner {}", owner_words(&asset.ownership)),
        None => "no owner".to_owned(),
    }];
    decided.extend(asset.ownership.criticality.as_ref().map(|c| format!("criticality {c}")));
    decided.extend(asset.ownership.exposure.as_ref().map(|e| format!("exposure {e}")));
    let details = if state.is_empty() { String::new() } else { format!("  [{}]", state.join(", ")) };
    format!("{:<20} {}  {}{details}", asset.asset.kind.as_str(), asset.display_name(), decided.join(", "))
}

/// The demo's second half: the sample inventory and people, the sample ownership file, and
/// who owns what as a result.
pub async fn demo_ownership(
    store: &rapport_storage::Store,
    samples: &Path,
    at: OffsetDateTime,
) -> anyhow::Result<()> {
    let sorted = |folder: &str| -> anyhow::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(samples.join(folder))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        files.sort();
        Ok(files)
    };
    writeln!(crate::printable::stdout())?;
    for path in sorted("inventory")? {
        let report = import_inventory(store, &path, None, || at).await?;
        writeln!(
            crate::printable::stdout(),
            "{}: {} from {}",
            path.display(),
            rapport_core::words::count(report.summary.devices, "device", "devices"),
            report.format
        )?;
    }
    for path in sorted("people")? {
        let report = import_directory(store, &path, || at).await?;
        let summary = &report.summary;
        writeln!(
            crate::printable::stdout(),
            "{}: {} and {}",
            path.display(),
            rapport_core::words::count(summary.people, "person", "people"),
            rapport_core::words::count(summary.teams, "team", "teams")
        )?;
    }
    let rules = samples.join("ownership/ownership.toml");
    let (version, plan) = apply_ownership(store, &rules, at, |_| {}).await?;
    writeln!(
        crate::printable::stdout(),
        "{}: ownership version {version}, {} over {}; {} without an owner.",
        rules.display(),
        rapport_core::words::count(plan.rules, "rule", "rules"),
        rapport_core::words::count(plan.assets, "asset", "assets"),
        plan.unowned
    )?;
    writeln!(crate::printable::stdout(), "\nWho owns what, and the rule that decided it:")?;
    store
        .each_asset(&AssetFilter::default(), |asset| -> anyhow::Result<()> {
            writeln!(crate::printable::stdout(), "  {}", asset_line(&asset, false, at))?;
            Ok(())
        })
        .await?;
    Ok(())
}

/// The demo's third part: real KEV and EPSS excerpts, and what to fix first, and why.
pub async fn demo_intel(
    store: &rapport_storage::Store,
    samples: &Path,
    at: OffsetDateTime,
) -> anyhow::Result<()> {
    writeln!(crate::printable::stdout())?;
    let (reports, _) = rapport_workflows::import_intel(
        store,
        &samples.join("intel"),
        rapport_workflows::IntelOptions::default(),
        at,
    )
    .await?;
    for report in reports {
        let edition =
            report.edition.map(|e| format!(", edition {} of {}", e.version, e.date)).unwrap_or_default();
        writeln!(
            crate::printable::stdout(),
            "{}: {}{edition}: {}",
            report.path.display(),
            report.format,
            rapport_core::words::count(report.items, "item", "items")
        )?;
    }
    let report = rapport_workflows::assess_findings(store, at).await?;
    crate::assess::print_assess(&mut crate::printable::stdout(), &report, false)?;
    writeln!(crate::printable::stdout(), "\nWhat to fix first, and why:")?;
    let lines = store.decided_findings(None, 5).await?;
    crate::assess::print_decisions(&mut crate::printable::stdout(), &lines, false)?;
    Ok(())
}
