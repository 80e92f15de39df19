//! `rapport health`: each team's months and the security team's own record, as a table or as
//! JSON, from the same use case as the pages.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use rapport_core::{SecurityMonth, Spread, TeamMonth, compared};
use rapport_workflows::{HealthReport, team_health};
use time::OffsetDateTime;

use crate::commands::{now, open};

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Only this team (the security team's own record is always shown).
    #[arg(long)]
    team: Option<String>,
    /// How many months, up to this one (1 to 24).
    #[arg(long, default_value_t = 6)]
    months: usize,
    /// As of this moment (RFC 3339, e.g. 2026-12-20T09:00:00Z) instead of now.
    #[arg(long, value_parser = crate::events::parse_moment)]
    at: Option<OffsetDateTime>,
    /// The figures as one JSON document.
    #[arg(long)]
    json: bool,
}

pub async fn health(database: &str, args: HealthArgs) -> anyhow::Result<ExitCode> {
    let store = open(database).await?;
    let report = team_health(&store, args.at.unwrap_or_else(now), args.months, args.team.as_deref()).await?;
    store.close().await;
    let mut out = crate::printable::stdout();
    if args.json {
        let HealthReport { health, wins, drivers } = &report;
        let wins: Vec<serde_json::Value> = wins
            .iter()
            .map(|thanked| {
                let told: Vec<serde_json::Value> = thanked
                    .told
                    .iter()
                    .map(|reader| {
                        serde_json::json!({ "name": reader.recipient_name, "email": reader.recipient, "audience": reader.audience })
                    })
                    .collect();
                serde_json::json!({ "win": thanked.win, "thanked": told })
            })
            .collect();
        let drivers: BTreeMap<String, &BTreeMap<String, Vec<String>>> =
            drivers.iter().map(|(month, teams)| (month.to_string(), teams)).collect();
        let document = serde_json::json!({ "months": health.months, "teams": health.teams, "security": health.security, "wins": wins, "drivers": drivers });
        writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
    } else {
        write!(out, "{}", table(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Every team's months and wins, then the security team's months, as aligned columns.
fn table(report: &HealthReport) -> String {
    let health = &report.health;
    let mut text = String::new();
    if health.teams.is_empty() {
        text.push_str("No team has had any work yet.\n\n");
    }
    for (team, months) in &health.teams {
        text.push_str(&format!("{team}\n"));
        text.push_str(
            "  month    opened closed on-time close-rate (benchmark)        half-life ack-days(p50/p90) overdue exceptions(asked/granted/in-force) emergencies(policy/declared) feedback disputes habits messages(sent/answered)\n",
        );
        for month in months {
            text.push_str(&team_row(month));
        }
        // The month under way is counted so far; the last whole one is compared.
        if let [.., before, last, _] = months.as_slice()
            && (before.open_work > 0 || last.open_work > 0)
        {
            text.push_str(&format!("  {}\n", compared(last, before)));
        }
        let whole = health.months.iter().rev().nth(1).and_then(|month| report.drivers.get(month));
        for said in whole.and_then(|teams| teams.get(team)).into_iter().flatten() {
            text.push_str(&format!("  {said}\n"));
        }
        for thanked in report.wins.iter().filter(|thanked| &thanked.win.team == team) {
            let win = &thanked.win;
            text.push_str(&format!("  Win, {}: {team} {}\n", win.at.date(), win.feat.words()));
            let told: Vec<String> = thanked
                .told
                .iter()
                .map(|reader| {
                    format!("{} <{}> as {}", reader.recipient_name, reader.recipient, reader.audience.label())
                })
                .collect();
            if !told.is_empty() {
                text.push_str(&format!("    thanked: {}\n", told.join(", ")));
            }
        }
        text.push('\n');
    }
    text.push_str("Security team's own record\n");
    text.push_str(
        "  month    answered-in(p50/p90) exceptions-decided-in waiting emergencies decisions-lowered done-refuted messages(budgeted/at-once/digest/dropped) briefing-answers\n",
    );
    for month in &health.security {
        text.push_str(&security_row(month));
    }
    text.push_str("\nThe last month is the one under way, counted so far. The benchmark is the share of open work closed in a month: 6.6% for the lowest quarter of organisations, 15.2% the median, 27.1% the top quarter (Cyentia and Kenna).\n");
    text
}

fn month_name(month: Option<time::Date>) -> String {
    month.map(|month| format!("{}-{:02}", month.year(), u8::from(month.month()))).unwrap_or_default()
}

fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{:.0}%", value * 100.0))
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |days| format!("{days:.1}d"))
}

fn spread(value: Option<Spread>) -> String {
    value.map_or_else(|| "-".to_owned(), |spread| format!("{:.1}/{:.1}d", spread.p50, spread.p90))
}

fn team_row(month: &TeamMonth) -> String {
    let rate = match (month.close_rate, month.close_band) {
        (Some(rate), Some(band)) => format!("{} ({})", share(Some(rate)), band.words()),
        _ => "-".to_owned(),
    };
    let exceptions =
        format!("{}/{}/{}", month.exceptions_requested, month.exceptions_granted, month.exceptions_in_force);
    let feedback = match month.rating {
        Some(rating) => format!("{} ({rating:.1}/5)", month.feedback),
        None => month.feedback.to_string(),
    };
    format!(
        "  {:<8} {:>6} {:>6} {:>7} {:<30} {:>9} {:>17} {:>7} {:>34} {:>27} {:>8} {:>8} {:>6} {:>18}\n",
        month_name(month.month),
        month.opened,
        month.closed,
        share(month.on_time()),
        rate,
        days(month.half_life_days),
        spread(month.acknowledged),
        month.overdue_at_end,
        exceptions,
        format!("{}/{}", month.emergencies_by_criteria, month.emergencies),
        feedback,
        month.disputes,
        month.habits_shown,
        format!("{}/{}", month.messages, month.answered_from_messages),
    )
}

fn security_row(month: &SecurityMonth) -> String {
    format!(
        "  {:<8} {:>20} {:>21} {:>7} {:>11} {:>17} {:>12} {:>41} {:>17}\n",
        month_name(month.month),
        spread(month.answered),
        spread(month.exceptions_decided),
        month.waiting_at_end,
        month.emergencies,
        month.decisions_lowered,
        month.done_refuted,
        format!(
            "{}/{}/{}/{}",
            month.messages_counted, month.messages_uncounted, month.messages_gathered, month.messages_dropped
        ),
        match month.briefing_rating {
            Some(rating) => format!("{} ({rating:.1}/5)", month.briefing_answers),
            None => month.briefing_answers.to_string(),
        },
    )
}
