//! What every interface shows of the actions: each team's plan, the list of actions most
//! urgent first, and one action with where it stands and its history.

use std::collections::HashMap;

use rapport_core::{
    Action, ActionState, Change, Emergency, PlannedAction, Policy, Refusal, RemedyKind, Standing, TeamPlan,
    plan_team,
};
use rapport_storage::{ExceptionState, FindingFilter, Store, StoredAction, StoredEvent};
use time::{Date, OffsetDateTime};

use crate::plan::PlanError;
use crate::policy::current_policy;

/// The plans of one team, or of every team that has actions (in name order), reading the
/// store once for all of them.
pub async fn team_plans(
    store: &Store,
    team: Option<&str>,
    policy: &Policy,
    today: Date,
    weeks: u32,
) -> Result<Vec<TeamPlan>, PlanError> {
    let capacities: HashMap<String, Option<f64>> =
        store.teams().await?.into_iter().map(|t| (t.name.to_lowercase(), t.weekly_capacity_hours)).collect();
    let mut teams: std::collections::BTreeMap<String, Vec<PlannedAction>> = match team {
        Some(team) => [(team.to_owned(), Vec::new())].into(),
        None => store.action_counts().await?.into_iter().map(|(team, ..)| (team, Vec::new())).collect(),
    };
    for planned in planned_actions(store, team).await? {
        teams.entry(planned.action.team.clone()).or_default().push(planned);
    }
    Ok(teams
        .into_iter()
        .map(|(team, planned)| {
            let capacity = capacities.get(&team.to_lowercase()).copied().flatten();
            plan_team(&team, capacity, &planned, policy, today, weeks)
        })
        .collect())
}

/// The live actions of one team (or of every team) with their exceptions and overrides, as
/// planning and the clock see them.
pub(crate) async fn planned_actions(
    store: &Store,
    team: Option<&str>,
) -> Result<Vec<PlannedAction>, PlanError> {
    let actions = store.team_actions(team, false).await?;
    let exceptions = store.approved_exceptions(team).await?;
    let overrides = store.emergency_overrides(None, team).await?;
    Ok(actions.into_iter().map(|stored| planned(stored, &exceptions, &overrides)).collect())
}

fn planned(
    stored: StoredAction,
    exceptions: &HashMap<i64, Date>,
    overrides: &[rapport_storage::EmergencyOverride],
) -> PlannedAction {
    PlannedAction {
        id: stored.id,
        override_by: overrides
            .iter()
            .find(|o| o.action == stored.id)
            .map(|o| (o.declared_by.clone(), o.reason.clone())),
        excepted_until: exceptions.get(&stored.id).copied(),
        action: stored.action,
        state: stored.state,
        outcome_since: stored.outcome_since,
    }
}

/// An action in a list, with where it stands.
#[derive(Clone, Debug)]
pub struct ListedAction {
    pub stored: StoredAction,
    pub standing: Standing,
}

/// Actions of one team or of all, most urgent first: emergencies, then open work by decision,
/// then the rest. Without `state`, the live ones (all but closed).
pub async fn list_actions(
    store: &Store,
    team: Option<&str>,
    state: Option<ActionState>,
    limit: usize,
    now: OffsetDateTime,
) -> Result<Vec<ListedAction>, PlanError> {
    let (policy, _) = current_policy(store, now).await?;
    let actions = store.team_actions(team, state == Some(ActionState::Closed)).await?;
    let exceptions = store.approved_exceptions(team).await?;
    let overrides = store.emergency_overrides(None, team).await?;
    let mut listed: Vec<ListedAction> = actions
        .into_iter()
        .filter(|stored| state.is_none_or(|wanted| stored.state == wanted))
        .map(|stored| {
            let standing = planned(stored.clone(), &exceptions, &overrides).standing(&policy, now.date());
            ListedAction { stored, standing }
        })
        .collect();
    listed.sort_by(|a, b| {
        (a.standing.rank(), std::cmp::Reverse(a.stored.action.outcome), &a.stored.team, a.stored.id).cmp(&(
            b.standing.rank(),
            std::cmp::Reverse(b.stored.action.outcome),
            &b.stored.team,
            b.stored.id,
        ))
    });
    listed.truncate(limit);
    Ok(listed)
}

/// One action as every interface shows it.
#[derive(Clone, Debug)]
pub struct ActionDetail {
    pub id: i64,
    pub team: String,
    pub action: Action,
    pub state: ActionState,
    /// Where it stands, in the words every page, the API and the command line use.
    pub standing: Standing,
    /// Why it is an emergency, when it is (also while it waits for a scan to confirm it done).
    pub emergency: Option<Emergency>,
    pub due: Option<Date>,
    /// An exception request waiting for the security team's decision.
    pub pending_exception: Option<i64>,
    pub history: Vec<StoredEvent>,
}

impl ActionDetail {
    /// The emergency in words when the standing does not say it (the team marked it done).
    pub fn emergency_aside(&self) -> Option<String> {
        let said = matches!(self.standing, Standing::Emergency { .. });
        self.emergency.as_ref().filter(|_| !said).map(Emergency::words)
    }

    /// Whether its team may still say it is done.
    pub fn may_mark_done(&self) -> bool {
        Change::MarkDone.transition(Some(self.state)).is_some()
    }

    /// Whether its team may ask for an exception now.
    pub fn may_request_exception(&self) -> bool {
        Change::RequestException.transition(Some(self.state)).is_some() && self.pending_exception.is_none()
    }

    /// Whether the security team may declare it an emergency (it is live and not one yet).
    pub fn may_declare_emergency(&self) -> bool {
        Change::DeclareEmergency.transition(Some(self.state)).is_some() && self.emergency.is_none()
    }
}

/// Action `id` with where it stands today and its history.
pub async fn action_detail(store: &Store, id: i64, now: OffsetDateTime) -> Result<ActionDetail, PlanError> {
    let stored = stored_action(store, id).await?;
    let (policy, _) = current_policy(store, now).await?;
    let team = stored.team.clone();
    let exceptions = store.approved_exceptions(Some(&team)).await?;
    let overrides = store.emergency_overrides(None, Some(&team)).await?;
    let pending = store.exceptions(Some(ExceptionState::Requested), Some(&team)).await?;
    let planned = planned(stored, &exceptions, &overrides);
    Ok(ActionDetail {
        id,
        standing: planned.standing(&policy, now.date()),
        emergency: planned.emergency(&policy),
        due: match planned.state {
            ActionState::Open => planned.due(&policy).map(OffsetDateTime::date),
            _ => None,
        },
        pending_exception: pending.iter().find(|e| e.request.action == id).map(|e| e.id),
        history: store.action_events(id).await?,
        team,
        action: planned.action,
        state: planned.state,
    })
}

/// The stored action `id`, or "not found".
pub(crate) async fn stored_action(store: &Store, id: i64) -> Result<StoredAction, PlanError> {
    Ok(store
        .action(id)
        .await?
        .ok_or_else(|| Refusal::not_found(format!("there is no action #{id} (see `rapport actions`)")))?)
}

/// Where in the code a code-fixing action's findings are, and what their rule says: the
/// engineer's exact fix, which the action's one line (the rule and the repository) cannot hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeFix {
    /// The rule's name or short description, as the scanner gave it.
    pub rule: String,
    /// What the rule says, in full, when the scanner gave it.
    pub text: Option<String>,
    /// The rule's help page.
    pub help: Option<String>,
    /// Each place in the code: the repository, the file and the line.
    pub spots: Vec<CodeSpot>,
    /// Places beyond those listed.
    pub more: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSpot {
    pub target: String,
    pub path: Option<String>,
    pub line: Option<u32>,
}

/// The most places in the code an action lists.
const LISTED_SPOTS: usize = 200;

/// The code places and rule of an action that fixes code; `None` for any other action.
pub async fn code_fix(store: &Store, action: &Action) -> Result<Option<CodeFix>, PlanError> {
    if action.kind != RemedyKind::FixCode {
        return Ok(None);
    }
    let mut fix = CodeFix::default();
    for place in &action.places {
        let filter = FindingFilter {
            vulnerability: Some(action.subject.clone()),
            target: Some(place.target.name.clone()),
            limit: Some(LISTED_SPOTS as u32),
            ..FindingFilter::default()
        };
        // The target filter matches part of a name: keep this place's own findings.
        for stored in store.findings(&filter).await?.into_iter().filter(|s| s.finding.target == place.target)
        {
            let finding = stored.finding;
            if fix.rule.is_empty() {
                fix.rule = finding.title.clone();
                fix.text = finding.description.clone();
                fix.help = finding
                    .references
                    .iter()
                    .find(|r| r.starts_with("https://") || r.starts_with("http://"))
                    .cloned();
            }
            if fix.spots.len() < LISTED_SPOTS {
                let (path, line) = (finding.location.path, finding.location.line);
                fix.spots.push(CodeSpot { target: place.target.name.clone(), path, line });
            }
        }
    }
    fix.spots.sort_by(|a, b| (&a.target, &a.path, a.line).cmp(&(&b.target, &b.path, b.line)));
    fix.more = action.findings.saturating_sub(u32::try_from(fix.spots.len()).unwrap_or(u32::MAX));
    Ok(Some(fix))
}
