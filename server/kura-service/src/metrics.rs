//! The process's metrics in the Prometheus/OpenMetrics text format: counters the transports
//! feed as they answer (HTTP requests and latencies, Flight bytes), and gauges read from the
//! catalog and the projections when scraped (ingest jobs per state, outbox lag per projection).
//!
//! Labels hold only route templates, methods, status classes, job states and projection names:
//! a fixed, small set of series whatever the traffic, and nothing about any dataset, so the
//! endpoint can answer without authentication.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::{ServiceError, Services};

/// Labels of one series.
type Labels = Vec<(&'static str, String)>;

/// The media type of [`render`]'s text (Prometheus asks for it and reads it).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Latency buckets in seconds: 1 ms to about 65 s, doubling.
fn latency_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 17))
}

/// Every series of the process; cheap to clone (the series are shared).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    http_requests: Family<Labels, Counter>,
    http_duration: Family<Labels, Histogram, fn() -> Histogram>,
    flight_bytes: Counter,
    ingest_jobs: Family<Labels, Gauge>,
    outbox_lag: Family<Labels, Gauge>,
    outbox_head: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every Kura series (prefix `kura_`).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kura");
        let http_requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            http_requests.clone(),
        );
        let http_duration = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_buckets);
        registry.register_with_unit(
            "http_request_duration",
            "Time to the response head, by method, route template and status class",
            Unit::Seconds,
            http_duration.clone(),
        );
        let flight_bytes = Counter::default();
        registry.register_with_unit(
            "flight_sent",
            "Bytes of Arrow Flight DoGet responses (framing and data) handed to HTTP/2",
            Unit::Bytes,
            flight_bytes.clone(),
        );
        let ingest_jobs = Family::<Labels, Gauge>::default();
        registry.register(
            "ingest_jobs",
            "Ingest jobs in the catalog by state (queued and running are the queue)",
            ingest_jobs.clone(),
        );
        let outbox_lag = Family::<Labels, Gauge>::default();
        registry.register(
            "outbox_lag_events",
            "Outbox events this process's projection has not applied yet",
            outbox_lag.clone(),
        );
        let outbox_head = Gauge::default();
        registry.register("outbox_head", "Id of the newest outbox event", outbox_head.clone());
        Metrics {
            registry: Arc::new(registry),
            http_requests,
            http_duration,
            flight_bytes,
            ingest_jobs,
            outbox_lag,
            outbox_head,
        }
    }

    /// Counts one HTTP answer. `route` is the route template (`/api/v1/datasets/{name}`), never
    /// the path itself, so ids and names do not become series.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = vec![
            ("method", method_label(method).to_owned()),
            ("route", route.to_owned()),
            ("status", status_class(status).to_owned()),
        ];
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration.get_or_create(&labels).observe(took.as_secs_f64());
    }

    /// Counts bytes of a Flight DoGet answer as they leave for the client.
    pub fn flight_bytes_sent(&self, bytes: u64) {
        self.flight_bytes.inc_by(bytes);
    }
}

/// Known methods by name, anything else as `other` (a client may send any token as a method).
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The exposition text: the counters as they stand and the gauges read now.
pub async fn render(svc: &Services) -> Result<String, ServiceError> {
    let metrics = &svc.metrics;
    for (state, n) in svc.catalog.job_counts().await? {
        metrics.ingest_jobs.get_or_create(&vec![("state", state.as_str().to_owned())]).set(n);
    }
    let lags = crate::ops::projection_lags(svc).await?;
    metrics.outbox_head.set(lags.head);
    for lag in &lags.projections {
        metrics.outbox_lag.get_or_create(&vec![("projection", lag.name.to_owned())]).set(lag.lag);
    }
    let mut text = String::new();
    encode(&mut text, &metrics.registry).map_err(|e| ServiceError::internal(format!("cannot encode metrics: {e}")))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_labelled_by_template_method_and_status_class() {
        let metrics = Metrics::new();
        metrics.http_request("GET", "/api/v1/datasets/{name}", 200, Duration::from_millis(3));
        metrics.http_request("GET", "/api/v1/datasets/{name}", 204, Duration::from_millis(3));
        metrics.http_request("BREW", "/api/v1/datasets/{name}", 404, Duration::from_millis(3));
        metrics.flight_bytes_sent(1234);
        let mut text = String::new();
        encode(&mut text, &metrics.registry).unwrap();
        assert!(
            text.contains(r#"kura_http_requests_total{method="GET",route="/api/v1/datasets/{name}",status="2xx"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"method="other""#), "{text}");
        assert!(text.contains("kura_flight_sent_bytes_total 1234"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
