//! Follow-through drafts, pages and API, for the security team: the advisories drafted into one
//! thing to do, each with its words for end users and for teams, exactly who it would reach
//! now, and the forms to change the words, send it or set it aside.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_core::{DraftState, Principal, Wording};
use rapport_storage::StoredDraft;
use rapport_workflows::{Reach, WordingFor};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{Refusals, WriteRefusals};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::security::given;
use crate::state::AppState;
use crate::views::Reader;
use crate::web::{Nav, html, require};

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct DraftsQuery {
    /// Only drafts in this state: review, sent or dismissed.
    pub state: Option<String>,
    /// What was just done, for the page's notice.
    #[serde(default)]
    #[param(ignore)]
    pub done: Option<String>,
}

/// A draft's words for one kind of reader.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct WordingView {
    pub subject: String,
    pub body: String,
    /// The one thing to do.
    pub ask: String,
}

impl From<&Wording> for WordingView {
    fn from(wording: &Wording) -> WordingView {
        WordingView { subject: wording.subject.clone(), body: wording.body.clone(), ask: wording.ask.clone() }
    }
}

/// One draft.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DraftView {
    pub id: i64,
    /// review, sent or dismissed.
    pub state: String,
    /// browser, kev, advisory, or the category a vendor feed is given.
    pub category: String,
    /// Who published the advisory.
    pub source: String,
    pub title: String,
    /// The vulnerability ids it is about.
    pub vulnerabilities: Vec<String>,
    pub link: Option<String>,
    pub drafted: String,
    pub edited_by: Option<String>,
    /// Who sent or set it aside (none when it went by itself), and when.
    pub decided_by: Option<String>,
    pub decided: Option<String>,
    /// How many people and teams it reached, once sent.
    pub people: Option<u64>,
    pub teams: Option<u64>,
    pub for_end_users: WordingView,
    pub for_teams: WordingView,
}

impl DraftView {
    fn of(draft: &StoredDraft, reader: &Reader) -> DraftView {
        DraftView {
            id: draft.id,
            state: draft.state.as_str().to_owned(),
            category: draft.advisory.category.clone(),
            source: draft.advisory.source.clone(),
            title: draft.advisory.title.clone(),
            vulnerabilities: draft.advisory.vulnerabilities.iter().map(|id| id.as_str().to_owned()).collect(),
            link: draft.advisory.link.clone(),
            drafted: reader.moment(draft.drafted_at),
            edited_by: draft.edited_by.clone(),
            decided_by: draft.decided_by.clone(),
            decided: draft.decided_at.map(|at| reader.moment(at)),
            people: draft.people,
            teams: draft.teams,
            for_end_users: (&draft.wording.end_user).into(),
            for_teams: (&draft.wording.team).into(),
        }
    }

    fn waits(&self) -> bool {
        self.state == DraftState::Review.as_str()
    }
}

/// A draft with exactly who it would reach now.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DraftPreview {
    pub draft: DraftView,
    /// Everyone who would read it: the people, and the teams' engineers and managers.
    pub readers: usize,
    pub people: Vec<PersonReachedView>,
    pub teams: Vec<TeamReachedView>,
    /// Devices and systems it concerns that nobody can be told of.
    pub unreached: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonReachedView {
    pub name: String,
    pub email: String,
    pub team: Option<String>,
    /// Their own devices it concerns, each with the version it runs.
    pub devices: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamReachedView {
    pub team: String,
    /// The team's engineers and managers who would read it.
    pub readers: Vec<String>,
    pub places: Vec<String>,
}

impl DraftPreview {
    fn of(draft: &StoredDraft, reach: Reach, reader: &Reader) -> DraftPreview {
        DraftPreview {
            draft: DraftView::of(draft, reader),
            readers: reach.readers(),
            people: reach
                .people
                .into_iter()
                .map(|person| PersonReachedView {
                    name: person.name,
                    email: person.email,
                    team: person.team,
                    devices: person.devices,
                })
                .collect(),
            teams: reach
                .teams
                .into_iter()
                .map(|team| TeamReachedView { team: team.team, readers: team.readers, places: team.places })
                .collect(),
            unreached: reach.unreached,
        }
    }
}

const FOR_THE_SECURITY_TEAM: &str = "follow-through drafts are for the security team";

async fn drafts(
    state: &AppState,
    signed: &Signed,
    query: &DraftsQuery,
) -> Result<Vec<DraftView>, ServerError> {
    require(&signed.principal, Principal::is_security, FOR_THE_SECURITY_TEAM)?;
    let wanted = match given(&query.state) {
        Some(word) => Some(DraftState::parse(word).ok_or_else(|| {
            ServerError::BadRequest(format!("state: expected review, sent or dismissed, got {word:?}"))
        })?),
        None => None,
    };
    let drafts = rapport_workflows::follow_through_drafts(&state.store, wanted).await?;
    Ok(drafts.iter().map(|draft| DraftView::of(draft, &signed.reader)).collect())
}

async fn preview(state: &AppState, signed: &Signed, id: i64) -> Result<DraftPreview, ServerError> {
    require(&signed.principal, Principal::is_security, FOR_THE_SECURITY_TEAM)?;
    let (draft, reach) = rapport_workflows::preview_follow_through(&state.store, &id.to_string()).await?;
    Ok(DraftPreview::of(&draft, reach, &signed.reader))
}

fn wording_for(word: &str) -> Result<WordingFor, ServerError> {
    match word {
        "end_user" => Ok(WordingFor::EndUser),
        "team" => Ok(WordingFor::Team),
        other => Err(ServerError::BadRequest(format!("audience: expected end_user or team, got {other:?}"))),
    }
}

#[derive(Template)]
#[template(path = "follow_through.html")]
pub(crate) struct DraftsPage {
    nav: Option<Nav>,
    query: DraftsQuery,
    drafts: Vec<DraftView>,
    notice: Option<String>,
}

pub async fn drafts_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<DraftsQuery>,
) -> Result<Response, ServerError> {
    let drafts = drafts(&state, &signed, &query).await?;
    let notice = query.done.clone().map(|done| format!("Done: {done}."));
    html(&DraftsPage { nav: Some(Nav::of(&signed)), query, drafts, notice })
}

#[derive(Template)]
#[template(path = "follow_through_draft.html")]
pub(crate) struct DraftPage {
    nav: Option<Nav>,
    csrf: String,
    preview: DraftPreview,
    notice: Option<String>,
}

impl DraftPage {
    /// The draft's words for each kind of reader: the field name, the heading, the words.
    fn sections(&self) -> [(&'static str, &'static str, &WordingView); 2] {
        let draft = &self.preview.draft;
        [
            ("end_user", "For people, about their own devices", &draft.for_end_users),
            ("team", "For teams, about their systems", &draft.for_teams),
        ]
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DraftNotice {
    done: Option<String>,
}

pub async fn draft_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(notice): Query<DraftNotice>,
) -> Result<Response, ServerError> {
    let preview = preview(&state, &signed, id).await?;
    let notice = notice.done.map(|done| format!("Done: {done}."));
    html(&DraftPage { nav: Some(Nav::of(&signed)), csrf: signed.csrf().to_owned(), preview, notice })
}

#[derive(Debug, Deserialize)]
pub struct WordingForm {
    audience: String,
    subject: String,
    body: String,
    ask: String,
}

pub async fn edit_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<WordingForm>,
) -> Result<Response, ServerError> {
    let wording = Wording { subject: form.subject, body: form.body, ask: form.ask };
    let for_whom = wording_for(&form.audience)?;
    rapport_workflows::edit_follow_through(
        &state.store,
        id,
        for_whom,
        &wording,
        &signed.principal,
        state.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/follow-through/{id}?done=words%20changed")).into_response())
}

pub async fn send_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    rapport_workflows::send_follow_through(&state.store, id, &signed.principal, state.now()).await?;
    Ok(Redirect::to(&format!("/follow-through?done=draft%20%23{id}%20sent")).into_response())
}

pub async fn dismiss_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    rapport_workflows::dismiss_follow_through(&state.store, id, &signed.principal, state.now()).await?;
    Ok(Redirect::to(&format!("/follow-through?done=draft%20%23{id}%20set%20aside")).into_response())
}

#[utoipa::path(
    get,
    path = "/follow-through",
    tag = "security team",
    description = "Follow-through drafts, newest first: advisories drafted into one thing to do for the \
                   people and teams they concern, each with its words for end users and for teams.",
    params(DraftsQuery),
    responses((status = 200, description = "OK", body = Vec<DraftView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn drafts_api(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<DraftsQuery>,
) -> Result<Json<Vec<DraftView>>, ServerError> {
    Ok(Json(drafts(&state, &signed, &query).await?))
}

#[utoipa::path(
    get,
    path = "/follow-through/{id}",
    tag = "security team",
    description = "A draft and exactly who it would reach now: each person for their own devices, each \
                   team with its readers and systems, and what nobody can be told of.",
    params(("id" = i64, Path, description = "The draft's number.")),
    responses((status = 200, description = "OK", body = DraftPreview), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn draft_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<DraftPreview>, ServerError> {
    Ok(Json(preview(&state, &signed, id).await?))
}

#[utoipa::path(
    put,
    path = "/follow-through/{id}/words/{audience}",
    tag = "security team",
    description = "Change a draft's words for end users or for teams, while it waits for review.",
    params(
        ("id" = i64, Path, description = "The draft's number."),
        ("audience" = String, Path, description = "end_user or team.")
    ),
    request_body = WordingView,
    responses((status = 200, description = "Changed", body = DraftView), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn edit_api(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, audience)): Path<(i64, String)>,
    Json(body): Json<WordingView>,
) -> Result<Json<DraftView>, ServerError> {
    let for_whom = wording_for(&audience)?;
    let wording = Wording { subject: body.subject, body: body.body, ask: body.ask };
    let draft = rapport_workflows::edit_follow_through(
        &state.store,
        id,
        for_whom,
        &wording,
        &signed.principal,
        state.now(),
    )
    .await?;
    Ok(Json(DraftView::of(&draft, &signed.reader)))
}

/// Who a draft went to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SentView {
    pub people: usize,
    pub teams: usize,
    pub readers: usize,
}

#[utoipa::path(
    post,
    path = "/follow-through/{id}/send",
    tag = "security team",
    description = "Send a draft to everyone it concerns now; the messages go within each reader's budget \
                   and hours. A draft is sent once: again is 409.",
    params(("id" = i64, Path, description = "The draft's number.")),
    responses((status = 200, description = "Sent", body = SentView), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn send_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<SentView>, ServerError> {
    let reach =
        rapport_workflows::send_follow_through(&state.store, id, &signed.principal, state.now()).await?;
    Ok(Json(SentView { people: reach.people.len(), teams: reach.teams.len(), readers: reach.readers() }))
}

#[utoipa::path(
    post,
    path = "/follow-through/{id}/dismiss",
    tag = "security team",
    description = "Set a draft aside without a message.",
    params(("id" = i64, Path, description = "The draft's number.")),
    responses((status = 204, description = "Set aside"), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn dismiss_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ServerError> {
    rapport_workflows::dismiss_follow_through(&state.store, id, &signed.principal, state.now()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
