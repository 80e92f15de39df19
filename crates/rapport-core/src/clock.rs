//! What the passing of time brings: open work coming due and going overdue, exceptions about
//! to end. Each such event has a name (`once`) that makes it happen once, however often and
//! wherever the clock is run: the store records an event of a name only the first time.

use time::{Date, Duration, OffsetDateTime};

use crate::{ActionState, Change, EventFacts, PlannedAction, Policy};

/// An event the clock brings on an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockEvent {
    pub action: i64,
    pub team: String,
    pub change: Change,
    /// Recorded once per name.
    pub once: String,
    pub detail: String,
    pub facts: EventFacts,
}

/// An approved exception as the clock sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningException {
    pub id: i64,
    pub action: i64,
    pub team: String,
    /// Its last day.
    pub until: Date,
}

/// Open actions due within the policy's lead time ("due soon") or past due ("overdue"), as
/// of `now`. An action first seen past due is only overdue. A new due date (a changed
/// decision, an emergency) is a new event.
pub fn due_events(actions: &[PlannedAction], policy: &Policy, now: OffsetDateTime) -> Vec<ClockEvent> {
    let lead = Duration::days(i64::from(policy.spec.reminders.due_soon_days));
    actions
        .iter()
        .filter(|planned| planned.state == ActionState::Open)
        .filter_map(|planned| {
            let due = planned.due(policy)?;
            let (change, name, detail) = if now >= due {
                (Change::Overdue, "overdue", format!("was due on {}", due.date()))
            } else if now >= due - lead {
                let days = (due.date() - now.date()).whole_days();
                (Change::DueSoon, "due-soon", format!("due on {} ({})", due.date(), in_days(days)))
            } else {
                return None;
            };
            Some(ClockEvent {
                action: planned.id,
                team: planned.action.team.clone(),
                change,
                once: format!("{name}:action:{}:{}", planned.id, due.date()),
                detail,
                facts: EventFacts { due: Some(due.date()), ..EventFacts::default() },
            })
        })
        .collect()
}

/// Approved exceptions that end within the policy's notice, as of `today`. Those already
/// ended are expired by the store, not announced.
pub fn ending_exceptions(exceptions: &[RunningException], policy: &Policy, today: Date) -> Vec<ClockEvent> {
    let notice = Duration::days(i64::from(policy.spec.reminders.exception_ending_days));
    exceptions
        .iter()
        .filter(|exception| exception.until >= today && exception.until - notice <= today)
        .map(|exception| {
            let days = (exception.until - today).whole_days();
            ClockEvent {
                action: exception.action,
                team: exception.team.clone(),
                change: Change::ExceptionEnding,
                once: format!("exception-ending:exception:{}:{}", exception.id, exception.until),
                detail: format!(
                    "exception #{}'s last day is {} ({})",
                    exception.id,
                    exception.until,
                    in_days(days)
                ),
                facts: EventFacts {
                    exception: Some(exception.id),
                    until: Some(exception.until),
                    ..EventFacts::default()
                },
            }
        })
        .collect()
}

fn in_days(days: i64) -> String {
    match days {
        ..=0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        days => format!("in {days} days"),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::plan::tests::action;
    use crate::policy::tests::spec;
    use crate::{Outcome, SystemExposure};

    fn planned(id: i64, outcome: Outcome, since: OffsetDateTime, state: ActionState) -> PlannedAction {
        PlannedAction { state, outcome_since: since, ..action(id, outcome, 1, SystemExposure::Controlled) }
    }

    fn policy() -> Policy {
        Policy::compile(spec()).unwrap()
    }

    #[test]
    fn open_work_comes_due_then_goes_overdue_once_per_due_date() {
        // act: 7 days, so due on 2026-11-09 09:00; due soon from 2026-11-06 09:00.
        let since = datetime!(2026-11-02 09:00 UTC);
        let actions = [planned(1, Outcome::Act, since, ActionState::Open)];
        let at = |now| due_events(&actions, &policy(), now);
        assert!(at(datetime!(2026-11-06 08:59 UTC)).is_empty());
        let soon = at(datetime!(2026-11-06 09:00 UTC));
        assert_eq!(soon.len(), 1);
        assert_eq!(
            (soon[0].change, soon[0].once.as_str()),
            (Change::DueSoon, "due-soon:action:1:2026-11-09")
        );
        assert_eq!(soon[0].detail, "due on 2026-11-09 (in 3 days)");
        assert_eq!(at(datetime!(2026-11-08 12:00 UTC))[0].detail, "due on 2026-11-09 (tomorrow)");
        let late = at(datetime!(2026-11-09 09:00 UTC));
        assert_eq!((late[0].change, late[0].once.as_str()), (Change::Overdue, "overdue:action:1:2026-11-09"));
        assert_eq!(late[0].facts.due, Some(date!(2026 - 11 - 09)));
    }

    #[test]
    fn only_open_work_with_a_due_date_is_reminded() {
        let since = datetime!(2026-11-02 09:00 UTC);
        let actions = [
            planned(1, Outcome::Act, since, ActionState::Verifying),
            planned(2, Outcome::Act, since, ActionState::Accepted),
            planned(3, Outcome::Act, since, ActionState::Closed),
            planned(4, Outcome::Track, since, ActionState::Open),
        ];
        assert!(due_events(&actions, &policy(), datetime!(2027-06-01 00:00 UTC)).is_empty());
    }

    #[test]
    fn an_emergency_is_due_within_its_hours() {
        let since = datetime!(2026-11-02 09:00 UTC);
        let mut declared = planned(1, Outcome::Attend, since, ActionState::Open);
        declared.override_by = Some(("ciso@example.com".into(), "board asked".into()));
        let events = due_events(&[declared], &policy(), datetime!(2026-11-05 09:00 UTC));
        assert_eq!(events[0].once, "overdue:action:1:2026-11-05");
    }

    #[test]
    fn exceptions_are_announced_within_their_notice_and_not_after_they_end() {
        let exception =
            RunningException { id: 4, action: 9, team: "Web".into(), until: date!(2026 - 12 - 31) };
        let at = |today| ending_exceptions(std::slice::from_ref(&exception), &policy(), today);
        assert!(at(date!(2026 - 12 - 23)).is_empty());
        let ending = at(date!(2026 - 12 - 24));
        assert_eq!(ending[0].once, "exception-ending:exception:4:2026-12-31");
        assert_eq!(ending[0].detail, "exception #4's last day is 2026-12-31 (in 7 days)");
        assert_eq!(at(date!(2026 - 12 - 31))[0].detail, "exception #4's last day is 2026-12-31 (today)");
        assert!(at(date!(2027 - 01 - 01)).is_empty());
    }
}
