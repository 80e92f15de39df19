//! Hygiene campaigns at the command line (issue "Habits"): the catalogue, a campaign file
//! checked whole with a mistake named by its line, and the demo's laptop user nudged toward a
//! habit and thanked once inventory shows it.

use time::format_description::well_known::Rfc3339;

use crate::messages::link_of;
use crate::server::{client, first_sign_in};
use crate::support::{Rapport, add_account, each_backend, sample, serve, today};

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

/// Anna installs the password manager: the sample laptop, reported at the same moment, lists
/// it beside its one app, so her password-manager campaign ends before any nudge and leaves the
/// day's one nudge to the campaign a test follows.
fn install_password_manager(rapport: &Rapport) {
    let text = std::fs::read_to_string(sample("inventory/fleet-device.json")).unwrap();
    let mut device: serde_json::Value = serde_json::from_str(&text).unwrap();
    let software = device["host"]["software"].as_array_mut().unwrap();
    software.push(
        serde_json::json!({"id": 322, "name": "1Password.app", "version": "8.11.16", "source": "apps"}),
    );
    let file = rapport.write("fleet-with-1password.json", &serde_json::to_vec(&device).unwrap());
    rapport.ok(&["inventory", "import", &file]);
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
            demo.contains("the sample inventory shows 2 gaps, and nobody gets more than one nudge a day.\n  campaign os-updates: nudge 1 of 8 to Anna Chao: Your Mac has an update waiting"),
            "{db}: {demo}"
        );
        install_password_manager(&rapport);
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
        assert!(
            status.contains("adoption 100%, 2 nudges sent (0 held by a spent weekly budget, 0 for a nudge already that day); the habit showed"),
            "{db}: {status}"
        );
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

#[test]
fn a_campaign_switched_off_nudges_nobody_and_switched_back_on_is_itself_again() {
    for rapport in each_backend() {
        let db = &rapport.database;
        let shipped = rapport.ok(&["campaign", "show", "os-updates"]);
        let off = rapport.ok(&["campaign", "off", "os-updates"]);
        assert!(off.contains("Campaign os-updates is off: nobody in it is nudged"), "{db}: {off}");
        assert!(rapport.ok(&["campaign", "off", "os-updates"]).contains("was off already"), "{db}");
        assert!(!rapport.ok(&["campaign", "list"]).contains("os-updates "), "{db}");
        let demo = rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        assert!(demo.contains("the sample inventory shows 1 gap"), "{db}: {demo}");
        assert!(!demo.contains("campaign os-updates"), "{db}: {demo}");

        let on = rapport.ok(&["campaign", "on", "os-updates"]);
        assert!(on.contains("Campaign os-updates is on again."), "{db}: {on}");
        assert_eq!(rapport.ok(&["campaign", "show", "os-updates"]), shipped, "{db}");
        let later = rapport.ok(&["campaign", "schedule", "--at", &moment(2)]);
        assert!(later.contains("campaign os-updates: nudge 1 of 8 to Anna Chao"), "{db}: {later}");
        let events = rapport.ok(&["events"]);
        assert!(events.contains("campaign os-updates switched off"), "{db}: {events}");
        assert!(events.contains("campaign os-updates switched on"), "{db}: {events}");

        // A campaign the security team changed keeps its changes through off and on.
        let quieter = shipped.replacen("lifetime = 8", "lifetime = 7", 1);
        rapport.ok(&["campaign", "apply", &rapport.write("os-updates.toml", quieter.as_bytes())]);
        rapport.ok(&["campaign", "off", "os-updates"]);
        rapport.ok(&["campaign", "on", "os-updates"]);
        assert!(rapport.ok(&["campaign", "show", "os-updates"]).contains("lifetime = 7"), "{db}");
        let unknown = rapport.fails(&["campaign", "off", "mfa"]);
        assert!(unknown.contains("no campaign \"mfa\""), "{db}: {unknown}");
    }
}

/// Anna's messages, newest first: (id, subject).
fn annas_inbox(rapport: &Rapport) -> Vec<(i64, String)> {
    rapport
        .json_lines(&["messages", "list", "--person", "anna@acme.com", "--json"])
        .iter()
        .map(|message| (message["id"].as_i64().unwrap(), message["subject"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_nudge_is_answered_from_its_link_done_waits_for_the_next_report_and_i_cant_reaches_the_queue() {
    use reqwest::header::COOKIE;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        install_password_manager(&rapport);
        let analyst_password = add_account(&rapport, "sam.okafor@example.com", "security_analyst", None);
        let manager_password =
            add_account(&rapport, "priya.nair@example.com", "team_manager", Some("Payments"));
        let anna_password = add_account(&rapport, "anna@acme.com", "end_user", None);
        let (first, _) = annas_inbox(&rapport)[0].clone();
        let served = serve(&rapport);
        runtime.block_on(async {
            let http = client();
            let base = served.base.as_str();
            // Her device page asks the same, in the campaign's words.
            let anna = first_sign_in(&http, base, "anna@acme.com", &anna_password).await;
            let devices: serde_json::Value = http
                .get(format!("{base}/api/v1/me/devices"))
                .header(COOKIE, &anna.cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let advice = &devices[0]["advice"];
            assert!(
                advice.as_array().unwrap().iter().any(|said| said["campaign"] == "os-updates"
                    && said["what"]
                        == "Open System Settings, then General, then Software Update, and install it."),
                "{db}: {devices}"
            );
            // Opening the link shows the two answers and records nothing.
            let link = format!("{base}{}", link_of(&rapport, first));
            let events = rapport.ok(&["events"]).lines().count();
            let page = http.get(&link).send().await.unwrap().text().await.unwrap();
            assert!(
                page.contains("value=\"habit_done\"") && page.contains("value=\"cannot\""),
                "{db}: {page}"
            );
            assert!(!page.contains("value=\"done\""), "{db}: a nudge is on no action: {page}");
            assert_eq!(rapport.ok(&["events"]).lines().count(), events, "{db}: a GET records nothing");

            let done =
                http.post(&link).form(&[("answer", "habit_done"), ("note", "Updating tonight")]).send().await;
            assert_eq!(done.unwrap().status(), 303, "{db}");
            let thanks = http.get(format!("{link}/thanks")).send().await.unwrap().text().await.unwrap();
            assert!(thanks.contains("Thank you. The security team sees your answer."), "{db}: {thanks}");
            let again =
                http.post(&link).form(&[("answer", "cannot"), ("reason", "No")]).send().await.unwrap();
            assert_eq!(again.status(), 409, "{db}: one answer per message");
        });
        // "Done": nothing more until the laptop reports in again; it still shows the old macOS,
        // so the nudges go on.
        let waiting = rapport.ok(&["tick", "--at", &moment(4)]);
        assert!(!waiting.contains("campaign_nudged"), "{db}: {waiting}");
        let stale = std::fs::read_to_string(sample("inventory/fleet-device.json")).unwrap();
        let mut device: serde_json::Value = serde_json::from_str(&stale).unwrap();
        device["host"]["seen_time"] = moment(5).into();
        let reported = rapport.write("fleet-still-old.json", &serde_json::to_vec(&device).unwrap());
        rapport.ok(&["inventory", "import", &reported]);
        let resumed = rapport.ok(&["tick", "--at", &moment(6)]);
        assert!(resumed.contains("nudge 2 of 8 to Anna Chao"), "{db}: {resumed}");

        let (second, _) = annas_inbox(&rapport)[0].clone();
        runtime.block_on(async {
            let http = client();
            let base = served.base.as_str();
            let link = format!("{base}{}", link_of(&rapport, second));
            let empty = http.post(&link).form(&[("answer", "cannot"), ("reason", " ")]).send().await.unwrap();
            assert_eq!(empty.status(), 400, "{db}: \"I can't\" needs its reason");
            let reason = "My Mac is too old for macOS 15.7; IT has a new one on order.";
            let cannot =
                http.post(&link).form(&[("answer", "cannot"), ("reason", reason)]).send().await.unwrap();
            assert_eq!(cannot.status(), 303, "{db}");

            // The reason waits in the security team's queue; only the security team replies.
            let analyst = first_sign_in(&http, base, "sam.okafor@example.com", &analyst_password).await;
            let manager = first_sign_in(&http, base, "priya.nair@example.com", &manager_password).await;
            let queue: serde_json::Value = http
                .get(format!("{base}/api/v1/queue"))
                .header(COOKIE, &analyst.cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let waiting = &queue["campaign_answers"];
            assert_eq!(waiting.as_array().unwrap().len(), 1, "{db}: {queue}");
            assert_eq!(waiting[0]["words"], reason, "{db}: {queue}");
            assert_eq!(waiting[0]["person"], "anna@acme.com", "{db}: {queue}");
            let id = waiting[0]["id"].as_i64().unwrap();
            let page =
                http.get(format!("{base}/queue")).header(COOKIE, &analyst.cookie).send().await.unwrap();
            assert!(
                page.text().await.unwrap().contains("anna@acme.com can't, for the campaign os-updates"),
                "{db}"
            );
            // The campaign's figures count both answers and both nudges.
            let figures: serde_json::Value = http
                .get(format!("{base}/api/v1/campaigns"))
                .header(COOKIE, &analyst.cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let updates = figures.as_array().unwrap().iter().find(|c| c["name"] == "os-updates").unwrap();
            assert_eq!(
                (&updates["in_gap"], &updates["nudges"], &updates["said_done"], &updates["said_cannot"]),
                (&1.into(), &2.into(), &1.into(), &1.into()),
                "{db}: {updates}"
            );
            let page =
                http.get(format!("{base}/campaigns")).header(COOKIE, &analyst.cookie).send().await.unwrap();
            assert!(page.text().await.unwrap().contains("1 with the gap now; 0 showing the habit"), "{db}");
            // Person by person: Anna, both answers and both nudges, on the page and in the API.
            let people: serde_json::Value = http
                .get(format!("{base}/api/v1/campaigns/os-updates/people?team=Workplace%20IT"))
                .header(COOKIE, &analyst.cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let anna = &people["people"][0];
            assert_eq!(
                (&anna["person"], &anna["nudged"], &anna["nudges"], &anna["said_cannot"]),
                (&"anna@acme.com".into(), &2.into(), &2.into(), &true.into()),
                "{db}: {people}"
            );
            let page = http
                .get(format!("{base}/campaigns/os-updates?team=Workplace+IT"))
                .header(COOKIE, &analyst.cookie)
                .send()
                .await
                .unwrap();
            let page = page.text().await.unwrap();
            assert!(page.contains("1 person in it in Workplace IT"), "{db}: {page}");
            assert!(
                page.contains("<td>anna@acme.com</td><td>Workplace IT</td><td>gap since"),
                "{db}: {page}"
            );
            let other = http
                .get(format!("{base}/api/v1/campaigns/os-updates/people?team=Payments"))
                .header(COOKIE, &analyst.cookie);
            let other: serde_json::Value = other.send().await.unwrap().json().await.unwrap();
            assert_eq!(other["people"].as_array().map(Vec::len), Some(0), "{db}: {other}");
            let partner = http
                .get(format!("{base}/api/v1/campaigns/os-updates/people"))
                .header(COOKIE, &manager.cookie);
            assert_eq!(
                partner.send().await.unwrap().status(),
                403,
                "{db}: who is in a campaign is for security"
            );
            let unknown = http.get(format!("{base}/campaigns/mfa")).header(COOKIE, &analyst.cookie);
            assert_eq!(unknown.send().await.unwrap().status(), 404, "{db}");
            let url = format!("{base}/api/v1/campaign-answers/{id}/reply");
            let text = serde_json::json!({"text": "Thanks, we will swap it next week."});
            let reply = |browser: &crate::server::Browser| {
                let request =
                    http.post(&url).header(COOKIE, &browser.cookie).header("x-csrf-token", &browser.csrf);
                request.json(&text).send()
            };
            let refused = reply(&manager).await.unwrap();
            assert_eq!(refused.status(), 403, "{db}: a partner does not reply for the security team");
            assert_eq!(reply(&analyst).await.unwrap().status(), 200, "{db}");
            let twice = reply(&analyst).await.unwrap();
            assert_eq!(twice.status(), 409, "{db}");
        });
        // The reply reaches her; her nudges of this campaign have stopped.
        rapport.ok(&["messages", "compose"]);
        let inbox = annas_inbox(&rapport);
        assert_eq!(inbox[0].1, "Security read your answer", "{db}: {inbox:?}");
        let shown = rapport.ok(&["messages", "show", &inbox[0].0.to_string()]);
        assert!(shown.contains("Security replied: \"Thanks, we will swap it next week.\""), "{db}: {shown}");
        let later = rapport.ok(&["tick", "--at", &moment(20)]);
        assert!(!later.contains("campaign_nudged"), "{db}: {later}");
        let events = rapport.ok(&["events"]);
        assert!(
            events.contains("campaign_answered") && events.contains("campaign_replied"),
            "{db}: {events}"
        );
    }
}

#[test]
fn the_series_for_peoples_own_devices_goes_only_to_those_who_ask_and_stops_when_they_say() {
    use reqwest::header::COOKIE;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        install_password_manager(&rapport);
        let anna_password = add_account(&rapport, "anna@acme.com", "end_user", None);
        let quiet = rapport.ok(&["campaign", "schedule", "--at", &moment(1)]);
        assert!(!quiet.contains("home-tech"), "{db}: nobody asked for it yet: {quiet}");
        let served = serve(&rapport);
        let base = served.base.as_str();
        let http = client();
        let anna = runtime.block_on(first_sign_in(&http, base, "anna@acme.com", &anna_password));
        let set = |fields: Vec<(&'static str, &str)>| {
            runtime.block_on(async {
                let mut form = fields;
                form.extend([("rhythm", "daily"), ("personal_form", "1"), ("csrf", anna.csrf.as_str())]);
                let saved = http
                    .post(format!("{base}/me/preferences"))
                    .header(COOKIE, &anna.cookie)
                    .form(&form)
                    .send()
                    .await;
                assert_eq!(saved.unwrap().status(), 303, "{db}");
                let page =
                    http.get(format!("{base}/me/preferences")).header(COOKIE, &anna.cookie).send().await;
                page.unwrap().text().await.unwrap()
            })
        };
        let page = set(vec![("personal_series", "on")]);
        assert!(
            page.contains("id=\"personal-series\" name=\"personal_series\" value=\"on\" checked"),
            "{db}: {page}"
        );
        let tip = rapport.ok(&["campaign", "schedule", "--at", &moment(2)]);
        assert!(
            tip.contains(
                "campaign home-tech: nudge 1 of 8 to Anna Chao: Your phone: let updates install by themselves"
            ),
            "{db}: {tip}"
        );
        rapport.ok(&["messages", "compose"]);
        let (id, subject) = annas_inbox(&rapport)[0].clone();
        assert_eq!(subject, "Your phone: let updates install by themselves", "{db}");
        let shown = rapport.ok(&["messages", "show", &id.to_string()]);
        assert!(
            shown.contains("Hi Anna,\n\nThis tip is for your own phone and home, and your family. You asked for these tips."),
            "{db}: {shown}"
        );
        assert!(shown.contains("meets the end user target"), "{db}: {shown}");

        // Unticked, the series stops.
        let page = set(Vec::new());
        assert!(!page.contains("value=\"on\" checked"), "{db}: {page}");
        let stopped = rapport.ok(&["campaign", "schedule", "--at", &moment(10)]);
        assert!(!stopped.contains("home-tech"), "{db}: {stopped}");
    }
}

#[test]
fn the_campaigns_on_accounts_read_the_directory_and_let_go_when_it_says_the_habit() {
    for rapport in each_backend() {
        let db = &rapport.database;
        rapport.ok(&["demo", "--no-serve", "--samples", &sample("")]);
        install_password_manager(&rapport);
        let header = "name,email,team,audience,mfa,phishing reports\n";
        let people = |mfa: &str, reports: &str| {
            let text = format!("{header}Anna Chao,anna@acme.com,Workplace IT,end user,{mfa},{reports}\n");
            rapport.write("people-accounts.csv", text.as_bytes())
        };
        let refused = rapport.fails(&["people", "import", &people("maybe", "0")]);
        assert!(refused.contains("`mfa` is \"maybe\": expected yes or no"), "{db}: {refused}");
        let refused = rapport.fails(&["people", "import", &people("no", "a few")]);
        assert!(
            refused.contains("`phishing reports` is \"a few\": expected a whole number"),
            "{db}: {refused}"
        );

        rapport.ok(&["people", "import", &people("no", "0")]);
        let nudged = rapport.ok(&["campaign", "schedule", "--at", &moment(2)]);
        assert!(
            nudged.contains(
                "campaign two-step-sign-in: nudge 1 of 8 to Anna Chao: Add a second step to your work sign-in"
            ),
            "{db}: {nudged}"
        );
        assert!(nudged.contains("1 for having had one today"), "{db}: report-phishing waits a day: {nudged}");
        // The identity provider's next export says she set it up, and she reported a message.
        rapport.ok(&["people", "import", &people("yes", "1")]);
        let thanked = rapport.ok(&["campaign", "schedule", "--at", &moment(4)]);
        assert!(
            thanked.contains("campaign two-step-sign-in: Anna Chao's devices now show the habit"),
            "{db}: {thanked}"
        );
        let status = rapport.ok(&["campaign", "status", "two-step-sign-in"]);
        assert!(status.contains("1 person in it, 1 of them showing the habit now"), "{db}: {status}");
        // An export without the columns leaves what the last one said.
        rapport.ok(&["people", "import", &sample("people/people.csv")]);
        let quiet = rapport.ok(&["campaign", "schedule", "--at", &moment(5)]);
        assert!(!quiet.contains("two-step-sign-in: nudge"), "{db}: {quiet}");
    }
}
