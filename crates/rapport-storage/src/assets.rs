//! Assets: devices stored from inventory reports (facts merged, software as catalogue ids),
//! scan targets added as assets, and the reads that list and find them.

use std::collections::HashMap;

use rapport_core::{AssetId, DeviceFacts, DeviceReport, Software, SoftwareChange, TargetKind};
use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::import::{ImportSession, in_list, with_tx};
use crate::{Store, StoreError, with_pool};

/// Rows per multi-row statement: nine values each stays far below both back ends' limits.
const ROWS_PER_STATEMENT: usize = 500;

/// Who an asset belongs to, as the ownership file last decided, with the rule of each part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetOwnership {
    pub team: Option<String>,
    pub team_rule: Option<String>,
    pub criticality: Option<String>,
    pub criticality_rule: Option<String>,
    pub exposure: Option<String>,
    pub exposure_rule: Option<String>,
    /// The ownership file version that decided it.
    pub version: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct AssetRecord {
    pub id: i64,
    pub asset: AssetId,
    /// A device's hostname (its name is the inventory's identifier).
    pub hostname: Option<String>,
    /// `osquery`, `fleet`, or `scan` for a target only scanners named.
    pub source: String,
    pub facts: Option<DeviceFacts>,
    /// How many packages inventory lists on it; `None` when it never said.
    pub software_count: Option<usize>,
    pub first_seen: OffsetDateTime,
    /// When the inventory last heard from it.
    pub last_seen: Option<OffsetDateTime>,
    pub ownership: AssetOwnership,
    /// What its owning team answered when asked whether it is reachable from the internet.
    pub exposure_said: Option<ExposureSaid>,
}

/// A device as the campaigns see it: what inventory last reported of it, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceReported {
    /// The inventory's identifier.
    pub name: String,
    pub hostname: Option<String>,
    pub facts: DeviceFacts,
    pub last_seen: Option<OffsetDateTime>,
    /// The packages asked about that inventory lists on it; none when it listed no packages.
    pub software: Option<Vec<Software>>,
}

impl DeviceReported {
    /// The name people know it by.
    pub fn display_name(&self) -> &str {
        self.hostname.as_deref().unwrap_or(&self.name)
    }
}

/// Devices read per query by `devices_reported`.
const DEVICE_PAGE: i64 = 5000;

/// A device's row as read, its facts not yet parsed.
struct ReportedRow {
    id: i64,
    name: String,
    hostname: Option<String>,
    facts: String,
    last_seen: Option<OffsetDateTime>,
    software: Option<Vec<u8>>,
}

impl ReportedRow {
    fn parse(self, asked: &HashMap<u32, Software>) -> Result<DeviceReported, StoreError> {
        let software = self
            .software
            .map(|packed| unpack(&packed).iter().filter_map(|id| asked.get(id).cloned()).collect());
        Ok(DeviceReported {
            name: self.name,
            hostname: self.hostname,
            facts: serde_json::from_str(&self.facts).map_err(corrupt)?,
            last_seen: self.last_seen,
            software,
        })
    }
}

/// The owning team's answer to "is this reachable from the internet?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExposureSaid {
    /// `internet`, `internal`, or `unknown` for "I don't know".
    pub said: String,
    /// The person, as people know them.
    pub by: String,
    pub at: OffsetDateTime,
}

impl AssetRecord {
    /// The name people know it by.
    pub fn display_name(&self) -> &str {
        self.hostname.as_deref().unwrap_or(&self.asset.name)
    }
}

#[derive(Clone, Debug, Default)]
pub struct AssetFilter {
    pub unowned_only: bool,
    /// Only devices inventory reported (with facts), not targets only scanners named.
    pub devices_only: bool,
    /// Exact name or hostname.
    pub name: Option<String>,
    pub limit: Option<u32>,
}

/// One page of assets, in the order they were first seen (by id, which is one index seek
/// per page), after the asset with id $3.
const SELECT_ASSETS: &str = "SELECT id, kind, name, hostname, source, facts, \
     CAST(LENGTH(software) AS BIGINT) AS software_bytes, first_seen, last_seen, \
     owner_team, owner_rule, criticality, criticality_rule, exposure, exposure_rule, ownership_version, \
     exposure_said, exposure_said_by, exposure_said_at \
     FROM assets WHERE ($1 = FALSE OR owner_team IS NULL) AND ($2 IS NULL OR name = $2 OR hostname = $2) \
     AND ($5 = FALSE OR facts IS NOT NULL) AND id > $3 ORDER BY id LIMIT $4";

/// Assets read per query. Rows fetched one by one cost a hand-off between threads each
/// (SQLite runs on its own worker thread); a page costs one.
const PAGE: usize = 1000;

const SELECT_SOFTWARE_IDS: &str = "SELECT software FROM assets WHERE id = $1";

const SELECT_CATALOGUE: &str = "SELECT id, name, version, source FROM software";

/// A package another import added meanwhile is found, not refused: the no-op update makes
/// `RETURNING` give its id.
const INSERT_SOFTWARE: &str = "INSERT INTO software (name, version, source) VALUES ($1, $2, $3) \
     ON CONFLICT (name, version, source) DO UPDATE SET name = excluded.name RETURNING id";

const UPSERT_ASSETS: &str =
    "INSERT INTO assets (asset_key, kind, name, hostname, source, facts, software, first_seen, last_seen) ";

const ON_CONFLICT_UPDATE: &str = " ON CONFLICT (asset_key) DO UPDATE SET hostname = excluded.hostname, \
     source = excluded.source, facts = excluded.facts, software = excluded.software, last_seen = excluded.last_seen";

const SCOPE_TARGETS: &str = "SELECT DISTINCT target_kind, target FROM scopes";

const INSERT_SCAN_ASSET: &str = "INSERT INTO assets (asset_key, kind, name, source, first_seen) \
     VALUES ($1, $2, $3, 'scan', $4) ON CONFLICT (asset_key) DO NOTHING";

/// Packs package ids as little-endian u32s.
fn pack(ids: &[u32]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_le_bytes()).collect()
}

pub(crate) fn unpack(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes(<[u8; 4]>::try_from(c).unwrap_or_default())).collect()
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn kind_of(name: &str) -> Result<TargetKind, StoreError> {
    TargetKind::parse(name).ok_or_else(|| corrupt(format!("unknown asset kind {name:?}")))
}

/// Reads one row of [`SELECT_ASSETS`]; a macro because the row type differs per back end.
macro_rules! asset_from_row {
    ($row:expr) => {{
        let row = $row;
        let facts: Option<String> = row.try_get("facts")?;
        let facts =
            facts.map(|json| serde_json::from_str::<DeviceFacts>(&json)).transpose().map_err(corrupt)?;
        let software_bytes: Option<i64> = row.try_get("software_bytes")?;
        let kind: String = row.try_get("kind")?;
        AssetRecord {
            id: row.try_get("id")?,
            asset: AssetId { kind: kind_of(&kind)?, name: row.try_get("name")? },
            hostname: row.try_get("hostname")?,
            source: row.try_get("source")?,
            facts,
            software_count: software_bytes.map(|bytes| bytes as usize / 4),
            first_seen: row.try_get("first_seen")?,
            last_seen: row.try_get("last_seen")?,
            ownership: AssetOwnership {
                team: row.try_get("owner_team")?,
                team_rule: row.try_get("owner_rule")?,
                criticality: row.try_get("criticality")?,
                criticality_rule: row.try_get("criticality_rule")?,
                exposure: row.try_get("exposure")?,
                exposure_rule: row.try_get("exposure_rule")?,
                version: row.try_get("ownership_version")?,
            },
            exposure_said: exposure_said!(row),
        }
    }};
}

/// The owning team's answer on a row that has its three columns.
macro_rules! exposure_said {
    ($row:expr) => {{
        let row = $row;
        match (
            row.try_get::<Option<String>, _>("exposure_said")?,
            row.try_get::<Option<String>, _>("exposure_said_by")?,
            row.try_get::<Option<OffsetDateTime>, _>("exposure_said_at")?,
        ) {
            (Some(said), Some(by), Some(at)) => Some($crate::assets::ExposureSaid { said, by, at }),
            _ => None,
        }
    }};
}
pub(crate) use exposure_said;

impl Store {
    /// The assets the filter selects, in the order they were first seen.
    pub async fn assets(&self, filter: &AssetFilter) -> Result<Vec<AssetRecord>, StoreError> {
        let mut assets = Vec::new();
        self.each_asset(filter, |asset| {
            assets.push(asset);
            Ok::<(), StoreError>(())
        })
        .await?;
        Ok(assets)
    }

    /// Hands the assets the filter selects to `each`, in the order they were first seen, a
    /// page at a time.
    pub async fn each_asset<E: From<StoreError>>(
        &self,
        filter: &AssetFilter,
        mut each: impl FnMut(AssetRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut remaining = filter.limit.map_or(usize::MAX, |limit| limit as usize);
        let mut after = 0_i64;
        while remaining > 0 {
            let page = remaining.min(PAGE);
            let records = with_pool!(self, pool => {
                let rows = sqlx::query(SELECT_ASSETS)
                    .bind(filter.unowned_only)
                    .bind(filter.name.as_deref())
                    .bind(after)
                    .bind(page as i64)
                    .bind(filter.devices_only)
                    .fetch_all(pool)
                    .await
                    .map_err(StoreError::from)?;
                let mut records = Vec::with_capacity(rows.len());
                for row in &rows {
                    let read = || -> Result<AssetRecord, StoreError> { Ok(asset_from_row!(row)) };
                    records.push(read()?);
                }
                records
            });
            let fetched = records.len();
            for asset in records {
                after = asset.id;
                each(asset)?;
            }
            if fetched < page {
                break;
            }
            remaining -= fetched;
        }
        Ok(())
    }

    /// Every device inventory reported facts of, with only what the campaigns read (of its
    /// packages, those named one of `software`, in any case): a narrow row is a quarter of the
    /// cost of an `AssetRecord` over 50,000 devices.
    pub async fn devices_reported(&self, software: &[String]) -> Result<Vec<DeviceReported>, StoreError> {
        let asked = self.software_named(software).await?;
        let asked = &asked;
        let mut devices = Vec::new();
        let mut page = self.device_rows(0).await?;
        loop {
            let full = page.len() == DEVICE_PAGE as usize;
            let after = page.last().map(|row| row.id).filter(|_| full);
            let parse = async { page.into_iter().map(|row| row.parse(asked)).collect::<Result<Vec<_>, _>>() };
            let Some(after) = after else {
                devices.extend(parse.await?);
                return Ok(devices);
            };
            // The next page is read (on SQLite's worker thread, or by the PostgreSQL server)
            // while this one's facts are parsed.
            let (next, parsed) = futures_util::future::join(self.device_rows(after), parse).await;
            devices.extend(parsed?);
            page = next?;
        }
    }

    async fn device_rows(&self, after: i64) -> Result<Vec<ReportedRow>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, name, hostname, facts, last_seen, software FROM assets \
                 WHERE facts IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(DEVICE_PAGE)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(ReportedRow {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        hostname: row.try_get("hostname")?,
                        facts: row.try_get("facts")?,
                        last_seen: row.try_get("last_seen")?,
                        software: row.try_get("software")?,
                    })
                })
                .collect()
        })
    }

    /// The packages of the catalogue named one of `names`, in any case, by id.
    pub(crate) async fn software_named(
        &self,
        names: &[String],
    ) -> Result<HashMap<u32, Software>, StoreError> {
        let lowered: Vec<String> = names.iter().map(|name| name.to_lowercase()).collect();
        let mut catalogue = HashMap::new();
        for chunk in lowered.chunks(ROWS_PER_STATEMENT) {
            with_pool!(self, pool => {
                let mut query = QueryBuilder::new("SELECT id, name, version, source FROM software WHERE LOWER(name)");
                in_list(&mut query, chunk.iter().map(String::as_str));
                for row in query.build().fetch_all(pool).await? {
                    let id: i64 = row.try_get("id")?;
                    let software = Software {
                        name: row.try_get("name")?,
                        version: row.try_get("version")?,
                        source: row.try_get("source")?,
                    };
                    let id = u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("a software id {id}")))?;
                    catalogue.insert(id, software);
                }
            });
        }
        Ok(catalogue)
    }

    /// The packages inventory lists on an asset, sorted by name.
    pub async fn asset_software(&self, asset_id: i64) -> Result<Vec<Software>, StoreError> {
        with_pool!(self, pool => {
            let packed: Option<Option<Vec<u8>>> =
                sqlx::query_scalar(SELECT_SOFTWARE_IDS).bind(asset_id).fetch_optional(pool).await?;
            let ids = unpack(&packed.flatten().unwrap_or_default());
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut software = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                let mut query = QueryBuilder::new("SELECT name, version, source FROM software WHERE id");
                in_list(&mut query, chunk.iter().map(|id| i64::from(*id)));
                let rows = query.build().fetch_all(pool).await?;
                for row in rows {
                    software.push(Software {
                        name: row.try_get("name")?,
                        version: row.try_get("version")?,
                        source: row.try_get("source")?,
                    });
                }
            }
            software.sort();
            Ok(software)
        })
    }

    /// Makes sure every target a scanner named is an asset, so that it can be owned.
    pub async fn add_scan_targets_as_assets(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            let targets: Vec<(String, String)> = sqlx::query_as(SCOPE_TARGETS).fetch_all(pool).await?;
            let mut tx = pool.begin().await?;
            let mut added = 0;
            for (kind, name) in targets {
                let asset = AssetId { kind: kind_of(&kind)?, name };
                added += sqlx::query(INSERT_SCAN_ASSET)
                    .bind(asset.key().as_slice())
                    .bind(kind.as_str())
                    .bind(asset.name.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok(added)
        })
    }
}

/// The software catalogue as an import sees it: package → id, filled as new packages come.
/// Looked up for every package of every device, hence the fast hasher.
#[derive(Default)]
pub(crate) struct Catalogue {
    ids: HashMap<Software, u32, foldhash::fast::RandomState>,
    loaded: bool,
}

/// One device as it will be stored.
struct DeviceRow {
    key: [u8; 16],
    name: String,
    hostname: Option<String>,
    facts: String,
    software: Option<Vec<u8>>,
    last_seen: OffsetDateTime,
}

impl ImportSession {
    /// Stores devices: a device seen before has its facts updated where the report says
    /// something and its software replaced or changed; a new one is added. Reports must be
    /// one per device (the importer folds a file's reports of one device together).
    ///
    /// Returns the reports once used, so that the caller can free them on the thread that
    /// allocated them, which is cheaper.
    pub async fn add_devices(
        &mut self,
        source: &str,
        reports: Vec<DeviceReport>,
        now: OffsetDateTime,
    ) -> Result<Vec<DeviceReport>, StoreError> {
        let mut spent = Vec::with_capacity(reports.len());
        self.load_catalogue().await?;
        let mut reports = reports.into_iter().peekable();
        while reports.peek().is_some() {
            let batch: Vec<DeviceReport> = reports.by_ref().take(ROWS_PER_STATEMENT).collect();
            let known = self.stored_devices(&batch).await?;
            let mut rows = Vec::with_capacity(batch.len());
            for report in batch {
                let key = report.asset().key();
                let mut merged = DeviceReport::new(report.identifier.clone());
                let mut ids = match known.get(&key) {
                    Some((facts, software)) => {
                        merged.facts = facts.clone();
                        software.clone()
                    }
                    None => {
                        self.new_devices += 1;
                        None
                    }
                };
                merged.merge(report);
                if let Some(list) = &merged.software {
                    ids = Some(self.software_ids(list).await?);
                }
                if !merged.software_changes.is_empty() {
                    let mut list = ids.unwrap_or_default();
                    for change in &merged.software_changes {
                        match change {
                            SoftwareChange::Added(package) => {
                                let id = self.software_id(package).await?;
                                if !list.contains(&id) {
                                    list.push(id);
                                }
                            }
                            SoftwareChange::Removed(package) => {
                                if let Some(id) = self.catalogue.ids.get(package) {
                                    list.retain(|known| known != id);
                                }
                            }
                        }
                    }
                    ids = Some(list);
                }
                let last_seen =
                    merged.seen_at.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()).unwrap_or(now);
                rows.push(DeviceRow {
                    key,
                    name: merged.identifier.clone(),
                    hostname: merged.facts.hostname.clone(),
                    // Serialising plain data with string keys cannot fail.
                    facts: serde_json::to_string(&merged.facts).unwrap_or_default(),
                    software: ids.as_deref().map(pack),
                    last_seen,
                });
                spent.push(merged);
            }
            self.devices += rows.len() as u64;
            self.upsert_devices(source, &rows, now).await?;
        }
        Ok(spent)
    }

    async fn load_catalogue(&mut self) -> Result<(), StoreError> {
        if self.catalogue.loaded {
            return Ok(());
        }
        let rows: Vec<(i64, String, String, String)> = with_tx!(&mut self.tx, conn => {
            sqlx::query_as(SELECT_CATALOGUE).fetch_all(&mut **conn).await?
        });
        for (id, name, version, source) in rows {
            let id = u32::try_from(id).map_err(|_| corrupt(format!("software id {id} out of range")))?;
            self.catalogue.ids.insert(Software { name, version, source }, id);
        }
        self.catalogue.loaded = true;
        Ok(())
    }

    async fn software_id(&mut self, package: &Software) -> Result<u32, StoreError> {
        if let Some(id) = self.catalogue.ids.get(package) {
            return Ok(*id);
        }
        let id: i64 = with_tx!(&mut self.tx, conn => {
            sqlx::query_scalar(INSERT_SOFTWARE)
                .bind(package.name.as_str())
                .bind(package.version.as_str())
                .bind(package.source.as_str())
                .fetch_one(&mut **conn)
                .await?
        });
        let id = u32::try_from(id).map_err(|_| corrupt(format!("software id {id} out of range")))?;
        self.catalogue.ids.insert(package.clone(), id);
        Ok(id)
    }

    /// The ids of a software list, sorted: known packages are looked up here, the few new
    /// ones added to the catalogue.
    async fn software_ids(&mut self, list: &[Software]) -> Result<Vec<u32>, StoreError> {
        let mut ids = Vec::with_capacity(list.len());
        let mut missing = Vec::new();
        for package in list {
            match self.catalogue.ids.get(package) {
                Some(id) => ids.push(*id),
                None => missing.push(package),
            }
        }
        for package in missing {
            ids.push(self.software_id(package).await?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The stored facts and software ids of the devices of a batch that are already known.
    async fn stored_devices(
        &mut self,
        batch: &[DeviceReport],
    ) -> Result<HashMap<[u8; 16], (DeviceFacts, Option<Vec<u32>>)>, StoreError> {
        let keys: Vec<[u8; 16]> = batch.iter().map(|report| report.asset().key()).collect();
        with_tx!(&mut self.tx, conn => {
            let mut query = QueryBuilder::new("SELECT asset_key, facts, software FROM assets WHERE asset_key");
            in_list(&mut query, keys.iter().map(|key| key.as_slice()));
            let rows = query.build().fetch_all(&mut **conn).await?;
            let mut known = HashMap::with_capacity(rows.len());
            for row in rows {
                let key: Vec<u8> = row.try_get("asset_key")?;
                let key = <[u8; 16]>::try_from(key.as_slice()).map_err(|_| corrupt("an asset key is not 16 bytes"))?;
                let facts: Option<String> = row.try_get("facts")?;
                let facts = facts.map(|json| serde_json::from_str(&json)).transpose().map_err(corrupt)?;
                let software: Option<Vec<u8>> = row.try_get("software")?;
                known.insert(key, (facts.unwrap_or_default(), software.map(|bytes| unpack(&bytes))));
            }
            Ok::<_, StoreError>(known)
        })
    }

    async fn upsert_devices(
        &mut self,
        source: &str,
        rows: &[DeviceRow],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        with_tx!(&mut self.tx, conn => {
            let mut query = QueryBuilder::new(UPSERT_ASSETS);
            query.push_values(rows, |mut values, row| {
                values
                    .push_bind(row.key.as_slice())
                    .push_bind(TargetKind::Host.as_str())
                    .push_bind(row.name.as_str())
                    .push_bind(row.hostname.as_deref())
                    .push_bind(source)
                    .push_bind(row.facts.as_str())
                    .push_bind(row.software.as_deref())
                    .push_bind(now)
                    .push_bind(row.last_seen);
            });
            query.push(ON_CONFLICT_UPDATE);
            query.build().execute(&mut **conn).await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids_pack_four_bytes_each() {
        let ids = [1, 70_000, u32::MAX];
        assert_eq!(pack(&ids).len(), 12);
        assert_eq!(unpack(&pack(&ids)), ids);
    }
}
