//! `rapport incident`: record an incident the security team handled, list them, show one.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use rapport_formats::parse_incident;
use rapport_workflows::{incident_detail, record_incident};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::commands::{now, open};

/// How a moment is shown to people: to the minute, in UTC.
const MINUTE: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Record an incident from its file (TOML: summary, timeline, assets, indicators, ATT&CK
    /// techniques, malware, threat actor, response, lessons).
    Add {
        file: PathBuf,
        /// The member of the security team recording it, by email.
        #[arg(long)]
        by: Option<String>,
    },
    /// Every incident recorded, the latest first.
    List {
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One incident: what happened, the assets it touched and their owners, its history.
    Show {
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn incident(database: &str, command: IncidentCommand) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    match command {
        IncidentCommand::Add { file, by } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let incident = parse_incident(&text).with_context(|| format!("{}", file.display()))?;
            let store = open(database).await?;
            let id = record_incident(&store, &incident, by.as_deref(), now()).await;
            store.close().await;
            let id = id.with_context(|| format!("{}: nothing was recorded", file.display()))?;
            writeln!(out, "Recorded incident #{id}: {}", incident.summary)?;
        }
        IncidentCommand::List { json } => {
            let store = open(database).await?;
            let incidents = store.incidents().await;
            store.close().await;
            let incidents = incidents?;
            if incidents.is_empty() && !json {
                writeln!(out, "No incident is recorded. Record one with `rapport incident add FILE`.")?;
            }
            for stored in incidents {
                let at = stored.recorded_at.format(&Rfc3339)?;
                if json {
                    let line = json!({ "id": stored.id, "summary": stored.incident.summary, "recorded_at": at,
                        "recorded_by": stored.recorded_by, "indicators": stored.incident.indicators.len() });
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(
                        out,
                        "#{:<4} {}  {}",
                        stored.id,
                        at.get(..10).unwrap_or(&at),
                        stored.incident.summary
                    )?;
                }
            }
        }
        IncidentCommand::Show { id, json } => {
            let store = open(database).await?;
            let detail = incident_detail(&store, id).await;
            store.close().await;
            let detail = detail?;
            let incident = &detail.stored.incident;
            if json {
                let owners: Vec<_> = detail
                    .assets
                    .iter()
                    .map(|asset| json!({ "name": asset.asset.name, "hostname": asset.hostname, "team": asset.ownership.team }))
                    .collect();
                let history: Vec<_> = detail
                    .history
                    .iter()
                    .map(|event| {
                        let at = event.at.format(&Rfc3339).unwrap_or_default();
                        json!({ "at": at, "kind": event.kind.as_str(), "detail": event.detail })
                    })
                    .collect();
                let line = json!({ "id": detail.stored.id, "incident": incident, "assets": owners, "history": history });
                writeln!(out, "{line}")?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(out, "Incident #{}: {}", detail.stored.id, incident.summary)?;
            writeln!(out, "\nWhat happened")?;
            for moment in &incident.timeline {
                writeln!(out, "  {}  {}", moment.at.format(MINUTE)?, moment.what)?;
            }
            if !detail.assets.is_empty() {
                writeln!(out, "\nAssets it touched")?;
                for asset in &detail.assets {
                    let team = asset.ownership.team.as_deref().unwrap_or("no owner yet");
                    let name = asset.hostname.as_deref().unwrap_or(&asset.asset.name);
                    writeln!(out, "  {name} ({team})")?;
                }
            }
            if !incident.indicators.is_empty() {
                writeln!(out, "\nIndicators")?;
                for indicator in &incident.indicators {
                    let note = indicator.note.as_deref().map(|note| format!(": {note}")).unwrap_or_default();
                    writeln!(out, "  {:<13} {}{note}", indicator.kind.as_str(), indicator.value)?;
                }
            }
            for (heading, items) in
                [("ATT&CK techniques", &incident.techniques), ("Malware", &incident.malware)]
            {
                if !items.is_empty() {
                    writeln!(out, "\n{heading}: {}", items.join(", "))?;
                }
            }
            if let Some(actor) = &incident.threat_actor {
                writeln!(out, "\nThreat actor: {actor}")?;
            }
            writeln!(out, "\nWhat was done\n  {}", incident.response)?;
            if !incident.lessons.is_empty() {
                writeln!(out, "\nLessons learned\n  {}", incident.lessons)?;
            }
            writeln!(out, "\nHistory")?;
            for event in &detail.history {
                let by = event.actor.email().unwrap_or("the security team");
                writeln!(out, "  {}  {} by {by}", event.at.format(MINUTE)?, event.kind.label())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
