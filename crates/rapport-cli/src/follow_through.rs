//! Follow-through: the settings file (vendor feeds, automatic categories), fetching the
//! vendor feeds, and the drafts: list, preview with who would get each, edit, send, set aside.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use rapport_core::words::count;
use rapport_core::{DraftState, Wording};
use rapport_formats::parse_follow_through;
use rapport_storage::{Store, StoredDraft};
use rapport_workflows::{
    Drafted, Reach, WordingFor, apply_follow_through, directory_principal, dismiss_follow_through,
    draft_from_intel, edit_follow_through, feed_client, fetch_release_feeds, follow_through_drafts,
    preview_follow_through, send_follow_through,
};
use time::OffsetDateTime;

use crate::commands::{now, open};

#[derive(Debug, Subcommand)]
pub enum FollowThroughCommand {
    /// Check a settings file: its vendor feeds and automatic categories; a mistake is named with its line.
    Check { file: PathBuf },
    /// Put a settings file in force.
    Apply { file: PathBuf },
    /// Fetch every vendor feed the settings name (unless unchanged since the last fetch), and
    /// draft the releases that concern someone; then draft what new intel brings.
    Fetch,
    /// The drafts, newest first, with how many each would reach.
    List {
        /// Only drafts in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
    },
    /// A draft's words for each reader, and exactly who would get it. ADVISORY is the draft's
    /// number or the advisory's id (GHSA-jfh8-c2jp-5v3q, CVE-2021-44228).
    Preview { advisory: String },
    /// Change a draft's words for end users or for teams before it goes.
    Edit {
        id: i64,
        #[arg(long, value_enum)]
        audience: AudienceArg,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        body: String,
        /// The one thing to do.
        #[arg(long)]
        ask: String,
        /// Who edits it: an email of the security team in the directory.
        #[arg(long)]
        by: String,
    },
    /// Send a draft to everyone it concerns now.
    Send {
        id: i64,
        #[arg(long)]
        by: String,
    },
    /// Set a draft aside without a message.
    Dismiss {
        id: i64,
        #[arg(long)]
        by: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StateArg {
    Review,
    Sent,
    Dismissed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AudienceArg {
    /// The people whose own devices it concerns.
    EndUser,
    /// The teams whose systems it concerns.
    Team,
}

pub async fn follow_through(database: &str, command: FollowThroughCommand) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    match command {
        FollowThroughCommand::Check { file } => {
            let text = read(&file)?;
            let settings =
                parse_follow_through(&text).with_context(|| format!("{} is refused", file.display()))?;
            writeln!(
                out,
                "{} is sound: {}; automatic: {}.",
                file.display(),
                count(settings.feeds.len(), "vendor feed", "vendor feeds"),
                if settings.automatic.is_empty() { "none".to_owned() } else { settings.automatic.join(", ") }
            )?;
        }
        FollowThroughCommand::Apply { file } => {
            let text = read(&file)?;
            let store = open(database).await?;
            let settings =
                apply_follow_through(&store, &file.display().to_string(), &text, None, now()).await?;
            writeln!(out, "Applied: {}.", count(settings.feeds.len(), "vendor feed", "vendor feeds"))?;
            store.close().await;
        }
        FollowThroughCommand::Fetch => {
            let store = open(database).await?;
            let client = feed_client()?;
            let mut drafted = fetch_release_feeds(&store, &client, now()).await?;
            let from_intel = draft_from_intel(&store, now()).await?;
            drafted.drafts.extend(from_intel.drafts);
            drafted.sent.extend(from_intel.sent);
            writeln!(out, "{}", drafted_line(&drafted))?;
            for failure in &drafted.failed_feeds {
                eprintln!("error: {}", crate::printable::neutralised(failure));
            }
            store.close().await;
            if !drafted.failed_feeds.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        FollowThroughCommand::List { state } => {
            let store = open(database).await?;
            let state = state.map(|state| match state {
                StateArg::Review => DraftState::Review,
                StateArg::Sent => DraftState::Sent,
                StateArg::Dismissed => DraftState::Dismissed,
            });
            let drafts = follow_through_drafts(&store, state).await?;
            if drafts.is_empty() {
                writeln!(out, "No follow-through drafts.")?;
            }
            for draft in &drafts {
                writeln!(out, "{}", list_line(draft))?;
            }
            store.close().await;
        }
        FollowThroughCommand::Preview { advisory } => {
            let store = open(database).await?;
            let (draft, reach) = preview_follow_through(&store, &advisory).await?;
            print_preview(&mut out, &draft, &reach)?;
            store.close().await;
        }
        FollowThroughCommand::Edit { id, audience, subject, body, ask, by } => {
            let store = open(database).await?;
            let by = directory_principal(&store, &by, now()).await?;
            let for_whom = match audience {
                AudienceArg::EndUser => WordingFor::EndUser,
                AudienceArg::Team => WordingFor::Team,
            };
            let wording = Wording { subject, body, ask };
            edit_follow_through(&store, id, for_whom, &wording, &by, now()).await?;
            writeln!(out, "Draft #{id} changed; `rapport follow-through preview {id}` shows it.")?;
            store.close().await;
        }
        FollowThroughCommand::Send { id, by } => {
            let store = open(database).await?;
            let by = directory_principal(&store, &by, now()).await?;
            let reach = send_follow_through(&store, id, &by, now()).await?;
            writeln!(
                out,
                "Draft #{id} sent to {} and {}; the messages go out with the next tick.",
                count(reach.people.len(), "person", "people"),
                count(reach.teams.len(), "team", "teams")
            )?;
            store.close().await;
        }
        FollowThroughCommand::Dismiss { id, by } => {
            let store = open(database).await?;
            let by = directory_principal(&store, &by, now()).await?;
            dismiss_follow_through(&store, id, &by, now()).await?;
            writeln!(out, "Draft #{id} set aside.")?;
            store.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read(file: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

/// What a drafting run did, in one line.
pub fn drafted_line(drafted: &Drafted) -> String {
    format!(
        "Follow-through: {} waiting for review, {} sent by itself; {} unchanged since the last fetch.",
        count(drafted.drafts.len(), "new draft", "new drafts"),
        count(drafted.sent.len(), "draft", "drafts"),
        count(drafted.unchanged_feeds, "vendor feed", "vendor feeds")
    )
}

fn list_line(draft: &StoredDraft) -> String {
    let reached = match (draft.people, draft.teams) {
        (Some(people), Some(teams)) => {
            format!(
                ", went to {} and {}",
                count(people as usize, "person", "people"),
                count(teams as usize, "team", "teams")
            )
        }
        _ => String::new(),
    };
    let about =
        draft.advisory.vulnerabilities.first().map(|id| format!("{}: ", id.as_str())).unwrap_or_default();
    format!(
        "#{:<4} {:<9} {:<9} {about}{} ({}){reached}",
        draft.id,
        draft.state.as_str(),
        draft.advisory.category,
        draft.advisory.title,
        draft.advisory.source
    )
}

fn print_preview(out: &mut impl Write, draft: &StoredDraft, reach: &Reach) -> anyhow::Result<()> {
    let advisory = &draft.advisory;
    writeln!(
        out,
        "Draft #{} ({}), from {}: {}",
        draft.id,
        draft.state.as_str(),
        advisory.source,
        advisory.title
    )?;
    if let Some(link) = &advisory.link {
        writeln!(out, "  {link}")?;
    }
    let words = |out: &mut dyn Write, title: &str, wording: &Wording| -> std::io::Result<()> {
        writeln!(out, "\n{title}\n  Subject: {}\n", wording.subject)?;
        for line in wording.body.lines() {
            writeln!(out, "  {line}")?;
        }
        writeln!(out, "\n  {}", wording.ask)
    };
    if !reach.people.is_empty() {
        words(out, "For the people whose own devices it concerns:", &draft.wording.end_user)?;
    }
    if !reach.teams.is_empty() {
        words(out, "For the teams whose systems it concerns:", &draft.wording.team)?;
    }
    writeln!(
        out,
        "\nWho would get it: {}, {} for their own devices and {}.",
        count(reach.readers(), "reader", "readers"),
        count(reach.people.len(), "person", "people"),
        count(reach.teams.len(), "team", "teams")
    )?;
    for person in &reach.people {
        let team = person.team.as_deref().unwrap_or("no team");
        writeln!(out, "  {} <{}> ({team}), for {}", person.name, person.email, person.devices.join(", "))?;
    }
    for team in &reach.teams {
        let readers = if team.readers.is_empty() {
            "nobody in the directory to tell".to_owned()
        } else {
            format!("read by {}", team.readers.join(", "))
        };
        writeln!(out, "  team {}, {readers}, for {}", team.team, team.places.join(", "))?;
    }
    if !reach.unreached.is_empty() {
        writeln!(out, "Nobody to tell for: {}", reach.unreached.join(", "))?;
    }
    if draft.state == DraftState::Review {
        writeln!(
            out,
            "\nSend it with `rapport follow-through send {} --by EMAIL`, change it with `rapport follow-through edit`.",
            draft.id
        )?;
    }
    Ok(())
}

/// The demo's follow-through: the drafts the sample intel brings, and the first one's preview.
pub async fn demo_follow_through(store: &Store, at: OffsetDateTime) -> anyhow::Result<()> {
    let drafted = draft_from_intel(store, at).await?;
    let mut out = crate::printable::stdout();
    writeln!(out, "\n{}", drafted_line(&drafted))?;
    let drafts = follow_through_drafts(store, Some(DraftState::Review)).await?;
    for draft in &drafts {
        writeln!(out, "  {}", list_line(draft))?;
    }
    if let Some(first) = drafts.last() {
        writeln!(out, "\n`rapport follow-through preview {}`:", first.id)?;
        let (draft, reach) = preview_follow_through(store, &first.id.to_string()).await?;
        print_preview(&mut out, &draft, &reach)?;
    }
    Ok(())
}
