//! Nessus: the v2 XML export (`.nessus`) and the CSV exports of Nessus, Tenable.sc and
//! Tenable Vulnerability Management (whose column names differ; all are read by name).
//!
//! One finding is one plugin on one port of one host: the plugin is the unit of remedy, and
//! every CVE it covers is kept as an id of that finding.

use std::io::{BufRead, Seek};

use rapport_core::{
    Cvss, CvssVersion, Finding, FindingKind, Scope, Severity, Target, TargetKind, Tool, VulnId, parse_cwe,
};

use crate::xml::{Element, Step, XmlReader};
use crate::{ParseError, Position, ScanContext, Sink, Stop};

const PLUGIN_OUTPUT_LIMIT: usize = 4096;

pub(crate) fn parse_xml<R: BufRead + Seek>(
    input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut reader = XmlReader::new(input);
    let mut host: Option<String> = None;
    let mut scanned = Vec::new();
    let mut saw_root = false;
    loop {
        match reader.step()? {
            Step::Open { element, empty } => match element.name.as_str() {
                "NessusClientData_v2" if reader.path.len() <= 1 => saw_root = true,
                "ReportHost" => {
                    let name = element.attribute("name").map(str::to_owned);
                    let name = name.ok_or_else(|| reader.invalid("<ReportHost> without a name attribute"))?;
                    scanned.push(Scope { tool: nessus(), target: host_target(&name) });
                    host = Some(name);
                }
                "ReportItem" => {
                    let position = reader.position();
                    let item = reader.subtree(element, empty)?;
                    let Some(host) = host.as_deref() else {
                        return Err(ParseError::invalid(position, "<ReportItem> outside a <ReportHost>"));
                    };
                    let finding = report_item(&item, host).map_err(|m| ParseError::invalid(position, m))?;
                    sink(finding).map_err(|Stop| ParseError::Stopped)?;
                }
                _ if !saw_root => {
                    return Err(reader.invalid(format!(
                        "expected the root element <NessusClientData_v2>, found <{}>",
                        element.name
                    )));
                }
                _ => {}
            },
            Step::Close => {
                if reader.path.last().map(String::as_str) == Some("Report") {
                    host = None;
                }
            }
            Step::Eof => return Ok(scanned),
        }
    }
}

fn nessus() -> Tool {
    Tool { name: "nessus".into(), version: None }
}

fn host_target(host: &str) -> Target {
    Target { kind: TargetKind::Host, name: host.to_owned() }
}

fn report_item(item: &Element, host: &str) -> Result<Finding, String> {
    let plugin_id = item
        .attribute("pluginID")
        .filter(|id| !id.is_empty())
        .ok_or("<ReportItem> without a pluginID attribute")?;
    let mut finding = new_finding(host, plugin_id);
    finding.title =
        item.attribute("pluginName").or(item.child_text("plugin_name")).unwrap_or(plugin_id).to_owned();
    let port = item.attribute("port").unwrap_or("0");
    let protocol = item.attribute("protocol").unwrap_or("tcp");
    finding.location.service = Some(service(port, protocol, item.attribute("svc_name")));
    for cve in item.children_named("cve").filter_map(Element::text) {
        finding.add_id(cve);
    }
    for xref in item.children_named("xref").filter_map(Element::text) {
        add_xref(&mut finding, xref);
    }
    finding.description = join_text(&[item.child_text("synopsis"), item.child_text("description")]);
    if let Some(output) = item.child_text("plugin_output") {
        set_evidence(&mut finding, output);
    }
    finding.solution = item.child_text("solution").filter(|s| *s != "n/a").map(str::to_owned);
    for url in item.children_named("see_also").filter_map(Element::text).flat_map(str::split_whitespace) {
        finding.add_reference(url);
    }
    add_cvss(&mut finding, item.child_text("cvss_vector"), item.child_text("cvss_base_score"));
    add_cvss(&mut finding, item.child_text("cvss3_vector"), item.child_text("cvss3_base_score"));
    add_cvss(&mut finding, item.child_text("cvss4_vector"), item.child_text("cvss4_base_score"));
    let risk = item.child_text("risk_factor").or(item.attribute("severity"));
    finding.set_severity(risk);
    Ok(finding)
}

fn new_finding(host: &str, plugin_id: &str) -> Finding {
    Finding::new(
        nessus(),
        host_target(host),
        FindingKind::Vulnerability,
        VulnId::new(format!("NESSUS-{plugin_id}")),
    )
}

/// "443/tcp (www)"; port 0 is Nessus's "the host as a whole".
fn service(port: &str, protocol: &str, name: Option<&str>) -> String {
    let protocol = protocol.to_ascii_lowercase();
    match name.filter(|n| !n.is_empty()) {
        Some(name) => format!("{port}/{protocol} ({name})"),
        None => format!("{port}/{protocol}"),
    }
}

fn add_xref(finding: &mut Finding, xref: &str) {
    match xref.split_once(':') {
        Some((kind, value)) if kind.eq_ignore_ascii_case("CWE") => {
            if let Some(cwe) = parse_cwe(value) {
                finding.add_cwe(cwe);
            }
        }
        Some(("MSFT" | "MSKB" | "RHSA" | "USN" | "DSA", _)) => finding.add_id(xref),
        _ => {}
    }
}

fn add_cvss(finding: &mut Finding, vector: Option<&str>, score: Option<&str>) {
    let score = score.and_then(|s| s.trim().parse::<f64>().ok());
    match (vector, score) {
        (Some(vector), score) => finding.cvss.push(Cvss::from_vector(vector, score, Some("nessus"))),
        (None, Some(score)) => finding.cvss.push(Cvss::score_only(None, score, Some("nessus"))),
        (None, None) => {}
    }
}

fn join_text(parts: &[Option<&str>]) -> Option<String> {
    let present: Vec<&str> = parts.iter().flatten().copied().collect();
    (!present.is_empty()).then(|| present.join("\n\n"))
}

/// Plugin output is what the plugin saw on this host, sometimes pages of it; keep the start.
fn set_evidence(finding: &mut Finding, output: &str) {
    let cut = output.char_indices().nth(PLUGIN_OUTPUT_LIMIT).map_or(output.len(), |(i, _)| i);
    finding.evidence = Some(output.get(..cut).unwrap_or(output).to_owned());
}

/// The column names each export uses for the same thing.
struct Columns {
    plugin: usize,
    host: usize,
    cve: Option<usize>,
    protocol: Option<usize>,
    port: Option<usize>,
    name: Option<usize>,
    synopsis: Option<usize>,
    description: Option<usize>,
    solution: Option<usize>,
    see_also: Option<usize>,
    output: Option<usize>,
    risk: Option<usize>,
    cvss2_score: Option<usize>,
    cvss3_score: Option<usize>,
    cvss4_score: Option<usize>,
    cvss2_vector: Option<usize>,
    cvss3_vector: Option<usize>,
    cwe: Option<usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Columns, String> {
        let find =
            |names: &[&str]| names.iter().find_map(|name| header.iter().position(|h| h.trim() == *name));
        let plugin = find(&["Plugin ID", "Plugin", "definition.id"])
            .ok_or("no plugin column: expected `Plugin ID`, `Plugin` or `definition.id`")?;
        let host = find(&["Host", "IP Address", "asset.name", "asset.display_ipv4_address", "DNS Name"])
            .ok_or("no host column: expected `Host`, `IP Address` or `asset.name`")?;
        Ok(Columns {
            plugin,
            host,
            cve: find(&["CVE", "definition.cve"]),
            protocol: find(&["Protocol", "protocol"]),
            port: find(&["Port", "port"]),
            name: find(&["Name", "Plugin Name", "definition.name"]),
            synopsis: find(&["Synopsis", "definition.synopsis"]),
            description: find(&["Description", "definition.description"]),
            solution: find(&["Solution", "definition.solution"]),
            see_also: find(&["See Also", "definition.see_also"]),
            output: find(&["Plugin Output", "output"]),
            risk: find(&["Risk", "Risk Factor", "Severity", "severity", "definition.severity"]),
            cvss2_score: find(&[
                "CVSS v2.0 Base Score",
                "CVSS V2 Base Score",
                "CVSS",
                "definition.cvss2.base_score",
            ]),
            cvss3_score: find(&["CVSS v3.0 Base Score", "CVSS V3 Base Score", "definition.cvss3.base_score"]),
            cvss4_score: find(&["CVSS v4.0 Base Score"]),
            cvss2_vector: find(&["CVSS V2 Vector", "definition.cvss2.base_vector"]),
            cvss3_vector: find(&["CVSS V3 Vector", "definition.cvss3.base_vector"]),
            cwe: find(&["definition.cwe", "CWE"]),
        })
    }
}

pub(crate) fn parse_csv<R: BufRead + Seek>(
    mut input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let delimiter = sniff_delimiter(&mut input)?;
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(input);
    let header = reader.headers().map_err(|e| csv_error(&e))?.clone();
    let columns =
        Columns::of(&header).map_err(|m| ParseError::invalid(Position::Record { record: 1, line: 1 }, m))?;
    let mut pending: Option<Finding> = None;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| csv_error(&e))? {
        let position = record
            .position()
            .map_or(Position::Start, |p| Position::Record { record: p.record() + 1, line: p.line() });
        let finding = csv_finding(&record, &columns).map_err(|m| ParseError::invalid(position, m))?;
        // Exports repeat a row per CVE; consecutive rows of one finding become one finding.
        match pending.as_mut() {
            Some(current) if current.fingerprint() == finding.fingerprint() => merge(current, finding),
            _ => {
                if let Some(done) = pending.replace(finding) {
                    sink(done).map_err(|Stop| ParseError::Stopped)?;
                }
            }
        }
    }
    if let Some(done) = pending {
        sink(done).map_err(|Stop| ParseError::Stopped)?;
    }
    // The CSV exports list findings only; the hosts they cover are the hosts of the findings.
    Ok(Vec::new())
}

fn sniff_delimiter<R: BufRead>(input: &mut R) -> Result<u8, ParseError> {
    let head = input.fill_buf()?;
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.iter().filter(|b| **b == d).count();
    Ok(if count(b';') > count(b',') { b';' } else { b',' })
}

fn csv_error(error: &csv::Error) -> ParseError {
    let position = error
        .position()
        .map_or(Position::Start, |p| Position::Record { record: p.record() + 1, line: p.line() });
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => ParseError::invalid(position, "text that is not UTF-8"),
        _ => ParseError::invalid(position, error.to_string()),
    }
}

fn csv_finding(record: &csv::StringRecord, columns: &Columns) -> Result<Finding, String> {
    let get =
        |column: Option<usize>| column.and_then(|c| record.get(c)).map(str::trim).filter(|v| !v.is_empty());
    let plugin = get(Some(columns.plugin)).ok_or("the plugin id is empty")?;
    let host = get(Some(columns.host)).ok_or("the host is empty")?;
    let mut finding = new_finding(host, plugin);
    finding.title = get(columns.name).unwrap_or(plugin).to_owned();
    let port = get(columns.port).unwrap_or("0");
    finding.location.service = Some(service(port, get(columns.protocol).unwrap_or("tcp"), None));
    for cve in get(columns.cve).into_iter().flat_map(|c| c.split([',', ' ', ';'])) {
        finding.add_id(cve);
    }
    for cwe in get(columns.cwe).into_iter().flat_map(|c| c.split([',', ' '])).filter_map(parse_cwe) {
        finding.add_cwe(cwe);
    }
    finding.description = join_text(&[get(columns.synopsis), get(columns.description)]);
    if let Some(output) = get(columns.output) {
        set_evidence(&mut finding, output);
    }
    finding.solution = get(columns.solution).filter(|s| *s != "n/a").map(str::to_owned);
    for url in get(columns.see_also).into_iter().flat_map(str::split_whitespace) {
        finding.add_reference(url);
    }
    add_cvss(&mut finding, get(columns.cvss2_vector), get(columns.cvss2_score));
    add_cvss(&mut finding, get(columns.cvss3_vector), get(columns.cvss3_score));
    if let Some(score) = get(columns.cvss4_score).and_then(|s| s.parse().ok()) {
        finding.cvss.push(Cvss::score_only(Some(CvssVersion::V4), score, Some("nessus")));
    }
    finding.set_severity(get(columns.risk));
    if finding.severity == Severity::Unknown && get(columns.risk) == Some("None") {
        finding.severity = Severity::Info;
    }
    Ok(finding)
}

fn merge(into: &mut Finding, other: Finding) {
    for id in &other.ids {
        into.add_id(id.as_str());
    }
    for cwe in other.cwes {
        into.add_cwe(cwe);
    }
}
