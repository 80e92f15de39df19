//! Deciding every open finding's priority from the stored intel, and recording what changed.
//!
//! The evidence is gathered once per vulnerability (through all its aliases: a GHSA
//! finding meets its CVE's KEV entry) and once per asset, and decided once per distinct
//! combination, so a million findings cost a few thousand decisions and a hash lookup each.
//! A finding is written only when its decision's basis changed; the change is recorded with
//! its cause in words.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use foldhash::{HashMap as FastMap, HashMapExt};

use rapport_core::{
    Assessment, AssetEvidence, Criticality, DecisionTree, EpssEvidence, ExploitSignal, Exposure, Feed,
    Inputs, KevEvidence, Outcome, Ruled, Said, Status, TreeVersion, VexNote, VulnEvidence, VulnIdKind,
    decide, explain_change,
};
use rapport_formats::{DEFAULT_TREE, parse_tree};
use rapport_storage::{
    AdvisoryIds, DecisionWrite, Replaced, ScopeAsset, Store, StoreError, StoredTree, assessment_key,
};
use time::OffsetDateTime;

/// Decisions written per transaction.
const WRITE_CHUNK: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("decision tree {name}: {message}")]
    Tree { name: String, message: String },
}

/// What an assessment did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssessReport {
    pub findings: u64,
    /// Findings decided for the first time.
    pub first_decided: u64,
    /// Findings whose decision changed (each change recorded with its cause).
    pub changed: u64,
    pub unchanged: u64,
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Distinct decisions made: combinations of vulnerability evidence and asset facts.
    pub distinct: u64,
    pub tree: Option<TreeVersion>,
    pub kev_edition: Option<String>,
    pub epss_edition: Option<String>,
}

/// Reads and checks a tree file's text: the compiled tree, or every problem found.
pub fn compile_tree(name: &str, text: &str) -> Result<DecisionTree, AssessError> {
    let spec = parse_tree(text)
        .map_err(|error| AssessError::Tree { name: name.to_owned(), message: error.to_string() })?;
    DecisionTree::compile(&spec).map_err(|errors| AssessError::Tree {
        name: name.to_owned(),
        message: errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
    })
}

/// The tree decisions are made with: the latest applied, else the default (stored as
/// version 1 the first time it is used).
pub async fn current_tree(
    store: &Store,
    now: OffsetDateTime,
) -> Result<(DecisionTree, StoredTree), AssessError> {
    let stored = match store.decision_trees().await?.pop() {
        Some(stored) => stored,
        None => {
            let tree = compile_tree("default", DEFAULT_TREE)?;
            let id = store.add_decision_tree(&tree.name, DEFAULT_TREE, now).await?;
            StoredTree { id, name: tree.name, content: DEFAULT_TREE.to_owned(), applied_at: now }
        }
    };
    let tree = compile_tree(&format!("version {}", stored.id), &stored.content)?;
    Ok((tree, stored))
}

/// Stores `text` as the next tree version unless it is the current one. Gives the version
/// and whether it is new.
pub async fn apply_tree(
    store: &Store,
    file: &str,
    text: &str,
    now: OffsetDateTime,
) -> Result<(i64, bool), AssessError> {
    let tree = compile_tree(file, text)?;
    if let Some(current) = store.decision_trees().await?.pop().filter(|current| current.content == text) {
        return Ok((current.id, false));
    }
    Ok((store.add_decision_tree(&tree.name, text, now).await?, true))
}

/// Everything known of the vulnerabilities of the open findings, by id (upper case).
struct Intel {
    kev: HashMap<String, KevEvidence>,
    epss: HashMap<String, (f64, f64)>,
    epss_edition: Option<(String, time::Date)>,
    aliases: HashMap<String, Vec<String>>,
    signals: HashMap<String, Vec<ExploitSignal>>,
    cvss: HashMap<String, Vec<rapport_core::Cvss>>,
}

async fn load_intel(
    store: &Store,
    advisories: &[AdvisoryIds],
) -> Result<(Intel, Option<String>), StoreError> {
    let kev_edition = store.latest_edition(Feed::Kev).await?;
    let catalog = kev_edition.as_ref().and_then(|e| e.edition_version.clone()).unwrap_or_default();
    let kev = store
        .kev_entries()
        .await?
        .into_iter()
        .map(|entry| {
            let evidence = KevEvidence {
                cve: entry.cve.clone(),
                catalog_version: catalog.clone(),
                date_added: entry.date_added,
                due_date: entry.due_date,
                ransomware: entry.ransomware,
            };
            (entry.cve.0.to_ascii_uppercase(), evidence)
        })
        .collect();
    let epss_edition = store.latest_edition(Feed::Epss).await?;
    let epss_edition = epss_edition.and_then(|e| Some((e.edition_version?, e.edition_date?)));
    let epss = if epss_edition.is_some() { store.epss_scores().await? } else { HashMap::new() };
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    for (id, alias) in store.vuln_aliases().await? {
        aliases.entry(id.to_ascii_uppercase()).or_default().push(alias.to_ascii_uppercase());
    }
    // Records are stored under their ids as written, and looked up by upper case too.
    let mut asked: Vec<String> = Vec::new();
    for id in advisories.iter().flat_map(|advisory| &advisory.ids) {
        asked.push(id.0.clone());
        asked.extend(closure(&aliases, id.as_str()));
    }
    asked.sort();
    asked.dedup();
    let mut signals: HashMap<String, Vec<ExploitSignal>> = HashMap::new();
    let mut cvss: HashMap<String, Vec<rapport_core::Cvss>> = HashMap::new();
    for record in store.vuln_records(&asked).await? {
        if record.withdrawn {
            continue;
        }
        let id = record.id.0.to_ascii_uppercase();
        signals.entry(id.clone()).or_default().extend(record.signals);
        cvss.entry(id).or_default().extend(record.cvss);
    }
    let edition = kev_edition.and_then(|e| e.edition_version);
    Ok((Intel { kev, epss, epss_edition, aliases, signals, cvss }, edition))
}

/// An id and every id known to name the same vulnerability, two steps out (a Go id to its
/// CVE to the CVE's GHSA).
pub(crate) fn closure(aliases: &HashMap<String, Vec<String>>, id: &str) -> Vec<String> {
    let mut found = vec![id.to_ascii_uppercase()];
    for _ in 0..2 {
        let next: Vec<String> = found
            .iter()
            .flat_map(|id| aliases.get(id).into_iter().flatten())
            .filter(|alias| !found.contains(alias))
            .cloned()
            .collect();
        if next.is_empty() {
            break;
        }
        for alias in next {
            if !found.contains(&alias) {
                found.push(alias);
            }
        }
    }
    found
}

fn vuln_evidence(intel: &Intel, advisory: &AdvisoryIds) -> VulnEvidence {
    let mut ids: Vec<String> = Vec::new();
    for id in &advisory.ids {
        for alias in closure(&intel.aliases, id.as_str()) {
            if !ids.contains(&alias) {
                ids.push(alias);
            }
        }
    }
    let display = advisory
        .ids
        .iter()
        .find(|id| id.kind() == VulnIdKind::Cve)
        .or(advisory.ids.first())
        .map(|id| id.0.clone())
        .or_else(|| ids.first().cloned())
        .unwrap_or_default();
    let kev = ids
        .iter()
        .filter_map(|id| intel.kev.get(id))
        .min_by_key(|kev| (kev.date_added, kev.cve.clone()))
        .cloned();
    let epss = intel.epss_edition.as_ref().and_then(|(model, date)| {
        ids.iter()
            .filter_map(|id| intel.epss.get(id).map(|score| (id, score)))
            .max_by(|a, b| a.1.0.total_cmp(&b.1.0).then_with(|| b.0.cmp(a.0)))
            .map(|(id, (probability, percentile))| EpssEvidence {
                cve: rapport_core::VulnId::new(id),
                probability: *probability,
                percentile: *percentile,
                score_date: *date,
                model_version: model.clone(),
            })
    });
    let mut signals: Vec<ExploitSignal> = Vec::new();
    for signal in ids.iter().filter_map(|id| intel.signals.get(id)).flatten() {
        if !signals.contains(signal) {
            signals.push(signal.clone());
        }
    }
    signals.sort_by(|a, b| a.source.cmp(&b.source).then_with(|| b.exploitation.cmp(&a.exploitation)));
    let mut cvss = advisory.cvss.clone();
    for score in ids.iter().filter_map(|id| intel.cvss.get(id)).flatten() {
        if !cvss.iter().any(|known| known.vector == score.vector && known.source == score.source) {
            cvss.push(score.clone());
        }
    }
    VulnEvidence { vulnerability: display, kev, epss, signals, cvss }
}

fn asset_evidence(scope: &ScopeAsset) -> AssetEvidence {
    AssetEvidence {
        kind: scope.kind,
        exposure: scope
            .exposure
            .as_ref()
            .and_then(|(value, rule)| Some(Ruled { value: Exposure::parse(value)?, rule: rule.clone() })),
        criticality: scope
            .criticality
            .as_ref()
            .and_then(|(value, rule)| Some(Ruled { value: Criticality::parse(value)?, rule: rule.clone() })),
        // "I don't know" is no evidence: the question stays open.
        exposure_said: scope.exposure_said.as_ref().and_then(|said| {
            Some(Said { value: Exposure::parse(&said.said)?, by: said.by.clone(), on: said.at.date() })
        }),
    }
}

/// Who said a finding does not apply, in words, for findings marked so.
fn set_aside_words(status: &Status, note: Option<&VexNote>) -> Option<String> {
    let justification =
        |text: Option<&String>| text.map(|text| format!(" ({})", text.replace('_', " "))).unwrap_or_default();
    match (status, note) {
        (Status::NotAffected { justification: why }, Some(note)) => Some(format!(
            "{} says this is not affected{}",
            note.source.author.as_deref().unwrap_or(&note.source.document),
            justification(why.as_ref())
        )),
        (Status::NotAffected { justification: why }, None) => {
            Some(format!("The scanner reports this as not affected{}", justification(why.as_ref())))
        }
        (Status::Suppressed { kind, justification: why }, _) => {
            Some(format!("The finding is suppressed ({kind}){}", justification(why.as_ref())))
        }
        _ => None,
    }
}

/// One distinct decision: its basis and outcome, and its words once a finding needs them.
struct Decided {
    basis: i64,
    outcome: Outcome,
    written: Option<([u8; 16], String, Assessment)>,
}

/// Decides every open finding with the current tree and stored intel; writes what changed.
pub async fn assess_findings(store: &Store, now: OffsetDateTime) -> Result<AssessReport, AssessError> {
    let (tree, stored_tree) = current_tree(store, now).await?;
    let version = TreeVersion { name: stored_tree.name.clone(), version: stored_tree.id };
    let advisories = store.open_advisories().await?;
    let (intel, kev_edition) = load_intel(store, &advisories).await?;
    let vulns: Vec<VulnEvidence> =
        advisories.iter().map(|advisory| vuln_evidence(&intel, advisory)).collect();
    let advisory_index: FastMap<[u8; 16], u32> =
        advisories.iter().enumerate().map(|(index, advisory)| (advisory.key, index as u32)).collect();
    let mut assets: Vec<AssetEvidence> = Vec::new();
    let mut asset_ids: HashMap<AssetEvidence, u32> = HashMap::new();
    let mut scope_index: FastMap<[u8; 16], u32> = FastMap::new();
    for scope in store.scope_assets().await? {
        let evidence = asset_evidence(&scope);
        let next = assets.len() as u32;
        let id = *asset_ids.entry(evidence.clone()).or_insert_with(|| {
            assets.push(evidence);
            next
        });
        scope_index.insert(scope.key, id);
    }
    let mut set_aside: Vec<String> = Vec::new();
    let mut decided: FastMap<(u32, u32, u32), Decided> = FastMap::new();
    let mut writes: Vec<DecisionWrite> = Vec::new();
    let mut report = AssessReport {
        tree: Some(version.clone()),
        kev_edition,
        epss_edition: intel.epss_edition.as_ref().map(|(model, date)| format!("{date} (model {model})")),
        ..AssessReport::default()
    };
    store
        .each_open_finding(|finding| -> Result<(), AssessError> {
            let corrupt =
                |what: &str| StoreError::Corrupt(format!("finding {} names an unknown {what}", finding.id));
            let vuln = *advisory_index.get(&finding.advisory).ok_or_else(|| corrupt("advisory"))?;
            let asset = *scope_index.get(&finding.scope).ok_or_else(|| corrupt("scope"))?;
            let words =
                finding.set_aside.as_ref().and_then(|(status, note)| set_aside_words(status, note.as_ref()));
            let aside = match words {
                Some(words) => match set_aside.iter().position(|known| *known == words) {
                    Some(index) => index as u32,
                    None => {
                        set_aside.push(words);
                        (set_aside.len() - 1) as u32
                    }
                },
                None => u32::MAX,
            };
            let inputs = Inputs {
                vulnerability: vulns.get(vuln as usize).ok_or_else(|| corrupt("advisory"))?,
                asset: assets.get(asset as usize).ok_or_else(|| corrupt("asset"))?,
                not_affected: set_aside.get(aside as usize).map(String::as_str),
            };
            let entry = decided.entry((vuln, asset, aside)).or_insert_with(|| {
                let decision = decide(&tree, inputs);
                Decided { basis: decision.basis(&version), outcome: decision.outcome, written: None }
            });
            report.findings += 1;
            *report.outcomes.entry(entry.outcome).or_default() += 1;
            if finding.decided.is_some_and(|(basis, _)| basis == entry.basis) {
                report.unchanged += 1;
                return Ok(());
            }
            let (key, _, _) = entry.written.get_or_insert_with(|| {
                let assessment = decide(&tree, inputs).assessment(&tree, &version);
                // Serialising plain data with string keys cannot fail.
                let body = serde_json::to_string(&assessment).unwrap_or_default();
                (assessment_key(&body), body, assessment)
            });
            match finding.decided {
                Some((basis, previous)) => {
                    report.changed += 1;
                    writes.push(DecisionWrite {
                        finding: finding.id,
                        assessment: *key,
                        basis: entry.basis,
                        change: Some(Replaced { assessment: previous, basis, cause: Arc::from("") }),
                    });
                }
                None => {
                    report.first_decided += 1;
                    writes.push(DecisionWrite {
                        finding: finding.id,
                        assessment: *key,
                        basis: entry.basis,
                        change: None,
                    });
                }
            }
            Ok(())
        })
        .await?;
    report.distinct = decided.len() as u64;
    let bodies: HashMap<[u8; 16], (&str, &str, &Assessment)> = decided
        .values()
        .filter_map(|d| {
            d.written.as_ref().map(|(key, body, a)| (*key, (d.outcome.as_str(), body.as_str(), a)))
        })
        .collect();
    let previous: Vec<i64> = {
        let mut ids: Vec<i64> =
            writes.iter().filter_map(|w| w.change.as_ref().map(|c| c.assessment)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let old_bodies = store.assessment_bodies(&previous).await?;
    let mut old: HashMap<i64, Assessment> = HashMap::new();
    for (id, body) in old_bodies {
        let assessment = serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("stored decision {id} cannot be read back: {e}")))?;
        old.insert(id, assessment);
    }
    let mut causes: HashMap<(i64, [u8; 16]), Arc<str>> = HashMap::new();
    for write in &mut writes {
        let Some(replaced) = write.change.as_mut() else { continue };
        let (Some(before), Some((_, _, after))) =
            (old.get(&replaced.assessment), bodies.get(&write.assessment))
        else {
            continue;
        };
        replaced.cause = causes
            .entry((replaced.assessment, write.assessment))
            .or_insert_with(|| Arc::from(explain_change(before, after)))
            .clone();
    }
    for chunk in writes.chunks(WRITE_CHUNK) {
        let keys: HashSet<[u8; 16]> = chunk.iter().map(|write| write.assessment).collect();
        let assessments: Vec<(&str, &str)> = keys
            .iter()
            .filter_map(|key| bodies.get(key))
            .map(|(outcome, body, _)| (*outcome, *body))
            .collect();
        store.record_decisions(&assessments, chunk, now).await?;
    }
    Ok(report)
}
