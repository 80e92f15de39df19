//! The security team's own views: the overview, the assets nobody owns, the policy with who
//! acknowledged it, the teams with their people, and the imports (history and upload); the
//! findings, listed and one by one, in `security/findings.rs`. Each asks `Principal::is_security` first; pages and the API only render them.

use rapport_core::{ActionState, Principal};
use rapport_storage::{AssetFilter, ExceptionState, ImportRecord};
use rapport_workflows::{ImportRequest, IngestError, RefreshError, Refreshed, current_policy, import_file};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::views::Reader;

pub mod api;
pub mod audit;
pub mod campaigns;
pub mod findings;
pub mod follow_through;
pub mod outbox;
pub mod owners;
pub mod pages;
pub mod templates;

pub(crate) fn security_only(principal: &Principal, what: &str) -> Result<(), ServerError> {
    if principal.is_security() {
        Ok(())
    } else {
        Err(ServerError::Forbidden(format!(
            "{what} is for the security team; you are signed in as {}",
            principal.role.label()
        )))
    }
}

/// The state of the whole programme on one page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Overview {
    pub open_findings: i64,
    pub resolved_findings: i64,
    /// Actions waiting on a team, and of those how many are Act and Attend.
    pub open_actions: i64,
    pub act: i64,
    pub attend: i64,
    /// Actions a team marked done, waiting for the next scan to confirm.
    pub verifying: i64,
    pub exceptions_waiting: usize,
    pub answers_waiting: usize,
    pub unowned_assets: u64,
    pub policy_version: i64,
    pub teams: usize,
    pub teams_acknowledged: usize,
    /// The five latest imports, newest first.
    pub latest_imports: Vec<ImportView>,
}

pub async fn overview(state: &AppState, signed: &Signed) -> Result<Overview, ServerError> {
    let (principal, reader) = (&signed.principal, &signed.reader);
    security_only(principal, "the overview")?;
    let (open_findings, resolved_findings) = state.store.count_findings().await?;
    let (policy_version, teams) = crate::team::team_summaries(state, principal).await?;
    let exceptions_waiting = state.store.exceptions(Some(ExceptionState::Requested), None).await?.len();
    let answers_waiting = state.store.unreplied_answers().await?.len();
    let mut unowned_assets = 0u64;
    state
        .store
        .each_asset(&AssetFilter { unowned_only: true, ..AssetFilter::default() }, |_| {
            unowned_assets += 1;
            Ok::<(), ServerError>(())
        })
        .await?;
    let imports = state.store.imports().await?;
    Ok(Overview {
        open_findings,
        resolved_findings,
        open_actions: teams.iter().map(|t| t.open).sum(),
        act: teams.iter().map(|t| t.act).sum(),
        attend: teams.iter().map(|t| t.attend).sum(),
        verifying: teams.iter().map(|t| t.verifying).sum(),
        exceptions_waiting,
        answers_waiting,
        unowned_assets,
        policy_version,
        teams: teams.len(),
        teams_acknowledged: teams.iter().filter(|t| t.acknowledged).count(),
        latest_imports: imports.iter().rev().take(5).map(|record| ImportView::of(record, reader)).collect(),
    })
}

/// How many findings or actions a page lists unless asked, and at most.
const DEFAULT_LIMIT: u32 = 200;
const MAX_LIMIT: u32 = 1000;

/// A query field with something in it.
pub(crate) fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// A list's length as asked for: 200 when left out, at most 1000.
/// The page of a list asked for, from 1 (the first when none is).
pub(crate) fn page_number(page: Option<u32>) -> Result<u32, ServerError> {
    match page {
        None => Ok(1),
        Some(0) => Err(ServerError::BadRequest("page: expected 1 or more, got 0".into())),
        Some(page) => Ok(page),
    }
}

pub(crate) fn list_limit(asked: Option<u32>) -> Result<u32, ServerError> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        Some(limit) => Err(ServerError::BadRequest(format!("limit: expected 1 to {MAX_LIMIT}, got {limit}"))),
    }
}

/// An asset nobody owns yet.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnownedAsset {
    /// The name people know it by (a device's hostname).
    pub name: String,
    /// The name scanners and the ownership rules know it by (a device's inventory id).
    pub identifier: String,
    /// `host`, `image`, `repository`...
    pub kind: &'static str,
    /// Where Rapport heard of it: `osquery`, `fleet`, or `scan`.
    pub source: String,
    pub first_seen: String,
    pub last_seen: Option<String>,
}

/// The most unowned assets one page lists.
const MAX_UNOWNED: usize = 1000;

/// Assets no ownership rule matched, oldest first, and how many there are in all.
pub async fn unowned_assets(
    state: &AppState,
    signed: &Signed,
) -> Result<(u64, Vec<UnownedAsset>), ServerError> {
    let (principal, reader) = (&signed.principal, &signed.reader);
    security_only(principal, "the list of unowned assets")?;
    let mut total = 0u64;
    let mut assets = Vec::new();
    state
        .store
        .each_asset(&AssetFilter { unowned_only: true, ..AssetFilter::default() }, |asset| {
            total += 1;
            if assets.len() < MAX_UNOWNED {
                assets.push(UnownedAsset {
                    name: asset.display_name().to_owned(),
                    identifier: asset.asset.name.clone(),
                    kind: asset.asset.kind.as_str(),
                    source: asset.source.clone(),
                    first_seen: asset.first_seen.date().to_string(),
                    last_seen: asset.last_seen.map(|at| reader.moment(at)),
                });
            }
            Ok::<(), ServerError>(())
        })
        .await?;
    Ok((total, assets))
}

/// The policy in force and who acknowledged it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub version: i64,
    pub name: String,
    pub applied_at: String,
    pub applied_by: Option<String>,
    /// The policy file as applied.
    pub content: String,
    pub acknowledgements: Vec<Acknowledgement>,
    /// Teams whose manager has not acknowledged this version.
    pub not_acknowledged: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Acknowledgement {
    pub team: String,
    pub by: String,
    pub at: String,
}

pub async fn policy(state: &AppState, signed: &Signed) -> Result<PolicyView, ServerError> {
    let (principal, reader) = (&signed.principal, &signed.reader);
    security_only(principal, "the policy page")?;
    let (_, stored) = current_policy(&state.store, state.now()).await?;
    let acknowledgements: Vec<Acknowledgement> = state
        .store
        .policy_acks()
        .await?
        .into_iter()
        .filter(|ack| ack.policy == stored.id)
        .map(|ack| Acknowledgement {
            team: ack.team,
            by: ack.acknowledged_by,
            at: reader.moment(ack.acknowledged_at),
        })
        .collect();
    let (_, teams) = crate::team::team_summaries(state, principal).await?;
    let not_acknowledged = teams.into_iter().filter(|t| !t.acknowledged).map(|t| t.name).collect();
    Ok(PolicyView {
        version: stored.id,
        name: stored.name,
        applied_at: reader.moment(stored.applied_at),
        applied_by: stored.applied_by,
        content: stored.content,
        acknowledgements,
        not_acknowledged,
    })
}

/// A team from the directory with its people.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamPeople {
    /// Empty for the people the directory puts in no team.
    pub name: String,
    pub measured_on: Option<String>,
    pub weekly_capacity_hours: Option<f64>,
    pub people: Vec<PersonView>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub name: String,
    pub email: Option<String>,
    /// executive, manager, engineer or end user: how messages speak to them.
    pub audience: &'static str,
    /// The audience as people read it (`end user`).
    #[serde(skip)]
    pub audience_label: &'static str,
    pub manager: Option<String>,
}

/// The directory's teams, each with its people, then the people in no team.
pub async fn teams_and_people(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<TeamPeople>, ServerError> {
    security_only(principal, "the directory")?;
    let mut teams: Vec<TeamPeople> = state
        .store
        .teams()
        .await?
        .into_iter()
        .map(|team| TeamPeople {
            name: team.name,
            measured_on: team.measured_on,
            weekly_capacity_hours: team.weekly_capacity_hours,
            people: Vec::new(),
        })
        .collect();
    let mut teamless = TeamPeople {
        name: String::new(),
        measured_on: None,
        weekly_capacity_hours: None,
        people: Vec::new(),
    };
    for person in state.store.people().await? {
        let view = PersonView {
            name: person.name,
            email: person.email,
            audience: person.audience.as_str(),
            audience_label: person.audience.label(),
            manager: person.manager,
        };
        let home = person
            .team
            .as_deref()
            .and_then(|name| teams.iter_mut().find(|t| t.name.eq_ignore_ascii_case(name)));
        match home {
            Some(team) => team.people.push(view),
            None => teamless.people.push(view),
        }
    }
    if !teamless.people.is_empty() {
        teams.push(teamless);
    }
    Ok(teams)
}

/// One import in the history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub id: i64,
    pub file: String,
    pub format: String,
    pub started_at: String,
    /// Whether it finished; an unfinished import stored nothing.
    pub finished: bool,
    pub findings: i64,
    pub new: i64,
    pub known: i64,
    pub resolved: i64,
    pub vex_statements: i64,
    pub devices: i64,
    pub people: i64,
}

impl ImportView {
    fn of(record: &ImportRecord, reader: &Reader) -> ImportView {
        ImportView {
            id: record.id,
            file: record.file.clone(),
            format: record.format.clone(),
            started_at: reader.moment(record.started_at),
            finished: record.finished_at.is_some(),
            findings: record.findings,
            new: record.new,
            known: record.known,
            resolved: record.resolved,
            vex_statements: record.vex_statements,
            devices: record.devices,
            people: record.people,
        }
    }
}

/// The most imports the history lists.
const MAX_IMPORTS: usize = 200;

/// The latest imports, newest first.
pub async fn imports(state: &AppState, signed: &Signed) -> Result<Vec<ImportView>, ServerError> {
    let (principal, reader) = (&signed.principal, &signed.reader);
    security_only(principal, "the import history")?;
    let records = state.store.imports().await?;
    Ok(records.iter().rev().take(MAX_IMPORTS).map(|record| ImportView::of(record, reader)).collect())
}

/// What an upload did: the import, then the decisions and plans brought up to date.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Imported {
    pub import: ImportView,
    /// Assets first seen in this file, owned by the ownership rules in force.
    pub assets_owned: usize,
    /// Findings whose decision changed with this import.
    pub decisions_changed: u64,
    /// Actions opened and closed when the plans were rebuilt.
    pub actions_opened: usize,
    /// Actions whose findings this scan no longer shows.
    pub actions_closed: usize,
    /// Open findings, of all imports, on assets no ownership rule matches: no plan has them.
    pub unowned_findings: u64,
    /// Findings with a text longer than Rapport keeps: stored with its start and a mark
    /// that it was cut.
    pub findings_cut: u64,
}

/// Owns new assets, re-decides the open findings and rebuilds the actions, on a blocking thread of its own
/// (the contract in `rapport_workflows::refresh`: its future is not `Send`, and on SQLite it
/// steps the database on the calling thread).
pub(crate) async fn refresh(state: &AppState) -> Result<Refreshed, ServerError> {
    state
        .on_own_thread(|store, now| async move { rapport_workflows::refresh(&store, now).await })
        .await
        .map_err(|error| ServerError::Internal(format!("planning stopped: {error}")))?
        .map_err(|error| match error {
            RefreshError::Plan(plan) => ServerError::from(plan),
            other => ServerError::Internal(other.to_string()),
        })
}

/// Whether the person may import files: refused before an upload is read.
pub fn may_import(principal: &Principal) -> Result<(), ServerError> {
    security_only(principal, "importing")
}

/// Imports an uploaded scanner file or VEX document (in the format its sender named, or
/// the one its content shows), all of it or nothing, then re-decides the open findings and rebuilds the actions, as `rapport import`,
/// `rapport assess` and `rapport plan` do one after the other.
pub async fn import_upload(
    state: &AppState,
    signed: &Signed,
    upload: &crate::upload::Upload,
    peer: Option<String>,
) -> Result<Imported, ServerError> {
    let principal = &signed.principal;
    may_import(principal)?;
    let format = upload.format.as_deref().map(str::parse).transpose().map_err(|unknown: String| {
        ServerError::BadRequest(format!("the form's field \"format\": {unknown}"))
    })?;
    let (name, path) = (upload.name.as_str(), upload.path.as_path());
    let request = ImportRequest {
        path: path.to_owned(),
        format,
        source: None,
        name: Some(name.to_owned()),
        progress: None,
        // An upload while another import writes waits its turn: the request is answered when
        // both are done.
        waiting: None,
    };
    let clock = state.clone();
    let report =
        import_file(&state.store, request, move || clock.now()).await.map_err(|error| match error {
            // The file was fine; the database was not.
            stored @ IngestError::Store { .. } => ServerError::Internal(stored.to_string()),
            refused => ServerError::BadRequest(refused.to_string()),
        })?;
    let summary = &report.summary;
    state
        .audit(
            Some(&principal.email),
            "file imported",
            Some(format!("import #{}", summary.import_id)),
            format!(
                "{name} ({}): {}, {} new, {} resolved",
                report.format,
                rapport_core::words::count(summary.findings, "finding", "findings"),
                summary.new,
                summary.resolved
            ),
            peer,
        )
        .await?;
    let Refreshed { owned, assessed, built, .. } = refresh(state).await?;
    let record =
        state.store.imports().await?.into_iter().find(|record| record.id == summary.import_id).ok_or_else(
            || ServerError::Internal(format!("import #{} is not in the history", summary.import_id)),
        )?;
    Ok(Imported {
        import: ImportView::of(&record, &signed.reader),
        decisions_changed: assessed.changed,
        actions_opened: built.opened,
        actions_closed: built.closed,
        unowned_findings: built.unowned_findings,
        assets_owned: owned,
        findings_cut: report.cut,
    })
}

/// Which actions to list; every field may be left out.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// One team's, by its exact name.
    pub team: Option<String>,
    /// Only those in this state; all but closed ones when left out.
    #[param(pattern = "^(open|verifying|accepted|closed)?$")]
    pub state: Option<String>,
    /// How many to list; 200 when left out.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One action in the list of every team's.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ActionRow {
    pub id: i64,
    pub team: String,
    /// open, verifying, accepted or closed.
    pub state: &'static str,
    /// Where it stands in words: "accepted until 2027-01-31", "emergency, declared by...".
    pub standing: String,
    /// Act, Attend, Track* or Track.
    pub outcome: &'static str,
    pub what: String,
    pub findings: u32,
    pub places: usize,
    /// The day it was opened.
    pub opened: String,
}

/// Actions of every team, most urgent first, for those who may read everything.
pub async fn actions(
    state: &AppState,
    principal: &Principal,
    query: &ActionQuery,
) -> Result<Vec<ActionRow>, ServerError> {
    if !principal.may_read_everything() {
        return Err(ServerError::Forbidden(format!(
            "every team's actions are for the security team and executives; you are signed in as {}",
            principal.role.label()
        )));
    }
    let wanted = match given(&query.state) {
        None => None,
        Some(word) => Some(ActionState::parse(word).ok_or_else(|| {
            ServerError::BadRequest(format!(
                "state: expected open, verifying, accepted or closed, got {word:?}"
            ))
        })?),
    };
    let limit = list_limit(query.limit)?;
    let team = given(&query.team);
    let listed =
        rapport_workflows::list_actions(&state.store, team, wanted, limit as usize, state.now()).await?;
    Ok(listed
        .into_iter()
        .map(|listed| ActionRow {
            id: listed.stored.id,
            team: listed.stored.team,
            state: listed.stored.state.as_str(),
            standing: listed.standing.words(),
            outcome: listed.stored.action.outcome.label(),
            what: listed.stored.action.what,
            findings: listed.stored.action.findings,
            places: listed.stored.action.places.len(),
            opened: listed.stored.opened_at.date().to_string(),
        })
        .collect())
}

/// What waits for the security team: exception requests and unreplied answers.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub exceptions: Vec<QueuedException>,
    pub answers: Vec<QueuedAnswer>,
    /// People who said they can't do what a campaign's nudge asked, and why.
    pub campaign_answers: Vec<QueuedCampaignAnswer>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct QueuedCampaignAnswer {
    pub id: i64,
    pub campaign: String,
    /// Their email.
    pub person: String,
    pub given_at: String,
    pub words: String,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct QueuedException {
    pub id: i64,
    pub action: i64,
    pub team: String,
    pub what: String,
    pub risk_acceptance: bool,
    pub requested_by: String,
    pub requested_at: String,
    pub until: String,
    pub reason: String,
    pub compensating_control: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct QueuedAnswer {
    pub id: i64,
    pub action: i64,
    pub team: String,
    pub what: String,
    /// `feedback` or `not_ours`.
    pub kind: &'static str,
    pub given_by: String,
    pub given_at: String,
    pub body: String,
    pub suggested_team: Option<String>,
}

pub async fn queue(state: &AppState, signed: &Signed) -> Result<Queue, ServerError> {
    let (principal, reader) = (&signed.principal, &signed.reader);
    if !principal.may_decide() {
        return Err(ServerError::Forbidden(format!(
            "the queue is the security team's; you are signed in as {}",
            principal.role.label()
        )));
    }
    let exceptions = state
        .store
        .exceptions(Some(rapport_storage::ExceptionState::Requested), None)
        .await?
        .into_iter()
        .map(|e| QueuedException {
            id: e.id,
            action: e.request.action,
            team: e.team,
            what: e.what,
            risk_acceptance: e.request.risk_acceptance,
            requested_by: e.request.requested_by,
            requested_at: reader.moment(e.requested_at),
            until: e.request.until.to_string(),
            reason: e.request.reason,
            compensating_control: e.request.compensating_control,
        })
        .collect();
    let answers = state
        .store
        .unreplied_answers()
        .await?
        .into_iter()
        .map(|a| QueuedAnswer {
            id: a.id,
            action: a.action,
            team: a.team,
            what: a.what,
            kind: a.kind.as_str(),
            given_by: a.given_by,
            given_at: reader.moment(a.given_at),
            body: a.body,
            suggested_team: a.suggested_team,
        })
        .collect();
    let campaign_answers = rapport_workflows::unreplied_campaign_answers(&state.store, principal)
        .await?
        .into_iter()
        .map(|a| QueuedCampaignAnswer {
            id: a.id,
            campaign: a.campaign,
            person: a.person,
            given_at: reader.moment(a.given_at),
            words: a.words,
        })
        .collect();
    Ok(Queue { exceptions, answers, campaign_answers })
}

/// The security team replies to someone's "I can't" to a campaign.
pub async fn reply_to_campaign_answer(
    state: &AppState,
    principal: &Principal,
    id: i64,
    text: &str,
) -> Result<(), ServerError> {
    Ok(rapport_workflows::reply_to_campaign_answer(&state.store, id, principal, text, state.now()).await?)
}

/// The security team approves or rejects an exception request.
pub async fn decide_exception(
    state: &AppState,
    principal: &Principal,
    id: i64,
    approve: bool,
    reason: &str,
) -> Result<(), ServerError> {
    Ok(rapport_workflows::decide_exception(&state.store, id, approve, principal, reason, state.now()).await?)
}

/// The security team replies to feedback or a dispute.
pub async fn reply(state: &AppState, principal: &Principal, id: i64, text: &str) -> Result<(), ServerError> {
    Ok(rapport_workflows::reply_to_answer(&state.store, id, principal, text, state.now()).await?)
}

/// What applying a policy did.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PolicyApplied {
    pub version: i64,
    /// False when the text is the policy already in force.
    pub new: bool,
    /// A unified diff from the version before.
    pub difference: String,
}

/// Refuses anyone but the security team a change of the policy.
fn may_change_policy(principal: &Principal) -> Result<(), ServerError> {
    if !principal.may_decide() {
        return Err(ServerError::Forbidden(format!(
            "the policy is changed by the security team; you are signed in as {}",
            principal.role.label()
        )));
    }
    Ok(())
}

/// What applying `text` would do, checked whole, before the security team confirms it.
pub async fn preview_policy(
    state: &AppState,
    principal: &Principal,
    text: &str,
) -> Result<PolicyApplied, ServerError> {
    may_change_policy(principal)?;
    let preview = rapport_workflows::preview_policy(&state.store, "(submitted text)", text).await?;
    Ok(PolicyApplied { version: preview.version, new: preview.new, difference: preview.difference })
}

/// The security team applies a new policy version, checked whole before it is stored.
pub async fn apply_policy(
    state: &AppState,
    principal: &Principal,
    text: &str,
) -> Result<PolicyApplied, ServerError> {
    may_change_policy(principal)?;
    let now = state.now();
    let applied =
        rapport_workflows::apply_policy(&state.store, "(submitted text)", text, Some(&principal.email), now)
            .await?;
    Ok(PolicyApplied { version: applied.version, new: applied.new, difference: applied.difference })
}

/// The security team declares an emergency on an action the policy's criteria did not.
pub async fn declare_emergency(
    state: &AppState,
    principal: &Principal,
    action: i64,
    reason: &str,
) -> Result<i64, ServerError> {
    Ok(rapport_workflows::declare_emergency(&state.store, action, principal, reason, state.now()).await?)
}
