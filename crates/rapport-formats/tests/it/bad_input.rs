//! Bad input gets an error that says where and what was expected.

use rapport_formats::ParseError;

use crate::support::{Outcome, read_bytes};

fn rejected(bytes: &[u8]) -> String {
    match read_bytes(bytes) {
        Outcome::Rejected(error) => error.to_string(),
        Outcome::Undetected(reason) => reason,
        Outcome::Parsed(format, findings) => {
            panic!("accepted as {format} with {} findings", findings.len())
        }
        Outcome::Statements(format, statements) => {
            panic!("accepted as {format} with {} statements", statements.len())
        }
    }
}

#[test]
fn truncated_json_names_the_place() {
    let whole = std::fs::read(crate::support::corpus("scans/trivy/issue_9092.json")).unwrap();
    let cut = &whole[..whole.len() / 2];
    let message = rejected(cut);
    assert!(message.starts_with("the file ended early at line"), "{message}");
}

#[test]
fn truncated_xml_names_the_element() {
    let whole =
        std::fs::read(crate::support::corpus("scans/cyclonedx/multiple_cwes_fabricated.xml")).unwrap();
    let message = rejected(&whole[..900]);
    assert!(message.contains("the document ends inside <"), "{message}");
}

#[test]
fn corrupt_json_says_what_was_expected() {
    let message = rejected(b"{\"SchemaVersion\": 2, \"ArtifactName\": \"x\",\n \"Results\": [{\"Target\": \"t\",\n  \"Vulnerabilities\": [\n   {\"VulnerabilityID\": 5}\n  ]}\n ]}");
    assert_eq!(message, "at line 4, column 24: invalid type: integer `5`, expected a string");
}

#[test]
fn a_sarif_log_without_runs_is_refused() {
    let message =
        rejected(br#"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json"}"#);
    assert!(message.contains("needs a `runs` array"), "{message}");
}

#[test]
fn empty_and_unknown_files_are_named_as_such() {
    assert_eq!(rejected(b""), "the file is empty");
    assert!(rejected(b"{\"hello\": 1}").contains("top-level keys [hello]"));
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(br#"{"SchemaVersion": 2, "ArtifactName": "img", "Results": []}"#);
    assert!(matches!(read_bytes(&bytes), crate::support::Outcome::Parsed(_, found) if found.is_empty()));
}

#[test]
fn trailing_garbage_is_refused() {
    let message = rejected(br#"{"SchemaVersion": 2, "ArtifactName": "img", "Results": []} {"#);
    assert!(message.contains("trailing characters"), "{message}");
}

#[test]
fn stopped_is_not_blamed_on_the_file() {
    let bytes = br#"{"SchemaVersion": 2, "ArtifactName": "img", "Results": [{"Target": "t", "Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}]}"#;
    let context = rapport_formats::ScanContext { fallback_target: "x".into() };
    let error = rapport_formats::parse(
        rapport_formats::Format::Trivy,
        std::io::Cursor::new(&bytes[..]),
        &context,
        &mut |_| Err(rapport_formats::Stop),
    )
    .unwrap_err();
    assert!(matches!(error, ParseError::Stopped));
}

/// Every JSON and XML sample of a format, cut in half, is refused with the place it ended.
#[test]
fn every_cut_report_is_refused_with_its_place() {
    let samples = [
        "scans/snyk/single_project_many_vulns.json",
        "scans/snyk/snykcontainer_issue_epss.json",
        "scans/govulncheck/issue_15033.json",
        "scans/govulncheck/many_vulns.json",
        "scans/npm_audit/multiple_cwes.json",
        "scans/npm_audit_7_plus/many_vulns.json",
        "scans/gitlab_dep_scan/gl-dependency-scanning-report-many-vuln_v15.json",
        "scans/github_vulnerability/github-vuln-version.json",
        "scans/github_vulnerability/issue_9582.json",
        "scans/dependency_check/PR6439.xml",
        "scans/openvas/many_vuln.xml",
        "scans/qualys/Qualys_Sample_Report.xml",
    ];
    for sample in samples {
        let whole = std::fs::read(crate::support::corpus(sample)).unwrap();
        let message = rejected(&whole[..whole.len() / 2]);
        let placed = message.starts_with("the file ended early at ") || message.starts_with("at ");
        assert!(placed, "{sample}: {message}");
    }
}

#[test]
fn a_csv_export_without_its_key_column_is_refused() {
    let message = rejected(b"IP,Hostname,Port,Port Protocol,NVT OID\n10.0.0.1,a,22,tcp,\n");
    assert_eq!(message, "at record 2 (line 2): the NVT OID is empty");
    let message = rejected(b"\"IP\",\"QID\",\"Title\"\n\"\",\"6\",\"DNS Host Name\"\n");
    assert_eq!(message, "at record 2 (line 2): the asset has no IP address or name");
}

#[test]
fn a_govulncheck_finding_without_its_advisory_is_refused() {
    let message = rejected(br#"{"config": {"scanner_name": "govulncheck"}} {"finding": {"osv": "GO-1", "trace": [{"module": "m"}]}}"#);
    assert!(message.contains("names GO-1, but no `osv` message describes it"), "{message}");
}

/// Issue 18, items 1 and 10: real files of every XML format with a nest of 50,000 elements,
/// or 200,000 siblings, put inside their first record. Deep nesting is refused with its
/// place; wide is read or refused; neither may overflow the stack.
#[test]
fn every_xml_format_refuses_deep_nesting_and_survives_wide() {
    let files = [
        ("scans/nessus/nessus_v_unknown.xml", "</ReportItem>"),
        ("scans/openvas/many_vuln.xml", "</result>"),
        ("scans/qualys/Qualys_Sample_Report.xml", "</VULN_INFO>"),
        ("scans/cyclonedx/dd_1_15_0.xml", "</component>"),
        ("scans/dependency_check/multiple_vulnerabilities_has_multiple_findings.xml", "</vulnerability>"),
    ];
    for (file, record_end) in files {
        let text = std::fs::read_to_string(crate::support::corpus(file)).unwrap();
        let at = text.find(record_end).unwrap_or_else(|| panic!("{file} has no {record_end}"));
        let inserted = |nest: &str| format!("{}{nest}{}", &text[..at], &text[at..]);

        let deep = inserted(&format!("{}{}", "<a>".repeat(50_000), "</a>".repeat(50_000)));
        let message = rejected(deep.as_bytes());
        assert!(message.contains("elements nest more than 256 deep (at <a> inside <"), "{file}: {message}");

        let wide = inserted(&"<w x=\"1\">text</w>".repeat(200_000));
        match read_bytes(wide.as_bytes()) {
            Outcome::Parsed(..) | Outcome::Rejected(_) => {}
            other => panic!("{file}: {other:?}"),
        }
    }
}
