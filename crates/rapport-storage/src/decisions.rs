//! Decision trees and the decisions made on open findings: what an assessment reads (the
//! open findings with their current decision's basis, the advisories they are sightings
//! of, the assets their scopes are), and what it writes (assessments stored once per
//! distinct content, each finding's current decision, and every change with its cause).

use std::collections::HashMap;

use rapport_core::{Cvss, Status, TargetKind, VexNote, VulnId};
use serde::Deserialize;
use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::row::content_key;
use crate::{Store, StoreError, with_pool};

/// Rows per multi-row statement.
const ROWS_PER_STATEMENT: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTree {
    /// The version: 1 for the first tree applied, then 2, 3...
    pub id: i64,
    pub name: String,
    pub content: String,
    pub applied_at: OffsetDateTime,
}

/// The ids and scanner scores of an advisory some open finding is a sighting of.
#[derive(Clone, Debug)]
pub struct AdvisoryIds {
    pub key: [u8; 16],
    pub ids: Vec<VulnId>,
    pub cvss: Vec<Cvss>,
}

/// A scope's target and what the ownership file decided about it as an asset.
#[derive(Clone, Debug)]
pub struct ScopeAsset {
    pub key: [u8; 16],
    pub kind: TargetKind,
    pub name: String,
    /// Value and the label of the rule that decided it.
    pub exposure: Option<(String, String)>,
    pub criticality: Option<(String, String)>,
    /// What the owning team answered when asked whether it is reachable from the internet.
    pub exposure_said: Option<crate::assets::ExposureSaid>,
}

/// An open finding as an assessment sees it.
#[derive(Clone, Debug)]
pub struct OpenFinding {
    pub id: i64,
    pub advisory: [u8; 16],
    pub scope: [u8; 16],
    /// For findings marked not affected or suppressed: the status and the VEX note.
    pub set_aside: Option<(Status, Option<VexNote>)>,
    /// The current decision's basis and assessment, when there is one.
    pub decided: Option<(i64, i64)>,
}

/// A decision to write: the finding, the assessment's content key, the basis, and when the
/// finding had a different decision before, that one and the cause of the change.
#[derive(Clone, Debug)]
pub struct DecisionWrite {
    pub finding: i64,
    pub assessment: [u8; 16],
    pub basis: i64,
    pub change: Option<Replaced>,
}

/// The decision a write replaces, as it was read, and why it changed.
#[derive(Clone, Debug)]
pub struct Replaced {
    pub assessment: i64,
    pub basis: i64,
    pub cause: std::sync::Arc<str>,
}

/// A finding's current decision as stored.
#[derive(Clone, Debug)]
pub struct StoredDecision {
    pub assessment_id: i64,
    pub body: String,
    pub decided_at: OffsetDateTime,
}

/// An open finding's current decision, with what the finding is.
#[derive(Clone, Debug)]
pub struct DecisionLine {
    pub finding: i64,
    pub vulnerability: String,
    pub target: String,
    pub outcome: String,
    pub body: String,
    pub decided_at: OffsetDateTime,
}

/// A change of some finding's decision, with what the finding is.
#[derive(Clone, Debug)]
pub struct ChangeLine {
    pub finding: i64,
    pub vulnerability: String,
    pub target: String,
    pub change: StoredChange,
}

#[derive(Clone, Debug)]
pub struct StoredChange {
    pub changed_at: OffsetDateTime,
    pub previous_outcome: String,
    pub current_outcome: String,
    pub cause: String,
}

#[derive(Deserialize)]
struct AdvisoryPart {
    ids: Vec<VulnId>,
    #[serde(default)]
    cvss: Vec<Cvss>,
}

#[derive(Deserialize)]
struct SightingPart {
    #[serde(default)]
    status: Status,
    #[serde(default)]
    vex: Option<VexNote>,
}

const SELECT_TREES: &str = "SELECT id, name, content, applied_at FROM decision_trees ORDER BY id";

const INSERT_TREE: &str =
    "INSERT INTO decision_trees (name, content, applied_at) VALUES ($1, $2, $3) RETURNING id";

const SELECT_OPEN_ADVISORIES: &str = "SELECT content_key, body FROM advisories WHERE content_key IN \
     (SELECT advisory FROM findings WHERE resolved_import IS NULL)";

const SELECT_SCOPE_ASSETS: &str = "SELECT s.scope_key, s.target_kind, s.target, a.exposure, a.exposure_rule, \
     a.criticality, a.criticality_rule, a.exposure_said, a.exposure_said_by, a.exposure_said_at FROM scopes s \
     LEFT JOIN assets a ON a.kind = s.target_kind AND a.name = s.target";

macro_rules! select_open {
    ($rest:literal) => {
        concat!(
            "SELECT f.id, f.advisory, f.scope, \
             CASE WHEN f.status IN ('not_affected', 'suppressed') THEN f.detail END AS set_aside, \
             d.basis, d.assessment FROM findings f LEFT JOIN decisions d ON d.finding = f.id \
             WHERE f.resolved_import IS NULL ",
            $rest
        )
    };
}

const SELECT_OPEN_ALL: &str = select_open!("ORDER BY f.id");

const SELECT_DECISION: &str = "SELECT d.assessment, a.body, d.decided_at FROM decisions d \
     JOIN assessments a ON a.id = d.assessment WHERE d.finding = $1";

const SELECT_CHANGES: &str = "SELECT c.changed_at, p.outcome AS previous_outcome, n.outcome AS current_outcome, \
     c.cause FROM decision_changes c JOIN assessments p ON p.id = c.previous \
     JOIN assessments n ON n.id = c.current WHERE c.finding = $1 ORDER BY c.id";

const SELECT_CHANGES_SINCE: &str = "SELECT c.finding, f.vulnerability, sc.target, c.changed_at, \
     p.outcome AS previous_outcome, n.outcome AS current_outcome, c.cause FROM decision_changes c \
     JOIN findings f ON f.id = c.finding JOIN scopes sc ON sc.scope_key = f.scope \
     JOIN assessments p ON p.id = c.previous JOIN assessments n ON n.id = c.current \
     WHERE c.changed_at >= $1 ORDER BY c.id";

const SELECT_DECIDED: &str = "SELECT f.id, f.vulnerability, sc.target, a.outcome, a.body, d.decided_at \
     FROM decisions d JOIN findings f ON f.id = d.finding JOIN scopes sc ON sc.scope_key = f.scope \
     JOIN assessments a ON a.id = d.assessment \
     WHERE f.resolved_import IS NULL AND ($1 IS NULL OR d.outcome = $1) \
     ORDER BY CASE d.outcome WHEN 'act' THEN 0 WHEN 'attend' THEN 1 WHEN 'track*' THEN 2 ELSE 3 END, \
     f.severity DESC, f.id LIMIT $2";

const COUNT_OUTCOMES: &str = "SELECT d.outcome, COUNT(*) FROM findings f JOIN decisions d ON d.finding = f.id \
     WHERE f.resolved_import IS NULL GROUP BY d.outcome";

const COUNT_UNDECIDED: &str = "SELECT COUNT(*) FROM findings f LEFT JOIN decisions d ON d.finding = f.id \
     WHERE f.resolved_import IS NULL AND d.finding IS NULL";

/// Reads the change columns of SELECT_CHANGES and SELECT_CHANGES_SINCE; a macro because the
/// row type differs per back end.
macro_rules! change_of_row {
    ($row:expr) => {
        StoredChange {
            changed_at: $row.try_get("changed_at")?,
            previous_outcome: $row.try_get("previous_outcome")?,
            current_outcome: $row.try_get("current_outcome")?,
            cause: $row.try_get("cause")?,
        }
    };
}

pub(crate) fn key16(bytes: &[u8], what: &str) -> Result<[u8; 16], StoreError> {
    bytes.try_into().map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, not 16", bytes.len())))
}

impl Store {
    /// Every decision tree applied, oldest first.
    pub async fn decision_trees(&self) -> Result<Vec<StoredTree>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_TREES).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(StoredTree {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        content: row.try_get("content")?,
                        applied_at: row.try_get("applied_at")?,
                    })
                })
                .collect()
        })
    }

    /// Stores a tree as the next version; gives its number.
    pub async fn add_decision_tree(
        &self,
        name: &str,
        content: &str,
        applied_at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(INSERT_TREE).bind(name).bind(content).bind(applied_at).fetch_one(pool).await?)
        })
    }

    /// The ids and scanner scores of every advisory an open finding is a sighting of.
    pub async fn open_advisories(&self) -> Result<Vec<AdvisoryIds>, StoreError> {
        with_pool!(self, pool => {
            let rows: Vec<(Vec<u8>, String)> = sqlx::query_as(SELECT_OPEN_ADVISORIES).fetch_all(pool).await?;
            rows.iter()
                .map(|(key, body)| {
                    let part: AdvisoryPart = serde_json::from_str(body)
                        .map_err(|e| StoreError::Corrupt(format!("an advisory: {e}")))?;
                    Ok(AdvisoryIds { key: key16(key, "an advisory key")?, ids: part.ids, cvss: part.cvss })
                })
                .collect()
        })
    }

    /// Every scope with the asset it is, as far as the ownership file decided.
    pub async fn scope_assets(&self) -> Result<Vec<ScopeAsset>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_SCOPE_ASSETS).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let key: Vec<u8> = row.try_get("scope_key")?;
                    let kind: String = row.try_get("target_kind")?;
                    let ruled = |value: &str, rule: &str| -> Result<Option<(String, String)>, StoreError> {
                        let value: Option<String> = row.try_get(value)?;
                        let rule: Option<String> = row.try_get(rule)?;
                        Ok(value.map(|value| (value, rule.unwrap_or_default())))
                    };
                    Ok(ScopeAsset {
                        key: key16(&key, "a scope key")?,
                        kind: TargetKind::parse(&kind)
                            .ok_or_else(|| StoreError::Corrupt(format!("unknown target kind {kind:?}")))?,
                        name: row.try_get("target")?,
                        exposure: ruled("exposure", "exposure_rule")?,
                        criticality: ruled("criticality", "criticality_rule")?,
                        exposure_said: crate::assets::exposure_said!(row),
                    })
                })
                .collect()
        })
    }

    /// Streams the open findings in id order to `each`. SQLite is read through rusqlite on
    /// the calling thread: sqlx hands each row over from its worker thread, and for a
    /// million rows that hand-over (and freeing each row on the other thread) was most of
    /// the time. PostgreSQL streams the one query (paging by id made the server walk the
    /// decisions from the start for every page).
    ///
    /// Contract: on SQLite this blocks the calling thread for the whole stream, and the future
    /// is not `Send` (rust-lang/rust#100013). Call it from a current-thread runtime (the
    /// command line) or a blocking thread of its own (the server), never from a request task.
    pub async fn each_open_finding<E: From<StoreError>>(
        &self,
        each: impl FnMut(OpenFinding) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_row(
            SELECT_OPEN_ALL,
            |row| {
                let advisory = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
                let scope = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
                let set_aside: Option<String> = row.get(3)?;
                let basis: Option<i64> = row.get(4)?;
                let assessment: Option<i64> = row.get(5)?;
                open_finding(row.get(0)?, advisory, scope, set_aside, basis.zip(assessment))
            },
            |row| {
                let advisory: &[u8] = row.try_get(1)?;
                let scope: &[u8] = row.try_get(2)?;
                let basis: Option<i64> = row.try_get(4)?;
                let assessment: Option<i64> = row.try_get(5)?;
                open_finding(row.try_get(0)?, advisory, scope, row.try_get(3)?, basis.zip(assessment))
            },
            each,
        )
        .await
    }

    /// The stored assessment each of these findings is decided by, by finding; a finding not
    /// decided yet is left out.
    pub async fn decision_assessments(&self, findings: &[i64]) -> Result<HashMap<i64, i64>, StoreError> {
        let mut assessments = HashMap::new();
        for chunk in findings.chunks(ROWS_PER_STATEMENT) {
            with_pool!(self, pool => {
                let mut query = QueryBuilder::new("SELECT finding, assessment FROM decisions WHERE finding IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(")");
                let rows: Vec<(i64, i64)> = query.build_query_as().fetch_all(pool).await?;
                assessments.extend(rows);
            });
        }
        Ok(assessments)
    }

    /// The bodies of stored assessments, by id.
    pub async fn assessment_bodies(&self, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
        let mut bodies = HashMap::new();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            with_pool!(self, pool => {
                let mut query = QueryBuilder::new("SELECT id, body FROM assessments WHERE id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(")");
                let rows: Vec<(i64, String)> = query.build_query_as().fetch_all(pool).await?;
                bodies.extend(rows);
            });
        }
        Ok(bodies)
    }

    /// Writes decisions in one transaction: the assessments they name (each stored once),
    /// each finding's current decision, and a change record where there was a different one
    /// before. `assessments` are (outcome, body) pairs; decisions name them by
    /// [`assessment_key`]. The contract of [`Store::each_open_finding`] applies: on SQLite it
    /// steps the database on the calling thread, and the future is not `Send`.
    pub async fn record_decisions(
        &self,
        assessments: &[(&str, &str)],
        decisions: &[DecisionWrite],
        decided_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let keyed: Vec<([u8; 16], &str, &str)> =
            assessments.iter().map(|(outcome, body)| (content_key(body), *outcome, *body)).collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let outcomes: HashMap<[u8; 16], &str> = keyed.iter().map(|(key, outcome, _)| (*key, *outcome)).collect();
            let mut ids: HashMap<[u8; 16], (i64, &str)> = HashMap::new();
            for chunk in keyed.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::new("INSERT INTO assessments (content_key, outcome, body) ");
                insert.push_values(chunk, |mut row, (key, outcome, body)| {
                    row.push_bind(key.as_slice()).push_bind(*outcome).push_bind(*body);
                });
                insert.push(" ON CONFLICT (content_key) DO NOTHING");
                insert.build().execute(&mut *tx).await?;
                let mut select = QueryBuilder::new("SELECT content_key, id FROM assessments WHERE content_key IN (");
                let mut list = select.separated(", ");
                for (key, _, _) in chunk {
                    list.push_bind(key.as_slice());
                }
                select.push(")");
                let rows: Vec<(Vec<u8>, i64)> = select.build_query_as().fetch_all(&mut *tx).await?;
                for (key, id) in rows {
                    let key = key16(&key, "an assessment key")?;
                    let outcome = outcomes
                        .get(&key)
                        .copied()
                        .ok_or_else(|| StoreError::Corrupt("an assessment stored under an unknown key".into()))?;
                    ids.insert(key, (id, outcome));
                }
            }
            let id_of = |key: &[u8; 16]| {
                ids.get(key).copied().ok_or_else(|| StoreError::Corrupt("a decision names an unknown assessment".into()))
            };
            let mut first = Vec::new();
            let mut changes = Vec::new();
            for write in decisions {
                let (assessment, outcome) = id_of(&write.assessment)?;
                match &write.change {
                    None => first.push(bulk::First { finding: write.finding, assessment, outcome, basis: write.basis }),
                    Some(replaced) => changes.push(bulk::Change {
                        finding: write.finding,
                        assessment,
                        outcome,
                        basis: write.basis,
                        previous: replaced.assessment,
                        previous_basis: replaced.basis,
                        cause: &replaced.cause,
                    }),
                }
            }
            bulk::write(&mut tx, &first, &changes, decided_at).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// A finding's current decision.
    pub async fn decision(&self, finding: i64) -> Result<Option<StoredDecision>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(SELECT_DECISION).bind(finding).fetch_optional(pool).await?;
            row.map(|row| {
                Ok(StoredDecision {
                    assessment_id: row.try_get("assessment")?,
                    body: row.try_get("body")?,
                    decided_at: row.try_get("decided_at")?,
                })
            })
            .transpose()
        })
    }

    /// Every change of a finding's decision, oldest first.
    pub async fn decision_changes(&self, finding: i64) -> Result<Vec<StoredChange>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_CHANGES).bind(finding).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(change_of_row!(row))).collect()
        })
    }

    /// Every decision change since `since`, oldest first.
    pub async fn decision_changes_since(&self, since: OffsetDateTime) -> Result<Vec<ChangeLine>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_CHANGES_SINCE).bind(since).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(ChangeLine {
                        finding: row.try_get("finding")?,
                        vulnerability: row.try_get("vulnerability")?,
                        target: row.try_get("target")?,
                        change: change_of_row!(row),
                    })
                })
                .collect()
        })
    }

    /// Open findings' decisions, most urgent first (Act, Attend, Track*, Track; then by the
    /// scanner's severity), optionally of one outcome.
    pub async fn decided_findings(
        &self,
        outcome: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DecisionLine>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(SELECT_DECIDED).bind(outcome).bind(limit).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(DecisionLine {
                        finding: row.try_get("id")?,
                        vulnerability: row.try_get("vulnerability")?,
                        target: row.try_get("target")?,
                        outcome: row.try_get("outcome")?,
                        body: row.try_get("body")?,
                        decided_at: row.try_get("decided_at")?,
                    })
                })
                .collect()
        })
    }

    /// Open findings per outcome, and how many have no decision yet.
    pub async fn outcome_counts(&self) -> Result<(Vec<(String, i64)>, i64), StoreError> {
        with_pool!(self, pool => {
            let counts: Vec<(String, i64)> = sqlx::query_as(COUNT_OUTCOMES).fetch_all(pool).await?;
            let undecided: i64 = sqlx::query_scalar(COUNT_UNDECIDED).fetch_one(pool).await?;
            Ok((counts, undecided))
        })
    }
}

fn open_finding(
    id: i64,
    advisory: &[u8],
    scope: &[u8],
    set_aside: Option<String>,
    decided: Option<(i64, i64)>,
) -> Result<OpenFinding, StoreError> {
    let set_aside = set_aside
        .map(|detail| {
            serde_json::from_str::<SightingPart>(&detail)
                .map(|part| (part.status, part.vex))
                .map_err(|e| StoreError::Corrupt(format!("a finding's detail: {e}")))
        })
        .transpose()?;
    Ok(OpenFinding {
        id,
        advisory: key16(advisory, "an advisory key")?,
        scope: key16(scope, "a scope key")?,
        set_aside,
        decided,
    })
}

/// The content key an assessment's body is stored under.
pub fn assessment_key(body: &str) -> [u8; 16] {
    content_key(body)
}

/// Writing a million decisions: one prepared statement stepped per row on SQLite (through
/// rusqlite on the connection sqlx holds, as the finding import does), whole arrays per
/// statement on PostgreSQL (`UNNEST`). Multi-row `VALUES` through sqlx took 8 s for a
/// million on SQLite.
///
/// Two assessments running at once must not both record one change: a first decision is
/// inserted only where there is none, and a decision is replaced only where it is still the
/// one the assessment read (same basis); a change is recorded only where the replacement
/// happened.
mod bulk {
    use sqlx::{Postgres, Sqlite, Transaction};
    use time::OffsetDateTime;

    use crate::StoreError;

    pub(super) struct First<'a> {
        pub finding: i64,
        pub assessment: i64,
        pub outcome: &'a str,
        pub basis: i64,
    }

    pub(super) struct Change<'a> {
        pub finding: i64,
        pub assessment: i64,
        pub outcome: &'a str,
        pub basis: i64,
        pub previous: i64,
        pub previous_basis: i64,
        pub cause: &'a str,
    }

    const INSERT_FIRST: &str = "INSERT INTO decisions (finding, assessment, outcome, basis, decided_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (finding) DO NOTHING";

    const REPLACE: &str = "UPDATE decisions SET assessment = ?1, outcome = ?2, basis = ?3, decided_at = ?4 \
         WHERE finding = ?5 AND basis = ?6";

    const INSERT_CHANGE: &str = "INSERT INTO decision_changes (finding, changed_at, previous, current, cause) VALUES (?1, ?2, ?3, ?4, ?5)";

    const INSERT_FIRST_ARRAYS: &str = "INSERT INTO decisions (finding, assessment, outcome, basis, decided_at) \
         SELECT f, a, o, b, $5 FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[]) AS t (f, a, o, b) \
         ON CONFLICT (finding) DO NOTHING";

    const REPLACE_ARRAYS: &str = "UPDATE decisions d SET assessment = t.a, outcome = t.o, basis = t.b, decided_at = $6 \
         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[]) AS t (f, a, o, b, pb) \
         WHERE d.finding = t.f AND d.basis = t.pb RETURNING d.finding";

    const INSERT_CHANGE_ARRAYS: &str = "INSERT INTO decision_changes (finding, changed_at, previous, current, cause) \
         SELECT f, $5, p, c, w FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[]) AS t (f, p, c, w)";

    pub(super) trait Bulk {
        async fn write(
            &mut self,
            first: &[First<'_>],
            changes: &[Change<'_>],
            at: OffsetDateTime,
        ) -> Result<(), StoreError>;
    }

    pub(super) async fn write<T: Bulk>(
        tx: &mut T,
        first: &[First<'_>],
        changes: &[Change<'_>],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        tx.write(first, changes, at).await
    }

    impl Bulk for Transaction<'static, Sqlite> {
        async fn write(
            &mut self,
            first: &[First<'_>],
            changes: &[Change<'_>],
            at: OffsetDateTime,
        ) -> Result<(), StoreError> {
            // The moment as sqlx writes it into SQLite, so it reads back the same way.
            let at: String = sqlx::query_scalar("SELECT $1").bind(at).fetch_one(&mut **self).await?;
            let mut handle = self.lock_handle().await?;
            let database = crate::import::sqlite_bulk::borrow(&mut handle)?;
            let mut insert = database.prepare(INSERT_FIRST)?;
            for row in first {
                insert.execute(rusqlite::params![row.finding, row.assessment, row.outcome, row.basis, at])?;
            }
            let mut replace = database.prepare(REPLACE)?;
            let mut record = database.prepare(INSERT_CHANGE)?;
            for change in changes {
                let replaced = replace.execute(rusqlite::params![
                    change.assessment,
                    change.outcome,
                    change.basis,
                    at,
                    change.finding,
                    change.previous_basis
                ])?;
                if replaced == 1 {
                    record.execute(rusqlite::params![
                        change.finding,
                        at,
                        change.previous,
                        change.assessment,
                        change.cause
                    ])?;
                }
            }
            Ok(())
        }
    }

    impl Bulk for Transaction<'static, Postgres> {
        async fn write(
            &mut self,
            first: &[First<'_>],
            changes: &[Change<'_>],
            at: OffsetDateTime,
        ) -> Result<(), StoreError> {
            if !first.is_empty() {
                let column = |pick: fn(&First<'_>) -> i64| first.iter().map(pick).collect::<Vec<i64>>();
                sqlx::query(INSERT_FIRST_ARRAYS)
                    .bind(column(|r| r.finding))
                    .bind(column(|r| r.assessment))
                    .bind(first.iter().map(|r| r.outcome).collect::<Vec<&str>>())
                    .bind(column(|r| r.basis))
                    .bind(at)
                    .execute(&mut **self)
                    .await?;
            }
            if changes.is_empty() {
                return Ok(());
            }
            let column = |pick: fn(&Change<'_>) -> i64| changes.iter().map(pick).collect::<Vec<i64>>();
            let replaced: Vec<i64> = sqlx::query_scalar(REPLACE_ARRAYS)
                .bind(column(|c| c.finding))
                .bind(column(|c| c.assessment))
                .bind(changes.iter().map(|c| c.outcome).collect::<Vec<&str>>())
                .bind(column(|c| c.basis))
                .bind(column(|c| c.previous_basis))
                .bind(at)
                .fetch_all(&mut **self)
                .await?;
            let replaced: std::collections::HashSet<i64> = replaced.into_iter().collect();
            let done: Vec<&Change<'_>> = changes.iter().filter(|c| replaced.contains(&c.finding)).collect();
            let ids = |pick: fn(&&Change<'_>) -> i64| done.iter().map(pick).collect::<Vec<i64>>();
            let causes: Vec<&str> = done.iter().map(|c| c.cause).collect();
            sqlx::query(INSERT_CHANGE_ARRAYS)
                .bind(ids(|c| c.finding))
                .bind(ids(|c| c.previous))
                .bind(ids(|c| c.assessment))
                .bind(causes)
                .bind(at)
                .execute(&mut **self)
                .await?;
            Ok(())
        }
    }
}
