//! govulncheck `-json`: the streamed message format of govulncheck 1.x (a sequence of
//! `config`, `SBOM`, `progress`, `osv` and `finding` messages, bare or inside an array), and
//! the single object of the 0.x releases (`Vulns` and `Modules`).
//!
//! govulncheck reports a vulnerability once per call path, at three depths: the module is
//! required, its vulnerable package is imported, or its vulnerable function is called. One
//! finding is one vulnerability in one module; the deepest evidence seen is kept, because
//! "your code calls this function" is what tells a partner the flaw is reachable.

use std::collections::HashMap;
use std::io::{BufRead, Seek};

use rapport_core::{Component, Finding, FindingKind, Scope, Target, TargetKind, Tool, VulnId};
use serde::Deserialize;

use crate::json::JsonReader;
use crate::osv::OsvRecord;
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut json = JsonReader::new(input);
    let mut scan = Scan::default();
    match json.peek()? {
        Some(b'[') => json.array("an array of govulncheck messages", |json| scan.message(json))?,
        _ => {
            scan.message(&mut json)?;
            while json.peek()?.is_some() {
                scan.message(&mut json)?;
            }
        }
    }
    if !scan.recognised {
        return Err(
            json.invalid("expected govulncheck messages (`config`, `osv`, `finding`) or a `Vulns` report")
        );
    }
    let tool = Tool { name: "govulncheck".into(), version: scan.version.clone() };
    let name = scan.main_module.clone().unwrap_or_else(|| context.fallback_target.clone());
    let target = Target { kind: TargetKind::Repository, name };
    for finding in scan.findings(&tool, &target, &json)? {
        sink(finding)?;
    }
    Ok(vec![Scope { tool, target }])
}

#[derive(Default)]
struct Scan {
    recognised: bool,
    version: Option<String>,
    main_module: Option<String>,
    osv: HashMap<String, OsvRecord>,
    /// One entry per (vulnerability, module), in the order first seen.
    found: Vec<Found>,
    /// 0.x reports give module versions in a separate list.
    module_versions: HashMap<String, String>,
}

struct Found {
    osv: String,
    module: String,
    version: Option<String>,
    fixed_version: Option<String>,
    reach: Reach,
    /// The call or import that shows the reach, as govulncheck traced it.
    trace: Vec<Frame>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Required,
    Imported,
    Called,
}

impl Scan {
    fn message<R: BufRead>(&mut self, json: &mut JsonReader<R>) -> Result<(), ParseError> {
        json.object("a govulncheck message object", |json, key| {
            match key {
                "config" => {
                    let config: Config = json.value()?;
                    self.version = config.scanner_version;
                    self.recognised = true;
                }
                "SBOM" => {
                    let sbom: Sbom = json.value()?;
                    // The main module is the one without a version.
                    self.main_module = sbom.modules.into_iter().find(|m| m.version.is_none()).map(|m| m.path);
                }
                "osv" => {
                    let osv: OsvRecord = json.value()?;
                    self.recognised = true;
                    self.osv.insert(osv.id.clone(), osv);
                }
                "finding" => {
                    let finding: Message = json.value()?;
                    self.recognised = true;
                    self.add(finding);
                }
                "Vulns" => {
                    self.recognised = true;
                    json.array("an array of vulnerabilities", |json| {
                        let old: OldVuln = json.value()?;
                        self.add_old(old);
                        Ok(())
                    })?;
                }
                "Modules" => {
                    let modules: serde_json::Value = json.value()?;
                    for module in modules.as_array().into_iter().flatten() {
                        let path = module.get("Path").and_then(|p| p.as_str());
                        let version =
                            module.get("Version").and_then(|v| v.as_str()).filter(|v| !v.is_empty());
                        match (path, version) {
                            (Some(path), Some(version)) => {
                                self.module_versions.insert(path.to_owned(), version.to_owned());
                            }
                            (Some(path), None) => self.main_module = Some(path.to_owned()),
                            _ => {}
                        }
                    }
                }
                _ => json.skip()?,
            }
            Ok(())
        })
    }

    fn add(&mut self, message: Message) {
        let Some(first) = message.trace.first() else { return };
        let reach = if first.function.is_some() {
            Reach::Called
        } else if first.package.is_some() {
            Reach::Imported
        } else {
            Reach::Required
        };
        let found = Found {
            osv: message.osv,
            module: first.module.clone(),
            version: first.version.clone(),
            fixed_version: message.fixed_version,
            reach,
            trace: message.trace,
        };
        self.keep(found);
    }

    fn add_old(&mut self, old: OldVuln) {
        let id = old.osv.id.clone();
        let reach = if old.call_sink.is_some_and(|sink| sink > 0) {
            Reach::Called
        } else if old.import_sink.is_some_and(|sink| sink > 0) {
            Reach::Imported
        } else {
            Reach::Required
        };
        let frame = Frame {
            module: old.mod_path.clone(),
            version: None,
            package: old.pkg_path,
            function: old.symbol,
            receiver: None,
            position: None,
        };
        self.osv.entry(id.clone()).or_insert(old.osv);
        self.keep(Found {
            osv: id,
            module: old.mod_path,
            version: None,
            fixed_version: None,
            reach,
            trace: vec![frame],
        });
    }

    fn keep(&mut self, found: Found) {
        let known = self.found.iter_mut().find(|f| f.osv == found.osv && f.module == found.module);
        match known {
            Some(known) if found.reach > known.reach => *known = found,
            Some(_) => {}
            None => self.found.push(found),
        }
    }

    fn findings<R: BufRead>(
        &self,
        tool: &Tool,
        target: &Target,
        json: &JsonReader<R>,
    ) -> Result<Vec<Finding>, ParseError> {
        let mut findings = Vec::with_capacity(self.found.len());
        for found in &self.found {
            let osv = self.osv.get(&found.osv).ok_or_else(|| {
                json.invalid(format!("a finding names {}, but no `osv` message describes it", found.osv))
            })?;
            let version = found.version.clone().or_else(|| self.module_versions.get(&found.module).cloned());
            // 0.x reports do not say which fix applies to the installed version: the last one
            // listed (the newest release line's) leaves every affected range.
            let last_fixed =
                osv.affected(&found.module).and_then(|a| a.fixed_versions().last()).map(str::to_owned);
            let fixed = found.fixed_version.clone().or(last_fixed);
            let mut finding =
                Finding::new(tool.clone(), target.clone(), FindingKind::Vulnerability, VulnId::new(&osv.id));
            osv.describe(&mut finding);
            finding.component = Some(Component {
                name: found.module.clone(),
                purl: None,
                ecosystem: Some("Go".into()),
                installed_version: version,
                fixed_version: fixed.clone(),
            });
            finding.evidence = Some(found.evidence());
            finding.solution = fixed.map(|fixed| format!("Upgrade {} to {fixed}", found.module));
            findings.push(finding);
        }
        Ok(findings)
    }
}

impl Found {
    fn evidence(&self) -> String {
        let symbol = self.trace.first().map(Frame::symbol).unwrap_or_default();
        match self.reach {
            Reach::Called => {
                // The last frame is where the scanned code makes the call.
                let caller = self.trace.last().filter(|_| self.trace.len() > 1);
                match caller.and_then(|frame| frame.position.as_ref().map(|p| (frame, p))) {
                    Some((frame, at)) => format!(
                        "Your code calls the vulnerable {symbol}: {} at {}:{}",
                        frame.symbol(),
                        at.filename,
                        at.line
                    ),
                    None => format!("Your code calls the vulnerable {symbol}"),
                }
            }
            Reach::Imported => format!(
                "Your code imports the vulnerable package {symbol}, but does not call the vulnerable code"
            ),
            Reach::Required => {
                format!("The module {symbol} is required, but the vulnerable code is not imported")
            }
        }
    }
}

#[derive(Deserialize)]
struct Config {
    scanner_version: Option<String>,
}

#[derive(Deserialize)]
struct Sbom {
    #[serde(default)]
    modules: Vec<SbomModule>,
}

#[derive(Deserialize)]
struct SbomModule {
    path: String,
    version: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    osv: String,
    fixed_version: Option<String>,
    #[serde(default)]
    trace: Vec<Frame>,
}

#[derive(Deserialize)]
struct Frame {
    module: String,
    version: Option<String>,
    package: Option<String>,
    function: Option<String>,
    receiver: Option<String>,
    position: Option<FramePosition>,
}

impl Frame {
    /// `net/http.(*Server).ListenAndServe`, `net/http`, or the module path.
    fn symbol(&self) -> String {
        match (&self.package, &self.function) {
            (Some(package), Some(function)) => match &self.receiver {
                Some(receiver) => format!("{package}.({receiver}).{function}"),
                None => format!("{package}.{function}"),
            },
            (Some(package), None) => package.clone(),
            _ => self.module.clone(),
        }
    }
}

#[derive(Deserialize)]
struct FramePosition {
    filename: String,
    line: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OldVuln {
    #[serde(rename = "OSV")]
    osv: OsvRecord,
    symbol: Option<String>,
    pkg_path: Option<String>,
    mod_path: String,
    call_sink: Option<u64>,
    import_sink: Option<u64>,
}
