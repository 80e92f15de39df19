//! The template editor, page and API, for the security team: every message template with
//! whether it is Rapport's or the team's own; one template's source with a preview of the
//! message it writes and its readability, for the source in force or a draft; applying a draft
//! (refused with its line, the template in force staying) and going back to Rapport's.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use rapport_core::Principal;
use rapport_messages::TemplateName;
use rapport_workflows::{
    PlanError, Preview, TemplateState, apply_template, preview_template, reset_template, template_states,
    templates_in_force,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Refusals, WriteRefusals};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::messages::ReadabilityView;
use crate::state::AppState;
use crate::views::Reader;
use crate::web::{Nav, html, require};

/// A template and where it stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// `topic.audience`, like `action_due_soon.manager`.
    pub name: String,
    pub topic: String,
    pub audience: String,
    /// `default` (Rapport's), `replaced` (the security team's, in force) or `not_in_force` (the
    /// security team's, which no longer passes: Rapport's stands in).
    pub state: String,
    /// Who replaced it and when, in the reader's time zone.
    pub replaced_by: Option<String>,
    pub replaced_at: Option<String>,
    /// Why a replacement is not in force.
    pub refused: Option<String>,
}

impl TemplateView {
    fn of(state: TemplateState, reader: &Reader) -> TemplateView {
        let kept = match (&state.replaced, &state.refused) {
            (None, _) => "default",
            (Some(_), None) => "replaced",
            (Some(_), Some(_)) => "not_in_force",
        };
        TemplateView {
            name: state.name.to_string(),
            topic: state.name.topic.as_str().to_owned(),
            audience: state.name.audience.label().to_owned(),
            state: kept.to_owned(),
            replaced_by: state.replaced.as_ref().map(|stored| stored.applied_by.clone()),
            replaced_at: state.replaced.as_ref().map(|stored| reader.moment(stored.applied_at)),
            refused: state.refused,
        }
    }

    /// Where it stands, in words, for the pages.
    pub fn standing(&self) -> String {
        let by = match (&self.replaced_by, &self.replaced_at) {
            (Some(by), Some(at)) => format!("replaced by {by} on {at}"),
            _ => String::new(),
        };
        match (self.state.as_str(), &self.refused) {
            ("replaced", _) => format!("The security team's, {by}"),
            (_, Some(why)) => format!("Rapport's stands in: the one {by} no longer passes ({why})"),
            _ => "Rapport's".to_owned(),
        }
    }
}

/// A message as a template writes it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TemplatePreview {
    pub subject: String,
    pub body: String,
    /// The one thing to do; the link follows it.
    pub ask: String,
    pub link: String,
    pub readability: ReadabilityView,
    /// The event it is written from; none when none of its kind is recorded yet and sample
    /// facts stand in.
    pub event: Option<i64>,
    /// Whose words and name it is written in.
    pub reader: String,
}

impl TemplatePreview {
    fn of(preview: Preview) -> TemplatePreview {
        let message = preview.message;
        TemplatePreview {
            readability: ReadabilityView::of(&message.readability, message.template.audience),
            subject: message.subject,
            body: message.body,
            ask: message.ask,
            link: message.link,
            event: preview.event,
            reader: preview.reader,
        }
    }

    /// The body's paragraphs, each its lines, for the page.
    pub fn paragraphs(&self) -> Vec<Vec<&str>> {
        self.body.split("\n\n").map(|paragraph| paragraph.lines().collect()).collect()
    }
}

/// One template: where it stands, its source in force and the message it writes.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TemplateDetail {
    pub template: TemplateView,
    pub source: String,
    pub preview: TemplatePreview,
}

/// A draft of a template.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TemplateSource {
    /// The template in MiniJinja's syntax, with its `subject`, `body` and `ask` blocks.
    pub source: String,
}

/// A draft to preview; the template in force when none is given.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct TemplateDraft {
    #[serde(default)]
    pub source: Option<String>,
}

fn security(signed: &Signed) -> Result<(), ServerError> {
    require(&signed.principal, Principal::is_security, "the message templates are for the security team")
}

/// Refusals of a template (it does not compile, names a variable its topic lacks, misses a
/// block) are the writer's to fix, shown with their line.
fn refused(error: PlanError) -> ServerError {
    match error {
        PlanError::Template(error) => ServerError::BadRequest(error.to_string()),
        other => other.into(),
    }
}

fn named(name: &str) -> Result<TemplateName, ServerError> {
    TemplateName::parse(name).ok_or_else(|| {
        ServerError::NotFound(format!(
            "there is no template {name:?}; the names are topic.audience, like action_due_soon.manager"
        ))
    })
}

async fn states(state: &AppState, signed: &Signed) -> Result<Vec<TemplateView>, ServerError> {
    security(signed)?;
    let states = template_states(&state.store).await?;
    Ok(states.into_iter().map(|template| TemplateView::of(template, &signed.reader)).collect())
}

async fn view(
    state: &AppState,
    signed: &Signed,
    name: &str,
) -> Result<(TemplateName, TemplateView), ServerError> {
    security(signed)?;
    let wanted = named(name)?;
    let template = template_states(&state.store)
        .await?
        .into_iter()
        .find(|template| template.name == wanted)
        .map(|template| TemplateView::of(template, &signed.reader))
        .ok_or_else(|| ServerError::NotFound(format!("there is no template {name:?}")))?;
    Ok((wanted, template))
}

async fn detail(state: &AppState, signed: &Signed, name: &str) -> Result<TemplateDetail, ServerError> {
    let (wanted, template) = view(state, signed, name).await?;
    let source = templates_in_force(&state.store).await?.source(wanted).unwrap_or_default().to_owned();
    let preview = preview_template(&state.store, name, None, state.now()).await.map_err(refused)?;
    Ok(TemplateDetail { template, source, preview: TemplatePreview::of(preview) })
}

async fn preview(
    state: &AppState,
    signed: &Signed,
    name: &str,
    draft: Option<&str>,
) -> Result<TemplatePreview, ServerError> {
    security(signed)?;
    named(name)?;
    let preview = preview_template(&state.store, name, draft, state.now()).await.map_err(refused)?;
    Ok(TemplatePreview::of(preview))
}

async fn apply(state: &AppState, signed: &Signed, name: &str, source: &str) -> Result<(), ServerError> {
    require(&signed.principal, Principal::may_decide, "only the security team replaces a message template")?;
    named(name)?;
    // Checked against the facts it will be written with, not only compiled.
    preview_template(&state.store, name, Some(source), state.now()).await.map_err(refused)?;
    apply_template(&state.store, name, source, &signed.principal.email, state.now())
        .await
        .map_err(refused)?;
    Ok(())
}

async fn reset(state: &AppState, signed: &Signed, name: &str) -> Result<(), ServerError> {
    require(&signed.principal, Principal::may_decide, "only the security team resets a message template")?;
    named(name)?;
    if reset_template(&state.store, name, &signed.principal.email, state.now()).await? {
        Ok(())
    } else {
        Err(ServerError::NotFound(format!("{name} is not replaced: it is the template Rapport ships")))
    }
}

#[derive(Template)]
#[template(path = "templates.html")]
pub(crate) struct TemplatesPage {
    nav: Option<Nav>,
    templates: Vec<TemplateView>,
}

pub async fn templates_page(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let templates = states(&state, &signed).await?;
    html(&TemplatesPage { nav: Some(Nav::of(&signed)), templates })
}

#[derive(Template)]
#[template(path = "template.html")]
pub(crate) struct TemplatePage {
    nav: Option<Nav>,
    csrf: String,
    template: TemplateView,
    /// What the editor holds: the source in force, or the draft sent.
    source: String,
    /// The message the source (or the draft) writes; none when the draft is refused.
    preview: Option<TemplatePreview>,
    /// Whether what is shown is a draft, not yet applied.
    draft: bool,
    /// Why the draft was refused.
    refused: Option<String>,
    /// What was just done: "applied" or "reset".
    done: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TemplatePageQuery {
    pub done: Option<String>,
}

pub async fn template_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
    Query(query): Query<TemplatePageQuery>,
) -> Result<Response, ServerError> {
    let detail = detail(&state, &signed, &name).await?;
    let done = query.done.filter(|done| ["applied", "reset"].contains(&done.as_str()));
    html(&TemplatePage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.csrf().to_owned(),
        template: detail.template,
        source: detail.source,
        preview: Some(detail.preview),
        draft: false,
        refused: None,
        done,
    })
}

/// The editor's form: its source, and which button was pressed.
#[derive(Clone, Debug, Deserialize)]
pub struct TemplateForm {
    pub source: String,
    /// `preview` or `apply`.
    pub intent: String,
}

/// Previews or applies the draft in the editor; a refused draft is shown again with why.
pub async fn edit_template(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, ServerError> {
    let (_, template) = view(&state, &signed, &name).await?;
    // Browsers send the textarea's lines ended with CR LF.
    let source = form.source.replace("\r\n", "\n");
    let outcome = match form.intent.as_str() {
        "apply" => match apply(&state, &signed, &name, &source).await {
            Ok(()) => return Ok(Redirect::to(&format!("/templates/{name}?done=applied")).into_response()),
            Err(error) => Err(error),
        },
        "preview" => preview(&state, &signed, &name, Some(&source)).await,
        other => Err(ServerError::BadRequest(format!("intent: expected preview or apply, got {other:?}"))),
    };
    let (preview, refused) = match outcome {
        Ok(preview) => (Some(preview), None),
        Err(ServerError::BadRequest(why)) => (None, Some(why)),
        Err(error) => return Err(error),
    };
    let status = if refused.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = TemplatePage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.csrf().to_owned(),
        template,
        source,
        preview,
        draft: true,
        refused,
        done: None,
    };
    Ok((status, html(&page)?).into_response())
}

pub async fn reset_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
) -> Result<Response, ServerError> {
    reset(&state, &signed, &name).await?;
    Ok(Redirect::to(&format!("/templates/{name}?done=reset")).into_response())
}

#[utoipa::path(
    get,
    path = "/templates",
    tag = "security team",
    description = "Every message template, one per topic and audience, and whether it is Rapport's or the \
                   security team's own.",
    responses((status = 200, description = "OK", body = Vec<TemplateView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn templates_api(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<TemplateView>>, ServerError> {
    Ok(Json(states(&state, &signed).await?))
}

#[utoipa::path(
    get,
    path = "/templates/{name}",
    tag = "security team",
    description = "One template: where it stands, its source in force, and the message it writes from the \
                   latest event of its topic, with its readability.",
    params(("name" = String, Path, description = "topic.audience, like action_due_soon.manager")),
    responses((status = 200, description = "OK", body = TemplateDetail), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn template_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
) -> Result<Json<TemplateDetail>, ServerError> {
    Ok(Json(detail(&state, &signed, &name).await?))
}

#[utoipa::path(
    put,
    path = "/templates/{name}",
    tag = "security team",
    description = "Replace a template. It is checked first: it must compile, name only the variables its \
                   topic has, keep its subject, body and ask, and write a message from the latest event; \
                   a refused one is answered with its line, and the template in force stays.",
    params(("name" = String, Path, description = "topic.audience, like action_due_soon.manager")),
    request_body = TemplateSource,
    responses((status = 200, description = "Applied", body = TemplateDetail), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn set_template_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
    Json(body): Json<TemplateSource>,
) -> Result<Json<TemplateDetail>, ServerError> {
    apply(&state, &signed, &name, &body.source).await?;
    Ok(Json(detail(&state, &signed, &name).await?))
}

#[utoipa::path(
    delete,
    path = "/templates/{name}",
    tag = "security team",
    description = "Go back to the template Rapport ships.",
    params(("name" = String, Path, description = "topic.audience, like action_due_soon.manager")),
    responses((status = 204, description = "Back to Rapport's"), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn reset_template_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
) -> Result<StatusCode, ServerError> {
    reset(&state, &signed, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/templates/{name}/preview",
    tag = "security team",
    description = "The message a draft of a template writes, with its readability, without storing anything; \
                   the template in force when no source is given.",
    params(("name" = String, Path, description = "topic.audience, like action_due_soon.manager")),
    request_body = TemplateDraft,
    responses((status = 200, description = "OK", body = TemplatePreview), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn preview_template_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
    Json(draft): Json<TemplateDraft>,
) -> Result<Json<TemplatePreview>, ServerError> {
    Ok(Json(preview(&state, &signed, &name, draft.source.as_deref()).await?))
}
