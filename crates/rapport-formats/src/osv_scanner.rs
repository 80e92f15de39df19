//! OSV-Scanner JSON: results per scanned source (a lockfile, an SBOM, a git checkout),
//! packages in each, and full OSV records for each package's vulnerabilities.

use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, Seek};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::json::{EachItem, Emitter, ItemError, run, skip};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let stopped = Cell::new(false);
    let mut report = Report { emitter: Emitter::new(sink, &stopped), scanned: Vec::new() };
    run(input, &mut report, &stopped)?;
    Ok(report.scanned)
}

struct Report<'s, 'a> {
    emitter: Emitter<'s, 'a>,
    scanned: Vec<Scope>,
}

impl<'de> DeserializeSeed<'de> for &mut Report<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Report<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OSV-Scanner report object with `results`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_results = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "results" {
                saw_results = true;
                map.next_value_seed(Results { report: self })?;
            } else {
                skip(&mut map)?;
            }
        }
        if !saw_results {
            return Err(de::Error::missing_field("results"));
        }
        Ok(())
    }
}

struct Results<'r, 's, 'a> {
    report: &'r mut Report<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for Results<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Results<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of results")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(SourceResult { report: &mut *self.report })?.is_some() {}
        Ok(())
    }
}

struct SourceResult<'r, 's, 'a> {
    report: &'r mut Report<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for SourceResult<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

#[derive(Deserialize)]
struct Source {
    path: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl<'de> Visitor<'de> for SourceResult<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result with `source` and `packages`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut source: Option<Source> = None;
        // OSV-Scanner writes `source` first; packages met before it wait for it.
        let mut held: Vec<Package> = Vec::new();
        let tool = Tool { name: "osv-scanner".into(), version: None };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "source" => source = Some(map.next_value()?),
                "packages" => {
                    let emitter = &mut self.report.emitter;
                    let mut each = |package: Package| -> Result<(), ItemError> {
                        match &source {
                            Some(source) => emit_package(emitter, &tool, source, package),
                            None => {
                                held.push(package);
                                Ok(())
                            }
                        }
                    };
                    map.next_value_seed(EachItem::new(&mut each))?;
                }
                _ => skip(&mut map)?,
            }
        }
        let source = source.ok_or_else(|| de::Error::missing_field("source"))?;
        self.report.scanned.push(Scope { tool: tool.clone(), target: source_target(&source) });
        for package in held {
            emit_package(&mut self.report.emitter, &tool, &source, package)
                .map_err(|e| de::Error::custom(e.0))?;
        }
        Ok(())
    }
}

fn emit_package(
    emitter: &mut Emitter<'_, '_>,
    tool: &Tool,
    source: &Source,
    package: Package,
) -> Result<(), ItemError> {
    let target = source_target(source);
    for vulnerability in &package.vulnerabilities {
        let finding = vulnerability.to_finding(tool, &target, &package.package);
        emitter.emit::<de::value::Error>(finding).map_err(|e| ItemError(e.to_string()))?;
    }
    Ok(())
}

fn source_target(source: &Source) -> Target {
    let kind = match source.kind.as_deref() {
        Some("git") => TargetKind::Repository,
        _ => TargetKind::Filesystem,
    };
    Target { kind, name: source.path.clone() }
}

#[derive(Deserialize)]
struct Package {
    package: PackageInfo,
    #[serde(default)]
    vulnerabilities: Vec<OsvRecord>,
}

#[derive(Deserialize)]
struct PackageInfo {
    name: String,
    version: Option<String>,
    ecosystem: Option<String>,
}

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
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
struct Affected {
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
    fn to_finding(&self, tool: &Tool, target: &Target, package: &PackageInfo) -> Finding {
        let mut finding =
            Finding::new(tool.clone(), target.clone(), FindingKind::Vulnerability, VulnId::new(&self.id));
        for alias in &self.aliases {
            finding.add_id(alias);
        }
        let affected = self
            .affected
            .iter()
            .find(|a| a.package.as_ref().and_then(|p| p.name.as_deref()) == Some(package.name.as_str()));
        finding.component = Some(Component {
            name: package.name.clone(),
            purl: affected.and_then(|a| a.package.as_ref()).and_then(|p| p.purl.clone()),
            ecosystem: package.ecosystem.clone(),
            installed_version: package.version.clone(),
            fixed_version: affected.and_then(first_fixed),
        });
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
        finding
    }
}

fn first_fixed(affected: &Affected) -> Option<String> {
    affected
        .ranges
        .iter()
        .flat_map(|range| &range.events)
        .find_map(|event| event.get("fixed").and_then(|v| v.as_str()).map(str::to_owned))
}
