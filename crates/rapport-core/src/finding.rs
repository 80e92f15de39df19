//! The one normalised model every scanner format is read into.

use serde::{Deserialize, Serialize};

use crate::{Cvss, Fingerprint, ScopeKey, Severity, VexNote, VulnId, VulnIdKind};

/// The scanner that produced a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    ContainerImage,
    Filesystem,
    Repository,
    Host,
    KubernetesResource,
    /// A software product described by an SBOM.
    Product,
    Other,
}

impl TargetKind {
    pub const ALL: [TargetKind; 7] = [
        TargetKind::ContainerImage,
        TargetKind::Filesystem,
        TargetKind::Repository,
        TargetKind::Host,
        TargetKind::KubernetesResource,
        TargetKind::Product,
        TargetKind::Other,
    ];

    pub fn parse(name: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::ContainerImage => "container_image",
            TargetKind::Filesystem => "filesystem",
            TargetKind::Repository => "repository",
            TargetKind::Host => "host",
            TargetKind::KubernetesResource => "kubernetes_resource",
            TargetKind::Product => "product",
            TargetKind::Other => "other",
        }
    }
}

/// The asset that was scanned: an image, a host, a repository, a path. A rescan is a new
/// scan of the same target by the same tool.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    pub name: String,
}

/// What one scan covered: one tool's view of one target. A rescan replaces the open
/// findings of its scopes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub tool: Tool,
    pub target: Target,
}

impl Scope {
    pub fn key(&self) -> ScopeKey {
        ScopeKey::of(&self.tool.name, &self.target)
    }
}

/// Where inside the target: a file and line for code, a lockfile or package path for
/// dependencies, a port and service for hosts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// For network findings: "443/tcp (www)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl Location {
    pub fn is_empty(&self) -> bool {
        self == &Location::default()
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(path) = &self.path {
            let mut part = path.clone();
            if let Some(line) = self.line {
                part.push_str(&format!(":{line}"));
                if let Some(column) = self.column {
                    part.push_str(&format!(":{column}"));
                }
            }
            parts.push(part);
        }
        if let Some(service) = &self.service {
            parts.push(service.clone());
        }
        f.write_str(&parts.join(" "))
    }
}

/// A package or library, identified by a purl where the tool gave one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A known vulnerability in a package or product.
    Vulnerability,
    /// A configuration that breaks a rule (Trivy misconfigurations, Kubernetes checks).
    Misconfiguration,
    /// A secret found in files.
    Secret,
    /// A weakness in the organisation's own code (SARIF results).
    CodeIssue,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Misconfiguration => "misconfiguration",
            FindingKind::Secret => "secret",
            FindingKind::CodeIssue => "code_issue",
        }
    }
}

/// What the scanner or a VEX statement says about whether the finding applies.
/// Nothing is dropped for being "not affected": it is kept and shown as such.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    #[default]
    Affected,
    /// VEX: the product is not affected, with the justification given.
    NotAffected {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
    },
    /// VEX: still being analysed.
    UnderInvestigation,
    /// The tool's own suppression or a VEX "false positive", with who said so and why.
    Suppressed {
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
    },
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Affected => "affected",
            Status::NotAffected { .. } => "not_affected",
            Status::UnderInvestigation => "under_investigation",
            Status::Suppressed { .. } => "suppressed",
        }
    }

    /// As people read it: `under investigation`.
    pub fn label(&self) -> &'static str {
        match self {
            Status::NotAffected { .. } => "not affected",
            Status::UnderInvestigation => "under investigation",
            other => other.as_str(),
        }
    }
}

/// One thing a scanner found, in one place, normalised from any format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub tool: Tool,
    pub target: Target,
    pub kind: FindingKind,
    /// The tool's own identifier first (a CVE, GHSA, rule or plugin id), then every alias.
    pub ids: Vec<VulnId>,
    pub title: String,
    /// What the vulnerability or rule is, the same wherever it is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the tool saw in this very place: a SARIF message, Nessus plugin output, the
    /// misconfigured line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    pub severity: Severity,
    /// The severity word exactly as the tool wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_severity: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<Cvss>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
    #[serde(default, skip_serializing_if = "Location::is_empty")]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution: Option<String>,
    #[serde(default)]
    pub status: Status,
    /// A stable identity the tool computed itself (SARIF `fingerprints` or
    /// `partialFingerprints`); when present it stands in for the line in the fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_fingerprint: Option<String>,
    /// The VEX statement that set `status`, when one did: who said so, when, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexNote>,
}

impl Finding {
    /// A finding with only what every format has; parsers fill in the rest.
    pub fn new(tool: Tool, target: Target, kind: FindingKind, tool_id: VulnId) -> Finding {
        Finding {
            title: tool_id.0.clone(),
            tool,
            target,
            kind,
            ids: vec![tool_id],
            description: None,
            evidence: None,
            severity: Severity::Unknown,
            tool_severity: None,
            cvss: Vec::new(),
            cwes: Vec::new(),
            component: None,
            location: Location::default(),
            references: Vec::new(),
            solution: None,
            status: Status::Affected,
            tool_fingerprint: None,
            vex: None,
        }
    }

    /// The id people recognise: the first CVE when there is one, else the tool's own id.
    pub fn display_id(&self) -> &str {
        self.ids
            .iter()
            .find(|id| id.kind() == VulnIdKind::Cve)
            .or(self.ids.first())
            .map_or("", VulnId::as_str)
    }

    /// What is affected, in one line: the package with its installed and fixed versions, or the
    /// place in the code or on the host.
    pub fn affected(&self) -> String {
        match &self.component {
            Some(component) => {
                let installed = component.installed_version.as_deref().unwrap_or("?");
                match &component.fixed_version {
                    Some(fixed) => format!("{} {installed} → {fixed}", component.name),
                    None => format!("{} {installed} (no fix yet)", component.name),
                }
            }
            None => self.location.to_string(),
        }
    }

    /// Adds an alias unless it is already known (ids compare case-insensitively).
    pub fn add_id(&mut self, id: &str) {
        let id = id.trim();
        if id.is_empty() || self.ids.iter().any(|known| known.0.eq_ignore_ascii_case(id)) {
            return;
        }
        self.ids.push(VulnId::new(id));
    }

    pub fn add_cwe(&mut self, cwe: u32) {
        if !self.cwes.contains(&cwe) {
            self.cwes.push(cwe);
        }
    }

    pub fn add_reference(&mut self, url: &str) {
        let url = url.trim();
        if !url.is_empty() && !self.references.iter().any(|known| known == url) {
            self.references.push(url.to_owned());
        }
    }

    /// Uses the tool's severity word; when it says nothing useful, the highest CVSS score.
    pub fn set_severity(&mut self, tool_word: Option<&str>) {
        self.tool_severity = tool_word.map(str::to_owned).filter(|w| !w.trim().is_empty());
        self.severity = tool_word
            .and_then(Severity::from_tool_word)
            .or_else(|| self.highest_cvss().map(Severity::from_cvss_score))
            .unwrap_or(Severity::Unknown);
    }

    pub fn highest_cvss(&self) -> Option<f64> {
        self.cvss.iter().filter_map(|c| c.score).reduce(f64::max)
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self)
    }

    pub fn scope(&self) -> ScopeKey {
        ScopeKey::of(&self.tool.name, &self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding::new(
            Tool { name: "trivy".into(), version: None },
            Target { kind: TargetKind::ContainerImage, name: "alpine:3.17".into() },
            FindingKind::Vulnerability,
            VulnId::new("GHSA-25mq-v84q-4j7r"),
        )
    }

    #[test]
    fn affected_names_the_package_and_both_versions() {
        let mut finding = finding();
        finding.component = Some(Component {
            name: "openssl".into(),
            installed_version: Some("3.0.7".into()),
            fixed_version: Some("3.0.8".into()),
            ..Component::default()
        });
        assert_eq!(finding.affected(), "openssl 3.0.7 → 3.0.8");
        finding.component = Some(Component { name: "busybox".into(), ..Component::default() });
        assert_eq!(finding.affected(), "busybox ? (no fix yet)");
    }

    #[test]
    fn display_id_prefers_a_cve() {
        let mut finding = finding();
        assert_eq!(finding.display_id(), "GHSA-25mq-v84q-4j7r");
        finding.add_id("CVE-2022-31090");
        finding.add_id("cve-2022-31090");
        assert_eq!(finding.display_id(), "CVE-2022-31090");
        assert_eq!(finding.ids.len(), 2);
    }

    #[test]
    fn severity_falls_back_on_cvss() {
        let mut finding = finding();
        finding.cvss.push(Cvss::from_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None, None));
        finding.set_severity(Some("UNKNOWN"));
        assert_eq!(finding.severity, Severity::Critical);
        finding.set_severity(Some("low"));
        assert_eq!(finding.severity, Severity::Low);
    }

    #[test]
    fn location_reads_like_an_editor_link() {
        let location = Location {
            path: Some("src/app.py".into()),
            line: Some(39),
            column: Some(5),
            ..Location::default()
        };
        assert_eq!(location.to_string(), "src/app.py:39:5");
    }
}
