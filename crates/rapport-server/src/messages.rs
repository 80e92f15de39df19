//! The messages Rapport composed, pages and API: each person's inbox (what they were sent,
//! or would have been with no mail server set up), one message with its readability, how
//! each person takes what can wait, and, for the security team, every message, by person or
//! team with where noise control sent it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use rapport_core::{Audience, Channel, Principal, Readability, ReadingTarget, Rhythm, Route, Topic};
use rapport_storage::{MessageFilter, StoredMessage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{Refusals, WriteRefusals};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::security::given;
use crate::state::AppState;
use crate::views::Reader;
use crate::web::{Nav, html, require};

/// How many messages one page lists.
const MESSAGES_PAGE_ROWS: i64 = 50;

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct MessagesQuery {
    /// Only the messages written to this person (their email).
    pub person: Option<String>,
    /// Only the messages about this team.
    pub team: Option<String>,
    /// Only messages older than this one (its id): the next page.
    pub before: Option<i64>,
}

/// One message, as its reader reads it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// When it was composed, `YYYY-MM-DD HH:MM ZONE` in the reader's time zone.
    pub composed: String,
    /// The reader's email and name.
    pub recipient: String,
    pub recipient_name: String,
    /// Whose words: executive, manager, engineer or end_user.
    pub audience: String,
    /// What it is about: action_due_soon, emergency_declared...
    pub topic: String,
    pub team: Option<String>,
    pub action: Option<i64>,
    /// Whether its reader answers it from its page: a message on an action, or a nudge.
    pub answerable: bool,
    pub subject: String,
    pub body: String,
    /// The one thing to do.
    pub ask: String,
    /// The page where it is done, a path on this server.
    pub link: String,
    pub readability: ReadabilityView,
    /// Where noise control sent it, in words: "sent 2026-12-02 09:00 CET", "held for quiet
    /// hours until …", "kept for the digest due …", "dropped: a repeat …".
    pub delivery: String,
    /// For a digest, the messages it gathers: their number and subject.
    pub parts: Vec<MessagePart>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessagePart {
    pub id: i64,
    pub subject: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReadabilityView {
    pub reading_ease: f64,
    pub grade: f64,
    pub words: u32,
    pub longest_sentence: u32,
    pub characters: u32,
    /// What it misses of its audience's reading target; empty when it meets it.
    pub misses: Vec<String>,
}

impl ReadabilityView {
    /// The scores to a tenth, with what they miss of `audience`'s target.
    pub(crate) fn of(scores: &Readability, audience: Audience) -> ReadabilityView {
        ReadabilityView {
            reading_ease: (scores.reading_ease * 10.0).round() / 10.0,
            grade: (scores.grade * 10.0).round() / 10.0,
            words: scores.words,
            longest_sentence: scores.longest_sentence,
            characters: scores.characters,
            misses: ReadingTarget::for_audience(audience).misses(scores),
        }
    }
}

impl MessageView {
    fn of(stored: StoredMessage, reader: &Reader) -> MessageView {
        let message = stored.message;
        let answerable = message.answerable();
        let scores = message.readability;
        let because =
            |reason: &Option<String>| reason.as_ref().map(|reason| format!(": {reason}")).unwrap_or_default();
        let delivery = match &message.route {
            Route::Send { at, reason, .. } if *at > stored.composed_at => {
                format!("held until {}{}", reader.moment(*at), because(reason))
            }
            Route::Send { at, reason, .. } => format!("sent {}{}", reader.moment(*at), because(reason)),
            Route::Digest { at, reason } => match stored.digest {
                Some(digest) => format!("sent in digest #{digest}: {reason}"),
                None => format!("kept for the digest due {}: {reason}", reader.moment(*at)),
            },
            Route::Dropped { reason } => format!("not sent: {reason}"),
        };
        MessageView {
            delivery,
            parts: Vec::new(),
            id: stored.id,
            composed: reader.moment(stored.composed_at),
            recipient: message.recipient,
            recipient_name: message.recipient_name,
            audience: message.audience.as_str().to_owned(),
            topic: message.topic.as_str().to_owned(),
            team: message.team,
            answerable,
            action: message.action,
            subject: message.subject,
            body: message.body,
            ask: message.ask,
            link: message.link,
            readability: ReadabilityView::of(&scores, message.audience),
        }
    }

    /// The body's paragraphs, each its lines, for the page.
    pub fn paragraphs(&self) -> Vec<Vec<&str>> {
        self.body.split("\n\n").map(|paragraph| paragraph.lines().collect()).collect()
    }
}

/// One page of messages, newest first, and the id to continue before when there are more.
async fn message_page(
    state: &AppState,
    signed: &Signed,
    filter: MessageFilter,
) -> Result<(Vec<MessageView>, Option<i64>), ServerError> {
    let filter = MessageFilter { limit: Some(MESSAGES_PAGE_ROWS + 1), ..filter };
    let mut stored = state.store.messages(&filter).await?;
    let more = stored.len() > MESSAGES_PAGE_ROWS as usize;
    stored.truncate(MESSAGES_PAGE_ROWS as usize);
    let next = if more { stored.last().map(|last| last.id) } else { None };
    Ok((stored.into_iter().map(|message| MessageView::of(message, &signed.reader)).collect(), next))
}

/// The signed-in person's own messages.
async fn inbox(
    state: &AppState,
    signed: &Signed,
    before: Option<i64>,
) -> Result<(Vec<MessageView>, Option<i64>), ServerError> {
    let filter =
        MessageFilter { recipient: Some(signed.principal.email.clone()), before, ..MessageFilter::default() };
    message_page(state, signed, filter).await
}

/// Every message, for the security team.
async fn all_messages(
    state: &AppState,
    signed: &Signed,
    query: &MessagesQuery,
) -> Result<(Vec<MessageView>, Option<i64>), ServerError> {
    require(&signed.principal, Principal::is_security, "every message is for the security team to read")?;
    let filter = MessageFilter {
        recipient: given(&query.person).map(str::to_owned),
        team: given(&query.team).map(str::to_owned),
        before: query.before,
        ..MessageFilter::default()
    };
    message_page(state, signed, filter).await
}

/// One message, for its reader and the security team; "not found" for anyone else, as for a
/// message that does not exist.
async fn one_message(state: &AppState, signed: &Signed, id: i64) -> Result<MessageView, ServerError> {
    let stored = state.store.message(id).await?;
    let readable = stored.filter(|stored| signed.principal.may_read_messages_of(&stored.message.recipient));
    let stored = readable.ok_or_else(|| ServerError::NotFound(format!("there is no message #{id}")))?;
    let mut view = MessageView::of(stored, &signed.reader);
    if view.topic == Topic::Digest.as_str() {
        let inside = MessageFilter { digest: Some(id), limit: Some(1000), ..MessageFilter::default() };
        let mut parts: Vec<MessagePart> = state
            .store
            .messages(&inside)
            .await?
            .into_iter()
            .map(|part| MessagePart { id: part.id, subject: part.message.subject })
            .collect();
        parts.reverse();
        view.parts = parts;
    }
    Ok(view)
}

#[derive(Template)]
#[template(path = "messages.html")]
pub(crate) struct MessagesPage {
    nav: Option<Nav>,
    /// True for the security team's list of everyone's messages; false for one's own inbox.
    everyone: bool,
    query: MessagesQuery,
    messages: Vec<MessageView>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    nav: Option<Nav>,
    message: MessageView,
    /// Whether the reader is the person it was written to (only they answer it).
    mine: bool,
}

pub async fn inbox_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<MessagesQuery>,
) -> Result<Response, ServerError> {
    let (messages, next) = inbox(&state, &signed, query.before).await?;
    let next = next.map(|before| format!("/me/messages?before={before}"));
    html(&MessagesPage { nav: Some(Nav::of(&signed)), everyone: false, query, messages, next })
}

pub async fn messages_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<MessagesQuery>,
) -> Result<Response, ServerError> {
    let (messages, next) = all_messages(&state, &signed, &query).await?;
    let next = next.map(|before| {
        let mut link = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [("person", &query.person), ("team", &query.team)] {
            if let Some(value) = given(value) {
                link.append_pair(name, value);
            }
        }
        link.append_pair("before", &before.to_string());
        format!("/messages?{}", link.finish())
    });
    html(&MessagesPage { nav: Some(Nav::of(&signed)), everyone: true, query, messages, next })
}

pub async fn message_page_of(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    let message = one_message(&state, &signed, id).await?;
    let mine = message.recipient.eq_ignore_ascii_case(&signed.principal.email);
    html(&MessagePage { nav: Some(Nav::of(&signed)), message, mine })
}

#[utoipa::path(
    get,
    path = "/me/messages",
    tag = "rapport",
    description = "The messages written to the signed-in person, newest first, 50 a page.",
    params(("before" = Option<i64>, Query, description = "Only messages older than this one (its id).")),
    responses((status = 200, description = "OK", body = Vec<MessageView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn my_messages(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<MessagesQuery>,
) -> Result<Json<Vec<MessageView>>, ServerError> {
    Ok(Json(inbox(&state, &signed, query.before).await?.0))
}

#[utoipa::path(
    get,
    path = "/messages",
    tag = "security team",
    description = "Every message Rapport composed, newest first, 50 a page, by person or team.",
    params(MessagesQuery),
    responses((status = 200, description = "OK", body = Vec<MessageView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn messages_api(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<MessagesQuery>,
) -> Result<Json<Vec<MessageView>>, ServerError> {
    Ok(Json(all_messages(&state, &signed, &query).await?.0))
}

#[utoipa::path(
    get,
    path = "/messages/{id}",
    tag = "rapport",
    description = "One message, for the person it was written to and the security team.",
    params(("id" = i64, Path, description = "The message's number.")),
    responses((status = 200, description = "OK", body = MessageView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn message_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<MessageView>, ServerError> {
    Ok(Json(one_message(&state, &signed, id).await?))
}

/// How a person takes the messages that can wait, with the limits of the policy they are
/// read under.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PreferencesView {
    /// `each`, `daily` or `weekly`.
    pub rhythm: String,
    /// How messages reach them: `email`, `slack`, `teams` or `webhook`.
    pub channel: String,
    /// The host of the Slack or Teams webhook they gave; the rest of it is a secret.
    pub address: Option<String>,
    /// The channels this server delivers by.
    pub channels: Vec<String>,
    /// Messages a week they may get, emergencies under the policy aside.
    pub weekly_budget: u32,
    /// Quiet hours, in their own time zone.
    pub quiet_from: String,
    pub quiet_until: String,
    pub time_zone: String,
    /// Whether they get the series of tips for their own phone, home network and family.
    pub personal_series: bool,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct PreferencesRequest {
    /// `each` (every message on its own), `daily` or `weekly` (what can wait, gathered).
    pub rhythm: String,
    /// `email`, `slack`, `teams` or `webhook`, one of the server's `channels`; unchanged when
    /// not given.
    #[serde(default)]
    pub channel: Option<String>,
    /// For Slack and Teams, the person's own webhook; the one given before when empty.
    #[serde(default)]
    pub address: Option<String>,
    /// `on` for the series of tips for their own phone, home network and family, `off` to stop
    /// it; unchanged when not given (the page's form sends it with `personal_form`).
    #[serde(default)]
    pub personal_series: Option<String>,
    /// Set by the page's form, whose unticked box sends no `personal_series`: then it means off.
    #[serde(default)]
    #[schema(ignore)]
    pub personal_form: Option<String>,
}

async fn preferences(state: &AppState, signed: &Signed) -> Result<PreferencesView, ServerError> {
    let email = &signed.principal.email;
    let chosen =
        rapport_workflows::message_preferences(&state.store, &state.channels, email, state.now()).await?;
    Ok(PreferencesView {
        rhythm: chosen.rhythm.as_str().to_owned(),
        channel: chosen.channel.as_str().to_owned(),
        address: chosen.address_shown,
        channels: chosen.offered.iter().map(|channel| channel.as_str().to_owned()).collect(),
        weekly_budget: chosen.weekly_budget,
        quiet_from: chosen.quiet_from,
        quiet_until: chosen.quiet_until,
        time_zone: chosen.time_zone,
        personal_series: chosen.personal_series,
    })
}

async fn choose(state: &AppState, signed: &Signed, request: &PreferencesRequest) -> Result<(), ServerError> {
    let rhythm = Rhythm::parse(request.rhythm.trim()).ok_or_else(|| {
        ServerError::BadRequest(format!("rhythm: expected each, daily or weekly, got {:?}", request.rhythm))
    })?;
    let email = &signed.principal.email;
    if let Some(word) = &request.channel {
        let channel = Channel::parse(word.trim()).ok_or_else(|| {
            ServerError::BadRequest(format!("channel: expected email, slack, teams or webhook, got {word:?}"))
        })?;
        let address = request.address.as_deref();
        rapport_workflows::choose_channel(
            &state.store,
            &state.channels,
            email,
            channel,
            address,
            state.now(),
        )
        .await?;
    }
    rapport_workflows::choose_rhythm(&state.store, email, rhythm, state.now()).await?;
    let personal = match (request.personal_series.as_deref().map(str::trim), &request.personal_form) {
        (Some("on"), _) => Some(true),
        (Some("off"), _) | (None, Some(_)) => Some(false),
        (None, None) => None,
        (Some(other), _) => {
            return Err(ServerError::BadRequest(format!(
                "personal_series: expected on or off, got {other:?}"
            )));
        }
    };
    if let Some(on) = personal {
        rapport_workflows::choose_personal_series(&state.store, email, on, state.now()).await?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "preferences.html")]
pub(crate) struct PreferencesPage {
    nav: Option<Nav>,
    csrf: String,
    preferences: PreferencesView,
    saved: bool,
    /// Why what they sent was not saved.
    refused: Option<String>,
}

impl PreferencesPage {
    /// Whether a reader may give a chat webhook of their own.
    fn asks_address(&self) -> bool {
        self.preferences.channels.iter().any(|channel| channel == "slack" || channel == "teams")
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SavedQuery {
    pub saved: Option<String>,
}

pub async fn preferences_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<SavedQuery>,
) -> Result<Response, ServerError> {
    let preferences = preferences(&state, &signed).await?;
    let csrf = signed.csrf().to_owned();
    let saved = query.saved.is_some();
    html(&PreferencesPage { nav: Some(Nav::of(&signed)), csrf, preferences, saved, refused: None })
}

pub async fn save_preferences(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<PreferencesRequest>,
) -> Result<Response, ServerError> {
    match choose(&state, &signed, &form).await {
        Ok(()) => Ok(Redirect::to("/me/preferences?saved=1").into_response()),
        Err(ServerError::BadRequest(why)) => {
            let preferences = preferences(&state, &signed).await?;
            let csrf = signed.csrf().to_owned();
            let page = PreferencesPage {
                nav: Some(Nav::of(&signed)),
                csrf,
                preferences,
                saved: false,
                refused: Some(why),
            };
            Ok((StatusCode::BAD_REQUEST, html(&page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[utoipa::path(
    get,
    path = "/me/preferences",
    tag = "rapport",
    description = "How the signed-in person takes the messages that can wait, and the policy's limits.",
    responses((status = 200, description = "OK", body = PreferencesView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn my_preferences(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<PreferencesView>, ServerError> {
    Ok(Json(preferences(&state, &signed).await?))
}

#[utoipa::path(
    put,
    path = "/me/preferences",
    tag = "rapport",
    description = "Choose how messages reach the signed-in person: by email, their own Slack or Teams \
                   webhook, or the organisation's webhook; and whether the ones that can wait come each \
                   on its own or gathered daily or weekly.",
    request_body = PreferencesRequest,
    responses((status = 200, description = "OK", body = PreferencesView), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn set_my_preferences(
    State(state): State<AppState>,
    signed: Signed,
    Json(request): Json<PreferencesRequest>,
) -> Result<Json<PreferencesView>, ServerError> {
    choose(&state, &signed, &request).await?;
    Ok(Json(preferences(&state, &signed).await?))
}
