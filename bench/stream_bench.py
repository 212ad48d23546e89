"""Stream table append throughput (self-driving labs issue): Kura's Flight DoPut into a stream
table against pyarrow's own in-memory Flight server (`bench/peers/stream_peer.py`).

    python bench/stream_bench.py --rows 2000000 --batch-rows 10000 --rounds 3

One table (timestamps, six floats, a counter, a short label) is generated in memory and sent by
one pyarrow client as one DoPut of `--batch-rows`-row batches: written as fast as the connection
takes them while a second thread reads the acknowledgements (a bulk writer; `--ack-each` waits
for each batch's PutResult before sending the next, as a cautious instrument would). Kura acknowledges a batch once it is durable: its Arrow IPC bytes
written to the object store (synced on a local store) and its row, with its idempotency key, in
the catalog's queue of waiting appends; the peer as soon as it holds it in memory. Reported per
contender: the median over `--rounds` of rows/s and MB/s (Arrow bytes in memory) until the last
acknowledgement, and for Kura the time until the rows are committed (readable as a snapshot).
Runs alternate which contender goes first. deltalake (the third peer the issue names) runs when
it is installed (`write_deltalake(mode="append")` per batch into a local table, each a durable
commit as Kura's acknowledgement is); otherwise it is reported as skipped.

`--lab` runs the lab-like load instead: `--lab-rate` small batches a second for `--lab-seconds`
(acknowledge and lab-to-reader latency percentiles, Parquet files before and after compaction,
peak RSS); see `lab`.

`KURA_BIN` may name the binary; a debug build is accepted with `--allow-debug` and its figures
are then labelled as such (they are not comparable with a release build's).
"""

import argparse
import json
import os
import pathlib
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import requests

from common import free_port, release_binary
from flight_bench import RssWatch

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


def put(location, options, descriptor, batches, ack_each=False):
    """One DoPut of `batches`; seconds until the last batch is acknowledged. The batches are
    written as fast as the connection takes them while another thread reads the PutResults (a
    bulk writer), or with `ack_each` each only after the previous one's answer (a cautious
    instrument)."""
    client = flight.FlightClient(location)
    t0 = time.perf_counter()
    writer, reader = client.do_put(descriptor, batches[0].schema, options)
    if ack_each:
        for batch in batches:
            writer.write_batch(batch)
            reader.read()
    else:
        acker = threading.Thread(target=lambda: [reader.read() for _ in batches], daemon=True)
        acker.start()
        for batch in batches:
            writer.write_batch(batch)
        acker.join()
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
        acked = put(self.location, options, flight.FlightDescriptor.for_path("bench", table), batches, self.ack_each)
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
        return put(self.location, flight.FlightCallOptions(), flight.FlightDescriptor.for_path(f"run{n}"), batches,
                   self.ack_each), None

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


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def stream_files(data_dir: pathlib.Path, table: str) -> int:
    """Parquet files the catalog lists for a stream table now (SQLite catalog of the data dir)."""
    with sqlite3.connect(data_dir / "kura.db") as db:
        return db.execute("SELECT count(*) FROM stream_files f JOIN stream_tables t ON t.id = f.stream_id "
                          "WHERE t.name = ?", (table,)).fetchone()[0]


def lab(kura_bin: str, args):
    """A lab-like load: `--lab-rate` small batches a second for `--lab-seconds` through one DoPut
    (sent on a schedule, acknowledged on another thread), while a `follow` reader receives them.
    Reports acknowledge latency and lab-to-reader latency (send until the follower holds the row),
    the snapshots committed against the Parquet files left after compaction, and peak RSS."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="stream-lab-"))
    kura = Kura(kura_bin, work)
    rng = np.random.default_rng(3)
    schema = pa.schema([("sent_ns", pa.int64()), ("seq", pa.int64()), ("temp_c", pa.float64()), ("od600", pa.float64())])
    n = args.lab_rows

    def batch(seq):
        return pa.record_batch([pa.array([time.time_ns()] * n, pa.int64()), pa.array([seq] * n, pa.int64()),
                                pa.array(rng.normal(25, 1, n)), pa.array(rng.random(n))], schema=schema)

    client = flight.FlightClient(kura.location)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {kura.token}".encode()),
                                                (b"kura-writer-id", b"lab-robot"), (b"kura-sequence", b"0")])
    writer, reader = client.do_put(flight.FlightDescriptor.for_path("bench", "lab"), schema, options)
    writer.write_batch(batch(0))
    reader.read()
    first = None
    while first is None:
        info = requests.get(f"{kura.base}/datasets/bench/streams/lab", headers=kura.auth).json()
        first = info["snapshot"] if info.get("row_count") == n else None
        time.sleep(0.01)
    start_snapshot = first

    total = args.lab_rate * args.lab_seconds
    seen: dict[int, float] = {}
    read_options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {kura.token}".encode())])

    def follow():
        command = {"dataset": "bench", "stream": "lab", "since": start_snapshot, "follow": True}
        fi = client.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(command)), read_options)
        stream = client.do_get(fi.endpoints[0].ticket, read_options)
        while len(seen) < total:
            chunk = stream.read_chunk()
            now = time.time_ns()
            for seq, sent in zip(chunk.data.column("seq").to_pylist(), chunk.data.column("sent_ns").to_pylist()):
                seen.setdefault(seq, (now - sent) / 1e9)
        stream.cancel()

    acks = []

    def acknowledge():
        for _ in range(total):
            reader.read()
            acks.append(time.perf_counter())

    follower = threading.Thread(target=follow, daemon=True)
    acker = threading.Thread(target=acknowledge, daemon=True)
    follower.start()
    acker.start()
    watch = RssWatch(kura.proc.pid)
    sent = []
    t0 = time.perf_counter()
    for i in range(1, total + 1):
        pause = t0 + i / args.lab_rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        sent.append(time.perf_counter())
        writer.write_batch(batch(i))
    acker.join(60)
    writer.done_writing()
    follower.join(30)
    peak = watch.stop()
    files_before = stream_files(kura.data, "lab")
    snapshots = requests.get(f"{kura.base}/datasets/bench/streams/lab", headers=kura.auth).json()["snapshot"]
    time.sleep(args.lab_settle)  # let the background compaction merge the small files
    files_after = stream_files(kura.data, "lab")
    writer.close()
    kura.stop()
    shutil.rmtree(work, ignore_errors=True)
    ack_ms = [(a - s) * 1e3 for a, s in zip(acks, sent)]
    reader_ms = [seen[i] * 1e3 for i in range(1, total + 1) if i in seen]
    print(f"lab load: {args.lab_rate} batches/s of {n} rows for {args.lab_seconds} s ({total} batches), one DoPut, a follow reader")
    print("| figure | p50 | p99 | max |")
    print("| --- | --- | --- | --- |")
    print(f"| acknowledge latency (ms) | {percentile(ack_ms, 50):.1f} | {percentile(ack_ms, 99):.1f} | {max(ack_ms):.1f} |")
    if reader_ms:
        print(f"| lab-to-reader latency (ms) | {percentile(reader_ms, 50):.0f} | {percentile(reader_ms, 99):.0f} | {max(reader_ms):.0f} |")
    print(f"\nacknowledged {len(acks)} of {total}; the follower received {len(reader_ms)} of {total}; "
          f"achieved send rate {total / (sent[-1] - t0):.1f}/s")
    print(f"snapshots committed: {snapshots - start_snapshot + 1}; Parquet files when the load ended: {files_before}, "
          f"{args.lab_settle} s later (compaction): {files_after}; peak RSS of kura: {peak / 1e6:.0f} MB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--batch-rows", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--allow-debug", action="store_true", help="accept a debug build of kura (figures labelled)")
    ap.add_argument("--ack-each", action="store_true", help="wait for each batch's acknowledgement before the next")
    ap.add_argument("--lab", action="store_true", help="the lab-like load instead of the bulk DoPut")
    ap.add_argument("--lab-rate", type=int, default=100, help="batches a second")
    ap.add_argument("--lab-seconds", type=int, default=60)
    ap.add_argument("--lab-rows", type=int, default=10, help="rows a batch")
    ap.add_argument("--lab-settle", type=float, default=10.0, help="seconds given to compaction after the load")
    args = ap.parse_args()
    kura = str(release_binary("kura")) if not os.environ.get("KURA_BIN") else os.environ["KURA_BIN"]
    debug = "/debug/" in kura
    if debug and not args.allow_debug:
        sys.exit(f"{kura} is a debug build: build with `cargo build --release -p kura` or pass --allow-debug")
    if args.lab:
        return lab(kura, args)
    batches = make_batches(args.rows, args.batch_rows)
    nbytes = sum(b.nbytes for b in batches)
    work = pathlib.Path(tempfile.mkdtemp(prefix="stream-bench-"))
    contenders = {"kura": Kura(kura, work), "pyarrow": Peer()}
    for contender in contenders.values():
        contender.ack_each = args.ack_each
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
