//! Rapport speaks first, end to end on both back ends: the demo's events become messages in
//! each reader's words, the clock's ticks add the messages of what they record, and running
//! it again doubles nothing; `messages preview` shows one with its scores.

use serde_json::Value;

use crate::server::{client, first_sign_in};
use crate::support::{
    Rapport, add_account, due_now, each_backend, on_postgres, sample, serve, serve_with, today,
};

pub(crate) fn inbox(rapport: &Rapport, email: &str) -> Vec<Value> {
    rapport.json_lines(&["messages", "list", "--person", email, "--json", "--limit", "500"])
}

fn all(rapport: &Rapport) -> Vec<Value> {
    rapport.json_lines(&["messages", "list", "--json", "--limit", "5000"])
}

#[test]
fn each_reader_gets_the_event_in_their_own_words_once() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        let demo = rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        assert!(demo.contains("Composed "), "{db}: {demo}");

        // The policy asks every manager to acknowledge it, and tells the executive.
        let priya = inbox(&rapport, "priya.nair@example.com");
        assert!(
            priya.iter().any(|m| m["topic"] == "policy_changed" && m["link"] == "/teams/Payments/policy"),
            "{db}: {priya:?}"
        );
        let olu = inbox(&rapport, "olu.adeyemi@example.com");
        assert!(olu.iter().all(|m| m["audience"] == "executive"), "{db}: {olu:?}");
        // A manager reads new work without vulnerability ids; an engineer reads the exact fix.
        let new_work: Vec<&Value> = priya.iter().filter(|m| m["topic"] == "action_opened").collect();
        assert!(!new_work.is_empty(), "{db}");
        for message in &new_work {
            let text = format!("{} {}", message["subject"], message["body"]);
            assert!(!text.contains("CVE-"), "{db}: a manager reads no ids: {text}");
            assert!(message["readability"]["grade"].as_f64().unwrap() <= 8.0, "{db}: {message}");
            assert_eq!(message["link"], format!("/actions/{}", message["action"]), "{db}");
        }
        // New routine work waits for the reader's daily digest, and says so.
        for message in &new_work {
            let route = message["route"].as_str().unwrap();
            assert!(
                route.starts_with("kept for the digest due ")
                    && route.ends_with("(routine: in the daily digest)"),
                "{db}: {route}"
            );
        }
        let marta = inbox(&rapport, "marta.ruiz@example.com");
        assert!(
            marta.iter().any(|m| m["audience"] == "engineer"
                && m["subject"].as_str().unwrap().starts_with("New for Web: ")),
            "{db}: {marta:?}"
        );

        // An emergency reaches the team's manager and the executive she reports to, once,
        // however often the clock runs.
        let action = new_work[0]["action"].as_i64().unwrap().to_string();
        rapport.ok(&[
            "emergency",
            "declare",
            &action,
            "--by",
            "sam.okafor@example.com",
            "--reason",
            "Attackers are using this flaw against banks this week.",
        ]);
        let before = all(&rapport).len();
        let ticked = rapport.ok(&["tick"]);
        assert!(ticked.contains("Composed "), "{db}: {ticked}");
        let emergency = |email: &str| {
            inbox(&rapport, email)
                .into_iter()
                .filter(|m| m["topic"] == "emergency_declared")
                .collect::<Vec<_>>()
        };
        let to_priya = emergency("priya.nair@example.com");
        assert_eq!(to_priya.len(), 1, "{db}");
        let route = to_priya[0]["route"].as_str().unwrap();
        assert!(
            route.starts_with("sent ")
                && route.contains("an emergency declared outside the policy's criteria"),
            "{db}: {route}"
        );
        // The clock's "due soon" on the same work, hours later, would only repeat it.
        let repeats: Vec<Value> = inbox(&rapport, "priya.nair@example.com")
            .into_iter()
            .filter(|m| m["topic"] == "action_due_soon" && m["action"].as_i64() == action.parse().ok())
            .collect();
        assert!(
            repeats.iter().all(|m| m["route"].as_str().unwrap().starts_with("dropped (a repeat: ")),
            "{db}: {repeats:?}"
        );
        assert!(
            to_priya[0]["body"].as_str().unwrap().contains("Attackers are using this flaw against banks"),
            "{db}"
        );
        let to_olu = emergency("olu.adeyemi@example.com");
        assert_eq!(to_olu.len(), 1, "{db}: the executive hears of an emergency in a team he leads");
        assert!(!to_olu[0]["body"].as_str().unwrap().contains("CVE-"), "{db}");
        let after = all(&rapport).len();
        assert!(after > before, "{db}");
        rapport.ok(&["tick"]);
        rapport.ok(&["messages", "compose"]);
        assert_eq!(all(&rapport).len(), after, "{db}: composing again doubles nothing");

        // The next day, what waited goes out as one digest per reader, once.
        let tomorrow = format!("{}T12:00:00Z", today() + time::Duration::DAY);
        let ticked = rapport.ok(&["tick", "--at", &tomorrow]);
        assert!(!ticked.contains("; 0 digests sent."), "{db}: {ticked}");
        let digests = |email: &str| {
            inbox(&rapport, email).into_iter().filter(|m| m["topic"] == "digest").collect::<Vec<_>>()
        };
        let priyas = digests("priya.nair@example.com");
        assert_eq!(priyas.len(), 1, "{db}");
        let subject = priyas[0]["subject"].as_str().unwrap();
        // "today" or "since yesterday", by the hour in Kolkata when the test runs.
        let covers = [" things from Security today", " things from Security since yesterday"];
        assert!(covers.iter().any(|end| subject.ends_with(end)), "{db}: {subject}");
        assert_eq!(priyas[0]["link"], "/me/messages");
        let inside = all(&rapport).into_iter().filter(|m| m["digest"] == priyas[0]["id"]).count();
        assert!(inside >= 3, "{db}: {inside} messages in Priya's digest");
        rapport.ok(&["tick", "--at", &tomorrow]);
        assert_eq!(digests("priya.nair@example.com").len(), 1, "{db}: a digest goes once");

        // A preview is the latest such event for one audience, with its scores.
        let preview = rapport.ok(&[
            "messages",
            "preview",
            "emergency_declared",
            "--audience",
            "executive",
            "--person",
            "olu.adeyemi@example.com",
        ]);
        assert!(preview.starts_with("Subject: Emergency fix under way in Payments"), "{db}: {preview}");
        assert!(preview.contains("-- for executive as Olu Adeyemi, from event #"), "{db}: {preview}");
        assert!(preview.contains("meets the executive target"), "{db}: {preview}");
        let refused = rapport.fails(&["messages", "preview", "policy_applied", "--audience", "end-user"]);
        assert!(
            refused.contains("policy_applied is written for manager and executive, not for the end user"),
            "{refused}"
        );
        let unknown = rapport.fails(&["messages", "preview", "nonsense", "--audience", "manager"]);
        assert!(unknown.contains("\"nonsense\" is not a kind of event"), "{unknown}");
    }
}

/// The link a message carries, as `messages show` prints it.
pub(crate) fn link_of(rapport: &Rapport, message: i64) -> String {
    let shown = rapport.ok(&["messages", "show", &message.to_string()]);
    let line = shown.lines().find(|line| line.starts_with("-- answered without signing in at ")).unwrap();
    line.trim_start_matches("-- answered without signing in at ").split(' ').next().unwrap().to_owned()
}

fn kinds(rapport: &Rapport) -> Vec<String> {
    rapport
        .json_lines(&["events", "--json"])
        .iter()
        .map(|event| format!("{} by {}", event["kind"].as_str().unwrap(), event["actor"]["email"]))
        .collect()
}

#[test]
fn a_message_is_answered_from_its_link_once_and_only_by_submitting() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let action = emergency_on(&rapport, 0);
        let emergency_to = |email: &str| {
            let found =
                inbox(&rapport, email).into_iter().find(|m| m["topic"] == "emergency_declared").unwrap();
            found["id"].as_i64().unwrap()
        };
        let (to_olu, to_priya) =
            (emergency_to("olu.adeyemi@example.com"), emergency_to("priya.nair@example.com"));
        let served = serve(&rapport);
        rapport_workflows::use_ring_for_tls();
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        runtime.block_on(async {
            // Opening the executive's link (as a mail scanner would) shows the page and records
            // nothing; he may say he has seen it, or give feedback, but not act for the team.
            let olu = format!("{}{}", served.base, link_of(&rapport, to_olu));
            let before = kinds(&rapport);
            let page = http.get(&olu).send().await.unwrap();
            assert_eq!(page.status(), 200, "{db}");
            let page = page.text().await.unwrap();
            assert!(page.contains("Nothing is recorded until you press a button."), "{db}: {page}");
            assert!(page.contains("value=\"acknowledge\"") && page.contains("value=\"feedback\""), "{db}");
            assert!(!page.contains("value=\"done\"") && !page.contains("value=\"not_ours\""), "{db}: {page}");
            assert_eq!(kinds(&rapport), before, "{db}: a GET records nothing");
            let done = http.post(&olu).form(&[("answer", "done")]).send().await.unwrap();
            assert_eq!(done.status(), 403, "{db}: the executive may not say the team's work is done");
            let feedback =
                [("answer", "feedback"), ("rating", "5"), ("words", "Thanks for the early warning.")];
            let sent = http.post(&olu).form(&feedback).send().await.unwrap();
            assert_eq!(sent.status(), 303, "{db}");
            let thanks = http.get(format!("{olu}/thanks")).send().await.unwrap().text().await.unwrap();
            assert!(thanks.contains("Thank you. Your answer is on the task now"), "{db}: {thanks}");
            let after = kinds(&rapport);
            assert_eq!(after.len(), before.len() + 1, "{db}");
            assert_eq!(after.last().unwrap(), "feedback_given by \"olu.adeyemi@example.com\"", "{db}");
            // The same link answers once; a changed one answers nothing.
            let again = http.post(&olu).form(&feedback).send().await.unwrap();
            assert_eq!(again.status(), 409, "{db}");
            assert_eq!(kinds(&rapport).len(), after.len(), "{db}");
            let page = http.get(&olu).send().await.unwrap().text().await.unwrap();
            assert!(
                page.contains("This message was answered: feedback given: Thanks for the early warning."),
                "{db}: {page}"
            );
            let forged = olu.replace(&format!("/r/{to_olu}."), &format!("/r/{to_priya}."));
            assert_eq!(http.get(&forged).send().await.unwrap().status(), 404, "{db}");

            // The manager says it is done from hers: the action waits for a scan to confirm it.
            let priya = format!("{}{}", served.base, link_of(&rapport, to_priya));
            let done = http
                .post(&priya)
                .form(&[("answer", "done"), ("note", "Patched tonight")])
                .send()
                .await
                .unwrap();
            assert_eq!(done.status(), 303, "{db}");
        });
        let shown: Value =
            serde_json::from_str(&rapport.ok(&["action", "show", &action.to_string(), "--json"])).unwrap();
        assert_eq!(shown["state"], "verifying", "{db}: {shown}");
        assert_eq!(
            kinds(&rapport).last().unwrap(),
            "action_marked_done by \"priya.nair@example.com\"",
            "{db}"
        );
        // Both answers came from a message, and the team's health counts them.
        let health: Value =
            serde_json::from_str(&rapport.ok(&["health", "--json", "--months", "1"])).unwrap();
        let team = shown["action"]["team"].as_str().unwrap();
        assert_eq!(health["teams"][team][0]["answered_from_messages"], 2, "{db}: {health}");
    }
}

/// A real SMTP server, aiosmtpd from PyPI, keeping what it receives in a Maildir; stopped when
/// dropped.
struct MailServer {
    child: std::process::Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where scripts/test installed aiosmtpd's Python; none (and, in CI, a failure) without it.
fn mail_python() -> Option<std::ffi::OsString> {
    let python = std::env::var_os("RAPPORT_AIOSMTPD_PYTHON");
    if python.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_AIOSMTPD_PYTHON is not set: run the tests with scripts/test"
        );
        eprintln!("skipped: RAPPORT_AIOSMTPD_PYTHON is not set (scripts/test installs aiosmtpd and sets it)");
    }
    python
}

fn start_mail_server(python: &std::ffi::OsStr, folder: &std::path::Path) -> MailServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    start_mail_server_at(python, port, folder.join("maildir"))
}

/// A mail server on `port`, adding to what `maildir` holds.
fn start_mail_server_at(python: &std::ffi::OsStr, port: u16, maildir: std::path::PathBuf) -> MailServer {
    let child = std::process::Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let server = MailServer { child, port, maildir };
    // It takes a moment to listen; a message sent before would only wait for its retry.
    let listening = (0..100).any(|_| {
        let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if !up {
            #[allow(clippy::disallowed_methods, reason = "waiting for a child process to listen")]
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        up
    });
    assert!(listening, "aiosmtpd did not listen on 127.0.0.1:{port}");
    server
}

/// What the mail server holds, parsed by Python's email package.
fn received(python: &std::ffi::OsStr, server: &MailServer) -> Vec<Value> {
    if !server.maildir.join("new").exists() {
        return Vec::new();
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/maildir_json.py");
    let output = std::process::Command::new(python).arg(script).arg(&server.maildir).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `rapport serve` delivering to `mail`, with links on https://rapport.example.com.
fn serve_sending_to(rapport: &Rapport, mail: &MailServer) -> crate::support::Served {
    let settings = rapport.work.path().join("rapport.toml");
    let text = format!(
        "public_url = \"https://rapport.example.com\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\n\
         security = \"none\"\nfrom = \"Security <security@example.com>\"\n",
        mail.port
    );
    std::fs::write(&settings, text).unwrap();
    serve_with(rapport, &["--listen", "127.0.0.1:0", "--config", settings.to_str().unwrap()], &[])
}

/// What the mail server holds once it holds `count` emails (and a little longer, for anything
/// that should not come), or after `seconds`.
/// The emails received once `count` of them are about an emergency (or the time is up). The
/// demo's nudge to its laptop user also arrives whenever her quiet hours are over.
async fn until_received(
    python: &std::ffi::OsStr,
    mail: &MailServer,
    count: usize,
    seconds: u64,
) -> Vec<Value> {
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < give_up {
        if emergencies(&received(python, mail)) >= count {
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    received(python, mail)
}

fn emergencies(emails: &[Value]) -> usize {
    emails.iter().filter(|email| email["subject"].as_str().unwrap_or_default().contains("mergency")).count()
}

/// Declares an emergency on the `nth` new action of Payments, and ticks; returns the action.
pub(crate) fn emergency_on(rapport: &Rapport, nth: usize) -> i64 {
    let opened: Vec<i64> = inbox(rapport, "priya.nair@example.com")
        .into_iter()
        .filter(|m| m["topic"] == "action_opened")
        .map(|m| m["action"].as_i64().unwrap())
        .collect();
    let action = opened[nth].to_string();
    let reason = "Attackers are using this flaw against banks this week.";
    rapport.ok(&["emergency", "declare", &action, "--by", "sam.okafor@example.com", "--reason", reason]);
    rapport.ok(&["tick"]);
    opened[nth]
}

#[test]
fn a_mail_server_that_stops_and_comes_back_gets_every_message_once() {
    let Some(python) = mail_python() else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let mail = start_mail_server(&python, rapport.work.path());
        let (port, maildir) = (mail.port, mail.maildir.clone());
        let _served = serve_sending_to(&rapport, &mail);
        emergency_on(&rapport, 0);
        let first = runtime.block_on(until_received(&python, &mail, 2, 20));
        assert_eq!(emergencies(&first), 2, "{db}: {first:?}");

        // The mail server stops; what is queued meanwhile fails and waits for its retry.
        drop(mail);
        emergency_on(&rapport, 1);
        let waiting = runtime.block_on(async {
            for _ in 0..100 {
                let retrying = rapport.json_lines(&["outbox", "--json", "--state", "retry"]);
                if retrying.len() == 2 {
                    return retrying;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            rapport.json_lines(&["outbox", "--json", "--state", "retry"])
        });
        assert_eq!(waiting.len(), 2, "{db}: {waiting:?}");
        assert!(
            waiting.iter().all(|d| d["last_error"].as_str().unwrap().contains("Connection refused")),
            "{db}"
        );

        // It comes back: every message arrives, each once.
        let mail = start_mail_server_at(&python, port, maildir);
        let all = runtime.block_on(until_received(&python, &mail, 4, 90));
        let mut ids: Vec<&str> = all.iter().map(|e| e["message_id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!((emergencies(&all), ids.len()), (4, all.len()), "{db}: {ids:?}");
        assert_eq!(rapport.json_lines(&["outbox", "--json", "--state", "sent"]).len(), all.len(), "{db}");
    }
}

#[test]
fn emails_reach_a_real_mail_server_once_with_both_parts_and_the_answer_link() {
    let Some(python) = mail_python() else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        emergency_on(&rapport, 0);
        let queued = due_now(rapport.json_lines(&["outbox", "--json"]));
        assert!(queued.len() >= 2 && queued.iter().all(|d| d["state"] == "queued"), "{db}: {queued:?}");

        let mail = start_mail_server(&python, rapport.work.path());
        let settings = rapport.work.path().join("rapport.toml");
        std::fs::write(
            &settings,
            format!(
                "public_url = \"https://rapport.example.com\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Security <security@example.com>\"\n",
                mail.port
            ),
        )
        .unwrap();
        let _served =
            serve_with(&rapport, &["--listen", "127.0.0.1:0", "--config", settings.to_str().unwrap()], &[]);
        let emails = runtime.block_on(async {
            for _ in 0..100 {
                let emails = received(&python, &mail);
                if emails.len() >= queued.len() {
                    // A little longer: nothing more may arrive.
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    return received(&python, &mail);
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            received(&python, &mail)
        });
        assert_eq!(emails.len(), queued.len(), "{db}: each queued message arrives once: {emails:?}");
        let sent = rapport.json_lines(&["outbox", "--json", "--state", "sent"]);
        assert_eq!(sent.len(), queued.len(), "{db}");
        for email in &emails {
            let id = email["message_id"].as_str().unwrap();
            assert!(
                id.starts_with("<rapport-message-") && id.ends_with("@rapport.example.com>"),
                "{db}: {id}"
            );
            assert_eq!(email["from"], "Security <security@example.com>");
            assert_eq!(email["content_type"], "multipart/alternative", "{db}");
            let types: Vec<&str> =
                email["parts"].as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
            assert_eq!(types, ["text/plain", "text/html"], "{db}");
            let text = email["parts"][0]["body"].as_str().unwrap();
            let html = email["parts"][1]["body"].as_str().unwrap();
            let link = text.lines().find(|line| line.starts_with("https://rapport.example.com/r/")).unwrap();
            assert!(
                html.contains(&format!("href=\"{link}\"")),
                "{db}: one link, the same in both parts: {html}"
            );
            assert_eq!(text.matches("https://").count(), 1, "{db}: {text}");
        }
        let to: Vec<&str> = emails.iter().map(|e| e["to"].as_str().unwrap()).collect();
        assert!(
            to.iter().any(|to| to.contains("priya.nair@example.com"))
                && to.iter().any(|to| to.contains("olu.adeyemi@example.com")),
            "{db}: {to:?}"
        );
    }
}

#[test]
fn the_security_team_rewrites_a_template_and_a_broken_one_is_refused_with_its_line() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let folder = rapport.work.path().join("templates");
        let listed = rapport.ok(&["messages", "templates", "--export", folder.to_str().unwrap()]);
        assert!(
            listed.contains("action_due_soon.manager") && listed.contains("as shipped"),
            "{db}: {listed}"
        );
        let file = folder.join("action_due_soon.manager.jinja");
        let shipped = std::fs::read_to_string(&file).unwrap();

        let broken = shipped.replace("{{ action.due }}: {{ action.what_in_words }}", "{{ action.due_date }}");
        std::fs::write(&file, &broken).unwrap();
        let refused = rapport.fails(&["messages", "template", "apply", file.to_str().unwrap()]);
        assert!(refused.contains("was not applied; the template in force stays"), "{db}: {refused}");
        assert!(refused.contains("action_due_soon.manager, line 5: undefined value"), "{db}: {refused}");

        let edited = shipped.replace("One task for your team is due", "Your team has one task due");
        std::fs::write(&file, &edited).unwrap();
        rapport.ok(&["messages", "template", "apply", file.to_str().unwrap()]);
        assert_eq!(rapport.ok(&["messages", "template", "show", "action_due_soon.manager"]), edited, "{db}");
        let preview = rapport.ok(&["messages", "preview", "action_due_soon", "--audience", "manager"]);
        assert!(preview.contains("Your team has one task due"), "{db}: {preview}");
        assert!(
            rapport
                .ok(&["messages", "templates"])
                .contains("action_due_soon.manager              replaced by "),
            "{db}"
        );
        rapport.ok(&["messages", "template", "reset", "action_due_soon.manager"]);
        assert_eq!(rapport.ok(&["messages", "template", "show", "action_due_soon.manager"]), shipped, "{db}");
        let unknown = rapport.fails(&["messages", "template", "reset", "action_due_soon.boss"]);
        assert!(unknown.contains("there is no such template"), "{db}: {unknown}");
    }
}

/// Item 7: the template editor's API, as the security team's scripts use it. A draft is
/// previewed with its scores and nothing stored; a broken one is refused with its line and the
/// one in force stays; an applied one is in the audit; a partner may do none of it.
#[test]
fn the_template_api_previews_applies_refuses_and_resets() {
    use reqwest::StatusCode;
    use reqwest::header::COOKIE;

    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let analyst_password = add_account(&rapport, "sam.okafor@example.com", "security_analyst", None);
        let manager_password =
            add_account(&rapport, "priya.nair@example.com", "team_manager", Some("Payments"));
        let served = serve(&rapport);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let http = client();
            let base = served.base.as_str();
            let analyst = first_sign_in(&http, base, "sam.okafor@example.com", &analyst_password).await;
            let manager = first_sign_in(&http, base, "priya.nair@example.com", &manager_password).await;
            let url = format!("{base}/api/v1/templates/action_due_soon.manager");
            let send = |request: reqwest::RequestBuilder, browser: &crate::server::Browser| {
                request.header(COOKIE, &browser.cookie).header("x-csrf-token", &browser.csrf).send()
            };

            let listed: Value =
                send(http.get(format!("{base}/api/v1/templates")), &analyst).await.unwrap().json().await.unwrap();
            let listed = listed.as_array().unwrap();
            assert!(listed.iter().all(|template| template["state"] == "default"), "{db}: {listed:?}");
            assert!(listed.iter().any(|template| template["name"] == "digest.end_user"), "{db}: {listed:?}");
            let shipped: Value = send(http.get(&url), &analyst).await.unwrap().json().await.unwrap();
            let source = shipped["source"].as_str().unwrap().to_owned();
            assert!(shipped["preview"]["event"].is_null(), "{db}: no task is due soon yet, so sample facts: {shipped}");
            let opened: Value = send(http.get(format!("{base}/api/v1/templates/action_opened.manager")), &analyst)
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(opened["preview"]["event"].is_i64(), "{db}: written from the demo's latest event: {opened}");
            assert!(opened["preview"]["reader"] != "Sample Reader", "{db}: {opened}");
            assert!(shipped["preview"]["readability"]["grade"].as_f64().unwrap() <= 8.0, "{db}: {shipped}");

            let edited = source.replace("One task for your team is due", "Your team has one task due");
            let draft = serde_json::json!({ "source": edited });
            let previewed = send(http.post(format!("{url}/preview")).json(&draft), &analyst).await.unwrap();
            assert_eq!(previewed.status(), StatusCode::OK, "{db}");
            let previewed: Value = previewed.json().await.unwrap();
            assert!(previewed["body"].as_str().unwrap().contains("Your team has one task due"), "{db}: {previewed}");
            let still: Value = send(http.get(&url), &analyst).await.unwrap().json().await.unwrap();
            assert_eq!(still["source"], source.as_str(), "{db}: a preview stores nothing");

            let broken = serde_json::json!({ "source": source.replace("{{ action.due }}:", "{{ action.due_date }}:") });
            for request in [http.put(&url).json(&broken), http.post(format!("{url}/preview")).json(&broken)] {
                let refused = send(request, &analyst).await.unwrap();
                assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{db}");
                let why = refused.text().await.unwrap();
                assert!(why.contains("action_due_soon.manager, line 5: undefined value"), "{db}: {why}");
            }
            let by_partner = send(http.put(&url).json(&draft), &manager).await.unwrap();
            assert_eq!(by_partner.status(), StatusCode::FORBIDDEN, "{db}");
            let still: Value = send(http.get(&url), &analyst).await.unwrap().json().await.unwrap();
            assert_eq!(still["template"]["state"], "default", "{db}: the one in force stays");

            let applied = send(http.put(&url).json(&draft), &analyst).await.unwrap();
            assert_eq!(applied.status(), StatusCode::OK, "{db}");
            let applied: Value = applied.json().await.unwrap();
            assert_eq!(applied["template"]["state"], "replaced", "{db}: {applied}");
            assert_eq!(applied["template"]["replaced_by"], "sam.okafor@example.com", "{db}: {applied}");
            assert!(applied["preview"]["body"].as_str().unwrap().contains("Your team has one task due"), "{db}");
            let shown = rapport.ok(&["messages", "template", "show", "action_due_soon.manager"]);
            assert_eq!(shown, edited, "{db}: the CLI and the API read the same template");

            let reset = send(http.delete(&url), &analyst).await.unwrap();
            assert_eq!(reset.status(), StatusCode::NO_CONTENT, "{db}");
            let again = send(http.delete(&url), &analyst).await.unwrap();
            assert_eq!(again.status(), StatusCode::NOT_FOUND, "{db}: it is Rapport's already");
            let audit = rapport.ok(&["events", "--kind", "template_changed"]);
            assert!(
                audit.contains("action_due_soon.manager is replaced") && audit.contains("is back to the template Rapport ships"),
                "{db}: {audit}"
            );
        });
    }
}

/// The emails that have reached `mail` so far, counted without reading them.
fn arrived(mail: &MailServer) -> usize {
    std::fs::read_dir(mail.maildir.join("new")).map_or(0, Iterator::count)
}

/// Item 6: two `rapport serve` on one PostgreSQL database share one outbox. Each delivery is
/// claimed by one of them, so with both sending every email arrives once; and when one is
/// killed mid-delivery, the other takes over what it held once its lease runs out: nothing is
/// lost, and a resend of an email the dead one had sent but not yet recorded carries the same
/// Message-ID, so it is recognisable as the same message.
#[test]
fn two_servers_on_one_postgresql_send_each_message_once_and_one_dying_loses_nothing() {
    use std::fmt::Write as _;

    let Some(python) = mail_python() else { return };
    let rapport = on_postgres();
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    // 400 engineers join Payments: an emergency there is 400 more emails, all due at once.
    let mut people = std::fs::read_to_string(sample("people/people.csv")).unwrap();
    for n in 0..400 {
        writeln!(
            people,
            "Engineer {n},engineer{n}@example.com,,Payments,priya.nair@example.com,engineer,UTC,en-GB,"
        )
        .unwrap();
    }
    let directory = rapport.work.path().join("people.csv");
    std::fs::write(&directory, people).unwrap();
    rapport.ok(&["people", "import", directory.to_str().unwrap(), &sample("people/teams.csv")]);

    let mail = start_mail_server(&python, rapport.work.path());
    let settings = rapport.work.path().join("rapport.toml");
    let text = format!(
        "public_url = \"https://rapport.example.com\"\ndelivery_lease_seconds = 5\n[smtp]\nhost = \"127.0.0.1\"\n\
         port = {}\nsecurity = \"none\"\nfrom = \"Security <security@example.com>\"\n",
        mail.port
    );
    std::fs::write(&settings, text).unwrap();
    let serve_args = ["--listen", "127.0.0.1:0", "--config", settings.to_str().unwrap()];
    let mut first = serve_with(&rapport, &serve_args, &[]);
    let second = serve_with(&rapport, &serve_args, &[]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let wait_for = |count: usize, seconds: u64| {
        runtime.block_on(async {
            let give_up = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
            while arrived(&mail) < count && std::time::Instant::now() < give_up {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };

    // Both sending: every message once.
    emergency_on(&rapport, 0);
    let queued = due_now(rapport.json_lines(&["outbox", "--json", "--limit", "5000"])).len();
    assert!(queued > 400, "{queued} deliveries");
    wait_for(queued, 120);
    runtime.block_on(async { tokio::time::sleep(std::time::Duration::from_secs(3)).await });
    let emails = received(&python, &mail);
    let mut ids: Vec<&str> = emails.iter().map(|e| e["message_id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        (emails.len(), ids.len()),
        (queued, queued),
        "each of {queued} once, with both servers sending"
    );

    // One dies mid-delivery: what it held waits out its lease, then the other sends it. The
    // other stops while the first takes the new work, so that the first surely holds some of it
    // when it dies, however the two would have shared it; another server then starts.
    drop(second);
    emergency_on(&rapport, 1);
    let all = due_now(rapport.json_lines(&["outbox", "--json", "--limit", "5000"]));
    let before = arrived(&mail);
    wait_for(before + 1, 60);
    first.die();
    let _other = serve_with(&rapport, &serve_args, &[]);
    let dying_at = arrived(&mail) - before;
    assert!(dying_at < all.len() - queued, "the first server died after everything was sent");
    wait_for(all.len(), 120);
    runtime.block_on(async { tokio::time::sleep(std::time::Duration::from_secs(3)).await });
    let emails = received(&python, &mail);
    let mut ids: Vec<&str> = emails.iter().map(|e| e["message_id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let copies = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "every message arrives: {dying_at} had when the first server died");
    let sent = rapport.json_lines(&["outbox", "--json", "--state", "sent", "--limit", "5000"]);
    assert_eq!(sent.len(), all.len(), "every delivery is recorded as sent");
    let taken_over: Vec<&Value> = sent.iter().filter(|d| d["attempts"].as_u64() > Some(1)).collect();
    assert!(!taken_over.is_empty(), "the second server took over what the first held when it died");
    assert!(
        copies - ids.len() <= taken_over.len(),
        "only what the first server held can have gone twice: {} copies, {} taken over",
        copies - ids.len(),
        taken_over.len()
    );
    eprintln!(
        "{} deliveries; the first server died when {dying_at} of the second {} had arrived; {} taken over; {} sent twice",
        all.len(),
        all.len() - queued,
        taken_over.len(),
        copies - ids.len()
    );
}
