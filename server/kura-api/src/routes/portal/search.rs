//! `GET /search`: the index's answer for the caller (the same search as `/api/v1/search`), with
//! facets as links that add or remove a filter, highlighted snippets, sort and paging.

use axum::extract::State;
use axum::response::Response;

use super::form::{FormData, parse, query};
use super::text::Text;
use super::{Ctx, Nav};
use crate::error::ApiError;
use crate::state::AppState;

const PAGE: usize = 10;

/// One hit as shown.
#[derive(Debug)]
pub struct HitRow {
    pub url: String,
    pub title: String,
    pub name: String,
    pub state: String,
    /// Already HTML: the index escapes the text and marks matches with `<b>`.
    pub snippet: String,
}

/// A facet value with the link that toggles it.
#[derive(Debug)]
pub struct Bucket {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

#[derive(Debug)]
pub struct FacetBox {
    pub label: String,
    pub buckets: Vec<Bucket>,
}

#[derive(askama::Template)]
#[template(path = "portal/search.html")]
struct SearchPage {
    t: &'static Text,
    nav: Nav,
    q: String,
    sort: String,
    fuzzy: bool,
    total: u64,
    hits: Vec<HitRow>,
    facets: Vec<FacetBox>,
    active: Vec<(String, String)>,
    filter: String,
    page: usize,
    previous: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

fn url(q: &str, sort: &str, fuzzy: bool, filters: &[String], offset: usize) -> String {
    let filter = filters.join(",");
    let offset = offset.to_string();
    let pairs = [
        Some(("q", q)),
        (sort != "relevance").then_some(("sort", sort)),
        fuzzy.then_some(("fuzzy", "true")),
        (!filters.is_empty()).then_some(("filter", filter.as_str())),
        (offset != "0").then_some(("offset", offset.as_str())),
    ];
    format!("/search?{}", query(pairs.into_iter().flatten()))
}

pub async fn search(State(state): State<AppState>, ctx: Ctx, uri: axum::http::Uri) -> Result<Response, ApiError> {
    let form = FormData(parse(uri.query().unwrap_or("")));
    let q = form.get("q").to_owned();
    let sort = if form.get("sort") == "date" { "date" } else { "relevance" }.to_owned();
    let fuzzy = matches!(form.get("fuzzy"), "true" | "on" | "1");
    let offset: usize = form.get("offset").parse().unwrap_or(0);
    let filters: Vec<String> =
        form.all("filter").iter().flat_map(|f| f.split(',')).filter(|f| f.contains(':')).map(str::to_owned).collect();
    let request = kura_search::SearchRequest {
        query: q.clone(),
        filters: kura_search::parse_filters(&filters.join(","))?,
        sort: if sort == "date" { kura_search::Sort::Date } else { kura_search::Sort::Relevance },
        offset,
        limit: PAGE,
        fuzzy,
    };
    let (results, error) = match kura_service::search::search(&state, &ctx.caller, request).await {
        Ok(r) => (r, None),
        // A query that does not parse is the reader's typo: show it on the page.
        Err(e) if e.code == kura_core::ErrorCode::BadRequest => {
            (kura_search::SearchResults { total: 0, hits: Vec::new(), facets: Vec::new() }, Some(e.message))
        }
        Err(e) => return Err(e.into()),
    };
    let hits = results
        .hits
        .iter()
        .map(|h| HitRow {
            url: format!("/datasets/{}/{}", h.name, h.version),
            title: h.title.clone(),
            name: h.name.clone(),
            state: super::state_label(ctx.t, &h.state),
            snippet: h.snippet.clone(),
        })
        .collect();
    let facets = results
        .facets
        .iter()
        .filter(|f| !f.buckets.is_empty())
        .map(|f| FacetBox {
            label: match ctx.t.facet(&f.name) {
                "" => f.name.clone(),
                l => l.to_owned(),
            },
            buckets: f
                .buckets
                .iter()
                .map(|b| {
                    let key = format!("{}:{}", f.name, b.value);
                    let active = filters.contains(&key);
                    let toggled: Vec<String> = if active {
                        filters.iter().filter(|x| **x != key).cloned().collect()
                    } else {
                        filters.iter().cloned().chain([key]).collect()
                    };
                    let label = if f.name == "access" { ctx.t.level(&b.value) } else { &b.value }.to_owned();
                    Bucket { label, count: b.count, url: url(&q, &sort, fuzzy, &toggled, 0), active }
                })
                .collect(),
        })
        .collect();
    let active = filters
        .iter()
        .map(|f| {
            let rest: Vec<String> = filters.iter().filter(|x| *x != f).cloned().collect();
            (f.clone(), url(&q, &sort, fuzzy, &rest, 0))
        })
        .collect();
    let previous = (offset > 0).then(|| url(&q, &sort, fuzzy, &filters, offset.saturating_sub(PAGE)));
    let next = ((offset + PAGE) < results.total as usize).then(|| url(&q, &sort, fuzzy, &filters, offset + PAGE));
    let page = SearchPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        q,
        sort,
        fuzzy,
        total: results.total,
        hits,
        facets,
        active,
        filter: filters.join(","),
        page: offset / PAGE + 1,
        previous,
        next,
        error,
    };
    ctx.render(&page)
}
