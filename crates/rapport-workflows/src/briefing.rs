//! The monthly briefing for the executives (the whole organisation) or one team's manager:
//! the health of the month and the five months before it for the charts, the month's wins,
//! and the work due in the month after it, written out by `rapport_core::briefing`.

use rapport_core::Principal;
use rapport_core::{
    Actor, Briefing, Coming, EventFacts, EventKind, Health, Reader, Refusal, Win, briefing, month_name,
    months_to, next_month,
};
use rapport_storage::{NewEvent, Store};
use time::{Date, Duration, OffsetDateTime};

use crate::actions::team_plans;
use crate::health::team_health;
use crate::listen::MAX_ANSWER_CHARS;
use crate::plan::PlanError;
use crate::policy::current_policy;

/// Months a briefing's charts show, the briefing's own included.
pub const CHART_MONTHS: usize = 6;

/// Records, once, that last month's briefing is ready, so that the messages send it to every
/// executive and every partner team's manager; a month in which nothing happened is not briefed
/// on. Run by the clock; returns the event when it is recorded now.
pub async fn publish_briefing(store: &Store, now: OffsetDateTime) -> Result<Vec<NewEvent>, PlanError> {
    let this_month = now.date().replace_day(1).unwrap_or(now.date());
    let Some(last_month) = months_to(this_month, 2).first().copied().filter(|last| *last < this_month) else {
        return Ok(Vec::new());
    };
    let once = format!("briefing:{}", last_month);
    if store.event_once(&once).await?.is_some() {
        return Ok(Vec::new());
    }
    let since = last_month.midnight().assume_utc();
    let ended = this_month.midnight().assume_utc();
    let happened = store.event_facts_since(since).await?.iter().any(|event| event.at < ended);
    if !happened {
        return Ok(Vec::new());
    }
    let event = NewEvent {
        kind: EventKind::BriefingPublished,
        actor: Actor::Clock,
        team: None,
        action: None,
        subject: None,
        detail: format!("the briefing of {} is ready", month_name(last_month)),
        facts: EventFacts { month: Some(last_month), ..EventFacts::default() },
        once: Some(once),
    };
    Ok(store.append_events(&[event], now).await?)
}

/// Records `by`'s answer to the briefing of `month`: how useful it was, 1 to 5, and what they
/// would change; once only under `once` (an answer from a message), any number of times from
/// the page. The security team reads the answers in the stream and in its own record.
pub async fn answer_briefing(
    store: &Store,
    month: Date,
    by: &Principal,
    rating: Option<u8>,
    words: &str,
    once: Option<String>,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    if rating.is_some_and(|rating| !(1..=5).contains(&rating)) {
        return Err(Refusal::invalid("rating", "rate it from 1 (not useful) to 5 (very useful)").into());
    }
    let words = words.trim();
    if words.chars().count() > MAX_ANSWER_CHARS {
        return Err(Refusal::invalid("words", format!("longer than {MAX_ANSWER_CHARS} characters")).into());
    }
    if words.is_empty() && rating.is_none() {
        return Err(Refusal::invalid("words", "say something, or give a rating").into());
    }
    let first = month.replace_day(1).unwrap_or(month);
    let event = NewEvent {
        kind: EventKind::BriefingAnswered,
        actor: Actor::Person(by.email.clone()),
        team: by.team.clone().filter(|_| by.role.needs_team()),
        action: None,
        subject: Some(format!("the briefing of {}", month_name(first))),
        detail: words.to_owned(),
        facts: EventFacts { month: Some(first), rating, ..EventFacts::default() },
        once,
    };
    let repeated = event.once.is_some();
    if store.append_events(&[event], now).await?.is_empty() && repeated {
        return Err(Refusal::conflict("this message was answered already").into());
    }
    Ok(())
}

/// Who a briefing is for, as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BriefingFor<'a> {
    Executives,
    Manager { team: &'a str },
}

/// A briefing with the figures its charts are drawn from.
#[derive(Clone, Debug, PartialEq)]
pub struct BriefingReport {
    pub briefing: Briefing,
    /// The team of a manager's briefing.
    pub team: Option<String>,
    /// The briefing's month and the five before it (only the team's, for a manager).
    pub health: Health,
    /// The month's wins.
    pub wins: Vec<Win>,
}

/// The briefing of `month` (any day of it; the month must have begun by `now`) for `reader`,
/// counted as of the month's end, or `now` while it is under way.
pub async fn monthly_briefing(
    store: &Store,
    now: OffsetDateTime,
    month: Date,
    reader: BriefingFor<'_>,
) -> Result<BriefingReport, PlanError> {
    let first = month.replace_day(1).unwrap_or(month);
    let next = next_month(first);
    if first > now.date() {
        let message = format!("{} has not begun yet", month_name(first));
        return Err(Refusal::invalid("month", message).into());
    }
    let end = next.midnight().assume_utc() - Duration::SECOND;
    let at = end.min(now);
    let team = match reader {
        BriefingFor::Executives => None,
        BriefingFor::Manager { team } => Some(team),
    };
    let report = team_health(store, at, CHART_MONTHS, team).await?;
    let wins: Vec<Win> = report
        .wins
        .into_iter()
        .map(|thanked| thanked.win)
        .filter(|win| win.at >= first.midnight().assume_utc())
        .collect();
    let (policy, _) = current_policy(store, now).await?;
    let plans = team_plans(store, team, &policy, now.date(), policy.spec.capacity.plan_weeks.max(8)).await?;
    let coming: Vec<Coming<'_>> = plans
        .iter()
        .flat_map(|plan| plan.actions.iter().map(move |action| (plan, action)))
        .filter(|(_, action)| action.due.is_some_and(|due| due >= next && due < next_month(next)))
        .map(|(plan, action)| Coming {
            team: &plan.team,
            outcome: action.outcome,
            hours: action.effort_hours,
        })
        .collect();
    let briefing = match team {
        None => briefing(&report.health, &wins, &coming, first, Reader::Executives),
        Some(name) => {
            let known = store.teams().await?.into_iter().find(|known| known.name.eq_ignore_ascii_case(name));
            let weekly_hours = known
                .as_ref()
                .and_then(|known| known.weekly_capacity_hours)
                .unwrap_or(policy.spec.capacity.default_weekly_hours);
            let measured_on = known.as_ref().and_then(|known| known.measured_on.as_deref());
            let drivers = report.drivers.get(&first).and_then(|teams| teams.get(name));
            let drivers = drivers.map_or(&[][..], Vec::as_slice);
            let reader = Reader::Manager { team: name, measured_on, weekly_hours, drivers };
            briefing(&report.health, &wins, &coming, first, reader)
        }
    };
    Ok(BriefingReport { briefing, team: team.map(str::to_owned), health: report.health, wins })
}
