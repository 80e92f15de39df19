//! Plans end to end on both back ends: the samples become a short list of actions per team
//! with reasons and due dates from the agreed policy; exceptions, overrides, "done, please
//! verify", closure and regression follow who may do what and what the scans show.

use serde_json::Value;

use crate::support::{
    PAYMENTS_MANAGER, Rapport, SECURITY, each_backend, sample, sample_estate as setup, today,
};

const LOG4SHELL: &str = "CVE-2021-44228";

fn plans(rapport: &Rapport, extra: &[&str]) -> Vec<Value> {
    let args: Vec<&str> = ["plan", "--json"].iter().copied().chain(extra.iter().copied()).collect();
    let out: Value = serde_json::from_str(&rapport.ok(&args)).unwrap();
    out["plans"].as_array().unwrap().clone()
}

/// The open action that fixes Log4Shell, and its team.
fn log4shell_action(rapport: &Rapport) -> (i64, Value) {
    let lines = rapport.json_lines(&["actions", "--json", "--limit", "1000"]);
    let line = lines
        .into_iter()
        .find(|line| line["action"]["fixes"].as_array().unwrap().iter().any(|id| id == LOG4SHELL))
        .expect("an action fixes Log4Shell");
    (line["id"].as_i64().unwrap(), line["action"].clone())
}

fn history(rapport: &Rapport, id: i64) -> Vec<Value> {
    let shown: Value =
        serde_json::from_str(&rapport.ok(&["action", "show", &id.to_string(), "--json"])).unwrap();
    shown["history"].as_array().unwrap().clone()
}

#[test]
fn each_team_gets_a_short_plan_with_reasons_under_an_agreed_policy() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        setup(&rapport);
        let all = plans(&rapport, &[]);
        let teams: Vec<&str> = all.iter().map(|plan| plan["team"].as_str().unwrap()).collect();
        assert!(teams.contains(&"Payments"), "{db}: {teams:?}");

        // Log4Shell is one action for the team that owns the build cache, decided Attend
        // with the evidence in words and a due date from the policy (45 days for Attend).
        let (id, action) = log4shell_action(&rapport);
        assert_eq!(action["team"], "Payments", "{db}: {action}");
        assert_eq!(action["outcome"], "attend");
        assert!(
            action["reason"].as_str().unwrap().starts_with("Attackers are using this flaw now"),
            "{action}"
        );
        assert!(action["findings"].as_u64().unwrap() >= 2, "{action}");
        let payments = plans(&rapport, &["--team", "Payments"]);
        let scheduled =
            payments[0]["actions"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone();
        assert!(scheduled["due"].is_string(), "{scheduled}");
        assert_eq!(payments[0]["weekly_capacity_hours"], 4.0, "the team's stated hours");

        // Routine work (Track and Track*) is one cycle per team or project; fixes that are
        // urgent stand out, each naming the version to go to.
        let lines = rapport.json_lines(&["actions", "--json", "--limit", "1000"]);
        assert!(lines.iter().any(|l| l["action"]["kind"] == "routine_updates"), "{db}: {lines:?}");
        for line in
            lines.iter().filter(|l| l["action"]["kind"] == "update" || l["action"]["kind"] == "upgrade")
        {
            assert!(line["action"]["what"].as_str().unwrap().contains(" to "), "{line}");
        }
        // Every open finding on an owned asset is in exactly one action.
        let in_actions: u64 = lines.iter().map(|l| l["action"]["findings"].as_u64().unwrap()).sum();
        let text = rapport.ok(&["plan"]);
        let total: u64 = text.split(" open findings").next().unwrap().parse().unwrap();
        let unowned: u64 = text
            .lines()
            .find(|l| l.contains("on assets no team owns"))
            .map_or(0, |l| l.split(' ').next().unwrap().parse().unwrap());
        assert_eq!(in_actions + unowned, total, "{db}: {text}");

        // The policy: checked, applied as a new version with its difference shown, and
        // acknowledged by a member of the team only.
        let bad = rapport.write("policy.toml", b"name = \"x\"\nsecurity_team = \"Security\"\n[due_days]\nact = 40\nattend = 30\n\"track*\" = 90\n");
        let error = rapport.fails(&["policy", "check", &bad]);
        assert!(error.contains("act (40 days) must not take longer than attend (30 days)"), "{error}");
        // A file cut short is sound, but says which sections take the defaults.
        let short = rapport.write("short.toml", b"name = \"x\"\nsecurity_team = \"Security\"\n[due_days]\nact = 10\nattend = 30\n\"track*\" = 90\n[capacity]\n");
        let out = rapport.ok(&["policy", "check", &short]);
        assert!(
            out.contains("Not in the file, so the defaults apply (`rapport policy show --default`): emergency, effort, freeze, exceptions, messages, reminders."),
            "{out}"
        );
        // The sample policy with its Black Friday freeze moved to this week, so the plan shows it.
        let today = today();
        let sample_policy = std::fs::read_to_string(sample("policy/policy.toml")).unwrap();
        let this_week = sample_policy
            .replace("from = \"2026-11-26\"", &format!("from = \"{today}\""))
            .replace("until = \"2026-12-01\"", &format!("until = \"{}\"", today + time::Duration::days(6)));
        let policy = rapport.write("sample-policy.toml", this_week.as_bytes());
        let out = rapport.ok(&["policy", "apply", &policy, "--by", SECURITY]);
        assert!(out.contains("applied as policy version 2"), "{out}");
        assert!(out.contains("-act = 14") && out.contains("+act = 10"), "{out}");
        assert!(out.contains("Payments: asked to acknowledge"), "{out}");
        let again = rapport.ok(&["policy", "apply", &policy]);
        assert!(again.contains("is already policy version 2"), "{again}");
        let refused =
            rapport.fails(&["policy", "ack", "--team", "Payments", "--by", "marta.ruiz@example.com"]);
        assert!(refused.contains("is not the manager of team \"Payments\""), "{refused}");
        // The team reads the rules it is asked to acknowledge in sentences (issue 19, item 2).
        let read = rapport.ok(&["policy", "show", "--team", "payments"]);
        assert!(
            read.contains("- Act: fix it now, ahead of other work; due 10 days after the decision."),
            "{read}"
        );
        assert!(read.contains("Payments has not acknowledged any version yet."), "{read}");
        rapport.ok(&["policy", "ack", "--team", "Payments", "--by", PAYMENTS_MANAGER]);
        let read = rapport.ok(&["policy", "show", "--team", "Payments"]);
        assert!(read.contains("Payments acknowledged this version (priya.nair@example.com)."), "{read}");
        let shown = rapport.ok(&["policy", "show"]);
        assert!(shown.contains("Payments: acknowledged by priya.nair@example.com"), "{shown}");
        let page = rapport.ok(&["plan", "--team", "Payments"]);
        assert!(!page.contains("has not acknowledged"), "{page}");
        assert!(page.contains("frozen: Black Friday and Cyber Monday trading"), "{page}");

        // The scanner gave no fixed version for Log4Shell; an OSV record (shaped as GitHub's
        // GHSA-jfh8-c2jp-5v3q) does, so the work becomes an upgrade to the fix on the branch
        // in use.
        let (_, before) = log4shell_action(&rapport);
        assert_eq!(before["kind"], "mitigate_or_accept", "{db}: {before}");
        let osv = rapport.write("GHSA-jfh8-c2jp-5v3q.json", OSV_LOG4SHELL.as_bytes());
        rapport.ok(&["intel", "import", &osv]);
        rapport.ok(&["plan"]);
        let (_, after) = log4shell_action(&rapport);
        assert_eq!(after["kind"], "upgrade", "{db}: {after}");
        assert!(after["what"].as_str().unwrap().starts_with("Upgrade log4j-core to 2.15.0 in "), "{after}");
    }
}

pub(crate) const OSV_LOG4SHELL: &str = r#"{
  "schema_version": "1.6.0",
  "id": "GHSA-jfh8-c2jp-5v3q",
  "modified": "2025-01-01T00:00:00Z",
  "published": "2021-12-10T00:00:00Z",
  "aliases": ["CVE-2021-44228"],
  "summary": "Remote code injection in Log4j",
  "affected": [{
    "package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core",
                "purl": "pkg:maven/org.apache.logging.log4j/log4j-core"},
    "ranges": [
      {"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]},
      {"type": "ECOSYSTEM", "events": [{"introduced": "2.4"}, {"fixed": "2.12.2"}]},
      {"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.3.1"}]}
    ]
  }]
}"#;

#[test]
fn exceptions_overrides_verification_closure_and_regression() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        setup(&rapport);
        let (id, _) = log4shell_action(&rapport);
        let action = id.to_string();
        let today = today();
        let until = (today + time::Duration::days(30)).to_string();

        // Exceptions: asked by the team, decided by security, never by the requester.
        let error = rapport.fails(&[
            "exception",
            "request",
            &action,
            "--by",
            PAYMENTS_MANAGER,
            "--reason",
            "vendor patch pending",
            "--until",
            &(today + time::Duration::days(400)).to_string(),
        ]);
        assert!(error.contains("the policy allows 180 days"), "{error}");
        // Nobody decides their own request.
        rapport.ok(&[
            "exception",
            "request",
            &action,
            "--by",
            SECURITY,
            "--reason",
            "own",
            "--until",
            &until,
        ]);
        let error = rapport.fails(&["exception", "approve", "1", "--by", SECURITY, "--reason", "self"]);
        assert!(error.contains("someone else must decide it"), "{error}");
        rapport.ok(&["exception", "reject", "1", "--by", "lea.fischer@example.com", "--reason", "duplicate"]);
        let out = rapport.ok(&[
            "exception",
            "request",
            &action,
            "--by",
            PAYMENTS_MANAGER,
            "--reason",
            "vendor patch pending",
            "--control",
            "JNDI lookups disabled",
            "--until",
            &until,
        ]);
        assert!(out.contains("Exception #2 requested"), "{db}: {out}");
        // One request at a time.
        let error = rapport.fails(&[
            "exception",
            "request",
            &action,
            "--by",
            PAYMENTS_MANAGER,
            "--reason",
            "again",
            "--until",
            &until,
        ]);
        assert!(error.contains("exception #2 on action"), "{db}: {error}");
        let error =
            rapport.fails(&["exception", "approve", "2", "--by", PAYMENTS_MANAGER, "--reason", "fine"]);
        assert!(error.contains("only the security team may grant an exception"), "{error}");
        rapport.ok(&["exception", "approve", "2", "--by", SECURITY, "--reason", "control verified"]);
        let error =
            rapport.fails(&["exception", "approve", "2", "--by", "lea.fischer@example.com", "--reason", "x"]);
        assert!(error.contains("accepted under an exception already"), "{error}");
        // Accepted, every way it is shown, with no second request offered.
        let shown: Value = serde_json::from_str(&rapport.ok(&["action", "show", &action, "--json"])).unwrap();
        assert_eq!(shown["standing"], format!("accepted until {until}"), "{db}: {shown}");
        let error = rapport.fails(&[
            "exception",
            "request",
            &action,
            "--by",
            PAYMENTS_MANAGER,
            "--reason",
            "more",
            "--until",
            &until,
        ]);
        assert!(error.contains("accepted under an exception already"), "{db}: {error}");
        let payments = &plans(&rapport, &["--team", "Payments"])[0];
        let excepted: Vec<i64> =
            payments["excepted"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(excepted, [id], "{db}: {payments}");
        assert!(payments["actions"].as_array().unwrap().iter().all(|a| a["id"] != id));
        let list = rapport.ok(&["exception", "list"]);
        assert!(
            list.contains("#2 approved exception on action")
                && list.contains("meanwhile: JNDI lookups disabled"),
            "{list}"
        );
        assert!(list.contains("#1 rejected"), "{list}");

        // An emergency outside the criteria needs a security member and is listed.
        let error =
            rapport.fails(&["emergency", "declare", &action, "--by", PAYMENTS_MANAGER, "--reason", "news"]);
        assert!(error.contains("only the security team may declare an emergency"), "{error}");
        rapport.ok(&["emergency", "declare", &action, "--by", SECURITY, "--reason", "in the news"]);
        let list = rapport.ok(&["emergency", "list"]);
        assert!(
            list.contains("1 emergencies declared") && list.contains("by sam.okafor@example.com"),
            "{list}"
        );

        // Done, please verify: a rescan that still shows the findings refutes it.
        rapport.ok(&["action", "done", &action, "--by", PAYMENTS_MANAGER, "--note", "upgraded"]);
        let payments = &plans(&rapport, &["--team", "Payments"])[0];
        assert!(payments["verifying"].as_array().unwrap().iter().any(|a| a["id"] == id), "{payments}");
        // The import decides and plans again by itself.
        rapport.ok(&["import", &sample("cyclonedx-log4j.json")]);
        let events = history(&rapport, id);
        let refuted = events.iter().find(|e| e["kind"] == "done_refuted").expect("refuted");
        assert!(refuted["detail"].as_str().unwrap().contains("still open: rescans of"), "{db}: {refuted}");

        // A rescan without the findings closes the action and names the scan; they come back,
        // it reopens.
        let mut fixed: Value =
            serde_json::from_str(&std::fs::read_to_string(sample("cyclonedx-log4j.json")).unwrap()).unwrap();
        fixed["vulnerabilities"] = Value::Array(vec![]);
        let fixed = rapport.write("fixed.json", fixed.to_string().as_bytes());
        let out = rapport.ok(&["import", &fixed]);
        assert!(out.contains("1 closed"), "{db}: {out}");
        let closed =
            history(&rapport, id).into_iter().find(|e| e["kind"] == "action_closed").expect("closed");
        assert!(
            closed["detail"].as_str().unwrap().contains("none of its findings is open any more: rescans of"),
            "{closed}"
        );
        assert!(closed["detail"].as_str().unwrap().contains("fixed.json"), "{closed}");
        let out = rapport.ok(&["import", &sample("cyclonedx-log4j.json")]);
        assert!(out.contains("1 reopened"), "{db}: {out}");
        assert_eq!(log4shell_action(&rapport).0, id, "the same work keeps its action");
    }
}

/// Issue 19: `rapport actions` printed nothing on an empty database, five commands had no
/// description in `rapport --help`, and `--version` said 0.0.0.
#[test]
fn the_command_line_describes_itself_and_says_when_there_is_nothing() {
    let rapport = each_backend().remove(0);
    let empty = rapport.ok(&["actions"]);
    assert!(empty.starts_with("No actions yet: an action comes from open findings"), "{empty}");
    let help = rapport.ok(&["--help"]);
    let commands = help.split("Commands:").nth(1).unwrap().split("Options:").next().unwrap();
    for line in commands.lines().filter(|line| !line.trim().is_empty()) {
        let (name, about) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        assert!(!about.trim().is_empty(), "`rapport {name}` has no description: {help}");
    }
    let version = rapport.ok(&["--version"]);
    assert_eq!(version.trim(), format!("rapport {}", env!("CARGO_PKG_VERSION")));
    assert_ne!(env!("CARGO_PKG_VERSION"), "0.0.0");
}

/// Issue 19, item 1: an engineer gets the exact command for a package's fix, where its
/// package manager has one.
#[test]
fn an_upgrade_says_the_command_that_does_it() {
    let rapport = each_backend().remove(0);
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    // A real Trivy report of a Python package, as found in one of Platform's base images and
    // with a flaw the sample KEV lists, so that it is urgent work of its own.
    let original = std::fs::read_to_string(crate::support::corpus("scans/trivy/issue_9092.json")).unwrap();
    let mut report: Value = serde_json::from_str(&original).unwrap();
    report["ArtifactName"] = "debian:12".into();
    report["ArtifactType"] = "container_image".into();
    report["Results"][0]["Vulnerabilities"][0]["VulnerabilityID"] = LOG4SHELL.into();
    rapport.ok(&["import", &rapport.write("image.json", report.to_string().as_bytes())]);
    let actions: Vec<Value> =
        rapport.ok(&["actions", "--json"]).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let certifi = actions.iter().find(|a| a["action"]["subject"] == "certifi").expect("the certifi upgrade");
    let id = certifi["id"].as_i64().unwrap().to_string();
    let shown = rapport.ok(&["action", "show", &id]);
    assert!(shown.contains("Command: pip install 'certifi>=2023.7.22'\n"), "{shown}");
    let json: Value = serde_json::from_str(&rapport.ok(&["action", "show", &id, "--json"])).unwrap();
    assert_eq!(json["command"], "pip install 'certifi>=2023.7.22'");
    // Maven has no one command (the version is set in the build file), and none is made up.
    let maven = actions.iter().find(|a| a["action"]["subject"] == "log4j-core").unwrap();
    let shown = rapport.ok(&["action", "show", &maven["id"].as_i64().unwrap().to_string()]);
    assert!(!shown.contains("Command:"), "{shown}");
}

/// Issue 19, item 1: a code-scanning action showed the rule's id and nothing else; the
/// engineer gets the rule's words, its help page, and each file and line.
#[test]
fn code_to_fix_names_the_rule_and_each_file_and_line() {
    let rapport = each_backend().remove(0);
    rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
    let actions: Vec<Value> =
        rapport.ok(&["actions", "--json"]).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let code = actions.iter().find(|a| a["action"]["kind"] == "fix_code").expect("code to fix");
    let id = code["id"].as_i64().unwrap().to_string();
    let json: Value = serde_json::from_str(&rapport.ok(&["action", "show", &id, "--json"])).unwrap();
    let fix = &json["code"];
    let spots = fix["spots"].as_array().unwrap();
    let findings = code["action"]["findings"].as_u64().unwrap();
    assert_eq!(spots.len() as u64 + fix["more"].as_u64().unwrap(), findings, "{fix}");
    assert!(
        spots.iter().all(|s| s["path"].is_string() && s["line"].as_u64().is_some_and(|l| l > 0)),
        "{fix}"
    );
    assert!(!fix["rule"].as_str().unwrap().is_empty(), "{fix}");
    let shown = rapport.ok(&["action", "show", &id]);
    let first = &spots[0];
    let line = format!(
        "  {}: {}:{}",
        first["target"].as_str().unwrap(),
        first["path"].as_str().unwrap(),
        first["line"]
    );
    assert!(
        shown.contains("The rule: ") && shown.contains("In the code:\n") && shown.contains(&line),
        "{shown}"
    );
}
