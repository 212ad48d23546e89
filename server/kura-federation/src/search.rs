//! Federated search: the same query language and facets as local search, asked of this node and
//! of every trusted peer in parallel (at most `federation_concurrency` at once), each within the
//! deadline. The ranked lists are merged by reciprocal rank fusion, facets summed, and the answer
//! names every node's status, latency and total; `partial` is true when any node did not answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kura_catalog::entity::peer;
use kura_core::Principal;
use kura_search::{SearchRequest, Sort};
use kura_service::{ServiceError, federation};
use serde::{Deserialize, Serialize};

use crate::client::{self, NodeFailure};
use crate::{Federation, MAX_HOPS};

/// Reciprocal rank fusion's constant (Cormack et al. 2009): a hit at rank r scores 1/(K + r).
const RRF_K: f64 = 60.0;

/// How a node took part in a federated query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NodeStatus {
    /// Answered in time.
    Ok,
    /// No answer within the deadline.
    Timeout,
    /// Unreachable, an error, or an answer that was malformed or too large.
    Error,
    /// The node refused the caller (or the token exchange).
    Refused,
}

/// One node's part in the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeReport {
    pub node: String,
    pub status: NodeStatus,
    /// Time until its answer (or until it was given up).
    pub latency_ms: u64,
    /// Its number of hits for the query (when it answered).
    pub total: Option<u64>,
    /// Why it did not answer.
    pub message: Option<String>,
}

/// A hit with the node that holds the dataset and the dataset's landing page there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FederatedHit {
    pub node: String,
    /// The owning node's landing page (live there: never a stale copy).
    pub landing_url: String,
    pub name: String,
    pub version: u64,
    pub state: String,
    pub title: String,
    /// Description excerpt with matches in `<b>…</b>`, HTML-escaped otherwise.
    pub snippet: String,
}

/// A facet value summed over the nodes that answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// A facet, most frequent values first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FederatedFacet {
    pub name: String,
    pub buckets: Vec<FacetCount>,
}

/// The envelope of a federated search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FederatedResults {
    /// Hits over the nodes that answered.
    pub total: u64,
    /// True when a node did not answer: the hits and counts are of the others.
    pub partial: bool,
    /// Every node asked, this one first.
    pub nodes: Vec<NodeReport>,
    pub hits: Vec<FederatedHit>,
    pub facets: Vec<FederatedFacet>,
}

/// One node's ranked answer.
struct NodeAnswer {
    report: NodeReport,
    hits: Vec<FederatedHit>,
    facets: Vec<FederatedFacet>,
}

impl Federation {
    /// Runs `request` here and, unless the request already crossed [`MAX_HOPS`] nodes, at every
    /// trusted peer, for `principal`.
    pub async fn search(
        &self,
        principal: &Principal,
        request: SearchRequest,
        hops: u32,
    ) -> Result<FederatedResults, ServiceError> {
        let (offset, limit) = (request.offset, request.limit.min(kura_service::search::MAX_LIMIT));
        // Each node ranks its own best `offset + limit`; the page is cut from the merged list.
        let wanted = SearchRequest { offset: 0, limit: offset + limit, ..request };
        let peers = if hops < MAX_HOPS { federation::trusted_peers(self.services()).await? } else { Vec::new() };
        let concurrency = self.services().config.federation_concurrency.max(1);
        // This node's part runs while the peers are asked.
        let asked = futures::stream::iter(peers)
            .map(|peer| self.peer_answer(principal, peer, &wanted, hops + 1))
            .buffered(concurrency)
            .collect::<Vec<_>>();
        let (local, remote) = tokio::join!(self.local_answer(principal, wanted.clone()), asked);
        let mut answers = vec![local?];
        answers.extend(remote);
        Ok(merge(answers, offset, limit))
    }

    async fn local_answer(&self, principal: &Principal, request: SearchRequest) -> Result<NodeAnswer, ServiceError> {
        let started = Instant::now();
        let results = kura_service::search::search(self.services(), principal, request).await?;
        let base = self.services().config.base_url();
        let hits = results
            .hits
            .into_iter()
            .map(|h| FederatedHit {
                node: self.node_id().to_owned(),
                landing_url: landing_url(&base, &h.name),
                name: h.name,
                version: h.version,
                state: h.state,
                title: h.title,
                snippet: h.snippet,
            })
            .collect();
        let facets = results
            .facets
            .into_iter()
            .map(|f| FederatedFacet {
                name: f.name,
                buckets: f.buckets.into_iter().map(|b| FacetCount { value: b.value, count: b.count }).collect(),
            })
            .collect();
        let report = NodeReport {
            node: self.node_id().to_owned(),
            status: NodeStatus::Ok,
            latency_ms: millis(started.elapsed()),
            total: Some(results.total),
            message: None,
        };
        Ok(NodeAnswer { report, hits, facets })
    }

    /// A peer's answer, or its failure: never an error of the whole search.
    async fn peer_answer(
        &self,
        principal: &Principal,
        peer: peer::Model,
        request: &SearchRequest,
        hops: u32,
    ) -> NodeAnswer {
        let started = Instant::now();
        let deadline = Duration::from_millis(self.services().config.federation_timeout_ms);
        let asked = tokio::time::timeout(deadline, self.ask_peer(principal, &peer, request, hops, deadline)).await;
        let outcome = asked.unwrap_or(Err(NodeFailure::Timeout(millis(deadline))));
        let latency_ms = millis(started.elapsed());
        match outcome {
            Ok(answer) => {
                let report = NodeReport { latency_ms, ..answer.report };
                NodeAnswer { report, ..answer }
            }
            Err(failure) => {
                let status = match failure {
                    NodeFailure::Timeout(_) => NodeStatus::Timeout,
                    NodeFailure::Refused(_) => NodeStatus::Refused,
                    NodeFailure::Error(_) => NodeStatus::Error,
                };
                tracing::warn!(peer = %peer.id, %failure, "a peer gave no answer to a federated search");
                let report =
                    NodeReport { node: peer.id, status, latency_ms, total: None, message: Some(failure.to_string()) };
                NodeAnswer { report, hits: Vec::new(), facets: Vec::new() }
            }
        }
    }

    async fn ask_peer(
        &self,
        principal: &Principal,
        peer: &peer::Model,
        request: &SearchRequest,
        hops: u32,
        deadline: Duration,
    ) -> Result<NodeAnswer, NodeFailure> {
        let token = self.token_for(principal, peer).await?;
        let url = format!("{}/api/v1/federation/search?{}", peer.base_url, query_string(request));
        let max = self.services().config.federation_max_response_bytes;
        let answer = client::get(&self.http, &url, token.as_deref(), hops, deadline, max).await?;
        let results: FederatedResults = serde_json::from_slice(&answer.bytes)
            .map_err(|e| NodeFailure::Error(format!("the answer does not parse: {e}")))?;
        let own = results.nodes.iter().find(|n| n.node == peer.id && n.status == NodeStatus::Ok);
        let total = own.and_then(|n| n.total).unwrap_or(results.total);
        // A peer speaks for its own datasets only: every hit is its own, linked on its own site.
        let hits = results
            .hits
            .into_iter()
            .take(request.limit)
            .map(|h| FederatedHit {
                node: peer.id.clone(),
                landing_url: if h.landing_url.starts_with(&format!("{}/", peer.base_url)) {
                    h.landing_url
                } else {
                    landing_url(&peer.base_url, &h.name)
                },
                ..h
            })
            .collect();
        let report = NodeReport {
            node: peer.id.clone(),
            status: NodeStatus::Ok,
            latency_ms: 0,
            total: Some(total),
            message: None,
        };
        Ok(NodeAnswer { report, hits, facets: results.facets })
    }
}

/// The landing page of dataset `name` at the node whose base URL is `base`.
fn landing_url(base: &str, name: &str) -> String {
    /// RFC 3986 path segment: everything but unreserved characters is escaped.
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    let segment = percent_encoding::utf8_percent_encode(name, SEGMENT);
    format!("{}/datasets/{segment}", base.trim_end_matches('/'))
}

/// The query parameters that ask a peer the same search.
fn query_string(request: &SearchRequest) -> String {
    let filters: Vec<String> = request.filters.iter().map(|(f, v)| format!("{f}:{v}")).collect();
    let sort = match request.sort {
        Sort::Relevance => "relevance",
        Sort::Date => "date",
    };
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("q", &request.query)
        .append_pair("sort", sort)
        .append_pair("limit", &request.limit.to_string())
        .append_pair("fuzzy", if request.fuzzy { "true" } else { "false" });
    if !filters.is_empty() {
        form.append_pair("filter", &filters.join(","));
    }
    form.finish()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Merges the nodes' ranked lists by reciprocal rank fusion (ties: this node first, then the
/// peers in the order asked), sums totals and facets, and cuts the page.
fn merge(answers: Vec<NodeAnswer>, offset: usize, limit: usize) -> FederatedResults {
    let mut scored: Vec<(f64, usize, usize, FederatedHit)> = Vec::new();
    let mut facets: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut nodes = Vec::with_capacity(answers.len());
    let mut total = 0;
    for (order, answer) in answers.into_iter().enumerate() {
        for (rank, hit) in answer.hits.into_iter().enumerate() {
            scored.push((1.0 / (RRF_K + rank as f64 + 1.0), order, rank, hit));
        }
        for facet in answer.facets {
            let buckets = facets.entry(facet.name).or_default();
            for b in facet.buckets {
                *buckets.entry(b.value).or_default() += b.count;
            }
        }
        total += answer.report.total.unwrap_or(0);
        nodes.push(answer.report);
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let hits = scored.into_iter().skip(offset).take(limit).map(|(_, _, _, hit)| hit).collect();
    let facets = facets
        .into_iter()
        .map(|(name, buckets)| {
            let mut buckets: Vec<FacetCount> =
                buckets.into_iter().map(|(value, count)| FacetCount { value, count }).collect();
            buckets.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            FederatedFacet { name, buckets }
        })
        .collect();
    let partial = nodes.iter().any(|n| n.status != NodeStatus::Ok);
    FederatedResults { total, partial, nodes, hits, facets }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(node: &str, name: &str) -> FederatedHit {
        FederatedHit {
            node: node.into(),
            landing_url: format!("http://{node}/datasets/{name}"),
            name: name.into(),
            version: 1,
            state: "published".into(),
            title: name.into(),
            snippet: String::new(),
        }
    }

    fn answer(node: &str, names: &[&str], facet: &[(&str, u64)]) -> NodeAnswer {
        NodeAnswer {
            report: NodeReport {
                node: node.into(),
                status: NodeStatus::Ok,
                latency_ms: 1,
                total: Some(names.len() as u64),
                message: None,
            },
            hits: names.iter().map(|n| hit(node, n)).collect(),
            facets: vec![FederatedFacet {
                name: "format".into(),
                buckets: facet.iter().map(|(v, c)| FacetCount { value: (*v).into(), count: *c }).collect(),
            }],
        }
    }

    #[test]
    fn lists_interleave_by_rank_facets_sum_and_a_silent_node_is_reported() {
        let down = NodeAnswer {
            report: NodeReport {
                node: "c".into(),
                status: NodeStatus::Timeout,
                latency_ms: 5000,
                total: None,
                message: Some("no answer".into()),
            },
            hits: Vec::new(),
            facets: Vec::new(),
        };
        let merged = merge(
            vec![answer("a", &["a1", "a2"], &[("csv", 2)]), answer("b", &["b1"], &[("csv", 1), ("cif", 1)]), down],
            0,
            10,
        );
        let order: Vec<&str> = merged.hits.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(order, ["a1", "b1", "a2"]);
        assert_eq!(merged.total, 3);
        assert!(merged.partial);
        assert_eq!(
            merged.nodes.iter().map(|n| (n.node.as_str(), n.status)).collect::<Vec<_>>(),
            [("a", NodeStatus::Ok), ("b", NodeStatus::Ok), ("c", NodeStatus::Timeout)]
        );
        let format = &merged.facets[0];
        assert_eq!(
            format.buckets,
            [FacetCount { value: "csv".into(), count: 3 }, FacetCount { value: "cif".into(), count: 1 }]
        );
        let page = merge(vec![answer("a", &["a1", "a2"], &[]), answer("b", &["b1"], &[])], 1, 1);
        assert_eq!(page.hits[0].name, "b1");
        assert!(!page.partial);
    }

    #[test]
    fn the_query_is_asked_again_in_the_same_words() {
        let request = SearchRequest {
            query: "title:\"x y\" & z".into(),
            filters: vec![("format".into(), "csv".into())],
            sort: Sort::Date,
            offset: 0,
            limit: 7,
            fuzzy: true,
        };
        let q = query_string(&request);
        let parsed: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        assert!(parsed.contains(&("q".into(), "title:\"x y\" & z".into())));
        assert!(parsed.contains(&("filter".into(), "format:csv".into())));
        assert!(parsed.contains(&("sort".into(), "date".into())) && parsed.contains(&("limit".into(), "7".into())));
        assert_eq!(landing_url("http://b/", "my data"), "http://b/datasets/my%20data");
    }
}
