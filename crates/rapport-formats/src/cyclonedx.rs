//! CycloneDX BOMs with vulnerabilities, in JSON and XML: the `vulnerabilities` section of
//! 1.4-1.6 with VEX `analysis`, and the 1.2-1.3 vulnerability extension nested in
//! components. A BOM without vulnerabilities is an import of zero findings.
//!
//! Components are kept in a map (bom-ref → package) while the document is read, since
//! vulnerabilities point at them; vulnerabilities are streamed.

use std::collections::HashMap;
use std::io::{BufRead, Seek};

use rapport_core::{Component, Cvss, Finding, FindingKind, Scope, Status, Target, TargetKind, Tool, VulnId};
use serde::Deserialize;

use crate::json::{JsonReader, Text, number};
use crate::xml::{Element, Step, XmlReader};
use crate::{ParseError, ScanContext, Sink, Stop};

/// What the BOM says about itself, and the packages vulnerabilities refer to.
struct Bom {
    tool: Tool,
    target: Target,
    components: HashMap<String, Component>,
}

impl Bom {
    fn new(context: &ScanContext) -> Bom {
        Bom {
            tool: Tool { name: "cyclonedx".into(), version: None },
            target: Target { kind: TargetKind::Product, name: context.fallback_target.clone() },
            components: HashMap::new(),
        }
    }

    fn scope(&self) -> Scope {
        Scope { tool: self.tool.clone(), target: self.target.clone() }
    }

    fn set_subject(&mut self, name: &str, kind: Option<&str>) {
        let kind = match kind {
            Some("container") => TargetKind::ContainerImage,
            Some("file") => TargetKind::Filesystem,
            _ => TargetKind::Product,
        };
        self.target = Target { kind, name: name.to_owned() };
    }

    fn set_tool(&mut self, name: &str, version: Option<&str>) {
        self.tool = Tool { name: name.to_owned(), version: version.map(str::to_owned) };
    }

    fn add_component(&mut self, reference: Option<&str>, component: Component) {
        let key = reference.map(str::to_owned).or(component.purl.clone());
        if let Some(key) = key {
            self.components.insert(key, component);
        }
    }

    /// One finding per affected component (a vulnerability can affect several).
    fn findings(&self, record: &VulnRecord) -> Vec<Finding> {
        if record.affects.is_empty() {
            return vec![self.finding(record, None)];
        }
        record.affects.iter().map(|reference| self.finding(record, Some(reference))).collect()
    }

    fn finding(&self, record: &VulnRecord, reference: Option<&str>) -> Finding {
        let mut finding = Finding::new(
            self.tool.clone(),
            self.target.clone(),
            FindingKind::Vulnerability,
            VulnId::new(&record.id),
        );
        for alias in &record.aliases {
            finding.add_id(alias);
        }
        finding.component = reference.map(|reference| {
            self.components.get(reference).cloned().unwrap_or_else(|| Component {
                name: reference.to_owned(),
                purl: reference.starts_with("pkg:").then(|| reference.to_owned()),
                ..Component::default()
            })
        });
        let mut severity_word = None;
        for rating in &record.ratings {
            severity_word = severity_word.or(rating.severity.as_deref());
            let source = rating.source.as_deref();
            match (&rating.vector, rating.score) {
                (Some(vector), score) => finding.cvss.push(Cvss::from_vector(
                    &prefixed(vector, rating.method.as_deref()),
                    score,
                    source,
                )),
                (None, Some(score)) if is_cvss(rating.method.as_deref()) => {
                    finding.cvss.push(Cvss::score_only(None, score, source))
                }
                _ => {}
            }
        }
        for cwe in &record.cwes {
            finding.add_cwe(*cwe);
        }
        for url in record.source_url.iter().chain(&record.advisories) {
            finding.add_reference(url);
        }
        finding.title = record
            .description
            .as_deref()
            .map(|d| crate::leading_chars(d.lines().next().unwrap_or(d), 200).to_owned())
            .unwrap_or_else(|| finding.display_id().to_owned());
        finding.description = match (&record.description, &record.detail) {
            (Some(description), Some(detail)) if description != detail => {
                Some(format!("{description}\n\n{detail}"))
            }
            (description, detail) => description.clone().or(detail.clone()),
        };
        finding.solution = record.recommendation.clone();
        finding.set_severity(severity_word);
        finding.status = record.status();
        finding
    }
}

fn is_cvss(method: Option<&str>) -> bool {
    method.is_some_and(|m| m.starts_with("CVSS"))
}

/// BOMs often give v3/v4 vectors without their `CVSS:3.x/` prefix and say the version in
/// `method` instead.
fn prefixed(vector: &str, method: Option<&str>) -> String {
    if vector.starts_with("CVSS:") {
        return vector.to_owned();
    }
    match method {
        Some("CVSSv3") => format!("CVSS:3.0/{vector}"),
        Some("CVSSv31") => format!("CVSS:3.1/{vector}"),
        Some("CVSSv4") => format!("CVSS:4.0/{vector}"),
        _ => vector.to_owned(),
    }
}

/// A vulnerability as either syntax states it.
#[derive(Default)]
struct VulnRecord {
    id: String,
    aliases: Vec<String>,
    source_url: Option<String>,
    ratings: Vec<Rating>,
    cwes: Vec<u32>,
    description: Option<String>,
    detail: Option<String>,
    recommendation: Option<String>,
    advisories: Vec<String>,
    affects: Vec<String>,
    analysis_state: Option<String>,
    analysis_justification: Option<String>,
}

struct Rating {
    source: Option<String>,
    score: Option<f64>,
    severity: Option<String>,
    method: Option<String>,
    vector: Option<String>,
}

impl VulnRecord {
    /// VEX analysis: what the BOM's author says about this vulnerability here.
    fn status(&self) -> Status {
        let justification = self.analysis_justification.clone();
        match self.analysis_state.as_deref() {
            Some("not_affected") => Status::NotAffected { justification },
            Some("resolved" | "resolved_with_pedigree") => {
                Status::NotAffected { justification: justification.or(Some("resolved".into())) }
            }
            Some("false_positive") => Status::Suppressed { kind: "vex false_positive".into(), justification },
            Some("in_triage") => Status::UnderInvestigation,
            _ => Status::Affected,
        }
    }
}

// ---------------------------------------------------------------- JSON

pub(crate) fn parse_json<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut json = JsonReader::new(input);
    let mut bom = Bom::new(context);
    // The specification puts metadata and components first; vulnerabilities met before
    // them wait until the end of the document.
    let mut held: Vec<JsonVulnerability> = Vec::new();
    let mut components_seen = false;
    json.object("a CycloneDX BOM object", |json, key| match key {
        "bomFormat" => {
            let format: String = json.value()?;
            if format == "CycloneDX" {
                Ok(())
            } else {
                Err(json.invalid(format!("bomFormat is {format:?}: expected \"CycloneDX\"")))
            }
        }
        "metadata" => {
            json.value::<JsonMetadata>()?.apply(&mut bom);
            Ok(())
        }
        "components" => {
            components_seen = true;
            json.array("an array of components", |json| {
                json.value::<JsonComponent>()?.register(&mut bom);
                Ok(())
            })
        }
        "vulnerabilities" => json.array("an array of vulnerabilities", |json| {
            let vulnerability: JsonVulnerability = json.value()?;
            if components_seen {
                emit_all(sink, &bom, &vulnerability.into_record())?;
            } else {
                held.push(vulnerability);
            }
            Ok(())
        }),
        _ => json.skip(),
    })?;
    json.end()?;
    for vulnerability in held {
        emit_all(sink, &bom, &vulnerability.into_record())?;
    }
    Ok(vec![bom.scope()])
}

#[derive(Deserialize)]
struct JsonMetadata {
    component: Option<JsonComponent>,
    tools: Option<serde_json::Value>,
}

impl JsonMetadata {
    fn apply(self, bom: &mut Bom) {
        if let Some(component) = self.component {
            bom.set_subject(&component.name, component.kind.as_deref());
        }
        // 1.4: an array of tools; 1.5+: {"components": [...], "services": [...]}.
        let tools = match &self.tools {
            Some(serde_json::Value::Array(tools)) => tools.first(),
            Some(serde_json::Value::Object(tools)) => {
                tools.get("components").and_then(|c| c.as_array()).and_then(|c| c.first())
            }
            _ => None,
        };
        if let Some(name) = tools.and_then(|t| t.get("name")).and_then(|n| n.as_str()) {
            let version = tools.and_then(|t| t.get("version")).and_then(|v| v.as_str());
            bom.set_tool(name, version);
        }
    }
}

#[derive(Deserialize)]
struct JsonComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    name: String,
    version: Option<Text>,
    purl: Option<String>,
    group: Option<String>,
    #[serde(default)]
    components: Vec<JsonComponent>,
}

impl JsonComponent {
    fn register(self, bom: &mut Bom) {
        let component = package(self.group.as_deref(), &self.name, self.version.map(|v| v.0), self.purl);
        bom.add_component(self.bom_ref.as_deref(), component);
        for child in self.components {
            child.register(bom);
        }
    }
}

fn package(group: Option<&str>, name: &str, version: Option<String>, purl: Option<String>) -> Component {
    let name = match group.filter(|g| !g.is_empty()) {
        Some(group) => format!("{group}/{name}"),
        None => name.to_owned(),
    };
    let ecosystem = purl
        .as_deref()
        .and_then(|p| p.strip_prefix("pkg:"))
        .and_then(|p| p.split('/').next())
        .map(str::to_owned);
    Component {
        name,
        purl,
        ecosystem,
        installed_version: version.filter(|v| !v.is_empty()),
        fixed_version: None,
    }
}

#[derive(Deserialize)]
struct JsonVulnerability {
    id: String,
    source: Option<JsonSource>,
    #[serde(default)]
    references: Vec<JsonReference>,
    #[serde(default)]
    ratings: Vec<JsonRating>,
    #[serde(default)]
    cwes: Vec<u32>,
    description: Option<String>,
    detail: Option<String>,
    recommendation: Option<String>,
    #[serde(default)]
    advisories: Vec<JsonAdvisory>,
    #[serde(default)]
    affects: Vec<JsonAffects>,
    analysis: Option<JsonAnalysis>,
}

#[derive(Deserialize)]
struct JsonSource {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct JsonReference {
    id: String,
}

#[derive(Deserialize)]
struct JsonRating {
    source: Option<JsonSource>,
    score: Option<serde_json::Value>,
    severity: Option<String>,
    method: Option<String>,
    vector: Option<String>,
}

#[derive(Deserialize)]
struct JsonAdvisory {
    url: Option<String>,
}

#[derive(Deserialize)]
struct JsonAffects {
    #[serde(rename = "ref")]
    reference: String,
}

#[derive(Deserialize)]
struct JsonAnalysis {
    state: Option<String>,
    justification: Option<String>,
    detail: Option<String>,
}

impl JsonVulnerability {
    fn into_record(self) -> VulnRecord {
        let analysis = self.analysis;
        VulnRecord {
            id: self.id,
            aliases: self.references.into_iter().map(|r| r.id).collect(),
            source_url: self.source.and_then(|s| s.url),
            ratings: self
                .ratings
                .into_iter()
                .map(|r| Rating {
                    source: r.source.and_then(|s| s.name),
                    score: r.score.as_ref().and_then(number),
                    severity: r.severity,
                    method: r.method,
                    vector: r.vector.filter(|v| !v.is_empty()),
                })
                .collect(),
            cwes: self.cwes,
            description: self.description,
            detail: self.detail,
            recommendation: self.recommendation,
            advisories: self.advisories.into_iter().filter_map(|a| a.url).collect(),
            affects: self.affects.into_iter().map(|a| a.reference).collect(),
            analysis_justification: analysis
                .as_ref()
                .and_then(|a| a.justification.clone().or(a.detail.clone())),
            analysis_state: analysis.and_then(|a| a.state),
        }
    }
}

// ---------------------------------------------------------------- XML

pub(crate) fn parse_xml<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut reader = XmlReader::new(input);
    let mut bom = Bom::new(context);
    loop {
        let (element, empty) = match reader.step()? {
            Step::Open { element, empty } => (element, empty),
            Step::Close => continue,
            Step::Eof => return Ok(vec![bom.scope()]),
        };
        let depth = reader.path.len() - usize::from(!empty);
        let parent = depth.checked_sub(1).and_then(|i| reader.path.get(i)).map(String::as_str);
        match (element.name.as_str(), parent) {
            ("bom", None) => {}
            (root, None) => {
                return Err(reader.invalid(format!("expected the root element <bom>, found <{root}>")));
            }
            ("metadata", Some("bom")) => {
                let metadata = reader.subtree(element, empty)?;
                apply_xml_metadata(&mut bom, &metadata);
            }
            ("component", Some("components")) => {
                let component = reader.subtree(element, empty)?;
                for record in register_xml_component(&mut bom, &component) {
                    emit_all(sink, &bom, &record).map_err(|_| ParseError::Stopped)?;
                }
            }
            ("vulnerability", Some("vulnerabilities")) => {
                let position = reader.position();
                let vulnerability = reader.subtree(element, empty)?;
                let record =
                    xml_vulnerability(&vulnerability, None).map_err(|m| ParseError::invalid(position, m))?;
                emit_all(sink, &bom, &record).map_err(|_| ParseError::Stopped)?;
            }
            _ => {}
        }
    }
}

fn emit_all(sink: &mut Sink<'_>, bom: &Bom, record: &VulnRecord) -> Result<(), Stop> {
    bom.findings(record).into_iter().try_for_each(sink)
}

fn apply_xml_metadata(bom: &mut Bom, metadata: &Element) {
    if let Some(component) = metadata.child("component")
        && let Some(name) = component.child_text("name")
    {
        bom.set_subject(name, component.attribute("type"));
    }
    let tools = metadata.child("tools");
    let tool =
        tools.and_then(|t| t.child("tool").or(t.child("components").and_then(|c| c.child("component"))));
    if let Some(name) = tool.and_then(|t| t.child_text("name")) {
        bom.set_tool(name, tool.and_then(|t| t.child_text("version")));
    }
}

/// Registers a component (and nested ones) and returns the vulnerabilities the 1.2-1.3
/// extension nests inside it.
fn register_xml_component(bom: &mut Bom, element: &Element) -> Vec<VulnRecord> {
    let purl = element.child_text("purl").map(str::to_owned);
    let version = element.child_text("version").map(str::to_owned);
    let name = element.child_text("name").unwrap_or_default();
    let reference = element.attribute("bom-ref").map(str::to_owned);
    let component = package(element.child_text("group"), name, version, purl);
    let key = reference.clone().or(component.purl.clone()).unwrap_or_else(|| component.name.clone());
    bom.add_component(Some(&key), component);
    let mut records: Vec<VulnRecord> = element
        .children_named("vulnerabilities")
        .flat_map(|list| list.children_named("vulnerability"))
        .filter_map(|v| xml_vulnerability(v, Some(&key)).ok())
        .collect();
    for nested in element.children_named("components").flat_map(|c| c.children_named("component")) {
        records.extend(register_xml_component(bom, nested));
    }
    records
}

/// Reads both the 1.4+ `<vulnerability>` and the 1.2-1.3 extension's `<v:vulnerability>`
/// (whose affected component is the one it is nested in).
fn xml_vulnerability(element: &Element, nested_in: Option<&str>) -> Result<VulnRecord, String> {
    let id = element.child_text("id").ok_or("a <vulnerability> without an <id>")?.to_owned();
    let ratings = element
        .child("ratings")
        .map(|r| r.children_named("rating").map(xml_rating).collect())
        .unwrap_or_default();
    let affects = match nested_in {
        Some(key) => vec![key.to_owned()],
        None => element
            .child("affects")
            .map(|a| {
                a.children_named("target").filter_map(|t| t.child_text("ref")).map(str::to_owned).collect()
            })
            .unwrap_or_default(),
    };
    let analysis = element.child("analysis");
    Ok(VulnRecord {
        id,
        aliases: element
            .child("references")
            .map(|r| {
                r.children_named("reference").filter_map(|r| r.child_text("id")).map(str::to_owned).collect()
            })
            .unwrap_or_default(),
        source_url: element.path_text(&["source", "url"]).map(str::to_owned),
        ratings,
        cwes: element
            .child("cwes")
            .map(|c| {
                c.children_named("cwe").filter_map(|c| c.text()).filter_map(rapport_core::parse_cwe).collect()
            })
            .unwrap_or_default(),
        description: element.child_text("description").map(str::to_owned),
        detail: element.child_text("detail").map(str::to_owned),
        recommendation: element
            .child_text("recommendation")
            .or(element.path_text(&["recommendations", "recommendation"]))
            .map(str::to_owned),
        advisories: element
            .child("advisories")
            .map(|a| {
                a.children_named("advisory")
                    .filter_map(|a| a.child_text("url").or(a.text()))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        affects,
        analysis_state: analysis.and_then(|a| a.child_text("state")).map(str::to_owned),
        analysis_justification: analysis
            .and_then(|a| a.child_text("justification").or(a.child_text("detail")))
            .map(str::to_owned),
    })
}

fn xml_rating(rating: &Element) -> Rating {
    let score = rating.child_text("score").or(rating.path_text(&["score", "base"]));
    Rating {
        source: rating.path_text(&["source", "name"]).map(str::to_owned),
        score: score.and_then(|s| s.parse().ok()),
        severity: rating.child_text("severity").map(str::to_owned),
        method: rating.child_text("method").map(str::to_owned),
        vector: rating.child_text("vector").map(str::to_owned),
    }
}
