//! The server-rendered pages (askama templates in `templates/`). Every flow works with plain
//! HTML forms and no JavaScript; every form carries the session's CSRF token.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rapport_core::{Action, Principal, Role};
use rapport_storage::{AnswerKind, TokenScope};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;

use crate::auth::{self, Credential, LOGIN_CSRF_COOKIE, MIN_PASSWORD_CHARS, SESSION_COOKIE, Signed, cookie};
use crate::error::{ErrorMessage, ServerError};
use crate::state::AppState;
use crate::views::PlanView;
use crate::{accounts, security, upload, work};

/// The stylesheet, in the binary.
pub async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/rapport.css"))
}

/// The links and the sign-out form every signed-in page shows.
#[derive(Clone, Debug)]
pub struct Nav {
    pub email: String,
    pub role: &'static str,
    pub csrf: String,
    pub links: Vec<(String, &'static str)>,
}

impl Nav {
    fn of(signed: &Signed) -> Nav {
        let principal = &signed.principal;
        let mut links = Vec::new();
        // Nothing else opens until a one-time password is changed: no links lead there.
        if signed.account.must_change_password {
            return Nav {
                email: principal.email.clone(),
                role: principal.role.label(),
                csrf: signed.csrf().to_owned(),
                links,
            };
        }
        if let Some(team) = principal.team.as_deref().filter(|_| principal.role.needs_team()) {
            links.push((format!("/teams/{}", encode(team)), "Our plan"));
        }
        if principal.is_security() {
            links.push(("/overview".to_owned(), "Overview"));
        }
        if principal.may_read_everything() {
            links.push(("/teams".to_owned(), "Teams"));
            links.push(("/actions".to_owned(), "Actions"));
        }
        if principal.is_security() {
            links.push(("/queue".to_owned(), "Queue"));
            links.push(("/findings".to_owned(), "Findings"));
            links.push(("/assets/unowned".to_owned(), "Unowned"));
            links.push(("/imports".to_owned(), "Imports"));
            links.push(("/policy".to_owned(), "Policy"));
            links.push(("/people".to_owned(), "People"));
            links.push(("/audit".to_owned(), "Audit log"));
        }
        if principal.may_administer() {
            links.push(("/accounts".to_owned(), "Accounts"));
        }
        links.push(("/me/devices".to_owned(), "My devices"));
        links.push(("/account/tokens".to_owned(), "API tokens"));
        links.push(("/account/password".to_owned(), "Password"));
        Nav {
            email: principal.email.clone(),
            role: principal.role.label(),
            csrf: signed.csrf().to_owned(),
            links,
        }
    }
}

fn encode(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>().replace('+', "%20")
}

fn html(template: &impl Template) -> Result<Response, ServerError> {
    Ok(Html(template.render()?).into_response())
}

/// The client's address, when the server knows it.
#[derive(Clone, Debug)]
pub struct Peer(pub Option<String>);

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Peer(client_address(&parts.extensions, &parts.headers, &state.config.trusted_proxies)))
    }
}

/// The client's address: the connection's, or behind a trusted proxy the last address in
/// `X-Forwarded-For` that is not a trusted proxy (the ones before it could be made up by the
/// client).
pub fn client_address(
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<String> {
    let connection = extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())?;
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok());
    Some(forwarded_client(connection, forwarded, trusted).to_string())
}

fn forwarded_client<'h>(
    connection: std::net::IpAddr,
    forwarded: impl Iterator<Item = &'h str>,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&connection) {
        return connection;
    }
    let hops: Vec<std::net::IpAddr> =
        forwarded.flat_map(|value| value.split(',')).filter_map(|hop| hop.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|hop| !trusted.contains(hop)).unwrap_or(connection)
}

/// Gives every error one shape: axum's own refusals of a request (a path, query, form or
/// body it cannot read, a method a route does not take) become [`ServerError`]s like ours.
/// Then the pages' errors become an HTML page, and "sign in first" a redirect to the sign-in
/// page that comes back here afterwards; the API and the metrics keep JSON.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut response = next.run(request).await;
    if is_axum_refusal(&response) {
        response = as_server_error(response).await;
    }
    if path.starts_with("/api/") || path.starts_with("/metrics") {
        return response;
    }
    let Some(ErrorMessage { message, change_password }) =
        response.extensions().get::<ErrorMessage>().cloned()
    else {
        return response;
    };
    let status = response.status();
    if change_password {
        return Redirect::to("/account/password").into_response();
    }
    if status == StatusCode::UNAUTHORIZED {
        return Redirect::to(&format!("/login?next={}", encode(&path))).into_response();
    }
    let title = match status {
        StatusCode::FORBIDDEN => "Not yours to see",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::CONFLICT | StatusCode::BAD_REQUEST => "That could not be done",
        _ => "Something went wrong",
    };
    let page = ErrorPage { nav: None, title, message };
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(_) => response,
    }
}

/// An error answer that is neither ours (a [`ServerError`], or a page such as the sign-in
/// form answered with 401) nor HTML nor JSON: axum's plain-text refusals.
fn is_axum_refusal(response: &Response) -> bool {
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    (status.is_client_error() || status.is_server_error())
        && response.extensions().get::<ErrorMessage>().is_none()
        && !content_type.starts_with("text/html")
        && !content_type.starts_with("application/json")
}

/// One of axum's plain-text refusals, as the same status with our JSON error body.
async fn as_server_error(response: Response) -> Response {
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let message = String::from_utf8_lossy(&text).trim().to_owned();
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("the request was refused").to_lowercase()
    } else {
        message
    };
    let mut answer = ServerError::BadRequest(message).into_response();
    *answer.status_mut() = status;
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxy_says_who_the_client_is() {
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let client: std::net::IpAddr = "203.0.113.7".parse().unwrap();
        let forged = ["198.51.100.1, 203.0.113.7"];
        assert_eq!(
            forwarded_client(proxy, forged.into_iter(), &[proxy]),
            client,
            "the last hop before the proxy"
        );
        assert_eq!(forwarded_client(client, forged.into_iter(), &[proxy]), client, "not through the proxy");
        assert_eq!(forwarded_client(proxy, forged.into_iter(), &[]), proxy, "no proxy is trusted");
        assert_eq!(forwarded_client(proxy, ["nonsense"].into_iter(), &[proxy]), proxy);
        let chain = ["203.0.113.7", "10.0.0.3"];
        let both: Vec<std::net::IpAddr> = vec![proxy, "10.0.0.3".parse().unwrap()];
        assert_eq!(forwarded_client(proxy, chain.into_iter(), &both), client, "two proxies in a row");
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    title: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    /// The button for the organisation's sign-in, when there is one.
    oidc_label: Option<String>,
    error: Option<String>,
    csrf: String,
    next: String,
    email: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site, so the sign-in page cannot send anyone elsewhere.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_seconds: i64,
    same_site: &str,
) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
}

fn login_page(
    state: &AppState,
    error: Option<String>,
    next: String,
    email: String,
    status: StatusCode,
) -> Result<Response, ServerError> {
    let csrf = auth::new_secret()?;
    let oidc_label = state.oidc.as_ref().map(|oidc| oidc.label().to_owned());
    let page = LoginPage { nav: None, oidc_label, error, csrf: csrf.clone(), next, email };
    let mut response = (status, Html(page.render()?)).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600, "Strict"));
    Ok(response)
}

pub async fn login_form(
    State(state): State<AppState>,
    signed: Option<Signed>,
    Query(query): Query<NextQuery>,
) -> Result<Response, ServerError> {
    let next = local_path(query.next.as_deref());
    if signed.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    login_page(&state, None, next, String::new(), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// A PHC string that matches no password: unknown accounts are "checked" against it, so a
/// wrong email takes as long as a wrong password.
const NO_ACCOUNT_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                               9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";

pub async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ServerError> {
    let next = local_path(form.next.as_deref());
    let email = form.email.trim().to_lowercase();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::same_secret(expected, &form.csrf) {
        return Err(ServerError::Forbidden(
            "the sign-in form is out of date: reload the page and try again".into(),
        ));
    }
    let address = peer.clone().unwrap_or_default();
    if state.logins_by_address.check_key(&address).is_err()
        || state.logins_by_account.check_key(&email).is_err()
    {
        state.audit(None, "login throttled", Some(email.clone()), "too many attempts".into(), peer).await?;
        return Err(ServerError::TooManyRequests(
            "too many sign-in attempts: wait a minute and try again".into(),
        ));
    }
    let account = state.store.account_by_email(&email).await?.filter(|account| !account.disabled);
    let hash =
        account.as_ref().and_then(|a| a.password_hash.clone()).unwrap_or_else(|| NO_ACCOUNT_HASH.to_owned());
    let matches = auth::verify_password(form.password, hash).await?;
    let Some(account) = account.filter(|a| matches && a.password_hash.is_some()) else {
        state
            .audit(None, "login failed", Some(email.clone()), "wrong email or password".into(), peer)
            .await?;
        return login_page(
            &state,
            Some("Wrong email or password.".into()),
            next,
            email,
            StatusCode::UNAUTHORIZED,
        );
    };
    let target = if account.must_change_password { "/account/password".to_owned() } else { next };
    let mut response = start_session(&state, &account, &target, "password", peer).await?;
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0, "Strict"));
    Ok(response)
}

/// Signs `account` in: a new session, its cookie, the audit record, and on to `target`.
async fn start_session(
    state: &AppState,
    account: &rapport_storage::Account,
    target: &str,
    how: &str,
    peer: Option<String>,
) -> Result<Response, ServerError> {
    let secret = auth::new_secret()?;
    let csrf = auth::new_secret()?;
    let now = state.now();
    let hours = i64::from(state.config.session_hours);
    state
        .store
        .add_session(&auth::digest(&secret), account.id, &csrf, now, now + time::Duration::hours(hours))
        .await?;
    state.audit(Some(&account.email), "login", None, how.to_owned(), peer).await?;
    let mut response = Redirect::to(target).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, SESSION_COOKIE, &secret, hours * 3600, "Lax"));
    Ok(response)
}

/// The cookie that binds a sign-in through the provider to the browser that started it.
const OIDC_STATE_COOKIE: &str = "rapport_oidc_state";

fn oidc_of(state: &AppState) -> Result<&crate::oidc::Oidc, ServerError> {
    state.oidc.as_deref().ok_or_else(|| {
        ServerError::NotFound("sign-in with an organisation account is not set up here".into())
    })
}

/// Sends the browser to the organisation's provider to sign in.
pub async fn oidc_start(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
) -> Result<Response, ServerError> {
    let oidc = oidc_of(&state)?;
    let (url, flow) = oidc.start(local_path(query.next.as_deref()), state.now()).await?;
    let mut response = Redirect::to(&url).into_response();
    // Lax, not Strict: the provider sends the browser back with a top-level GET from its site.
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, OIDC_STATE_COOKIE, &flow, 600, "Lax"));
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct OidcAnswer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Where the provider sends the browser back: the person it vouches for is signed in, as the
/// account with their email or, the first time, as an account the directory describes.
pub async fn oidc_callback(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Query(answer): Query<OidcAnswer>,
) -> Result<Response, ServerError> {
    let oidc = oidc_of(&state)?;
    let (Some(code), Some(flow)) = (answer.code, answer.state) else {
        let why = answer.error_description.or(answer.error).unwrap_or_else(|| "no code came back".into());
        state.audit(None, "login failed", None, format!("organisation sign-in: {why}"), peer).await?;
        return Err(ServerError::Forbidden(format!("the organisation's sign-in did not complete: {why}")));
    };
    let now = state.now();
    let (vouched, next) = oidc.finish(code, &flow, cookie(&headers, OIDC_STATE_COOKIE), now).await?;
    let account = match state.store.account_by_email(&vouched.email).await? {
        Some(account) if account.disabled => None,
        Some(account) => Some(account),
        None => account_from_directory(&state, &vouched.email, peer.clone()).await?,
    };
    let Some(account) = account else {
        state
            .audit(
                None,
                "login failed",
                Some(vouched.email.clone()),
                "organisation sign-in: no account".into(),
                peer,
            )
            .await?;
        return Err(ServerError::Forbidden(format!(
            "{} may not use Rapport: the account is disabled, or the person is not in its directory; \
             ask the security team",
            vouched.email
        )));
    };
    let how = format!("organisation sign-in ({})", vouched.subject);
    let mut response = start_session(&state, &account, &next, &how, peer).await?;
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&state, OIDC_STATE_COOKIE, "", 0, "Lax"));
    Ok(response)
}

/// The first organisation sign-in of someone in the directory makes their account, with the
/// role the directory gives them (never administrator) and no password.
async fn account_from_directory(
    state: &AppState,
    email: &str,
    peer: Option<String>,
) -> Result<Option<rapport_storage::Account>, ServerError> {
    let principal = match rapport_workflows::directory_principal(&state.store, email, state.now()).await {
        Ok(principal) => principal,
        Err(rapport_workflows::PlanError::Refused(_)) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    let people = state.store.people().await?;
    let name = people
        .iter()
        .find(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
        .map_or_else(|| email.to_owned(), |p| p.name.clone());
    let new = rapport_storage::NewAccount {
        email,
        name: &name,
        role: principal.role,
        team: principal.team.as_deref(),
        password_hash: None,
        must_change_password: false,
    };
    state.store.add_account(&new, state.now()).await?;
    state
        .audit(
            Some(email),
            "account created",
            Some(email.to_owned()),
            format!("from the directory at the first organisation sign-in, as {}", principal.role.label()),
            peer,
        )
        .await?;
    Ok(state.store.account_by_email(email).await?)
}

pub async fn logout(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
) -> Result<Response, ServerError> {
    if let Credential::Session { token_hash, .. } = &signed.credential {
        state.store.delete_session(token_hash).await?;
    }
    state.audit(Some(&signed.principal.email), "logout", None, String::new(), peer).await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0, "Lax"));
    Ok(response)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Option<Nav>,
    csrf: String,
    forced: bool,
    error: Option<String>,
    min_chars: usize,
}

fn password_page(signed: &Signed, error: Option<String>) -> Result<Response, ServerError> {
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = PasswordPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.csrf().to_owned(),
        forced: signed.account.must_change_password,
        error,
        min_chars: MIN_PASSWORD_CHARS,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn password_form(signed: Signed) -> Result<Response, ServerError> {
    password_page(&signed, None)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ServerError> {
    let email = signed.principal.email.clone();
    let current = signed.account.password_hash.clone().unwrap_or_else(|| NO_ACCOUNT_HASH.to_owned());
    if !auth::verify_password(form.current, current).await? {
        state
            .audit(Some(&email), "password change refused", None, "wrong current password".into(), peer)
            .await?;
        return password_page(&signed, Some("The current password is wrong.".into()));
    }
    if let Some(why) = auth::weak_password(&form.new, &email) {
        return password_page(&signed, Some(format!("Not changed: {why}.")));
    }
    let hash = auth::hash_password(form.new).await?;
    // Changing the password ends every session, this one too: sign in again with it.
    state.store.set_password(signed.account.id, &hash, false).await?;
    state.audit(Some(&email), "password changed", None, String::new(), peer).await?;
    Ok(Redirect::to("/login").into_response())
}

/// Where each role starts.
pub async fn home(signed: Signed) -> Response {
    let principal = &signed.principal;
    let target = match (principal.role, principal.team.as_deref()) {
        (Role::TeamManager | Role::TeamEngineer, Some(team)) => format!("/teams/{}", encode(team)),
        _ if principal.is_security() => "/overview".to_owned(),
        _ if principal.may_read_everything() => "/teams".to_owned(),
        _ => "/me/devices".to_owned(),
    };
    Redirect::to(&target).into_response()
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    nav: Option<Nav>,
    policy_version: i64,
    teams: Vec<work::TeamSummary>,
}

pub async fn teams(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let (policy_version, teams) = work::team_summaries(&state, &signed.principal).await?;
    html(&TeamsPage { nav: Some(Nav::of(&signed)), policy_version, teams })
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    nav: Option<Nav>,
    csrf: String,
    plan: PlanView,
    may_answer: bool,
    may_acknowledge: bool,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    done: Option<String>,
}

pub async fn team_plan(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, ServerError> {
    let plan = work::plan_view(&state, &signed.principal, &team).await?;
    let notice = query.done.map(|what| match what.as_str() {
        "acknowledged" => format!("{} acknowledges policy version {}.", plan.team, plan.policy_version),
        _ => "Marked done. The next scan of its places will confirm it.".to_owned(),
    });
    html(&PlanPage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.csrf().to_owned(),
        may_answer: signed.principal.may_answer_for_team(&plan.team),
        may_acknowledge: signed.principal.may_acknowledge_for_team(&plan.team),
        plan,
        notice,
    })
}

pub async fn acknowledge(
    State(state): State<AppState>,
    signed: Signed,
    Path(team): Path<String>,
) -> Result<Response, ServerError> {
    let team = work::acknowledge(&state, &signed.principal, &team).await?;
    Ok(Redirect::to(&format!("/teams/{}?done=acknowledged", encode(&team))).into_response())
}

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    nav: Option<Nav>,
    csrf: String,
    id: i64,
    team: String,
    /// Where it stands, in the words the API and the command line use too.
    standing: String,
    due: Option<String>,
    action: Action,
    fixes: String,
    more: usize,
    /// When, what, by whom, detail.
    events: Vec<(String, &'static str, Option<String>, String)>,
    may_answer: bool,
    may_mark_done: bool,
    may_request_exception: bool,
    pending_exception: Option<i64>,
    may_declare_emergency: bool,
    notice: Option<String>,
    /// What was said (kind, by, text) and the reply.
    answers: Vec<(&'static str, String, String, Option<String>)>,
    other_teams: Vec<String>,
    today: String,
    latest_until: String,
    max_exception_days: u32,
}

#[derive(Debug, Deserialize)]
pub struct ActionNotice {
    said: Option<String>,
}

pub async fn action_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(query): Query<ActionNotice>,
) -> Result<Response, ServerError> {
    work::readable_action(&state, &signed.principal, id).await?;
    let now = state.now();
    let detail = rapport_workflows::action_detail(&state.store, id, now).await?;
    let (policy, _) = rapport_workflows::current_policy(&state.store, now).await?;
    let max_exception_days = policy.spec.exceptions.max_days;
    let answers = state
        .store
        .answers_on(id)
        .await?
        .into_iter()
        .map(|a| {
            let kind = match a.kind {
                AnswerKind::Feedback => "Feedback",
                AnswerKind::NotOurs => "Not ours",
            };
            (kind, a.given_by, a.body, a.reply)
        })
        .collect();
    let other_teams = state
        .store
        .teams()
        .await?
        .into_iter()
        .map(|t| t.name)
        .filter(|name| !name.eq_ignore_ascii_case(&detail.team))
        .collect();
    let notice = query.said.map(|said| match said.as_str() {
        "exception" => "Asked. The security team decides; you will see the answer here.".to_owned(),
        "emergency" => "Emergency declared: the action goes to the top of the team's plan.".to_owned(),
        "not_ours" => {
            "Told the security team. The action stays in your plan until ownership changes.".to_owned()
        }
        _ => "Thank you. The security team will reply here.".to_owned(),
    });
    let events = detail
        .history
        .iter()
        .map(|e| {
            let by = e.actor.email().map(str::to_owned);
            (e.at.format(&Rfc3339).unwrap_or_default(), e.kind.label(), by, e.detail.clone())
        })
        .collect();
    let may_answer = signed.principal.may_answer_for_team(&detail.team);
    html(&ActionPage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.csrf().to_owned(),
        id,
        may_answer,
        may_mark_done: may_answer && detail.may_mark_done(),
        may_request_exception: may_answer && detail.may_request_exception(),
        pending_exception: detail.pending_exception,
        may_declare_emergency: signed.principal.may_decide() && detail.may_declare_emergency(),
        standing: detail.standing.words(),
        due: detail.due.map(|due| due.to_string()),
        team: detail.team,
        fixes: detail.action.fixes.iter().take(20).cloned().collect::<Vec<_>>().join(", "),
        more: detail.action.fixes.len().saturating_sub(20) + detail.action.more_fixes as usize,
        action: detail.action,
        events,
        notice,
        answers,
        other_teams,
        today: now.date().to_string(),
        latest_until: (now.date() + time::Duration::days(i64::from(max_exception_days))).to_string(),
        max_exception_days,
    })
}

pub async fn action_exception(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(ask): Form<work::ExceptionAsk>,
) -> Result<Response, ServerError> {
    work::request_exception(&state, &signed.principal, id, &ask).await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=exception")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct FeedbackForm {
    text: String,
}

pub async fn action_feedback(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<FeedbackForm>,
) -> Result<Response, ServerError> {
    work::give_feedback(&state, &signed.principal, id, &form.text).await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=feedback")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NotOursForm {
    reason: String,
    #[serde(default)]
    suggested_team: Option<String>,
}

pub async fn action_not_ours(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<NotOursForm>,
) -> Result<Response, ServerError> {
    work::dispute_ownership(&state, &signed.principal, id, &form.reason, form.suggested_team.as_deref())
        .await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=not_ours")).into_response())
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    nav: Option<Nav>,
    csrf: String,
    queue: work::Queue,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct QueueNotice {
    done: Option<String>,
}

pub async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<QueueNotice>,
) -> Result<Response, ServerError> {
    let queue = work::queue(&state, &signed.principal).await?;
    let notice = query.done.map(|done| format!("Done: {done}."));
    html(&QueuePage { nav: Some(Nav::of(&signed)), csrf: signed.csrf().to_owned(), queue, notice })
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
    reason: String,
}

pub async fn decide_exception(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, ServerError> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return Err(ServerError::BadRequest(format!("decision {other:?}: expected approve or reject")));
        }
    };
    work::decide_exception(&state, &signed.principal, id, approve, &form.reason).await?;
    let done = if approve { "approved" } else { "rejected" };
    Ok(Redirect::to(&format!("/queue?done=exception%20%23{id}%20{done}")).into_response())
}

pub async fn reply(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<FeedbackForm>,
) -> Result<Response, ServerError> {
    work::reply(&state, &signed.principal, id, &form.text).await?;
    Ok(Redirect::to(&format!("/queue?done=replied%20to%20answer%20%23{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DoneForm {
    #[serde(default)]
    note: String,
}

pub async fn action_done(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<DoneForm>,
) -> Result<Response, ServerError> {
    let team = work::mark_done(&state, &signed.principal, id, &form.note).await?;
    Ok(Redirect::to(&format!("/teams/{}?done=action", encode(&team))).into_response())
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    nav: Option<Nav>,
    devices: Vec<work::DeviceView>,
}

pub async fn my_devices(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let devices = work::my_devices(&state, &signed.principal).await?;
    html(&DevicesPage { nav: Some(Nav::of(&signed)), devices })
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    /// When, who, what, on what, detail, from where.
    events: Vec<(String, String, String, String, String, String)>,
}

/// How many acts the audit page shows.
const AUDIT_ROWS: i64 = 500;

/// The audit log: the server's own security acts (signing in, accounts, tokens, uploads) and
/// the events people caused in the stream, newest first. No act is written to both.
pub async fn audit(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    require(&signed.principal, Principal::is_security, "the audit log is for the security team")?;
    let acts = state.store.audit_events(AUDIT_ROWS).await?.into_iter().map(|e| {
        let row = (
            e.at.format(&Rfc3339).unwrap_or_default(),
            e.actor.unwrap_or_else(|| "(not signed in)".into()),
            e.act,
            e.target.unwrap_or_default(),
            e.detail,
            e.source.unwrap_or_default(),
        );
        (e.at, row)
    });
    let events = state.store.events_by_people(AUDIT_ROWS).await?.into_iter().map(|e| {
        let target = match (e.action, &e.subject) {
            (Some(action), Some(subject)) => format!("action #{action}, {subject}"),
            (Some(action), None) => format!("action #{action}"),
            (None, subject) => subject.clone().unwrap_or_default(),
        };
        let who = e.actor.email().map_or_else(|| "the security team".to_owned(), str::to_owned);
        (
            e.at,
            (
                e.at.format(&Rfc3339).unwrap_or_default(),
                who,
                e.kind.label().to_owned(),
                target,
                e.detail,
                String::new(),
            ),
        )
    });
    let mut rows: Vec<_> = acts.chain(events).collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    rows.truncate(AUDIT_ROWS as usize);
    html(&AuditPage { nav: Some(Nav::of(&signed)), events: rows.into_iter().map(|(_, row)| row).collect() })
}

pub fn require(principal: &Principal, allowed: fn(&Principal) -> bool, why: &str) -> Result<(), ServerError> {
    if allowed(principal) {
        Ok(())
    } else {
        Err(ServerError::Forbidden(format!("{why}; you are signed in as {}", principal.role.label())))
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    nav: Option<Nav>,
    csrf: String,
    secret: Option<String>,
    tokens: Vec<TokenRow>,
}

struct TokenRow {
    id: i64,
    name: String,
    scope: &'static str,
    created: String,
    last_used: String,
    revoked: bool,
}

async fn tokens_page(
    state: &AppState,
    signed: &Signed,
    secret: Option<String>,
) -> Result<Response, ServerError> {
    let date = |at: time::OffsetDateTime| at.date().to_string();
    let tokens = state
        .store
        .api_tokens(signed.account.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            scope: t.scope.as_str(),
            created: date(t.created_at),
            last_used: t.last_used_at.map(date).unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    html(&TokensPage { nav: Some(Nav::of(signed)), csrf: signed.csrf().to_owned(), secret, tokens })
}

pub async fn tokens(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    tokens_page(&state, &signed, None).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    scope: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Form(form): Form<TokenForm>,
) -> Result<Response, ServerError> {
    // A token cannot make tokens: only a signed-in person can.
    if !matches!(signed.credential, Credential::Session { .. }) {
        return Err(ServerError::Forbidden("API tokens are made from a signed-in browser".into()));
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServerError::BadRequest("give the token a name of 1 to 100 characters".into()));
    }
    let scope = TokenScope::parse(&form.scope).ok_or_else(|| {
        ServerError::BadRequest(format!("unknown scope {:?}: expected read or write", form.scope))
    })?;
    let secret = auth::new_api_token()?;
    let id = state
        .store
        .add_api_token(signed.account.id, name, &auth::digest(&secret), scope, state.now())
        .await?;
    state
        .audit(
            Some(&signed.principal.email),
            "token created",
            Some(format!("token #{id}")),
            format!("{name} ({})", scope.as_str()),
            peer,
        )
        .await?;
    tokens_page(&state, &signed, Some(secret)).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    if !state.store.revoke_api_token(signed.account.id, id, state.now()).await? {
        return Err(ServerError::NotFound(format!("you have no live token #{id}")));
    }
    state
        .audit(
            Some(&signed.principal.email),
            "token revoked",
            Some(format!("token #{id}")),
            String::new(),
            peer,
        )
        .await?;
    Ok(Redirect::to("/account/tokens").into_response())
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    nav: Option<Nav>,
    o: security::Overview,
}

pub async fn overview(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let o = security::overview(&state, &signed.principal).await?;
    html(&OverviewPage { nav: Some(Nav::of(&signed)), o })
}

/// The colour of a decision's tag.
fn outcome_tag(outcome: &str) -> &'static str {
    match outcome {
        "Act" => "tag-act",
        "Attend" => "tag-attend",
        _ => "",
    }
}

impl security::FindingView {
    fn tag_class(&self) -> &'static str {
        self.decision.map_or("", outcome_tag)
    }

    fn is_plainly_affected(&self) -> bool {
        self.status == "affected"
    }
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    nav: Option<Nav>,
    /// Each choice of least severity: its value, its label, and whether it is chosen.
    severities: Vec<(&'static str, &'static str, bool)>,
    query_tool: String,
    query_target: String,
    query_vulnerability: String,
    findings: Vec<security::FindingView>,
    maybe_more: bool,
}

pub async fn findings(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<security::FindingQuery>,
) -> Result<Response, ServerError> {
    let findings = security::findings(&state, &signed.principal, &query).await?;
    let chosen = query.severity.as_deref().unwrap_or_default();
    let severities = [
        ("", "any severity"),
        ("critical", "critical"),
        ("high", "high"),
        ("medium", "medium"),
        ("low", "low"),
    ]
    .into_iter()
    .map(|(value, label)| (value, label, value == chosen))
    .collect();
    html(&FindingsPage {
        nav: Some(Nav::of(&signed)),
        severities,
        maybe_more: u32::try_from(findings.len()).ok() == query.limit().ok(),
        query_tool: query.tool.unwrap_or_default(),
        query_target: query.target.unwrap_or_default(),
        query_vulnerability: query.vulnerability.unwrap_or_default(),
        findings,
    })
}

#[derive(Template)]
#[template(path = "unowned.html")]
struct UnownedPage {
    nav: Option<Nav>,
    total: u64,
    all_listed: bool,
    assets: Vec<security::UnownedAsset>,
}

pub async fn unowned_assets(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let (total, assets) = security::unowned_assets(&state, &signed.principal).await?;
    let all_listed = total == assets.len() as u64;
    html(&UnownedPage { nav: Some(Nav::of(&signed)), total, all_listed, assets })
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    nav: Option<Nav>,
    csrf: String,
    may_change: bool,
    notice: Option<String>,
    difference: Option<String>,
    policy: security::PolicyView,
}

async fn policy_page(
    state: &AppState,
    signed: &Signed,
    applied: Option<work::PolicyApplied>,
) -> Result<Response, ServerError> {
    let policy = security::policy(state, &signed.principal).await?;
    let notice = applied.as_ref().map(|applied| match applied.new {
        true => {
            format!("Applied as version {}. Each team's manager is asked to acknowledge it.", applied.version)
        }
        false => format!("Unchanged: that is version {} already.", applied.version),
    });
    html(&PolicyPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.csrf().to_owned(),
        may_change: signed.principal.may_decide(),
        notice,
        difference: applied.map(|applied| applied.difference).filter(|d| !d.is_empty()),
        policy,
    })
}

pub async fn policy(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    policy_page(&state, &signed, None).await
}

#[derive(Debug, Deserialize)]
pub struct PolicyForm {
    content: String,
}

pub async fn apply_policy(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<PolicyForm>,
) -> Result<Response, ServerError> {
    // Browsers send a textarea's lines with CRLF; the stored policy keeps the file's LF.
    let text = form.content.replace("\r\n", "\n");
    let applied = work::apply_policy(&state, &signed.principal, &text).await?;
    policy_page(&state, &signed, Some(applied)).await
}

#[derive(Debug, Deserialize)]
pub struct EmergencyForm {
    reason: String,
}

pub async fn declare_emergency(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<EmergencyForm>,
) -> Result<Response, ServerError> {
    work::declare_emergency(&state, &signed.principal, id, &form.reason).await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=emergency")).into_response())
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    nav: Option<Nav>,
    teams: Vec<security::TeamPeople>,
}

pub async fn people(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let teams = security::teams_and_people(&state, &signed.principal).await?;
    html(&PeoplePage { nav: Some(Nav::of(&signed)), teams })
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    nav: Option<Nav>,
    csrf: String,
    max_upload_mib: u32,
    imported: Option<security::Imported>,
    imports: Vec<security::ImportView>,
}

async fn imports_page(
    state: &AppState,
    signed: &Signed,
    imported: Option<security::Imported>,
) -> Result<Response, ServerError> {
    let imports = security::imports(state, &signed.principal).await?;
    html(&ImportsPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.csrf().to_owned(),
        max_upload_mib: state.config.max_upload_mib,
        imported,
        imports,
    })
}

pub async fn imports(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    imports_page(&state, &signed, None).await
}

pub async fn upload(
    State(state): State<AppState>,
    Peer(peer): Peer,
    request: Request,
) -> Result<Response, ServerError> {
    let (signed, upload) = upload::authorised_upload(request, security::may_import).await?;
    let imported =
        security::import_upload(&state, &signed.principal, &upload.name, &upload.path, peer).await?;
    imports_page(&state, &signed, Some(imported)).await
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    nav: Option<Nav>,
    csrf: String,
    /// The administrator's own account, which the page does not offer to disable.
    me: i64,
    notice: Option<String>,
    one_time: Option<String>,
    accounts: Vec<accounts::AccountView>,
    /// Each role's value and label, for the form.
    roles: Vec<(&'static str, &'static str)>,
    teams: Vec<String>,
}

async fn accounts_page(
    state: &AppState,
    signed: &Signed,
    notice: Option<String>,
    one_time: Option<String>,
) -> Result<Response, ServerError> {
    let accounts = accounts::list(&state.store, &signed.principal).await?;
    let teams = state.store.teams().await?.into_iter().map(|team| team.name).collect();
    html(&AccountsPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.csrf().to_owned(),
        me: signed.account.id,
        notice,
        one_time,
        accounts,
        roles: Role::ALL.iter().map(|role| (role.as_str(), role.label())).collect(),
        teams,
    })
}

pub async fn accounts(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    accounts_page(&state, &signed, None, None).await
}

pub async fn create_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Form(form): Form<accounts::AccountRequest>,
) -> Result<Response, ServerError> {
    let password = work::create_account(&state, &signed.principal, &form, peer).await?;
    let notice = format!("Account {} created.", form.email.trim());
    accounts_page(&state, &signed, Some(notice), Some(password)).await
}

async fn account_act(
    state: &AppState,
    signed: &Signed,
    id: i64,
    act: accounts::AccountAct,
    peer: Option<String>,
) -> Result<Response, ServerError> {
    let (account, password) = work::act_on_account(state, &signed.principal, id, &act, peer).await?;
    let notice = format!("{}: {}.", account.email, act.audit_word());
    accounts_page(state, signed, Some(notice), password).await
}

pub async fn reset_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    account_act(&state, &signed, id, accounts::AccountAct::Reset, peer).await
}

pub async fn disable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    account_act(&state, &signed, id, accounts::AccountAct::Disable, peer).await
}

pub async fn enable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    account_act(&state, &signed, id, accounts::AccountAct::Enable, peer).await
}

#[derive(Template)]
#[template(path = "actions.html")]
struct ActionsPage {
    nav: Option<Nav>,
    /// Each team's name and whether it is the one chosen.
    teams: Vec<(String, bool)>,
    /// Each state's value, label and whether it is the one chosen.
    states: Vec<(&'static str, &'static str, bool)>,
    actions: Vec<security::ActionRow>,
}

pub async fn actions(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<security::ActionQuery>,
) -> Result<Response, ServerError> {
    let actions = security::actions(&state, &signed.principal, &query).await?;
    let chosen_team = query.team.as_deref().unwrap_or_default();
    let (_, summaries) = work::team_summaries(&state, &signed.principal).await?;
    let teams = summaries.into_iter().map(|t| (t.name.clone(), t.name == chosen_team)).collect();
    let chosen_state = query.state.as_deref().unwrap_or_default();
    let states = [("", "all but closed")]
        .into_iter()
        .chain(rapport_core::ActionState::ALL.map(|state| (state.as_str(), state.label())))
        .map(|(value, label)| (value, label, value == chosen_state))
        .collect();
    html(&ActionsPage { nav: Some(Nav::of(&signed)), teams, states, actions })
}
