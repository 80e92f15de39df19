//! Rapport speaks first, end to end on both back ends: the demo's events become messages in
//! each reader's words, the clock's ticks add the messages of what they record, and running
//! it again doubles nothing; `messages preview` shows one with its scores.

use serde_json::Value;

use crate::support::{Rapport, each_backend, sample, today};

fn inbox(rapport: &Rapport, email: &str) -> Vec<Value> {
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
