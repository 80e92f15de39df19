//! Rapport's server: the pages each person uses, the JSON API, sign-in, sessions, API tokens,
//! roles and the audit log, over the same store and ingest functions as the command line.
//!
//! API boundary: [`ServerConfig`], [`router`] and [`serve`]. Who may do what is decided by
//! `rapport_core::Principal`; this crate asks it on every request (`work.rs`) and never
//! decides access itself.

mod api;
mod auth;
mod config;
mod error;
mod metrics;
mod pages;
mod state;
mod views;
mod work;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use rapport_storage::Store;

pub use auth::{hash_password, new_secret, weak_password};
pub use config::{ConfigError, ServerConfig};
pub use error::ServerError;
pub use state::AppState;

/// Every route. Pages are at the root, the JSON API under `/api/v1`; `/healthz`, the sign-in
/// page and the stylesheet are the only ones answered without signing in.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/account/password", get(pages::password_form).post(pages::change_password))
        .route("/account/tokens", get(pages::tokens).post(pages::create_token))
        .route("/account/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/teams", get(pages::teams))
        .route("/teams/{team}", get(pages::team_plan))
        .route("/teams/{team}/acknowledge", post(pages::acknowledge))
        .route("/actions/{id}", get(pages::action_page))
        .route("/actions/{id}/done", post(pages::action_done))
        .route("/actions/{id}/exception", post(pages::action_exception))
        .route("/actions/{id}/feedback", post(pages::action_feedback))
        .route("/actions/{id}/not-ours", post(pages::action_not_ours))
        .route("/queue", get(pages::queue))
        .route("/exceptions/{id}/decision", post(pages::decide_exception))
        .route("/answers/{id}/reply", post(pages::reply))
        .route("/audit", get(pages::audit));
    let api = Router::new()
        .route("/me", get(api::me))
        .route("/teams", get(api::teams))
        .route("/teams/{team}/plan", get(api::team_plan))
        .route("/teams/{team}/acknowledge", post(api::acknowledge))
        .route("/actions/{id}", get(api::action))
        .route("/actions/{id}/done", post(api::action_done))
        .route("/actions/{id}/exceptions", post(api::request_exception))
        .route("/actions/{id}/feedback", post(api::feedback))
        .route("/actions/{id}/not-ours", post(api::not_ours))
        .route("/queue", get(api::queue))
        .route("/exceptions/{id}/decision", post(api::decide_exception))
        .route("/answers/{id}/reply", post(api::reply));
    Router::new()
        .merge(pages)
        .nest("/api/v1", api)
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/static/rapport.css", get(pages::stylesheet))
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn(pages::render_errors))
        .with_state(state)
}

async fn not_found() -> ServerError {
    ServerError::NotFound("there is no such page".into())
}

/// Whether the server can reach its database; says nothing else, so it needs no sign-in.
async fn health(State(state): State<AppState>) -> Result<&'static str, ServerError> {
    state.store.teams().await?;
    Ok("ok\n")
}

/// Prometheus metrics, for the security team's accounts and tokens.
async fn metrics(
    State(state): State<AppState>,
    signed: auth::Signed,
) -> Result<impl IntoResponse, ServerError> {
    pages::require(
        &signed.principal,
        rapport_core::Principal::is_security,
        "metrics are for the security team",
    )?;
    let text = state.metrics.encode().map_err(|error| ServerError::Internal(error.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text))
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    store: Store,
    config: ServerConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(AppState::new(store, config));
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
