//! The JSON API under `/api/v1`: what the pages do, for scripts. Signed by an API token
//! (`Authorization: Bearer rpt_…`) or by a browser session with its CSRF header.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use crate::auth::Signed;
use crate::error::ServerError;
use crate::pages::Peer;
use crate::state::AppState;
use crate::views::{MeView, PlanView};
use crate::work::{self, TeamSummary};

pub async fn me(signed: Signed) -> Json<MeView> {
    Json(MeView::new(&signed.principal, &signed.account.name))
}

#[derive(Debug, Serialize)]
pub struct TeamsAnswer {
    pub policy_version: i64,
    pub teams: Vec<TeamSummary>,
}

pub async fn teams(State(state): State<AppState>, signed: Signed) -> Result<Json<TeamsAnswer>, ServerError> {
    let (policy_version, teams) = work::team_summaries(&state, &signed.principal).await?;
    Ok(Json(TeamsAnswer { policy_version, teams }))
}

pub async fn team_plan(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
) -> Result<Json<PlanView>, ServerError> {
    Ok(Json(work::plan_view(&state, &signed.principal, &team).await?))
}

#[derive(Debug, Serialize)]
pub struct ActionAnswer {
    pub id: i64,
    pub team: String,
    pub state: &'static str,
    pub action: rapport_core::Action,
}

pub async fn action(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<ActionAnswer>, ServerError> {
    let stored = work::readable_action(&state, &signed.principal, id).await?;
    Ok(Json(ActionAnswer { id, team: stored.team, state: stored.state.as_str(), action: stored.action }))
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneRequest {
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct Done {
    pub id: i64,
    pub state: &'static str,
}

pub async fn action_done(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
    Json(request): Json<DoneRequest>,
) -> Result<Json<Done>, ServerError> {
    work::mark_done(&state, &signed.principal, id, &request.note, peer).await?;
    Ok(Json(Done { id, state: rapport_core::ActionState::Verifying.as_str() }))
}

#[derive(Debug, Serialize)]
pub struct Acknowledged {
    pub team: String,
}

pub async fn acknowledge(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(team): Path<String>,
) -> Result<Json<Acknowledged>, ServerError> {
    let team = work::acknowledge(&state, &signed.principal, &team, peer).await?;
    Ok(Json(Acknowledged { team }))
}

/// The number of what was created.
#[derive(Debug, Serialize)]
pub struct Created {
    pub id: i64,
}

pub async fn request_exception(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(action): Path<i64>,
    Json(ask): Json<work::ExceptionAsk>,
) -> Result<Json<Created>, ServerError> {
    let (id, _) = work::request_exception(&state, &signed.principal, action, &ask, peer).await?;
    Ok(Json(Created { id }))
}

#[derive(Debug, Deserialize)]
pub struct FeedbackRequest {
    pub text: String,
}

pub async fn feedback(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(action): Path<i64>,
    Json(request): Json<FeedbackRequest>,
) -> Result<Json<Created>, ServerError> {
    let (id, _) = work::give_feedback(&state, &signed.principal, action, &request.text, peer).await?;
    Ok(Json(Created { id }))
}

#[derive(Debug, Deserialize)]
pub struct NotOursRequest {
    pub reason: String,
    #[serde(default)]
    pub suggested_team: Option<String>,
}

pub async fn not_ours(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(action): Path<i64>,
    Json(request): Json<NotOursRequest>,
) -> Result<Json<Created>, ServerError> {
    let (id, _) = work::dispute_ownership(
        &state,
        &signed.principal,
        action,
        &request.reason,
        request.suggested_team.as_deref(),
        peer,
    )
    .await?;
    Ok(Json(Created { id }))
}

pub async fn queue(State(state): State<AppState>, signed: Signed) -> Result<Json<work::Queue>, ServerError> {
    Ok(Json(work::queue(&state, &signed.principal).await?))
}

#[derive(Debug, Deserialize)]
pub struct DecisionRequest {
    pub approve: bool,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Decided {
    pub id: i64,
    pub state: &'static str,
}

pub async fn decide_exception(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
    Json(request): Json<DecisionRequest>,
) -> Result<Json<Decided>, ServerError> {
    work::decide_exception(&state, &signed.principal, id, request.approve, &request.reason, peer).await?;
    Ok(Json(Decided { id, state: if request.approve { "approved" } else { "rejected" } }))
}

#[derive(Debug, Serialize)]
pub struct Replied {
    pub id: i64,
}

pub async fn reply(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
    Json(request): Json<FeedbackRequest>,
) -> Result<Json<Replied>, ServerError> {
    work::reply(&state, &signed.principal, id, &request.text, peer).await?;
    Ok(Json(Replied { id }))
}
