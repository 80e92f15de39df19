//! Building the actions from stored findings: every open finding that is work goes into one
//! remediation action for its owning team; actions keep their identity, history and
//! exceptions across plans, close when their findings are gone (naming the scans that show
//! it), reopen on regression, and a team's "done, please verify" is confirmed or refuted by
//! the next scan. Every move goes through the action's life (`rapport_core::step`).

use std::collections::HashMap;

use rapport_core::{
    Action, ActionDraft, ActionState, AffectedPackage, By, Change, Component, Contribution, EventFacts,
    FindingKind, Outcome, Policy, Refusal, Remedy, RemedyInput, RemedyKey, Step, Target, TargetKind,
    advisory_fixes, remedy_of, routine, step,
};
use rapport_storage::{
    ActionStatus, ActionWrite, AdvisoryText, PlanFinding, PlanScope, Store, StoreError, StoredAction,
};
use sha2::{Digest, Sha256};

use crate::assess::closure;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("policy {name}: {message}")]
    Policy { name: String, message: String },
    /// A campaign file that does not pass its checks.
    #[error("campaign {name}: {message}")]
    Campaign { name: String, message: String },
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A message template could not be rendered for an event's facts.
    #[error(transparent)]
    Template(#[from] rapport_messages::TemplateError),
    /// Planning's reading or gathering thread stopped before it finished.
    #[error("planning stopped: {0}")]
    Interrupted(String),
}

/// What building the actions did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Open findings that are work, and how many of them have no owning team.
    pub findings: u64,
    pub unowned_findings: u64,
    pub undecided_findings: u64,
    pub teams: usize,
    pub actions: usize,
    pub opened: usize,
    pub changed: usize,
    pub closed: usize,
    pub reopened: usize,
    pub refuted: usize,
}

/// Groups every open finding into actions and stores what changed: new actions, changed
/// ones, closures with their evidence, regressions, and the outcome of "done, please
/// verify". Exceptions whose time is up are the clock's to end (`tick`); until it runs, their
/// actions already stand as open again in every plan.
pub async fn build_actions(store: &Store, now: OffsetDateTime) -> Result<BuildReport, PlanError> {
    let mut report = BuildReport::default();
    let mut gathering = Gathering::default();
    let scopes: foldhash::HashMap<[u8; 16], PlanPlace> = store
        .plan_scopes()
        .await?
        .into_iter()
        .map(|PlanScope { key, target, team }| (key, gathering.place(target, team)))
        .collect();
    let advisories: foldhash::HashMap<[u8; 16], AdvisoryText> =
        store.advisory_texts().await?.into_iter().map(|advisory| (advisory.key, advisory)).collect();
    let affected = advisory_affected(store, &advisories).await?;

    // Reading and gathering run side by side: the database's thread reads findings in
    // batches while another gathers them.
    let (batches, received) = std::sync::mpsc::sync_channel::<Vec<PlanFinding>>(BATCHES_IN_FLIGHT);
    let gatherer = tokio::task::spawn_blocking(move || {
        let known = Known { scopes, advisories, affected };
        for batch in received {
            for finding in batch {
                gathering.gather(finding, &known)?;
            }
        }
        Ok::<Gathering, PlanError>(gathering)
    });
    let mut batch = Vec::with_capacity(FINDINGS_PER_BATCH);
    let streamed = store
        .each_plan_finding(|finding| -> Result<(), PlanError> {
            batch.push(finding);
            if batch.len() == FINDINGS_PER_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(FINDINGS_PER_BATCH));
                batches
                    .send(full)
                    .map_err(|_| PlanError::Interrupted("the gathering thread ended".into()))?;
            }
            Ok(())
        })
        .await;
    // A gatherer that stopped early says why; its error comes first.
    let last = batches.send(batch);
    drop(batches);
    let gathering = gatherer.await.map_err(|join| PlanError::Interrupted(join.to_string()))??;
    streamed?;
    last.map_err(|_| PlanError::Interrupted("the gathering thread ended".into()))?;
    report.findings = gathering.findings;
    report.unowned_findings = gathering.unowned_findings;
    report.undecided_findings = gathering.undecided_findings;

    let mut needed: Vec<i64> =
        gathering.drafts.iter().flat_map(|(_, draft)| draft.decisions_needed()).collect();
    needed.sort_unstable();
    needed.dedup();
    let decisions = store.decision_summaries(&needed).await?;
    let decision = |id: i64| decisions.get(&id).map(|d| (d.points, d.reason.clone()));
    let mut teams = std::collections::HashSet::new();
    let planned: Vec<([u8; 16], Action)> = gathering
        .drafts
        .into_iter()
        .map(|(team, draft)| {
            let team = gathering.teams.get(team as usize).map_or("", |name| name.as_str());
            teams.insert(team);
            (draft.key().action_key(team), draft.finish(team, decision))
        })
        .collect();
    report.teams = teams.len();
    report.actions = planned.len();

    let stored: HashMap<[u8; 16], ActionStatus> =
        store.action_statuses().await?.into_iter().map(|status| (status.key, status)).collect();
    let scans = store.latest_scans().await?;
    let policy = crate::policy::policy_in_force(store).await?;
    let mut writes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (key, action) in &planned {
        seen.insert(*key);
        let body =
            serde_json::to_string(action).map_err(|e| StoreError::Corrupt(format!("an action: {e}")))?;
        let digest = digest(&body);
        let previous = stored.get(key);
        let Some(previous) = previous else {
            report.opened += 1;
            let opened = scan_step(0, &action.team, None, Change::Open)?;
            let detail = format!(
                "{} ({})",
                action.what,
                rapport_core::words::count(action.findings, "finding", "findings")
            );
            writes.push(ActionWrite {
                id: None,
                key: *key,
                team: action.team.clone(),
                kind: action.kind.as_str().to_owned(),
                outcome: action.outcome,
                state: opened.state,
                outcome_since: now,
                state_since: now,
                digest,
                body: Some(body),
                event: Some((opened.event, detail, opened_facts(action, &policy))),
            });
            continue;
        };
        let rescanned = rescans_since(action, &scans, previous.state_since);
        let moved = match previous.state {
            ActionState::Closed => {
                report.reopened += 1;
                let detail =
                    format!("{} open again{}", findings_are(action.findings), scan_words(&rescanned));
                Some((Change::Reopen, detail))
            }
            ActionState::Verifying if !rescanned.is_empty() => {
                report.refuted += 1;
                let detail = format!(
                    "marked done, but {} still open{}",
                    findings_are(action.findings),
                    scan_words(&rescanned)
                );
                Some((Change::Refute, detail))
            }
            _ => None,
        };
        let (state, state_since, event) = match moved {
            Some((change, detail)) => {
                let moved = scan_step(previous.id, &action.team, Some(previous.state), change)?;
                (moved.state, now, Some((moved.event, detail, imports_facts(&rescanned))))
            }
            None => (previous.state, previous.state_since, None),
        };
        let outcome_since = if action.outcome > previous.outcome || previous.state == ActionState::Closed {
            now
        } else {
            previous.outcome_since
        };
        let event = match event {
            Some(event) => Some(event),
            None if action.outcome != previous.outcome => {
                let changed =
                    scan_step(previous.id, &action.team, Some(previous.state), Change::ChangeDecision)?;
                let words =
                    format!("{} → {}: {}", previous.outcome.label(), action.outcome.label(), action.reason);
                let facts = EventFacts {
                    emergency: action.outcome > previous.outcome && policy.calls_for_emergency(action),
                    ..outcome_facts(action.outcome, Some(previous.outcome))
                };
                Some((changed.event, words, facts))
            }
            None => None,
        };
        if digest == previous.digest && state == previous.state && event.is_none() {
            continue;
        }
        report.changed += usize::from(previous.state != ActionState::Closed);
        writes.push(ActionWrite {
            id: Some(previous.id),
            key: *key,
            team: action.team.clone(),
            kind: action.kind.as_str().to_owned(),
            outcome: action.outcome,
            state,
            outcome_since,
            state_since,
            digest,
            body: (digest != previous.digest).then_some(body),
            event,
        });
    }
    let gone: Vec<&ActionStatus> =
        stored.values().filter(|s| s.state != ActionState::Closed && !seen.contains(&s.key)).collect();
    let ids: Vec<i64> = gone.iter().map(|status| status.id).collect();
    let bodies: HashMap<i64, StoredAction> =
        store.actions_by_id(&ids).await?.into_iter().map(|action| (action.id, action)).collect();
    for status in gone {
        report.closed += 1;
        let scanned = bodies
            .get(&status.id)
            .map(|stored| rescans_since(&stored.action, &scans, stored.opened_at))
            .unwrap_or_default();
        let evidence = if scanned.is_empty() {
            "none of its findings is open for this team any more (no rescan since it opened: the owner or the \
             findings' status changed)"
                .to_owned()
        } else {
            format!("none of its findings is open any more{}", scan_words(&scanned))
        };
        let change = if status.state == ActionState::Verifying { Change::Verify } else { Change::Close };
        let closed = scan_step(status.id, &status.team, Some(status.state), change)?;
        writes.push(ActionWrite {
            id: Some(status.id),
            key: status.key,
            team: status.team.clone(),
            kind: String::new(),
            outcome: status.outcome,
            state: closed.state,
            outcome_since: status.outcome_since,
            state_since: now,
            digest: status.digest,
            body: None,
            event: Some((closed.event, evidence, imports_facts(&scanned))),
        });
    }
    store.write_actions(&writes, now).await?;
    Ok(report)
}

/// A change planning sees, checked by the action's life.
fn scan_step(id: i64, team: &str, from: Option<ActionState>, change: Change) -> Result<Step, PlanError> {
    Ok(step(id, team, from, change, By::Scan)?)
}

/// Places an opening event names; the rest of a large action's are on its page.
const PLACES_NAMED: usize = 10;

/// A new action's decision, where its work is and whether it is an emergency by the policy,
/// for the measures that say what drives a change ("most of the new work is on one place").
fn opened_facts(action: &Action, policy: &Policy) -> EventFacts {
    let places = action.places.iter().take(PLACES_NAMED).map(|place| place.target.name.clone()).collect();
    EventFacts {
        places,
        emergency: policy.calls_for_emergency(action),
        ..outcome_facts(action.outcome, None)
    }
}

fn outcome_facts(outcome: Outcome, previous: Option<Outcome>) -> EventFacts {
    EventFacts { outcome: Some(outcome), previous_outcome: previous, ..EventFacts::default() }
}

fn imports_facts(scans: &[(&Target, &(i64, String, OffsetDateTime))]) -> EventFacts {
    let mut imports: Vec<i64> = scans.iter().map(|(_, (id, _, _))| *id).collect();
    imports.sort_unstable();
    imports.dedup();
    EventFacts { imports, ..EventFacts::default() }
}

/// "1 finding is", "3 findings are".
fn findings_are(findings: u32) -> String {
    rapport_core::words::count(findings, "finding is", "findings are")
}

/// Where a finding is: its target (and that target's number) and owning team's number.
struct PlanPlace {
    target: Target,
    target_number: u32,
    team: Option<u32>,
}

/// What a finding's remedy depends on besides where it is: the same advisory and component
/// on the same kind of target, equally urgent, has the same remedy (moved with
/// [`Remedy::at`]).
#[derive(PartialEq, Eq, Hash)]
struct RemedyCase {
    advisory: [u8; 16],
    kind: FindingKind,
    target: TargetKind,
    urgent: bool,
    component: Option<Component>,
}

/// Findings are handed from the reading thread to the gathering one in batches of this many.
const FINDINGS_PER_BATCH: usize = 4096;
const BATCHES_IN_FLIGHT: usize = 8;

/// What gathering needs to know besides the findings: where each scope is and whose, and
/// what each advisory says and which fixes the stored OSV and CSAF records give.
struct Known {
    scopes: foldhash::HashMap<[u8; 16], PlanPlace>,
    advisories: foldhash::HashMap<[u8; 16], AdvisoryText>,
    affected: HashMap<[u8; 16], Vec<AffectedPackage>>,
}

/// Findings gathered into action drafts. A plan reads a million findings, so each distinct
/// remedy is worked out once, and teams, targets and kinds of work are numbered to find a
/// finding's draft without building its key.
#[derive(Default)]
struct Gathering {
    teams: Vec<String>,
    team_numbers: HashMap<String, u32>,
    target_numbers: HashMap<Target, u32>,
    /// Each case's index in `remedies`.
    cases: foldhash::HashMap<RemedyCase, usize>,
    /// Each distinct remedy and the number of its kind of work.
    remedies: Vec<(Remedy, u32)>,
    /// Kinds of work: remedy keys with the place left out.
    works: HashMap<RemedyKey, u32>,
    /// (team, work, place for work done per place) → index in `drafts`.
    slots: foldhash::HashMap<(u32, u32, Option<u32>), usize>,
    drafts: Vec<(u32, ActionDraft)>,
    findings: u64,
    unowned_findings: u64,
    undecided_findings: u64,
}

fn number<K: std::hash::Hash + Eq>(numbers: &mut HashMap<K, u32>, key: K) -> u32 {
    let next = numbers.len() as u32;
    *numbers.entry(key).or_insert(next)
}

impl Gathering {
    fn place(&mut self, target: Target, team: Option<String>) -> PlanPlace {
        let team = team.map(|name| {
            if !self.team_numbers.contains_key(&name) {
                self.teams.push(name.clone());
            }
            number(&mut self.team_numbers, name)
        });
        let target_number = number(&mut self.target_numbers, target.clone());
        PlanPlace { target, target_number, team }
    }

    /// Adds one open finding to its team's action.
    fn gather(&mut self, finding: PlanFinding, known: &Known) -> Result<(), PlanError> {
        self.findings += 1;
        let (Some(place), Some(advisory)) =
            (known.scopes.get(&finding.scope), known.advisories.get(&finding.advisory))
        else {
            return Err(PlanError::Store(StoreError::Corrupt(
                "a finding's scope or advisory is missing".into(),
            )));
        };
        let Some(team) = place.team else {
            self.unowned_findings += 1;
            return Ok(());
        };
        if finding.decided.is_none() {
            self.undecided_findings += 1;
        }
        let outcome = finding.decided.map_or(Outcome::Track, |(_, outcome)| outcome);
        let case = RemedyCase {
            advisory: finding.advisory,
            kind: finding.kind,
            target: place.target.kind,
            urgent: outcome >= Outcome::Attend,
            component: finding.component,
        };
        let remedy = self.remedy(case, |case| {
            let no_fix =
                case.component.as_ref().filter(|c| c.fixed_version.as_deref().is_none_or(str::is_empty));
            let fixes = match (no_fix, known.affected.get(&case.advisory)) {
                (Some(component), Some(entries)) => advisory_fixes(component, entries),
                _ => Vec::new(),
            };
            let input = RemedyInput {
                target: &place.target,
                kind: case.kind,
                ids: &advisory.ids,
                title: &advisory.title,
                solution: advisory.solution.as_deref(),
                component: case.component.as_ref(),
                advisory_fixes: &fixes,
            };
            routine(remedy_of(&input), outcome)
        });
        self.add(team, remedy, place, |draft, remedy| {
            draft.add(Contribution {
                target: &place.target,
                ids: &advisory.ids,
                solution: advisory.solution.as_deref(),
                remedy,
                outcome,
                assessment: finding.decided.map(|(id, _)| id),
            });
        });
        Ok(())
    }

    /// The index of a case's remedy, worked out by `find` the first time.
    fn remedy(&mut self, case: RemedyCase, find: impl FnOnce(&RemedyCase) -> Remedy) -> usize {
        use std::collections::hash_map::Entry;
        match self.cases.entry(case) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(new) => {
                let remedy = find(new.key());
                let work = number(&mut self.works, RemedyKey { place: None, ..remedy.key.clone() });
                self.remedies.push((remedy, work));
                *new.insert(self.remedies.len() - 1)
            }
        }
    }

    /// Adds a finding to its team's draft for the remedy at `remedy`, started if need be.
    fn add(
        &mut self,
        team: u32,
        remedy: usize,
        place: &PlanPlace,
        add: impl FnOnce(&mut ActionDraft, &Remedy),
    ) {
        let Some((remedy, work)) = self.remedies.get(remedy) else { return };
        let slot = (team, *work, remedy.key.place.is_some().then_some(place.target_number));
        let next = self.drafts.len();
        let index = *self.slots.entry(slot).or_insert(next);
        if index == next {
            self.drafts.push((team, ActionDraft::new(&remedy.at(&place.target))));
        }
        if let Some((_, draft)) = self.drafts.get_mut(index) {
            add(draft, remedy);
        }
    }
}

/// What the stored advisories (OSV, CSAF) say is affected and fixed, per open advisory,
/// through every alias of its ids.
async fn advisory_affected(
    store: &Store,
    advisories: &foldhash::HashMap<[u8; 16], AdvisoryText>,
) -> Result<HashMap<[u8; 16], Vec<AffectedPackage>>, StoreError> {
    let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
    for (id, alias) in store.vuln_aliases().await? {
        aliases.entry(id.to_ascii_uppercase()).or_default().push(alias.to_ascii_uppercase());
    }
    let names: HashMap<[u8; 16], Vec<String>> = advisories
        .iter()
        .map(|(key, advisory)| {
            let mut ids: Vec<String> =
                advisory.ids.iter().flat_map(|id| closure(&aliases, id.as_str())).collect();
            ids.extend(advisory.ids.iter().map(|id| id.0.clone()));
            ids.sort();
            ids.dedup();
            (*key, ids)
        })
        .collect();
    let mut asked: Vec<String> = names.values().flatten().cloned().collect();
    asked.sort();
    asked.dedup();
    let mut by_id: HashMap<String, Vec<AffectedPackage>> = HashMap::new();
    for record in store.vuln_records(&asked).await? {
        if !record.withdrawn && !record.affected.is_empty() {
            by_id.entry(record.id.0.to_ascii_uppercase()).or_default().extend(record.affected);
        }
    }
    Ok(names
        .into_iter()
        .filter_map(|(key, ids)| {
            let entries: Vec<AffectedPackage> =
                ids.iter().filter_map(|id| by_id.get(&id.to_ascii_uppercase())).flatten().cloned().collect();
            (!entries.is_empty()).then_some((key, entries))
        })
        .collect())
}

fn digest(body: &str) -> i64 {
    let hash = Sha256::digest(body.as_bytes());
    let mut bytes = [0; 8];
    bytes.copy_from_slice(hash.get(..8).unwrap_or(&[0; 8]));
    i64::from_le_bytes(bytes)
}

/// The latest scans of an action's places made after `since`.
fn rescans_since<'a>(
    action: &Action,
    scans: &'a HashMap<Target, (i64, String, OffsetDateTime)>,
    since: OffsetDateTime,
) -> Vec<(&'a Target, &'a (i64, String, OffsetDateTime))> {
    let mut found: Vec<_> = action
        .places
        .iter()
        .filter_map(|place| scans.get_key_value(&place.target))
        .filter(|(_, (_, _, at))| *at > since)
        .collect();
    found.sort_by_key(|(_, (id, _, _))| std::cmp::Reverse(*id));
    found
}

fn scan_words(scans: &[(&Target, &(i64, String, OffsetDateTime))]) -> String {
    let shown: Vec<String> = scans
        .iter()
        .take(3)
        .map(|(target, (id, file, at))| format!("{} in import #{id} ({file}, {})", target.name, at.date()))
        .collect();
    match shown.len() {
        0 => String::new(),
        _ if scans.len() > 3 => format!(": rescans of {} and {} more", shown.join(", "), scans.len() - 3),
        _ => format!(": rescans of {}", shown.join(", ")),
    }
}
