//! Counts every HTTP answer in the process's metrics by route template, so that ids and names
//! in paths never become label values (a scrape stays small whatever the traffic).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The label of requests no route matched (a path outside every template).
const UNMATCHED: &str = "unmatched";

/// Middleware: times the request to its response head and counts it.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map(|m| template(m.as_str())).unwrap_or(UNMATCHED.into());
    let response = next.run(request).await;
    state.metrics.http_request(method.as_str(), &route, response.status().as_u16(), started.elapsed());
    response
}

/// The route template as operators read it: axum's internal names of catch-all tails (a nested
/// router's fallback) shortened to what they stand for.
fn template(matched: &str) -> String {
    matched
        .replace("{*__private__axum_fallback}", "{*fallback}")
        .replace("{*__private__axum_nest_tail_param}", "{*rest}")
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn internal_tail_names_are_shortened() {
        assert_eq!(template("/api/v1/datasets/{name}"), "/api/v1/datasets/{name}");
        assert_eq!(template("/api/v1/{*__private__axum_fallback}"), "/api/v1/{*fallback}");
    }
}
