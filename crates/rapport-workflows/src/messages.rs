//! Rapport speaks first: every event of the stream that people are told of becomes a message
//! for each of its readers, in that reader's words, stored with the cursor past it in one
//! transaction. Which events are told to whom is `rapport_core::recipients`; the words are
//! the templates (`rapport_messages`); the facts each reader's template reads are gathered
//! here once per event and put in the reader's words in `message_facts.rs`.

use std::collections::HashMap;

use rapport_core::words::count;
use rapport_core::{
    Audience, Campaign, Channel, Emergency, EventKind, Person, Policy, Recent, Recipient, Refusal, Rhythm,
    Route, Topic, Urgency, recipients,
};
use rapport_messages::{
    CampaignFacts, DigestFacts, DigestItem, Facts, Message, NudgeFacts, PersonFacts, TemplateName, Templates,
    compose,
};
use rapport_storage::{AssetFilter, EventFilter, NewMessage, SentLately, Store, StoredEvent, StoredPolicy};
use time::{Duration, OffsetDateTime};

use crate::actions::{ActionDetail, action_detail};
use crate::briefing::{BriefingFor, monthly_briefing};
use crate::campaigns::campaigns_in_force;
use crate::message_facts::{
    Directory, Gathered, facts_for, hours_for, in_copy, link_for, period_words, same_team,
};
use crate::policy::{compile_policy, current_policy};
use crate::{Channels, PlanError, code_fix};

/// Events read per transaction.
const BATCH: i64 = 500;

/// Places of an action whose devices are looked up for the people who use them.
const DEVICES_LOOKED_UP: usize = 50;

/// What composing did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComposeReport {
    /// Events read from the stream.
    pub events: usize,
    /// Messages stored, and where noise control sent them.
    pub messages: u64,
    pub sent_now: u64,
    pub held: u64,
    pub in_digests: u64,
    pub dropped: u64,
    /// Digests sent, each gathering the messages that waited for it.
    pub digests: u64,
    /// The last event composed.
    pub through: i64,
}

/// Composes the messages of every event not yet told, in batches, each stored with the
/// cursor past its events as one transaction: a crash loses no event and doubles no message.
/// Each message is routed (sent now, held for the reader's hours, kept for their digest, or
/// dropped as a repeat); then the digests that are due are sent.
pub async fn compose_messages(
    store: &Store,
    templates: &Templates,
    now: OffsetDateTime,
) -> Result<ComposeReport, PlanError> {
    let people = store.people().await?;
    let directory = Directory::of(&people);
    let (policy, _) = current_policy(store, now).await?;
    let campaigns = campaigns_in_force(store).await?;
    let mut report = ComposeReport { through: store.message_cursor().await?, ..ComposeReport::default() };
    let mut noise = Noise::new(store, &policy, &campaigns, now).await?;
    loop {
        let filter = EventFilter { after: report.through, limit: Some(BATCH), ..EventFilter::default() };
        let events = store.events(&filter).await?;
        let Some(last) = events.last().map(|event| event.id) else { break };
        let mut batch = Vec::new();
        for event in &events {
            batch.extend(messages_of(store, templates, (&people, &directory), &mut noise, event).await?);
        }
        let added = store.add_messages(&batch, last, now).await?;
        report.messages += added;
        for message in &batch {
            match &message.route {
                Route::Send { at, .. } if *at <= now => report.sent_now += 1,
                Route::Send { .. } => report.held += 1,
                Route::Digest { .. } => report.in_digests += 1,
                Route::Dropped { .. } => report.dropped += 1,
            }
        }
        report.events += events.len();
        report.through = last;
    }
    report.digests = send_digests(store, templates, &directory, &policy, now).await?;
    Ok(report)
}

/// The messages one event becomes, one per reader, each routed.
async fn messages_of(
    store: &Store,
    templates: &Templates,
    (people, directory): (&[Person], &Directory<'_>),
    noise: &mut Noise<'_>,
    event: &StoredEvent,
) -> Result<Vec<NewMessage>, PlanError> {
    let Some(topic) = Topic::of(event.kind) else { return Ok(Vec::new()) };
    let (policy, now) = (noise.policy, noise.now);
    let mut gathered = gather(store, (policy, noise.campaigns), topic, event, now).await?;
    // A nudge of a campaign switched off since (or a team's win on it) has no words left.
    let of_a_campaign = matches!(topic, Topic::Nudge | Topic::HabitThanks | Topic::CampaignReplied)
        || event.facts.campaign.is_some();
    if of_a_campaign && gathered.campaign.is_none() {
        return Ok(Vec::new());
    }
    if topic == Topic::FollowThrough && gathered.follow_through.is_none() {
        return Ok(Vec::new());
    }
    let outcome = gathered.detail.as_ref().map(|detail| detail.action.outcome);
    let within_policy =
        gathered.detail.as_ref().is_some_and(|detail| matches!(detail.emergency, Some(Emergency::Criteria)));
    let readers = readers_of(&gathered, policy, people);
    if topic == Topic::Win {
        gathered.in_copy = in_copy(&readers, event.team.as_deref());
    }
    if topic == Topic::Briefing {
        gathered.briefings = briefings_for(store, event, &readers, now).await?;
    }
    let mut messages = Vec::new();
    // A briefing goes to those whose part of the organisation has one.
    let briefed = |recipient: &Recipient<'_>| {
        topic != Topic::Briefing
            || gathered
                .briefings
                .iter()
                .any(|(team, _)| same_team(team.as_deref(), recipient.team.as_deref()))
    };
    for recipient in readers.into_iter().filter(briefed) {
        let mut message = message_for(templates, &gathered, &recipient, directory, now)?;
        let urgency = Urgency::of(topic, outcome);
        message.route = noise.route(recipient.person, urgency, within_policy, &message);
        messages.push(message);
    }
    Ok(messages)
}

/// Who is told of the gathered event, and as which reader.
fn readers_of<'p>(gathered: &Gathered, policy: &Policy, people: &'p [Person]) -> Vec<Recipient<'p>> {
    let event = &gathered.event;
    let device_users: Vec<String> = gathered.devices.iter().map(|(_, user)| user.clone()).collect();
    let occasion = rapport_core::Occasion {
        team: event.team.as_deref(),
        device_users: &device_users,
        answered_by: gathered.answer.as_ref().map(|answer| answer.given_by.as_str()),
        security_team: &policy.spec.security_team,
        win: event.facts.win.as_ref(),
    };
    recipients(gathered.topic, &occasion, people)
}

/// Routes messages as they are composed, remembering what each reader was sent lately,
/// this batch included.
struct Noise<'a> {
    policy: &'a Policy,
    campaigns: &'a [Campaign],
    now: OffsetDateTime,
    /// Each reader's rhythm, for those who chose one.
    rhythms: HashMap<String, Rhythm>,
    /// Per reader: what was sent to them in the last week.
    lately: HashMap<String, Vec<SentLately>>,
}

impl<'a> Noise<'a> {
    /// Reads everyone's rhythm and last week's messages once, for the whole run.
    async fn new(
        store: &Store,
        policy: &'a Policy,
        campaigns: &'a [Campaign],
        now: OffsetDateTime,
    ) -> Result<Noise<'a>, PlanError> {
        let mut lately: HashMap<String, Vec<SentLately>> = HashMap::new();
        for sent in store.sent_lately(None, now - Duration::WEEK).await? {
            lately.entry(sent.recipient.clone()).or_default().push(sent);
        }
        Ok(Noise { policy, campaigns, now, rhythms: store.message_rhythms().await?, lately })
    }

    fn route(
        &mut self,
        person: &Person,
        urgency: Urgency,
        within_policy: bool,
        message: &NewMessage,
    ) -> Route {
        let now = self.now;
        let email = message.recipient.to_lowercase();
        let rhythm = self.rhythms.get(&email).copied().unwrap_or_default();
        let sent = self.lately.entry(email.clone()).or_default();
        // A thank-you is news of its own, never a repeat of the work's earlier messages.
        let same_action = sent
            .iter()
            .filter(|_| message.topic != Topic::Win)
            .filter(|earlier| earlier.action.is_some() && earlier.action == message.action)
            .map(|earlier| (Urgency::of(earlier.topic, None), earlier.composed_at, earlier.subject.clone()))
            .max_by_key(|(urgency, at, _)| (*urgency, *at));
        let recent = Recent {
            counted_this_week: sent.iter().filter(|earlier| earlier.counted).count() as u32,
            same_action,
        };
        let hours = hours_for(person, self.policy, now);
        let budget = self.policy.spec.messages.weekly_budget_per_person;
        let route = rapport_core::route(urgency, within_policy, budget, rhythm, &hours, &recent, now);
        if let Route::Send { counted, .. } = &route {
            sent.push(SentLately {
                recipient: email,
                action: message.action,
                topic: message.topic,
                subject: message.subject.clone(),
                composed_at: now,
                counted: *counted,
            });
        }
        route
    }
}

/// Sends each reader's due digest: the messages that waited for it, gathered into one.
async fn send_digests(
    store: &Store,
    templates: &Templates,
    directory: &Directory<'_>,
    policy: &Policy,
    now: OffsetDateTime,
) -> Result<u64, PlanError> {
    let parts = store.due_digest_parts(now).await?;
    let mut sent = 0;
    for chunk in parts.chunk_by(|a, b| a.message.recipient == b.message.recipient) {
        let Some(first) = chunk.first() else { continue };
        let reader = &first.message;
        let person = directory
            .person(&reader.recipient)
            .cloned()
            .unwrap_or_else(|| Person { name: reader.recipient_name.clone(), ..Person::default() });
        let name = person.name.clone();
        let oldest = chunk.iter().map(|part| part.composed_at).min().unwrap_or(now);
        let facts = Facts {
            person: PersonFacts {
                first_name: name.split_whitespace().next().unwrap_or_default().to_owned(),
                name,
            },
            security_team: policy.spec.security_team.clone(),
            digest: Some(DigestFacts {
                period: period_words(&person, oldest, now),
                items: chunk
                    .iter()
                    .map(|part| DigestItem {
                        subject: part.message.subject.clone(),
                        ask: part.message.ask.clone(),
                        link: part.message.link.clone(),
                    })
                    .collect(),
            }),
            ..Facts::default()
        };
        let template = TemplateName { topic: Topic::Digest, audience: reader.audience };
        let composed = compose(templates, template, &facts, "/me/messages")?;
        let digest = NewMessage {
            event: None,
            recipient: reader.recipient.clone(),
            recipient_name: facts.person.name.clone(),
            audience: reader.audience,
            topic: Topic::Digest,
            team: None,
            action: None,
            subject: composed.subject,
            body: composed.body,
            ask: composed.ask,
            link: composed.link,
            readability: composed.readability,
            route: Route::Send {
                at: now,
                counted: true,
                reason: Some(format!(
                    "{} that could wait, in one",
                    count(chunk.len(), "message", "messages")
                )),
            },
        };
        let ids: Vec<i64> = chunk.iter().map(|part| part.id).collect();
        if store.add_digest(&digest, &ids, now).await?.is_some() {
            sent += 1;
        }
    }
    Ok(sent)
}

fn message_for(
    templates: &Templates,
    gathered: &Gathered,
    recipient: &Recipient<'_>,
    directory: &Directory<'_>,
    now: OffsetDateTime,
) -> Result<NewMessage, PlanError> {
    let template = TemplateName { topic: gathered.topic, audience: recipient.audience };
    let facts = facts_for(gathered, recipient, directory, now);
    let link = link_for(gathered, recipient.audience, recipient.team.as_deref());
    let message = compose(templates, template, &facts, &link)?;
    Ok(NewMessage {
        event: Some(gathered.event.id),
        recipient: recipient.person.email.clone().unwrap_or_default(),
        recipient_name: recipient.person.name.clone(),
        audience: recipient.audience,
        topic: gathered.topic,
        team: recipient.team.clone(),
        action: gathered.event.action,
        subject: message.subject,
        body: message.body,
        ask: message.ask,
        link: message.link,
        readability: message.readability,
        // Routed by the caller.
        route: Route::Send { at: now, counted: true, reason: None },
    })
}

/// What an event's messages say, read once for all its readers.
async fn gather(
    store: &Store,
    (policy, campaigns): (&Policy, &[Campaign]),
    topic: Topic,
    event: &StoredEvent,
    now: OffsetDateTime,
) -> Result<Gathered, PlanError> {
    let detail = match event.action {
        Some(id) => Some(action_detail(store, id, now).await?),
        None => None,
    };
    let code = match &detail {
        Some(detail) => code_fix(store, &detail.action).await?,
        None => None,
    };
    let campaign = campaign_facts(campaigns, event);
    let devices = match &detail {
        Some(detail) if topic.audiences().contains(&Audience::EndUser) => device_users(store, detail).await?,
        // The person in the campaign, as the user of each of their devices.
        _ => match &event.facts.person {
            Some(person) if event.facts.devices.is_empty() => vec![(String::new(), person.clone())],
            Some(person) => {
                event.facts.devices.iter().map(|device| (device.clone(), person.clone())).collect()
            }
            None => Vec::new(),
        },
    };
    let exception = match event.facts.exception {
        Some(id) => store.exception(id).await?,
        None => None,
    };
    // A campaign's answers are kept apart from those on actions.
    let (answer, campaign_answer) = match (event.facts.answer, &event.facts.campaign) {
        (Some(id), Some(_)) => (None, store.campaign_answer(id).await?),
        (Some(id), None) => (store.answer(id).await?, None),
        (None, _) => (None, None),
    };
    let policy_change = match (topic, event.facts.policy) {
        (Topic::PolicyChanged, Some(version)) => Some(policy_versions(store, version).await?),
        _ => None,
    };
    let team = match &event.team {
        Some(name) => store.teams().await?.into_iter().find(|team| team.name.eq_ignore_ascii_case(name)),
        None => None,
    };
    let follow_through = match event.facts.follow_through {
        Some(id) => store.follow_through_draft(id).await?,
        None => None,
    };
    Ok(Gathered {
        topic,
        event: event.clone(),
        policy: policy.clone(),
        detail,
        code,
        devices,
        exception,
        answer,
        policy_change,
        team,
        campaign,
        campaign_answer,
        follow_through,
        in_copy: Vec::new(),
        briefings: Vec::new(),
    })
}

/// The month's briefing for each part of the organisation `readers` read: the executives'
/// and each manager's team's, each written once.
async fn briefings_for(
    store: &Store,
    event: &StoredEvent,
    readers: &[Recipient<'_>],
    now: OffsetDateTime,
) -> Result<Vec<(Option<String>, rapport_core::Briefing)>, PlanError> {
    let Some(month) = event.facts.month else { return Ok(Vec::new()) };
    let mut parts: Vec<Option<String>> = readers.iter().map(|reader| reader.team.clone()).collect();
    parts.sort();
    parts.dedup();
    let mut written = Vec::new();
    for part in parts {
        let reader = match part.as_deref() {
            Some(team) => BriefingFor::Manager { team },
            None => BriefingFor::Executives,
        };
        match monthly_briefing(store, now, month, reader).await {
            Ok(report) => written.push((part, report.briefing)),
            // A team nothing has happened to has no briefing to read.
            Err(PlanError::Refused(Refusal::NotFound(_))) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(written)
}

/// The campaign an event names, with the nudge it sends (for a nudge).
fn campaign_facts(campaigns: &[Campaign], event: &StoredEvent) -> Option<CampaignFacts> {
    let name = event.facts.campaign.as_deref()?;
    let campaign = campaigns.iter().find(|campaign| campaign.name == name)?;
    let nudge = match event.facts.nudge {
        Some(index) => {
            let written = campaign.nudges.get(index)?;
            Some(NudgeFacts {
                number: index + 1,
                of: campaign.exposures.lifetime,
                subject: written.subject.clone(),
                body: written.body.clone(),
                ask: written.ask.clone(),
            })
        }
        None => None,
    };
    Some(CampaignFacts {
        name: campaign.name.clone(),
        goal: campaign.goal.clone(),
        personal: campaign.personal,
        nudge,
        thanks: campaign.thanks.clone(),
        devices: event.facts.devices.clone(),
    })
}

/// Each device the action is on, with the login name or email of whoever uses it.
async fn device_users(store: &Store, detail: &ActionDetail) -> Result<Vec<(String, String)>, PlanError> {
    let mut users = Vec::new();
    for place in detail.action.places.iter().take(DEVICES_LOOKED_UP) {
        let filter = AssetFilter {
            devices_only: true,
            name: Some(place.target.name.clone()),
            limit: Some(1),
            ..AssetFilter::default()
        };
        for asset in store.assets(&filter).await? {
            let user = asset.facts.as_ref().and_then(|facts| facts.user.clone());
            if let Some(user) = user {
                let device = asset.hostname.clone().unwrap_or_else(|| asset.asset.name.clone());
                users.push((device, user));
            }
        }
    }
    Ok(users)
}

/// The policy version an event applied and the one before it, compiled.
async fn policy_versions(store: &Store, version: i64) -> Result<(Policy, Option<Policy>, i64), PlanError> {
    let versions: Vec<StoredPolicy> = store.policies().await?;
    let compiled = |id: i64| -> Result<Option<Policy>, PlanError> {
        versions
            .iter()
            .find(|stored| stored.id == id)
            .map(|stored| compile_policy(&format!("version {}", stored.id), &stored.content))
            .transpose()
    };
    let applied = compiled(version)?.ok_or_else(|| PlanError::Policy {
        name: format!("version {version}"),
        message: "an event names it, but it is not stored".into(),
    })?;
    Ok((applied, compiled(version - 1)?, version))
}

/// A message as one reader would get it, for the security team to read before it is sent.
#[derive(Clone, Debug)]
pub struct Preview {
    pub message: Message,
    /// The event it is composed from; none when none of that kind is recorded yet and the
    /// template's sample facts stand in.
    pub event: Option<i64>,
    /// Whose words and name it is written in.
    pub reader: String,
}

/// The latest event of `kind` (of `team`, when given) composed for `audience`, as the
/// directory's `person` would read it (or a sample reader of that audience).
pub async fn preview_message(
    store: &Store,
    templates: &Templates,
    kind: EventKind,
    audience: Audience,
    team: Option<&str>,
    person: Option<&str>,
    now: OffsetDateTime,
) -> Result<Preview, PlanError> {
    let topic = Topic::of(kind).ok_or_else(|| {
        Refusal::invalid("EVENT", format!("{} is not told to anyone: the pages show it", kind.as_str()))
    })?;
    if !topic.audiences().contains(&audience) {
        let mut written: Vec<&str> = topic.audiences().iter().map(|audience| audience.label()).collect();
        let last = written.pop().unwrap_or_default();
        let written =
            if written.is_empty() { last.to_owned() } else { format!("{} and {last}", written.join(", ")) };
        return Err(Refusal::invalid(
            "audience",
            format!("{} is written for {written}, not for the {}", kind.as_str(), audience.label()),
        )
        .into());
    }
    let people = store.people().await?;
    let directory = Directory::of(&people);
    let filter = EventFilter { kind: Some(kind), team: team.map(str::to_owned), ..EventFilter::default() };
    let latest = store.events(&filter).await?.pop();
    let reader = match person {
        Some(email) => directory
            .person(email)
            .cloned()
            .ok_or_else(|| Refusal::not_found(format!("no one with the email {email:?} in the directory")))?,
        // Someone of that audience reads it, of the event's team when the directory has one.
        None => {
            let team = team.or(latest.as_ref().and_then(|event| event.team.as_deref()));
            let in_team = |known: &&Person| {
                team.is_some_and(|team| {
                    known.team.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(team))
                })
            };
            let of_audience = people.iter().filter(|known| known.audience == audience);
            of_audience.clone().find(in_team).or_else(|| of_audience.clone().next()).cloned().unwrap_or_else(
                || Person {
                    name: "Sample Reader".into(),
                    email: Some("reader@example.org".into()),
                    audience,
                    ..Person::default()
                },
            )
        }
    };
    let template = TemplateName { topic, audience };
    let Some(event) = latest else {
        let facts = Facts::sample(topic, audience);
        let message = compose(templates, template, &facts, "/")?;
        return Ok(Preview { message, event: None, reader: facts.person.name });
    };
    let (policy, _) = current_policy(store, now).await?;
    let campaigns = campaigns_in_force(store).await?;
    let mut gathered = gather(store, (&policy, &campaigns), topic, &event, now).await?;
    if topic == Topic::Win {
        gathered.in_copy = in_copy(&readers_of(&gathered, &policy, &people), event.team.as_deref());
    }
    let team = team.map(str::to_owned).or_else(|| event.team.clone()).or_else(|| reader.team.clone());
    // The executives' briefing is of the whole organisation.
    let team = team.filter(|_| !(topic == Topic::Briefing && audience == Audience::Executive));
    let recipient = Recipient { person: &reader, audience, team };
    if topic == Topic::Briefing {
        gathered.briefings = briefings_for(store, &event, std::slice::from_ref(&recipient), now).await?;
        if gathered.briefings.is_empty() {
            let team = recipient.team.as_deref().unwrap_or_default();
            return Err(
                Refusal::not_found(format!("nothing has happened to a team {team:?} to brief on")).into()
            );
        }
    }
    let facts = facts_for(&gathered, &recipient, &directory, now);
    let link = link_for(&gathered, audience, recipient.team.as_deref());
    let message = compose(templates, template, &facts, &link)?;
    Ok(Preview { message, event: Some(event.id), reader: reader.name.clone() })
}

/// How `email` takes the messages that can wait, and the policy's limits they are read under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preferences {
    pub rhythm: Rhythm,
    pub channel: Channel,
    /// The host of the webhook they gave for their channel (the rest is a secret).
    pub address_shown: Option<String>,
    /// The channels this server can deliver by, email first.
    pub offered: Vec<Channel>,
    pub weekly_budget: u32,
    /// "19:00" and "08:00", in the reader's own time zone.
    pub quiet_from: String,
    pub quiet_until: String,
    pub time_zone: String,
    /// Whether they get the series of tips for their own phone, home network and family.
    pub personal_series: bool,
}

pub async fn message_preferences(
    store: &Store,
    channels: &Channels,
    email: &str,
    now: OffsetDateTime,
) -> Result<Preferences, PlanError> {
    let (policy, _) = current_policy(store, now).await?;
    let time_zone = store.time_zone_of(email).await?.unwrap_or_else(|| "UTC".to_owned());
    let chosen = store.message_preference(email).await?;
    Ok(Preferences {
        rhythm: chosen.rhythm,
        channel: chosen.channel,
        address_shown: chosen.address.as_deref().map(rapport_messages::address_shown),
        offered: Channel::ALL.into_iter().filter(|channel| channels.offers(*channel)).collect(),
        weekly_budget: policy.spec.messages.weekly_budget_per_person,
        quiet_from: policy.spec.messages.quiet_from.clone(),
        quiet_until: policy.spec.messages.quiet_until.clone(),
        time_zone,
        personal_series: store.personal_series_since(email).await?.is_some(),
    })
}

/// Records how `email` takes the messages that can wait.
pub async fn choose_rhythm(
    store: &Store,
    email: &str,
    rhythm: Rhythm,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    Ok(store.set_message_rhythm(email, rhythm, now).await?)
}

/// Records the channel `email` takes their messages by. Slack and Teams need the reader's own
/// webhook, on the service's hosts; a channel this server does not deliver by is refused.
/// Choosing Slack or Teams again without an address keeps the webhook given before.
pub async fn choose_channel(
    store: &Store,
    channels: &Channels,
    email: &str,
    channel: Channel,
    address: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), PlanError> {
    if !channels.offers(channel) {
        let message = format!("this server does not deliver by {}", channel.as_str());
        return Err(Refusal::invalid("channel", message).into());
    }
    let address = address.map(str::trim).filter(|address| !address.is_empty());
    let address = match (channels.chat(channel), address) {
        (None, _) => None,
        (Some(chat), Some(address)) => {
            chat.check_address(address).map_err(|error| Refusal::invalid("address", error.to_string()))?;
            Some(address.to_owned())
        }
        (Some(chat), None) => {
            let before = store.message_preference(email).await?;
            let kept = before.address.filter(|_| before.channel == channel);
            let Some(kept) = kept else {
                let message = format!("paste the address of your {} webhook", chat.service().name());
                return Err(Refusal::invalid("address", message).into());
            };
            Some(kept)
        }
    };
    Ok(store.set_message_channel(email, channel, address.as_deref(), now).await?)
}
