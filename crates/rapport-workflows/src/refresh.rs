//! What follows new evidence (a scan, a VEX document, a feed): assets first seen in it are
//! owned by the rules in force, every open finding is decided again and the actions are
//! rebuilt, so ownership, decisions and plans never lag behind what was imported. The command line and the server both call [`refresh`] after an import, unless
//! told not to.
//!
//! Contract: on SQLite the million-row reads and writes inside step the database on the
//! calling thread, and the future is not `Send` (rust-lang/rust#100013, higher-ranked
//! lifetimes in the storage layer's bulk writers). A multi-threaded server runs it on a
//! blocking thread of its own; the command line's single-threaded runtime runs it directly.

use crate::assess::{AssessError, AssessReport, assess_findings};
use crate::ownership::{OwnershipError, own_new_assets};
use crate::plan::{BuildReport, PlanError, build_actions};
use rapport_storage::Store;
use time::OffsetDateTime;

/// What bringing decisions and plans up to date did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refreshed {
    /// New assets owned by the rules in force.
    pub owned: usize,
    pub assessed: AssessReport,
    pub built: BuildReport,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("owning new assets: {0}")]
    Ownership(#[from] OwnershipError),
    #[error("deciding: {0}")]
    Assess(#[from] AssessError),
    #[error("planning: {0}")]
    Plan(#[from] PlanError),
}

/// Owns new assets, decides every open finding again, then rebuilds the actions.
pub async fn refresh(store: &Store, now: OffsetDateTime) -> Result<Refreshed, RefreshError> {
    let owned = own_new_assets(store, now).await?;
    let assessed = assess_findings(store, now).await?;
    let built = build_actions(store, now).await?;
    Ok(Refreshed { owned, assessed, built })
}
