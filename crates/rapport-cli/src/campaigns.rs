//! Hygiene campaigns: the ones Rapport ships, and checking a campaign file before it is used.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use rapport_core::words::count;
use rapport_core::{Audience, Campaign};
use rapport_formats::{DEFAULT_CAMPAIGNS, parse_campaign};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// The campaigns Rapport ships: each one's goal, caps and nudges.
    List,
    /// Print a shipped campaign's file, to copy and edit.
    Show { name: String },
    /// Check a campaign file: every fact, test, cap and nudge; a mistake is named with its line.
    Check { file: PathBuf },
}

pub fn campaign(command: CampaignCommand) -> anyhow::Result<ExitCode> {
    let mut out = crate::printable::stdout();
    match command {
        CampaignCommand::List => {
            for (name, text) in DEFAULT_CAMPAIGNS {
                let campaign =
                    parse_campaign(text).with_context(|| format!("the shipped campaign {name}"))?;
                writeln!(out, "{}", summary(&campaign))?;
            }
        }
        CampaignCommand::Show { name } => {
            let (_, text) = DEFAULT_CAMPAIGNS.iter().find(|(known, _)| *known == name).ok_or_else(|| {
                let names: Vec<&str> = DEFAULT_CAMPAIGNS.iter().map(|(known, _)| *known).collect();
                anyhow::anyhow!("no shipped campaign {name:?}; they are {}", names.join(", "))
            })?;
            write!(out, "{text}")?;
        }
        CampaignCommand::Check { file } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let campaign = parse_campaign(&text).with_context(|| format!("{} is refused", file.display()))?;
            writeln!(out, "{} is sound.\n{}", file.display(), summary(&campaign))?;
        }
    }
    Ok(ExitCode::SUCCESS)
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
