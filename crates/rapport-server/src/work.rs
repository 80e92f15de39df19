//! What the pages and the API both do, with the permission check in front of each: reading a
//! team's plan, the teams at a glance, an action, and the partner's answers. Handlers only
//! turn these into HTML or JSON.

use std::collections::BTreeMap;

use rapport_core::{ActionState, Outcome, Principal};
use rapport_storage::StoredAction;
use rapport_workflows::{Answered, acknowledge_policy, current_policy, team_plans};

use crate::accounts;
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
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TeamSummary {
    pub name: String,
    /// Actions waiting on the team; those it marked done are under `verifying` instead.
    pub open: i64,
    pub act: i64,
    pub attend: i64,
    pub verifying: i64,
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
        if action_state == ActionState::Verifying.as_str() {
            summary.verifying += count;
        }
        if action_state != ActionState::Open.as_str() {
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
        verifying: 0,
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
) -> Result<String, ServerError> {
    Ok(rapport_workflows::mark_done(&state.store, id, principal, note, state.now()).await?)
}

/// A team manager acknowledges the policy in force; returns the team's stored name.
pub async fn acknowledge(state: &AppState, principal: &Principal, team: &str) -> Result<String, ServerError> {
    if !principal.may_read_team(team) {
        return Err(ServerError::NotFound(format!("no team {team:?} that you may see")));
    }
    acknowledge_policy(&state.store, team, principal, state.now()).await?;
    Ok(principal.team.clone().unwrap_or_else(|| team.to_owned()))
}

/// A day written `YYYY-MM-DD`.
pub fn parse_day(text: &str, field: &str) -> Result<time::Date, ServerError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| {
        ServerError::BadRequest(format!("{field}: expected a day written YYYY-MM-DD, got {text:?}"))
    })
}

/// What a partner asks for on an action.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ExceptionAsk {
    pub reason: String,
    #[serde(default)]
    pub compensating_control: Option<String>,
    /// The last day, `YYYY-MM-DD`.
    #[schema(format = Date, example = "2026-12-31")]
    pub until: String,
    /// A risk acceptance rather than a time-boxed exception.
    #[serde(default)]
    pub risk_acceptance: bool,
}

/// Asks for an exception on an action; returns the request's number and the team.
pub async fn request_exception(
    state: &AppState,
    principal: &Principal,
    action: i64,
    ask: &ExceptionAsk,
) -> Result<Answered, ServerError> {
    let request = rapport_storage::ExceptionRequest {
        action,
        risk_acceptance: ask.risk_acceptance,
        requested_by: principal.email.clone(),
        reason: ask.reason.trim().to_owned(),
        compensating_control: ask
            .compensating_control
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        until: parse_day(&ask.until, "until")?,
    };
    Ok(rapport_workflows::request_exception(&state.store, &request, principal, state.now()).await?)
}

/// Feedback on an action; returns the answer's number and the team.
pub async fn give_feedback(
    state: &AppState,
    principal: &Principal,
    action: i64,
    text: &str,
) -> Result<Answered, ServerError> {
    Ok(rapport_workflows::give_feedback(&state.store, action, principal, text, state.now()).await?)
}

/// "Not ours" on an action; returns the answer's number and the team.
pub async fn dispute_ownership(
    state: &AppState,
    principal: &Principal,
    action: i64,
    reason: &str,
    suggested_team: Option<&str>,
) -> Result<Answered, ServerError> {
    let now = state.now();
    Ok(rapport_workflows::dispute_ownership(&state.store, action, principal, reason, suggested_team, now)
        .await?)
}

/// What waits for the security team: exception requests and unreplied answers.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub exceptions: Vec<QueuedException>,
    pub answers: Vec<QueuedAnswer>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct QueuedException {
    pub id: i64,
    pub action: i64,
    pub team: String,
    pub what: String,
    pub risk_acceptance: bool,
    pub requested_by: String,
    pub requested_at: String,
    pub until: String,
    pub reason: String,
    pub compensating_control: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct QueuedAnswer {
    pub id: i64,
    pub action: i64,
    pub team: String,
    pub what: String,
    /// `feedback` or `not_ours`.
    pub kind: &'static str,
    pub given_by: String,
    pub given_at: String,
    pub body: String,
    pub suggested_team: Option<String>,
}

pub fn day_and_time(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    at.format(&format).unwrap_or_default()
}

pub async fn queue(state: &AppState, principal: &Principal) -> Result<Queue, ServerError> {
    if !principal.may_decide() {
        return Err(ServerError::Forbidden(format!(
            "the queue is the security team's; you are signed in as {}",
            principal.role.label()
        )));
    }
    let exceptions = state
        .store
        .exceptions(Some(rapport_storage::ExceptionState::Requested), None)
        .await?
        .into_iter()
        .map(|e| QueuedException {
            id: e.id,
            action: e.request.action,
            team: e.team,
            what: e.what,
            risk_acceptance: e.request.risk_acceptance,
            requested_by: e.request.requested_by,
            requested_at: day_and_time(e.requested_at),
            until: e.request.until.to_string(),
            reason: e.request.reason,
            compensating_control: e.request.compensating_control,
        })
        .collect();
    let answers = state
        .store
        .unreplied_answers()
        .await?
        .into_iter()
        .map(|a| QueuedAnswer {
            id: a.id,
            action: a.action,
            team: a.team,
            what: a.what,
            kind: a.kind.as_str(),
            given_by: a.given_by,
            given_at: day_and_time(a.given_at),
            body: a.body,
            suggested_team: a.suggested_team,
        })
        .collect();
    Ok(Queue { exceptions, answers })
}

/// The security team approves or rejects an exception request.
pub async fn decide_exception(
    state: &AppState,
    principal: &Principal,
    id: i64,
    approve: bool,
    reason: &str,
) -> Result<(), ServerError> {
    Ok(rapport_workflows::decide_exception(&state.store, id, approve, principal, reason, state.now()).await?)
}

/// The security team replies to feedback or a dispute.
pub async fn reply(state: &AppState, principal: &Principal, id: i64, text: &str) -> Result<(), ServerError> {
    Ok(rapport_workflows::reply_to_answer(&state.store, id, principal, text, state.now()).await?)
}

/// One of a person's devices, with what to do on it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub name: String,
    pub operating_system: Option<String>,
    /// When inventory last heard from it, `YYYY-MM-DD HH:MM` (UTC).
    pub last_seen: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub advice: Vec<rapport_core::DeviceAdvice>,
}

/// The devices inventory says the signed-in person uses: by their email, or by the login
/// name the directory gives them.
pub async fn my_devices(state: &AppState, principal: &Principal) -> Result<Vec<DeviceView>, ServerError> {
    let mut names = vec![principal.email.to_lowercase()];
    let people = state.store.people().await?;
    if let Some(person) =
        people.iter().find(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&principal.email)))
    {
        names.extend(person.username.iter().map(|u| u.to_lowercase()));
    }
    let now = state.now();
    let mut devices = Vec::new();
    let filter = rapport_storage::AssetFilter { devices_only: true, ..Default::default() };
    state
        .store
        .each_asset(&filter, |asset| {
            let Some(facts) = asset.facts.as_ref() else { return Ok::<(), ServerError>(()) };
            let used = facts.user.as_deref().map(str::to_lowercase).is_some_and(|user| names.contains(&user));
            if used {
                let os = [facts.os_name.as_deref(), facts.os_version.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                devices.push(DeviceView {
                    name: facts
                        .hostname
                        .clone()
                        .or(asset.hostname.clone())
                        .unwrap_or_else(|| asset.asset.name.clone()),
                    operating_system: Some(os).filter(|os| !os.is_empty()),
                    last_seen: asset.last_seen.map(day_and_time),
                    advice: rapport_core::device_advice(
                        facts,
                        asset.last_seen.map(time::OffsetDateTime::unix_timestamp),
                        now.unix_timestamp(),
                    ),
                });
            }
            Ok(())
        })
        .await?;
    Ok(devices)
}

/// An administrator makes an account; returns its one-time password.
pub async fn create_account(
    state: &AppState,
    principal: &Principal,
    request: &accounts::AccountRequest,
    peer: Option<String>,
) -> Result<String, ServerError> {
    accounts::administrators_only(principal)?;
    let password = accounts::create_account(&state.store, request, state.now()).await?;
    let team = request.team.as_deref().map(|team| format!(" of {team}")).unwrap_or_default();
    state
        .audit(
            Some(&principal.email),
            "account created",
            Some(request.email.trim().to_lowercase()),
            format!("{}{team}, with a one-time password", request.role),
            peer,
        )
        .await?;
    Ok(password)
}

/// An administrator resets, disables or enables someone else's account.
pub async fn act_on_account(
    state: &AppState,
    principal: &Principal,
    id: i64,
    act: &accounts::AccountAct,
    peer: Option<String>,
) -> Result<(rapport_storage::Account, Option<String>), ServerError> {
    let (account, password) = accounts::act_on(&state.store, principal, id, act, state.now()).await?;
    state
        .audit(Some(&principal.email), act.audit_word(), Some(account.email.clone()), String::new(), peer)
        .await?;
    Ok((account, password))
}

/// What applying a policy did.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PolicyApplied {
    pub version: i64,
    /// False when the text is the policy already in force.
    pub new: bool,
    /// A unified diff from the version before.
    pub difference: String,
}

/// The security team applies a new policy version, checked whole before it is stored.
pub async fn apply_policy(
    state: &AppState,
    principal: &Principal,
    text: &str,
) -> Result<PolicyApplied, ServerError> {
    if !principal.may_decide() {
        return Err(ServerError::Forbidden(format!(
            "the policy is changed by the security team; you are signed in as {}",
            principal.role.label()
        )));
    }
    let now = state.now();
    let applied =
        rapport_workflows::apply_policy(&state.store, "(submitted text)", text, Some(&principal.email), now)
            .await?;
    Ok(PolicyApplied { version: applied.version, new: applied.new, difference: applied.difference })
}

/// The security team declares an emergency on an action the policy's criteria did not.
pub async fn declare_emergency(
    state: &AppState,
    principal: &Principal,
    action: i64,
    reason: &str,
) -> Result<i64, ServerError> {
    Ok(rapport_workflows::declare_emergency(&state.store, action, principal, reason, state.now()).await?)
}
