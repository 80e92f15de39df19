//! Follow-through: advisories become drafts of one thing to do, for only the people and teams
//! they concern. The advisories are new KEV entries, the OSV and CSAF records each intel
//! import adds, and the releases of the vendor feeds the settings file names (fetched with
//! conditional requests). An advisory that concerns nobody in the estate is not drafted. A
//! draft waits for the security team to read, edit and send it, unless its category goes by
//! itself; sending records one event per person and team, which the composer turns into
//! messages within each reader's budget and hours.
//!
//! Who an advisory concerns: the people who use a device that runs its software below the
//! fixed version, or that has an open finding of its vulnerabilities (as end users); and the
//! owning teams of such devices and systems that nobody in the directory uses.

use std::collections::{BTreeMap, HashMap, HashSet};

use rapport_core::{
    Actor, Advisory, Audience, DraftState, DraftWording, EventFacts, EventKind, Feed, FollowThroughSettings,
    KevEntry, Person, Principal, Refusal, Wording,
};
use rapport_formats::{parse_follow_through, parse_release_feed};
use rapport_messages::draft_wording;
use rapport_storage::{DeviceRunning, FindingPlace, NewEvent, Store, StoredDraft};
use reqwest::StatusCode;
use time::{Duration, OffsetDateTime};

use crate::PlanError;
use crate::listen::checked_text;

/// A KEV entry added this recently is news; older ones reached the plans as they came.
const KEV_NEWS_DAYS: i64 = 30;

/// The longest subject, body and one thing to do the security team may write.
const MAX_SUBJECT_CHARS: usize = 120;
const MAX_BODY_CHARS: usize = 2_000;

/// Who a draft would reach, person by person and team by team.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub people: Vec<PersonReached>,
    pub teams: Vec<TeamReached>,
    /// Devices and systems it concerns that nobody can be told of: their user is not in the
    /// directory (or has no email) and no team owns them.
    pub unreached: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonReached {
    pub email: String,
    pub name: String,
    pub team: Option<String>,
    /// Their devices it concerns, each with the version it runs.
    pub devices: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamReached {
    pub team: String,
    pub places: Vec<String>,
    /// The team's engineers and managers who would read it.
    pub readers: Vec<String>,
}

impl Reach {
    pub fn is_empty(&self) -> bool {
        self.people.is_empty() && self.teams.is_empty()
    }

    /// Every reader: the people, and the teams' engineers and managers.
    pub fn readers(&self) -> usize {
        self.people.len() + self.teams.iter().map(|team| team.readers.len()).sum::<usize>()
    }
}

/// What one drafting run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drafted {
    /// New drafts waiting for review.
    pub drafts: Vec<i64>,
    /// New drafts of an automatic category, sent as they were drafted.
    pub sent: Vec<i64>,
    /// Vendor feeds that had not changed since they were last fetched.
    pub unchanged_feeds: usize,
    /// Vendor feeds that could not be fetched or read, each with why; the others still ran.
    pub failed_feeds: Vec<String>,
}

/// The settings in force: the last file the security team applied, or none.
pub async fn follow_through_settings(store: &Store) -> Result<FollowThroughSettings, PlanError> {
    match store.follow_through_settings().await? {
        Some(stored) => parse_follow_through(&stored.content).map_err(|error| {
            PlanError::Refused(Refusal::invalid(
                &stored.file,
                format!("the stored settings no longer pass: {error}"),
            ))
        }),
        None => Ok(FollowThroughSettings::default()),
    }
}

/// Checks a settings file and puts it in force.
pub async fn apply_follow_through(
    store: &Store,
    file_name: &str,
    text: &str,
    by: Option<&str>,
    now: OffsetDateTime,
) -> Result<FollowThroughSettings, PlanError> {
    let settings = parse_follow_through(text)
        .map_err(|error| Refusal::invalid(file_name, format!("{file_name} is refused: {error}")))?;
    store.set_follow_through_settings(file_name, text, by, now).await?;
    Ok(settings)
}

/// Drafts what the intel imported since the last run brings: KEV entries added lately, and
/// the records of every import after the cursor.
pub async fn draft_from_intel(store: &Store, now: OffsetDateTime) -> Result<Drafted, PlanError> {
    let settings = follow_through_settings(store).await?;
    let cursor = store.follow_through_cursor().await?;
    let latest = store.intel_imports().await?.iter().map(|import| import.id).max().unwrap_or(0);
    let mut drafted = Drafted::default();
    if latest <= cursor {
        return Ok(drafted);
    }
    let mut advisories = Vec::new();
    if store.latest_edition(Feed::Kev).await?.is_some_and(|kev| kev.id > cursor) {
        let since = now.date() - Duration::days(KEV_NEWS_DAYS);
        let news: Vec<KevEntry> =
            store.kev_entries().await?.into_iter().filter(|entry| entry.date_added >= since).collect();
        advisories.extend(news.iter().map(Advisory::of_kev));
    }
    // Only records about a vulnerability some open finding has, or about device packages,
    // can concern anyone; the rest of a large import is passed over without a lookup.
    let open = store.open_vulnerabilities().await?;
    store
        .each_vuln_record_since(cursor, |record| {
            let advisory = Advisory::of_record(&record);
            let found = advisory.vulnerabilities.iter().any(|id| open.contains(id.as_str()));
            if found || !advisory.software.is_empty() {
                advisories.push(advisory);
            }
            Ok::<(), PlanError>(())
        })
        .await?;
    let estate = Estate::for_advisories(store, &advisories).await?;
    for advisory in &advisories {
        draft(store, (&settings, &estate), advisory, now, &mut drafted).await?;
    }
    store.set_follow_through_cursor(latest).await?;
    Ok(drafted)
}

/// Fetches every vendor feed the settings name, unless unchanged, and drafts its releases.
/// A feed that fails is reported and the others still run.
pub async fn fetch_release_feeds(
    store: &Store,
    client: &reqwest::Client,
    now: OffsetDateTime,
) -> Result<Drafted, PlanError> {
    let settings = follow_through_settings(store).await?;
    let mut drafted = Drafted::default();
    for feed in &settings.feeds {
        let known = store.feed_validators(&feed.url).await?;
        let fetched = async {
            let response = crate::fetch::conditional_get(client, &feed.url, &known)
                .await
                .map_err(|error| error.to_string())?;
            if response.status() == StatusCode::NOT_MODIFIED {
                return Ok(None);
            }
            if !response.status().is_success() {
                return Err(format!("the server answered {}", response.status()));
            }
            let validators = crate::fetch::validators(response.headers());
            let body = response.bytes().await.map_err(|error| error.to_string())?;
            let releases = parse_release_feed(body.as_ref()).map_err(|error| error.to_string())?;
            Ok(Some((validators, releases)))
        };
        match fetched.await {
            Ok(None) => {
                store.record_feed_check(&feed.url, None, now).await?;
                drafted.unchanged_feeds += 1;
            }
            Ok(Some((validators, releases))) => {
                let advisories: Vec<Advisory> =
                    releases.iter().filter_map(|release| Advisory::of_release(feed, release)).collect();
                let estate = Estate::for_advisories(store, &advisories).await?;
                for advisory in &advisories {
                    draft(store, (&settings, &estate), advisory, now, &mut drafted).await?;
                }
                // Kept only once its releases are drafted: a failure fetches it again.
                store.record_feed_check(&feed.url, Some(&validators), now).await?;
            }
            Err(why) => {
                tracing::warn!(feed = %feed.url, %why, "a vendor feed could not be read");
                drafted.failed_feeds.push(format!("{}: {why}", feed.url));
            }
        }
    }
    Ok(drafted)
}

/// Drafts an advisory that concerns someone, once; sends it at once when its category is
/// automatic.
async fn draft(
    store: &Store,
    (settings, estate): (&FollowThroughSettings, &Estate),
    advisory: &Advisory,
    now: OffsetDateTime,
    drafted: &mut Drafted,
) -> Result<(), PlanError> {
    let reach = estate.reach(advisory);
    if reach.is_empty() {
        return Ok(());
    }
    let Some(id) = store.add_follow_through_draft(advisory, &draft_wording(advisory), now).await? else {
        return Ok(());
    };
    if settings.is_automatic(&advisory.category) {
        send(store, id, &reach, Actor::Scan, now).await?;
        drafted.sent.push(id);
    } else {
        drafted.drafts.push(id);
    }
    Ok(())
}

/// Who an advisory concerns now.
pub async fn follow_through_reach(store: &Store, advisory: &Advisory) -> Result<Reach, PlanError> {
    let estate = Estate::for_advisories(store, std::slice::from_ref(advisory)).await?;
    Ok(estate.reach(advisory))
}

/// What reach is worked out over, read once for all of a run's advisories: a large intel
/// import brings hundreds, and a read of the directory, the devices and the findings for each
/// would take minutes.
struct Estate {
    people: Vec<Person>,
    /// Index into `people` by email and login name (`logins_of`).
    logins: HashMap<String, usize>,
    devices: Vec<DeviceRunning>,
    /// Each open finding's place, with the ids it answers to: its own, and those it is an
    /// alias of.
    findings: Vec<(FindingPlace, Vec<String>)>,
}

impl Estate {
    async fn for_advisories(store: &Store, advisories: &[Advisory]) -> Result<Estate, PlanError> {
        let mut names: Vec<String> = advisories
            .iter()
            .flat_map(|advisory| advisory.software.iter().flat_map(|affected| affected.names.iter().cloned()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let devices = if names.is_empty() { Vec::new() } else { store.devices_running(&names).await? };
        let mut ids: Vec<String> = advisories
            .iter()
            .flat_map(|advisory| advisory.vulnerabilities.iter().map(|id| id.as_str().to_owned()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let findings = if ids.is_empty() {
            Vec::new()
        } else {
            let aliases = store.aliases_of(&ids).await?;
            let mut named = ids.clone();
            named.extend(aliases.iter().map(|(_, alias)| alias.clone()));
            named.sort_unstable();
            named.dedup();
            let mut answers_to: HashMap<String, Vec<String>> = HashMap::new();
            for (id, alias) in aliases {
                answers_to.entry(alias).or_default().push(id);
            }
            store
                .open_findings_of(&named)
                .await?
                .into_iter()
                .map(|found| {
                    let mut ids = answers_to.get(&found.vulnerability).cloned().unwrap_or_default();
                    ids.push(found.vulnerability.clone());
                    (found, ids)
                })
                .collect()
        };
        let people = store.people().await?;
        Ok(Estate { logins: logins_of(&people), people, devices, findings })
    }

    fn reach(&self, advisory: &Advisory) -> Reach {
        let user_of =
            |user: &str| self.logins.get(&user.to_lowercase()).and_then(|index| self.people.get(*index));
        let mut by_person: BTreeMap<String, (&Person, Vec<String>)> = BTreeMap::new();
        let mut by_team: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut unreached = Vec::new();
        let mut place = |user: Option<&str>, team: Option<&str>, label: String| match user.and_then(user_of) {
            Some(person) => {
                let email = person.email.clone().unwrap_or_default().to_lowercase();
                by_person.entry(email).or_insert_with(|| (person, Vec::new())).1.push(label);
            }
            None => match team {
                Some(team) => by_team.entry(team.to_owned()).or_default().push(label),
                None => unreached.push(label),
            },
        };
        for device in &self.devices {
            let Some(old) = device.software.iter().find(|installed| advisory.affects(installed)) else {
                continue;
            };
            let label = format!("{} ({} {})", device.display_name(), old.name, old.version);
            place(device.user.as_deref(), device.owner_team.as_deref(), label);
        }
        let mut seen = HashSet::new();
        for (found, ids) in &self.findings {
            if ids.iter().any(|id| advisory.names(id)) && seen.insert(found.target.as_str()) {
                let label = format!("{} ({})", found.target, found.vulnerability);
                place(found.user.as_deref(), found.owner_team.as_deref(), label);
            }
        }
        let people = by_person
            .into_values()
            .map(|(person, devices)| PersonReached {
                email: person.email.clone().unwrap_or_default().to_lowercase(),
                name: person.name.clone(),
                team: person.team.clone(),
                devices,
            })
            .collect();
        let teams = by_team
            .into_iter()
            .map(|(team, places)| {
                let readers = self
                    .people
                    .iter()
                    .filter(|person| {
                        reachable(person)
                            && matches!(person.audience, Audience::Engineer | Audience::Manager)
                            && person.team.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(&team))
                    })
                    .map(|person| person.name.clone())
                    .collect();
                TeamReached { team, places, readers }
            })
            .collect();
        Reach { people, teams, unreached }
    }
}

fn reachable(person: &Person) -> bool {
    person.active && person.email.is_some()
}

/// The people who can be told, by index, under the email and login name a device may give,
/// in lower case.
fn logins_of(people: &[Person]) -> HashMap<String, usize> {
    let mut logins = HashMap::new();
    for (index, person) in people.iter().enumerate().filter(|(_, person)| reachable(person)) {
        if let Some(email) = &person.email {
            logins.insert(email.to_lowercase(), index);
        }
    }
    for (index, person) in people.iter().enumerate().filter(|(_, person)| reachable(person)) {
        if let Some(name) = &person.username {
            logins.entry(name.to_lowercase()).or_insert(index);
        }
    }
    logins
}

/// The drafts in `state` (every draft when none), newest first.
pub async fn follow_through_drafts(
    store: &Store,
    state: Option<DraftState>,
) -> Result<Vec<StoredDraft>, PlanError> {
    Ok(store.follow_through_drafts(state).await?)
}

/// A draft by its number, or by the id of the advisory it was drafted from
/// (`GHSA-jfh8-c2jp-5v3q`, `CVE-2021-44228`), with who it would reach now.
pub async fn preview_follow_through(
    store: &Store,
    advisory: &str,
) -> Result<(StoredDraft, Reach), PlanError> {
    let draft = match advisory.trim().trim_start_matches('#').parse::<i64>() {
        Ok(id) => store.follow_through_draft(id).await?,
        Err(_) => store.follow_through_drafts(None).await?.into_iter().find(|draft| {
            draft.advisory.key.eq_ignore_ascii_case(advisory) || draft.advisory.names(advisory.trim())
        }),
    };
    let draft =
        draft.ok_or_else(|| Refusal::not_found(format!("no follow-through draft for {advisory:?}")))?;
    let reach = follow_through_reach(store, &draft.advisory).await?;
    Ok((draft, reach))
}

/// Which of a draft's words a change is to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordingFor {
    EndUser,
    Team,
}

/// The security team changes a draft's words before it goes.
pub async fn edit_follow_through(
    store: &Store,
    id: i64,
    for_whom: WordingFor,
    wording: &Wording,
    by: &Principal,
    now: OffsetDateTime,
) -> Result<StoredDraft, PlanError> {
    if !by.may_decide() {
        return Err(Refusal::forbidden("follow-through drafts are the security team's to edit").into());
    }
    let draft = waiting(store, id).await?;
    let checked = Wording {
        subject: one_line(&wording.subject, "subject", MAX_SUBJECT_CHARS)?,
        body: bounded(&wording.body, "body", MAX_BODY_CHARS)?,
        ask: one_line(&wording.ask, "ask", MAX_SUBJECT_CHARS)?,
    };
    let mut words: DraftWording = draft.wording.clone();
    match for_whom {
        WordingFor::EndUser => words.end_user = checked,
        WordingFor::Team => words.team = checked,
    }
    if !store.edit_follow_through_draft(id, &words, &by.email, now).await? {
        return Err(Refusal::conflict(format!("draft #{id} was sent or set aside meanwhile")).into());
    }
    Ok(StoredDraft { wording: words, edited_by: Some(by.email.clone()), edited_at: Some(now), ..draft })
}

/// The security team sends a draft to everyone it concerns now; the reach it went to.
pub async fn send_follow_through(
    store: &Store,
    id: i64,
    by: &Principal,
    now: OffsetDateTime,
) -> Result<Reach, PlanError> {
    if !by.may_decide() {
        return Err(Refusal::forbidden("follow-through drafts are sent by the security team").into());
    }
    let draft = waiting(store, id).await?;
    let reach = follow_through_reach(store, &draft.advisory).await?;
    if reach.is_empty() {
        return Err(Refusal::conflict(format!(
            "draft #{id} concerns nobody any more: the devices and findings it was about have moved on; set it aside"
        ))
        .into());
    }
    send(store, id, &reach, Actor::Security(Some(by.email.clone())), now).await?;
    Ok(reach)
}

/// The security team sets a draft aside without a message.
pub async fn dismiss_follow_through(
    store: &Store,
    id: i64,
    by: &Principal,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    if !by.may_decide() {
        return Err(Refusal::forbidden("follow-through drafts are the security team's to set aside").into());
    }
    waiting(store, id).await?;
    if store.dismiss_follow_through_draft(id, &by.email, now).await? {
        Ok(())
    } else {
        Err(Refusal::conflict(format!("draft #{id} was sent or set aside meanwhile")).into())
    }
}

async fn waiting(store: &Store, id: i64) -> Result<StoredDraft, PlanError> {
    let draft = store
        .follow_through_draft(id)
        .await?
        .ok_or_else(|| Refusal::not_found(format!("there is no follow-through draft #{id}")))?;
    if draft.state != DraftState::Review {
        return Err(Refusal::conflict(format!("draft #{id} was {} already", draft.state.as_str())).into());
    }
    Ok(draft)
}

/// Records the draft sent, with one event per person and per team, each once.
async fn send(
    store: &Store,
    id: i64,
    reach: &Reach,
    actor: Actor,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    let subject = Some(format!("follow-through #{id}"));
    let mut events = Vec::with_capacity(reach.people.len() + reach.teams.len());
    for person in &reach.people {
        events.push(NewEvent {
            kind: EventKind::FollowThroughSent,
            actor: actor.clone(),
            team: None,
            action: None,
            subject: subject.clone(),
            detail: format!(
                "told {} of {}",
                person.name,
                rapport_core::words::count(person.devices.len(), "device", "devices")
            ),
            facts: EventFacts {
                follow_through: Some(id),
                person: Some(person.email.clone()),
                devices: person.devices.clone(),
                ..EventFacts::default()
            },
            once: Some(format!("follow-through:{id}:person:{}", person.email)),
        });
    }
    for team in &reach.teams {
        events.push(NewEvent {
            kind: EventKind::FollowThroughSent,
            actor: actor.clone(),
            team: Some(team.team.clone()),
            action: None,
            subject: subject.clone(),
            detail: format!(
                "told {} of {}",
                team.team,
                rapport_core::words::count(team.places.len(), "system", "systems")
            ),
            facts: EventFacts {
                follow_through: Some(id),
                devices: team.places.clone(),
                ..EventFacts::default()
            },
            once: Some(format!("follow-through:{id}:team:{}", team.team.to_lowercase())),
        });
    }
    let counts = (reach.people.len() as u64, reach.teams.len() as u64);
    if store.send_follow_through(id, &events, counts, actor.email(), now).await? {
        Ok(())
    } else {
        Err(Refusal::conflict(format!("draft #{id} was sent or set aside meanwhile")).into())
    }
}

fn one_line(text: &str, field: &str, limit: usize) -> Result<String, Refusal> {
    let text = bounded(text, field, limit)?;
    if text.contains('\n') {
        return Err(Refusal::invalid(field, "one line, without line breaks"));
    }
    Ok(text)
}

fn bounded(text: &str, field: &str, limit: usize) -> Result<String, Refusal> {
    let text = checked_text(text, field)?;
    if text.chars().count() > limit {
        return Err(Refusal::invalid(field, format!("at most {limit} characters")));
    }
    Ok(text.replace("\r\n", "\n"))
}
