//! Device inventories and directories of people: every corpus file is read or refused for a
//! stated reason, with concrete values read off the samples by eye.

use std::io::Cursor;

use rapport_core::{Audience, DeviceReport, Directory, Software, SoftwareChange, apply_software_changes};
use rapport_formats::{detect_directory, detect_inventory, parse_directory, parse_inventory};

use crate::support::corpus;

fn devices(bytes: &[u8]) -> Result<Vec<DeviceReport>, String> {
    let format = detect_inventory(bytes)?;
    let mut reports = Vec::new();
    parse_inventory(format, Cursor::new(bytes), &mut |report| {
        reports.push(report);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(reports)
}

fn directory(bytes: &[u8]) -> Result<Directory, String> {
    let format = detect_directory(bytes)?;
    parse_directory(format, Cursor::new(bytes)).map_err(|e| e.to_string())
}

fn file(relative: &str) -> Vec<u8> {
    std::fs::read(corpus(relative)).unwrap()
}

fn files(folder: &str) -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<_> = std::fs::read_dir(corpus(folder)).unwrap().map(|e| e.unwrap().path()).collect();
    paths.retain(|p| p.file_name().unwrap() != "SOURCES.md");
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

/// Files refused, and why a reader would agree.
const REFUSED: [(&str, &str); 3] = [
    // Documentation examples with `//` comments and trailing commas: not JSON, as Fleet's
    // API never sends them.
    ("fleet-docs-2025-12_get-host.json", "at line 58, column 44: key must be a string"),
    ("fleet-docs-2025-12_list-hosts_populate-all.json", "at line 79, column 46: key must be a string"),
    // A software list that does not say whose it is.
    ("fleet-docs-2025-12_host-software.json", "a Fleet software list without its host"),
];

#[test]
fn every_inventory_file_is_read_or_refused_for_a_stated_reason() {
    let mut read = 0;
    for folder in ["inventory/osquery", "inventory/fleet"] {
        for (name, bytes) in files(folder) {
            let refusal = REFUSED.iter().find(|(refused, _)| *refused == name).map(|(_, reason)| *reason);
            match (devices(&bytes), refusal) {
                (Ok(reports), None) => {
                    assert!(!reports.is_empty(), "{name}");
                    read += 1;
                }
                (Err(error), Some(reason)) => assert!(error.contains(reason), "{name}: {error}"),
                (outcome, _) => panic!("{name}: unexpected {outcome:?}"),
            }
        }
    }
    assert_eq!(read, 12);
}

#[test]
fn fleet_host_with_software_policies_and_labels() {
    let host = &devices(&file("inventory/fleet/fleet-docs-2023-09_get-host.json")).unwrap()[0];
    assert_eq!(host.identifier, "309a4b7d-0000-0000-8e7f-26ae0815ede8");
    let facts = &host.facts;
    assert_eq!(facts.hostname.as_deref(), Some("23cfc9caacf0"));
    assert_eq!(
        (facts.os_name.as_deref(), facts.os_version.as_deref()),
        (Some("CentOS Linux"), Some("8.3.2011"))
    );
    assert_eq!(facts.ips, ["172.27.0.6"]);
    assert_eq!(facts.disk_encrypted, Some(true));
    assert_eq!(facts.failing_policies, ["SomeQuery2"]);
    assert!(facts.tags.contains(&"label=All Linux".to_owned()));
    let software = host.software.as_ref().unwrap();
    assert_eq!(
        software[1],
        Software { name: "tar".into(), version: "1.30".into(), source: "rpm_packages".into() }
    );
    // The device page of 2025 names the build, which is the patch level.
    let mac = &devices(&file("inventory/fleet/fleet-docs-2025-12_device-host.json")).unwrap()[0];
    assert_eq!(mac.facts.os_build.as_deref(), Some("24C101"));
    assert_eq!(mac.facts.os_name.as_deref(), Some("macOS"));
    // fleetctl writes one document per host.
    let listed = devices(&file("inventory/fleet/fleetctl_expectedListHostsJson.json")).unwrap();
    assert_eq!(listed.len(), 2);
    // Issue 19, item 7: the same documents as one JSON array, as some versions and scripts
    // write them, were refused at the `[`.
    let documents =
        serde_json::Deserializer::from_slice(&file("inventory/fleet/fleetctl_expectedListHostsJson.json"))
            .into_iter::<serde_json::Value>()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
    let array = serde_json::to_vec_pretty(&documents).unwrap();
    let from_array = devices(&array).unwrap();
    assert_eq!(from_array, listed);
    assert_eq!(from_array[1].facts.hostname.as_deref(), Some("test_host2"));
    let empty = devices(b"[]").unwrap_err();
    assert!(empty.contains("not an osquery results log or Fleet host JSON"), "{empty}");
}

#[test]
fn osquery_decorations_and_record_shapes() {
    let log = devices(&file("inventory/osquery/osqueryd.results.log")).unwrap();
    assert_eq!(log.len(), 7);
    assert!(log.iter().all(|r| r.identifier == "VOSTRO5490"));
    assert_eq!(log[0].facts.ips, ["172.18.0.1"]);
    assert_eq!(log[0].seen_at, Some(1625200416));
    let older = &devices(&file("inventory/osquery/osquery-docs_startup-items_added.json")).unwrap()[0];
    assert_eq!(older.identifier, "ted-osx.local", "older logs name the host `hostname`");
}

/// A differential log as osqueryd writes it, with the tables Rapport reads device state
/// from: packages change over time, and the last word on each fact wins.
#[test]
fn a_differential_log_applies_in_order() {
    let log = br#"{"name":"pack_it_deb_packages","hostIdentifier":"web-1","unixTime":1700000000,"action":"snapshot","snapshot":[{"name":"openssl","version":"3.0.2-0ubuntu1.10","arch":"amd64"},{"name":"curl","version":"7.81.0-1ubuntu1.14","arch":"amd64"}]}
{"name":"pack_it_os_version","hostIdentifier":"web-1","unixTime":1700000100,"diffResults":{"removed":[],"added":[{"name":"Ubuntu","version":"22.04.3 LTS (Jammy Jellyfish)","major":"22","minor":"4","patch":"0","build":"","platform":"ubuntu"}]}}
{"name":"uptime","hostIdentifier":"web-1","unixTime":1700000200,"columns":{"days":"1","hours":"0","minutes":"0","seconds":"0","total_seconds":"86400"},"action":"added"}
{"name":"screenlock","hostIdentifier":"web-1","unixTime":1700000200,"columns":{"enabled":"1","grace_period":"5"},"action":"added"}
{"name":"alf","hostIdentifier":"web-1","unixTime":1700000200,"columns":{"global_state":"0","logging_enabled":"0"},"action":"added"}
{"name":"users","hostIdentifier":"web-1","unixTime":1700000200,"columns":{"type":"user","user":"ana","tty":"pts/0","host":"10.0.0.9","time":"1699990000"},"action":"added"}
{"name":"pack_it_deb_packages","hostIdentifier":"web-1","unixTime":1700000300,"diffResults":{"removed":[{"name":"openssl","version":"3.0.2-0ubuntu1.10","arch":"amd64"}],"added":[{"name":"openssl","version":"3.0.2-0ubuntu1.12","arch":"amd64"}]}}
"#;
    let mut reports = devices(log).unwrap().into_iter();
    let mut host = reports.next().unwrap();
    for later in reports {
        host.merge(later);
    }
    let mut software = host.software.clone().unwrap();
    apply_software_changes(&mut software, &host.software_changes);
    let versions: Vec<_> = software.iter().map(|s| format!("{} {}", s.name, s.version)).collect();
    assert_eq!(versions, ["curl 7.81.0-1ubuntu1.14", "openssl 3.0.2-0ubuntu1.12"]);
    assert!(matches!(host.software_changes[0], SoftwareChange::Removed(_)));
    let facts = &host.facts;
    assert_eq!(facts.os_name.as_deref(), Some("Ubuntu"));
    assert_eq!(facts.os_version.as_deref(), Some("22.04.3 LTS (Jammy Jellyfish)"));
    assert_eq!(facts.last_reboot, Some(1700000200 - 86400));
    assert_eq!((facts.screen_lock, facts.firewall), (Some(true), Some(false)));
    assert_eq!(facts.user.as_deref(), Some("ana"));
    assert_eq!(host.seen_at, Some(1700000300));
}

#[test]
fn every_scim_file_is_read() {
    for (name, bytes) in files("directory/scim") {
        let read = directory(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!read.people.is_empty() || !read.teams.is_empty(), "{name}");
    }
}

#[test]
fn scim_users_groups_and_enterprise_managers() {
    let babs = &directory(&file("directory/scim/rfc7643-8.2-user-full.json")).unwrap().people[0];
    assert_eq!(babs.email.as_deref(), Some("bjensen@example.com"));
    assert_eq!(babs.name, "Babs Jensen");
    assert_eq!(babs.team.as_deref(), Some("Tour Guides"));
    assert_eq!(babs.time_zone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(babs.locale.as_deref(), Some("en-US"));
    assert_eq!(babs.audience, Audience::Engineer);
    let chuck = &directory(&file("directory/scim/scim-sdk_user-resource-with-enterprise-user.json"))
        .unwrap()
        .people[0];
    assert_eq!(chuck.team.as_deref(), Some("Tour Operations"), "the department stands in for groups");
    assert_eq!(chuck.manager.as_deref(), Some("26118915-6090-4610-87e4-49d8ca9f808d"));
    let group = directory(&file("directory/scim/rfc7643-8.4-group.json")).unwrap();
    assert_eq!(group.teams[0].name, "Tour Guides");
    assert_eq!(
        group.members[1],
        ("Tour Guides".to_owned(), "902c246b-6245-4190-8e05-00816be7344a".to_owned())
    );
    let list =
        directory(&file("directory/scim/rfc7644-3.4.2-list_response-partial_attributes.json")).unwrap();
    let keys: Vec<_> = list.people.iter().map(|p| p.key().unwrap()).collect();
    assert_eq!(keys, ["id:2819c223-7f76-453a-919d-413861904646", "id:c75ad752-64ae-4823-840d-ffa80929976c"]);
}

#[test]
fn people_and_teams_csv() {
    let people = b"Name,Email,Team,Manager,Audience,Time zone,Locale,Chat\n\
Ana Lima,ana@acme.example,Payments,rui@acme.example,engineer,Europe/Lisbon,pt-PT,@ana\n\
Rui Costa,rui@acme.example,Payments,,Manager,Europe/Lisbon,pt-PT,@rui\n";
    let read = directory(people).unwrap();
    assert_eq!(read.people.len(), 2);
    let ana = &read.people[0];
    assert_eq!((ana.team.as_deref(), ana.manager.as_deref()), (Some("Payments"), Some("rui@acme.example")));
    assert_eq!((ana.audience, read.people[1].audience), (Audience::Engineer, Audience::Manager));
    assert_eq!(ana.chat.as_deref(), Some("@ana"));
    let teams = b"team,measured_on,weekly_capacity_hours\nPayments,Checkout conversion and API uptime,6\nData,Report freshness,4.5h\n";
    let read = directory(teams).unwrap();
    assert_eq!(read.teams[0].measured_on.as_deref(), Some("Checkout conversion and API uptime"));
    assert_eq!(read.teams[1].weekly_capacity_hours, Some(4.5));
}

#[test]
fn bad_directory_rows_are_refused_with_their_place() {
    let error = directory(b"name,email,audience\nAna,ana@acme.example,boss\n").unwrap_err();
    assert_eq!(
        error,
        "at record 2 (line 2): unknown audience \"boss\": expected executive, manager, engineer or end user"
    );
    let error = directory(b"name,email\nAna,ana.acme.example\n").unwrap_err();
    assert_eq!(error, "at record 2 (line 2): \"ana.acme.example\" is not an email address");
    let error = directory(b"name,email\nAna,ana@acme.example\nAna L,ANA@acme.example\n").unwrap_err();
    assert_eq!(error, "at record 3 (line 3): ana@acme.example is listed twice");
    let error = directory(b"name,email,time zone\nAna,ana@acme.example,CET+1\n").unwrap_err();
    assert!(error.contains("is not an IANA name"), "{error}");
    let error = directory(b"team,capacity\nPayments,lots\n").unwrap_err();
    assert_eq!(error, "at record 2 (line 2): capacity \"lots\" is not a number of hours (like `6` or `7.5`)");
    assert!(directory(b"title,phone\nx,y\n").unwrap_err().contains("has neither an email column"));
}
