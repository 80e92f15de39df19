//! Rapport's server: the pages each person uses, the JSON API, sign-in, sessions, API tokens,
//! roles and the audit log, over the same workflows as the command line.
//!
//! One module per feature, its pages and its API handlers side by side calling the same
//! functions: `signin` (sign-in and sessions), `accounts` (accounts and tokens), `team` (a
//! team's plan and its actions), `security` (the security team's pages), `devices` (an end
//! user's own devices). `web` and `api` hold what every page and every API handler share.
//!
//! API boundary: [`ServerConfig`], [`router`] and [`serve`]. Who may do what is decided by
//! `rapport_core::Principal` and the action's life (`rapport_core::step`); this crate asks
//! them on every request and never decides access itself.

mod accounts;
mod answers;
mod api;
mod auth;
mod briefing;
mod charts;
mod config;
mod devices;
mod error;
mod health;
mod messages;
mod metrics;
mod oidc;
mod security;
mod signin;
mod state;
mod team;
mod throttle;
mod unread;
mod upload;
mod views;
mod web;

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

pub use accounts::{
    AccountRequest, Acting, account_by_email, create_account, create_api_token, reset_password,
};
pub use briefing::briefing_document;
pub use config::{ConfigError, ServerConfig};
pub use error::ServerError;
pub use state::AppState;

/// Every route. Pages are at the root, the JSON API under `/api/v1`; `/healthz`, `/readyz`,
/// the sign-in page and the stylesheet are the only ones answered without signing in.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(signin::home))
        .route("/login", get(signin::login_form).post(signin::login))
        .route("/login/oidc", get(signin::oidc_start))
        .route("/login/oidc/callback", get(signin::oidc_callback))
        .route("/logout", post(signin::logout))
        .route("/account/password", get(signin::password_form).post(signin::change_password))
        .route("/account/tokens", get(accounts::pages::tokens).post(accounts::pages::create_token))
        .route("/account/tokens/{id}/revoke", post(accounts::pages::revoke_token))
        .route("/teams", get(team::pages::teams))
        .route("/teams/{team}", get(team::pages::team_plan))
        .route("/teams/{team}/policy", get(team::pages::team_policy))
        .route("/teams/{team}/acknowledge", post(team::pages::acknowledge))
        .route("/actions", get(security::pages::actions))
        .route("/actions/{id}", get(team::pages::action_page))
        .route("/actions/{id}/done", post(team::pages::action_done))
        .route("/actions/{id}/exception", post(team::pages::action_exception))
        .route("/actions/{id}/feedback", post(team::pages::action_feedback))
        .route("/actions/{id}/not-ours", post(team::pages::action_not_ours))
        .route("/actions/{id}/reachability", post(team::pages::action_reachability))
        .route("/actions/{id}/emergency", post(security::pages::declare_emergency))
        .route("/queue", get(security::pages::queue))
        .route("/exceptions/{id}/decision", post(security::pages::decide_exception))
        .route("/answers/{id}/reply", post(security::pages::reply))
        .route("/campaign-answers/{id}/reply", post(security::pages::reply_to_campaign_answer))
        .route("/me/devices", get(devices::devices_page))
        .route("/me/messages", get(messages::inbox_page))
        .route("/me/preferences", get(messages::preferences_page).post(messages::save_preferences))
        .route("/messages", get(messages::messages_page))
        .route("/health", get(health::health_page))
        .route("/briefing", get(briefing::briefing_page))
        .route("/briefing/answer", post(briefing::answer_page))
        .route("/campaigns", get(security::campaigns::campaigns_page))
        .route("/campaigns/{name}", get(security::campaigns::campaign_page))
        .route("/follow-through", get(security::follow_through::drafts_page))
        .route("/follow-through/{id}", get(security::follow_through::draft_page))
        .route("/follow-through/{id}/words", post(security::follow_through::edit_page))
        .route("/follow-through/{id}/send", post(security::follow_through::send_page))
        .route("/follow-through/{id}/dismiss", post(security::follow_through::dismiss_page))
        .route("/outbox", get(security::outbox::outbox_page))
        .route("/outbox/{id}/retry", post(security::outbox::retry_page))
        .route("/templates", get(security::templates::templates_page))
        .route(
            "/templates/{name}",
            get(security::templates::template_page).post(security::templates::edit_template),
        )
        .route("/templates/{name}/reset", post(security::templates::reset_page))
        .route("/messages/{id}", get(messages::message_page_of))
        .route("/messages/{id}/answer", get(answers::own_page).post(answers::answer_own))
        // A message's signed link: no sign-in, the link is the proof (see answers.rs).
        .route("/r/{link}", get(answers::link_page).post(answers::answer_by_link))
        .route("/r/{link}/thanks", get(answers::link_thanks))
        .route("/audit", get(security::audit::audit))
        .route("/overview", get(security::pages::overview))
        .route("/accounts", get(accounts::pages::accounts).post(accounts::pages::create_account))
        .route("/accounts/{id}/reset", post(accounts::pages::reset_account))
        .route("/accounts/{id}/disable", post(accounts::pages::disable_account))
        .route("/accounts/{id}/enable", post(accounts::pages::enable_account))
        .route("/findings", get(security::pages::findings))
        .route("/findings/{id}", get(security::pages::finding))
        .route("/assets/unowned", get(security::owners::unowned_assets))
        .route("/assets/assign", post(security::owners::assign))
        .route("/policy", get(security::pages::policy).post(security::pages::apply_policy))
        .route("/people", get(security::pages::people))
        .route(
            "/imports",
            get(security::pages::imports).post(security::pages::upload).layer(upload_limit(&state.config)),
        );
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
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route("/static/rapport.css", get(web::stylesheet))
        .route("/static/briefing.css", get(briefing::stylesheet))
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn(web::render_errors))
        .layer(from_fn(web::security_headers))
        .layer(from_fn(unread::close_after_unread_bodies))
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
    let routes = OpenApiRouter::new()
        .routes(routes!(signin::me))
        .routes(routes!(devices::my_devices))
        .routes(routes!(messages::my_messages))
        .routes(routes!(messages::my_preferences, messages::set_my_preferences))
        .routes(routes!(messages::messages_api))
        .routes(routes!(health::health_api))
        .routes(routes!(briefing::briefing_api))
        .routes(routes!(security::campaigns::campaigns_api))
        .routes(routes!(security::campaigns::campaign_people_api))
        .routes(routes!(security::follow_through::drafts_api))
        .routes(routes!(security::follow_through::draft_api))
        .routes(routes!(security::follow_through::edit_api))
        .routes(routes!(security::follow_through::send_api))
        .routes(routes!(security::follow_through::dismiss_api))
        .routes(routes!(security::outbox::outbox_api))
        .routes(routes!(security::outbox::retry_api))
        .routes(routes!(security::templates::templates_api))
        .routes(routes!(
            security::templates::template_api,
            security::templates::set_template_api,
            security::templates::reset_template_api
        ))
        .routes(routes!(security::templates::preview_template_api))
        .routes(routes!(messages::message_api))
        .routes(routes!(team::api::teams))
        .routes(routes!(team::api::team_plan))
        .routes(routes!(team::api::team_policy))
        .routes(routes!(team::api::acknowledge))
        .routes(routes!(team::api::action))
        .routes(routes!(team::api::action_done))
        .routes(routes!(team::api::request_exception))
        .routes(routes!(team::api::feedback))
        .routes(routes!(team::api::not_ours))
        .routes(routes!(team::api::reachability))
        .routes(routes!(security::api::queue))
        .routes(routes!(security::api::decide_exception))
        .routes(routes!(security::api::reply))
        .routes(routes!(security::api::reply_to_campaign_answer))
        .routes(routes!(security::api::overview))
        .routes(routes!(security::audit::audit_api))
        .routes(routes!(security::api::findings))
        .routes(routes!(security::api::finding))
        .routes(routes!(security::api::unowned_assets))
        .routes(routes!(security::api::assign_owner))
        .routes(routes!(security::api::policy, security::api::apply_policy))
        .routes(routes!(security::api::people))
        .routes(with_layer(routes!(security::api::imports, security::api::upload), upload_limit))
        .routes(routes!(accounts::api::accounts, accounts::api::create_account))
        .routes(routes!(accounts::api::reset_account))
        .routes(routes!(accounts::api::disable_account))
        .routes(routes!(accounts::api::enable_account))
        .routes(routes!(security::api::declare_emergency))
        .routes(routes!(security::api::actions));
    // The outer router's document is the one kept: it must be Rapport's, not the default one
    // that names utoipa-axum and its author.
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", routes).split_for_parts()
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

/// Whether the server can do all of its work now. While another import holds SQLite's one
/// writer (a long `rapport import`), pages and the API still read, but sign-ins, answers and
/// uploads wait their turn: answered 503, saying so, until it is done. Needs no sign-in.
async fn ready(State(state): State<AppState>) -> Result<axum::response::Response, ServerError> {
    if state.store.writer_busy().await? {
        let waiting =
            "waiting: another import is writing to the database; reading works, writing waits its turn\n";
        return Ok((axum::http::StatusCode::SERVICE_UNAVAILABLE, waiting).into_response());
    }
    Ok("ready\n".into_response())
}

/// Prometheus metrics, for the security team's accounts and tokens.
async fn metrics(
    State(state): State<AppState>,
    signed: auth::Signed,
) -> Result<impl IntoResponse, ServerError> {
    web::require(
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
    let outbox =
        state.channels.delivering().then(|| tokio::spawn(deliver_every(state.clone(), DELIVER_EVERY)));
    let app = router(state);
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    clock.abort();
    if let Some(outbox) = outbox {
        outbox.abort();
    }
    served
}

/// How often the outbox is looked at: what is due goes within seconds.
const DELIVER_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

async fn deliver_every(state: AppState, period: std::time::Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match rapport_workflows::deliver_due(&state.store, &state.channels, || state.now()).await {
            Ok(report) if report.sent + report.retried + report.given_up > 0 => tracing::info!(
                sent = report.sent,
                retried = report.retried,
                given_up = report.given_up,
                "the outbox delivered"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "delivering failed; the outbox is tried again shortly"),
        }
    }
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
        // The first tick is at once: a server starting after a crash catches up first.
        ticks.tick().await;
        catch_up(&state).await;
        match rapport_workflows::tick(&state.store, state.now()).await {
            Ok(report) => tracing::debug!(
                recorded = report.recorded.len(),
                exceptions_ended = report.exceptions_ended,
                "the clock ran"
            ),
            Err(error) => tracing::warn!(%error, "the clock's work failed; it runs again at the next tick"),
        }
        compose(&state).await;
    }
}

/// Composes the messages of every event not yet told: the clock's and everyone else's.
async fn compose(state: &AppState) {
    let composed = match rapport_workflows::templates_in_force(&state.store).await {
        Ok(templates) => rapport_workflows::compose_messages(&state.store, &templates, state.now()).await,
        Err(error) => Err(error),
    };
    match composed {
        Ok(report) => {
            tracing::debug!(events = report.events, messages = report.messages, "messages composed")
        }
        Err(error) => tracing::warn!(%error, "composing messages failed; it runs again at the next tick"),
    }
}

/// Decides and plans what an import is still owed: one that committed just before a crash,
/// or one told not to plan. On a blocking thread of its own, as every refresh (see
/// `rapport_workflows::refresh`).
async fn catch_up(state: &AppState) {
    let resumed = state
        .on_own_thread(|store, now| async move { rapport_workflows::resume_refresh(&store, now).await })
        .await;
    match resumed {
        Ok(Ok(Some(refreshed))) => tracing::info!(
            decisions_changed = refreshed.assessed.changed,
            actions_opened = refreshed.built.opened,
            "caught up on the deciding and planning an import was owed"
        ),
        Ok(Ok(None)) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "could not catch up on deciding and planning; tried again at the next tick")
        }
        Err(error) => tracing::warn!(%error, "catching up on deciding and planning stopped"),
    }
}
