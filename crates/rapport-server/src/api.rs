//! What every JSON API handler shares: the refusals each may answer, for the OpenAPI document.

use crate::error::ErrorBody;

/// What a read may be refused with, each with the one JSON error body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "only documents the answers; ServerError makes them")]
pub enum Refusals {
    #[response(status = 400, description = "Bad request")]
    BadRequest(#[to_schema] ErrorBody),
    #[response(status = 401, description = "Not signed in, or the token is unknown or revoked")]
    Unauthenticated(#[to_schema] ErrorBody),
    #[response(status = 403, description = "Not allowed for this role or token")]
    Forbidden(#[to_schema] ErrorBody),
    #[response(status = 404, description = "Not found, or not yours to see")]
    NotFound(#[to_schema] ErrorBody),
}

/// What a write may be refused with: a read's refusals, and a body or a state it cannot take.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code, reason = "only documents the answers; ServerError makes them")]
pub enum WriteRefusals {
    #[response(status = 400, description = "Bad request")]
    BadRequest(#[to_schema] ErrorBody),
    #[response(status = 401, description = "Not signed in, or the token is unknown or revoked")]
    Unauthenticated(#[to_schema] ErrorBody),
    #[response(status = 403, description = "Not allowed for this role or token")]
    Forbidden(#[to_schema] ErrorBody),
    #[response(status = 404, description = "Not found, or not yours to see")]
    NotFound(#[to_schema] ErrorBody),
    #[response(status = 409, description = "Refused in the current state")]
    Refused(#[to_schema] ErrorBody),
    #[response(status = 415, description = "The body is not JSON (Content-Type: application/json)")]
    NotJson(#[to_schema] ErrorBody),
    #[response(status = 422, description = "The body does not match the schema")]
    Unreadable(#[to_schema] ErrorBody),
}
