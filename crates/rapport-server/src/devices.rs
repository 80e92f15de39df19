//! An end user's own devices, with what to do on each and why: the page and the API.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use rapport_core::Principal;

use crate::api::Refusals;
use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::views::Reader;
use crate::web::{Nav, html};

#[derive(Template)]
#[template(path = "devices.html")]
pub(crate) struct DevicesPage {
    nav: Option<Nav>,
    devices: Vec<crate::devices::DeviceView>,
}

pub async fn devices_page(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let devices = crate::devices::devices_of(&state, &signed.principal, &signed.reader).await?;
    html(&DevicesPage { nav: Some(Nav::of(&signed)), devices })
}

#[utoipa::path(
    get,
    path = "/me/devices",
    tag = "rapport",
    description = "The devices inventory says the signed-in person uses, each with what to do on it and why.",
    responses(
        (status = 200, description = "OK", body = Vec<crate::devices::DeviceView>),
        Refusals
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn my_devices(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<crate::devices::DeviceView>>, ServerError> {
    Ok(Json(crate::devices::devices_of(&state, &signed.principal, &signed.reader).await?))
}

/// One of a person's devices, with what to do on it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub name: String,
    pub operating_system: Option<String>,
    /// When inventory last heard from it, `YYYY-MM-DD HH:MM ZONE` in the reader's time zone.
    pub last_seen: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub advice: Vec<rapport_core::DeviceAdvice>,
}

/// The devices inventory says the signed-in person uses: by their email, or by the login
/// name the directory gives them.
pub async fn devices_of(
    state: &AppState,
    principal: &Principal,
    reader: &Reader,
) -> Result<Vec<DeviceView>, ServerError> {
    let mut names = vec![principal.email.to_lowercase()];
    let people = state.store.people().await?;
    let user =
        people.iter().find(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&principal.email)));
    if let Some(person) = user {
        names.extend(person.username.iter().map(|u| u.to_lowercase()));
    }
    let now = state.now();
    let campaigns = rapport_workflows::campaigns_in_force(&state.store).await?;
    let mut used = Vec::new();
    let filter = rapport_storage::AssetFilter { devices_only: true, ..Default::default() };
    state
        .store
        .each_asset(&filter, |asset| {
            let user = asset.facts.as_ref().and_then(|facts| facts.user.as_deref()).map(str::to_lowercase);
            if user.is_some_and(|user| names.contains(&user)) {
                used.push(asset);
            }
            Ok::<(), ServerError>(())
        })
        .await?;
    let mut devices = Vec::new();
    for asset in used {
        let Some(facts) = asset.facts.as_ref() else { continue };
        // A person has a few devices: their packages are read one device at a time.
        let software = match asset.software_count {
            Some(_) => Some(state.store.asset_software(asset.id).await?),
            None => None,
        };
        let os = [facts.os_name.as_deref(), facts.os_version.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let reported = rapport_core::Reported {
            facts,
            software: software.as_deref(),
            last_seen: asset.last_seen.map(time::OffsetDateTime::unix_timestamp),
            user,
        };
        devices.push(DeviceView {
            name: facts
                .hostname
                .clone()
                .or(asset.hostname.clone())
                .unwrap_or_else(|| asset.asset.name.clone()),
            operating_system: Some(os).filter(|os| !os.is_empty()),
            last_seen: asset.last_seen.map(|at| reader.moment(at)),
            advice: rapport_core::device_advice(&reported, now.unix_timestamp(), &campaigns),
        });
    }
    Ok(devices)
}
