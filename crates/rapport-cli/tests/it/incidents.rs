//! `rapport incident`: an incident is recorded from its file with its event, only when the
//! assets it names are in the estate, and read back with their owners and its history.

use crate::support::{each_backend, sample};

#[test]
fn an_incident_is_recorded_with_its_history_and_its_assets_owners() {
    for rapport in each_backend() {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        let file = sample("incidents/phishing.toml");
        // Before the laptop is known, the incident is refused and nothing is recorded.
        let error = rapport.fails(&["incident", "add", &file]);
        assert!(error.contains("\"Annas-MacBook-Pro.local\" is not an asset Rapport knows"), "{db}: {error}");
        assert!(error.contains("nothing was recorded"), "{db}: {error}");
        assert!(rapport.json_lines(&["incident", "list", "--json"]).is_empty(), "{db}");

        rapport.ok(&["people", "import", &sample("people/people.csv"), &sample("people/teams.csv")]);
        rapport.ok(&["inventory", "import", &sample("inventory/fleet-device.json")]);
        rapport.ok(&["owners", "apply", &sample("ownership/ownership.toml")]);
        let added = rapport.ok(&["incident", "add", &file, "--by", "sam.okafor@example.com"]);
        assert!(added.starts_with("Recorded incident #1: A phishing email"), "{db}: {added}");

        let shown = &rapport.json_lines(&["incident", "show", "1", "--json"])[0];
        assert_eq!(shown["assets"][0]["team"], "Workplace IT", "{db}: {shown}");
        assert_eq!(shown["incident"]["indicators"].as_array().map(Vec::len), Some(5), "{db}");
        assert_eq!(shown["incident"]["techniques"][0], "T1566.002", "{db}");
        assert_eq!(shown["history"][0]["kind"], "incident_recorded", "{db}: {shown}");
        let text = rapport.ok(&["incident", "show", "1"]);
        assert!(text.contains("Annas-MacBook-Pro.local (Workplace IT)"), "{db}: {text}");
        assert!(text.contains("incident recorded by sam.okafor@example.com"), "{db}: {text}");

        // A mistake in the file is named with its line, and nothing is recorded.
        let wrong = std::fs::read_to_string(&file).unwrap().replace("203.0.113.45", "203.0.113.456");
        let wrong = rapport.write("wrong.toml", wrong.as_bytes());
        let error = rapport.fails(&["incident", "add", &wrong]);
        assert!(
            error.contains("wrong.toml")
                && error.contains("indicator.value: \"203.0.113.456\" is not an IPv4 address"),
            "{db}: {error}"
        );
        assert!(error.contains("at line 40, column 9"), "{db}: {error}");
        assert_eq!(rapport.json_lines(&["incident", "list", "--json"]).len(), 1, "{db}");
        let missing = rapport.fails(&["incident", "show", "7"]);
        assert!(missing.contains("incident #7 was never recorded"), "{db}: {missing}");
    }
}
