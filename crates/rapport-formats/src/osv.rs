//! OSV records (https://ossf.github.io/osv-schema/), as OSV-Scanner and govulncheck embed
//! them: what the vulnerability is, which package versions it affects and where it is fixed.

use rapport_core::{Cvss, Finding, parse_cwe};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct OsvRecord {
    pub id: String,
    #[serde(default)]
    aliases: Vec<String>,
    summary: Option<String>,
    details: Option<String>,
    #[serde(default)]
    affected: Vec<Affected>,
    #[serde(default)]
    severity: Vec<SeverityEntry>,
    #[serde(default)]
    references: Vec<Reference>,
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub(crate) struct Affected {
    package: Option<AffectedPackage>,
    #[serde(default)]
    ranges: Vec<Range>,
}

#[derive(Deserialize)]
struct AffectedPackage {
    name: Option<String>,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Range {
    #[serde(default)]
    events: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct SeverityEntry {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

impl OsvRecord {
    /// What the record says of `package` (its `affected` entry).
    pub fn affected(&self, package: &str) -> Option<&Affected> {
        self.affected.iter().find(|a| a.package.as_ref().and_then(|p| p.name.as_deref()) == Some(package))
    }

    /// Fills in what the record says of the vulnerability itself: aliases, title, text,
    /// scores, references, CWEs and severity.
    pub fn describe(&self, finding: &mut Finding) {
        for alias in &self.aliases {
            finding.add_id(alias);
        }
        finding.title = self.summary.clone().unwrap_or_else(|| finding.display_id().to_owned());
        finding.description = self.details.clone();
        for entry in &self.severity {
            if entry.kind.starts_with("CVSS") {
                finding.cvss.push(Cvss::from_vector(&entry.score, None, Some("osv")));
            }
        }
        for reference in &self.references {
            finding.add_reference(&reference.url);
        }
        let specific = self.database_specific.as_ref();
        let cwes = specific.and_then(|s| s.get("cwe_ids")).and_then(|c| c.as_array());
        for cwe in cwes.into_iter().flatten().filter_map(|c| c.as_str()).filter_map(parse_cwe) {
            finding.add_cwe(cwe);
        }
        let word = specific.and_then(|s| s.get("severity")).and_then(|s| s.as_str());
        finding.set_severity(word);
    }
}

impl Affected {
    pub fn purl(&self) -> Option<String> {
        self.package.as_ref().and_then(|p| p.purl.clone())
    }

    /// The `fixed` versions of every range, in the order the record lists them.
    pub fn fixed_versions(&self) -> impl Iterator<Item = &str> {
        self.ranges
            .iter()
            .flat_map(|range| &range.events)
            .filter_map(|event| event.get("fixed").and_then(|v| v.as_str()))
    }
}
