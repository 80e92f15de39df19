//! The audit log, page and API: the server's own security acts (signing in, accounts,
//! tokens, uploads, ownership) and the events people caused in the stream, newest first,
//! filtered by who and what, searched, and paged.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use rapport_core::{EventKind, Principal};
use rapport_storage::{AuditAct, AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::Refusals;
use crate::auth::Signed;
use crate::error::ServerError;
use crate::security::given;
use crate::security::pages::{Choice, choices};
use crate::state::AppState;
use crate::views::Reader;
use crate::web::{Nav, html, require};

/// How many entries one page of the log shows.
const AUDIT_PAGE_ROWS: u32 = 100;

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only what this person did (their email, in any case).
    pub who: Option<String>,
    /// Only this kind of act, as the log names it (`login failed`, `exception granted`).
    pub what: Option<String>,
    /// Words anywhere in who, on what, or the detail.
    pub search: Option<String>,
    /// Which page, from 1.
    pub page: Option<u32>,
}

impl AuditQuery {
    fn page(&self) -> Result<u32, ServerError> {
        crate::security::page_number(self.page)
    }

    /// The address of the same log's page `page`.
    fn page_link(&self, page: u32) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [("who", &self.who), ("what", &self.what), ("search", &self.search)] {
            if let Some(value) = given(value) {
                query.append_pair(name, value);
            }
        }
        query.append_pair("page", &page.to_string());
        format!("/audit?{}", query.finish())
    }

    /// The filter for the page asked for, reading one entry more than a page to know
    /// whether there is another.
    fn filter(&self) -> Result<AuditFilter, ServerError> {
        let page = self.page()?;
        let act = given(&self.what).map(|what| {
            EventKind::ALL
                .into_iter()
                .find(|kind| kind.label() == what)
                .map_or_else(|| AuditAct::Act(what.to_owned()), AuditAct::Event)
        });
        Ok(AuditFilter {
            who: given(&self.who).map(str::to_owned),
            act,
            search: given(&self.search).map(str::to_owned),
            offset: (page - 1).saturating_mul(AUDIT_PAGE_ROWS),
            limit: AUDIT_PAGE_ROWS + 1,
        })
    }
}

/// One line of the log.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditLine {
    /// RFC 3339, UTC.
    pub at: String,
    /// The time as the reader reads it, in their time zone.
    #[serde(skip)]
    pub when: String,
    /// The person, `(not signed in)`, or `the security team`.
    pub who: String,
    pub what: String,
    pub on: String,
    pub detail: String,
    /// The address the request came from, for the server's own acts.
    pub from: Option<String>,
}

impl AuditLine {
    fn of(entry: AuditEntry, reader: &Reader) -> AuditLine {
        let (what, nobody) = match &entry.act {
            AuditAct::Act(act) => (act.clone(), "(not signed in)"),
            AuditAct::Event(kind) => (kind.label().to_owned(), "the security team"),
        };
        let on = match (entry.action, entry.on) {
            (Some(action), Some(on)) => format!("action #{action}, {on}"),
            (Some(action), None) => format!("action #{action}"),
            (None, on) => on.unwrap_or_default(),
        };
        AuditLine {
            at: entry.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            when: reader.moment(entry.at),
            who: entry.who.unwrap_or_else(|| nobody.to_owned()),
            what,
            on,
            detail: entry.detail,
            from: entry.source,
        }
    }
}

/// One page of the log, and whether there is a next.
pub async fn audit_log(
    state: &AppState,
    signed: &Signed,
    query: &AuditQuery,
) -> Result<(Vec<AuditLine>, bool), ServerError> {
    let principal = &signed.principal;
    require(principal, Principal::is_security, "the audit log is for the security team")?;
    let mut entries = state.store.audit_log(&query.filter()?).await?;
    let more = entries.len() > AUDIT_PAGE_ROWS as usize;
    entries.truncate(AUDIT_PAGE_ROWS as usize);
    Ok((entries.into_iter().map(|entry| AuditLine::of(entry, &signed.reader)).collect(), more))
}

#[derive(Template)]
#[template(path = "audit.html")]
pub(crate) struct AuditPage {
    nav: Option<Nav>,
    query: AuditQuery,
    acts: Vec<Choice>,
    lines: Vec<AuditLine>,
    page: u32,
    previous: Option<String>,
    next: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ServerError> {
    let (lines, more) = audit_log(&state, &signed, &query).await?;
    let stored = state.store.audit_acts().await?;
    let labels = EventKind::ALL.map(EventKind::label);
    let mut names: Vec<&str> = stored.iter().map(String::as_str).chain(labels).collect();
    names.sort_unstable();
    names.dedup();
    let acts = choices(
        std::iter::once(("", "anything")).chain(names.iter().map(|name| (*name, *name))),
        &query.what,
    );
    let page = query.page()?;
    html(&AuditPage {
        nav: Some(Nav::of(&signed)),
        acts,
        previous: (page > 1).then(|| query.page_link(page - 1)),
        next: more.then(|| query.page_link(page + 1)),
        page,
        lines,
        query,
    })
}

#[utoipa::path(
    get,
    path = "/audit",
    tag = "security team",
    description = "The audit log, newest first, 100 entries a page: the server's own security acts \
                   (signing in, accounts, tokens, uploads, ownership) and the events people caused.",
    params(AuditQuery),
    responses((status = 200, description = "OK", body = Vec<AuditLine>), Refusals),
    security(("token" = []), ("session" = []))
)]
pub async fn audit_api(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditLine>>, ServerError> {
    Ok(Json(audit_log(&state, &signed, &query).await?.0))
}
