"""Reading a partner's table (issue 20): a >= 1 GB table of node b read three ways, in one run.

    python bench/federation_flight_bench.py --rows 10000000 --rounds 3

- b's own Flight SQL, `SELECT *` by b's user (the direct read);
- node a's Flight SQL, `SELECT * FROM b."dataset"."table"` by a's user: a exchanges the user's
  identity for b's token and streams b's answer through its own DataFusion session (target: at
  least 0.8x the direct read);
- Delta Sharing: `delta_sharing.load_as_pandas` with a profile b gave its user, beside Kura's own
  Flight (one DoGet stream per endpoint, sequentially) to Arrow and to pandas (report both).

The table is flight_bench's generated instrument table (12 columns), ingested into b with
`kura ingest --group` (Delta Sharing shares are groups and consortia) and left open; a and b list
each other as peers. Runs alternate in order per round after a warm-up round that also checks the
row counts agree; medians of --rounds. GB is 10^9 bytes of the Arrow table in memory."""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import adbc_driver_flightsql.dbapi as flight_sql
import delta_sharing
import pyarrow.flight as flight
import requests

from common import free_port, release_binary
from flight_bench import DATA, gen_csv, kura_env, run

DATASET = "fed-bench"


def prepare_b(kura: pathlib.Path, rows: int) -> tuple[pathlib.Path, str]:
    """b's data directory with the published table owned by a group, and its user's token (cached)."""
    DATA.mkdir(exist_ok=True)
    csv = DATA / f"flight-{rows}.csv"
    if not csv.exists():
        print(f"generating {csv.name}", file=sys.stderr)
        gen_csv(csv, rows)
    data_dir = DATA / f"fedflight-b-{rows}"
    token_file = data_dir / "bench-token"
    if not token_file.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir()
        env = kura_env(data_dir)
        group = run([kura, "admin", "group", "Univ B", "lab-b"], env).strip().splitlines()[-1]
        bob = run([kura, "admin", "user", "bob"], env).strip().splitlines()[-1]
        run([kura, "admin", "member", group, bob], env)
        print(f"kura ingest {csv.name}", file=sys.stderr)
        run([kura, "ingest", csv, "--dataset", DATASET, "--group", group, "--publish", "--quiet"], env)
        token_file.write_text(run([kura, "admin", "user-token", bob, "--scope", "write"], env).strip().splitlines()[-1])
    return data_dir, token_file.read_text().strip()


class Node:
    def __init__(self, kura, node_id: str, data_dir: pathlib.Path, http: int, flight_port: int):
        self.env = dict(kura_env(data_dir, http, flight_port), KURA_NODE_ID=node_id)
        self.kura, self.http, self.flight_port, self.data_dir = kura, http, flight_port, data_dir
        self.proc = None

    def trust(self, peer: str, http: int, flight_port: int):
        run([self.kura, "federation", "add", peer, f"http://127.0.0.1:{http}", "--flight-url",
             f"http://127.0.0.1:{flight_port}"], self.env)

    def start(self):
        self.log = open(self.data_dir.parent / f"{self.data_dir.name}.serve.log", "w")
        self.proc = subprocess.Popen([self.kura, "serve"], env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(1200):
            try:
                if requests.get(f"http://127.0.0.1:{self.http}/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        sys.exit(f"kura serve did not come up: see {self.log.name}")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.log.close()


def sql_read(flight_port: int, token: str, query: str):
    with flight_sql.connect(f"grpc://127.0.0.1:{flight_port}",
                            db_kwargs={"adbc.flight.sql.authorization_header": f"Bearer {token}"}) as conn:
        with conn.cursor() as cur:
            start = time.perf_counter()
            cur.execute(query)
            table = cur.fetch_arrow_table()
            return time.perf_counter() - start, table.num_rows, table.nbytes


def flight_read(flight_port: int, token: str, to_pandas: bool):
    client = flight.FlightClient(f"grpc://127.0.0.1:{flight_port}")
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())])
    start = time.perf_counter()
    path = next(f.descriptor.path for f in client.list_flights(options=options) if f.descriptor.path[0].decode() == DATASET)
    info = client.get_flight_info(flight.FlightDescriptor.for_path(*path), options)
    tables = [client.do_get(e.ticket, options).read_all() for e in info.endpoints]
    rows, nbytes = sum(t.num_rows for t in tables), sum(t.nbytes for t in tables)
    if to_pandas:
        for t in tables:
            t.to_pandas()
    return time.perf_counter() - start, rows, nbytes, [p.decode() for p in path]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print a's plan of the federated read and stop")
    args = parser.parse_args()
    kura = release_binary("kura")
    b_dir, bob = prepare_b(kura, args.rows)
    work = pathlib.Path(tempfile.mkdtemp(prefix="kura-fedflight-"))
    a_dir = work / "a"
    a_dir.mkdir()
    ports = {n: (free_port(), free_port()) for n in "ab"}
    a, b = Node(kura, "a", a_dir, *ports["a"]), Node(kura, "b", b_dir, *ports["b"])
    alice = run([kura, "admin", "user", "alice"], a.env).strip().splitlines()[-1]
    alice = run([kura, "admin", "user-token", alice, "--scope", "read"], a.env).strip().splitlines()[-1]
    a.trust("b", *ports["b"])
    b.trust("a", *ports["a"])
    times = {k: [] for k in ["b sql", "a sql", "b flight", "b flight pandas", "delta sharing pandas"]}
    try:
        b.start()
        a.start()
        profile = work / "b.share"
        answer = requests.post(f"http://127.0.0.1:{b.http}/api/v1/me/delta-sharing-profile",
                               headers={"Authorization": f"Bearer {bob}"}, json={"expires_in_days": 1})
        answer.raise_for_status()
        profile.write_text(json.dumps(answer.json()))
        _, _, _, path = flight_read(b.flight_port, bob, False)
        dataset, _, table = path
        shared = [t for t in delta_sharing.SharingClient(str(profile)).list_all_tables() if t.schema == dataset]
        url = f"{profile}#{shared[0].share}.{shared[0].schema}.{shared[0].name}"
        direct_sql = f'SELECT * FROM "{dataset}"."{table}"'
        remote_sql = f'SELECT * FROM b."{dataset}"."{table}"'
        if args.explain:
            with flight_sql.connect(f"grpc://127.0.0.1:{a.flight_port}",
                                    db_kwargs={"adbc.flight.sql.authorization_header": f"Bearer {alice}"}) as conn:
                with conn.cursor() as cur:
                    cur.execute("EXPLAIN " + remote_sql)
                    print(cur.fetch_arrow_table().to_pylist())
            return
        gb = 0.0
        for round_ in range(args.rounds + 1):
            results = {
                "b sql": sql_read(b.flight_port, bob, direct_sql),
                "a sql": sql_read(a.flight_port, alice, remote_sql),
                "b flight": flight_read(b.flight_port, bob, False)[:3],
                "b flight pandas": flight_read(b.flight_port, bob, True)[:3],
            }
            start = time.perf_counter()
            frame = delta_sharing.load_as_pandas(url)
            results["delta sharing pandas"] = (time.perf_counter() - start, len(frame), None)
            counts = {k: r[1] for k, r in results.items()}
            if len(set(counts.values())) != 1 or counts["b sql"] != args.rows:
                sys.exit(f"row counts differ: {counts}")
            gb = results["b flight"][2] / 1e9
            if round_ > 0:
                for k, r in results.items():
                    times[k].append(r[0])
    finally:
        a.stop()
        b.stop()
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [f"Reading a partner's table: {args.rows:,} rows, {gb:.2f} GB in Arrow, medians of {args.rounds} rounds "
             "(after a warm-up round), one client on loopback", "",
             "| read | seconds | GB/s | ÷ b's own Flight SQL |", "| --- | --- | --- | --- |"]
    labels = {"b sql": "b's Flight SQL, `SELECT *` (direct)", "a sql": "a's Flight SQL, `SELECT * FROM b.…` (federated)",
              "b flight": "b's Flight, DoGet per endpoint → Arrow", "b flight pandas": "b's Flight → pandas",
              "delta sharing pandas": "Delta Sharing `load_as_pandas` (b's profile)"}
    for k, label in labels.items():
        lines.append(f"| {label} | {med[k]:.2f} | {gb / med[k]:.2f} | {med['b sql'] / med[k]:.2f} |")
    lines += ["", f"Federated ÷ direct throughput: **{med['b sql'] / med['a sql']:.2f}** (target ≥ 0.8)."]
    report = "\n".join(lines) + "\n"
    (pathlib.Path(__file__).resolve().parent / "results").mkdir(exist_ok=True)
    (pathlib.Path(__file__).resolve().parent / "results" / "federation-flight.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
