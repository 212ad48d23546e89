"""Scale-out benchmarks (issue 23), each one run of its contenders side by side:

    python bench/scale_bench.py storage --rows 2000000 --rounds 3
    python bench/scale_bench.py rest --seconds 15 --rounds 3

storage: the same CSV ingested with `kura ingest --publish` and the table read back whole by a
pyarrow Flight client (DoGet), once with the object store in the local data directory and once
on an S3-compatible server on loopback (moto_server, started by tests/s3-start: the store CI
uses). Every round starts from an empty data directory and a new bucket; Kura's Flight cache is
off (`KURA_FLIGHT_CACHE_BYTES=0`, `KURA_FLIGHT_MEMORY_BYTES=0`), so each read fetches Parquet
from the store. moto keeps objects in a Python process's memory: it is a slow S3, so the ratio
bounds from below what a real store (MinIO, Ceph, AWS) costs.

rest: requests per second of `GET /api/v1/datasets/{name}` (wrk, keep-alive) through nginx on
loopback balancing over one `kura serve` and then over two, all over one PostgreSQL catalog
(tests/pg-start) and one S3 bucket. Both counts go through the same nginx, so the balancer's
own cost is in both. Two cores bound it: the servers, PostgreSQL, nginx and wrk share them.
"""

import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import pyarrow.flight as flight
import requests

import flight_bench
from common import ROOT, free_port, release_binary

S3_ENV = {"KURA_S3_REGION": "us-east-1", "KURA_S3_ACCESS_KEY_ID": "bench", "KURA_S3_SECRET_ACCESS_KEY": "bench",
          "KURA_S3_ALLOW_HTTP": "true", "KURA_S3_PATH_STYLE": "true"}


def s3_bucket(endpoint: str) -> dict:
    """A new bucket on the loopback S3 server, as Kura's environment."""
    bucket = f"kura-bench-{uuid.uuid4().hex[:12]}"
    requests.put(f"{endpoint}/{bucket}", timeout=10).raise_for_status()
    return dict(S3_ENV, KURA_S3_BUCKET=bucket, KURA_S3_ENDPOINT=endpoint)


def s3_endpoint() -> str:
    return subprocess.run([ROOT / "tests" / "s3-start"], capture_output=True, text=True, check=True).stdout.strip()


def storage_round(kura, csv, store_env: dict, reads: int) -> tuple[float, float, int]:
    """Seconds of `kura ingest --publish`, the median seconds of a whole-table DoGet and its rows."""
    data_dir = pathlib.Path(tempfile.mkdtemp(prefix="kura-scale-", dir=flight_bench.DATA))
    saved = {k: os.environ.get(k) for k in store_env}
    os.environ.update(store_env)
    try:
        env = flight_bench.kura_env(data_dir)
        start = time.perf_counter()
        flight_bench.run([kura, "ingest", csv, "--dataset", flight_bench.DATASET, "--publish", "--quiet"], env)
        ingest = time.perf_counter() - start
        token = flight_bench.run([kura, "admin", "token", "--name", "bench"], env).strip().splitlines()[-1]
        server = flight_bench.Kura(kura, data_dir, token, 0, memory_bytes=0)
        try:
            client = flight.FlightClient(server.location)
            times, rows = [], 0
            for _ in range(reads):
                seconds, rows, *_ = flight_bench.read_table(server, [client], 1)
                times.append(seconds)
            return ingest, statistics.median(times), rows
        finally:
            server.stop()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(data_dir, ignore_errors=True)


def storage(kura, args):
    flight_bench.DATA.mkdir(exist_ok=True)
    csv = flight_bench.DATA / f"flight-{args.rows}.csv"
    if not csv.exists():
        flight_bench.gen_csv(csv, args.rows)
    endpoint = s3_endpoint()
    results = {"local": [], "s3": []}
    for r in range(args.rounds):
        order = ["local", "s3"] if r % 2 == 0 else ["s3", "local"]
        for store in order:
            store_env = {} if store == "local" else s3_bucket(endpoint)
            ingest, read, rows = storage_round(kura, csv, store_env, args.reads)
            results[store].append((ingest, read))
            print(f"round {r} {store}: ingest {ingest:.2f} s, DoGet {read:.2f} s ({rows} rows)", file=sys.stderr)
    mb = csv.stat().st_size / 1e6
    print(f"\nCSV {mb:.0f} MB, {args.rows} rows; medians of {args.rounds} rounds (DoGet: median of {args.reads} reads each)\n")
    print("| store | CSV ingest s | ingest MB/s | Flight DoGet s |")
    print("| --- | --- | --- | --- |")
    med = {}
    for store, runs in results.items():
        med[store] = (statistics.median(i for i, _ in runs), statistics.median(d for _, d in runs))
        print(f"| {store} | {med[store][0]:.2f} | {mb / med[store][0]:.0f} | {med[store][1]:.2f} |")
    print(f"| **S3 / local time** | {med['s3'][0] / med['local'][0]:.2f}× | | {med['s3'][1] / med['local'][1]:.2f}× |")


NGINX = """daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx.error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  upstream kura {{ {servers} keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://kura; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
"""


def nginx(work: pathlib.Path, backends: list[int]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    servers = " ".join(f"server 127.0.0.1:{b};" for b in backends)
    conf = work / f"nginx-{len(backends)}.conf"
    conf.write_text(NGINX.format(dir=work, servers=servers, port=port))
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)])
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc, port
        except requests.ConnectionError:
            time.sleep(0.1)
    sys.exit(f"nginx did not start: {work}/nginx.error.log")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True,
                         check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"wrk saw {errors.group(1)} failed responses:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def rest(kura, args):
    pg = subprocess.run([ROOT / "tests" / "pg-start"], capture_output=True, text=True, check=True).stdout.strip()
    database = f"kura_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", pg, "-qc", f"CREATE DATABASE {database}"], check=True)
    url = pg.rsplit("/", 1)[0] + "/" + database
    work = pathlib.Path(tempfile.mkdtemp(prefix="kura-rest-bench-"))
    shared = dict(s3_bucket(s3_endpoint()), KURA_DATABASE_URL=url, KURA_LOG="warn")
    env = dict(flight_bench.kura_env(work / "node-0"), **shared)
    flight_bench.run([kura, "migrate"], env)
    csv = work / "small.csv"
    csv.write_text("time [s],value [mV]\n" + "".join(f"{i},{i * 0.5}\n" for i in range(100)))
    flight_bench.run([kura, "ingest", csv, "--dataset", "rest-bench", "--publish", "--quiet"], env)
    nodes = []
    try:
        for i in range(2):
            http = free_port()
            node_env = dict(flight_bench.kura_env(work / f"node-{i}", http, free_port()), **shared)
            log = open(work / f"node-{i}.log", "w")
            nodes.append((subprocess.Popen([kura, "serve"], env=node_env, stdout=subprocess.DEVNULL, stderr=log), http))
        for proc, http in nodes:
            for _ in range(600):
                if proc.poll() is not None:
                    sys.exit(f"kura serve exited: see {work}")
                try:
                    if requests.get(f"http://127.0.0.1:{http}/readyz", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                time.sleep(0.1)
        results = {1: [], 2: []}
        for r in range(args.rounds):
            for count in ([1, 2] if r % 2 == 0 else [2, 1]):
                balancer, port = nginx(work, [http for _, http in nodes[:count]])
                try:
                    path = f"http://127.0.0.1:{port}/api/v1/datasets/rest-bench"
                    wrk(path, 2, args.connections)  # warm-up: connections, caches
                    rps = wrk(path, args.seconds, args.connections)
                finally:
                    balancer.terminate()
                    balancer.wait()
                results[count].append(rps)
                print(f"round {r}: {count} process(es) {rps:.0f} req/s", file=sys.stderr)
        one, two = statistics.median(results[1]), statistics.median(results[2])
        print(f"\nGET /api/v1/datasets/rest-bench, wrk -t2 -c{args.connections} -d{args.seconds}s through nginx; "
              f"medians of {args.rounds} rounds\n")
        print("| API processes | requests/s |")
        print("| --- | --- |")
        print(f"| 1 | {one:.0f} |")
        print(f"| 2 | {two:.0f} |")
        print(f"| **2 / 1** | {two / one:.2f}× |")
    finally:
        for proc, _ in nodes:
            proc.terminate()
            proc.wait(timeout=20)
        subprocess.run(["psql", pg, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("storage")
    s.add_argument("--rows", type=int, default=2_000_000)
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--reads", type=int, default=3)
    r = sub.add_parser("rest")
    r.add_argument("--seconds", type=int, default=15)
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--connections", type=int, default=32)
    args = p.parse_args()
    kura = release_binary()
    {"storage": storage, "rest": rest}[args.what](kura, args)


if __name__ == "__main__":
    main()
