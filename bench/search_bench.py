"""Search latency: Kura's HTTP API side by side with tantivy-py in-process, on the same 100,000
generated dataset documents and the same query mix, with and without the access filter.

    python bench/search_bench.py --docs 100000 --rounds 5

Kura: `search-load` writes the documents into a fresh data directory's index (indexing
throughput), `kura serve` serves it, and each query is one `GET /api/v1/search` (20 hits, total,
ten facets, snippets) over a keep-alive connection, anonymous (the filter keeps public documents)
or with an admin token (no filter). tantivy-py: the same schema and analyzers (English stemming,
1–2-grams for Japanese), the same query, a term-set filter on the visibility field when filtered,
and the same work per query (top 20 with snippets and stored fields, count, ten terms
aggregations)."""

import argparse
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
import uuid

import requests
import tantivy

from common import free_port, release_binary

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "data"

EN = ("spectrum spectra thin film oxide iron alumina silicon graphene catalyst polymer crystal lattice temperature pressure "
      "conductivity resistivity magnetic phase transition diffraction scattering neutron electron photoelectron infrared "
      "raman nmr mass chromatography synthesis annealing deposition sputtering etching surface interface nanoparticle "
      "battery electrode electrolyte cathode anode capacity cycling impedance voltage current calibration sensor furnace "
      "measurement simulation model dataset sample substrate").split()
JA = "温度 圧力 酸化鉄 薄膜 結晶 磁性 触媒 電池 電極 スペクトル 測定 試料 合成 熱伝導率 回折 表面".split()
UNITS = ["K", "Cel", "eV", "/cm", "nm", "mV", "mA", "Pa", "[ppm]", "s"]
FORMATS = ["csv", "jcamp", "cif", "mzml", "xlsx", "hdf5", "ipynb"]
LICENSES = ["CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0", "MIT"]
LEVELS = ["open", "open", "open", "embargoed", "consortium", "restricted", "closed"]
FACETS = {"access": "access", "license": "license", "format": "format", "subject": "subject", "keyword": "keyword",
          "group": "group", "organization": "organization", "creator": "creator_facet", "year": "year", "unit": "unit"}


def generate(n: int, path: pathlib.Path):
    rng = random.Random(11)
    groups = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(50)]
    creators = [f"{rng.choice(['Sato', 'Suzuki', 'Tanaka', 'Watanabe', 'Ito', 'Smith', 'Garcia', 'Müller'])} {i}" for i in range(500)]
    with open(path, "w") as out:
        for i in range(n):
            words = lambda k: " ".join(rng.choice(EN) for _ in range(k))  # noqa: E731
            title = words(rng.randint(4, 8))
            titles = [title] + ([" ".join(rng.sample(JA, 3))] if rng.random() < 0.3 else [])
            level = rng.choice(LEVELS)
            group = rng.choice(groups)
            year = rng.randint(2015, 2026)
            doc = {
                "dataset_id": str(uuid.UUID(int=rng.getrandbits(128))), "name": f"ds-{i}", "version": 1, "state": "published",
                "titles": titles, "descriptions": [words(rng.randint(20, 40))],
                "creators": rng.sample(creators, 2), "affiliations": [], "keywords": rng.sample(EN, 3), "subjects": [rng.choice(EN)],
                "columns": [words(1) for _ in range(4)], "units": rng.sample(UNITS, 2), "text": [], "formats": [rng.choice(FORMATS)],
                "access_level": level, "license": rng.choice(LICENSES), "group": f"lab-{groups.index(group)}", "organization": "uni",
                "published": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00Z",
                "visibility": [f"group:{group}"] + (["public"] if level != "closed" else []),
            }
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def queries(rng: random.Random) -> list[str]:
    mix = [rng.choice(EN) for _ in range(15)]
    mix += [f"{rng.choice(EN)} {rng.choice(EN)}" for _ in range(10)]
    mix += ['"thin film"', '"iron oxide"', '"phase transition"', '"mass spectrum"', '"surface interface"']
    mix += ["unit:K", "unit:eV", "format:csv", "format:jcamp", "license:CC0-1.0"]
    mix += rng.sample(JA, 5)
    return mix


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class TantivyPy:
    def __init__(self, docs_path: pathlib.Path, directory: str):
        b = tantivy.SchemaBuilder()
        for name in ["name"]:
            b.add_text_field(name, stored=True, tokenizer_name="raw")
        b.add_text_field("title", stored=True, tokenizer_name="kura_en")
        b.add_text_field("title_cjk", tokenizer_name="kura_cjk")
        b.add_text_field("description", stored=True, tokenizer_name="kura_en")
        b.add_text_field("description_cjk", tokenizer_name="kura_cjk")
        b.add_text_field("body", tokenizer_name="kura_en")
        b.add_text_field("body_cjk", tokenizer_name="kura_cjk")
        b.add_text_field("creator", stored=True)
        for name in FACETS.values():
            b.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
        b.add_text_field("visibility", tokenizer_name="raw")
        self.schema = b.build()
        os.makedirs(directory, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=directory)
        en = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(60)) \
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build()
        cjk = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(1, 2, False)).filter(tantivy.Filter.lowercase()).build()
        self.index.register_tokenizer("kura_en", en)
        self.index.register_tokenizer("kura_cjk", cjk)
        started = time.perf_counter()
        writer = self.index.writer(64_000_000, 1)
        count = 0
        with open(docs_path) as f:
            for line in f:
                d = json.loads(line)
                doc = tantivy.Document()
                doc.add_text("name", d["name"])
                for t in d["titles"]:
                    doc.add_text("title", t)
                    doc.add_text("title_cjk", t)
                for t in d["descriptions"]:
                    doc.add_text("description", t)
                    doc.add_text("description_cjk", t)
                for t in d["columns"] + d["keywords"] + d["subjects"]:
                    doc.add_text("body", t)
                    doc.add_text("body_cjk", t)
                for c in d["creators"]:
                    doc.add_text("creator", c)
                    doc.add_text("creator_facet", c)
                for field, values in [("keyword", d["keywords"]), ("subject", d["subjects"]), ("unit", d["units"]), ("format", d["formats"])]:
                    for v in values:
                        doc.add_text(field, v)
                doc.add_text("access", d["access_level"])
                doc.add_text("license", d["license"])
                doc.add_text("group", d["group"])
                doc.add_text("organization", d["organization"])
                doc.add_text("year", d["published"][:4])
                for v in d["visibility"]:
                    doc.add_text("visibility", v)
                writer.add_document(doc)
                count += 1
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.docs_per_second = count / (time.perf_counter() - started)
        self.defaults = ["title", "title_cjk", "description", "description_cjk", "body", "body_cjk", "creator"]
        self.aggs = {name: {"terms": {"field": field, "size": 20}} for name, field in FACETS.items()}

    def search(self, text: str, filtered: bool):
        searcher = self.index.searcher()
        # Kura's parser joins words with AND; tantivy-py's with OR: say AND explicitly.
        if " " in text and '"' not in text and ":" not in text:
            text = " ".join(f"+{w}" for w in text.split())
        query = self.index.parse_query(text, self.defaults)
        if filtered:
            visible = tantivy.Query.term_set_query(self.schema, "visibility", ["public"])
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, visible)])
        result = searcher.search(query, 20, count=True)
        snippets = tantivy.SnippetGenerator.create(searcher, query, self.schema, "description")
        for _, address in result.hits:
            doc = searcher.doc(address)
            snippets.snippet_from_doc(doc).to_html()
        searcher.aggregate(query, self.aggs)
        return result.count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    docs = DATA / f"search-docs-{args.docs}.jsonl"
    if not docs.exists():
        print(f"generating {docs.name}", file=sys.stderr)
        generate(args.docs, docs)
    kura, search_load = release_binary("kura"), release_binary("search-load")
    work = pathlib.Path(tempfile.mkdtemp(prefix="kura-search-bench-"))
    data_dir = work / "kura-data"
    loaded = json.loads(subprocess.run([str(search_load), str(docs), str(data_dir)], capture_output=True, text=True, check=True).stdout)
    env = dict(os.environ, KURA_DATA_DIR=str(data_dir), KURA_LOG="warn")
    admin = subprocess.run([str(kura), "admin", "token"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    peer = TantivyPy(docs, str(work / "tantivy-py"))
    server = subprocess.Popen([str(kura), "serve"], env=dict(env, KURA_HTTP_ADDR=f"127.0.0.1:{port}"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1/search"
    session = requests.Session()
    mix = queries(random.Random(5))
    lat = {("kura", True): [], ("kura", False): [], ("tantivy-py", True): [], ("tantivy-py", False): []}
    try:
        for _ in range(300):
            try:
                if session.get(base, params={"q": "oxide"}).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        for round_ in range(args.rounds + 1):
            for q in mix:
                for filtered in (True, False):
                    headers = {} if filtered else {"Authorization": f"Bearer {admin}"}
                    start = time.perf_counter()
                    response = session.get(base, params={"q": q, "limit": 20}, headers=headers)
                    kura_ms = (time.perf_counter() - start) * 1000
                    response.raise_for_status()
                    start = time.perf_counter()
                    count = peer.search(q, filtered)
                    peer_ms = (time.perf_counter() - start) * 1000
                    if response.json()["total"] != count:
                        raise SystemExit(f"{q!r} filtered={filtered}: kura total {response.json()['total']} != tantivy-py {count}")
                    if round_ > 0:  # the first round warms caches
                        lat[("kura", filtered)].append(kura_ms)
                        lat[("tantivy-py", filtered)].append(peer_ms)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"Search, {args.docs} documents, {len(mix)} queries × {args.rounds} rounds (after one warm-up round), latency in ms", "",
             "| engine | access filter | p50 | p99 | Kura p50 ÷ tantivy-py p50 |", "| --- | --- | --- | --- | --- |"]
    for filtered in (True, False):
        ratio = statistics.median(lat[("kura", filtered)]) / statistics.median(lat[("tantivy-py", filtered)])
        for engine in ("kura", "tantivy-py"):
            values = lat[(engine, filtered)]
            lines.append(f"| {engine} ({'HTTP' if engine == 'kura' else 'in-process'}) | {'on' if filtered else 'off'} | "
                         f"{statistics.median(values):.2f} | {pct(values, 99):.2f} | {ratio:.2f} |")
    lines += ["", f"Indexing: Kura {loaded['docs_per_second']:.0f} documents/s (search-load, one writer), "
                  f"tantivy-py {peer.docs_per_second:.0f} documents/s (one writer thread)."]
    report = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "search.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
