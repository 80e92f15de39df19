//! Who is asking: passwords (argon2id), browser sessions with their CSRF token, API tokens,
//! and the middleware that turns a request's cookie or bearer token into a [`Signed`].
//! Secrets leave this module only as the hashes storage keeps.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use rapport_core::Principal;
use rapport_storage::{Account, TokenScope, TokenUse};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ServerError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "rapport_session";
/// The double-submit cookie that guards the sign-in form, which has no session yet.
pub const LOGIN_CSRF_COOKIE: &str = "rapport_login_csrf";
/// API tokens start with this, so a leaked one is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "rpt_";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const MIN_PASSWORD_CHARS: usize = 12;

/// 32 random bytes as hex: session secrets, CSRF tokens, API token bodies, passwords.
pub fn new_secret() -> Result<String, ServerError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| ServerError::Internal(format!("no randomness: {error}")))?;
    Ok(hex::encode(bytes))
}

/// A new API token's secret: recognisable by its prefix.
pub fn new_api_token() -> Result<String, ServerError> {
    Ok(format!("{TOKEN_PREFIX}{}", new_secret()?))
}

/// What storage keeps of a secret.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Hashes a password with argon2id on a blocking thread (it takes tens of milliseconds by design).
pub async fn hash_password(password: String) -> Result<String, ServerError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| ServerError::Internal(format!("cannot hash a password: {error}")))
    })
    .await
    .map_err(|error| ServerError::Internal(error.to_string()))?
}

/// Whether `password` matches the stored PHC string; a malformed string matches nothing.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ServerError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await
    .map_err(|error| ServerError::Internal(error.to_string()))
}

/// Why a new password is refused, in words; `None` when it is acceptable.
pub fn weak_password(password: &str, email: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some(format!("a password needs at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.eq_ignore_ascii_case(email) {
        return Some("a password must not be the account's email".to_owned());
    }
    None
}

pub fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// How a request proved who it is.
#[derive(Clone, Debug)]
pub enum Credential {
    /// A browser session, and the CSRF token its forms must carry.
    Session { token_hash: [u8; 32], csrf: String },
    /// An API token and what it may do.
    Token { id: i64, scope: TokenScope },
}

/// A request by someone signed in.
#[derive(Clone, Debug)]
pub struct Signed {
    pub account: Account,
    pub principal: Principal,
    pub credential: Credential,
    /// Who reads the answer, for the times in it.
    pub reader: crate::views::Reader,
}

impl Signed {
    /// The CSRF token for the page's forms; empty for token requests, which have no forms.
    /// Refuses an API token for what only a person signed in with a browser may do: a leaked
    /// token must not make accounts or hand out one-time passwords.
    pub fn in_person(&self, what: &str) -> Result<(), ServerError> {
        match self.credential {
            Credential::Session { .. } => Ok(()),
            Credential::Token { .. } => Err(ServerError::Forbidden(format!(
                "{what} needs an administrator signed in with a browser; an API token may not"
            ))),
        }
    }

    pub fn csrf(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf, .. } => csrf,
            Credential::Token { .. } => "",
        }
    }
}

/// Reads one cookie's value from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// Finds who is asking and puts a [`Signed`] in the request's extensions; refuses a
/// cookie-signed unsafe request without its CSRF token, a read-only token's writes, and a
/// bearer token that is unknown or revoked. Requests with neither pass on unsigned: the
/// handlers that need someone say so through the [`Signed`] extractor.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match identify(&state, &mut request).await {
        Ok(()) => {
            // A refusal's page keeps the menu and what was typed (`web::render_errors`).
            let signed = request.extensions().get::<Signed>().cloned();
            let typed = request.extensions().get::<crate::web::Typed>().cloned();
            let mut response = next.run(request).await;
            if response.extensions().get::<crate::error::ErrorMessage>().is_some() {
                if let Some(signed) = signed {
                    response.extensions_mut().insert(crate::web::Nav::of(&signed));
                }
                if let Some(typed) = typed {
                    response.extensions_mut().insert(typed);
                }
            }
            response
        }
        Err(error) => {
            crate::upload::drain(request.into_body()).await;
            axum::response::IntoResponse::into_response(error)
        }
    }
}

async fn identify(state: &AppState, request: &mut Request) -> Result<(), ServerError> {
    let now = state.now();
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if let Some(token) = bearer(request.headers()) {
        let found = match token.strip_prefix(TOKEN_PREFIX) {
            Some(_) => state.store.api_token(&digest(token)).await?,
            None => None,
        };
        let Some(TokenUse { account, token }) = found else {
            return Err(ServerError::Unauthenticated("the API token is unknown or revoked".into()));
        };
        // Written down and audited once a minute at most, beside the request: a request never
        // waits for the database's writer (a long import holds SQLite's for minutes).
        if token.use_due(now) {
            let peer = crate::web::client_address(
                request.extensions(),
                request.headers(),
                &state.config.trusted_proxies,
            );
            let what = format!("{} {}", request.method(), request.uri().path());
            tokio::spawn(record_token_use(state.clone(), account.email.clone(), token.id, what, peer));
        }
        // A token stops with the controls a session stops with: a one-time password not yet
        // changed lets neither in (reset, password changes and disabling revoke tokens).
        if account.must_change_password {
            return Err(ServerError::ChangePasswordFirst);
        }
        if unsafe_method && token.scope == TokenScope::Read {
            return Err(ServerError::Forbidden(format!("the token {:?} may only read", token.name)));
        }
        let principal = account.principal();
        let reader = reader_of(state, &account).await?;
        request.extensions_mut().insert(Signed {
            account,
            principal,
            credential: Credential::Token { id: token.id, scope: token.scope },
            reader,
        });
        return Ok(());
    }
    let Some(secret) = cookie(request.headers(), SESSION_COOKIE) else { return Ok(()) };
    let token_hash = digest(secret);
    let Some(session) = state.store.session(&token_hash, now).await? else { return Ok(()) };
    let allowed_first = ["/account/password", "/logout", "/static/rapport.css"];
    if session.account.must_change_password && !allowed_first.contains(&request.uri().path()) {
        return Err(ServerError::ChangePasswordFirst);
    }
    let principal = session.account.principal();
    let reader = reader_of(state, &session.account).await?;
    let signed = Signed {
        account: session.account,
        principal,
        credential: Credential::Session { token_hash, csrf: session.csrf.clone() },
        reader,
    };
    if unsafe_method {
        match csrf_sent(request).await? {
            CsrfSent::InMultipartBody => {
                // Only the upload reads this, and it checks the token before the file.
                request.extensions_mut().insert(CsrfInBody { signed, csrf: session.csrf });
                return Ok(());
            }
            CsrfSent::Here(Some(sent)) if same_secret(&sent, &session.csrf) => {}
            CsrfSent::Here(_) => return Err(out_of_date()),
        }
    }
    request.extensions_mut().insert(signed);
    Ok(())
}

/// The account's reader, in the time zone the directory gives its person.
async fn reader_of(state: &AppState, account: &Account) -> Result<crate::views::Reader, ServerError> {
    Ok(crate::views::Reader::in_zone(state.store.time_zone_of(&account.email).await?.as_deref()))
}

/// The refusal of a form without the right CSRF token.
pub fn out_of_date() -> ServerError {
    ServerError::Forbidden("the form is out of date: reload the page and try again".into())
}

/// A multipart form sent with a session but without the CSRF header: its token is its first
/// field. No handler but the upload sees who sent it, and the upload reads that field first.
#[derive(Clone, Debug)]
pub struct CsrfInBody {
    pub signed: Signed,
    pub csrf: String,
}

enum CsrfSent {
    /// Sent in the header or a URL-encoded form's `csrf` field, or not at all.
    Here(Option<String>),
    /// A multipart body, too big to read twice: its `csrf` field is checked as it is read.
    InMultipartBody,
}

/// The CSRF token a request carries: the `x-csrf-token` header (scripts), or the `csrf` field
/// of a URL-encoded form (which is read here and put back) or of a multipart one (read later).
/// Never the address: it ends up in logs and the browser's history.
async fn csrf_sent(request: &mut Request) -> Result<CsrfSent, ServerError> {
    if let Some(sent) = request.headers().get(CSRF_HEADER).and_then(|value| value.to_str().ok()) {
        return Ok(CsrfSent::Here(Some(sent.to_owned())));
    }
    let kind = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let kind = kind.unwrap_or_default().to_ascii_lowercase();
    if kind.starts_with("multipart/form-data") {
        return Ok(CsrfSent::InMultipartBody);
    }
    if kind.starts_with("application/x-www-form-urlencoded") {
        let body = std::mem::take(request.body_mut());
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| ServerError::BadRequest(format!("a form may hold at most {FORM_LIMIT} bytes")))?;
        let sent = field(&bytes, "csrf");
        let typed = crate::web::Typed::of(request.uri().path(), bytes.clone());
        request.extensions_mut().insert(typed);
        *request.body_mut() = axum::body::Body::from(bytes);
        return Ok(CsrfSent::Here(sent));
    }
    Ok(CsrfSent::Here(None))
}

/// The largest URL-encoded form accepted.
const FORM_LIMIT: usize = 256 * 1024;

fn field(encoded: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(encoded).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Signed>().cloned().ok_or_else(|| {
            ServerError::Unauthenticated("sign in first, or send an API token (Authorization: Bearer)".into())
        })
    }
}

impl FromRequestParts<AppState> for Option<Signed> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Signed>().cloned())
    }
}

/// Writes down a token's use and audits it, unless another request of the same minute did.
async fn record_token_use(state: AppState, email: String, token: i64, what: String, peer: Option<String>) {
    let recorded = match state.store.record_token_use(token, state.now()).await {
        Ok(recorded) => recorded,
        Err(error) => {
            tracing::warn!(%error, token, "could not write down a token's use");
            return;
        }
    };
    if recorded
        && let Err(error) =
            state.audit(Some(&email), "token used", Some(format!("token #{token}")), what, peer).await
    {
        tracing::warn!(%error, token, "could not audit a token's use");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_argon2id_hash_and_nothing_else() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("correct horse batterx".into(), hash).await.unwrap());
        assert!(!verify_password("anything".into(), "not a hash".into()).await.unwrap());
    }

    #[test]
    fn short_passwords_and_the_email_are_refused() {
        assert!(weak_password("short", "a@b.c").is_some());
        assert!(weak_password("someone@example.org", "Someone@example.org").is_some());
        assert_eq!(weak_password("a long enough passphrase", "a@b.c"), None);
    }

    #[test]
    fn cookies_are_read_by_name_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; rapport_session=abc".parse().unwrap());
        headers.append(header::COOKIE, "b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn secrets_are_64_hex_digits_and_differ() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
    }
}
