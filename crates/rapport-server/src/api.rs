//! The JSON API under `/api/v1`: what the pages do, for scripts. Signed by an API token
//! (`Authorization: Bearer rpt_…`) or by a browser session with its CSRF header.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Signed;
use crate::error::{ErrorBody, ServerError};

/// What a read may be refused with, each with the one JSON error body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "only documents the answers; ServerError makes them")]
pub enum Refusals {
    #[response(status = 400, description = "Bad request")]
    BadRequest(#[to_schema] ErrorBody),
    #[response(status = 401, description = "Not signed in, or the token is unknown or revoked")]
    Unauthenticated(#[to_schema] ErrorBody),
    #[response(status = 403, description = "Not allowed for this role or token")]
    Forbidden(#[to_schema] ErrorBody),
    #[response(status = 404, description = "Not found, or not yours to see")]
    NotFound(#[to_schema] ErrorBody),
}

/// What a write may be refused with: a read's refusals, and a body or a state it cannot take.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "only documents the answers; ServerError makes them")]
pub enum WriteRefusals {
    #[response(status = 400, description = "Bad request")]
    BadRequest(#[to_schema] ErrorBody),
    #[response(status = 401, description = "Not signed in, or the token is unknown or revoked")]
    Unauthenticated(#[to_schema] ErrorBody),
    #[response(status = 403, description = "Not allowed for this role or token")]
    Forbidden(#[to_schema] ErrorBody),
    #[response(status = 404, description = "Not found, or not yours to see")]
    NotFound(#[to_schema] ErrorBody),
    #[response(status = 409, description = "Refused in the current state")]
    Refused(#[to_schema] ErrorBody),
    #[response(status = 415, description = "The body is not JSON (Content-Type: application/json)")]
    NotJson(#[to_schema] ErrorBody),
    #[response(status = 422, description = "The body does not match the schema")]
    Unreadable(#[to_schema] ErrorBody),
}
use crate::pages::Peer;
use crate::state::AppState;
use crate::views::{MeView, PlanView};
use crate::work::{self, TeamSummary};
use crate::{accounts, security, upload};
use rapport_workflows::Answered;

#[utoipa::path(
    get,
    path = "/me",
    tag = "rapport",
    description = "Who is signed in.",
    responses(
        (status = 200, description = "OK", body = MeView),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn me(signed: Signed) -> Json<MeView> {
    Json(MeView::new(&signed.principal, &signed.account.name))
}

#[utoipa::path(
    get,
    path = "/me/devices",
    tag = "rapport",
    description = "The devices inventory says the signed-in person uses, each with what to do on it and why.",
    responses(
        (status = 200, description = "OK", body = Vec<work::DeviceView>),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn my_devices(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<work::DeviceView>>, ServerError> {
    Ok(Json(work::my_devices(&state, &signed.principal).await?))
}

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
    let (policy_version, teams) = work::team_summaries(&state, &signed.principal).await?;
    Ok(Json(TeamsAnswer { policy_version, teams }))
}

#[utoipa::path(
    get,
    path = "/teams/{team}/plan",
    tag = "rapport",
    description = "A team's plan, week by week.",
    params(("team" = String, Path, description = "The team's name")),
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
) -> Result<Json<PlanView>, ServerError> {
    Ok(Json(work::plan_view(&state, &signed.principal, &team).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionAnswer {
    pub id: i64,
    pub team: String,
    /// open, verifying, accepted or closed.
    pub state: &'static str,
    /// Where it stands in words, as the pages and the command line say it.
    pub standing: String,
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
    work::readable_action(&state, &signed.principal, id).await?;
    let detail = rapport_workflows::action_detail(&state.store, id, state.now()).await?;
    Ok(Json(ActionAnswer {
        id,
        state: detail.state.as_str(),
        standing: detail.standing.words(),
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
    work::mark_done(&state, &signed.principal, id, &request.note).await?;
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
    let team = work::acknowledge(&state, &signed.principal, &team).await?;
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
    request_body = work::ExceptionAsk,
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
    Json(ask): Json<work::ExceptionAsk>,
) -> Result<Json<Created>, ServerError> {
    let Answered { id, .. } = work::request_exception(&state, &signed.principal, action, &ask).await?;
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
    let Answered { id, .. } = work::give_feedback(&state, &signed.principal, action, &request.text).await?;
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
    let Answered { id, .. } = work::dispute_ownership(
        &state,
        &signed.principal,
        action,
        &request.reason,
        request.suggested_team.as_deref(),
    )
    .await?;
    Ok(Json(Created { id }))
}

#[utoipa::path(
    get,
    path = "/queue",
    tag = "rapport",
    description = "Exception requests and answers waiting for the security team.",
    responses(
        (status = 200, description = "OK", body = work::Queue),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn queue(State(state): State<AppState>, signed: Signed) -> Result<Json<work::Queue>, ServerError> {
    Ok(Json(work::queue(&state, &signed.principal).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    pub approve: bool,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Decided {
    pub id: i64,
    pub state: &'static str,
}

#[utoipa::path(
    post,
    path = "/exceptions/{id}/decision",
    tag = "rapport",
    description = "The security team approves or rejects an exception request.",
    params(("id" = i64, Path, description = "The exception request's number")),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "OK", body = Decided),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn decide_exception(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(request): Json<DecisionRequest>,
) -> Result<Json<Decided>, ServerError> {
    work::decide_exception(&state, &signed.principal, id, request.approve, &request.reason).await?;
    Ok(Json(Decided { id, state: if request.approve { "approved" } else { "rejected" } }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Replied {
    pub id: i64,
}

#[utoipa::path(
    post,
    path = "/answers/{id}/reply",
    tag = "rapport",
    description = "The security team replies to feedback or a dispute.",
    params(("id" = i64, Path, description = "The answer's number")),
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "OK", body = Replied),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn reply(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(request): Json<FeedbackRequest>,
) -> Result<Json<Replied>, ServerError> {
    work::reply(&state, &signed.principal, id, &request.text).await?;
    Ok(Json(Replied { id }))
}

#[utoipa::path(
    get,
    path = "/overview",
    tag = "security team",
    description = "The state of the whole programme: findings, actions, answers waiting, unowned assets, \
                   acknowledgements and the latest imports.",
    responses((status = 200, description = "OK", body = security::Overview), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn overview(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<security::Overview>, ServerError> {
    Ok(Json(security::overview(&state, &signed.principal).await?))
}

#[utoipa::path(
    get,
    path = "/findings",
    tag = "security team",
    description = "Open findings with their decision, most severe first.",
    params(security::FindingQuery),
    responses((status = 200, description = "OK", body = Vec<security::FindingView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn findings(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<security::FindingQuery>,
) -> Result<Json<Vec<security::FindingView>>, ServerError> {
    Ok(Json(security::findings(&state, &signed.principal, &query).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnownedAnswer {
    /// How many assets no rule owns; at most 1000 are listed.
    pub total: u64,
    pub assets: Vec<security::UnownedAsset>,
}

#[utoipa::path(
    get,
    path = "/assets/unowned",
    tag = "security team",
    description = "Assets no ownership rule matched, whose findings reach no team's plan.",
    responses((status = 200, description = "OK", body = UnownedAnswer), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn unowned_assets(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<UnownedAnswer>, ServerError> {
    let (total, assets) = security::unowned_assets(&state, &signed.principal).await?;
    Ok(Json(UnownedAnswer { total, assets }))
}

#[utoipa::path(
    get,
    path = "/policy",
    tag = "security team",
    description = "The policy in force, who acknowledged it and who has not.",
    responses((status = 200, description = "OK", body = security::PolicyView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn policy(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<security::PolicyView>, ServerError> {
    Ok(Json(security::policy(&state, &signed.principal).await?))
}

#[utoipa::path(
    get,
    path = "/people",
    tag = "security team",
    description = "The directory's teams, each with its people.",
    responses((status = 200, description = "OK", body = Vec<security::TeamPeople>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn people(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<security::TeamPeople>>, ServerError> {
    Ok(Json(security::teams_and_people(&state, &signed.principal).await?))
}

#[utoipa::path(
    get,
    path = "/imports",
    tag = "security team",
    description = "The latest 200 imports, newest first.",
    responses((status = 200, description = "OK", body = Vec<security::ImportView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn imports(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<security::ImportView>>, ServerError> {
    Ok(Json(security::imports(&state, &signed.principal).await?))
}

/// A scanner file or VEX document sent as `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code, reason = "only documents the form; the handler streams it")]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

#[utoipa::path(
    post,
    path = "/imports",
    tag = "security team",
    description = "Imports a scanner file or VEX document (all of it or nothing), then re-decides the \
                   open findings and rebuilds the plans. The format is recognised from the content.",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "OK", body = security::Imported), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    Peer(peer): Peer,
    request: Request,
) -> Result<Json<security::Imported>, ServerError> {
    let (signed, upload) = upload::authorised_upload(request, security::may_import).await?;
    Ok(Json(security::import_upload(&state, &signed.principal, &upload.name, &upload.path, peer).await?))
}

#[utoipa::path(
    get,
    path = "/accounts",
    tag = "administration",
    description = "Every account.",
    responses((status = 200, description = "OK", body = Vec<accounts::AccountView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn accounts(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<accounts::AccountView>>, ServerError> {
    Ok(Json(accounts::list(&state.store, &signed.principal).await?))
}

/// An account and, when it was just given one, its one-time password (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountAnswer {
    pub account: accounts::AccountView,
    pub one_time_password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/accounts",
    tag = "administration",
    description = "Makes an account with a one-time password, to be changed at the first sign-in.",
    request_body = accounts::AccountRequest,
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn create_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Json(request): Json<accounts::AccountRequest>,
) -> Result<Json<AccountAnswer>, ServerError> {
    let password = work::create_account(&state, &signed.principal, &request, peer).await?;
    let account = accounts::account_by_email(&state.store, &request.email).await?;
    Ok(Json(AccountAnswer {
        account: accounts::AccountView::of(&account),
        one_time_password: Some(password),
    }))
}

async fn account_act(
    state: &AppState,
    signed: &Signed,
    id: i64,
    act: accounts::AccountAct,
    peer: Option<String>,
) -> Result<Json<AccountAnswer>, ServerError> {
    let (_, password) = work::act_on_account(state, &signed.principal, id, &act, peer).await?;
    let account =
        state.store.account(id).await?.ok_or_else(|| ServerError::NotFound(format!("no account #{id}")))?;
    Ok(Json(AccountAnswer { account: accounts::AccountView::of(&account), one_time_password: password }))
}

#[utoipa::path(
    post,
    path = "/accounts/{id}/reset",
    tag = "administration",
    description = "Gives someone else's account a new one-time password; its sessions end.",
    params(("id" = i64, Path, description = "The account's number")),
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn reset_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Json<AccountAnswer>, ServerError> {
    account_act(&state, &signed, id, accounts::AccountAct::Reset, peer).await
}

#[utoipa::path(
    post,
    path = "/accounts/{id}/disable",
    tag = "administration",
    description = "Disables someone else's account: its sessions end and its tokens stop working.",
    params(("id" = i64, Path, description = "The account's number")),
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn disable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Json<AccountAnswer>, ServerError> {
    account_act(&state, &signed, id, accounts::AccountAct::Disable, peer).await
}

#[utoipa::path(
    post,
    path = "/accounts/{id}/enable",
    tag = "administration",
    description = "Enables a disabled account again.",
    params(("id" = i64, Path, description = "The account's number")),
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn enable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Json<AccountAnswer>, ServerError> {
    account_act(&state, &signed, id, accounts::AccountAct::Enable, peer).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyText {
    /// The whole policy file (TOML), as `rapport policy show` prints it.
    pub content: String,
}

#[utoipa::path(
    post,
    path = "/policy",
    tag = "security team",
    description = "Applies a policy file as the next version, once it is checked whole; the same text \
                   as the version in force changes nothing.",
    request_body = PolicyText,
    responses((status = 200, description = "OK", body = work::PolicyApplied), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn apply_policy(
    State(state): State<AppState>,
    signed: Signed,
    Json(request): Json<PolicyText>,
) -> Result<Json<work::PolicyApplied>, ServerError> {
    Ok(Json(work::apply_policy(&state, &signed.principal, &request.content).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmergencyRequest {
    /// Why this cannot wait for the plan; the team reads it.
    pub reason: String,
}

#[utoipa::path(
    post,
    path = "/actions/{id}/emergency",
    tag = "security team",
    description = "Declares an emergency on an action the policy's criteria did not make one.",
    params(("id" = i64, Path, description = "The action's number")),
    request_body = EmergencyRequest,
    responses((status = 200, description = "OK", body = Created), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn declare_emergency(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(request): Json<EmergencyRequest>,
) -> Result<Json<Created>, ServerError> {
    let id = work::declare_emergency(&state, &signed.principal, id, &request.reason).await?;
    Ok(Json(Created { id }))
}

#[utoipa::path(
    get,
    path = "/actions",
    tag = "security team",
    description = "Every team's actions, most urgent first.",
    params(security::ActionQuery),
    responses((status = 200, description = "OK", body = Vec<security::ActionRow>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn actions(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<security::ActionQuery>,
) -> Result<Json<Vec<security::ActionRow>>, ServerError> {
    Ok(Json(security::actions(&state, &signed.principal, &query).await?))
}
