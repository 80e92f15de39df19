//! Rapport's domain model: what a scanner found, how it is identified, how serious the
//! scanner says it is, and what suppliers' VEX statements say about it.
//!
//! This crate is pure: no I/O, no async runtime, no clock. Time, randomness and ids are
//! parameters. Everything above it (formats, storage, ingest, the binary) speaks these types.

mod cvss;
mod finding;
mod fingerprint;
mod severity;
mod vex;
mod vuln_id;

pub use cvss::{Cvss, CvssVersion};
pub use finding::{Component, Finding, FindingKind, Location, Scope, Status, Target, TargetKind, Tool};
pub use fingerprint::{Fingerprint, ScopeKey};
pub use severity::Severity;
pub use vex::{VexIndex, VexNote, VexProduct, VexSource, VexStatement, VexStatus};
pub use vuln_id::{VulnId, VulnIdKind, parse_cwe};
