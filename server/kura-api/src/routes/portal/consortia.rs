//! `GET /consortia` and `/consortia/{id}`: members, every agreement version, and acceptance of
//! the current one. A signed-in member accepts the current agreement with
//! `POST /consortia/{id}/accept`.
//!
//! Management, for the coordinating group's stewards and platform administrators (the rule of
//! [`kura_service::consortia`], shared with REST): a steward starts a consortium coordinated by
//! a group they steward (`POST /consortia`), adds member groups or organizations
//! (`POST /consortia/{id}/members`), publishes agreement versions (`POST /consortia/{id}/agreement`)
//! and sees who accepted.

use crate::routes::parse_id;
use axum::extract::{Path, State};
use axum::response::Response;
use kura_catalog::consortia::Member;
use kura_core::access::stewarded_groups;
use kura_service::Surface::Web;
use kura_service::consortia::{self, NewConsortium};
use uuid::Uuid;

use super::form::FormData;
use super::text::Text;
use super::{Ctx, Nav, day, see_other};
use crate::error::ApiError;
use crate::state::AppState;

/// A choice in a select: value and label.
type Choice = (String, String);

#[derive(askama::Template)]
#[template(path = "portal/consortia.html")]
struct ListPage {
    t: &'static Text,
    nav: Nav,
    consortia: Vec<(String, String, String)>,
    /// Groups the caller stewards, who may start a consortium coordinated by one of them.
    coordinator_choices: Vec<Choice>,
}

/// "Group (Organization)" labels of every group, by id.
async fn group_labels(state: &AppState) -> Result<Vec<(Uuid, String)>, ApiError> {
    Ok(state
        .catalog
        .groups_with_organizations()
        .await?
        .into_iter()
        .map(|(g, o)| (g.id, format!("{} ({})", g.name, o.name)))
        .collect())
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let consortia =
        state.catalog.consortia().await?.into_iter().map(|c| (c.id.to_string(), c.name, c.description)).collect();
    let stewarded = stewarded_groups(&ctx.caller.0.subject);
    let coordinator_choices = if stewarded.is_empty() || !ctx.nav.signed_in {
        Vec::new()
    } else {
        group_labels(&state)
            .await?
            .into_iter()
            .filter(|(id, _)| stewarded.contains(id))
            .map(|(id, label)| (id.to_string(), label))
            .collect()
    };
    ctx.render(&ListPage { t: ctx.t, nav: ctx.nav.clone(), consortia, coordinator_choices })
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, ApiError> {
    let coordinator = match form.get("coordinator") {
        "" => None,
        id => Some(id.parse::<Uuid>().map_err(|_| ApiError::bad_request("choose the coordinating group"))?),
    };
    let new = NewConsortium {
        name: form.get("name"),
        description: form.get("description"),
        terms: form.get("terms"),
        terms_url: Some(form.get("url")).filter(|u| !u.is_empty()),
        coordinator,
    };
    let c = consortia::create_consortium(&state, &ctx.caller, Web, new).await?;
    Ok(see_other(&format!("/consortia/{}", c.id)))
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
    coordinator: String,
    members: Vec<(String, String)>,
    agreements: Vec<AgreementRow>,
    accepted_count: usize,
    /// Who accepted and when: for those who manage the consortium only.
    accepted_names: Option<Vec<(String, String)>>,
    /// Groups and organizations that could join, for those who manage it; `None` otherwise.
    member_choices: Option<Vec<Choice>>,
    may_accept: bool,
    has_accepted: bool,
}

pub async fn page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id(&id, "consortium")?;
    let consortia::ConsortiumView { detail, accepted_count, manages } =
        consortia::consortium(&state, &ctx.caller, id).await?;
    let labels = state.catalog.member_names(&detail.members).await?;
    let members = labels
        .into_iter()
        .map(|(kind, name)| (if kind == "group" { ctx.t.group } else { ctx.t.organization }.to_owned(), name))
        .collect();
    let groups = group_labels(&state).await?;
    let coordinator = detail
        .consortium
        .coordinator_group_id
        .and_then(|g| groups.iter().find(|(id, _)| *id == g).map(|(_, label)| label.clone()))
        .unwrap_or_else(|| ctx.t.no_coordinator.to_owned());
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
    let (accepted_names, member_choices) = if manages {
        let names = detail.accepted_by.iter().map(|a| (a.name.clone(), day(&a.accepted_at))).collect();
        let is_member = |group: Option<Uuid>, org: Option<Uuid>| {
            detail
                .members
                .iter()
                .any(|m| (group.is_some() && m.group_id == group) || (org.is_some() && m.organization_id == org))
        };
        let mut choices: Vec<Choice> = groups
            .iter()
            .filter(|(g, _)| !is_member(Some(*g), None))
            .map(|(g, label)| (format!("group:{g}"), format!("{}: {label}", ctx.t.group)))
            .collect();
        for o in state.catalog.organizations().await? {
            if !is_member(None, Some(o.id)) {
                choices.push((format!("organization:{}", o.id), format!("{}: {}", ctx.t.organization, o.name)));
            }
        }
        (Some(names), Some(choices))
    } else {
        (None, None)
    };
    let page = ConsortiumPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        id: id.to_string(),
        name: detail.consortium.name,
        description: detail.consortium.description,
        coordinator,
        members,
        agreements,
        accepted_count,
        accepted_names,
        member_choices,
        may_accept: ctx.caller.0.user_id.is_some() && current.is_some(),
        has_accepted: ctx.caller.0.subject.consortia.contains(&id),
    };
    ctx.render(&page)
}

pub async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "consortium")?;
    let choice = form.get("member");
    let member = match choice.split_once(':') {
        Some(("group", g)) => g.parse().ok().map(Member::Group),
        Some(("organization", o)) => o.parse().ok().map(Member::Organization),
        _ => None,
    }
    .ok_or_else(|| ApiError::bad_request("choose a group or an organization to add"))?;
    consortia::add_member(&state, &ctx.caller, Web, id, member).await?;
    Ok(see_other(&format!("/consortia/{id}")))
}

pub async fn new_agreement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "consortium")?;
    let url = Some(form.get("url")).filter(|u| !u.is_empty());
    consortia::new_agreement_version(&state, &ctx.caller, Web, id, form.get("terms"), url).await?;
    Ok(see_other(&format!("/consortia/{id}")))
}

pub async fn accept(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id(&id, "consortium")?;
    consortia::accept_agreement(&state, &ctx.caller, Web, id).await?;
    Ok(see_other(&format!("/consortia/{id}")))
}
