"""The operations endpoints as a scraper and a probe see them: `/metrics` read by the official
Prometheus client's strict OpenMetrics parser (the format Prometheus negotiates), after HTTP
requests and a Flight DoGet; `/livez` and `/readyz` without credentials."""

import pyarrow.flight as flight
import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families


def scrape(server) -> dict:
    r = requests.get(f"{server.base}/metrics", timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    # Strict: a malformed line, a missing `# EOF`, a counter without `_total` all raise.
    return {family.name: family for family in text_string_to_metric_families(r.text)}


def value(families, name, sample, **labels) -> float:
    for s in families[name].samples:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise AssertionError(f"no {sample} {labels} in {families[name].samples}")


def test_probes_answer_without_credentials(server):
    assert requests.get(f"{server.base}/livez", timeout=10).status_code == 200
    ready = requests.get(f"{server.base}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["ready"] is True
    assert {c["name"] for c in body["checks"]} == {"catalog", "schema", "search", "rdf"}


def test_metrics_parse_strictly_and_count_routes_flight_bytes_and_jobs(server):
    route = "/api/v1/datasets/{name}"
    before = scrape(server)
    base = "/datasets/demo-thermal-log"
    for _ in range(3):
        assert requests.get(server.url(base), timeout=10).status_code == 200

    c = flight.FlightClient(server.flight)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {server.token}".encode())])
    info = c.get_flight_info(flight.FlightDescriptor.for_path("demo-thermal-log", "latest", "thermal-log"), options)
    rows = sum(c.do_get(e.ticket, options).read_all().num_rows for e in info.endpoints)
    assert rows == 9

    after = scrape(server)
    labels = {"method": "GET", "route": route, "status": "2xx"}
    counted = value(after, "kura_http_requests", "kura_http_requests_total", **labels)
    if "kura_http_requests" in before:
        try:
            counted -= value(before, "kura_http_requests", "kura_http_requests_total", **labels)
        except AssertionError:
            pass
    assert counted == 3
    assert value(after, "kura_http_request_duration_seconds", "kura_http_request_duration_seconds_count", **labels) >= 3
    assert value(after, "kura_flight_sent_bytes", "kura_flight_sent_bytes_total") > 0
    # The demo's samples were ingested by jobs that ended.
    assert value(after, "kura_ingest_jobs", "kura_ingest_jobs", state="succeeded") >= 3
    for projection in ("search", "rdf"):
        assert value(after, "kura_outbox_lag_events", "kura_outbox_lag_events", projection=projection) >= 0
    # Route templates only: no dataset name in any label.
    for family in after.values():
        for s in family.samples:
            assert not any("demo-" in v for v in s.labels.values()), s
