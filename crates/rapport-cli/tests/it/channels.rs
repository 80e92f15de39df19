//! Messages by chat and webhook, end to end: readers choose Slack, Teams or the organisation's
//! webhook on their preferences, and `rapport serve` posts to a local receiver
//! (scripts/webhook_receiver.py) that answers as each service does, checks its limits and
//! pace, and verifies Standard Webhooks signatures with the `standardwebhooks` package.

use std::io::BufRead;

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::messages::emergency_on;
use crate::server::{Browser, client, first_sign_in};
use crate::support::{Rapport, add_account, each_backend, sample, serve_with};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The receiver, stopped when dropped, and the file it records requests in.
struct Receiver {
    child: std::process::Child,
    port: u16,
    record: std::path::PathBuf,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start(python: &std::ffi::OsStr, folder: &std::path::Path) -> Receiver {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/webhook_receiver.py");
        let record = folder.join("received.jsonl");
        let mut child = std::process::Command::new(python)
            .arg(script)
            .arg(&record)
            .env("WEBHOOK_SECRET", SECRET)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the webhook receiver");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().expect("the receiver prints its port");
        Receiver { child, port, record }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

/// Where scripts/test installed standardwebhooks' Python; none (and, in CI, a failure) without.
fn receiver_python() -> Option<std::ffi::OsString> {
    let python = std::env::var_os("RAPPORT_WEBHOOK_PYTHON");
    if python.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "RAPPORT_WEBHOOK_PYTHON is not set: run the tests with scripts/test"
        );
        eprintln!(
            "skipped: RAPPORT_WEBHOOK_PYTHON is not set (scripts/test installs standardwebhooks and sets it)"
        );
    }
    python
}

async fn choose(http: &reqwest::Client, base: &str, who: &Browser, choice: Value) -> reqwest::Response {
    http.put(format!("{base}/api/v1/me/preferences"))
        .header(COOKIE, &who.cookie)
        .header("x-csrf-token", &who.csrf)
        .json(&choice)
        .send()
        .await
        .unwrap()
}

/// The requests to paths starting with `prefix`, once `count` came (and a moment more for
/// anything that should not), or after 60 s.
async fn until(receiver: &Receiver, prefix: &str, count: usize) -> Vec<Value> {
    let on = |all: Vec<Value>| -> Vec<Value> {
        all.into_iter().filter(|r| r["path"].as_str().unwrap().starts_with(prefix)).collect()
    };
    for _ in 0..300 {
        if on(receiver.received()).len() >= count {
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    on(receiver.received())
}

fn outbox(rapport: &Rapport, state: &str) -> Vec<Value> {
    rapport.json_lines(&["outbox", "--json", "--state", state])
}

#[test]
fn messages_reach_slack_teams_and_a_signed_webhook_once_within_each_services_limits() {
    let Some(python) = receiver_python() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.split(':').next().unwrap().to_owned();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        let priya = add_account(&rapport, "priya.nair@example.com", "team_manager", Some("Payments"));
        let olu = add_account(&rapport, "olu.adeyemi@example.com", "team_engineer", Some("Payments"));
        let receiver = Receiver::start(&python, rapport.work.path());
        let settings = rapport.work.path().join("rapport.toml");
        let text = format!(
            "public_url = \"https://rapport.example.com\"\n[slack]\nhosts = [\"127.0.0.1\"]\n\
             [teams]\nhosts = [\"127.0.0.1\"]\n[webhook]\nurl = \"{}\"\n",
            receiver.url("/webhook")
        );
        std::fs::write(&settings, text).unwrap();
        let served = serve_with(
            &rapport,
            &["--listen", "127.0.0.1:0", "--config", settings.to_str().unwrap()],
            &[("RAPPORT_WEBHOOK_SECRET", SECRET)],
        );
        runtime.block_on(async {
            let (base, http) = (served.base.clone(), client());
            let priya = first_sign_in(&http, &base, "priya.nair@example.com", &priya).await;
            let olu = first_sign_in(&http, &base, "olu.adeyemi@example.com", &olu).await;

            // An address off the service's hosts is refused, on the page and in the API.
            let elsewhere =
                json!({"rhythm": "daily", "channel": "slack", "address": "https://evil.test/hook"});
            let refused = choose(&http, &base, &priya, elsewhere).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{db}");
            let why = refused.text().await.unwrap();
            assert!(why.contains("must be on 127.0.0.1, not on evil.test"), "{db}: {why}");
            let page = http
                .post(format!("{base}/me/preferences"))
                .header(COOKIE, &olu.cookie)
                .form(&[
                    ("csrf", olu.csrf.as_str()),
                    ("rhythm", "daily"),
                    ("channel", "teams"),
                    ("address", ""),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{db}");
            assert!(
                page.text()
                    .await
                    .unwrap()
                    .contains("Not saved: address: paste the address of your Teams webhook")
            );

            // Priya takes Slack, Olu Teams; what is shown of their webhooks is the host.
            let slack = receiver.url("/slack/priya");
            let chosen = choose(
                &http,
                &base,
                &priya,
                json!({"rhythm": "daily", "channel": "slack", "address": slack}),
            )
            .await;
            assert_eq!(chosen.status(), StatusCode::OK, "{db}");
            let chosen: Value = chosen.json().await.unwrap();
            assert_eq!(
                (chosen["channel"].as_str(), chosen["address"].as_str()),
                (Some("slack"), Some("http://127.0.0.1/…"))
            );
            assert_eq!(chosen["channels"], json!(["email", "slack", "teams", "webhook"]), "{db}");
            let saved = http
                .post(format!("{base}/me/preferences"))
                .header(COOKIE, &olu.cookie)
                .form(&[
                    ("csrf", olu.csrf.as_str()),
                    ("rhythm", "daily"),
                    ("channel", "teams"),
                    ("address", &receiver.url("/teams/olu")),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{db}");
            let page =
                http.get(format!("{base}/me/preferences")).header(COOKIE, &olu.cookie).send().await.unwrap();
            let page = page.text().await.unwrap();
            assert!(
                page.contains("value=\"teams\" checked")
                    && page.contains("A webhook on http://127.0.0.1/… is saved"),
                "{db}: {page}"
            );
            assert!(!page.contains("/teams/olu"), "{db}: the webhook is a secret");

            // Two emergencies at once: Slack gets one a second, Teams within four a second.
            for nth in 0..2 {
                emergency_on(&rapport, nth);
            }
            let slack = until(&receiver, "/slack/priya", 2).await;
            let teams = until(&receiver, "/teams/olu", 2).await;
            for (posts, ok) in [(&slack, 200), (&teams, 202)] {
                assert_eq!(posts.len(), 2, "{db}: {posts:?}");
                assert!(
                    posts.iter().all(|p| p["status"] == ok && p["problems"] == json!([])),
                    "{db}: {posts:?}"
                );
            }
            let gaps: Vec<f64> = slack
                .windows(2)
                .map(|w| w[1]["at"].as_f64().unwrap() - w[0]["at"].as_f64().unwrap())
                .collect();
            assert!(gaps.iter().all(|gap| *gap >= 0.9), "{db}: Slack, one a second: {gaps:?}");
            let links: std::collections::BTreeSet<&str> = slack
                .iter()
                .map(|p| {
                    p["payload"]["blocks"].as_array().unwrap().last().unwrap()["elements"][0]["url"]
                        .as_str()
                        .unwrap()
                })
                .collect();
            assert_eq!(links.len(), 2, "{db}: two messages, each once: {links:?}");
            assert!(links.iter().all(|link| link.starts_with("https://rapport.example.com/r/")), "{db}");
            let card = &teams[0]["payload"]["attachments"][0]["content"];
            assert!(
                card["actions"][0]["url"].as_str().unwrap().starts_with("https://rapport.example.com/r/")
            );

            // Olu moves to the organisation's webhook, and Priya's Slack webhook is revoked.
            let moved = choose(&http, &base, &olu, json!({"rhythm": "daily", "channel": "webhook"})).await;
            assert_eq!(moved.status(), StatusCode::OK, "{db}");
            let gone = receiver.url("/slack-gone/priya/T0KEN");
            let chosen =
                choose(&http, &base, &priya, json!({"rhythm": "daily", "channel": "slack", "address": gone}))
                    .await;
            assert_eq!(chosen.status(), StatusCode::OK, "{db}");
            emergency_on(&rapport, 2);
            // Olu's message is signed, and verified with the scheme's own library.
            let hooks = until(&receiver, "/webhook", 1).await;
            assert_eq!(hooks.len(), 1, "{db}: {hooks:?}");
            assert_eq!(hooks[0]["verified"], true, "{db}: {hooks:?}");
            let data = &hooks[0]["payload"]["data"];
            assert_eq!(data["recipient"], "olu.adeyemi@example.com", "{db}");
            assert_eq!(hooks[0]["headers"]["webhook-id"], format!("rapport-message-{}", data["id"]), "{db}");
            assert_eq!(hooks[0]["payload"]["type"], "message.composed");

            // Priya's is given up with Slack's answer, and never shows its address.
            until(&receiver, "/slack-gone/", 1).await;
            let dead = outbox(&rapport, "dead");
            let revoked: Vec<&Value> = dead.iter().filter(|d| d["channel"] == "slack").collect();
            assert_eq!(revoked.len(), 1, "{db}: {dead:?}");
            let error = revoked[0]["last_error"].as_str().unwrap();
            assert_eq!(error, "the receiver answered 404 Not Found: no_service", "{db}");
            let everything = rapport.ok(&["outbox", "--json"]);
            assert!(!everything.contains("T0KEN") && !everything.contains("/slack/priya"), "{db}");
            let sent = outbox(&rapport, "sent");
            let by = |channel: &str| sent.iter().filter(|d| d["channel"] == channel).count();
            assert_eq!((by("slack"), by("teams"), by("webhook")), (2, 2, 1), "{db}: {sent:?}");
        });
    }
}
