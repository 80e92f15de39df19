//! The security team's JSON API; the pages' twins in `pages.rs`.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Refusals, WriteRefusals};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::team::api::{Created, FeedbackRequest};
use crate::web::Peer;

#[utoipa::path(
    get,
    path = "/queue",
    tag = "rapport",
    description = "Exception requests and answers waiting for the security team.",
    responses(
        (status = 200, description = "OK", body = crate::security::Queue),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<crate::security::Queue>, ServerError> {
    Ok(Json(crate::security::queue(&state, &signed).await?))
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
    crate::security::decide_exception(&state, &signed.principal, id, request.approve, &request.reason)
        .await?;
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
    crate::security::reply(&state, &signed.principal, id, &request.text).await?;
    Ok(Json(Replied { id }))
}

#[utoipa::path(
    post,
    path = "/campaign-answers/{id}/reply",
    tag = "security team",
    description = "The security team replies to someone who said they can't do what a campaign asks; the \
                   reply reaches them as a message.",
    params(("id" = i64, Path, description = "The campaign answer's number")),
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "OK", body = Replied),
        WriteRefusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn reply_to_campaign_answer(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(request): Json<FeedbackRequest>,
) -> Result<Json<Replied>, ServerError> {
    crate::security::reply_to_campaign_answer(&state, &signed.principal, id, &request.text).await?;
    Ok(Json(Replied { id }))
}

#[utoipa::path(
    get,
    path = "/overview",
    tag = "security team",
    description = "The state of the whole programme: findings, actions, answers waiting, unowned assets, \
                   acknowledgements and the latest imports.",
    responses((status = 200, description = "OK", body = crate::security::Overview), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn overview(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<crate::security::Overview>, ServerError> {
    Ok(Json(crate::security::overview(&state, &signed).await?))
}

#[utoipa::path(
    get,
    path = "/findings",
    tag = "security team",
    description = "Findings with their decision and owning team, open ones most severe first unless asked \
                   otherwise; one page of `limit` at a time (`page`), the next page existing when a page is full.",
    params(crate::security::findings::FindingQuery),
    responses((status = 200, description = "OK", body = Vec<crate::security::findings::FindingView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn findings(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<crate::security::findings::FindingQuery>,
) -> Result<Json<Vec<crate::security::findings::FindingView>>, ServerError> {
    Ok(Json(crate::security::findings::findings(&state, &signed, &query).await?.0))
}

#[utoipa::path(
    get,
    path = "/findings/{id}",
    tag = "security team",
    description = "One finding, open or resolved: its decision with the evidence, every CVSS score known, how \
                   the decision changed, and its team's open actions at its place (what `rapport why` prints).",
    params(("id" = i64, Path, description = "The finding's number")),
    responses((status = 200, description = "OK", body = crate::security::findings::FindingPageView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn finding(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<crate::security::findings::FindingPageView>, ServerError> {
    Ok(Json(crate::security::findings::finding(&state, &signed, id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnownedAnswer {
    /// How many assets no rule owns; at most 1000 are listed.
    pub total: u64,
    pub assets: Vec<crate::security::UnownedAsset>,
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
    let (total, assets) = crate::security::unowned_assets(&state, &signed).await?;
    Ok(Json(UnownedAnswer { total, assets }))
}

#[utoipa::path(
    get,
    path = "/policy",
    tag = "security team",
    description = "The policy in force, who acknowledged it and who has not.",
    responses((status = 200, description = "OK", body = crate::security::PolicyView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn policy(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<crate::security::PolicyView>, ServerError> {
    Ok(Json(crate::security::policy(&state, &signed).await?))
}

/// What to give to a team: one asset, or every asset of an action.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignmentRequest {
    /// The team, as the directory names it (in any case).
    team: String,
    asset: Option<AssetName>,
    action: Option<i64>,
    /// `false` (the default) only says what the next version would change.
    #[serde(default)]
    apply: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssetName {
    /// `host`, `container_image`, `repository`, `filesystem`, `kubernetes_resource` or `product`.
    kind: String,
    /// The name scanners and the ownership rules know it by.
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentAnswer {
    /// The ownership version this is, or would be.
    version: i64,
    applied: bool,
    team: String,
    /// The assets given, by the names people know them by.
    assets: Vec<String>,
    /// The assets whose owner changes, with the owner before (`null` for nobody).
    changes: Vec<OwnerChange>,
    /// The ownership file's unified difference from the version in force.
    difference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerChange {
    asset: String,
    before: Option<String>,
    after: Option<String>,
}

#[utoipa::path(
    post,
    path = "/ownership/assignments",
    tag = "security team",
    description = "Gives an asset (or every asset of a disputed action) to a team by writing the next \
                   version of the ownership file, with a rule for each asset before all the others. \
                   Without `apply` it only answers what that version would change; with it, the version \
                   is applied and the plans are rebuilt.",
    request_body = AssignmentRequest,
    responses((status = 200, description = "OK", body = AssignmentAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn assign_owner(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Json(request): Json<AssignmentRequest>,
) -> Result<Json<AssignmentAnswer>, ServerError> {
    let given = match (request.asset, request.action) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ServerError::BadRequest("name an asset or an action, not both".into()));
        }
        (None, Some(action)) => rapport_workflows::Given::Action(action),
        (Some(asset), None) => {
            rapport_workflows::Given::Asset(crate::web::asset_named("asset.kind", &asset.kind, asset.name)?)
        }
    };
    let assignment =
        crate::security::owners::give(&state, &signed.principal, given, &request.team, request.apply, peer)
            .await?;
    let changes = assignment
        .changes
        .iter()
        .map(|change| OwnerChange {
            asset: change.name.clone(),
            before: change.before.team.clone(),
            after: change.after.team.clone(),
        })
        .collect();
    Ok(Json(AssignmentAnswer {
        version: assignment.version,
        applied: assignment.applied,
        assets: assignment.assets.iter().map(|asset| asset.display_name().to_owned()).collect(),
        team: assignment.team,
        changes,
        difference: assignment.difference,
    }))
}

#[utoipa::path(
    get,
    path = "/people",
    tag = "security team",
    description = "The directory's teams, each with its people.",
    responses((status = 200, description = "OK", body = Vec<crate::security::TeamPeople>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn people(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<crate::security::TeamPeople>>, ServerError> {
    Ok(Json(crate::security::teams_and_people(&state, &signed.principal).await?))
}

#[utoipa::path(
    get,
    path = "/imports",
    tag = "security team",
    description = "The latest 200 imports, newest first.",
    responses((status = 200, description = "OK", body = Vec<crate::security::ImportView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn imports(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<crate::security::ImportView>>, ServerError> {
    Ok(Json(crate::security::imports(&state, &signed).await?))
}

/// A scanner file or VEX document sent as `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code, reason = "only documents the form; the handler streams it")]
pub struct UploadForm {
    /// The format's name (as `rapport import --format` takes it), sent before the file, for
    /// a file whose format cannot be recognised from its content; leave it out otherwise.
    #[schema(example = "nessus-csv")]
    format: Option<String>,
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

#[utoipa::path(
    post,
    path = "/imports",
    tag = "security team",
    description = "Imports a scanner file or VEX document (all of it or nothing), then re-decides the \
                   open findings and rebuilds the plans. The format is recognised from the content, unless \
                   a `format` field before the file names it.",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "OK", body = crate::security::Imported), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    Peer(peer): Peer,
    request: Request,
) -> Result<Json<crate::security::Imported>, ServerError> {
    let (signed, upload) = crate::upload::authorised_upload(request, crate::security::may_import).await?;
    Ok(Json(crate::security::import_upload(&state, &signed, &upload, peer).await?))
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
    responses((status = 200, description = "OK", body = crate::security::PolicyApplied), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn apply_policy(
    State(state): State<AppState>,
    signed: Signed,
    Json(request): Json<PolicyText>,
) -> Result<Json<crate::security::PolicyApplied>, ServerError> {
    Ok(Json(crate::security::apply_policy(&state, &signed.principal, &request.content).await?))
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
    let id = crate::security::declare_emergency(&state, &signed.principal, id, &request.reason).await?;
    Ok(Json(Created { id }))
}

#[utoipa::path(
    get,
    path = "/actions",
    tag = "security team",
    description = "Every team's actions, most urgent first.",
    params(crate::security::ActionQuery),
    responses((status = 200, description = "OK", body = Vec<crate::security::ActionRow>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn actions(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<crate::security::ActionQuery>,
) -> Result<Json<Vec<crate::security::ActionRow>>, ServerError> {
    Ok(Json(crate::security::actions(&state, &signed.principal, &query).await?))
}
