//! The first words of a follow-through draft: an advisory rewritten into one thing to do, once
//! for the people whose own devices it concerns and once for the teams whose systems it
//! concerns. The security team reads and may change them before the draft goes.

use rapport_core::{Advisory, DraftWording, KEV_CATEGORY, Wording};

/// The category of vendor feeds about web browsers, whose fix is one restart.
pub const BROWSER_CATEGORY: &str = "browser";

/// The draft Rapport writes for an advisory.
pub fn draft_wording(advisory: &Advisory) -> DraftWording {
    match (&advisory.product, &advisory.version) {
        (Some(product), Some(version)) => release_wording(advisory, product, version),
        _ if advisory.category == KEV_CATEGORY => kev_wording(advisory),
        _ => record_wording(advisory),
    }
}

fn release_wording(advisory: &Advisory, product: &str, version: &str) -> DraftWording {
    let end_user = if advisory.category == BROWSER_CATEGORY {
        Wording {
            subject: "Your browser needs one restart today".into(),
            body: format!(
                "{product} {version} fixes security flaws that a web page could use to get into your \
                 device. Your device has an older version. The update is already there: it only needs \
                 the browser to restart. Save your work, close {product}, then open it again. Your tabs \
                 come back."
            ),
            ask: format!("Restart {product} today."),
        }
    } else {
        Wording {
            subject: format!("Please update {product} today"),
            body: format!(
                "{product} {version} fixes security flaws. Your device has an older version. Open \
                 {product} and install the update it offers. If it offers none, ask the help desk."
            ),
            ask: format!("Update {product} today."),
        }
    };
    let team = Wording {
        subject: format!("Update {product} to {version}"),
        body: format!(
            "{} says {product} {version} fixes security flaws. Some of your team's systems still run an \
             older version. They are listed below.",
            advisory.source
        ),
        ask: format!("Update {product} on these systems this week."),
    };
    DraftWording { end_user, team }
}

fn kev_wording(advisory: &Advisory) -> DraftWording {
    let id = first_id(advisory);
    DraftWording {
        end_user: updates_for_end_users(),
        team: Wording {
            subject: format!("Attackers are using {id}"),
            body: format!(
                "CISA added {id} to its list of flaws that attackers use now: {}. Your team's systems \
                 listed below have it. Fix these first; the work is in your plan.",
                advisory.title
            ),
            ask: format!("Fix {id} on these systems first."),
        },
    }
}

fn record_wording(advisory: &Advisory) -> DraftWording {
    let id = first_id(advisory);
    let fix = advisory.fix.as_ref().map(|fix| format!(" The fix is {fix}.")).unwrap_or_default();
    DraftWording {
        end_user: updates_for_end_users(),
        team: Wording {
            subject: format!("News about {id}"),
            body: format!(
                "{} published an advisory about {id}: {}. Your team's systems listed below are affected.{fix}",
                advisory.source, advisory.title
            ),
            ask: format!("Check these systems and plan the fix for {id}."),
        },
    }
}

/// For someone whose own device has a flaw a scanner found: the fix is their updates.
fn updates_for_end_users() -> Wording {
    Wording {
        subject: "Your device needs its updates".into(),
        body: "A security flaw was found in software on your device. The fix is an update. Install the \
               updates your device offers, then restart it. It takes a few minutes."
            .into(),
        ask: "Install your updates and restart today.".into(),
    }
}

fn first_id(advisory: &Advisory) -> &str {
    advisory.vulnerabilities.first().map_or(advisory.title.as_str(), |id| id.as_str())
}

#[cfg(test)]
mod tests {
    use rapport_core::{Release, VendorFeed};

    use super::*;

    #[test]
    fn a_browser_release_asks_for_one_restart() {
        let feed = VendorFeed {
            url: "https://vendor.example/feed".into(),
            name: "Chrome Releases".into(),
            product: "Google Chrome".into(),
            category: BROWSER_CATEGORY.into(),
            software: vec!["Google Chrome.app".into()],
            only: Vec::new(),
        };
        let release =
            Release { id: "1".into(), title: "Chrome 131.0.6778.108 for Mac".into(), ..Release::default() };
        let wording = draft_wording(&Advisory::of_release(&feed, &release).unwrap());
        assert_eq!(wording.end_user.subject, "Your browser needs one restart today");
        assert_eq!(wording.end_user.ask, "Restart Google Chrome today.");
        assert_eq!(wording.team.subject, "Update Google Chrome to 131.0.6778.108");
    }
}
