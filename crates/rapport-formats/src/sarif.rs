//! SARIF 2.1.0: every run, with its tool's rule metadata, suppressions, `baselineState`
//! and locations. Results are streamed; a run's rules are kept while its results are read.
//!
//! Written on serde directly rather than on a full SARIF object model: real logs bend the
//! schema (unknown levels, numbers as strings), and a typed model would have to hold whole
//! runs in memory.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Seek};

use rapport_core::{
    Finding, FindingKind, Scope, Severity, Status, Target, TargetKind, Tool, VulnId, parse_cwe,
};
use serde::Deserialize;

use crate::json::{JsonReader, number};
use crate::{ParseError, ScanContext, Sink};

pub(crate) fn parse<R: BufRead + Seek>(
    input: R,
    context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut json = JsonReader::new(input);
    let mut scanned = Vec::new();
    let mut saw_runs = false;
    json.object("a SARIF log object", |json, key| match key {
        "runs" => {
            saw_runs = true;
            if json.peek()? == Some(b'n') {
                return Err(
                    json.invalid("`runs` is null: the tool did not run, so this log has nothing to import")
                );
            }
            json.array("an array of runs", |json| {
                scanned.push(run(json, &context.fallback_target, sink)?);
                Ok(())
            })
        }
        "version" => {
            let version: String = json.value()?;
            if version.starts_with("2.1.0") {
                Ok(())
            } else {
                Err(json.invalid(format!("SARIF version {version:?} is not supported: expected \"2.1.0\"")))
            }
        }
        _ => json.skip(),
    })?;
    if !saw_runs {
        return Err(json.invalid("a SARIF log needs a `runs` array, and this one has none"));
    }
    json.end()?;
    Ok(scanned)
}

/// What a run says about all its results.
struct RunContext {
    tool: Tool,
    target: Target,
    rules: Vec<Rule>,
    rule_by_id: HashMap<String, usize>,
}

/// Reads one run, emitting its findings; returns its scope.
fn run<R: BufRead>(
    json: &mut JsonReader<R>,
    fallback_target: &str,
    sink: &mut Sink<'_>,
) -> Result<Scope, ParseError> {
    let mut tool: Option<ToolObject> = None;
    let mut repository: Option<String> = None;
    let mut context: Option<RunContext> = None;
    // `tool` normally precedes `results`; results met before it wait for it.
    let mut held: Vec<SarifResult> = Vec::new();
    json.object("a run object", |json, key| {
        match key {
            "tool" => tool = Some(json.value()?),
            "versionControlProvenance" => {
                let provenance: Vec<Provenance> = json.value::<Option<_>>()?.unwrap_or_default();
                repository = provenance.into_iter().find_map(|p| p.repository_uri);
            }
            "results" => {
                if context.is_none() {
                    context = tool.take().map(|t| run_context(t, repository.take(), fallback_target));
                }
                json.array("an array of results", |json| {
                    let result: SarifResult = json.value()?;
                    match &context {
                        Some(context) => emit(sink, context, result),
                        None => {
                            held.push(result);
                            Ok(())
                        }
                    }
                })?;
            }
            _ => json.skip()?,
        }
        Ok(())
    })?;
    let context = match context {
        Some(context) => context,
        None => {
            let tool = tool.ok_or_else(|| json.invalid("a run needs a `tool`, and this one has none"))?;
            run_context(tool, repository, fallback_target)
        }
    };
    for result in held {
        emit(sink, &context, result)?;
    }
    Ok(Scope { tool: context.tool, target: context.target })
}

fn run_context(tool: ToolObject, repository: Option<String>, fallback_target: &str) -> RunContext {
    let driver = tool.driver;
    let rule_by_id =
        driver.rules.iter().enumerate().filter_map(|(i, r)| r.id.clone().map(|id| (id, i))).collect();
    RunContext {
        tool: Tool { name: driver.name, version: driver.semantic_version.or(driver.version) },
        target: Target {
            kind: TargetKind::Repository,
            name: repository.unwrap_or_else(|| fallback_target.to_owned()),
        },
        rules: driver.rules,
        rule_by_id,
    }
}

fn emit(sink: &mut Sink<'_>, context: &RunContext, result: SarifResult) -> Result<(), ParseError> {
    match result.into_finding(context) {
        Some(finding) => Ok(sink(finding)?),
        None => Ok(()),
    }
}

#[derive(Deserialize)]
struct ToolObject {
    driver: Driver,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: String,
    version: Option<String>,
    semantic_version: Option<String>,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Provenance {
    repository_uri: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: Option<String>,
    name: Option<String>,
    short_description: Option<Message>,
    full_description: Option<Message>,
    help_uri: Option<String>,
    default_configuration: Option<Configuration>,
    properties: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Configuration {
    level: Option<String>,
}

#[derive(Deserialize, Default)]
struct Message {
    text: Option<String>,
    markdown: Option<String>,
}

impl Message {
    fn text(&self) -> Option<&str> {
        self.text.as_deref().or(self.markdown.as_deref()).filter(|t| !t.trim().is_empty())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: Option<String>,
    /// -1 is SARIF's "no index".
    rule_index: Option<i64>,
    rule: Option<RuleReference>,
    level: Option<String>,
    kind: Option<String>,
    message: Option<Message>,
    #[serde(default)]
    locations: Vec<ResultLocation>,
    fingerprints: Option<BTreeMap<String, serde_json::Value>>,
    partial_fingerprints: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    suppressions: Vec<Suppression>,
    baseline_state: Option<String>,
}

#[derive(Deserialize)]
struct RuleReference {
    id: Option<String>,
    index: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: Option<PhysicalLocation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Deserialize)]
struct ArtifactLocation {
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: Option<u32>,
    start_column: Option<u32>,
    end_line: Option<u32>,
}

#[derive(Deserialize)]
struct Suppression {
    kind: Option<String>,
    status: Option<String>,
    justification: Option<String>,
}

impl SarifResult {
    /// `None` for results that are not problems: passes, not-applicable checks, and results
    /// the baseline says are gone (`absent`).
    fn into_finding(self, context: &RunContext) -> Option<Finding> {
        if matches!(self.kind.as_deref(), Some("pass" | "notApplicable"))
            || self.baseline_state.as_deref() == Some("absent")
        {
            return None;
        }
        let rule_index = self
            .rule_index
            .or(self.rule.as_ref().and_then(|r| r.index))
            .and_then(|i| usize::try_from(i).ok())
            .or_else(|| self.rule_id.as_ref().and_then(|id| context.rule_by_id.get(id).copied()));
        let rule = rule_index.and_then(|i| context.rules.get(i));
        let rule_id = self
            .rule_id
            .clone()
            .or(self.rule.as_ref().and_then(|r| r.id.clone()))
            .or(rule.and_then(|r| r.id.clone()))
            .unwrap_or_else(|| "unidentified-rule".to_owned());
        let mut finding = Finding::new(
            context.tool.clone(),
            context.target.clone(),
            FindingKind::CodeIssue,
            VulnId::new(&rule_id),
        );
        self.fill_location(&mut finding);
        finding.tool_fingerprint =
            tool_fingerprint(self.fingerprints.as_ref().or(self.partial_fingerprints.as_ref()));
        let message = self.message.as_ref().and_then(Message::text);
        finding.title = rule
            .and_then(|r| r.short_description.as_ref().and_then(Message::text).or(r.name.as_deref()))
            .or(message.map(|m| m.lines().next().unwrap_or(m)))
            .unwrap_or(&rule_id)
            .to_owned();
        // The rule says what the problem is; the message, what the tool saw here.
        let full = rule.and_then(|r| r.full_description.as_ref()).and_then(Message::text);
        finding.description = full.map(str::to_owned);
        finding.evidence = message.map(str::to_owned);
        if let Some(rule) = rule {
            apply_rule(&mut finding, rule);
        }
        let level = self
            .level
            .as_deref()
            .or(rule.and_then(|r| r.default_configuration.as_ref()).and_then(|c| c.level.as_deref()))
            .unwrap_or("warning");
        let security_severity = rule
            .and_then(|r| r.properties.as_ref())
            .and_then(|p| p.get("security-severity"))
            .and_then(number);
        finding.set_severity(Some(level));
        if let Some(score) = security_severity {
            finding.severity = Severity::from_cvss_score(score);
        } else if self.kind.as_deref() == Some("informational") || level == "none" {
            finding.severity = Severity::Info;
        }
        finding.status = suppression_status(&self.suppressions);
        Some(finding)
    }

    fn fill_location(&self, finding: &mut Finding) {
        let physical = self.locations.iter().find_map(|l| l.physical_location.as_ref());
        if let Some(physical) = physical {
            finding.location.path = physical.artifact_location.as_ref().and_then(|a| a.uri.clone());
            if let Some(region) = &physical.region {
                finding.location.line = region.start_line;
                finding.location.column = region.start_column;
                finding.location.end_line = region.end_line;
            }
        }
    }
}

fn apply_rule(finding: &mut Finding, rule: &Rule) {
    if let Some(uri) = &rule.help_uri {
        finding.add_reference(uri);
    }
    let tags = rule.properties.as_ref().and_then(|p| p.get("tags")).and_then(|t| t.as_array());
    for tag in tags.into_iter().flatten().filter_map(|t| t.as_str()) {
        // CodeQL writes "external/cwe/cwe-079"; others write "CWE-79".
        let last = tag.rsplit('/').next().unwrap_or(tag);
        if let Some(cwe) = parse_cwe(last).filter(|_| last.to_ascii_lowercase().starts_with("cwe-")) {
            finding.add_cwe(cwe);
        }
    }
}

fn tool_fingerprint(prints: Option<&BTreeMap<String, serde_json::Value>>) -> Option<String> {
    let prints = prints.filter(|p| !p.is_empty())?;
    let joined: Vec<String> = prints
        .iter()
        .map(|(key, value)| {
            format!("{key}={}", value.as_str().map_or_else(|| value.to_string(), str::to_owned))
        })
        .collect();
    Some(joined.join(";"))
}

/// A suppression counts unless it was rejected.
fn suppression_status(suppressions: &[Suppression]) -> Status {
    suppressions.iter().find(|s| s.status.as_deref() != Some("rejected")).map_or(Status::Affected, |s| {
        Status::Suppressed {
            kind: format!("sarif {}", s.kind.as_deref().unwrap_or("suppression")),
            justification: s.justification.clone(),
        }
    })
}
