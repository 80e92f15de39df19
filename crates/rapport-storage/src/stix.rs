//! STIX 2.1 objects, one row per version: a bundle's objects are added in one transaction
//! with the event that says who brought them, and a version already held is kept as it was.

use rapport_core::{StixObject, Tlp};
use sqlx::Row;
use time::OffsetDateTime;

use crate::events::{NewEvent, append_event, begin_with_events};
use crate::{Store, StoreError, with_pool};

/// Objects one statement adds: 8 values each.
const ROWS_PER_STATEMENT: usize = 500;

/// What adding a bundle's objects did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StixAdded {
    /// Versions not held before.
    pub added: u64,
    /// Versions already held (or repeated in the bundle), kept as they were.
    pub held: u64,
}

/// How many objects of one type are held, and in how many versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StixTypeCount {
    pub kind: String,
    pub objects: u64,
    pub versions: u64,
}

/// One version of an object as held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredStixObject {
    pub object: StixObject,
    pub source: String,
    pub added_at: OffsetDateTime,
}

/// Microseconds since 1970, as `added_at` is kept.
fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

impl Store {
    /// Adds `objects` from `source` in one transaction, with the event `detail` writes from
    /// what was added.
    pub async fn add_stix_objects(
        &self,
        objects: &[StixObject],
        source: &str,
        event: impl FnOnce(StixAdded) -> NewEvent,
        at: OffsetDateTime,
    ) -> Result<StixAdded, StoreError> {
        let added_at = micros(at);
        with_pool!(self, pool => {
            let mut tx = begin_with_events!(pool);
            let mut added = 0;
            for chunk in objects.chunks(ROWS_PER_STATEMENT) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|row| {
                        let first = row * 8;
                        let places: Vec<String> = (1..=8).map(|n| format!("${}", first + n)).collect();
                        format!("({})", places.join(", "))
                    })
                    .collect();
                let statement = format!(
                    "INSERT INTO stix_objects (stix_id, type, spec_version, version, tlp, source, added_at, object) \
                     VALUES {} ON CONFLICT (stix_id, version) DO NOTHING",
                    rows.join(", ")
                );
                // Only placeholders are written into the statement; every value is bound.
                let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
                for object in chunk {
                    query = query
                        .bind(&object.id)
                        .bind(&object.kind)
                        .bind(&object.spec_version)
                        .bind(&object.version)
                        .bind(object.tlp.map(Tlp::as_str))
                        .bind(source)
                        .bind(added_at)
                        .bind(&object.json);
                }
                added += query.execute(&mut *tx).await?.rows_affected();
            }
            let counts = StixAdded { added, held: objects.len() as u64 - added };
            append_event!(tx, &event(counts), at);
            tx.commit().await?;
            Ok(counts)
        })
    }

    /// The objects held of each type, most first.
    pub async fn stix_type_counts(&self) -> Result<Vec<StixTypeCount>, StoreError> {
        let query = "SELECT type, COUNT(DISTINCT stix_id) AS objects, COUNT(*) AS versions FROM stix_objects \
             GROUP BY type ORDER BY objects DESC, type";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(StixTypeCount {
                        kind: row.try_get("type")?,
                        objects: row.try_get::<i64, _>("objects")?.try_into().unwrap_or_default(),
                        versions: row.try_get::<i64, _>("versions")?.try_into().unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    /// Every version held of the object `id`, oldest first.
    pub async fn stix_versions(&self, id: &str) -> Result<Vec<StoredStixObject>, StoreError> {
        let query = "SELECT stix_id, type, spec_version, version, tlp, source, added_at, object FROM stix_objects \
             WHERE stix_id = $1 ORDER BY version";
        with_pool!(self, pool => {
            let rows = sqlx::query(query).bind(id).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let tlp: Option<String> = row.try_get("tlp")?;
                    let tlp = match tlp {
                        Some(text) => Some(
                            Tlp::parse(&text)
                                .ok_or_else(|| StoreError::Corrupt(format!("stix_objects.tlp {text:?}")))?,
                        ),
                        None => None,
                    };
                    let added_at: i64 = row.try_get("added_at")?;
                    let added_at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(added_at) * 1000)
                        .map_err(|_| StoreError::Corrupt(format!("stix_objects.added_at {added_at}")))?;
                    Ok(StoredStixObject {
                        object: StixObject {
                            id: row.try_get("stix_id")?,
                            kind: row.try_get("type")?,
                            spec_version: row.try_get("spec_version")?,
                            version: row.try_get("version")?,
                            tlp,
                            json: row.try_get("object")?,
                        },
                        source: row.try_get("source")?,
                        added_at,
                    })
                })
                .collect()
        })
    }
}
