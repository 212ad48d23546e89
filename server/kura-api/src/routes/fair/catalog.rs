//! The node's public face for harvesters and crawlers: the DCAT-AP 3 catalog (`/catalog`,
//! Turtle, JSON-LD, RDF/XML or N-Triples by `Accept`, paged with Hydra), `/sitemap.xml` and
//! `/robots.txt`. All three read the catalog's harvestable list (published, not closed), and
//! list each dataset once, at its newest version that has not been withdrawn. They are the same
//! for every caller, signed in or not: the catalog is the public catalog.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use kura_catalog::harvest::HarvestItem;
use kura_metadata::{PageView, catalog_graph, to_jsonld, to_ntriples, to_rdfxml, to_turtle};
use kura_rdf::urls;
use serde::Deserialize;

use super::negotiate::{Format, negotiate};
use super::{accept, describer, metadata_error, not_acceptable};
use crate::error::ApiError;
use crate::state::AppState;
use crate::xml::XmlOut;

/// Datasets per catalog page unless `limit` says otherwise.
const DEFAULT_PAGE: u64 = 20;

/// Each public dataset once, at its newest version that is not withdrawn, by name.
async fn public_datasets(state: &AppState) -> Result<Vec<HarvestItem>, ApiError> {
    let mut latest: HashMap<uuid::Uuid, HarvestItem> = HashMap::new();
    for item in kura_service::harvest::listing(state).await? {
        if item.deleted() {
            continue;
        }
        match latest.get(&item.dataset.id) {
            Some(seen) if seen.version.number >= item.version.number => {}
            _ => {
                latest.insert(item.dataset.id, item);
            }
        }
    }
    let mut items: Vec<HarvestItem> = latest.into_values().collect();
    items.sort_by(|a, b| a.dataset.name.cmp(&b.dataset.name));
    Ok(items)
}

/// `?offset=&limit=&format=`.
#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub format: Option<String>,
}

/// `GET /catalog`.
pub async fn catalog(
    State(state): State<AppState>,
    Query(q): Query<CatalogQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = match &q.format {
        Some(f) => Format::from_param(f).ok_or_else(not_acceptable)?,
        None => negotiate(accept(&headers)).ok_or_else(not_acceptable)?,
    };
    let format = match format {
        // Browsers and `*/*` get Turtle: the catalog has no HTML form (yet).
        Format::Html => Format::Turtle,
        Format::DataCite | Format::Eln => return Err(not_acceptable()),
        f => f,
    };
    let items = public_datasets(&state).await?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, state.config.max_page_size.max(1));
    let offset = q.offset.unwrap_or(0);
    let describer = describer(&state);
    let now = Utc::now();
    let mut views = Vec::new();
    for item in items.iter().skip(offset as usize).take(limit as usize) {
        views.push(describer.version(&item.dataset, &item.version, false, now).await?);
    }
    let page = PageView { offset, limit, total: items.len() as u64 };
    let graph = catalog_graph(&describer.catalog_page(views, page, now)).map_err(metadata_error)?;
    let body = match format {
        Format::JsonLd => to_jsonld(&graph),
        Format::RdfXml => to_rdfxml(&graph),
        Format::NTriples => to_ntriples(&graph),
        _ => to_turtle(&graph),
    }
    .map_err(metadata_error)?;
    Ok(([(header::CONTENT_TYPE, format.media_type()), (header::VARY, "Accept")], body).into_response())
}

/// `GET /sitemap.xml`: the landing page of every public dataset with its last change.
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, ApiError> {
    let base = state.config.base_url();
    let mut xml = XmlOut::default();
    xml.declaration();
    xml.open("urlset", &[("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")]);
    for item in public_datasets(&state).await? {
        let loc = urls::landing(&base, &item.dataset.name, item.version.number);
        let lastmod = item.datestamp().to_rfc3339_opts(SecondsFormat::Secs, true);
        // One line per URL: the file stays readable and diffable.
        xml.line_break();
        xml.open("url", &[]);
        xml.element("loc", &loc);
        xml.element("lastmod", &lastmod);
        xml.close("url");
    }
    xml.line_break();
    xml.close("urlset");
    xml.line_break();
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml.into_string()).into_response())
}

/// `GET /robots.txt`: landing pages, PIDs and the catalog are for crawlers; the API and data
/// downloads are not.
pub async fn robots(State(state): State<AppState>) -> Response {
    let base = state.config.base_url();
    let body = format!(
        "User-agent: *\nAllow: /datasets/\nAllow: /pid/\nAllow: /catalog\nDisallow: /api/\nDisallow: /*/export.eln\nDisallow: /oai\n\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
