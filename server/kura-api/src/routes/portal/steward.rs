//! The steward's desk: `GET /steward` (review queue and access-request inbox of the datasets
//! the caller manages), `GET /steward/{name}` (policy: level, embargo date, consortia, masked
//! columns, licence, terms; review; requests; grants) and its forms. Every dataset shown or
//! changed has passed `authorize(.., ManageAccess)` or `(.., Publish)`. `POST /access/{name}`
//! is the reader's access request from the landing page.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use kura_catalog::PageRequest;
use kura_catalog::policies::Policy;
use kura_catalog::requests::Answer;
use kura_core::RequestState;
use kura_core::VersionState;
use kura_core::access::{AccessLevel, Action, LevelKind};
use kura_service::Surface::Web;
use kura_service::grants;

use super::form::FormData;
use super::text::Text;
use super::{Ctx, Nav, day, see_other, state_label};
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::access::{Which, authorize};

#[derive(Debug)]
pub struct ReviewRow {
    pub name: String,
    pub title: String,
    pub version: i32,
}

#[derive(Debug)]
pub struct RequestRow {
    pub id: String,
    pub dataset: String,
    pub requester: String,
    pub reason: String,
    pub created: String,
    pub state: String,
    pub pending: bool,
}

#[derive(Debug)]
pub struct ManagedRow {
    pub name: String,
    pub title: String,
    pub level: String,
}

/// A pending airlock release, as the desk lists it beside access requests.
#[derive(Debug)]
pub struct ReleaseRow {
    pub id: String,
    /// The output dataset's handle, when the steward may see it (an input's steward often may not).
    pub dataset: Option<String>,
    pub requester: String,
    pub reason: String,
    pub level: String,
    /// The inputs the steward may see, `dataset/version/table`.
    pub inputs: Vec<String>,
    pub approvals: String,
    pub created: String,
    /// Whether this steward may approve it now (for a group of theirs that has not yet).
    pub may_approve: bool,
}

async fn release_rows(state: &AppState, ctx: &Ctx) -> Result<Vec<ReleaseRow>, ApiError> {
    use kura_service::compute::airlock;
    let mut rows = Vec::new();
    for r in airlock::pending(state, &ctx.caller).await? {
        let level = r.policy["level"].as_str().unwrap_or_default();
        let needed = r.needed.as_array().map_or(0, Vec::len);
        let given = r.approvals.as_array().map_or(0, Vec::len);
        rows.push(ReleaseRow {
            id: r.id.to_string(),
            dataset: super::visible_name(state, &ctx.caller, r.dataset_id).await?,
            requester: actor_name(state, &r.requested_by).await,
            reason: r.reason.clone(),
            level: ctx.t.level(level).to_owned(),
            inputs: airlock::inputs_seen_by(state, &ctx.caller, &r).await?,
            approvals: format!("{given} / {needed}"),
            created: day(&r.created_at),
            may_approve: !airlock::approvable_by(&ctx.caller, &r).is_empty(),
        });
    }
    Ok(rows)
}

/// A person as the audit log names them (`user:<id>`), by their display name when known.
async fn actor_name(state: &AppState, actor: &str) -> String {
    match actor.strip_prefix("user:").and_then(|id| id.parse().ok()) {
        Some(user) => requester(state, user).await,
        None => actor.to_owned(),
    }
}

#[derive(askama::Template)]
#[template(path = "portal/steward.html")]
struct DeskPage {
    t: &'static Text,
    nav: Nav,
    queue: Vec<ReviewRow>,
    requests: Vec<RequestRow>,
    releases: Vec<ReleaseRow>,
    datasets: Vec<ManagedRow>,
    default_expiry: String,
}

async fn requester(state: &AppState, user: uuid::Uuid) -> String {
    match state.catalog.user(user).await {
        Ok(u) => u.display_name.unwrap_or(u.subject),
        Err(_) => user.to_string(),
    }
}

async fn request_rows(
    state: &AppState,
    ctx: &Ctx,
    dataset: &kura_catalog::entity::dataset::Model,
    requests: Vec<kura_catalog::entity::access_request::Model>,
) -> Result<Vec<RequestRow>, ApiError> {
    let mut rows = Vec::new();
    for r in requests {
        rows.push(RequestRow {
            id: r.id.to_string(),
            dataset: dataset.name.clone(),
            requester: requester(state, r.user_id).await,
            reason: r.reason,
            created: day(&r.created_at),
            pending: r.state == RequestState::Pending,
            state: state_label(ctx.t, r.state.as_str()),
        });
    }
    Ok(rows)
}

fn default_expiry() -> String {
    (Utc::now() + chrono::Duration::days(365)).format("%Y-%m-%d").to_string()
}

pub async fn desk(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    ctx.user()?;
    let groups = kura_core::access::stewarded_groups(&ctx.caller.0.subject);
    let mut queue = Vec::new();
    for (d, v) in state.catalog.review_queue(&groups).await? {
        // The one decision, once more, for each entry.
        if authorize(&state, &ctx.caller, &d.name, Which::Draft, Action::Publish).await.is_ok() {
            queue.push(ReviewRow { name: d.name, title: v.title, version: v.number });
        }
    }
    let mut requests = Vec::new();
    let mut datasets = Vec::new();
    for (target, pending) in grants::managed_datasets(&state, &ctx.caller).await? {
        requests.extend(request_rows(&state, &ctx, &target.dataset, pending).await?);
        datasets.push(ManagedRow {
            name: target.dataset.name.clone(),
            title: target.version.title.clone(),
            level: target.policy.level.name().to_owned(),
        });
    }
    let releases = release_rows(&state, &ctx).await?;
    let page = DeskPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        queue,
        requests,
        releases,
        datasets,
        default_expiry: default_expiry(),
    };
    ctx.render(&page)
}

#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Debug)]
pub struct GrantRow {
    pub user: String,
    pub expires: String,
    pub revoked: bool,
}

#[derive(askama::Template)]
#[template(path = "portal/steward_dataset.html")]
struct DatasetPage {
    t: &'static Text,
    nav: Nav,
    name: String,
    title: String,
    levels: Vec<Choice>,
    embargo: String,
    consortia: Vec<Choice>,
    columns: Vec<Choice>,
    license: String,
    terms: String,
    review: Option<i32>,
    requests: Vec<RequestRow>,
    grants: Vec<GrantRow>,
    notice: Option<&'static str>,
    default_expiry: String,
}

pub async fn dataset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let grants::AccessDesk { target, requests, grants } = grants::access_desk(&state, &ctx.caller, &name).await?;
    let policy = &target.policy;
    let current = policy.level.kind();
    let t = ctx.t;
    let levels = [
        (LevelKind::Open, t.level_open),
        (LevelKind::Embargoed, t.level_embargoed),
        (LevelKind::Consortium, t.level_consortium),
        (LevelKind::Restricted, t.level_restricted),
        (LevelKind::Closed, t.level_closed),
    ]
    .into_iter()
    .map(|(v, l)| Choice { value: v.to_string(), label: l.to_owned(), checked: v == current })
    .collect();
    let chosen: Vec<uuid::Uuid> = match &policy.level {
        AccessLevel::Consortium { consortia } => consortia.clone(),
        _ => Vec::new(),
    };
    let consortia = state
        .catalog
        .consortia()
        .await?
        .into_iter()
        .map(|c| Choice { value: c.id.to_string(), label: c.name, checked: chosen.contains(&c.id) })
        .collect();
    let mut columns = Vec::new();
    for table in state.catalog.tables_page(target.version.id, PageRequest { offset: 0, limit: 100 }).await?.items {
        for c in table.columns {
            if !columns.iter().any(|x: &Choice| x.value == c.name) {
                columns.push(Choice {
                    checked: policy.masked_columns.contains(&c.name),
                    label: c.name.clone(),
                    value: c.name,
                });
            }
        }
    }
    for m in &policy.masked_columns {
        if !columns.iter().any(|x| &x.value == m) {
            columns.push(Choice { value: m.clone(), label: m.clone(), checked: true });
        }
    }
    let review = match authorize(&state, &ctx.caller, &name, Which::Draft, Action::Publish).await {
        Ok(d) if d.version.state == VersionState::InReview => Some(d.version.number),
        _ => None,
    };
    let grants = {
        let mut rows = Vec::new();
        for g in grants {
            rows.push(GrantRow {
                user: requester(&state, g.user_id).await,
                expires: day(&g.expires_at),
                revoked: g.revoked_at.is_some(),
            });
        }
        rows
    };
    let page = DatasetPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        name: name.clone(),
        title: target.version.title.clone(),
        levels,
        embargo: match &policy.level {
            AccessLevel::Embargoed { until } => until.format("%Y-%m-%d").to_string(),
            _ => String::new(),
        },
        consortia,
        columns,
        license: policy.license.clone().unwrap_or_default(),
        terms: policy.terms.clone().unwrap_or_default(),
        review,
        requests: request_rows(&state, &ctx, &target.dataset, requests).await?,
        grants,
        notice: (uri.query() == Some("saved")).then_some(ctx.t.policy_saved),
        default_expiry: default_expiry(),
    };
    ctx.render(&page)
}

fn date(text: &str, what: &str) -> Result<chrono::DateTime<Utc>, ApiError> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{what}: give a date as YYYY-MM-DD")))?;
    Ok(Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default()))
}

pub async fn set_policy(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    form: FormData,
) -> Result<Response, ApiError> {
    let kind: LevelKind = form.get("level").parse().map_err(ApiError::bad_request)?;
    let until = match kind {
        LevelKind::Embargoed => Some(date(form.get("embargo"), "embargo date")?),
        _ => None,
    };
    let consortia = match kind {
        LevelKind::Consortium => form
            .all("consortia")
            .iter()
            .map(|c| c.parse().map_err(|_| ApiError::bad_request("unknown consortium")))
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    let level = kind.with(until, consortia).ok_or_else(|| ApiError::bad_request("an embargo needs a date"))?;
    let policy = Policy {
        level,
        masked_columns: form.all("masked").iter().map(|c| (*c).to_owned()).collect(),
        license: Some(form.get("license").to_owned()).filter(|l| !l.is_empty()),
        terms: Some(form.get("terms").to_owned()).filter(|l| !l.is_empty()),
    };
    kura_service::policy::change_policy(&state, &ctx.caller, Web, &name, &policy).await?;
    Ok(see_other(&format!("/steward/{name}?saved")))
}

pub async fn publish(State(state): State<AppState>, ctx: Ctx, Path(name): Path<String>) -> Result<Response, ApiError> {
    let published = kura_service::versions::publish(&state, &ctx.caller, &name).await?;
    Ok(see_other(&format!("/datasets/{name}/{}", published.number)))
}

pub async fn send_back(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    form: FormData,
) -> Result<Response, ApiError> {
    kura_service::versions::return_to_draft(
        &state,
        &ctx.caller,
        kura_service::Surface::Web,
        &name,
        form.get("comment"),
    )
    .await?;
    Ok(see_other("/steward"))
}

pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((name, id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, ApiError> {
    let id = crate::routes::parse_id(&id, "access request")?;
    let answer = match form.get("decision") {
        "approve" => Answer::Approve { expires_at: date(form.get("expires"), "access until")? },
        "deny" => Answer::Deny { reason: form.get("reason").to_owned() },
        _ => return Err(ApiError::bad_request("decide approve or deny")),
    };
    grants::answer_request(&state, &ctx.caller, Web, &name, id, answer).await?;
    let back = form.get("back");
    let back = if back == "dataset" { format!("/steward/{name}") } else { "/steward".to_owned() };
    Ok(see_other(&back))
}

#[derive(askama::Template)]
#[template(path = "portal/request_sent.html")]
struct RequestSent {
    t: &'static Text,
    nav: Nav,
    name: String,
}

/// `POST /access/{name}`: a signed-in reader asks for the data of a dataset they can see.
pub async fn request_access(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    form: FormData,
) -> Result<Response, ApiError> {
    grants::request_access(&state, &ctx.caller, &name, form.get("reason")).await?;
    ctx.render(&RequestSent { t: ctx.t, nav: ctx.nav.clone(), name })
}

/// `POST /airlock/{id}/approve`: a steward of an input's group approves a release from the desk.
pub async fn approve_release(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = crate::routes::parse_id(&id, "airlock release")?;
    kura_service::compute::airlock::approve(&state, &ctx.caller, Web, id).await?;
    Ok(see_other("/steward#airlock"))
}
