//! Eight simulated weeks of hygiene campaigns (issue "Habits", item 7): a generated directory
//! and Fleet inventory of a few hundred Macs, a clock that is a parameter, the inventory
//! reporting in once a week, and some of its users fixing their gaps each week. The use cases
//! are called as the server's clock calls them: a tick and a compose a day, a refresh after
//! each inventory, and on the last day two ticks at once, as two servers would.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rapport_core::{EventKind, Topic};
use rapport_storage::{EventFilter, MessageFilter, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::support::each_backend;

const PEOPLE: usize = 300;
const WEEKS: i64 = 8;
const START: OffsetDateTime = datetime!(2027-01-04 10:00 UTC);

/// What device `index` shows: an old macOS, a week without a restart, an unencrypted disk.
#[derive(Clone, Copy)]
struct Gaps {
    old_macos: bool,
    no_restart: bool,
    unencrypted: bool,
}

fn gaps_of(index: usize) -> Gaps {
    Gaps {
        old_macos: index.is_multiple_of(3),
        no_restart: index.is_multiple_of(2),
        unencrypted: index.is_multiple_of(5),
    }
}

/// The week (from 1) device `index`'s user fixes every gap in, if ever.
fn fixed_in_week(index: usize) -> Option<i64> {
    let week = (index % 10) as i64;
    (1..WEEKS).contains(&week).then_some(week)
}

fn email(index: usize) -> String {
    format!("person{index}@example.org")
}

fn directory(folder: &Path) -> std::path::PathBuf {
    let zones = ["Europe/London", "America/New_York", "Asia/Tokyo", "UTC"];
    let mut csv = String::from("name,email,username,team,manager,audience,time zone,locale,chat\n");
    for index in 0..PEOPLE {
        csv.push_str(&format!(
            "Person {index},{},,Team {},,end user,{},en-GB,\n",
            email(index),
            index % 6,
            zones[index % zones.len()]
        ));
    }
    let path = folder.join("people.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

/// The Fleet hosts document of the inventory reporting at `at`.
fn inventory(folder: &Path, at: OffsetDateTime) -> std::path::PathBuf {
    let week = (at - START).whole_weeks();
    let hosts: Vec<serde_json::Value> = (0..PEOPLE)
        .map(|index| {
            let gaps = gaps_of(index);
            let fixed = fixed_in_week(index).is_some_and(|fixed| week >= fixed);
            let days_up = if gaps.no_restart && !fixed { 10 + 7 * week } else { 1 };
            serde_json::json!({
                "uuid": format!("device-{index}"),
                "hostname": format!("mac-{index}.local"),
                "hardware_serial": format!("C02X{index:06}"),
                "osquery_version": "5.14.1",
                "platform": "darwin",
                "os_version": if gaps.old_macos && !fixed { "macOS 15.2" } else { "macOS 15.7.2" },
                "seen_time": at.format(&time::format_description::well_known::Rfc3339).unwrap(),
                "uptime": days_up * 86_400 * 1_000_000_000,
                "disk_encryption_enabled": !gaps.unencrypted || fixed,
                "device_mapping": [{"email": email(index)}],
            })
        })
        .collect();
    let path = folder.join(format!("fleet-week-{week}.json"));
    std::fs::write(&path, serde_json::to_vec(&serde_json::json!({ "hosts": hosts })).unwrap()).unwrap();
    path
}

async fn simulate(store: &Store, folder: &Path) {
    rapport_workflows::import_directory(store, &directory(folder), || START).await.unwrap();
    let templates = rapport_workflows::templates_in_force(store).await.unwrap();
    for day in 0..WEEKS * 7 {
        let now = START + Duration::days(day);
        if day % 7 == 0 {
            let path = inventory(folder, now);
            rapport_workflows::import_inventory(store, &path, None, || now).await.unwrap();
            rapport_workflows::refresh(store, now).await.unwrap();
        }
        // On the last day two servers tick at once: each nudge is still sent once.
        if day == WEEKS * 7 - 1 {
            let (first, second) =
                tokio::join!(rapport_workflows::tick(store, now), rapport_workflows::tick(store, now));
            first.unwrap();
            second.unwrap();
        } else {
            rapport_workflows::tick(store, now).await.unwrap();
        }
        rapport_workflows::compose_messages(store, &templates, now).await.unwrap();
    }
}

#[test]
fn eight_weeks_of_campaigns_keep_every_cap_and_budget_and_let_go_within_one_inventory_cycle() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for rapport in each_backend() {
        let db = rapport.database.clone();
        runtime.block_on(async {
            let store = Store::connect(&db).await.unwrap();
            simulate(&store, rapport.work.path()).await;
            let events = store.events(&EventFilter::default()).await.unwrap();
            // Per campaign and person: when each nudge went, and when the thanks did.
            let mut nudges: BTreeMap<(String, String), Vec<OffsetDateTime>> = BTreeMap::new();
            let mut thanks: BTreeMap<(String, String), Vec<OffsetDateTime>> = BTreeMap::new();
            for event in &events {
                let key = || (event.facts.campaign.clone().unwrap(), event.facts.person.clone().unwrap());
                match event.kind {
                    EventKind::CampaignNudged => nudges.entry(key()).or_default().push(event.at),
                    EventKind::HabitShown => thanks.entry(key()).or_default().push(event.at),
                    _ => {}
                }
            }
            // Someone with several gaps has one nudge a day: the others are held, and counted,
            // each once a day, in the figures and in their team's.
            let figures = rapport_workflows::campaign_figures(&store).await.unwrap();
            for campaign in &figures {
                let sent = nudges
                    .iter()
                    .filter(|((name, _), _)| *name == campaign.name)
                    .map(|(_, at)| at.len() as u64);
                assert_eq!(campaign.nudges, sent.sum::<u64>(), "{db}: {}", campaign.name);
                let by_teams: u64 = campaign.teams.iter().map(|team| team.nudges).sum();
                assert_eq!(by_teams, campaign.nudges, "{db}: {}", campaign.name);
                let days = (WEEKS * 7) as u64;
                assert!(campaign.held_for_the_day <= days * PEOPLE as u64, "{db}: {}", campaign.name);
            }
            assert!(figures.iter().any(|campaign| campaign.held_for_the_day > 0), "{db}: nothing was held");
            let mut per_person: HashMap<&str, Vec<OffsetDateTime>> = HashMap::new();
            for ((campaign, person), sent) in &nudges {
                assert!(sent.len() <= 8, "{db}: {campaign} nudged {person} {} times", sent.len());
                for (index, at) in sent.iter().enumerate() {
                    let in_week =
                        sent[..=index].iter().filter(|earlier| **earlier > *at - Duration::WEEK).count();
                    assert!(
                        in_week <= 2,
                        "{db}: {campaign} nudged {person} {in_week} times in the week to {at}"
                    );
                }
                per_person.entry(person.as_str()).or_default().extend(sent);
            }
            for (person, sent) in &mut per_person {
                sent.sort();
                for pair in sent.windows(2) {
                    assert!(pair[1] - pair[0] >= Duration::DAY, "{db}: {person} had two nudges within a day");
                }
            }
            for index in 0..PEOPLE {
                let person = email(index);
                let gaps = gaps_of(index);
                let fixed_at = fixed_in_week(index).map(|week| START + Duration::weeks(week));
                for (campaign, had_gap) in [
                    ("os-updates", gaps.old_macos),
                    ("restart-weekly", gaps.no_restart),
                    ("disk-encryption", gaps.unencrypted),
                ] {
                    let key = (campaign.to_owned(), person.clone());
                    let sent = nudges.get(&key).map(Vec::as_slice).unwrap_or_default();
                    let thanked = thanks.get(&key).map(Vec::as_slice).unwrap_or_default();
                    if !had_gap {
                        assert!(
                            sent.is_empty() && thanked.is_empty(),
                            "{db}: {person} has no gap for {campaign}"
                        );
                        continue;
                    }
                    // Everyone with a gap hears of it in the first week, budget permitting.
                    assert!(
                        sent.first().is_some_and(|first| *first < START + Duration::WEEK * 2),
                        "{db}: {person} was never nudged for {campaign}: {sent:?}"
                    );
                    match fixed_at {
                        Some(fixed_at) => {
                            assert_eq!(
                                thanked,
                                [fixed_at],
                                "{db}: {person} thanked once, in the cycle of the fix"
                            );
                            assert!(
                                sent.iter().all(|at| *at < fixed_at),
                                "{db}: {person} nudged after the fix"
                            );
                        }
                        None => assert!(thanked.is_empty(), "{db}: {person} never fixed {campaign}"),
                    }
                }
                // Nudges and thanks count against the person's weekly budget of 3; what goes over
                // it waits for their weekly digest, one message.
                let received = store
                    .messages(&MessageFilter { recipient: Some(person.clone()), ..MessageFilter::default() })
                    .await
                    .unwrap();
                let sent_when = |digest: bool| -> Vec<OffsetDateTime> {
                    received
                        .iter()
                        .filter(|stored| {
                            stored_counted(stored) && (stored.message.topic == Topic::Digest) == digest
                        })
                        .map(|stored| stored.composed_at)
                        .collect()
                };
                for (digest, most) in [(false, 3), (true, 1)] {
                    let sent = sent_when(digest);
                    for at in &sent {
                        let in_week = sent
                            .iter()
                            .filter(|other| **other <= *at && **other > *at - Duration::WEEK)
                            .count();
                        assert!(
                            in_week <= most,
                            "{db}: {person} got {in_week} (digests: {digest}) in the week to {at}"
                        );
                    }
                }
                // A thanks over the budget waits for the weekly digest; a habit the whole team
                // took up is thanked as the team's win, within the same budget.
                let topics: Vec<Topic> = received.iter().map(|stored| stored.message.topic).collect();
                assert!(
                    topics.iter().all(|topic| {
                        matches!(topic, Topic::Nudge | Topic::HabitThanks | Topic::Digest | Topic::Win)
                    }),
                    "{db}: {topics:?}"
                );
            }
            let total: usize = nudges.values().map(Vec::len).sum();
            assert!(total > PEOPLE, "{db}: {total} nudges in eight weeks");
            eprintln!(
                "{db}: eight weeks, {PEOPLE} people: {total} nudges to {} people in {} campaigns, {} thanks",
                per_person.len(),
                nudges.keys().map(|(campaign, _)| campaign).collect::<std::collections::BTreeSet<_>>().len(),
                thanks.values().map(Vec::len).sum::<usize>()
            );
            store.close().await;
        });
    }
}

/// Sent, now or after quiet hours, and counted against the reader's budget.
fn stored_counted(stored: &rapport_storage::StoredMessage) -> bool {
    matches!(stored.message.route, rapport_core::Route::Send { counted: true, .. })
}
