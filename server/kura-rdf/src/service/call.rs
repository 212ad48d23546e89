//! One SERVICE call: the allow-list checked again, the caller's token, a SELECT posted with the
//! SPARQL Protocol, the answer read up to a byte limit and parsed up to the result limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxigraph::model::NamedNode;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput};
use oxigraph::sparql::{DefaultServiceHandler, QuerySolution, QuerySolutionIter, Variable};
use oxiri::Iri;
use spargebra::algebra::GraphPattern;
use tokio::runtime::Handle;
use tokio::time::Instant;

use super::{Allowed, HOPS_HEADER, MAX_ANSWER_BYTES, MAX_CALLS, Remote};
use crate::sparql::SparqlError;

/// Oxigraph's SERVICE handler for one evaluation (which runs on a blocking thread: each call
/// blocks on `runtime` until its answer or the deadline).
pub(crate) struct Calls {
    remote: Remote,
    runtime: Handle,
    deadline: Instant,
    max_results: usize,
    /// Calls made so far (a SERVICE on the right of a join may be called once per solution).
    made: AtomicUsize,
}

impl Calls {
    pub(super) fn new(remote: Remote, runtime: Handle, deadline: Instant, max_results: usize) -> Calls {
        Calls { remote, runtime, deadline, max_results, made: AtomicUsize::new(0) }
    }
}

impl DefaultServiceHandler for Calls {
    type Error = SparqlError;

    fn handle(
        &self,
        service_name: &NamedNode,
        pattern: &GraphPattern,
        base_iri: Option<&Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, SparqlError> {
        self.remote.check(service_name)?;
        let Allowed::Endpoints { http, credentials, .. } = &self.remote.allowed else {
            return Err(SparqlError::UntrustedService(service_name.as_str().to_owned()));
        };
        if self.made.fetch_add(1, Ordering::Relaxed) >= MAX_CALLS {
            return Err(SparqlError::ServiceRefused(format!(
                "a query makes at most {MAX_CALLS} SERVICE calls; move the SERVICE out of OPTIONAL, MINUS or EXISTS"
            )));
        }
        let iri = service_name.as_str();
        // One more than the limit: an answer that has it is too large.
        let query = spargebra::Query::Select {
            dataset: None,
            pattern: GraphPattern::Slice {
                inner: Box::new(pattern.clone()),
                start: 0,
                length: Some(self.max_results.saturating_add(1)),
            },
            base_iri: base_iri.cloned(),
        }
        .to_string();
        let call = async {
            let token = credentials.bearer(iri).await.map_err(|reason| failed(iri, reason))?;
            post(http, iri, &query, token.as_deref(), self.remote.hops).await
        };
        let (content_type, body) = self
            .runtime
            .block_on(async { tokio::time::timeout_at(self.deadline, call).await })
            .map_err(|_| SparqlError::ServiceTimeout(iri.to_owned()))??;
        let (variables, solutions) = parse_solutions(iri, content_type.as_deref(), &body, self.max_results)?;
        Ok(QuerySolutionIter::new(variables, solutions.into_iter().map(Ok)))
    }
}

fn failed(iri: &str, reason: impl Into<String>) -> SparqlError {
    SparqlError::ServiceFailed { iri: iri.to_owned(), reason: reason.into() }
}

/// POSTs `query` (SPARQL Protocol, a form) to `iri`; the answer's media type and body.
async fn post(
    http: &reqwest::Client,
    iri: &str,
    query: &str,
    bearer: Option<&str>,
    hops: u32,
) -> Result<(Option<String>, Vec<u8>), SparqlError> {
    let form = form_urlencoded::Serializer::new(String::new()).append_pair("query", query).finish();
    let mut request = http
        .post(iri)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(reqwest::header::ACCEPT, "application/sparql-results+json")
        .header(HOPS_HEADER, hops.to_string())
        .body(form);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let mut response = request.send().await.map_err(|e| {
        tracing::warn!(service = iri, error = %e, "SERVICE call failed");
        failed(iri, "the peer is unreachable")
    })?;
    let status = response.status();
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let too_large = || failed(iri, format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"));
    if response.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| failed(iri, "the answer broke off"))? {
        if (body.len() + chunk.len()) as u64 > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        // A peer's 4xx message is written for its callers; anything else is only logged.
        let excerpt = String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned();
        tracing::warn!(service = iri, %status, answer = %excerpt, "SERVICE call refused");
        return Err(if status.is_client_error() {
            failed(iri, format!("the peer answered {status}: {excerpt}"))
        } else {
            failed(iri, format!("the peer answered {status}"))
        });
    }
    Ok((content_type, body))
}

/// The solutions of a SPARQL results document (JSON, or XML if the peer says so), at most `max`.
pub(crate) fn parse_solutions(
    iri: &str,
    content_type: Option<&str>,
    body: &[u8],
    max: usize,
) -> Result<(Arc<[Variable]>, Vec<QuerySolution>), SparqlError> {
    let format = content_type.and_then(QueryResultsFormat::from_media_type).unwrap_or(QueryResultsFormat::Json);
    if !matches!(format, QueryResultsFormat::Json | QueryResultsFormat::Xml) {
        return Err(failed(iri, format!("the answer is {format}, not SPARQL results in JSON or XML")));
    }
    let parsed = QueryResultsParser::from_format(format)
        .for_slice(body)
        .map_err(|e| failed(iri, format!("the answer is not SPARQL results: {e}")))?;
    let SliceQueryResultsParserOutput::Solutions(solutions) = parsed else {
        return Err(failed(iri, "the answer is a boolean, not solutions"));
    };
    let variables: Arc<[Variable]> = solutions.variables().into();
    let mut out = Vec::new();
    for solution in solutions {
        if out.len() == max {
            return Err(SparqlError::ServiceTooManyResults { iri: iri.to_owned(), max });
        }
        out.push(solution.map_err(|e| failed(iri, format!("the answer is not SPARQL results: {e}")))?);
    }
    Ok((variables, out))
}
