//! Nessus: the v2 XML export (`.nessus`) and the CSV exports of Nessus, Tenable.sc and
//! Tenable Vulnerability Management (whose column names differ; all are read by name).
//!
//! One finding is one plugin on one port of one host: the plugin is the unit of remedy, and
//! every CVE it covers is kept as an id of that finding.

use std::io::{BufRead, Seek};

use rapport_core::{
    Cvss, CvssVersion, Finding, FindingKind, Scope, Severity, Target, TargetKind, Tool, VulnId, parse_cwe,
};

use crate::csv_table::{ColumnSpec, Columns, CsvTable};
use crate::xml::{Element, Step, XmlReader};
use crate::{ParseError, ScanContext, Sink};

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
                    sink(finding)?;
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
    finding.evidence = Some(crate::leading_chars(output, PLUGIN_OUTPUT_LIMIT).to_owned());
}

/// The column names each export (Nessus, Tenable.sc, Tenable Vulnerability Management)
/// uses for the same thing.
const CSV_COLUMNS: &[ColumnSpec] = &[
    ("plugin", &["Plugin ID", "Plugin", "definition.id"], true),
    ("host", &["Host", "IP Address", "asset.name", "asset.display_ipv4_address", "DNS Name"], true),
    ("cve", &["CVE", "definition.cve"], false),
    ("protocol", &["Protocol", "protocol"], false),
    ("port", &["Port", "port"], false),
    ("name", &["Name", "Plugin Name", "definition.name"], false),
    ("synopsis", &["Synopsis", "definition.synopsis"], false),
    ("description", &["Description", "definition.description"], false),
    ("solution", &["Solution", "definition.solution"], false),
    ("see_also", &["See Also", "definition.see_also"], false),
    ("output", &["Plugin Output", "output"], false),
    ("risk", &["Risk", "Risk Factor", "Severity", "severity", "definition.severity"], false),
    (
        "cvss2_score",
        &["CVSS v2.0 Base Score", "CVSS V2 Base Score", "CVSS", "definition.cvss2.base_score"],
        false,
    ),
    (
        "cvss3_score",
        &["CVSS v3.0 Base Score", "CVSS V3 Base Score", "CVSSv3", "definition.cvss3.base_score"],
        false,
    ),
    ("cvss4_score", &["CVSS v4.0 Base Score"], false),
    ("cvss2_vector", &["CVSS V2 Vector", "definition.cvss2.base_vector"], false),
    ("cvss3_vector", &["CVSS V3 Vector", "definition.cvss3.base_vector"], false),
    ("cwe", &["definition.cwe", "CWE"], false),
];

pub(crate) fn parse_csv<R: BufRead + Seek>(
    input: R,
    _context: &ScanContext,
    sink: &mut Sink<'_>,
) -> Result<Vec<Scope>, ParseError> {
    let mut table = CsvTable::new(input, |_| true, "a Nessus export header")?;
    let columns = Columns::find(table.header(), CSV_COLUMNS).map_err(|m| table.header_error(m))?;
    table.each_finding(|record| csv_finding(record, &columns).map(Some), sink)?;
    // The CSV exports list findings only; the hosts they cover are the hosts of the findings.
    Ok(Vec::new())
}

fn csv_finding(record: &csv::StringRecord, columns: &Columns) -> Result<Finding, String> {
    let get = |name: &str| columns.get(record, name);
    let plugin = get("plugin").ok_or("the plugin id is empty")?;
    let host = get("host").ok_or("the host is empty")?;
    let mut finding = new_finding(host, plugin);
    finding.title = get("name").unwrap_or(plugin).to_owned();
    let port = get("port").unwrap_or("0");
    finding.location.service = Some(service(port, get("protocol").unwrap_or("tcp"), None));
    for cve in get("cve").into_iter().flat_map(|c| c.split([',', ' ', ';'])) {
        finding.add_id(cve);
    }
    for cwe in get("cwe").into_iter().flat_map(|c| c.split([',', ' '])).filter_map(parse_cwe) {
        finding.add_cwe(cwe);
    }
    finding.description = join_text(&[get("synopsis"), get("description")]);
    if let Some(output) = get("output") {
        set_evidence(&mut finding, output);
    }
    finding.solution = get("solution").filter(|s| *s != "n/a").map(str::to_owned);
    for url in get("see_also").into_iter().flat_map(str::split_whitespace) {
        finding.add_reference(url);
    }
    add_cvss(&mut finding, get("cvss2_vector"), get("cvss2_score"));
    add_cvss(&mut finding, get("cvss3_vector"), get("cvss3_score"));
    if let Some(score) = get("cvss4_score").and_then(|s| s.parse().ok()) {
        finding.cvss.push(Cvss::score_only(Some(CvssVersion::V4), score, Some("nessus")));
    }
    finding.set_severity(get("risk"));
    if finding.severity == Severity::Unknown && get("risk") == Some("None") {
        finding.severity = Severity::Info;
    }
    Ok(finding)
}
