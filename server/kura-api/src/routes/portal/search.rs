//! `GET /search`: the index's answer for the caller (the same search as `/api/v1/search`), with
//! facets as links that add or remove a filter, highlighted snippets, sort and paging; with
//! `scope=all`, the federated search over every consortium node (`/api/v1/federation/search`),
//! hits linking to the owning node's landing page and every node's status shown.

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
    /// The partner node holding it (federated search; `None` for this node's datasets).
    pub node: Option<String>,
}

/// A node's part in a federated search, as shown.
#[derive(Debug)]
pub struct NodeRow {
    pub node: String,
    pub status: &'static str,
    pub ok: bool,
    pub latency_ms: u64,
    pub total: Option<u64>,
    pub message: Option<String>,
}

/// What a search found, from this node's index or from every node.
struct Found {
    total: u64,
    hits: Vec<HitRow>,
    facets: Vec<(String, Vec<(String, u64)>)>,
    nodes: Vec<NodeRow>,
    partial: bool,
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
    /// `all`: every consortium node was asked.
    all_nodes: bool,
    nodes: Vec<NodeRow>,
    partial: bool,
    active: Vec<(String, String)>,
    filter: String,
    page: usize,
    previous: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

/// A search page's address: the query, and what it is refined and paged by.
struct Asked<'a> {
    q: &'a str,
    sort: &'a str,
    fuzzy: bool,
    all_nodes: bool,
}

fn url(asked: &Asked<'_>, filters: &[String], offset: usize) -> String {
    let Asked { q, sort, fuzzy, all_nodes } = *asked;
    let filter = filters.join(",");
    let offset = offset.to_string();
    let pairs = [
        Some(("q", q)),
        (sort != "relevance").then_some(("sort", sort)),
        fuzzy.then_some(("fuzzy", "true")),
        all_nodes.then_some(("scope", "all")),
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
    let all_nodes = form.get("scope") == "all";
    let asked = Asked { q: &q, sort: &sort, fuzzy, all_nodes };
    let request = kura_search::SearchRequest {
        query: q.clone(),
        filters: kura_search::parse_filters(&filters.join(","))?,
        sort: if sort == "date" { kura_search::Sort::Date } else { kura_search::Sort::Relevance },
        offset,
        limit: PAGE,
        fuzzy,
    };
    let found = if all_nodes { federated(&state, &ctx, request).await } else { local(&state, &ctx, request).await };
    let (found, error) = match found {
        Ok(found) => (found, None),
        // A query that does not parse is the reader's typo: show it on the page.
        Err(e) if e.code == kura_core::ErrorCode::BadRequest => {
            let nothing = Found { total: 0, hits: Vec::new(), facets: Vec::new(), nodes: Vec::new(), partial: false };
            (nothing, Some(e.message))
        }
        Err(e) => return Err(e.into()),
    };
    let facets = found
        .facets
        .iter()
        .filter(|(_, buckets)| !buckets.is_empty())
        .map(|(name, buckets)| FacetBox {
            label: match ctx.t.facet(name) {
                "" => name.clone(),
                l => l.to_owned(),
            },
            buckets: buckets
                .iter()
                .map(|(value, count)| {
                    let key = format!("{name}:{value}");
                    let active = filters.contains(&key);
                    let toggled: Vec<String> = if active {
                        filters.iter().filter(|x| **x != key).cloned().collect()
                    } else {
                        filters.iter().cloned().chain([key]).collect()
                    };
                    let label = if name == "access" { ctx.t.level(value) } else { value }.to_owned();
                    Bucket { label, count: *count, url: url(&asked, &toggled, 0), active }
                })
                .collect(),
        })
        .collect();
    let active = filters
        .iter()
        .map(|f| {
            let rest: Vec<String> = filters.iter().filter(|x| *x != f).cloned().collect();
            (f.clone(), url(&asked, &rest, 0))
        })
        .collect();
    let previous = (offset > 0).then(|| url(&asked, &filters, offset.saturating_sub(PAGE)));
    let next = ((offset + PAGE) < found.total as usize).then(|| url(&asked, &filters, offset + PAGE));
    let page = SearchPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        total: found.total,
        hits: found.hits,
        facets,
        all_nodes,
        nodes: found.nodes,
        partial: found.partial,
        q,
        sort,
        fuzzy,
        active,
        filter: filters.join(","),
        page: offset / PAGE + 1,
        previous,
        next,
        error,
    };
    ctx.render(&page)
}

/// This node's index.
async fn local(
    state: &AppState,
    ctx: &Ctx,
    request: kura_search::SearchRequest,
) -> Result<Found, kura_service::ServiceError> {
    let results = kura_service::search::search(state, &ctx.caller, request).await?;
    let hits = results
        .hits
        .into_iter()
        .map(|h| HitRow {
            url: format!("/datasets/{}/{}", h.name, h.version),
            state: super::state_label(ctx.t, &h.state),
            title: h.title,
            name: h.name,
            snippet: h.snippet,
            node: None,
        })
        .collect();
    let facets = results
        .facets
        .into_iter()
        .map(|f| (f.name, f.buckets.into_iter().map(|b| (b.value, b.count)).collect()))
        .collect();
    Ok(Found { total: results.total, hits, facets, nodes: Vec::new(), partial: false })
}

/// Every consortium node, this one included.
async fn federated(
    state: &AppState,
    ctx: &Ctx,
    request: kura_search::SearchRequest,
) -> Result<Found, kura_service::ServiceError> {
    let results = state.federation()?.search(&ctx.caller, request, 0).await?;
    let own = state.config.node_id.as_str();
    let hits = results
        .hits
        .into_iter()
        .map(|h| {
            let here = h.node == own;
            HitRow {
                url: if here { format!("/datasets/{}/{}", h.name, h.version) } else { h.landing_url },
                state: super::state_label(ctx.t, &h.state),
                title: h.title,
                name: h.name,
                // A partner's snippet is shown as text but for its `<b>` marks.
                snippet: if here { h.snippet } else { marks_only(&h.snippet) },
                node: (!here).then_some(h.node),
            }
        })
        .collect();
    let facets = results
        .facets
        .into_iter()
        .map(|f| (f.name, f.buckets.into_iter().map(|b| (b.value, b.count)).collect()))
        .collect();
    let nodes = results
        .nodes
        .into_iter()
        .map(|n| {
            let status =
                serde_json::to_value(n.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            NodeRow {
                ok: status == "ok",
                status: ctx.t.node_status(&status),
                node: n.node,
                latency_ms: n.latency_ms,
                total: n.total,
                message: n.message,
            }
        })
        .collect();
    Ok(Found { total: results.total, hits, facets, nodes, partial: results.partial })
}

/// A snippet from another node, made safe to show: every tag but the `<b>` marks of matches is
/// escaped into text (entities stay entities, which never make markup).
fn marks_only(snippet: &str) -> String {
    snippet
        .replace("<b>", "\u{1}")
        .replace("</b>", "\u{2}")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{1}', "<b>")
        .replace('\u{2}', "</b>")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_partners_snippet_keeps_its_marks_and_nothing_else() {
        let hostile = "a <b>match</b> <script>alert(1)</script> <img src=x onerror=alert(2)> &amp; <B>x</B>";
        assert_eq!(
            super::marks_only(hostile),
            "a <b>match</b> &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; &amp; &lt;B&gt;x&lt;/B&gt;"
        );
    }
}
