//! `GET /consortia` and `/consortia/{id}`: members, every agreement version, and acceptance of
//! the current one (names for administrators only, as in `GET /api/v1/consortia/{id}`); a
//! signed-in member accepts the current agreement with `POST /consortia/{id}/accept`.
//! Creating consortia, adding members and new agreement versions stay with platform
//! administrators (admin tokens: `kura admin`, or the REST API).

use axum::extract::{Path, State};
use axum::response::Response;
use kura_core::ErrorCode;

use super::text::Text;
use super::{Ctx, Nav, day, see_other};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "portal/consortia.html")]
struct ListPage {
    t: &'static Text,
    nav: Nav,
    consortia: Vec<(String, String, String)>,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let consortia =
        state.catalog.consortia().await?.into_iter().map(|c| (c.id.to_string(), c.name, c.description)).collect();
    ctx.render(&ListPage { t: ctx.t, nav: ctx.nav.clone(), consortia })
}

#[derive(Debug)]
pub struct AgreementRow {
    pub version: i32,
    pub terms: String,
    pub url: String,
    pub created: String,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "portal/consortium.html")]
struct ConsortiumPage {
    t: &'static Text,
    nav: Nav,
    id: String,
    name: String,
    description: String,
    members: Vec<(String, String)>,
    agreements: Vec<AgreementRow>,
    accepted_count: usize,
    accepted_names: Option<Vec<(String, String)>>,
    may_accept: bool,
    has_accepted: bool,
}

fn parse_id(text: &str) -> Result<uuid::Uuid, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("consortium"))
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let detail = state.catalog.consortium(id).await?;
    let labels = state.catalog.member_names(&detail.members).await?;
    let members = labels
        .into_iter()
        .map(|(kind, name)| (if kind == "group" { ctx.t.group } else { ctx.t.organization }.to_owned(), name))
        .collect();
    let current = detail.agreement.as_ref().map(|a| a.id);
    let agreements = state
        .catalog
        .agreement_versions(id)
        .await?
        .into_iter()
        .map(|a| AgreementRow {
            current: Some(a.id) == current,
            version: a.version,
            terms: a.terms,
            url: a.url.unwrap_or_default(),
            created: day(&a.created_at),
        })
        .collect();
    let accepted_names = if ctx.caller.0.is_admin() {
        let mut names = Vec::new();
        for a in &detail.accepted_by {
            let who = match state.catalog.user(a.user_id).await {
                Ok(u) => u.display_name.unwrap_or(u.subject),
                Err(_) => a.user_id.to_string(),
            };
            names.push((who, day(&a.accepted_at)));
        }
        Some(names)
    } else {
        None
    };
    let page = ConsortiumPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        id: id.to_string(),
        name: detail.consortium.name,
        description: detail.consortium.description,
        members,
        agreements,
        accepted_count: detail.accepted_by.len(),
        accepted_names,
        may_accept: ctx.caller.0.user_id.is_some() && current.is_some(),
        has_accepted: ctx.caller.0.subject.consortia.contains(&id),
    };
    ctx.render(&page)
}

pub async fn accept(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let user = ctx.caller.0.user_id.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "sign in to accept"))?;
    ctx.caller.require_write()?;
    state.catalog.accept_agreement(id, user, ctx.actor()).await?;
    Ok(see_other(&format!("/consortia/{id}")))
}
