//! One finding as the security team reads it: what it is and where, its decision with the
//! evidence, how the decision changed, every CVSS score known for it, and the open actions
//! at its place (`rapport why` and the finding page).

use rapport_core::{Assessment, Cvss, Refusal, VulnId};
use rapport_storage::{
    FindingFilter, FindingState, Store, StoreError, StoredAction, StoredChange, StoredFinding,
};
use time::OffsetDateTime;

use crate::plan::PlanError;

#[derive(Clone, Debug)]
pub struct FindingDetail {
    pub stored: StoredFinding,
    /// The decision in force and when it was made; none before the first assessment.
    pub decision: Option<(Assessment, OffsetDateTime)>,
    /// Every change of the decision, oldest first.
    pub history: Vec<StoredChange>,
    /// The scanner's scores and each feed's, each with its source.
    pub cvss: Vec<Cvss>,
    /// The owning team's actions not closed that name its vulnerability at its place; all
    /// those at its place when none names it.
    pub actions: Vec<StoredAction>,
}

/// The finding numbered `id`, open or resolved.
pub async fn finding_detail(store: &Store, id: i64) -> Result<FindingDetail, PlanError> {
    let filter = FindingFilter { id: Some(id), state: FindingState::Any, ..FindingFilter::default() };
    let stored = store
        .findings(&filter)
        .await?
        .pop()
        .ok_or_else(|| Refusal::not_found(format!("no finding #{id}")))?;
    let decision = match store.decision(id).await? {
        Some(decision) => {
            let assessment: Assessment = serde_json::from_str(&decision.body)
                .map_err(|e| StoreError::Corrupt(format!("the decision on finding #{id}: {e}")))?;
            Some((assessment, decision.decided_at))
        }
        None => None,
    };
    let history = store.decision_changes(id).await?;
    let (cvss, ids) = scores_and_ids(store, &stored).await?;
    let actions = actions_at(store, &stored, &ids).await?;
    Ok(FindingDetail { stored, decision, history, cvss, actions })
}

/// Every CVSS score known for the finding, and every id it goes by (its own and the
/// aliases feeds give).
async fn scores_and_ids(
    store: &Store,
    stored: &StoredFinding,
) -> Result<(Vec<Cvss>, Vec<String>), PlanError> {
    let tool = &stored.finding.tool.name;
    let mut cvss: Vec<Cvss> = stored.finding.cvss.clone();
    for score in &mut cvss {
        score.source = Some(match &score.source {
            Some(source) => format!("{tool}: {source}"),
            None => tool.clone(),
        });
    }
    let own: Vec<String> = stored.finding.ids.iter().map(|id: &VulnId| id.0.clone()).collect();
    let mut ids = own.clone();
    ids.extend(store.aliases_of(&own).await?.into_iter().map(|(_, alias)| alias));
    ids.sort();
    ids.dedup();
    for record in store.vuln_records(&ids).await? {
        for score in record.cvss {
            if !cvss.iter().any(|known| known.vector == score.vector && known.source == score.source) {
                cvss.push(score);
            }
        }
    }
    Ok((cvss, ids))
}

async fn actions_at(
    store: &Store,
    stored: &StoredFinding,
    ids: &[String],
) -> Result<Vec<StoredAction>, PlanError> {
    let Some(team) = stored.owner.as_deref() else { return Ok(Vec::new()) };
    let target = &stored.finding.target;
    let mut actions: Vec<StoredAction> = store
        .team_actions(Some(team), false)
        .await?
        .into_iter()
        .filter(|stored| stored.action.places.iter().any(|place| &place.target == target))
        .collect();
    let names_it = |stored: &StoredAction| stored.action.fixes.iter().any(|fix| ids.contains(fix));
    // An action lists the first hundred ids it fixes: when none names this one, every
    // action at the place is shown.
    if actions.iter().any(names_it) {
        actions.retain(names_it);
    }
    Ok(actions)
}
