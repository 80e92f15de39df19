//! A team's plan and its actions: what the pages and the API both do, each behind its
//! permission check, calling the workflows. Pages in `team/pages.rs`, the API in
//! `team/api.rs`.

use std::collections::BTreeMap;

use rapport_core::{Outcome, Principal, Refusal};
use rapport_workflows::{ActionDetail, Answered, PlanError, acknowledge_policy, current_policy, team_plans};

use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::views::PlanView;

pub mod api;
pub mod pages;

/// The stored team name for `name` (any case), if the team exists or has actions.
pub(crate) async fn team_named(state: &AppState, name: &str) -> Result<Option<String>, ServerError> {
    let teams = state.store.teams().await?;
    if let Some(team) = teams.into_iter().find(|team| team.name.eq_ignore_ascii_case(name)) {
        return Ok(Some(team.name));
    }
    let counts = state.store.action_counts().await?;
    Ok(counts.into_iter().map(|(team, ..)| team).find(|team| team.eq_ignore_ascii_case(name)))
}

/// A team's plan, for someone who may read it, laid out for `weeks` weeks (the policy's
/// `capacity.plan_weeks` when not asked). A team the reader may not see and a team that does
/// not exist answer the same, so names cannot be probed.
pub async fn plan_view(
    state: &AppState,
    principal: &Principal,
    team: &str,
    weeks: Option<u32>,
) -> Result<PlanView, ServerError> {
    let not_yours = || ServerError::NotFound(format!("no team {team:?} that you may see"));
    if !principal.may_read_team(team) {
        return Err(not_yours());
    }
    let team = team_named(state, team).await?.ok_or_else(not_yours)?;
    let now = state.now();
    let (policy, stored) = current_policy(&state.store, now).await?;
    let step = policy.spec.capacity.plan_weeks;
    let most = crate::views::MAX_PLAN_WEEKS;
    let weeks = match weeks {
        None => step,
        Some(weeks) if (1..=most).contains(&weeks) => weeks,
        Some(other) => {
            return Err(ServerError::BadRequest(format!(
                "weeks: expected a number of weeks from 1 to {most}, not {other}"
            )));
        }
    };
    let plans = team_plans(&state.store, Some(&team), &policy, now.date(), weeks).await?;
    let mut plan = plans.into_iter().next().ok_or_else(not_yours)?;
    for action in &mut plan.actions {
        action.reason = reason_for(principal, &action.reason);
        if !principal.reads_vulnerability_ids() {
            action.what = std::mem::take(&mut action.what_in_words);
        }
    }
    if !principal.reads_vulnerability_ids() {
        for aside in plan.excepted.iter_mut().chain(plan.verifying.iter_mut()) {
            aside.what = std::mem::take(&mut aside.what_in_words);
        }
    }
    let acknowledged = state
        .store
        .policy_acks()
        .await?
        .iter()
        .any(|ack| ack.policy == stored.id && ack.team.eq_ignore_ascii_case(&team));
    Ok(PlanView::new(&plan, stored.id, acknowledged, step))
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
    /// Set aside under an approved exception.
    pub accepted: i64,
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
    let now = state.now();
    let (policy, stored) = current_policy(&state.store, now).await?;
    let acks = state.store.policy_acks().await?;
    let mut teams: BTreeMap<String, TeamSummary> = BTreeMap::new();
    // Two sources name teams, the directory and the actions: each team is listed once.
    for team in state.store.teams().await? {
        teams.entry(team.name.to_lowercase()).or_insert_with(|| summary(&team.name, &acks, stored.id));
    }
    // Counted from each team's plan, as its plan page and `rapport plan` count them.
    for plan in team_plans(&state.store, None, &policy, now.date(), 1).await? {
        let summary =
            teams.entry(plan.team.to_lowercase()).or_insert_with(|| summary(&plan.team, &acks, stored.id));
        let count = |outcome: Outcome| plan.actions.iter().filter(|a| a.outcome == outcome).count() as i64;
        summary.open = plan.actions.len() as i64;
        summary.act = count(Outcome::Act);
        summary.attend = count(Outcome::Attend);
        summary.verifying = plan.verifying.len() as i64;
        summary.accepted = plan.excepted.len() as i64;
    }
    Ok((stored.id, teams.into_values().collect()))
}

pub(crate) fn summary(name: &str, acks: &[rapport_storage::PolicyAck], policy: i64) -> TeamSummary {
    TeamSummary {
        name: name.to_owned(),
        open: 0,
        act: 0,
        attend: 0,
        verifying: 0,
        accepted: 0,
        acknowledged: acks.iter().any(|a| a.policy == policy && a.team.eq_ignore_ascii_case(name)),
    }
}

/// An action as every interface shows it, for someone who may read its team's data;
/// otherwise "not found", in the same words whether it is missing or not theirs.
/// A decision's reason as this reader reads it: the security team sees its own open
/// questions ("nobody has said whether this host is reachable from the internet": a to-do);
/// everyone else is asked them on the action's page instead.
fn reason_for(principal: &Principal, reason: &str) -> String {
    if principal.is_security() { reason.to_owned() } else { rapport_core::without_open_question(reason) }
}

pub async fn readable_action(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<ActionDetail, ServerError> {
    let not_yours = || ServerError::NotFound(format!("no action #{id} that you may see"));
    match rapport_workflows::action_detail(&state.store, id, state.now()).await {
        Ok(mut detail) if principal.may_read_team(&detail.team) => {
            detail.action.reason = reason_for(principal, &detail.action.reason);
            if !principal.reads_vulnerability_ids() {
                detail.action.what = detail.action.what_in_words();
            }
            Ok(detail)
        }
        Ok(_) | Err(PlanError::Refused(Refusal::NotFound(_))) => Err(not_yours()),
        Err(other) => Err(other.into()),
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

/// The policy in force as a team reads it before acknowledging it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TeamPolicyView {
    pub team: String,
    pub version: i64,
    pub name: String,
    pub applied_at: String,
    /// The policy's rules for this team, one sentence each.
    pub terms: Vec<String>,
    /// The policy file as applied.
    pub content: String,
    /// The latest version the team acknowledged, with who did and when.
    pub acknowledged: Option<TeamAcknowledgement>,
    /// Whether the version acknowledged is the one in force.
    pub acknowledged_in_force: bool,
    /// What changed since the version the team acknowledged, when that is an earlier one.
    pub since_acknowledged: Option<PolicyChangeView>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TeamAcknowledgement {
    pub version: i64,
    pub by: String,
    pub at: String,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PolicyChangeView {
    pub from_version: i64,
    /// Rules in force now that the acknowledged version did not have.
    pub now: Vec<String>,
    /// Rules of the acknowledged version that no longer hold.
    pub before: Vec<String>,
    /// The file's unified difference.
    pub difference: String,
}

/// The policy a team is asked to acknowledge, for anyone who may read the team's plan.
pub async fn team_policy_view(
    state: &AppState,
    signed: &Signed,
    team: &str,
) -> Result<TeamPolicyView, ServerError> {
    let (principal, reader) = (&signed.principal, &signed.reader);
    let not_yours = || ServerError::NotFound(format!("no team {team:?} that you may see"));
    if !principal.may_read_team(team) {
        return Err(not_yours());
    }
    let team = team_named(state, team).await?.ok_or_else(not_yours)?;
    let read = rapport_workflows::team_policy(&state.store, &team, state.now()).await?;
    Ok(TeamPolicyView {
        team: read.team,
        version: read.stored.id,
        name: read.stored.name,
        applied_at: reader.moment(read.stored.applied_at),
        terms: read.terms,
        acknowledged_in_force: read.acknowledged.as_ref().is_some_and(|ack| ack.policy == read.stored.id),
        content: read.stored.content,
        acknowledged: read.acknowledged.map(|ack| TeamAcknowledgement {
            version: ack.policy,
            by: ack.acknowledged_by,
            at: reader.moment(ack.acknowledged_at),
        }),
        since_acknowledged: read.since_acknowledged.map(|change| PolicyChangeView {
            from_version: change.from_version,
            now: change.added,
            before: change.removed,
            difference: change.difference,
        }),
    })
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

/// The security team's open question about one place of an action, as its team is asked it.
#[derive(Clone, Debug)]
pub struct ReachabilityQuestion {
    pub kind: &'static str,
    pub name: String,
    /// What was said before, when someone answered "I don't know".
    pub before: Option<String>,
}

/// The most places of one action the team is asked about at once.
const MAX_QUESTIONS: usize = 10;

/// The places of an action nobody has said are, or are not, reachable from the internet:
/// no ownership rule decides it and no one of the team has answered yes or no.
pub async fn reachability_questions(
    state: &AppState,
    signed: &Signed,
    action: &rapport_core::Action,
) -> Result<Vec<ReachabilityQuestion>, ServerError> {
    let mut questions = Vec::new();
    for place in &action.places {
        if questions.len() == MAX_QUESTIONS {
            break;
        }
        let filter =
            rapport_storage::AssetFilter { name: Some(place.target.name.clone()), ..Default::default() };
        let assets = state.store.assets(&filter).await?;
        let Some(asset) = assets.into_iter().find(|asset| asset.asset.kind == place.target.kind) else {
            continue;
        };
        let said = asset.exposure_said.as_ref();
        if asset.ownership.exposure.is_some() || said.is_some_and(|said| said.said != "unknown") {
            continue;
        }
        questions.push(ReachabilityQuestion {
            kind: asset.asset.kind.as_str(),
            name: asset.asset.name.clone(),
            before: said
                .map(|said| format!("{} did not know, on {}.", said.by, signed.reader.moment(said.at))),
        });
    }
    Ok(questions)
}

/// The team's answer about one place; a yes or a no brings the decisions up to date at once.
pub async fn answer_reachability(
    state: &AppState,
    principal: &Principal,
    action: i64,
    asset: rapport_core::AssetId,
    answer: &str,
) -> Result<rapport_workflows::Reachability, ServerError> {
    let answer = rapport_workflows::Reachability::parse(answer).ok_or_else(|| {
        ServerError::BadRequest(format!("answer: expected yes, no or unknown, got {answer:?}"))
    })?;
    let now = state.now();
    rapport_workflows::answer_reachability(&state.store, action, principal, &asset, answer, now).await?;
    if answer != rapport_workflows::Reachability::DontKnow {
        crate::security::refresh(state).await?;
    }
    Ok(answer)
}
