//! Hygiene campaigns at the command line (issue "Habits"): the catalogue, a campaign file
//! checked whole with a mistake named by its line, and the demo's laptop user nudged toward a
//! habit and thanked once inventory shows it.

use time::format_description::well_known::Rfc3339;

use crate::support::{Rapport, each_backend, sample, today};

#[test]
fn the_shipped_campaigns_are_listed_shown_and_a_changed_one_is_checked() {
    // Campaign files need no database; the command line opens none for them.
    let work = tempfile::tempdir().unwrap();
    let rapport = Rapport { database: format!("sqlite://{}/unused.db", work.path().display()), work };
    let listed = rapport.ok(&["campaign", "list"]);
    for name in ["restart-weekly", "disk-encryption", "screen-lock", "firewall"] {
        assert!(listed.contains(name), "{listed}");
    }
    assert!(listed.contains("at most 8 nudges in all, 2 a week, 1 a day"), "{listed}");

    let file = rapport.work.path().join("restart-weekly.toml");
    let shipped = rapport.ok(&["campaign", "show", "restart-weekly"]);
    std::fs::write(&file, &shipped).unwrap();
    let checked = rapport.ok(&["campaign", "check", file.to_str().unwrap()]);
    assert!(checked.contains("is sound") && checked.contains("8 for the end user"), "{checked}");

    std::fs::write(&file, shipped.replacen("days_since_restart = { at_least", "uptime = { at_least", 1))
        .unwrap();
    let refused = rapport.fails(&["campaign", "check", file.to_str().unwrap()]);
    assert!(refused.contains("restart-weekly.toml is refused: at line 8, column 1"), "{refused}");
    assert!(
        refused.contains("unknown field `uptime`, expected one of `platform`, `days_since_restart`"),
        "{refused}"
    );
    let unknown = rapport.fails(&["campaign", "show", "mfa"]);
    assert!(unknown.contains("no campaign \"mfa\"; `rapport campaign list` names them"), "{unknown}");
}

/// The sample laptop as Fleet would report it once its user installed the macOS update.
fn updated_laptop(rapport: &Rapport) -> String {
    let text = std::fs::read_to_string(sample("inventory/fleet-device.json")).unwrap();
    let mut device: serde_json::Value = serde_json::from_str(&text).unwrap();
    device["host"]["os_version"] = "macOS 15.7.2".into();
    rapport.write("fleet-updated.json", &serde_json::to_vec(&device).unwrap())
}

fn moment(days_from_today: i64) -> String {
    (today() + time::Duration::days(days_from_today)).midnight().assume_utc().format(&Rfc3339).unwrap()
}

#[test]
fn the_demo_nudges_the_sample_laptops_user_then_thanks_her_once_when_inventory_shows_the_update() {
    for rapport in each_backend() {
        let db = &rapport.database;
        let demo = rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        assert!(
            demo.contains("the sample inventory shows a gap for 1 person.\n  campaign os-updates: nudge 1 of 8 to Anna Chao: Your Mac has an update waiting"),
            "{db}: {demo}"
        );
        let inbox = rapport.ok(&["messages", "list", "--person", "anna@acme.com"]);
        assert_eq!(inbox.matches("Your Mac has an update waiting").count(), 1, "{db}: {inbox}");
        let id = inbox.split_whitespace().next().unwrap();
        let nudge = rapport.ok(&["messages", "show", id]);
        assert!(nudge.contains("Hi Anna,\n\nYour Mac runs an older version of macOS."), "{db}: {nudge}");
        assert!(nudge.contains("meets the end user target"), "{db}: {nudge}");

        // The same day nothing more; three days on, the second nudge, worded differently.
        let again = rapport.ok(&["tick"]);
        assert!(!again.contains("campaign_nudged"), "{db}: {again}");
        let later = rapport.ok(&["tick", "--at", &moment(4)]);
        assert!(
            later.contains("nudge 2 of 8 to Anna Chao: Like a recall notice for your car"),
            "{db}: {later}"
        );
        let status = rapport.ok(&["campaign", "status", "os-updates"]);
        assert!(
            status.contains("anna@acme.com (Workplace IT): gap since 2021-08-19, 2 nudges of 8"),
            "{db}: {status}"
        );

        // The updated Mac reports in: the campaign stops for her and thanks her, once.
        let updated = updated_laptop(&rapport);
        let imported = rapport.ok(&["inventory", "import", &updated]);
        assert!(
            imported.contains("campaign os-updates: Anna Chao's devices now show the habit"),
            "{db}: {imported}"
        );
        assert!(imported.contains("0 nudged, 1 thanked"), "{db}: {imported}");
        let inbox = rapport.ok(&["messages", "list", "--person", "anna@acme.com"]);
        assert_eq!(inbox.matches("Thank you, Anna").count(), 1, "{db}: {inbox}");
        let twice = rapport.ok(&["inventory", "import", &updated]);
        assert!(!twice.contains("thanked"), "{db}: {twice}");
        let quiet = rapport.ok(&["tick", "--at", &moment(30)]);
        assert!(!quiet.contains("campaign_nudged"), "{db}: {quiet}");
        let inbox = rapport.ok(&["messages", "list", "--person", "anna@acme.com"]);
        assert_eq!(inbox.lines().count(), 3, "two nudges and one thanks: {db}: {inbox}");
        let status = rapport.ok(&["campaign", "status", "os-updates"]);
        assert!(status.contains("1 person in it, 1 of them showing the habit now"), "{db}: {status}");
        let events = rapport.ok(&["events"]);
        assert_eq!(events.matches("campaign_nudged").count(), 2, "{db}: {events}");
        assert_eq!(events.matches("habit_shown").count(), 1, "{db}: {events}");
    }
}

#[test]
fn an_applied_campaign_replaces_the_shipped_one_of_its_name_and_a_broken_one_is_refused() {
    for rapport in each_backend() {
        let db = &rapport.database;
        let shipped = rapport.ok(&["campaign", "show", "firewall"]);
        let quieter =
            rapport.write("firewall.toml", shipped.replacen("lifetime = 8", "lifetime = 7", 1).as_bytes());
        let applied = rapport.ok(&["campaign", "apply", &quieter]);
        assert!(applied.contains("at most 7 nudges in all"), "{db}: {applied}");
        assert!(rapport.ok(&["campaign", "show", "firewall"]).contains("lifetime = 7"), "{db}");
        let listed = rapport.ok(&["campaign", "list"]);
        assert_eq!(listed.lines().filter(|line| line.starts_with("firewall ")).count(), 1, "{db}: {listed}");
        assert!(rapport.ok(&["events"]).contains("campaign_changed"), "{db}");

        let broken =
            rapport.write("broken.toml", shipped.replacen("lifetime = 8", "lifetime = 9", 1).as_bytes());
        let refused = rapport.fails(&["campaign", "apply", &broken]);
        assert!(
            refused.contains("lifetime = 9 sends up to 9 nudges, but the end user has 8"),
            "{db}: {refused}"
        );
        assert!(
            rapport.ok(&["campaign", "show", "firewall"]).contains("lifetime = 7"),
            "{db}: the applied one stays"
        );
    }
}
