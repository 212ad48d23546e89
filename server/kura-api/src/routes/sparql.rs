//! `/sparql`: the SPARQL 1.1 Protocol's query operation (GET, POST with a form, POST with
//! `application/sparql-query`) over the RDF projection, evaluated by `kura_rdf::sparql` over
//! exactly the graphs the caller may see, with `SERVICE` to trusted peers (`kura_federation`).
//! Without a query, the endpoint describes itself.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use kura_core::ErrorCode;
use kura_rdf::sparql::{self, Form, ParsedQuery, ResultFormat};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Longest query text accepted (a POST body or URL parameter).
const MAX_QUERY_BYTES: usize = 256 * 1024;

/// The protocol's parameters, from a query string or a form body (both may repeat graph URIs).
#[derive(Debug, Default)]
struct Params {
    query: Option<String>,
    default_graphs: Vec<String>,
    named_graphs: Vec<String>,
    format: Option<String>,
}

impl Params {
    fn read(&mut self, encoded: &[u8]) -> Result<(), ApiError> {
        for (key, value) in form_urlencoded::parse(encoded) {
            match key.as_ref() {
                "query" if self.query.is_some() => return Err(bad("more than one query parameter")),
                "query" => self.query = Some(value.into_owned()),
                "default-graph-uri" => self.default_graphs.push(value.into_owned()),
                "named-graph-uri" => self.named_graphs.push(value.into_owned()),
                "format" | "output" => self.format = Some(value.into_owned()),
                "update" => return Err(bad("this endpoint is read-only: SPARQL Update is not offered")),
                _ => {}
            }
        }
        Ok(())
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message)
}

/// `GET /sparql`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut params = Params::default();
    params.read(raw.unwrap_or_default().as_bytes())?;
    answer(&state, caller, params, &headers).await
}

/// `POST /sparql` with a form (`query=…`) or the query itself as `application/sparql-query`.
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if body.len() > MAX_QUERY_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("queries are limited to {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let mut params = Params::default();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        "application/x-www-form-urlencoded" => params.read(&body)?,
        "application/sparql-query" => {
            params.read(raw.unwrap_or_default().as_bytes())?;
            if params.query.is_some() {
                return Err(bad("the query is the body; do not repeat it in the URL"));
            }
            let text = String::from_utf8(body.to_vec()).map_err(|_| bad("the query is not UTF-8"))?;
            params.query = Some(text);
        }
        "application/sparql-update" => return Err(bad("this endpoint is read-only: SPARQL Update is not offered")),
        _ => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send application/x-www-form-urlencoded or application/sparql-query",
            ));
        }
    }
    answer(&state, caller, params, &headers).await
}

async fn answer(state: &AppState, caller: Caller, params: Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let endpoint = format!("{}/sparql", state.config.base_url());
    let Some(text) = params.query else {
        return Ok(([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], sparql::service_description(&endpoint))
            .into_response());
    };
    if text.len() > MAX_QUERY_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("queries are limited to {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let query = ParsedQuery::parse(&text, Some(&endpoint), &params.default_graphs, &params.named_graphs)
        .map_err(kura_service::ServiceError::from)?;
    let form = query.form();
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = match &params.format {
        Some(f) => ResultFormat::from_param(form, f),
        None => ResultFormat::negotiate(form, accept),
    }
    .ok_or_else(|| not_acceptable(form))?;
    let hops = headers
        .get(kura_federation::HOPS_HEADER)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<u32>().ok())
        .unwrap_or(0);
    let body = state.federation()?.sparql(&caller, query, format, hops).await?;
    Ok(([(header::CONTENT_TYPE, format.media_type()), (header::VARY, "accept")], body).into_response())
}

fn not_acceptable(form: Form) -> ApiError {
    let offered: Vec<&str> = sparql::offered(form).iter().map(|(t, _)| *t).collect();
    ApiError::new(ErrorCode::NotAcceptable, format!("not acceptable; offered: {}", offered.join(", ")))
}
