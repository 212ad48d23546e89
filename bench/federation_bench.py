"""Federated search: the same query asked of one node (`GET /api/v1/search`) and of three
federated nodes (`GET /api/v1/federation/search` on node a, which asks b and c in parallel and
merges), with each peer's own time for its part measured alone (the request a sends it, with the
hop header set). Issue 20's target: federated p50 <= 1.3 x (single-node p50 + the slowest peer's
own p50).

    python bench/federation_bench.py --docs 20000 --rounds 5

Each node gets its own generated documents (search_bench's generator; `--docs` per node) in its
own data directory, loaded by `search-load`, and lists the other two as peers (`kura federation
add`). Queries are anonymous (no token exchange: the exchange is cached per user for minutes and
is measured apart, below), 20 hits with totals, ten facets and snippets, over keep-alive
connections."""

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

import requests

from common import free_port, release_binary
from search_bench import DATA, generate, pct, queries

HERE = pathlib.Path(__file__).resolve().parent
NODES = ["a", "b", "c"]


def wait_ready(session: requests.Session, url: str):
    for _ in range(600):
        try:
            if session.get(url, params={"q": "oxide"}, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def timed(session: requests.Session, url: str, params: dict, headers: dict | None = None) -> tuple[float, dict]:
    start = time.perf_counter()
    response = session.get(url, params=params, headers=headers or {})
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return elapsed, response.json()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=20_000, help="documents per node")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    kura, search_load = release_binary("kura"), release_binary("search-load")
    work = pathlib.Path(tempfile.mkdtemp(prefix="kura-federation-bench-"))
    ports = {n: free_port() for n in NODES}
    servers = []
    try:
        for i, node in enumerate(NODES):
            docs = DATA / f"federation-docs-{node}-{args.docs}.jsonl"
            if not docs.exists():
                generate(args.docs, docs)
                # Each node its own documents: a different seed per node.
                lines = docs.read_text().splitlines()
                random.Random(i).shuffle(lines)
                docs.write_text("\n".join(line.replace('"name": "ds-', f'"name": "{node}-') for line in lines) + "\n")
            data_dir = work / node
            subprocess.run([str(search_load), str(docs), str(data_dir)], capture_output=True, text=True, check=True)
            env = dict(os.environ, KURA_DATA_DIR=str(data_dir), KURA_LOG="warn", KURA_NODE_ID=node,
                       KURA_HTTP_ADDR=f"127.0.0.1:{ports[node]}", KURA_FLIGHT_ADDR=f"127.0.0.1:{free_port()}")
            for peer in NODES:
                if peer != node:
                    subprocess.run([str(kura), "federation", "add", peer, f"http://127.0.0.1:{ports[peer]}"],
                                   env=env, capture_output=True, text=True, check=True)
            servers.append(subprocess.Popen([str(kura), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        session = requests.Session()
        base = {n: f"http://127.0.0.1:{ports[n]}/api/v1" for n in NODES}
        for node in NODES:
            wait_ready(session, f"{base[node]}/search")
        mix = queries(random.Random(5))
        lat = {key: [] for key in ["single", "federated", "peer b", "peer c"]}
        for round_ in range(args.rounds + 1):
            for q in mix:
                params = {"q": q, "limit": 20}
                single_ms, single = timed(session, f"{base['a']}/search", params)
                peer_totals = {}
                for peer in ("b", "c"):
                    ms, answer = timed(session, f"{base[peer]}/federation/search", params, {"kura-federation-hops": "1"})
                    peer_totals[peer] = answer["total"]
                    if round_ > 0:
                        lat[f"peer {peer}"].append(ms)
                fed_ms, fed = timed(session, f"{base['a']}/federation/search", params)
                if fed["partial"] or fed["total"] != single["total"] + sum(peer_totals.values()):
                    raise SystemExit(f"{q!r}: federated total {fed['total']} (partial {fed['partial']}) != "
                                     f"{single['total']} + {peer_totals}")
                if round_ > 0:  # the first round warms caches and connections
                    lat["single"].append(single_ms)
                    lat["federated"].append(fed_ms)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)

    p50 = {k: statistics.median(v) for k, v in lat.items()}
    bound = p50["single"] + max(p50["peer b"], p50["peer c"])
    lines = [f"Federated search over three nodes on loopback, {args.docs} documents per node, {len(mix)} queries × "
             f"{args.rounds} rounds (after one warm-up round), anonymous, latency in ms", "",
             "| request | p50 | p99 |", "| --- | --- | --- |"]
    for key, label in [("single", "node a alone (`/api/v1/search`)"), ("peer b", "peer b's own part (hop 1)"),
                       ("peer c", "peer c's own part (hop 1)"), ("federated", "three nodes (`/api/v1/federation/search` on a)")]:
        lines.append(f"| {label} | {p50[key]:.2f} | {pct(lat[key], 99):.2f} |")
    lines += ["", f"Federated p50 ÷ (single p50 + slowest peer's p50) = {p50['federated']:.2f} ÷ {bound:.2f} = "
                  f"**{p50['federated'] / bound:.2f}** (target ≤ 1.3); federated ÷ single = {p50['federated'] / p50['single']:.2f}."]
    report = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "federation-search.md").write_text(report)
    print(report)


if __name__ == "__main__":
    sys.exit(main())
