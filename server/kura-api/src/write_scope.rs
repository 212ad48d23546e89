//! One rule for every state-changing request, whatever route it reaches: a read-only credential
//! (an API token or JWT of scope `read`) is refused before any handler runs, so a handler that
//! forgets to check the scope cannot be reached with one. Anonymous callers pass through: the
//! handlers answer 401 for what needs credentials.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use kura_core::{ErrorCode, Principal, Scope};

use crate::auth::RefusedCredentials;
use crate::error::ApiError;

/// Requests that read, or present credentials of their own, and change nothing the read scope
/// protects: queries sent as forms (SPARQL, OAI-PMH), the JWT exchange (which never widens the
/// caller's scope), a partner node's token exchange (its assertion is the credential), and signing in or out with a password or session.
const READING_REQUESTS: [(Method, &str); 8] = [
    (Method::POST, "/sparql"),
    (Method::POST, "/oai"),
    (Method::POST, "/api/v1/auth/token"),
    (Method::POST, "/api/v1/federation/token"),
    (Method::POST, "/api/v1/session"),
    (Method::DELETE, "/api/v1/session"),
    (Method::POST, "/signin"),
    (Method::POST, "/signout"),
];

/// Whether `method` on `path` may change state (and so needs the write scope).
pub fn changes_state(method: &Method, path: &str) -> bool {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
    let path = path.trim_end_matches('/');
    !safe && !READING_REQUESTS.iter().any(|(m, p)| m == method && *p == path) && !is_sharing_query(method, path)
}

/// A Delta Sharing table query (`POST /delta-sharing/shares/{share}/schemas/{schema}/tables/
/// {table}/query`): it reads, and sharing profiles hold read tokens.
fn is_sharing_query(method: &Method, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/delta-sharing/shares/") else { return false };
    let parts: Vec<&str> = rest.split('/').collect();
    *method == Method::POST
        && parts.len() == 6
        && parts[1] == "schemas"
        && parts[3] == "tables"
        && parts[5] == "query"
        && [parts[0], parts[2], parts[4]].iter().all(|p| !p.is_empty())
}

/// A stream table append (`POST /api/v1/datasets/{name}/streams/{table}/rows`).
fn is_stream_append(method: &Method, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v1/datasets/") else { return false };
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    *method == Method::POST && parts.len() == 4 && parts[1] == "streams" && parts[3] == "rows"
}

/// Refuses state-changing requests made with a read-only credential (403).
pub async fn writes_need_write_scope(request: Request, next: Next) -> Response {
    let principal = request.extensions().get::<Principal>();
    let read_only = principal.is_some_and(|p| !p.is_anonymous() && p.scope() < Scope::Write);
    // A robot's append token passes to the stream append route only, where the service checks
    // the stream is one the token names.
    let appending = principal.is_some_and(|p| p.scope() == Scope::Append)
        && is_stream_append(request.method(), request.uri().path());
    if read_only && !appending && changes_state(request.method(), request.uri().path()) {
        return RefusedCredentials::answer(
            request,
            ApiError::new(ErrorCode::Forbidden, "this credential is read-only"),
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_methods_and_reading_posts_pass_a_read_credential() {
        assert!(!changes_state(&Method::GET, "/api/v1/datasets"));
        assert!(!changes_state(&Method::POST, "/sparql"));
        assert!(!changes_state(&Method::POST, "/api/v1/auth/token"));
        assert!(changes_state(&Method::POST, "/api/v1/users/x/tokens"));
        assert!(changes_state(&Method::DELETE, "/api/v1/session/x"));
        assert!(changes_state(&Method::PUT, "/sparql"));
    }

    #[test]
    fn only_a_stream_append_is_an_append() {
        assert!(is_stream_append(&Method::POST, "/api/v1/datasets/lab/streams/temps/rows"));
        assert!(!is_stream_append(&Method::GET, "/api/v1/datasets/lab/streams/temps/rows"));
        assert!(!is_stream_append(&Method::POST, "/api/v1/datasets/lab/draft/publish"));
        assert!(!is_stream_append(&Method::POST, "/api/v1/datasets/lab/streams/temps/rows/x"));
    }

    #[test]
    fn a_delta_sharing_query_reads() {
        assert!(!changes_state(&Method::POST, "/delta-sharing/shares/Lab%20A/schemas/ds/tables/t/query"));
        assert!(changes_state(&Method::PUT, "/delta-sharing/shares/s/schemas/ds/tables/t/query"));
        assert!(changes_state(&Method::POST, "/delta-sharing/shares/s/schemas/ds/tables/t/query/x"));
        assert!(changes_state(&Method::POST, "/delta-sharing/shares/s/schemas//tables/t/query"));
        assert!(changes_state(&Method::POST, "/api/v1/delta-sharing/shares/s/schemas/ds/tables/t/query"));
    }
}
