//! Briefings written from hand-made figures.

use time::macros::{date, datetime};

use super::*;
use crate::{ReadingTarget, Spread, readability};

const NOVEMBER: Date = date!(2026 - 11 - 01);

fn month(closed: usize, on_time: usize, overdue: usize) -> TeamMonth {
    TeamMonth {
        closed,
        closed_on_time: on_time,
        overdue_at_end: overdue,
        open_work: 20,
        ..TeamMonth::default()
    }
}

fn health() -> Health {
    let mut payments = vec![month(3, 3, 1), month(6, 5, 4)];
    payments[1].exceptions_in_force = 1;
    payments[1].exceptions_granted = 1;
    let mut web = vec![month(2, 2, 0), month(1, 0, 0)];
    web[1].close_rate = Some(0.05);
    web[1].close_band = Some(CloseBand::BelowLow);
    let security = SecurityMonth {
        answered: Some(Spread { p50: 1.6, p90: 4.0 }),
        exceptions_decided: Some(Spread { p50: 0.4, p90: 1.0 }),
        waiting_at_end: 2,
        decisions_lowered: 1,
        messages_counted: 40,
        messages_gathered: 12,
        messages_dropped: 3,
        ..SecurityMonth::default()
    };
    Health {
        months: vec![date!(2026 - 10 - 01), NOVEMBER],
        teams: [("Payments".to_owned(), payments), ("Web".to_owned(), web)].into_iter().collect(),
        security: vec![SecurityMonth::default(), security],
    }
}

fn wins() -> Vec<Win> {
    let win = |team: &str, feat: Feat| Win {
        team: team.into(),
        at: datetime!(2026-11-12 10:00 UTC),
        feat,
        once: String::new(),
    };
    vec![
        win("Payments", Feat::OnTime { action: 1 }),
        win("Payments", Feat::OnTime { action: 2 }),
        win("Payments", Feat::LargeRiskRemoved { action: 3 }),
        win("Web", Feat::OnTimeWeeks { weeks: 4 }),
    ]
}

fn coming() -> Vec<Coming<'static>> {
    vec![
        Coming { team: "Payments", outcome: Outcome::Act, hours: 2.0 },
        Coming { team: "Payments", outcome: Outcome::Attend, hours: 1.5 },
        Coming { team: "Web", outcome: Outcome::Attend, hours: 3.0 },
    ]
}

fn text(briefing: &Briefing) -> String {
    [&briefing.accomplishments, &briefing.issues, &briefing.responses, &briefing.plans]
        .iter()
        .flat_map(|part| part.iter())
        .chain([&briefing.feedback])
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_executives_read_every_team_with_the_security_teams_own_record() {
    let briefing = briefing(&health(), &wins(), &coming(), NOVEMBER, Reader::Executives);
    assert_eq!(briefing.title, "Security in November 2026");
    assert_eq!(
        briefing.accomplishments,
        [
            "Teams closed 7 pieces of security work in November 2026, 5 of them on time.",
            "Payments finished 2 pieces of work before they were due.",
            "Payments removed a serious risk, and a scan confirms it is gone.",
            "Web did all its security work on time for 4 weeks in a row.",
        ]
    );
    assert_eq!(
        briefing.issues,
        [
            "At the end of November 2026, 4 pieces of work were past their due date, up from 1.",
            "1 piece of work is waiting under an agreed exception.",
            "The relationship with Payments needs care. Late work rose from 1 to 4.",
            "The relationship with Web needs care. It closed little of its open work.",
        ]
    );
    assert!(
        briefing
            .responses
            .contains(&"We decided requests for exceptions in less than a day on the median.".to_owned())
    );
    assert!(briefing.responses.contains(&"2 questions still wait for our answer.".to_owned()));
    assert!(briefing.responses.iter().any(|said| said.starts_with("We lowered 1 decision")));
    assert_eq!(briefing.plans, ["3 pieces of work are due in December 2026, and 1 of them is urgent."]);
    let scores = readability(&text(&briefing));
    assert!(ReadingTarget::for_audience(crate::Audience::Executive).misses(&scores).is_empty(), "{scores:?}");
}

#[test]
fn a_manager_reads_their_team_in_the_terms_it_is_measured_on() {
    let drivers = ["75% of the new work is on one place: web-01.".to_owned()];
    let reader = Reader::Manager {
        team: "Payments",
        measured_on: Some("successful payments"),
        weekly_hours: 6.0,
        drivers: &drivers,
    };
    let briefing = briefing(&health(), &wins(), &coming(), NOVEMBER, reader);
    assert_eq!(briefing.title, "Payments and security in November 2026");
    assert_eq!(
        briefing.accomplishments[0],
        "Your team closed 6 pieces of security work in November 2026, 5 of them on time."
    );
    assert!(
        briefing
            .accomplishments
            .contains(&"Your team removed a serious risk, and a scan confirms it is gone.".to_owned())
    );
    assert!(!text(&briefing).contains("Web"), "another team is not in a manager's briefing");
    assert!(briefing.issues.contains(&drivers[0]), "what drove the month is said: {:?}", briefing.issues);
    assert_eq!(
        briefing.plans,
        [
            "2 pieces of work are due in December 2026, and 1 of them is urgent.",
            "It needs about 4 hours in all, within the 6 hours a week your team set aside.",
            "We plan it around what your team is measured on: successful payments.",
        ]
    );
    let scores = readability(&text(&briefing));
    assert!(ReadingTarget::for_audience(crate::Audience::Manager).misses(&scores).is_empty(), "{scores:?}");
}

#[test]
fn a_quiet_month_says_so_and_a_month_not_counted_reads_as_nothing_done() {
    let quiet = Health { months: vec![NOVEMBER], ..Health::default() };
    let briefing = briefing(&quiet, &[], &[], NOVEMBER, Reader::Executives);
    assert_eq!(briefing.accomplishments, ["Teams closed no security work in November 2026."]);
    assert_eq!(briefing.issues, ["Nothing went wrong that needs your attention."]);
    assert_eq!(briefing.plans, ["No work is due in December 2026."]);
}
