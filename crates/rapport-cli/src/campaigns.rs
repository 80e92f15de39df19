//! Hygiene campaigns: the catalogue in force (shipped, and applied by the security team),
//! checking and applying a campaign file, and where each person stands in a campaign.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use rapport_core::words::count;
use rapport_core::{Audience, Campaign};
use rapport_formats::{DEFAULT_CAMPAIGNS, parse_campaign};
use rapport_storage::Store;
use rapport_workflows::{
    CampaignFigures, CampaignPeople, CampaignReport, apply_campaign, campaign_figures, campaign_people,
    campaigns_in_force, schedule_campaigns, switch_campaign,
};
use time::OffsetDateTime;

use crate::commands::{now, open};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// The campaigns in force: each one's goal, caps and nudges.
    List,
    /// Print a campaign's file as it is in force, to copy and edit.
    Show { name: String },
    /// Check a campaign file: every fact, test, cap and nudge; a mistake is named with its line.
    Check { file: PathBuf },
    /// Apply a campaign file: a new campaign, or one replacing the campaign of its name.
    Apply { file: PathBuf },
    /// Who is in a campaign, how often they were nudged, and whose devices show the habit.
    Status {
        name: String,
        /// Only the people of this team ("" for people in no team).
        #[arg(long)]
        team: Option<String>,
    },
    /// Switch a campaign off: nobody in it is nudged or thanked until it is on again.
    Off { name: String },
    /// Switch a campaign back on; a shipped one is the shipped one again.
    On { name: String },
    /// Schedule every campaign now: who joins, who is nudged, who is thanked (the server's
    /// clock does this on each tick; the nudges are composed with the other messages).
    Schedule {
        /// Run as of this moment (RFC 3339, e.g. 2026-12-20T09:00:00Z) instead of now.
        #[arg(long, value_parser = crate::events::parse_moment)]
        at: Option<time::OffsetDateTime>,
    },
}

pub async fn campaign(database: &str, command: CampaignCommand) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    match command {
        CampaignCommand::List => {
            let store = open(database).await?;
            for campaign in campaigns_in_force(&store).await? {
                writeln!(out, "{}", summary(&campaign))?;
            }
            store.close().await;
        }
        CampaignCommand::Show { name } => {
            let store = open(database).await?;
            let applied = store.campaign_files().await?;
            let text = match applied.into_iter().find(|file| file.name == name) {
                Some(file) => file.content,
                None => DEFAULT_CAMPAIGNS
                    .iter()
                    .find(|(known, _)| *known == name)
                    .map(|(_, text)| (*text).to_owned())
                    .ok_or_else(|| {
                        anyhow::anyhow!("no campaign {name:?}; `rapport campaign list` names them")
                    })?,
            };
            write!(out, "{text}")?;
            store.close().await;
        }
        CampaignCommand::Check { file } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let campaign = parse_campaign(&text).with_context(|| format!("{} is refused", file.display()))?;
            writeln!(out, "{} is sound.\n{}", file.display(), summary(&campaign))?;
        }
        CampaignCommand::Apply { file } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let store = open(database).await?;
            let campaign = apply_campaign(&store, &file.display().to_string(), &text, None, now()).await?;
            writeln!(out, "Applied.\n{}", summary(&campaign))?;
            store.close().await;
        }
        CampaignCommand::Off { name } => writeln!(out, "{}", switch(database, &name, false).await?)?,
        CampaignCommand::On { name } => writeln!(out, "{}", switch(database, &name, true).await?)?,
        CampaignCommand::Schedule { at } => {
            let store = open(database).await?;
            let report = schedule_campaigns(&store, at.unwrap_or_else(now)).await?;
            for event in &report.recorded {
                writeln!(out, "{}: {}", event.subject.as_deref().unwrap_or_default(), event.detail)?;
            }
            let quiet = "Campaigns: nobody joined, was nudged or was thanked.".to_owned();
            writeln!(out, "{}", scheduled(&report).unwrap_or(quiet))?;
            store.close().await;
        }
        CampaignCommand::Status { name, team } => {
            let store = open(database).await?;
            let CampaignPeople { campaign, people } = campaign_people(&store, &name, team.as_deref()).await?;
            let figures = campaign_figures(&store).await?.into_iter().find(|figures| figures.name == name);
            writeln!(
                out,
                "{}: {} in it, {} of them showing the habit now.",
                campaign.name,
                count(people.len(), "person", "people"),
                people.iter().filter(|person| person.habit_at.is_some()).count()
            )?;
            if let (Some(figures), None) = (&figures, &team) {
                writeln!(out, "{}", figures_line(figures))?;
            }
            for person in &people {
                let state = match person.habit_at {
                    Some(at) => format!("habit shown {}", at.date()),
                    None => format!(
                        "gap since {}, {} of {}",
                        person.gap_since.date(),
                        count(person.nudged, "nudge", "nudges"),
                        campaign.exposures.lifetime
                    ),
                };
                let held = person.tally.held_by_budget + person.tally.held_for_the_day;
                let held = if held == 0 {
                    String::new()
                } else {
                    format!("; held {}", count(held as usize, "time", "times"))
                };
                let team = person.team.as_deref().unwrap_or("no team");
                writeln!(out, "  {} ({team}): {state}{held}", person.person)?;
            }
            store.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Switches a campaign on or off, and says what it did.
async fn switch(database: &str, name: &str, on: bool) -> anyhow::Result<String> {
    let store = open(database).await?;
    let changed = switch_campaign(&store, name, on, None, now()).await?;
    store.close().await;
    Ok(match (changed, on) {
        (true, true) => format!("Campaign {name} is on again."),
        (true, false) => {
            format!(
                "Campaign {name} is off: nobody in it is nudged or thanked until `rapport campaign on {name}`."
            )
        }
        (false, true) => format!("Campaign {name} was on already."),
        (false, false) => format!("Campaign {name} was off already."),
    })
}

/// The demo's campaigns: who the sample inventory shows a gap for, and the nudges due now.
pub async fn demo_campaigns(store: &Store, at: OffsetDateTime) -> anyhow::Result<()> {
    let report = schedule_campaigns(store, at).await?;
    let mut out = crate::printable::stdout();
    let campaigns = campaigns_in_force(store).await?;
    writeln!(
        out,
        "\n{} in force (`rapport campaign list`); the sample inventory shows {}, and nobody gets more \
         than one nudge a day.",
        count(campaigns.len(), "hygiene campaign", "hygiene campaigns"),
        count(report.joined, "gap", "gaps")
    )?;
    for event in &report.recorded {
        writeln!(out, "  {}: {}", event.subject.as_deref().unwrap_or_default(), event.detail)?;
    }
    Ok(())
}

/// A campaign's figures in one line.
fn figures_line(figures: &CampaignFigures) -> String {
    let adoption = figures
        .adoption
        .map_or("no one in it yet".to_owned(), |share| format!("adoption {:.0}%", share * 100.0));
    let median = figures.median_days_to_habit.map_or(String::new(), |days| {
        format!("; the habit showed {days:.1} days after the first nudge, at the median")
    });
    format!(
        "{adoption}, {} sent ({} held by a spent weekly budget, {} for a nudge already that day){median}; \
         answers: {} done, {} can't; {} closed the gap before any nudge.",
        count(figures.nudges, "nudge", "nudges"),
        figures.held_by_budget,
        figures.held_for_the_day,
        figures.said_done,
        figures.said_cannot,
        figures.adopted_before_a_nudge
    )
}

/// What a tick's campaigns did, when they did anything.
pub fn scheduled(report: &CampaignReport) -> Option<String> {
    let held = report.held_by_budget + report.held_for_the_day;
    if report.joined + report.nudged + report.thanked + held == 0 {
        return None;
    }
    Some(format!(
        "Campaigns: {} joined, {} nudged, {} thanked; {} held ({} by the weekly budget, {} for having had one today).",
        report.joined, report.nudged, report.thanked, held, report.held_by_budget, report.held_for_the_day
    ))
}

fn summary(campaign: &Campaign) -> String {
    let caps = &campaign.exposures;
    let mut audiences: Vec<Audience> = campaign.nudges.iter().map(|nudge| nudge.audience).collect();
    audiences.dedup();
    let written: Vec<String> = audiences
        .iter()
        .map(|audience| format!("{} for the {}", campaign.nudges_for(*audience).count(), audience.label()))
        .collect();
    format!(
        "{:<16} {}\n{:<16} at most {} in all, {} a week, {} a day; the first {} after the gap shows; again {} \
         after the habit showed, if the gap comes back; nudges: {}",
        campaign.name,
        campaign.goal,
        "",
        count(caps.lifetime, "nudge", "nudges"),
        caps.per_week,
        caps.per_day,
        count(caps.grace_days, "day", "days"),
        count(caps.rearm_after_days, "day", "days"),
        written.join(", ")
    )
}
