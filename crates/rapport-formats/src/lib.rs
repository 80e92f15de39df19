//! Streaming parsers for scanner output, one module per format, all producing
//! [`rapport_core::Finding`]s.
//!
//! API boundary: [`detect`] names a file's format from its first bytes, and [`parse`] reads
//! it and pushes each finding into a caller-supplied sink as soon as it is read; VEX
//! documents (OpenVEX, CSAF) are read by [`parse_vex`] into statements instead. No parser
//! builds the whole document in memory: memory stays flat whatever the file size (what is
//! kept is bounded by one record, plus the per-document context a format needs, such as
//! SARIF rules or CycloneDX components).

mod campaign_file;
mod csaf;
mod csv_table;
mod cve5;
mod cyclonedx;
mod dependency_check;
mod detect;
mod directory;
mod epss;
mod error;
mod follow_through_file;
mod github;
mod gitlab;
mod govulncheck;
mod grype;
mod incident_file;
mod intel;
mod inventory;
mod json;
mod kev;
mod nessus;
mod npm_audit;
mod nvd;
mod openvas;
mod openvex;
mod osv;
mod osv_scanner;
mod ownership_file;
mod policy_file;
mod qualys;
mod sarif;
mod snyk;
mod stix;
mod stix_pattern;
mod tree_file;
mod trivy;
mod xml;

use std::io::{BufRead, Seek};

use rapport_core::{Finding, Scope, VexStatement};

pub use campaign_file::{DEFAULT_CAMPAIGNS, parse_campaign};
pub use detect::{ALL_FORMATS, DETECT_PREFIX_LEN, DetectError, Format, bom_len, detect};
pub use directory::{DirectoryFormat, detect_directory, parse_directory};
pub use error::{ParseError, Position};
pub use follow_through_file::{MAX_RELEASE_FEED_BYTES, parse_follow_through, parse_release_feed};
pub use incident_file::parse_incident;
pub use intel::{
    IntelFormat, IntelItem, IntelSink, IntelSummary, detect_intel, is_gzip, is_zip, parse_intel,
};
pub use inventory::{DeviceSink, InventoryFormat, detect_inventory, parse_inventory};
pub use ownership_file::{OwnershipSyntax, parse_ownership, with_rules_first};
pub use policy_file::{DEFAULT_POLICY, defaulted_sections, parse_policy};
pub use stix::{StixBundle, StixSink, parse_stix_bundle};
pub use stix_pattern::{
    Comparison, Literal, Operator, PatternError, Step, Value as PatternValue, parse_pattern,
};
pub use tree_file::{DEFAULT_TREE, parse_tree};

/// What the parser cannot learn from the file itself.
#[derive(Clone, Debug)]
pub struct ScanContext {
    /// The target name to use when a file does not say what was scanned (a SARIF log with
    /// no repository, a Trivy report with an empty artifact name): the `--source` label
    /// when given, else the file name.
    pub fallback_target: String,
}

/// The sink asked the parser to stop (the storage side failed or was cancelled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop;

/// Receives findings one by one, in file order.
pub type Sink<'a> = dyn FnMut(Finding) -> Result<(), Stop> + 'a;

/// Receives VEX statements one by one, in file order.
pub type VexSink<'a> = dyn FnMut(VexStatement) -> Result<(), Stop> + 'a;

/// Reads `input` as `format` and pushes every finding into `sink`. Returns the scopes (tool
/// and target) the file says were scanned, including those where nothing was found, so that
/// a clean rescan can close what was fixed.
///
/// `input` must be positioned at the first byte of the document (after any byte-order
/// mark); formats that need two passes (Grype puts the scanned target after the matches)
/// seek back to that position.
pub fn parse<R: BufRead + Seek>(
    format: Format,
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    match format {
        Format::Trivy => trivy::parse(input, context, sink),
        Format::Grype => grype::parse(input, context, sink),
        Format::Sarif => sarif::parse(input, context, sink),
        Format::CycloneDxJson => cyclonedx::parse_json(input, context, sink),
        Format::CycloneDxXml => cyclonedx::parse_xml(input, context, sink),
        Format::OsvScanner => osv_scanner::parse(input, context, sink),
        Format::NessusXml => nessus::parse_xml(input, context, sink),
        Format::NessusCsv => nessus::parse_csv(input, context, sink),
        Format::Snyk => snyk::parse(input, context, sink),
        Format::Govulncheck => govulncheck::parse(input, context, sink),
        Format::NpmAudit => npm_audit::parse(input, context, sink),
        Format::GitlabDependencyScanning => gitlab::parse(input, context, sink),
        Format::GithubAlerts => github::parse(input, context, sink),
        Format::DependencyCheck => dependency_check::parse(input, context, sink),
        Format::OpenVasXml => openvas::parse_xml(input, context, sink),
        Format::OpenVasCsv => openvas::parse_csv(input, context, sink),
        Format::QualysXml => qualys::parse_xml(input, context, sink),
        Format::QualysCsv => qualys::parse_csv(input, context, sink),
        Format::OpenVex | Format::Csaf => Err(ParseError::invalid(
            Position::Start,
            format!("a {format} document holds VEX statements about findings, not findings"),
        )),
    }
}

/// Reads a VEX document (a format for which [`Format::is_vex`] is true) and pushes every
/// statement into `sink`. `input` is positioned as for [`parse`].
pub fn parse_vex<R: BufRead + Seek>(
    format: Format,
    input: R,
    sink: &mut VexSink<'_>,
) -> Result<(), ParseError> {
    match format {
        Format::OpenVex => openvex::parse(input, sink),
        Format::Csaf => csaf::parse(input, sink),
        other => Err(ParseError::invalid(
            Position::Start,
            format!("a {other} file holds findings, not VEX statements"),
        )),
    }
}

/// The first `count` characters of `text` (all of it when shorter), without copying.
pub(crate) fn leading_chars(text: &str, count: usize) -> &str {
    match text.char_indices().nth(count) {
        Some((end, _)) => text.get(..end).unwrap_or(text),
        None => text,
    }
}
