//! Grype JSON. Grype writes the scanned `source` and its own `descriptor` *after* the
//! matches, so the file is read twice: a quick pass that skips the matches to learn the
//! target, then a streaming pass over the matches. Memory stays flat either way.

use std::io::{BufRead, Seek, SeekFrom};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;

use crate::json::{JsonReader, number};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    mut input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let start = input.stream_position()?;
    let header = read_header(JsonReader::new(&mut input))?;
    input.seek(SeekFrom::Start(start))?;
    let target = header
        .source
        .map(|s| s.into_target())
        .unwrap_or_else(|| Target { kind: TargetKind::Other, name: context.fallback_target.clone() });
    let tool = Tool { name: "grype".into(), version: header.descriptor.and_then(|d| d.version) };
    let scanned = vec![Scope { tool: tool.clone(), target: target.clone() }];
    let mut json = JsonReader::new(input);
    json.object("a Grype report object", |json, key| match key {
        "matches" => json.array("an array of matches", |json| {
            Ok(sink(json.value::<Match>()?.into_finding(&tool, &target))?)
        }),
        _ => json.skip(),
    })?;
    json.end()?;
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

/// The first pass: everything but the matches, which are only skipped (one at a time, so
/// memory stays flat).
fn read_header<R: BufRead>(mut json: JsonReader<R>) -> Result<Header, ParseError> {
    let mut header = Header::default();
    let mut saw_matches = false;
    json.object("a Grype report object", |json, key| {
        match key {
            "source" => header.source = json.value()?,
            "descriptor" => header.descriptor = json.value()?,
            "matches" => {
                saw_matches = true;
                json.array("an array of matches", |json| json.skip())?;
            }
            _ => json.skip()?,
        }
        Ok(())
    })?;
    if !saw_matches {
        return Err(json.invalid("a Grype report needs a `matches` array, and this one has none"));
    }
    json.end()?;
    Ok(header)
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
    let mut title = crate::leading_chars(sentence, 160).to_owned();
    if title.len() < sentence.len() {
        title.push('…');
    }
    title
}
