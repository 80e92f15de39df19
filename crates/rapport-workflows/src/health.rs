//! The relationship's health: every team's months and the security team's own record, counted
//! by `rapport-core`'s `health` from the event stream, for the command line, the pages and the
//! briefings alike.

use rapport_core::{Happened, Health, Win, health, months_to, wins};
use rapport_storage::{EventFilter, Store};
use time::OffsetDateTime;

use crate::PlanError;

/// The most months one view counts: two years.
pub const MOST_MONTHS: usize = 24;

/// The relationship's health over some months, and the teams' wins in them.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthReport {
    pub health: Health,
    /// Oldest first.
    pub wins: Vec<Win>,
}

/// The health of every team (only `team`'s when given) over the `months` up to the one of
/// `now`, the security team's record over the same months, and the teams' wins in them. A
/// team no event names is refused as not found.
pub async fn team_health(
    store: &Store,
    now: OffsetDateTime,
    months: usize,
    team: Option<&str>,
) -> Result<HealthReport, PlanError> {
    if !(1..=MOST_MONTHS).contains(&months) {
        return Err(rapport_core::Refusal::invalid(
            "months",
            format!("{months} months: give from 1 to {MOST_MONTHS}"),
        )
        .into());
    }
    let months = months_to(now.date(), months);
    let from = months.first().map_or(now, |first| first.midnight().assume_utc());
    let everything = EventFilter::default();
    let (events, composed) = tokio::try_join!(store.events(&everything), store.composed_since(from))?;
    let composed: Vec<_> = composed.into_iter().filter(|message| message.at <= now).collect();
    let happened: Vec<Happened<'_>> = events
        .iter()
        .filter(|event| event.at <= now)
        .map(|event| Happened {
            at: event.at,
            kind: event.kind,
            team: event.team.as_deref(),
            action: event.action,
            facts: &event.facts,
        })
        .collect();
    let mut wins = wins(happened.clone(), from, now);
    let mut health = health(happened, &composed, &months);
    if let Some(team) = team {
        if !health.teams.contains_key(team) {
            return Err(rapport_core::Refusal::not_found(format!(
                "nothing has happened to a team {team:?} yet; `rapport plan` names the teams with work"
            ))
            .into());
        }
        health.teams.retain(|name, _| name == team);
        wins.retain(|win| win.team == team);
    }
    Ok(HealthReport { health, wins })
}
