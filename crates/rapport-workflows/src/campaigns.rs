//! Hygiene campaigns at work: the catalogue in force (the shipped files, with those the
//! security team applied over them), and each tick's scheduling: who joins a campaign
//! because inventory shows the gap on one of their devices, who is nudged now within the
//! campaign's caps and their weekly budget, and who is thanked once their devices show the
//! habit. Each nudge and each thanks is an event; the composer turns it into the message.

use std::collections::{HashMap, HashSet};

use rapport_core::{
    Actor, Campaign, CampaignStep, EventFacts, EventKind, Person, Reported, Shown, campaign_steps,
};
use rapport_formats::{DEFAULT_CAMPAIGNS, parse_campaign};
use rapport_storage::{
    CampaignChange, CampaignHold, CampaignTally, DeviceReported, HoldReason, NewEvent, Store,
    StoredCampaignFile, StoredEnrolment,
};
use time::{Duration, OffsetDateTime};

use crate::PlanError;
use crate::policy::current_policy;

/// Reads a campaign file, refused with its line.
pub fn compile_campaign(name: &str, text: &str) -> Result<Campaign, PlanError> {
    parse_campaign(text)
        .map_err(|error| PlanError::Campaign { name: name.to_owned(), message: error.to_string() })
}

/// The campaigns in force, in the catalogue's order: the shipped ones unless switched off or
/// replaced, then those the security team added.
pub async fn campaigns_in_force(store: &Store) -> Result<Vec<Campaign>, PlanError> {
    let applied = store.campaign_files().await?;
    let mut campaigns = Vec::new();
    for (name, text) in DEFAULT_CAMPAIGNS {
        if !applied.iter().any(|file| file.name == name) {
            campaigns.push(compile_campaign(name, text)?);
        }
    }
    for file in applied.iter().filter(|file| file.active) {
        // Stored only once it passed; a file that no longer passes stays out, and says so.
        match compile_campaign(&file.name, &file.content) {
            Ok(campaign) => campaigns.push(campaign),
            Err(error) => tracing::warn!(%error, "a stored campaign no longer passes; it is left out"),
        }
    }
    Ok(campaigns)
}

/// Applies a campaign file (new, or replacing the one of its name), once it passes.
pub async fn apply_campaign(
    store: &Store,
    file_name: &str,
    text: &str,
    by: Option<&str>,
    now: OffsetDateTime,
) -> Result<Campaign, PlanError> {
    let campaign = compile_campaign(file_name, text)?;
    let file = StoredCampaignFile {
        name: campaign.name.clone(),
        content: text.to_owned(),
        active: true,
        applied_by: by.map(str::to_owned),
        applied_at: now,
    };
    store.set_campaign_file(&file, format!("campaign {} applied from {file_name}", campaign.name)).await?;
    Ok(campaign)
}

/// Switches the campaign named `name` on or off: while it is off nobody is nudged or thanked
/// in it, and where each person stands is kept for when it is on again. A shipped campaign
/// switched back on is the shipped one again, as later releases word it. Returns whether it
/// was not so already.
pub async fn switch_campaign(
    store: &Store,
    name: &str,
    on: bool,
    by: Option<&str>,
    now: OffsetDateTime,
) -> Result<bool, PlanError> {
    let applied = store.campaign_files().await?.into_iter().find(|file| file.name == name);
    let shipped = DEFAULT_CAMPAIGNS.iter().find(|(known, _)| *known == name).map(|(_, text)| *text);
    let is_on = match (&applied, shipped) {
        (Some(file), _) => file.active,
        (None, Some(_)) => true,
        (None, None) => {
            return Err(rapport_core::Refusal::not_found(format!(
                "no campaign {name:?}; `rapport campaign list` names those in force"
            ))
            .into());
        }
    };
    if is_on == on {
        return Ok(false);
    }
    let detail = format!("campaign {name} switched {}", if on { "on" } else { "off" });
    match (applied, shipped) {
        (Some(file), Some(text)) if on && file.content == text => {
            store.remove_campaign_file(name, by, detail, now).await?;
        }
        (applied, shipped) => {
            let content = applied.map(|file| file.content).or(shipped.map(str::to_owned)).unwrap_or_default();
            let file = StoredCampaignFile {
                name: name.to_owned(),
                content,
                active: on,
                applied_by: by.map(str::to_owned),
                applied_at: now,
            };
            store.set_campaign_file(&file, detail).await?;
        }
    }
    Ok(true)
}

/// What one scheduling run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CampaignReport {
    /// People who joined a campaign (or joined it again after the gap came back).
    pub joined: usize,
    pub nudged: usize,
    pub thanked: usize,
    /// Nudges due but held: the person's weekly budget is spent, or they had a nudge today.
    pub held_by_budget: usize,
    pub held_for_the_day: usize,
    /// The events recorded (nudges and thanks), for the composer.
    pub recorded: Vec<NewEvent>,
}

/// Schedules every campaign in force as of `now`.
pub async fn schedule_campaigns(store: &Store, now: OffsetDateTime) -> Result<CampaignReport, PlanError> {
    let campaigns = campaigns_in_force(store).await?;
    let mut software: Vec<String> =
        campaigns.iter().flat_map(Campaign::software_names).map(str::to_owned).collect();
    software.sort_unstable();
    software.dedup();
    // The reads are independent: each on its own connection, at once.
    let ((policy, _), people, inventory, stored, sent, asked) = tokio::try_join!(
        current_policy(store, now),
        async { Ok::<_, PlanError>(store.people().await?) },
        async { Ok::<_, PlanError>(store.devices_reported(&software).await?) },
        async { Ok::<_, PlanError>(store.campaign_enrolments().await?) },
        async { Ok::<_, PlanError>(store.sent_lately(None, now - Duration::WEEK).await?) },
        async { Ok::<_, PlanError>(store.personal_series_members().await?) },
    )?;
    let budget = policy.spec.messages.weekly_budget_per_person as usize;
    let devices = devices_by_person(&people, &inventory);
    // Keyed by borrowed names: a key built for each lookup would cost an allocation per
    // person and campaign.
    let enrolments: HashMap<(&str, &str), &StoredEnrolment> =
        stored.iter().map(|stored| ((stored.campaign.as_str(), stored.person.as_str()), stored)).collect();
    let mut counted: HashMap<&str, usize> = HashMap::new();
    for sent in sent.iter().filter(|sent| sent.counted) {
        *counted.entry(sent.recipient.as_str()).or_default() += 1;
    }
    let mut nudged_today: HashSet<&str> = HashSet::new();
    for stored in enrolments.values() {
        if stored.enrolment.nudged.iter().any(|at| *at > now - Duration::DAY) {
            nudged_today.insert(stored.person.as_str());
        }
    }
    let mut report = CampaignReport::default();
    let mut changes = Vec::new();
    let mut holds = Vec::new();
    let members = personal_members(&people, asked);
    for campaign in &campaigns {
        for Concerned { email, person, owned, gap, shown } in shown_to(campaign, &devices, &members, now) {
            let enrolled = enrolments.get(&(campaign.name.as_str(), email.as_str()));
            let mut round = enrolled.map_or(1, |stored| stored.enrolment.round);
            for step in
                campaign_steps(&campaign.exposures, enrolled.map(|stored| &stored.enrolment), shown, now)
            {
                let event = match step {
                    CampaignStep::Start { round: started, .. } => {
                        round = started;
                        report.joined += 1;
                        None
                    }
                    CampaignStep::Nudge { index } => {
                        let spent = counted.get(email.as_str()).copied().unwrap_or(0);
                        let hold = |reason| CampaignHold {
                            campaign: campaign.name.clone(),
                            person: email.clone(),
                            round,
                            reason,
                        };
                        if spent >= budget {
                            report.held_by_budget += 1;
                            holds.push(hold(HoldReason::Budget));
                            continue;
                        }
                        if !nudged_today.insert(email.as_str()) {
                            report.held_for_the_day += 1;
                            holds.push(hold(HoldReason::Day));
                            continue;
                        }
                        *counted.entry(email.as_str()).or_default() += 1;
                        Some(nudge_event(campaign, person, &gap, round, index))
                    }
                    CampaignStep::HabitShown { thanked } => {
                        thanked.then(|| thanks_event(campaign, person, owned, round))
                    }
                };
                changes.push(CampaignChange {
                    campaign: campaign.name.clone(),
                    person: email.clone(),
                    team: person.team.clone(),
                    round,
                    step,
                    event,
                });
            }
        }
    }
    report.recorded = store.record_campaign_steps(&changes, now).await?;
    store.record_campaign_holds(&holds, now.date()).await?;
    for event in &report.recorded {
        match event.kind {
            EventKind::CampaignNudged => report.nudged += 1,
            EventKind::HabitShown => report.thanked += 1,
            _ => {}
        }
    }
    Ok(report)
}

/// One person a campaign concerns: their devices, those that show its gap, and what that
/// makes of them.
struct Concerned<'a> {
    email: &'a String,
    person: &'a Person,
    owned: &'a [&'a DeviceReported],
    gap: Vec<&'a DeviceReported>,
    shown: Shown,
}

/// Each person a campaign concerns, with their devices and what inventory shows of them: for
/// a campaign on devices, everyone whose devices inventory knows; for a personal series,
/// those who asked for it, as if they showed its gap since they did, whatever their devices.
fn shown_to<'a>(
    campaign: &Campaign,
    devices: &'a HashMap<String, (&'a Person, Vec<&'a DeviceReported>)>,
    members: &'a [(String, &'a Person, OffsetDateTime)],
    now: OffsetDateTime,
) -> Vec<Concerned<'a>> {
    if campaign.personal {
        return members
            .iter()
            .map(|(email, person, since)| Concerned {
                email,
                person,
                owned: &[],
                gap: Vec::new(),
                shown: Shown::Gap { since: *since, latest: now },
            })
            .collect();
    }
    devices
        .iter()
        .map(|(email, (person, owned))| {
            let gap: Vec<&DeviceReported> =
                owned.iter().copied().filter(|device| shows(campaign, device, person, true)).collect();
            // A device inventory never dated counts as reported now.
            let reports: Vec<OffsetDateTime> =
                gap.iter().map(|device| device.last_seen.unwrap_or(now)).collect();
            let shown = match (reports.iter().min(), reports.iter().max()) {
                (Some(since), Some(latest)) => Shown::Gap { since: *since, latest: *latest },
                _ if owned.iter().any(|device| shows(campaign, device, person, false)) => Shown::Habit,
                _ => Shown::Nothing,
            };
            Concerned { email, person, owned, gap, shown }
        })
        .collect()
}

/// The active people of the directory who asked for the series for their own devices.
fn personal_members(
    people: &[Person],
    asked: Vec<(String, OffsetDateTime)>,
) -> Vec<(String, &Person, OffsetDateTime)> {
    let by_email: HashMap<String, &Person> = people
        .iter()
        .filter(|person| person.active)
        .filter_map(|person| Some((person.email.as_deref()?.to_lowercase(), person)))
        .collect();
    asked
        .into_iter()
        .filter_map(|(email, since)| {
            let email = email.to_lowercase();
            let person = by_email.get(&email).copied()?;
            Some((email, person, since))
        })
        .collect()
}

/// Turns the series for their own phone, home network and family accounts on or off for
/// `email`; on only for someone active in the directory.
pub async fn choose_personal_series(
    store: &Store,
    email: &str,
    on: bool,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    if !on {
        return Ok(store.set_personal_series(email, None, now).await?);
    }
    let known = store.people().await?.iter().any(|person| {
        person.active && person.email.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(email))
    });
    if !known {
        return Err(rapport_core::Refusal::invalid(
            "personal_series",
            format!("{email} is not in the directory, so no tips can be sent to them"),
        )
        .into());
    }
    let since = match (on, store.personal_series_since(email).await?) {
        (true, Some(since)) => Some(since),
        (true, None) => Some(now),
        (false, _) => None,
    };
    Ok(store.set_personal_series(email, since, now).await?)
}

/// How a campaign is doing: who is in it, who took up the habit, and how soon.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignFigures {
    pub name: String,
    pub goal: String,
    /// People whose devices show the gap now, in the campaign.
    pub in_gap: usize,
    /// People whose devices show the habit after showing the gap, and of them those who
    /// closed it within its grace, before any nudge.
    pub adopted: usize,
    pub adopted_before_a_nudge: usize,
    /// The share of everyone who was in it whose devices show the habit now.
    pub adoption: Option<f64>,
    /// Median days from a person's first nudge to their devices showing the habit.
    pub median_days_to_habit: Option<f64>,
    /// Nudges sent, and the days a due one was held by the person's weekly budget or for their
    /// having had one that day, every round counted.
    pub nudges: u64,
    pub held_by_budget: u64,
    pub held_for_the_day: u64,
    /// Answers in the rounds under way: "done", and "I can't".
    pub said_done: usize,
    pub said_cannot: usize,
    /// The same per team, by name (people in no team under "").
    pub teams: Vec<TeamCampaignFigures>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamCampaignFigures {
    pub team: String,
    pub in_gap: usize,
    pub adopted: usize,
    pub nudges: u64,
    pub held_by_budget: u64,
    pub said_cannot: usize,
}

/// One person in one campaign, for the security team: where they stand and what they were
/// sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonInCampaign {
    /// Their email, in lower case.
    pub person: String,
    pub team: Option<String>,
    pub round: u32,
    pub gap_since: OffsetDateTime,
    /// Nudges of the round under way.
    pub nudged: usize,
    /// When the habit showed, ending the round.
    pub habit_at: Option<OffsetDateTime>,
    pub said_done: Option<OffsetDateTime>,
    pub said_cannot: bool,
    /// Every round counted: nudges sent, and the days a due one was held.
    pub tally: CampaignTally,
}

/// A campaign in force and the people in it.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignPeople {
    pub campaign: Campaign,
    pub people: Vec<PersonInCampaign>,
}

/// The people in the campaign named `name` (only those of `team`, when given; "" for people in
/// no team), by email.
pub async fn campaign_people(
    store: &Store,
    name: &str,
    team: Option<&str>,
) -> Result<CampaignPeople, PlanError> {
    let campaign =
        campaigns_in_force(store).await?.into_iter().find(|campaign| campaign.name == name).ok_or_else(
            || {
                rapport_core::Refusal::not_found(format!(
                    "no campaign {name:?} in force; `rapport campaign list` names them"
                ))
            },
        )?;
    let tallies = store.campaign_tallies().await?;
    let mut people: Vec<PersonInCampaign> = store
        .campaign_enrolments()
        .await?
        .into_iter()
        .filter(|stored| stored.campaign == name)
        .filter(|stored| team.is_none_or(|team| stored.team.as_deref().unwrap_or_default() == team))
        .map(|stored| PersonInCampaign {
            tally: tallies
                .get(&(stored.campaign.clone(), stored.person.clone()))
                .copied()
                .unwrap_or_default(),
            round: stored.enrolment.round,
            gap_since: stored.enrolment.gap_since,
            nudged: stored.enrolment.nudged.len(),
            habit_at: stored.enrolment.habit_at,
            said_done: stored.enrolment.said_done,
            said_cannot: stored.enrolment.cannot,
            person: stored.person,
            team: stored.team,
        })
        .collect();
    people.sort_by(|a, b| a.person.cmp(&b.person));
    Ok(CampaignPeople { campaign, people })
}

/// Each campaign in force, with its figures.
pub async fn campaign_figures(store: &Store) -> Result<Vec<CampaignFigures>, PlanError> {
    let campaigns = campaigns_in_force(store).await?;
    let enrolments = store.campaign_enrolments().await?;
    let tallies = store.campaign_tallies().await?;
    Ok(campaigns
        .iter()
        .map(|campaign| {
            let own: Vec<&StoredEnrolment> =
                enrolments.iter().filter(|stored| stored.campaign == campaign.name).collect();
            figures_of(campaign, &own, &tallies)
        })
        .collect())
}

fn figures_of(
    campaign: &Campaign,
    enrolled: &[&StoredEnrolment],
    tallies: &HashMap<(String, String), CampaignTally>,
) -> CampaignFigures {
    let tally_of = |stored: &StoredEnrolment| {
        tallies.get(&(stored.campaign.clone(), stored.person.clone())).copied().unwrap_or_default()
    };
    let adopted = |stored: &&&StoredEnrolment| stored.enrolment.habit_at.is_some();
    let mut days: Vec<f64> = enrolled
        .iter()
        .filter_map(|stored| {
            let standing = &stored.enrolment;
            let first = standing.nudged.first()?;
            Some((standing.habit_at? - *first).as_seconds_f64() / 86_400.0)
        })
        .collect();
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => None,
        count if count % 2 == 1 => days.get(count / 2).copied(),
        count => Some(
            (days.get(count / 2 - 1).copied().unwrap_or(0.0) + days.get(count / 2).copied().unwrap_or(0.0))
                / 2.0,
        ),
    };
    let mut teams: std::collections::BTreeMap<String, TeamCampaignFigures> =
        std::collections::BTreeMap::new();
    for stored in enrolled {
        let team = stored.team.clone().unwrap_or_default();
        let figures = teams.entry(team.clone()).or_insert(TeamCampaignFigures {
            team,
            in_gap: 0,
            adopted: 0,
            nudges: 0,
            held_by_budget: 0,
            said_cannot: 0,
        });
        let tally = tally_of(stored);
        figures.nudges += tally.nudges;
        figures.held_by_budget += tally.held_by_budget;
        figures.said_cannot += usize::from(stored.enrolment.cannot);
        if stored.enrolment.habit_at.is_some() {
            figures.adopted += 1;
        } else {
            figures.in_gap += 1;
        }
    }
    let adopted_count = enrolled.iter().filter(adopted).count();
    CampaignFigures {
        name: campaign.name.clone(),
        goal: campaign.goal.clone(),
        in_gap: enrolled.len() - adopted_count,
        adopted: adopted_count,
        adopted_before_a_nudge: enrolled
            .iter()
            .filter(adopted)
            .filter(|stored| stored.enrolment.nudged.is_empty())
            .count(),
        adoption: (!enrolled.is_empty()).then(|| adopted_count as f64 / enrolled.len() as f64),
        median_days_to_habit: median,
        nudges: enrolled.iter().map(|stored| tally_of(stored).nudges).sum(),
        held_by_budget: enrolled.iter().map(|stored| tally_of(stored).held_by_budget).sum(),
        held_for_the_day: enrolled.iter().map(|stored| tally_of(stored).held_for_the_day).sum(),
        said_done: enrolled.iter().filter(|stored| stored.enrolment.said_done.is_some()).count(),
        said_cannot: enrolled.iter().filter(|stored| stored.enrolment.cannot).count(),
        teams: teams.into_values().collect(),
    }
}

/// Whether inventory shows the campaign's gap (or its habit) on a device.
fn shows(campaign: &Campaign, device: &DeviceReported, user: &Person, gap: bool) -> bool {
    let reported = Reported {
        facts: &device.facts,
        software: device.software.as_deref(),
        last_seen: device.last_seen.map(OffsetDateTime::unix_timestamp),
        user: Some(user),
    };
    if gap { campaign.shows_gap(&reported) } else { campaign.shows_habit(&reported) }
}

/// Each active person with an email and the devices inventory says they use, by email in
/// lower case. A device's user is an email or a login name.
fn devices_by_person<'a>(
    people: &'a [Person],
    devices: &'a [DeviceReported],
) -> HashMap<String, (&'a Person, Vec<&'a DeviceReported>)> {
    let mut by_login: HashMap<String, &Person> = HashMap::new();
    for person in people.iter().filter(|person| person.active) {
        if let Some(email) = &person.email {
            by_login.insert(email.to_lowercase(), person);
        }
        if let Some(name) = &person.username {
            by_login.entry(name.to_lowercase()).or_insert(person);
        }
    }
    let mut owned: HashMap<String, (&Person, Vec<&DeviceReported>)> = HashMap::new();
    for device in devices {
        let user = device.facts.user.as_deref();
        let Some(person) = user.and_then(|user| by_login.get(&user.to_lowercase())) else { continue };
        let Some(email) = &person.email else { continue };
        owned.entry(email.to_lowercase()).or_insert_with(|| (*person, Vec::new())).1.push(device);
    }
    owned
}

fn device_names(devices: &[&DeviceReported]) -> Vec<String> {
    devices.iter().map(|device| device.display_name().to_owned()).collect()
}

fn nudge_event(
    campaign: &Campaign,
    person: &Person,
    gap: &[&DeviceReported],
    round: u32,
    index: usize,
) -> NewEvent {
    let email = person.email.clone().unwrap_or_default().to_lowercase();
    let subject = campaign.nudges.get(index).map(|nudge| nudge.subject.as_str()).unwrap_or_default();
    NewEvent {
        kind: EventKind::CampaignNudged,
        actor: Actor::Clock,
        team: person.team.clone(),
        action: None,
        subject: Some(format!("campaign {}", campaign.name)),
        detail: format!(
            "nudge {} of {} to {}: {subject}",
            index + 1,
            campaign.exposures.lifetime,
            person.name
        ),
        facts: EventFacts {
            campaign: Some(campaign.name.clone()),
            person: Some(email.clone()),
            nudge: Some(index),
            devices: device_names(gap),
            ..EventFacts::default()
        },
        once: Some(format!("nudge:{}:{email}:{round}:{index}", campaign.name)),
    }
}

fn thanks_event(campaign: &Campaign, person: &Person, devices: &[&DeviceReported], round: u32) -> NewEvent {
    let email = person.email.clone().unwrap_or_default().to_lowercase();
    NewEvent {
        kind: EventKind::HabitShown,
        actor: Actor::Scan,
        team: person.team.clone(),
        action: None,
        subject: Some(format!("campaign {}", campaign.name)),
        detail: format!("{}'s devices now show the habit: {}", person.name, campaign.goal),
        facts: EventFacts {
            campaign: Some(campaign.name.clone()),
            person: Some(email.clone()),
            devices: device_names(devices),
            ..EventFacts::default()
        },
        once: Some(format!("habit:{}:{email}:{round}", campaign.name)),
    }
}
