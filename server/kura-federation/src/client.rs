//! Requests to peers, each cut by a deadline and a size limit, so that a slow, huge or hostile
//! peer answer costs this node at most the deadline and the limit.

use std::time::Duration;

use futures::StreamExt;

/// Why a peer gave no usable answer, as the envelope of a federated query reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeFailure {
    /// No complete answer within the deadline.
    #[error("no answer within {0} ms")]
    Timeout(u64),
    /// The peer refused the caller (401, 403) or the token exchange.
    #[error("refused: {0}")]
    Refused(String),
    /// Unreachable, an error status, a malformed or oversized answer.
    #[error("{0}")]
    Error(String),
}

/// A peer's answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub bytes: Vec<u8>,
}

/// GETs `url` (with a bearer token and the hop count), reading at most `max_bytes`.
pub(crate) async fn get(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    hops: u32,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Answer, NodeFailure> {
    let mut request = http.get(url).header(crate::HOPS_HEADER, hops.to_string());
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    send(request, timeout, max_bytes).await
}

/// POSTs a form to `url`, reading at most `max_bytes` of the answer.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    url: &str,
    form: String,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Answer, NodeFailure> {
    let request = http.post(url).header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(form);
    send(request, timeout, max_bytes).await
}

async fn send(request: reqwest::RequestBuilder, timeout: Duration, max_bytes: u64) -> Result<Answer, NodeFailure> {
    let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    let work = async {
        let response = request
            .send()
            .await
            .map_err(|e| NodeFailure::Error(format!("unreachable: {}", kura_service::error::chain(&e))))?;
        let status = response.status();
        let bytes = read_limited(response, max_bytes).await?;
        match status.as_u16() {
            200..=299 => Ok(bytes),
            401 | 403 => Err(NodeFailure::Refused(format!("{status}: {}", excerpt(&bytes)))),
            _ => Err(NodeFailure::Error(format!("{status}: {}", excerpt(&bytes)))),
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(bytes)) => Ok(Answer { bytes }),
        Ok(Err(failure)) => Err(failure),
        Err(_) => Err(NodeFailure::Timeout(millis)),
    }
}

/// The body, refused as soon as it passes `max_bytes` (whatever Content-Length claimed).
async fn read_limited(response: reqwest::Response, max_bytes: u64) -> Result<Vec<u8>, NodeFailure> {
    let too_large = || NodeFailure::Error(format!("the answer is larger than {max_bytes} bytes"));
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| NodeFailure::Error(format!("the answer broke off: {}", kura_service::error::chain(&e))))?;
        if (body.len() + chunk.len()) as u64 > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The start of an error answer, for the envelope.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]);
    text.trim().to_owned()
}
