//! What the pages and the API both do, with the permission check in front of each: reading a
//! team's plan, the teams at a glance, an action, and the partner's answers. Handlers only
//! turn these into HTML or JSON.

use std::collections::BTreeMap;

use rapport_core::{ActionState, Outcome, Principal};
use rapport_ingest::{acknowledge_policy, current_policy, team_plans};
use rapport_storage::StoredAction;

use crate::error::ServerError;
use crate::state::AppState;
use crate::views::PlanView;

/// How many weeks a plan page shows.
const PLAN_WEEKS: u32 = 2;

/// The stored team name for `name` (any case), if the team exists or has actions.
async fn team_named(state: &AppState, name: &str) -> Result<Option<String>, ServerError> {
    let teams = state.store.teams().await?;
    if let Some(team) = teams.into_iter().find(|team| team.name.eq_ignore_ascii_case(name)) {
        return Ok(Some(team.name));
    }
    let counts = state.store.action_counts().await?;
    Ok(counts.into_iter().map(|(team, ..)| team).find(|team| team.eq_ignore_ascii_case(name)))
}

/// A team's plan, for someone who may read it. A team the reader may not see and a team
/// that does not exist answer the same, so names cannot be probed.
pub async fn plan_view(state: &AppState, principal: &Principal, team: &str) -> Result<PlanView, ServerError> {
    let not_yours = || ServerError::NotFound(format!("no team {team:?} that you may see"));
    if !principal.may_read_team(team) {
        return Err(not_yours());
    }
    let team = team_named(state, team).await?.ok_or_else(not_yours)?;
    let now = state.now();
    let (policy, stored) = current_policy(&state.store, now).await?;
    let plans = team_plans(&state.store, Some(&team), &policy, now.date(), PLAN_WEEKS).await?;
    let plan = plans.into_iter().next().ok_or_else(not_yours)?;
    let acknowledged = state
        .store
        .policy_acks()
        .await?
        .iter()
        .any(|ack| ack.policy == stored.id && ack.team.eq_ignore_ascii_case(&team));
    Ok(PlanView::new(&plan, stored.id, acknowledged))
}

/// One team on the teams page.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TeamSummary {
    pub name: String,
    pub open: i64,
    pub act: i64,
    pub attend: i64,
    pub acknowledged: bool,
}

/// Every team with its open work, for those who may read everything.
pub async fn team_summaries(
    state: &AppState,
    principal: &Principal,
) -> Result<(i64, Vec<TeamSummary>), ServerError> {
    if !principal.may_read_everything() {
        return Err(ServerError::Forbidden(format!(
            "the list of every team is for the security team and executives; you are signed in as {}",
            principal.role.label()
        )));
    }
    let (_, stored) = current_policy(&state.store, state.now()).await?;
    let acks = state.store.policy_acks().await?;
    let mut teams: BTreeMap<String, TeamSummary> = BTreeMap::new();
    // Two sources name teams, the directory and the actions: each team is listed once.
    for team in state.store.teams().await? {
        teams.entry(team.name.to_lowercase()).or_insert_with(|| summary(&team.name, &acks, stored.id));
    }
    for (team, action_state, outcome, count) in state.store.action_counts().await? {
        let summary = teams.entry(team.to_lowercase()).or_insert_with(|| summary(&team, &acks, stored.id));
        if action_state == ActionState::Closed.as_str() {
            continue;
        }
        summary.open += count;
        if outcome == Outcome::Act.as_str() {
            summary.act += count;
        } else if outcome == Outcome::Attend.as_str() {
            summary.attend += count;
        }
    }
    Ok((stored.id, teams.into_values().collect()))
}

fn summary(name: &str, acks: &[rapport_storage::PolicyAck], policy: i64) -> TeamSummary {
    TeamSummary {
        name: name.to_owned(),
        open: 0,
        act: 0,
        attend: 0,
        acknowledged: acks.iter().any(|a| a.policy == policy && a.team.eq_ignore_ascii_case(name)),
    }
}

/// An action, for someone who may read its team's data; otherwise "not found".
pub async fn readable_action(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<StoredAction, ServerError> {
    match state.store.action(id).await? {
        Some(stored) if principal.may_read_team(&stored.team) => Ok(stored),
        _ => Err(ServerError::NotFound(format!("no action #{id} that you may see"))),
    }
}

/// "Done, please verify" on an action; returns its team.
pub async fn mark_done(
    state: &AppState,
    principal: &Principal,
    id: i64,
    note: &str,
    peer: Option<String>,
) -> Result<String, ServerError> {
    let stored = readable_action(state, principal, id).await?;
    if !principal.may_answer_for_team(&stored.team) {
        return Err(ServerError::Forbidden(format!(
            "only {} and the security team may answer on action #{id}",
            stored.team
        )));
    }
    rapport_ingest::mark_done(&state.store, id, principal, note, state.now()).await?;
    state
        .audit(
            Some(&principal.email),
            "action marked done",
            Some(format!("action #{id}")),
            note.to_owned(),
            peer,
        )
        .await?;
    Ok(stored.team)
}

/// A team manager acknowledges the policy in force; returns the team's stored name.
pub async fn acknowledge(
    state: &AppState,
    principal: &Principal,
    team: &str,
    peer: Option<String>,
) -> Result<String, ServerError> {
    if !principal.may_read_team(team) {
        return Err(ServerError::NotFound(format!("no team {team:?} that you may see")));
    }
    if !principal.may_acknowledge_for_team(team) {
        return Err(ServerError::Forbidden(format!(
            "only {team}'s manager may acknowledge the policy for it"
        )));
    }
    let (version, _) = acknowledge_policy(&state.store, team, principal, state.now()).await?;
    state
        .audit(
            Some(&principal.email),
            "policy acknowledged",
            Some(format!("policy version {version}")),
            team.to_owned(),
            peer,
        )
        .await?;
    Ok(principal.team.clone().unwrap_or_else(|| team.to_owned()))
}
