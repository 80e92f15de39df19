//! `rapport briefing` on both back ends: the executives' and a manager's month in five parts,
//! as text, as one HTML document with its charts, and printed to PDF by headless Chromium.

use serde_json::Value;

use time::Duration;

use crate::messages::{inbox, link_of};
use crate::support::{
    PAYMENTS_MANAGER, each_backend, is_a4, pdf_pages, printed_words, sample, sample_estate, serve, today,
};

#[test]
fn the_briefing_tells_the_month_in_five_parts_as_text_html_and_pdf() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        sample_estate(&rapport);
        rapport.ok(&["plan"]);
        let open = rapport.json_lines(&["actions", "--json", "--state", "open"]);
        let done = open
            .iter()
            .find(|action| action["action"]["team"] == "Payments")
            .unwrap_or_else(|| panic!("{db}: Payments has work"));
        let id = done["id"].to_string();
        rapport.ok(&["action", "done", &id, "--by", PAYMENTS_MANAGER, "--note", "upgraded"]);
        let mut fixed: Value =
            serde_json::from_str(&std::fs::read_to_string(sample("cyclonedx-log4j.json")).unwrap()).unwrap();
        fixed["vulnerabilities"] = Value::Array(vec![]);
        rapport.ok(&["import", &rapport.write("fixed.json", fixed.to_string().as_bytes())]);
        rapport.ok(&["tick"]);

        let text = rapport.ok(&["briefing"]);
        assert!(text.starts_with("Security in "), "{db}: {text}");
        for part in [
            "What was done",
            "What went wrong",
            "What the security team did about it",
            "What comes next",
            "Your feedback",
        ] {
            assert!(text.contains(part), "{db}: {part}: {text}");
        }
        assert!(text.contains("all of it on time"), "{db}: the work done early is counted: {text}");
        assert!(text.contains("Payments finished a piece of work before it was due."), "{db}: {text}");
        assert!(
            text.contains("We sent "),
            "{db}: the security team's own record is beside the teams': {text}"
        );

        let manager = rapport.ok(&["briefing", "--audience", "manager", "--team", "Payments"]);
        assert!(manager.starts_with("Payments and security in "), "{db}: {manager}");
        assert!(manager.contains("Your team closed 1 piece of security work"), "{db}: {manager}");
        assert!(!manager.contains("Platform"), "{db}: only the team's own work: {manager}");

        let html = rapport.write("briefing.html", b"");
        rapport.ok(&["briefing", "--out", &html]);
        let document = std::fs::read_to_string(&html).unwrap();
        assert!(document.starts_with("<!doctype html>") && document.contains("@media print"), "{db}");
        assert_eq!(document.matches("<svg").count(), 3, "{db}: three charts");
        assert!(
            document.contains("<desc id=\"briefing-close-desc\">Every team: share of open work closed"),
            "{db}"
        );
        assert!(!document.contains("href=\"/static"), "{db}: the document stands alone");

        if std::process::Command::new("chromium").arg("--version").output().is_ok()
            || std::env::var_os("CI").is_some()
        {
            let pdf = rapport.write("briefing.pdf", b"");
            rapport.ok(&["briefing", "--audience", "manager", "--team", "Payments", "--pdf", "--out", &pdf]);
            let printed = std::fs::read(&pdf).unwrap();
            assert!(printed.starts_with(b"%PDF-") && printed.len() > 10_000, "{db}: {} bytes", printed.len());
            if let Some(pages) = pdf_pages(std::path::Path::new(&pdf)) {
                let text = printed_words(&pages);
                assert!(pages.iter().all(is_a4), "{db}: the print stylesheet's A4: {pages:?}");
                for part in
                    ["monthly briefing for the team's manager", "payments", "your feedback", "15.2% median"]
                {
                    assert!(text.contains(part), "{db}: {part:?} printed: {text}");
                }
            }
        }

        // When the month ends, the clock publishes its briefing once, and the messages take it
        // to the executive and to each partner team's manager, in their part's words.
        let month = today().replace_day(1).unwrap();
        let next = (month + Duration::days(32)).replace_day(1).unwrap();
        let moment = format!("{next}T09:00:00Z");
        let ticked = rapport.ok(&["tick", "--at", &moment]);
        assert!(ticked.contains("briefing_published: the briefing of "), "{db}: {ticked}");
        assert!(!rapport.ok(&["tick", "--at", &moment]).contains("briefing_published"), "{db}: once");
        let title = format!("Security in {} {}", month.month(), month.year());
        let olu = rapport.ok(&["messages", "list", "--person", "olu.adeyemi@example.com"]);
        assert!(olu.contains(&title), "{db}: the executive's briefing: {olu}");
        let priya = rapport.ok(&["messages", "list", "--person", PAYMENTS_MANAGER]);
        assert!(priya.contains(&format!("Payments and security in {}", month.month())), "{db}: {priya}");
        let security = rapport.ok(&["messages", "list", "--person", "lea.fischer@example.com"]);
        assert!(!security.contains("and security in"), "{db}: the security team reads the pages: {security}");

        // The executive answers the briefing's request for feedback from the message's link,
        // once; the security team's own record counts it.
        let briefing_to_olu = inbox(&rapport, "olu.adeyemi@example.com")
            .into_iter()
            .find(|message| message["topic"] == "briefing")
            .unwrap_or_else(|| panic!("{db}: the executive's briefing"));
        let link = link_of(&rapport, briefing_to_olu["id"].as_i64().unwrap());
        let served = serve(&rapport);
        rapport_workflows::use_ring_for_tls();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let http = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let page = http.get(format!("{}{link}", served.base)).send().await.unwrap().text().await.unwrap();
            assert!(page.contains("value=\"feedback\""), "{db}: the one question it asks: {page}");
            let answer =
                [("answer", "feedback"), ("rating", "4"), ("words", "Shorter, please, and the same charts.")];
            let sent = http.post(format!("{}{link}", served.base)).form(&answer).send().await.unwrap();
            assert_eq!(sent.status(), 303, "{db}");
            let again = http.post(format!("{}{link}", served.base)).form(&answer).send().await.unwrap();
            assert_eq!(again.status(), 409, "{db}: a message answers once");
        });
        drop(served);
        let answered = rapport.json_lines(&["events", "--json", "--kind", "briefing_answered"]);
        assert_eq!(answered.len(), 1, "{db}: {answered:?}");
        assert_eq!(answered[0]["detail"], "Shorter, please, and the same charts.", "{db}");
        assert_eq!(answered[0]["facts"]["rating"], 4, "{db}");
        let health: Value =
            serde_json::from_str(&rapport.ok(&["health", "--json", "--months", "2", "--at", &moment]))
                .unwrap();
        let counted: u64 = health["security"]
            .as_array()
            .unwrap()
            .iter()
            .map(|month| month["briefing_answers"].as_u64().unwrap())
            .sum();
        assert_eq!(counted, 1, "{db}: {health}");

        let nobody = rapport.fails(&["briefing", "--audience", "manager"]);
        assert!(nobody.contains("--team: a manager's briefing is of one team"), "{db}: {nobody}");
        let unknown = rapport.fails(&["briefing", "--audience", "manager", "--team", "Nobody"]);
        assert!(unknown.contains("nothing has happened to a team \"Nobody\" yet"), "{db}: {unknown}");
        let ahead = rapport.fails(&["briefing", "--month", "2999-01"]);
        assert!(ahead.contains("January 2999 has not begun yet"), "{db}: {ahead}");
        let garbled = rapport.fails(&["briefing", "--month", "November"]);
        assert!(garbled.contains("\"November\" is not a month; give it as 2026-11"), "{db}: {garbled}");
    }
}
