//! The default decision tree agrees with CERT/CC's published deployer tree, as CERT/CC's own
//! `certcc-ssvc` package (PyPI) defines it. `scripts/test` installs the package and names
//! its Python in RAPPORT_SSVC_PYTHON; without it this test says so and, in CI, fails.

use std::process::Command;

use rapport_core::{Automatable, DecisionTree, Exploitation, HumanImpact, Outcome, Points, SystemExposure};
use rapport_formats::{DEFAULT_TREE, parse_tree};
use serde_json::Value;

fn judge_rows() -> Option<Vec<Value>> {
    let Some(python) = std::env::var_os("RAPPORT_SSVC_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_SSVC_PYTHON is not set: run the tests with scripts/test"
        );
        eprintln!("skipped: RAPPORT_SSVC_PYTHON is not set (scripts/test installs certcc-ssvc and sets it)");
        return None;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ssvc_judge.py");
    let output = Command::new(python).arg(script).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    Some(text.lines().map(|line| serde_json::from_str(line).unwrap()).collect())
}

fn word<'a>(row: &'a Value, point: &str) -> &'a str {
    row[point].as_str().unwrap_or_else(|| panic!("{point} missing in {row}"))
}

#[test]
fn the_default_tree_agrees_with_cert_cc() {
    let Some(rows) = judge_rows() else { return };
    let (header, rows) = rows.split_first().unwrap();
    assert_eq!(header["name"], "Deployer Patch Application Priority", "{header}");
    let tree = DecisionTree::compile(&parse_tree(DEFAULT_TREE).unwrap()).unwrap();
    assert_eq!(rows.len(), 72);
    for row in rows {
        let points = Points {
            exploitation: match word(row, "Exploitation") {
                "None" => Exploitation::None,
                "Public PoC" => Exploitation::PublicPoc,
                "Active" => Exploitation::Active,
                other => panic!("exploitation {other}"),
            },
            exposure: match word(row, "System Exposure") {
                "Small" => SystemExposure::Small,
                "Controlled" => SystemExposure::Controlled,
                "Open" => SystemExposure::Open,
                other => panic!("exposure {other}"),
            },
            automatable: match word(row, "Automatable") {
                "No" => Automatable::No,
                "Yes" => Automatable::Yes,
                other => panic!("automatable {other}"),
            },
            human_impact: match word(row, "Human Impact") {
                "Low" => HumanImpact::Low,
                "Medium" => HumanImpact::Medium,
                "High" => HumanImpact::High,
                "Very High" => HumanImpact::VeryHigh,
                other => panic!("human impact {other}"),
            },
        };
        let expected = match word(row, "Outcome") {
            "Defer" => Outcome::Track,
            "Scheduled" => Outcome::TrackStar,
            "Out-of-Cycle" => Outcome::Attend,
            "Immediate" => Outcome::Act,
            other => panic!("outcome {other}"),
        };
        assert_eq!(tree.outcome(points), expected, "{row}");
    }
}
