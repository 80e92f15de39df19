//! Every file of the feed corpus is read as its feed, or refused for a stated reason.

use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rapport_formats::{
    DETECT_PREFIX_LEN, IntelFormat, IntelItem, IntelSummary, ParseError, bom_len, detect_intel, is_gzip,
    is_zip, parse_intel,
};

use crate::support::corpus;

#[derive(Debug)]
enum Read_ {
    Feed(IntelFormat, IntelSummary, Vec<IntelItem>),
    Undetected(#[allow(dead_code, reason = "shown when a test fails")] String),
    Rejected(ParseError),
    Archive,
}

fn read(path: &Path) -> Read_ {
    let mut bytes = std::fs::read(path).unwrap();
    if is_zip(&bytes) {
        return Read_::Archive;
    }
    if is_gzip(&bytes) {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end(&mut plain).unwrap();
        bytes = plain;
    }
    let prefix = &bytes[..bytes.len().min(DETECT_PREFIX_LEN)];
    let format = match detect_intel(prefix) {
        Ok(format) => format,
        Err(reason) => return Read_::Undetected(reason),
    };
    let mut cursor = Cursor::new(&bytes);
    cursor.seek(SeekFrom::Start(bom_len(prefix) as u64)).unwrap();
    let mut items = Vec::new();
    match parse_intel(format, BufReader::new(cursor), &mut |item| {
        items.push(item);
        Ok(())
    }) {
        Ok(summary) => Read_::Feed(format, summary, items),
        Err(error) => Read_::Rejected(error),
    }
}

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else if path.file_name().is_some_and(|n| n != "SOURCES.md") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// What each file is expected to be, by the first pattern its path contains.
const EXPECTED: [(&str, Expect); 16] = [
    ("_schema.json", Expect::NotAFeed),
    ("schema.json", Expect::NotAFeed),
    ("referenced_schema", Expect::NotAFeed),
    ("ecosystems.json", Expect::NotAFeed),
    ("/ROLIE/", Expect::NotAFeed),
    ("/aggregator/", Expect::NotAFeed),
    ("/provider-metadata/", Expect::NotAFeed),
    ("testcases", Expect::NotAFeed),
    ("csaf_2.1/", Expect::Refused("CSAF version \"2.1\" is not supported")),
    // The CSAF validator's test documents break one rule each on purpose; those the reader
    // cannot take are refused with a place and a reason.
    ("/test/validator/", Expect::Either),
    ("kev/", Expect::Feed(&["kev-json", "kev-csv"])),
    ("epss/", Expect::Feed(&["epss"])),
    ("nvd/", Expect::Feed(&["nvd"])),
    ("cve5/", Expect::Feed(&["cve5"])),
    ("osv/", Expect::Feed(&["osv"])),
    ("csaf/", Expect::Feed(&["csaf"])),
];

#[derive(Clone, Copy, Debug)]
enum Expect {
    Feed(&'static [&'static str]),
    NotAFeed,
    Refused(&'static str),
    Either,
}

#[test]
fn every_feed_file_imports_or_is_refused_for_a_stated_reason() {
    let root = corpus("feeds");
    let mut fed = 0;
    for file in files(&root) {
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        let name = format!("/{name}");
        let expect = EXPECTED.iter().find(|(pattern, _)| name.contains(pattern)).map(|(_, e)| *e).unwrap();
        match (read(&file), expect) {
            (Read_::Archive, _) => assert!(name.ends_with(".zip"), "{name}"),
            (Read_::Feed(format, _, items), Expect::Feed(formats)) => {
                assert!(formats.contains(&format.name()), "{name} read as {format}");
                assert!(!items.is_empty() || name.contains("rhsa-2019_1862"), "{name}: nothing read");
                fed += 1;
            }
            (Read_::Feed(..) | Read_::Rejected(_), Expect::Either) => {}
            (Read_::Undetected(_), Expect::NotAFeed) => {}
            (Read_::Rejected(error), Expect::Refused(reason)) => {
                assert!(error.to_string().contains(reason), "{name}: {error}")
            }
            (outcome, expect) => panic!("{name}: expected {expect:?}, got {outcome:?}"),
        }
    }
    assert!(fed >= 60, "{fed}");
}

fn feed(relative: &str) -> (IntelSummary, Vec<IntelItem>) {
    match read(&corpus(relative)) {
        Read_::Feed(_, summary, items) => (summary, items),
        other => panic!("{relative}: {other:?}"),
    }
}

#[test]
fn kev_catalogues_count_their_entries() {
    let (summary, items) = feed("feeds/kev/known_exploited_vulnerabilities.json");
    let edition = summary.edition.unwrap();
    assert_eq!((edition.version.as_str(), edition.date.to_string().as_str()), ("2025.08.25", "2025-08-25"));
    assert_eq!(items.len(), 1404);
    let (csv, rows) = feed("feeds/kev/known_exploited_vulnerabilities.csv");
    assert_eq!(rows.len(), 1404);
    assert_eq!(csv.edition.unwrap().version, "2025.08.25");
    let log4shell = rows.iter().find_map(|item| match item {
        IntelItem::Kev(entry) if entry.cve.as_str() == "CVE-2021-44228" => Some(entry),
        _ => None,
    });
    let log4shell = log4shell.unwrap();
    assert_eq!(log4shell.date_added.to_string(), "2021-12-10");
    assert!(log4shell.ransomware);
    let (newer, entries) = feed("feeds/kev/2026.01.29/cisa_kev.json");
    assert_eq!((newer.edition.unwrap().version.as_str(), entries.len()), ("2026.01.29", 1501));
}

#[test]
fn the_full_epss_file() {
    let (summary, items) = feed("feeds/epss/2026-01-30/epss_scores.csv.gz");
    let edition = summary.edition.unwrap();
    assert_eq!((edition.version.as_str(), edition.date.to_string().as_str()), ("v2025.03.14", "2026-01-30"));
    assert_eq!(items.len(), 313_089);
    let first = match items.first() {
        Some(IntelItem::Epss(score)) => score,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (first.cve.as_str(), first.probability, first.percentile),
        ("CVE-1999-0001", 0.01151, 0.78086)
    );
}

fn record(relative: &str) -> rapport_core::VulnRecord {
    match feed(relative).1.into_iter().next() {
        Some(IntelItem::Record(record)) => *record,
        other => panic!("{other:?}"),
    }
}

#[test]
fn cve5_records_carry_cisa_vulnrichment() {
    let log4shell =
        record("feeds/cve5/google_osv.dev/vulnfeeds/test_data/cvelistV5/cves/2021/44xxx/CVE-2021-44228.json");
    let ssvc = log4shell.signals.iter().find(|s| s.source == "CISA ADP").unwrap();
    assert_eq!(ssvc.exploitation, Some(rapport_core::Exploitation::Active));
    assert_eq!(ssvc.automatable, Some(rapport_core::Automatable::Yes));
    assert_eq!(ssvc.technical_impact.as_deref(), Some("total"));
    assert_eq!(ssvc.as_of.map(|d| d.to_string()).as_deref(), Some("2025-02-04"));
    assert!(log4shell.signals.iter().any(|s| s.source.contains("KEV")));
    assert!(log4shell.cvss.iter().any(|c| c.score == Some(10.0) && c.source.as_deref() == Some("CISA ADP")));
    assert!(log4shell.cwes.contains(&502) || log4shell.cwes.contains(&917), "{:?}", log4shell.cwes);
}

#[test]
fn osv_records_join_through_their_aliases() {
    let record = record("feeds/osv/golang_vulndb/GO-2022-0969.json");
    let aliases: Vec<&str> = record.aliases.iter().map(|a| a.as_str()).collect();
    assert_eq!(aliases, ["CVE-2022-27664", "GHSA-69cg-p879-7622"]);
    let stdlib = record.affected.iter().find(|a| a.name == "stdlib").unwrap();
    assert!(stdlib.fixed.contains(&"1.18.6".to_owned()), "{:?}", stdlib.fixed);
}

#[test]
fn csaf_advisories_bring_remediations_and_scores() {
    let rhsa = record("feeds/csaf/oasis-tcs_csaf/csaf_2.0/examples/csaf/rhsa-2022_0011.json");
    assert_eq!(rhsa.id.as_str(), "CVE-2020-10188");
    assert!(rhsa.source.starts_with("csaf:Red Hat"), "{}", rhsa.source);
    assert!(rhsa.remediations.iter().any(|r| r.category == "vendor_fix" && !r.products.is_empty()));
    let cisco = record("feeds/csaf/oasis-tcs_csaf/csaf_2.0/examples/csaf/cisco-sa-20180328-smi2.json");
    assert!(cisco.cvss.iter().any(|c| c.score == Some(9.8)), "{:?}", cisco.cvss);
}
