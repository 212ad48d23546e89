"""Stream table append throughput (self-driving labs issue): Kura's Flight DoPut into a stream
table against pyarrow's own in-memory Flight server (`bench/peers/stream_peer.py`).

    python bench/stream_bench.py --rows 2000000 --batch-rows 10000 --rounds 3

One table (timestamps, six floats, a counter, a short label) is generated in memory and sent by
one pyarrow client as one DoPut of `--batch-rows`-row batches, the way an instrument streams:
each batch is written, then its PutResult read before the next one (the writer knows each batch
is safe before it moves on). Kura acknowledges a batch once its log record is synced to disk
(fsync) and its idempotency key checked; the peer as soon as it holds it in memory. Reported per
contender: the median over `--rounds` of rows/s and MB/s (Arrow bytes in memory) until the last
acknowledgement, and for Kura the time until the rows are committed (readable as a snapshot).
Runs alternate which contender goes first. deltalake (the third peer the issue names) runs when
it is installed (`write_deltalake(mode="append")` per batch into a local table); otherwise it is
reported as skipped.

`KURA_BIN` may name the binary; a debug build is accepted with `--allow-debug` and its figures
are then labelled as such (they are not comparable with a release build's).
"""

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

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import requests

from common import free_port, release_binary

HERE = pathlib.Path(__file__).resolve().parent
PEER = HERE / "peers" / "stream_peer.py"


def make_batches(rows: int, batch_rows: int) -> list[pa.RecordBatch]:
    rng = np.random.default_rng(7)
    start = np.datetime64("2026-12-07T00:00:00", "us")
    columns = {"time": pa.array(start + np.arange(rows).astype("timedelta64[ms]"))}
    for name in ["temp_c", "pressure_kpa", "flow_ml_min", "ph", "od600", "voltage_v"]:
        columns[name] = pa.array(rng.normal(20, 5, rows))
    columns["counter"] = pa.array(np.arange(rows, dtype=np.int64))
    columns["label"] = pa.array(np.array(["ok", "warm", "drift", "check"])[rng.integers(0, 4, rows)])
    table = pa.table(columns)
    return table.to_batches(max_chunksize=batch_rows)


def put(location, options, descriptor, batches):
    """One DoPut, each batch acknowledged before the next; seconds until the last answer."""
    client = flight.FlightClient(location)
    t0 = time.perf_counter()
    writer, reader = client.do_put(descriptor, batches[0].schema, options)
    for batch in batches:
        writer.write_batch(batch)
        reader.read()
    writer.done_writing()
    writer.close()
    return time.perf_counter() - t0


class Kura:
    def __init__(self, kura, work: pathlib.Path):
        self.data = work / "kura-data"
        self.http, self.flight_port = free_port(), free_port()
        self.env = dict(os.environ, KURA_DATA_DIR=str(self.data), KURA_HTTP_ADDR=f"127.0.0.1:{self.http}",
                        KURA_FLIGHT_ADDR=f"127.0.0.1:{self.flight_port}", KURA_LOG="warn")
        out = subprocess.run([kura, "admin", "token", "--name", "bench"], env=self.env, capture_output=True, text=True, check=True)
        self.token = out.stdout.strip().splitlines()[-1]
        self.log = open(work / "kura.log", "w")
        self.proc = subprocess.Popen([kura, "serve"], env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.http}/api/v1"
        self.auth = {"Authorization": f"Bearer {self.token}"}
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(f"{self.base}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        r = requests.post(f"{self.base}/datasets", json={"name": "bench", "title": "Stream bench"}, headers=self.auth)
        assert r.status_code == 201, r.text
        self.location = f"grpc://127.0.0.1:{self.flight_port}"

    def round(self, batches, n):
        options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {self.token}".encode()),
                                                    (b"kura-writer-id", f"bench-{n}".encode()), (b"kura-sequence", b"0")])
        table = f"run{n}"
        acked = put(self.location, options, flight.FlightDescriptor.for_path("bench", table), batches)
        rows = sum(b.num_rows for b in batches)
        t0 = time.perf_counter()
        while True:
            info = requests.get(f"{self.base}/datasets/bench/streams/{table}", headers=self.auth).json()
            if info.get("row_count") == rows:
                break
            time.sleep(0.01)
        return acked, acked + (time.perf_counter() - t0)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


class Peer:
    def __init__(self):
        port = free_port()
        self.proc = subprocess.Popen([sys.executable, str(PEER), str(port)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            sys.exit(f"the pyarrow peer did not start: {line!r}")
        self.location = f"grpc://127.0.0.1:{port}"

    def round(self, batches, n):
        return put(self.location, flight.FlightCallOptions(), flight.FlightDescriptor.for_path(f"run{n}"), batches), None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Delta:
    def __init__(self, work: pathlib.Path):
        from deltalake import write_deltalake  # noqa: F401 (raises ImportError when absent)

        self.work = work

    def round(self, batches, n):
        from deltalake import write_deltalake

        path = self.work / f"delta-{n}"
        t0 = time.perf_counter()
        for batch in batches:
            write_deltalake(str(path), pa.Table.from_batches([batch]), mode="append")
        return time.perf_counter() - t0, None

    def stop(self):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--batch-rows", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--allow-debug", action="store_true", help="accept a debug build of kura (figures labelled)")
    args = ap.parse_args()
    kura = str(release_binary("kura")) if not os.environ.get("KURA_BIN") else os.environ["KURA_BIN"]
    debug = "/debug/" in kura
    if debug and not args.allow_debug:
        sys.exit(f"{kura} is a debug build: build with `cargo build --release -p kura` or pass --allow-debug")
    batches = make_batches(args.rows, args.batch_rows)
    nbytes = sum(b.nbytes for b in batches)
    work = pathlib.Path(tempfile.mkdtemp(prefix="stream-bench-"))
    contenders = {"kura": Kura(kura, work), "pyarrow": Peer()}
    try:
        contenders["deltalake"] = Delta(work)
    except ImportError:
        print("deltalake: skipped (not installed)")
    results = {name: [] for name in contenders}
    try:
        for n in range(args.rounds + 1):
            order = list(contenders) if n % 2 == 0 else list(reversed(contenders))
            for name in order:
                acked, committed = contenders[name].round(batches, n)
                if n > 0:  # round 0 warms up
                    results[name].append((acked, committed))
    finally:
        for c in contenders.values():
            c.stop()
        shutil.rmtree(work, ignore_errors=True)
    label = " (debug build)" if debug else ""
    print(f"{args.rows} rows in batches of {args.batch_rows}, {nbytes / 1e6:.0f} MB in memory, median of {args.rounds}{label}")
    print("| contender | rows/s (acked) | MB/s (acked) | s until acked | s until committed |")
    print("| --- | --- | --- | --- | --- |")
    for name, runs in results.items():
        acked = statistics.median(r[0] for r in runs)
        committed = [r[1] for r in runs if r[1] is not None]
        committed = f"{statistics.median(committed):.2f}" if committed else "–"
        print(f"| {name} | {args.rows / acked:,.0f} | {nbytes / acked / 1e6:.0f} | {acked:.2f} | {committed} |")
    print(json.dumps({name: runs for name, runs in results.items()}))


if __name__ == "__main__":
    main()
