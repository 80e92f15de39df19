//! Trivy JSON: `SchemaVersion` 2 reports (image, filesystem, repository), the legacy
//! top-level array, and Kubernetes cluster reports; vulnerabilities, misconfigurations
//! and secrets.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, Seek};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Status, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::json::{EachItem, Emitter, ItemError, Text, run, skip};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let stopped = Cell::new(false);
    let mut report = Report {
        emitter: Emitter::new(sink, &stopped),
        fallback_target: &context.fallback_target,
        target: None,
        tool_version: None,
        scanned: Vec::new(),
    };
    run(input, &mut report, &stopped)?;
    Ok(report.scanned)
}

struct Report<'s, 'a> {
    emitter: Emitter<'s, 'a>,
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
}

impl<'de> DeserializeSeed<'de> for &mut Report<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Report<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Trivy report (an object with Results, or the legacy array of results)")
    }

    /// The legacy form: a bare array of results.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let target = self.target();
        self.scanned.push(self.scope(&target));
        while seq.next_element_seed(ResultSeed { report: self, target: &target })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut artifact_type = None;
        let mut saw_results = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "ArtifactName" => {
                    let name: String = map.next_value()?;
                    if !name.is_empty() {
                        self.target = Some(Target { kind: artifact_kind(artifact_type.as_deref()), name });
                    }
                }
                "ArtifactType" => {
                    let kind: String = map.next_value()?;
                    if let Some(target) = self.target.as_mut() {
                        target.kind = artifact_kind(Some(&kind));
                    }
                    artifact_type = Some(kind);
                }
                "ClusterName" => {
                    let name: String = map.next_value()?;
                    self.target = Some(Target { kind: TargetKind::KubernetesResource, name });
                }
                "Trivy" => {
                    let trivy: TrivyVersion = map.next_value()?;
                    self.tool_version = trivy.version;
                }
                "Results" => {
                    saw_results = true;
                    let target = self.target();
                    let mut seq = ResultList { report: self, target: &target };
                    map.next_value_seed(&mut seq)?;
                }
                "Vulnerabilities" | "Misconfigurations" | "Resources" => {
                    saw_results = true;
                    map.next_value_seed(ResourceList { report: self })?;
                }
                _ => skip(&mut map)?,
            }
        }
        if !saw_results {
            return Err(de::Error::custom(
                "a Trivy report needs a `Results` array (or `Resources` for a cluster report)",
            ));
        }
        Ok(())
    }
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

struct ResultList<'r, 's, 'a> {
    report: &'r mut Report<'s, 'a>,
    target: &'r Target,
}

impl<'de> DeserializeSeed<'de> for &mut ResultList<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut ResultList<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of results")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let scope = self.report.scope(self.target);
        self.report.scanned.push(scope);
        while seq.next_element_seed(ResultSeed { report: self.report, target: self.target })?.is_some() {}
        Ok(())
    }
}

/// Kubernetes reports: resources (namespace, kind, name), each with its own results.
struct ResourceList<'r, 's, 'a> {
    report: &'r mut Report<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for ResourceList<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResourceList<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of Kubernetes resources")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(ResourceSeed { report: &mut *self.report })?.is_some() {}
        Ok(())
    }
}

struct ResourceSeed<'r, 's, 'a> {
    report: &'r mut Report<'s, 'a>,
}

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes resource object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut parts: BTreeMap<&'static str, String> = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "Namespace" => "1",
                "Kind" => "2",
                "Name" => "3",
                "Results" => {
                    let cluster = self.report.target().name;
                    let resource: Vec<&str> = parts.values().map(String::as_str).collect();
                    let target = Target {
                        kind: TargetKind::KubernetesResource,
                        name: format!("{cluster}/{}", resource.join("/")),
                    };
                    let mut list = ResultList { report: self.report, target: &target };
                    map.next_value_seed(&mut list)?;
                    continue;
                }
                _ => {
                    skip(&mut map)?;
                    continue;
                }
            };
            parts.insert(slot, map.next_value::<Option<String>>()?.unwrap_or_default());
        }
        Ok(())
    }
}

struct ResultSeed<'r, 's, 'a> {
    report: &'r mut Report<'s, 'a>,
    target: &'r Target,
}

impl<'de> DeserializeSeed<'de> for ResultSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// What a result says about all its findings.
#[derive(Default)]
struct ResultHeader {
    target: Option<String>,
    class: Option<String>,
    kind: Option<String>,
}

impl<'de> Visitor<'de> for ResultSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a result object with Target and Vulnerabilities")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut header = ResultHeader::default();
        // Trivy writes Target, Class and Type before the lists; if a hand-edited file does
        // not, the findings of this one result are held until the end of the result.
        let mut held: Vec<Finding> = Vec::new();
        let tool = Tool { name: "trivy".into(), version: self.report.tool_version.clone() };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Target" => header.target = map.next_value()?,
                "Class" => header.class = map.next_value()?,
                "Type" => header.kind = map.next_value()?,
                "Vulnerabilities" | "Misconfigurations" | "Secrets" => {
                    let ready = header.target.is_some();
                    let mut handle = |finding: Finding| -> Result<(), ItemError> {
                        if ready {
                            self.report
                                .emitter
                                .emit::<de::value::Error>(finding)
                                .map_err(|e| ItemError(e.to_string()))
                        } else {
                            held.push(finding);
                            Ok(())
                        }
                    };
                    let context = (&tool, self.target, &header);
                    match key.as_str() {
                        "Vulnerabilities" => {
                            let mut each = |v: Vulnerability| handle(v.into_finding(context));
                            map.next_value_seed(EachItem::new(&mut each))?;
                        }
                        "Misconfigurations" => {
                            let mut each = |m: Misconfiguration| match m.into_finding(context) {
                                Some(finding) => handle(finding),
                                None => Ok(()),
                            };
                            map.next_value_seed(EachItem::new(&mut each))?;
                        }
                        _ => {
                            let mut each = |s: Secret| handle(s.into_finding(context));
                            map.next_value_seed(EachItem::new(&mut each))?;
                        }
                    }
                }
                _ => skip(&mut map)?,
            }
        }
        for mut finding in held {
            finding.location.path = header.target.clone();
            self.report.emitter.emit(finding)?;
        }
        Ok(())
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
