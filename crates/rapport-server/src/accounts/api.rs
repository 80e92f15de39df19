//! Accounts in the JSON API; the pages' twins in `pages.rs`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::{Refusals, WriteRefusals};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::web::Peer;

#[utoipa::path(
    get,
    path = "/accounts",
    tag = "administration",
    description = "Every account. An administrator signed in with a browser only: API tokens are refused.",
    responses((status = 200, description = "OK", body = Vec<crate::accounts::AccountView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn accounts(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<crate::accounts::AccountView>>, ServerError> {
    signed.in_person("administering accounts")?;
    Ok(Json(crate::accounts::list(&state.store, &signed.principal).await?))
}

/// An account and, when it was just given one, its one-time password (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountAnswer {
    pub account: crate::accounts::AccountView,
    pub one_time_password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/accounts",
    tag = "administration",
    description = "Makes an account with a one-time password, to be changed at the first sign-in. An administrator signed in with a browser only: API tokens are refused.",
    request_body = crate::accounts::AccountRequest,
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn create_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Json(request): Json<crate::accounts::AccountRequest>,
) -> Result<Json<AccountAnswer>, ServerError> {
    signed.in_person("administering accounts")?;
    let password = crate::accounts::add_account(&state, &signed.principal, &request, peer).await?;
    let account = crate::accounts::account_by_email(&state.store, &request.email).await?;
    Ok(Json(AccountAnswer {
        account: crate::accounts::AccountView::of(&account),
        one_time_password: Some(password),
    }))
}

pub(crate) async fn account_act(
    state: &AppState,
    signed: &Signed,
    id: i64,
    act: crate::accounts::AccountAct,
    peer: Option<String>,
) -> Result<Json<AccountAnswer>, ServerError> {
    signed.in_person("administering accounts")?;
    let (_, password) = crate::accounts::act_on_account(state, &signed.principal, id, &act, peer).await?;
    let account =
        state.store.account(id).await?.ok_or_else(|| ServerError::NotFound(format!("no account #{id}")))?;
    Ok(Json(AccountAnswer {
        account: crate::accounts::AccountView::of(&account),
        one_time_password: password,
    }))
}

#[utoipa::path(
    post,
    path = "/accounts/{id}/reset",
    tag = "administration",
    description = "Gives someone else's account a new one-time password; its sessions end and its tokens are revoked. An administrator signed in with a browser only: API tokens are refused.",
    params(("id" = i64, Path, description = "The account's number")),
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn reset_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Json<AccountAnswer>, ServerError> {
    account_act(&state, &signed, id, crate::accounts::AccountAct::Reset, peer).await
}

#[utoipa::path(
    post,
    path = "/accounts/{id}/disable",
    tag = "administration",
    description = "Disables someone else's account: its sessions end and its tokens are revoked (enabling it brings none back). An administrator signed in with a browser only: API tokens are refused.",
    params(("id" = i64, Path, description = "The account's number")),
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn disable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Json<AccountAnswer>, ServerError> {
    account_act(&state, &signed, id, crate::accounts::AccountAct::Disable, peer).await
}

#[utoipa::path(
    post,
    path = "/accounts/{id}/enable",
    tag = "administration",
    description = "Enables a disabled account again. An administrator signed in with a browser only: API tokens are refused.",
    params(("id" = i64, Path, description = "The account's number")),
    responses((status = 200, description = "OK", body = AccountAnswer), WriteRefusals),
    security(("token" = []), ("session" = []))
)]
pub async fn enable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
) -> Result<Json<AccountAnswer>, ServerError> {
    account_act(&state, &signed, id, crate::accounts::AccountAct::Enable, peer).await
}
