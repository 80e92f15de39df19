//! Answering from a message: its signed link (`/r/{link}`, which needs no sign-in: the link is
//! the proof) or, signed in, `/messages/{id}/answer`. Opening either only shows the message
//! and what its reader may answer; nothing is recorded until they submit, since mail scanners
//! open every link in an email before the person does.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_storage::StoredMessage;
use rapport_workflows::{AnswerChoices, MessageAnswer, Offer};
use serde::Deserialize;

use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::team::parse_day;
use crate::web::{Nav, html};

/// What the answer form sends.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AnswerForm {
    /// `acknowledge`, `done`, `more_time`, `not_ours` or `feedback`; to a campaign's nudge,
    /// `habit_done` or `cannot`.
    pub answer: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub suggested_team: Option<String>,
    /// 1 to 5, or empty.
    #[serde(default)]
    pub rating: Option<String>,
    #[serde(default)]
    pub words: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub until: Option<String>,
}

impl AnswerForm {
    fn answer(self) -> Result<MessageAnswer, ServerError> {
        let text = |field: Option<String>| field.unwrap_or_default().trim().to_owned();
        Ok(match self.answer.as_str() {
            "acknowledge" => MessageAnswer::Acknowledge,
            "done" => MessageAnswer::Done { note: text(self.note) },
            "not_ours" => MessageAnswer::NotOurs {
                reason: text(self.reason),
                suggested_team: self.suggested_team.filter(|team| !team.trim().is_empty()),
            },
            "feedback" => {
                let rating = match self.rating.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(rating) => Some(rating.parse::<u8>().map_err(|_| {
                        ServerError::BadRequest(format!("rating: expected 1 to 5, got {rating:?}"))
                    })?),
                };
                MessageAnswer::Feedback { rating, words: text(self.words) }
            }
            "more_time" => MessageAnswer::MoreTime {
                until: parse_day(&self.until.unwrap_or_default(), "until")?,
                reason: text(self.reason),
            },
            "habit_done" => MessageAnswer::HabitDone { note: text(self.note) },
            "cannot" => MessageAnswer::Cannot { reason: text(self.reason) },
            other => {
                return Err(ServerError::BadRequest(format!(
                    "answer: expected acknowledge, done, more_time, not_ours, feedback, habit_done or cannot, \
                     got {other:?}"
                )));
            }
        })
    }
}

#[derive(Template)]
#[template(path = "answer.html")]
pub(crate) struct AnswerPage {
    nav: Option<Nav>,
    /// Where the form posts: the link, or the signed-in page.
    action: String,
    /// The session's CSRF secret, on the signed-in page.
    csrf: Option<String>,
    choices: AnswerChoices,
    /// Set once an answer was recorded from this page.
    thanked: bool,
    today: String,
}

impl AnswerPage {
    fn offers(&self, offer: &str) -> bool {
        let wanted = match offer {
            "acknowledge" => Offer::Acknowledge,
            "done" => Offer::Done,
            "more_time" => Offer::MoreTime,
            "not_ours" => Offer::NotOurs,
            "habit_done" => Offer::HabitDone,
            "cannot" => Offer::Cannot,
            _ => Offer::Feedback,
        };
        self.choices.offers.contains(&wanted)
    }

    fn paragraphs(&self) -> Vec<Vec<&str>> {
        self.choices.message.message.body.split("\n\n").map(|paragraph| paragraph.lines().collect()).collect()
    }

    fn answered(&self) -> Option<String> {
        self.choices.answered.as_ref().map(|event| format!("{}: {}", event.kind.label(), event.detail))
    }
}

async fn page(
    state: &AppState,
    message: StoredMessage,
    action: String,
    signed: Option<&Signed>,
    thanked: bool,
) -> Result<Response, ServerError> {
    let choices = rapport_workflows::answer_choices(&state.store, message, state.now()).await?;
    html(&AnswerPage {
        nav: signed.map(Nav::of),
        action,
        csrf: signed.map(|signed| signed.csrf().to_owned()),
        choices,
        thanked,
        today: state.now().date().to_string(),
    })
}

async fn linked(state: &AppState, link: &str) -> Result<StoredMessage, ServerError> {
    Ok(rapport_workflows::message_by_link(&state.store, link, state.now()).await?)
}

/// A message of the signed-in person's own: only they answer it.
async fn own(state: &AppState, signed: &Signed, id: i64) -> Result<StoredMessage, ServerError> {
    let stored = state.store.message(id).await?;
    stored
        .filter(|stored| stored.message.recipient.eq_ignore_ascii_case(&signed.principal.email))
        .ok_or_else(|| ServerError::NotFound(format!("there is no message #{id} of yours")))
}

pub async fn link_page(
    State(state): State<AppState>,
    Path(link): Path<String>,
) -> Result<Response, ServerError> {
    let message = linked(&state, &link).await?;
    page(&state, message, format!("/r/{link}"), None, false).await
}

pub async fn answer_by_link(
    State(state): State<AppState>,
    Path(link): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, ServerError> {
    let message = linked(&state, &link).await?;
    rapport_workflows::answer_message(&state.store, &message, form.answer()?, state.now()).await?;
    Ok(Redirect::to(&format!("/r/{link}/thanks")).into_response())
}

pub async fn link_thanks(
    State(state): State<AppState>,
    Path(link): Path<String>,
) -> Result<Response, ServerError> {
    let message = linked(&state, &link).await?;
    page(&state, message, format!("/r/{link}"), None, true).await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ThanksQuery {
    pub thanks: Option<String>,
}

pub async fn own_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(query): Query<ThanksQuery>,
) -> Result<Response, ServerError> {
    let message = own(&state, &signed, id).await?;
    page(&state, message, format!("/messages/{id}/answer"), Some(&signed), query.thanks.is_some()).await
}

pub async fn answer_own(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, ServerError> {
    let message = own(&state, &signed, id).await?;
    rapport_workflows::answer_message(&state.store, &message, form.answer()?, state.now()).await?;
    Ok(Redirect::to(&format!("/messages/{id}/answer?thanks=1")).into_response())
}
