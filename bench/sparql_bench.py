"""SPARQL latency: Kura's `/sparql` over HTTP, with the access filter, side by side with pyoxigraph
in-process on the same graphs and the same queries, and with oxigraph's own HTTP server as the
reference for what answering over HTTP costs the same engine.

    python bench/sparql_bench.py --datasets 1000 --rounds 7

Kura: a fresh `kura serve --demo` (release build); `--datasets` datasets are created through the
REST API with profile metadata varied from a demo dataset (titles in English and Japanese,
creators, keywords, subjects, licences), one in eight of them closed, and published. Each query is
one anonymous `GET /sparql` (JSON results) on a keep-alive connection of Python's own
`http.client` (the `requests` package adds about 0.4 ms of client-side Python to every call, which
would be timed on Kura's side only): Kura decides which graphs the caller may see (`decide` on
every graph's facts) and evaluates over exactly those.
pyoxigraph: the DCAT Turtle of every dataset an anonymous caller may see (taken from Kura's own
content negotiation, so the triples are identical) loaded into an in-memory store, one named
graph per version named by its PID URL as in Kura; each query runs with the default graph as the
union of the graphs, and its results are serialized to SPARQL JSON (the same work as Kura's
answer, minus HTTP).
oxigraph server: `oxigraph serve --union-default-graph` (the official binary of the same oxigraph
release, from PyPI's `oxigraph` package), in memory, holding the same graphs (loaded through its
Graph Store endpoint), queried with the same client as Kura. It has no access filter: it holds
only what the anonymous caller may see.
The harness checks all three return the same number of rows for every query.
"""

import argparse
import http.client
import json
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pyoxigraph
import requests

from common import free_port, release_binary

HERE = pathlib.Path(__file__).resolve().parent

PREFIXES = """PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX odrl: <http://www.w3.org/ns/odrl/2/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
WORDS = ("spectrum thin film oxide iron alumina silicon graphene catalyst polymer crystal lattice temperature pressure "
         "conductivity resistivity magnetic phase diffraction neutron electron infrared raman battery electrode "
         "furnace calibration sensor sample substrate").split()
JA = "温度 圧力 酸化鉄 薄膜 結晶 磁性 触媒 電池 電極 スペクトル 測定 試料".split()
NAMES = ["Sato", "Suzuki", "Tanaka", "Watanabe", "Ito", "Smith", "Garcia", "Müller"]
LICENSES = ["CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0"]


def queries() -> dict[str, str]:
    return {
        "count datasets": "SELECT (COUNT(?ds) AS ?n) WHERE { ?ds a dcat:Dataset }",
        "english titles, sorted, top 100": 'SELECT ?ds ?t WHERE { ?ds a dcat:Dataset ; dct:title ?t FILTER(LANGMATCHES(LANG(?t), "en")) } ORDER BY ?t LIMIT 100',
        "keyword lookup": 'SELECT ?ds ?t WHERE { ?ds dcat:keyword "graphene"@en ; dct:title ?t }',
        "text search in titles": 'SELECT ?ds ?t WHERE { ?ds dct:title ?t FILTER(CONTAINS(LCASE(STR(?t)), "oxide")) }',
        "creators by name": 'SELECT DISTINCT ?ds ?name WHERE { ?ds dct:creator ?c . ?c foaf:name ?name FILTER(STRSTARTS(?name, "Tanaka")) }',
        "datasets per licence": "SELECT ?l (COUNT(DISTINCT ?ds) AS ?n) WHERE { ?ds a dcat:Dataset ; dct:license ?l } GROUP BY ?l ORDER BY ?l",
        "distributions per media type": "SELECT ?m (COUNT(?d) AS ?n) WHERE { ?ds dcat:distribution ?d . ?d dcat:mediaType ?m } GROUP BY ?m ORDER BY ?m",
        "named graphs with titles": "SELECT ?g ?t WHERE { GRAPH ?g { ?ds a dcat:Dataset ; dct:title ?t } } LIMIT 500",
        "japanese titles": 'SELECT ?ds ?t WHERE { ?ds dct:title ?t FILTER(LANG(?t) = "ja") } LIMIT 200',
        "ask": 'ASK { ?ds dcat:keyword "battery"@en }',
    }


def metadata_for(template: dict, i: int, rng: random.Random) -> dict:
    md = json.loads(json.dumps(template))
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7)))
    md["titles"] = [{"lang": "en", "value": f"{words.capitalize()} ({i})"}, {"lang": "ja", "value": " ".join(rng.sample(JA, 3)) + f"（{i}）"}]
    md["keywords"] = [{"lang": "en", "value": w} for w in rng.sample(WORDS, 3)]
    for c in md.get("creators", []):
        if isinstance(c, dict) and "name" in c:
            c["name"] = f"{rng.choice(NAMES)}, {chr(65 + rng.randrange(26))}."
    md["license"] = rng.choice(LICENSES)
    return md


def populate(session: requests.Session, api: str, auth: dict, n: int) -> int:
    template = session.get(f"{api}/datasets/demo-uvvis", headers=auth).json()
    template = template.get("latest", template).get("metadata") or template["versions"][-1]["metadata"]
    rng = random.Random(7)
    closed = 0
    for i in range(n):
        name = f"sb-{i}"
        md = metadata_for(template, i, rng)
        session.post(f"{api}/datasets", json={"name": name, "title": md["titles"][0]["value"]}, headers=auth).raise_for_status()
        session.patch(f"{api}/datasets/{name}/draft", json={"metadata": md}, headers=auth).raise_for_status()
        level = "closed" if i % 8 == 7 else rng.choice(["open", "open", "restricted"])
        closed += level == "closed"
        session.put(f"{api}/datasets/{name}/policy", json={"level": level, "license": md["license"]}, headers=auth).raise_for_status()
        session.post(f"{api}/datasets/{name}/draft/publish", headers=auth).raise_for_status()
    return closed


def visible_graphs(session: requests.Session, base: str) -> list[tuple[str, str]]:
    """(graph name, dataset name) of every graph an anonymous caller sees."""
    q = PREFIXES + "SELECT ?g ?landing WHERE { GRAPH ?g { ?ds a dcat:Dataset ; dcat:landingPage ?landing } }"
    rows = session.get(f"{base}/sparql", params={"query": q}).json()["results"]["bindings"]
    return [(r["g"]["value"], r["landing"]["value"]) for r in rows]


class Client:
    """One keep-alive HTTP/1.1 connection, read to the last byte of every answer."""

    HEADERS = {"Accept": "application/sparql-results+json"}

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)

    def get(self, path: str, params: dict | None = None) -> bytes:
        if params:
            path += "?" + urllib.parse.urlencode(params)
        self.connection.request("GET", path, headers=self.HEADERS)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"GET {path[:80]}: HTTP {response.status}: {body[:300]!r}")
        return body


def oxigraph_server(port: int) -> subprocess.Popen:
    """oxigraph's own HTTP server (the `oxigraph` binary of PyPI's `oxigraph` package), in memory."""
    binary = pathlib.Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        sys.exit(f"{binary} is missing: pip install -r bench/requirements.txt (package oxigraph)")
    server = subprocess.Popen([str(binary), "serve", "--union-default-graph", "--bind", f"127.0.0.1:{port}",
                               "--timeout-s", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except requests.ConnectionError:
            time.sleep(0.1)
    sys.exit("oxigraph serve did not start")


def answer_size(body: bytes) -> int | bool:
    """What the checks compare: the number of solutions, or an ASK's answer."""
    answer = json.loads(body)
    return answer["boolean"] if "boolean" in answer else len(answer["results"]["bindings"])


CONTENDERS = ("kura", "oxigraph server", "pyoxigraph")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    kura = str(release_binary("kura"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="kura-sparql-bench-"))
    port, flight, ox_port = free_port(), free_port(), free_port()
    env = dict(os.environ, KURA_DATA_DIR=str(work / "data"), KURA_LOG="warn", KURA_HTTP_ADDR=f"127.0.0.1:{port}",
               KURA_FLIGHT_ADDR=f"127.0.0.1:{flight}", KURA_SPARQL_MAX_RESULTS="1000000", KURA_SPARQL_TIMEOUT_MS="60000")
    server = subprocess.Popen([kura, "serve", "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ox = None
    base, api = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/api/v1"
    session = requests.Session()
    timings = {}
    try:
        ox = oxigraph_server(ox_port)
        token = None
        for line in server.stdout:
            if line.startswith("KURA_TOKEN="):
                token = line.split("=", 1)[1].strip()
            if "listening on http" in line:
                break
        if token is None:
            token = subprocess.run([kura, "admin", "token"], env=env, capture_output=True, text=True, check=True).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        closed = populate(session, api, auth, args.datasets)
        print(f"created {args.datasets} datasets ({closed} closed) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        total = args.datasets + 3
        for _ in range(600):
            n = session.get(f"{base}/sparql", params={"query": PREFIXES + "SELECT (COUNT(?g) AS ?n) WHERE { GRAPH ?g { ?ds a dcat:Dataset } }"},
                            headers=auth).json()["results"]["bindings"][0]["n"]["value"]
            if int(n) == total:
                break
            time.sleep(0.2)
        else:
            sys.exit(f"the SPARQL store holds {n} of {total} graphs")
        store = pyoxigraph.Store()
        graphs = visible_graphs(session, base)
        for graph, landing in graphs:
            turtle = session.get(landing, headers={"Accept": "text/turtle"})
            turtle.raise_for_status()
            store.load(turtle.content, format=pyoxigraph.RdfFormat.TURTLE, to_graph=pyoxigraph.NamedNode(graph))
            session.post(f"http://127.0.0.1:{ox_port}/store", params={"graph": graph}, data=turtle.content,
                         headers={"Content-Type": "text/turtle"}).raise_for_status()
        print(f"pyoxigraph and oxigraph server hold {len(graphs)} graphs, {len(store)} quads", file=sys.stderr)
        mix = {k: PREFIXES + q for k, q in queries().items()}
        for name in mix:
            for who in CONTENDERS:
                timings[(name, who)] = []
        kura_client, ox_client = Client(port), Client(ox_port)

        def ask_pyoxigraph(q: str) -> bytes:
            return store.query(q, use_default_graph_as_union=True).serialize(format=pyoxigraph.QueryResultsFormat.JSON)

        ask = {
            "kura": lambda q: kura_client.get("/sparql", {"query": q}),
            "oxigraph server": lambda q: ox_client.get("/query", {"query": q}),
            "pyoxigraph": ask_pyoxigraph,
        }
        floor, idle_floor = [], []
        for round_ in range(args.rounds + 1):
            # The HTTP floor: the same client and connection fetching a tiny static answer.
            for _ in range(20):
                start = time.perf_counter()
                kura_client.get("/robots.txt")
                if round_ > 0:
                    floor.append((time.perf_counter() - start) * 1000)
            # The same after the client worked 2 ms on its own, as it does between Kura's queries
            # (the others run in between): the server's threads have gone idle and must wake.
            for _ in range(20):
                busy_until = time.perf_counter() + 0.002
                while time.perf_counter() < busy_until:
                    pass
                start = time.perf_counter()
                kura_client.get("/robots.txt")
                if round_ > 0:
                    idle_floor.append((time.perf_counter() - start) * 1000)
            # Who goes first rotates every round, so no contender always follows the same one.
            order = CONTENDERS[round_ % 3:] + CONTENDERS[:round_ % 3]
            for name, q in mix.items():
                answers = {}
                for who in order:
                    # Every contender is timed up to the serialized answer in the client's hands;
                    # parsing the JSON is outside the timings.
                    start = time.perf_counter()
                    body = ask[who](q)
                    elapsed = (time.perf_counter() - start) * 1000
                    answers[who] = answer_size(body)
                    if round_ > 0:
                        timings[(name, who)].append(elapsed)
                if len(set(answers.values())) != 1:
                    sys.exit(f"{name}: the contenders disagree: {answers}")
    finally:
        for process in (server, ox):
            if process is not None:
                process.terminate()
                process.wait()
        shutil.rmtree(work, ignore_errors=True)

    report = summarize(args, closed, len(graphs), len(store), mix, timings, floor, idle_floor)
    print(report)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "sparql.md").write_text(report + "\n")


def summarize(args, closed: int, graph_count: int, quads: int, mix: dict, timings: dict, floor: list, idle_floor: list) -> str:
    median = {(name, who): statistics.median(timings[(name, who)]) for name in mix for who in CONTENDERS}
    lines = [f"SPARQL, {args.datasets + 3} datasets ({closed} closed, hidden from the anonymous caller), {graph_count} visible graphs, "
             f"{quads} quads; {len(mix)} queries × {args.rounds} rounds after a warm-up round, the contenders' order rotating; median ms", "",
             "| query | kura (HTTP, access filter) | oxigraph server (HTTP) | pyoxigraph (in process) | pyoxigraph ÷ kura | pyoxigraph ÷ oxigraph server | oxigraph server ÷ kura |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name in mix:
        k, o, p = (median[(name, who)] for who in CONTENDERS)
        lines.append(f"| {name} | {k:.2f} | {o:.2f} | {p:.2f} | {p / k:.2f} | {p / o:.2f} | {o / k:.2f} |")
    heaviest = max(mix, key=lambda name: median[(name, "pyoxigraph")])

    def whole(who: str, skip: str | None = None) -> float:
        return sum(median[(name, who)] for name in mix if name != skip)

    def ratios(who: str) -> list[float]:
        return [median[(name, "pyoxigraph")] / median[(name, who)] for name in mix]

    lines += ["", "| pyoxigraph ÷ … (≥ 1: faster than pyoxigraph in process) | kura | oxigraph server |", "| --- | --- | --- |"]
    measures = [("whole mix (sum of medians: query mixes per hour, as BSBM counts)", lambda who: whole("pyoxigraph") / whole(who)),
             (f"whole mix without its heaviest query ({heaviest})", lambda who: whole("pyoxigraph", heaviest) / whole(who, heaviest)),
             ("geometric mean of the per-query ratios", lambda who: statistics.geometric_mean(ratios(who))),
             ("median of the per-query ratios", lambda who: statistics.median(ratios(who)))]
    for label, value in measures:
        lines.append(f"| {label} | {value('kura'):.2f} | {value('oxigraph server'):.2f} |")
    lines += ["", f"Sum of medians: kura {whole('kura'):.1f} ms, oxigraph server {whole('oxigraph server'):.1f} ms, "
              f"pyoxigraph {whole('pyoxigraph'):.1f} ms.",
              f"HTTP floor (median GET /robots.txt from Kura on the same keep-alive connection, Python http.client): "
              f"{statistics.median(floor):.2f} ms back to back, {statistics.median(idle_floor):.2f} ms after 2 ms of the client's own work (the server idle)."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
