//! Who owns what, from the pages: the assets nobody owns, and giving an asset (or the
//! assets of a disputed action) to a team, which writes the next version of the ownership
//! file once the analyst has seen its difference.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_core::Principal;
use rapport_workflows::{Assignment, Given, OwnershipError, assign_owner};
use serde::Deserialize;

use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::web::{Confirm, Nav, Peer, confirm_page_with, html, require};

/// One version of the ownership file, as the history lists it.
#[derive(Clone, Debug)]
pub(crate) struct VersionLine {
    pub id: i64,
    pub applied_at: String,
    pub rules: String,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "unowned.html")]
pub(crate) struct UnownedPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    total: u64,
    all_listed: bool,
    assets: Vec<crate::security::UnownedAsset>,
    teams: Vec<String>,
    versions: Vec<VersionLine>,
}

#[derive(Debug, Deserialize)]
pub struct UnownedNotice {
    given: Option<i64>,
}

pub async fn unowned_assets(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<UnownedNotice>,
) -> Result<Response, ServerError> {
    let (total, assets) = crate::security::unowned_assets(&state, &signed).await?;
    let all_listed = total == assets.len() as u64;
    let teams = state.store.teams().await?.into_iter().map(|team| team.name).collect();
    let versions = state.store.ownership_versions().await?;
    let versions = versions
        .into_iter()
        .rev()
        .map(|version| VersionLine {
            id: version.id,
            applied_at: signed.reader.moment(version.applied_at),
            rules: rapport_core::words::count(version.rules, "rule", "rules"),
            changed: rapport_core::words::count(version.changed_assets, "asset", "assets"),
        })
        .collect();
    let notice = query.given.map(|version| {
        format!("Ownership version {version} is in force, and the plans have been rebuilt under it.")
    });
    let csrf = signed.csrf().to_owned();
    html(&UnownedPage {
        nav: Some(Nav::of(&signed)),
        csrf,
        notice,
        total,
        all_listed,
        assets,
        teams,
        versions,
    })
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    team: String,
    /// An asset, by kind and name...
    kind: Option<String>,
    name: Option<String>,
    /// ...or every asset of an action.
    action: Option<i64>,
    /// `yes` once the difference was shown and the person confirmed it.
    confirmed: Option<String>,
}

impl AssignForm {
    fn given(&self) -> Result<Given, ServerError> {
        match (&self.kind, &self.name, self.action) {
            (_, _, Some(action)) => Ok(Given::Action(action)),
            (Some(kind), Some(name), None) => {
                Ok(Given::Asset(crate::web::asset_named("kind", kind, name.clone())?))
            }
            _ => Err(ServerError::BadRequest("name an asset (kind and name) or an action".into())),
        }
    }
}

fn refused(error: OwnershipError) -> ServerError {
    match error {
        OwnershipError::Refused(refusal) => refusal.into(),
        OwnershipError::Store(error) => error.into(),
        unknown @ OwnershipError::UnknownAsset(_) => ServerError::NotFound(unknown.to_string()),
        other => ServerError::Internal(other.to_string()),
    }
}

/// Writes the next ownership version giving `given` to `team`, and applies it when
/// `apply`: then the plans are rebuilt under it and the audit says who did it.
pub(crate) async fn give(
    state: &AppState,
    principal: &Principal,
    given: Given,
    team: &str,
    apply: bool,
    peer: Option<String>,
) -> Result<Assignment, ServerError> {
    require(principal, Principal::may_decide, "giving assets to a team is for the security team")?;
    let (by, team) = (principal.email.clone(), team.to_owned());
    let assignment = state
        .on_own_thread(
            move |store, now| async move { assign_owner(&store, &given, &team, &by, apply, now).await },
        )
        .await
        .map_err(|error| ServerError::Internal(format!("the ownership file could not be written: {error}")))?
        .map_err(refused)?;
    if apply {
        let detail = format!("{} given to {}", assets_in_words(&assignment), assignment.team);
        let target = Some(format!("ownership version {}", assignment.version));
        state.audit(Some(&principal.email), "ownership changed", target, detail, peer).await?;
        crate::security::refresh(state).await?;
    }
    Ok(assignment)
}

/// Gives the asset, or the disputed action's assets, to the team: first the difference the
/// next ownership version makes, then, confirmed, that version applied and the plans rebuilt.
pub async fn assign(
    State(state): State<AppState>,
    signed: Signed,
    Peer(peer): Peer,
    Form(form): Form<AssignForm>,
) -> Result<Response, ServerError> {
    let apply = form.confirmed.as_deref() == Some("yes");
    let assignment = give(&state, &signed.principal, form.given()?, &form.team, apply, peer).await?;
    if !apply {
        return confirm(&signed, &form, &assignment);
    }
    Ok(Redirect::to(&format!("/assets/unowned?given={}", assignment.version)).into_response())
}

pub(crate) fn assets_in_words(assignment: &Assignment) -> String {
    let names: Vec<&str> = assignment.assets.iter().map(|asset| asset.display_name()).collect();
    match names.as_slice() {
        [one] => one.to_string(),
        many => {
            format!("{} ({})", rapport_core::words::count(many.len(), "asset", "assets"), many.join(", "))
        }
    }
}

fn confirm(signed: &Signed, form: &AssignForm, assignment: &Assignment) -> Result<Response, ServerError> {
    let title = format!("Give {} to {}?", assets_in_words(assignment), assignment.team);
    let moved = rapport_core::words::count(assignment.changes.len(), "asset changes", "assets change");
    let consequence = format!(
        "This applies ownership version {}, with a rule for each asset before all the others; \
         {moved} owner, and their findings move to {} plan. The version in force until now stays in the history.",
        assignment.version,
        rapport_core::words::possessive(&assignment.team)
    );
    let kind = form.kind.clone().unwrap_or_default();
    let name = form.name.clone().unwrap_or_default();
    let action = form.action.map(|id| id.to_string()).unwrap_or_default();
    let mut carried: Vec<(&str, &str)> = vec![("team", assignment.team.as_str())];
    match form.action {
        Some(_) => carried.push(("action", &action)),
        None => carried.extend([("kind", kind.as_str()), ("name", name.as_str())]),
    }
    confirm_page_with(
        signed,
        Confirm {
            title: &title,
            consequence: &consequence,
            detail: Some(&assignment.difference),
            carried: &carried,
            action: "/assets/assign",
            button: "Apply it",
            cancel: "/assets/unowned",
        },
    )
}
