//! The security team's pages: the queue, the overview, findings, the policy, people, imports
//! and every team's actions (who owns what is in `owners`, the audit log in `audit`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Signed;
use crate::error::ServerError;
use crate::state::AppState;
use crate::team::pages::FeedbackForm;
use crate::web::{Nav, Peer, html, outcome_tag};

#[derive(Template)]
#[template(path = "queue.html")]
pub(crate) struct QueuePage {
    nav: Option<Nav>,
    csrf: String,
    queue: crate::security::Queue,
    notice: Option<String>,
    /// The directory's teams, to give a disputed action's assets to.
    teams: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct QueueNotice {
    done: Option<String>,
}

pub async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<QueueNotice>,
) -> Result<Response, ServerError> {
    let queue = crate::security::queue(&state, &signed).await?;
    let notice = query.done.map(|done| format!("Done: {done}."));
    let teams = state.store.teams().await?.into_iter().map(|team| team.name).collect();
    html(&QueuePage { nav: Some(Nav::of(&signed)), csrf: signed.csrf().to_owned(), queue, notice, teams })
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
    reason: String,
}

pub async fn decide_exception(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, ServerError> {
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return Err(ServerError::BadRequest(format!("decision {other:?}: expected approve or reject")));
        }
    };
    crate::security::decide_exception(&state, &signed.principal, id, approve, &form.reason).await?;
    let done = if approve { "approved" } else { "rejected" };
    Ok(Redirect::to(&format!("/queue?done=exception%20%23{id}%20{done}")).into_response())
}

pub async fn reply(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<FeedbackForm>,
) -> Result<Response, ServerError> {
    crate::security::reply(&state, &signed.principal, id, &form.text).await?;
    Ok(Redirect::to(&format!("/queue?done=replied%20to%20answer%20%23{id}")).into_response())
}

pub async fn reply_to_campaign_answer(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<FeedbackForm>,
) -> Result<Response, ServerError> {
    crate::security::reply_to_campaign_answer(&state, &signed.principal, id, &form.text).await?;
    Ok(Redirect::to(&format!("/queue?done=replied%20to%20campaign%20answer%20%23{id}")).into_response())
}

#[derive(Template)]
#[template(path = "overview.html")]
pub(crate) struct OverviewPage {
    nav: Option<Nav>,
    o: crate::security::Overview,
}

pub async fn overview(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let o = crate::security::overview(&state, &signed).await?;
    html(&OverviewPage { nav: Some(Nav::of(&signed)), o })
}

impl crate::security::findings::FindingView {
    fn tag_class(&self) -> &'static str {
        self.decision.map_or("", outcome_tag)
    }

    fn is_plainly_affected(&self) -> bool {
        self.status == "affected"
    }
}

/// One choice of a select: its value, its label, and whether it is chosen.
pub(crate) type Choice = (String, String, bool);

pub(crate) fn choices<'a>(
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    chosen: &Option<String>,
) -> Vec<Choice> {
    let chosen = chosen.as_deref().map(str::trim).unwrap_or_default();
    options
        .into_iter()
        .map(|(value, label)| (value.to_owned(), label.to_owned(), value.eq_ignore_ascii_case(chosen)))
        .collect()
}

#[derive(Template)]
#[template(path = "findings.html")]
pub(crate) struct FindingsPage {
    nav: Option<Nav>,
    severities: Vec<Choice>,
    teams: Vec<Choice>,
    decisions: Vec<Choice>,
    states: Vec<Choice>,
    sorts: Vec<Choice>,
    query: crate::security::findings::FindingQuery,
    findings: Vec<crate::security::findings::FindingView>,
    page: u32,
    previous: Option<String>,
    next: Option<String>,
}

pub async fn findings(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<crate::security::findings::FindingQuery>,
) -> Result<Response, ServerError> {
    let (findings, more) = crate::security::findings::findings(&state, &signed, &query).await?;
    let severities = [
        ("", "any severity"),
        ("critical", "critical"),
        ("high", "high"),
        ("medium", "medium"),
        ("low", "low"),
    ];
    let team_names: Vec<String> = state.store.teams().await?.into_iter().map(|team| team.name).collect();
    let teams = [("", "any team"), ("nobody", "nobody (unowned)")]
        .into_iter()
        .chain(team_names.iter().map(|name| (name.as_str(), name.as_str())));
    let decisions = [
        ("", "any decision"),
        ("act", "Act"),
        ("attend", "Attend"),
        ("track*", "Track*"),
        ("track", "Track"),
        ("undecided", "not assessed yet"),
    ];
    let states = [("", "open"), ("resolved", "resolved by a rescan"), ("any", "open or resolved")];
    let sorts = [
        ("", "most severe first"),
        ("newest", "newest first"),
        ("vulnerability", "by vulnerability"),
        ("target", "by target"),
    ];
    let page = query.page()?;
    html(&FindingsPage {
        nav: Some(Nav::of(&signed)),
        severities: choices(severities, &query.severity),
        teams: choices(teams, &query.team),
        decisions: choices(decisions, &query.decision),
        states: choices(states, &query.state),
        sorts: choices(sorts, &query.sort),
        previous: (page > 1).then(|| query.page_link(page - 1)),
        next: more.then(|| query.page_link(page + 1)),
        page,
        query,
        findings,
    })
}

#[derive(Template)]
#[template(path = "finding.html")]
pub(crate) struct FindingPage {
    nav: Option<Nav>,
    finding: crate::security::findings::FindingPageView,
}

pub async fn finding(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, ServerError> {
    let finding = crate::security::findings::finding(&state, &signed, id).await?;
    html(&FindingPage { nav: Some(Nav::of(&signed)), finding })
}

#[derive(Template)]
#[template(path = "policy.html")]
pub(crate) struct PolicyPage {
    nav: Option<Nav>,
    csrf: String,
    may_change: bool,
    notice: Option<String>,
    difference: Option<String>,
    policy: crate::security::PolicyView,
    /// A submitted text that was refused, shown again with why, so nothing typed is lost.
    refused: Option<(String, String)>,
}

pub(crate) async fn policy_page(
    state: &AppState,
    signed: &Signed,
    applied: Option<crate::security::PolicyApplied>,
) -> Result<Response, ServerError> {
    policy_page_with(state, signed, applied, None).await
}

async fn policy_page_with(
    state: &AppState,
    signed: &Signed,
    applied: Option<crate::security::PolicyApplied>,
    refused: Option<(String, String)>,
) -> Result<Response, ServerError> {
    let policy = crate::security::policy(state, signed).await?;
    let notice = applied.as_ref().map(|applied| match applied.new {
        true => {
            format!("Applied as version {}. Each team's manager is asked to acknowledge it.", applied.version)
        }
        false => format!("Unchanged: that is version {} already.", applied.version),
    });
    html(&PolicyPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.csrf().to_owned(),
        may_change: signed.principal.may_decide(),
        notice,
        difference: applied.map(|applied| applied.difference).filter(|d| !d.is_empty()),
        policy,
        refused,
    })
}

pub async fn policy(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    policy_page(&state, &signed, None).await
}

#[derive(Debug, Deserialize)]
pub struct PolicyForm {
    content: String,
    /// `yes` once the difference was shown and the person confirmed it.
    confirmed: Option<String>,
}

/// Applies the submitted policy once its difference was shown and confirmed; a text that
/// does not check comes back in the form with why.
pub async fn apply_policy(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<PolicyForm>,
) -> Result<Response, ServerError> {
    // Browsers send a textarea's lines with CRLF; the stored policy keeps the file's LF.
    let text = form.content.replace("\r\n", "\n");
    if form.confirmed.as_deref() != Some("yes") {
        let preview = match crate::security::preview_policy(&state, &signed.principal, &text).await {
            Ok(preview) => preview,
            Err(ServerError::BadRequest(why)) => {
                let mut page = policy_page_with(&state, &signed, None, Some((text, why))).await?;
                *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
                return Ok(page);
            }
            Err(other) => return Err(other),
        };
        if preview.new {
            let title = format!("Apply this as policy version {}?", preview.version);
            let consequence = "Every team's manager is asked to acknowledge it again. The version in force \
                               until now stays in the history.";
            return crate::web::confirm_page_with(
                &signed,
                crate::web::Confirm {
                    title: &title,
                    consequence,
                    detail: Some(&preview.difference),
                    carried: &[("content", &text)],
                    action: "/policy",
                    button: "Apply it",
                    cancel: "/policy",
                },
            );
        }
    }
    let applied = crate::security::apply_policy(&state, &signed.principal, &text).await?;
    policy_page(&state, &signed, Some(applied)).await
}

#[derive(Debug, Deserialize)]
pub struct EmergencyForm {
    reason: String,
}

pub async fn declare_emergency(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<EmergencyForm>,
) -> Result<Response, ServerError> {
    crate::security::declare_emergency(&state, &signed.principal, id, &form.reason).await?;
    Ok(Redirect::to(&format!("/actions/{id}?said=emergency")).into_response())
}

#[derive(Template)]
#[template(path = "people.html")]
pub(crate) struct PeoplePage {
    nav: Option<Nav>,
    teams: Vec<crate::security::TeamPeople>,
}

pub async fn people(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let teams = crate::security::teams_and_people(&state, &signed.principal).await?;
    html(&PeoplePage { nav: Some(Nav::of(&signed)), teams })
}

#[derive(Template)]
#[template(path = "imports.html")]
pub(crate) struct ImportsPage {
    nav: Option<Nav>,
    csrf: String,
    max_upload_mib: u32,
    /// The formats a sender may name, when the content does not tell.
    formats: Vec<&'static str>,
    imported: Option<crate::security::Imported>,
    imports: Vec<crate::security::ImportView>,
}

pub(crate) async fn imports_page(
    state: &AppState,
    signed: &Signed,
    imported: Option<crate::security::Imported>,
) -> Result<Response, ServerError> {
    let imports = crate::security::imports(state, signed).await?;
    html(&ImportsPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.csrf().to_owned(),
        max_upload_mib: state.config.max_upload_mib,
        formats: rapport_formats::ALL_FORMATS.map(rapport_formats::Format::name).to_vec(),
        imported,
        imports,
    })
}

pub async fn imports(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    imports_page(&state, &signed, None).await
}

pub async fn upload(
    State(state): State<AppState>,
    Peer(peer): Peer,
    request: Request,
) -> Result<Response, ServerError> {
    let (signed, upload) = crate::upload::authorised_upload(request, crate::security::may_import).await?;
    let imported = crate::security::import_upload(&state, &signed, &upload, peer).await?;
    imports_page(&state, &signed, Some(imported)).await
}

#[derive(Template)]
#[template(path = "actions.html")]
pub(crate) struct ActionsPage {
    nav: Option<Nav>,
    /// Each team's name and whether it is the one chosen.
    teams: Vec<(String, bool)>,
    /// Each state's value, label and whether it is the one chosen.
    states: Vec<(&'static str, &'static str, bool)>,
    actions: Vec<crate::security::ActionRow>,
}

pub async fn actions(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<crate::security::ActionQuery>,
) -> Result<Response, ServerError> {
    let actions = crate::security::actions(&state, &signed.principal, &query).await?;
    let chosen_team = query.team.as_deref().unwrap_or_default();
    let (_, summaries) = crate::team::team_summaries(&state, &signed.principal).await?;
    let teams = summaries.into_iter().map(|t| (t.name.clone(), t.name == chosen_team)).collect();
    let chosen_state = query.state.as_deref().unwrap_or_default();
    let states = [("", "all but closed")]
        .into_iter()
        .chain(rapport_core::ActionState::ALL.map(|state| (state.as_str(), state.label())))
        .map(|(value, label)| (value, label, value == chosen_state))
        .collect();
    html(&ActionsPage { nav: Some(Nav::of(&signed)), teams, states, actions })
}
