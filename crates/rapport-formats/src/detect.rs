//! Telling a file's format from its content, never from its name.

use quick_xml::events::Event;

/// Every format Rapport reads, by the name the `--format` flag takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Trivy,
    Grype,
    Sarif,
    CycloneDxJson,
    CycloneDxXml,
    OsvScanner,
    NessusXml,
    NessusCsv,
    Snyk,
    Govulncheck,
    NpmAudit,
    GitlabDependencyScanning,
    GithubAlerts,
    DependencyCheck,
    OpenVasXml,
    OpenVasCsv,
    QualysXml,
    QualysCsv,
    OpenVex,
    Csaf,
}

pub const ALL_FORMATS: [Format; 20] = [
    Format::Trivy,
    Format::Grype,
    Format::Sarif,
    Format::CycloneDxJson,
    Format::CycloneDxXml,
    Format::OsvScanner,
    Format::NessusXml,
    Format::NessusCsv,
    Format::Snyk,
    Format::Govulncheck,
    Format::NpmAudit,
    Format::GitlabDependencyScanning,
    Format::GithubAlerts,
    Format::DependencyCheck,
    Format::OpenVasXml,
    Format::OpenVasCsv,
    Format::QualysXml,
    Format::QualysCsv,
    Format::OpenVex,
    Format::Csaf,
];

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Trivy => "trivy",
            Format::Grype => "grype",
            Format::Sarif => "sarif",
            Format::CycloneDxJson => "cyclonedx-json",
            Format::CycloneDxXml => "cyclonedx-xml",
            Format::OsvScanner => "osv-scanner",
            Format::NessusXml => "nessus",
            Format::NessusCsv => "nessus-csv",
            Format::Snyk => "snyk",
            Format::Govulncheck => "govulncheck",
            Format::NpmAudit => "npm-audit",
            Format::GitlabDependencyScanning => "gitlab-dependency-scanning",
            Format::GithubAlerts => "github",
            Format::DependencyCheck => "dependency-check",
            Format::OpenVasXml => "openvas",
            Format::OpenVasCsv => "openvas-csv",
            Format::QualysXml => "qualys",
            Format::QualysCsv => "qualys-csv",
            Format::OpenVex => "openvex",
            Format::Csaf => "csaf",
        }
    }

    /// True for formats whose documents hold VEX statements about findings rather than
    /// findings: read them with [`parse_vex`](crate::parse_vex).
    pub fn is_vex(self) -> bool {
        matches!(self, Format::OpenVex | Format::Csaf)
    }

    pub fn names() -> String {
        ALL_FORMATS.map(Format::name).join(", ")
    }

    /// The same format in the syntax `prefix` is written in: CycloneDX comes as JSON or XML,
    /// Nessus as XML or CSV, so `--format cyclonedx` or `--format nessus` fits either.
    pub fn in_syntax_of(self, prefix: &[u8]) -> Format {
        let body = prefix.get(bom_len(prefix)..).unwrap_or_default();
        let is_xml = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        match (self, is_xml) {
            (Format::CycloneDxJson, true) => Format::CycloneDxXml,
            (Format::CycloneDxXml, false) => Format::CycloneDxJson,
            (Format::NessusCsv, true) => Format::NessusXml,
            (Format::NessusXml, false) => Format::NessusCsv,
            (Format::OpenVasCsv, true) => Format::OpenVasXml,
            (Format::OpenVasXml, false) => Format::OpenVasCsv,
            (Format::QualysCsv, true) => Format::QualysXml,
            (Format::QualysXml, false) => Format::QualysCsv,
            (format, _) => format,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(name: &str) -> Result<Format, String> {
        if name.eq_ignore_ascii_case("cyclonedx") {
            return Ok(Format::CycloneDxJson);
        }
        ALL_FORMATS
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("unknown format {name:?}: expected one of {}", Format::names()))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DetectError {
    #[error("the file is empty")]
    Empty,
    #[error("not a scanner format Rapport reads: {0}; known formats: {known}", known = Format::names())]
    Unknown(String),
}

/// How many bytes [`detect`] wants to see; it decides from the start of the file.
pub const DETECT_PREFIX_LEN: usize = 256 * 1024;

/// The length of a UTF-8 byte-order mark at the start of `bytes` (0 or 3).
pub fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 }
}

/// Names the format of a file from its first [`DETECT_PREFIX_LEN`] bytes.
pub fn detect(prefix: &[u8]) -> Result<Format, DetectError> {
    let body = prefix.get(bom_len(prefix)..).unwrap_or_default();
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = start.and_then(|i| body.get(i)) else {
        return Err(DetectError::Empty);
    };
    match first {
        b'<' => detect_xml(body),
        b'{' | b'[' => detect_json(body),
        _ => detect_csv(body),
    }
}

fn detect_xml(body: &[u8]) -> Result<Format, DetectError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(element) | Event::Empty(element)) => {
                let root = element.local_name().as_ref().to_owned();
                return match root.as_str() {
                    "NessusClientData_v2" => Ok(Format::NessusXml),
                    "bom" => Ok(Format::CycloneDxXml),
                    "analysis" => Ok(Format::DependencyCheck),
                    "ASSET_DATA_REPORT" => Ok(Format::QualysXml),
                    // GMP reports carry the id of the report format that wrote them.
                    "report" if element.try_get_attribute("format_id").ok().flatten().is_some() => {
                        Ok(Format::OpenVasXml)
                    }
                    _ => Err(DetectError::Unknown(format!("XML with root element <{root}>"))),
                };
            }
            Ok(Event::Eof) | Err(_) => {
                return Err(DetectError::Unknown("XML without a root element".into()));
            }
            Ok(_) => buffer.clear(),
        }
    }
}

fn detect_json(body: &[u8]) -> Result<Format, DetectError> {
    let keys = crate::json::keys_near_top(body);
    let top = |name: &str| keys.iter().any(|(depth, key)| *depth == 1 && key == name);
    let nested = |name: &str| keys.iter().any(|(depth, key)| *depth > 1 && key == name);
    let array_root = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if top("bomFormat") {
        return Ok(Format::CycloneDxJson);
    }
    let head = String::from_utf8_lossy(body.get(..4096).unwrap_or(body)).to_ascii_lowercase();
    if top("statements") && (top("@context") || top("@id")) && head.contains("openvex") {
        return Ok(Format::OpenVex);
    }
    if top("document") && nested("csaf_version") {
        return Ok(Format::Csaf);
    }
    let mentions_sarif = head.contains("sarif");
    let sarif_log =
        top("runs") && (top("version") || top("$schema") || nested("driver") || nested("results"));
    if sarif_log || (top("$schema") && mentions_sarif && !top("externalizedProperties")) {
        return Ok(Format::Sarif);
    }
    if top("SchemaVersion") || top("ArtifactName") || top("ClusterName") || top("Results") {
        return Ok(Format::Trivy);
    }
    if array_root && top("Target") && (top("Vulnerabilities") || top("Type")) {
        return Ok(Format::Trivy);
    }
    if top("matches") && (top("descriptor") || nested("artifact") || nested("vulnerability")) {
        return Ok(Format::Grype);
    }
    if top("results") && (nested("packages") || nested("source")) {
        return Ok(Format::OsvScanner);
    }
    let npm_v6 =
        (top("advisories") && (top("actions") || top("muted"))) || (top("actions") && nested("resolves"));
    if top("auditReportVersion") || npm_v6 {
        return Ok(Format::NpmAudit);
    }
    let gitlab_parts = top("scan") || top("dependency_files") || top("remediations");
    if top("vulnerabilities") && top("version") && (gitlab_parts || nested("identifiers")) {
        return Ok(Format::GitlabDependencyScanning);
    }
    let snyk_parts = top("packageManager") || top("projectName") || top("dependencyCount");
    if top("vulnerabilities") && (snyk_parts || nested("upgradePath") || nested("semver")) {
        return Ok(Format::Snyk);
    }
    let streamed_govulncheck = top("osv") || top("finding") || nested("scanner_name");
    if streamed_govulncheck || top("Vulns") || (top("Calls") && nested("Functions")) {
        return Ok(Format::Govulncheck);
    }
    let rest_alert = array_root && (top("security_advisory") || (top("rule") && top("most_recent_instance")));
    if rest_alert || (top("data") && nested("vulnerabilityAlerts")) {
        return Ok(Format::GithubAlerts);
    }
    let mut seen: Vec<&str> =
        keys.iter().filter(|(depth, _)| *depth == 1).map(|(_, key)| key.as_str()).collect();
    seen.dedup();
    seen.truncate(8);
    Err(DetectError::Unknown(format!("JSON with top-level keys [{}]", seen.join(", "))))
}

fn detect_csv(body: &[u8]) -> Result<Format, DetectError> {
    let first = body.split(|b| *b == b'\n').next().unwrap_or_default();
    let header = crate::csv_table::fields_of(first);
    let has = |name: &str| header.iter().any(|field| field == name);
    let has_like = |part: &str| header.iter().any(|field| field.contains(part));
    let nessus = (has("Plugin ID") || has("Plugin") || has("definition.id"))
        && (has_like("Host") || has("IP Address") || has_like("asset."));
    if nessus {
        return Ok(Format::NessusCsv);
    }
    if has("NVT OID") && has_like("IP") {
        return Ok(Format::OpenVasCsv);
    }
    // VMDR exports put a title block of up to three lines above the header.
    let qualys_header = body.split(|b| *b == b'\n').take(8).any(|line| {
        let fields = crate::csv_table::fields_of(line);
        fields.iter().any(|f| f == "QID") && fields.iter().any(|f| f == "IP" || f.starts_with("Asset"))
    });
    if qualys_header {
        return Ok(Format::QualysCsv);
    }
    let shown: String = String::from_utf8_lossy(first).chars().take(80).collect();
    Err(DetectError::Unknown(format!("text starting {shown:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<Format, &str>) {
        let detected = detect(input.as_bytes()).map_err(|e| e.to_string());
        match expected {
            Ok(format) => assert_eq!(detected, Ok(format), "{input}"),
            Err(fragment) => {
                let message = detected.expect_err(input);
                assert!(message.contains(fragment), "{message}");
            }
        }
    }

    #[test]
    fn detects_from_content() {
        check(r#"{"SchemaVersion": 2, "ArtifactName": "x"}"#, Ok(Format::Trivy));
        check(r#"[{"Target": "a/package-lock.json", "Type": "npm"}]"#, Ok(Format::Trivy));
        check(r#"{"matches": [{"vulnerability": {}}]"#, Ok(Format::Grype));
        check(r#"{"$schema": "x", "version": "2.1.0", "runs": []}"#, Ok(Format::Sarif));
        check(r#"{"bomFormat": "CycloneDX"}"#, Ok(Format::CycloneDxJson));
        check(r#"{"results": [{"source": {"path": "x"}}]}"#, Ok(Format::OsvScanner));
        check("\u{feff}<?xml version=\"1.0\"?><bom/>", Ok(Format::CycloneDxXml));
        check("<?xml version=\"1.0\" ?>\n<NessusClientData_v2>", Ok(Format::NessusXml));
        check("Plugin ID,CVE,CVSS,Risk,Host,Protocol\n", Ok(Format::NessusCsv));
        // Tenable.sc's columns, with the header quoted or not (issue 19, item 7).
        check("\"Plugin\",\"Plugin Name\",\"Family\",\"Severity\",\"IP Address\"\n", Ok(Format::NessusCsv));
        check("Plugin,Plugin Name,Family,Severity,IP Address,Protocol,Port\n", Ok(Format::NessusCsv));
        check("age_in_days;asset.display_fqdn;definition.id;definition.name\n", Ok(Format::NessusCsv));
        check("Plugins,Hosts\n", Err("text starting \"Plugins,Hosts\""));
        check(r#"{"vulnerabilities": [], "ok": true, "packageManager": "npm"}"#, Ok(Format::Snyk));
        check(r#"[{"vulnerabilities": [], "projectName": "a"}]"#, Ok(Format::Snyk));
        check(r#"{"config": {"scanner_name": "govulncheck"}} {"osv": {}}"#, Ok(Format::Govulncheck));
        check(r#"{"auditReportVersion": 2, "vulnerabilities": {}}"#, Ok(Format::NpmAudit));
        check(r#"{"actions": [], "advisories": {}}"#, Ok(Format::NpmAudit));
        check(
            r#"{"version": "15.0.0", "vulnerabilities": [], "scan": {}}"#,
            Ok(Format::GitlabDependencyScanning),
        );
        check(
            r#"{"data": {"repository": {"vulnerabilityAlerts": {"nodes": []}}}}"#,
            Ok(Format::GithubAlerts),
        );
        check(r#"[{"number": 1, "rule": {}, "most_recent_instance": {}}]"#, Ok(Format::GithubAlerts));
        check(r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}"#, Ok(Format::OpenVex));
        check(r#"{"document": {"csaf_version": "2.0"}}"#, Ok(Format::Csaf));
    }

    #[test]
    fn says_what_it_saw_when_it_cannot_tell() {
        check("", Err("empty"));
        check("  \n ", Err("empty"));
        check(r#"{"hello": 1}"#, Err("top-level keys [hello]"));
        check("<html></html>", Err("root element <html>"));
        check("just text", Err("text starting"));
    }

    #[test]
    fn a_forced_family_follows_the_content_syntax() {
        let cyclonedx: Format = "cyclonedx".parse().unwrap();
        assert_eq!(cyclonedx.in_syntax_of(b"\n<?xml version=\"1.0\"?><bom/>"), Format::CycloneDxXml);
        assert_eq!(Format::NessusXml.in_syntax_of(b"Plugin ID,Host"), Format::NessusCsv);
        assert_eq!(Format::Trivy.in_syntax_of(b"<x/>"), Format::Trivy);
    }

    #[test]
    fn format_names_round_trip() {
        for format in ALL_FORMATS {
            assert_eq!(format.name().parse::<Format>(), Ok(format));
        }
    }
}
