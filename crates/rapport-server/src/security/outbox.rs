//! The outbox, page and API, for the security team: every delivery queued, being sent, waiting
//! for a retry, sent or given up (with why), and a given-up one queued again.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_core::Principal;
use rapport_storage::DeliveryRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{Refusals, WriteRefusals};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::security::given;
use crate::state::AppState;
use crate::views::Reader;
use crate::web::{Nav, html, require};

/// Deliveries one page lists.
const OUTBOX_ROWS: i64 = 200;

const STATES: [&str; 5] = ["queued", "sending", "retry", "sent", "dead"];

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct OutboxQuery {
    /// Only deliveries in this state: queued, sending, retry, sent or dead.
    pub state: Option<String>,
}

/// One delivery.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub message: i64,
    pub channel: String,
    /// queued, sending, retry, sent or dead.
    pub state: String,
    pub attempts: u32,
    /// When it is tried next (or was), in the reader's time zone.
    pub next_attempt: String,
    /// Why the last try failed, or why it was given up.
    pub last_error: Option<String>,
    pub sent: Option<String>,
    pub recipient: String,
    pub subject: String,
}

impl DeliveryView {
    fn of(record: DeliveryRecord, reader: &Reader) -> DeliveryView {
        DeliveryView {
            id: record.id,
            message: record.message,
            channel: record.channel,
            state: record.state,
            attempts: record.attempts,
            next_attempt: reader.moment(record.next_attempt_at),
            last_error: record.last_error,
            sent: record.sent_at.map(|at| reader.moment(at)),
            recipient: record.recipient,
            subject: record.subject,
        }
    }
}

async fn outbox(
    state: &AppState,
    signed: &Signed,
    query: &OutboxQuery,
) -> Result<Vec<DeliveryView>, ServerError> {
    require(&signed.principal, Principal::is_security, "the outbox is for the security team")?;
    let wanted = given(&query.state);
    if let Some(wanted) = wanted.filter(|wanted| !STATES.contains(wanted)) {
        return Err(ServerError::BadRequest(format!(
            "state: expected queued, sending, retry, sent or dead, got {wanted:?}"
        )));
    }
    let records = state.store.deliveries(wanted, OUTBOX_ROWS).await?;
    Ok(records.into_iter().map(|record| DeliveryView::of(record, &signed.reader)).collect())
}

#[derive(Template)]
#[template(path = "outbox.html")]
pub(crate) struct OutboxPage {
    nav: Option<Nav>,
    csrf: String,
    query: OutboxQuery,
    deliveries: Vec<DeliveryView>,
    /// Whether a channel is set up: without one, what is queued waits.
    delivering: bool,
}

pub async fn outbox_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<OutboxQuery>,
) -> Result<Response, ServerError> {
    let deliveries = outbox(&state, &signed, &query).await?;
    let csrf = signed.csrf().to_owned();
    let delivering = state.channels.delivering();
    html(&OutboxPage { nav: Some(Nav::of(&signed)), csrf, query, deliveries, delivering })
}

async fn retry(state: &AppState, signed: &Signed, id: i64) -> Result<(), ServerError> {
    require(&signed.principal, Principal::may_decide, "only the security team retries a delivery")?;
    if state.store.retry_delivery(id, state.now()).await? {
        Ok(())
    } else {
        Err(ServerError::NotFound(format!("there is no given-up delivery #{id}")))
    }
}

pub async fn retry_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    retry(&state, &signed, id).await?;
    Ok(Redirect::to("/outbox?state=queued").into_response())
}

#[utoipa::path(
    get,
    path = "/outbox",
    tag = "security team",
    description = "The outbox, newest first: each delivery queued, being sent, waiting for a retry, sent, \
                   or given up with why.",
    params(OutboxQuery),
    responses((status = 200, description = "OK", body = Vec<DeliveryView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn outbox_api(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<OutboxQuery>,
) -> Result<Json<Vec<DeliveryView>>, ServerError> {
    Ok(Json(outbox(&state, &signed, &query).await?))
}

#[utoipa::path(
    post,
    path = "/outbox/{id}/retry",
    tag = "security team",
    description = "Queue a given-up delivery again, now.",
    params(("id" = i64, Path, description = "The delivery's number.")),
    responses((status = 204, description = "Queued again"), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn retry_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ServerError> {
    retry(&state, &signed, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
