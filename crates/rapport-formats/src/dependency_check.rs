//! OWASP Dependency-Check XML reports (`dependency-check-report.xml`, schema 1.3 onwards).
//!
//! Each `<dependency>` is one file the tool identified (a jar, a DLL, a lockfile entry) and
//! is read as one record. One finding is one vulnerability of one dependency file; the same
//! CVE reported by two of the tool's sources (NVD and OSS Index) is one finding seen twice.
//! Suppressed vulnerabilities are kept, marked with the suppression notes.

use std::io::{BufRead, Seek};

use rapport_core::{
    Component, Cvss, Finding, FindingKind, Scope, Status, Target, TargetKind, Tool, VulnId, parse_cwe,
};

use crate::xml::{Element, Step, XmlReader};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut reader = XmlReader::new(input);
    let mut tool = Tool { name: "dependency-check".into(), version: None };
    let mut target = Target { kind: TargetKind::Product, name: context.fallback_target.clone() };
    let mut saw_root = false;
    loop {
        match reader.step()? {
            Step::Open { element, empty } => match element.name.as_str() {
                "analysis" if reader.path.len() <= 1 => saw_root = true,
                _ if !saw_root => {
                    return Err(reader
                        .invalid(format!("expected the root element <analysis>, found <{}>", element.name)));
                }
                "scanInfo" => {
                    let info = reader.subtree(element, empty)?;
                    tool.version = info.child_text("engineVersion").map(str::to_owned);
                }
                "projectInfo" => {
                    let info = reader.subtree(element, empty)?;
                    if let Some(name) = info.child_text("name") {
                        target.name = name.to_owned();
                    }
                }
                "dependency" if reader.path.len() == 3 => {
                    let position = reader.position();
                    let dependency = reader.subtree(element, empty)?;
                    let findings = dependency_findings(&dependency, &tool, &target)
                        .map_err(|message| ParseError::invalid(position, message))?;
                    for finding in findings {
                        sink(finding)?;
                    }
                }
                _ => {}
            },
            Step::Close => {}
            Step::Eof if saw_root => return Ok(vec![Scope { tool, target }]),
            Step::Eof => return Err(reader.invalid("expected the root element <analysis>, found nothing")),
        }
    }
}

fn dependency_findings(dependency: &Element, tool: &Tool, target: &Target) -> Result<Vec<Finding>, String> {
    let Some(vulnerabilities) = dependency.child("vulnerabilities") else {
        return Ok(Vec::new());
    };
    let file_name = dependency.child_text("fileName").ok_or("a <dependency> without a <fileName>")?;
    let purl =
        dependency.child("identifiers").and_then(|ids| ids.child("package")).and_then(|p| p.child_text("id"));
    let component = component(file_name, purl);
    let related: Vec<&str> = dependency
        .child("relatedDependencies")
        .into_iter()
        .flat_map(|r| r.children_named("relatedDependency"))
        .filter_map(|r| r.child_text("filePath"))
        .collect();
    let mut findings = Vec::new();
    for vulnerability in &vulnerabilities.children {
        let suppressed = match vulnerability.name.as_str() {
            "vulnerability" => false,
            "suppressedVulnerability" => true,
            _ => continue,
        };
        let name = vulnerability.child_text("name").ok_or("a <vulnerability> without a <name>")?;
        let mut finding =
            Finding::new(tool.clone(), target.clone(), FindingKind::Vulnerability, VulnId::new(name));
        finding.component = Some(component.clone());
        finding.location.path = dependency.child_text("filePath").map(str::to_owned);
        finding.description = vulnerability.child_text("description").map(collapse_whitespace);
        finding.title = match &component.installed_version {
            Some(version) => format!("{name} in {} {version}", component.name),
            None => format!("{name} in {}", component.name),
        };
        if !related.is_empty() {
            finding.evidence = Some(format!("The same file is also at {}", related.join(", ")));
        }
        for cwe in vulnerability.child("cwes").into_iter().flat_map(|c| c.children_named("cwe")) {
            cwe.text().and_then(parse_cwe).into_iter().for_each(|cwe| finding.add_cwe(cwe));
        }
        for reference in
            vulnerability.child("references").into_iter().flat_map(|r| r.children_named("reference"))
        {
            if let Some(url) = reference.child_text("url") {
                finding.add_reference(url);
            }
        }
        let source = vulnerability.attribute("source").map(str::to_ascii_lowercase);
        for (element, version) in [("cvssV2", MetricVersion::V2), ("cvssV3", MetricVersion::V3)] {
            if let Some(metrics) = vulnerability.child(element) {
                finding.cvss.push(cvss_of(metrics, version, source.as_deref()));
            }
        }
        finding.set_severity(vulnerability.child_text("severity"));
        if suppressed {
            let notes = vulnerability.child_text("notes").map(collapse_whitespace);
            finding.status =
                Status::Suppressed { kind: "dependency-check suppression".into(), justification: notes };
        }
        findings.push(finding);
    }
    Ok(findings)
}

/// The package behind a dependency file: from its purl when the tool found one, else the
/// file name (`dom4j-2.1.1.jar`, `adapter.ear: dom4j-2.1.1.jar`).
fn component(file_name: &str, purl: Option<&str>) -> Component {
    let parsed = purl.and_then(|purl| {
        let (without_version, version) = purl.rsplit_once('@')?;
        let (ecosystem, name) = without_version.strip_prefix("pkg:")?.split_once('/')?;
        Some((ecosystem.to_owned(), name.replace('/', ":"), version.to_owned()))
    });
    match parsed {
        Some((ecosystem, name, version)) => Component {
            name,
            purl: purl.map(str::to_owned),
            ecosystem: Some(ecosystem),
            installed_version: Some(version),
            fixed_version: None,
        },
        None => Component { name: file_name.to_owned(), ..Component::default() },
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Clone, Copy)]
enum MetricVersion {
    V2,
    V3,
}

/// Dependency-Check writes CVSS as one element per metric, in words (`NETWORK`) or letters
/// (`N`); the vector is rebuilt from them so that it can be scored like any other.
fn cvss_of(metrics: &Element, version: MetricVersion, source: Option<&str>) -> Cvss {
    let score = metrics.child_text("score").or(metrics.child_text("baseScore")).and_then(|s| s.parse().ok());
    let parts: &[(&str, &str)] = match version {
        MetricVersion::V2 => &[
            ("AV", "accessVector"),
            ("AC", "accessComplexity"),
            ("Au", "authenticationr"),
            ("C", "confidentialImpact"),
            ("I", "integrityImpact"),
            ("A", "availabilityImpact"),
        ],
        MetricVersion::V3 => &[
            ("AV", "attackVector"),
            ("AC", "attackComplexity"),
            ("PR", "privilegesRequired"),
            ("UI", "userInteraction"),
            ("S", "scope"),
            ("C", "confidentialityImpact"),
            ("I", "integrityImpact"),
            ("A", "availabilityImpact"),
        ],
    };
    let mut vector: Vec<String> = Vec::new();
    if let MetricVersion::V3 = version {
        let minor = metrics.child_text("version").unwrap_or("3.1");
        vector.push(format!("CVSS:{minor}"));
    }
    for (abbreviation, element) in parts {
        let value = metrics.child_text(element).map(metric_letter).unwrap_or_default();
        vector.push(format!("{abbreviation}:{value}"));
    }
    Cvss::from_vector(&vector.join("/"), score, source)
}

/// `NETWORK` → `N`, `ADJACENT_NETWORK` → `A`, `NONE` → `N`; letters stay as they are.
fn metric_letter(word: &str) -> String {
    match word.to_ascii_uppercase().as_str() {
        "ADJACENT_NETWORK" | "ADJACENT" => "A".into(),
        "PHYSICAL" => "P".into(),
        "SINGLE" => "S".into(),
        "MULTIPLE" => "M".into(),
        "PARTIAL" => "P".into(),
        "COMPLETE" => "C".into(),
        "UNCHANGED" => "U".into(),
        "CHANGED" => "C".into(),
        "REQUIRED" => "R".into(),
        other => other.chars().next().map(String::from).unwrap_or_default(),
    }
}
