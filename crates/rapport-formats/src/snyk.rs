//! Snyk CLI JSON: `snyk test --json` (open source), `snyk container test --json` (with the
//! applications found inside the image) and `--all-projects` (an array of projects).
//!
//! Snyk writes each project's `vulnerabilities` before the fields that say what the project
//! is, so the file is read twice: a pass that skips the vulnerabilities to learn every
//! project's identity, then a streaming pass over them. Snyk lists a vulnerability once per
//! dependency path; those are one finding (same package, same place), seen again.

use std::io::{BufRead, Seek, SeekFrom};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Status, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;

use crate::json::JsonReader;
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    mut input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let start = input.stream_position()?;
    let projects = each_project(JsonReader::new(&mut input), |json, _| read_project(json))?;
    input.seek(SeekFrom::Start(start))?;
    let tool = Tool { name: "snyk".into(), version: None };
    let places: Vec<Place> = projects.iter().map(|p| p.place(context)).collect();
    each_project(JsonReader::new(input), |json, index| {
        let project = projects.get(index).zip(places.get(index));
        let (project, place) = project.ok_or_else(|| json.invalid("the file changed while being read"))?;
        stream_project(json, &tool, project, place, sink)
    })?;
    let mut scanned: Vec<Scope> = Vec::new();
    for place in places {
        let scope = Scope { tool: tool.clone(), target: place.target };
        if !scanned.contains(&scope) {
            scanned.push(scope);
        }
    }
    Ok(scanned)
}

/// Calls `each` on every project object of the document (one object, or an array of them)
/// and collects what it returns.
fn each_project<R: BufRead, T>(
    mut json: JsonReader<R>,
    mut each: impl FnMut(&mut JsonReader<R>, usize) -> Result<T, ParseError>,
) -> Result<Vec<T>, ParseError> {
    let mut results = Vec::new();
    if json.peek()? == Some(b'[') {
        json.array("an array of Snyk projects", |json| {
            results.push(each(json, results.len())?);
            Ok(())
        })?;
    } else {
        results.push(each(&mut json, 0)?);
    }
    json.end()?;
    Ok(results)
}

/// What the first pass learns of a project (or of an application inside an image).
#[derive(Default)]
struct Project {
    name: Option<String>,
    path: Option<String>,
    target_file: Option<String>,
    is_container: bool,
    applications: Vec<Project>,
}

/// Where a project's findings are: the scanned target and the manifest inside it.
struct Place {
    target: Target,
    manifest: Option<String>,
    applications: Vec<Place>,
}

impl Project {
    fn place(&self, context: &ScanContext) -> Place {
        let container =
            self.is_container || self.name.as_deref().is_some_and(|n| n.starts_with("docker-image|"));
        let target = if container {
            // The applications name the image as it was given; the image's own `path` may
            // carry the project name after it.
            let image = self.applications.iter().find_map(|app| app.path.clone());
            let name = image.or_else(|| self.path.clone()).or_else(|| self.name.clone());
            Target {
                kind: TargetKind::ContainerImage,
                name: name.unwrap_or_else(|| context.fallback_target.clone()),
            }
        } else {
            let name = self.path.clone().or_else(|| self.name.clone());
            Target {
                kind: TargetKind::Filesystem,
                name: name.unwrap_or_else(|| context.fallback_target.clone()),
            }
        };
        let applications = self
            .applications
            .iter()
            .map(|app| Place {
                target: target.clone(),
                manifest: app.target_file.clone(),
                applications: Vec::new(),
            })
            .collect();
        let manifest = if container { None } else { self.target_file.clone() };
        Place { target, manifest, applications }
    }
}

fn read_project<R: BufRead>(json: &mut JsonReader<R>) -> Result<Project, ParseError> {
    let mut project = Project::default();
    let mut saw_vulnerabilities = false;
    let mut display_file: Option<String> = None;
    json.object("a Snyk project object with `vulnerabilities`", |json, key| {
        match key {
            "vulnerabilities" => {
                saw_vulnerabilities = true;
                json.array("an array of vulnerabilities", |json| json.skip())?;
            }
            "projectName" => project.name = json.value()?,
            "path" => project.path = json.value()?,
            "displayTargetFile" => display_file = json.value()?,
            "targetFile" => project.target_file = json.value()?,
            "docker" => {
                project.is_container = true;
                json.skip()?;
            }
            "applications" => json.array("an array of applications", |json| {
                project.applications.push(read_project(json)?);
                Ok(())
            })?,
            _ => json.skip()?,
        }
        Ok(())
    })?;
    if !saw_vulnerabilities {
        return Err(json.invalid("a Snyk project needs a `vulnerabilities` array, and this one has none"));
    }
    if display_file.is_some() {
        project.target_file = display_file;
    }
    Ok(project)
}

fn stream_project<R: BufRead>(
    json: &mut JsonReader<R>,
    tool: &Tool,
    project: &Project,
    place: &Place,
    sink: &mut Sink<'_>,
) -> Result<(), ParseError> {
    let mut application = 0;
    json.object("a Snyk project object", |json, key| match key {
        "vulnerabilities" => json.array("an array of vulnerabilities", |json| {
            let vulnerability: Vulnerability = json.value()?;
            Ok(sink(vulnerability.into_finding(tool, place, Status::Affected))?)
        }),
        "filtered" => json.object("the `filtered` object", |json, key| match key {
            // Ignored vulnerabilities are kept, marked as ignored with Snyk's reason.
            "ignore" => json.array("an array of ignored vulnerabilities", |json| {
                let vulnerability: Vulnerability = json.value()?;
                let status = vulnerability.ignore_status();
                Ok(sink(vulnerability.into_finding(tool, place, status))?)
            }),
            _ => json.skip(),
        }),
        "applications" => json.array("an array of applications", |json| {
            let inner = project.applications.get(application).zip(place.applications.get(application));
            let (inner, inner_place) =
                inner.ok_or_else(|| json.invalid("the file changed while being read"))?;
            application += 1;
            stream_project(json, tool, inner, inner_place, sink)
        }),
        _ => json.skip(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerability {
    id: String,
    title: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    severity_with_critical: Option<String>,
    #[serde(rename = "CVSSv3")]
    cvss_v3: Option<String>,
    cvss_score: Option<f64>,
    #[serde(default)]
    cvss_details: Vec<CvssDetail>,
    #[serde(default)]
    identifiers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    alternative_ids: Vec<String>,
    package_name: Option<String>,
    name: Option<String>,
    version: Option<String>,
    package_manager: Option<String>,
    #[serde(default)]
    fixed_in: Vec<String>,
    nearest_fixed_in_version: Option<String>,
    #[serde(default)]
    from: Vec<String>,
    #[serde(default)]
    upgrade_path: Vec<serde_json::Value>,
    #[serde(default)]
    references: Vec<Reference>,
    filtered: Option<Filtered>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssDetail {
    assigner: Option<String>,
    cvss_v3_vector: Option<String>,
    cvss_v3_base_score: Option<f64>,
}

#[derive(Deserialize)]
struct Reference {
    url: Option<String>,
}

#[derive(Deserialize)]
struct Filtered {
    #[serde(default)]
    ignored: Vec<Ignore>,
}

#[derive(Deserialize)]
struct Ignore {
    reason: Option<String>,
}

impl Vulnerability {
    fn ignore_status(&self) -> Status {
        let reason = self.filtered.as_ref().and_then(|f| f.ignored.iter().find_map(|i| i.reason.clone()));
        Status::Suppressed { kind: "snyk ignore".into(), justification: reason.filter(|r| !r.is_empty()) }
    }

    fn into_finding(self, tool: &Tool, place: &Place, status: Status) -> Finding {
        let mut finding = Finding::new(
            tool.clone(),
            place.target.clone(),
            FindingKind::Vulnerability,
            VulnId::new(&self.id),
        );
        for (kind, values) in &self.identifiers {
            let values = values.as_array().map(Vec::as_slice).unwrap_or_default();
            for value in values {
                let text = match value {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                match kind.as_str() {
                    "CWE" => parse_cwe(&text).into_iter().for_each(|cwe| finding.add_cwe(cwe)),
                    // Node Security Project numbers are npm advisory numbers.
                    "NSP" => finding.add_id(&format!("NPM-{text}")),
                    _ => finding.add_id(&text),
                }
            }
        }
        for id in &self.alternative_ids {
            finding.add_id(id);
        }
        if let Some(title) = self.title.filter(|t| !t.trim().is_empty()) {
            finding.title = title;
        }
        finding.description = self.description;
        if let Some(vector) = self.cvss_v3.as_deref().filter(|v| !v.is_empty()) {
            finding.cvss.push(Cvss::from_vector(vector, self.cvss_score, Some("snyk")));
        }
        for detail in &self.cvss_details {
            if let Some(vector) = detail.cvss_v3_vector.as_deref().filter(|v| !v.is_empty()) {
                let source = detail.assigner.as_deref().map(str::to_ascii_lowercase);
                finding.cvss.push(Cvss::from_vector(vector, detail.cvss_v3_base_score, source.as_deref()));
            }
        }
        finding.set_severity(self.severity_with_critical.as_deref().or(self.severity.as_deref()));
        let name = self.package_name.or(self.name).unwrap_or_default();
        let fixed = self.nearest_fixed_in_version.or_else(|| self.fixed_in.into_iter().next());
        finding.component = Some(Component {
            name,
            purl: None,
            ecosystem: self.package_manager,
            installed_version: self.version,
            fixed_version: fixed,
        });
        finding.location.path = place.manifest.clone();
        // `upgradePath[1]` is the direct dependency to upgrade (`false` where none exists).
        let upgrade = self.upgrade_path.get(1).and_then(|step| step.as_str());
        finding.solution = upgrade.map(|step| match step.rsplit_once('@') {
            Some((package, version)) if !package.is_empty() => format!("Upgrade {package} to {version}"),
            _ => format!("Upgrade {step}"),
        });
        if self.from.len() > 1 {
            finding.evidence = Some(format!("Introduced through {}", self.from.join(" > ")));
        }
        for url in self.references.iter().filter_map(|r| r.url.as_deref()) {
            finding.add_reference(url);
        }
        finding.status = status;
        finding
    }
}
