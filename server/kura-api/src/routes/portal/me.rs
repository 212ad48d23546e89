//! `GET /me`: my datasets (those of my groups), my access requests, my API tokens (create and
//! revoke, the secret shown once) and my consortia.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use kura_catalog::PageRequest;
use kura_service::{directory, grants};

use super::form::FormData;
use super::text::Text;
use super::{Ctx, Nav, day, see_other, state_label, visible_name};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug)]
pub struct MyDataset {
    pub name: String,
    pub title: String,
    pub version: i32,
    pub state: String,
    pub editable: bool,
    pub comment: Option<String>,
}

#[derive(Debug)]
pub struct MyRequest {
    pub dataset: String,
    pub reason: String,
    pub state: String,
    pub created: String,
    pub answer: String,
}

#[derive(Debug)]
pub struct MyToken {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(askama::Template)]
#[template(path = "portal/me.html")]
struct MePage {
    t: &'static Text,
    nav: Nav,
    datasets: Vec<MyDataset>,
    requests: Vec<MyRequest>,
    tokens: Vec<MyToken>,
    groups: Vec<(String, String)>,
    new_secret: Option<String>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    new_secret: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    ctx.user()?;
    let subject = &ctx.caller.0.subject;
    let group_ids: Vec<uuid::Uuid> = subject.groups.iter().map(|(g, _)| *g).collect();
    let vis = ctx.caller.visibility();
    let mut datasets = Vec::new();
    for d in state.catalog.datasets_of_groups(&group_ids).await? {
        if let Some(v) = state.catalog.versions(d.id, &vis).await?.pop() {
            datasets.push(MyDataset {
                editable: !v.state.is_frozen(),
                name: d.name,
                title: v.title,
                version: v.number,
                state: state_label(ctx.t, v.state.as_str()),
                comment: v.review_comment,
            });
        }
    }
    let mut requests = Vec::new();
    for r in grants::my_requests(state, &ctx.caller, PageRequest { offset: 0, limit: 100 }).await?.items {
        let Some(dataset) = visible_name(state, &ctx.caller, r.dataset_id).await? else { continue };
        requests.push(MyRequest {
            dataset,
            reason: r.reason,
            state: state_label(ctx.t, r.state.as_str()),
            created: day(&r.created_at),
            answer: r.decision_reason.unwrap_or_default(),
        });
    }
    let tokens = directory::my_tokens(state, &ctx.caller)
        .await?
        .into_iter()
        .map(|k| MyToken {
            id: k.id.to_string(),
            name: k.name,
            scope: k.scope.to_string(),
            created: day(&k.created_at),
            expires: k.expires_at.map(|e| day(&e)).unwrap_or_else(|| ctx.t.never.to_owned()),
            last_used: k.last_used_at.map(|e| day(&e)).unwrap_or_else(|| ctx.t.never.to_owned()),
            revoked: k.revoked_at.is_some(),
        })
        .collect();
    let names = state.catalog.group_names(&group_ids).await?;
    let groups = subject
        .groups
        .iter()
        .map(|(g, r)| {
            let name = names.iter().find(|n| n.id == *g).map(|n| n.name.clone()).unwrap_or_default();
            (name, format!("{r:?}").to_lowercase())
        })
        .collect();
    let page = MePage { t: ctx.t, nav: ctx.nav.clone(), datasets, requests, tokens, groups, new_secret, error };
    ctx.render(&page)
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    render(&state, &ctx, None, None).await
}

/// `POST /me/tokens`: the page again, with the new secret shown once.
pub async fn create_token(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, ApiError> {
    let user = ctx.user()?;
    let name = form.get("name");
    // The form offers read and write; anything else asks for write (and is refused if wider).
    let scope = match form.get("scope").parse() {
        Ok(kura_core::Scope::Read) => kura_core::Scope::Read,
        _ => kura_core::Scope::Write,
    }
    .as_str();
    let expires_at = match form.get("days") {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(days) if (1..=3650).contains(&days) => Some(Utc::now() + Duration::days(days)),
            _ => return render(&state, &ctx, None, Some(format!("{}: 1–3650", ctx.t.expires_in_days))).await,
        },
    };
    if name.is_empty() {
        return render(&state, &ctx, None, Some(format!("{}?", ctx.t.token_name))).await;
    }
    let (_, secret) = directory::create_user_token(&state, &ctx.caller, user, name, scope, expires_at).await?;
    render(&state, &ctx, Some(secret), None).await
}

/// `POST /me/delta-sharing-profile`: a Delta Sharing profile file to save (a new read-only token
/// of the caller, for the days asked).
pub async fn sharing_profile(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, ApiError> {
    ctx.user()?;
    let Ok(days) = form.get("days").parse::<i64>() else {
        return render(&state, &ctx, None, Some(format!("{}?", ctx.t.sharing_profile_days))).await;
    };
    let profile = match state.delta_sharing.profile(&ctx.caller, Some(days), &state.config.base_url()).await {
        Ok(profile) => profile,
        Err(e) if e.code == kura_core::ErrorCode::BadRequest => {
            return render(&state, &ctx, None, Some(e.message)).await;
        }
        Err(e) => return Err(e.into()),
    };
    let body = serde_json::to_vec_pretty(&profile)
        .map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))?;
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header(axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"kura.share\"")
        .header(axum::http::header::CACHE_CONTROL, "no-store")
        .body(axum::body::Body::from(body))
        .map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ctx.user()?;
    directory::revoke_my_token(&state, &ctx.caller, crate::routes::parse_id(&id, "token")?).await?;
    Ok(see_other("/me#tokens"))
}
