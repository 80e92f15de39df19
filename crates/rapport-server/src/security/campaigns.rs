//! The hygiene campaigns, page and API, for the security team: each campaign in force, who is
//! in it, who took up the habit and how soon, the nudges sent and the answers, per team.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use rapport_core::Principal;
use rapport_workflows::{CampaignFigures, CampaignPeople};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::Refusals;
use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::web::{Nav, html, require};

/// One campaign and how it is doing.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub name: String,
    pub goal: String,
    /// People whose devices show the gap now.
    pub in_gap: usize,
    /// People whose devices now show the habit, and of them those who closed the gap before
    /// any nudge.
    pub adopted: usize,
    pub adopted_before_a_nudge: usize,
    /// Of everyone who was in it, the share whose devices show the habit now, in percent.
    pub adoption_percent: Option<u32>,
    /// Median days from the first nudge to the habit showing.
    pub median_days_to_habit: Option<f64>,
    /// Nudges sent, every round counted.
    pub nudges: u64,
    /// Days a due nudge was held: by the person's weekly budget, or for their having had a
    /// nudge that day.
    pub held_by_budget: u64,
    pub held_for_the_day: u64,
    /// Answers in the rounds under way.
    pub said_done: usize,
    pub said_cannot: usize,
    pub teams: Vec<TeamCampaignView>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamCampaignView {
    /// Empty for people in no team.
    pub team: String,
    pub in_gap: usize,
    pub adopted: usize,
    pub nudges: u64,
    pub held_by_budget: u64,
    /// People who said they can't, in the rounds under way.
    pub said_cannot: usize,
}

impl CampaignView {
    /// The median time to the habit in words: "1 day", "2.5 days".
    fn median_words(&self) -> Option<String> {
        self.median_days_to_habit
            .map(|days| if days == 1.0 { "1 day".to_owned() } else { format!("{days} days") })
    }

    fn of(figures: CampaignFigures) -> CampaignView {
        CampaignView {
            name: figures.name,
            goal: figures.goal,
            in_gap: figures.in_gap,
            adopted: figures.adopted,
            adopted_before_a_nudge: figures.adopted_before_a_nudge,
            adoption_percent: figures.adoption.map(|share| (share * 100.0).round() as u32),
            median_days_to_habit: figures.median_days_to_habit.map(|days| (days * 10.0).round() / 10.0),
            nudges: figures.nudges,
            held_by_budget: figures.held_by_budget,
            held_for_the_day: figures.held_for_the_day,
            said_done: figures.said_done,
            said_cannot: figures.said_cannot,
            teams: figures
                .teams
                .into_iter()
                .map(|team| TeamCampaignView {
                    team: team.team,
                    in_gap: team.in_gap,
                    adopted: team.adopted,
                    nudges: team.nudges,
                    held_by_budget: team.held_by_budget,
                    said_cannot: team.said_cannot,
                })
                .collect(),
        }
    }
}

async fn campaigns(state: &AppState, signed: &Signed) -> Result<Vec<CampaignView>, ServerError> {
    require(&signed.principal, Principal::is_security, "the campaigns' figures are for the security team")?;
    let figures = rapport_workflows::campaign_figures(&state.store).await?;
    Ok(figures.into_iter().map(CampaignView::of).collect())
}

#[derive(Template)]
#[template(path = "campaigns.html")]
pub(crate) struct CampaignsPage {
    nav: Option<Nav>,
    campaigns: Vec<CampaignView>,
}

pub async fn campaigns_page(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let campaigns = campaigns(&state, &signed).await?;
    html(&CampaignsPage { nav: Some(Nav::of(&signed)), campaigns })
}

#[utoipa::path(
    get,
    path = "/campaigns",
    tag = "security team",
    description = "The hygiene campaigns in force, each with the people in it, those whose devices now \
                   show the habit and how soon, the nudges sent and the answers, per team.",
    responses((status = 200, description = "OK", body = Vec<CampaignView>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn campaigns_api(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Json<Vec<CampaignView>>, ServerError> {
    Ok(Json(campaigns(&state, &signed).await?))
}

/// Which people of a campaign to list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct PeopleQuery {
    /// Only the people of this team; empty for people in no team.
    pub team: Option<String>,
}

/// One person in a campaign, where they stand and what they were sent.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub person: String,
    pub team: Option<String>,
    /// The round under way: a new one starts each time the gap comes back after the habit.
    pub round: u32,
    /// When inventory first showed the gap, `YYYY-MM-DD HH:MM ZONE` in the reader's zone.
    pub gap_since: String,
    /// Nudges of the round under way, of `lifetime`.
    pub nudged: usize,
    pub lifetime: u32,
    /// When the habit showed, ending the round.
    pub habit_shown: Option<String>,
    pub said_done: Option<String>,
    pub said_cannot: bool,
    /// Every round counted: nudges sent, and the days a due one was held.
    pub nudges: u64,
    pub held_by_budget: u64,
    pub held_for_the_day: u64,
}

/// A campaign and the people in it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CampaignPeopleView {
    pub name: String,
    pub goal: String,
    pub people: Vec<PersonView>,
}

async fn people(
    state: &AppState,
    signed: &Signed,
    name: &str,
    query: &PeopleQuery,
) -> Result<CampaignPeopleView, ServerError> {
    require(&signed.principal, Principal::is_security, "who is in a campaign is for the security team")?;
    let CampaignPeople { campaign, people } =
        rapport_workflows::campaign_people(&state.store, name, query.team.as_deref()).await?;
    let reader = &signed.reader;
    let people = people
        .into_iter()
        .map(|person| PersonView {
            person: person.person,
            team: person.team,
            round: person.round,
            gap_since: reader.moment(person.gap_since),
            nudged: person.nudged,
            lifetime: campaign.exposures.lifetime,
            habit_shown: person.habit_at.map(|at| reader.moment(at)),
            said_done: person.said_done.map(|at| reader.moment(at)),
            said_cannot: person.said_cannot,
            nudges: person.tally.nudges,
            held_by_budget: person.tally.held_by_budget,
            held_for_the_day: person.tally.held_for_the_day,
        })
        .collect();
    Ok(CampaignPeopleView { name: campaign.name, goal: campaign.goal, people })
}

/// People listed on the page at most; the API and `rapport campaign status` give them all.
const PEOPLE_ON_PAGE: usize = 500;

#[derive(Template)]
#[template(path = "campaign.html")]
pub(crate) struct CampaignPage {
    nav: Option<Nav>,
    query: PeopleQuery,
    campaign: CampaignPeopleView,
    /// How many are in it, of whom the page lists the first `PEOPLE_ON_PAGE`.
    total: usize,
}

pub async fn campaign_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
    Query(query): Query<PeopleQuery>,
) -> Result<Response, ServerError> {
    let mut campaign = people(&state, &signed, &name, &query).await?;
    let total = campaign.people.len();
    campaign.people.truncate(PEOPLE_ON_PAGE);
    html(&CampaignPage { nav: Some(Nav::of(&signed)), query, campaign, total })
}

#[utoipa::path(
    get,
    path = "/campaigns/{name}/people",
    tag = "security team",
    description = "The people in a campaign, by email: the round under way, since when inventory showed \
                   the gap, the nudges of the round, when the habit showed, their answers, and every \
                   nudge sent or held.",
    params(("name" = String, Path, description = "The campaign's name."), PeopleQuery),
    responses((status = 200, description = "OK", body = CampaignPeopleView), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn campaign_people_api(
    State(state): State<AppState>,
    signed: Signed,
    Path(name): Path<String>,
    Query(query): Query<PeopleQuery>,
) -> Result<Json<CampaignPeopleView>, ServerError> {
    Ok(Json(people(&state, &signed, &name, &query).await?))
}
