//! Delta Sharing over HTTP (protocol version 1, Parquet answers) under `/delta-sharing`, and the
//! sharing profile a signed-in user downloads. Each handler calls one method of
//! `kura_federation::delta_sharing::DeltaSharing` and renders its answer: JSON lists, NDJSON
//! table answers with the `delta-table-version` header, Parquet files (ranges honoured), and
//! errors as the protocol's `{"errorCode", "message"}`.

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kura_core::ErrorCode;
use kura_federation::delta_sharing::download::Body as FileBody;
use kura_federation::delta_sharing::protocol::{CAPABILITIES, accepts_parquet, error_code};
use kura_federation::delta_sharing::range::Wanted;
use kura_federation::delta_sharing::{
    Listing, PageArgs, Profile, QueryRequest, Schema, Share, ShareAnswer, Table, TableAnswer, TableName,
};
use kura_service::ServiceError;
use serde::Deserialize;

use crate::auth::Caller;
use crate::state::AppState;

/// The protocol's routes, below [`kura_federation::delta_sharing::PREFIX`].
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shares", get(shares))
        .route("/shares/{share}", get(share))
        .route("/shares/{share}/schemas", get(schemas))
        .route("/shares/{share}/schemas/{schema}/tables", get(tables))
        .route("/shares/{share}/all-tables", get(all_tables))
        .route("/shares/{share}/schemas/{schema}/tables/{table}/version", get(version))
        .route("/shares/{share}/schemas/{schema}/tables/{table}/metadata", get(metadata))
        .route("/shares/{share}/schemas/{schema}/tables/{table}/query", post(query))
        .route("/files/{signed}", get(file))
        .fallback(|| async { Refusal(ServiceError::not_found("route")) })
}

/// A failure, in the protocol's shape: 4xx say why, 5xx give only an id (the cause is logged).
struct Refusal(ServiceError);

impl From<ServiceError> for Refusal {
    fn from(e: ServiceError) -> Self {
        Refusal(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let code = self.0.code;
        let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let told = code.tell(&self.0.message);
        if let Some(id) = told.id {
            tracing::error!(error_id = %id, error = %self.0.message, "delta sharing request failed");
        }
        (status, Json(serde_json::json!({"errorCode": error_code(code), "message": told.message}))).into_response()
    }
}

type Answer<T> = Result<T, Refusal>;

async fn shares(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageArgs>,
) -> Answer<Json<Listing<Share>>> {
    Ok(Json(state.delta_sharing.shares(&caller, &page).await?))
}

async fn share(State(state): State<AppState>, caller: Caller, Path(share): Path<String>) -> Answer<Json<ShareAnswer>> {
    Ok(Json(state.delta_sharing.share(&caller, &share).await?))
}

async fn schemas(
    State(state): State<AppState>,
    caller: Caller,
    Path(share): Path<String>,
    Query(page): Query<PageArgs>,
) -> Answer<Json<Listing<Schema>>> {
    Ok(Json(state.delta_sharing.schemas(&caller, &share, &page).await?))
}

async fn tables(
    State(state): State<AppState>,
    caller: Caller,
    Path((share, schema)): Path<(String, String)>,
    Query(page): Query<PageArgs>,
) -> Answer<Json<Listing<Table>>> {
    Ok(Json(state.delta_sharing.tables(&caller, &share, &schema, &page).await?))
}

async fn all_tables(
    State(state): State<AppState>,
    caller: Caller,
    Path(share): Path<String>,
    Query(page): Query<PageArgs>,
) -> Answer<Json<Listing<Table>>> {
    Ok(Json(state.delta_sharing.all_tables(&caller, &share, &page).await?))
}

/// `?startingTimestamp=` of the version request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionArgs {
    starting_timestamp: Option<String>,
}

/// GET and HEAD: the table's version in the `delta-table-version` header.
async fn version(
    State(state): State<AppState>,
    caller: Caller,
    Path((share, schema, table)): Path<(String, String, String)>,
    Query(args): Query<VersionArgs>,
) -> Answer<Response> {
    if args.starting_timestamp.is_some() {
        return Err(ServiceError::invalid("startingTimestamp is not supported: versions are dataset versions").into());
    }
    let at = TableName { share: &share, schema: &schema, table: &table };
    let version = state.delta_sharing.version(&caller, at).await?;
    Ok((StatusCode::OK, [("delta-table-version", version.to_string())]).into_response())
}

async fn metadata(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((share, schema, table)): Path<(String, String, String)>,
) -> Answer<Response> {
    parquet_accepted(&headers)?;
    let at = TableName { share: &share, schema: &schema, table: &table };
    Ok(ndjson(state.delta_sharing.metadata(&caller, at).await?))
}

async fn query(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((share, schema, table)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer<Response> {
    parquet_accepted(&headers)?;
    let request: QueryRequest = if body.iter().all(u8::is_ascii_whitespace) {
        QueryRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ServiceError::invalid(format!("invalid query body: {e}")))?
    };
    let at = TableName { share: &share, schema: &schema, table: &table };
    Ok(ndjson(state.delta_sharing.query(&caller, at, &request, &state.config.base_url()).await?))
}

/// Kura answers in Parquet format only; a client that accepts only another is told so.
fn parquet_accepted(headers: &HeaderMap) -> Result<(), ServiceError> {
    let capabilities = headers.get("delta-sharing-capabilities").and_then(|h| h.to_str().ok());
    if accepts_parquet(capabilities) {
        Ok(())
    } else {
        Err(ServiceError::invalid(format!("Kura answers {CAPABILITIES} only")))
    }
}

fn ndjson(answer: TableAnswer) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson; charset=utf-8")),
        (header::HeaderName::from_static("delta-table-version"), HeaderValue::from(answer.version)),
        (header::HeaderName::from_static("delta-sharing-capabilities"), HeaderValue::from_static(CAPABILITIES)),
    ];
    (headers, answer.ndjson()).into_response()
}

/// GET and HEAD of a signed file URL (no credentials: the URL names its caller).
async fn file(
    State(state): State<AppState>,
    method: axum::http::Method,
    headers: HeaderMap,
    Path(signed): Path<String>,
) -> Answer<Response> {
    let range = headers.get(header::RANGE).and_then(|h| h.to_str().ok());
    let head = method == axum::http::Method::HEAD;
    let download = state.delta_sharing.download(&signed, range, head).await?;
    let size = download.size;
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, "application/vnd.apache.parquet")
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "private, no-store")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename*=UTF-8''{}", kura_metadata::percent::segment(&download.name)),
        );
    response = match download.wanted {
        Wanted::Whole => response.status(StatusCode::OK).header(header::CONTENT_LENGTH, size),
        Wanted::Part { start, end } => response
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_LENGTH, end - start)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{}/{size}", end - 1)),
        Wanted::Unsatisfiable => {
            response.status(StatusCode::RANGE_NOT_SATISFIABLE).header(header::CONTENT_RANGE, format!("bytes */{size}"))
        }
    };
    let body = match download.body {
        FileBody::Empty => Body::empty(),
        FileBody::Bytes(bytes) => Body::from(bytes),
        FileBody::Stream(stream) => Body::from_stream(stream),
    };
    response.body(body).map_err(|e| Refusal(ServiceError::new(ErrorCode::Internal, e.to_string())))
}

/// `expires_in_days` of a new profile.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProfileRequest {
    /// Days the profile's token lives: 1 to 365, default 30.
    pub expires_in_days: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/me/delta-sharing-profile", tag = "me",
    request_body(content = ProfileRequest, description = "optional; `{}` for a 30-day profile"),
    responses((status = 200, body = Profile, description = "a Delta Sharing profile file holding a new read-only API token of the caller"),
        (status = 401), (status = 403, description = "read-only credentials mint no tokens")),
    security(("token" = [])))]
pub async fn profile(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Response, crate::ApiError> {
    let request: ProfileRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ProfileRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| crate::ApiError::bad_request(format!("invalid body: {e}")))?
    };
    let profile = state.delta_sharing.profile(&caller, request.expires_in_days, &state.config.base_url()).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(profile)).into_response())
}
