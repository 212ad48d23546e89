//! Search and suggestions: the principal's visibility goes into the index query (never a filter
//! on the hits afterwards), so hits, counts, facets and snippets leak nothing.

use std::sync::Arc;

use kura_core::{ErrorCode, Principal};
use kura_search::{SearchIndex, SearchRequest, SearchResults, Viewer};

use crate::{ServiceError, Services};

/// Hits per page when the caller names none, and the most they may ask for.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// The principal as the index sees it: the visibility tokens derived beside `decide`.
pub fn viewer(principal: &Principal) -> Viewer {
    kura_core::access::viewer_tokens(&principal.subject).map_or(Viewer::Everything, Viewer::Tokens)
}

fn index(svc: &Services) -> Result<Arc<SearchIndex>, ServiceError> {
    svc.search
        .as_ref()
        .map(|p| p.index().clone())
        .ok_or_else(|| ServiceError::new(ErrorCode::Unavailable, "search is not running in this process"))
}

/// Runs `request` for `principal` (its limit capped at [`MAX_LIMIT`]).
pub async fn search(
    svc: &Services,
    principal: &Principal,
    request: SearchRequest,
) -> Result<SearchResults, ServiceError> {
    search_in(index(svc)?, principal, request).await
}

/// [`search`] over an index opened by the caller (the CLI reads the server's index read-only).
pub async fn search_in(
    index: Arc<SearchIndex>,
    principal: &Principal,
    mut request: SearchRequest,
) -> Result<SearchResults, ServiceError> {
    request.limit = request.limit.min(MAX_LIMIT);
    let viewer = viewer(principal);
    blocking(move || index.search(&request, &viewer)).await
}

/// Titles `principal` may see that start with the last word of `typed`.
pub async fn suggest(svc: &Services, principal: &Principal, typed: String) -> Result<Vec<String>, ServiceError> {
    let index = index(svc)?;
    let viewer = viewer(principal);
    blocking(move || index.suggest(&typed, &viewer, 8)).await
}

/// Index reads block: they run beside the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, kura_search::SearchError> + Send + 'static,
) -> Result<T, ServiceError> {
    Ok(tokio::task::spawn_blocking(work).await.map_err(|e| ServiceError::internal(e.to_string()))??)
}
