//! VEX documents as a user imports them: statements change how findings are shown, in
//! either order of arrival, and nothing is dropped or stored twice.

use serde_json::json;

use crate::support::{Rapport, corpus, each_backend};

fn openvex(id: &str, status: &str, timestamp: &str) -> Vec<u8> {
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": id,
        "author": "Certifi Packagers",
        "timestamp": timestamp,
        "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2023-37920"},
            "products": [{"@id": "pkg:pypi/certifi@2022.5.18.1"}],
            "status": status,
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "The e-Tugra roots are removed by our build.",
            "timestamp": timestamp,
        }]
    })
    .to_string()
    .into_bytes()
}

fn certifi(rapport: &Rapport) -> serde_json::Value {
    let findings = rapport.json_lines(&["findings", "--json", "--id", "CVE-2023-37920"]);
    assert_eq!(findings.len(), 1, "{}", rapport.database);
    findings.into_iter().next().unwrap()
}

#[test]
fn a_statement_marks_stored_findings_and_a_later_one_takes_it_back() {
    for rapport in each_backend() {
        rapport.ok(&["import", &corpus("scans/trivy/issue_9092.json").display().to_string()]);
        let vex =
            rapport.write("certifi.openvex.json", &openvex("vex-1", "not_affected", "2026-01-01T00:00:00Z"));
        let imported = rapport.json_lines(&["import", "--json", &vex]);
        assert_eq!(imported[0]["format"], "openvex");
        assert_eq!((&imported[0]["vex_statements"], &imported[0]["vex_changed"]), (&json!(1), &json!(1)));
        let finding = certifi(&rapport);
        assert_eq!(
            finding["status"],
            json!({"state": "not_affected", "justification": "vulnerable_code_not_in_execute_path"})
        );
        assert_eq!(finding["vex"]["source"]["author"], "Certifi Packagers");
        assert_eq!(finding["vex"]["statement"], "The e-Tugra roots are removed by our build.");
        let table = rapport.ok(&["findings"]);
        assert!(table.contains("[not affected, per OpenVEX vex-1 version 1]"), "{table}");

        // The same document again adds nothing and changes nothing.
        let again = rapport.json_lines(&["import", "--json", &vex]);
        assert_eq!(again[0].get("vex_statements"), None, "{}", again[0]);
        assert_eq!(again[0].get("vex_changed"), None);

        let taken_back =
            rapport.write("later.openvex.json", &openvex("vex-2", "affected", "2026-02-01T00:00:00Z"));
        let imported = rapport.json_lines(&["import", "--json", &taken_back]);
        assert_eq!(imported[0]["vex_changed"], 1);
        assert_eq!(certifi(&rapport)["status"], json!({"state": "affected"}));
        let imports = rapport.ok(&["imports"]);
        assert!(imports.contains("1 VEX statement (1 finding changed)"), "{imports}");
    }
}

#[test]
fn findings_that_arrive_after_the_statement_show_it() {
    for rapport in each_backend() {
        let vex =
            rapport.write("certifi.openvex.json", &openvex("vex-1", "not_affected", "2026-01-01T00:00:00Z"));
        let imported = rapport.json_lines(&["import", "--json", &vex]);
        assert_eq!(imported[0]["vex_statements"], 1, "{}", rapport.database);
        assert_eq!(imported[0].get("vex_changed"), None);
        rapport.ok(&["import", &corpus("scans/trivy/issue_9092.json").display().to_string()]);
        assert_eq!(certifi(&rapport)["status"]["state"], "not_affected", "{}", rapport.database);
        // Not affected is shown, never hidden: the finding is still listed and counted.
        assert_eq!(rapport.state().0, 1);
    }
}

#[test]
fn a_broken_vex_document_changes_nothing() {
    for rapport in each_backend() {
        rapport.ok(&["import", &corpus("scans/trivy/issue_9092.json").display().to_string()]);
        let before = rapport.state();
        let whole = openvex("vex-1", "not_affected", "2026-01-01T00:00:00Z");
        let cut = rapport.write("cut.openvex.json", &whole[..whole.len() - 40]);
        let error = rapport.fails(&["import", &cut]);
        assert!(error.contains("cut.openvex.json: not valid openvex: the file ended early at"), "{error}");
        let unknown = String::from_utf8(openvex("vex-1", "maybe", "2026-01-01T00:00:00Z")).unwrap();
        let unknown = rapport.write("unknown.openvex.json", unknown.as_bytes());
        let error = rapport.fails(&["import", &unknown]);
        assert!(error.contains("unknown status \"maybe\""), "{error}");
        assert_eq!(rapport.state(), before, "{}", rapport.database);
        assert_eq!(certifi(&rapport)["status"]["state"], "affected");
    }
}
