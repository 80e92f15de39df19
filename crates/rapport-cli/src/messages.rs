//! Messages: `messages preview` composes the latest event of a kind for one audience, with
//! its scores; `messages list` and `messages show` read what was composed (each person's
//! inbox); `messages compose` composes every event not yet told.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rapport_core::words::count;
use rapport_core::{Audience, EventKind, Readability, ReadingTarget, Route};
use rapport_storage::{MessageFilter, StoredMessage};
use rapport_workflows::{
    apply_template, compose_messages, preview_message, reset_template, template_states, templates_in_force,
};
use serde_json::json;

use crate::commands::{now, open};

#[derive(Debug, Subcommand)]
pub enum MessagesCommand {
    /// Compose the latest event of a kind for one audience and print it with its readability.
    Preview(PreviewArgs),
    /// The messages composed, newest first: everyone's, one team's or one person's inbox.
    List(ListArgs),
    /// One message in full, with its readability.
    Show { id: i64 },
    /// Compose the messages of every event not yet told (the clock does this on each tick).
    Compose,
    /// The templates: each topic and audience, shipped or replaced; `--export DIR` writes them
    /// all as files to edit.
    Templates {
        #[arg(long)]
        export: Option<std::path::PathBuf>,
    },
    /// One template: show it, replace it with a file (checked first; refused with its line), or
    /// go back to the one Rapport ships.
    #[command(subcommand)]
    Template(TemplateCommand),
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Print a template in force.
    Show { name: String },
    /// Replace a template with FILE, named by the file (`action_due_soon.manager.jinja`) unless
    /// --name says otherwise.
    Apply {
        file: std::path::PathBuf,
        #[arg(long)]
        name: Option<String>,
    },
    /// Go back to the template Rapport ships.
    Reset { name: String },
}

/// The outbox: what is queued, sent, retried or given up.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    command: Option<OutboxCommand>,
    /// Only deliveries in this state: queued, sending, retry, sent or dead.
    #[arg(long, value_parser = ["queued", "sending", "retry", "sent", "dead"])]
    state: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Queue a given-up delivery again, now.
    Retry { id: i64 },
    /// Deliver what is due now, by the channels the server's settings set up, until nothing
    /// is due (the server does this every two seconds).
    Deliver {
        /// The server's settings file ([smtp], public_url).
        #[arg(long)]
        config: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The kind of event: action_opened, action_due_soon, action_overdue, action_verified,
    /// action_closed, action_reopened, done_refuted, exception_granted, exception_rejected,
    /// exception_expiring, emergency_declared, policy_applied, ownership_disputed or
    /// security_replied.
    #[arg(value_parser = crate::events::parse_kind)]
    event: EventKind,
    /// Whose words: end-user, engineer, manager or executive.
    #[arg(long, value_parser = parse_audience)]
    audience: Audience,
    /// The latest such event of this team.
    #[arg(long)]
    team: Option<String>,
    /// Write it to this person of the directory, by email (their name, their time zone).
    #[arg(long)]
    person: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// One person's inbox, by email.
    #[arg(long)]
    person: Option<String>,
    #[arg(long)]
    team: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

fn parse_audience(word: &str) -> Result<Audience, String> {
    Audience::parse(word)
        .ok_or_else(|| format!("{word:?} is not an audience; say end-user, engineer, manager or executive"))
}

pub async fn messages(database: &str, command: MessagesCommand) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let templates = templates_in_force(&store).await?;
    let mut out = crate::printable::stdout();
    match command {
        MessagesCommand::Preview(args) => {
            let preview = preview_message(
                &store,
                &templates,
                args.event,
                args.audience,
                args.team.as_deref(),
                args.person.as_deref(),
                now(),
            )
            .await?;
            let message = &preview.message;
            writeln!(out, "Subject: {}\n\n{}", message.subject, message.text())?;
            let from = match preview.event {
                Some(id) => format!("from event #{id}"),
                None => format!("from sample facts: no {} event is recorded yet", args.event.as_str()),
            };
            writeln!(out, "-- for {} as {}, {from}", args.audience.label(), preview.reader)?;
            writeln!(out, "-- {}", scores(&message.readability, args.audience))?;
        }
        MessagesCommand::List(args) => {
            let filter = MessageFilter {
                recipient: args.person,
                team: args.team,
                limit: Some(args.limit),
                ..MessageFilter::default()
            };
            for stored in store.messages(&filter).await? {
                if args.json {
                    writeln!(out, "{}", message_json(&stored))?;
                } else {
                    let route = match &stored.message.route {
                        Route::Send { .. } if stored.message.topic == rapport_core::Topic::Digest => "digest",
                        Route::Send { at, .. } if *at > stored.composed_at => "held",
                        Route::Send { .. } => "sent",
                        Route::Digest { .. } => "waits",
                        Route::Dropped { .. } => "dropped",
                    };
                    writeln!(
                        out,
                        "{:>6} {} {:<7} {} ({}) {}",
                        stored.id,
                        crate::printable::moment(stored.composed_at),
                        route,
                        stored.message.recipient,
                        stored.message.audience.label(),
                        stored.message.subject
                    )?;
                }
            }
        }
        MessagesCommand::Show { id } => {
            let Some(stored) = store.message(id).await? else {
                anyhow::bail!("there is no message #{id} (see `rapport messages list`)");
            };
            let message = &stored.message;
            writeln!(
                out,
                "To: {} <{}>, as {}",
                message.recipient_name,
                message.recipient,
                message.audience.label()
            )?;
            writeln!(
                out,
                "Subject: {}\n\n{}\n\n{}\n{}\n",
                message.subject, message.body, message.ask, message.link
            )?;
            let from = match message.event {
                Some(event) => format!("from event #{event}"),
                None => "a digest".to_owned(),
            };
            let composed = crate::printable::moment(stored.composed_at);
            writeln!(out, "-- {from}, composed {composed}; {}", route_words(&message.route))?;
            writeln!(out, "-- {}", scores(&message.readability, message.audience))?;
            if message.answerable() {
                let link = rapport_workflows::answer_link(&store, stored.id, stored.composed_at).await?;
                writeln!(out, "-- answered without signing in at {link} (for 30 days, once)")?;
            }
        }
        MessagesCommand::Compose => {
            let report = compose_messages(&store, &templates, now()).await?;
            writeln!(out, "{}", composed(&report))?;
        }
        MessagesCommand::Templates { export } => {
            for state in template_states(&store).await? {
                let name = state.name;
                let source = templates.source(name).unwrap_or_default();
                if let Some(folder) = &export {
                    std::fs::create_dir_all(folder)?;
                    std::fs::write(folder.join(name.file_name()), source)?;
                }
                let stands = match (&state.replaced, &state.refused) {
                    (Some(_), Some(refused)) => format!("replaced, but not in force: {refused}"),
                    (Some(replaced), None) => format!(
                        "replaced by {} on {}",
                        replaced.applied_by,
                        crate::printable::moment(replaced.applied_at)
                    ),
                    (None, _) => "as shipped".to_owned(),
                };
                writeln!(out, "{:<36} {stands}", name.to_string())?;
            }
            if let Some(folder) = export {
                writeln!(
                    out,
                    "Written to {}; edit one and `rapport messages template apply FILE`.",
                    folder.display()
                )?;
            }
        }
        MessagesCommand::Template(TemplateCommand::Show { name }) => {
            let template = rapport_messages::TemplateName::parse(&name).ok_or_else(|| {
                anyhow::anyhow!("there is no template {name:?} (see `rapport messages templates`)")
            })?;
            write!(out, "{}", templates.source(template).unwrap_or_default())?;
        }
        MessagesCommand::Template(TemplateCommand::Apply { file, name }) => {
            let source =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = name.unwrap_or_else(|| {
                file.file_name()
                    .map(|name| name.to_string_lossy().trim_end_matches(".jinja").to_owned())
                    .unwrap_or_default()
            });
            let by = crate::server::operating_system_user();
            let applied = apply_template(&store, &name, &source, &by, now()).await.with_context(|| {
                format!("{} was not applied; the template in force stays", file.display())
            })?;
            writeln!(out, "{applied} is replaced; messages from now on are written with it.")?;
        }
        MessagesCommand::Template(TemplateCommand::Reset { name }) => {
            let by = crate::server::operating_system_user();
            if reset_template(&store, &name, &by, now()).await? {
                writeln!(out, "{name} is back to the template Rapport ships.")?;
            } else {
                writeln!(out, "{name} was not replaced; it is the template Rapport ships.")?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// "Composed 12 messages from 30 new events: 2 sent now, ..."
pub fn composed(report: &rapport_workflows::ComposeReport) -> String {
    format!(
        "Composed {} from {}: {} now, {} for quiet hours, {} for digests, {} as repeats; {}.",
        count(report.messages, "message", "messages"),
        count(report.events, "new event", "new events"),
        count(report.sent_now, "sent", "sent"),
        count(report.held, "held", "held"),
        count(report.in_digests, "kept", "kept"),
        count(report.dropped, "dropped", "dropped"),
        count(report.digests, "digest sent", "digests sent"),
    )
}

/// Where noise control sent a message, in words.
fn route_words(route: &Route) -> String {
    let because =
        |reason: &Option<String>| reason.as_ref().map(|reason| format!(" ({reason})")).unwrap_or_default();
    match route {
        Route::Send { at, counted, reason } => format!(
            "sent {}{}{}",
            crate::printable::moment(*at),
            if *counted { "" } else { ", counted against no budget" },
            because(reason)
        ),
        Route::Digest { at, reason } => {
            format!("kept for the digest due {} ({reason})", crate::printable::moment(*at))
        }
        Route::Dropped { reason } => format!("dropped ({reason})"),
    }
}

/// "reading ease 78, grade 4.7, 65 words, longest sentence 15 words: meets the manager's target"
fn scores(scores: &Readability, audience: Audience) -> String {
    let target = ReadingTarget::for_audience(audience);
    let missed = target.misses(scores);
    let verdict = if missed.is_empty() {
        format!(
            "meets the {} target (grade {:.0}, sentences of {} words at most)",
            audience.label(),
            target.max_grade,
            target.max_sentence_words
        )
    } else {
        format!("misses the {} target: it {}", audience.label(), missed.join(" and "))
    };
    format!(
        "reading ease {:.0}, grade {:.1}, {} words, longest sentence {} words, {} characters: {verdict}",
        scores.reading_ease, scores.grade, scores.words, scores.longest_sentence, scores.characters
    )
}

fn message_json(stored: &StoredMessage) -> serde_json::Value {
    let message = &stored.message;
    json!({
        "id": stored.id,
        "event": message.event,
        "composed_at": crate::printable::moment(stored.composed_at),
        "recipient": message.recipient,
        "recipient_name": message.recipient_name,
        "audience": message.audience.as_str(),
        "topic": message.topic.as_str(),
        "team": message.team,
        "action": message.action,
        "subject": message.subject,
        "body": message.body,
        "ask": message.ask,
        "link": message.link,
        "readability": message.readability,
        "route": route_words(&message.route),
        "digest": stored.digest,
    })
}

pub async fn outbox(database: &str, args: OutboxArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let mut out = crate::printable::stdout();
    if let Some(OutboxCommand::Deliver { config }) = &args.command {
        let settings =
            rapport_server::ServerConfig::load(config.as_deref(), |name| std::env::var(name).ok())?;
        let channels = settings.channels().map_err(anyhow::Error::msg)?;
        if !channels.delivering() {
            anyhow::bail!(
                "no channel is set up: give the server's settings file with an [smtp], [slack], [teams] or [webhook] section (--config)"
            );
        }
        let report = rapport_workflows::deliver_due(&store, &channels, now).await?;
        writeln!(
            out,
            "Delivered {}; {} to try again later; {}.",
            count(report.sent, "message", "messages"),
            report.retried,
            count(report.given_up, "given up", "given up")
        )?;
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(OutboxCommand::Retry { id }) = args.command {
        if !store.retry_delivery(id, now()).await? {
            anyhow::bail!("there is no given-up delivery #{id} (see `rapport outbox --state dead`)");
        }
        writeln!(out, "Delivery #{id} is queued again.")?;
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    for delivery in store.deliveries(args.state.as_deref(), args.limit).await? {
        if args.json {
            let line = json!({
                "id": delivery.id,
                "message": delivery.message,
                "channel": delivery.channel,
                "state": delivery.state,
                "attempts": delivery.attempts,
                "next_attempt_at": crate::printable::moment(delivery.next_attempt_at),
                "last_error": delivery.last_error,
                "sent_at": delivery.sent_at.map(crate::printable::moment),
                "recipient": delivery.recipient,
                "subject": delivery.subject,
            });
            writeln!(out, "{line}")?;
        } else {
            let why = delivery.last_error.map(|error| format!(" ({error})")).unwrap_or_default();
            writeln!(
                out,
                "{:>6} {:<7} {} #{} to {}, {}: {}{why}",
                delivery.id,
                delivery.state,
                delivery.channel,
                delivery.message,
                delivery.recipient,
                count(delivery.attempts, "attempt", "attempts"),
                delivery.subject
            )?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
