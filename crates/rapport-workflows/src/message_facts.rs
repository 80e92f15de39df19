//! An event's facts in one reader's words: dates in their own time zone, the team's time in
//! hours a week, people by name rather than email, file and line for code, and the page each
//! reader answers on.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use rapport_core::{
    Audience, Briefing, Emergency, EventKind, Exploitation, Feat, Hours, Outcome, Person, Policy, Recipient,
    Team, Topic,
};
use rapport_messages::{
    ActionFacts, AnswerFacts, BriefingFacts, CampaignFacts, EmergencyFacts, ExceptionFacts, Facts,
    FollowThroughFacts, PersonFacts, PlaceFacts, PolicyFacts, TeamFacts, WinFacts,
};
use rapport_storage::{
    AnswerKind, StoredAnswer, StoredCampaignAnswer, StoredDraft, StoredEvent, StoredException,
};
use time::{Date, OffsetDateTime};

use crate::CodeFix;
use crate::actions::ActionDetail;

/// Places listed in a message; the rest are counted.
const LISTED_PLACES: usize = 10;

/// Vulnerability ids listed in a message for engineers.
const LISTED_IDS: usize = 10;

/// What one event's messages say, read once for all its readers.
#[derive(Clone, Debug)]
pub(crate) struct Gathered {
    pub topic: Topic,
    pub event: StoredEvent,
    pub policy: Policy,
    pub detail: Option<ActionDetail>,
    pub code: Option<CodeFix>,
    /// Each device the action is on, with whoever uses it (a login name or email).
    pub devices: Vec<(String, String)>,
    pub exception: Option<StoredException>,
    pub answer: Option<StoredAnswer>,
    /// The policy applied, the version before it, and the new version's number.
    pub policy_change: Option<(Policy, Option<Policy>, i64)>,
    pub team: Option<Team>,
    /// The campaign a nudge or a thanks is of.
    pub campaign: Option<CampaignFacts>,
    /// Someone's "I can't" to a nudge, with the security team's reply.
    pub campaign_answer: Option<StoredCampaignAnswer>,
    /// The follow-through draft sent.
    pub follow_through: Option<StoredDraft>,
    /// Who outside the team is told of it too, by name (the managers' managers, for a win).
    pub in_copy: Vec<String>,
    /// A month's briefing for each part of the organisation its readers read: the executives'
    /// (no team) and each manager's team's.
    pub briefings: Vec<(Option<String>, Briefing)>,
}

/// The facts `recipient`'s template reads.
pub(crate) fn facts_for(
    gathered: &Gathered,
    recipient: &Recipient<'_>,
    directory: &Directory<'_>,
    now: OffsetDateTime,
) -> Facts {
    let today = today_for(recipient.person, now);
    let team_name = recipient.team.clone().or_else(|| gathered.event.team.clone()).unwrap_or_default();
    let capacity = gathered
        .team
        .as_ref()
        .and_then(|team| team.weekly_capacity_hours)
        .unwrap_or(gathered.policy.spec.capacity.default_weekly_hours);
    Facts {
        person: PersonFacts {
            name: recipient.person.name.clone(),
            first_name: first_name(&recipient.person.name),
        },
        team: TeamFacts {
            name: team_name.clone(),
            measured_on: gathered.team.as_ref().and_then(|team| team.measured_on.clone()),
            capacity: Some(format!("{} a week", hours_words(capacity))),
        },
        security_team: gathered.policy.spec.security_team.clone(),
        action: gathered.detail.as_ref().map(|detail| action_facts(gathered, detail, recipient, today)),
        exception: gathered.exception.as_ref().map(|exception| exception_facts(gathered, exception, today)),
        emergency: emergency_facts(gathered, directory),
        policy: gathered.policy_change.as_ref().map(|(applied, before, version)| PolicyFacts {
            name: applied.spec.name.clone(),
            version: *version,
            changes: match before {
                Some(before) => {
                    let (added, _) = rapport_core::changed_terms(
                        &before.terms_for(&team_name, today),
                        &applied.terms_for(&team_name, today),
                    );
                    added
                }
                None => Vec::new(),
            },
        }),
        answer: gathered
            .answer
            .as_ref()
            .map(|answer| AnswerFacts {
                kind: match answer.kind {
                    AnswerKind::Feedback => "feedback".into(),
                    AnswerKind::NotOurs => "not ours".into(),
                },
                words: answer.body.clone(),
                by: directory.name_of(&answer.given_by),
                reply: answer.reply.clone(),
            })
            .or_else(|| {
                gathered.campaign_answer.as_ref().map(|answer| AnswerFacts {
                    kind: "I can't".into(),
                    words: answer.words.clone(),
                    by: directory.name_of(&answer.person),
                    reply: answer.reply.clone(),
                })
            }),
        digest: None,
        campaign: gathered.campaign.clone(),
        follow_through: gathered
            .follow_through
            .as_ref()
            .map(|draft| follow_through_facts(gathered, draft, recipient)),
        win: gathered.event.facts.win.as_ref().map(|feat| WinFacts {
            kind: feat.name().to_owned(),
            large: feat.is_large(),
            weeks: match feat {
                Feat::OnTimeWeeks { weeks } => Some(*weeks),
                _ => None,
            },
            people: match feat {
                Feat::HabitAcrossTheTeam { people, .. } => Some(*people),
                _ => None,
            },
            in_copy: gathered.in_copy.clone(),
        }),
        briefing: gathered
            .briefings
            .iter()
            .find(|(team, _)| same_team(team.as_deref(), recipient.team.as_deref()))
            .map(|(_, briefing)| BriefingFacts {
                title: briefing.title.clone(),
                month: rapport_core::month_name(briefing.month),
                accomplishments: briefing.accomplishments.clone(),
                issues: briefing.issues.clone(),
                responses: briefing.responses.clone(),
                plans: briefing.plans.clone(),
                feedback: briefing.feedback.clone(),
            }),
    }
}

/// Whether two readers' parts of the organisation are the same team, or both the whole of it.
pub(crate) fn same_team(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

/// The names of the readers of an event about `team` who are not of it: for a win, the
/// managers' managers it is said before.
pub(crate) fn in_copy(readers: &[Recipient<'_>], team: Option<&str>) -> Vec<String> {
    let Some(team) = team else { return Vec::new() };
    readers
        .iter()
        .filter(|reader| !reader.person.team.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(team)))
        .map(|reader| reader.person.name.clone())
        .collect()
}

/// A follow-through in the draft's words for the reader's kind, with the places it concerns:
/// the reader's own devices, or their team's systems.
fn follow_through_facts(
    gathered: &Gathered,
    draft: &StoredDraft,
    recipient: &Recipient<'_>,
) -> FollowThroughFacts {
    let words =
        if recipient.audience == Audience::EndUser { &draft.wording.end_user } else { &draft.wording.team };
    let places = &gathered.event.facts.devices;
    FollowThroughFacts {
        source: draft.advisory.source.clone(),
        title: draft.advisory.title.clone(),
        link: draft.advisory.link.clone(),
        subject: words.subject.clone(),
        body: words.body.clone(),
        ask: words.ask.clone(),
        places: places.iter().take(LISTED_PLACES).cloned().collect(),
        more_places: places.len().saturating_sub(LISTED_PLACES),
    }
}

fn action_facts(
    gathered: &Gathered,
    detail: &ActionDetail,
    recipient: &Recipient<'_>,
    today: Date,
) -> ActionFacts {
    let action = &detail.action;
    let due = gathered.event.facts.due.or(detail.due);
    let places: Vec<PlaceFacts> = match &gathered.code {
        // Code is fixed at a file and line, not on a host.
        Some(code) => code
            .spots
            .iter()
            .map(|spot| PlaceFacts {
                name: match (&spot.path, spot.line) {
                    (Some(path), Some(line)) => format!("{} {path}:{line}", spot.target),
                    (Some(path), None) => format!("{} {path}", spot.target),
                    _ => spot.target.clone(),
                },
                installed: None,
                fix: None,
            })
            .collect(),
        None => action
            .places
            .iter()
            .map(|place| PlaceFacts {
                name: place.target.name.clone(),
                installed: place.installed.clone(),
                fix: place.fix.clone(),
            })
            .collect(),
    };
    let device = (recipient.audience == Audience::EndUser)
        .then(|| {
            gathered
                .devices
                .iter()
                .find(|(_, user)| uses(recipient.person, user))
                .map(|(device, _)| device.clone())
        })
        .flatten();
    ActionFacts {
        id: detail.id,
        what: action.what.clone(),
        what_in_words: action.what_in_words(),
        fixes_in_words: action.fixes_in_words(),
        vulnerabilities: action.fixes.iter().take(LISTED_IDS).cloned().collect(),
        package: action.subject.clone(),
        command: action.command(),
        more_places: places.len().saturating_sub(LISTED_PLACES),
        places: places.into_iter().take(LISTED_PLACES).collect(),
        device,
        outcome: outcome_word(action.outcome).into(),
        reason: action.reason.clone(),
        exploited: action.points.iter().any(|points| points.exploitation == Exploitation::Active),
        due: due.map(|date| date_words(date, today)),
        days_left: due.map(|date| (date - today).whole_days()),
        effort: format!(
            "about {}",
            hours_words(gathered.policy.spec.effort.hours(action.kind, action.place_count()))
        ),
    }
}

fn exception_facts(gathered: &Gathered, exception: &StoredException, today: Date) -> ExceptionFacts {
    let granted = gathered.event.kind != EventKind::ExceptionRejected;
    ExceptionFacts {
        granted,
        until: granted.then(|| date_words(exception.request.until, today)),
        asked: exception.request.reason.clone(),
        reply: exception.decision_reason.clone(),
    }
}

fn emergency_facts(gathered: &Gathered, directory: &Directory<'_>) -> Option<EmergencyFacts> {
    if gathered.topic != Topic::EmergencyDeclared {
        return None;
    }
    let detail = gathered.detail.as_ref()?;
    let declared_by = gathered.event.actor.email().map(|email| directory.name_of(email)).unwrap_or_default();
    Some(EmergencyFacts {
        reason: match &detail.emergency {
            Some(Emergency::Override { reason, .. }) => reason.clone(),
            _ => gathered.event.detail.clone(),
        },
        declared_by: if declared_by.is_empty() {
            gathered.policy.spec.security_team.clone()
        } else {
            declared_by
        },
        within_policy: matches!(detail.emergency, Some(Emergency::Criteria)),
    })
}

/// The page a reader answers on: their own devices for end users, the team's policy for a
/// manager asked to acknowledge it, the queue for the security team, the action otherwise.
pub(crate) fn link_for(gathered: &Gathered, audience: Audience, team: Option<&str>) -> String {
    match (gathered.topic, audience, gathered.event.action) {
        (Topic::PolicyChanged, Audience::Manager, _) => match team {
            Some(team) => format!("/teams/{}/policy", path_segment(team)),
            None => "/policy".into(),
        },
        (Topic::PolicyChanged, _, _) => "/policy".into(),
        (Topic::OwnershipDisputed, _, _) => "/queue".into(),
        (Topic::Briefing, _, _) => {
            let month = gathered
                .event
                .facts
                .month
                .map(|first| format!("{:04}-{:02}", first.year(), u8::from(first.month())));
            let month = month.unwrap_or_default();
            match (audience, team) {
                (Audience::Manager, Some(team)) => {
                    format!("/briefing?month={month}&team={}", path_segment(team))
                }
                _ => format!("/briefing?month={month}"),
            }
        }
        // A win on no one action is seen with the team's health.
        (Topic::Win, Audience::Engineer | Audience::Manager | Audience::Executive, None) => "/health".into(),
        // Tips for their own devices link to where they are turned off.
        (Topic::Nudge, _, _) if gathered.campaign.as_ref().is_some_and(|campaign| campaign.personal) => {
            "/me/preferences".into()
        }
        (_, Audience::EndUser, _) if gathered.topic != Topic::SecurityReplied => "/me/devices".into(),
        (_, _, Some(action)) => format!("/actions/{action}"),
        (_, _, None) => "/".into(),
    }
}

/// A team's name as one path segment.
fn path_segment(name: &str) -> String {
    name.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The reader's time zone (UTC for someone the directory gives none, or one it does not know).
fn zone_of(person: &Person) -> (TimeZone, String) {
    let named = person
        .time_zone
        .as_deref()
        .map(str::trim)
        .and_then(|name| Some((TimeZone::get(name).ok()?, name.to_owned())));
    named.unwrap_or_else(|| (TimeZone::UTC, "UTC".to_owned()))
}

/// Now where the reader is.
fn local_now(zone: &TimeZone, now: OffsetDateTime) -> Option<jiff::Zoned> {
    jiff::Timestamp::from_second(now.unix_timestamp()).ok().map(|instant| instant.to_zoned(zone.clone()))
}

/// The reader's hours under the policy: whether now is outside their quiet hours, when the
/// window next opens, and when their daily and weekly digests are due (the first moment of
/// the next morning's window, and of Monday's).
pub(crate) fn hours_for(person: &Person, policy: &Policy, now: OffsetDateTime) -> Hours {
    let (zone, name) = zone_of(person);
    let (from, until) = (policy.quiet_from, policy.quiet_until);
    let Some(local) = local_now(&zone, now) else {
        return Hours { open: true, opens_at: now, daily_digest_at: now, weekly_digest_at: now, zone: name };
    };
    let minutes = |hour: u32, minute: u32| hour * 60 + minute;
    let at = minutes(u32::try_from(local.hour()).unwrap_or(0), u32::try_from(local.minute()).unwrap_or(0));
    let quiet_from = minutes(u32::from(from.hour()), u32::from(from.minute()));
    let quiet_until = minutes(u32::from(until.hour()), u32::from(until.minute()));
    let quiet = if quiet_from > quiet_until {
        at >= quiet_from || at < quiet_until
    } else {
        quiet_from <= at && at < quiet_until
    };
    // The first moment after now that the reader's clock shows the end of quiet hours, at
    // least `days` days on.
    let next_opening = |days: i64| -> OffsetDateTime {
        let opening = (0..8).find_map(|extra| {
            let date = local.date().checked_add(jiff::Span::new().days(days + extra)).ok()?;
            let civil = date.at(i8::try_from(until.hour()).ok()?, i8::try_from(until.minute()).ok()?, 0, 0);
            let zoned = civil.to_zoned(zone.clone()).ok()?;
            (zoned.timestamp() > local.timestamp()).then(|| zoned.timestamp().as_second())
        });
        opening.and_then(|second| OffsetDateTime::from_unix_timestamp(second).ok()).unwrap_or(now)
    };
    let to_monday = (7 - i64::from(local.weekday().to_monday_zero_offset())) % 7;
    Hours {
        open: !quiet,
        opens_at: if quiet { next_opening(0) } else { now },
        daily_digest_at: next_opening(0),
        weekly_digest_at: next_opening(to_monday),
        zone: name,
    }
}

/// Today's date where the reader is.
pub(crate) fn today_for(person: &Person, now: OffsetDateTime) -> Date {
    let (zone, _) = zone_of(person);
    local_now(&zone, now)
        .and_then(|local| {
            let date = local.date();
            let month = time::Month::try_from(u8::try_from(date.month()).ok()?).ok()?;
            Date::from_calendar_date(i32::from(date.year()), month, u8::try_from(date.day()).ok()?).ok()
        })
        .unwrap_or(now.date())
}

/// What a digest gathering messages since `oldest` covers, as the reader's calendar says it:
/// "today", "since yesterday", "since Monday".
pub(crate) fn period_words(person: &Person, oldest: OffsetDateTime, now: OffsetDateTime) -> String {
    let (first, today) = (today_for(person, oldest), today_for(person, now));
    match (today - first).whole_days() {
        days if days <= 0 => "today".into(),
        1 => "since yesterday".into(),
        _ => format!("since {}", first.weekday()),
    }
}

/// "Friday 4 December", with the year when it is not this year's.
fn date_words(date: Date, today: Date) -> String {
    let words = format!("{} {} {}", date.weekday(), date.day(), date.month());
    if date.year() == today.year() { words } else { format!("{words} {}", date.year()) }
}

/// "2 hours", "1.5 hours", "1 hour".
fn hours_words(hours: f64) -> String {
    let rounded = (hours * 2.0).round() / 2.0;
    let rounded = if rounded <= 0.0 { 0.5 } else { rounded };
    if rounded == 1.0 { "1 hour".into() } else { format!("{rounded} hours") }
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Act => "act",
        Outcome::Attend => "attend",
        Outcome::TrackStar => "track*",
        Outcome::Track => "track",
    }
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_owned()
}

/// The directory by email, built once per run: a message names people (who declared an
/// emergency, who answered) for each of thousands of readers, and a search of the whole
/// directory per reader made composing grow with the square of the directory.
pub(crate) struct Directory<'p> {
    by_email: HashMap<String, &'p Person>,
}

impl<'p> Directory<'p> {
    pub(crate) fn of(people: &'p [Person]) -> Directory<'p> {
        let mut by_email = HashMap::with_capacity(people.len());
        for person in people {
            if let Some(email) = &person.email {
                by_email.entry(email.to_lowercase()).or_insert(person);
            }
        }
        Directory { by_email }
    }

    /// The person with this email, in any case.
    pub(crate) fn person(&self, email: &str) -> Option<&'p Person> {
        self.by_email.get(&email.to_lowercase()).copied()
    }

    /// A person by name; the email itself for someone the directory does not know.
    fn name_of(&self, email: &str) -> String {
        self.person(email).map_or_else(|| email.to_owned(), |person| person.name.clone())
    }
}

fn uses(person: &Person, user: &str) -> bool {
    person.email.as_deref().is_some_and(|email| email.eq_ignore_ascii_case(user))
        || person.username.as_deref().is_some_and(|name| name.eq_ignore_ascii_case(user))
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn dates_read_as_words_in_the_readers_own_day() {
        assert_eq!(date_words(date!(2026 - 12 - 04), date!(2026 - 12 - 01)), "Friday 4 December");
        assert_eq!(date_words(date!(2027 - 01 - 31), date!(2026 - 12 - 01)), "Sunday 31 January 2027");
        let late_evening = datetime!(2026-12-01 23:30 UTC);
        let tokyo = Person { time_zone: Some("Asia/Tokyo".into()), ..Person::default() };
        assert_eq!(today_for(&tokyo, late_evening), date!(2026 - 12 - 02));
        assert_eq!(today_for(&Person::default(), late_evening), date!(2026 - 12 - 01));
    }

    #[test]
    fn quiet_hours_and_digests_keep_to_the_readers_own_clock() {
        let policy = crate::policy::compile_policy("default", rapport_formats::DEFAULT_POLICY).unwrap();
        let madrid = Person { time_zone: Some("Europe/Madrid".into()), ..Person::default() };
        // 21:30 in Madrid (UTC+1) on Wednesday: quiet until 08:00 there, 07:00 UTC.
        let evening = datetime!(2026-12-02 20:30 UTC);
        let hours = hours_for(&madrid, &policy, evening);
        assert!(!hours.open);
        assert_eq!(hours.opens_at, datetime!(2026-12-03 07:00 UTC));
        assert_eq!(hours.daily_digest_at, datetime!(2026-12-03 07:00 UTC));
        assert_eq!(hours.weekly_digest_at, datetime!(2026-12-07 07:00 UTC));
        assert_eq!(hours.zone, "Europe/Madrid");
        // 10:00 in Madrid: open; the daily digest goes the next morning.
        let morning = datetime!(2026-12-02 09:00 UTC);
        let hours = hours_for(&madrid, &policy, morning);
        assert!(hours.open);
        assert_eq!(hours.opens_at, morning);
        assert_eq!(hours.daily_digest_at, datetime!(2026-12-03 07:00 UTC));
        // Someone with no zone keeps UTC's hours.
        assert!(!hours_for(&Person::default(), &policy, datetime!(2026-12-02 19:30 UTC)).open);
    }

    #[test]
    fn a_digest_says_what_it_covers_in_the_readers_days() {
        let now = datetime!(2026-12-03 07:00 UTC);
        let reader = Person::default();
        assert_eq!(period_words(&reader, datetime!(2026-12-03 01:00 UTC), now), "today");
        assert_eq!(period_words(&reader, datetime!(2026-12-02 16:00 UTC), now), "since yesterday");
        assert_eq!(period_words(&reader, datetime!(2026-11-30 16:00 UTC), now), "since Monday");
    }

    #[test]
    fn hours_read_to_the_half_hour() {
        assert_eq!(hours_words(2.0), "2 hours");
        assert_eq!(hours_words(1.04), "1 hour");
        assert_eq!(hours_words(1.6), "1.5 hours");
        assert_eq!(hours_words(0.1), "0.5 hours");
    }

    #[test]
    fn a_team_name_is_one_path_segment() {
        assert_eq!(path_segment("Web & Mobile"), "Web%20%26%20Mobile");
    }
}
