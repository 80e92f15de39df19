//! The relationship's health: every team's months and the security team's own record, counted
//! by `rapport-core`'s `health` from the event stream, for the command line, the pages and the
//! briefings alike.

use rapport_core::{Happened, Health, health, months_to};
use rapport_storage::{EventFilter, Store};
use time::OffsetDateTime;

use crate::PlanError;

/// The most months one view counts: two years.
pub const MOST_MONTHS: usize = 24;

/// The health of every team (only `team`'s when given) over the `months` up to the one of
/// `now`, and the security team's record over the same months. A team no event names is
/// refused as not found.
pub async fn team_health(
    store: &Store,
    now: OffsetDateTime,
    months: usize,
    team: Option<&str>,
) -> Result<Health, PlanError> {
    if !(1..=MOST_MONTHS).contains(&months) {
        return Err(rapport_core::Refusal::invalid(
            "months",
            format!("{months} months: give from 1 to {MOST_MONTHS}"),
        )
        .into());
    }
    let events = store.events(&EventFilter::default()).await?;
    let happened = events
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
    let mut health = health(happened, &months_to(now.date(), months));
    if let Some(team) = team {
        if !health.teams.contains_key(team) {
            return Err(rapport_core::Refusal::not_found(format!(
                "nothing has happened to a team {team:?} yet; `rapport plan` names the teams with work"
            ))
            .into());
        }
        health.teams.retain(|name, _| name == team);
    }
    Ok(health)
}
