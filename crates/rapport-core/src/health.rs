//! The relationship's health, month by month, from the event stream alone: for each team, how
//! its work went (closed on time, the share of open work closed, how long half of it stays
//! open, how soon it acknowledged what it was told, what is overdue, its exceptions,
//! emergencies, feedback and disputes, habits taken up), and the same turned on the security
//! team (how soon it answered, what it declared, which decisions it walked back).
//!
//! Nothing here reads a table: every figure is counted from what happened, in time order, so
//! the pages, the command line and the briefings say the same.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime};

use crate::{EventFacts, EventKind};

/// One event, as the health figures read it.
#[derive(Clone, Copy, Debug)]
pub struct Happened<'a> {
    pub at: OffsetDateTime,
    pub kind: EventKind,
    pub team: Option<&'a str>,
    pub action: Option<i64>,
    pub facts: &'a EventFacts,
}

/// Where a team's monthly close rate stands against the public benchmark (Cyentia and Kenna's
/// "Prioritization to Prediction" studies: the share of open vulnerabilities an organisation
/// closes in a month is 6.6% for the lowest quarter, 15.2% for the median, 27.1% for the top
/// quarter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseBand {
    /// Below 6.6%.
    BelowLow,
    /// From 6.6% to below 15.2%.
    LowToMedian,
    /// From 15.2% to below 27.1%.
    MedianToHigh,
    /// 27.1% and above.
    High,
}

impl CloseBand {
    pub const LOW: f64 = 0.066;
    pub const MEDIAN: f64 = 0.152;
    pub const HIGH: f64 = 0.271;

    pub fn of(rate: f64) -> CloseBand {
        match rate {
            rate if rate < Self::LOW => CloseBand::BelowLow,
            rate if rate < Self::MEDIAN => CloseBand::LowToMedian,
            rate if rate < Self::HIGH => CloseBand::MedianToHigh,
            _ => CloseBand::High,
        }
    }

    /// In words, for a table.
    pub fn words(self) -> &'static str {
        match self {
            CloseBand::BelowLow => "below the lowest quarter",
            CloseBand::LowToMedian => "lower half",
            CloseBand::MedianToHigh => "upper half",
            CloseBand::High => "top quarter",
        }
    }
}

/// Days, as the middle and the ninetieth percentile of what was counted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub p50: f64,
    pub p90: f64,
}

impl Spread {
    /// Nearest-rank percentiles of `days`; none of nothing.
    pub fn of(mut days: Vec<f64>) -> Option<Spread> {
        if days.is_empty() {
            return None;
        }
        days.sort_by(f64::total_cmp);
        let rank = |share: f64| {
            let index = ((share * days.len() as f64).ceil() as usize).saturating_sub(1);
            days.get(index).copied().unwrap_or_default()
        };
        Some(Spread { p50: rank(0.5), p90: rank(0.9) })
    }
}

/// One team's month.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TeamMonth {
    /// Its first day.
    pub month: Option<Date>,
    pub opened: usize,
    /// Actions whose findings went (confirmed by a scan, or gone by themselves), and of them
    /// those that never went overdue.
    pub closed: usize,
    pub closed_on_time: usize,
    /// Work open at the start of the month or opened in it: what the close rate divides by.
    pub open_work: usize,
    /// `closed` / `open_work`, and where that stands against the public benchmark.
    pub close_rate: Option<f64>,
    pub close_band: Option<CloseBand>,
    /// Days until half of the actions opened in the twelve months to the month's end were
    /// closed (Kaplan-Meier, the ones still open counted as open so far); none while fewer
    /// than half have closed.
    pub half_life_days: Option<f64>,
    /// Days from an action's opening to someone of the team saying "seen, we will see to it".
    pub acknowledged: Option<Spread>,
    /// Days from a policy coming into force to the team acknowledging it.
    pub policy_acknowledged: Option<Spread>,
    /// Open actions past their due date at the month's end.
    pub overdue_at_end: usize,
    pub exceptions_requested: usize,
    pub exceptions_granted: usize,
    pub exceptions_expired: usize,
    /// Actions under an exception at the month's end.
    pub exceptions_in_force: usize,
    pub emergencies: usize,
    pub feedback: usize,
    /// The mean of the month's feedback ratings, 1 (badly) to 5 (well).
    pub rating: Option<f64>,
    /// "Not ours" said, and of those answered by the security team in the month.
    pub disputes: usize,
    pub nudges: usize,
    /// People of the team whose devices showed a campaign's habit after a nudge.
    pub habits_shown: usize,
}

impl TeamMonth {
    /// The share of the month's closed actions closed on time.
    pub fn on_time(&self) -> Option<f64> {
        (self.closed > 0).then(|| self.closed_on_time as f64 / self.closed as f64)
    }
}

/// One month against the one before, in a sentence: what was closed, how much on time, the
/// close rate, the half-life and what stood overdue at the end, each with what it was.
pub fn compared(current: &TeamMonth, previous: &TeamMonth) -> String {
    let name = |month: Option<Date>| month.map_or_else(String::new, |month| month.month().to_string());
    let percent = |share: Option<f64>| {
        share.map_or_else(|| "none".to_owned(), |share| format!("{:.0}%", share * 100.0))
    };
    let days =
        |days: Option<f64>| days.map_or_else(|| "not yet".to_owned(), |days| format!("{days:.0} days"));
    format!(
        "{} against {}: {} closed (was {}), {} of them on time (was {}), a close rate of {} (was {}), a half-life of {} (was {}), {} overdue at the end (was {}).",
        name(current.month),
        name(previous.month),
        current.closed,
        previous.closed,
        percent(current.on_time()),
        percent(previous.on_time()),
        percent(current.close_rate),
        percent(previous.close_rate),
        days(current.half_life_days),
        days(previous.half_life_days),
        current.overdue_at_end,
        previous.overdue_at_end,
    )
}

/// The security team's own month.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SecurityMonth {
    pub month: Option<Date>,
    /// Days from a team's feedback or "not ours" to the security team's reply, for the replies
    /// of the month.
    pub answered: Option<Spread>,
    /// Days from an exception request to its decision, for the decisions of the month.
    pub exceptions_decided: Option<Spread>,
    /// Answers and exception requests given in the month or before and not answered by its end.
    pub waiting_at_end: usize,
    pub emergencies: usize,
    /// Decisions lowered (a finding first said to need acting on, later less), and teams' "done"
    /// a scan refuted.
    pub decisions_lowered: usize,
    pub done_refuted: usize,
}

/// The figures of every team and of the security team, month by month.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Health {
    pub months: Vec<Date>,
    pub teams: BTreeMap<String, Vec<TeamMonth>>,
    pub security: Vec<SecurityMonth>,
}

/// The first days of the `count` months up to the one of `last` (oldest first).
pub fn months_to(last: Date, count: usize) -> Vec<Date> {
    let mut months = Vec::with_capacity(count);
    let mut month = first_of(last);
    for _ in 0..count {
        months.push(month);
        month = previous_month(month);
    }
    months.reverse();
    months
}

fn first_of(day: Date) -> Date {
    day.replace_day(1).unwrap_or(day)
}

fn previous_month(first: Date) -> Date {
    let (year, month) = match first.month() {
        Month::January => (first.year() - 1, Month::December),
        month => (first.year(), month.previous()),
    };
    Date::from_calendar_date(year, month, 1).unwrap_or(first)
}

fn next_month(first: Date) -> Date {
    let (year, month) = match first.month() {
        Month::December => (first.year() + 1, Month::January),
        month => (first.year(), month.next()),
    };
    Date::from_calendar_date(year, month, 1).unwrap_or(first)
}

/// One action's life so far, as the events told it.
#[derive(Clone, Debug)]
struct Life {
    team: String,
    opened_at: OffsetDateTime,
    closed_at: Option<OffsetDateTime>,
    overdue: bool,
    excepted: bool,
}

/// Each action's lives, and what waits for the security team's answer.
#[derive(Default)]
struct Walk {
    lives: HashMap<i64, Vec<Life>>,
    policy_in_force: Option<OffsetDateTime>,
    /// Answers (by id) and exception requests (by id) not yet answered, with when they came.
    answers_waiting: HashMap<i64, OffsetDateTime>,
    exceptions_waiting: HashMap<i64, OffsetDateTime>,
}

impl Walk {
    fn current(&mut self, action: Option<i64>) -> Option<&mut Life> {
        self.lives.get_mut(&action?)?.last_mut().filter(|life| life.closed_at.is_none())
    }
}

fn days_between(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() / 86_400.0
}

/// What one month counted so far.
#[derive(Default)]
struct Tally {
    teams: BTreeMap<String, TeamMonth>,
    own: SecurityMonth,
    answered: Vec<f64>,
    decided: Vec<f64>,
    acknowledged: HashMap<String, Vec<f64>>,
    policy_acknowledged: HashMap<String, Vec<f64>>,
    ratings: HashMap<String, Vec<u8>>,
}

/// Counts the health of every team and of the security team over `months` (first days, oldest
/// first) from `events`, in any order. Teams are those the events name.
pub fn health(mut events: Vec<Happened<'_>>, months: &[Date]) -> Health {
    events.sort_by_key(|event| event.at);
    let mut walk = Walk::default();
    let mut teams: BTreeMap<String, Vec<TeamMonth>> = BTreeMap::new();
    let mut security: Vec<SecurityMonth> = Vec::new();
    let mut events = events.into_iter().peekable();
    if let Some(first) = months.first() {
        let start = first.midnight().assume_utc();
        // What happened before the first month counts only for what stands when it starts.
        let mut before = Tally::default();
        while let Some(event) = events.next_if(|event| event.at < start) {
            walk.apply(&event, &mut before);
        }
    }
    for &month in months {
        let end = next_month(month).midnight().assume_utc();
        let mut tally = Tally {
            own: SecurityMonth { month: Some(month), ..SecurityMonth::default() },
            ..Tally::default()
        };
        for life in walk.lives.values().filter_map(|lives| lives.last()) {
            if life.closed_at.is_none() {
                tally.teams.entry(life.team.clone()).or_default().open_work += 1;
            }
        }
        while let Some(event) = events.next_if(|event| event.at < end) {
            walk.apply(&event, &mut tally);
        }
        let Tally {
            teams: mut counts,
            mut own,
            answered,
            decided,
            mut acknowledged,
            mut policy_acknowledged,
            mut ratings,
        } = tally;
        own.answered = Spread::of(answered);
        own.exceptions_decided = Spread::of(decided);
        own.waiting_at_end = walk.answers_waiting.len() + walk.exceptions_waiting.len();
        security.push(own);
        close_the_month(&walk, &mut counts, end);
        for (team, mut figures) in counts {
            figures.month = Some(month);
            figures.acknowledged = acknowledged.remove(&team).and_then(Spread::of);
            figures.policy_acknowledged = policy_acknowledged.remove(&team).and_then(Spread::of);
            figures.rating = ratings
                .remove(&team)
                .filter(|given| !given.is_empty())
                .map(|given| given.iter().map(|rating| f64::from(*rating)).sum::<f64>() / given.len() as f64);
            teams.entry(team).or_default().push(figures);
        }
    }
    // Every team has every month, empty where nothing happened to it.
    for figures in teams.values_mut() {
        let mut full = Vec::with_capacity(months.len());
        for &month in months {
            match figures.iter().position(|figures| figures.month == Some(month)) {
                Some(index) => full.push(figures.swap_remove(index)),
                None => full.push(TeamMonth { month: Some(month), ..TeamMonth::default() }),
            }
        }
        *figures = full;
    }
    teams.remove("");
    Health { months: months.to_vec(), teams, security }
}

impl Walk {
    /// Follows one event: the action's life it moves, and what the month counts of it.
    fn apply(&mut self, event: &Happened<'_>, tally: &mut Tally) {
        let team = event.team.unwrap_or_default().to_owned();
        let figures = tally.teams.entry(team.clone()).or_default();
        match event.kind {
            EventKind::ActionOpened | EventKind::ActionReopened => {
                figures.opened += 1;
                figures.open_work += 1;
                if let Some(action) = event.action {
                    self.lives.entry(action).or_default().push(Life {
                        team,
                        opened_at: event.at,
                        closed_at: None,
                        overdue: false,
                        excepted: false,
                    });
                }
            }
            EventKind::ActionVerified | EventKind::ActionClosed => {
                if let Some(life) = self.current(event.action) {
                    life.closed_at = Some(event.at);
                    figures.closed += 1;
                    figures.closed_on_time += usize::from(!life.overdue);
                }
            }
            EventKind::ActionOverdue => {
                if let Some(life) = self.current(event.action) {
                    life.overdue = true;
                }
            }
            EventKind::ExceptionRequested => {
                figures.exceptions_requested += 1;
                if let Some(id) = event.facts.exception {
                    self.exceptions_waiting.insert(id, event.at);
                }
            }
            EventKind::ExceptionGranted | EventKind::ExceptionRejected => {
                if event.kind == EventKind::ExceptionGranted {
                    figures.exceptions_granted += 1;
                    if let Some(life) = self.current(event.action) {
                        life.excepted = true;
                    }
                }
                if let Some(asked) = event.facts.exception.and_then(|id| self.exceptions_waiting.remove(&id))
                {
                    tally.decided.push(days_between(asked, event.at));
                }
            }
            EventKind::ExceptionExpired => {
                figures.exceptions_expired += 1;
                if let Some(life) = self.current(event.action) {
                    life.excepted = false;
                }
            }
            EventKind::EmergencyDeclared => {
                figures.emergencies += 1;
                tally.own.emergencies += 1;
            }
            EventKind::FeedbackGiven => {
                figures.feedback += 1;
                if let Some(rating) = event.facts.rating {
                    tally.ratings.entry(team).or_default().push(rating);
                }
                self.wait_for_answer(event);
            }
            EventKind::OwnershipDisputed => {
                figures.disputes += 1;
                self.wait_for_answer(event);
            }
            EventKind::SecurityReplied => {
                if let Some(given) = event.facts.answer.and_then(|id| self.answers_waiting.remove(&id)) {
                    tally.answered.push(days_between(given, event.at));
                }
            }
            EventKind::ActionAcknowledged => {
                if let Some(life) = self.current(event.action) {
                    let days = days_between(life.opened_at, event.at);
                    tally.acknowledged.entry(team).or_default().push(days);
                }
            }
            EventKind::PolicyApplied => self.policy_in_force = Some(event.at),
            EventKind::PolicyAcknowledged => {
                if let Some(since) = self.policy_in_force {
                    tally.policy_acknowledged.entry(team).or_default().push(days_between(since, event.at));
                }
            }
            EventKind::DecisionChanged => {
                let lowered = matches!(
                    (event.facts.outcome, event.facts.previous_outcome),
                    (Some(now), Some(before)) if now < before
                );
                tally.own.decisions_lowered += usize::from(lowered);
            }
            EventKind::DoneRefuted => tally.own.done_refuted += 1,
            EventKind::CampaignNudged => figures.nudges += 1,
            EventKind::HabitShown => figures.habits_shown += 1,
            _ => {}
        }
    }

    fn wait_for_answer(&mut self, event: &Happened<'_>) {
        if let Some(id) = event.facts.answer {
            self.answers_waiting.insert(id, event.at);
        }
    }
}

/// What stands at the month's end: overdue work, exceptions in force, the close rate and the
/// half-life over the last twelve months.
fn close_the_month(walk: &Walk, counts: &mut BTreeMap<String, TeamMonth>, end: OffsetDateTime) {
    let year_before = end - Duration::days(365);
    let mut lives_by_team: HashMap<&str, Vec<(f64, bool)>> = HashMap::new();
    for lives in walk.lives.values() {
        if let Some(life) = lives.last().filter(|life| life.closed_at.is_none()) {
            let figures = counts.entry(life.team.clone()).or_default();
            if life.excepted {
                figures.exceptions_in_force += 1;
            } else if life.overdue {
                figures.overdue_at_end += 1;
            }
        }
        for life in lives.iter().filter(|life| life.opened_at >= year_before) {
            let (until, closed) = match life.closed_at {
                Some(closed) => (closed, true),
                None => (end, false),
            };
            lives_by_team.entry(&life.team).or_default().push((days_between(life.opened_at, until), closed));
        }
    }
    for (team, figures) in counts.iter_mut() {
        figures.close_rate =
            (figures.open_work > 0).then(|| figures.closed as f64 / figures.open_work as f64);
        figures.close_band = figures.close_rate.map(CloseBand::of);
        figures.half_life_days = lives_by_team.remove(team.as_str()).and_then(half_life);
    }
}

/// The Kaplan-Meier median of (days, closed) lives: the first time the share still open falls
/// to half or below; none while it has not.
fn half_life(mut lives: Vec<(f64, bool)>) -> Option<f64> {
    lives.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut at_risk = lives.len() as f64;
    let mut still_open = 1.0;
    for (days, closed) in lives {
        if closed {
            still_open *= 1.0 - 1.0 / at_risk;
            if still_open <= 0.5 {
                return Some(days);
            }
        }
        at_risk -= 1.0;
    }
    None
}

#[cfg(test)]
mod tests;
