//! `GET /api/v1/search` and suggestions: the caller's visibility goes into the index query.

use axum::Json;
use axum::extract::{Query, State};
use kura_core::ErrorCode;
use kura_search::{SearchRequest, SearchResults, Sort, Viewer};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Query of the search endpoint.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Free text, `"phrases"`, `creator:`, `unit:`, `format:`, `keyword:`, `subject:`, `license:`,
    /// `access:`, `year:` filters, `published:[2020-01-01T00:00:00Z TO 2021-01-01T00:00:00Z]`.
    #[serde(default)]
    pub q: String,
    /// `relevance` (default) or `date`.
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub offset: usize,
    /// Hits per page (default 20, at most 100).
    pub limit: Option<usize>,
    /// Forgive one typo per word.
    #[serde(default)]
    pub fuzzy: bool,
    /// Facet filters, comma-separated `facet:value` (e.g. `format:csv,license:CC-BY-4.0`).
    pub filter: Option<String>,
}

/// The caller as the index sees it.
pub(crate) fn viewer(caller: &Caller) -> Viewer {
    kura_core::access::viewer_tokens(&caller.0.subject).map_or(Viewer::Everything, Viewer::Tokens)
}

fn projector(state: &AppState) -> Result<&kura_search::Projector, ApiError> {
    state.search.as_ref().ok_or_else(|| ApiError::new(ErrorCode::Unavailable, "search is not running in this process"))
}

#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, description = "the query does not parse")))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    Ok(Json(run(&state, &caller, query).await?))
}

/// Runs a search for the caller: their visibility goes into the index query (REST and portal).
pub(crate) async fn run(state: &AppState, caller: &Caller, query: SearchQuery) -> Result<SearchResults, ApiError> {
    let sort = match query.sort.as_deref() {
        None | Some("relevance") => Sort::Relevance,
        Some("date") => Sort::Date,
        Some(other) => return Err(ApiError::bad_request(format!("unknown sort {other:?}: use relevance or date"))),
    };
    let mut filters = Vec::new();
    for item in query.filter.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()) {
        let (facet, value) =
            item.split_once(':').ok_or_else(|| ApiError::bad_request(format!("filter {item:?} is not facet:value")))?;
        filters.push((facet.to_owned(), value.to_owned()));
    }
    let request = SearchRequest {
        query: query.q,
        filters,
        sort,
        offset: query.offset,
        limit: query.limit.unwrap_or(20).min(100),
        fuzzy: query.fuzzy,
    };
    let index = projector(state)?.index().clone();
    let viewer = viewer(caller);
    let results = tokio::task::spawn_blocking(move || index.search(&request, &viewer))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))??;
    Ok(results)
}

/// Query of the suggestion endpoint.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SuggestQuery {
    /// What the user has typed so far.
    pub q: String,
}

#[utoipa::path(get, path = "/api/v1/search/suggest", tag = "search", params(SuggestQuery),
    responses((status = 200, body = Vec<String>, description = "titles the caller may see that start with the last word typed")))]
pub async fn suggest(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SuggestQuery>,
) -> Result<Json<Vec<String>>, ApiError> {
    let index = projector(&state)?.index().clone();
    let viewer = viewer(&caller);
    let titles = tokio::task::spawn_blocking(move || index.suggest(&query.q, &viewer, 8))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))??;
    Ok(Json(titles))
}
