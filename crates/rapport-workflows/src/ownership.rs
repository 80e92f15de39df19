//! The ownership file in use: what a new version would change (`check`), applying it with
//! its history (`apply`), and why an asset is owned as it is (`explain`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rapport_core::{AssetFacts, AssetId, Ownership, Person, Refusal, Resolution, RuleError};
use rapport_formats::parse_ownership;
use rapport_storage::{AssetFilter, AssetOwnership, AssetRecord, OwnershipVersion, Store, StoreError};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
/// Each message says all there is to say; the causes are part of it, not a chain, so that
/// they are not printed twice.
pub enum OwnershipError {
    #[error("{path}: cannot read the file: {cause}")]
    Open { path: PathBuf, cause: std::io::Error },
    #[error("{path}: not a valid ownership file: {cause}")]
    Invalid { path: PathBuf, cause: rapport_formats::ParseError },
    #[error("{path}: {cause}")]
    Rules { path: PathBuf, cause: RuleError },
    #[error("the stored ownership version {version} no longer compiles: {cause}")]
    Stored { version: i64, cause: RuleError },
    #[error("the database refused: {0}")]
    Store(StoreError),
    #[error("no asset is named {0:?} (try `rapport assets`)")]
    UnknownAsset(String),
    #[error("{0}")]
    Refused(#[from] rapport_core::Refusal),
}

impl From<StoreError> for OwnershipError {
    fn from(error: StoreError) -> OwnershipError {
        OwnershipError::Store(error)
    }
}

/// One asset whose ownership a version changes.
#[derive(Clone, Debug)]
pub struct OwnershipChange {
    pub asset_id: i64,
    pub asset: AssetId,
    /// The name people know it by (a device's hostname).
    pub name: String,
    pub before: AssetOwnership,
    pub after: AssetOwnership,
}

/// What a version of the file decides over all assets, against what is stored. The changes
/// themselves go to the caller one by one as they are found: a first version changes every
/// asset, and an estate has hundreds of thousands.
#[derive(Debug)]
pub struct OwnershipPlan {
    pub syntax: &'static str,
    pub rules: usize,
    pub assets: usize,
    pub changed: usize,
    /// Assets no rule gives an owner: the security team's queue.
    pub unowned: usize,
    /// Rules naming a team the directory does not know (a typo, or a team not imported
    /// yet), as (rule label, team). Empty when no team was imported at all.
    pub unknown_teams: Vec<(String, String)>,
}

/// A compiled file and what it needs to decide.
struct Resolver {
    ownership: Ownership,
    team_of_user: HashMap<String, String>,
    known_teams: Vec<String>,
}

impl Resolver {
    /// Rules naming a team the directory does not know.
    fn unknown_teams(&self) -> Vec<(String, String)> {
        if self.known_teams.is_empty() {
            return Vec::new();
        }
        let rules = self.ownership.rules().iter().enumerate();
        rules
            .filter_map(|(index, rule)| rule.team.as_ref().map(|team| (index, team)))
            .filter(|(_, team)| !self.known_teams.iter().any(|known| known == *team))
            .map(|(index, team)| (self.ownership.rule_label(index), team.clone()))
            .collect()
    }

    fn new(ownership: Ownership, people: Vec<Person>, known_teams: Vec<String>) -> Resolver {
        let mut team_of_user = HashMap::new();
        for person in people {
            let Some(team) = person.team else { continue };
            for name in [person.email, person.username].into_iter().flatten() {
                team_of_user.insert(name.to_lowercase(), team.clone());
            }
        }
        Resolver { ownership, team_of_user, known_teams }
    }

    fn resolve(&self, asset: &AssetRecord, path: Option<&str>) -> Resolution {
        let facts = asset_facts(asset, path);
        self.ownership.resolve(&facts, |user| self.team_of_user.get(&user.to_lowercase()).cloned())
    }

    fn decided(&self, resolution: &Resolution) -> AssetOwnership {
        let label = |rule: usize| Some(self.ownership.rule_label(rule));
        AssetOwnership {
            team: resolution.owner.as_ref().map(|d| d.value.clone()),
            team_rule: resolution.owner.as_ref().and_then(|d| label(d.rule)),
            criticality: resolution.criticality.as_ref().map(|d| d.value.as_str().to_owned()),
            criticality_rule: resolution.criticality.as_ref().and_then(|d| label(d.rule)),
            exposure: resolution.exposure.as_ref().map(|d| d.value.as_str().to_owned()),
            exposure_rule: resolution.exposure.as_ref().and_then(|d| label(d.rule)),
            version: None,
        }
    }
}

/// What the rules see of an asset.
fn asset_facts<'a>(asset: &'a AssetRecord, path: Option<&'a str>) -> AssetFacts<'a> {
    let mut facts = AssetFacts::of(&asset.asset);
    if let Some(device) = &asset.facts {
        // A device's name is the inventory's id for it; its hostname is a fact.
        facts.hostname = device.hostname.as_deref();
        facts.ips = device.ips.iter().filter_map(|ip| ip.parse().ok()).collect();
        facts.tags = &device.tags;
        facts.device_user = device.user.as_deref();
    }
    facts.path = path;
    facts
}

fn read_file(path: &Path) -> Result<String, OwnershipError> {
    std::fs::read_to_string(path).map_err(|cause| OwnershipError::Open { path: path.to_owned(), cause })
}

fn compile(path: &Path, text: &str) -> Result<(&'static str, Ownership), OwnershipError> {
    let (syntax, spec) =
        parse_ownership(text).map_err(|cause| OwnershipError::Invalid { path: path.to_owned(), cause })?;
    let ownership =
        Ownership::compile(spec).map_err(|cause| OwnershipError::Rules { path: path.to_owned(), cause })?;
    Ok((syntax.name(), ownership))
}

/// Decides every asset under the file at `path` and compares with what is stored; each
/// change goes to `each`. Stores nothing.
pub async fn check_ownership(
    store: &Store,
    path: &Path,
    now: OffsetDateTime,
    each: impl FnMut(OwnershipChange),
) -> Result<OwnershipPlan, OwnershipError> {
    let text = read_file(path)?;
    check_text(store, path, &text, now, each).await
}

/// What `text` (named `name` in errors) would change, as [`check_ownership`] says.
pub(crate) async fn check_text(
    store: &Store,
    name: &Path,
    text: &str,
    now: OffsetDateTime,
    mut each: impl FnMut(OwnershipChange),
) -> Result<OwnershipPlan, OwnershipError> {
    let (syntax, resolver) = prepare(store, name, text, now).await?;
    decide_all(store, syntax, &resolver, |change, _| each(change)).await
}

async fn prepare(
    store: &Store,
    path: &Path,
    text: &str,
    now: OffsetDateTime,
) -> Result<(&'static str, Resolver), OwnershipError> {
    let (syntax, ownership) = compile(path, text)?;
    store.add_scan_targets_as_assets(now).await?;
    let known: Vec<String> = store.teams().await?.into_iter().map(|team| team.name).collect();
    Ok((syntax, Resolver::new(ownership, store.people().await?, known)))
}

/// Decides every stored asset and hands each change, with its decision, to `each`.
async fn decide_all(
    store: &Store,
    syntax: &'static str,
    resolver: &Resolver,
    mut each: impl FnMut(OwnershipChange, Resolution),
) -> Result<OwnershipPlan, OwnershipError> {
    let (mut assets, mut changed, mut unowned) = (0, 0, 0);
    store
        .each_asset(&AssetFilter::default(), |asset| {
            assets += 1;
            let resolution = resolver.resolve(&asset, None);
            let after = resolver.decided(&resolution);
            if after.team.is_none() {
                unowned += 1;
            }
            let before = AssetOwnership { version: None, ..asset.ownership.clone() };
            if before != after {
                changed += 1;
                let name = asset.display_name().to_owned();
                each(
                    OwnershipChange { asset_id: asset.id, asset: asset.asset, name, before, after },
                    resolution,
                );
            }
            Ok::<(), StoreError>(())
        })
        .await?;
    let unknown_teams = resolver.unknown_teams();
    Ok(OwnershipPlan {
        syntax,
        rules: resolver.ownership.rules().len(),
        assets,
        changed,
        unowned,
        unknown_teams,
    })
}

/// Owns the assets that arrived since the rules in force were applied (first seen in a scan
/// or an inventory), by those rules, as `rapport owners apply` would; assets already decided
/// keep their decision. Returns how many were decided; none when no rules were ever applied.
pub async fn own_new_assets(store: &Store, now: OffsetDateTime) -> Result<usize, OwnershipError> {
    let Some(version) = store.ownership_versions().await?.pop() else { return Ok(0) };
    let name = PathBuf::from(format!("ownership version {}", version.id));
    let (_, resolver) = prepare(store, &name, &version.content, now).await?;
    let mut decided = Vec::new();
    let undecided = AssetFilter { unowned_only: true, ..AssetFilter::default() };
    store
        .each_asset(&undecided, |asset| {
            if asset.ownership.version.is_none() {
                decided.push((asset.id, resolver.decided(&resolver.resolve(&asset, None))));
            }
            Ok::<(), StoreError>(())
        })
        .await?;
    Ok(store.own_new_assets(version.id, &decided).await?)
}

/// Applies the file at `path` as the new version: every asset's owner, criticality and
/// exposure are decided again, changes are written with the version (and go to `each`),
/// and the file is kept in the history. Returns the version number.
pub async fn apply_ownership(
    store: &Store,
    path: &Path,
    now: OffsetDateTime,
    each: impl FnMut(OwnershipChange),
) -> Result<(i64, OwnershipPlan), OwnershipError> {
    let text = read_file(path)?;
    let in_force = store.ownership_versions().await?.last().map(|version| version.id);
    apply_text(store, path, &text, in_force, now, each).await
}

/// Applies `text` (named `name` in errors) as the new version, as [`apply_ownership`] does,
/// unless another version than `in_force` was applied meanwhile.
pub(crate) async fn apply_text(
    store: &Store,
    name: &Path,
    text: &str,
    in_force: Option<i64>,
    now: OffsetDateTime,
    mut each: impl FnMut(OwnershipChange),
) -> Result<(i64, OwnershipPlan), OwnershipError> {
    let (syntax, resolver) = prepare(store, name, text, now).await?;
    // Decisions are kept as rule numbers; their words are written a chunk at a time.
    let mut decisions: Vec<(i64, Resolution)> = Vec::new();
    let plan = decide_all(store, syntax, &resolver, |change, resolution| {
        decisions.push((change.asset_id, resolution));
        each(change);
    })
    .await?;
    let changes = decisions.into_iter().map(|(id, resolution)| (id, resolver.decided(&resolution)));
    let version =
        store.record_ownership(text, plan.syntax, plan.rules, changes, now, in_force).await?.ok_or_else(
            || Refusal::conflict("another ownership version was applied meanwhile: read it, then try again"),
        )?;
    tracing::info!(version, changed = plan.changed, "applied ownership");
    Ok((version, plan))
}

/// Why an asset (or a file inside it) is owned as it is, under the version in use.
#[derive(Debug)]
pub struct Explanation {
    pub asset: AssetRecord,
    pub path: Option<String>,
    /// The version in use; `None` when no ownership file was ever applied.
    pub version: Option<OwnershipVersion>,
    /// Every rule that matches, in file order, with how it is named and what it decides.
    pub matching: Vec<MatchingRule>,
    pub decided: AssetOwnership,
}

#[derive(Debug)]
pub struct MatchingRule {
    pub label: String,
    pub decides: Vec<String>,
    pub conditions: String,
}

pub async fn explain_ownership(
    store: &Store,
    name: &str,
    path: Option<&str>,
    now: OffsetDateTime,
) -> Result<Vec<Explanation>, OwnershipError> {
    store.add_scan_targets_as_assets(now).await?;
    let assets = store.assets(&AssetFilter { name: Some(name.to_owned()), ..AssetFilter::default() }).await?;
    if assets.is_empty() {
        return Err(OwnershipError::UnknownAsset(name.to_owned()));
    }
    let version = store.ownership_versions().await?.pop();
    let resolver = match &version {
        Some(version) => {
            let (_, spec) = parse_ownership(&version.content).map_err(|e| OwnershipError::Stored {
                version: version.id,
                cause: RuleError { number: 0, label: "the file".into(), message: e.to_string() },
            })?;
            let ownership = Ownership::compile(spec)
                .map_err(|cause| OwnershipError::Stored { version: version.id, cause })?;
            Some(Resolver::new(ownership, store.people().await?, Vec::new()))
        }
        None => None,
    };
    let mut explanations = Vec::new();
    for asset in assets {
        let (matching, decided) = match &resolver {
            Some(resolver) => {
                let facts = asset_facts(&asset, path);
                let matching = resolver
                    .ownership
                    .matching(&facts)
                    .into_iter()
                    .map(|rule| describe(resolver, rule, facts.device_user))
                    .collect();
                (matching, resolver.decided(&resolver.resolve(&asset, path)))
            }
            None => (Vec::new(), AssetOwnership::default()),
        };
        explanations.push(Explanation {
            asset,
            path: path.map(str::to_owned),
            version: version.clone(),
            matching,
            decided,
        });
    }
    Ok(explanations)
}

fn describe(resolver: &Resolver, rule: usize, device_user: Option<&str>) -> MatchingRule {
    let ownership = &resolver.ownership;
    let spec = ownership.rules().get(rule);
    let mut decides = Vec::new();
    if let Some(spec) = spec {
        if let Some(team) = &spec.team {
            decides.push(format!("owner {team}"));
        }
        if spec.team_of_device_user {
            let team = device_user
                .and_then(|user| resolver.team_of_user.get(&user.to_lowercase()).map(|t| (user, t)));
            decides.push(match team {
                Some((user, team)) => format!("owner: the team of the device's user ({user} is in {team})"),
                None => {
                    "owner: the team of the device's user (who is in no known team, so the next rule decides)"
                        .into()
                }
            });
        }
        if let Some(criticality) = spec.criticality {
            decides.push(format!("criticality {}", criticality.as_str()));
        }
        if let Some(exposure) = spec.exposure {
            decides.push(format!("exposure {}", exposure.as_str()));
        }
    }
    let conditions = spec.map(|spec| spec.conditions.describe()).unwrap_or_default();
    let conditions = if conditions.is_empty() { "everything".into() } else { conditions.join(" and ") };
    MatchingRule { label: ownership.rule_label(rule), decides, conditions }
}
