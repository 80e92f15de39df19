//! What every page shares: the navigation, rendering a template, the client's address,
//! and turning errors into HTML pages (or a redirect to sign in).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rapport_core::Principal;

use crate::auth::Signed;
use crate::error::{ErrorMessage, ServerError};
use crate::state::AppState;

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
    pub(crate) fn of(signed: &Signed) -> Nav {
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
            links.push((format!("/teams/{}/policy", encode(team)), "Our policy"));
            if !principal.may_read_everything() {
                links.push(("/health".to_owned(), "Our health"));
                links.push(("/briefing".to_owned(), "Our briefing"));
            }
        }
        if principal.is_security() {
            links.push(("/overview".to_owned(), "Overview"));
        }
        if principal.may_read_everything() {
            links.push(("/teams".to_owned(), "Teams"));
            links.push(("/actions".to_owned(), "Actions"));
            links.push(("/health".to_owned(), "Health"));
            links.push(("/briefing".to_owned(), "Briefing"));
        }
        if principal.is_security() {
            links.push(("/queue".to_owned(), "Queue"));
            links.push(("/findings".to_owned(), "Findings"));
            links.push(("/assets/unowned".to_owned(), "Unowned"));
            links.push(("/imports".to_owned(), "Imports"));
            links.push(("/policy".to_owned(), "Policy"));
            links.push(("/people".to_owned(), "People"));
            links.push(("/messages".to_owned(), "Messages"));
            links.push(("/outbox".to_owned(), "Outbox"));
            links.push(("/campaigns".to_owned(), "Campaigns"));
            links.push(("/follow-through".to_owned(), "Follow-through"));
            links.push(("/templates".to_owned(), "Templates"));
            links.push(("/audit".to_owned(), "Audit log"));
        }
        if principal.may_administer() {
            links.push(("/accounts".to_owned(), "Accounts"));
        }
        links.push(("/me/messages".to_owned(), "My messages"));
        links.push(("/me/preferences".to_owned(), "Message settings"));
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

pub(crate) fn encode(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>().replace('+', "%20")
}

pub(crate) fn html(template: &impl Template) -> Result<Response, ServerError> {
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

pub(crate) fn forwarded_client<'h>(
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
    let back = same_site_referer(request.headers());
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
        StatusCode::SERVICE_UNAVAILABLE => "Not saved yet",
        _ => "Something went wrong",
    };
    let nav = response.extensions().get::<Nav>().cloned();
    let typed = response.extensions().get::<Typed>().map(Typed::fields).unwrap_or_default();
    let back = back.filter(|back| *back != path);
    let page = ErrorPage { nav, title, message, typed, back };
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    match page.render() {
        Ok(body) => {
            let mut page = (status, Html(body)).into_response();
            if let Some(retry_after) = retry_after {
                page.headers_mut().insert(header::RETRY_AFTER, retry_after);
            }
            page
        }
        Err(_) => response,
    }
}

/// What every answer may and may not do in a browser: no scripts or frames from anywhere,
/// styles and forms only from this site; never framed by another site; no content-type
/// guessing; no address of ours in another site's logs; and nothing kept in a cache (pages
/// show one-time passwords, new tokens and each team's data), but the stylesheet.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let stylesheet = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !stylesheet {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if response.status() == StatusCode::UNAUTHORIZED {
        let challenge = HeaderValue::from_static("Bearer realm=\"rapport\"");
        response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// An error answer that is neither ours (a [`ServerError`], or a page such as the sign-in
/// form answered with 401) nor HTML nor JSON: axum's plain-text refusals.
pub(crate) fn is_axum_refusal(response: &Response) -> bool {
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    (status.is_client_error() || status.is_server_error())
        && response.extensions().get::<ErrorMessage>().is_none()
        && !content_type.starts_with("text/html")
        && !content_type.starts_with("application/json")
}

/// One of axum's plain-text refusals, as the same status with our JSON error body.
pub(crate) async fn as_server_error(response: Response) -> Response {
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

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    nav: Option<Nav>,
    title: &'static str,
    message: String,
    /// What the refused form held, to copy back: nothing typed is lost.
    typed: Vec<(String, String)>,
    /// The page the form was on, on this site.
    back: Option<String>,
}

/// What a submitted form held that a person typed, by its field's name as people read it:
/// not the CSRF token, the confirmation, the fields that only name what the form is about,
/// and nothing at all from the forms that carry passwords.
/// Kept as the bytes the form came in (shared, not copied), read only for a refusal's page.
#[derive(Clone, Debug)]
pub struct Typed {
    path: String,
    form: axum::body::Bytes,
}

impl Typed {
    const NOT_TYPED: [&'static str; 8] =
        ["csrf", "confirmed", "kind", "action", "answer", "decision", "scope", "format"];
    const WITH_PASSWORDS: [&'static str; 2] = ["/login", "/account/password"];

    pub fn of(path: &str, form: axum::body::Bytes) -> Typed {
        Typed { path: path.to_owned(), form }
    }

    fn fields(&self) -> Vec<(String, String)> {
        if Typed::WITH_PASSWORDS.contains(&self.path.as_str()) {
            return Vec::new();
        }
        form_urlencoded::parse(&self.form)
            .filter(|(key, value)| !Typed::NOT_TYPED.contains(&key.as_ref()) && !value.trim().is_empty())
            .map(|(key, value)| (key.replace('_', " "), value.into_owned()))
            .collect()
    }
}

/// The path of the page a request came from, when it is one of ours.
fn same_site_referer(headers: &axum::http::HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer.strip_prefix("http://").or_else(|| referer.strip_prefix("https://"))?;
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    (authority == host).then(|| format!("/{path}"))
}

/// What to ask once before an act that cannot be undone: what it will do (and in `detail`,
/// exactly what changes), the button that does it (posting `confirmed=yes` and the `carried`
/// fields to `action`), and the way back.
pub(crate) struct Confirm<'a> {
    pub title: &'a str,
    pub consequence: &'a str,
    pub detail: Option<&'a str>,
    pub carried: &'a [(&'a str, &'a str)],
    pub action: &'a str,
    pub button: &'a str,
    pub cancel: &'a str,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    nav: Option<Nav>,
    csrf: &'a str,
    ask: Confirm<'a>,
}

pub(crate) fn confirm_page_with(signed: &Signed, ask: Confirm<'_>) -> Result<Response, ServerError> {
    html(&ConfirmPage { nav: Some(Nav::of(signed)), csrf: signed.csrf(), ask })
}

pub(crate) fn confirm_page(
    signed: &Signed,
    title: &str,
    consequence: &str,
    action: &str,
    button: &str,
    cancel: &str,
) -> Result<Response, ServerError> {
    let ask = Confirm { title, consequence, detail: None, carried: &[], action, button, cancel };
    confirm_page_with(signed, ask)
}

/// The asset a request names by its kind (`field` says where, for the refusal) and name.
pub(crate) fn asset_named(
    field: &str,
    kind: &str,
    name: String,
) -> Result<rapport_core::AssetId, ServerError> {
    let kind = rapport_core::TargetKind::parse(kind)
        .ok_or_else(|| ServerError::BadRequest(format!("{field}: {kind:?} is no kind of asset")))?;
    Ok(rapport_core::AssetId { kind, name })
}

pub fn require(principal: &Principal, allowed: fn(&Principal) -> bool, why: &str) -> Result<(), ServerError> {
    if allowed(principal) {
        Ok(())
    } else {
        Err(ServerError::Forbidden(format!("{why}; you are signed in as {}", principal.role.label())))
    }
}

/// The colour of a decision's tag.
pub(crate) fn outcome_tag(outcome: &str) -> &'static str {
    match outcome {
        "Act" => "tag-act",
        "Attend" => "tag-attend",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 19: "Payments's". A name a template prints is made possessive only through
    /// `rapport_core::words::possessive`.
    #[test]
    fn no_template_adds_an_apostrophe_s_to_a_name() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for bad in ["}}'s", "}}’s", "}}&#39;s"] {
                assert!(
                    !text.contains(bad),
                    "{}: {bad}: use rapport_core::words::possessive",
                    path.display()
                );
            }
        }
    }

    /// Issue 19: "(1 findings)", "1 devices". A number printed in a template is followed by a
    /// counted noun only through `rapport_core::words`, which picks the number the noun needs.
    #[test]
    fn no_template_prints_a_count_before_a_fixed_plural() {
        const PLURALS: [&str; 20] = [
            "findings",
            "actions",
            "teams",
            "devices",
            "places",
            "items",
            "people",
            "days",
            "weeks",
            "hosts",
            "decisions",
            "records",
            "statements",
            "accounts",
            "tokens",
            "answers",
            "assets",
            "imports",
            "hours",
            "requests",
        ];
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for (at, _) in text.match_indices("}}") {
                let after = text[at + 2..].trim_start_matches([' ', '\n']);
                let after = after.strip_prefix("</strong>").unwrap_or(after).trim_start();
                let word: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
                // "3 open findings", "3 more actions": one adjective between is still a count.
                let next: String =
                    after[word.len()..].trim_start().chars().take_while(|c| c.is_alphabetic()).collect();
                let counted = PLURALS.contains(&word.as_str())
                    || (matches!(word.as_str(), "open" | "more" | "new") && PLURALS.contains(&next.as_str()));
                if counted {
                    let start = text[..at].rfind("{{").unwrap_or(at);
                    found.push(format!("{}: {} {word}", path.display(), &text[start..at + 2]));
                }
            }
        }
        assert!(found.is_empty(), "counts before a fixed plural: {found:#?}");
    }

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
