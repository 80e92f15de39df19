//! Wins worth a thank-you, found in the event stream: work a team finished before its due
//! date, a large risk removed (work the policy says to act on, confirmed gone), a run of weeks
//! in which everything a team closed was on time, and a habit every nudged person of a team
//! took up. Each win is named once, so that however often the stream is read it is thanked
//! once; the large ones go to the manager's manager too. Nothing here ranks one team against
//! another.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::{EventKind, Happened, Outcome};

/// What a team did; kept in the facts of the event that thanks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Feat {
    /// Marked done before its due date, and a scan confirmed it.
    OnTime { action: i64 },
    /// Work the policy says to act on, confirmed gone.
    LargeRiskRemoved { action: i64 },
    /// `weeks` weeks in a row in which the team closed work and none of it went overdue.
    OnTimeWeeks { weeks: u32 },
    /// Everyone of the team nudged toward a campaign's habit now shows it.
    HabitAcrossTheTeam { campaign: String, people: usize },
}

/// A win of one team, when it happened, and the name it is thanked once under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Win {
    pub team: String,
    pub at: OffsetDateTime,
    pub feat: Feat,
    pub once: String,
}

impl Feat {
    /// Large wins are told to the managers' own managers too.
    pub fn is_large(&self) -> bool {
        matches!(self, Feat::LargeRiskRemoved { .. })
    }

    /// Its name in the facts and the templates: "on_time", "large_risk_removed",
    /// "on_time_weeks", "habit_across_the_team".
    pub fn name(&self) -> &'static str {
        match self {
            Feat::OnTime { .. } => "on_time",
            Feat::LargeRiskRemoved { .. } => "large_risk_removed",
            Feat::OnTimeWeeks { .. } => "on_time_weeks",
            Feat::HabitAcrossTheTeam { .. } => "habit_across_the_team",
        }
    }

    /// What the team did, in a few words after its name ("Web finished action #12 before its
    /// due date").
    pub fn words(&self) -> String {
        match self {
            Feat::OnTime { action } => format!("finished action #{action} before its due date"),
            Feat::LargeRiskRemoved { action } => {
                format!(
                    "removed a large risk: action #{action}, which the policy says to act on, is confirmed fixed"
                )
            }
            Feat::OnTimeWeeks { weeks } => format!("closed everything on time for {weeks} weeks in a row"),
            Feat::HabitAcrossTheTeam { campaign, people } => {
                format!("took up the {campaign} habit: all {people} people nudged toward it now show it")
            }
        }
    }
}

/// Weeks in a row that make a run worth thanking, and each further run of as many.
pub const ON_TIME_WEEKS: u32 = 4;

/// Fewest people of a team in a campaign for its taking up the habit to be a team's win.
pub const HABIT_PEOPLE: usize = 3;

/// One action as the wins read it.
#[derive(Clone, Copy, Debug, Default)]
struct Work {
    outcome: Option<Outcome>,
    overdue: bool,
}

/// Every win in `events` (in any order) that happened from `from` until `to`; what happened
/// before `from` only sets the scene.
pub fn wins(mut events: Vec<Happened<'_>>, from: OffsetDateTime, to: OffsetDateTime) -> Vec<Win> {
    events.sort_by_key(|event| event.at);
    let mut work: HashMap<i64, Work> = HashMap::new();
    let mut found = Vec::new();
    // Per team, each week (its Monday) in which work closed, and whether any went overdue.
    let mut weeks: BTreeMap<String, BTreeMap<time::Date, bool>> = BTreeMap::new();
    // Per team and campaign, the people nudged and those whose devices show the habit.
    let mut habits: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for event in events.iter().filter(|event| event.at < to) {
        let team = event.team.unwrap_or_default();
        let counted = event.at >= from;
        let week = monday_of(event.at);
        match event.kind {
            EventKind::ActionOpened | EventKind::ActionReopened => {
                if let Some(action) = event.action {
                    work.insert(action, Work { outcome: event.facts.outcome, ..Work::default() });
                }
            }
            EventKind::DecisionChanged => {
                if let (Some(action), Some(outcome)) = (event.action, event.facts.outcome) {
                    work.entry(action).or_default().outcome = Some(outcome);
                }
            }
            EventKind::ActionOverdue => {
                if let Some(action) = event.action {
                    work.entry(action).or_default().overdue = true;
                }
                weeks.entry(team.to_owned()).or_default().insert(week, true);
            }
            EventKind::ActionVerified | EventKind::ActionClosed => {
                let Some(action) = event.action else { continue };
                let done = work.get(&action).copied().unwrap_or_default();
                weeks.entry(team.to_owned()).or_default().entry(week).or_insert(false);
                // Only work its team said was done and a scan confirmed: work that went by itself
                // is nobody's win.
                if !counted || event.kind != EventKind::ActionVerified {
                    continue;
                }
                let (feat, name) = match (done.outcome, done.overdue) {
                    (Some(Outcome::Act), _) => (Feat::LargeRiskRemoved { action }, "large-risk"),
                    (_, false) => (Feat::OnTime { action }, "on-time"),
                    (_, true) => continue,
                };
                let once = format!("win:{name}:{action}:{}", event.at.unix_timestamp());
                found.push(Win { team: team.to_owned(), at: event.at, feat, once });
            }
            EventKind::CampaignNudged | EventKind::HabitShown => {
                let (Some(campaign), Some(person)) = (&event.facts.campaign, &event.facts.person) else {
                    continue;
                };
                let (nudged, shown) = habits.entry((team.to_owned(), campaign.clone())).or_default();
                if event.kind == EventKind::CampaignNudged {
                    nudged.insert(person.clone());
                    shown.remove(person);
                    continue;
                }
                shown.insert(person.clone());
                if counted && nudged.len() >= HABIT_PEOPLE && nudged.is_subset(shown) {
                    found.push(Win {
                        team: team.to_owned(),
                        at: event.at,
                        feat: Feat::HabitAcrossTheTeam { campaign: campaign.clone(), people: nudged.len() },
                        once: format!("win:habit:{campaign}:{team}:{}", event.at.unix_timestamp()),
                    });
                }
            }
            _ => {}
        }
    }
    for (team, weeks) in &weeks {
        found.extend(runs_of_on_time_weeks(team, weeks, from, to));
    }
    found.retain(|win| !win.team.is_empty());
    found.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.once.cmp(&b.once)));
    found
}

/// The Monday that starts the week of `at` (UTC).
fn monday_of(at: OffsetDateTime) -> time::Date {
    let day = at.date();
    day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
}

/// Each run of `ON_TIME_WEEKS` weeks in a row (and each further run as long) in which the team
/// closed work and none went overdue, won when its last week ended, from `from` until `to`.
fn runs_of_on_time_weeks(
    team: &str,
    weeks: &BTreeMap<time::Date, bool>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Vec<Win> {
    let mut won = Vec::new();
    let mut run = 0;
    let mut last: Option<time::Date> = None;
    for (week, late) in weeks {
        let follows = last.is_some_and(|last| *week - last == Duration::WEEK);
        run = match (late, follows) {
            (true, _) => 0,
            (false, true) => run + 1,
            (false, false) => 1,
        };
        last = Some(*week);
        let ended = (*week + Duration::WEEK).midnight().assume_utc();
        if run > 0 && run % ON_TIME_WEEKS == 0 && ended >= from && ended <= to {
            won.push(Win {
                team: team.to_owned(),
                at: ended,
                feat: Feat::OnTimeWeeks { weeks: run },
                once: format!("win:weeks:{team}:{week}"),
            });
        }
    }
    won
}

#[cfg(test)]
mod tests;
