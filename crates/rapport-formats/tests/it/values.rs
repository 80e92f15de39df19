//! Concrete values read off each format's samples by eye.

use rapport_core::{CvssVersion, FindingKind, Severity, Status, TargetKind};

use crate::support::findings;

#[test]
fn trivy_filesystem_report() {
    let found = findings("scans/trivy/issue_9092.json");
    assert_eq!(found.len(), 1);
    let certifi = &found[0];
    assert_eq!(certifi.target.name, "sbom.json");
    assert_eq!(certifi.display_id(), "CVE-2023-37920");
    assert_eq!(certifi.location.path.as_deref(), Some("requirements.txt"));
    let component = certifi.component.as_ref().unwrap();
    assert_eq!(component.name, "certifi");
    assert_eq!(component.ecosystem.as_deref(), Some("pip"));
    assert_eq!(component.installed_version.as_deref(), Some("2022.5.18.1"));
    assert_eq!(component.fixed_version.as_deref(), Some("2023.7.22"));
    assert_eq!(certifi.severity, Severity::High);
    assert_eq!(certifi.cwes, vec![345]);
    let nvd = certifi.cvss.iter().find(|c| c.source.as_deref() == Some("nvd")).unwrap();
    assert_eq!(nvd.version, Some(CvssVersion::V31));
    assert_eq!(nvd.score, Some(9.8));
}

#[test]
fn trivy_kubernetes_report_names_each_resource() {
    let found = findings("scans/trivy/kubernetes.json");
    let first = &found[0];
    assert_eq!(first.target.kind, TargetKind::KubernetesResource);
    assert_eq!(
        first.target.name,
        "arn:aws:eks:us-east-1:576036489467:cluster/monitoring-test-cluster/default/Deployment/redis-follower"
    );
    assert_eq!(first.display_id(), "CVE-2020-27350");
    assert_eq!(first.ids.iter().map(|i| i.as_str()).collect::<Vec<_>>(), ["CVE-2020-27350", "DSA-4808-1"]);
    let misconfiguration = found.iter().find(|f| f.kind == FindingKind::Misconfiguration).unwrap();
    assert_eq!(misconfiguration.display_id(), "KSV001");
    assert_eq!(misconfiguration.location.line, Some(132));
    assert_eq!(misconfiguration.severity, Severity::Medium);
}

#[test]
fn grype_image_report() {
    let found = findings("scans/anchore_grype/fix_available.json");
    let java = &found[0];
    assert_eq!(java.tool.name, "grype");
    assert_eq!(java.tool.version.as_deref(), Some("0.75.0"));
    assert_eq!(java.target.kind, TargetKind::ContainerImage);
    assert_eq!(java.target.name, "REDACTED");
    assert_eq!(java.display_id(), "CVE-2009-3882");
    assert_eq!(java.location.path.as_deref(), Some("/opt/java/openjdk/bin/java"));
    let component = java.component.as_ref().unwrap();
    // The file really has a NUL inside the purl; it is kept as written.
    assert_eq!(component.purl.as_deref(), Some("pkg:generic/java@17.0.10%2B7\u{0}-J-ms8m"));
    assert_eq!(component.fixed_version.as_deref(), Some("1.2.3"));
    assert_eq!(java.cvss[0].version, Some(CvssVersion::V2));
    assert_eq!(java.cvss[0].score, Some(7.5));
    assert_eq!(java.severity, Severity::High);
}

#[test]
fn sarif_specification_example() {
    let found = findings("scans/sarif/appendix_k.sarif");
    let result = &found[0];
    assert_eq!(result.tool.name, "CodeScanner");
    assert_eq!(result.tool.version.as_deref(), Some("2.1.0"));
    assert_eq!(result.display_id(), "C2001");
    assert_eq!(result.kind, FindingKind::CodeIssue);
    assert_eq!(result.title, "A variable was used without being initialized.");
    assert_eq!(result.severity, Severity::High);
}

#[test]
fn sarif_codeql_locations_and_cwes() {
    let found = findings("scans/sarif/codeQL-output.sarif");
    let empty_except = found.iter().find(|f| f.display_id() == "py/empty-except").unwrap();
    assert_eq!(empty_except.location.to_string(), "good/db_init.py:39:5");
    assert!(
        empty_except
            .tool_fingerprint
            .as_deref()
            .unwrap()
            .contains("primaryLocationLineHash=9cbc869fbfffeb60:1")
    );
    assert!(found.iter().any(|f| f.cwes.contains(&79)));
}

#[test]
fn cyclonedx_json_with_ratings_and_cwes() {
    let found = findings("scans/cyclonedx/valid-vulnerability-1.4.json");
    assert_eq!(found.len(), 1);
    let jackson = &found[0];
    assert_eq!(jackson.display_id(), "CVE-2018-7489");
    assert_eq!(jackson.ids[0].as_str(), "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111");
    let component = jackson.component.as_ref().unwrap();
    assert_eq!(component.name, "com.fasterxml.jackson.core/jackson-databind");
    assert_eq!(
        component.purl.as_deref(),
        Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4")
    );
    assert_eq!(component.installed_version.as_deref(), Some("2.9.4"));
    assert_eq!(jackson.cwes, vec![184, 502]);
    assert_eq!(jackson.cvss[0].vector, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(jackson.cvss[0].score, Some(9.8));
    assert_eq!(jackson.severity, Severity::Critical);
}

#[test]
fn cyclonedx_vex_analysis_is_kept_not_dropped() {
    let found = findings("scans/cyclonedx/log4j.json");
    assert_eq!(found.len(), 8);
    let log4shell = found.iter().find(|f| f.display_id() == "CVE-2021-44228").unwrap();
    assert_eq!(log4shell.status, Status::UnderInvestigation);
    assert_eq!(log4shell.tool.name, "grype");
}

#[test]
fn cyclonedx_xml_both_generations() {
    let modern = findings("scans/cyclonedx/multiple_cwes_fabricated.xml");
    assert_eq!(modern.len(), 1);
    assert_eq!(modern[0].display_id(), "CVE-2021-99999");
    assert_eq!(modern[0].cwes, vec![79, 89]);
    assert_eq!(
        modern[0].component.as_ref().unwrap().purl.as_deref(),
        Some("pkg:maven/org.example/example@1.0.0")
    );
    assert_eq!(modern[0].target.name, "./example");
    // CycloneDX 1.2 with the vulnerability extension nested in components.
    let legacy = findings("scans/cyclonedx/dd_1_15_0.xml");
    assert_eq!(legacy.len(), 381);
    let apt = legacy.iter().find(|f| f.display_id() == "CVE-2011-3374").unwrap();
    assert_eq!(apt.target.name, "defectdojo/defectdojo-django:1.15.0");
    assert_eq!(apt.target.kind, TargetKind::ContainerImage);
    assert_eq!(apt.cvss[0].score, Some(4.3));
    assert_eq!(apt.severity, Severity::Low);
}

#[test]
fn osv_scanner_lockfile() {
    let found = findings("scans/osv_scanner/many_findings.json");
    let guzzle = found.iter().find(|f| f.ids[0].as_str() == "GHSA-25mq-v84q-4j7r").unwrap();
    assert_eq!(guzzle.display_id(), "CVE-2022-31090");
    assert_eq!(guzzle.target.name, "/tmpcardmarket-api/composer.lock");
    let component = guzzle.component.as_ref().unwrap();
    assert_eq!(component.name, "guzzlehttp/guzzle");
    assert_eq!(component.installed_version.as_deref(), Some("6.3.3"));
    assert_eq!(component.purl.as_deref(), Some("pkg:composer/guzzlehttp/guzzle"));
    assert_eq!(guzzle.cwes, vec![200, 212]);
    assert_eq!(guzzle.severity, Severity::High);
    assert_eq!(guzzle.cvss[0].version, Some(CvssVersion::V31));
}

#[test]
fn nessus_csv_export() {
    let found = findings("scans/nessus/issue_9612.csv");
    let sql_server = &found[0];
    assert_eq!(sql_server.display_id(), "NESSUS-73756");
    assert_eq!(sql_server.target.kind, TargetKind::Host);
    assert_eq!(sql_server.location.service.as_deref(), Some("1433/tcp"));
    assert_eq!(sql_server.severity, Severity::Critical);
    assert_eq!(sql_server.title, "Microsoft SQL Server Unsupported Version Detection (remote check)");
}

#[test]
fn nessus_xml_report() {
    let found = findings("scans/nessus/nessus_with_cvssv3.nessus");
    let cpe = found.iter().find(|f| f.ids[0].as_str() == "NESSUS-45590").unwrap();
    assert_eq!(cpe.severity, Severity::Info);
    assert_eq!(cpe.location.service.as_deref(), Some("0/tcp (general)"));
    assert!(cpe.evidence.as_deref().unwrap().contains("cpe:/a:nginx:nginx:1.19.0 -> Nginx"));
    assert!(cpe.description.as_deref().unwrap().starts_with("It was possible to enumerate CPE names"));
    let scored = found.iter().find(|f| f.cvss.iter().any(|c| c.version == Some(CvssVersion::V30))).unwrap();
    assert!(scored.severity >= Severity::Low);
}

#[test]
fn trivy_cvss_v4_vectors_are_scored() {
    let found = findings("scans/trivy/cvssv4_severity_source.json");
    let tomcat = found.iter().find(|f| f.display_id() == "CVE-2025-61795").unwrap();
    let v4 = tomcat.cvss.iter().find(|c| c.version == Some(CvssVersion::V4)).unwrap();
    assert_eq!(v4.source.as_deref(), Some("ghsa"));
    assert_eq!(v4.score, Some(2.3));
    assert!(v4.computed);
    assert_eq!(tomcat.severity, Severity::Low);
}

#[test]
fn trivy_secrets_keep_the_place_not_the_secret() {
    let report = br#"{"SchemaVersion": 2, "ArtifactName": "repo", "ArtifactType": "repository",
      "Results": [{"Target": "deploy/.env", "Class": "secret",
        "Secrets": [{"RuleID": "aws-access-key-id", "Category": "AWS", "Severity": "CRITICAL",
          "Title": "AWS Access Key ID", "StartLine": 3, "EndLine": 3, "Match": "AWS_KEY=****"}]}]}"#;
    let found = crate::support::parsed(report);
    assert_eq!(found.len(), 1);
    let secret = &found[0];
    assert_eq!(secret.kind, FindingKind::Secret);
    assert_eq!(secret.target.kind, TargetKind::Repository);
    assert_eq!(secret.location.to_string(), "deploy/.env:3");
    assert_eq!(secret.severity, Severity::Critical);
    let stored = serde_json::to_string(secret).unwrap();
    assert!(!stored.contains("AWS_KEY"), "{stored}");
}

#[test]
fn sarif_suppressions_and_baseline_state() {
    let log = br#"{"version": "2.1.0", "runs": [{
      "tool": {"driver": {"name": "lint", "rules": [{"id": "R1", "shortDescription": {"text": "Rule one"}}]}},
      "versionControlProvenance": [{"repositoryUri": "https://git.example.com/app"}],
      "results": [
        {"ruleId": "R1", "message": {"text": "kept"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.c"}, "region": {"startLine": 1}}}]},
        {"ruleId": "R1", "message": {"text": "waived"}, "suppressions": [{"kind": "inSource", "justification": "test fixture"}],
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "b.c"}, "region": {"startLine": 2}}}]},
        {"ruleId": "R1", "message": {"text": "rejected waiver"}, "suppressions": [{"kind": "external", "status": "rejected"}],
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "c.c"}, "region": {"startLine": 3}}}]},
        {"ruleId": "R1", "message": {"text": "fixed"}, "baselineState": "absent",
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "d.c"}, "region": {"startLine": 4}}}]},
        {"ruleId": "R1", "kind": "pass", "message": {"text": "passed"}}
      ]}]}"#;
    let found = crate::support::parsed(log);
    let paths: Vec<String> = found.iter().map(|f| f.location.to_string()).collect();
    assert_eq!(paths, ["a.c:1", "b.c:2", "c.c:3"]);
    assert_eq!(found[0].target.name, "https://git.example.com/app");
    assert_eq!(found[0].title, "Rule one");
    assert_eq!(found[0].evidence.as_deref(), Some("kept"));
    assert_eq!(found[0].status, Status::Affected);
    assert_eq!(
        found[1].status,
        Status::Suppressed { kind: "sarif inSource".into(), justification: Some("test fixture".into()) }
    );
    assert_eq!(found[2].status, Status::Affected);
    assert_eq!(found[0].severity, Severity::Medium, "SARIF's default level is warning");
}

#[test]
fn cyclonedx_not_affected_is_kept_with_its_justification() {
    let bom = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
      "metadata": {"component": {"type": "application", "name": "shop"}},
      "components": [{"bom-ref": "lib", "name": "lib", "version": "1.0", "purl": "pkg:npm/lib@1.0"}],
      "vulnerabilities": [{"id": "CVE-2024-0001", "affects": [{"ref": "lib"}],
        "analysis": {"state": "not_affected", "justification": "code_not_reachable"}}]}"#;
    let found = crate::support::parsed(bom);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, Status::NotAffected { justification: Some("code_not_reachable".into()) });
    assert_eq!(found[0].component.as_ref().unwrap().purl.as_deref(), Some("pkg:npm/lib@1.0"));
    assert_eq!(found[0].target.name, "shop");
}
