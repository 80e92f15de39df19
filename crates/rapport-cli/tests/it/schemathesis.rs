//! Schemathesis (PyPI) against the running server's OpenAPI document: it generates requests
//! for every operation from the schema, as an administrator with a read-and-answer token, and
//! runs every check it has: no server error, no answer outside the schema, no undocumented
//! status or content type, no valid request refused, no invalid one accepted. `scripts/test` installs it and
//! names its `st` in RAPPORT_SCHEMATHESIS; without it this test says so and, in CI, fails.

use std::process::Command;

use crate::support::{Rapport, add_account, sample, serve};

#[test]
fn schemathesis_finds_nothing_wrong_with_the_api() {
    let Some(st) = std::env::var_os("RAPPORT_SCHEMATHESIS") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_SCHEMATHESIS is not set: run the tests with scripts/test"
        );
        eprintln!(
            "skipped: RAPPORT_SCHEMATHESIS is not set (scripts/test installs schemathesis and sets it)"
        );
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let rapport = Rapport { database: format!("sqlite://{}/data/rapport.db", work.path().display()), work };
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    add_account(&rapport, "admin@example.com", "admin", None);
    let out = rapport.ok(&[
        "account",
        "token",
        "--email",
        "admin@example.com",
        "--name",
        "schemathesis",
        "--scope",
        "write",
    ]);
    let token = out.trim().rsplit(' ').next().unwrap().to_owned();
    let document = rapport.ok(&["openapi"]);
    // Issue 18, item 9: the document used to describe utoipa-axum, with its author's address.
    let info: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&document).unwrap()["info"].clone();
    assert_eq!((info["title"].as_str(), info.get("contact")), (Some("Rapport"), None), "{info}");
    assert_eq!(info["license"]["identifier"], "AGPL-3.0-only", "{info}");
    let schema = rapport.write("openapi.json", document.as_bytes());
    let served = serve(&rapport);
    let settings = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    let output = Command::new(st)
        .args(["--config-file", settings, "run", &schema, "--url", &served.base, "--header"])
        .arg(format!("Authorization: Bearer {token}"))
        .args(["--checks", "all", "--max-examples", "40", "--seed", "20261123", "--no-color"])
        .current_dir(rapport.work.path())
        .output()
        .expect("run schemathesis");
    let report =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "schemathesis found problems:\n{report}");
    assert!(report.contains("passed"), "{report}");
    drop(served);
}
