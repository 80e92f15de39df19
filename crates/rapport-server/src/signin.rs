//! Signing in and out: the sign-in page with its rate limit, the organisation's OpenID
//! Connect provider, sessions, the first password change, and who am I (`/api/v1/me`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use rapport_core::Role;
use serde::Deserialize;

use crate::api::Refusals;
use crate::auth;
use crate::auth::{Credential, LOGIN_CSRF_COOKIE, MIN_PASSWORD_CHARS, SESSION_COOKIE, Signed, cookie};
use crate::error::ServerError;
use crate::state::AppState;
use crate::throttle::{DEVICE_COOKIE, DEVICE_DAYS};
use crate::views::MeView;
use crate::web::{Nav, Peer, encode};

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
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

/// Only a path on this site, so the sign-in page cannot send anyone elsewhere: it starts with
/// one `/` (not `//` or `/\`, which browsers read as another host) and holds only the
/// characters a URL path and query may (RFC 3986), so no control character, space or
/// backslash can make a browser read it otherwise. Anything else goes to the start page.
pub(crate) fn local_path(next: Option<&str>) -> String {
    let safe = |path: &str| {
        let mut chars = path.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && path.chars().all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%#".contains(c))
    };
    next.filter(|path| safe(path)).map_or_else(|| "/".to_owned(), str::to_owned)
}

pub(crate) fn set_cookie(
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

pub(crate) fn login_page(
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
pub(crate) const NO_ACCOUNT_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
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
    let device = cookie(&headers, DEVICE_COOKIE);
    if !state.sign_in_limits.allow(&email, &address, device, state.now()) {
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
    let device = state.sign_in_limits.remember_device(&email, state.now())?;
    let days = DEVICE_DAYS * 24 * 3600;
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, DEVICE_COOKIE, &device, days, "Strict"));
    Ok(response)
}

/// Signs `account` in: a new session, its cookie, the audit record, and on to `target`.
pub(crate) async fn start_session(
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
pub(crate) const OIDC_STATE_COOKIE: &str = "rapport_oidc_state";

pub(crate) fn oidc_of(state: &AppState) -> Result<&crate::oidc::Oidc, ServerError> {
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
pub(crate) async fn account_from_directory(
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
pub(crate) struct PasswordPage {
    nav: Option<Nav>,
    csrf: String,
    forced: bool,
    error: Option<String>,
    min_chars: usize,
}

pub(crate) fn password_page(signed: &Signed, error: Option<String>) -> Result<Response, ServerError> {
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
    state.store.set_password(signed.account.id, &hash, false, state.now()).await?;
    state.audit(Some(&email), "password changed", None, String::new(), peer).await?;
    Ok(Redirect::to("/login").into_response())
}

/// Where each role starts.
pub async fn home(signed: Signed) -> Response {
    let principal = &signed.principal;
    let target = match (principal.role, principal.team.as_deref()) {
        (Role::TeamManager | Role::TeamEngineer, Some(team)) => format!("/teams/{}", encode(team)),
        _ if principal.is_security() => "/overview".to_owned(),
        // An executive starts with the month's briefing.
        (Role::Executive, _) => "/briefing".to_owned(),
        _ if principal.may_read_everything() => "/teams".to_owned(),
        _ => "/me/devices".to_owned(),
    };
    Redirect::to(&target).into_response()
}

#[utoipa::path(
    get,
    path = "/me",
    tag = "rapport",
    description = "Who is signed in.",
    responses(
        (status = 200, description = "OK", body = MeView),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn me(signed: Signed) -> Json<MeView> {
    Json(MeView::new(&signed.principal, &signed.account.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_safe_path_on_this_site_is_a_place_to_return_to() {
        for kept in
            ["/", "/teams/Payments", "/actions/12?said=feedback", "/findings?vulnerability=CVE-2021-44228"]
        {
            assert_eq!(local_path(Some(kept)), kept);
        }
        // Browsers drop tabs and newlines and read `\` as `/`: each of these would leave the site.
        for refused in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nLocation: x",
            "/\u{7f}",
            "/ /evil.example",
            "https://evil.example",
            "evil.example",
            "/é",
            "",
        ] {
            assert_eq!(local_path(Some(refused)), "/", "{refused:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
