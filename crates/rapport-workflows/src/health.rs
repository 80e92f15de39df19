//! The relationship's health: every team's months and the security team's own record, counted
//! by `rapport-core`'s `health` from the event stream, for the command line, the pages and the
//! briefings alike; and the teams' wins, each recorded once by the clock so that the messages
//! thank the team for it.

use std::collections::{BTreeMap, HashMap};

use rapport_core::{Actor, EventFacts, EventKind, Feat, Happened, Health, Win, health, months_to, wins};
use rapport_storage::{EventFact, NewEvent, Store, WinTold};
use time::{Date, Duration, OffsetDateTime};

use crate::PlanError;

/// The most months one view counts: two years.
pub const MOST_MONTHS: usize = 24;

/// How long after a win the clock still thanks for it: a thank-you weeks late reads as an
/// afterthought, so a server that was off that long lets it go.
pub const THANKS_WITHIN: Duration = Duration::days(14);

/// How far back the clock reads to know the work behind a win (when it was opened, how it was
/// decided, whether it went overdue) and the weeks and nudges before it.
const WINS_SCENE: Duration = Duration::days(400);

/// The relationship's health over some months, and the teams' wins in them.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthReport {
    pub health: Health,
    /// Oldest first.
    pub wins: Vec<ThankedWin>,
    /// What drove each team's last two months (by their first day), in sentences.
    pub drivers: BTreeMap<Date, BTreeMap<String, Vec<String>>>,
}

/// A win, and whom the messages thanked for it (none yet until the clock and the composer
/// have run, or when everyone who would be told is gone from the directory).
#[derive(Clone, Debug, PartialEq)]
pub struct ThankedWin {
    pub win: Win,
    pub told: Vec<WinTold>,
}

/// The health of every team (only `team`'s when given) over the `months` up to the one of
/// `now`, the security team's record over the same months, and the teams' wins in them with
/// whom each was told to. A team no event names is refused as not found.
pub async fn team_health(
    store: &Store,
    now: OffsetDateTime,
    months: usize,
    team: Option<&str>,
) -> Result<HealthReport, PlanError> {
    if !(1..=MOST_MONTHS).contains(&months) {
        let message = format!("give from 1 to {MOST_MONTHS}, not {months}");
        return Err(rapport_core::Refusal::invalid("months", message).into());
    }
    let months = months_to(now.date(), months);
    let from = months.first().map_or(now, |first| first.midnight().assume_utc());
    let (events, composed, told) = tokio::try_join!(
        store.event_facts_since(OffsetDateTime::UNIX_EPOCH),
        store.composed_since(from),
        store.wins_told_since(from),
    )?;
    let composed: Vec<_> = composed.into_iter().filter(|message| message.at <= now).collect();
    let happened = happened(&events, now);
    let mut told_of: HashMap<String, Vec<WinTold>> = HashMap::new();
    for reader in told {
        told_of.entry(reader.once.clone()).or_default().push(reader);
    }
    let mut wins: Vec<ThankedWin> = wins(happened.clone(), from, now)
        .into_iter()
        .map(|win| ThankedWin { told: told_of.remove(&win.once).unwrap_or_default(), win })
        .collect();
    let mut drivers: BTreeMap<Date, BTreeMap<String, Vec<String>>> =
        months.iter().rev().take(2).map(|month| (*month, rapport_core::drivers(&happened, *month))).collect();
    let mut health = health(happened, &composed, &months);
    if let Some(team) = team {
        if !health.teams.contains_key(team) {
            return Err(rapport_core::Refusal::not_found(format!(
                "nothing has happened to a team {team:?} yet; `rapport plan` names the teams with work"
            ))
            .into());
        }
        health.teams.retain(|name, _| name == team);
        wins.retain(|thanked| thanked.win.team == team);
        for teams in drivers.values_mut() {
            teams.retain(|name, _| name == team);
        }
    }
    Ok(HealthReport { health, wins, drivers })
}

/// Records each win of the last `THANKS_WITHIN` not recorded before, for the messages to
/// thank the team for it; returns those recorded now. Run by the clock.
pub async fn recognise_wins(store: &Store, now: OffsetDateTime) -> Result<Vec<NewEvent>, PlanError> {
    let events = store.event_facts_since(now - WINS_SCENE).await?;
    let found = wins(happened(&events, now), now - THANKS_WITHIN, now);
    let events: Vec<NewEvent> = found.into_iter().map(win_event).collect();
    Ok(store.append_events(&events, now).await?)
}

fn win_event(win: Win) -> NewEvent {
    // The work or the campaign it was won on, for the messages to name.
    let (action, campaign) = match &win.feat {
        Feat::OnTime { action } | Feat::LargeRiskRemoved { action } => (Some(*action), None),
        Feat::HabitAcrossTheTeam { campaign, .. } => (None, Some(campaign.clone())),
        Feat::OnTimeWeeks { .. } => (None, None),
    };
    NewEvent {
        kind: EventKind::WinRecognised,
        actor: Actor::Clock,
        detail: format!("{} {}", win.team, win.feat.words()),
        team: Some(win.team),
        action,
        subject: None,
        facts: EventFacts { win: Some(win.feat), campaign, ..EventFacts::default() },
        once: Some(win.once),
    }
}

/// The events up to `now` as the figures read them, borrowed from `events`.
fn happened(events: &[EventFact], now: OffsetDateTime) -> Vec<Happened<'_>> {
    events
        .iter()
        .filter(|event| event.at <= now)
        .map(|event| Happened {
            at: event.at,
            kind: event.kind,
            team: event.team.as_deref(),
            action: event.action,
            facts: &event.facts,
            from_message: event.from_message,
        })
        .collect()
}
