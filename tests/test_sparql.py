"""`/sparql` of a running `kura serve --demo`, read with SPARQLWrapper and rdflib: SELECT results
equal to what the dataset's own DCAT Turtle says, every result format parsed by its client,
CONSTRUCT parsed by rdflib, and a closed dataset's graph absent for anonymous callers (present
for the admin)."""

import csv
import io
import time

import requests
from rdflib import Graph, Namespace, URIRef
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

DCT = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DEMO = ["demo-thermal-log", "demo-uvvis", "demo-resistivity"]
TITLES = """PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT ?g ?ds ?title WHERE { GRAPH ?g { ?ds a dcat:Dataset ; dct:title ?title } }"""


def endpoint(server, token=None, fmt=JSON):
    sparql = SPARQLWrapper(f"{server.base}/sparql")
    sparql.setReturnFormat(fmt)
    if token:
        sparql.addCustomHttpHeader("Authorization", f"Bearer {token}")
    return sparql


def select(server, query, token=None):
    sparql = endpoint(server, token)
    sparql.setQuery(query)
    return sparql.query().convert()["results"]["bindings"]


def wait_for(predicate, what):
    """The store follows the catalog's outbox every 300 ms."""
    for _ in range(100):
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"the SPARQL store never showed {what}")


def test_titles_equal_the_dcat_of_each_dataset(server):
    rows = select(server, TITLES)
    by_dataset = {}
    for row in rows:
        by_dataset.setdefault(row["ds"]["value"], set()).add(row["title"]["value"])
    for name in DEMO:
        turtle = requests.get(f"{server.base}/datasets/{name}", headers={"Accept": "text/turtle"}, timeout=30)
        g = Graph().parse(data=turtle.text, format="turtle")
        datasets = list(g.subjects(predicate=None, object=DCAT.Dataset))
        assert len(datasets) == 1, name
        ds = datasets[0]
        want = {str(t) for t in g.objects(ds, DCT.title)}
        assert by_dataset.get(str(ds)) == want, f"{name}: SPARQL {by_dataset.get(str(ds))} != DCAT {want}"


def test_every_result_format_parses(server):
    json_rows = select(server, TITLES)
    assert json_rows
    sparql = endpoint(server, fmt=XML)
    sparql.setQuery(TITLES)
    xml = sparql.query().convert()
    assert len(xml.getElementsByTagName("result")) == len(json_rows)
    for fmt, delimiter in ((CSV, ","), (TSV, "\t")):
        sparql = endpoint(server, fmt=fmt)
        sparql.setQuery(TITLES)
        text = sparql.query().convert().decode()
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert len(table) == len(json_rows) + 1, fmt
    ask = endpoint(server)
    ask.setQuery('ASK { ?s a <http://www.w3.org/ns/dcat#Dataset> }')
    assert ask.query().convert()["boolean"] is True


def test_construct_is_read_by_rdflib(server):
    r = requests.get(
        f"{server.base}/sparql",
        params={"query": "CONSTRUCT { ?ds ?p ?o } WHERE { ?ds a <http://www.w3.org/ns/dcat#Dataset> ; ?p ?o }"},
        headers={"Accept": "text/turtle"},
        timeout=30,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    assert len(set(g.subjects(predicate=None, object=DCAT.Dataset))) >= len(DEMO)
    # rdflib's own SPARQL engine over the constructed graph agrees with Kura's count.
    ours = select(server, "SELECT (COUNT(DISTINCT ?ds) AS ?n) WHERE { ?ds a <http://www.w3.org/ns/dcat#Dataset> }")
    theirs = list(g.query("SELECT (COUNT(DISTINCT ?ds) AS ?n) WHERE { ?ds a <http://www.w3.org/ns/dcat#Dataset> }"))
    assert int(ours[0]["n"]["value"]) == int(theirs[0][0])


def test_closed_dataset_graphs_are_absent_for_anonymous_callers(server):
    name = "sparql-closed"
    requests.post(server.url("/datasets"), json={"name": name, "title": "Secret furnace log"}, headers=server.auth()).raise_for_status()
    files = {"file": ("log.csv", b"t [s],T [Cel]\n0,20\n1,21\n")}
    requests.post(server.url(f"/datasets/{name}/draft/files"), files=files, headers=server.auth()).raise_for_status()
    server.ingest(name, polls=200)
    metadata = {"titles": [{"lang": "en", "value": "Secret furnace log"}]}
    requests.patch(server.url(f"/datasets/{name}/draft"), json={"metadata": metadata}, headers=server.auth()).raise_for_status()
    requests.put(server.url(f"/datasets/{name}/policy"), json={"level": "closed"}, headers=server.auth()).raise_for_status()
    requests.post(server.url(f"/datasets/{name}/draft/publish"), headers=server.auth()).raise_for_status()
    ds = requests.get(server.url(f"/datasets/{name}"), headers=server.auth()).json()
    ds_id = ds.get("dataset", ds)["id"]
    graph = f"{server.base}/pid/{ds_id}/1"

    def admin_sees():
        return any(r["g"]["value"] == graph for r in select(server, TITLES, token=server.token))

    wait_for(admin_sees, "the closed dataset's graph to the admin")
    anonymous = select(server, TITLES)
    assert all(r["g"]["value"] != graph for r in anonymous)
    assert all("Secret" not in r["title"]["value"] for r in anonymous)
    named = select(server, f"SELECT * FROM NAMED <{graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert named == []
    rdflib_view = Graph()
    r = requests.get(f"{server.base}/sparql", params={"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}, headers={"Accept": "application/n-triples"}, timeout=30)
    rdflib_view.parse(data=r.text, format="nt")
    assert len(rdflib_view) == 0
    assert (URIRef(graph), None, None) not in rdflib_view
