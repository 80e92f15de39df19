//! Follow-through (issue "Habits", item 3): a vendor's release feed served on loopback is
//! fetched with conditional requests, matched against the software inventory lists, and
//! drafted for only the people and teams whose devices run an older version; the security
//! team previews exactly who would get it, edits it, sends it once, and each reader's message
//! says it. An automatic category goes without review.

use crate::server::{client, first_sign_in};
use crate::support::{Rapport, add_account, each_backend, sample, serve};

const CHROME: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Chrome Releases</title><id>urn:chrome-releases</id><updated>2026-12-01T18:00:00Z</updated>
  <entry>
    <id>urn:chrome:stable-131-108</id>
    <title>Stable Channel Update for Desktop</title>
    <updated>2026-12-01T18:00:00Z</updated>
    <link href="https://chromereleases.example/2026/12/stable-channel-update-for-desktop.html"/>
    <content type="html">&lt;p&gt;The Stable channel has been updated to 131.0.6778.108/.109 for Windows and Mac, which will roll out over the coming days.&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>urn:chrome:beta-132</id>
    <title>Beta Channel Update for Desktop</title>
    <updated>2026-11-30T18:00:00Z</updated>
    <content type="html">The Beta channel has been updated to 132.0.6834.32 for Windows and Mac.</content>
  </entry>
</feed>"#;

const OFFICE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Office suite releases</title><link>https://office.example/</link>
  <description>Releases</description>
  <item><guid>office-24.8.3</guid><title>Office Suite 24.8.3 released</title>
    <link>https://office.example/24.8.3</link><description>Security fixes.</description></item>
</channel></rss>"#;

fn publisher(runtime: &tokio::runtime::Runtime) -> wiremock::MockServer {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, ResponseTemplate};
    runtime.block_on(async {
        let server = wiremock::MockServer::start().await;
        for (route, body, etag) in
            [("/chrome.atom", CHROME, "\"chrome-1\""), ("/office.rss", OFFICE, "\"office-1\"")]
        {
            Mock::given(method("GET"))
                .and(path(route))
                .and(header("if-none-match", etag))
                .respond_with(ResponseTemplate::new(304))
                .with_priority(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(route))
                .respond_with(ResponseTemplate::new(200).insert_header("etag", etag).set_body_string(body))
                .with_priority(2)
                .mount(&server)
                .await;
        }
        server
    })
}

/// Four devices: Anna's and Ben's Macs (Anna's Chrome is older than the release, Ben's is
/// not), a kiosk nobody signs in to, and a laptop of someone the directory does not know.
fn estate(rapport: &Rapport) {
    let people = "name,email,username,team,manager,audience,time zone,locale,chat\n\
        Anna Chao,anna@example.org,,Sales,,end user,UTC,en-GB,\n\
        Ben Okoro,ben@example.org,,Sales,,end user,UTC,en-GB,\n\
        Carl Berg,carl@example.org,,Front Desk,,engineer,UTC,en-GB,\n\
        Sofia Lind,sofia@example.org,,Security,,engineer,UTC,en-GB,\n";
    let chrome = |version: &str| serde_json::json!({"name": "Google Chrome.app", "version": version, "source": "apps"});
    let office = serde_json::json!({"name": "Office Suite.app", "version": "24.8.1", "source": "apps"});
    let host = |id: &str, user: Option<&str>, software: Vec<serde_json::Value>| {
        let mut host = serde_json::json!({
            "uuid": id, "hostname": format!("{id}.local"), "platform": "darwin",
            "os_version": "macOS 15.7.2", "osquery_version": "5.14.1", "uptime": 86_400_000_000_000_i64,
            "disk_encryption_enabled": true, "software": software,
        });
        if let Some(user) = user {
            host["device_mapping"] = serde_json::json!([{ "email": user }]);
        }
        host
    };
    let hosts = serde_json::json!({"hosts": [
        host("mac-anna", Some("anna@example.org"), vec![chrome("131.0.6778.86"), office.clone()]),
        host("mac-ben", Some("ben@example.org"), vec![chrome("131.0.6778.108")]),
        host("kiosk-01", None, vec![chrome("130.0.6723.91")]),
        host("mac-guest", Some("guest@elsewhere.example"), vec![chrome("129.0.1")]),
    ]});
    let ownership = "[[rule]]\nname = \"kiosks\"\nteam = \"Front Desk\"\nmatch.name = \"kiosk-*\"\n";
    rapport.ok(&["people", "import", &rapport.write("people.csv", people.as_bytes())]);
    rapport.ok(&["policy", "apply", &sample("policy/policy.toml")]);
    rapport.ok(&["inventory", "import", &rapport.write("fleet.json", &serde_json::to_vec(&hosts).unwrap())]);
    rapport.ok(&["owners", "apply", &rapport.write("ownership.toml", ownership.as_bytes())]);
}

fn settings(rapport: &Rapport, server: &str) -> String {
    let text = format!(
        "automatic = [\"office\"]\n\n\
         [[feed]]\nurl = \"{server}/chrome.atom\"\nname = \"Chrome Releases\"\nproduct = \"Google Chrome\"\n\
         category = \"browser\"\nsoftware = [\"Google Chrome.app\", \"Google Chrome\"]\n\
         only = [\"Stable Channel Update for Desktop\"]\n\n\
         [[feed]]\nurl = \"{server}/office.rss\"\nname = \"Office suite releases\"\nproduct = \"Office Suite\"\n\
         category = \"office\"\nsoftware = [\"Office Suite.app\"]\n"
    );
    rapport.write("follow-through.toml", text.as_bytes())
}

#[test]
fn a_vendor_feed_is_drafted_for_only_the_devices_on_an_older_version_and_sent_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = publisher(&runtime);
    for rapport in each_backend() {
        let db = rapport.database.clone();
        estate(&rapport);
        let file = settings(&rapport, &server.uri());
        let checked = rapport.ok(&["follow-through", "check", &file]);
        assert!(checked.contains("is sound: 2 vendor feeds; automatic: office."), "{db}: {checked}");
        rapport.ok(&["follow-through", "apply", &file]);

        let fetched = rapport.ok(&["follow-through", "fetch"]);
        assert!(
            fetched
                .contains("1 new draft waiting for review, 1 draft sent by itself; 0 vendor feeds unchanged"),
            "{db}: {fetched}"
        );
        let again = rapport.ok(&["follow-through", "fetch"]);
        assert!(
            again.contains(
                "0 new drafts waiting for review, 0 drafts sent by itself; 2 vendor feeds unchanged"
            ),
            "{db}: {again}"
        );

        let list = rapport.ok(&["follow-through", "list", "--state", "review"]);
        let chrome = list
            .lines()
            .find(|line| line.contains("Stable Channel Update"))
            .unwrap_or_else(|| panic!("{db}: {list}"));
        let id = chrome.trim_start_matches('#').split_whitespace().next().unwrap().to_owned();
        assert!(!list.contains("Beta Channel"), "{db}: {list}");

        let preview = rapport.ok(&["follow-through", "preview", &id]);
        assert!(preview.contains("Subject: Your browser needs one restart today"), "{db}: {preview}");
        assert!(
            preview.contains("Who would get it: 2 readers, 1 person for their own devices and 1 team."),
            "{db}: {preview}"
        );
        assert!(
            preview.contains(
                "Anna Chao <anna@example.org> (Sales), for mac-anna.local (Google Chrome.app 131.0.6778.86)"
            ),
            "{db}: {preview}"
        );
        assert!(
            preview.contains(
                "team Front Desk, read by Carl Berg, for kiosk-01.local (Google Chrome.app 130.0.6723.91)"
            ),
            "{db}: {preview}"
        );
        assert!(
            preview.contains("Nobody to tell for: mac-guest.local (Google Chrome.app 129.0.1)"),
            "{db}: {preview}"
        );
        assert!(!preview.contains("Ben Okoro"), "{db}: {preview}");

        let refused = rapport.fails(&[
            "follow-through",
            "edit",
            &id,
            "--audience",
            "end-user",
            "--subject",
            "Two\nlines",
            "--body",
            "x",
            "--ask",
            "y",
            "--by",
            "sofia@example.org",
        ]);
        assert!(refused.contains("subject: one line"), "{db}: {refused}");
        let partner = rapport.fails(&["follow-through", "send", &id, "--by", "carl@example.org"]);
        assert!(partner.contains("sent by the security team"), "{db}: {partner}");
        rapport.ok(&[
            "follow-through",
            "edit",
            &id,
            "--audience",
            "end-user",
            "--subject",
            "Your browser needs one restart today",
            "--body",
            "Chrome has an important update. It only needs one restart to finish.",
            "--ask",
            "Restart Chrome before lunch.",
            "--by",
            "sofia@example.org",
        ]);
        let sent = rapport.ok(&["follow-through", "send", &id, "--by", "sofia@example.org"]);
        assert!(sent.contains("sent to 1 person and 1 team"), "{db}: {sent}");
        let twice = rapport.fails(&["follow-through", "send", &id, "--by", "sofia@example.org"]);
        assert!(twice.contains("was sent already"), "{db}: {twice}");

        rapport.ok(&["tick"]);
        let anna = rapport.ok(&["messages", "list", "--person", "anna@example.org"]);
        assert_eq!(anna.matches("Your browser needs one restart today").count(), 1, "{db}: {anna}");
        // The office suite went by itself, to Anna alone.
        assert_eq!(anna.matches("Please update Office Suite today").count(), 1, "{db}: {anna}");
        let message = anna
            .lines()
            .find(|line| line.contains("restart today"))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let shown = rapport.ok(&["messages", "show", &message]);
        assert!(shown.contains("Hi Anna,\n\nChrome has an important update."), "{db}: {shown}");
        assert!(
            shown.contains("This is about your device mac-anna.local (Google Chrome.app 131.0.6778.86)."),
            "{db}: {shown}"
        );
        assert!(shown.contains("Restart Chrome before lunch."), "{db}: {shown}");
        let ben = rapport.ok(&["messages", "list", "--person", "ben@example.org"]);
        assert!(!ben.contains("browser"), "{db}: {ben}");
        let carl = rapport.ok(&["messages", "list", "--person", "carl@example.org"]);
        assert_eq!(carl.matches("Update Google Chrome to 131.0.6778.108").count(), 1, "{db}: {carl}");
        let events = rapport.ok(&["events"]);
        for kind in [
            "follow_through_settings_applied",
            "follow_through_drafted",
            "follow_through_edited",
            "follow_through_sent",
        ] {
            assert!(events.contains(kind), "{db}: no {kind} in {events}");
        }
        let sent_list = rapport.ok(&["follow-through", "list", "--state", "sent"]);
        assert!(sent_list.contains("went to 1 person and 1 team"), "{db}: {sent_list}");
    }
    let requests = runtime.block_on(server.received_requests()).unwrap();
    let conditional = requests.iter().filter(|request| request.headers.contains_key("if-none-match")).count();
    // Per back end: both feeds once each on the second fetch.
    assert_eq!(conditional, 4, "{requests:?}");
}

#[test]
fn the_demo_drafts_the_log4j_advisories_for_the_team_that_has_them() {
    for rapport in each_backend() {
        let db = &rapport.database;
        let demo = rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        assert!(demo.contains("Follow-through: 3 new drafts waiting for review"), "{db}: {demo}");
        let preview = rapport.ok(&["follow-through", "preview", "GHSA-jfh8-c2jp-5v3q"]);
        assert!(preview.contains("Subject: News about GHSA-jfh8-c2jp-5v3q"), "{db}: {preview}");
        assert!(preview.contains("The fix is log4j-core"), "{db}: {preview}");
        assert!(
            preview.contains("Who would get it: 1 reader, 0 people for their own devices and 1 team."),
            "{db}: {preview}"
        );
        assert!(preview.contains("team Payments, read by Priya Nair, for"), "{db}: {preview}");
        let by_cve = rapport.ok(&["follow-through", "preview", "CVE-2021-44228"]);
        assert!(by_cve.contains("GHSA-jfh8-c2jp-5v3q"), "{db}: {by_cve}");
        let by = ["--by", "sam.okafor@example.com"];
        rapport.ok(&["follow-through", "dismiss", "3", by[0], by[1]]);
        let again = rapport.fails(&["follow-through", "dismiss", "3", by[0], by[1]]);
        assert!(again.contains("draft #3 was dismissed already"), "{db}: {again}");
        let events = rapport.ok(&["events"]);
        assert!(events.contains("follow_through_dismissed"), "{db}: {events}");
        let unknown = rapport.fails(&["follow-through", "preview", "CVE-1999-0001"]);
        assert!(unknown.contains("no follow-through draft for \"CVE-1999-0001\""), "{db}: {unknown}");
    }
}

#[test]
fn the_security_team_previews_edits_and_sends_a_draft_from_the_pages_and_the_api() {
    use reqwest::header::COOKIE;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let analyst_password = add_account(&rapport, "sam.okafor@example.com", "security_analyst", None);
        let manager_password =
            add_account(&rapport, "priya.nair@example.com", "team_manager", Some("Payments"));
        let served = serve(&rapport);
        runtime.block_on(async {
            let http = client();
            let base = served.base.as_str();
            let analyst = first_sign_in(&http, base, "sam.okafor@example.com", &analyst_password).await;
            let manager = first_sign_in(&http, base, "priya.nair@example.com", &manager_password).await;
            let get = |browser: &crate::server::Browser, path: &str| {
                http.get(format!("{base}{path}")).header(COOKIE, &browser.cookie).send()
            };
            assert_eq!(get(&manager, "/api/v1/follow-through").await.unwrap().status(), 403, "{db}");
            assert_eq!(
                get(&analyst, "/api/v1/follow-through?state=maybe").await.unwrap().status(),
                400,
                "{db}"
            );
            let drafts: serde_json::Value =
                get(&analyst, "/api/v1/follow-through?state=review").await.unwrap().json().await.unwrap();
            assert_eq!(drafts.as_array().unwrap().len(), 3, "{db}: {drafts}");
            let draft = drafts
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["vulnerabilities"][0] == "GHSA-jfh8-c2jp-5v3q")
                .unwrap();
            let id = draft["id"].as_i64().unwrap();
            let preview: serde_json::Value =
                get(&analyst, &format!("/api/v1/follow-through/{id}")).await.unwrap().json().await.unwrap();
            assert_eq!(
                (&preview["readers"], &preview["teams"][0]["team"]),
                (&1.into(), &"Payments".into()),
                "{db}: {preview}"
            );
            assert_eq!(preview["teams"][0]["readers"][0], "Priya Nair", "{db}: {preview}");

            let words = serde_json::json!({
                "subject": "Log4j: one more upgrade for the build cache",
                "body": "The Log4j advisory concerns the build cache below. Upgrade log4j-core there.",
                "ask": "Upgrade log4j-core this week."
            });
            let put = |browser: &crate::server::Browser, audience: &str| {
                http.put(format!("{base}/api/v1/follow-through/{id}/words/{audience}"))
                    .header(COOKIE, &browser.cookie)
                    .header("x-csrf-token", &browser.csrf)
                    .json(&words)
                    .send()
            };
            assert_eq!(put(&manager, "team").await.unwrap().status(), 403, "{db}");
            assert_eq!(put(&analyst, "everyone").await.unwrap().status(), 400, "{db}");
            let edited: serde_json::Value = put(&analyst, "team").await.unwrap().json().await.unwrap();
            assert_eq!(edited["for_teams"]["subject"], words["subject"], "{db}: {edited}");

            let page = get(&analyst, &format!("/follow-through/{id}")).await.unwrap().text().await.unwrap();
            assert!(page.contains("1 reader: 0 people for their own devices, and 1 team."), "{db}: {page}");
            assert!(page.contains("Log4j: one more upgrade for the build cache"), "{db}");
            assert!(page.contains("Send to 1 reader"), "{db}");

            let send = |browser: &crate::server::Browser| {
                http.post(format!("{base}/api/v1/follow-through/{id}/send"))
                    .header(COOKIE, &browser.cookie)
                    .header("x-csrf-token", &browser.csrf)
                    .send()
            };
            assert_eq!(send(&manager).await.unwrap().status(), 403, "{db}");
            let sent: serde_json::Value = send(&analyst).await.unwrap().json().await.unwrap();
            assert_eq!((&sent["people"], &sent["teams"]), (&0.into(), &1.into()), "{db}: {sent}");
            assert_eq!(send(&analyst).await.unwrap().status(), 409, "{db}");
            let list = get(&analyst, "/follow-through?state=sent").await.unwrap().text().await.unwrap();
            assert!(list.contains("by sam.okafor@example.com, to 0 people and 1 team."), "{db}: {list}");
        });
        rapport.ok(&["messages", "compose"]);
        let inbox = rapport.ok(&["messages", "list", "--person", "priya.nair@example.com"]);
        assert_eq!(inbox.matches("Log4j: one more upgrade for the build cache").count(), 1, "{db}: {inbox}");
    }
}
