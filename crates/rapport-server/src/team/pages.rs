//! A team's plan and its actions as pages: the teams, a plan, an action with its answer
//! forms. Each handler calls the same function of `team.rs` as its API twin in `api.rs`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_core::Action;
use rapport_storage::AnswerKind;
use serde::Deserialize;

use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::views::PlanView;
use crate::web::{Nav, encode, html};

#[derive(Template)]
#[template(path = "teams.html")]
pub(crate) struct TeamsPage {
    nav: Option<Nav>,
    policy_version: i64,
    teams: Vec<crate::team::TeamSummary>,
}

pub async fn teams(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let (policy_version, teams) = crate::team::team_summaries(&state, &signed.principal).await?;
    html(&TeamsPage { nav: Some(Nav::of(&signed)), policy_version, teams })
}

#[derive(Template)]
#[template(path = "plan.html")]
pub(crate) struct PlanPage {
    nav: Option<Nav>,
    csrf: String,
    plan: PlanView,
    may_answer: bool,
    may_acknowledge: bool,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    done: Option<String>,
    /// How many weeks to lay the plan out for.
    weeks: Option<u32>,
}

pub async fn team_plan(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, ServerError> {
    let plan = crate::team::plan_view(&state, &signed.principal, &team, query.weeks).await?;
    let notice = query.done.map(|what| match what.as_str() {
        "acknowledged" => format!("{} acknowledges policy version {}.", plan.team, plan.policy_version),
        _ => "Marked done. The next scan of its places will confirm it.".to_owned(),
    });
    html(&PlanPage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.csrf().to_owned(),
        may_answer: signed.principal.may_answer_for_team(&plan.team),
        may_acknowledge: signed.principal.may_acknowledge_for_team(&plan.team),
        plan,
        notice,
    })
}

#[derive(Template)]
#[template(path = "team_policy.html")]
pub(crate) struct TeamPolicyPage {
    nav: Option<Nav>,
    csrf: String,
    policy: crate::team::TeamPolicyView,
    may_acknowledge: bool,
}

pub async fn team_policy(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
) -> Result<Response, ServerError> {
    let policy = crate::team::team_policy_view(&state, &signed, &team).await?;
    html(&TeamPolicyPage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.csrf().to_owned(),
        may_acknowledge: signed.principal.may_acknowledge_for_team(&policy.team),
        policy,
    })
}

pub async fn acknowledge(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
) -> Result<Response, ServerError> {
    let team = crate::team::acknowledge(&state, &signed.principal, &team).await?;
    Ok(Redirect::to(&format!("/teams/{}?done=acknowledged", encode(&team))).into_response())
}

#[derive(Template)]
#[template(path = "action.html")]
pub(crate) struct ActionPage {
    nav: Option<Nav>,
    csrf: String,
    id: i64,
    team: String,
    /// Where it stands, in the words the API and the command line use too.
    standing: String,
    /// Why it is an emergency, when the standing does not already say so.
    emergency: Option<String>,
    due: Option<String>,
    action: Action,
    fixes: String,
    more: usize,
    /// When, what, by whom, detail.
    events: Vec<(String, &'static str, Option<String>, String)>,
    may_answer: bool,
    may_mark_done: bool,
    may_request_exception: bool,
    pending_exception: Option<i64>,
    may_declare_emergency: bool,
    notice: Option<String>,
    /// What was said (kind, by, text) and the reply.
    answers: Vec<(&'static str, String, String, Option<String>)>,
    today: String,
    latest_until: String,
    max_exception_days: u32,
    /// For code to fix: the rule and each place in the code.
    code: Option<rapport_workflows::CodeFix>,
    /// Places nobody has said are reachable from the internet or not, which the team is asked.
    questions: Vec<crate::team::ReachabilityQuestion>,
}

#[derive(Debug, Deserialize)]
pub struct ActionNotice {
    said: Option<String>,
}

pub async fn action_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(query): Query<ActionNotice>,
) -> Result<Response, ServerError> {
    let detail = crate::team::readable_action(&state, &signed.principal, id).await?;
    let now = state.now();
    let (policy, _) = rapport_workflows::current_policy(&state.store, now).await?;
    let max_exception_days = policy.spec.exceptions.max_days;
    let answers = state
        .store
        .answers_on(id)
        .await?
        .into_iter()
        .map(|a| {
            let kind = match a.kind {
                AnswerKind::Feedback => "Feedback",
                AnswerKind::NotOurs => "Not ours",
            };
            (kind, a.given_by, a.body, a.reply)
        })
        .collect();
    let notice = query.said.map(|said| match said.as_str() {
        "exception" => "Asked. The security team decides; you will see the answer here.".to_owned(),
        "emergency" => "Emergency declared: the action goes to the top of the team's plan.".to_owned(),
        "not_ours" => {
            "Told the security team. The action stays in your plan until ownership changes.".to_owned()
        }
        "reachable" => {
            "Thank you. Your answer is recorded with your name, and the decision now uses it.".to_owned()
        }
        "unknown" => "Thank you. The security team will find out and decide with what they learn.".to_owned(),
        _ => "Thank you. The security team will reply here.".to_owned(),
    });
    let events = detail
        .history
        .iter()
        .map(|e| {
            let by = e.actor.email().map(str::to_owned);
            (signed.reader.moment(e.at), e.kind.label(), by, e.detail.clone())
        })
        .collect();
    let may_answer = signed.principal.may_answer_for_team(&detail.team);
    let code = rapport_workflows::code_fix(&state.store, &detail.action).await?;
    let questions = if may_answer {
        crate::team::reachability_questions(&state, &signed, &detail.action).await?
    } else {
        Vec::new()
    };
    html(&ActionPage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.csrf().to_owned(),
        id,
        may_answer,
        may_mark_done: may_answer && detail.may_mark_done(),
        may_request_exception: may_answer && detail.may_request_exception(),
        pending_exception: detail.pending_exception,
        may_declare_emergency: signed.principal.may_decide() && detail.may_declare_emergency(),
        standing: detail.standing.words(),
        emergency: detail.emergency_aside(),
        due: detail.due.map(|due| due.to_string()),
        team: detail.team,
        fixes: if signed.principal.reads_vulnerability_ids() {
            detail.action.fixes.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
        } else {
            detail.action.fixes_in_words()
        },
        more: if signed.principal.reads_vulnerability_ids() {
            detail.action.fixes.len().saturating_sub(20) + detail.action.more_fixes as usize
        } else {
            0
        },
        action: detail.action,
        events,
        notice,
        answers,
        today: now.date().to_string(),
        latest_until: (now.date() + time::Duration::days(i64::from(max_exception_days))).to_string(),
        max_exception_days,
        code,
        questions,
    })
}

pub async fn action_exception(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(ask): Form<crate::team::ExceptionAsk>,
) -> Result<Response, ServerError> {
    crate::team::request_exception(&state, &signed.principal, id, &ask).await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=exception")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct FeedbackForm {
    pub(crate) text: String,
}

pub async fn action_feedback(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<FeedbackForm>,
) -> Result<Response, ServerError> {
    crate::team::give_feedback(&state, &signed.principal, id, &form.text).await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=feedback")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NotOursForm {
    reason: String,
    #[serde(default)]
    suggested_team: Option<String>,
}

pub async fn action_not_ours(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<NotOursForm>,
) -> Result<Response, ServerError> {
    crate::team::dispute_ownership(
        &state,
        &signed.principal,
        id,
        &form.reason,
        form.suggested_team.as_deref(),
    )
    .await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=not_ours")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ReachabilityForm {
    kind: String,
    name: String,
    answer: String,
}

pub async fn action_reachability(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<ReachabilityForm>,
) -> Result<Response, ServerError> {
    let asset = crate::web::asset_named("kind", &form.kind, form.name)?;
    let answer = crate::team::answer_reachability(&state, &signed.principal, id, asset, &form.answer).await?;
    let said = if answer == rapport_workflows::Reachability::DontKnow { "unknown" } else { "reachable" };
    Ok(Redirect::to(&format!("/actions/{id}?said={said}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DoneForm {
    #[serde(default)]
    note: String,
}

pub async fn action_done(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<DoneForm>,
) -> Result<Response, ServerError> {
    let team = crate::team::mark_done(&state, &signed.principal, id, &form.note).await?;
    Ok(Redirect::to(&format!("/teams/{}?done=action", encode(&team))).into_response())
}
