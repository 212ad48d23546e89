"""Lineage of compute jobs against a real `kura serve` that runs scripts in its sandbox and posts
OpenLineage events to an endpoint (here a plain HTTP server in this test):

* every run event a job produced (START, COMPLETE, FAIL, ABORT) served at `/api/v1/jobs/{id}/lineage`
  and POSTed to the endpoint, each one read into openlineage-python's own event model (its
  validators: run id a UUID, times ISO 8601 with a time, URIs for the producer and schemas) and
  written back by it unchanged, every facet one the OpenLineage spec defines;
* PROV in the RDF: a SPARQL query through the node's `/sparql` finds the inputs of an output, and
  nobody who may not see the output finds its lineage;
* the `.eln` export of a script job's output is a Process Run Crate that `rocrate-validator` passes.

openlineage-python ships the event model, not the JSON schema files (it builds the classes from
them), so the classes are the schema here."""
import http.server
import io
import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from openlineage.client.generated import (
    base,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    source_code_job,
    sql_job,
)
from openlineage.client.serde import Serde

from conftest import Server

VENV_PYTHON = Path(sys.executable)
SCRIPT = """import pyarrow.parquet as pq
import pyarrow.compute as pc
t = pq.read_table("/inputs/data.parquet")
pq.write_table(t.filter(pc.greater(t["value"], 0)), "/outputs/result.parquet")
"""
SLOW = "import time\ntime.sleep(60)\n"

# The facets Kura emits, by key, as openlineage-python models them.
RUN_FACETS = {"errorMessage": error_message_run.ErrorMessageRunFacet}
JOB_FACETS = {
    "jobType": job_type_job.JobTypeJobFacet,
    "sql": sql_job.SQLJobFacet,
    "sourceCode": source_code_job.SourceCodeJobFacet,
}
DATASET_FACETS = {"version": dataset_version_dataset.DatasetVersionDatasetFacet}


class Receiver(http.server.BaseHTTPRequestHandler):
    """An OpenLineage endpoint: keeps every event POSTed to it."""

    events: list = []

    def do_POST(self):  # noqa: N802 (the http.server interface)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.events.append(json.loads(body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1/lineage"
    httpd.shutdown()


@pytest.fixture(scope="module")
def node(tmp_path_factory, receiver):
    if shutil.which("bwrap") is None:
        pytest.skip("no bubblewrap: script jobs cannot run here")
    data_dir = tmp_path_factory.mktemp("kura-lineage") / "data"
    srv = Server(data_dir, {"KURA_COMPUTE_SCRIPT_PYTHON": str(VENV_PYTHON), "KURA_OPENLINEAGE_URL": receiver})
    yield srv
    srv.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def lab(node):
    """A researcher (steward of Lab), another user, and the published input `lineage-in` (table `t`)."""
    admin = node.auth()
    org = requests.post(node.url("/organizations"), json={"name": "Lineage Uni"}, headers=admin).json()
    group = requests.post(node.url(f"/organizations/{org['id']}/groups"), json={"name": "Lab"}, headers=admin).json()
    tokens = {}
    for name in ["researcher", "other"]:
        user = requests.post(node.url("/users"), json={"username": f"{name}-{uuid.uuid4().hex[:6]}"}, headers=admin).json()
        token = requests.post(node.url(f"/users/{user['id']}/tokens"), json={"name": "t", "scope": "write"}, headers=admin)
        tokens[name] = token.json()["secret"]
        if name == "researcher":
            r = requests.put(node.url(f"/groups/{group['id']}/members/{user['id']}"), json={"role": "steward"}, headers=admin)
            assert r.status_code == 204, r.text
    r = requests.post(node.url("/datasets"), json={"name": "lineage-in", "group": group["id"]}, headers=admin)
    assert r.status_code == 201, r.text
    files = {"file": ("t.csv", b"site,value\na,1.5\nb,-2.0\nc,3.25\n")}
    assert requests.post(node.url("/datasets/lineage-in/draft/files"), files=files, headers=admin).status_code == 201
    assert node.ingest("lineage-in")["state"] == "succeeded"
    assert requests.post(node.url("/datasets/lineage-in/draft/publish"), headers=admin).status_code == 200
    return tokens


def run(node, token, kind, code, cancel=False):
    """Submits a job over `lineage-in`; waits for its end (cancelling it once it runs if asked)."""
    body = {"name": f"{kind}-job", "kind": kind, "code": code, "inputs": [{"name": "data", "dataset": "lineage-in", "table": "t"}]}
    r = requests.post(node.url("/jobs"), json=body, headers=bearer(token), timeout=30)
    assert r.status_code == 201, r.text
    job = r.json()
    for _ in range(900):
        job = requests.get(node.url(f"/jobs/{job['id']}"), headers=bearer(token), timeout=30).json()
        if cancel and job["state"] == "RUNNING":
            r = requests.post(node.url(f"/jobs/{job['id']}/cancel"), headers=bearer(token), timeout=30)
            assert r.status_code == 200, r.text
            cancel = False
        if job.get("finished_at"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job['id']} did not end: {job}")


def facets(given, known):
    out = {}
    for key, value in (given or {}).items():
        assert key in known, f"facet {key!r} is not one Kura should emit"
        cls = known[key]
        fields = {k: v for k, v in value.items() if not k.startswith("_")}
        facet = cls(**fields, producer=value["_producer"])
        assert value["_schemaURL"] == cls._get_schema(), key
        out[key] = facet
    return out


def datasets(given, cls):
    return [cls(namespace=d["namespace"], name=d["name"], facets=facets(d.get("facets"), DATASET_FACETS)) for d in given]


def modelled(event):
    """The event as openlineage-python's RunEvent (its validators run on construction)."""
    assert event["schemaURL"] == base.RunEvent._get_schema()
    return base.RunEvent(
        eventType=base.EventType(event["eventType"]),
        eventTime=event["eventTime"],
        producer=event["producer"],
        run=base.Run(runId=event["run"]["runId"], facets=facets(event["run"].get("facets"), RUN_FACETS)),
        job=base.Job(namespace=event["job"]["namespace"], name=event["job"]["name"],
                     facets=facets(event["job"].get("facets"), JOB_FACETS)),
        inputs=datasets(event.get("inputs", []), base.InputDataset),
        outputs=datasets(event.get("outputs", []), base.OutputDataset),
    )


def pruned(value):
    """Without empty objects and lists (the model adds empty facet maps)."""
    if isinstance(value, dict):
        return {k: pruned(v) for k, v in value.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def lineage(node, token, job):
    r = requests.get(node.url(f"/jobs/{job['id']}/lineage"), headers=bearer(token), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_every_run_event_is_valid_openlineage_served_and_posted(node, lab):
    token = lab["researcher"]
    done = run(node, token, "sql", "SELECT site, value FROM data WHERE value > 0")
    failed = run(node, token, "sql", "SELECT no_such_column FROM data")
    aborted = run(node, token, "script", SLOW, cancel=True)
    assert (done["state"], failed["state"], aborted["state"]) == ("COMPLETE", "EXECUTOR_ERROR", "CANCELED")
    served = {}
    for job, want in [(done, ["START", "COMPLETE"]), (failed, ["START", "FAIL"]), (aborted, ["START", "ABORT"])]:
        events = lineage(node, token, job)
        assert [e["eventType"] for e in events] == want, events
        served[job["id"]] = events
        for event in events:
            model = modelled(event)
            assert pruned(Serde.to_dict(model)) == pruned(event), "openlineage-python reads and writes it unchanged"
            assert event["run"]["runId"] == job["id"] and event["job"]["namespace"] == node.base
            assert [d["name"] for d in event["inputs"]] == ["lineage-in/t"]
            assert all(d["namespace"] == node.base for d in event["inputs"] + event["outputs"])
    assert "no_such_column" in served[failed["id"]][1]["run"]["facets"]["errorMessage"]["message"]
    assert served[done["id"]][1]["outputs"][0]["name"].endswith("/result")

    # Only who sees the job sees its lineage.
    assert requests.get(node.url(f"/jobs/{done['id']}/lineage"), headers=bearer(lab["other"]), timeout=30).status_code == 404
    assert requests.get(node.url(f"/jobs/{done['id']}/lineage"), timeout=30).status_code == 404

    # The endpoint got every event (delivery runs in the background, retried until accepted).
    wanted = [e for events in served.values() for e in events]
    for _ in range(300):
        if all(e in Receiver.events for e in wanted):
            break
        time.sleep(0.1)
    missing = [e["eventType"] + " " + e["run"]["runId"] for e in wanted if e not in Receiver.events]
    assert not missing, f"not delivered: {missing}"


def sparql(node, query, token=None):
    headers = {"Accept": "application/sparql-results+json", **(bearer(token) if token else {})}
    r = requests.post(f"{node.base}/sparql", data={"query": query}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def test_sparql_finds_the_inputs_of_an_output_for_those_who_see_it(node, lab):
    token = lab["researcher"]
    job = run(node, token, "sql", "SELECT site, value FROM data")
    assert job["state"] == "COMPLETE", job
    output = job["output_dataset_id"]
    r = requests.post(node.url(f"/datasets/{output}/draft/publish"), headers=bearer(token), timeout=30)
    assert r.status_code == 200, r.text
    source = requests.get(node.url("/datasets/lineage-in"), timeout=30).json()
    source_id = (source.get("dataset") or source)["id"]
    query = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX kura: <https://w3id.org/kura/ns#>
SELECT ?input ?table ?runner WHERE {{
  <{node.base}/pid/{output}/1> prov:wasDerivedFrom ?input ; prov:wasGeneratedBy ?job .
  ?job a prov:Activity ; kura:runner ?runner ; prov:used ?table .
  ?table dct:isPartOf ?input .
}}"""
    want = [(f"{node.base}/pid/{source_id}/1", f"{node.base}/pid/{source_id}/1#table-t", "sql")]
    for _ in range(100):
        rows = sparql(node, query)
        if rows:
            break
        time.sleep(0.1)
    assert [(r["input"]["value"], r["table"]["value"], r["runner"]["value"]) for r in rows] == want, rows

    # Closed by its owner: its lineage is gone for everyone else, and still there for the owner.
    r = requests.put(node.url(f"/datasets/{output}/policy"), json={"level": "closed"}, headers=bearer(token), timeout=30)
    assert r.status_code == 200, r.text
    for _ in range(100):
        if not sparql(node, query):
            break
        time.sleep(0.1)
    assert sparql(node, query) == [] and sparql(node, query, lab["other"]) == []
    assert len(sparql(node, query, token)) == 1


def test_a_script_jobs_output_exports_as_a_process_run_crate(node, lab, tmp_path):
    token = lab["researcher"]
    job = run(node, token, "script", SCRIPT)
    assert job["state"] == "COMPLETE", job
    # RO-Crate 1.1 requires a licence of the root; the owner gives the output one (same level).
    policy = {"level": "open", "license": "CC-BY-4.0"}
    r = requests.put(node.url(f"/datasets/{job['output_dataset_id']}/policy"), json=policy, headers=bearer(token), timeout=30)
    assert r.status_code == 200, r.text
    r = requests.get(f"{node.base}/datasets/{job['output_dataset_id']}/1/export.eln", headers=bearer(token), timeout=60)
    assert r.status_code == 200, r.text
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    archive.extractall(tmp_path)
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    crate = json.loads((folder / "ro-crate-metadata.json").read_text())
    graph = {e["@id"]: e for e in crate["@graph"]}
    action = graph[graph["./"]["mentions"]["@id"]]
    assert action["@type"] == "CreateAction"
    assert graph[action["instrument"]["@id"]]["@type"] == "SoftwareSourceCode"
    assert graph[action["instrument"]["@id"]]["name"] == "/inputs/job.py"
    assert graph[action["object"]["@id"]]["name"].startswith("lineage-in version 1")
    assert action["result"]["@id"] == "tables/result.parquet"

    validator = VENV_PYTHON.with_name("rocrate-validator")
    cache = tmp_path / "rocrate-validator-cache" / "http_cache"
    cache.parent.mkdir()
    seed = subprocess.run([sys.executable, str(Path(__file__).with_name("rocrate_offline_cache.py")), str(cache)],
                          capture_output=True, text=True, timeout=120)
    assert seed.returncode == 0, seed.stdout + seed.stderr
    # Every requirement (of the profile and of RO-Crate 1.1) holds; of the recommendations, all of
    # the profile's and all about the run's entities (the dataset's own, e.g. its licence, are
    # the metadata's business, not the lineage's).
    for severity in ["required", "recommended"]:
        proc = subprocess.run(
            [str(validator), "--disable-color", "validate", "--offline", "--cache-path", str(cache),
             "--profile-identifier", "process-run-crate-0.5", "--requirement-severity", severity,
             "--no-paging", "-f", "json", str(folder)],
            capture_output=True, text=True, timeout=300,
        )
        out = proc.stdout + proc.stderr
        assert "not available in the HTTP cache" not in " ".join(out.split()), out
        report, _ = json.JSONDecoder().raw_decode(proc.stdout.lstrip())
        issues = [f"{i['check']['identifier']}: {i['message']}" for i in report.get("issues", [])]
        if severity == "required":
            assert issues == [] and report.get("passed") is True and proc.returncode == 0, "\n".join(issues) or out
        else:
            ours = [i for i in issues if i.startswith("process-run-crate") or "#job-" in i]
            assert ours == [], "\n".join(ours)
