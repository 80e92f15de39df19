//! STIX 2.1 bundles from MITRE and OASIS, read object by object.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;

use rapport_core::{StixObject, Tlp};
use rapport_formats::{StixBundle, parse_stix_bundle};

use crate::support::corpus;

fn read(relative: &str) -> Result<(StixBundle, Vec<StixObject>), String> {
    let file = BufReader::new(File::open(corpus(relative)).unwrap());
    let mut objects = Vec::new();
    let bundle = parse_stix_bundle(file, &mut |object| {
        objects.push(object);
        Ok(())
    })
    .map_err(|error| error.to_string())?;
    Ok((bundle, objects))
}

#[test]
fn the_attack_ics_bundle_is_read_whole() {
    let (bundle, objects) =
        read("stix/mitre-attack_attack-stix-data/ics-attack/ics-attack-18.1.json").unwrap();
    assert_eq!(bundle.objects, 1826);
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    for object in &objects {
        *types.entry(object.kind.as_str()).or_default() += 1;
    }
    // As SOURCES.md counts them.
    assert_eq!(types["relationship"], 1373);
    assert_eq!(types["attack-pattern"], 95);
    assert_eq!(types["x-mitre-detection-strategy"], 83);
    assert_eq!(types["course-of-action"], 52);
    // MITRE marks its objects with its own statement, not TLP.
    assert!(objects.iter().all(|object| object.tlp.is_none()));
    let versioned = objects.iter().filter(|object| object.kind != "marking-definition");
    assert!(versioned.clone().all(|object| object.version.len() == "2017-05-31T21:30:19.735000000Z".len()));
    let pattern = objects.iter().find(|object| object.kind == "attack-pattern").unwrap();
    let json: serde_json::Value = serde_json::from_str(&pattern.json).unwrap();
    assert_eq!(json["id"], pattern.id.as_str(), "the object is kept as it came");
}

#[test]
fn tlp_1_markings_from_the_oasis_examples_are_read_as_tlp_2() {
    let (_, objects) =
        read("stix/oasis-open_cti-documentation/examples/example_json/using-marking-definitions.json")
            .unwrap();
    let indicator = objects.iter().find(|object| object.kind == "indicator").unwrap();
    assert_eq!(indicator.tlp, Some(Tlp::Amber));
    assert!(indicator.json.contains(Tlp::Amber.marking_id()), "{}", indicator.json);
    // The statement marking beside it stays.
    assert!(indicator.json.contains("marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f"));
    let definition = objects.iter().find(|object| object.kind == "marking-definition").unwrap();
    assert_eq!(
        definition.version, "2017-01-20T00:00:00.000000000Z",
        "a marking definition's version is its created"
    );
}

#[test]
fn every_oasis_example_bundle_is_read() {
    for example in [
        "identifying-a-threat-actor-profile",
        "indicator-for-malicious-url",
        "malware-indicator-for-file-hash",
        "sighting-of-an-indicator",
        "threat-actor-leveraging-attack-patterns-and-malware",
        "using-marking-definitions",
    ] {
        let path = format!("stix/oasis-open_cti-documentation/examples/example_json/{example}.json");
        let (bundle, objects) = read(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
        assert_eq!(bundle.objects as usize, objects.len());
    }
}

#[test]
fn what_is_not_a_bundle_is_refused_saying_so() {
    let error = read("stix/oasis-open_cti-python-stix2/sco-examples-bundle.json").unwrap_err();
    assert!(error.contains("expected a STIX 2.1 bundle"), "{error}");
    let single = "stix/oasis-open_cti-python-stix2/stix2/test/v21/stix2_data/malware/malware--6b616fc1-1505-48e3-8b2c-0d19337bff38.json";
    let error = read(single).unwrap_err();
    assert!(error.contains("found \"type\": \"malware\""), "{error}");
}
