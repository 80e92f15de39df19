//! GitLab dependency-scanning reports (`gl-dependency-scanning-report.json`, schema 14.x and
//! 15.x, written by Gemnasium and the other GitLab analyzers).
//!
//! A report does not name the project it scanned, so the target is the `--source` label (or
//! the file name); the lockfile of each finding is its location inside that project.

use std::io::{BufRead, Seek};

use rapport_core::{Component, Finding, FindingKind, Scope, Target, TargetKind, Tool, VulnId, parse_cwe};
use serde::Deserialize;

use crate::json::JsonReader;
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let tool = Tool { name: "gitlab-dependency-scanning".into(), version: None };
    let target = Target { kind: TargetKind::Repository, name: context.fallback_target.clone() };
    let mut json = JsonReader::new(input);
    let mut saw_vulnerabilities = false;
    json.object("a GitLab dependency-scanning report object", |json, key| match key {
        "vulnerabilities" => {
            saw_vulnerabilities = true;
            json.array("an array of vulnerabilities", |json| {
                let vulnerability: Vulnerability = json.value()?;
                let finding = vulnerability.into_finding(&tool, &target).map_err(|m| json.invalid(m))?;
                Ok(sink(finding)?)
            })
        }
        _ => json.skip(),
    })?;
    if !saw_vulnerabilities {
        return Err(json.invalid("a GitLab report needs a `vulnerabilities` array, and this one has none"));
    }
    json.end()?;
    Ok(vec![Scope { tool, target }])
}

#[derive(Deserialize)]
struct Vulnerability {
    name: Option<String>,
    message: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    solution: Option<String>,
    location: Location,
    #[serde(default)]
    identifiers: Vec<Identifier>,
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct Location {
    file: Option<String>,
    dependency: Option<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    package: Option<Package>,
    version: Option<String>,
}

#[derive(Deserialize)]
struct Package {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    value: String,
    url: Option<String>,
}

#[derive(Deserialize)]
struct Link {
    url: String,
}

impl Vulnerability {
    fn into_finding(self, tool: &Tool, target: &Target) -> Result<Finding, String> {
        // The first identifier is the primary one (the analyzer's advisory).
        let primary = self.identifiers.first().ok_or("a vulnerability needs at least one identifier")?;
        let mut finding = Finding::new(
            tool.clone(),
            target.clone(),
            FindingKind::Vulnerability,
            VulnId::new(&primary.name),
        );
        for identifier in &self.identifiers {
            match identifier.kind.as_str() {
                "cwe" => parse_cwe(&identifier.value).into_iter().for_each(|cwe| finding.add_cwe(cwe)),
                "cve" | "ghsa" | "osvdb" | "elsa" | "rhsa" | "usn" => finding.add_id(&identifier.value),
                _ => finding.add_id(&identifier.name),
            }
            if let Some(url) = &identifier.url {
                finding.add_reference(url);
            }
        }
        if let Some(title) = self.name.or(self.message) {
            finding.title = title;
        }
        finding.description = self.description;
        finding.solution = self.solution;
        let dependency = self.location.dependency;
        let name = dependency.as_ref().and_then(|d| d.package.as_ref()).and_then(|p| p.name.clone());
        finding.component = name.map(|name| Component {
            name,
            purl: None,
            ecosystem: None,
            installed_version: dependency.and_then(|d| d.version),
            fixed_version: None,
        });
        finding.location.path = self.location.file;
        for link in &self.links {
            finding.add_reference(&link.url);
        }
        finding.set_severity(self.severity.as_deref());
        Ok(finding)
    }
}
