//! The event stream and the clock: `events` lists what happened, `tick` runs the clock's work
//! once (the server runs it on a schedule).

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use rapport_core::EventKind;
use rapport_storage::{EventFilter, StoredEvent};
use rapport_workflows::{compose_messages, tick};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::commands::{now, open};

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events after this one (a cursor: the id of the last event already read).
    #[arg(long, default_value_t = 0)]
    since: i64,
    /// Only events of this kind (action_opened, action_overdue, exception_granted...).
    #[arg(long, value_parser = parse_kind)]
    kind: Option<EventKind>,
    /// Only one team's events.
    #[arg(long)]
    team: Option<String>,
    /// At most this many.
    #[arg(long)]
    limit: Option<i64>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

pub(crate) fn parse_kind(word: &str) -> Result<EventKind, String> {
    EventKind::parse(word).ok_or_else(|| {
        let kinds: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("{word:?} is not a kind of event; the kinds are {}", kinds.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct TickArgs {
    /// Run as of this moment (RFC 3339, e.g. 2026-12-20T09:00:00Z) instead of now.
    #[arg(long, value_parser = parse_moment)]
    at: Option<OffsetDateTime>,
    /// One JSON object per recorded event.
    #[arg(long)]
    json: bool,
}

pub(crate) fn parse_moment(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|error| format!("{text:?} is not an RFC 3339 time such as 2026-12-20T09:00:00Z: {error}"))
}

/// An event as one JSON object, the same wherever the command line prints one.
pub fn event_json(event: &StoredEvent) -> serde_json::Value {
    json!({
        "id": event.id,
        "at": event.at.format(&Rfc3339).unwrap_or_default(),
        "kind": event.kind.as_str(),
        "actor": {"kind": event.actor.kind(), "email": event.actor.email()},
        "team": event.team,
        "action": event.action,
        "subject": event.subject,
        "detail": event.detail,
        "facts": event.facts,
    })
}

pub async fn events(database: &str, args: EventsArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let filter =
        EventFilter { after: args.since, kind: args.kind, team: args.team, action: None, limit: args.limit };
    let events = store.events(&filter).await?;
    let mut out = crate::printable::stdout();
    for event in &events {
        if args.json {
            writeln!(out, "{}", event_json(event))?;
        } else {
            let on = match (event.action, &event.team) {
                (Some(action), Some(team)) => format!(" #{action} ({team})"),
                (None, Some(team)) => format!(" ({team})"),
                _ => String::new(),
            };
            let by = event.actor.email().map_or_else(|| event.actor.kind().to_owned(), str::to_owned);
            writeln!(
                out,
                "{:>6} {} {}{on} by {by}: {}",
                event.id,
                crate::printable::moment(event.at),
                event.kind.as_str(),
                event.detail
            )?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn run_tick(database: &str, args: TickArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let at = args.at.unwrap_or_else(now);
    let report = tick(&store, at).await?;
    let composed =
        compose_messages(&store, &rapport_workflows::templates_in_force(&store).await?, at).await?;
    let mut out = crate::printable::stdout();
    if args.json {
        for event in &report.recorded {
            let line = json!({
                "kind": event.kind.as_str(), "team": event.team, "action": event.action,
                "detail": event.detail, "facts": event.facts,
            });
            writeln!(out, "{line}")?;
        }
    } else {
        writeln!(
            out,
            "The clock recorded {} new event{}; {} exception{} ended.",
            report.recorded.len(),
            if report.recorded.len() == 1 { "" } else { "s" },
            report.exceptions_ended,
            if report.exceptions_ended == 1 { "" } else { "s" },
        )?;
        for event in &report.recorded {
            let action = event.action.map(|id| format!(" #{id}")).unwrap_or_default();
            writeln!(out, "{}{action}: {}", event.kind.as_str(), event.detail)?;
        }
        if let Some(line) = crate::campaigns::scheduled(&report.campaigns) {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "{}", crate::messages::composed(&composed))?;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
