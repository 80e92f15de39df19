//! Trivy JSON: `SchemaVersion` 2 reports (image, filesystem, repository), the legacy
//! top-level array, and Kubernetes cluster reports; vulnerabilities, misconfigurations
//! and secrets.

use std::collections::BTreeMap;
use std::io::{BufRead, Seek};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Status, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;

use crate::json::{JsonReader, Text};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut json = JsonReader::new(input);
    let mut report = Report {
        sink,
        fallback_target: &context.fallback_target,
        target: None,
        tool_version: None,
        scanned: Vec::new(),
    };
    if json.peek()? == Some(b'[') {
        // The legacy form: a bare array of results.
        let target = report.target();
        report.results(&mut json, &target)?;
    } else {
        report.read(&mut json)?;
    }
    json.end()?;
    Ok(report.scanned)
}

struct Report<'s, 'a> {
    sink: &'s mut Sink<'a>,
    fallback_target: &'s str,
    target: Option<Target>,
    tool_version: Option<String>,
    scanned: Vec<Scope>,
}

impl Report<'_, '_> {
    fn scope(&self, target: &Target) -> Scope {
        Scope {
            tool: Tool { name: "trivy".into(), version: self.tool_version.clone() },
            target: target.clone(),
        }
    }

    fn target(&self) -> Target {
        self.target
            .clone()
            .unwrap_or_else(|| Target { kind: TargetKind::Filesystem, name: self.fallback_target.to_owned() })
    }

    fn read<R: BufRead>(&mut self, json: &mut JsonReader<R>) -> Result<(), ParseError> {
        let mut artifact_type = None;
        let mut saw_results = false;
        json.object(
            "a Trivy report (an object with Results, or the legacy array of results)",
            |json, key| {
                match key {
                    "ArtifactName" => {
                        let name: String = json.value()?;
                        if !name.is_empty() {
                            self.target =
                                Some(Target { kind: artifact_kind(artifact_type.as_deref()), name });
                        }
                    }
                    "ArtifactType" => {
                        let kind: String = json.value()?;
                        if let Some(target) = self.target.as_mut() {
                            target.kind = artifact_kind(Some(&kind));
                        }
                        artifact_type = Some(kind);
                    }
                    "ClusterName" => {
                        let name: String = json.value()?;
                        self.target = Some(Target { kind: TargetKind::KubernetesResource, name });
                    }
                    "Trivy" => self.tool_version = json.value::<TrivyVersion>()?.version,
                    "Results" => {
                        saw_results = true;
                        let target = self.target();
                        self.results(json, &target)?;
                    }
                    "Vulnerabilities" | "Misconfigurations" | "Resources" => {
                        saw_results = true;
                        json.array("an array of Kubernetes resources", |json| self.resource(json))?;
                    }
                    _ => json.skip()?,
                }
                Ok(())
            },
        )?;
        if !saw_results {
            return Err(
                json.invalid("a Trivy report needs a `Results` array (or `Resources` for a cluster report)")
            );
        }
        Ok(())
    }

    fn results<R: BufRead>(&mut self, json: &mut JsonReader<R>, target: &Target) -> Result<(), ParseError> {
        let scope = self.scope(target);
        self.scanned.push(scope);
        json.array("an array of results", |json| self.result(json, target))
    }

    /// Kubernetes reports: resources (namespace, kind, name), each with its own results.
    fn resource<R: BufRead>(&mut self, json: &mut JsonReader<R>) -> Result<(), ParseError> {
        let mut parts: BTreeMap<&'static str, String> = BTreeMap::new();
        json.object("a Kubernetes resource object", |json, key| {
            let slot = match key {
                "Namespace" => "1",
                "Kind" => "2",
                "Name" => "3",
                "Results" => {
                    let cluster = self.target().name;
                    let resource: Vec<&str> = parts.values().map(String::as_str).collect();
                    let target = Target {
                        kind: TargetKind::KubernetesResource,
                        name: format!("{cluster}/{}", resource.join("/")),
                    };
                    return self.results(json, &target);
                }
                _ => return json.skip(),
            };
            parts.insert(slot, json.value::<Option<String>>()?.unwrap_or_default());
            Ok(())
        })
    }

    fn result<R: BufRead>(&mut self, json: &mut JsonReader<R>, target: &Target) -> Result<(), ParseError> {
        let mut header = ResultHeader::default();
        // Trivy writes Target, Class and Type before the lists; if a hand-edited file does
        // not, the findings of this one result are held until the end of the result.
        let mut held: Vec<Finding> = Vec::new();
        let tool = Tool { name: "trivy".into(), version: self.tool_version.clone() };
        let sink = &mut *self.sink;
        json.object("a result object with Target and Vulnerabilities", |json, key| {
            let list = match key {
                "Target" => return json.value().map(|t| header.target = t),
                "Class" => return json.value().map(|c| header.class = c),
                "Type" => return json.value().map(|k| header.kind = k),
                "Vulnerabilities" => List::Vulnerabilities,
                "Misconfigurations" => List::Misconfigurations,
                "Secrets" => List::Secrets,
                _ => return json.skip(),
            };
            let ready = header.target.is_some();
            let context = (&tool, target, &header);
            json.array("an array of findings", |json| {
                let Some(finding) = list.read(json, context)? else { return Ok(()) };
                if ready {
                    sink(finding)?;
                } else {
                    held.push(finding);
                }
                Ok(())
            })
        })?;
        for mut finding in held {
            finding.location.path = header.target.clone();
            (self.sink)(finding)?;
        }
        Ok(())
    }
}

/// The lists of findings a result holds.
#[derive(Clone, Copy)]
enum List {
    Vulnerabilities,
    Misconfigurations,
    Secrets,
}

impl List {
    fn read<R: BufRead>(
        self,
        json: &mut JsonReader<R>,
        context: Context<'_>,
    ) -> Result<Option<Finding>, ParseError> {
        Ok(match self {
            List::Vulnerabilities => Some(json.value::<Vulnerability>()?.into_finding(context)),
            List::Misconfigurations => json.value::<Misconfiguration>()?.into_finding(context),
            List::Secrets => Some(json.value::<Secret>()?.into_finding(context)),
        })
    }
}

/// What a result says about all its findings.
#[derive(Default)]
struct ResultHeader {
    target: Option<String>,
    class: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
struct TrivyVersion {
    #[serde(rename = "Version")]
    version: Option<String>,
}

fn artifact_kind(artifact_type: Option<&str>) -> TargetKind {
    match artifact_type {
        Some("container_image") => TargetKind::ContainerImage,
        Some("repository") => TargetKind::Repository,
        Some("filesystem") => TargetKind::Filesystem,
        _ => TargetKind::Other,
    }
}

type Context<'c> = (&'c Tool, &'c Target, &'c ResultHeader);

fn new_finding(context: Context<'_>, kind: FindingKind, id: &str) -> Finding {
    let (tool, target, header) = context;
    let mut finding = Finding::new(tool.clone(), target.clone(), kind, VulnId::new(id));
    finding.location.path = header.target.clone();
    finding
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: String,
    #[serde(rename = "VendorIDs", default)]
    vendor_ids: Vec<String>,
    pkg_name: Option<String>,
    pkg_path: Option<String>,
    pkg_identifier: Option<PkgIdentifier>,
    installed_version: Option<String>,
    fixed_version: Option<String>,
    status: Option<String>,
    #[serde(rename = "PrimaryURL")]
    primary_url: Option<String>,
    title: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    severity_source: Option<String>,
    #[serde(rename = "CweIDs", default)]
    cwe_ids: Option<Vec<String>>,
    #[serde(rename = "CVSS", default)]
    cvss: Option<BTreeMap<String, CvssEntry>>,
    references: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct PkgIdentifier {
    #[serde(rename = "PURL")]
    purl: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CvssEntry {
    v2_vector: Option<String>,
    v3_vector: Option<String>,
    v40_vector: Option<String>,
    v2_score: Option<f64>,
    v3_score: Option<f64>,
    v40_score: Option<f64>,
}

impl Vulnerability {
    fn into_finding(self, context: Context<'_>) -> Finding {
        let mut finding = new_finding(context, FindingKind::Vulnerability, &self.vulnerability_id);
        for id in &self.vendor_ids {
            finding.add_id(id);
        }
        if let Some(path) = self.pkg_path.filter(|p| !p.is_empty()) {
            finding.location.path = Some(path);
        }
        finding.component = self.pkg_name.map(|name| Component {
            name,
            purl: self.pkg_identifier.and_then(|p| p.purl),
            ecosystem: context.2.kind.clone(),
            installed_version: self.installed_version,
            fixed_version: self.fixed_version.filter(|v| !v.is_empty()),
        });
        for (source, entry) in self.cvss.unwrap_or_default() {
            let vectors = [
                (entry.v2_vector, entry.v2_score),
                (entry.v3_vector, entry.v3_score),
                (entry.v40_vector, entry.v40_score),
            ];
            for (vector, score) in vectors {
                match (vector, score) {
                    (Some(vector), score) => {
                        finding.cvss.push(Cvss::from_vector(&vector, score, Some(&source)))
                    }
                    (None, Some(score)) => finding.cvss.push(Cvss::score_only(None, score, Some(&source))),
                    (None, None) => {}
                }
            }
        }
        for cwe in self.cwe_ids.unwrap_or_default() {
            if let Some(cwe) = parse_cwe(&cwe) {
                finding.add_cwe(cwe);
            }
        }
        if let Some(url) = &self.primary_url {
            finding.add_reference(url);
        }
        for url in self.references.unwrap_or_default() {
            finding.add_reference(&url);
        }
        finding.title = self.title.unwrap_or_else(|| finding.display_id().to_owned());
        finding.description = self.description;
        finding.set_severity(self.severity.as_deref());
        if let Some(source) = self.severity_source {
            finding.tool_severity = finding.tool_severity.map(|word| format!("{word} ({source})"));
        }
        finding.status = vex_status(self.status.as_deref());
        finding
    }
}

/// Trivy's package status: `not_affected` comes from VEX documents Trivy applied.
fn vex_status(status: Option<&str>) -> Status {
    match status {
        Some("not_affected") => Status::NotAffected { justification: None },
        Some("under_investigation") => Status::UnderInvestigation,
        _ => Status::Affected,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Misconfiguration {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "AVDID")]
    avd_id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    message: Option<String>,
    resolution: Option<String>,
    severity: Option<String>,
    #[serde(rename = "PrimaryURL")]
    primary_url: Option<String>,
    references: Option<Vec<String>>,
    status: Option<String>,
    cause_metadata: Option<CauseMetadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CauseMetadata {
    resource: Option<String>,
    start_line: Option<u32>,
    end_line: Option<u32>,
}

impl Misconfiguration {
    /// Passed checks (present with `--include-non-failures`) are not findings.
    fn into_finding(self, context: Context<'_>) -> Option<Finding> {
        if self.status.as_deref() == Some("PASS") {
            return None;
        }
        let mut finding = new_finding(context, FindingKind::Misconfiguration, &self.id);
        if let Some(avd_id) = &self.avd_id {
            finding.add_id(avd_id);
        }
        finding.title = self.title.unwrap_or_else(|| self.id.clone());
        finding.description = self.description;
        finding.evidence = self.message;
        finding.solution = self.resolution;
        if let Some(cause) = self.cause_metadata {
            finding.location.line = cause.start_line.filter(|l| *l > 0);
            finding.location.end_line = cause.end_line.filter(|l| *l > 0);
            if let Some(resource) = cause.resource.filter(|r| !r.is_empty()) {
                finding.location.service = Some(resource);
            }
        }
        for url in self.primary_url.into_iter().chain(self.references.unwrap_or_default()) {
            finding.add_reference(&url);
        }
        finding.set_severity(self.severity.as_deref());
        if self.status.as_deref() == Some("EXCEPTION") {
            finding.status = Status::Suppressed { kind: "trivy exception".into(), justification: None };
        }
        Some(finding)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Secret {
    #[serde(rename = "RuleID")]
    rule_id: String,
    category: Option<Text>,
    title: Option<String>,
    severity: Option<String>,
    start_line: Option<u32>,
    end_line: Option<u32>,
}

impl Secret {
    /// The matched text is deliberately not kept: it is the secret.
    fn into_finding(self, context: Context<'_>) -> Finding {
        let mut finding = new_finding(context, FindingKind::Secret, &self.rule_id);
        finding.title = self.title.unwrap_or_else(|| self.rule_id.clone());
        finding.description = self.category.map(|c| format!("Secret of category {}", c.0));
        finding.location.line = self.start_line;
        finding.location.end_line = self.end_line;
        finding.set_severity(self.severity.as_deref());
        finding
    }
}
