//! Hygiene campaigns at the command line (issue "Habits", item 1): the shipped catalogue, and
//! a campaign file checked whole, a mistake named with its line.

use crate::support::Rapport;

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
    assert!(refused.contains("restart-weekly.toml is refused: at line 6, column 1"), "{refused}");
    assert!(
        refused.contains("unknown field `uptime`, expected one of `platform`, `days_since_restart`"),
        "{refused}"
    );
    let unknown = rapport.fails(&["campaign", "show", "mfa"]);
    assert!(unknown.contains("no shipped campaign \"mfa\"; they are restart-weekly"), "{unknown}");
}
