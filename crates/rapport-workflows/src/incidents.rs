//! Incidents: the security team records one it handled (the assets it names must be in the
//! estate), and reads one back with the assets' owners and its history from the stream.

use rapport_core::{Incident, Refusal};
use rapport_storage::{
    AssetFilter, AssetRecord, Store, StoreError, StoredEvent, StoredIncident, incident_subject,
};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// One incident with the assets it touched as the estate knows them now, and its history.
#[derive(Clone, Debug)]
pub struct IncidentDetail {
    pub stored: StoredIncident,
    pub assets: Vec<AssetRecord>,
    pub history: Vec<StoredEvent>,
}

/// Records `incident`, by the security team's member `by`; returns its id.
pub async fn record_incident(
    store: &Store,
    incident: &Incident,
    by: Option<&str>,
    now: OffsetDateTime,
) -> Result<i64, IncidentError> {
    if let Some((field, problem)) = incident.problems().into_iter().next() {
        return Err(Refusal::invalid(field, problem).into());
    }
    for name in &incident.assets {
        if find_asset(store, name).await?.is_none() {
            let message = format!(
                "{name:?} is not an asset Rapport knows: name one by its name or hostname, as `rapport assets` lists them"
            );
            return Err(Refusal::invalid("assets", message).into());
        }
    }
    Ok(store.record_incident(incident, by, now).await?)
}

pub async fn incident_detail(store: &Store, id: i64) -> Result<IncidentDetail, IncidentError> {
    let stored = store
        .incident(id)
        .await?
        .ok_or_else(|| Refusal::not_found(format!("incident #{id} was never recorded")))?;
    let mut assets = Vec::new();
    for name in &stored.incident.assets {
        assets.extend(find_asset(store, name).await?);
    }
    let history = store.events_about(&incident_subject(id)).await?;
    Ok(IncidentDetail { stored, assets, history })
}

async fn find_asset(store: &Store, name: &str) -> Result<Option<AssetRecord>, StoreError> {
    let filter = AssetFilter { name: Some(name.to_owned()), limit: Some(1), ..AssetFilter::default() };
    Ok(store.assets(&filter).await?.into_iter().next())
}
