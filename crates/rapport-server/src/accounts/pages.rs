//! Accounts and API tokens as pages: an administrator's accounts, everyone's own tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_core::Role;
use rapport_storage::TokenScope;
use serde::Deserialize;

use crate::auth::{Credential, Signed};
use crate::error::ServerError;
use crate::state::AppState;
use crate::web::{Nav, Peer, confirm_page, html};

#[derive(Template)]
#[template(path = "tokens.html")]
pub(crate) struct TokensPage {
    nav: Option<Nav>,
    csrf: String,
    secret: Option<String>,
    tokens: Vec<TokenRow>,
}

pub(crate) struct TokenRow {
    id: i64,
    name: String,
    scope: &'static str,
    created: String,
    last_used: String,
    revoked: bool,
}

pub(crate) async fn tokens_page(
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
    let scope = TokenScope::parse(&form.scope).ok_or_else(|| {
        ServerError::BadRequest(format!("unknown scope {:?}: expected read or write", form.scope))
    })?;
    let by = crate::accounts::Acting::signed_in(&signed.principal, peer);
    let (_, secret) =
        crate::accounts::create_api_token(&state.store, &signed.account, &form.name, scope, &by, state.now())
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
#[template(path = "accounts.html")]
pub(crate) struct AccountsPage {
    nav: Option<Nav>,
    csrf: String,
    /// The administrator's own account, which the page does not offer to disable.
    me: i64,
    notice: Option<String>,
    one_time: Option<String>,
    accounts: Vec<crate::accounts::AccountView>,
    /// Each role's value and label, for the form.
    roles: Vec<(&'static str, &'static str)>,
    teams: Vec<String>,
}

pub(crate) async fn accounts_page(
    state: &AppState,
    signed: &Signed,
    notice: Option<String>,
    one_time: Option<String>,
) -> Result<Response, ServerError> {
    let accounts = crate::accounts::list(&state.store, &signed.principal).await?;
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
    Form(form): Form<crate::accounts::AccountRequest>,
) -> Result<Response, ServerError> {
    let password = crate::accounts::add_account(&state, &signed.principal, &form, peer).await?;
    let notice = format!("Account {} created.", form.email.trim());
    accounts_page(&state, &signed, Some(notice), Some(password)).await
}

/// A form's answer to "are you sure?": `confirmed=yes` once the person said so.
#[derive(Debug, Default, Deserialize)]
pub struct Confirmation {
    confirmed: Option<String>,
}

impl Confirmation {
    fn given(&self) -> bool {
        self.confirmed.as_deref() == Some("yes")
    }
}

pub(crate) async fn account_act(
    state: &AppState,
    signed: &Signed,
    (id, confirmation): (i64, Confirmation),
    act: crate::accounts::AccountAct,
    peer: Option<String>,
) -> Result<Response, ServerError> {
    if !confirmation.given() {
        let account = crate::accounts::other_account(&state.store, &signed.principal, id).await?;
        if let Some((title, consequence, button)) = act.cannot_be_undone(&account.email) {
            let action = format!("/accounts/{id}/{}", act.path());
            return confirm_page(signed, &title, &consequence, &action, button, "/accounts");
        }
    }
    let (account, password) =
        crate::accounts::act_on_account(state, &signed.principal, id, &act, peer).await?;
    let notice = format!("{}: {}.", account.email, act.audit_word());
    accounts_page(state, signed, Some(notice), password).await
}

pub async fn reset_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
    Form(confirmation): Form<Confirmation>,
) -> Result<Response, ServerError> {
    account_act(&state, &signed, (id, confirmation), crate::accounts::AccountAct::Reset, peer).await
}

pub async fn disable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
    Form(confirmation): Form<Confirmation>,
) -> Result<Response, ServerError> {
    account_act(&state, &signed, (id, confirmation), crate::accounts::AccountAct::Disable, peer).await
}

pub async fn enable_account(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Path(id): Path<i64>,
    Form(confirmation): Form<Confirmation>,
) -> Result<Response, ServerError> {
    account_act(&state, &signed, (id, confirmation), crate::accounts::AccountAct::Enable, peer).await
}
