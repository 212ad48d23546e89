"""Compute jobs (issue 21): the same aggregation and join as a Kura SQL job and in DuckDB, on the
same Parquet, one run:

    python bench/compute_bench.py --rows 30000000 --rounds 3

The instrument table of the Flight benchmark (`flight_bench.gen_csv`: a timestamp, six floats, two
integers, three strings) and a small dimension table (sample → site) are ingested with
`kura ingest --publish`; the tables' Parquet is downloaded once through the REST API, and DuckDB
(bench/requirements.txt) reads those files (`read_parquet`). Kura runs each query as a SQL job
submitted to `POST /api/v1/jobs` and is timed from the submission until the job reads COMPLETE
(its output is a new draft dataset: written as Parquet and committed); DuckDB is timed for the
query with its result fetched into Arrow. Both use every core (DuckDB's default threads,
DataFusion's default partitions). The results are checked equal, contenders alternate which goes
first, medians of --rounds after a warm-up.
"""

import argparse
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import requests

import flight_bench
from common import free_port, release_binary, wait_healthy

DATASET = "compute-bench"
QUERIES = {
    "aggregation": 'SELECT channel, count(*) AS n, avg("temperature_K") AS mean_t, sum("power_W") AS power, '
                   'max("voltage_mV") AS vmax FROM readings GROUP BY channel ORDER BY channel',
    "join": 'SELECT s.site, count(*) AS n, avg(r."current_mA") AS mean_i, sum(r.intensity) AS intensity '
            "FROM readings r JOIN samples s ON r.sample = s.sample GROUP BY s.site ORDER BY s.site",
}


def prepare(kura, rows: int) -> pathlib.Path:
    """A data directory holding the published dataset and an admin token (cached in bench/data)."""
    data = flight_bench.DATA / f"compute-kura-{rows}"
    if (data / "bench-token").exists():
        return data
    flight_bench.DATA.mkdir(exist_ok=True)
    readings = flight_bench.DATA / f"flight-{rows}.csv"
    if not readings.exists():
        print(f"generating {readings.name}", file=sys.stderr)
        flight_bench.gen_csv(readings, rows)
    samples = flight_bench.DATA / "compute-samples.csv"
    names = [f"S-{i}" for i in range(100_000)]
    sites = np.array([f"site-{i % 17}" for i in range(100_000)])
    pacsv.write_csv(pa.table({"sample": names, "site": sites}), samples)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    env = flight_bench.kura_env(data)
    links = data / "in"
    links.mkdir()
    (links / "readings.csv").symlink_to(readings)
    (links / "samples.csv").symlink_to(samples)
    print("kura ingest", file=sys.stderr)
    flight_bench.run([kura, "ingest", links / "readings.csv", links / "samples.csv", "--dataset", DATASET,
                      "--publish", "--quiet"], env)
    token = flight_bench.run([kura, "admin", "token", "--name", "bench"], env).strip().splitlines()[-1]
    (data / "bench-token").write_text(token)
    return data


class Kura:
    def __init__(self, kura, data: pathlib.Path):
        self.http = free_port()
        self.token = (data / "bench-token").read_text().strip()
        self.auth = {"Authorization": f"Bearer {self.token}"}
        self.log = open(data.parent / f"{data.name}.serve.log", "w")
        env = flight_bench.kura_env(data, self.http, free_port())
        self.proc = subprocess.Popen([kura, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        wait_healthy(self.url("/health"), self.proc, self.log.name, 600)
        self.researcher = {"Authorization": f"Bearer {self.member_token()}"}

    def member_token(self) -> str:
        """A write token of a user in a group: jobs are submitted by people, whose group owns the output."""
        suffix = str(self.http)
        org = requests.post(self.url("/organizations"), json={"name": f"Bench {suffix}"}, headers=self.auth).json()
        group = requests.post(self.url(f"/organizations/{org['id']}/groups"), json={"name": "Lab"}, headers=self.auth).json()
        user = requests.post(self.url("/users"), json={"username": f"bench-{suffix}"}, headers=self.auth).json()
        r = requests.put(self.url(f"/groups/{group['id']}/members/{user['id']}"), json={"role": "member"}, headers=self.auth)
        r.raise_for_status()
        r = requests.post(self.url(f"/users/{user['id']}/tokens"), json={"name": "bench", "scope": "write"}, headers=self.auth)
        r.raise_for_status()
        return r.json()["secret"]

    def url(self, path):
        return f"http://127.0.0.1:{self.http}/api/v1{path}"

    def download(self, table: str, target: pathlib.Path):
        with requests.get(self.url(f"/datasets/{DATASET}/versions/latest/tables/{table}/parquet"), headers=self.auth,
                          stream=True) as r:
            r.raise_for_status()
            with open(target, "wb") as f:
                for block in r.iter_content(1 << 20):
                    f.write(block)

    def job(self, query: str) -> tuple[float, float, pa.Table]:
        """Seconds from submission to COMPLETE, seconds the job ran (its own record), its output."""
        request = {"name": "bench", "kind": "sql", "code": query, "inputs": [
            {"name": "readings", "dataset": DATASET, "table": "readings"},
            {"name": "samples", "dataset": DATASET, "table": "samples"}]}
        start = time.perf_counter()
        r = requests.post(self.url("/jobs"), json=request, headers=self.researcher)
        if r.status_code not in (200, 201):
            sys.exit(f"job refused: {r.status_code} {r.text}")
        job_id = r.json()["id"]
        while True:
            job = requests.get(self.url(f"/jobs/{job_id}"), headers=self.researcher).json()
            if job["state"] in ("COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"):
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        if job["state"] != "COMPLETE":
            sys.exit(f"the job ended {job['state']}: {job.get('message')}")
        ran = (np.datetime64(job["finished_at"].rstrip("Z")) - np.datetime64(job["running_at"].rstrip("Z")))
        output = requests.get(self.url(f"/datasets/{job['output_dataset_id']}/versions/latest/tables/result/parquet"),
                              headers=self.researcher)
        output.raise_for_status()
        return seconds, ran / np.timedelta64(1, "s"), pq.read_table(pa.BufferReader(output.content))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def same(a: pa.Table, b: pa.Table) -> bool:
    if a.num_rows != b.num_rows or a.column_names != b.column_names:
        return False
    for name in a.column_names:
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        if x != y and not all(abs(p - q) <= 1e-9 * max(1.0, abs(p)) for p, q in zip(x, y)):
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=30_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    kura_bin = release_binary()
    data = prepare(kura_bin, args.rows)
    kura = Kura(kura_bin, data)
    try:
        files = {t: data / f"{t}.parquet" for t in ("readings", "samples")}
        for table, path in files.items():
            if not path.exists():
                kura.download(table, path)
        size = sum(p.stat().st_size for p in files.values())
        con = duckdb.connect()
        for table, path in files.items():
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")

        def duck(query):
            start = time.perf_counter()
            result = con.sql(query).to_arrow_table()
            return time.perf_counter() - start, result

        results = {q: {"kura": [], "kura ran": [], "duckdb": []} for q in QUERIES}
        for n in range(args.rounds + 1):
            for name, query in QUERIES.items():
                runs = [("kura", kura.job), ("duckdb", duck)]
                outputs = {}
                for who, run in (runs if n % 2 == 0 else runs[::-1]):
                    out = run(query)
                    outputs[who] = out[-1]
                    if n > 0:
                        results[name][who].append(out[0])
                        if who == "kura":
                            results[name]["kura ran"].append(out[1])
                if not same(outputs["kura"], outputs["duckdb"]):
                    sys.exit(f"{name}: Kura and DuckDB disagree:\n{outputs['kura']}\n{outputs['duckdb']}")
    finally:
        kura.stop()
    print(f"{args.rows} rows, {size / 1e9:.2f} GB of Parquet (zstd) in two tables; medians of {args.rounds} rounds\n")
    print("| query | Kura SQL job, submit → COMPLETE (s) | of which running (s) | DuckDB (s) | DuckDB / Kura |")
    print("| --- | --- | --- | --- | --- |")
    for name, r in results.items():
        k, ran, d = (statistics.median(r[x]) for x in ("kura", "kura ran", "duckdb"))
        print(f"| {name} | {k:.2f} | {ran:.2f} | {d:.2f} | **{d / k:.2f}×** |")


if __name__ == "__main__":
    main()
