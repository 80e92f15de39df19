//! A finding split into what is stored: the sighting (one row per finding) and the advisory
//! it is a sighting of (stored once per distinct content). Built on the parser's thread so
//! the database thread only binds values.

use std::sync::OnceLock;

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Location, Severity, Status, Target, Tool, VexNote, VulnId,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A finding on its way into the database, with its identities computed. What only a new
/// finding needs (its JSON and advisory) is encoded when first needed, so a re-import does
/// not pay for it, or ahead on the sender's thread when the import expects new findings.
#[derive(Clone, Debug)]
pub struct FindingRow {
    pub fingerprint: [u8; 16],
    pub scope: [u8; 16],
    pub finding: Finding,
    encoded: OnceLock<EncodedRow>,
}

/// The stored form of a new finding.
#[derive(Clone, Debug)]
pub(crate) struct EncodedRow {
    pub vulnerability: String,
    pub component: Option<String>,
    /// JSON of the sighting's own parts.
    pub detail: String,
    /// Content key and JSON of the advisory.
    pub advisory_key: [u8; 16],
    pub advisory: String,
}

/// The parts of a finding that describe the vulnerability or rule, whoever found it where.
#[derive(Serialize, Deserialize)]
struct Advisory<'a> {
    ids: std::borrow::Cow<'a, [VulnId]>,
    title: std::borrow::Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    cvss: std::borrow::Cow<'a, [Cvss]>,
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    cwes: std::borrow::Cow<'a, [u32]>,
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    references: std::borrow::Cow<'a, [String]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    solution: Option<std::borrow::Cow<'a, str>>,
}

/// The parts of a finding that belong to this one sighting (its tool and target are its
/// scope's).
#[derive(Serialize, Deserialize)]
struct Sighting<'a> {
    kind: FindingKind,
    severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_severity: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evidence: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    component: Option<std::borrow::Cow<'a, Component>>,
    #[serde(default, skip_serializing_if = "Location::is_empty")]
    location: std::borrow::Cow<'a, Location>,
    #[serde(default)]
    status: std::borrow::Cow<'a, Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_fingerprint: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vex: Option<std::borrow::Cow<'a, VexNote>>,
}

/// PostgreSQL text cannot hold NUL, which some scanners emit (Grype purls); the JSON keeps
/// it escaped, the searchable columns show U+FFFD instead.
fn text(value: &str) -> String {
    if value.contains('\0') { value.replace('\0', "\u{fffd}") } else { value.to_owned() }
}

impl FindingRow {
    pub fn from_finding(finding: rapport_core::Finding) -> FindingRow {
        FindingRow {
            fingerprint: finding.fingerprint().0,
            scope: finding.scope().0,
            finding,
            encoded: OnceLock::new(),
        }
    }

    /// Encodes the stored form now, on the caller's thread.
    pub fn encode_ahead(&self) {
        self.encoded();
    }

    pub(crate) fn encoded(&self) -> &EncodedRow {
        self.encoded.get_or_init(|| self.encode())
    }

    /// The scope's tool and target, stored once per scope rather than per finding.
    pub(crate) fn scope_of(&self) -> rapport_core::Scope {
        rapport_core::Scope {
            tool: Tool {
                name: text(&self.finding.tool.name),
                version: self.finding.tool.version.as_deref().map(text),
            },
            target: Target { kind: self.finding.target.kind, name: text(&self.finding.target.name) },
        }
    }

    fn encode(&self) -> EncodedRow {
        use std::borrow::Cow::Borrowed;
        let finding = &self.finding;
        let advisory = Advisory {
            ids: Borrowed(&finding.ids),
            title: Borrowed(&finding.title),
            description: finding.description.as_deref().map(Borrowed),
            cvss: Borrowed(&finding.cvss),
            cwes: Borrowed(&finding.cwes),
            references: Borrowed(&finding.references),
            solution: finding.solution.as_deref().map(Borrowed),
        };
        // Serialising plain data with string keys cannot fail.
        let advisory = serde_json::to_string(&advisory).unwrap_or_default();
        let component = finding.component.as_ref();
        EncodedRow {
            vulnerability: text(finding.display_id()),
            component: component.map(|c| text(c.purl.as_deref().unwrap_or(&c.name))),
            detail: detail_of(finding),
            advisory_key: content_key(&advisory),
            advisory,
        }
    }
}

/// JSON of the parts of a finding that belong to its sighting (the `detail` column).
pub(crate) fn detail_of(finding: &Finding) -> String {
    use std::borrow::Cow::Borrowed;
    let sighting = Sighting {
        kind: finding.kind,
        severity: finding.severity,
        tool_severity: finding.tool_severity.as_deref().map(Borrowed),
        evidence: finding.evidence.as_deref().map(Borrowed),
        component: finding.component.as_ref().map(Borrowed),
        location: Borrowed(&finding.location),
        status: Borrowed(&finding.status),
        tool_fingerprint: finding.tool_fingerprint.as_deref().map(Borrowed),
        vex: finding.vex.as_ref().map(Borrowed),
    };
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string(&sighting).unwrap_or_default()
}

pub(crate) fn content_key(json: &str) -> [u8; 16] {
    let digest = Sha256::digest(json.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    key
}

/// Puts a finding back together from its stored sighting, advisory and scope.
pub(crate) fn assemble(
    detail: &str,
    advisory: &str,
    tool: Tool,
    target: Target,
) -> Result<Finding, serde_json::Error> {
    let sighting: Sighting<'_> = serde_json::from_str(detail)?;
    let advisory: Advisory<'_> = serde_json::from_str(advisory)?;
    Ok(Finding {
        tool,
        target,
        kind: sighting.kind,
        ids: advisory.ids.into_owned(),
        title: advisory.title.into_owned(),
        description: advisory.description.map(|d| d.into_owned()),
        evidence: sighting.evidence.map(|e| e.into_owned()),
        severity: sighting.severity,
        tool_severity: sighting.tool_severity.map(|s| s.into_owned()),
        cvss: advisory.cvss.into_owned(),
        cwes: advisory.cwes.into_owned(),
        component: sighting.component.map(|c| c.into_owned()),
        location: sighting.location.into_owned(),
        references: advisory.references.into_owned(),
        solution: advisory.solution.map(|s| s.into_owned()),
        status: sighting.status.into_owned(),
        tool_fingerprint: sighting.tool_fingerprint.map(|s| s.into_owned()),
        vex: sighting.vex.map(|v| v.into_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::TargetKind;

    #[test]
    fn a_finding_survives_the_split() {
        let mut finding = Finding::new(
            Tool { name: "grype".into(), version: Some("0.80".into()) },
            Target { kind: TargetKind::ContainerImage, name: "img".into() },
            FindingKind::Vulnerability,
            VulnId::new("GHSA-xxxx"),
        );
        finding.add_id("CVE-2024-1");
        finding.description = Some("text".into());
        finding.cvss.push(Cvss::from_vector(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            None,
            Some("nvd"),
        ));
        finding.status = Status::NotAffected { justification: Some("code_not_reachable".into()) };
        let row = FindingRow::from_finding(finding.clone());
        let scope = row.scope_of();
        let encoded = row.encode();
        let assembled = assemble(&encoded.detail, &encoded.advisory, scope.tool, scope.target);
        assert_eq!(assembled.unwrap(), finding);
    }

    #[test]
    fn the_same_advisory_text_has_the_same_key_wherever_it_is_found() {
        let a = Finding::new(
            Tool { name: "trivy".into(), version: None },
            Target { kind: TargetKind::ContainerImage, name: "a".into() },
            FindingKind::Vulnerability,
            VulnId::new("CVE-2024-1"),
        );
        let mut b = a.clone();
        b.target.name = "b".into();
        let (a, b) = (FindingRow::from_finding(a), FindingRow::from_finding(b));
        assert_eq!(a.encode().advisory_key, b.encode().advisory_key);
        assert_ne!(a.fingerprint, b.fingerprint);
    }
}
