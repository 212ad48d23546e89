//! SPARQL 1.1 queries over exactly the graphs a caller may see, with a time limit and a result
//! limit. The default graph is the union of the visible graphs; `FROM`, `FROM NAMED` and the
//! protocol's `default-graph-uri` / `named-graph-uri` can only narrow that set: a graph the
//! caller may not see is as empty as one that does not exist. `SERVICE` reaches the SPARQL
//! endpoints of trusted peers only (see [`crate::service`]), within the same limits. There is no
//! update.

use std::sync::Arc;
use std::time::Duration;

use kura_core::access::Subject;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};

use crate::service::{Calls, Remote};
use crate::store::{RdfStore, named};

/// What a query answers with, which decides the result formats on offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `SELECT`: a table of solutions.
    Solutions,
    /// `ASK`: true or false.
    Boolean,
    /// `CONSTRUCT` and `DESCRIBE`: triples.
    Graph,
}

/// A serialization of query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    Json,
    Xml,
    Csv,
    Tsv,
    Turtle,
    NTriples,
    RdfXml,
}

/// Offered media types per form, the first being the default.
const SOLUTION_TYPES: &[(&str, ResultFormat)] = &[
    ("application/sparql-results+json", ResultFormat::Json),
    ("application/sparql-results+xml", ResultFormat::Xml),
    ("text/csv", ResultFormat::Csv),
    ("text/tab-separated-values", ResultFormat::Tsv),
    ("application/json", ResultFormat::Json),
    ("application/xml", ResultFormat::Xml),
    ("text/xml", ResultFormat::Xml),
];
const BOOLEAN_TYPES: &[(&str, ResultFormat)] = &[
    ("application/sparql-results+json", ResultFormat::Json),
    ("application/sparql-results+xml", ResultFormat::Xml),
    ("application/json", ResultFormat::Json),
    ("application/xml", ResultFormat::Xml),
    ("text/xml", ResultFormat::Xml),
];
const GRAPH_TYPES: &[(&str, ResultFormat)] = &[
    ("text/turtle", ResultFormat::Turtle),
    ("application/n-triples", ResultFormat::NTriples),
    ("application/rdf+xml", ResultFormat::RdfXml),
];

impl ResultFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            ResultFormat::Json => "application/sparql-results+json",
            ResultFormat::Xml => "application/sparql-results+xml",
            ResultFormat::Csv => "text/csv; charset=utf-8",
            ResultFormat::Tsv => "text/tab-separated-values; charset=utf-8",
            ResultFormat::Turtle => "text/turtle; charset=utf-8",
            ResultFormat::NTriples => "application/n-triples",
            ResultFormat::RdfXml => "application/rdf+xml",
        }
    }

    /// The `format` request parameter (`json`, `xml`, `csv`, `tsv`, `ttl`, `nt`, `rdfxml`) or a
    /// full media type, if it fits `form`.
    pub fn from_param(form: Form, value: &str) -> Option<ResultFormat> {
        let format = match value.trim().to_ascii_lowercase().as_str() {
            "json" => ResultFormat::Json,
            "xml" => ResultFormat::Xml,
            "csv" => ResultFormat::Csv,
            "tsv" => ResultFormat::Tsv,
            "ttl" | "turtle" => ResultFormat::Turtle,
            "nt" | "ntriples" | "n-triples" => ResultFormat::NTriples,
            "rdf" | "rdfxml" | "rdf+xml" => ResultFormat::RdfXml,
            media => offered(form).iter().find(|(t, _)| *t == media).map(|(_, f)| *f)?,
        };
        offered(form).iter().any(|(_, f)| *f == format).then_some(format)
    }

    /// The best offered format for an `Accept` header (q-values and wildcards); none or an
    /// empty header means the form's default.
    pub fn negotiate(form: Form, accept: Option<&str>) -> Option<ResultFormat> {
        kura_core::negotiate::negotiate(accept, offered(form))
    }
}

/// The media types offered for `form`, for a 406 answer.
pub fn offered(form: Form) -> &'static [(&'static str, ResultFormat)] {
    match form {
        Form::Solutions => SOLUTION_TYPES,
        Form::Boolean => BOOLEAN_TYPES,
        Form::Graph => GRAPH_TYPES,
    }
}

/// Bounds on one query.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Evaluation is cancelled after this long.
    pub timeout: Duration,
    /// Most solutions (or triples) in one answer; more is an error asking for `LIMIT`.
    pub max_results: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(10), max_results: 100_000 }
    }
}

/// Why a query has no answer.
#[derive(Debug, thiserror::Error)]
pub enum SparqlError {
    #[error("SPARQL syntax error: {0}")]
    Syntax(String),
    #[error("not a graph IRI: {0}")]
    BadGraph(String),
    #[error("the query ran longer than the limit of {0:?} and was stopped")]
    Timeout(Duration),
    #[error("the query has more than {0} results; add LIMIT or narrow it")]
    TooManyResults(usize),
    #[error("query evaluation failed: {0}")]
    Evaluation(String),
    #[error("SERVICE <{0}> is not a trusted peer's SPARQL endpoint")]
    UntrustedService(String),
    #[error("SERVICE is refused: {0}")]
    ServiceRefused(String),
    #[error("SERVICE <{0}> gave no answer within the query's time limit")]
    ServiceTimeout(String),
    #[error("SERVICE <{iri}> has more than {max} results; add LIMIT inside the SERVICE or narrow it")]
    ServiceTooManyResults { iri: String, max: usize },
    #[error("SERVICE <{iri}> failed: {reason}")]
    ServiceFailed { iri: String, reason: String },
}

impl kura_core::HasErrorCode for SparqlError {
    fn code(&self) -> kura_core::ErrorCode {
        match self {
            SparqlError::Syntax(_)
            | SparqlError::BadGraph(_)
            | SparqlError::TooManyResults(_)
            | SparqlError::Evaluation(_)
            | SparqlError::UntrustedService(_)
            | SparqlError::ServiceRefused(_)
            | SparqlError::ServiceTooManyResults { .. } => kura_core::ErrorCode::BadRequest,
            SparqlError::Timeout(_) | SparqlError::ServiceTimeout(_) | SparqlError::ServiceFailed { .. } => {
                kura_core::ErrorCode::Unavailable
            }
        }
    }
}

/// A parsed query with the graphs it asks for (by `FROM`/`FROM NAMED` or the protocol).
#[derive(Debug, Clone)]
pub struct ParsedQuery {
    pub(crate) query: spargebra::Query,
    default_graphs: Option<Vec<NamedNode>>,
    named_graphs: Option<Vec<NamedNode>>,
}

impl ParsedQuery {
    /// Parses `text`; non-empty `default_graph_uris` / `named_graph_uris` (the protocol
    /// parameters) replace the query's own `FROM` / `FROM NAMED`, as SPARQL 1.1 Protocol says.
    pub fn parse(
        text: &str,
        base_iri: Option<&str>,
        default_graph_uris: &[String],
        named_graph_uris: &[String],
    ) -> Result<ParsedQuery, SparqlError> {
        let mut parser = spargebra::SparqlParser::new();
        if let Some(base) = base_iri {
            parser = parser.with_base_iri(base).map_err(|e| SparqlError::Syntax(e.to_string()))?;
        }
        let mut query = parser.parse_query(text).map_err(|e| SparqlError::Syntax(e.to_string()))?;
        let dataset = match &mut query {
            spargebra::Query::Select { dataset, .. }
            | spargebra::Query::Construct { dataset, .. }
            | spargebra::Query::Describe { dataset, .. }
            | spargebra::Query::Ask { dataset, .. } => dataset.take(),
        };
        let iris = |uris: &[String]| -> Result<Vec<NamedNode>, SparqlError> {
            uris.iter().map(|u| NamedNode::new(u.as_str()).map_err(|_| SparqlError::BadGraph(u.clone()))).collect()
        };
        let (mut default_graphs, mut named_graphs) = match dataset {
            Some(d) => (Some(d.default), d.named),
            None => (None, None),
        };
        if !default_graph_uris.is_empty() || !named_graph_uris.is_empty() {
            default_graphs = Some(iris(default_graph_uris)?).filter(|g| !g.is_empty());
            named_graphs = Some(iris(named_graph_uris)?).filter(|g| !g.is_empty());
        }
        Ok(ParsedQuery { query, default_graphs, named_graphs })
    }

    pub fn form(&self) -> Form {
        match self.query {
            spargebra::Query::Select { .. } => Form::Solutions,
            spargebra::Query::Ask { .. } => Form::Boolean,
            spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. } => Form::Graph,
        }
    }
}

/// Evaluates `query` for `subject` over the graphs it may see and serializes the answer in
/// `format`, within `limits`, on a blocking thread. At the deadline the caller gets its answer
/// at once and the evaluation is cancelled; oxigraph notices the cancellation when it next reads
/// the store, which a large cross product may not do for a while, so evaluations hold one of the
/// store's few permits until they really end: runaway queries cannot pile up. A query calling a
/// SERVICE that `remote` does not allow is refused before anything is evaluated.
pub async fn run(
    store: Arc<RdfStore>,
    subject: Subject,
    query: ParsedQuery,
    format: ResultFormat,
    limits: Limits,
    remote: Remote,
) -> Result<Vec<u8>, SparqlError> {
    remote.admit(&query)?;
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let calls = remote.handler(tokio::runtime::Handle::current(), deadline, limits.timeout, limits.max_results);
    let permit = tokio::time::timeout_at(deadline, store.evaluations().acquire_owned())
        .await
        .map_err(|_| SparqlError::Timeout(limits.timeout))?
        .map_err(|_| SparqlError::Evaluation("the SPARQL store is shutting down".into()))?;
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let max = limits.max_results;
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        evaluate(&store, &subject, query, format, max, token, calls)
    });
    match tokio::time::timeout_at(deadline, work).await {
        Ok(joined) => joined.map_err(|e| SparqlError::Evaluation(format!("query task failed: {e}")))?,
        Err(_) => {
            cancel.cancel();
            Err(SparqlError::Timeout(limits.timeout))
        }
    }
}

/// The synchronous core of [`run`].
fn evaluate(
    store: &RdfStore,
    subject: &Subject,
    query: ParsedQuery,
    format: ResultFormat,
    max_results: usize,
    cancel: CancellationToken,
    calls: Calls,
) -> Result<Vec<u8>, SparqlError> {
    let ParsedQuery { query, default_graphs, named_graphs } = query;
    let bound = store.visible(subject, |scope| {
        let mut prepared =
            SparqlEvaluator::new().with_cancellation_token(cancel).with_default_service_handler(calls).for_query(query);
        // Graphs asked for by name are kept only when visible; with no list, everything in the
        // scope's store is visible.
        let keep = |asked: Vec<NamedNode>| -> Vec<NamedNode> {
            match &scope.graphs {
                Some(visible) => asked.into_iter().filter(|g| visible.binary_search(g).is_ok()).collect(),
                None => asked.into_iter().filter(|g| scope.store.contains_named_graph(g).unwrap_or(false)).collect(),
            }
        };
        let dataset = prepared.dataset_mut();
        match (default_graphs, &scope.graphs) {
            (Some(asked), _) => dataset.set_default_graph(keep(asked).into_iter().map(GraphName::NamedNode).collect()),
            (None, Some(visible)) => {
                dataset.set_default_graph(visible.iter().cloned().map(GraphName::NamedNode).collect())
            }
            (None, None) => dataset.set_default_graph_as_union(),
        }
        match (named_graphs, &scope.graphs) {
            (Some(asked), _) => dataset.set_available_named_graphs(named(&keep(asked))),
            (None, Some(visible)) => dataset.set_available_named_graphs(named(visible)),
            (None, None) => {}
        }
        prepared.on_store(scope.store)
    });
    let results = bound.execute().map_err(evaluation)?;
    let mut out = Vec::new();
    match results {
        QueryResults::Solutions(solutions) => {
            let serializer = QueryResultsSerializer::from_format(results_format(format)?);
            let mut writer =
                serializer.serialize_solutions_to_writer(&mut out, solutions.variables().to_vec()).map_err(io)?;
            for (n, solution) in solutions.enumerate() {
                if n == max_results {
                    return Err(SparqlError::TooManyResults(max_results));
                }
                writer.serialize(&solution.map_err(evaluation)?).map_err(io)?;
            }
            writer.finish().map_err(io)?;
        }
        QueryResults::Boolean(value) => {
            let serializer = QueryResultsSerializer::from_format(results_format(format)?);
            serializer.serialize_boolean_to_writer(&mut out, value).map_err(io)?;
        }
        QueryResults::Graph(triples) => {
            let rdf = match format {
                ResultFormat::Turtle => RdfFormat::Turtle,
                ResultFormat::NTriples => RdfFormat::NTriples,
                ResultFormat::RdfXml => RdfFormat::RdfXml,
                other => return Err(SparqlError::Evaluation(format!("{other:?} is not a graph format"))),
            };
            let mut writer = RdfSerializer::from_format(rdf).for_writer(&mut out);
            for (n, triple) in triples.enumerate() {
                if n == max_results {
                    return Err(SparqlError::TooManyResults(max_results));
                }
                writer.serialize_triple(&triple.map_err(evaluation)?).map_err(io)?;
            }
            writer.finish().map_err(io)?;
        }
    }
    Ok(out)
}

fn results_format(format: ResultFormat) -> Result<QueryResultsFormat, SparqlError> {
    Ok(match format {
        ResultFormat::Json => QueryResultsFormat::Json,
        ResultFormat::Xml => QueryResultsFormat::Xml,
        ResultFormat::Csv => QueryResultsFormat::Csv,
        ResultFormat::Tsv => QueryResultsFormat::Tsv,
        other => return Err(SparqlError::Evaluation(format!("{other:?} is not a results format"))),
    })
}

/// A SERVICE call's own error comes back as itself.
fn evaluation(e: QueryEvaluationError) -> SparqlError {
    match e {
        QueryEvaluationError::Service(inner) => match inner.downcast::<SparqlError>() {
            Ok(own) => *own,
            Err(other) => SparqlError::Evaluation(other.to_string()),
        },
        e => SparqlError::Evaluation(e.to_string()),
    }
}

fn io(e: std::io::Error) -> SparqlError {
    SparqlError::Evaluation(format!("cannot write results: {e}"))
}

/// The SPARQL 1.1 Service Description of the endpoint at `endpoint`, in Turtle.
pub fn service_description(endpoint: &str) -> String {
    let formats = [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
    ]
    .map(|f| format!("<http://www.w3.org/ns/formats/{f}>"))
    .join(", ");
    format!(
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\
         @prefix dct: <http://purl.org/dc/terms/> .\n\n\
         <{endpoint}> a sd:Service ;\n\
         \x20   sd:endpoint <{endpoint}> ;\n\
         \x20   sd:supportedLanguage sd:SPARQL11Query ;\n\
         \x20   sd:resultFormat {formats} ;\n\
         \x20   sd:feature sd:UnionDefaultGraph ;\n\
         \x20   dct:description \"Read-only SPARQL 1.1 over the DCAT-AP descriptions of the published dataset versions the caller may see: one named graph per version (named by its PID URL), the default graph their union.\"@en ;\n\
         \x20   sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_formats_are_negotiated_with_q_values() {
        let pick = |form, accept| ResultFormat::negotiate(form, Some(accept));
        assert_eq!(ResultFormat::negotiate(Form::Solutions, None), Some(ResultFormat::Json));
        assert_eq!(pick(Form::Solutions, "text/csv;q=0.5, application/sparql-results+xml"), Some(ResultFormat::Xml));
        assert_eq!(pick(Form::Solutions, "text/*"), Some(ResultFormat::Csv));
        assert_eq!(pick(Form::Graph, "*/*"), Some(ResultFormat::Turtle));
        // q=0 refuses a format even beside a wildcard.
        assert_eq!(pick(Form::Graph, "text/turtle;q=0, */*"), Some(ResultFormat::NTriples));
        assert_eq!(pick(Form::Boolean, "text/csv"), None);
    }
}
