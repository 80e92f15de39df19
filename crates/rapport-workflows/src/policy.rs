//! The policy's versions and their acknowledgements, and who someone is by the directory
//! alone (for the command line).

use rapport_core::{Audience, Policy, Principal, Refusal, Role, changed_terms};
use rapport_formats::{DEFAULT_POLICY, parse_policy};
use rapport_storage::{PolicyAck, Store, StoreError, StoredPolicy};
use time::OffsetDateTime;

use crate::plan::PlanError;

pub fn compile_policy(name: &str, text: &str) -> Result<Policy, PlanError> {
    let spec = parse_policy(text)
        .map_err(|error| PlanError::Policy { name: name.to_owned(), message: error.to_string() })?;
    Policy::compile(spec).map_err(|errors| PlanError::Policy {
        name: name.to_owned(),
        message: errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
    })
}

/// The policy in force: the latest applied, else the default (stored as version 1 the first
/// time it is used).
pub async fn current_policy(store: &Store, now: OffsetDateTime) -> Result<(Policy, StoredPolicy), PlanError> {
    let stored = match store.policies().await?.pop() {
        Some(stored) => stored,
        None => {
            let policy = compile_policy("default", DEFAULT_POLICY)?;
            let id = store.add_policy(&policy.spec.name, DEFAULT_POLICY, None, now).await?;
            StoredPolicy {
                id,
                name: policy.spec.name,
                content: DEFAULT_POLICY.to_owned(),
                applied_at: now,
                applied_by: None,
            }
        }
    };
    let policy = compile_policy(&format!("version {}", stored.id), &stored.content)?;
    Ok((policy, stored))
}

/// The policy in force, read without storing the default: for planning, which only reads it.
pub(crate) async fn policy_in_force(store: &Store) -> Result<Policy, PlanError> {
    match store.policies().await?.pop() {
        Some(stored) => compile_policy(&format!("version {}", stored.id), &stored.content),
        None => compile_policy("default", DEFAULT_POLICY),
    }
}

/// A policy applied: its version, whether it is new, and the difference from the previous
/// version (unified diff lines) that teams are asked to acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedPolicy {
    pub version: i64,
    pub new: bool,
    pub difference: String,
}

/// What applying `text` would do, checked whole but not stored: the version it would be, or
/// the version in force when it is that one already (`new` false), and the difference.
pub async fn preview_policy(store: &Store, file: &str, text: &str) -> Result<AppliedPolicy, PlanError> {
    compile_policy(file, text)?;
    let previous = store.policies().await?.pop();
    if let Some(current) = previous.as_ref().filter(|current| current.content == text) {
        return Ok(AppliedPolicy { version: current.id, new: false, difference: String::new() });
    }
    let version = previous.as_ref().map_or(1, |p| p.id + 1);
    Ok(AppliedPolicy { version, new: true, difference: difference(previous.as_ref(), text, version) })
}

/// The unified difference from the version in force to `text` as `version`.
fn difference(previous: Option<&StoredPolicy>, text: &str, version: i64) -> String {
    let old = previous.map_or("", |p| p.content.as_str());
    let old_name = previous.map_or_else(|| "none".to_owned(), |p| format!("version {}", p.id));
    similar::TextDiff::from_lines(old, text)
        .unified_diff()
        .context_radius(2)
        .header(&old_name, &format!("version {version}"))
        .to_string()
}

/// Stores `text` as the next policy version unless it is the one in force.
pub async fn apply_policy(
    store: &Store,
    file: &str,
    text: &str,
    by: Option<&str>,
    now: OffsetDateTime,
) -> Result<AppliedPolicy, PlanError> {
    let policy = compile_policy(file, text)?;
    let previous = store.policies().await?.pop();
    if let Some(current) = previous.as_ref().filter(|current| current.content == text) {
        return Ok(AppliedPolicy { version: current.id, new: false, difference: String::new() });
    }
    let version = store.add_policy(&policy.spec.name, text, by, now).await?;
    Ok(AppliedPolicy { version, new: true, difference: difference(previous.as_ref(), text, version) })
}

/// Records that `team` acknowledges the policy in force, by its manager.
pub async fn acknowledge_policy(
    store: &Store,
    team: &str,
    by: &Principal,
    now: OffsetDateTime,
) -> Result<(i64, bool), PlanError> {
    let (_, stored) = current_policy(store, now).await?;
    let team = known_team(store, team).await?;
    if !by.may_acknowledge_for_team(&team) {
        return Err(Refusal::forbidden(format!(
            "{} is not the manager of team {team:?}, so cannot acknowledge for it",
            by.email
        ))
        .into());
    }
    let added = store.acknowledge_policy(&team, stored.id, &by.email, now).await?;
    Ok((stored.id, added))
}

/// The policy in force as `team` reads it: its terms in sentences, the version the team last
/// acknowledged, and what changed since then, in the same sentences and as the file's
/// difference.
#[derive(Clone, Debug)]
pub struct TeamPolicy {
    pub team: String,
    pub stored: StoredPolicy,
    pub terms: Vec<String>,
    pub acknowledged: Option<PolicyAck>,
    /// Set when the team acknowledged an earlier version than the one in force.
    pub since_acknowledged: Option<PolicyChange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyChange {
    pub from_version: i64,
    /// Sentences the version in force has that the acknowledged one did not.
    pub added: Vec<String>,
    /// Sentences of the acknowledged version that no longer hold.
    pub removed: Vec<String>,
    /// The file's unified difference.
    pub difference: String,
}

pub async fn team_policy(store: &Store, team: &str, now: OffsetDateTime) -> Result<TeamPolicy, PlanError> {
    let (policy, stored) = current_policy(store, now).await?;
    let team = known_team(store, team).await?;
    let acknowledged =
        store.policy_acks().await?.into_iter().filter(|ack| ack.team == team).max_by_key(|ack| ack.policy);
    let terms = policy.terms_for(&team, now.date());
    let since_acknowledged = match &acknowledged {
        Some(ack) if ack.policy < stored.id => {
            let versions = store.policies().await?;
            let old = versions.iter().find(|version| version.id == ack.policy).ok_or_else(|| {
                PlanError::Policy {
                    name: format!("version {}", ack.policy),
                    message: "acknowledged by the team but no longer stored".into(),
                }
            })?;
            let old_terms =
                compile_policy(&format!("version {}", old.id), &old.content)?.terms_for(&team, now.date());
            let (added, removed) = changed_terms(&old_terms, &terms);
            Some(PolicyChange {
                from_version: old.id,
                added,
                removed,
                difference: difference(Some(old), &stored.content, stored.id),
            })
        }
        _ => None,
    };
    Ok(TeamPolicy { team, stored, terms, acknowledged, since_acknowledged })
}

/// The team named, as the directory spells it; `None` when the directory has no such team.
pub(crate) async fn directory_spelling(store: &Store, name: &str) -> Result<Option<String>, StoreError> {
    let teams = store.teams().await?;
    Ok(teams.into_iter().map(|team| team.name).find(|team| team.eq_ignore_ascii_case(name.trim())))
}

async fn known_team(store: &Store, name: &str) -> Result<String, PlanError> {
    let team = directory_spelling(store, name).await?;
    Ok(team.ok_or_else(|| {
        Refusal::not_found(format!("no team {name:?} in the directory (import a teams or people file first)"))
    })?)
}

/// Who `email` is to Rapport by the directory alone, for the command line: members of the
/// policy's security team are analysts; a team's managers and other members are its managers
/// and engineers; executives are executives; anyone else an end user.
pub async fn directory_principal(
    store: &Store,
    email: &str,
    now: OffsetDateTime,
) -> Result<Principal, PlanError> {
    let (policy, _) = current_policy(store, now).await?;
    let person = store
        .people()
        .await?
        .into_iter()
        .find(|person| person.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
        .ok_or_else(|| Refusal::not_found(format!("nobody with the email {email:?} is in the directory")))?;
    let security = person.team.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&policy.spec.security_team));
    let role = match (&person.team, person.audience) {
        _ if security => Role::SecurityAnalyst,
        (Some(_), Audience::Manager) => Role::TeamManager,
        (Some(_), _) => Role::TeamEngineer,
        (None, Audience::Executive) => Role::Executive,
        (None, _) => Role::EndUser,
    };
    Ok(Principal { email: email.to_lowercase(), role, team: person.team.filter(|_| role.needs_team()) })
}
