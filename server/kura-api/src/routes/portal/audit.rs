//! `GET /audit`: the audit log with filters (actor, action or `data.` prefix, surface, dataset,
//! dates) and paging, scoped exactly as `GET /api/v1/audit`.

use axum::extract::State;
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use kura_catalog::PageRequest;
use kura_catalog::audit::AuditFilter;

use super::form::{FormData, parse, query};
use super::text::Text;
use super::{Ctx, Nav, day, visible_name};
use crate::error::ApiError;
use crate::state::AppState;

const PAGE: u64 = 50;

#[derive(Debug)]
pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub surface: String,
    pub dataset: String,
    pub target: String,
    pub details: String,
}

#[derive(askama::Template)]
#[template(path = "portal/audit.html")]
struct AuditPage {
    t: &'static Text,
    nav: Nav,
    actor: String,
    action: String,
    surfaces: Vec<(&'static str, bool)>,
    dataset: String,
    since: String,
    until: String,
    total: u64,
    events: Vec<EventRow>,
    previous: Option<String>,
    next: Option<String>,
}

fn date(text: &str) -> Option<chrono::DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

pub async fn log(State(state): State<AppState>, ctx: Ctx, uri: axum::http::Uri) -> Result<Response, ApiError> {
    ctx.user()?;
    let q = FormData(parse(uri.query().unwrap_or("")));
    let mut filter = AuditFilter {
        actor: Some(q.get("actor").to_owned()).filter(|s| !s.is_empty()),
        action: Some(q.get("action").to_owned()).filter(|s| !s.is_empty()),
        surface: Some(q.get("surface").to_owned()).filter(|s| !s.is_empty()),
        since: date(q.get("since")),
        until: date(q.get("until")).map(|d| d + chrono::Duration::days(1)),
        ..Default::default()
    };
    if !q.get("dataset").is_empty() {
        // A dataset the caller may not see filters to nothing, like one that does not exist.
        filter.dataset_id =
            Some(match state.catalog.dataset_by_name(q.get("dataset"), &ctx.caller.visibility()).await {
                Ok(d) => d.id,
                Err(_) => uuid::Uuid::nil(),
            });
    }
    let offset: u64 = q.get("offset").parse().unwrap_or(0);
    let page = kura_service::audit::audit_log(&state, &ctx.caller, filter, PageRequest { offset, limit: PAGE }).await?;
    let mut events = Vec::new();
    for e in page.items {
        let dataset = match e.dataset_id {
            Some(id) => visible_name(&state, &ctx.caller, id).await?.unwrap_or_default(),
            None => String::new(),
        };
        events.push(EventRow {
            at: day(&e.at),
            actor: e.actor,
            action: e.action,
            surface: e.surface,
            dataset,
            target: e.target.unwrap_or_default(),
            details: e.details.to_string(),
        });
    }
    let filters = ["actor", "action", "surface", "dataset", "since", "until"].map(|k| (k, q.get(k)));
    let base = query(filters.into_iter().filter(|(_, v)| !v.is_empty()));
    let base = if base.is_empty() { base } else { base + "&" };
    let previous = (offset > 0).then(|| format!("/audit?{base}offset={}", offset.saturating_sub(PAGE)));
    let next = (offset + PAGE < page.total).then(|| format!("/audit?{base}offset={}", offset + PAGE));
    let page = AuditPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        actor: q.get("actor").to_owned(),
        action: q.get("action").to_owned(),
        surfaces: ["rest", "web", "flight", "cli", "sparql"].into_iter().map(|s| (s, q.get("surface") == s)).collect(),
        dataset: q.get("dataset").to_owned(),
        since: q.get("since").to_owned(),
        until: q.get("until").to_owned(),
        total: page.total,
        events,
        previous,
        next,
    };
    ctx.render(&page)
}
