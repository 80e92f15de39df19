//! Accounts as an administrator keeps them, from the browser or the command line: made with a
//! one-time password, given a new one, disabled and enabled again.

use crate::state::AppState;
use rapport_core::{Principal, Role};
use rapport_storage::{Account, AuditEvent, NewAccount, Store, TokenScope};
use time::OffsetDateTime;

use crate::auth::{hash_password, new_secret};
use crate::error::ServerError;

pub mod api;
pub mod pages;

/// What an administrator asks for.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct AccountRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(pattern = "^(admin|security_analyst|team_manager|team_engineer|executive|end_user)$")]
    pub role: String,
    /// The team, for team managers and engineers only.
    #[serde(default)]
    pub team: Option<String>,
}

/// Who does an act on an account or token, for the audit log: a signed-in person from the
/// address their request came from, or someone at the command line, which the log must
/// show as well (an account made there is as much an act as one made in the browser).
#[derive(Clone, Debug)]
pub struct Acting {
    pub who: String,
    pub from: Option<String>,
}

impl Acting {
    pub fn signed_in(principal: &Principal, peer: Option<String>) -> Acting {
        Acting { who: principal.email.clone(), from: peer }
    }

    /// `user` is the operating system's account that ran the command.
    pub fn command_line(user: &str) -> Acting {
        Acting { who: format!("{user} at the command line"), from: Some("command line".into()) }
    }

    async fn record(
        &self,
        store: &Store,
        act: &str,
        target: String,
        detail: String,
        now: OffsetDateTime,
    ) -> Result<(), ServerError> {
        let event = AuditEvent {
            at: now,
            actor: Some(self.who.clone()),
            act: act.to_owned(),
            target: Some(target),
            detail,
            source: self.from.clone(),
        };
        Ok(store.record_audit(&event).await?)
    }
}

pub fn administrators_only(principal: &Principal) -> Result<(), ServerError> {
    if principal.may_administer() {
        Ok(())
    } else {
        Err(ServerError::Forbidden(format!(
            "accounts are kept by administrators; you are signed in as {}",
            principal.role.label()
        )))
    }
}

/// A password given once, to be changed at the first sign-in.
fn one_time_password() -> Result<String, ServerError> {
    let secret = new_secret()?;
    Ok(secret.get(..20).unwrap_or(&secret).to_owned())
}

/// Makes the account and returns its one-time password.
pub async fn create_account(
    store: &Store,
    request: &AccountRequest,
    by: &Acting,
    now: OffsetDateTime,
) -> Result<String, ServerError> {
    let role = Role::ALL.into_iter().find(|role| role.as_str() == request.role.trim()).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        ServerError::BadRequest(format!("role: expected one of {}, got {:?}", known.join(", "), request.role))
    })?;
    let team = request.team.as_deref().map(str::trim).filter(|team| !team.is_empty());
    if role.needs_team() != team.is_some() {
        return Err(ServerError::BadRequest(format!(
            "a {} account {} a team",
            role.label(),
            if role.needs_team() { "needs" } else { "has no" }
        )));
    }
    if let Some(team) = team {
        let teams = store.teams().await?;
        if !teams.iter().any(|known| known.name == team) {
            let known: Vec<&str> = teams.iter().map(|known| known.name.as_str()).collect();
            let known = if known.is_empty() {
                "none yet: import the directory first".to_owned()
            } else {
                known.join(", ")
            };
            return Err(ServerError::BadRequest(format!(
                "team: the directory has no team {team:?} (teams: {known})"
            )));
        }
    }
    let email = request.email.trim();
    let name = request.name.trim();
    if !email.contains('@') || email.chars().count() > 254 {
        return Err(ServerError::BadRequest(format!("{email:?} is not an email address")));
    }
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServerError::BadRequest("give a name of 1 to 200 characters".into()));
    }
    let password = one_time_password()?;
    let hash = hash_password(password.clone()).await?;
    let new = NewAccount { email, name, role, team, password_hash: Some(&hash), must_change_password: true };
    store
        .add_account(&new, now)
        .await?
        .ok_or_else(|| ServerError::Conflict(format!("there is already an account for {email}")))?;
    let of_team = team.map(|team| format!(" of {team}")).unwrap_or_default();
    let detail = format!("{}{of_team}, with a one-time password", role.label());
    by.record(store, "account created", email.to_lowercase(), detail, now).await?;
    Ok(password)
}

/// The account with this email.
pub async fn account_by_email(store: &Store, email: &str) -> Result<Account, ServerError> {
    store
        .account_by_email(email)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("there is no account for {email}")))
}

/// A new one-time password for the account; its sessions end and its tokens are revoked.
pub async fn reset_password(
    store: &Store,
    account: &Account,
    by: &Acting,
    now: OffsetDateTime,
) -> Result<String, ServerError> {
    let password = one_time_password()?;
    store.set_password(account.id, &hash_password(password.clone()).await?, true, now).await?;
    by.record(store, AccountAct::Reset.audit_word(), account.email.clone(), String::new(), now).await?;
    Ok(password)
}

/// Makes an API token for the account; returns its number and the secret, which is shown
/// once (only its digest is kept).
pub async fn create_api_token(
    store: &Store,
    account: &Account,
    name: &str,
    scope: TokenScope,
    by: &Acting,
    now: OffsetDateTime,
) -> Result<(i64, String), ServerError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServerError::BadRequest("give the token a name of 1 to 100 characters".into()));
    }
    let secret = crate::auth::new_api_token()?;
    let id = store.add_api_token(account.id, name, &crate::auth::digest(&secret), scope, now).await?;
    let detail = format!("{name} ({}) for {}", scope.as_str(), account.email);
    by.record(store, "token created", format!("token #{id}"), detail, now).await?;
    Ok((id, secret))
}

/// One account as the administrator's list shows it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    /// The role as people read it (`team engineer`).
    #[serde(skip)]
    pub role_label: &'static str,
    pub team: Option<String>,
    /// The day it was made.
    pub created: String,
    pub disabled: bool,
    /// False for accounts that sign in only through the organisation's provider.
    pub has_password: bool,
    pub must_change_password: bool,
}

impl AccountView {
    pub fn of(account: &Account) -> AccountView {
        AccountView {
            id: account.id,
            email: account.email.clone(),
            name: account.name.clone(),
            role: account.role.as_str(),
            role_label: account.role.label(),
            team: account.team.clone(),
            created: account.created_at.date().to_string(),
            disabled: account.disabled,
            has_password: account.password_hash.is_some(),
            must_change_password: account.must_change_password,
        }
    }
}

/// Every account, for an administrator.
pub async fn list(store: &Store, by: &Principal) -> Result<Vec<AccountView>, ServerError> {
    administrators_only(by)?;
    Ok(store.accounts().await?.iter().map(AccountView::of).collect())
}

/// The account `id`, for an administrator acting on someone else's.
pub(crate) async fn other_account(store: &Store, by: &Principal, id: i64) -> Result<Account, ServerError> {
    administrators_only(by)?;
    let account = store
        .account(id)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("there is no account #{id}")))?;
    if account.email.eq_ignore_ascii_case(&by.email) {
        return Err(ServerError::Conflict(
            "change your own password on the password page; you cannot disable yourself".into(),
        ));
    }
    Ok(account)
}

/// What an administrator did to an account, for the audit log and the notice.
pub enum AccountAct {
    Reset,
    Disable,
    Enable,
}

impl AccountAct {
    /// What the act does to `email` that cannot be taken back, for the page that asks once
    /// before it; `None` for an act that can be undone.
    pub fn cannot_be_undone(&self, email: &str) -> Option<(String, String, &'static str)> {
        match self {
            AccountAct::Reset => Some((
                format!("Give {email} a new one-time password?"),
                "Their password and their API tokens stop working at once; they choose a new \
                 password when they sign in with the one-time password you pass on."
                    .to_owned(),
                "New one-time password",
            )),
            AccountAct::Disable => Some((
                format!("Disable {email}?"),
                "They are signed out at once and their API tokens stop working. Enabling the account \
                 again lets them sign in, but brings back neither."
                    .to_owned(),
                "Disable the account",
            )),
            AccountAct::Enable => None,
        }
    }

    /// The last part of its page's address: `/accounts/{id}/reset`.
    pub fn path(&self) -> &'static str {
        match self {
            AccountAct::Reset => "reset",
            AccountAct::Disable => "disable",
            AccountAct::Enable => "enable",
        }
    }

    pub fn audit_word(&self) -> &'static str {
        match self {
            AccountAct::Reset => "password reset",
            AccountAct::Disable => "account disabled",
            AccountAct::Enable => "account enabled",
        }
    }
}

/// Resets, disables or enables someone else's account, and says so in the audit log; a
/// reset returns the one-time password.
pub async fn act_on(
    store: &Store,
    by: &Principal,
    id: i64,
    act: &AccountAct,
    acting: &Acting,
    now: OffsetDateTime,
) -> Result<(Account, Option<String>), ServerError> {
    let account = other_account(store, by, id).await?;
    let password = match act {
        AccountAct::Reset => Some(reset_password(store, &account, acting, now).await?),
        AccountAct::Disable | AccountAct::Enable => {
            let disabled = matches!(act, AccountAct::Disable).then_some(now);
            store.set_account_disabled(account.id, disabled).await?;
            acting.record(store, act.audit_word(), account.email.clone(), String::new(), now).await?;
            None
        }
    };
    Ok((account, password))
}

/// An administrator makes an account; returns its one-time password.
pub async fn add_account(
    state: &AppState,
    principal: &Principal,
    request: &AccountRequest,
    peer: Option<String>,
) -> Result<String, ServerError> {
    administrators_only(principal)?;
    create_account(&state.store, request, &Acting::signed_in(principal, peer), state.now()).await
}

/// An administrator resets, disables or enables someone else's account.
pub async fn act_on_account(
    state: &AppState,
    principal: &Principal,
    id: i64,
    act: &AccountAct,
    peer: Option<String>,
) -> Result<(rapport_storage::Account, Option<String>), ServerError> {
    let acting = Acting::signed_in(principal, peer);
    act_on(&state.store, principal, id, act, &acting, state.now()).await
}
