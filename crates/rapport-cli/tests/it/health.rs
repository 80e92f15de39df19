//! `rapport health` on both back ends: a team's months counted from what happened to its work
//! (opened, an exception asked and granted, work gone overdue), and the security team's own
//! record beside it.

use serde_json::Value;
use time::{Date, Duration};

use crate::support::{PAYMENTS_MANAGER, SECURITY, each_backend, sample, sample_estate, today};

fn due_of(action: &Value, rapport: &crate::support::Rapport) -> Option<Date> {
    let shown: Value =
        serde_json::from_str(&rapport.ok(&["action", "show", &action["id"].to_string(), "--json"])).unwrap();
    Date::parse(shown["due"].as_str()?, &time::format_description::well_known::Iso8601::DATE).ok()
}

#[test]
fn health_counts_each_teams_months_and_the_security_teams_own_record() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        sample_estate(&rapport);
        // The Java build cache, once exposed to the internet, holds exploited work that meets the
        // policy's emergency criteria.
        let exposed = rapport.work.path().join("ownership.toml");
        let rules = std::fs::read_to_string(sample("ownership/ownership.toml")).unwrap();
        let rules = rules.replacen(
            "criticality = \"medium\"\n",
            "criticality = \"high\"\nexposure = \"internet\"\n",
            1,
        );
        std::fs::write(&exposed, rules).unwrap();
        rapport.ok(&["owners", "apply", &exposed.display().to_string()]);
        rapport.ok(&["plan"]);
        let open = rapport.json_lines(&["actions", "--json", "--state", "open"]);
        let excepted = &open[0];
        let team = excepted["action"]["team"].as_str().unwrap().to_owned();
        let until = (today() + Duration::days(20)).to_string();
        let id = excepted["id"].to_string();
        rapport.ok(&[
            "exception",
            "request",
            &id,
            "--by",
            PAYMENTS_MANAGER,
            "--reason",
            "vendor patch pending",
            "--until",
            &until,
        ]);
        rapport.ok(&[
            "exception",
            "approve",
            "1",
            "--by",
            SECURITY,
            "--reason",
            "the WAF blocks it meanwhile",
        ]);
        // Its team says it is done, and a rescan without its findings confirms it: a win.
        rapport.ok(&["action", "done", &id, "--by", PAYMENTS_MANAGER, "--note", "upgraded"]);
        let mut fixed: Value =
            serde_json::from_str(&std::fs::read_to_string(sample("cyclonedx-log4j.json")).unwrap()).unwrap();
        fixed["vulnerabilities"] = Value::Array(vec![]);
        rapport.ok(&["import", &rapport.write("fixed.json", fixed.to_string().as_bytes())]);
        // The clock records the win once, and the thanks is composed for the team.
        let ticked = rapport.ok(&["tick"]);
        assert!(ticked.contains(&format!("win_recognised #{id}: {team} ")), "{db}: {ticked}");
        assert!(!rapport.ok(&["tick"]).contains("win_recognised"), "{db}: a win is recorded once");
        let still = rapport.json_lines(&["actions", "--json", "--state", "open"]);
        let late = still
            .iter()
            .filter_map(|action| due_of(action, &rapport))
            .min()
            .expect("an open action with a due date");
        let moment = format!("{}T12:00:00Z", late + Duration::days(1));
        rapport.ok(&["tick", "--at", &moment]);

        let health: Value =
            serde_json::from_str(&rapport.ok(&["health", "--json", "--at", &moment, "--months", "24"]))
                .unwrap();
        let months = health["teams"][&team].as_array().unwrap_or_else(|| panic!("{db}: {health}"));
        assert_eq!(months.len(), 24, "{db}");
        let opened: u64 = months.iter().map(|month| month["opened"].as_u64().unwrap()).sum();
        let open_of_team =
            open.iter().filter(|action| action["action"]["team"] == team.as_str()).count() as u64;
        assert_eq!(opened, open_of_team, "{db}: every action planned for {team} was opened");
        // The work urgent by the policy's own criteria is counted as the emergencies it is.
        let urgent = ["action_opened", "decision_changed"]
            .into_iter()
            .flat_map(|kind| rapport.json_lines(&["events", "--json", "--kind", kind]))
            .filter(|event| event["facts"]["emergency"] == true)
            .count() as u64;
        let counted: u64 = health["teams"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|months| months.as_array().unwrap())
            .map(|month| month["emergencies_by_criteria"].as_u64().unwrap())
            .sum();
        assert!(urgent > 0, "{db}: the exploited, exposed work meets the criteria");
        assert_eq!(counted, urgent, "{db}: {health}");
        let told: u64 = months.iter().map(|month| month["messages"].as_u64().unwrap()).sum();
        assert!(told > 0, "{db}: the messages about {team}'s work are on its record: {health}");
        let asked: u64 = months.iter().map(|month| month["exceptions_requested"].as_u64().unwrap()).sum();
        assert_eq!(asked, 1, "{db}: {health}");
        let overdue: u64 = health["teams"]
            .as_object()
            .unwrap()
            .values()
            .map(|months| months[23]["overdue_at_end"].as_u64().unwrap())
            .sum();
        assert!(overdue >= 1, "{db}: the clock saw work past its due date: {health}");
        let wins = health["wins"].as_array().unwrap();
        let won = wins
            .iter()
            .find(|won| won["win"]["team"] == team.as_str() && won["win"]["feat"]["action"] == excepted["id"])
            .unwrap_or_else(|| panic!("{db}: the work done before its due date is a win: {health}"));
        let thanked: Vec<(&str, &str)> = won["thanked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|reader| (reader["email"].as_str().unwrap(), reader["audience"].as_str().unwrap()))
            .collect();
        assert!(thanked.contains(&(PAYMENTS_MANAGER, "manager")), "{db}: {thanked:?}");
        if won["win"]["feat"]["kind"] == "large_risk_removed" {
            assert!(
                thanked.contains(&("olu.adeyemi@example.com", "executive")),
                "{db}: the manager's manager hears of a large win: {thanked:?}"
            );
        }
        let composed: u64 = health["security"]
            .as_array()
            .unwrap()
            .iter()
            .map(|month| {
                ["messages_counted", "messages_uncounted", "messages_gathered", "messages_dropped"]
                    .iter()
                    .map(|field| month[*field].as_u64().unwrap())
                    .sum::<u64>()
            })
            .sum();
        assert!(
            composed > 0,
            "{db}: the messages the tick composed are on the security team's record: {health}"
        );
        let decided = health["security"]
            .as_array()
            .unwrap()
            .iter()
            .find(|month| !month["exceptions_decided"].is_null());
        assert!(
            decided.is_some(),
            "{db}: the exception's decision is on the security team's record: {health}"
        );

        let table = rapport.ok(&["health", "--at", &moment, "--team", &team]);
        assert!(table.starts_with(&format!("{team}\n")), "{db}: {table}");
        assert!(
            table.contains(&format!("thanked: Priya Nair <{PAYMENTS_MANAGER}> as manager")),
            "{db}: {table}"
        );
        assert!(table.contains("Security team's own record"), "{db}: {table}");
        let unknown = rapport.fails(&["health", "--team", "Nobody"]);
        assert!(unknown.contains("nothing has happened to a team \"Nobody\" yet"), "{db}: {unknown}");
        let too_long = rapport.fails(&["health", "--months", "30"]);
        assert!(too_long.contains("months: give from 1 to 24, not 30"), "{db}: {too_long}");
    }
}

#[test]
fn six_months_of_demo_give_trends_wins_thanked_and_a_briefing_each_month() {
    for rapport in each_backend() {
        let db = rapport.database.clone();
        let demo = rapport.ok(&["demo", "--no-serve", "--months", "6", "--samples", &sample("")]);
        assert!(demo.contains("Lived 1"), "{db}: {demo}");
        let health: Value =
            serde_json::from_str(&rapport.ok(&["health", "--json", "--months", "7"])).unwrap();
        let teams = health["teams"].as_object().unwrap();
        let closing_months = (0..7)
            .filter(|month| teams.values().any(|months| months[*month]["closed"].as_u64().unwrap() > 0))
            .count();
        assert!(closing_months >= 5, "{db}: work is closed month after month: {health}");
        let late = teams.values().any(|months| months[6]["overdue_at_end"].as_u64().unwrap() > 0);
        assert!(late, "{db}: the slow team's work went past its due date: {health}");
        let asked: u64 = teams
            .values()
            .flat_map(|months| months.as_array().unwrap())
            .map(|month| month["exceptions_requested"].as_u64().unwrap())
            .sum();
        assert_eq!(asked, 1, "{db}: the slow team asked for more time once");
        let rated = teams
            .values()
            .flat_map(|months| months.as_array().unwrap())
            .any(|month| !month["rating"].is_null());
        assert!(rated, "{db}: teams rated the work from their messages: {health}");
        let wins = health["wins"].as_array().unwrap();
        assert!(wins.len() >= 5, "{db}: {wins:?}");
        assert!(
            wins.iter().all(|won| !won["thanked"].as_array().unwrap().is_empty()),
            "{db}: each win was thanked: {wins:?}"
        );
        let winners: std::collections::BTreeSet<&str> =
            wins.iter().map(|won| won["win"]["team"].as_str().unwrap()).collect();
        assert!(winners.len() >= 3, "{db}: every partner team had a win to be thanked for: {winners:?}");
        assert_eq!(
            health["drivers"].as_object().unwrap().len(),
            2,
            "{db}: the last two months' drivers: {health}"
        );
        let briefings = rapport.json_lines(&["events", "--json", "--kind", "briefing_published"]);
        assert!(briefings.len() >= 5, "{db}: a briefing for each month that ended: {briefings:?}");
        let olu = rapport.ok(&["messages", "list", "--person", "olu.adeyemi@example.com", "--limit", "200"]);
        assert!(olu.matches("Security in ").count() >= 5, "{db}: the executive read each month's: {olu}");
        let briefing = rapport.ok(&["briefing"]);
        assert!(briefing.contains("The relationship with "), "{db}: {briefing}");
    }
}
