//! What can go wrong in a request, and the status and words each answer gets. Every error
//! is JSON by default; `pages::render_errors` turns them into HTML (or a redirect to sign
//! in) for the pages. Internal details are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_ingest::{AssessError, PlanError};
use rapport_storage::StoreError;

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
    Refused(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// Signed in with a one-time password that has not been changed yet.
    #[error("change the one-time password first (/account/password)")]
    ChangePasswordFirst,
    /// A service the server relies on (the sign-in provider) failed; the detail is logged.
    #[error("{0}")]
    BadGateway(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ServerError {
    fn from(error: StoreError) -> Self {
        ServerError::Internal(error.to_string())
    }
}

impl From<PlanError> for ServerError {
    fn from(error: PlanError) -> Self {
        match error {
            PlanError::Refused(message) => ServerError::Refused(message),
            other => ServerError::Internal(other.to_string()),
        }
    }
}

impl From<AssessError> for ServerError {
    fn from(error: AssessError) -> Self {
        ServerError::Internal(error.to_string())
    }
}

impl From<askama::Error> for ServerError {
    fn from(error: askama::Error) -> Self {
        ServerError::Internal(format!("a page could not be rendered: {error}"))
    }
}

/// The body of every error answer of the API.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words.
    pub error: String,
}

/// Carried on an error response so the pages can show it in HTML, or send the browser
/// where it needs to go first.
#[derive(Clone, Debug)]
pub struct ErrorMessage {
    pub message: String,
    pub change_password: bool,
}

impl ServerError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ServerError::Forbidden(_) | ServerError::ChangePasswordFirst => StatusCode::FORBIDDEN,
            ServerError::NotFound(_) => StatusCode::NOT_FOUND,
            ServerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServerError::Refused(_) => StatusCode::CONFLICT,
            ServerError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ServerError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ServerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
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
        let mut response = (status, Json(ErrorBody { error: message.clone() })).into_response();
        let change_password = matches!(self, ServerError::ChangePasswordFirst);
        response.extensions_mut().insert(ErrorMessage { message, change_password });
        response
    }
}
