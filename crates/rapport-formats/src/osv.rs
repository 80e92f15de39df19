//! OSV records (https://ossf.github.io/osv-schema/), as OSV-Scanner and govulncheck embed
//! them and as OSV databases publish them: what the vulnerability is, which package versions
//! it affects and where it is fixed.

use std::io::BufRead;

use rapport_core::{AffectedPackage as AffectedRange, Cvss, Finding, VulnId, VulnRecord, parse_cwe};
use serde::Deserialize;

use crate::ParseError;
use crate::intel::{IntelItem, IntelSink, IntelSummary, parse_timestamp};
use crate::json::JsonReader;

#[derive(Deserialize)]
pub(crate) struct OsvRecord {
    pub id: String,
    #[serde(default)]
    aliases: Vec<String>,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
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
    ecosystem: Option<String>,
    name: Option<String>,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Range {
    #[serde(rename = "type")]
    kind: Option<String>,
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

impl OsvRecord {
    /// The record as intel: what a finding joins through its aliases.
    fn to_record(&self) -> VulnRecord {
        let mut record = VulnRecord::new(VulnId::new(&self.id), "osv");
        for alias in &self.aliases {
            record.add_alias(alias);
        }
        record.modified = self.modified.as_deref().and_then(parse_timestamp);
        record.published = self.published.as_deref().and_then(parse_timestamp);
        record.withdrawn = self.withdrawn.is_some();
        record.title = self.summary.clone();
        record.description = self.details.clone();
        for entry in self.severity.iter().filter(|entry| entry.kind.starts_with("CVSS")) {
            record.cvss.push(Cvss::from_vector(&entry.score, None, Some("osv")));
        }
        record.references = self.references.iter().map(|reference| reference.url.clone()).collect();
        let specific = self.database_specific.as_ref();
        let cwes = specific.and_then(|s| s.get("cwe_ids")).and_then(|c| c.as_array());
        record.cwes = cwes.into_iter().flatten().filter_map(|c| c.as_str()).filter_map(parse_cwe).collect();
        for affected in &self.affected {
            let Some(package) = affected.package.as_ref() else { continue };
            record.affected.push(AffectedRange {
                ecosystem: package.ecosystem.clone(),
                name: package.name.clone().unwrap_or_default(),
                purl: package.purl.clone(),
                ranges: affected.events().collect(),
                fixed: affected.fixed_versions().map(str::to_owned).collect(),
            });
        }
        record
    }
}

/// OSV records from a database: one record, an array of them, or an API answer's `vulns`.
pub(crate) fn parse_feed<R: BufRead>(input: R, sink: &mut IntelSink<'_>) -> Result<IntelSummary, ParseError> {
    let mut json = JsonReader::new(input);
    let mut items = 0;
    if json.peek()? == Some(b'[') {
        json.array("an array of OSV records", |json| {
            let record: OsvRecord = json.value()?;
            items += 1;
            sink(IntelItem::Record(Box::new(record.to_record())))?;
            Ok(())
        })?;
    } else {
        // A record or an API answer: which one shows only in the keys, so the object is read
        // whole (records are small) and looked at.
        let value: serde_json::Value = json.value()?;
        let records = match value.get("vulns") {
            Some(vulns) if value.get("id").is_none() => vulns.as_array().cloned().unwrap_or_default(),
            _ => vec![value],
        };
        for value in records {
            let record: OsvRecord = serde_json::from_value(value)
                .map_err(|error| json.invalid(format!("not an OSV record: {error}")))?;
            items += 1;
            sink(IntelItem::Record(Box::new(record.to_record())))?;
        }
    }
    json.end()?;
    Ok(IntelSummary { edition: None, items })
}

impl Affected {
    /// Each range's events in order, as words: "introduced 0", "fixed 1.2.3".
    fn events(&self) -> impl Iterator<Item = String> + '_ {
        self.ranges.iter().flat_map(|range| {
            let kind = range.kind.as_deref().unwrap_or("");
            range.events.iter().flat_map(move |event| {
                event.iter().map(move |(name, value)| {
                    let value = value.as_str().unwrap_or_default();
                    if kind.is_empty() {
                        format!("{name} {value}")
                    } else {
                        format!("{name} {value} ({kind})")
                    }
                })
            })
        })
    }

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
