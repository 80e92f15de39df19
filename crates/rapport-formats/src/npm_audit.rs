//! `npm audit --json`: the v6 report (`advisories`, one entry per advisory with the installed
//! versions it was found at) and the v7+ report (`auditReportVersion` 2: `vulnerabilities`,
//! one entry per package whose `via` lists the advisories that affect it directly).
//!
//! One finding is one advisory on one package (v6: on one installed version). A v7 entry
//! that is only vulnerable through another package (a `via` naming a package, not an
//! advisory) is not a finding of its own: the advisory is counted once, on the package that
//! has it, and the upgrade that fixes it is that finding's solution.

use std::io::{BufRead, Seek};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;

use crate::json::{JsonReader, Text};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let tool = Tool { name: "npm-audit".into(), version: None };
    let target = Target { kind: TargetKind::Filesystem, name: context.fallback_target.clone() };
    let mut json = JsonReader::new(input);
    let mut saw_report = false;
    json.object("an npm audit report object", |json, key| match key {
        "advisories" => {
            saw_report = true;
            json.object("an object of advisories by id", |json, _| {
                let advisory: Advisory = json.value()?;
                for finding in advisory.findings(&tool, &target) {
                    sink(finding)?;
                }
                Ok(())
            })
        }
        "vulnerabilities" => {
            saw_report = true;
            json.object("an object of vulnerable packages by name", |json, _| {
                let package: Package = json.value()?;
                for finding in package.findings(&tool, &target) {
                    sink(finding)?;
                }
                Ok(())
            })
        }
        _ => json.skip(),
    })?;
    if !saw_report {
        return Err(json.invalid("an npm audit report needs `advisories` (v6) or `vulnerabilities` (v7+)"));
    }
    json.end()?;
    Ok(vec![Scope { tool, target }])
}

/// The id a finding is known by: the GitHub advisory when the report links one, else the
/// npm advisory number.
fn advisory_id(url: Option<&str>, github: Option<&str>, number: &str) -> String {
    let from_url = url.and_then(|u| u.rsplit('/').next()).filter(|last| last.starts_with("GHSA-"));
    github.or(from_url).map_or_else(|| format!("NPM-{number}"), str::to_owned)
}

fn cwes(value: &serde_json::Value) -> Vec<u32> {
    match value {
        serde_json::Value::String(one) => parse_cwe(one).into_iter().collect(),
        serde_json::Value::Array(many) => {
            many.iter().filter_map(|c| c.as_str()).filter_map(parse_cwe).collect()
        }
        _ => Vec::new(),
    }
}

#[derive(Deserialize)]
struct Advisory {
    id: Text,
    title: Option<String>,
    module_name: String,
    overview: Option<String>,
    recommendation: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    cwe: serde_json::Value,
    github_advisory_id: Option<String>,
    url: Option<String>,
    references: Option<String>,
    vulnerable_versions: Option<String>,
    cvss: Option<NpmCvss>,
    #[serde(default)]
    findings: Vec<Installed>,
}

#[derive(Deserialize)]
struct Installed {
    version: String,
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NpmCvss {
    score: Option<f64>,
    vector_string: Option<String>,
}

impl NpmCvss {
    fn add_to(&self, finding: &mut Finding) {
        if let Some(vector) = self.vector_string.as_deref().filter(|v| !v.is_empty()) {
            finding.cvss.push(Cvss::from_vector(vector, self.score, Some("npm")));
        }
    }
}

impl Advisory {
    fn findings<'a>(&'a self, tool: &'a Tool, target: &'a Target) -> impl Iterator<Item = Finding> + 'a {
        let id = advisory_id(self.url.as_deref(), self.github_advisory_id.as_deref(), &self.id.0);
        self.findings.iter().map(move |installed| {
            let mut finding =
                Finding::new(tool.clone(), target.clone(), FindingKind::Vulnerability, VulnId::new(&id));
            finding.add_id(&format!("NPM-{}", self.id.0));
            for cve in &self.cves {
                finding.add_id(cve);
            }
            finding.title = self.title.clone().unwrap_or_else(|| id.clone());
            finding.description = self.overview.clone();
            finding.solution = self.recommendation.clone().filter(|r| !r.trim().is_empty());
            finding.component = Some(Component {
                name: self.module_name.clone(),
                purl: None,
                ecosystem: Some("npm".into()),
                installed_version: Some(installed.version.clone()),
                fixed_version: None,
            });
            let paths = installed.paths.join(", ");
            let range = self.vulnerable_versions.as_deref().unwrap_or("unknown");
            finding.evidence = Some(format!("Vulnerable versions {range}; installed through {paths}"));
            for cwe in cwes(&self.cwe) {
                finding.add_cwe(cwe);
            }
            if let Some(cvss) = &self.cvss {
                cvss.add_to(&mut finding);
            }
            if let Some(url) = &self.url {
                finding.add_reference(url);
            }
            // v6 writes references as a Markdown list in one string.
            let listed = self.references.as_deref().unwrap_or_default().split_whitespace();
            for url in listed.map(|w| w.trim_matches(['(', ')', '<', '>'])).filter(|w| w.starts_with("http"))
            {
                finding.add_reference(url);
            }
            finding.set_severity(self.severity.as_deref());
            finding
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    name: String,
    #[serde(default)]
    via: Vec<Via>,
    range: Option<String>,
    #[serde(default)]
    nodes: Vec<String>,
    #[serde(default)]
    fix_available: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Via {
    Advisory(Box<ViaAdvisory>),
    /// Vulnerable only because of another package (its name).
    Package(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct ViaAdvisory {
    source: Text,
    name: Option<String>,
    title: Option<String>,
    url: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    cwe: serde_json::Value,
    cvss: Option<NpmCvss>,
    range: Option<String>,
}

impl Package {
    fn findings<'a>(&'a self, tool: &'a Tool, target: &'a Target) -> impl Iterator<Item = Finding> + 'a {
        let advisories = self.via.iter().filter_map(|via| match via {
            Via::Advisory(advisory) => Some(advisory),
            Via::Package(_) => None,
        });
        advisories.map(move |advisory| {
            let id = advisory_id(advisory.url.as_deref(), None, &advisory.source.0);
            let mut finding =
                Finding::new(tool.clone(), target.clone(), FindingKind::Vulnerability, VulnId::new(&id));
            finding.add_id(&format!("NPM-{}", advisory.source.0));
            finding.title = advisory.title.clone().unwrap_or_else(|| id.clone());
            finding.component = Some(Component {
                name: advisory.name.clone().unwrap_or_else(|| self.name.clone()),
                purl: None,
                ecosystem: Some("npm".into()),
                installed_version: None,
                fixed_version: None,
            });
            let range = advisory.range.as_deref().or(self.range.as_deref()).unwrap_or("unknown");
            finding.evidence =
                Some(format!("Vulnerable versions {range}; installed at {}", self.nodes.join(", ")));
            finding.solution = self.solution();
            for cwe in cwes(&advisory.cwe) {
                finding.add_cwe(cwe);
            }
            if let Some(cvss) = &advisory.cvss {
                cvss.add_to(&mut finding);
            }
            if let Some(url) = &advisory.url {
                finding.add_reference(url);
            }
            finding.set_severity(advisory.severity.as_deref());
            finding
        })
    }

    fn solution(&self) -> Option<String> {
        match &self.fix_available {
            serde_json::Value::Bool(true) => Some("Run `npm audit fix`".into()),
            serde_json::Value::Object(fix) => {
                let name = fix.get("name").and_then(|n| n.as_str())?;
                let version = fix.get("version").and_then(|v| v.as_str())?;
                let major = fix.get("isSemVerMajor").and_then(|m| m.as_bool()) == Some(true);
                let breaking = if major { " (a major version: check for breaking changes)" } else { "" };
                Some(format!("Upgrade {name} to {version}{breaking}"))
            }
            _ => None,
        }
    }
}
