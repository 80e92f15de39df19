//! A team's plan and its actions in the JSON API; the pages' twins in `pages.rs`.

use axum::Json;
use axum::extract::{Path, Query, State};
use rapport_workflows::Answered;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{Refusals, WriteRefusals};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::team::TeamSummary;
use crate::views::PlanView;

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamsAnswer {
    pub policy_version: i64,
    pub teams: Vec<TeamSummary>,
}

#[utoipa::path(
    get,
    path = "/teams",
    tag = "rapport",
    description = "Every team with its open work (security team and executives).",
    responses(
        (status = 200, description = "OK", body = TeamsAnswer),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn teams(State(state): State<AppState>, signed: Signed) -> Result<Json<TeamsAnswer>, ServerError> {
    let (policy_version, teams) = crate::team::team_summaries(&state, &signed.principal).await?;
    Ok(Json(TeamsAnswer { policy_version, teams }))
}

#[utoipa::path(
    get,
    path = "/teams/{team}/plan",
    tag = "rapport",
    description = "A team's plan, week by week, for as many weeks as the policy lays out unless \
                   `weeks` asks for more or fewer.",
    params(("team" = String, Path, description = "The team's name"), PlanQuery),
    responses(
        (status = 200, description = "OK", body = PlanView),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn team_plan(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
    Query(query): Query<PlanQuery>,
) -> Result<Json<PlanView>, ServerError> {
    Ok(Json(crate::team::plan_view(&state, &signed.principal, &team, query.weeks).await?))
}

#[utoipa::path(
    get,
    path = "/teams/{team}/policy",
    tag = "rapport",
    description = "The policy in force as the team reads it: its rules in sentences, the version the team \
                   last acknowledged, and what changed since.",
    params(("team" = String, Path, description = "The team's name")),
    responses(
        (status = 200, description = "OK", body = crate::team::TeamPolicyView),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn team_policy(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
) -> Result<Json<crate::team::TeamPolicyView>, ServerError> {
    Ok(Json(crate::team::team_policy_view(&state, &signed, &team).await?))
}

/// How far ahead to lay a plan out.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Weeks to lay out, 1 to 104; the policy's `capacity.plan_weeks` when left out.
    #[param(minimum = 1, maximum = 104)]
    pub weeks: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionAnswer {
    pub id: i64,
    pub team: String,
    /// open, verifying, accepted or closed.
    pub state: &'static str,
    /// Where it stands in words, as the pages and the command line say it.
    pub standing: String,
    /// Why it is an emergency, when it is one.
    pub emergency: Option<String>,
    /// Its due date (`YYYY-MM-DD`) while it is open and has one.
    pub due: Option<String>,
    /// An exception request waiting for the security team's decision.
    pub pending_exception: Option<i64>,
    /// The action as planned: what to do, where, what it fixes and why.
    #[schema(value_type = Object)]
    pub action: rapport_core::Action,
}

#[utoipa::path(
    get,
    path = "/actions/{id}",
    tag = "rapport",
    description = "An action with its evidence.",
    params(("id" = i64, Path, description = "The action's number")),
    responses(
        (status = 200, description = "OK", body = ActionAnswer),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn action(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<ActionAnswer>, ServerError> {
    let detail = crate::team::readable_action(&state, &signed.principal, id).await?;
    Ok(Json(ActionAnswer {
        id,
        state: detail.state.as_str(),
        standing: detail.standing.words(),
        emergency: detail.emergency.as_ref().map(rapport_core::Emergency::words),
        due: detail.due.map(|due| due.to_string()),
        pending_exception: detail.pending_exception,
        team: detail.team,
        action: detail.action,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DoneRequest {
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub id: i64,
    pub state: &'static str,
}

#[utoipa::path(
    post,
    path = "/actions/{id}/done",
    tag = "rapport",
    description = "Done, please verify: the next scan confirms it.",
    params(("id" = i64, Path, description = "The action's number")),
    request_body = DoneRequest,
    responses(
        (status = 200, description = "OK", body = Done),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn action_done(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(request): Json<DoneRequest>,
) -> Result<Json<Done>, ServerError> {
    crate::team::mark_done(&state, &signed.principal, id, &request.note).await?;
    Ok(Json(Done { id, state: rapport_core::ActionState::Verifying.as_str() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    pub team: String,
}

#[utoipa::path(
    post,
    path = "/teams/{team}/acknowledge",
    tag = "rapport",
    description = "The team's manager acknowledges the policy in force.",
    params(("team" = String, Path, description = "The team's name")),
    responses(
        (status = 200, description = "OK", body = Acknowledged),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn acknowledge(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
) -> Result<Json<Acknowledged>, ServerError> {
    let team = crate::team::acknowledge(&state, &signed.principal, &team).await?;
    Ok(Json(Acknowledged { team }))
}

/// The number of what was created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[utoipa::path(
    post,
    path = "/actions/{id}/exceptions",
    tag = "rapport",
    description = "Ask for an exception or a risk acceptance on an action.",
    params(("id" = i64, Path, description = "The action's number")),
    request_body = crate::team::ExceptionAsk,
    responses(
        (status = 200, description = "OK", body = Created),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn request_exception(
    State(state): State<AppState>,
    signed: Signed,
    Path(action): Path<i64>,
    Json(ask): Json<crate::team::ExceptionAsk>,
) -> Result<Json<Created>, ServerError> {
    let Answered { id, .. } = crate::team::request_exception(&state, &signed.principal, action, &ask).await?;
    Ok(Json(Created { id }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FeedbackRequest {
    pub text: String,
}

#[utoipa::path(
    post,
    path = "/actions/{id}/feedback",
    tag = "rapport",
    description = "Feedback on an action, for the security team.",
    params(("id" = i64, Path, description = "The action's number")),
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "OK", body = Created),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn feedback(
    State(state): State<AppState>,
    signed: Signed,
    Path(action): Path<i64>,
    Json(request): Json<FeedbackRequest>,
) -> Result<Json<Created>, ServerError> {
    let Answered { id, .. } =
        crate::team::give_feedback(&state, &signed.principal, action, &request.text).await?;
    Ok(Json(Created { id }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NotOursRequest {
    pub reason: String,
    #[serde(default)]
    pub suggested_team: Option<String>,
}

#[utoipa::path(
    post,
    path = "/actions/{id}/not-ours",
    tag = "rapport",
    description = "The team says the action is not theirs.",
    params(("id" = i64, Path, description = "The action's number")),
    request_body = NotOursRequest,
    responses(
        (status = 200, description = "OK", body = Created),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn not_ours(
    State(state): State<AppState>,
    signed: Signed,
    Path(action): Path<i64>,
    Json(request): Json<NotOursRequest>,
) -> Result<Json<Created>, ServerError> {
    let Answered { id, .. } = crate::team::dispute_ownership(
        &state,
        &signed.principal,
        action,
        &request.reason,
        request.suggested_team.as_deref(),
    )
    .await?;
    Ok(Json(Created { id }))
}

/// The team's answer to "can this place be reached from the internet?".
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReachabilityRequest {
    /// The place, as the action lists it: `host`, `container_image`, `repository`,
    /// `filesystem`, `kubernetes_resource` or `product`, and its name.
    pub kind: String,
    pub name: String,
    #[schema(pattern = "^(yes|no|unknown)$")]
    pub answer: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReachabilityAnswered {
    pub action: i64,
    /// `yes`, `no` or `unknown`.
    pub answer: &'static str,
}

#[utoipa::path(
    post,
    path = "/actions/{id}/reachability",
    tag = "rapport",
    description = "Says whether a place of the action can be reached from the internet, for the places \
                   no ownership rule decides. A yes or a no is evidence from then on, recorded with who \
                   gave it, and the decisions are brought up to date; \"unknown\" is recorded and leaves \
                   the question open.",
    params(("id" = i64, Path, description = "The action")),
    request_body = ReachabilityRequest,
    responses((status = 200, description = "OK", body = ReachabilityAnswered), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn reachability(
    State(state): State<AppState>,
    signed: Signed,
    Path(action): Path<i64>,
    Json(request): Json<ReachabilityRequest>,
) -> Result<Json<ReachabilityAnswered>, ServerError> {
    let asset = crate::web::asset_named("kind", &request.kind, request.name)?;
    let answer =
        crate::team::answer_reachability(&state, &signed.principal, action, asset, &request.answer).await?;
    Ok(Json(ReachabilityAnswered { action, answer: answer.as_str() }))
}
