//! Rapport's domain model: what a scanner found, how it is identified and how serious the
//! scanner says it is.
//!
//! This crate is pure: no I/O, no async runtime, no clock. Time, randomness and ids are
//! parameters. Everything above it (formats, storage, ingest, the binary) speaks these types.

mod cvss;
mod finding;
mod fingerprint;
mod severity;
mod vuln_id;

pub use cvss::{Cvss, CvssVersion};
pub use finding::{Component, Finding, FindingKind, Location, Scope, Status, Target, TargetKind, Tool};
pub use fingerprint::{Fingerprint, ScopeKey};
pub use severity::Severity;
pub use vuln_id::{VulnId, VulnIdKind, parse_cwe};
