//! GitHub security alerts: Dependabot alerts as the GraphQL API returns them
//! (`repository.vulnerabilityAlerts`, or a `search` over repositories), Dependabot alerts from
//! the REST API (`/repos/{owner}/{repo}/dependabot/alerts`), and code-scanning alerts from the
//! REST API (`/repos/{owner}/{repo}/code-scanning/alerts`).
//!
//! Alerts GitHub shows as fixed are not findings: the scan says they are gone. Dismissed
//! alerts are kept, marked with the reason given.

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
    let mut scanned: Vec<Scope> = Vec::new();
    let mut add_scope = |scope: Scope| {
        if !scanned.contains(&scope) {
            scanned.push(scope);
        }
    };
    if json.peek()? == Some(b'[') {
        json.array("an array of GitHub alerts", |json| {
            let alert: RestAlert = json.value()?;
            let (scope, finding) = alert.into_finding(context).map_err(|m| json.invalid(m))?;
            add_scope(scope);
            if let Some(finding) = finding {
                sink(finding)?;
            }
            Ok(())
        })?;
    } else {
        let mut saw_repository = false;
        json.object("a GitHub GraphQL response with `data`", |json, key| match key {
            "data" => json.object("the response's `data`", |json, key| match key {
                "repository" => {
                    saw_repository = true;
                    let repository: Repository = json.value()?;
                    add_scope(repository.emit(context, sink)?);
                    Ok(())
                }
                "search" => json.object("the `search` result", |json, key| match key {
                    "nodes" => json.array("an array of repositories", |json| {
                        saw_repository = true;
                        let repository: Repository = json.value()?;
                        add_scope(repository.emit(context, sink)?);
                        Ok(())
                    }),
                    _ => json.skip(),
                }),
                _ => json.skip(),
            }),
            _ => json.skip(),
        })?;
        if !saw_repository {
            return Err(
                json.invalid("expected `data.repository` or `data.search.nodes` with vulnerability alerts")
            );
        }
    }
    json.end()?;
    Ok(scanned)
}

fn dependabot() -> Tool {
    Tool { name: "dependabot".into(), version: None }
}

fn dismissed(reason: Option<&str>, comment: Option<&str>) -> Status {
    let justification = [reason, comment].into_iter().flatten().filter(|t| !t.trim().is_empty());
    let justification: Vec<&str> = justification.collect();
    Status::Suppressed {
        kind: "dismissed on GitHub".into(),
        justification: Some(justification.join(": ")).filter(|j| !j.is_empty()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Repository {
    name_with_owner: Option<String>,
    url: Option<String>,
    name: Option<String>,
    vulnerability_alerts: Option<AlertPage>,
}

#[derive(Deserialize)]
struct AlertPage {
    #[serde(default)]
    nodes: Vec<GraphAlert>,
}

impl Repository {
    fn emit(self, context: &ScanContext, sink: &mut Sink<'_>) -> Result<Scope, ParseError> {
        let from_url = self.url.as_deref().map(|url| url.trim_start_matches("https://").to_owned());
        let name = self.name_with_owner.or(from_url).or(self.name);
        let target = Target {
            kind: TargetKind::Repository,
            name: name.unwrap_or_else(|| context.fallback_target.clone()),
        };
        let tool = dependabot();
        for alert in self.vulnerability_alerts.map(|page| page.nodes).unwrap_or_default() {
            if let Some(finding) = alert.into_finding(&tool, &target) {
                sink(finding)?;
            }
        }
        Ok(Scope { tool, target })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphAlert {
    id: Option<String>,
    state: Option<String>,
    dismissed_at: Option<String>,
    dismiss_reason: Option<String>,
    dismiss_comment: Option<String>,
    fixed_at: Option<String>,
    vulnerable_manifest_path: Option<String>,
    vulnerable_requirements: Option<String>,
    security_vulnerability: GraphVulnerability,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphVulnerability {
    severity: Option<String>,
    package: Option<GraphPackage>,
    first_patched_version: Option<PatchedVersion>,
    vulnerable_version_range: Option<String>,
    advisory: GraphAdvisory,
}

#[derive(Deserialize)]
struct GraphPackage {
    name: String,
    ecosystem: Option<String>,
}

#[derive(Deserialize)]
struct PatchedVersion {
    identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphAdvisory {
    ghsa_id: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    #[serde(default)]
    identifiers: Vec<Identifier>,
    #[serde(default)]
    references: Vec<Reference>,
    cvss: Option<AdvisoryCvss>,
    cwes: Option<GraphCwes>,
}

#[derive(Deserialize)]
struct Identifier {
    value: Text,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

/// An advisory's CVSS, as GraphQL (`vectorString`) and REST (`vector_string`) spell it.
#[derive(Deserialize)]
struct AdvisoryCvss {
    score: Option<f64>,
    #[serde(alias = "vectorString")]
    vector_string: Option<String>,
}

impl AdvisoryCvss {
    fn add_to(&self, finding: &mut Finding) {
        if let Some(vector) = self.vector_string.as_deref().filter(|v| !v.is_empty()) {
            finding.cvss.push(Cvss::from_vector(vector, self.score, Some("github")));
        }
    }
}

#[derive(Deserialize)]
struct GraphCwes {
    #[serde(default)]
    nodes: Vec<GraphCwe>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphCwe {
    cwe_id: String,
}

impl GraphAlert {
    fn into_finding(self, tool: &Tool, target: &Target) -> Option<Finding> {
        let state = self.state.as_deref().unwrap_or("OPEN").to_ascii_uppercase();
        if state == "FIXED" || self.fixed_at.is_some() {
            return None;
        }
        let vulnerability = self.security_vulnerability;
        let advisory = vulnerability.advisory;
        let first_identifier = advisory.identifiers.first().map(|i| i.value.0.clone());
        let id = advisory.ghsa_id.clone().or(first_identifier).or(self.id.clone()).unwrap_or_default();
        let mut finding =
            Finding::new(tool.clone(), target.clone(), FindingKind::Vulnerability, VulnId::new(&id));
        for identifier in &advisory.identifiers {
            finding.add_id(&identifier.value.0);
        }
        finding.title = advisory.summary.unwrap_or(id);
        finding.description = advisory.description;
        let fixed = vulnerability.first_patched_version.and_then(|v| v.identifier);
        // `vulnerableRequirements` is the requirement in the manifest ("= 4.17.20").
        let installed =
            self.vulnerable_requirements.as_deref().map(|r| r.trim_start_matches(['=', ' ']).to_owned());
        finding.component = vulnerability.package.map(|package| Component {
            name: package.name,
            purl: None,
            ecosystem: package.ecosystem.map(|e| e.to_ascii_lowercase()),
            installed_version: installed,
            fixed_version: fixed.clone(),
        });
        finding.location.path = self.vulnerable_manifest_path;
        if let Some(range) = vulnerability.vulnerable_version_range {
            finding.evidence = Some(format!("Vulnerable versions {range}"));
        }
        finding.solution = fixed.map(|version| format!("Upgrade to {version}"));
        if let Some(cvss) = &advisory.cvss {
            cvss.add_to(&mut finding);
        }
        for cwe in advisory.cwes.map(|c| c.nodes).unwrap_or_default() {
            parse_cwe(&cwe.cwe_id).into_iter().for_each(|cwe| finding.add_cwe(cwe));
        }
        for reference in &advisory.references {
            finding.add_reference(&reference.url);
        }
        finding.set_severity(vulnerability.severity.as_deref());
        if state == "DISMISSED" || state == "AUTO_DISMISSED" || self.dismissed_at.is_some() {
            finding.status = dismissed(self.dismiss_reason.as_deref(), self.dismiss_comment.as_deref());
        }
        Some(finding)
    }
}

/// A REST alert: Dependabot (`security_advisory`) or code scanning (`rule`).
#[derive(Deserialize)]
struct RestAlert {
    state: Option<String>,
    html_url: Option<String>,
    url: Option<String>,
    dismissed_reason: Option<String>,
    dismissed_comment: Option<String>,
    // Dependabot
    dependency: Option<RestDependency>,
    security_advisory: Option<RestAdvisory>,
    security_vulnerability: Option<RestVulnerability>,
    // Code scanning
    rule: Option<RestRule>,
    tool: Option<RestTool>,
    most_recent_instance: Option<RestInstance>,
}

#[derive(Deserialize)]
struct RestDependency {
    package: Option<RestPackage>,
    manifest_path: Option<String>,
}

#[derive(Deserialize)]
struct RestPackage {
    ecosystem: Option<String>,
    name: String,
}

#[derive(Deserialize)]
struct RestAdvisory {
    ghsa_id: String,
    cve_id: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    identifiers: Vec<Identifier>,
    #[serde(default)]
    references: Vec<Reference>,
    cvss: Option<AdvisoryCvss>,
    #[serde(default)]
    cwes: Vec<RestCwe>,
}

#[derive(Deserialize)]
struct RestCwe {
    cwe_id: String,
}

#[derive(Deserialize)]
struct RestVulnerability {
    severity: Option<String>,
    vulnerable_version_range: Option<String>,
    first_patched_version: Option<PatchedVersion>,
}

#[derive(Deserialize)]
struct RestRule {
    id: String,
    name: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    security_severity_level: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct RestTool {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
struct RestInstance {
    message: Option<RestMessage>,
    location: Option<RestLocation>,
}

#[derive(Deserialize)]
struct RestMessage {
    text: Option<String>,
}

#[derive(Deserialize)]
struct RestLocation {
    path: Option<String>,
    start_line: Option<u32>,
    start_column: Option<u32>,
    end_line: Option<u32>,
}

impl RestAlert {
    /// The repository, from the alert's web address (`https://github.com/o/r/security/...`) or
    /// its API address (`https://api.github.com/repos/o/r/...`).
    fn repository(&self, context: &ScanContext) -> Target {
        let from_html = self.html_url.as_deref().and_then(|url| {
            let (repository, _) = url.trim_start_matches("https://").split_once("/security/")?;
            Some(repository.to_owned())
        });
        let from_api = self.url.as_deref().and_then(|url| {
            let rest = url.strip_prefix("https://api.github.com/repos/")?;
            let mut parts = rest.splitn(3, '/');
            Some(format!("github.com/{}/{}", parts.next()?, parts.next()?))
        });
        let name = from_html.or(from_api).unwrap_or_else(|| context.fallback_target.clone());
        Target { kind: TargetKind::Repository, name }
    }

    fn into_finding(self, context: &ScanContext) -> Result<(Scope, Option<Finding>), String> {
        let target = self.repository(context);
        let state = self.state.clone().unwrap_or_else(|| "open".into()).to_ascii_lowercase();
        let finding = match (&self.security_advisory, &self.rule) {
            (Some(_), _) => self.dependabot_finding(&target),
            (None, Some(_)) => self.code_scanning_finding(&target),
            (None, None) => {
                return Err(
                    "an alert needs a `security_advisory` (Dependabot) or a `rule` (code scanning)".into()
                );
            }
        };
        let scope = Scope { tool: finding.tool.clone(), target };
        if state == "fixed" {
            return Ok((scope, None));
        }
        let mut finding = finding;
        if state == "dismissed" || state == "auto_dismissed" {
            finding.status = dismissed(self.dismissed_reason.as_deref(), self.dismissed_comment.as_deref());
        }
        Ok((scope, Some(finding)))
    }

    fn dependabot_finding(&self, target: &Target) -> Finding {
        let advisory = self.security_advisory.as_ref();
        let id = advisory.map(|a| a.ghsa_id.clone()).unwrap_or_default();
        let mut finding =
            Finding::new(dependabot(), target.clone(), FindingKind::Vulnerability, VulnId::new(&id));
        if let Some(advisory) = advisory {
            advisory.cve_id.iter().for_each(|cve| finding.add_id(cve));
            advisory.identifiers.iter().for_each(|i| finding.add_id(&i.value.0));
            finding.title = advisory.summary.clone().unwrap_or(id);
            finding.description = advisory.description.clone();
            advisory.references.iter().for_each(|r| finding.add_reference(&r.url));
            advisory.cwes.iter().filter_map(|c| parse_cwe(&c.cwe_id)).for_each(|cwe| finding.add_cwe(cwe));
            if let Some(cvss) = &advisory.cvss {
                cvss.add_to(&mut finding);
            }
        }
        let vulnerability = self.security_vulnerability.as_ref();
        let fixed =
            vulnerability.and_then(|v| v.first_patched_version.as_ref()).and_then(|p| p.identifier.clone());
        let dependency = self.dependency.as_ref();
        finding.component = dependency.and_then(|d| d.package.as_ref()).map(|package| Component {
            name: package.name.clone(),
            purl: None,
            ecosystem: package.ecosystem.clone(),
            installed_version: None,
            fixed_version: fixed.clone(),
        });
        finding.location.path = dependency.and_then(|d| d.manifest_path.clone());
        if let Some(range) = vulnerability.and_then(|v| v.vulnerable_version_range.as_deref()) {
            finding.evidence = Some(format!("Vulnerable versions {range}"));
        }
        finding.solution = fixed.map(|version| format!("Upgrade to {version}"));
        let severity = vulnerability.and_then(|v| v.severity.as_deref());
        finding.set_severity(severity.or(advisory.and_then(|a| a.severity.as_deref())));
        finding
    }

    fn code_scanning_finding(&self, target: &Target) -> Finding {
        let tool = self.tool.as_ref().map_or_else(
            || Tool { name: "github-code-scanning".into(), version: None },
            |tool| Tool { name: tool.name.clone(), version: tool.version.clone().filter(|v| v != "None") },
        );
        let rule = self.rule.as_ref();
        let id = rule.map(|r| r.id.clone()).unwrap_or_default();
        let mut finding = Finding::new(tool, target.clone(), FindingKind::CodeIssue, VulnId::new(&id));
        if let Some(rule) = rule {
            finding.title = rule.description.clone().or(rule.name.clone()).unwrap_or(id);
            // CodeQL tags its rules `external/cwe/cwe-312`.
            let cwes = rule.tags.iter().filter_map(|t| t.rsplit('/').next()).filter_map(parse_cwe);
            cwes.for_each(|cwe| finding.add_cwe(cwe));
        }
        let instance = self.most_recent_instance.as_ref();
        finding.evidence = instance.and_then(|i| i.message.as_ref()).and_then(|m| m.text.clone());
        if let Some(location) = instance.and_then(|i| i.location.as_ref()) {
            finding.location.path = location.path.clone();
            finding.location.line = location.start_line;
            finding.location.column = location.start_column;
            finding.location.end_line = location.end_line;
        }
        let severity = rule.and_then(|r| r.security_severity_level.as_deref().or(r.severity.as_deref()));
        finding.set_severity(severity);
        if let Some(url) = &self.html_url {
            finding.add_reference(url);
        }
        finding
    }
}
