//! STIX 2.1 bundles, read object by object from a stream, each checked against the rules of
//! STIX 2.1 part 2 and 3 that peers break in practice: ids of the form `type--uuid`, the
//! required common properties of each kind of object, timestamps in UTC, `modified` not
//! before `created`, references that are ids, and indicator patterns that parse. A TLP 1.0
//! marking is kept as its TLP 2.0 id. The first object that breaks a rule stops the bundle,
//! named by its id and the property.

use std::io::BufRead;

use rapport_core::{StixObject, Tlp};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::json::JsonReader;
use crate::stix_pattern::parse_pattern;
use crate::{ParseError, Stop};

/// Where the objects of a bundle go as they are read.
pub type StixSink<'a> = dyn FnMut(StixObject) -> Result<(), Stop> + 'a;

/// What a bundle said of itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StixBundle {
    pub id: String,
    pub objects: u64,
}

/// The cyber-observable types of STIX 2.1: they have no `created` and are not versioned.
const OBSERVABLES: [&str; 18] = [
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// Reads a STIX 2.1 bundle, handing each object to `sink` checked.
pub fn parse_stix_bundle<R: BufRead>(input: R, sink: &mut StixSink<'_>) -> Result<StixBundle, ParseError> {
    let mut json = JsonReader::new(input);
    let mut kind: Option<String> = None;
    let mut id: Option<String> = None;
    let mut spec_version: Option<String> = None;
    let mut objects = 0;
    if json.peek()? != Some(b'{') {
        return Err(json.invalid("expected a STIX 2.1 bundle: an object with \"type\": \"bundle\""));
    }
    json.object("a STIX bundle", |json, key| {
        match key {
            "type" => kind = Some(json.value()?),
            "id" => id = Some(json.value()?),
            "spec_version" => spec_version = Some(json.value()?),
            "objects" => json.array("an array of STIX objects", |json| {
                json.peek()?;
                let at = json.here();
                let object = checked(json.value()?).map_err(|message| ParseError::invalid(at, message))?;
                objects += 1;
                sink(object)?;
                Ok(())
            })?,
            _ => json.skip()?,
        }
        Ok(())
    })?;
    json.end()?;
    if kind.as_deref() != Some("bundle") {
        let found = kind.map_or("no type".to_owned(), |kind| format!("\"type\": {kind:?}"));
        return Err(json.invalid(format!("expected a STIX 2.1 bundle, \"type\": \"bundle\"; found {found}")));
    }
    if let Some(version) = spec_version.filter(|version| version != "2.1") {
        return Err(json.invalid(format!(
            "the bundle is STIX {version} (its spec_version); Rapport reads STIX 2.1, where each object carries its own"
        )));
    }
    let id = id.ok_or_else(|| json.invalid("the bundle has no `id`: expected bundle--<uuid>"))?;
    check_id(&id, "bundle").map_err(|problem| json.invalid(format!("the bundle's `id` {problem}")))?;
    Ok(StixBundle { id, objects })
}

/// One object checked and kept: its version pulled out, its TLP found, TLP 1.0 mapped.
fn checked(value: Value) -> Result<StixObject, String> {
    let Value::Object(mut object) = value else {
        return Err("expected a STIX object, found another JSON value in `objects`".into());
    };
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        _ => return Err("an object has no `type`: every STIX object names its type".into()),
    };
    let id = match object.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ => return Err(format!("an object of type {kind:?} has no `id`")),
    };
    let named = |property: &str, problem: String| format!("{id}: `{property}` {problem}");
    check_type_name(&kind).map_err(|problem| named("type", problem))?;
    check_id(&id, &kind).map_err(|problem| named("id", problem))?;
    let observable = OBSERVABLES.contains(&kind.as_str()) || !object.contains_key("created");
    let spec_version = match object.get("spec_version") {
        Some(Value::String(version)) if version == "2.1" => version.clone(),
        Some(other) => return Err(named("spec_version", format!("is {other}; expected \"2.1\""))),
        None if observable => "2.1".to_owned(),
        None => return Err(named("spec_version", "is missing; expected \"2.1\"".into())),
    };
    let created = timestamp(&object, "created").map_err(|problem| named("created", problem))?;
    let modified = timestamp(&object, "modified").map_err(|problem| named("modified", problem))?;
    if !observable && kind != "marking-definition" && modified.is_none() {
        return Err(named("modified", "is missing; every version of a STIX object has one".into()));
    }
    if let (Some(created), Some(modified)) = (created, modified)
        && modified < created
    {
        let text = |property: &str| object.get(property).map(Value::to_string).unwrap_or_default();
        return Err(named(
            "modified",
            format!("({}) is before `created` ({})", text("modified"), text("created")),
        ));
    }
    check_references(&object).map_err(|(property, problem)| named(&property, problem))?;
    check_kind(&kind, &object).map_err(|(property, problem)| named(&property, problem))?;
    let tlp = tlp_of(&mut object);
    let version = modified.or(created).filter(|_| !observable).map(sortable).unwrap_or_default();
    let json = Value::Object(object).to_string();
    Ok(StixObject { id, kind, spec_version, version, tlp, json })
}

/// `a-z`, `0-9` and single hyphens between, 3 to 250 characters.
fn check_type_name(kind: &str) -> Result<(), String> {
    let fits = (3..=250).contains(&kind.len())
        && kind.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if fits {
        Ok(())
    } else {
        Err(format!("{kind:?} is not a STIX type name: expected a-z, 0-9 and hyphens"))
    }
}

/// `type--uuid`, the type its own and the UUID of RFC 4122's variant.
fn check_id(id: &str, kind: &str) -> Result<(), String> {
    let Some((prefix, uuid)) = id.split_once("--") else {
        return Err(format!("{id:?} is not a STIX id: expected {kind}--<uuid>"));
    };
    if prefix != kind {
        return Err(format!("{id:?} names type {prefix:?}, but the object's type is {kind:?}"));
    }
    if !is_uuid(uuid) {
        return Err(format!(
            "{id:?} does not end in an RFC 4122 UUID (like 8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f)"
        ));
    }
    Ok(())
}

fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    let dashes = [8, 13, 18, 23];
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(at, b)| {
            if dashes.contains(&at) { *b == b'-' } else { b.is_ascii_hexdigit() && !b.is_ascii_uppercase() }
        })
        && bytes.get(19).is_some_and(|variant| matches!(variant, b'8' | b'9' | b'a' | b'b'))
}

/// A STIX timestamp, if the property is there: RFC 3339 in UTC, written with `Z`.
fn timestamp(object: &Map<String, Value>, property: &str) -> Result<Option<OffsetDateTime>, String> {
    match object.get(property) {
        None => Ok(None),
        Some(Value::String(text)) => parse_timestamp(text).map(Some),
        Some(other) => Err(format!("is {other}; expected a timestamp like \"2026-11-30T09:15:00.000Z\"")),
    }
}

fn parse_timestamp(text: &str) -> Result<OffsetDateTime, String> {
    let expected = || format!("is {text:?}; expected a UTC timestamp like \"2026-11-30T09:15:00.000Z\"");
    if !text.ends_with('Z') || text.get(10..11) != Some("T") {
        return Err(expected());
    }
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| expected())
}

/// The version as text that sorts as time does: nine fractional digits, in UTC.
fn sortable(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
    at.to_offset(UtcOffset::UTC).format(&format).unwrap_or_default()
}

/// Every property named `…_ref` holds an id, and every `…_refs` a list of them; markings
/// are marking definitions and the creator an identity.
fn check_references(object: &Map<String, Value>) -> Result<(), (String, String)> {
    // A custom property (`x_…`) keeps its own rules: MITRE's `x_mitre_data_source_ref` is "".
    for (property, value) in object.iter().filter(|(property, _)| !property.starts_with("x_")) {
        let ids: Vec<&Value> = if property.ends_with("_ref") {
            vec![value]
        } else if property.ends_with("_refs") {
            match value {
                Value::Array(ids) => ids.iter().collect(),
                other => return Err((property.clone(), format!("is {other}; expected a list of STIX ids"))),
            }
        } else {
            continue;
        };
        for id in ids {
            let Value::String(id) = id else {
                return Err((property.clone(), format!("holds {id}; expected a STIX id")));
            };
            let kind = id.split_once("--").map_or("", |(kind, _)| kind);
            let required = match property.as_str() {
                "created_by_ref" => Some("identity"),
                "object_marking_refs" => Some("marking-definition"),
                _ => None,
            };
            let expected = required.unwrap_or(if kind.is_empty() { "type" } else { kind });
            if required.is_some_and(|required| kind != required) {
                return Err((property.clone(), format!("holds {id:?}; expected a {expected}--<uuid>")));
            }
            check_id(id, expected).map_err(|problem| (property.clone(), problem))?;
        }
    }
    Ok(())
}

/// What one kind of object must carry beyond the common properties.
fn check_kind(kind: &str, object: &Map<String, Value>) -> Result<(), (String, String)> {
    let text = |property: &str| match object.get(property) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.as_str()),
        Some(other) => Err((property.to_owned(), format!("is {other}; expected a text"))),
        None => Err((property.to_owned(), format!("is missing; a {kind} has one"))),
    };
    let time = |property: &str| {
        timestamp(object, property)
            .map_err(|problem| (property.to_owned(), problem))?
            .ok_or_else(|| (property.to_owned(), format!("is missing; a {kind} has one")))
    };
    match kind {
        "indicator" => {
            let pattern = text("pattern")?;
            let valid_from = time("valid_from")?;
            if text("pattern_type")? == "stix" {
                parse_pattern(pattern)
                    .map_err(|error| ("pattern".to_owned(), format!("{pattern:?} does not parse {error}")))?;
            }
            if let Some(until) =
                timestamp(object, "valid_until").map_err(|p| ("valid_until".to_owned(), p))?
                && until <= valid_from
            {
                let text = |property: &str| object.get(property).map(Value::to_string).unwrap_or_default();
                let (until, from) = (text("valid_until"), text("valid_from"));
                return Err(("valid_until".into(), format!("({until}) is not after `valid_from` ({from})")));
            }
        }
        "relationship" => {
            text("relationship_type")?;
            text("source_ref")?;
            text("target_ref")?;
        }
        "sighting" => {
            text("sighting_of_ref")?;
        }
        "report" => {
            text("name")?;
            time("published")?;
            match object.get("object_refs") {
                Some(Value::Array(refs)) if !refs.is_empty() => {}
                _ => {
                    return Err((
                        "object_refs".into(),
                        "is missing or empty; a report lists what it is about".into(),
                    ));
                }
            }
        }
        // A malware or a location may go unnamed; these kinds are known by their name.
        "attack-pattern" | "campaign" | "identity" | "intrusion-set" | "threat-actor" | "tool"
        | "vulnerability" | "course-of-action" | "infrastructure" | "grouping" => {
            text("name")?;
        }
        _ => {}
    }
    if let Some(references) = object.get("external_references") {
        let Value::Array(references) = references else {
            return Err(("external_references".into(), "is not a list".into()));
        };
        if references.iter().any(|reference| !matches!(reference.get("source_name"), Some(Value::String(_))))
        {
            return Err(("external_references".into(), "holds a reference without a `source_name`".into()));
        }
    }
    Ok(())
}

/// The most restrictive TLP among the object's markings, after replacing any TLP 1.0 id by
/// its TLP 2.0 one.
fn tlp_of(object: &mut Map<String, Value>) -> Option<Tlp> {
    let Some(Value::Array(markings)) = object.get_mut("object_marking_refs") else {
        return None;
    };
    let mut strictest = None;
    for marking in markings.iter_mut() {
        let Value::String(id) = marking else { continue };
        let Some(tlp) = Tlp::of_marking(id) else { continue };
        if Tlp::is_tlp1_marking(id) {
            *id = tlp.marking_id().to_owned();
        }
        strictest = strictest.max(Some(tlp));
    }
    // A peer that sent both the TLP 1.0 and the TLP 2.0 id of a level now has one twice.
    let mut seen = std::collections::HashSet::new();
    markings.retain(|marking| seen.insert(marking.clone()));
    strictest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(StixBundle, Vec<StixObject>), String> {
        let mut objects = Vec::new();
        let bundle = parse_stix_bundle(text.as_bytes(), &mut |object| {
            objects.push(object);
            Ok(())
        })
        .map_err(|error| error.to_string())?;
        Ok((bundle, objects))
    }

    const INDICATOR: &str = r#"{"type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-11-30T09:15:00.000Z", "modified": "2026-11-30T09:15:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.3']", "pattern_type": "stix",
        "valid_from": "2026-11-30T09:15:00Z",
        "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}"#;

    fn bundle(objects: &[&str]) -> String {
        format!(
            r#"{{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [{}]}}"#,
            objects.join(",")
        )
    }

    #[test]
    fn an_object_is_kept_with_its_version_and_its_tlp_as_tlp2() {
        let (bundle, objects) = read(&bundle(&[INDICATOR])).unwrap();
        assert_eq!(bundle.objects, 1);
        let [indicator] = objects.as_slice() else { panic!("{objects:?}") };
        assert_eq!(indicator.kind, "indicator");
        assert_eq!(indicator.version, "2026-11-30T09:15:00.000000000Z");
        assert_eq!(indicator.tlp, Some(Tlp::Amber));
        assert!(indicator.json.contains(Tlp::Amber.marking_id()), "{}", indicator.json);
        assert!(!indicator.json.contains("f88d31f6"), "the TLP 1.0 id is gone: {}", indicator.json);
    }

    #[test]
    fn a_broken_object_is_named_with_its_property() {
        let cases = [
            (
                INDICATOR.replace("\"modified\": \"2026-11-30", "\"modified\": \"2025-11-30"),
                "`modified` (\"2025-11-30T09:15:00.000Z\") is before `created` (\"2026-11-30T09:15:00.000Z\")",
            ),
            (INDICATOR.replace("indicator--8e2e2d2b", "indicator--8e2e2d2"), "`id` \"indicator--8e2e2d2-"),
            (
                INDICATOR.replace("indicator--8e2e2d2b", "malware--8e2e2d2b"),
                "names type \"malware\", but the object's type is \"indicator\"",
            ),
            (
                INDICATOR.replace("'198.51.100.3']", "'198.51.100.3'"),
                "`pattern` \"[ipv4-addr:value = '198.51.100.3'\" does not parse",
            ),
            (INDICATOR.replace("\"spec_version\": \"2.1\",", ""), "`spec_version` is missing"),
            (
                INDICATOR.replace("09:15:00.000Z\", \"modified", "09:15:00.000+01:00\", \"modified"),
                "`created` is \"2026-11-30T09:15:00.000+01:00\"",
            ),
            (INDICATOR.replace("\"valid_from\": \"2026-11-30T09:15:00Z\",", ""), "`valid_from` is missing"),
            (
                INDICATOR.replace("marking-definition--f88d31f6", "identity--f88d31f6"),
                "`object_marking_refs` holds \"identity--",
            ),
        ];
        for (object, expected) in cases {
            let error = read(&bundle(&[INDICATOR, &object])).unwrap_err();
            assert!(error.contains("--8e2e2d2") && error.contains(expected), "{expected}: {error}");
            assert!(error.starts_with("at line 6, column "), "the object's place: {error}");
        }
    }

    #[test]
    fn only_a_stix_2_1_bundle_is_read() {
        let error = read(&bundle(&[]).replace("\"type\": \"bundle\"", "\"type\": \"report\"")).unwrap_err();
        assert!(error.contains("found \"type\": \"report\""), "{error}");
        let error =
            read(&bundle(&[]).replace("\"objects\"", "\"spec_version\": \"2.0\", \"objects\"")).unwrap_err();
        assert!(error.contains("the bundle is STIX 2.0"), "{error}");
        let error = read("[]").unwrap_err();
        assert!(error.contains("expected a STIX 2.1 bundle"), "{error}");
    }

    #[test]
    fn observables_have_no_version_and_need_no_spec_version() {
        let address = r#"{"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"}"#;
        let (_, objects) = read(&bundle(&[address])).unwrap();
        assert_eq!((objects[0].version.as_str(), objects[0].spec_version.as_str()), ("", "2.1"));
    }
}
