//! Concrete values read off each format's samples by eye.

use rapport_core::{CvssVersion, FindingKind, Severity, Status, TargetKind, VexStatus};

use crate::support::{findings, parsed, statements};

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

    // Issue 19, item 7: the same Tenable.sc export with its header row unquoted was refused as
    // an unknown format.
    let original = std::fs::read_to_string(crate::support::corpus("scans/nessus/issue_9612.csv")).unwrap();
    let (header, rows) = original.split_once('\n').unwrap();
    let unquoted = format!("{}\n{rows}", header.replace('"', ""));
    assert_eq!(parsed(unquoted.as_bytes()), found);
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

#[test]
fn snyk_open_source_project() {
    let found = findings("scans/snyk/single_project_many_vulns.json");
    assert_eq!(found.len(), 41);
    let jcommander = &found[0];
    assert_eq!(jcommander.tool.name, "snyk");
    assert_eq!(jcommander.target.kind, TargetKind::Filesystem);
    assert_eq!(jcommander.target.name, "C:\\workspace");
    assert_eq!(jcommander.location.path.as_deref(), Some("pom.xml"));
    assert_eq!(jcommander.display_id(), "SNYK-JAVA-COMBEUST-174815");
    assert_eq!(jcommander.title, "Unsafe Dependency Resolution");
    assert_eq!(jcommander.cwes, vec![494, 829]);
    let component = jcommander.component.as_ref().unwrap();
    assert_eq!(component.name, "com.beust:jcommander");
    assert_eq!(component.ecosystem.as_deref(), Some("maven"));
    assert_eq!(component.installed_version.as_deref(), Some("1.72"));
    assert_eq!(component.fixed_version.as_deref(), Some("1.75"));
    assert_eq!(jcommander.solution.as_deref(), Some("Upgrade org.testng:testng to 7.3.0"));
    assert_eq!(jcommander.cvss[0].score, Some(5.6));
    assert_eq!(jcommander.severity, Severity::Medium);
    let evidence = jcommander.evidence.as_deref().unwrap();
    assert!(evidence.starts_with("Introduced through com.test:myframework@1.0.0-SNAPSHOT > "), "{evidence}");
}

#[test]
fn snyk_container_reads_the_applications_inside_the_image() {
    let found = findings("scans/snyk/snykcontainer_issue_epss.json");
    assert_eq!(found.len(), 13);
    assert!(found.iter().all(|f| f.target.kind == TargetKind::ContainerImage));
    assert!(found.iter().all(|f| f.target.name == "sarim04/juiceshop:latest"));
    let os_package = &found[0];
    assert_eq!(os_package.display_id(), "CVE-2023-4039");
    assert_eq!(os_package.location.path, None);
    assert_eq!(os_package.component.as_ref().unwrap().name, "gcc-10");
    // The vendor's and NVD's scores are both kept, with who gave them.
    let sources: Vec<_> = os_package.cvss.iter().filter_map(|c| c.source.as_deref()).collect();
    assert_eq!(sources, ["snyk", "suse", "nvd", "red hat"]);
    let application = &found[1];
    assert_eq!(application.location.path.as_deref(), Some("/juice-shop/package.json"));
}

#[test]
fn govulncheck_keeps_the_deepest_reach() {
    let found = findings("scans/govulncheck/issue_15033.json");
    assert_eq!(found.len(), 72);
    let net = found.iter().find(|f| f.ids[0].as_str() == "GO-2024-3333").unwrap();
    assert_eq!(net.target.kind, TargetKind::Repository);
    assert_eq!(net.target.name, "github.com/alielmi98/golang-expense-tracker-api");
    assert_eq!(net.tool.version.as_deref(), Some("v1.1.4"));
    let component = net.component.as_ref().unwrap();
    assert_eq!(component.name, "golang.org/x/net");
    assert_eq!(component.installed_version.as_deref(), Some("v0.25.0"));
    assert_eq!(component.fixed_version.as_deref(), Some("v0.33.0"));
    let called = found.iter().find(|f| f.ids[0].as_str() == "GO-2026-4971").unwrap();
    assert_eq!(
        called.evidence.as_deref(),
        Some(
            "Your code calls the vulnerable net.Listen: github.com/alielmi98/golang-expense-tracker-api/api.InitServer at api/api.go:25"
        )
    );
}

#[test]
fn govulncheck_before_1_0() {
    let found = findings("scans/govulncheck/many_vulns.json");
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].target.name, "github.com/jharper-sec/evil-app");
    assert_eq!(found[0].ids[0].as_str(), "GO-2022-1144");
    assert_eq!(found[0].display_id(), "CVE-2022-41717");
    assert_eq!(found[0].component.as_ref().unwrap().installed_version.as_deref(), Some("v1.19.0"));
}

#[test]
fn npm_audit_v6_one_finding_per_installed_version() {
    let found = findings("scans/npm_audit/many_vuln_with_groups.json");
    let negotiator = &found[0];
    assert_eq!(negotiator.tool.name, "npm-audit");
    assert_eq!(negotiator.ids.iter().map(|i| i.as_str()).collect::<Vec<_>>(), ["NPM-106", "CVE-2016-10539"]);
    assert_eq!(negotiator.component.as_ref().unwrap().installed_version.as_deref(), Some("0.5.3"));
    assert_eq!(negotiator.solution.as_deref(), Some("Update to version 0.6.1 or later."));
    assert_eq!(negotiator.cwes, vec![400]);
    assert_eq!(negotiator.severity, Severity::Medium);
}

#[test]
fn npm_audit_v7_counts_each_advisory_once() {
    let found = findings("scans/npm_audit_7_plus/many_vulns.json");
    // Three advisories; the packages that are vulnerable only through them add nothing.
    assert_eq!(found.len(), 3);
    let debug = &found[0];
    assert_eq!(debug.ids[0].as_str(), "GHSA-gxpj-cx7g-858c");
    assert_eq!(debug.component.as_ref().unwrap().name, "debug");
    assert_eq!(debug.cvss[0].score, Some(5.3));
    assert_eq!(
        debug.solution.as_deref(),
        Some("Upgrade vercel to 32.3.0 (a major version: check for breaking changes)")
    );
}

#[test]
fn gitlab_dependency_scanning() {
    let found = findings("scans/gitlab_dep_scan/gl-dependency-scanning-report-many-vuln_v15.json");
    assert_eq!(found.len(), 6);
    let crypto = &found[0];
    assert_eq!(crypto.ids[0].as_str(), "Gemnasium-ffb814a0-404c-11eb-b378-0242ac130002");
    assert_eq!(crypto.display_id(), "CVE-2020-29652");
    assert_eq!(crypto.location.path.as_deref(), Some("service/go.sum"));
    assert_eq!(crypto.severity, Severity::High);
    let fabricated =
        findings("scans/gitlab_dep_scan/gl-dependency-scanning-report-multiple-cwe-fabricated_v15.json");
    assert_eq!(fabricated[0].cwes, vec![776, 400]);
    assert_eq!(fabricated[0].severity, Severity::Unknown);
}

#[test]
fn github_dependabot_graphql_and_rest_code_scanning() {
    let spring = &findings("scans/github_vulnerability/github-vuln-version.json")[0];
    assert_eq!(spring.tool.name, "dependabot");
    assert_eq!(spring.ids[0].as_str(), "GHSA-4wrc-f8pq-fpqp");
    assert_eq!(spring.display_id(), "CVE-2016-1000027");
    let component = spring.component.as_ref().unwrap();
    assert_eq!(component.installed_version.as_deref(), Some("5.3.29"));
    assert_eq!(component.fixed_version.as_deref(), Some("6.0.0"));
    assert_eq!(spring.location.path.as_deref(), Some("sompath/pom.xml"));
    assert_eq!(spring.severity, Severity::Critical);
    let dismissed = findings("scans/github_vulnerability/github_issue2984.json");
    assert!(dismissed.iter().all(|f| matches!(f.status, Status::Suppressed { .. })));
    let code = findings("scans/github_vulnerability/issue_9582.json");
    assert_eq!(code[0].kind, FindingKind::CodeIssue);
    assert_eq!(code[0].tool.name, "CodeQL");
    assert_eq!(code[0].target.name, "github.com/XX/YY");
    assert_eq!(code[0].location.line, Some(42));
    assert_eq!(code[0].cwes, vec![312, 315, 359]);
    assert_eq!(code[0].severity, Severity::High);
}

#[test]
fn dependency_check_keeps_suppressed_vulnerabilities() {
    let found = findings("scans/dependency_check/PR6439.xml");
    assert_eq!(found.len(), 34);
    let suppressed = found.iter().filter(|f| matches!(f.status, Status::Suppressed { .. })).count();
    assert_eq!(suppressed, 8);
    let bouncy = found.iter().find(|f| f.display_id() == "CVE-2020-15522").unwrap();
    assert_eq!(bouncy.target.name, "Business Process Center - Runtime Environment");
    let component = bouncy.component.as_ref().unwrap();
    assert_eq!(component.purl.as_deref(), Some("pkg:maven/org.bouncycastle/bcprov-jdk15on@1.64"));
    assert_eq!(component.name, "org.bouncycastle:bcprov-jdk15on");
    assert_eq!(component.installed_version.as_deref(), Some("1.64"));
    // Rebuilt from Dependency-Check's one-element-per-metric CVSS.
    let v3 = bouncy.cvss.iter().find(|c| c.version == Some(CvssVersion::V31)).unwrap();
    assert_eq!(v3.vector, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N");
    assert_eq!(v3.score, Some(5.9));
    assert_eq!(bouncy.cwes, vec![362]);
}

#[test]
fn openvas_xml_and_csv() {
    let found = findings("scans/openvas/many_vuln.xml");
    assert_eq!(found.len(), 44);
    let rexec = &found[0];
    assert_eq!(rexec.target.kind, TargetKind::Host);
    assert_eq!(rexec.target.name, "192.168.1.1001");
    assert_eq!(rexec.ids[0].as_str(), "1.3.6.1.4.1.25623.1.0.100111");
    assert_eq!(rexec.display_id(), "CVE-1999-0618");
    assert_eq!(rexec.location.service.as_deref(), Some("512/tcp"));
    assert_eq!(rexec.severity, Severity::High);
    assert_eq!(rexec.evidence.as_deref(), Some("The rexec service was detected on the target system."));
    let csv = findings("scans/openvas/report_detail_v2.csv");
    assert_eq!(csv[0].target.name, "10.99.99.99");
    assert_eq!(csv[0].location.service.as_deref(), Some("42/tcp"));
    assert_eq!(csv[0].title, "Microsoft Windows Multiple Vulnerabilities (KB5062557)");
    assert_eq!(csv[0].cvss[0].score, Some(9.8));
}

#[test]
fn qualys_xml_report_uses_its_glossary() {
    let found = findings("scans/qualys/Qualys_Sample_Report.xml");
    assert_eq!(found.len(), 301);
    let libxml = found.iter().find(|f| f.ids[0].as_str() == "QID-11803").unwrap();
    assert_eq!(libxml.title, "libxml2 Multiple Vulnerabilities");
    assert!(libxml.ids.iter().any(|id| id.as_str() == "CVE-2016-1762"));
    assert_eq!(libxml.severity, Severity::Medium);
    assert!(!libxml.description.as_deref().unwrap().contains("<BR>"));
    let gathered = found.iter().find(|f| f.ids[0].as_str() == "QID-6").unwrap();
    assert_eq!(gathered.severity, Severity::Info);
}

#[test]
fn qualys_vmdr_csv_skips_the_title_block_and_fixed_detections() {
    let found = findings("scans/qualys_vmdr/many_vulns_cve.csv");
    assert_eq!(found.len(), 4);
    assert!(found.iter().all(|f| f.display_id() != "CVE-2023-0003"), "fixed detections are not findings");
    let workstation = found.iter().find(|f| f.display_id() == "CVE-2023-0004").unwrap();
    assert_eq!(workstation.target.name, "192.168.1.100");
    let ipv6 = found.iter().find(|f| f.display_id() == "CVE-2023-0005").unwrap();
    assert_eq!(ipv6.target.name, "2001:db8::100");
    assert_eq!(ipv6.ids[0].as_str(), "QID-800005");
    assert_eq!(ipv6.severity, Severity::Critical);
    assert_eq!(ipv6.location.service.as_deref(), Some("8443/tcp"));
}

#[test]
fn openvex_statements_of_both_generations() {
    let found = statements("scans/openvex/openvex_many_vuln.json");
    assert_eq!(found.len(), 6);
    let first = &found[0];
    assert_eq!(first.vulnerability.as_str(), "CVE-2024-10001");
    assert_eq!(first.status, VexStatus::NotAffected);
    assert_eq!(first.justification.as_deref(), Some("vulnerable_code_not_present"));
    assert_eq!(
        first.products[0].purl.as_deref(),
        Some("pkg:apk/alpine/apk-tools@2.10.6-r0?arch=x86_64&distro=alpine-3.10.9")
    );
    assert_eq!(first.source.author.as_deref(), Some("Example Org"));
    assert_eq!(
        first.source.document,
        "OpenVEX https://openvex.dev/docs/public/vex-2222222222222222222222222222222222 version 1"
    );
    assert_eq!(found[2].status, VexStatus::Fixed);
    assert_eq!(found[3].status, VexStatus::UnderInvestigation);
    let zlib = &found[4];
    assert_eq!(zlib.aliases[0].as_str(), "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(zlib.statement.as_deref(), Some("The affected code path is disabled at build time."));
    // v0.0.1 names the vulnerability and products as bare strings.
    assert_eq!(found[5].vulnerability.as_str(), "CVE-2024-10006");
    assert_eq!(found[5].products[0].purl.as_deref(), Some("pkg:apk/alpine/openssl@1.1.1k-r0"));
}

#[test]
fn csaf_product_status_becomes_statements_per_product() {
    let found = statements("scans/csaf/csaf_many_vuln.json");
    let of = |id: &str, status: VexStatus| {
        found.iter().filter(|s| s.vulnerability.as_str() == id && s.status == status).collect::<Vec<_>>()
    };
    let fixed = of("CVE-2026-10002", VexStatus::Fixed);
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0].products[0].name.as_deref(), Some("Generic App"));
    assert_eq!(fixed[0].products[0].version.as_deref(), Some("1.0.1"));
    let affected = of("CVE-2026-10002", VexStatus::Affected);
    assert_eq!(
        affected[0].statement.as_deref(),
        Some("vendor_fix: Upgrade to Generic App 1.0.1. workaround: Limit request body size at the proxy.")
    );
    assert_eq!(of("CVE-2026-10002", VexStatus::NotAffected).len(), 1);
    assert_eq!(of("CVE-2026-10002", VexStatus::UnderInvestigation).len(), 1);
    // A product defined by a relationship: the library inside the application.
    let component = &of("EXAMPLE-2026-0002-B", VexStatus::Affected)[0].products[0];
    assert_eq!(component.name.as_deref(), Some("Generic App"));
    assert_eq!(component.subcomponents[0].name.as_deref(), Some("Generic Library"));
    assert_eq!(found[0].source.document, "CSAF EXAMPLE-2026-0002 version 1");
    assert_eq!(found[0].source.author.as_deref(), Some("Example Corp"));
    assert!(statements("scans/csaf/csaf_no_vuln.json").is_empty());
}

#[test]
fn nessus_was_reports_read_as_nessus() {
    let xml = findings("scans/nessus_was/nessus_was_many_vuln.xml");
    assert_eq!(xml.len(), 5);
    let xss = &xml[0];
    assert_eq!(xss.tool.name, "nessus");
    assert_eq!(xss.target.name, "http://google.com/");
    assert_eq!(xss.ids[0].as_str(), "NESSUS-98104");
    assert_eq!(xss.title, "Cross-Site Scripting (XSS)");
    assert_eq!(xss.location.service.as_deref(), Some("80/tcp (http)"));
    assert_eq!(xss.severity, Severity::High);
    let csv = &findings("scans/nessus_was/nessus_was_one_vuln.csv")[0];
    assert_eq!(csv.target.name, "google.com");
    assert_eq!(csv.ids[0].as_str(), "NESSUS-98104");
    let v3 = csv.cvss.iter().find(|c| c.score == Some(7.1));
    assert!(v3.is_some(), "the WAS export's CVSSv3 column is read: {:?}", csv.cvss);
}
