//! Intel and decisions as a user meets them, on both back ends: feeds imported, findings
//! decided with evidence, decisions moved by new intel with the cause recorded, and bad
//! feeds refused with nothing stored replaced.

use serde_json::{Value, json};

use crate::support::{Rapport, corpus, each_backend, sample};

fn feed(relative: &str) -> String {
    corpus(&format!("feeds/{relative}")).display().to_string()
}

const KEV: &str = "kev/known_exploited_vulnerabilities.json";
const EPSS: &str = "epss/2026-01-30/epss_scores.csv.gz";
const LOG4SHELL: &str = "CVE-2021-44228";

/// The real 2025.08.25 catalogue as it might have been the day before Log4Shell was listed:
/// the same entries without it, an older version and date.
fn kev_without_log4shell(rapport: &Rapport) -> String {
    let mut catalogue: Value = serde_json::from_slice(&std::fs::read(feed(KEV)).unwrap()).unwrap();
    let entries = catalogue["vulnerabilities"].as_array_mut().unwrap();
    entries.retain(|entry| entry["cveID"] != LOG4SHELL);
    let count = entries.len();
    catalogue["count"] = json!(count);
    catalogue["catalogVersion"] = json!("2025.08.24");
    catalogue["dateReleased"] = json!("2025-08-24T12:00:00.000Z");
    rapport.write("kev-2025.08.24.json", &serde_json::to_vec(&catalogue).unwrap())
}

fn why(rapport: &Rapport, what: &str) -> Vec<Value> {
    rapport.json_lines(&["why", what, "--json"])
}

fn log4shell_decision(rapport: &Rapport) -> Value {
    let decisions = why(rapport, LOG4SHELL);
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    decisions.into_iter().next().unwrap()
}

fn intel_imports(rapport: &Rapport) -> usize {
    rapport.ok(&["intel", "list", "--json"]).lines().count()
}

#[test]
fn new_intel_moves_decisions_and_says_why() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        // Decided first when the intel comes, with the owners' word on criticality.
        rapport.ok(&["import", "--no-plan", &sample("cyclonedx-log4j.json"), &sample("grype-image.json")]);
        rapport.ok(&["owners", "apply", &sample("ownership/ownership.toml")]);

        // Before Log4Shell is in the catalogue: nothing says it is exploited.
        let out = rapport.ok(&["intel", "import", &kev_without_log4shell(&rapport)]);
        assert!(out.contains("kev-json, edition 2025.08.24 of 2025-08-24"), "{out}");
        assert!(out.contains("Decided"), "{out}");
        let before = log4shell_decision(&rapport);
        assert_eq!(before["decision"]["points"]["exploitation"], "none", "{db}: {before}");
        assert_eq!(before["decision"]["outcome"], "track*", "{db}");

        // The next catalogue lists it: the decision moves and the change names its cause.
        rapport.ok(&["intel", "import", &feed(KEV)]);
        let after = log4shell_decision(&rapport);
        let decision = &after["decision"];
        assert_eq!(decision["outcome"], "attend", "{db}: {after}");
        assert_eq!(decision["points"]["exploitation"], "active");
        assert_eq!(decision["evidence"]["kev"]["catalog_version"], "2025.08.25");
        assert_eq!(decision["evidence"]["kev"]["date_added"], "2021-12-10");
        assert_eq!(decision["evidence"]["asset"]["criticality"]["rule"], "rule 2 (Java build cache)");
        assert_eq!(
            decision["reason"],
            "Attackers are using this flaw now (listed by CISA since 2021-12-10, including in ransomware) and \
             nobody has said whether this system is reachable from the internet, and the attack can be automated, so \
             fix it ahead of routine patching."
        );
        let history = after["history"].as_array().unwrap();
        assert_eq!(history.len(), 1, "{db}: {history:?}");
        let cause = history[0]["cause"].as_str().unwrap();
        assert!(
            cause.starts_with(
                "Track* → Attend: exploitation none → active (CVE-2021-44228 is in CISA's Known"
            ),
            "{cause}"
        );

        // A day's EPSS scores add evidence; no point moves, so no change is recorded.
        rapport.ok(&["intel", "import", &feed(EPSS)]);
        let scored = log4shell_decision(&rapport);
        assert_eq!(scored["history"].as_array().unwrap().len(), 1, "{db}");
        let changes = rapport.json_lines(&["assess", "--since", "2000-01-01", "--json"]);
        assert!(changes.len() >= 2, "{changes:?}");

        // The human-readable page says the same, with the scanner's and the feeds' scores.
        let page = rapport.ok(&["why", LOG4SHELL]);
        assert!(page.contains("Attend: Attackers are using this flaw now"), "{page}");
        assert!(page.contains("CISA KEV: CVE-2021-44228 added 2021-12-10"), "{page}");
        assert!(page.contains("History:"), "{page}");
    }
}

#[test]
fn a_vex_statement_is_evidence_too() {
    for rapport in each_backend() {
        rapport.ok(&["import", &sample("cyclonedx-log4j.json")]);
        rapport.ok(&["intel", "import", &feed(KEV)]);
        let finding = log4shell_decision(&rapport);
        assert_eq!(finding["decision"]["outcome"], "attend", "{}", rapport.database);
        let target = finding["target"].as_str().unwrap().to_owned();
        let vex = json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex/log4j-1",
            "author": "Build team",
            "timestamp": "2026-01-02T00:00:00Z",
            "version": 1,
            "statements": [{
                "vulnerability": {"name": LOG4SHELL},
                "products": [{"@id": target, "subcomponents": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2"}]}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path"
            }]
        });
        let path = rapport.write("log4j.openvex.json", &serde_json::to_vec(&vex).unwrap());
        let out = rapport.ok(&["import", &path]);
        assert!(out.contains("Decided"), "{out}");
        let after = log4shell_decision(&rapport);
        assert_eq!(after["decision"]["outcome"], "track", "{}: {after}", rapport.database);
        // The import re-decided at once: the latest change is the statement's.
        let history = after["history"].as_array().unwrap();
        let cause = history
            .iter()
            .filter_map(|change| change["cause"].as_str())
            .find(|cause| cause.starts_with("Attend → Track"));
        assert!(
            cause.is_some_and(|cause| cause.starts_with("Attend → Track: now not affected: Build team says")),
            "{history:?}"
        );
    }
}

#[test]
fn bad_feeds_are_refused_and_nothing_stored_is_replaced() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["intel", "import", &feed(KEV), &feed(EPSS)]);
        let stored = intel_imports(&rapport);

        // An older catalogue.
        let error = rapport.fails(&["intel", "import", &kev_without_log4shell(&rapport)]);
        assert!(error.contains("older than the stored 2025.08.25"), "{db}: {error}");

        // A cut-down catalogue of a newer edition.
        let mut catalogue: Value = serde_json::from_slice(&std::fs::read(feed(KEV)).unwrap()).unwrap();
        catalogue["vulnerabilities"].as_array_mut().unwrap().truncate(10);
        catalogue["count"] = json!(10);
        catalogue["catalogVersion"] = json!("2025.09.01");
        catalogue["dateReleased"] = json!("2025-09-01T00:00:00Z");
        let short = rapport.write("kev-short.json", &serde_json::to_vec(&catalogue).unwrap());
        let error = rapport.fails(&["intel", "import", &short]);
        assert!(error.contains("lists 10 entries where the stored edition has 1404"), "{error}");

        // A changed schema: CISA renames a field.
        let text = std::fs::read_to_string(feed(KEV)).unwrap().replacen("\"dateAdded\"", "\"addedOn\"", 1);
        let renamed = rapport.write("kev-renamed.json", text.as_bytes());
        let error = rapport.fails(&["intel", "import", &renamed]);
        assert!(error.contains("kev-renamed.json: not valid kev-json: at line"), "{error}");
        assert!(error.contains("missing field `dateAdded`"), "{error}");

        // A truncated download.
        let gz = std::fs::read(feed(EPSS)).unwrap();
        let cut = rapport.write("epss_scores.csv.gz", &gz[..gz.len() / 2]);
        let error = rapport.fails(&["intel", "import", &cut]);
        assert!(error.contains("the packed stream ends early: the file is truncated"), "{error}");

        // The wrong day's file.
        let wrong = rapport.write("epss_scores-2026-01-31.csv.gz", &gz);
        let error = rapport.fails(&["intel", "import", &wrong]);
        assert!(
            error.contains("the file's name says 2026-01-31 but its scores are for 2026-01-30"),
            "{error}"
        );

        // An EPSS file without its first line cannot be dated.
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut plain).unwrap();
        let headless = plain.splitn(2, |b| *b == b'\n').nth(1).unwrap();
        let undated = rapport.write("epss-undated.csv", headless);
        let error = rapport.fails(&["intel", "import", &undated]);
        assert!(error.contains("which day's scores these are"), "{error}");

        assert_eq!(intel_imports(&rapport), stored, "{db}: a refused feed left a trace");
        let listed = rapport.ok(&["intel", "list"]);
        assert!(listed.contains("edition 2025.08.25 of 2025-08-25: 1404 items"), "{listed}");
        assert!(listed.contains("edition v2025.03.14 of 2026-01-30: 313089 items"), "{listed}");

        // The same edition again is not an error and stores nothing.
        let again = rapport.ok(&["intel", "import", &feed("kev/known_exploited_vulnerabilities.csv")]);
        assert!(again.contains("is already stored; nothing changed"), "{again}");
    }
}

/// Issue 18, item 4: a few packed megabytes used to unpack whole, into memory (a zip member)
/// or a temporary file (gzip). These are valid feeds padded with 20 MiB of white space, so
/// only the unpacking limits can stop them.
#[test]
fn packed_bombs_are_refused_and_nothing_is_stored() {
    use std::io::Write;
    let padding = vec![b' '; 20 << 20];
    let kev = std::fs::read(feed(KEV)).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&kev).unwrap();
    gzip.write_all(&padding).unwrap();
    let gzip = gzip.finish().unwrap();

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("GHSA-jfh8-c2jp-5v3q.json", deflated).unwrap();
    zip.write_all(crate::plan::OSV_LOG4SHELL.as_bytes()).unwrap();
    zip.write_all(&padding).unwrap();
    let zip = zip.finish().unwrap().into_inner();

    for rapport in each_backend() {
        let db = rapport.database.clone();
        for (name, bytes) in [("kev.json.gz", &gzip), ("osv-all.zip", &zip)] {
            let bomb = rapport.write(name, bytes);
            let error = rapport.fails(&["intel", "import", &bomb]);
            assert!(error.contains(&format!("{name}: refused, nothing was stored")), "{db}: {error}");
            assert!(error.contains("unpacks to more than 40 times its packed size"), "{db}: {error}");
        }
        assert_eq!(intel_imports(&rapport), 0, "{db}");
    }
}

#[test]
fn every_feed_folder_of_the_corpus_imports() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        for folder in ["kev", "epss", "nvd", "cve5", "osv", "csaf/oasis-tcs_csaf/csaf_2.0/examples/csaf"] {
            let out = rapport.ok(&["intel", "import", "--no-assess", &feed(folder)]);
            assert!(!out.is_empty(), "{db}: {folder}");
        }
        let imports = rapport.json_lines(&["intel", "list", "--json"]);
        let formats: std::collections::BTreeSet<&str> =
            imports.iter().map(|i| i["format"].as_str().unwrap()).collect();
        assert_eq!(
            formats.into_iter().collect::<Vec<_>>(),
            ["csaf", "cve5", "epss", "kev-csv", "kev-json", "nvd", "osv"],
            "{db}"
        );
        // The Go database's zip is one import of every record in it.
        let zip = imports.iter().find(|i| i["file"].as_str().unwrap().ends_with(".zip")).unwrap();
        assert!(zip["items"].as_i64().unwrap() > 2000, "{zip}");
        // The newest KEV edition in the folder is the one in use.
        let kev = imports.iter().rev().find(|i| i["feed"] == "kev" && i["added"].as_i64() > Some(0)).unwrap();
        assert_eq!(kev["edition"], "2026.01.29", "{db}: {imports:?}");
    }
}

/// A feed publisher on loopback: serves the corpus files with an `ETag` and answers 304 to
/// a request that sends it back.
fn publisher(runtime: &tokio::runtime::Runtime) -> wiremock::MockServer {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, ResponseTemplate};
    runtime.block_on(async {
        let server = wiremock::MockServer::start().await;
        let files = [
            ("/kev.json", feed(KEV), "\"kev-1\""),
            ("/epss_scores-current.csv.gz", feed(EPSS), "\"epss-1\""),
            ("/epss_scores-2026-01-31.csv.gz", feed(EPSS), "\"epss-2\""),
        ];
        for (route, file, etag) in files {
            Mock::given(method("GET"))
                .and(path(route))
                .and(header("if-none-match", etag))
                .respond_with(ResponseTemplate::new(304))
                .with_priority(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(route))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("etag", etag)
                        .set_body_bytes(std::fs::read(file).unwrap()),
                )
                .with_priority(2)
                .mount(&server)
                .await;
        }
        server
    })
}

#[test]
fn fetch_asks_again_only_for_what_changed() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = publisher(&runtime);
    let kev = format!("--kev-url={}/kev.json", server.uri());
    let epss = format!("--epss-url={}/epss_scores-current.csv.gz", server.uri());
    for rapport in each_backend() {
        let db = rapport.database.clone();
        let first = rapport.ok(&["intel", "fetch", &kev, &epss]);
        assert!(first.contains("kev-json, edition 2025.08.25 of 2025-08-25: 1404 items"), "{db}: {first}");
        assert!(first.contains("epss, edition v2025.03.14 of 2026-01-30: 313089 items"), "{db}: {first}");
        let second = rapport.ok(&["intel", "fetch", &kev, &epss]);
        assert_eq!(second.matches("not modified since the last fetch").count(), 2, "{db}: {second}");
        assert_eq!(intel_imports(&rapport), 2, "{db}");

        // A file whose name says another day is refused, and its ETag is not kept: the
        // next fetch downloads it again rather than trusting it.
        let wrong = format!("{}/epss_scores-2026-01-31.csv.gz", server.uri());
        for _ in 0..2 {
            let error = rapport.fails(&["intel", "fetch", &wrong]);
            assert!(error.contains("the wrong day's file"), "{db}: {error}");
        }
        assert_eq!(intel_imports(&rapport), 2, "{db}");
    }
    let requests = runtime.block_on(server.received_requests()).unwrap();
    let conditional = requests.iter().filter(|r| r.headers.contains_key("if-none-match")).count();
    // Per back end: KEV and EPSS once each on the second fetch.
    assert_eq!(conditional, 4, "{requests:?}");
    let refused_day = requests.iter().filter(|r| r.url.path() == "/epss_scores-2026-01-31.csv.gz").count();
    assert_eq!(refused_day, 4);
}

#[test]
fn two_assessments_at_once_record_one_change() {
    for rapport in each_backend() {
        rapport.ok(&["import", &sample("cyclonedx-log4j.json")]);
        rapport.ok(&["intel", "import", &kev_without_log4shell(&rapport)]);
        rapport.ok(&["intel", "import", "--no-assess", &feed(KEV)]);
        let start = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
                .arg("assess")
                .env("RAPPORT_DATABASE_URL", &rapport.database)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let (mut a, mut b) = (start(), start());
        assert!(a.wait().unwrap().success() && b.wait().unwrap().success(), "{}", rapport.database);
        let decision = log4shell_decision(&rapport);
        assert_eq!(decision["decision"]["outcome"], "attend", "{}", rapport.database);
        assert_eq!(decision["history"].as_array().unwrap().len(), 1, "{}: {decision}", rapport.database);
    }
}
