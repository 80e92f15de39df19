//! Grype JSON. Grype writes the scanned `source` and its own `descriptor` *after* the
//! matches, so the file is read twice: a quick pass that skips the matches to learn the
//! target, then a streaming pass over the matches. Memory stays flat either way.

use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, Seek, SeekFrom};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use crate::json::{EachItem, Emitter, ItemError, number, run, skip};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    mut input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let start = input.stream_position()?;
    let stopped = Cell::new(false);
    let header = run(&mut input, HeaderPass, &stopped)?;
    input.seek(SeekFrom::Start(start))?;
    let target = header
        .source
        .map(|s| s.into_target())
        .unwrap_or_else(|| Target { kind: TargetKind::Other, name: context.fallback_target.clone() });
    let tool = Tool { name: "grype".into(), version: header.descriptor.and_then(|d| d.version) };
    let scanned = vec![Scope { tool: tool.clone(), target: target.clone() }];
    let mut matches = MatchPass { emitter: Emitter::new(sink, &stopped), tool, target };
    run(input, &mut matches, &stopped)?;
    Ok(scanned)
}

#[derive(Default)]
struct Header {
    source: Option<Source>,
    descriptor: Option<Descriptor>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(rename = "type")]
    kind: Option<String>,
    target: Option<serde_json::Value>,
}

impl Source {
    fn into_target(self) -> Target {
        let kind = match self.kind.as_deref() {
            Some("image") => TargetKind::ContainerImage,
            Some("directory" | "file") => TargetKind::Filesystem,
            _ => TargetKind::Other,
        };
        let name = match self.target {
            Some(serde_json::Value::String(path)) => path,
            Some(serde_json::Value::Object(image)) => {
                image.get("userInput").and_then(|v| v.as_str()).unwrap_or_default().to_owned()
            }
            _ => String::new(),
        };
        Target { kind, name }
    }
}

#[derive(Deserialize)]
struct Descriptor {
    version: Option<String>,
}

struct HeaderPass;

impl<'de> DeserializeSeed<'de> for HeaderPass {
    type Value = Header;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Header, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderPass {
    type Value = Header;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Grype report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut header = Header::default();
        let mut saw_matches = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "source" => header.source = map.next_value()?,
                "descriptor" => header.descriptor = map.next_value()?,
                "matches" => {
                    saw_matches = true;
                    skip(&mut map)?;
                }
                _ => skip(&mut map)?,
            }
        }
        if !saw_matches {
            return Err(de::Error::missing_field("matches"));
        }
        Ok(header)
    }
}

struct MatchPass<'s, 'a> {
    emitter: Emitter<'s, 'a>,
    tool: Tool,
    target: Target,
}

impl<'de> DeserializeSeed<'de> for &mut MatchPass<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut MatchPass<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Grype report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key != "matches" {
                skip(&mut map)?;
                continue;
            }
            let (tool, target, emitter) = (&self.tool, &self.target, &mut self.emitter);
            let mut each = |m: Match| {
                emitter
                    .emit::<de::value::Error>(m.into_finding(tool, target))
                    .map_err(|e| ItemError(e.to_string()))
            };
            map.next_value_seed(EachItem::new(&mut each))?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Match {
    vulnerability: Vulnerability,
    #[serde(default)]
    related_vulnerabilities: Vec<Vulnerability>,
    artifact: Artifact,
}

#[derive(Deserialize)]
struct Vulnerability {
    id: String,
    #[serde(rename = "dataSource")]
    data_source: Option<String>,
    namespace: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
    description: Option<String>,
    #[serde(default)]
    cvss: Vec<CvssEntry>,
    fix: Option<Fix>,
    #[serde(default)]
    cwes: Vec<CweEntry>,
}

#[derive(Deserialize)]
struct CvssEntry {
    source: Option<String>,
    vector: Option<String>,
    metrics: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Fix {
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct CweEntry {
    cwe: Option<String>,
}

#[derive(Deserialize)]
struct Artifact {
    name: String,
    version: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    locations: Vec<ArtifactLocation>,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct ArtifactLocation {
    path: Option<String>,
}

impl Match {
    fn into_finding(self, tool: &Tool, target: &Target) -> Finding {
        let vulnerability = self.vulnerability;
        let mut finding = Finding::new(
            tool.clone(),
            target.clone(),
            FindingKind::Vulnerability,
            VulnId::new(&vulnerability.id),
        );
        finding.location.path = self.artifact.locations.into_iter().find_map(|l| l.path);
        finding.component = Some(Component {
            name: self.artifact.name,
            purl: self.artifact.purl.filter(|p| !p.is_empty()),
            ecosystem: self.artifact.kind,
            installed_version: self.artifact.version,
            fixed_version: vulnerability.fix.as_ref().and_then(|f| f.versions.first().cloned()),
        });
        finding.description = vulnerability.description.clone();
        for related in std::iter::once(&vulnerability).chain(&self.related_vulnerabilities) {
            finding.add_id(&related.id);
            add_details(&mut finding, related);
            if finding.description.is_none() {
                finding.description = related.description.clone();
            }
        }
        finding.title = match &finding.description {
            Some(description) => first_sentence(description),
            None => finding.display_id().to_owned(),
        };
        finding.set_severity(vulnerability.severity.as_deref());
        if let Some(namespace) = vulnerability.namespace {
            finding.tool_severity = finding.tool_severity.map(|word| format!("{word} ({namespace})"));
        }
        finding
    }
}

fn add_details(finding: &mut Finding, vulnerability: &Vulnerability) {
    for entry in &vulnerability.cvss {
        let score = entry.metrics.as_ref().and_then(|m| m.get("baseScore")).and_then(number);
        if let Some(vector) = &entry.vector {
            let source = entry.source.as_deref().or(vulnerability.namespace.as_deref());
            finding.cvss.push(Cvss::from_vector(vector, score, source));
        }
    }
    for url in vulnerability.data_source.iter().chain(&vulnerability.urls) {
        finding.add_reference(url);
    }
    for cwe in vulnerability.cwes.iter().filter_map(|c| c.cwe.as_deref()).filter_map(parse_cwe) {
        finding.add_cwe(cwe);
    }
}

/// Grype has no titles; the first sentence of the description serves.
fn first_sentence(text: &str) -> String {
    let sentence = text.split_inclusive(". ").next().unwrap_or(text).trim();
    let mut title: String = sentence.chars().take(160).collect();
    if title.len() < sentence.len() {
        title.push('…');
    }
    title
}
