//! OSV-Scanner JSON: results per scanned source (a lockfile, an SBOM, a git checkout),
//! packages in each, and full OSV records for each package's vulnerabilities.

use std::io::{BufRead, Seek};

use rapport_core::{Component, Finding, FindingKind, Scope, Target, TargetKind, Tool, VulnId};
use serde::Deserialize;

use crate::json::JsonReader;
use crate::osv::{Affected, OsvRecord};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut json = JsonReader::new(input);
    let mut scanned = Vec::new();
    let mut saw_results = false;
    json.object("an OSV-Scanner report object with `results`", |json, key| match key {
        "results" => {
            saw_results = true;
            json.array("an array of results", |json| {
                scanned.push(source_result(json, sink)?);
                Ok(())
            })
        }
        _ => json.skip(),
    })?;
    if !saw_results {
        return Err(json.invalid("an OSV-Scanner report needs a `results` array, and this one has none"));
    }
    json.end()?;
    Ok(scanned)
}

#[derive(Deserialize)]
struct Source {
    path: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// One scanned source (a lockfile, an SBOM, a checkout) and its packages; returns its scope.
fn source_result<R: BufRead>(json: &mut JsonReader<R>, sink: &mut Sink<'_>) -> Result<Scope, ParseError> {
    let mut source: Option<Source> = None;
    // OSV-Scanner writes `source` first; packages met before it wait for it.
    let mut held: Vec<Package> = Vec::new();
    let tool = Tool { name: "osv-scanner".into(), version: None };
    json.object("a result with `source` and `packages`", |json, key| {
        match key {
            "source" => source = Some(json.value()?),
            "packages" => json.array("an array of packages", |json| {
                let package: Package = json.value()?;
                match &source {
                    Some(source) => emit_package(sink, &tool, source, package),
                    None => {
                        held.push(package);
                        Ok(())
                    }
                }
            })?,
            _ => json.skip()?,
        }
        Ok(())
    })?;
    let source = source.ok_or_else(|| json.invalid("a result needs a `source`, and this one has none"))?;
    for package in held {
        emit_package(sink, &tool, &source, package)?;
    }
    Ok(Scope { tool, target: source_target(&source) })
}

fn emit_package(
    sink: &mut Sink<'_>,
    tool: &Tool,
    source: &Source,
    package: Package,
) -> Result<(), ParseError> {
    let target = source_target(source);
    for vulnerability in &package.vulnerabilities {
        sink(vulnerability.to_finding(tool, &target, &package.package))?;
    }
    Ok(())
}

fn source_target(source: &Source) -> Target {
    let kind = match source.kind.as_deref() {
        Some("git") => TargetKind::Repository,
        _ => TargetKind::Filesystem,
    };
    Target { kind, name: source.path.clone() }
}

#[derive(Deserialize)]
struct Package {
    package: PackageInfo,
    #[serde(default)]
    vulnerabilities: Vec<OsvRecord>,
}

#[derive(Deserialize)]
struct PackageInfo {
    name: String,
    version: Option<String>,
    ecosystem: Option<String>,
}

impl OsvRecord {
    fn to_finding(&self, tool: &Tool, target: &Target, package: &PackageInfo) -> Finding {
        let mut finding =
            Finding::new(tool.clone(), target.clone(), FindingKind::Vulnerability, VulnId::new(&self.id));
        let affected = self.affected(&package.name);
        finding.component = Some(Component {
            name: package.name.clone(),
            purl: affected.and_then(Affected::purl),
            ecosystem: package.ecosystem.clone(),
            installed_version: package.version.clone(),
            fixed_version: affected.and_then(|a| a.fixed_versions().next()).map(str::to_owned),
        });
        self.describe(&mut finding);
        finding
    }
}
