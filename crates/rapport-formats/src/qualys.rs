//! Qualys: the XML asset data report (`ASSET_DATA_REPORT`), and the CSV exports of the scan
//! report and of VMDR's vulnerability data list (which may start with a title block above
//! the header, and repeats a row per CVE of a QID).
//!
//! One finding is one QID (the Qualys knowledge-base test) on one port of one host. The XML
//! report describes each QID once, in a glossary after the hosts, so it is read twice: a pass
//! that reads the glossary and skips the hosts, then a streaming pass over the hosts.
//! Detections Qualys marks as fixed are not findings; ignored or disabled ones are kept,
//! marked as suppressed.

use std::collections::HashMap;
use std::io::{BufRead, Seek, SeekFrom};

use rapport_core::{
    Cvss, CvssVersion, Finding, FindingKind, Scope, Severity, Status, Target, TargetKind, Tool, VulnId,
};

use crate::csv_table::{ColumnSpec, Columns, CsvTable};
use crate::xml::{Element, Step, XmlReader};
use crate::{ParseError, ScanContext, Sink};

fn qualys() -> Tool {
    Tool { name: "qualys".into(), version: None }
}

fn host_target(host: &str) -> Target {
    Target { kind: TargetKind::Host, name: host.to_owned() }
}

fn new_finding(host: &str, qid: &str) -> Finding {
    Finding::new(qualys(), host_target(host), FindingKind::Vulnerability, VulnId::new(format!("QID-{qid}")))
}

/// Qualys severities run from 1 (minimal) to 5 (urgent).
fn severity_of(level: Option<&str>) -> Severity {
    match level.map(str::trim) {
        Some("5") => Severity::Critical,
        Some("4") => Severity::High,
        Some("3") => Severity::Medium,
        Some("2") => Severity::Low,
        Some("1") => Severity::Info,
        _ => Severity::Unknown,
    }
}

/// Qualys writes its texts as HTML fragments; the tags go, the words stay.
fn plain(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    let lines: Vec<String> = text
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect();
    lines.join("\n")
}

fn service(port: Option<&str>, protocol: Option<&str>, name: Option<&str>) -> Option<String> {
    let port = port?;
    let protocol = protocol.unwrap_or("tcp").to_ascii_lowercase();
    Some(match name {
        Some(name) => format!("{port}/{protocol} ({name})"),
        None => format!("{port}/{protocol}"),
    })
}

pub(crate) fn parse_xml<R: BufRead + Seek>(
    mut input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let start = input.stream_position()?;
    let glossary = read_glossary(XmlReader::new(&mut input))?;
    input.seek(SeekFrom::Start(start))?;
    let mut reader = XmlReader::new(input);
    let mut scanned = Vec::new();
    loop {
        match reader.step()? {
            Step::Open { element, empty } if element.name == "HOST" => {
                let position = reader.position();
                let host = reader.subtree(element, empty)?;
                let address = host.child_text("IP").or(host.child_text("DNS"));
                let address = address
                    .ok_or_else(|| ParseError::invalid(position.clone(), "a <HOST> without an <IP>"))?;
                scanned.push(Scope { tool: qualys(), target: host_target(address) });
                let detections =
                    host.child("VULN_INFO_LIST").into_iter().flat_map(|l| l.children_named("VULN_INFO"));
                for detection in detections {
                    if let Some(finding) = xml_detection(address, detection, &glossary)
                        .map_err(|m| ParseError::invalid(position.clone(), m))?
                    {
                        sink(finding)?;
                    }
                }
            }
            Step::Open { .. } | Step::Close => {}
            Step::Eof => return Ok(scanned),
        }
    }
}

/// The first pass: the QID descriptions, keyed by QID.
fn read_glossary<R: BufRead>(mut reader: XmlReader<R>) -> Result<HashMap<String, Element>, ParseError> {
    let mut glossary = HashMap::new();
    let mut saw_root = false;
    loop {
        match reader.step()? {
            Step::Open { element, empty } => match element.name.as_str() {
                "ASSET_DATA_REPORT" if reader.path.len() <= 1 => saw_root = true,
                _ if !saw_root => {
                    return Err(reader.invalid(format!(
                        "expected the root element <ASSET_DATA_REPORT>, found <{}>",
                        element.name
                    )));
                }
                "VULN_DETAILS" => {
                    let details = reader.subtree(element, empty)?;
                    if let Some(qid) = details.child_text("QID").map(str::to_owned) {
                        glossary.insert(qid, details);
                    }
                }
                _ => {}
            },
            Step::Close => {}
            Step::Eof if saw_root => return Ok(glossary),
            Step::Eof => {
                return Err(reader.invalid("expected the root element <ASSET_DATA_REPORT>, found nothing"));
            }
        }
    }
}

fn xml_detection(
    host: &str,
    detection: &Element,
    glossary: &HashMap<String, Element>,
) -> Result<Option<Finding>, String> {
    if detection.child_text("VULN_STATUS").is_some_and(|s| s.eq_ignore_ascii_case("fixed")) {
        return Ok(None);
    }
    let qid = detection.child_text("QID").ok_or("a <VULN_INFO> without a <QID>")?;
    let details =
        glossary.get(qid).ok_or_else(|| format!("QID {qid} is not described in the report's glossary"))?;
    let mut finding = new_finding(host, qid);
    let cves = details.child("CVE_ID_LIST").into_iter().flat_map(|l| l.children_named("CVE_ID"));
    for cve in cves.filter_map(|c| c.child_text("ID")) {
        finding.add_id(cve);
    }
    finding.title = details.child_text("TITLE").unwrap_or(qid).to_owned();
    let parts: Vec<String> = [details.child_text("THREAT"), details.child_text("IMPACT")]
        .into_iter()
        .flatten()
        .map(plain)
        .filter(|p| p != "N/A")
        .collect();
    finding.description = Some(parts.join("\n\n")).filter(|d| !d.is_empty());
    finding.solution = details.child_text("SOLUTION").map(plain).filter(|s| s != "N/A");
    finding.evidence = detection.child_text("RESULT").map(|r| crate::leading_chars(r, 4096).to_owned());
    finding.location.service = service(
        detection.child_text("PORT"),
        detection.child_text("PROTOCOL"),
        detection.child_text("SERVICE"),
    );
    let scores = [("CVSS_SCORE", "CVSS_BASE", Some(CvssVersion::V2)), ("CVSS3_SCORE", "CVSS3_BASE", None)];
    for (parent, base, version) in scores {
        let score = details.child(parent).and_then(|p| p.child_text(base)).and_then(|s| s.parse().ok());
        if let Some(score) = score {
            finding.cvss.push(Cvss::score_only(version, score, Some("qualys")));
        }
    }
    let references =
        details.child("VENDOR_REFERENCE_LIST").into_iter().flat_map(|l| l.children_named("VENDOR_REFERENCE"));
    for url in references.filter_map(|r| r.child_text("URL")) {
        finding.add_reference(url);
    }
    let level = details.child_text("SEVERITY");
    finding.tool_severity = level.map(str::to_owned);
    // Information gathered (`Ig`) is what Qualys learnt about the host, not a flaw.
    finding.severity = match detection.child_text("TYPE") {
        Some("Ig") => Severity::Info,
        _ => severity_of(level),
    };
    Ok(Some(finding))
}

/// The scan report's and VMDR's names for the same columns.
const CSV_COLUMNS: &[ColumnSpec] = &[
    ("qid", &["QID"], true),
    ("host", &["IP", "Asset IPV4", "Asset IPV6", "Asset Name"], true),
    ("title", &["Title"], false),
    ("severity", &["Severity"], false),
    ("type", &["Type", "Type Detected"], false),
    ("status", &["Vuln Status", "Status"], false),
    ("port", &["Port"], false),
    ("protocol", &["Protocol"], false),
    ("cve", &["CVE ID", "CVE"], false),
    ("cvss2", &["CVSS Base", "CVSSv2 Base (nvd)"], false),
    ("cvss3", &["CVSS3 Base", "CVSSv3.1 Base (nvd)"], false),
    ("threat", &["Threat"], false),
    ("impact", &["Impact"], false),
    ("solution", &["Solution"], false),
    ("results", &["Results"], false),
    ("ignored", &["Ignored"], false),
    ("disabled", &["Disabled"], false),
];

pub(crate) fn parse_csv<R: BufRead + Seek>(
    input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let is_header = |record: &csv::StringRecord| record.iter().any(|field| field.trim() == "QID");
    let mut table = CsvTable::new(input, is_header, "a Qualys header with a `QID` column")?;
    let columns = Columns::find(table.header(), CSV_COLUMNS).map_err(|m| table.header_error(m))?;
    // VMDR repeats a row per CVE of the QID.
    table.each_finding(|record| csv_finding(record, &columns), sink)?;
    // The exports list detections only; the hosts they cover are the hosts of the findings.
    Ok(Vec::new())
}

fn csv_finding(record: &csv::StringRecord, columns: &Columns) -> Result<Option<Finding>, String> {
    // `'-` is how the exports write "nothing".
    let get = |name: &str| columns.get(record, name).filter(|v| *v != "'-" && *v != "-");
    if get("status").is_some_and(|s| s.eq_ignore_ascii_case("fixed")) {
        return Ok(None);
    }
    let qid = get("qid").ok_or("the QID is empty")?;
    // An asset with several addresses lists them all; the first names it.
    let host = get("host").ok_or("the asset has no IP address or name")?;
    let host = host.split(',').next().unwrap_or(host).trim();
    let mut finding = new_finding(host, qid);
    for cve in get("cve").into_iter().flat_map(|c| c.split([',', ' '])) {
        finding.add_id(cve);
    }
    finding.title = get("title").unwrap_or(qid).to_owned();
    let parts: Vec<String> = [get("threat"), get("impact")].into_iter().flatten().map(plain).collect();
    finding.description = Some(parts.join("\n\n")).filter(|d| !d.is_empty());
    finding.solution = get("solution").map(plain);
    finding.evidence = get("results").map(|r| crate::leading_chars(r, 4096).to_owned());
    finding.location.service = service(get("port"), get("protocol"), None);
    for (column, version) in [("cvss2", Some(CvssVersion::V2)), ("cvss3", None)] {
        if let Some(score) = get(column).and_then(|s| s.parse().ok()) {
            finding.cvss.push(Cvss::score_only(version, score, Some("qualys")));
        }
    }
    finding.tool_severity = get("severity").map(str::to_owned);
    finding.severity = match get("type") {
        Some("Ig") => Severity::Info,
        _ => severity_of(get("severity")),
    };
    let yes = |name: &str| get(name).is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    if yes("ignored") || yes("disabled") {
        let kind = if yes("ignored") { "ignored in Qualys" } else { "disabled in Qualys" };
        finding.status = Status::Suppressed { kind: kind.into(), justification: None };
    }
    Ok(Some(finding))
}
