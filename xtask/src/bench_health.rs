//! The health benchmark: a generated event stream of 200 teams over 24 months (each team
//! opening work every month, closing most of it, some late, with exceptions, feedback and the
//! security team's replies), counted by `rapport_core::health` in memory; then the same stream
//! written to SQLite (and PostgreSQL with `--postgres`) and read back as health reads it, the
//! columns it counts, and through the command line: `rapport health` of every team and the
//! executives' briefing. Prints the events, and the best and the median of five runs of each.
//! The stored events carry no action (the events table refers to stored actions, which the
//! bench does not build), so the reading is timed alone and the counting in memory.

use std::time::Instant;

use clap::Args;
use rapport_core::{Actor, EventFacts, EventKind, Happened, health, months_to};
use rapport_storage::{NewEvent, Store};
use time::{Duration, OffsetDateTime};

use crate::bench::{Measure, fresh_postgres, measure, release_binary, remove_sqlite, row, workspace_root};

#[derive(Debug, Args)]
pub struct BenchHealthArgs {
    #[arg(long, default_value_t = 200)]
    teams: usize,
    #[arg(long, default_value_t = 24)]
    months: usize,
    /// Actions each team opens each month.
    #[arg(long, default_value_t = 40)]
    actions_per_month: usize,
    /// A PostgreSQL server's admin URL, to read the stream from PostgreSQL too.
    #[arg(long)]
    postgres: Option<String>,
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
                from_message: false,
            })
            .collect();
        let started = Instant::now();
        let counted = health(happened, &[], &months);
        runs.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(counted.teams.len() == args.teams, "every team counted");
    }
    println!(
        "health of {} teams over {} months from {} events: {} (counting in memory)",
        args.teams,
        args.months,
        events.len(),
        best_and_median(runs)
    );
    let folder = workspace_root()?.join("target/bench");
    std::fs::create_dir_all(&folder)?;
    remove_sqlite(&folder, "bench-health.db");
    let mut backends = vec![("sqlite", format!("sqlite://{}/bench-health.db", folder.display()))];
    if let Some(admin) = &args.postgres {
        backends.push(("postgres", fresh_postgres(admin, "bench_health")?));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    events.sort_by_key(|event| event.0);
    for (backend, url) in &backends {
        let runs = runtime.block_on(async {
            let store = Store::connect(url).await?;
            // A day's events in one transaction, at noon of that day.
            for day in events.chunk_by(|a, b| a.0.date() == b.0.date()) {
                let batch: Vec<NewEvent> = day
                    .iter()
                    .map(|(_, kind, team, _, fact)| NewEvent {
                        kind: *kind,
                        actor: Actor::Clock,
                        team: teams.get(*team).cloned(),
                        action: None,
                        subject: None,
                        detail: String::new(),
                        facts: facts.get(*fact).cloned().unwrap_or_default(),
                        once: None,
                    })
                    .collect();
                let noon = day
                    .first()
                    .map_or(end, |(at, ..)| at.date().midnight().assume_utc() + Duration::hours(12));
                store.append_events(&batch, noon).await?;
            }
            let mut runs = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                let read = store.event_facts_since(OffsetDateTime::UNIX_EPOCH).await?;
                runs.push(started.elapsed().as_secs_f64());
                anyhow::ensure!(read.len() == events.len(), "every event read back");
            }
            store.close().await;
            anyhow::Ok(runs)
        })?;
        println!("reading the {} events back from {backend}: {}", events.len(), best_and_median(runs));
    }
    // The same through the command line, end to end: every team's health over the months,
    // and the executives' briefing of the last month written as a document.
    let binary = release_binary(&workspace_root()?)?;
    let at = (end - Duration::SECOND).format(&time::format_description::well_known::Rfc3339)?;
    let document = folder.join("bench-briefing.html").display().to_string();
    let months = args.months.to_string();
    for (backend, url) in &backends {
        let health = measure(&binary, url, &["health", "--json", "--months", &months, "--at", &at])?;
        row("rapport health --json (every team)", backend, &Measure { summary: String::new(), ..health });
        let briefing = measure(&binary, url, &["briefing", "--at", &at, "--out", &document])?;
        row("rapport briefing --out (executives)", backend, &briefing);
    }
    Ok(())
}

fn best_and_median(mut runs: Vec<f64>) -> String {
    runs.sort_by(f64::total_cmp);
    format!(
        "best {:.3} s, median {:.3} s",
        runs.first().copied().unwrap_or_default(),
        runs.get(runs.len() / 2).copied().unwrap_or_default()
    )
}
