//! `GET /api/v1/search` and suggestions: the caller's visibility goes into the index query.

use axum::Json;
use axum::extract::{Query, State};
use kura_search::{SearchRequest, SearchResults, Sort, parse_filters};
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

#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, description = "the query does not parse")))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    Ok(Json(kura_service::search::search(&state, &caller, query.request()?).await?))
}

impl SearchQuery {
    /// The search this query asks for (REST and the portal's search form).
    pub fn request(self) -> Result<SearchRequest, ApiError> {
        Ok(SearchRequest {
            sort: Sort::parse(self.sort.as_deref())?,
            filters: parse_filters(self.filter.as_deref().unwrap_or(""))?,
            query: self.q,
            offset: self.offset,
            limit: self.limit.unwrap_or(kura_service::search::DEFAULT_LIMIT),
            fuzzy: self.fuzzy,
        })
    }
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
    Ok(Json(kura_service::search::suggest(&state, &caller, query.q).await?))
}
