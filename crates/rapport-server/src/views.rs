//! What the pages and the API show of a plan: one view, built once from the core's
//! `TeamPlan`, so the HTML and the JSON always say the same thing.

use rapport_core::{Emergency, Principal, ScheduledAction, TeamPlan};
use serde::Serialize;

/// A team's plan as a partner reads it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub team: String,
    pub today: String,
    pub weekly_capacity_hours: f64,
    pub capacity_assumed: bool,
    pub policy_version: i64,
    pub acknowledged: bool,
    /// Why the plan does not fit the team's hours, in words; empty when it fits.
    pub shortfall: Vec<String>,
    pub weeks: Vec<WeekView>,
    /// Actions that start after the weeks shown, and how many of them will be late.
    pub later: usize,
    pub later_late: usize,
    /// How many weeks to ask for (`weeks`) to see further, while actions start later.
    pub more_weeks: Option<u32>,
    pub excepted: Vec<AsideView>,
    pub verifying: Vec<AsideView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WeekView {
    pub starts: String,
    pub booked_hours: f64,
    pub capacity_hours: f64,
    pub frozen: Option<String>,
    pub items: Vec<ItemView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub id: i64,
    pub what: String,
    pub decision: &'static str,
    /// For emergencies: `emergency` when the policy's criteria say so, `emergency, declared`
    /// when someone declared it.
    pub emergency: Option<&'static str>,
    pub reason: String,
    pub findings: u32,
    pub places: usize,
    pub effort_hours: f64,
    pub due: Option<String>,
    pub late: bool,
    /// Work carried over from the week before: listed, not repeated.
    pub continued: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AsideView {
    pub id: i64,
    pub what: String,
    pub decision: &'static str,
    pub until: Option<String>,
}

impl PlanView {
    /// The plan as laid out; `step` is how many weeks more the next view shows.
    pub fn new(plan: &TeamPlan, policy_version: i64, acknowledged: bool, step: u32) -> PlanView {
        let mut shown = std::collections::HashSet::new();
        let weeks = plan
            .weeks
            .iter()
            .map(|week| WeekView {
                starts: week.starts.to_string(),
                booked_hours: round(week.booked_hours),
                capacity_hours: round(week.capacity_hours),
                frozen: week.frozen.clone(),
                items: week
                    .actions
                    .iter()
                    .filter_map(|id| plan.actions.iter().find(|action| action.id == *id))
                    .map(|action| item(action, !shown.insert(action.id)))
                    .collect(),
            })
            .collect();
        let horizon = plan.weeks.last().map(|week| week.starts + time::Duration::days(7));
        let later: Vec<&ScheduledAction> = plan
            .actions
            .iter()
            .filter(|action| action.starts.zip(horizon).is_none_or(|(starts, end)| starts >= end))
            .collect();
        let aside = |list: &[rapport_core::SetAside]| {
            list.iter()
                .map(|a| AsideView {
                    id: a.id,
                    what: a.what.clone(),
                    decision: a.outcome.label(),
                    until: a.until.map(|d| d.to_string()),
                })
                .collect()
        };
        PlanView {
            team: plan.team.clone(),
            today: plan.today.to_string(),
            weekly_capacity_hours: round(plan.weekly_capacity_hours),
            capacity_assumed: plan.capacity_assumed,
            policy_version,
            acknowledged,
            shortfall: plan.shortfall.clone(),
            weeks,
            later: later.len(),
            later_late: later.iter().filter(|action| action.late).count(),
            more_weeks: (!later.is_empty() && plan.weeks.len() < MAX_PLAN_WEEKS as usize)
                .then(|| (plan.weeks.len() as u32 + step).min(MAX_PLAN_WEEKS)),
            excepted: aside(&plan.excepted),
            verifying: aside(&plan.verifying),
        }
    }
}

/// The most weeks a plan is laid out for, as the policy allows.
pub const MAX_PLAN_WEEKS: u32 = 104;

fn item(action: &ScheduledAction, continued: bool) -> ItemView {
    ItemView {
        id: action.id,
        what: action.what.clone(),
        decision: action.outcome.label(),
        emergency: action.emergency.as_ref().map(|emergency| match emergency {
            Emergency::Criteria => "emergency",
            Emergency::Override { .. } => "emergency, declared",
        }),
        reason: action.reason.clone(),
        findings: action.findings,
        places: action.places,
        effort_hours: round(action.effort_hours),
        due: action.due.map(|d| d.to_string()),
        late: action.late,
        continued,
    }
}

/// Hours to one decimal, as people read them.
fn round(hours: f64) -> f64 {
    (hours * 10.0).round() / 10.0
}

/// Who is signed in, as the API reports it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub team: Option<String>,
}

impl MeView {
    pub fn new(principal: &Principal, name: &str) -> MeView {
        MeView {
            email: principal.email.clone(),
            name: name.to_owned(),
            role: principal.role.as_str(),
            team: principal.team.clone(),
        }
    }
}

/// Whoever reads a page, for its times: each is shown in their time zone (the directory's,
/// UTC for someone it gives none), to the minute, with the zone's name.
#[derive(Clone, Debug)]
pub struct Reader {
    zone: jiff::tz::TimeZone,
}

impl Default for Reader {
    fn default() -> Reader {
        Reader { zone: jiff::tz::TimeZone::UTC }
    }
}

impl Reader {
    /// The reader in the zone named (IANA, `Europe/Madrid`); UTC for none, or a name the zone
    /// database does not know.
    pub fn in_zone(name: Option<&str>) -> Reader {
        let zone = name.and_then(|name| jiff::tz::TimeZone::get(name.trim()).ok());
        Reader { zone: zone.unwrap_or(jiff::tz::TimeZone::UTC) }
    }

    /// `2026-12-02 14:15 CET`.
    pub fn moment(&self, at: time::OffsetDateTime) -> String {
        let Ok(instant) = jiff::Timestamp::from_second(at.unix_timestamp()) else { return String::new() };
        instant.to_zoned(self.zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reader_reads_a_moment_in_their_own_time_zone_to_the_minute() {
        let at = time::macros::datetime!(2026-12-01 19:59:41.106685712 UTC);
        assert_eq!(Reader::in_zone(Some("Europe/Madrid")).moment(at), "2026-12-01 20:59 CET");
        assert_eq!(Reader::in_zone(Some("Asia/Kolkata")).moment(at), "2026-12-02 01:29 IST");
        let summer = time::macros::datetime!(2026-07-01 12:00 UTC);
        assert_eq!(Reader::in_zone(Some("Europe/Lisbon")).moment(summer), "2026-07-01 13:00 WEST");
        for nowhere in [None, Some("Mars/Olympus_Mons"), Some("")] {
            assert_eq!(Reader::in_zone(nowhere).moment(at), "2026-12-01 19:59 UTC", "{nowhere:?}");
        }
    }
}
