//! The event stream end to end on both back ends: what planning, the partners and the
//! security team do is in `rapport events`; `rapport tick --at` brings due soon, overdue and
//! the end of exceptions, each once however often it runs.

use serde_json::Value;
use time::{Date, Duration};

use crate::support::{PAYMENTS_MANAGER, Rapport, SECURITY, each_backend, sample_estate, today};

fn setup(rapport: &Rapport) {
    sample_estate(rapport);
    rapport.ok(&["plan"]);
}

fn events(rapport: &Rapport, args: &[&str]) -> Vec<Value> {
    let args: Vec<&str> = ["events", "--json"].iter().copied().chain(args.iter().copied()).collect();
    rapport.json_lines(&args)
}

/// The most urgent action with a due date, and that date.
fn due_action(rapport: &Rapport) -> (i64, Date) {
    let listed = rapport.json_lines(&["actions", "--json", "--state", "open"]);
    let id = listed[0]["id"].as_i64().unwrap();
    let shown: Value =
        serde_json::from_str(&rapport.ok(&["action", "show", &id.to_string(), "--json"])).unwrap();
    let due = shown["due"].as_str().expect("the most urgent action has a due date");
    (id, Date::parse(due, &time::format_description::well_known::Iso8601::DATE).unwrap())
}

fn at(day: Date) -> String {
    format!("{day}T12:00:00Z")
}

#[test]
fn the_stream_says_what_happened_and_the_clock_speaks_once() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        setup(&rapport);
        let opened = events(&rapport, &["--kind", "action_opened"]);
        assert!(!opened.is_empty(), "{db}: planning records each new action");
        assert!(opened.iter().all(|e| e["actor"]["kind"] == "scan" && e["team"].is_string()), "{db}");
        let (id, due) = due_action(&rapport);

        // Three days before the due date (the default policy's lead time) it is due soon, once.
        let soon = at(due - Duration::days(2));
        let ticked = rapport.ok(&["tick", "--at", &soon]);
        assert!(
            ticked.contains(&format!("action_due_soon #{id}: due on {due} (in 2 days)")),
            "{db}: {ticked}"
        );
        let again = rapport.ok(&["tick", "--at", &soon]);
        assert!(again.contains("The clock recorded 0 new events"), "{db}: {again}");
        let cursor = events(&rapport, &[]).last().unwrap()["id"].as_i64().unwrap();

        // After it, overdue, once; the cursor reads only what is new.
        let late = at(due + Duration::days(1));
        rapport.ok(&["tick", "--at", &late]);
        rapport.ok(&["tick", "--at", &late]);
        let newer = events(&rapport, &["--since", &cursor.to_string()]);
        let overdue: Vec<&Value> = newer.iter().filter(|e| e["action"] == id).collect();
        assert_eq!(overdue.len(), 1, "{db}: {newer:?}");
        assert_eq!(overdue[0]["kind"], "action_overdue");
        assert_eq!(overdue[0]["facts"]["due"], due.to_string());
        assert_eq!(overdue[0]["actor"]["kind"], "clock");
        assert!(newer.iter().all(|e| e["id"].as_i64().unwrap() > cursor), "{db}");
    }
}

#[test]
fn an_exception_is_announced_before_it_ends_and_its_action_returns_when_it_does() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        setup(&rapport);
        let (id, _) = due_action(&rapport);
        let action = id.to_string();
        let until = today() + Duration::days(20);
        let asked =
            ["exception", "request", &action, "--by", PAYMENTS_MANAGER, "--reason", "vendor patch pending"];
        rapport.ok(&[&asked[..], &["--until", &until.to_string()]].concat());
        rapport.ok(&[
            "exception",
            "approve",
            "1",
            "--by",
            SECURITY,
            "--reason",
            "the WAF blocks it meanwhile",
        ]);
        let granted = events(&rapport, &["--kind", "exception_granted"]);
        assert_eq!(granted.len(), 1, "{db}");
        assert_eq!(granted[0]["actor"], serde_json::json!({"kind": "security", "email": SECURITY}));
        assert_eq!(granted[0]["facts"]["until"], until.to_string());

        // A week before its last day the team hears it is ending; the day after, it ends and
        // the action is open again.
        rapport.ok(&["tick", "--at", &at(until - Duration::days(6))]);
        rapport.ok(&["tick", "--at", &at(until - Duration::days(5))]);
        let ending = events(&rapport, &["--kind", "exception_expiring"]);
        assert_eq!(ending.len(), 1, "{db}: announced once: {ending:?}");
        assert_eq!(ending[0]["detail"], format!("exception #1's last day is {until} (in 6 days)"));
        let shown = rapport.ok(&["action", "show", &action]);
        assert!(shown.contains(&format!("accepted until {until}")), "{db}: {shown}");
        rapport.ok(&["tick", "--at", &at(until + Duration::days(1))]);
        let expired = events(&rapport, &["--kind", "exception_expired"]);
        assert_eq!(expired.len(), 1, "{db}");
        let listed = rapport.json_lines(&["actions", "--json", "--state", "open"]);
        assert!(listed.iter().any(|a| a["id"] == id), "{db}: back in the plan");
    }
}

/// Two clocks at once (two servers, or a server and a person at the command line) record each
/// event once, as one clock would.
#[test]
fn two_clocks_at_once_record_each_event_once() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        setup(&rapport);
        let (_, due) = due_action(&rapport);
        let late = at(due + Duration::days(1));
        let clocks: Vec<_> = (0..2)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
                    .args(["tick", "--at", &late])
                    .env("RAPPORT_DATABASE_URL", &rapport.database)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for clock in clocks {
            let output = clock.wait_with_output().unwrap();
            assert!(output.status.success(), "{db}");
        }
        let overdue = events(&rapport, &["--kind", "action_overdue"]);
        let mut actions: Vec<i64> = overdue.iter().map(|e| e["action"].as_i64().unwrap()).collect();
        let recorded = actions.len();
        actions.sort_unstable();
        actions.dedup();
        assert_eq!(actions.len(), recorded, "{db}: each action is overdue once: {overdue:?}");
        assert!(recorded > 0, "{db}");
    }
}
