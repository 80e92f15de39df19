//! OpenVAS / Greenbone: the XML report (GMP `get_reports`, root `<report>`) and the CSV
//! results export. One finding is one NVT (the test, by its OID) on one port of one host,
//! like a Nessus plugin.
//!
//! Results Greenbone shows as false positives (an override set their threat to `False
//! Positive`) are kept, marked as suppressed.

use std::io::{BufRead, Seek};

use rapport_core::{Cvss, Finding, FindingKind, Scope, Severity, Status, Target, TargetKind, Tool, VulnId};

use crate::csv_table::{ColumnSpec, Columns, CsvTable};
use crate::xml::{Element, Step, XmlReader};
use crate::{ParseError, ScanContext, Sink};

fn openvas() -> Tool {
    Tool { name: "openvas".into(), version: None }
}

fn host_target(ip: &str) -> Target {
    Target { kind: TargetKind::Host, name: ip.to_owned() }
}

/// The parts every OpenVAS finding is built from, from either export.
struct Result<'a> {
    host: &'a str,
    port: Option<&'a str>,
    oid: &'a str,
    name: Option<&'a str>,
    threat: Option<&'a str>,
    score: Option<&'a str>,
    cves: Vec<&'a str>,
    summary: Option<&'a str>,
    insight: Option<&'a str>,
    impact: Option<&'a str>,
    specific: Option<&'a str>,
    solution: Option<&'a str>,
    references: Vec<&'a str>,
}

impl Result<'_> {
    fn into_finding(self) -> Finding {
        let mut finding = Finding::new(
            openvas(),
            host_target(self.host),
            FindingKind::Vulnerability,
            VulnId::new(self.oid),
        );
        for cve in self.cves {
            finding.add_id(cve);
        }
        finding.title = self.name.unwrap_or(self.oid).to_owned();
        // `general/tcp` and an empty port both mean "the host as a whole".
        finding.location.service = Some(self.port.unwrap_or("general/tcp").to_owned());
        let parts: Vec<&str> = [self.summary, self.insight, self.impact].into_iter().flatten().collect();
        finding.description = Some(parts.join("\n\n")).filter(|d| !d.is_empty());
        finding.evidence = self.specific.map(|s| crate::leading_chars(s, 4096).to_owned());
        finding.solution = self.solution.map(str::to_owned);
        for url in self.references {
            finding.add_reference(url);
        }
        if let Some(score) = self.score.and_then(|s| s.parse::<f64>().ok()) {
            finding.cvss.push(Cvss::score_only(None, score, Some("openvas")));
        }
        let threat = self.threat.unwrap_or_default();
        match threat.to_ascii_lowercase().as_str() {
            "log" => finding.severity = Severity::Info,
            "false positive" => {
                finding.set_severity(None);
                finding.status =
                    Status::Suppressed { kind: "Greenbone override".into(), justification: None };
            }
            _ => finding.set_severity(Some(threat)),
        }
        finding.tool_severity = Some(threat.to_owned()).filter(|t| !t.is_empty());
        finding
    }
}

pub(crate) fn parse_xml<R: BufRead + Seek>(
    input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> std::result::Result<Vec<Scope>, ParseError> {
    let mut reader = XmlReader::new(input);
    let mut scanned: Vec<Scope> = Vec::new();
    let mut saw_root = false;
    loop {
        match reader.step()? {
            Step::Open { element, empty } => match element.name.as_str() {
                "report" if reader.path.len() <= 2 => saw_root = true,
                _ if !saw_root => {
                    return Err(reader
                        .invalid(format!("expected the root element <report>, found <{}>", element.name)));
                }
                "result" if reader.path.iter().any(|p| p == "results") => {
                    let position = reader.position();
                    let result = reader.subtree(element, empty)?;
                    let finding = xml_result(&result).map_err(|m| ParseError::invalid(position, m))?;
                    sink(finding)?;
                }
                // The hosts the report covers, findings or not.
                "host" if reader.path.len() == 3 => {
                    let host = reader.subtree(element, empty)?;
                    if let Some(ip) = host.child_text("ip") {
                        let scope = Scope { tool: openvas(), target: host_target(ip) };
                        if !scanned.contains(&scope) {
                            scanned.push(scope);
                        }
                    }
                }
                _ => {}
            },
            Step::Close => {}
            Step::Eof if saw_root => return Ok(scanned),
            Step::Eof => return Err(reader.invalid("expected the root element <report>, found nothing")),
        }
    }
}

fn xml_result(result: &Element) -> std::result::Result<Finding, String> {
    let host = result.child("host").and_then(Element::text).ok_or("a <result> without a <host>")?;
    let nvt = result.child("nvt").ok_or("a <result> without an <nvt>")?;
    let oid = nvt.attribute("oid").ok_or("an <nvt> without an oid attribute")?;
    let tags = nvt.child_text("tags").unwrap_or_default();
    let tag = |name: &str| {
        tags.split('|')
            .find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let refs = nvt.child("refs");
    let refs_of = |kind: &'static str| {
        refs.into_iter()
            .flat_map(|r| r.children_named("ref"))
            .filter(move |r| r.attribute("type") == Some(kind))
            .filter_map(|r| r.attribute("id"))
    };
    let parts = Result {
        host,
        port: result.child_text("port"),
        oid,
        name: nvt.child_text("name"),
        threat: result.child_text("threat"),
        score: result.child_text("severity").or(nvt.child_text("cvss_base")),
        cves: refs_of("cve").collect(),
        summary: tag("summary"),
        insight: tag("insight"),
        impact: tag("impact"),
        specific: result.child_text("description"),
        solution: nvt.child_text("solution").or(tag("solution")),
        references: refs_of("url").collect(),
    };
    Ok(parts.into_finding())
}

pub(crate) fn parse_csv<R: BufRead + Seek>(
    input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> std::result::Result<Vec<Scope>, ParseError> {
    let mut table = CsvTable::new(input, |_| true, "an OpenVAS results header")?;
    let columns = Columns::find(table.header(), CSV_COLUMNS).map_err(|m| table.header_error(m))?;
    while table.advance()? {
        let record = table.record();
        let get = |name: &str| columns.get(record, name);
        let host = get("IP").ok_or_else(|| table.record_error("the IP is empty"))?;
        let oid = get("NVT OID").ok_or_else(|| table.record_error("the NVT OID is empty"))?;
        let port = match (get("port"), get("protocol")) {
            (Some(port), Some(protocol)) => Some(format!("{port}/{protocol}")),
            _ => None,
        };
        let references = get("references").into_iter().flat_map(|r| r.split([',', ' ', '\n']));
        let parts = Result {
            host,
            port: port.as_deref(),
            oid,
            name: get("name"),
            threat: get("severity"),
            score: get("cvss"),
            cves: get("cves")
                .into_iter()
                .flat_map(|c| c.split([',', ' ']))
                .filter(|c| !c.is_empty())
                .collect(),
            summary: get("summary"),
            insight: get("insight"),
            impact: get("impact"),
            specific: get("specific"),
            solution: get("solution"),
            references: references.filter(|r| r.starts_with("http")).collect(),
        };
        sink(parts.into_finding())?;
    }
    // The export lists results only; the hosts it covers are the hosts of its findings.
    Ok(Vec::new())
}

const CSV_COLUMNS: &[ColumnSpec] = &[
    ("IP", &["IP"], true),
    ("NVT OID", &["NVT OID"], true),
    ("port", &["Port"], false),
    ("protocol", &["Port Protocol"], false),
    ("name", &["NVT Name"], false),
    ("severity", &["Severity"], false),
    ("cvss", &["CVSS"], false),
    ("cves", &["CVEs"], false),
    ("summary", &["Summary"], false),
    ("insight", &["Vulnerability Insight"], false),
    ("impact", &["Impact"], false),
    ("specific", &["Specific Result"], false),
    ("solution", &["Solution"], false),
    ("references", &["Other References"], false),
];
