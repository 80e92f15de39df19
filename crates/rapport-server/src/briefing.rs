//! The monthly briefing: a page for the executives (their start page) and for each team's
//! manager, the same as a standalone HTML document for `rapport briefing --out` and for print
//! (a PDF through headless Chromium), and as JSON. Its charts are the health page's.

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_core::{Briefing, TeamMonth, across_teams};
use rapport_workflows::{BriefingFor, BriefingReport, answer_briefing, monthly_briefing};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use crate::api::Refusals;
use crate::auth::Signed;
use crate::charts::{MonthlyChart, Shape, benchmark_bands, short_month};
use crate::error::ServerError;
use crate::state::AppState;
use crate::web::{Nav, encode, html};

/// The briefing's own styles, print included: served for the page, written into the document.
pub const STYLES: &str = include_str!("../static/briefing.css");

/// Which briefing to show.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct BriefingQuery {
    /// `YYYY-MM`; the month under way unless given.
    pub month: Option<String>,
    /// A team's briefing, as its manager reads it; the executives' across every team unless
    /// given (a partner always reads its own team's).
    pub team: Option<String>,
    /// Set after the reader answered the briefing's request for feedback, to thank them.
    pub answered: Option<String>,
}

/// A monthly briefing's five parts.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BriefingView {
    /// `YYYY-MM`.
    pub month: String,
    pub title: String,
    /// The team, for a manager's briefing.
    pub team: Option<String>,
    pub accomplishments: Vec<String>,
    pub issues: Vec<String>,
    pub responses: Vec<String>,
    pub plans: Vec<String>,
    pub feedback: String,
}

impl BriefingView {
    fn of(report: &BriefingReport) -> BriefingView {
        let Briefing { month, title, accomplishments, issues, responses, plans, feedback } = &report.briefing;
        BriefingView {
            month: year_month(*month),
            title: title.clone(),
            team: report.team.clone(),
            accomplishments: accomplishments.clone(),
            issues: issues.clone(),
            responses: responses.clone(),
            plans: plans.clone(),
            feedback: feedback.clone(),
        }
    }
}

/// The briefing with its charts drawn, as both the page and the document show it.
#[derive(Template)]
#[template(path = "briefing_document.html")]
struct Document {
    view: BriefingView,
    charts: Vec<(String, String)>,
    styles: &'static str,
}

#[derive(Template)]
#[template(path = "briefing.html")]
struct Page {
    nav: Option<Nav>,
    view: BriefingView,
    charts: Vec<(String, String)>,
    answered: bool,
}

/// The briefing as one HTML document with its styles inside, for a file, a message or print.
pub fn briefing_document(report: &BriefingReport) -> Result<String, askama::Error> {
    Document { view: BriefingView::of(report), charts: charts(report)?, styles: STYLES }.render()
}

fn year_month(first: Date) -> String {
    format!("{:04}-{:02}", first.year(), u8::from(first.month()))
}

/// The months the charts show: the team's, or every team's added up.
fn charted_months(report: &BriefingReport) -> Vec<TeamMonth> {
    match &report.team {
        Some(team) => report.health.teams.get(team).cloned().unwrap_or_default(),
        None => across_teams(&report.health),
    }
}

/// Each chart's title and its SVG.
fn charts(report: &BriefingReport) -> Result<Vec<(String, String)>, askama::Error> {
    let months = charted_months(report);
    let labelled = |value: fn(&TeamMonth) -> Option<f64>| {
        report
            .health
            .months
            .iter()
            .zip(&months)
            .map(|(first, month)| (short_month(&year_month(*first)), value(month)))
            .collect::<Vec<_>>()
    };
    let whose = report.team.clone().unwrap_or_else(|| "Every team".to_owned());
    let charts = [
        MonthlyChart {
            id: "briefing-close".into(),
            title: format!("{whose}: share of open work closed each month"),
            shape: Shape::Shares,
            months: labelled(|month| month.close_rate),
            references: benchmark_bands(),
        },
        MonthlyChart {
            id: "briefing-on-time".into(),
            title: format!("{whose}: share of closed work done on time"),
            shape: Shape::Shares,
            months: labelled(TeamMonth::on_time),
            references: Vec::new(),
        },
        MonthlyChart {
            id: "briefing-overdue".into(),
            title: format!("{whose}: work past its due date at each month's end"),
            shape: Shape::Counts,
            months: labelled(|month| Some(month.overdue_at_end as f64)),
            references: Vec::new(),
        },
    ];
    charts.iter().map(|chart| Ok((chart.title.clone(), chart.svg()?))).collect()
}

/// The briefing `signed` may read: the executives' (or any team's) for the executives and the
/// security team, a partner's own team's; nobody else's.
async fn briefing_for(
    state: &AppState,
    signed: &Signed,
    query: &BriefingQuery,
) -> Result<BriefingReport, ServerError> {
    let principal = &signed.principal;
    let own = principal.team.as_deref().filter(|_| principal.role.needs_team());
    if !principal.may_read_everything() && own.is_none() {
        return Err(ServerError::Forbidden(format!(
            "the monthly briefing is for the executives and the teams' managers; you are signed in as {}",
            principal.role.label()
        )));
    }
    if let Some(asked) = query.team.as_deref()
        && !principal.may_read_team(asked)
    {
        return Err(ServerError::NotFound(format!("no team {asked:?}")));
    }
    let now = state.now();
    let month = match query.month.as_deref() {
        None => now.date(),
        Some(month) => parse_month(month)?,
    };
    let team = query.team.as_deref().or(if principal.may_read_everything() { None } else { own });
    let reader = match team {
        Some(team) => BriefingFor::Manager { team },
        None => BriefingFor::Executives,
    };
    Ok(monthly_briefing(&state.store, now, month, reader).await?)
}

/// `YYYY-MM` as the month's first day.
pub fn parse_month(month: &str) -> Result<Date, ServerError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(&format!("{month}-01"), &format)
        .map_err(|_| ServerError::BadRequest(format!("month: {month:?} is not a month; give it as 2026-11")))
}

pub async fn briefing_page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<BriefingQuery>,
) -> Result<Response, ServerError> {
    let report = briefing_for(&state, &signed, &query).await?;
    html(&Page {
        nav: Some(Nav::of(&signed)),
        view: BriefingView::of(&report),
        charts: charts(&report)?,
        answered: query.answered.is_some(),
    })
}

/// An answer to a briefing's request for feedback, from its page.
#[derive(Debug, Deserialize)]
pub struct BriefingAnswerForm {
    /// `YYYY-MM`.
    month: String,
    #[serde(default)]
    team: Option<String>,
    /// 1 to 5, or empty for none.
    #[serde(default)]
    rating: String,
    #[serde(default)]
    words: String,
}

pub async fn answer_page(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<BriefingAnswerForm>,
) -> Result<Response, ServerError> {
    let query = BriefingQuery { month: Some(form.month.clone()), team: form.team.clone(), answered: None };
    // Whoever may read the briefing may answer it.
    briefing_for(&state, &signed, &query).await?;
    let rating = match form.rating.trim() {
        "" => None,
        given => Some(
            given.parse::<u8>().map_err(|_| ServerError::BadRequest("rating: give it from 1 to 5".into()))?,
        ),
    };
    let month = parse_month(&form.month)?;
    answer_briefing(&state.store, month, &signed.principal, rating, &form.words, None, state.now()).await?;
    let team = form.team.as_deref().map(|team| format!("&team={}", encode(team))).unwrap_or_default();
    Ok(Redirect::to(&format!("/briefing?month={}{team}&answered=yes", form.month)).into_response())
}

#[utoipa::path(
    get,
    path = "/briefing",
    tag = "health",
    description = "The monthly briefing in five parts (what was done, what went wrong, what was done \
                   about it, what comes next, a request for feedback): across every team for the \
                   executives and the security team, or one team's as its manager reads it. A partner \
                   reads its own team's.",
    params(BriefingQuery),
    responses((status = 200, description = "OK", body = BriefingView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn briefing_api(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<BriefingQuery>,
) -> Result<Json<BriefingView>, ServerError> {
    Ok(Json(BriefingView::of(&briefing_for(&state, &signed, &query).await?)))
}

/// The briefing's styles, in the binary.
pub async fn stylesheet() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLES)
}
