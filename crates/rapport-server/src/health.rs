//! The relationship's health, page and API: each team's months (the security team and the
//! executives see every team, a partner its own), with charts, and the security team's own
//! record beside them, for everyone who sees any team.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use rapport_core::{CloseBand, Health, SecurityMonth, Spread, TeamMonth, compared};
use rapport_workflows::ThankedWin;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use crate::api::Refusals;
use crate::auth::Signed;
use crate::charts::{MonthlyChart, Shape, benchmark_bands, short_month};
use crate::error::ServerError;
use crate::state::AppState;
use crate::web::{Nav, html};

/// Which health to show.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct HealthQuery {
    /// Only this team.
    pub team: Option<String>,
    /// How many months up to this one, 1 to 24 (12 unless given).
    pub months: Option<usize>,
}

/// Days, the middle and the ninetieth percentile.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct SpreadView {
    pub p50: f64,
    pub p90: f64,
}

impl SpreadView {
    fn of(spread: Option<Spread>) -> Option<SpreadView> {
        spread.map(|spread| SpreadView { p50: round(spread.p50), p90: round(spread.p90) })
    }

    fn words(spread: &Option<SpreadView>) -> String {
        spread.map_or_else(|| "–".to_owned(), |spread| format!("{} / {}", spread.p50, spread.p90))
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// One team's month.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamMonthView {
    /// `YYYY-MM`.
    pub month: String,
    pub opened: usize,
    pub closed: usize,
    /// The share of the month's closed actions closed before they went overdue, in percent.
    pub on_time_percent: Option<u32>,
    /// The share of open work closed in the month, in percent, and where it stands against
    /// the public benchmark: `below_low` (under 6.6%), `low_to_median`, `median_to_high`,
    /// `high` (27.1% and above).
    pub close_rate_percent: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub close_band: Option<CloseBand>,
    /// Days until half of the work opened in the last twelve months was closed.
    pub half_life_days: Option<f64>,
    /// Days to acknowledge an action, and the policy.
    pub acknowledged_days: Option<SpreadView>,
    pub policy_acknowledged_days: Option<SpreadView>,
    pub overdue_at_end: usize,
    pub exceptions_requested: usize,
    pub exceptions_granted: usize,
    pub exceptions_expired: usize,
    pub exceptions_in_force: usize,
    /// Emergencies under the policy's criteria, and declared outside them.
    pub emergencies_by_criteria: usize,
    pub emergencies: usize,
    pub feedback: usize,
    /// The mean rating of the month's feedback, 1 to 5.
    pub rating: Option<f64>,
    pub disputes: usize,
    pub nudges: usize,
    pub habits_shown: usize,
    /// Messages about the team's work that reached its readers, and answers given from one.
    pub messages: usize,
    pub answered_from_messages: usize,
}

/// A win of a team, worth a thank-you.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WinView {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `on_time`, `large_risk_removed`, `on_time_weeks` or `habit_across_the_team`.
    pub kind: String,
    /// What the team did, after its name.
    pub words: String,
    /// A large win: work the policy says to act on, removed.
    pub large: bool,
    /// Whom the messages thanked for it, by name and in whose words ("Priya Raman, manager");
    /// empty until the clock has recorded it and the messages are composed.
    pub thanked: Vec<String>,
}

/// One team's health.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamHealthView {
    pub team: String,
    pub months: Vec<TeamMonthView>,
    /// The last whole month against the one before, in a sentence.
    pub compared: Option<String>,
    /// What drove the last whole month: where its new and late work gathered, how much was
    /// urgent.
    pub drivers: Vec<String>,
    /// Its wins in these months, oldest first.
    pub wins: Vec<WinView>,
}

/// The security team's own month.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SecurityMonthView {
    pub month: String,
    /// Days to reply to a team's feedback or "not ours", and to decide an exception request.
    pub answered_days: Option<SpreadView>,
    pub exceptions_decided_days: Option<SpreadView>,
    /// Answers and requests waiting for the security team at the month's end.
    pub waiting_at_end: usize,
    pub emergencies: usize,
    pub decisions_lowered: usize,
    pub done_refuted: usize,
    /// Messages composed in the month: sent against the readers' weekly budgets, sent at once
    /// without counting (emergencies under the policy), held for a digest, dropped as repeats.
    pub messages_counted: usize,
    pub messages_uncounted: usize,
    pub messages_gathered: usize,
    pub messages_dropped: usize,
    /// Answers to the monthly briefings given in the month, and their mean rating (1 to 5).
    pub briefing_answers: usize,
    pub briefing_rating: Option<f64>,
}

/// Each team's health and the security team's own record.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// The months counted, `YYYY-MM`, oldest first; the last is under way.
    pub months: Vec<String>,
    pub teams: Vec<TeamHealthView>,
    pub security: Vec<SecurityMonthView>,
}

fn month_of(month: Option<Date>) -> String {
    month.map(|month| format!("{}-{:02}", month.year(), u8::from(month.month()))).unwrap_or_default()
}

fn percent(share: Option<f64>) -> Option<u32> {
    share.map(|share| (share * 100.0).round() as u32)
}

impl TeamMonthView {
    fn of(month: &TeamMonth) -> TeamMonthView {
        TeamMonthView {
            month: month_of(month.month),
            opened: month.opened,
            closed: month.closed,
            on_time_percent: percent(month.on_time()),
            close_rate_percent: month.close_rate.map(|rate| round(rate * 100.0)),
            close_band: month.close_band,
            half_life_days: month.half_life_days.map(round),
            acknowledged_days: SpreadView::of(month.acknowledged),
            policy_acknowledged_days: SpreadView::of(month.policy_acknowledged),
            overdue_at_end: month.overdue_at_end,
            exceptions_requested: month.exceptions_requested,
            exceptions_granted: month.exceptions_granted,
            exceptions_expired: month.exceptions_expired,
            exceptions_in_force: month.exceptions_in_force,
            emergencies_by_criteria: month.emergencies_by_criteria,
            emergencies: month.emergencies,
            feedback: month.feedback,
            rating: month.rating.map(round),
            disputes: month.disputes,
            nudges: month.nudges,
            habits_shown: month.habits_shown,
            messages: month.messages,
            answered_from_messages: month.answered_from_messages,
        }
    }

    fn band_words(&self) -> &'static str {
        self.close_band.map_or("", CloseBand::words)
    }
}

impl SecurityMonthView {
    fn of(month: &SecurityMonth) -> SecurityMonthView {
        SecurityMonthView {
            month: month_of(month.month),
            answered_days: SpreadView::of(month.answered),
            exceptions_decided_days: SpreadView::of(month.exceptions_decided),
            waiting_at_end: month.waiting_at_end,
            emergencies: month.emergencies,
            decisions_lowered: month.decisions_lowered,
            done_refuted: month.done_refuted,
            messages_counted: month.messages_counted,
            messages_uncounted: month.messages_uncounted,
            messages_gathered: month.messages_gathered,
            messages_dropped: month.messages_dropped,
            briefing_answers: month.briefing_answers,
            briefing_rating: month.briefing_rating.map(|rating| (rating * 10.0).round() / 10.0),
        }
    }
}

fn win_view(thanked: &ThankedWin) -> WinView {
    let win = &thanked.win;
    WinView {
        day: win.at.date().to_string(),
        kind: win.feat.name().to_owned(),
        words: win.feat.words(),
        large: win.feat.is_large(),
        thanked: thanked
            .told
            .iter()
            .map(|reader| format!("{}, {}", reader.recipient_name, reader.audience.label()))
            .collect(),
    }
}

impl HealthView {
    fn of(
        health: &Health,
        wins: &[ThankedWin],
        drivers: &BTreeMap<Date, BTreeMap<String, Vec<String>>>,
    ) -> HealthView {
        // The month under way is counted so far; the last whole one is compared and driven.
        let whole = health.months.iter().rev().nth(1).and_then(|month| drivers.get(month));
        HealthView {
            months: health.months.iter().map(|month| month_of(Some(*month))).collect(),
            teams: health
                .teams
                .iter()
                .map(|(team, months)| TeamHealthView {
                    team: team.clone(),
                    months: months.iter().map(TeamMonthView::of).collect(),
                    compared: match months.as_slice() {
                        [.., before, last, _] if before.open_work > 0 || last.open_work > 0 => {
                            Some(compared(last, before))
                        }
                        _ => None,
                    },
                    drivers: whole.and_then(|teams| teams.get(team)).cloned().unwrap_or_default(),
                    wins: wins.iter().filter(|thanked| &thanked.win.team == team).map(win_view).collect(),
                })
                .collect(),
            security: health.security.iter().map(SecurityMonthView::of).collect(),
        }
    }
}

/// Twelve months unless asked.
const MONTHS: usize = 12;

/// The health `signed` may see: every team's for the security team and the executives (or
/// the one asked for), a partner's own team's; nobody else's.
async fn health(state: &AppState, signed: &Signed, query: &HealthQuery) -> Result<HealthView, ServerError> {
    let principal = &signed.principal;
    let own = principal.team.as_deref().filter(|_| principal.role.needs_team());
    if !principal.may_read_everything() && own.is_none() {
        return Err(ServerError::Forbidden(format!(
            "the relationship's health is for the teams and the security team; you are signed in as {}",
            principal.role.label()
        )));
    }
    if let Some(asked) = query.team.as_deref()
        && !principal.may_read_team(asked)
    {
        return Err(ServerError::NotFound(format!("no team {asked:?}")));
    }
    let months = query.months.unwrap_or(MONTHS);
    let rapport_workflows::HealthReport { mut health, wins, drivers } =
        rapport_workflows::team_health(&state.store, state.now(), months, None).await?;
    let shown = query.team.as_deref().or(if principal.may_read_everything() { None } else { own });
    if let Some(team) = shown {
        if query.team.is_some() && !health.teams.contains_key(team) {
            return Err(ServerError::NotFound(format!("nothing has happened to a team {team:?} yet")));
        }
        // A partner's team nothing has happened to yet has an empty health, not a refusal.
        health.teams.retain(|name, _| name == team);
    }
    Ok(HealthView::of(&health, &wins, &drivers))
}

/// A team's section of the page: its figures and its charts.
struct TeamSection {
    view: TeamHealthView,
    close_chart: String,
    overdue_chart: String,
}

#[derive(Template)]
#[template(path = "health.html")]
pub(crate) struct HealthPage {
    nav: Option<Nav>,
    query: HealthQuery,
    teams: Vec<TeamSection>,
    security: Vec<SecurityMonthView>,
}

fn section(index: usize, view: TeamHealthView) -> Result<TeamSection, ServerError> {
    let months = |value: fn(&TeamMonthView) -> Option<f64>| {
        view.months.iter().map(|month| (short_month(&month.month), value(month))).collect::<Vec<_>>()
    };
    let close = MonthlyChart {
        id: format!("team-{index}-close"),
        title: format!("{}: share of open work closed each month", view.team),
        shape: Shape::Shares,
        months: months(|month| month.close_rate_percent.map(|percent| percent / 100.0)),
        references: benchmark_bands(),
    };
    let overdue = MonthlyChart {
        id: format!("team-{index}-overdue"),
        title: format!("{}: actions overdue at each month's end", view.team),
        shape: Shape::Counts,
        months: months(|month| Some(month.overdue_at_end as f64)),
        references: Vec::new(),
    };
    Ok(TeamSection { close_chart: close.svg()?, overdue_chart: overdue.svg()?, view })
}

pub async fn health_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<HealthQuery>,
) -> Result<Response, ServerError> {
    let HealthView { teams, security, .. } = health(&state, &signed, &query).await?;
    let teams =
        teams.into_iter().enumerate().map(|(index, view)| section(index, view)).collect::<Result<_, _>>()?;
    html(&HealthPage { nav: Some(Nav::of(&signed)), query, teams, security })
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    description = "Each team's health month by month, counted from the event stream (work opened and \
                   closed, on time, the close rate against the public benchmark, the half-life, \
                   acknowledgement times, overdue work, exceptions, emergencies, feedback, disputes, \
                   habits), and the security team's own record. The security team and the executives \
                   see every team; a partner its own.",
    params(HealthQuery),
    responses((status = 200, description = "OK", body = HealthView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn health_api(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<HealthQuery>,
) -> Result<Json<HealthView>, ServerError> {
    Ok(Json(health(&state, &signed, &query).await?))
}
