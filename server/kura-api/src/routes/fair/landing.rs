//! `GET /datasets/{name}` and `/datasets/{name}/{version}`: the landing page (HTML, English or
//! Japanese, schema.org JSON-LD, Signposting `Link` headers) or, by `Accept` or `?format=`, the
//! RDF, DataCite and RO-Crate representations; `/datasets/{name}/{version}/{document}` serves
//! each of them at its own URL, with the linkset.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_core::VersionState;
use kura_core::access::Action;
use kura_metadata::{DatasetView, dataset_graph, to_datacite_xml, to_jsonld, to_ntriples, to_rdfxml, to_turtle};
use kura_rdf::{signposting, urls};
use serde::Deserialize;

use super::negotiate::{Format, negotiate};
use super::page::{CallerView, VersionRow};
use super::{accept, export, latest_target, metadata_error, not_acceptable, page, view_of};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::html::Ctx;
use crate::state::AppState;
use kura_service::access::{Target, Which, authorize};

/// `?format=` and `?lang=`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub format: Option<String>,
    pub lang: Option<String>,
}

/// `GET /datasets/{name}`: the latest version the caller may see.
pub async fn latest(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = latest_target(&state, &ctx.caller, &name).await?;
    negotiated(&state, &ctx, target, &q, &headers).await
}

/// `GET /datasets/{name}/{version}`.
pub async fn version(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = authorize(&state, &ctx.caller, &name, Which::Version(&version), Action::ReadMetadata).await?;
    negotiated(&state, &ctx, target, &q, &headers).await
}

/// `GET /datasets/{name}/{version}/{document}`: `metadata.ttl|jsonld|rdf|nt`, `datacite.xml`,
/// `export.eln`, `linkset` (JSON or text by `Accept`), `linkset.json`, `linkset.txt`.
pub async fn document(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version, document)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = authorize(&state, &caller, &name, Which::Version(&version), Action::ReadMetadata).await?;
    let format = match document.as_str() {
        "metadata.ttl" => Format::Turtle,
        "metadata.jsonld" => Format::JsonLd,
        "metadata.rdf" => Format::RdfXml,
        "metadata.nt" => Format::NTriples,
        "datacite.xml" => Format::DataCite,
        "export.eln" => Format::Eln,
        "linkset" | "linkset.json" | "linkset.txt" => {
            let view = view_of(&state, &caller, &target).await?;
            let text = document == "linkset.txt"
                || (document == "linkset"
                    && accept(&headers).is_some_and(|a| a.contains("application/linkset") && !a.contains("+json")));
            let mut response = linkset(&view, is_withdrawn(&target), text);
            if document == "linkset" {
                response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept"));
            }
            return Ok(response);
        }
        _ => return Err(ApiError::not_found("route")),
    };
    represent(&state, &caller, target, format, None, &headers).await
}

async fn negotiated(
    state: &AppState,
    ctx: &Ctx,
    target: Target,
    q: &PageQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let format = match &q.format {
        Some(f) => Format::from_param(f).ok_or_else(not_acceptable)?,
        None => negotiate(accept(headers)).ok_or_else(not_acceptable)?,
    };
    if format == Format::Html {
        return html(state, ctx, &target, q.lang.as_deref(), headers).await;
    }
    let mut response = represent(state, &ctx.caller, target, format, q.lang.as_deref(), headers).await?;
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

fn is_withdrawn(target: &Target) -> bool {
    target.version.state == VersionState::Deaccessioned
}

async fn represent(
    state: &AppState,
    caller: &Caller,
    target: Target,
    format: Format,
    query_lang: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let _ = (query_lang, headers);
    let view = view_of(state, caller, &target).await?;
    let body = match format {
        // Pages are answered by `html`, before this point.
        Format::Html => return Err(not_acceptable()),
        Format::Eln => {
            let view = kura_service::compute::derivation::with_seen_inputs(state, caller, view).await?;
            return export::eln(state, caller, &target, &view).await;
        }
        Format::DataCite => to_datacite_xml(&view).map_err(metadata_error)?,
        rdf => {
            let graph = dataset_graph(&view).map_err(metadata_error)?;
            match rdf {
                Format::Turtle => to_turtle(&graph),
                Format::JsonLd => to_jsonld(&graph),
                Format::RdfXml => to_rdfxml(&graph),
                _ => to_ntriples(&graph),
            }
            .map_err(metadata_error)?
        }
    };
    let profile = signposting::profile_of(format.media_type());
    let content_type = match profile {
        Some(p) => format!("{}; profile=\"{p}\"", format.media_type()),
        None => format.media_type().to_string(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::LINK, signposting::document_header(&view.landing_url, profile)),
        ],
        body,
    )
        .into_response())
}

async fn html(
    state: &AppState,
    ctx: &Ctx,
    target: &Target,
    query_lang: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let caller = &ctx.caller;
    let view = view_of(state, caller, target).await?;
    let view = &kura_service::compute::derivation::with_seen_inputs(state, caller, view).await?;
    let withdrawn = is_withdrawn(target);
    let who = CallerView {
        may_read_data: target.allows(caller, Action::ReadData),
        may_edit: target.allows_editing(caller),
        anonymous: caller.0.is_anonymous(),
    };
    let base = state.config.base_url();
    let versions = state
        .catalog
        .versions(target.dataset.id, &caller.visibility())
        .await?
        .into_iter()
        .map(|v| VersionRow {
            number: v.number,
            url: urls::landing(&base, &target.dataset.name, v.number),
            current: v.id == target.version.id,
            state: v.state.to_string(),
        })
        .collect();
    let lang = crate::routes::html::lang::choose(query_lang, headers);
    let tombstone = withdrawn.then(|| target.version.deaccession_reason.clone().unwrap_or_default());
    let mut page =
        page::landing(crate::routes::html::text::text(lang), view, &who, versions, target.version.state, tombstone);
    page.t = ctx.t;
    page.nav = ctx.nav.clone();
    page.name = target.dataset.name.clone();
    page.signed_in = !caller.0.is_anonymous();
    page.may_manage = target.allows(caller, Action::ManageAccess);
    page.may_request = !withdrawn
        && !who.may_read_data
        && matches!(
            target.policy.level,
            kura_core::access::AccessLevel::Restricted | kura_core::access::AccessLevel::Consortium { .. }
        );
    if who.may_read_data && !withdrawn && caller.0.can_write && caller.0.user_id.is_some() {
        page.job_form = Some(job_form(state, caller, &page.tables).await?);
    }
    page.inherited = inherited(state, ctx, target).await?;
    page.datacite = to_datacite_xml(view).map_err(metadata_error)?;
    if who.may_read_data && !withdrawn {
        for table in page.tables.iter_mut() {
            table.preview = Some(kura_service::preview::first_rows(state, caller, target, &table.name).await?);
        }
        if !page.tables.is_empty() {
            kura_service::preview::audit_preview(state, caller, target, page.tables.len()).await?;
        }
    }
    let body = askama::Template::render(&page)
        .map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, format!("landing page template: {e}")))?;
    let status = if withdrawn { StatusCode::GONE } else { StatusCode::OK };
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, Format::Html.media_type())
        .header(header::LINK, signposting::landing_header(view, !withdrawn))
        .header(header::VARY, "Accept-Language, Cookie")
        .header(header::CONTENT_LANGUAGE, lang);
    if query_lang == Some(lang) {
        response = response.header(header::SET_COOKIE, crate::routes::html::lang::lang_cookie(lang).to_string());
    }
    response.body(Body::from(body)).map_err(|e| ApiError::new(kura_core::ErrorCode::Internal, e.to_string()))
}

/// The SQL job form over the page's tables, with the groups that may own the output.
async fn job_form(
    state: &AppState,
    caller: &crate::auth::Caller,
    tables: &[page::TableRow],
) -> Result<page::JobForm, ApiError> {
    let mine: Vec<uuid::Uuid> = caller.0.subject.groups.iter().map(|(g, _)| *g).collect();
    let groups = state
        .catalog
        .groups_with_organizations()
        .await?
        .into_iter()
        .filter(|(g, _)| mine.contains(&g.id))
        .map(|(g, _)| (g.id.to_string(), g.name))
        .collect();
    Ok(page::JobForm { tables: tables.iter().map(|t| t.name.clone()).collect(), groups })
}

/// The restrictions this dataset inherited from the inputs of the job that wrote it, and from
/// which of them (those the caller may see), before anyone publishes it.
async fn inherited(state: &AppState, ctx: &Ctx, target: &Target) -> Result<Option<page::InheritedView>, ApiError> {
    use kura_service::compute::InheritedFrom;
    let Some(found) = kura_service::compute::inheritance(state, &ctx.caller, target.dataset.id).await? else {
        return Ok(None);
    };
    let label = |level: &kura_core::access::AccessLevel| ctx.t.level(level.name()).to_owned();
    let inputs = found
        .inputs
        .iter()
        .map(|i| match i {
            InheritedFrom::Seen { reference, dataset, level } => page::InheritedRow {
                visible: true,
                reference: reference.clone(),
                dataset: dataset.clone(),
                level: label(level),
            },
            InheritedFrom::Hidden => page::InheritedRow {
                visible: false,
                reference: String::new(),
                dataset: String::new(),
                level: String::new(),
            },
        })
        .collect();
    Ok(Some(page::InheritedView { level: label(&found.level), job: found.job.to_string(), inputs }))
}

/// One form of the linkset, linking the other form and the negotiating URL (scenario 14).
fn linkset(view: &DatasetView, withdrawn: bool, text: bool) -> Response {
    let (media_type, body) = if text {
        ("application/linkset", signposting::linkset_text(view, !withdrawn))
    } else {
        (
            "application/linkset+json",
            serde_json::to_string_pretty(&signposting::linkset_json(view, !withdrawn)).unwrap_or_default(),
        )
    };
    ([(header::CONTENT_TYPE, media_type.to_string()), (header::LINK, signposting::linkset_header(view, text))], body)
        .into_response()
}
