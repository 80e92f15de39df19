//! Findings as the security team reads them: the list, filtered, ordered and a page at a
//! time, and one finding on its page with its decision (the web form of `rapport why`).

use super::{given, list_limit, security_only};
use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::views::Reader;
use rapport_core::Severity;
use rapport_core::{Assessment, Refusal};
use rapport_storage::{
    DecisionFilter, FindingFilter, FindingOrder, FindingState, OwnerFilter, StoredFinding,
};
use rapport_workflows::{FindingDetail, PlanError, finding_detail};
use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

/// Which findings to list; every field may be left out.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    /// The least severity shown; empty for any.
    #[param(pattern = "^(critical|high|medium|low|info)?$")]
    pub severity: Option<String>,
    /// The scanner, as stored (`trivy`, `grype`, `nessus`...).
    pub tool: Option<String>,
    /// Part of the target's name.
    pub target: Option<String>,
    /// A vulnerability id as shown (CVE, GHSA, rule).
    pub vulnerability: Option<String>,
    /// The team owning the asset, or `nobody` for assets no ownership rule matched.
    pub team: Option<String>,
    /// `act`, `attend`, `track*`, `track`, or `undecided`.
    pub decision: Option<String>,
    /// `open` (the default), `resolved` or `any`.
    pub state: Option<String>,
    /// Text found, in any case, in the vulnerability id, package, target or advisory.
    pub search: Option<String>,
    /// `severity` (the default), `newest`, `vulnerability` or `target`.
    pub sort: Option<String>,
    /// Which page of `limit` findings, from 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// How many to list; 200 when left out.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A query field's word as `parse` reads it, or why it cannot be.
fn parsed<T>(
    field: &str,
    value: &Option<String>,
    expected: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, ServerError> {
    given(value)
        .map(|word| {
            parse(word)
                .ok_or_else(|| ServerError::BadRequest(format!("{field}: expected {expected}, got {word:?}")))
        })
        .transpose()
}

/// The severity words the findings page offers, exactly.
fn severity_floor(word: &str) -> Option<Severity> {
    match word {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

impl FindingQuery {
    /// How many findings the query lists at most.
    pub fn limit(&self) -> Result<u32, ServerError> {
        list_limit(self.limit)
    }

    /// The page asked for, from 1.
    pub fn page(&self) -> Result<u32, ServerError> {
        super::page_number(self.page)
    }

    /// The address of the same list's page `page`, for the links between pages.
    pub fn page_link(&self, page: u32) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("severity", &self.severity),
            ("tool", &self.tool),
            ("target", &self.target),
            ("vulnerability", &self.vulnerability),
            ("team", &self.team),
            ("decision", &self.decision),
            ("state", &self.state),
            ("search", &self.search),
            ("sort", &self.sort),
        ];
        for (name, value) in fields {
            if let Some(value) = given(value) {
                query.append_pair(name, value);
            }
        }
        if let Some(limit) = self.limit {
            query.append_pair("limit", &limit.to_string());
        }
        query.append_pair("page", &page.to_string());
        format!("/findings?{}", query.finish())
    }

    /// The filter for the page asked for, reading one finding more than the page shows so
    /// that a next page is known to exist.
    fn filter(&self) -> Result<FindingFilter, ServerError> {
        let limit = self.limit()?;
        let severities = "critical, high, medium, low or info";
        let state = parsed("state", &self.state, FindingState::WORDS, FindingState::parse)?;
        let order = parsed("sort", &self.sort, FindingOrder::WORDS, FindingOrder::parse)?;
        Ok(FindingFilter {
            state: state.unwrap_or_default(),
            min_severity: parsed("severity", &self.severity, severities, severity_floor)?,
            tool: given(&self.tool).map(str::to_owned),
            target: given(&self.target).map(str::to_owned),
            vulnerability: given(&self.vulnerability).map(str::to_owned),
            id: None,
            owner: given(&self.team).map(OwnerFilter::parse),
            decision: parsed("decision", &self.decision, DecisionFilter::WORDS, DecisionFilter::parse)?,
            search: given(&self.search).map(str::to_owned),
            order: order.unwrap_or_default(),
            offset: u64::from(self.page()? - 1) * u64::from(limit),
            limit: Some(limit + 1),
        })
    }
}

/// One open finding with its decision.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub id: i64,
    pub severity: &'static str,
    pub vulnerability: String,
    pub title: String,
    pub tool: String,
    pub target: String,
    /// The package and its versions, or the place in the code or on the host.
    pub what: String,
    /// Act, Attend, Track* or Track, once assessed.
    pub decision: Option<&'static str>,
    /// Why, in one sentence.
    pub reason: Option<String>,
    /// What a VEX statement says of it, when one does.
    pub status: String,
    /// The team owning its asset; none when no ownership rule matched.
    pub team: Option<String>,
    pub first_seen: String,
    /// When a rescan no longer showed it.
    pub resolved: Option<String>,
}

/// One page of findings, and whether another follows.
pub async fn findings(
    state: &AppState,
    signed: &Signed,
    query: &FindingQuery,
) -> Result<(Vec<FindingView>, bool), ServerError> {
    let principal = &signed.principal;
    security_only(principal, "the list of findings")?;
    let mut stored = state.store.findings(&query.filter()?).await?;
    let more = stored.len() > query.limit()? as usize;
    stored.truncate(query.limit()? as usize);
    let ids: Vec<i64> = stored.iter().map(|f| f.id).collect();
    let decided_by = state.store.decision_assessments(&ids).await?;
    let mut assessments: Vec<i64> = decided_by.values().copied().collect();
    assessments.sort_unstable();
    assessments.dedup();
    let decisions = state.store.decision_summaries(&assessments).await?;
    let views = stored
        .iter()
        .map(|f| {
            let decision = decided_by.get(&f.id).and_then(|assessment| decisions.get(assessment));
            FindingView::of(f, decision.map(|d| d.outcome.label()), decision.map(|d| d.reason.clone()))
        })
        .collect();
    Ok((views, more))
}

impl FindingView {
    fn of(stored: &StoredFinding, decision: Option<&'static str>, reason: Option<String>) -> FindingView {
        let finding = &stored.finding;
        FindingView {
            id: stored.id,
            severity: finding.severity.as_str(),
            vulnerability: finding.display_id().to_owned(),
            title: finding.title.clone(),
            tool: finding.tool.name.clone(),
            target: finding.target.name.clone(),
            what: finding.affected(),
            decision,
            reason,
            status: status_words(finding),
            team: stored.owner.clone(),
            first_seen: stored.first_seen.date().to_string(),
            resolved: stored.resolved_by.map(|(_, at)| at.date().to_string()),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FindingPageView {
    pub id: i64,
    /// The id people know it by, and every other id it goes by.
    pub vulnerability: String,
    pub other_ids: Vec<String>,
    pub title: String,
    pub severity: &'static str,
    pub tool: String,
    /// `host`, `image`, `repository`...
    pub target_kind: &'static str,
    pub target: String,
    /// The package and its versions, or the place in the code or on the host.
    pub what: String,
    /// What a VEX statement or the scanner says of it.
    pub status: String,
    /// The team owning its asset; none when no ownership rule matched.
    pub team: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// When a rescan no longer showed it.
    pub resolved: Option<String>,
    pub decision: Option<DecisionView>,
    /// Every CVSS score known, each with its source.
    pub cvss: Vec<String>,
    /// How the decision changed, oldest first.
    pub history: Vec<ChangeView>,
    /// The owning team's open actions at this finding's place.
    pub actions: Vec<ActionLink>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// Act, Attend, Track* or Track.
    pub outcome: &'static str,
    /// Why, in one sentence.
    pub reason: String,
    /// Each decision point: its name, its value and why.
    pub points: Vec<PointView>,
    /// What the feeds say, one line each (CISA KEV, EPSS, other signals).
    pub evidence: Vec<String>,
    pub not_affected: Option<String>,
    pub decided_at: String,
    /// The decision tree and its version.
    pub tree: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PointView {
    pub name: &'static str,
    pub value: &'static str,
    pub because: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChangeView {
    pub at: String,
    pub from: String,
    pub to: String,
    pub cause: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ActionLink {
    pub id: i64,
    pub team: String,
    pub what: String,
}

/// The finding numbered `id`, for the security team.
pub async fn finding(state: &AppState, signed: &Signed, id: i64) -> Result<FindingPageView, ServerError> {
    let (principal, reader) = (&signed.principal, &signed.reader);
    super::security_only(principal, "a finding's page")?;
    match finding_detail(&state.store, id).await {
        Ok(detail) => Ok(view(detail, reader)),
        Err(PlanError::Refused(Refusal::NotFound(_))) => {
            Err(ServerError::NotFound(format!("no finding #{id}")))
        }
        Err(other) => Err(other.into()),
    }
}

/// What the finding's status is, in words, and the VEX document that says so.
fn status_words(finding: &rapport_core::Finding) -> String {
    match &finding.vex {
        Some(vex) => format!("{}, per {}", finding.status.label(), vex.source.document),
        None => finding.status.label().to_owned(),
    }
}

fn view(detail: FindingDetail, reader: &Reader) -> FindingPageView {
    let FindingDetail { stored, decision, history, cvss, actions } = detail;
    let finding = &stored.finding;
    let vulnerability = finding.display_id().to_owned();
    FindingPageView {
        id: stored.id,
        other_ids: finding.ids.iter().map(|id| id.0.clone()).filter(|id| *id != vulnerability).collect(),
        vulnerability,
        title: finding.title.clone(),
        severity: finding.severity.as_str(),
        tool: finding.tool.name.clone(),
        target_kind: finding.target.kind.as_str(),
        target: finding.target.name.clone(),
        what: finding.affected(),
        status: status_words(finding),
        team: stored.owner.clone(),
        first_seen: reader.moment(stored.first_seen),
        last_seen: reader.moment(stored.last_seen),
        resolved: stored.resolved_by.map(|(_, at)| reader.moment(at)),
        decision: decision.map(|(assessment, at)| decision_view(&assessment, at, reader)),
        cvss: cvss
            .iter()
            .map(|score| {
                let value = score.score.map_or_else(|| "?".to_owned(), |s| format!("{s:.1}"));
                format!("{value} {} ({})", score.vector, score.source.as_deref().unwrap_or("unnamed source"))
            })
            .collect(),
        history: history
            .into_iter()
            .map(|change| ChangeView {
                at: reader.moment(change.changed_at),
                from: change.previous_outcome,
                to: change.current_outcome,
                cause: change.cause,
            })
            .collect(),
        actions: actions
            .into_iter()
            .map(|stored| ActionLink { id: stored.id, team: stored.team, what: stored.action.what })
            .collect(),
    }
}

fn decision_view(assessment: &Assessment, decided_at: time::OffsetDateTime, reader: &Reader) -> DecisionView {
    let points = &assessment.points;
    let because = &assessment.because;
    let point = |name, value, because: &String| PointView { name, value, because: because.clone() };
    DecisionView {
        outcome: assessment.outcome.label(),
        reason: assessment.reason.clone(),
        points: vec![
            point("exploitation", points.exploitation.as_str(), &because.exploitation),
            point("exposure", points.exposure.as_str(), &because.exposure),
            point("automatable", points.automatable.as_str(), &because.automatable),
            point("human impact", points.human_impact.as_str(), &because.human_impact),
        ],
        evidence: assessment.evidence_lines(),
        not_affected: assessment.evidence.not_affected.clone(),
        decided_at: reader.moment(decided_at),
        tree: format!("{} version {}", assessment.tree.name, assessment.tree.version),
    }
}
