//! The health benchmark: a generated event stream of 200 teams over 24 months (each team
//! opening work every month, closing most of it, some late, with exceptions, feedback and the
//! security team's replies), counted by `rapport_core::health` in memory. Prints the events,
//! the best and the median of five runs. Reading the events from the database is not in it.

use std::time::Instant;

use clap::Args;
use rapport_core::{EventFacts, EventKind, Happened, health, months_to};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Args)]
pub struct BenchHealthArgs {
    #[arg(long, default_value_t = 200)]
    teams: usize,
    #[arg(long, default_value_t = 24)]
    months: usize,
    /// Actions each team opens each month.
    #[arg(long, default_value_t = 40)]
    actions_per_month: usize,
}

/// One generated event: when, what, which team and action, and which facts.
type Generated = (OffsetDateTime, EventKind, usize, i64, usize);

pub fn run(args: &BenchHealthArgs) -> anyhow::Result<()> {
    let end = time::Date::from_calendar_date(2026, time::Month::December, 1)?.midnight().assume_utc();
    let start = end - Duration::days(30 * args.months as i64);
    let teams: Vec<String> = (0..args.teams).map(|team| format!("team-{team:03}")).collect();
    let mut facts = vec![EventFacts::default()];
    let mut events: Vec<Generated> = Vec::new();
    let mut seed: u64 = 0x5eed;
    let mut next = move |below: u64| {
        // A linear congruential generator: the same stream on every run.
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % below.max(1)
    };
    let mut action = 0;
    for month in 0..args.months {
        for team in 0..args.teams {
            for _ in 0..args.actions_per_month {
                action += 1;
                let opened = start + Duration::days(30 * month as i64) + Duration::hours(next(720) as i64);
                events.push((opened, EventKind::ActionOpened, team, action, 0));
                let days = next(90) as i64;
                if days > 30 {
                    events.push((opened + Duration::days(30), EventKind::ActionOverdue, team, action, 0));
                }
                if next(10) < 8 {
                    let kind = if next(2) == 0 { EventKind::ActionVerified } else { EventKind::ActionClosed };
                    events.push((opened + Duration::days(days), kind, team, action, 0));
                }
                if next(20) == 0 {
                    let id = action;
                    facts.push(EventFacts { exception: Some(id), ..EventFacts::default() });
                    let exception = facts.len() - 1;
                    events.push((
                        opened + Duration::days(3),
                        EventKind::ExceptionRequested,
                        team,
                        action,
                        exception,
                    ));
                    events.push((
                        opened + Duration::days(5),
                        EventKind::ExceptionGranted,
                        team,
                        action,
                        exception,
                    ));
                }
                if next(10) == 0 {
                    facts.push(EventFacts {
                        answer: Some(action),
                        rating: Some(next(5) as u8 + 1),
                        ..EventFacts::default()
                    });
                    let answer = facts.len() - 1;
                    events.push((opened + Duration::days(2), EventKind::FeedbackGiven, team, action, answer));
                    events.push((
                        opened + Duration::days(4),
                        EventKind::SecurityReplied,
                        team,
                        action,
                        answer,
                    ));
                }
                if next(4) == 0 {
                    events.push((opened + Duration::days(1), EventKind::ActionAcknowledged, team, action, 0));
                }
            }
        }
    }
    let months = months_to(end.date() - Duration::days(1), args.months);
    let none = EventFacts::default();
    let mut runs = Vec::new();
    for _ in 0..5 {
        let happened: Vec<Happened<'_>> = events
            .iter()
            .map(|(at, kind, team, action, fact)| Happened {
                at: *at,
                kind: *kind,
                team: teams.get(*team).map(String::as_str),
                action: Some(*action),
                facts: facts.get(*fact).unwrap_or(&none),
            })
            .collect();
        let started = Instant::now();
        let counted = health(happened, &[], &months);
        runs.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(counted.teams.len() == args.teams, "every team counted");
    }
    runs.sort_by(f64::total_cmp);
    println!(
        "health of {} teams over {} months from {} events: best {:.3} s, median {:.3} s (counting in memory)",
        args.teams,
        args.months,
        events.len(),
        runs.first().copied().unwrap_or_default(),
        runs.get(runs.len() / 2).copied().unwrap_or_default()
    );
    Ok(())
}
