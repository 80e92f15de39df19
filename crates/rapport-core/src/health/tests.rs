//! The health figures counted from hand-made streams of events.

use time::Duration;
use time::macros::{date, datetime};

use super::*;
use crate::Outcome;

/// A stream written as a test reads: each event at its moment, of its kind, for team "Web".
struct Stream {
    facts: Vec<EventFacts>,
    events: Vec<(OffsetDateTime, EventKind, Option<i64>, usize)>,
}

impl Stream {
    fn new() -> Stream {
        Stream { facts: Vec::new(), events: Vec::new() }
    }

    fn at(&mut self, at: OffsetDateTime, kind: EventKind, action: i64) -> &mut Stream {
        self.with(at, kind, action, EventFacts::default())
    }

    fn with(&mut self, at: OffsetDateTime, kind: EventKind, action: i64, facts: EventFacts) -> &mut Stream {
        self.facts.push(facts);
        self.events.push((at, kind, Some(action), self.facts.len() - 1));
        self
    }

    fn health(&self, months: &[Date]) -> Health {
        let happened = self
            .events
            .iter()
            .map(|(at, kind, action, facts)| Happened {
                at: *at,
                kind: *kind,
                team: Some("Web"),
                action: *action,
                facts: &self.facts[*facts],
                from_message: false,
            })
            .collect();
        health(happened, &[], months)
    }
}

#[test]
fn months_run_back_from_the_last_across_the_year() {
    assert_eq!(
        months_to(date!(2026 - 02 - 17), 3),
        [date!(2025 - 12 - 01), date!(2026 - 01 - 01), date!(2026 - 02 - 01)]
    );
}

#[test]
fn work_closed_before_it_went_overdue_is_on_time_and_the_close_rate_divides_by_all_open_work() {
    let mut stream = Stream::new();
    for action in 1..=10 {
        stream.at(datetime!(2026-09-20 09:00 UTC), EventKind::ActionOpened, action);
    }
    stream
        .at(datetime!(2026-10-02 09:00 UTC), EventKind::ActionOpened, 11)
        .at(datetime!(2026-10-05 09:00 UTC), EventKind::ActionVerified, 1)
        .at(datetime!(2026-10-06 09:00 UTC), EventKind::ActionOverdue, 2)
        .at(datetime!(2026-10-08 09:00 UTC), EventKind::ActionClosed, 2)
        .at(datetime!(2026-10-09 09:00 UTC), EventKind::ActionOverdue, 3);
    let months = months_to(date!(2026 - 11 - 30), 2);
    let health = stream.health(&months);
    let [october, november] = health.teams["Web"].as_slice() else { panic!("{health:?}") };
    assert_eq!((october.opened, october.closed, october.closed_on_time), (1, 2, 1));
    assert_eq!(october.on_time(), Some(0.5));
    assert_eq!(october.open_work, 11, "ten open as October starts, one opened in it");
    assert_eq!(october.close_rate, Some(2.0 / 11.0));
    assert_eq!(october.close_band, Some(CloseBand::MedianToHigh));
    assert_eq!(october.overdue_at_end, 1);
    assert_eq!((november.open_work, november.closed, november.close_rate), (9, 0, Some(0.0)));
    assert_eq!(november.close_band, Some(CloseBand::BelowLow));
    assert_eq!(november.overdue_at_end, 1, "still overdue");
    assert_eq!(november.month, Some(date!(2026 - 11 - 01)));
}

#[test]
fn the_benchmark_bands_are_cyentias() {
    assert_eq!(CloseBand::of(0.05), CloseBand::BelowLow);
    assert_eq!(CloseBand::of(0.066), CloseBand::LowToMedian);
    assert_eq!(CloseBand::of(0.152), CloseBand::MedianToHigh);
    assert_eq!(CloseBand::of(0.271), CloseBand::High);
}

#[test]
fn the_half_life_is_the_kaplan_meier_median_with_open_work_counted_as_open_so_far() {
    // Four actions: closed after 2 and 10 days, two still open. Half are closed at day 10.
    let mut stream = Stream::new();
    let opened = datetime!(2026-10-01 00:00 UTC);
    for action in 1..=4 {
        stream.at(opened, EventKind::ActionOpened, action);
    }
    stream.at(opened + Duration::days(2), EventKind::ActionVerified, 1).at(
        opened + Duration::days(10),
        EventKind::ActionClosed,
        2,
    );
    let health = stream.health(&months_to(date!(2026 - 10 - 01), 1));
    assert_eq!(health.teams["Web"][0].half_life_days, Some(10.0));
    // One closed of three: fewer than half, so no half-life yet.
    assert_eq!(half_life(vec![(1.0, true), (30.0, false), (30.0, false)]), None);
    // An action still open at day 5 leaves the count at risk before the one closed at day 6.
    assert_eq!(half_life(vec![(2.0, true), (5.0, false), (6.0, true)]), Some(6.0));
}

#[test]
fn a_reopened_action_starts_a_new_life_and_exceptions_are_counted_until_they_end() {
    let mut stream = Stream::new();
    let exception = EventFacts { exception: Some(7), ..EventFacts::default() };
    stream
        .at(datetime!(2026-10-01 09:00 UTC), EventKind::ActionOpened, 1)
        .at(datetime!(2026-10-10 09:00 UTC), EventKind::ActionOverdue, 1)
        .at(datetime!(2026-10-11 09:00 UTC), EventKind::ActionClosed, 1)
        .at(datetime!(2026-10-20 09:00 UTC), EventKind::ActionReopened, 1)
        .at(datetime!(2026-10-25 09:00 UTC), EventKind::ActionVerified, 1)
        .at(datetime!(2026-10-01 09:00 UTC), EventKind::ActionOpened, 2)
        .with(datetime!(2026-10-03 09:00 UTC), EventKind::ExceptionRequested, 2, exception.clone())
        .with(datetime!(2026-10-05 09:00 UTC), EventKind::ExceptionGranted, 2, exception)
        .at(datetime!(2026-11-30 09:00 UTC), EventKind::ExceptionExpired, 2);
    let health = stream.health(&months_to(date!(2026 - 11 - 01), 2));
    let [october, november] = health.teams["Web"].as_slice() else { panic!("{health:?}") };
    assert_eq!((october.closed, october.closed_on_time), (2, 1), "late the first time, on time the second");
    assert_eq!(
        (october.exceptions_requested, october.exceptions_granted, october.exceptions_in_force),
        (1, 1, 1)
    );
    assert_eq!((november.exceptions_expired, november.exceptions_in_force), (1, 0));
    assert_eq!(health.security[0].exceptions_decided, Some(Spread { p50: 2.0, p90: 2.0 }));
}

#[test]
fn the_security_teams_record_counts_its_answers_its_emergencies_and_its_walked_back_decisions() {
    let mut stream = Stream::new();
    let answer = |id| EventFacts { answer: Some(id), rating: Some(2), ..EventFacts::default() };
    let lowered = EventFacts {
        outcome: Some(Outcome::Track),
        previous_outcome: Some(Outcome::Act),
        ..EventFacts::default()
    };
    stream
        .at(datetime!(2026-10-01 09:00 UTC), EventKind::ActionOpened, 1)
        .with(datetime!(2026-10-02 09:00 UTC), EventKind::FeedbackGiven, 1, answer(1))
        .with(datetime!(2026-10-03 09:00 UTC), EventKind::OwnershipDisputed, 1, answer(2))
        .with(datetime!(2026-10-06 09:00 UTC), EventKind::SecurityReplied, 1, answer(1))
        .at(datetime!(2026-10-07 09:00 UTC), EventKind::EmergencyDeclared, 1)
        .with(datetime!(2026-10-08 09:00 UTC), EventKind::DecisionChanged, 1, lowered)
        .at(datetime!(2026-10-09 09:00 UTC), EventKind::ActionAcknowledged, 1)
        .with(datetime!(2026-11-03 09:00 UTC), EventKind::SecurityReplied, 1, answer(2));
    let health = stream.health(&months_to(date!(2026 - 11 - 01), 2));
    let [october, november] = health.security.as_slice() else { panic!("{health:?}") };
    assert_eq!(october.answered, Some(Spread { p50: 4.0, p90: 4.0 }));
    assert_eq!(october.waiting_at_end, 1, "the dispute waits into November");
    assert_eq!((october.emergencies, october.decisions_lowered), (1, 1));
    assert_eq!((november.answered, november.waiting_at_end), (Some(Spread { p50: 31.0, p90: 31.0 }), 0));
    let web = &health.teams["Web"][0];
    assert_eq!((web.feedback, web.rating, web.disputes, web.emergencies), (1, Some(2.0), 1, 1));
    assert_eq!(web.acknowledged, Some(Spread { p50: 8.0, p90: 8.0 }));
}

#[test]
fn percentiles_are_nearest_rank() {
    let spread = Spread::of((1..=10).map(f64::from).collect()).unwrap();
    assert_eq!(spread, Spread { p50: 5.0, p90: 9.0 });
    assert_eq!(Spread::of(Vec::new()), None);
}

#[test]
fn a_month_is_compared_with_the_one_before_in_one_sentence() {
    let october = TeamMonth {
        month: Some(date!(2026 - 10 - 01)),
        closed: 2,
        closed_on_time: 2,
        close_rate: Some(0.1),
        overdue_at_end: 1,
        ..TeamMonth::default()
    };
    let november = TeamMonth {
        month: Some(date!(2026 - 11 - 01)),
        closed: 4,
        closed_on_time: 3,
        close_rate: Some(0.2),
        half_life_days: Some(12.0),
        overdue_at_end: 3,
        ..TeamMonth::default()
    };
    assert_eq!(
        compared(&november, &october),
        "November against October: 4 closed (was 2), 75% of them on time (was 100%), a close rate of 20% (was 10%), a half-life of 12 days (was not yet), 3 overdue at the end (was 1)."
    );
}

#[test]
fn the_security_teams_record_counts_the_messages_it_composed_by_how_they_went() {
    let composed = [
        Composed { at: datetime!(2026-10-03 09:00 UTC), sent: Sent::Counted, team: None },
        Composed { at: datetime!(2026-10-04 09:00 UTC), sent: Sent::Counted, team: None },
        Composed { at: datetime!(2026-10-05 09:00 UTC), sent: Sent::Dropped, team: None },
        Composed { at: datetime!(2026-11-05 09:00 UTC), sent: Sent::Gathered, team: None },
        Composed { at: datetime!(2026-11-06 09:00 UTC), sent: Sent::Uncounted, team: None },
        Composed { at: datetime!(2026-09-30 09:00 UTC), sent: Sent::Counted, team: None },
        Composed { at: datetime!(2026-12-01 00:00 UTC), sent: Sent::Counted, team: None },
    ];
    let health = health(Vec::new(), &composed, &months_to(date!(2026 - 11 - 01), 2));
    let [october, november] = health.security.as_slice() else { panic!("{health:?}") };
    assert_eq!(
        (october.messages_counted, october.messages_dropped),
        (2, 1),
        "September's and December's are not counted"
    );
    assert_eq!(
        (november.messages_gathered, november.messages_uncounted, november.messages_counted),
        (1, 1, 0)
    );
}

#[test]
fn a_teams_messages_and_the_answers_given_from_them_are_counted_in_its_month() {
    let none = EventFacts::default();
    let at = datetime!(2026-11-10 09:00 UTC);
    let event = |kind, from_message| Happened {
        at,
        kind,
        team: Some("Web"),
        action: Some(1),
        facts: &none,
        from_message,
    };
    let events = vec![event(EventKind::ActionOpened, false), event(EventKind::ActionAcknowledged, true)];
    let message = |sent, team: Option<&str>| Composed { at, sent, team: team.map(str::to_owned) };
    let composed = [
        message(Sent::Counted, Some("Web")),
        message(Sent::Gathered, Some("Web")),
        message(Sent::Dropped, Some("Web")),
        message(Sent::Counted, None),
    ];
    let counted = health(events, &composed, &[date!(2026 - 11 - 01)]);
    let web = &counted.teams["Web"][0];
    assert_eq!((web.messages, web.answered_from_messages), (2, 1), "the repeat dropped is not counted");
    assert_eq!(counted.security[0].messages_counted, 2);
}

#[test]
fn emergencies_under_the_policy_are_counted_apart_from_those_declared_outside_it() {
    let mut stream = Stream::new();
    let urgent = EventFacts { emergency: true, outcome: Some(Outcome::Act), ..EventFacts::default() };
    let raised = EventFacts {
        emergency: true,
        outcome: Some(Outcome::Act),
        previous_outcome: Some(Outcome::Attend),
        ..EventFacts::default()
    };
    stream
        .with(datetime!(2026-10-01 09:00 UTC), EventKind::ActionOpened, 1, urgent)
        .at(datetime!(2026-10-02 09:00 UTC), EventKind::ActionOpened, 2)
        .with(datetime!(2026-10-05 09:00 UTC), EventKind::DecisionChanged, 2, raised)
        .at(datetime!(2026-10-06 09:00 UTC), EventKind::ActionOpened, 3)
        .at(datetime!(2026-10-07 09:00 UTC), EventKind::EmergencyDeclared, 3);
    let health = stream.health(&months_to(date!(2026 - 10 - 01), 1));
    let web = &health.teams["Web"][0];
    assert_eq!((web.emergencies_by_criteria, web.emergencies), (2, 1));
}
