//! A finding flattened into the columns it is stored in. Built on the parser's thread so the
//! database thread only binds values.

use rapport_core::Finding;

#[derive(Clone, Debug)]
pub struct FindingRow {
    pub fingerprint: [u8; 16],
    pub scope: [u8; 16],
    pub tool: String,
    pub target_kind: &'static str,
    pub target: String,
    pub kind: &'static str,
    pub vulnerability: String,
    pub component: Option<String>,
    pub installed_version: Option<String>,
    pub fixed_version: Option<String>,
    pub location: Option<String>,
    pub severity: i16,
    pub status: &'static str,
    pub title: String,
    /// The whole finding as JSON, so that nothing the scanner said is lost.
    pub detail: String,
}

/// PostgreSQL text cannot hold NUL, which some scanners emit (Grype purls); the full JSON
/// detail keeps it escaped, the searchable columns show U+FFFD instead.
fn text(value: &str) -> String {
    if value.contains('\0') {
        value.replace('\0', "\u{fffd}")
    } else {
        value.to_owned()
    }
}

impl FindingRow {
    pub fn from_finding(finding: &Finding) -> FindingRow {
        let component = finding.component.as_ref();
        let location = finding.location.to_string();
        FindingRow {
            fingerprint: finding.fingerprint().0,
            scope: finding.scope().0,
            tool: text(&finding.tool.name),
            target_kind: finding.target.kind.as_str(),
            target: text(&finding.target.name),
            kind: finding.kind.as_str(),
            vulnerability: text(finding.display_id()),
            component: component.map(|c| text(c.purl.as_deref().unwrap_or(&c.name))),
            installed_version: component
                .and_then(|c| c.installed_version.as_deref())
                .map(text),
            fixed_version: component.and_then(|c| c.fixed_version.as_deref()).map(text),
            location: (!location.is_empty()).then(|| text(&location)),
            severity: finding.severity.rank(),
            status: finding.status.as_str(),
            title: text(&finding.title),
            // Serialising plain data with string keys cannot fail.
            detail: serde_json::to_string(finding).unwrap_or_default(),
        }
    }
}
