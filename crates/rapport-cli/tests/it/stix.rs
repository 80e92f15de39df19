//! `rapport stix import`: a bundle is stored whole or not at all, once, with its event.

use crate::support::{corpus, each_backend};

const ATTACK_ICS: &str = "stix/mitre-attack_attack-stix-data/ics-attack/ics-attack-18.1.json";
const MARKINGS: &str =
    "stix/oasis-open_cti-documentation/examples/example_json/using-marking-definitions.json";

#[test]
fn a_bundle_is_imported_once_and_a_broken_one_not_at_all() {
    for rapport in each_backend() {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        let attack = corpus(ATTACK_ICS).display().to_string();
        let first =
            rapport.json_lines(&["stix", "import", &attack, "--json", "--by", "sam.okafor@example.com"]);
        assert_eq!(
            (first[0]["objects"].as_u64(), first[0]["added"].as_u64()),
            (Some(1826), Some(1826)),
            "{db}"
        );
        assert_eq!(first[0]["types"]["relationship"], 1373, "{db}");
        assert_eq!(first[0]["markings"]["unmarked"], 1826, "{db}");
        let again = rapport.ok(&["stix", "import", &attack]);
        assert!(again.contains("1826 objects, all held already"), "{db}: {again}");

        let held = rapport.json_lines(&["stix", "list", "--json"]);
        let count =
            |kind: &str| held.iter().find(|line| line["type"] == kind).map(|line| line["objects"].clone());
        assert_eq!(count("relationship"), Some(1373.into()), "{db}: {held:?}");
        assert_eq!(count("attack-pattern"), Some(95.into()), "{db}");

        // TLP 1.0 from an older peer arrives as TLP 2.0.
        let marked =
            rapport.json_lines(&["stix", "import", "--json", &corpus(MARKINGS).display().to_string()]);
        assert_eq!(marked[0]["markings"]["amber"], 1, "{db}: {marked:?}");

        // One object of a bundle breaks a rule: the file, the place, the object and the
        // property are named, and nothing of the bundle is stored.
        let text = std::fs::read_to_string(corpus(MARKINGS)).unwrap();
        let new_ids =
            text.replace("33fe3b22-0201-47cf-85d0-97c02164528d", "0c4b5ff6-2a0b-4a4e-9b5c-d7e3a1b2c3d4");
        let broken = new_ids.replacen(
            "\"modified\": \"2017-04-14T13:07:49.812Z\",\n          \"name\": \"Known",
            "\"modified\": \"2016-04-14T13:07:49.812Z\",\n          \"name\": \"Known",
            1,
        );
        assert_ne!(broken, new_ids, "the sample still reads as it did");
        let broken = rapport.write("broken.json", broken.as_bytes());
        let before = rapport.ok(&["stix", "list", "--json"]);
        let error = rapport.fails(&["stix", "import", &broken]);
        assert!(error.contains("broken.json") && error.contains("nothing was stored"), "{db}: {error}");
        assert!(error.contains("at line 18, column 7"), "{db}: {error}");
        assert!(
            error.contains("indicator--0c4b5ff6-2a0b-4a4e-9b5c-d7e3a1b2c3d4: `modified` (\"2016-04-14T13:07:49.812Z\") is before `created`"),
            "{db}: {error}"
        );
        assert_eq!(rapport.ok(&["stix", "list", "--json"]), before, "{db}");

        let events = rapport.json_lines(&["events", "--json", "--kind", "stix_imported"]);
        let details: Vec<&str> = events.iter().map(|event| event["detail"].as_str().unwrap()).collect();
        assert_eq!(
            details.len(),
            3,
            "{db}: one for each bundle imported, none for the broken one: {details:?}"
        );
        assert!(
            details[0].starts_with("ics-attack-18.1.json: ") && details[0].ends_with(" new"),
            "{db}: {details:?}"
        );
        assert_eq!(events[0]["actor"]["email"], "sam.okafor@example.com", "{db}: {}", events[0]);
        assert!(details[1].ends_with("all held already"), "{db}: {details:?}");
    }
}
