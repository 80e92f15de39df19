//! Wins found in hand-made streams.

use time::Duration;
use time::macros::datetime;

use super::*;
use crate::EventFacts;

struct Stream {
    facts: Vec<EventFacts>,
    events: Vec<(OffsetDateTime, EventKind, &'static str, Option<i64>, usize)>,
}

impl Stream {
    fn new() -> Stream {
        Stream { facts: vec![EventFacts::default()], events: Vec::new() }
    }

    fn on(&mut self, at: OffsetDateTime, kind: EventKind, team: &'static str, action: i64) -> &mut Stream {
        self.events.push((at, kind, team, Some(action), 0));
        self
    }

    fn with(
        &mut self,
        at: OffsetDateTime,
        kind: EventKind,
        team: &'static str,
        facts: EventFacts,
    ) -> &mut Stream {
        self.facts.push(facts);
        self.events.push((at, kind, team, None, self.facts.len() - 1));
        self
    }

    fn wins(&self, from: OffsetDateTime, to: OffsetDateTime) -> Vec<Win> {
        let happened = self
            .events
            .iter()
            .map(|(at, kind, team, action, facts)| Happened {
                at: *at,
                kind: *kind,
                team: Some(team),
                action: *action,
                facts: &self.facts[*facts],
                from_message: false,
            })
            .collect();
        wins(happened, from, to)
    }
}

#[test]
fn work_done_before_its_due_date_and_a_large_risk_removed_are_wins_and_late_work_is_not() {
    let mut stream = Stream::new();
    let act = EventFacts { outcome: Some(Outcome::Act), ..EventFacts::default() };
    let start = datetime!(2026-11-02 09:00 UTC);
    stream.facts.push(act);
    stream.events.push((start, EventKind::ActionOpened, "Web", Some(1), 1));
    stream
        .on(start, EventKind::ActionOpened, "Web", 2)
        .on(start, EventKind::ActionOpened, "Web", 3)
        .on(start, EventKind::ActionOpened, "Web", 4)
        .on(start + Duration::days(10), EventKind::ActionOverdue, "Web", 3)
        .on(start + Duration::days(3), EventKind::ActionVerified, "Web", 1)
        .on(start + Duration::days(4), EventKind::ActionVerified, "Web", 2)
        .on(start + Duration::days(12), EventKind::ActionVerified, "Web", 3)
        .on(start + Duration::days(5), EventKind::ActionClosed, "Web", 4);
    let found = stream.wins(start, start + Duration::days(30));
    let feats: Vec<&Feat> = found.iter().map(|win| &win.feat).collect();
    assert_eq!(feats, [&Feat::LargeRiskRemoved { action: 1 }, &Feat::OnTime { action: 2 }]);
    assert!(found[0].feat.is_large() && !found[1].feat.is_large());
    assert_eq!(found[1].once, format!("win:on-time:2:{}", (start + Duration::days(4)).unix_timestamp()));
    assert!(
        stream.wins(start + Duration::days(20), start + Duration::days(30)).is_empty(),
        "counted once, in its window"
    );
}

#[test]
fn four_weeks_in_a_row_of_work_closed_on_time_is_a_win_and_an_overdue_week_starts_over() {
    let mut stream = Stream::new();
    let monday = datetime!(2026-10-05 09:00 UTC);
    for week in 0..9_i32 {
        let action = i64::from(week) + 1;
        let opened = monday + Duration::WEEK * week;
        stream.on(opened, EventKind::ActionOpened, "Web", action).on(
            opened + Duration::days(2),
            EventKind::ActionClosed,
            "Web",
            action,
        );
    }
    // Week 5 has work go overdue: the run starts again after it.
    stream.on(monday + Duration::WEEK * 4 + Duration::days(1), EventKind::ActionOverdue, "Web", 99);
    let found = stream.wins(monday - Duration::WEEK, monday + Duration::WEEK * 12);
    let runs: Vec<(Feat, OffsetDateTime)> = found.into_iter().map(|win| (win.feat, win.at)).collect();
    assert_eq!(
        runs,
        [
            (Feat::OnTimeWeeks { weeks: 4 }, datetime!(2026-11-02 00:00 UTC)),
            (Feat::OnTimeWeeks { weeks: 4 }, datetime!(2026-12-07 00:00 UTC)),
        ]
    );
}

#[test]
fn a_habit_every_nudged_person_of_a_team_took_up_is_the_teams_win() {
    let mut stream = Stream::new();
    let start = datetime!(2026-11-02 09:00 UTC);
    let about = |kind_person: &str| EventFacts {
        campaign: Some("screen-lock".to_owned()),
        person: Some(kind_person.to_owned()),
        ..EventFacts::default()
    };
    for (day, person) in ["ana@x", "bo@x", "cy@x"].iter().enumerate() {
        stream.with(start + Duration::days(day as i64), EventKind::CampaignNudged, "Web", about(person));
    }
    stream.with(start + Duration::days(5), EventKind::HabitShown, "Web", about("ana@x")).with(
        start + Duration::days(6),
        EventKind::HabitShown,
        "Web",
        about("bo@x"),
    );
    assert!(stream.wins(start, start + Duration::days(30)).is_empty(), "one of three still to go");
    stream.with(start + Duration::days(7), EventKind::HabitShown, "Web", about("cy@x"));
    let found = stream.wins(start, start + Duration::days(30));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].feat, Feat::HabitAcrossTheTeam { campaign: "screen-lock".to_owned(), people: 3 });
    assert_eq!(found[0].at, start + Duration::days(7));
}
