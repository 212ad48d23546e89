//! Queries: the user's query language, the caller's visibility filter inside the index query,
//! facets counted over exactly the visible hits, snippets, and suggestions.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, Bm25StatisticsProvider, BooleanQuery, Occur, Query, RegexQuery, TermSetQuery};
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, TantivyDocument, Term};

use crate::schema::f;
use crate::{SearchError, SearchIndex};

mod parser;
mod stats;

pub(crate) use stats::StatsCache;

/// Facets counted for every search.
pub const FACETS: [(&str, &str); 10] = [
    ("access", f::ACCESS),
    ("license", f::LICENSE),
    ("format", f::FORMAT),
    ("subject", f::SUBJECT),
    ("keyword", f::KEYWORD),
    ("group", f::GROUP),
    ("organization", f::ORGANIZATION),
    ("creator", f::CREATOR_FACET),
    ("year", f::YEAR),
    ("unit", f::UNIT),
];

/// Who is searching, as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Sees everything (platform admins).
    Everything,
    /// Sees documents carrying any of these tokens (`public`, `group:<id>`).
    Tokens(Vec<String>),
}

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    /// Newest publication first.
    Date,
}

impl Sort {
    /// Reads `relevance` or `date` as a caller wrote it; none is relevance.
    pub fn parse(text: Option<&str>) -> Result<Sort, crate::SearchError> {
        match text {
            None | Some("relevance") => Ok(Sort::Relevance),
            Some("date") => Ok(Sort::Date),
            Some(other) => {
                Err(crate::SearchError::InvalidQuery(format!("unknown sort {other:?}: use relevance or date")))
            }
        }
    }
}

/// Reads facet filters written as comma-separated `facet:value` (`format:csv,license:CC-BY-4.0`).
pub fn parse_filters(text: &str) -> Result<Vec<(String, String)>, crate::SearchError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (facet, value) = item
                .split_once(':')
                .ok_or_else(|| crate::SearchError::InvalidQuery(format!("filter {item:?} is not facet:value")))?;
            Ok((facet.to_owned(), value.to_owned()))
        })
        .collect()
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The query: free text, `"phrases"`, `field:value` (`creator:`, `unit:`, `format:`,
    /// `keyword:`, `subject:`, `license:`, `access:`, `year:`), `published:[A TO B]`; empty for all.
    pub query: String,
    /// Extra exact filters, facet name → value (from clicking a facet).
    pub filters: Vec<(String, String)>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Allow one typo per word in titles and descriptions.
    pub fuzzy: bool,
}

/// One hit. No score: hits come best first, and a number would only invite comparing searches.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub name: String,
    pub version: u64,
    pub state: String,
    pub title: String,
    /// Description excerpt with matches in `<b>…</b>` (HTML-escaped otherwise).
    pub snippet: String,
}

/// A facet value and how many visible hits have it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacetBucket {
    pub value: String,
    pub count: u64,
}

/// One facet's buckets, most frequent first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Facet {
    pub name: String,
    pub buckets: Vec<FacetBucket>,
}

/// What a search returns.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Vec<Facet>,
}

impl SearchIndex {
    fn f(&self, name: &str) -> Field {
        self.schema.get_field(name).expect("field in schema")
    }

    /// The caller's filter: one more required clause of the index query.
    fn visibility_clause(&self, viewer: &Viewer) -> Option<Box<dyn Query>> {
        match viewer {
            Viewer::Everything => None,
            Viewer::Tokens(tokens) => {
                let field = self.f(f::VISIBILITY);
                Some(Box::new(TermSetQuery::new(tokens.iter().map(|t| Term::from_field_text(field, t)))))
            }
        }
    }

    fn build_query(&self, request: &SearchRequest, viewer: &Viewer) -> Result<Box<dyn Query>, SearchError> {
        let user: Box<dyn Query> = if request.query.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            parser::query_parser(&self.index, request.fuzzy).parse_query(&request.query)?
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, user)];
        for (facet, value) in &request.filters {
            let field = FACETS
                .iter()
                .find(|(name, _)| name == facet)
                .map(|(_, field)| self.f(field))
                .ok_or_else(|| SearchError::InvalidQuery(format!("unknown facet {facet:?}")))?;
            clauses.push((Occur::Must, Box::new(TermSetQuery::new([Term::from_field_text(field, value)]))));
        }
        if let Some(visible) = self.visibility_clause(viewer) {
            clauses.push((Occur::Must, visible));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// Runs a search for `viewer`. Relevance is computed with statistics over the viewer's
    /// visible documents only, so what they cannot see never moves what they can.
    pub fn search(&self, request: &SearchRequest, viewer: &Viewer) -> Result<SearchResults, SearchError> {
        let query = self.build_query(request, viewer)?;
        let searcher = self.reader.searcher();
        let visible_stats = match (viewer, self.visibility_clause(viewer)) {
            (Viewer::Tokens(tokens), Some(filter)) => {
                let base = self.stats_cache.base(&searcher, tokens, filter.as_ref())?;
                Some(stats::VisibleStatistics::new(&searcher, base))
            }
            _ => None,
        };
        let stats: &dyn Bm25StatisticsProvider = match &visible_stats {
            Some(visible) => visible,
            None => &searcher,
        };
        let limit = request.limit.clamp(1, 1000);
        let aggs: Aggregations = serde_json::from_value(serde_json::Value::Object(
            FACETS
                .iter()
                .map(|(name, field)| (name.to_string(), serde_json::json!({"terms": {"field": field, "size": 20}})))
                .collect(),
        ))
        .map_err(|e| SearchError::InvalidQuery(e.to_string()))?;
        let context = AggContextParams::new(AggregationLimitsGuard::default(), self.index.tokenizers().clone());
        let collector_aggs = AggregationCollector::from_aggs(aggs, context);
        match request.sort {
            Sort::Relevance => {
                let top = TopDocs::with_limit(limit).and_offset(request.offset).order_by_score();
                let (top, counts) =
                    searcher.search_with_statistics_provider(&query, &(top, (Count, collector_aggs)), stats)?;
                let addresses = top.into_iter().map(|(_, address)| address).collect();
                self.finish(&searcher, stats, &query, addresses, counts)
            }
            Sort::Date => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(request.offset)
                    .order_by_fast_field::<tantivy::DateTime>(f::PUBLISHED, Order::Desc);
                let (top, counts) = searcher.search(&query, &(top, (Count, collector_aggs)))?;
                let addresses = top.into_iter().map(|(_, address)| address).collect();
                self.finish(&searcher, stats, &query, addresses, counts)
            }
        }
    }

    /// Snippets of the description weighing each query term by its rarity among `stats`' documents
    /// (tantivy's `SnippetGenerator::create` would weigh it over the whole index).
    fn snippets(
        &self,
        searcher: &tantivy::Searcher,
        stats: &dyn Bm25StatisticsProvider,
        query: &dyn Query,
    ) -> Result<SnippetGenerator, SearchError> {
        let field = self.f(f::DESCRIPTION);
        let mut terms: BTreeSet<Term> = BTreeSet::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field {
                terms.insert(term.clone());
            }
        });
        let mut weights = BTreeMap::new();
        for term in terms {
            let Some(text) = term.value().as_str().map(str::to_owned) else { continue };
            let doc_freq = stats.doc_freq(&term)?;
            if doc_freq > 0 {
                weights.insert(text, 1.0 / (1.0 + doc_freq as f32));
            }
        }
        let tokenizer = searcher.index().tokenizer_for_field(field)?;
        Ok(SnippetGenerator::new(weights, tokenizer, field, 200))
    }

    fn finish(
        &self,
        searcher: &tantivy::Searcher,
        stats: &dyn Bm25StatisticsProvider,
        query: &dyn Query,
        top: Vec<DocAddress>,
        (total, aggs): (usize, AggregationResults),
    ) -> Result<SearchResults, SearchError> {
        let snippets = self.snippets(searcher, stats, query)?;
        let mut hits = Vec::with_capacity(top.len());
        for address in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |name: &str| doc.get_first(self.f(name)).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let snippet = snippets.snippet_from_doc(&doc);
            let snippet = if snippet.is_empty() {
                html_escape(&text(f::DESCRIPTION).chars().take(200).collect::<String>())
            } else {
                snippet.to_html()
            };
            hits.push(Hit {
                name: text(f::NAME),
                version: doc.get_first(self.f(f::VERSION)).and_then(|v| v.as_u64()).unwrap_or_default(),
                state: text(f::STATE),
                title: text(f::TITLE),
                snippet,
            });
        }
        Ok(SearchResults { total: total as u64, hits, facets: facets_from(aggs) })
    }

    /// Titles starting with what the user typed so far, among what `viewer` may see.
    pub fn suggest(&self, prefix: &str, viewer: &Viewer, limit: usize) -> Result<Vec<String>, SearchError> {
        let word = prefix.split_whitespace().last().unwrap_or("").to_lowercase();
        if word.is_empty() || word.chars().count() > 50 {
            return Ok(Vec::new());
        }
        let escaped: String =
            word.chars().flat_map(|c| if c.is_alphanumeric() { vec![c] } else { vec!['\\', c] }).collect();
        let regex = RegexQuery::from_pattern(&format!("{escaped}.*"), self.f(f::TITLE))?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(regex))];
        if let Some(visible) = self.visibility_clause(viewer) {
            clauses.push((Occur::Must, visible));
        }
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.clamp(1, 50) * 3).order_by_score())?;
        let mut titles: Vec<String> = Vec::new();
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(title) = doc.get_first(self.f(f::TITLE)).and_then(|v| v.as_str())
                && !titles.iter().any(|t| t == title)
            {
                titles.push(title.to_owned());
            }
            if titles.len() >= limit {
                break;
            }
        }
        Ok(titles)
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn facets_from(aggs: AggregationResults) -> Vec<Facet> {
    let json = serde_json::to_value(&aggs).unwrap_or_default();
    let mut by_name: BTreeMap<usize, Facet> = BTreeMap::new();
    for (position, (name, _)) in FACETS.iter().enumerate() {
        let buckets = json[name]["buckets"]
            .as_array()
            .map(|b| {
                b.iter()
                    .filter_map(|b| {
                        let value = match &b["key"] {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        Some(FacetBucket { value, count: b["doc_count"].as_u64()? })
                    })
                    .collect()
            })
            .unwrap_or_default();
        by_name.insert(position, Facet { name: (*name).to_owned(), buckets });
    }
    by_name.into_values().collect()
}

#[cfg(test)]
mod tests;
