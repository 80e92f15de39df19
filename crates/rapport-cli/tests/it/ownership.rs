//! Inventory, people and ownership as a user runs them, on both back ends: from an empty
//! database to "these assets belong to these teams, for these reasons".

use serde_json::{Value, json};

use crate::support::{Rapport, each_backend, sample};

fn asset<'a>(assets: &'a [Value], name: &str) -> &'a Value {
    assets
        .iter()
        .find(|a| a["name"] == name || a["hostname"] == name)
        .unwrap_or_else(|| panic!("no asset {name} in {assets:?}"))
}

fn setup(rapport: &Rapport) {
    rapport.ok(&[
        "import",
        &sample("grype-image.json"),
        &sample("nessus-export.csv"),
        &sample("flawfinder.sarif"),
    ]);
    rapport.ok(&["inventory", "import", &sample("inventory/fleet-device.json")]);
    rapport.ok(&["people", "import", &sample("people/teams.csv"), &sample("people/people.csv")]);
}

#[test]
fn from_an_empty_database_to_who_owns_what_and_why() {
    for rapport in each_backend() {
        setup(&rapport);
        let teams = rapport.json_lines(&["people", "teams", "--json"]);
        let web = teams.iter().find(|t| t["name"] == "Web").unwrap();
        assert_eq!(
            (&web["weekly_capacity_hours"], &web["people"]),
            (&json!(6.0), &json!(2)),
            "{}",
            rapport.database
        );
        assert_eq!(web["measured_on"], "Checkout conversion, and the storefront staying up during campaigns");
        let people = rapport.json_lines(&["people", "list", "--json"]);
        let olu = people.iter().find(|p| p["name"] == "Olu Adeyemi").unwrap();
        assert_eq!((&olu["audience"], &olu["time_zone"]), (&json!("executive"), &json!("Europe/London")));
        let rules = sample("ownership/ownership.toml");
        let check = rapport.json_lines(&["owners", "check", "--json", &rules]);
        assert_eq!(check[0]["version"], Value::Null);
        assert_eq!(check[0]["unowned"], 1, "{}: {}", rapport.database, check[0]);
        // Checking stores nothing.
        assert!(rapport.ok(&["owners", "history"]).contains("No ownership file has been applied yet"));

        let applied = rapport.json_lines(&["owners", "apply", "--json", &rules]);
        assert_eq!(applied[0]["version"], 1);
        let assets = rapport.json_lines(&["assets", "--json"]);
        assert_eq!(assets.len(), 5, "{assets:?}");
        let web = asset(&assets, "1.2.3.4");
        assert_eq!(web["owner"]["team"], "Web");
        assert_eq!(web["owner"]["rule"], "rule 1 (public web servers)");
        assert_eq!(
            (&web["owner"]["criticality"], &web["owner"]["exposure"]),
            (&json!("high"), &json!("internet"))
        );
        let laptop = asset(&assets, "Annas-MacBook-Pro.local");
        assert_eq!(laptop["owner"]["team"], "Workplace IT", "the device goes to its user's team");
        assert_eq!(laptop["facts"]["os_build"], "24C101");
        assert_eq!(laptop["facts"]["disk_encrypted"], true);
        assert_eq!(laptop["stale"], true, "Fleet's example was last seen in 2021");
        assert_eq!(asset(&assets, "busybox:1.32.1")["owner"]["team"], "Platform");

        let unowned = rapport.json_lines(&["assets", "--json", "--unowned"]);
        let names: Vec<&Value> = unowned.iter().map(|a| &a["name"]).collect();
        assert_eq!(names, [&json!("2.3.4.5")]);

        let why = rapport.ok(&["owners", "explain", "Annas-MacBook-Pro.local"]);
        assert!(
            why.contains("owner: Workplace IT, decided by rule 6 (laptops go to their user's team)"),
            "{why}"
        );
        assert!(why.contains("under ownership version 1"), "{why}");
        let nobody = rapport.ok(&["owners", "explain", "2.3.4.5"]);
        assert!(nobody.contains("waits in the security team's queue"), "{nobody}");
        let unknown = rapport.fails(&["owners", "explain", "no-such-host"]);
        assert!(unknown.contains("no asset is named \"no-such-host\""), "{unknown}");

        // The same file again changes nothing; a new version shows its changes first.
        let again = rapport.json_lines(&["owners", "apply", "--json", &rules]);
        assert_eq!((&again[0]["version"], again[0]["changes"].as_array().unwrap().len()), (&json!(2), 0));
        let original = std::fs::read_to_string(&rules).unwrap();
        let edited =
            original.replace("match.ip = \"1.2.3.0/24\"", "match.ip = [\"1.2.3.0/24\", \"2.3.4.0/24\"]");
        let edited = rapport.write("ownership.toml", edited.as_bytes());
        let typo = rapport
            .write("typo.toml", original.replace("team = \"Platform\"", "team = \"Platfrom\"").as_bytes());
        let warned = rapport.ok(&["owners", "check", &typo]);
        assert!(
            warned.contains(
                "warning: rule 4 (base images) names team \"Platfrom\", which no imported team has"
            ),
            "{warned}"
        );
        let preview = rapport.ok(&["owners", "check", &edited]);
        assert!(
            preview.contains("host 2.3.4.5: owner nobody → Web (rule 1 (public web servers))"),
            "{preview}"
        );
        rapport.ok(&["owners", "apply", &edited]);
        assert!(rapport.json_lines(&["assets", "--json", "--unowned"]).is_empty());
        let history = rapport.ok(&["owners", "history"]);
        assert_eq!(history.lines().count(), 3, "{history}");
    }
}

#[test]
fn a_differential_osquery_log_applies_in_order_across_imports() {
    for rapport in each_backend() {
        let first = rapport.write(
            "day1.log",
            br#"{"name":"pack_it_deb_packages","hostIdentifier":"web-1","unixTime":1700000000,"action":"snapshot","snapshot":[{"name":"openssl","version":"3.0.2-0ubuntu1.10"},{"name":"curl","version":"7.81.0-1ubuntu1.14"}],"decorations":{"hostname":"web-1.example.com","env":"prod"}}
{"name":"screenlock","hostIdentifier":"web-1","unixTime":1700000100,"columns":{"enabled":"1","grace_period":"5"},"action":"added"}
"#,
        );
        let second = rapport.write(
            "day2.log",
            br#"{"name":"pack_it_deb_packages","hostIdentifier":"web-1","unixTime":1700086400,"diffResults":{"removed":[{"name":"openssl","version":"3.0.2-0ubuntu1.10"}],"added":[{"name":"openssl","version":"3.0.2-0ubuntu1.12"},{"name":"vim","version":"2:8.2.3995"}]}}
"#,
        );
        let imported = rapport.json_lines(&["inventory", "import", "--json", &first, &second]);
        assert_eq!(imported[0], json!({"file": first, "format": "osquery", "devices": 1, "new_devices": 1}));
        assert_eq!(imported[1]["new_devices"], 0, "{}", rapport.database);
        let assets = rapport.json_lines(&["assets", "--json"]);
        let web = asset(&assets, "web-1.example.com");
        assert_eq!(web["software_count"], 3, "curl, the new openssl and vim");
        assert_eq!(web["facts"]["screen_lock"], true);
        assert_eq!(web["facts"]["tags"], json!(["env=prod"]));
        assert_eq!(web["last_seen"], "2023-11-15T22:13:20Z");
        let listed = rapport.json_lines(&["assets", "--json", "--software", "--name", "web-1.example.com"]);
        let packages: Vec<String> = listed[0]["software"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{} {}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
            .collect();
        assert_eq!(packages, ["curl 7.81.0-1ubuntu1.14", "openssl 3.0.2-0ubuntu1.12", "vim 2:8.2.3995"]);
        // Imported again, nothing is duplicated.
        rapport.ok(&["inventory", "import", &first, &second]);
        assert_eq!(rapport.json_lines(&["assets", "--json"]).len(), 1);
    }
}

#[test]
fn bad_inventory_people_and_rules_change_nothing() {
    for rapport in each_backend() {
        setup(&rapport);
        let before = (rapport.ok(&["assets", "--json"]), rapport.ok(&["imports", "--json"]));
        let whole = std::fs::read(sample("inventory/fleet-device.json")).unwrap();
        let cut = rapport.write("cut.json", &whole[..whole.len() / 2]);
        let error = rapport.fails(&["inventory", "import", &cut]);
        assert!(error.contains("cut.json: not valid fleet: the file ended early at line"), "{error}");
        let people = rapport.write(
            "people.csv",
            b"name,email,audience\nZoe,zoe@example.com,engineer\nYan,yan@example.com,boss\n",
        );
        let error = rapport.fails(&["people", "import", &people]);
        assert!(
            error.contains(
                "people.csv: not valid people-csv: at record 3 (line 3): unknown audience \"boss\""
            ),
            "{error}"
        );
        let rules = rapport.write(
            "rules.toml",
            b"[[rule]]\nteam = \"a\"\n\n[[rule]]\nname = \"web\"\nteam = \"b\"\nmatch.hostname = \"web-[\"\n",
        );
        let error = rapport.fails(&["owners", "apply", &rules]);
        assert!(error.contains("rules.toml: rule 2 (web): bad pattern \"web-[\""), "{error}");
        let typo = rapport.write("typo.toml", b"[[rule]]\nteam = \"a\"\nmatch.hostnam = \"web-*\"\n");
        let error = rapport.fails(&["owners", "check", &typo]);
        assert!(
            error.contains(
                "typo.toml: not a valid ownership file: at line 3, column 7: unknown field `hostnam`"
            ),
            "{error}"
        );
        assert_eq!(
            (rapport.ok(&["assets", "--json"]), rapport.ok(&["imports", "--json"])),
            before,
            "{}",
            rapport.database
        );
        assert!(rapport.ok(&["owners", "history"]).contains("No ownership file"));
        let misplaced = rapport.fails(&["import", &sample("inventory/fleet-device.json")]);
        assert!(
            misplaced.contains(
                "this is a device inventory, not scanner output: import it with `rapport inventory import`"
            ),
            "{misplaced}"
        );
    }
}

#[test]
fn people_from_scim_join_their_groups_and_are_not_duplicated() {
    for rapport in each_backend() {
        let corpus =
            |name: &str| crate::support::corpus(&format!("directory/scim/{name}")).display().to_string();
        let users = [corpus("rfc7643-8.2-user-full.json"), corpus("rfc7644-3.4.1-user-known-resource.json")];
        let imported = rapport.json_lines(&[
            "people",
            "import",
            "--json",
            &users[0],
            &users[1],
            &corpus("rfc7643-8.4-group.json"),
        ]);
        assert_eq!(
            imported[2],
            json!({"file": corpus("rfc7643-8.4-group.json"), "format": "scim", "people": 0, "teams": 1})
        );
        rapport.ok(&["people", "import", &users[0]]);
        let output = rapport.ok(&["imports", "--json"]);
        assert_eq!(output.lines().count(), 4, "{}", rapport.database);
    }
}

/// Issue 18, item 7: an asset first seen in a scan after the rules were applied is owned by
/// them as it arrives, so its findings reach the team's plan without a second `owners apply`.
#[test]
fn a_new_asset_is_owned_by_the_rules_in_force_as_it_arrives() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["people", "import", &sample("people/teams.csv"), &sample("people/people.csv")]);
        rapport.ok(&["owners", "apply", &sample("ownership/ownership.toml")]);
        let out = rapport.ok(&["import", &sample("grype-image.json")]);
        assert!(out.contains("1 new assets owned by the ownership rules in force"), "{db}: {out}");
        assert!(!out.contains("on assets no team owns"), "{db}: {out}");
        let assets = rapport.json_lines(&["assets", "--json"]);
        let image = asset(&assets, "busybox:1.32.1");
        assert_eq!(image["owner"]["team"], "Platform", "{db}: {image}");
        let plans: Value = serde_json::from_str(&rapport.ok(&["plan", "--json", "--no-refresh"])).unwrap();
        let teams: Vec<&str> =
            plans["plans"].as_array().unwrap().iter().map(|p| p["team"].as_str().unwrap()).collect();
        assert_eq!(teams, ["Platform"], "{db}: its findings are in the team's plan");
    }
}
