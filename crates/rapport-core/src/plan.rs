//! One team's plan: its open actions ordered by decision and the risk they remove, laid out
//! week by week within the hours the team said it has, around its freezes. When the hours
//! are short the plan says what would be late instead of overloading the team; only
//! emergencies break freezes and capacity.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, Weekday};

use crate::{Action, ActionState, Outcome, Policy};

/// Why an action is an emergency, if it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Emergency {
    /// It meets the agreed criteria.
    Criteria,
    /// Someone declared it one outside the criteria; recorded for the monthly review.
    Override { declared_by: String, reason: String },
}

/// An action with what the plan needs of its life so far.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedAction {
    pub id: i64,
    pub action: Action,
    pub state: ActionState,
    /// When the action reached its current decision: the policy's clock starts there.
    pub outcome_since: OffsetDateTime,
    /// A recorded emergency override, if any.
    pub override_by: Option<(String, String)>,
    /// The last day of an approved exception in force.
    pub excepted_until: Option<Date>,
}

/// One action in the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledAction {
    pub id: i64,
    pub what: String,
    /// The same without vulnerability ids, for readers who do not read them.
    #[serde(skip)]
    pub what_in_words: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
    pub reason: String,
    pub findings: u32,
    /// Findings per outcome, most urgent first: `[act, attend, track*, track]`.
    pub by_outcome: [u32; 4],
    pub places: usize,
    pub effort_hours: f64,
    pub risk: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// The week work starts and the day it is expected done, within capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finishes: Option<Date>,
    /// Expected done after its due date (or not within two years).
    pub late: bool,
}

/// One week of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanWeek {
    pub starts: Date,
    /// Hours available this week, after freezes and days already past.
    pub capacity_hours: f64,
    pub booked_hours: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<String>,
    /// Actions worked on this week (an action bigger than a week spans several).
    pub actions: Vec<i64>,
}

/// Actions set aside from the schedule, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetAside {
    pub id: i64,
    pub what: String,
    /// The same without vulnerability ids, for readers who do not read them.
    #[serde(skip)]
    pub what_in_words: String,
    pub outcome: Outcome,
    pub until: Option<Date>,
}

/// A team's plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamPlan {
    pub team: String,
    pub today: Date,
    pub weekly_capacity_hours: f64,
    /// True when the team has not said its capacity and the policy's default is used.
    pub capacity_assumed: bool,
    /// Every open action in the order it will be worked on.
    pub actions: Vec<ScheduledAction>,
    pub weeks: Vec<PlanWeek>,
    /// Under an approved exception until the day given.
    pub excepted: Vec<SetAside>,
    /// Marked done by the team; waiting for a scan to confirm.
    pub verifying: Vec<SetAside>,
    /// Why the plan does not fit, in words; empty when it does.
    pub shortfall: Vec<String>,
}

/// How far ahead the schedule is computed to find every action's finish.
const HORIZON_WEEKS: usize = 104;

/// Lays out one team's plan from today.
pub fn plan_team(
    team: &str,
    stated_capacity: Option<f64>,
    actions: &[PlannedAction],
    policy: &Policy,
    today: Date,
    weeks: u32,
) -> TeamPlan {
    let weekly = stated_capacity.unwrap_or(policy.spec.capacity.default_weekly_hours).max(0.0);
    let monday = today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
    let mut calendar: Vec<PlanWeek> = (0..HORIZON_WEEKS)
        .map(|week| {
            let starts = monday + Duration::weeks(week as i64);
            let (workdays, frozen) = available_days(policy, team, starts, today);
            PlanWeek {
                starts,
                capacity_hours: weekly * workdays as f64 / 5.0,
                booked_hours: 0.0,
                frozen,
                actions: vec![],
            }
        })
        .collect();

    let mut excepted = Vec::new();
    let mut verifying = Vec::new();
    let mut scheduled = Vec::new();
    for planned in actions {
        let set_aside = |until| SetAside {
            id: planned.id,
            what: planned.action.what.clone(),
            what_in_words: planned.action.what_in_words(),
            outcome: planned.action.outcome,
            until,
        };
        match (planned.state, planned.excepted_until) {
            (ActionState::Closed, _) => {}
            (ActionState::Verifying, _) => verifying.push(set_aside(None)),
            (ActionState::Accepted, Some(until)) if until >= today => excepted.push(set_aside(Some(until))),
            // An exception that ended is back in the plan before the clock has said so.
            (ActionState::Open | ActionState::Accepted, _) => {
                scheduled.push(scheduled_action(planned, policy))
            }
        }
    }
    scheduled.sort_by(|a, b| {
        b.emergency
            .is_some()
            .cmp(&a.emergency.is_some())
            .then(b.outcome.cmp(&a.outcome))
            .then(a.due.unwrap_or(Date::MAX).cmp(&b.due.unwrap_or(Date::MAX)))
            .then((b.risk / b.effort_hours.max(0.1)).total_cmp(&(a.risk / a.effort_hours.max(0.1))))
            .then(a.id.cmp(&b.id))
    });

    let mut cursor = 0;
    for action in &mut scheduled {
        if action.emergency.is_some() {
            // Emergencies are done now, whatever the freeze or the week's hours.
            if let Some(week) = calendar.first_mut() {
                week.booked_hours += action.effort_hours;
                week.actions.push(action.id);
                action.starts = Some(today);
                action.finishes = action.due.map(|due| due.min(today + Duration::days(3))).or(Some(today));
            }
            continue;
        }
        let mut left = action.effort_hours;
        while let Some(week) = calendar.get_mut(cursor) {
            let free = week.capacity_hours - week.booked_hours;
            if free <= 1e-9 {
                cursor += 1;
                continue;
            }
            let take = free.min(left);
            week.booked_hours += take;
            week.actions.push(action.id);
            action.starts.get_or_insert(week.starts.max(today));
            left -= take;
            if left <= 1e-9 {
                let friday = week.starts + Duration::days(4);
                action.finishes = Some(friday.max(today));
                break;
            }
        }
        action.late = match (action.finishes, action.due) {
            (None, _) => true,
            (Some(finishes), Some(due)) => finishes > due,
            (Some(_), None) => false,
        };
    }

    let shortfall = shortfall(&scheduled, &calendar, policy, team, weekly, today);
    calendar.truncate(weeks.max(1) as usize);
    TeamPlan {
        team: team.to_owned(),
        today,
        weekly_capacity_hours: weekly,
        capacity_assumed: stated_capacity.is_none(),
        actions: scheduled,
        weeks: calendar,
        excepted,
        verifying,
        shortfall,
    }
}

impl PlannedAction {
    /// Why it is an emergency, if it is: a recorded override, or the policy's criteria.
    pub fn emergency(&self, policy: &Policy) -> Option<Emergency> {
        match &self.override_by {
            Some((declared_by, reason)) => {
                Some(Emergency::Override { declared_by: declared_by.clone(), reason: reason.clone() })
            }
            None => policy.calls_for_emergency(&self.action).then_some(Emergency::Criteria),
        }
    }

    /// When it is due under the policy; `None` for routine work.
    pub fn due(&self, policy: &Policy) -> Option<OffsetDateTime> {
        policy.due(self.action.outcome, self.outcome_since, self.emergency(policy).is_some())
    }
}

/// Where an action stands, as every page, the API and the command line say it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Standing {
    Open,
    /// Open, and an emergency: done first, whatever the freeze or the week's hours.
    Emergency {
        emergency: Emergency,
    },
    Verifying,
    /// Set aside under an approved exception whose last day is `until`.
    Accepted {
        until: Date,
    },
    /// Its exception has ended; back in the plan once the clock has run.
    ExceptionEnded {
        until: Date,
    },
    Closed,
}

impl Emergency {
    /// In words, for an action's page: "Emergency: it meets the policy's emergency criteria".
    pub fn words(&self) -> String {
        match self {
            Emergency::Criteria => "Emergency: it meets the policy's emergency criteria".to_owned(),
            Emergency::Override { declared_by, reason } => {
                format!("Emergency, declared by {declared_by}: {reason}")
            }
        }
    }
}

impl Standing {
    pub fn words(&self) -> String {
        match self {
            Standing::Open => "open".to_owned(),
            // Lower case: it follows the decision, "Act · emergency, declared by...".
            Standing::Emergency { emergency } => {
                let words = emergency.words();
                let mut chars = words.chars();
                chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
            }
            Standing::Verifying => ActionState::Verifying.label().to_owned(),
            Standing::Accepted { until } => format!("accepted until {until}"),
            Standing::ExceptionEnded { until } => format!("open again: its exception ended on {until}"),
            Standing::Closed => "closed".to_owned(),
        }
    }

    /// Whose move it is: the team may still answer (done, exception, feedback).
    pub fn asks_the_team(&self) -> bool {
        matches!(self, Standing::Open | Standing::Emergency { .. } | Standing::ExceptionEnded { .. })
    }

    /// Most urgent first: emergencies, then open work, then the rest.
    pub fn rank(&self) -> u8 {
        match self {
            Standing::Emergency { .. } => 0,
            Standing::Open | Standing::ExceptionEnded { .. } => 1,
            Standing::Verifying => 2,
            Standing::Accepted { .. } => 3,
            Standing::Closed => 4,
        }
    }
}

impl PlannedAction {
    /// Where it stands today under `policy`.
    pub fn standing(&self, policy: &Policy, today: Date) -> Standing {
        match (self.state, self.excepted_until) {
            (ActionState::Closed, _) => Standing::Closed,
            (ActionState::Verifying, _) => Standing::Verifying,
            (ActionState::Accepted, Some(until)) if until >= today => Standing::Accepted { until },
            (ActionState::Accepted, Some(until)) => Standing::ExceptionEnded { until },
            (ActionState::Open | ActionState::Accepted, _) => match self.emergency(policy) {
                Some(emergency) => Standing::Emergency { emergency },
                None => Standing::Open,
            },
        }
    }
}

fn scheduled_action(planned: &PlannedAction, policy: &Policy) -> ScheduledAction {
    let action = &planned.action;
    let emergency = planned.emergency(policy);
    let due = planned.due(policy).map(OffsetDateTime::date);
    ScheduledAction {
        id: planned.id,
        what: action.what.clone(),
        what_in_words: action.what_in_words(),
        outcome: action.outcome,
        emergency,
        reason: action.reason.clone(),
        findings: action.findings,
        by_outcome: action.by_outcome,
        places: action.place_count(),
        effort_hours: policy.spec.effort.hours(action.kind, action.place_count()),
        risk: action.risk,
        due,
        starts: None,
        finishes: None,
        late: false,
    }
}

/// Working days (Monday to Friday) of the week starting `monday` that are neither past nor
/// frozen for the team, and the reason of a freeze that takes any of them.
fn available_days(policy: &Policy, team: &str, monday: Date, today: Date) -> (u32, Option<String>) {
    let mut days = 0;
    let mut frozen = None;
    for offset in 0..5 {
        let day = monday + Duration::days(offset);
        if day < today {
            continue;
        }
        match policy.freezes_of(team).find(|freeze| freeze.covers(day)) {
            Some(freeze) => frozen = Some(freeze.reason.clone()),
            None => days += 1,
        }
    }
    (days, frozen)
}

/// Says why the plan does not fit: emergencies beyond a week's hours, and work that would
/// finish after its due date with the weekly hours that would avoid it.
fn shortfall(
    actions: &[ScheduledAction],
    calendar: &[PlanWeek],
    policy: &Policy,
    team: &str,
    weekly: f64,
    today: Date,
) -> Vec<String> {
    let mut words = Vec::new();
    if let Some(first) = calendar.first()
        && first.booked_hours > first.capacity_hours + 1e-9
    {
        words.push(format!(
            "Emergencies need {:.1} h this week, more than the {:.1} h available; everything else moves later.",
            first.booked_hours, first.capacity_hours
        ));
    }
    let late: Vec<&ScheduledAction> = actions.iter().filter(|a| a.late && a.emergency.is_none()).collect();
    if late.is_empty() {
        return words;
    }
    // The weekly hours that would finish each action by its due date, given all the work
    // ordered before it.
    let mut done_before = 0.0;
    let mut needed: f64 = 0.0;
    for action in actions.iter().filter(|a| a.emergency.is_none()) {
        done_before += action.effort_hours;
        if let Some(due) = action.due {
            let workdays: u32 = calendar
                .iter()
                .filter(|week| week.starts <= due)
                .map(|week| available_days_until(policy, team, week.starts, today, due))
                .sum();
            let weeks = (f64::from(workdays) / 5.0).max(0.2);
            needed = needed.max(done_before / weeks);
        }
    }
    let overdue = late.iter().filter(|a| a.due.is_some_and(|due| due < today)).count();
    let mut sentence = format!(
        "{} of {} would finish after their due date with {:.1} h a week",
        late.len(),
        crate::words::count(actions.len(), "action", "actions"),
        weekly
    );
    if overdue > 0 {
        sentence.push_str(&format!(" ({overdue} already overdue)"));
    }
    if needed > weekly {
        sentence.push_str(&format!("; meeting every due date would take about {needed:.1} h a week"));
    }
    sentence
        .push_str(". Ask for an exception, more hours, or a later date rather than overloading the team.");
    words.push(sentence);
    words
}

fn available_days_until(policy: &Policy, team: &str, monday: Date, today: Date, last: Date) -> u32 {
    (0..5)
        .map(|offset| monday + Duration::days(offset))
        .filter(|day| *day >= today && *day <= last)
        .filter(|day| !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday))
        .filter(|day| !policy.freezes_of(team).any(|freeze| freeze.covers(*day)))
        .count() as u32
}

#[cfg(test)]
pub(crate) mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::{
        Automatable, Exploitation, Freeze, HumanImpact, Place, Points, RemedyKind, SystemExposure, Target,
        TargetKind,
    };

    fn policy(freezes: Vec<Freeze>) -> Policy {
        let mut spec = crate::policy::tests::spec();
        spec.freezes = freezes;
        Policy::compile(spec).unwrap()
    }

    pub(crate) fn action(
        id: i64,
        outcome: Outcome,
        places: usize,
        exposure: SystemExposure,
    ) -> PlannedAction {
        let place = |n| Place {
            target: Target { kind: TargetKind::Host, name: format!("h{n}") },
            installed: None,
            fix: None,
            findings: 1,
        };
        PlannedAction {
            id,
            action: Action {
                team: "web".into(),
                kind: RemedyKind::Patch,
                subject: format!("P{id}"),
                ecosystem: String::new(),
                what: format!("action {id}"),
                instructions: None,
                places: (0..places).map(place).collect(),
                findings: places as u32,
                fixes: vec![],
                more_fixes: 0,
                outcome,
                reason: String::new(),
                assessment: None,
                points: vec![Points {
                    exploitation: Exploitation::Active,
                    exposure,
                    automatable: Automatable::Yes,
                    human_impact: HumanImpact::High,
                }],
                by_outcome: [0; 4],
                risk: 100.0,
            },
            state: ActionState::Open,
            outcome_since: datetime!(2026-11-23 09:00 UTC),
            override_by: None,
            excepted_until: None,
        }
    }

    const MONDAY: Date = date!(2026 - 11 - 23);

    #[test]
    fn work_is_laid_out_within_the_weekly_hours_most_urgent_first() {
        // Patch effort: 1 h + 0.1 h a place, so 10 places is 2 h.
        let actions = [
            action(1, Outcome::Attend, 10, SystemExposure::Controlled),
            action(2, Outcome::Act, 10, SystemExposure::Controlled),
            action(3, Outcome::Attend, 10, SystemExposure::Controlled),
        ];
        let plan = plan_team("web", Some(4.0), &actions, &policy(vec![]), MONDAY, 4);
        let order: Vec<_> = plan.actions.iter().map(|a| (a.id, a.starts, a.finishes)).collect();
        assert_eq!(
            order,
            [
                (2, Some(MONDAY), Some(date!(2026 - 11 - 27))),
                (1, Some(MONDAY), Some(date!(2026 - 11 - 27))),
                (3, Some(date!(2026 - 11 - 30)), Some(date!(2026 - 12 - 04))),
            ]
        );
        assert!(plan.weeks.iter().all(|w| w.booked_hours <= w.capacity_hours));
        assert!(plan.shortfall.is_empty(), "{:?}", plan.shortfall);
    }

    #[test]
    fn short_capacity_is_said_not_overloaded() {
        let actions: Vec<_> =
            (1..=6).map(|id| action(id, Outcome::Act, 40, SystemExposure::Controlled)).collect();
        let plan = plan_team("web", Some(12.0), &actions, &policy(vec![]), MONDAY, 2);
        assert!(plan.weeks.iter().all(|w| w.booked_hours <= w.capacity_hours + 1e-9));
        assert!(plan.actions.iter().any(|a| a.late));
        let [words] = plan.shortfall.as_slice() else { panic!("{:?}", plan.shortfall) };
        assert!(
            words.starts_with("4 of 6 actions would finish after their due date with 12.0 h a week"),
            "{words}"
        );
        assert!(words.contains("about 25.0 h a week"), "{words}");
    }

    #[test]
    fn freezes_stop_planned_work_but_not_emergencies() {
        let freeze = Freeze {
            teams: vec!["web".into()],
            from: date!(2026 - 11 - 23),
            until: date!(2026 - 12 - 06),
            reason: "Black Friday".into(),
        };
        let actions = [
            action(1, Outcome::Act, 10, SystemExposure::Open),
            action(2, Outcome::Attend, 10, SystemExposure::Open),
        ];
        let plan = plan_team("web", Some(4.0), &actions, &policy(vec![freeze]), MONDAY, 3);
        let first = &plan.actions[0];
        assert_eq!(
            (first.id, first.emergency.clone(), first.starts),
            (1, Some(Emergency::Criteria), Some(MONDAY))
        );
        let second = &plan.actions[1];
        assert_eq!(
            (second.id, second.emergency.clone(), second.starts),
            (2, None, Some(date!(2026 - 12 - 07)))
        );
        assert_eq!(plan.weeks[0].frozen.as_deref(), Some("Black Friday"));
        // The emergency's 2 h exceed the frozen week's 0 h, and the plan says so.
        assert!(plan.shortfall[0].starts_with("Emergencies need 2.0 h this week"), "{:?}", plan.shortfall);
    }

    #[test]
    fn exceptions_and_verifying_actions_are_set_aside_until_they_end() {
        let mut excepted = action(1, Outcome::Act, 1, SystemExposure::Controlled);
        excepted.state = ActionState::Accepted;
        excepted.excepted_until = Some(date!(2026 - 12 - 31));
        let mut expired = action(2, Outcome::Act, 1, SystemExposure::Controlled);
        expired.state = ActionState::Accepted;
        expired.excepted_until = Some(date!(2026 - 11 - 01));
        let mut verifying = action(3, Outcome::Act, 1, SystemExposure::Controlled);
        verifying.state = ActionState::Verifying;
        let plan = plan_team("web", None, &[excepted, expired, verifying], &policy(vec![]), MONDAY, 2);
        assert_eq!(plan.excepted.iter().map(|a| a.id).collect::<Vec<_>>(), [1]);
        assert_eq!(plan.verifying.iter().map(|a| a.id).collect::<Vec<_>>(), [3]);
        assert_eq!(plan.actions.iter().map(|a| a.id).collect::<Vec<_>>(), [2]);
        assert!(plan.capacity_assumed);
    }

    #[test]
    fn an_override_makes_an_emergency_and_names_who() {
        let mut declared = action(1, Outcome::Attend, 1, SystemExposure::Controlled);
        declared.override_by = Some(("ciso@example.com".into(), "board asked".into()));
        let plan = plan_team("web", Some(8.0), &[declared], &policy(vec![]), MONDAY, 1);
        assert_eq!(
            plan.actions[0].emergency,
            Some(Emergency::Override {
                declared_by: "ciso@example.com".into(),
                reason: "board asked".into()
            })
        );
    }

    #[test]
    fn an_action_stands_the_same_way_wherever_it_is_shown() {
        let policy = policy(vec![]);
        let standing = |planned: &PlannedAction| planned.standing(&policy, MONDAY);
        let mut accepted = action(1, Outcome::Act, 1, SystemExposure::Controlled);
        accepted.state = ActionState::Accepted;
        accepted.excepted_until = Some(date!(2026 - 12 - 31));
        assert_eq!(standing(&accepted).words(), "accepted until 2026-12-31");
        assert!(!standing(&accepted).asks_the_team());
        accepted.excepted_until = Some(date!(2026 - 11 - 01));
        assert_eq!(standing(&accepted).words(), "open again: its exception ended on 2026-11-01");
        assert!(standing(&accepted).asks_the_team());
        let urgent = action(2, Outcome::Act, 1, SystemExposure::Open);
        assert_eq!(standing(&urgent).words(), "emergency: it meets the policy's emergency criteria");
        let mut declared = action(3, Outcome::Attend, 1, SystemExposure::Controlled);
        declared.override_by = Some(("ciso@example.com".into(), "board asked".into()));
        assert_eq!(standing(&declared).words(), "emergency, declared by ciso@example.com: board asked");
        assert!(
            standing(&declared).rank()
                < standing(&action(4, Outcome::Act, 1, SystemExposure::Controlled)).rank()
        );
        let mut verifying = action(5, Outcome::Act, 1, SystemExposure::Open);
        verifying.state = ActionState::Verifying;
        assert_eq!(standing(&verifying), Standing::Verifying);
    }
}
