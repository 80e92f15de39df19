//! The monthly briefing: what a short meeting with an executive or a team's manager would
//! cover, written out in five parts (what was done, what went wrong, what was done about it,
//! what comes next, and a request for feedback), in plain sentences counted from the health
//! figures, the wins and the work coming due. Executives read the whole organisation, with the
//! security team's own record beside the teams'; a manager reads their team, in terms of the
//! time it set aside and what it is measured on. Teams are named, never ranked.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use crate::health::next_month;
use crate::words::count;
use crate::{CloseBand, Feat, Health, Outcome, SecurityMonth, TeamMonth, Win};

/// Who a briefing is written for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reader<'a> {
    /// The executives: every team, and the security team's own record.
    Executives,
    /// One team's manager.
    Manager {
        team: &'a str,
        /// What the team is measured on, in its own words.
        measured_on: Option<&'a str>,
        /// The hours a week the team set aside for security work.
        weekly_hours: f64,
        /// What drove the team's month (`drivers`), said among what went wrong.
        drivers: &'a [String],
    },
}

/// A piece of work due in the month after the briefing's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coming<'a> {
    pub team: &'a str,
    pub outcome: Outcome,
    /// The hours it is expected to take.
    pub hours: f64,
}

/// A briefing's text, part by part.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Briefing {
    /// The month it covers: its first day.
    pub month: Date,
    pub title: String,
    /// What was done.
    pub accomplishments: Vec<String>,
    /// What went wrong, and where a relationship needs care.
    pub issues: Vec<String>,
    /// What the security team did about it, and its own record.
    pub responses: Vec<String>,
    /// What comes next month.
    pub plans: Vec<String>,
    /// The request for feedback, one line.
    pub feedback: String,
}

/// The briefing of `month` (its first day) for `reader`, from `health` (which must count that
/// month, and the one before it to compare), the wins of the month, and the work `coming` due
/// in the month after.
pub fn briefing(
    health: &Health,
    wins: &[Win],
    coming: &[Coming<'_>],
    month: Date,
    reader: Reader<'_>,
) -> Briefing {
    let at = health.months.iter().position(|first| *first == month);
    let name = month_name(month);
    let next = month_name(next_month(month));
    let in_month = |months: &Vec<TeamMonth>| at.and_then(|at| months.get(at)).cloned().unwrap_or_default();
    let before = |months: &Vec<TeamMonth>| {
        at.and_then(|at| at.checked_sub(1)).and_then(|at| months.get(at)).cloned().unwrap_or_default()
    };
    let security = at.and_then(|at| health.security.get(at)).cloned().unwrap_or_default();
    match reader {
        Reader::Executives => {
            let teams: BTreeMap<&str, (TeamMonth, TeamMonth)> = health
                .teams
                .iter()
                .map(|(team, months)| (team.as_str(), (in_month(months), before(months))))
                .collect();
            let now = sum(teams.values().map(|(now, _)| now));
            let then = sum(teams.values().map(|(_, then)| then));
            let mut accomplishments = vec![closed_sentence("Teams", &now, &name)];
            accomplishments.extend(win_sentences(wins, None));
            accomplishments.extend(habit_sentence(&now));
            let mut issues = trouble("", &now, &then, &name);
            issues.extend(teams.iter().filter_map(|(team, (now, then))| needs_care(team, now, then)));
            if issues.is_empty() {
                issues.push("Nothing went wrong that needs your attention.".into());
            }
            Briefing {
                month,
                title: format!("Security in {name}"),
                accomplishments,
                issues,
                responses: responses(&security, &now),
                plans: plans(coming, &next, None),
                feedback: "Is this briefing useful to you? Tell us in one line what you would change.".into(),
            }
        }
        Reader::Manager { team, measured_on, weekly_hours, drivers } => {
            let months = health.teams.get(team);
            let now = months.map(in_month).unwrap_or_default();
            let then = months.map(before).unwrap_or_default();
            let mut accomplishments = vec![closed_sentence("Your team", &now, &name)];
            accomplishments.extend(win_sentences(wins, Some(team)));
            accomplishments.extend(habit_sentence(&now));
            let mut issues = trouble("your team's ", &now, &then, &name);
            if now.close_band == Some(CloseBand::BelowLow) {
                issues.push(
                    "Your team closed less of its open work than most organisations do in a month.".into(),
                );
            }
            issues.extend(drivers.iter().cloned());
            if issues.is_empty() {
                issues.push("Nothing went wrong this month.".into());
            }
            let mine: Vec<Coming<'_>> = coming.iter().copied().filter(|work| work.team == team).collect();
            let mut plans = plans(&mine, &next, Some(weekly_hours));
            if let Some(measured_on) = measured_on.filter(|_| !mine.is_empty()) {
                plans.push(format!(
                    "We plan it around what your team is measured on: {}.",
                    measured_on.trim_end_matches('.')
                ));
            }
            Briefing {
                month,
                title: format!("{team} and security in {name}"),
                accomplishments,
                issues,
                responses: responses(&security, &now),
                plans,
                feedback: "How is working with the security team going? Tell us in one line.".into(),
            }
        }
    }
}

/// "November 2026".
pub fn month_name(first: Date) -> String {
    format!("{} {}", first.month(), first.year())
}

/// Every team's months added up, month by month, with the close rate of the whole.
pub fn across_teams(health: &Health) -> Vec<TeamMonth> {
    (0..health.months.len())
        .map(|at| {
            let mut all = sum(health.teams.values().filter_map(|months| months.get(at)));
            all.month = health.months.get(at).copied();
            all.close_rate = (all.open_work > 0).then(|| all.closed as f64 / all.open_work as f64);
            all.close_band = all.close_rate.map(CloseBand::of);
            all
        })
        .collect()
}

fn sum<'m>(months: impl Iterator<Item = &'m TeamMonth>) -> TeamMonth {
    months.fold(TeamMonth::default(), |mut all, month| {
        all.opened += month.opened;
        all.closed += month.closed;
        all.closed_on_time += month.closed_on_time;
        all.open_work += month.open_work;
        all.overdue_at_end += month.overdue_at_end;
        all.exceptions_requested += month.exceptions_requested;
        all.exceptions_granted += month.exceptions_granted;
        all.exceptions_expired += month.exceptions_expired;
        all.exceptions_in_force += month.exceptions_in_force;
        all.emergencies += month.emergencies;
        all.emergencies_by_criteria += month.emergencies_by_criteria;
        all.feedback += month.feedback;
        all.disputes += month.disputes;
        all.nudges += month.nudges;
        all.habits_shown += month.habits_shown;
        all
    })
}

fn closed_sentence(who: &str, month: &TeamMonth, name: &str) -> String {
    match (month.closed, month.closed_on_time) {
        (0, _) => format!("{who} closed no security work in {name}."),
        (closed, on_time) if on_time == closed => {
            format!(
                "{who} closed {} in {name}, all of it on time.",
                count(closed, "piece of security work", "pieces of security work")
            )
        }
        (closed, on_time) => format!(
            "{who} closed {} in {name}, {on_time} of them on time.",
            count(closed, "piece of security work", "pieces of security work")
        ),
    }
}

/// The month's wins in a reader's words: work done early counted per team, the others each
/// said, teams in the order of their names.
fn win_sentences(wins: &[Win], team: Option<&str>) -> Vec<String> {
    let mut early: BTreeMap<&str, usize> = BTreeMap::new();
    let mut said = Vec::new();
    for win in wins.iter().filter(|win| team.is_none_or(|team| win.team == team)) {
        let who = if team.is_some() { "Your team" } else { win.team.as_str() };
        match &win.feat {
            Feat::OnTime { .. } => *early.entry(win.team.as_str()).or_default() += 1,
            Feat::LargeRiskRemoved { .. } => {
                said.push(format!("{who} removed a serious risk, and a scan confirms it is gone."))
            }
            Feat::OnTimeWeeks { weeks } => {
                said.push(format!("{who} did all its security work on time for {weeks} weeks in a row."))
            }
            Feat::HabitAcrossTheTeam { people, .. } => said.push(format!(
                "Everyone we reminded in {} took up a safe habit: {}.",
                win.team,
                count(people, "person", "people")
            )),
        }
    }
    let mut sentences: Vec<String> = early
        .into_iter()
        .map(|(name, done)| {
            let who = if team.is_some() { "Your team" } else { name };
            match done {
                1 => format!("{who} finished a piece of work before it was due."),
                done => format!("{who} finished {done} pieces of work before they were due."),
            }
        })
        .collect();
    sentences.append(&mut said);
    sentences
}

fn habit_sentence(month: &TeamMonth) -> Option<String> {
    (month.habits_shown > 0).then(|| {
        format!("{} took up a safe habit after a reminder.", count(month.habits_shown, "person", "people"))
    })
}

/// What went wrong in a month, against the one before: work overdue at its end, exceptions,
/// emergencies under the policy and declared outside it, work said not to be the team's.
fn trouble(whose: &str, now: &TeamMonth, then: &TeamMonth, name: &str) -> Vec<String> {
    let mut said = Vec::new();
    if now.overdue_at_end > 0 || then.overdue_at_end > 0 {
        let trend = match now.overdue_at_end.cmp(&then.overdue_at_end) {
            std::cmp::Ordering::Greater => format!("up from {}", then.overdue_at_end),
            std::cmp::Ordering::Less => format!("down from {}", then.overdue_at_end),
            std::cmp::Ordering::Equal => "the same as a month before".into(),
        };
        let late = match now.overdue_at_end {
            1 => "1 piece of {whose}work was past its due date".replace("{whose}", whose),
            n => format!("{n} pieces of {whose}work were past their due date"),
        };
        said.push(format!("At the end of {name}, {late}, {trend}."));
    }
    if now.exceptions_in_force > 0 {
        said.push(format!(
            "{} waiting under an agreed exception.",
            capitalised(&count(now.exceptions_in_force, "piece of work is", "pieces of work are"))
        ));
    }
    if now.emergencies_by_criteria > 0 {
        let urgent = match now.emergencies_by_criteria {
            1 => "1 piece of {whose}work was an emergency".replace("{whose}", whose),
            n => format!("{n} pieces of {whose}work were emergencies"),
        };
        said.push(format!("{urgent} under the policy's rules."));
    }
    if now.emergencies > 0 {
        said.push(format!(
            "We declared {} outside the policy's rules.",
            count(now.emergencies, "emergency", "emergencies")
        ));
    }
    if now.disputes > 0 {
        said.push(format!(
            "Teams said {} that some work was not theirs.",
            count(now.disputes, "time", "times")
        ));
    }
    said
}

/// Why a team's relationship needs care this month, if it does.
fn needs_care(team: &str, now: &TeamMonth, then: &TeamMonth) -> Option<String> {
    let mut why = Vec::new();
    if now.overdue_at_end > then.overdue_at_end && now.overdue_at_end >= 2 {
        why.push(format!("late work rose from {} to {}", then.overdue_at_end, now.overdue_at_end));
    }
    if now.close_band == Some(CloseBand::BelowLow) && now.open_work >= 5 {
        why.push("it closed little of its open work".to_owned());
    }
    if now.disputes >= 2 {
        why.push(format!("it said {} that work was not its own", count(now.disputes, "time", "times")));
    }
    if now.rating.is_some_and(|rating| rating < 3.0) {
        why.push("its feedback was unhappy".to_owned());
    }
    if why.is_empty() {
        return None;
    }
    let why: Vec<String> = why.iter().map(|reason| format!("{}.", capitalised(reason))).collect();
    Some(format!("The relationship with {team} needs care. {}", why.join(" ")))
}

/// What the security team did about it, and its own record: how soon it answered and decided,
/// what still waits, what it got wrong, and the messages it sent.
fn responses(security: &SecurityMonth, teams: &TeamMonth) -> Vec<String> {
    let mut said = Vec::new();
    if teams.exceptions_granted > 0 {
        said.push(format!(
            "We granted {}, each with an end date.",
            count(teams.exceptions_granted, "exception", "exceptions")
        ));
    }
    if let Some(decided) = security.exceptions_decided {
        said.push(format!("We decided requests for exceptions in {} on the median.", days(decided.p50)));
    }
    if let Some(answered) = security.answered {
        said.push(format!("We answered teams' feedback in {} on the median.", days(answered.p50)));
    }
    said.push(match security.waiting_at_end {
        0 => "No question from a team is waiting for our answer.".into(),
        waiting => format!(
            "{} still {} for our answer.",
            capitalised(&count(waiting, "question", "questions")),
            if waiting == 1 { "waits" } else { "wait" }
        ),
    });
    if security.decisions_lowered > 0 {
        said.push(format!(
            "We lowered {} after new evidence, so teams were asked for more than was needed.",
            count(security.decisions_lowered, "decision", "decisions")
        ));
    }
    if security.briefing_answers > 0 {
        let rating = security
            .briefing_rating
            .map(|rating| format!(", rating it {rating:.1} of 5"))
            .unwrap_or_default();
        said.push(format!(
            "{} answered a briefing{rating}.",
            capitalised(&count(security.briefing_answers, "person", "people"))
        ));
    }
    let sent = security.messages_counted + security.messages_uncounted;
    let mut kept = Vec::new();
    if security.messages_gathered > 0 {
        kept.push(format!("kept {} for digests", security.messages_gathered));
    }
    if security.messages_dropped > 0 {
        kept.push(format!("held back {} as repeats", security.messages_dropped));
    }
    if sent > 0 || !kept.is_empty() {
        let sent = format!("We sent {}", count(sent, "message", "messages"));
        said.push(match kept.as_slice() {
            [] => format!("{sent}."),
            [one] => format!("{sent} and {one}."),
            [one, two, ..] => format!("{sent}, {one} and {two}."),
        });
    }
    said
}

fn plans(coming: &[Coming<'_>], next: &str, weekly_hours: Option<f64>) -> Vec<String> {
    if coming.is_empty() {
        return vec![format!("No work is due in {next}.")];
    }
    let urgent = coming.iter().filter(|work| work.outcome == Outcome::Act).count();
    let mut said = vec![match urgent {
        0 => format!(
            "{} due in {next}.",
            capitalised(&count(coming.len(), "piece of work is", "pieces of work are"))
        ),
        urgent => format!(
            "{} due in {next}, and {urgent} of them {} urgent.",
            capitalised(&count(coming.len(), "piece of work is", "pieces of work are")),
            if urgent == 1 { "is" } else { "are" }
        ),
    }];
    if let Some(weekly) = weekly_hours {
        let hours: f64 = coming.iter().map(|work| work.hours).sum();
        said.push(format!(
            "It needs about {} in all, within the {} a week your team set aside.",
            hours_words(hours),
            hours_words(weekly)
        ));
    }
    said
}

fn days(days: f64) -> String {
    match days {
        days if days < 1.0 => "less than a day".into(),
        days => count(days.round() as i64, "day", "days"),
    }
}

fn hours_words(hours: f64) -> String {
    count(hours.round().max(1.0) as i64, "hour", "hours")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
