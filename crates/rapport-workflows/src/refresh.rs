//! What follows new evidence (a scan, a VEX document, a feed, an inventory): assets first
//! seen in it are owned by the rules in force, every open finding is decided again, the
//! actions are rebuilt, the hygiene campaigns see what devices now show, and new advisories
//! are drafted for whom they concern, so ownership, decisions, plans and nudges never lag behind what was imported. The command
//! line and the server both call [`refresh`] after an import, unless told not to. An import
//! records in its own transaction that a refresh is owed; [`resume_refresh`] catches up on
//! one a crash (or `--no-plan`) left owed, and the server calls it as it starts and with
//! every turn of its clock.
//!
//! Contract: on SQLite the million-row reads and writes inside step the database on the
//! calling thread, and the future is not `Send` (rust-lang/rust#100013, higher-ranked
//! lifetimes in the storage layer's bulk writers). A multi-threaded server runs it on a
//! blocking thread of its own; the command line's single-threaded runtime runs it directly.

use crate::assess::{AssessError, AssessReport, assess_findings};
use crate::campaigns::{CampaignReport, schedule_campaigns};
use crate::follow_through::{Drafted, draft_from_intel};
use crate::ownership::{OwnershipError, own_new_assets};
use crate::plan::{BuildReport, PlanError, build_actions};
use rapport_storage::{Store, StoreError};
use time::OffsetDateTime;

/// What bringing decisions and plans up to date did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refreshed {
    /// New assets owned by the rules in force.
    pub owned: usize,
    pub assessed: AssessReport,
    pub built: BuildReport,
    /// Who joined a campaign, was nudged or thanked, with the events recorded.
    pub campaigns: CampaignReport,
    /// The advisories newly imported intel brings, drafted (or sent, when automatic).
    pub follow_through: Drafted,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("owning new assets: {0}")]
    Ownership(#[from] OwnershipError),
    #[error("deciding: {0}")]
    Assess(#[from] AssessError),
    #[error("planning: {0}")]
    Plan(#[from] PlanError),
    #[error("recording the refresh: {0}")]
    Store(#[from] StoreError),
}

/// Owns new assets, decides every open finding again, then rebuilds the actions; then clears
/// what the imports before it recorded they were owed (not those that came in meanwhile).
pub async fn refresh(store: &Store, now: OffsetDateTime) -> Result<Refreshed, RefreshError> {
    let owed = store.awaiting_refresh().await?;
    let owned = own_new_assets(store, now).await?;
    let assessed = assess_findings(store, now).await?;
    let built = build_actions(store, now).await?;
    let campaigns = schedule_campaigns(store, now).await?;
    let follow_through = draft_from_intel(store, now).await?;
    if let Some(import) = owed {
        store.refreshed_through(import).await?;
    }
    Ok(Refreshed { owned, assessed, built, campaigns, follow_through })
}

/// Catches up on a refresh an import is owed (after a crash between an import's commit and
/// its refresh, or an import told not to plan); nothing when none is.
pub async fn resume_refresh(store: &Store, now: OffsetDateTime) -> Result<Option<Refreshed>, RefreshError> {
    if store.awaiting_refresh().await?.is_none() {
        return Ok(None);
    }
    refresh(store, now).await.map(Some)
}
