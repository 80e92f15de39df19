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
use time::{Date, Month, OffsetDateTime};

use crate::{EventFacts, EventKind};

/// One event, as the health figures read it.
#[derive(Clone, Copy, Debug)]
pub struct Happened<'a> {
    pub at: OffsetDateTime,
    pub kind: EventKind,
    pub team: Option<&'a str>,
    pub action: Option<i64>,
    pub facts: &'a EventFacts,
    /// Given from a message's answer link or page, rather than on the pages.
    pub from_message: bool,
}

/// How a message Rapport composed went, as the security team's record counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Sent, counted against the reader's weekly budget.
    Counted,
    /// Sent without counting: an emergency under the policy's criteria.
    Uncounted,
    /// Held to be gathered into the reader's digest.
    Gathered,
    /// Not sent: a repeat of one the reader had just had.
    Dropped,
}

/// A message composed at `at`, and how it went, about `team`'s work when it was about a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    pub at: OffsetDateTime,
    pub sent: Sent,
    pub team: Option<String>,
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
    /// Emergencies declared on its work: overrides outside the policy's criteria.
    pub emergencies: usize,
    /// Work that met the policy's emergency criteria when it opened or its decision rose:
    /// urgent by the policy itself, with no declaration.
    pub emergencies_by_criteria: usize,
    pub feedback: usize,
    /// The mean of the month's feedback ratings, 1 (badly) to 5 (well).
    pub rating: Option<f64>,
    /// "Not ours" said, and of those answered by the security team in the month.
    pub disputes: usize,
    pub nudges: usize,
    /// People of the team whose devices showed a campaign's habit after a nudge.
    pub habits_shown: usize,
    /// Messages about the team's work that went to its readers (sent, or gathered into a
    /// digest; not those dropped as repeats), and the answers given from one.
    pub messages: usize,
    pub answered_from_messages: usize,
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
    /// Emergencies it declared outside the policy's criteria.
    pub emergencies: usize,
    /// Decisions lowered (a finding first said to need acting on, later less), and teams' "done"
    /// a scan refuted.
    pub decisions_lowered: usize,
    pub done_refuted: usize,
    /// The messages it composed in the month: sent against the readers' weekly budgets, sent
    /// at once without counting, held for a digest, and dropped as repeats.
    pub messages_counted: usize,
    pub messages_uncounted: usize,
    pub messages_gathered: usize,
    pub messages_dropped: usize,
    /// Answers to the monthly briefings given in the month, and their mean rating (1 to 5).
    pub briefing_answers: usize,
    pub briefing_rating: Option<f64>,
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

/// The first day of the month after the one `first` starts.
pub fn next_month(first: Date) -> Date {
    let (year, month) = match first.month() {
        Month::December => (first.year() + 1, Month::January),
        month => (first.year(), month.next()),
    };
    Date::from_calendar_date(year, month, 1).unwrap_or(first)
}

/// One action's life so far, as the events told it.
#[derive(Clone, Debug)]
struct Life {
    team: usize,
    /// Unix seconds: the half-life takes millions of differences.
    opened_at: i64,
    closed_at: Option<i64>,
    overdue: bool,
    excepted: bool,
}

/// What stands for one team as the walk goes: its open work, of it what is overdue and what is
/// under an exception, and its lives in the order they were opened.
#[derive(Clone, Debug, Default)]
struct Standing {
    open: usize,
    overdue: usize,
    excepted: usize,
    lives: Vec<usize>,
}

/// The walk through the stream: every action's lives, each team's standing, and what waits
/// for the security team's answer. Teams are numbered as they appear, so that following an
/// event costs no allocation.
#[derive(Default)]
struct Walk {
    names: Vec<String>,
    numbers: HashMap<String, usize>,
    standing: Vec<Standing>,
    lives: Vec<Life>,
    /// Each action's current life, by the action's id.
    current: HashMap<i64, usize>,
    policy_in_force: Option<OffsetDateTime>,
    /// Answers (by id) and exception requests (by id) not yet answered, with when they came.
    answers_waiting: HashMap<i64, OffsetDateTime>,
    exceptions_waiting: HashMap<i64, OffsetDateTime>,
}

fn days_between(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() / 86_400.0
}

fn seconds_to_days(seconds: i64) -> f64 {
    seconds as f64 / 86_400.0
}

/// What one month counted, by team number.
#[derive(Default)]
struct Tally {
    teams: Vec<TeamMonth>,
    acknowledged: Vec<Vec<f64>>,
    policy_acknowledged: Vec<Vec<f64>>,
    ratings: Vec<Vec<u8>>,
    own: SecurityMonth,
    answered: Vec<f64>,
    decided: Vec<f64>,
    briefing_ratings: Vec<u8>,
}

impl Tally {
    /// Makes room for team numbers up to `count`.
    fn reach(&mut self, count: usize) {
        if self.teams.len() < count {
            self.teams.resize_with(count, TeamMonth::default);
            self.acknowledged.resize_with(count, Vec::new);
            self.policy_acknowledged.resize_with(count, Vec::new);
            self.ratings.resize_with(count, Vec::new);
        }
    }
}

/// Counts the health of every team and of the security team over `months` (first days, oldest
/// first) from `events`, in any order, and the messages `composed`. Teams are those the
/// events name.
pub fn health(mut events: Vec<Happened<'_>>, composed: &[Composed], months: &[Date]) -> Health {
    events.sort_by_key(|event| event.at);
    let mut walk = Walk::default();
    let mut figures: Vec<Vec<TeamMonth>> = Vec::new();
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
    for (index, &month) in months.iter().enumerate() {
        let end = next_month(month).midnight().assume_utc();
        let mut tally = Tally {
            own: SecurityMonth { month: Some(month), ..SecurityMonth::default() },
            ..Tally::default()
        };
        tally.reach(walk.names.len());
        for (team, standing) in tally.teams.iter_mut().zip(&walk.standing) {
            team.open_work = standing.open;
        }
        while let Some(event) = events.next_if(|event| event.at < end) {
            walk.apply(&event, &mut tally);
        }
        tally.reach(walk.names.len());
        tally.own.answered = Spread::of(std::mem::take(&mut tally.answered));
        tally.own.exceptions_decided = Spread::of(std::mem::take(&mut tally.decided));
        let ratings = std::mem::take(&mut tally.briefing_ratings);
        tally.own.briefing_rating = (!ratings.is_empty())
            .then(|| ratings.iter().map(|rating| f64::from(*rating)).sum::<f64>() / ratings.len() as f64);
        tally.own.waiting_at_end = walk.answers_waiting.len() + walk.exceptions_waiting.len();
        let Tally { teams, acknowledged, policy_acknowledged, ratings, own, .. } = tally;
        security.push(own);
        let closing = teams.into_iter().zip(acknowledged).zip(policy_acknowledged).zip(ratings);
        for (team, (((mut counted, acknowledged), policy_acknowledged), ratings)) in closing.enumerate() {
            walk.close_the_month(team, &mut counted, end);
            counted.month = Some(month);
            counted.acknowledged = Spread::of(acknowledged);
            counted.policy_acknowledged = Spread::of(policy_acknowledged);
            counted.rating = (!ratings.is_empty())
                .then(|| ratings.iter().map(|rating| f64::from(*rating)).sum::<f64>() / ratings.len() as f64);
            if figures.len() <= team {
                figures.resize_with(team + 1, Vec::new);
            }
            if let Some(months_of_team) = figures.get_mut(team) {
                // A team first named this month had nothing to count in the months before.
                for earlier in months.iter().take(index).skip(months_of_team.len()) {
                    months_of_team.push(TeamMonth { month: Some(*earlier), ..TeamMonth::default() });
                }
                months_of_team.push(counted);
            }
        }
    }
    count_messages(&mut security, composed, months);
    count_team_messages(&mut figures, &walk.numbers, composed, months);
    let mut teams: BTreeMap<String, Vec<TeamMonth>> = walk.names.into_iter().zip(figures).collect();
    teams.remove("");
    Health { months: months.to_vec(), teams, security }
}

/// The index of the month among `months` that `at` falls in.
fn month_of(months: &[Date], at: OffsetDateTime) -> Option<usize> {
    let day = at.date();
    let index = months.partition_point(|first| *first <= day).checked_sub(1)?;
    (day < next_month(*months.get(index)?)).then_some(index)
}

/// Adds each message about a team's work that reached its readers to the team's month.
fn count_team_messages(
    figures: &mut [Vec<TeamMonth>],
    numbers: &HashMap<String, usize>,
    composed: &[Composed],
    months: &[Date],
) {
    for message in composed.iter().filter(|message| message.sent != Sent::Dropped) {
        let Some(team) = message.team.as_deref().and_then(|team| numbers.get(team)) else { continue };
        let Some(index) = month_of(months, message.at) else { continue };
        if let Some(month) = figures.get_mut(*team).and_then(|team| team.get_mut(index)) {
            month.messages += 1;
        }
    }
}

/// Adds each composed message to the security team's month it was composed in.
fn count_messages(security: &mut [SecurityMonth], composed: &[Composed], months: &[Date]) {
    for message in composed {
        let Some(month) = month_of(months, message.at).and_then(|index| security.get_mut(index)) else {
            continue;
        };
        match message.sent {
            Sent::Counted => month.messages_counted += 1,
            Sent::Uncounted => month.messages_uncounted += 1,
            Sent::Gathered => month.messages_gathered += 1,
            Sent::Dropped => month.messages_dropped += 1,
        }
    }
}

impl Walk {
    /// The number of the team named `name`, numbering it when it is new.
    fn number(&mut self, name: &str) -> usize {
        if let Some(number) = self.numbers.get(name) {
            return *number;
        }
        let number = self.names.len();
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), number);
        self.standing.push(Standing::default());
        number
    }

    /// The life under way of `action`, and its team's standing.
    fn current(&mut self, action: Option<i64>) -> Option<(&mut Life, &mut Standing)> {
        let life = self.lives.get_mut(*self.current.get(&action?)?)?;
        let standing = self.standing.get_mut(life.team)?;
        life.closed_at.is_none().then_some((life, standing))
    }

    /// Follows one event: the action's life it moves, and what the month counts of it.
    fn apply(&mut self, event: &Happened<'_>, tally: &mut Tally) {
        let team = self.number(event.team.unwrap_or_default());
        tally.reach(self.names.len());
        let (Some(figures), Some(acknowledged), Some(policy_acknowledged), Some(ratings)) = (
            tally.teams.get_mut(team),
            tally.acknowledged.get_mut(team),
            tally.policy_acknowledged.get_mut(team),
            tally.ratings.get_mut(team),
        ) else {
            return;
        };
        if event.from_message {
            figures.answered_from_messages += 1;
        }
        match event.kind {
            EventKind::ActionOpened | EventKind::ActionReopened => {
                figures.opened += 1;
                figures.open_work += 1;
                figures.emergencies_by_criteria += usize::from(event.facts.emergency);
                if let (Some(action), None) = (event.action, self.current(event.action)) {
                    self.current.insert(action, self.lives.len());
                    if let Some(standing) = self.standing.get_mut(team) {
                        standing.open += 1;
                        standing.lives.push(self.lives.len());
                    }
                    self.lives.push(Life {
                        team,
                        opened_at: event.at.unix_timestamp(),
                        closed_at: None,
                        overdue: false,
                        excepted: false,
                    });
                }
            }
            EventKind::ActionVerified | EventKind::ActionClosed => {
                if let Some((life, standing)) = self.current(event.action) {
                    life.closed_at = Some(event.at.unix_timestamp());
                    standing.open = standing.open.saturating_sub(1);
                    if life.excepted {
                        standing.excepted = standing.excepted.saturating_sub(1);
                    } else if life.overdue {
                        standing.overdue = standing.overdue.saturating_sub(1);
                    }
                    figures.closed += 1;
                    figures.closed_on_time += usize::from(!life.overdue);
                }
            }
            EventKind::ActionOverdue => {
                if let Some((life, standing)) = self.current(event.action)
                    && !life.overdue
                {
                    life.overdue = true;
                    standing.overdue += usize::from(!life.excepted);
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
                    if let Some((life, standing)) = self.current(event.action)
                        && !life.excepted
                    {
                        life.excepted = true;
                        standing.excepted += 1;
                        standing.overdue = standing.overdue.saturating_sub(usize::from(life.overdue));
                    }
                }
                if let Some(asked) = event.facts.exception.and_then(|id| self.exceptions_waiting.remove(&id))
                {
                    tally.decided.push(days_between(asked, event.at));
                }
            }
            EventKind::ExceptionExpired => {
                figures.exceptions_expired += 1;
                if let Some((life, standing)) = self.current(event.action)
                    && life.excepted
                {
                    life.excepted = false;
                    standing.excepted = standing.excepted.saturating_sub(1);
                    standing.overdue += usize::from(life.overdue);
                }
            }
            EventKind::EmergencyDeclared => {
                figures.emergencies += 1;
                tally.own.emergencies += 1;
            }
            EventKind::FeedbackGiven => {
                figures.feedback += 1;
                ratings.extend(event.facts.rating);
                self.wait_for_answer(event);
            }
            EventKind::OwnershipDisputed => {
                figures.disputes += 1;
                self.wait_for_answer(event);
            }
            EventKind::BriefingAnswered => {
                tally.own.briefing_answers += 1;
                tally.briefing_ratings.extend(event.facts.rating);
            }
            EventKind::SecurityReplied => {
                if let Some(given) = event.facts.answer.and_then(|id| self.answers_waiting.remove(&id)) {
                    tally.answered.push(days_between(given, event.at));
                }
            }
            EventKind::ActionAcknowledged => {
                if let Some((life, _)) = self.current(event.action) {
                    acknowledged.push(seconds_to_days(event.at.unix_timestamp() - life.opened_at));
                }
            }
            EventKind::PolicyApplied => self.policy_in_force = Some(event.at),
            EventKind::PolicyAcknowledged => {
                if let Some(since) = self.policy_in_force {
                    policy_acknowledged.push(days_between(since, event.at));
                }
            }
            EventKind::DecisionChanged => {
                let lowered = matches!(
                    (event.facts.outcome, event.facts.previous_outcome),
                    (Some(now), Some(before)) if now < before
                );
                tally.own.decisions_lowered += usize::from(lowered);
                figures.emergencies_by_criteria += usize::from(event.facts.emergency);
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

    /// What stands for `team` at the month's end: overdue work, exceptions in force, the close
    /// rate and the half-life over the last twelve months.
    fn close_the_month(&self, team: usize, figures: &mut TeamMonth, end: OffsetDateTime) {
        let Some(standing) = self.standing.get(team) else { return };
        figures.overdue_at_end = standing.overdue;
        figures.exceptions_in_force = standing.excepted;
        figures.close_rate =
            (figures.open_work > 0).then(|| figures.closed as f64 / figures.open_work as f64);
        figures.close_band = figures.close_rate.map(CloseBand::of);
        // The team's lives are in the order they were opened: the year's are the last ones.
        let end = end.unix_timestamp();
        let year_before = end - 365 * 86_400;
        let first = standing
            .lives
            .partition_point(|life| self.lives.get(*life).is_some_and(|life| life.opened_at < year_before));
        let lives =
            standing.lives.get(first..).unwrap_or_default().iter().filter_map(|life| self.lives.get(*life));
        figures.half_life_days = half_life(
            lives
                .map(|life| match life.closed_at {
                    Some(closed) => (seconds_to_days(closed - life.opened_at), true),
                    None => (seconds_to_days(end - life.opened_at), false),
                })
                .collect(),
        );
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
