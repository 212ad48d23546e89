//! CSRF protection of portal sessions, as its own layer after authentication: a state-changing
//! request authenticated by the session cookie (marked by [`SessionCsrf`]) must echo the
//! session's CSRF token — in `x-csrf-token`, or, for HTML forms, in the `csrf_token` field (the
//! first part of a multipart form). A cross-site page can send the cookie but cannot read the
//! token. Requests with other credentials, or none, pass untouched.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use kura_core::ErrorCode;
use subtle::ConstantTimeEq;

use crate::auth::{RefusedCredentials, SessionCsrf};
use crate::error::ApiError;

/// Name of the cookie carrying the CSRF token that state-changing requests echo in `x-csrf-token`.
pub const CSRF_COOKIE: &str = "kura_csrf";
/// Header in which cookie-authenticated state-changing requests echo the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field in which HTML forms echo the CSRF token instead of the header. In a multipart
/// form it must be the first part, so that the upload behind it can stream.
pub const CSRF_FIELD: &str = "csrf_token";
/// Largest urlencoded form read to find the CSRF field.
const MAX_FORM_BYTES: usize = 1 << 20;
/// How far into a multipart body the CSRF part must have ended.
const MAX_CSRF_PREFIX: usize = 16 * 1024;

/// Refuses (403) a state-changing request of a session that does not echo its CSRF token.
pub async fn sessions_echo_the_csrf_token(request: Request, next: Next) -> Response {
    let Some(SessionCsrf(expected)) = request.extensions().get::<SessionCsrf>().cloned() else {
        return next.run(request).await;
    };
    match check_csrf(request, &expected).await {
        (request, Ok(())) => next.run(request).await,
        (request, Err(e)) => {
            tracing::warn!(reason = ?e, path = %request.uri().path(), "credentials refused");
            RefusedCredentials::answer(request, e)
        }
    }
}

/// Checks that a state-changing request echoes `expected`. Returns the request with its body
/// intact.
async fn check_csrf(request: Request, expected: &str) -> (Request, Result<(), ApiError>) {
    let refused = || Err(ApiError::new(ErrorCode::Forbidden, "missing or wrong CSRF token"));
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return (request, Ok(()));
    }
    if let Some(echoed) = request.headers().get(CSRF_HEADER) {
        let ok = same_secret(echoed.as_bytes(), expected.as_bytes());
        return (request, if ok { Ok(()) } else { refused() });
    }
    // The boundary is case-sensitive; the media type is not.
    let content_type =
        request.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let media_type = content_type.to_ascii_lowercase();
    let (request, echoed) = if media_type.starts_with("application/x-www-form-urlencoded") {
        form_field(request).await
    } else if media_type.starts_with("multipart/form-data") {
        match boundary_of(&content_type) {
            Some(boundary) => first_multipart_field(request, &boundary).await,
            None => (request, None),
        }
    } else {
        (request, None)
    };
    match echoed {
        Some(token) if same_secret(token.as_bytes(), expected.as_bytes()) => (request, Ok(())),
        _ => (request, refused()),
    }
}

/// Reads an urlencoded body (bounded), returns the request with the same body and the CSRF field.
async fn form_field(request: Request) -> (Request, Option<String>) {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => {
            let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned());
            (Request::from_parts(parts, axum::body::Body::from(bytes)), token)
        }
        Err(_) => (Request::from_parts(parts, axum::body::Body::empty()), None),
    }
}

fn boundary_of(content_type: &str) -> Option<String> {
    content_type
        .split(';')
        .filter_map(|p| {
            let p = p.trim();
            p.get(..9).filter(|k| k.eq_ignore_ascii_case("boundary=")).map(|_| &p[9..])
        })
        .map(|b| b.trim_matches('"').to_owned())
        .next()
        .filter(|b| !b.is_empty())
}

/// Reads the start of a multipart body until its first part has ended (at most
/// `MAX_CSRF_PREFIX` bytes), returns the request with the whole body still to stream and that
/// part's value when it is the CSRF field.
async fn first_multipart_field(request: Request, boundary: &str) -> (Request, Option<String>) {
    use futures::StreamExt;
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut prefix = Vec::new();
    let mut failed = None;
    let delimiter = format!("\r\n--{boundary}");
    let token = loop {
        if let Some(token) = csrf_part(&prefix, boundary, &delimiter) {
            break token;
        }
        if prefix.len() > MAX_CSRF_PREFIX {
            break None;
        }
        match stream.next().await {
            Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break None;
            }
            None => break None,
        }
    };
    let head = futures::stream::iter([Ok::<bytes::Bytes, axum::Error>(bytes::Bytes::from(prefix))]);
    let tail = futures::stream::iter(failed.map(Err));
    let body = axum::body::Body::from_stream(head.chain(tail).chain(stream));
    (Request::from_parts(parts, body), token)
}

/// `Some(Some(value))` when the buffered prefix holds a complete first part named
/// `csrf_token`, `Some(None)` when it holds a complete first part of another name, `None`
/// while more bytes are needed.
fn csrf_part(prefix: &[u8], boundary: &str, delimiter: &str) -> Option<Option<String>> {
    let text = std::str::from_utf8(prefix).ok().or_else(|| {
        // A chunk may end inside a multi-byte character: decide on the valid start.
        std::str::from_utf8(&prefix[..prefix.len().saturating_sub(3)]).ok()
    })?;
    let start = format!("--{boundary}\r\n");
    let rest = text.strip_prefix(&start).or_else(|| text.strip_prefix(&format!("\r\n{start}")))?;
    let (headers, value) = rest.split_once("\r\n\r\n")?;
    let end = value.find(delimiter)?;
    let named = headers.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("content-disposition:") && l.contains(&format!("name=\"{CSRF_FIELD}\""))
    });
    Some(named.then(|| value[..end].to_owned()))
}

/// Compares secrets in time independent of where they differ (only their lengths may leak).
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_keeps_its_case() {
        assert_eq!(
            boundary_of("multipart/form-data; Boundary=----WebKitFormBoundaryAbC").as_deref(),
            Some("----WebKitFormBoundaryAbC")
        );
        assert_eq!(boundary_of("multipart/form-data; boundary=\"x y\"").as_deref(), Some("x y"));
        assert_eq!(boundary_of("multipart/form-data"), None);
    }

    #[test]
    fn only_a_complete_first_part_named_csrf_token_counts() {
        let delimiter = "\r\n--B";
        let body = "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nkura_abc\r\n--B\r\n";
        assert_eq!(csrf_part(body.as_bytes(), "B", delimiter), Some(Some("kura_abc".to_owned())));
        // Not there yet: more bytes are needed.
        assert_eq!(csrf_part(&body.as_bytes()[..40], "B", delimiter), None);
        // Another field first: no token, whatever comes later.
        let other = "--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nkura_abc\r\n--B--";
        assert_eq!(csrf_part(other.as_bytes(), "B", delimiter), Some(None));
    }
}
