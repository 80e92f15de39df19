//! Giving assets to a team from the pages, for an asset nobody owns or an action a team
//! disputes: the next version of the ownership file, with a rule per asset before all the
//! others, applied like any version (the history keeps every one), once the person has seen
//! the difference.

use std::path::Path;

use rapport_core::{AssetId, Conditions, Patterns, Refusal, RuleSpec};
use rapport_formats::with_rules_first;
use rapport_storage::{AssetFilter, AssetRecord, Store};
use time::OffsetDateTime;

use crate::ownership::{OwnershipChange, OwnershipError, apply_text, check_text};

/// What is given to the team.
#[derive(Clone, Debug)]
pub enum Given {
    Asset(AssetId),
    /// Every asset an action's work is on.
    Action(i64),
}

/// The next version of the ownership file, and what it changes.
#[derive(Debug)]
pub struct Assignment {
    /// The team as the directory spells it.
    pub team: String,
    pub assets: Vec<AssetRecord>,
    /// The version it would be, or is once applied.
    pub version: i64,
    pub applied: bool,
    /// The file's unified difference from the version in force.
    pub difference: String,
    /// The file as it would be, or is.
    pub content: String,
    /// The assets whose owner changes. (Every rule after the new ones moves down a number,
    /// so the stored decisions of other assets change only in the rule they name.)
    pub changes: Vec<OwnershipChange>,
}

/// Writes the next version of the ownership file that gives `given` to `team`; applies it
/// when `apply`, otherwise only says what it would change. `by` is who gives it, written in
/// each new rule's name so the file says where its rules came from.
pub async fn assign_owner(
    store: &Store,
    given: &Given,
    team: &str,
    by: &str,
    apply: bool,
    now: OffsetDateTime,
) -> Result<Assignment, OwnershipError> {
    let team = directory_team(store, team).await?;
    let assets = assets_of(store, given).await?;
    let versions = store.ownership_versions().await?;
    let in_force = versions.last();
    let old = in_force.map_or("", |version| version.content.as_str());
    let day = now.date();
    let rules: Vec<RuleSpec> = assets.iter().map(|asset| rule_giving(asset, &team, by, day)).collect();
    let content = with_rules_first(old, &rules).map_err(|cause| {
        Refusal::invalid(
            "ownership file",
            format!("the ownership file in force cannot take a new rule: {cause}"),
        )
    })?;
    let next = in_force.map_or(1, |version| version.id + 1);
    let name = Path::new("the next ownership version");
    let mut changes = Vec::new();
    let version = if apply {
        let in_force = in_force.map(|version| version.id);
        let (version, _) =
            apply_text(store, name, &content, in_force, now, |change| changes.push(change)).await?;
        tracing::info!(version, team, assets = assets.len(), "gave assets to a team");
        version
    } else {
        check_text(store, name, &content, now, |change| changes.push(change)).await?;
        next
    };
    changes.retain(|change| change.before.team != change.after.team);
    let difference = similar::TextDiff::from_lines(old, &content)
        .unified_diff()
        .context_radius(2)
        .header(
            &in_force.map_or_else(|| "none".to_owned(), |v| format!("version {}", v.id)),
            &format!("version {version}"),
        )
        .to_string();
    Ok(Assignment { team, assets, version, applied: apply, difference, content, changes })
}

async fn directory_team(store: &Store, team: &str) -> Result<String, OwnershipError> {
    let known = crate::policy::directory_spelling(store, team).await?;
    known.ok_or_else(|| {
        Refusal::invalid("team", format!("the directory has no team {:?}", team.trim())).into()
    })
}

async fn assets_of(store: &Store, given: &Given) -> Result<Vec<AssetRecord>, OwnershipError> {
    let ids: Vec<AssetId> = match given {
        Given::Asset(asset) => vec![asset.clone()],
        Given::Action(id) => {
            let action = store
                .action(*id)
                .await?
                .ok_or_else(|| Refusal::not_found(format!("there is no action #{id}")))?;
            action.action.places.iter().map(|place| AssetId::of(&place.target)).collect()
        }
    };
    let mut assets: Vec<AssetRecord> = Vec::new();
    for id in ids {
        let named =
            store.assets(&AssetFilter { name: Some(id.name.clone()), ..AssetFilter::default() }).await?;
        let asset = named.into_iter().find(|asset| asset.asset == id);
        match asset {
            Some(asset) if !assets.iter().any(|a| a.id == asset.id) => assets.push(asset),
            Some(_) => {}
            None => return Err(OwnershipError::UnknownAsset(id.name)),
        }
    }
    Ok(assets)
}

/// A rule that matches this one asset exactly (its kind and name) and decides only its owner,
/// so its criticality and exposure still come from the rules that set them.
fn rule_giving(asset: &AssetRecord, team: &str, by: &str, day: time::Date) -> RuleSpec {
    let conditions = Conditions {
        kind: Patterns::One(asset.asset.kind.as_str().to_owned()),
        name: Patterns::exactly(&asset.asset.name),
        ..Conditions::default()
    };
    RuleSpec {
        name: Some(format!("{} given to {team} by {by} on {day}", asset.display_name())),
        team: Some(team.to_owned()),
        conditions,
        ..RuleSpec::default()
    }
}
