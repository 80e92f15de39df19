//! Rapport's server: the pages each person uses, the JSON API, sign-in, sessions, API tokens,
//! roles and the audit log, over the same store and ingest functions as the command line.
//!
//! API boundary: [`ServerConfig`], [`router`] and [`serve`]. Who may do what is decided by
//! `rapport_core::Principal`; this crate asks it on every request (`work.rs`) and never
//! decides access itself.

mod accounts;
mod api;
mod auth;
mod config;
mod error;
mod metrics;
mod oidc;
mod pages;
mod security;
mod state;
mod upload;
mod views;
mod work;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use rapport_storage::Store;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use accounts::{AccountRequest, account_by_email, create_account, reset_password};
pub use auth::{digest, new_api_token};
pub use config::{ConfigError, ServerConfig};
pub use error::ServerError;
pub use state::AppState;

/// Every route. Pages are at the root, the JSON API under `/api/v1`; `/healthz`, the sign-in
/// page and the stylesheet are the only ones answered without signing in.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/login/oidc", get(pages::oidc_start))
        .route("/login/oidc/callback", get(pages::oidc_callback))
        .route("/logout", post(pages::logout))
        .route("/account/password", get(pages::password_form).post(pages::change_password))
        .route("/account/tokens", get(pages::tokens).post(pages::create_token))
        .route("/account/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/teams", get(pages::teams))
        .route("/teams/{team}", get(pages::team_plan))
        .route("/teams/{team}/acknowledge", post(pages::acknowledge))
        .route("/actions", get(pages::actions))
        .route("/actions/{id}", get(pages::action_page))
        .route("/actions/{id}/done", post(pages::action_done))
        .route("/actions/{id}/exception", post(pages::action_exception))
        .route("/actions/{id}/feedback", post(pages::action_feedback))
        .route("/actions/{id}/not-ours", post(pages::action_not_ours))
        .route("/actions/{id}/emergency", post(pages::declare_emergency))
        .route("/queue", get(pages::queue))
        .route("/exceptions/{id}/decision", post(pages::decide_exception))
        .route("/answers/{id}/reply", post(pages::reply))
        .route("/me/devices", get(pages::my_devices))
        .route("/audit", get(pages::audit))
        .route("/overview", get(pages::overview))
        .route("/accounts", get(pages::accounts).post(pages::create_account))
        .route("/accounts/{id}/reset", post(pages::reset_account))
        .route("/accounts/{id}/disable", post(pages::disable_account))
        .route("/accounts/{id}/enable", post(pages::enable_account))
        .route("/findings", get(pages::findings))
        .route("/assets/unowned", get(pages::unowned_assets))
        .route("/policy", get(pages::policy).post(pages::apply_policy))
        .route("/people", get(pages::people))
        .route("/imports", get(pages::imports).post(pages::upload).layer(upload_limit(&state.config)));
    let (api, document) = api(upload_limit(&state.config));
    let document = Arc::new(document.to_pretty_json().unwrap_or_default());
    let openapi = move |_: auth::Signed| {
        let document = Arc::clone(&document);
        async move { ([(header::CONTENT_TYPE, "application/json")], document.as_str().to_owned()) }
    };
    Router::new()
        .merge(pages)
        .merge(api)
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/static/rapport.css", get(pages::stylesheet))
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn(pages::render_errors))
        .with_state(state)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Rapport",
        description = "Each team's plan, its actions and the answers on them. Sign in with an API \
                       token (made at /account/tokens) as `Authorization: Bearer rpt_…`, or from a \
                       signed-in browser with the `x-csrf-token` header on writes."
    ),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// Scanner files are far larger than forms: the upload routes take up to the configured size.
fn upload_limit(config: &ServerConfig) -> DefaultBodyLimit {
    let mib = usize::try_from(config.max_upload_mib).unwrap_or(usize::MAX);
    DefaultBodyLimit::max(mib.saturating_mul(1024 * 1024))
}

/// The JSON API's routes under `/api/v1` and the OpenAPI document generated from them.
fn api(upload_limit: DefaultBodyLimit) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let routes = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::me))
        .routes(routes!(api::my_devices))
        .routes(routes!(api::teams))
        .routes(routes!(api::team_plan))
        .routes(routes!(api::acknowledge))
        .routes(routes!(api::action))
        .routes(routes!(api::action_done))
        .routes(routes!(api::request_exception))
        .routes(routes!(api::feedback))
        .routes(routes!(api::not_ours))
        .routes(routes!(api::queue))
        .routes(routes!(api::decide_exception))
        .routes(routes!(api::reply))
        .routes(routes!(api::overview))
        .routes(routes!(api::findings))
        .routes(routes!(api::unowned_assets))
        .routes(routes!(api::policy, api::apply_policy))
        .routes(routes!(api::people))
        .routes(with_layer(routes!(api::imports, api::upload), upload_limit))
        .routes(routes!(api::accounts, api::create_account))
        .routes(routes!(api::reset_account))
        .routes(routes!(api::disable_account))
        .routes(routes!(api::enable_account))
        .routes(routes!(api::declare_emergency))
        .routes(routes!(api::actions));
    OpenApiRouter::new().nest("/api/v1", routes).split_for_parts()
}

/// The routes with `layer` around their handlers; their documentation stays as it is.
fn with_layer(
    (schemas, paths, handlers): utoipa_axum::router::UtoipaMethodRouter<AppState>,
    layer: DefaultBodyLimit,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (schemas, paths, handlers.layer(layer))
}

/// The OpenAPI document of the JSON API.
pub fn openapi_document() -> String {
    api(upload_limit(&ServerConfig::default())).1.to_pretty_json().unwrap_or_default()
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
    if config.secure_cookies && !config.listen.ip().is_loopback() {
        tracing::warn!(
            listen = %config.listen,
            "sign-in cookies are marked Secure, so browsers send them only over HTTPS (or to localhost): \
             serve this address through a proxy that terminates TLS, or set secure_cookies = false"
        );
    }
    let state = AppState::new(store, config).map_err(|error| std::io::Error::other(error.to_string()))?;
    let sweeper = tokio::spawn(sweep_every(state.clone(), SWEEP_EVERY));
    let clock = tokio::spawn(tick_every(state.clone(), TICK_EVERY));
    let app = router(state);
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    clock.abort();
    served
}

/// How often expired sessions and the limiter's memory are swept.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

async fn sweep_every(state: AppState, period: std::time::Duration) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        if let Err(error) = state.sweep().await {
            tracing::warn!(%error, "could not sweep expired sessions");
        }
    }
}

/// How often the clock's work runs (due soon, overdue, exceptions ending): emergencies are
/// due within hours, so minutes matter; a tick that finds nothing new records nothing.
const TICK_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

async fn tick_every(state: AppState, period: std::time::Duration) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        match rapport_workflows::tick(&state.store, state.now()).await {
            Ok(report) => tracing::debug!(
                recorded = report.recorded.len(),
                exceptions_ended = report.exceptions_ended,
                "the clock ran"
            ),
            Err(error) => tracing::warn!(%error, "the clock's work failed; it runs again at the next tick"),
        }
    }
}
