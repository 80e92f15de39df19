//! What can go wrong in a request, and the status, stable code and words each answer gets
//! ([`CODES`] is the one table). Every error is JSON by default; `web::render_errors` turns
//! them into HTML (or a redirect to sign in) for the pages. Internal details are logged,
//! never sent. A workflow's [`Refusal`] becomes the error of its kind here and nowhere else.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_core::Refusal;
use rapport_storage::StoreError;
use rapport_workflows::{AssessError, PlanError};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// The request is understood but the state of things refuses it.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// Signed in with a one-time password that has not been changed yet.
    #[error("change the one-time password first (/account/password)")]
    ChangePasswordFirst,
    /// A service the server relies on (the sign-in provider) failed; the detail is logged.
    #[error("{0}")]
    BadGateway(String),
    /// On SQLite, a long import held the writer past the busy timeout; nothing was changed.
    #[error(
        "Rapport is storing a large import and could not save this yet; nothing was changed: \
         send it again in a minute"
    )]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ServerError {
    fn from(error: StoreError) -> Self {
        if error.is_writer_busy() {
            return ServerError::Busy;
        }
        ServerError::Internal(error.to_string())
    }
}

impl From<Refusal> for ServerError {
    fn from(refusal: Refusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            Refusal::NotFound(_) => ServerError::NotFound(message),
            Refusal::Forbidden(_) => ServerError::Forbidden(message),
            Refusal::Conflict(_) => ServerError::Conflict(message),
            Refusal::Invalid { .. } => ServerError::BadRequest(message),
        }
    }
}

impl From<PlanError> for ServerError {
    fn from(error: PlanError) -> Self {
        match error {
            PlanError::Refused(refusal) => refusal.into(),
            PlanError::Store(error) => error.into(),
            invalid @ (PlanError::Policy { .. } | PlanError::Campaign { .. }) => {
                ServerError::BadRequest(invalid.to_string())
            }
            other => ServerError::Internal(other.to_string()),
        }
    }
}

impl From<AssessError> for ServerError {
    fn from(error: AssessError) -> Self {
        if let AssessError::Store(error) = error {
            return error.into();
        }
        ServerError::Internal(error.to_string())
    }
}

impl From<askama::Error> for ServerError {
    fn from(error: askama::Error) -> Self {
        ServerError::Internal(format!("a page could not be rendered: {error}"))
    }
}

/// Every error's stable code, its status and what it means. Codes are never renamed; a
/// client branches on `code`, not on the words.
pub const CODES: [(&str, StatusCode, &str); 10] = [
    ("invalid_input", StatusCode::BAD_REQUEST, "a field is missing or wrong; the message names it"),
    ("unauthenticated", StatusCode::UNAUTHORIZED, "sign in, or send a valid API token"),
    ("forbidden", StatusCode::FORBIDDEN, "signed in, but this role or team may not do this"),
    ("change_password_first", StatusCode::FORBIDDEN, "the one-time password must be changed first"),
    ("not_found", StatusCode::NOT_FOUND, "no such thing that you may see"),
    (
        "conflict",
        StatusCode::CONFLICT,
        "not in the state it is in: already decided, closed, or changed meanwhile",
    ),
    ("too_many_requests", StatusCode::TOO_MANY_REQUESTS, "too many attempts; wait a minute"),
    ("bad_gateway", StatusCode::BAD_GATEWAY, "a service Rapport relies on (the sign-in provider) failed"),
    (
        "busy",
        StatusCode::SERVICE_UNAVAILABLE,
        "a large import is being stored; nothing was changed: try again after Retry-After seconds",
    ),
    (
        "internal",
        StatusCode::INTERNAL_SERVER_ERROR,
        "something went wrong on the server; its log has the details",
    ),
];

/// The body of every error answer of the API.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words.
    pub error: String,
    /// The stable code of the kind of error: invalid_input (400), unauthenticated (401),
    /// forbidden or change_password_first (403), not_found (404), conflict (409),
    /// too_many_requests (429), bad_gateway (502), busy (503), internal (500).
    #[schema(example = "not_found")]
    pub code: &'static str,
}

/// Carried on an error response so the pages can show it in HTML, or send the browser
/// where it needs to go first.
#[derive(Clone, Debug)]
pub struct ErrorMessage {
    pub message: String,
    pub change_password: bool,
}

impl ServerError {
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::BadRequest(_) => "invalid_input",
            ServerError::Unauthenticated(_) => "unauthenticated",
            ServerError::Forbidden(_) => "forbidden",
            ServerError::ChangePasswordFirst => "change_password_first",
            ServerError::NotFound(_) => "not_found",
            ServerError::Conflict(_) => "conflict",
            ServerError::TooManyRequests(_) => "too_many_requests",
            ServerError::BadGateway(_) => "bad_gateway",
            ServerError::Busy => "busy",
            ServerError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        let code = self.code();
        CODES
            .iter()
            .find(|(known, ..)| *known == code)
            .map_or(StatusCode::INTERNAL_SERVER_ERROR, |(_, status, _)| *status)
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ServerError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                "something went wrong on the server; the details are in its log".to_owned()
            }
            other => other.to_string(),
        };
        let body = ErrorBody { error: message.clone(), code: self.code() };
        let mut response = (status, Json(body)).into_response();
        if matches!(self, ServerError::Busy) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        let change_password = matches!(self, ServerError::ChangePasswordFirst);
        response.extensions_mut().insert(ErrorMessage { message, change_password });
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_one_code_in_the_table() {
        let errors = [
            ServerError::BadRequest(String::new()),
            ServerError::Unauthenticated(String::new()),
            ServerError::Forbidden(String::new()),
            ServerError::ChangePasswordFirst,
            ServerError::NotFound(String::new()),
            ServerError::Conflict(String::new()),
            ServerError::TooManyRequests(String::new()),
            ServerError::BadGateway(String::new()),
            ServerError::Busy,
            ServerError::Internal(String::new()),
        ];
        let codes: Vec<&str> = errors.iter().map(ServerError::code).collect();
        let table: Vec<&str> = CODES.iter().map(|(code, ..)| *code).collect();
        assert_eq!(codes, table);
    }

    #[test]
    fn each_kind_of_refusal_gets_its_own_status() {
        let status = |refusal: Refusal| ServerError::from(refusal).status();
        assert_eq!(status(Refusal::not_found("x")), StatusCode::NOT_FOUND);
        assert_eq!(status(Refusal::forbidden("x")), StatusCode::FORBIDDEN);
        assert_eq!(status(Refusal::conflict("x")), StatusCode::CONFLICT);
        assert_eq!(status(Refusal::invalid("until", "x")), StatusCode::BAD_REQUEST);
    }
}
