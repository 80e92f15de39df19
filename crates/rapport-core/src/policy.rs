//! The remediation policy the security team and its partners agree on: how long each
//! decision may take, what counts as an emergency, when a team's changes are frozen, how
//! much each kind of work is assumed to take, and how often people may be messaged.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::{Exploitation, Outcome, Points, RemedyKind, SystemExposure};

/// The policy file as written (TOML).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub name: String,
    /// The directory team whose members may approve exceptions and declare emergencies.
    pub security_team: String,
    pub due_days: DueDays,
    #[serde(default)]
    pub emergency: EmergencyCriteria,
    #[serde(default)]
    pub capacity: CapacityRules,
    #[serde(default)]
    pub effort: EffortModel,
    #[serde(default, rename = "freeze")]
    pub freezes: Vec<Freeze>,
    #[serde(default)]
    pub exceptions: ExceptionRules,
    #[serde(default)]
    pub messages: MessageRules,
    #[serde(default)]
    pub reminders: ReminderRules,
}

/// Days from the moment an action reaches a decision to its due date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueDays {
    pub act: u32,
    pub attend: u32,
    #[serde(rename = "track*")]
    pub track_star: u32,
    /// Track work is routine: without a number it has no due date.
    #[serde(default)]
    pub track: Option<u32>,
}

/// When an action is an emergency: one of its findings has an outcome, an exploitation and
/// an exposure listed here. Anything else declared an emergency needs a recorded override.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencyCriteria {
    pub outcomes: Vec<Outcome>,
    pub exploitation: Vec<Exploitation>,
    pub exposure: Vec<SystemExposure>,
    /// How long an emergency may take, in hours.
    pub due_hours: u32,
}

impl Default for EmergencyCriteria {
    fn default() -> EmergencyCriteria {
        EmergencyCriteria {
            outcomes: vec![Outcome::Act],
            exploitation: vec![Exploitation::Active],
            exposure: vec![SystemExposure::Open],
            due_hours: 72,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CapacityRules {
    /// Hours a week assumed for a team that has not said (the plan says it assumed).
    pub default_weekly_hours: f64,
    /// How many weeks ahead a plan is laid out unless asked otherwise.
    pub plan_weeks: u32,
}

impl Default for CapacityRules {
    fn default() -> CapacityRules {
        CapacityRules { default_weekly_hours: 4.0, plan_weeks: 4 }
    }
}

/// Hours assumed for one action: a base for the change plus a share for each place.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffortRate {
    pub base_hours: f64,
    pub per_place_hours: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EffortModel {
    pub upgrade: EffortRate,
    pub update: EffortRate,
    pub patch: EffortRate,
    pub fix_code: EffortRate,
    pub reconfigure: EffortRate,
    pub rotate_secret: EffortRate,
    pub mitigate_or_accept: EffortRate,
    pub replace_unsupported: EffortRate,
    pub routine_updates: EffortRate,
}

impl Default for EffortModel {
    fn default() -> EffortModel {
        let rate = |base_hours, per_place_hours| EffortRate { base_hours, per_place_hours };
        EffortModel {
            upgrade: rate(2.0, 0.0),
            update: rate(1.0, 0.1),
            patch: rate(1.0, 0.1),
            fix_code: rate(2.0, 0.0),
            reconfigure: rate(0.5, 0.25),
            rotate_secret: rate(2.0, 0.0),
            mitigate_or_accept: rate(2.0, 0.1),
            replace_unsupported: rate(4.0, 2.0),
            routine_updates: rate(1.0, 0.05),
        }
    }
}

impl EffortModel {
    pub fn rate(&self, kind: RemedyKind) -> EffortRate {
        match kind {
            RemedyKind::Upgrade => self.upgrade,
            RemedyKind::Update => self.update,
            RemedyKind::Patch => self.patch,
            RemedyKind::FixCode => self.fix_code,
            RemedyKind::Reconfigure => self.reconfigure,
            RemedyKind::RotateSecret => self.rotate_secret,
            RemedyKind::MitigateOrAccept => self.mitigate_or_accept,
            RemedyKind::ReplaceUnsupported => self.replace_unsupported,
            RemedyKind::RoutineUpdates => self.routine_updates,
        }
    }

    /// Estimated hours for an action of `kind` over `places` places.
    pub fn hours(&self, kind: RemedyKind, places: usize) -> f64 {
        let rate = self.rate(kind);
        rate.base_hours + rate.per_place_hours * places as f64
    }
}

/// A period in which a team makes no planned changes. Only emergencies break it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freeze {
    /// Team names; `"*"` for every team.
    pub teams: Vec<String>,
    pub from: Date,
    /// The last frozen day.
    pub until: Date,
    pub reason: String,
}

impl Freeze {
    pub fn applies_to(&self, team: &str) -> bool {
        self.teams.iter().any(|name| name == "*" || name.eq_ignore_ascii_case(team))
    }

    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && day <= self.until
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExceptionRules {
    /// The longest an exception may be granted for, in days.
    pub max_days: u32,
}

impl Default for ExceptionRules {
    fn default() -> ExceptionRules {
        ExceptionRules { max_days: 180 }
    }
}

/// How much people may be messaged (used when messages are composed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessageRules {
    /// Messages a person may get in a week, emergencies aside.
    pub weekly_budget_per_person: u32,
    /// Local time at which quiet hours start, "HH:MM".
    pub quiet_from: String,
    /// Local time at which they end.
    pub quiet_until: String,
}

impl Default for MessageRules {
    fn default() -> MessageRules {
        MessageRules { weekly_budget_per_person: 3, quiet_from: "19:00".into(), quiet_until: "08:00".into() }
    }
}

/// How early the clock says something is coming: work due soon, an exception ending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReminderRules {
    /// Days before its due date that an open action is "due soon".
    pub due_soon_days: u32,
    /// Days before an exception ends that its team is told it is ending.
    pub exception_ending_days: u32,
}

impl Default for ReminderRules {
    fn default() -> ReminderRules {
        ReminderRules { due_soon_days: 3, exception_ending_days: 7 }
    }
}

/// A mistake in a policy file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    pub field: String,
    pub message: String,
}

/// A checked policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub spec: PolicySpec,
    pub quiet_from: Time,
    pub quiet_until: Time,
}

impl Policy {
    /// Checks a policy as written; every mistake is reported, not just the first.
    pub fn compile(spec: PolicySpec) -> Result<Policy, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let mut error =
            |field: &str, message: String| errors.push(PolicyError { field: field.into(), message });
        if spec.security_team.trim().is_empty() {
            error("security_team", "name the team whose members approve exceptions".into());
        }
        let due = &spec.due_days;
        let ordered = [("act", due.act), ("attend", due.attend), ("track*", due.track_star)];
        for pair in ordered.windows(2) {
            if let [(urgent, sooner), (calmer, later)] = pair
                && sooner > later
            {
                error(
                    "due_days",
                    format!(
                        "{urgent} ({}) must not take longer than {calmer} ({})",
                        crate::words::count(*sooner, "day", "days"),
                        crate::words::count(*later, "day", "days")
                    ),
                );
            }
        }
        if due.act == 0 {
            error("due_days.act", "must be at least 1 day".into());
        }
        if let Some(track) = due.track
            && track < due.track_star
        {
            let (track, track_star) = (
                crate::words::count(track, "day", "days"),
                crate::words::count(due.track_star, "day", "days"),
            );
            error("due_days.track", format!("{track} is sooner than track* ({track_star})"));
        }
        let emergency = &spec.emergency;
        for (field, empty) in [
            ("emergency.outcomes", emergency.outcomes.is_empty()),
            ("emergency.exploitation", emergency.exploitation.is_empty()),
            ("emergency.exposure", emergency.exposure.is_empty()),
        ] {
            if empty {
                error(field, "list at least one value, or no action can be an emergency".into());
            }
        }
        if emergency.due_hours == 0 {
            error("emergency.due_hours", "must be at least 1 hour".into());
        }
        if !(spec.capacity.default_weekly_hours >= 0.0 && spec.capacity.default_weekly_hours <= 168.0) {
            error("capacity.default_weekly_hours", "must be between 0 and 168".into());
        }
        if !(1..=104).contains(&spec.capacity.plan_weeks) {
            error("capacity.plan_weeks", "must be between 1 and 104".into());
        }
        for kind in RemedyKind::ALL {
            let rate = spec.effort.rate(kind);
            if !(rate.base_hours >= 0.0 && rate.per_place_hours >= 0.0)
                || rate.base_hours + rate.per_place_hours <= 0.0
            {
                error(&format!("effort.{}", kind.as_str()), "hours must be positive".into());
            }
        }
        for (index, freeze) in spec.freezes.iter().enumerate() {
            let field = format!("freeze[{}]", index + 1);
            if freeze.until < freeze.from {
                error(&field, format!("ends ({}) before it starts ({})", freeze.until, freeze.from));
            }
            if freeze.teams.is_empty() {
                error(&field, "name the teams it applies to, or \"*\"".into());
            }
            if freeze.reason.trim().is_empty() {
                error(&field, "say why, so teams know what it protects".into());
            }
        }
        if spec.exceptions.max_days == 0 {
            error("exceptions.max_days", "must be at least 1 day".into());
        }
        if spec.reminders.due_soon_days > 30 {
            error(
                "reminders.due_soon_days",
                "must be at most 30 days, or every action is always due soon".into(),
            );
        }
        if spec.reminders.exception_ending_days > spec.exceptions.max_days {
            error(
                "reminders.exception_ending_days",
                format!("must not exceed exceptions.max_days ({})", spec.exceptions.max_days),
            );
        }
        let quiet_from = clock_time(&spec.messages.quiet_from);
        let quiet_until = clock_time(&spec.messages.quiet_until);
        if quiet_from.is_none() {
            error(
                "messages.quiet_from",
                format!("{:?} is not a time like \"19:00\"", spec.messages.quiet_from),
            );
        }
        if quiet_until.is_none() {
            error(
                "messages.quiet_until",
                format!("{:?} is not a time like \"08:00\"", spec.messages.quiet_until),
            );
        }
        match (quiet_from, quiet_until) {
            (Some(quiet_from), Some(quiet_until)) if errors.is_empty() => {
                Ok(Policy { spec, quiet_from, quiet_until })
            }
            _ => Err(errors),
        }
    }

    /// Whether an action meets the agreed emergency criteria: its decision with any of its
    /// findings' decision points.
    pub fn calls_for_emergency(&self, action: &crate::Action) -> bool {
        action.points.iter().any(|points| self.is_emergency(action.outcome, points))
    }

    /// Whether decision points meet the agreed emergency criteria.
    pub fn is_emergency(&self, outcome: Outcome, points: &Points) -> bool {
        let criteria = &self.spec.emergency;
        criteria.outcomes.contains(&outcome)
            && criteria.exploitation.contains(&points.exploitation)
            && criteria.exposure.contains(&points.exposure)
    }

    /// The emergency criteria in words, for people who were told something is urgent.
    pub fn emergency_words(&self) -> String {
        let criteria = &self.spec.emergency;
        let list = |words: Vec<&str>| words.join(" or ");
        format!(
            "decision {}, exploitation {}, exposure {}; fixed within {}",
            list(criteria.outcomes.iter().map(|o| o.label()).collect()),
            list(criteria.exploitation.iter().map(|e| e.as_str()).collect()),
            list(criteria.exposure.iter().map(|e| e.as_str()).collect()),
            crate::words::count(criteria.due_hours, "hour", "hours")
        )
    }

    /// When work that reached `outcome` at `since` is due; `None` for routine work.
    pub fn due(&self, outcome: Outcome, since: OffsetDateTime, emergency: bool) -> Option<OffsetDateTime> {
        if emergency {
            return Some(since + Duration::hours(i64::from(self.spec.emergency.due_hours)));
        }
        let due = &self.spec.due_days;
        let days = match outcome {
            Outcome::Act => Some(due.act),
            Outcome::Attend => Some(due.attend),
            Outcome::TrackStar => Some(due.track_star),
            Outcome::Track => due.track,
        }?;
        Some(since + Duration::days(i64::from(days)))
    }

    pub fn freezes_of<'a>(&'a self, team: &'a str) -> impl Iterator<Item = &'a Freeze> + 'a {
        self.spec.freezes.iter().filter(move |freeze| freeze.applies_to(team))
    }
}

fn clock_time(text: &str) -> Option<Time> {
    let (hours, minutes) = text.trim().split_once(':')?;
    Time::from_hms(hours.parse().ok()?, minutes.parse().ok()?, 0).ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::{Automatable, HumanImpact};

    pub(crate) fn spec() -> PolicySpec {
        PolicySpec {
            name: "test".into(),
            security_team: "Security".into(),
            due_days: DueDays { act: 7, attend: 30, track_star: 90, track: None },
            emergency: EmergencyCriteria::default(),
            capacity: CapacityRules::default(),
            effort: EffortModel::default(),
            freezes: vec![],
            exceptions: ExceptionRules::default(),
            messages: MessageRules::default(),
            reminders: ReminderRules::default(),
        }
    }

    #[test]
    fn a_sound_policy_compiles_and_says_when_work_is_due() {
        let policy = Policy::compile(spec()).unwrap();
        let since = datetime!(2026-11-02 09:00 UTC);
        assert_eq!(policy.due(Outcome::Act, since, false), Some(datetime!(2026-11-09 09:00 UTC)));
        assert_eq!(policy.due(Outcome::Act, since, true), Some(datetime!(2026-11-05 09:00 UTC)));
        assert_eq!(policy.due(Outcome::Track, since, false), None);
    }

    #[test]
    fn every_mistake_is_reported_with_its_field() {
        let mut bad = spec();
        bad.due_days.act = 40;
        bad.emergency.outcomes.clear();
        bad.messages.quiet_from = "7pm".into();
        bad.freezes.push(Freeze {
            teams: vec!["*".into()],
            from: date!(2026 - 12 - 20),
            until: date!(2026 - 12 - 10),
            reason: "holidays".into(),
        });
        let errors = Policy::compile(bad).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["due_days", "emergency.outcomes", "freeze[1]", "messages.quiet_from"]);
        assert!(errors[0].message.contains("act (40 days) must not take longer than attend (30 days)"));
    }

    #[test]
    fn only_the_agreed_criteria_make_an_emergency() {
        let policy = Policy::compile(spec()).unwrap();
        let points = Points {
            exploitation: Exploitation::Active,
            exposure: SystemExposure::Open,
            automatable: Automatable::Yes,
            human_impact: HumanImpact::High,
        };
        assert!(policy.is_emergency(Outcome::Act, &points));
        assert!(!policy.is_emergency(Outcome::Attend, &points));
        let internal = Points { exposure: SystemExposure::Controlled, ..points };
        assert!(!policy.is_emergency(Outcome::Act, &internal));
    }
}
