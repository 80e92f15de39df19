//! The clock's work, run once (`rapport tick`) or on the server's schedule: exceptions whose
//! time is up end, and open work that is due soon or overdue, and exceptions about to end,
//! become events; the hygiene campaigns nudge and thank whoever is due (`campaigns.rs`); and
//! the teams' new wins are recorded, to be thanked for (`health.rs`), and last month's
//! briefing once it has ended (`briefing.rs`).
//! Running it twice, or on two servers at once, records each event once.

use std::collections::HashMap;

use rapport_core::{By, ClockEvent, RunningException, due_events, ending_exceptions, step};
use rapport_storage::{ExceptionState, NewEvent, Store};
use time::OffsetDateTime;

use crate::actions::planned_actions;
use crate::briefing::publish_briefing;
use crate::campaigns::{CampaignReport, schedule_campaigns};
use crate::health::recognise_wins;
use crate::plan::PlanError;
use crate::policy::current_policy;

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Exceptions that ended, each moving its action back into the plan.
    pub exceptions_ended: usize,
    /// The events recorded by this tick (those recorded by an earlier one are left out),
    /// the campaigns' nudges and thanks included.
    pub recorded: Vec<NewEvent>,
    /// What the campaigns did, their events moved into `recorded`.
    pub campaigns: CampaignReport,
}

/// Does the clock's work as of `now`.
pub async fn tick(store: &Store, now: OffsetDateTime) -> Result<TickReport, PlanError> {
    let (policy, _) = current_policy(store, now).await?;
    let exceptions_ended = store.expire_exceptions(now.date(), now).await?.len();
    let planned = planned_actions(store, None).await?;
    let states: HashMap<i64, _> = planned.iter().map(|p| (p.id, p.state)).collect();
    let running: Vec<RunningException> = store
        .exceptions(Some(ExceptionState::Approved), None)
        .await?
        .into_iter()
        .map(|e| RunningException {
            id: e.id,
            action: e.request.action,
            team: e.team,
            until: e.request.until,
        })
        .collect();
    let mut due = due_events(&planned, &policy, now);
    due.extend(ending_exceptions(&running, &policy, now.date()));
    // An exception still approved on an action that has moved on (reopened, closed) is not
    // announced: the action's life decides.
    let events: Vec<NewEvent> = due
        .into_iter()
        .filter_map(|event| {
            let state = states.get(&event.action).copied();
            step(event.action, &event.team, state, event.change, By::Clock)
                .ok()
                .map(|step| clock_event(event, step))
        })
        .collect();
    let mut recorded = store.append_events(&events, now).await?;
    let mut campaigns = schedule_campaigns(store, now).await?;
    recorded.append(&mut campaigns.recorded);
    // After the campaigns, so that a habit shown this tick can complete a team's win.
    recorded.extend(recognise_wins(store, now).await?);
    recorded.extend(publish_briefing(store, now).await?);
    Ok(TickReport { exceptions_ended, recorded, campaigns })
}

fn clock_event(event: ClockEvent, step: rapport_core::Step) -> NewEvent {
    NewEvent {
        kind: step.event,
        actor: step.actor,
        team: Some(event.team),
        action: Some(event.action),
        subject: event.facts.exception.map(|id| format!("exception #{id}")),
        detail: event.detail,
        facts: event.facts,
        once: Some(event.once),
    }
}
