"""Arrow Flight read throughput (Flight issue): Kura against pyarrow's own Flight server.

    python bench/flight_bench.py --rows 10000000 --rounds 5        # ≥ 1 GB table, 1 and 2 streams
    python bench/flight_bench.py --large                          # > 1/4 of RAM: Kura's peak RSS

The same table, generated once into bench/data/ as a CSV (timestamps, floats, integers, short and
longer strings) and ingested with `kura ingest --publish` into a Kura data directory, is served
by `kura serve` (release build, admin token) and by `bench/peers/flight_peer.py`, a
`pyarrow.flight.FlightServerBase` holding the table Kura serves (downloaded once as Parquet
through Kura's REST API) in memory and answering DoGet with a `RecordBatchStream` of it.
Kura is measured three ways: "kura" (encoded row groups held in memory after the warm-up reads,
the default `KURA_FLIGHT_MEMORY_BYTES` of 2 GiB), "kura disk" (a second server on a copy of the
data directory with that memory set to 0: every read sends the entries stored on disk) and
"kura cold" (that server with its entries removed before each read: Parquet decoded).

One pyarrow client reads both with the same code: GetFlightInfo, then the endpoints split
round-robin over 1 or 2 streams (a thread and a connection each), every batch received and
counted. Runs alternate (Kura first in even rounds, the peer first in odd ones) after a warm-up
round that also checks rows and a column sum are equal; medians of --rounds. memcpy bandwidth
(numpy copy of 1 GB, best of 3 per round) and what loopback TCP costs by itself (`tcp_floor`)
are measured in the same run. Kura's peak RSS is its
/proc VmHWM. GB is 10^9 bytes of the Arrow table in memory (the received batches' nbytes).

The client's allocator is part of what is measured: with glibc's adaptive malloc thresholds, the
pyarrow client page-faults on most received bytes until large messages have raised its mmap
threshold, so one contender's messages change the next contender's speed (1.2-2 million page
faults per six reads of the table; about 0.3 million with the thresholds fixed). By default
(`--client-malloc fixed`) the client process therefore runs with the thresholds fixed from the
start (the servers keep their own defaults); `--client-malloc default` measures the untuned client.
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.flight as flight
import requests

from common import free_port, release_binary, wait_healthy

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "data"
PEER = HERE / "peers" / "flight_peer.py"
DATASET = "flight-bench"

WORDS = np.array("calibration drift ok baseline shifted detector warm sample replaced lamp aligned noise high "
                 "low run repeated after maintenance check pressure stable".split())


def gen_csv(path: pathlib.Path, rows: int):
    """A deterministic instrument table: ~112 bytes a row in memory, 12 columns (a timestamp, six
    floats, two integers, three strings of 4 to 40 characters)."""
    rng = np.random.default_rng(11)
    phrases = pa.array([" ".join(rng.choice(WORDS, k)) for k in rng.integers(1, 5, 4096)])
    samples = pa.array([f"S-{i}" for i in range(100_000)])
    channels = pa.array(["ch-a", "ch-b", "ch-c", "ch-d"])
    chunk = 1_000_000
    tmp = path.with_suffix(".tmp")
    writer = None
    base = np.datetime64("2026-01-01T00:00:00", "us")
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        idx = np.arange(start, start + n, dtype=np.int64)
        table = pa.table({
            "time": pa.array(base + (idx * 250_000).astype("timedelta64[us]")),
            "temperature_K": np.round(290 + rng.random(n) * 40, 3),
            "setpoint_C": np.round(20 + rng.random(n) * 30, 1),
            "voltage_mV": np.round(rng.normal(0, 50, n), 4),
            "current_mA": np.round(rng.random(n) * 3, 5),
            "pressure_Pa": np.round(101_000 + rng.random(n) * 800, 2),
            "power_W": np.round(rng.random(n) * 250, 4),
            "counter": idx,
            "intensity": rng.integers(0, 65_536, n).astype(np.int64),
            "sample": samples.take(rng.integers(0, len(samples), n)),
            "channel": channels.take(rng.integers(0, 4, n)),
            "note": phrases.take(rng.integers(0, len(phrases), n)),
        })
        if writer is None:
            writer = pacsv.CSVWriter(str(tmp), table.schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
        writer.write_table(table)
    writer.close()
    tmp.rename(path)


def run(cmd, env, **kw):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr[-3000:]}")
    return r.stdout


def prepare(kura: pathlib.Path, rows: int) -> tuple[pathlib.Path, pathlib.Path, str]:
    """CSV, Kura data directory with the published table, and an admin token (cached in data/)."""
    DATA.mkdir(exist_ok=True)
    csv = DATA / f"flight-{rows}.csv"
    if not csv.exists():
        print(f"generating {csv.name}", file=sys.stderr)
        t = time.perf_counter()
        gen_csv(csv, rows)
        print(f"  {csv.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    data_dir = DATA / f"flight-kura-{rows}"
    token_file = data_dir / "bench-token"
    if not token_file.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir()
        env = kura_env(data_dir)
        print(f"kura ingest {csv.name}", file=sys.stderr)
        t = time.perf_counter()
        run([kura, "ingest", csv, "--dataset", DATASET, "--publish", "--quiet"], env)
        print(f"  ingested in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        token = run([kura, "admin", "token", "--name", "bench"], env).strip().splitlines()[-1]
        token_file.write_text(token)
    return csv, data_dir, token_file.read_text().strip()


def kura_env(data_dir: pathlib.Path, http=0, flight_port=0, cache_bytes=None, memory_bytes=None) -> dict:
    env = dict(os.environ, KURA_DATA_DIR=str(data_dir), KURA_LOG=os.environ.get("KURA_LOG", "warn"),
               KURA_HTTP_ADDR=f"127.0.0.1:{http}", KURA_FLIGHT_ADDR=f"127.0.0.1:{flight_port}")
    if cache_bytes is not None:
        env["KURA_FLIGHT_CACHE_BYTES"] = str(cache_bytes)
    if memory_bytes is not None:
        env["KURA_FLIGHT_MEMORY_BYTES"] = str(memory_bytes)
    env.pop("KURA_DATABASE_URL", None)
    env.pop("KURA_CONFIG", None)
    return server_env(env)


# glibc's malloc settings that `--client-malloc fixed` gives the client process (this one).
CLIENT_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def server_env(env: dict) -> dict:
    """A server's environment: the client's malloc settings are the client's alone."""
    return {k: v for k, v in env.items() if k not in CLIENT_MALLOC}


class Kura:
    def __init__(self, kura, data_dir, token, cache_bytes, memory_bytes=None):
        self.http, self.flight_port = free_port(), free_port()
        self.cache = data_dir / "cache" / "flight"
        shutil.rmtree(self.cache, ignore_errors=True)
        self.log = open(data_dir.parent / f"{data_dir.name}.serve.log", "w")
        self.proc = subprocess.Popen([kura, "serve"], env=kura_env(data_dir, self.http, self.flight_port, cache_bytes, memory_bytes),
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        self.token = token
        self.options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())])
        self.location = f"grpc://127.0.0.1:{self.flight_port}"
        wait_healthy(self.url("/health"), self.proc, self.log.name)
        c = flight.FlightClient(self.location)
        infos = [f for f in c.list_flights(options=self.options) if f.descriptor.path[0].decode() == DATASET]
        if not infos:
            sys.exit("kura lists no table of the benchmark dataset")
        self.path = [p.decode() for p in infos[0].descriptor.path]
        # The reader says how many streams it runs, as it does to the peer (its paths "1", "2").
        dataset, version, table = self.path
        self.descriptor = {
            n: flight.FlightDescriptor.for_command(
                json.dumps({"dataset": dataset, "version": version, "table": table, "endpoints": n}))
            for n in (1, 2)
        }

    def url(self, path):
        return f"http://127.0.0.1:{self.http}/api/v1{path}"

    def drop_cache(self):
        """Empties Kura's encoded-row-group cache, so the next read decodes Parquet again."""
        for shard in self.cache.glob("*"):
            shutil.rmtree(shard, ignore_errors=True)

    def parquet(self, target: pathlib.Path):
        dataset, version, table = self.path
        with requests.get(self.url(f"/datasets/{dataset}/versions/{version}/tables/{table}/parquet"),
                          headers={"Authorization": f"Bearer {self.token}"}, stream=True) as r:
            r.raise_for_status()
            with open(target, "wb") as f:
                for block in r.iter_content(1 << 20):
                    f.write(block)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Peer:
    def __init__(self, parquet: pathlib.Path, python: str):
        port = free_port()
        self.proc = subprocess.Popen([python, str(PEER), str(parquet), str(port)], stdout=subprocess.PIPE, text=True,
                                     env=server_env(dict(os.environ)))
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            sys.exit(f"the pyarrow peer did not start: {line!r}")
        self.location = f"grpc://127.0.0.1:{port}"
        self.options = flight.FlightCallOptions()
        self.descriptor = {n: flight.FlightDescriptor.for_path(str(n)) for n in (1, 2)}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def vm(pid: int, key: str) -> int:
    """A /proc/PID/status figure in bytes (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


class RssWatch:
    """Samples a process's RSS every 20 ms; `peak` is the largest sample."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop_flag = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, vm(self.pid, "VmRSS"))
            time.sleep(0.02)

    def stop(self):
        self.stop_flag.set()
        self.thread.join()
        return self.peak


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (/proc/PID/stat, all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_stream(client, options, endpoints, check_column):
    """Rows, bytes, a column sum, and per endpoint the milliseconds from `do_get` to its first batch."""
    rows = nbytes = total = 0
    first_ms = []
    for e in endpoints:
        start = time.perf_counter()
        reader = client.do_get(e.ticket, options)
        for i, chunk in enumerate(reader):
            if i == 0:
                first_ms.append((time.perf_counter() - start) * 1e3)
            batch = chunk.data
            rows += batch.num_rows
            nbytes += batch.nbytes
            if check_column is not None:
                total += pc.sum(batch.column(check_column)).as_py() or 0
    return rows, nbytes, total, first_ms


def read_table(server, clients, streams, check_column=None):
    """Seconds, rows, bytes, a column sum, the endpoints and every endpoint's milliseconds to its
    first batch, of one full read over `streams` connections."""
    start = time.perf_counter()
    info = clients[0].get_flight_info(server.descriptor[streams], server.options)
    parts = [info.endpoints[i::streams] for i in range(streams)]
    if streams == 1:
        results = [read_stream(clients[0], server.options, parts[0], check_column)]
    else:
        with concurrent.futures.ThreadPoolExecutor(streams) as pool:
            results = list(pool.map(lambda i: read_stream(clients[i], server.options, parts[i], check_column),
                                    range(streams)))
    seconds = time.perf_counter() - start
    return (seconds, sum(r[0] for r in results), sum(r[1] for r in results), sum(r[2] for r in results),
            len(info.endpoints), [ms for r in results for ms in r[3]])


def memcpy_gbps(src, dst) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    return src.nbytes / best / 1e9


def _tcp_sink(port: int, out):
    """Reads a loopback connection to its end into one reused buffer; sends back bytes and CPU s."""
    start = time.process_time()
    with socket.create_connection(("127.0.0.1", port)) as s:
        view, n = memoryview(bytearray(4 << 20)), 0
        while k := s.recv_into(view):
            n += k
    out.send((n, time.process_time() - start))


def tcp_floor(nbytes: int = 2 * 10**9) -> tuple[float, float, float]:
    """What sending over loopback TCP costs by itself on this machine: `nbytes` written in 1 MiB
    `sendall`s to a process that reads and discards them. Returns the sender's and the
    receiver's CPU seconds per GB and the GB/s. A Flight server cannot cost less per GB than
    that sender, nor a client less than that receiver (both also frame and parse HTTP/2)."""
    import multiprocessing
    listener = socket.create_server(("127.0.0.1", 0))
    parent, child = multiprocessing.Pipe()
    sink = multiprocessing.Process(target=_tcp_sink, args=(listener.getsockname()[1], child))
    sink.start()
    conn, _ = listener.accept()
    chunk = memoryview(bytearray(os.urandom(1 << 20)))
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(nbytes // len(chunk)):
        conn.sendall(chunk)
    conn.close()
    received, sink_cpu = parent.recv()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    sink.join()
    listener.close()
    gb = received / 1e9
    return cpu / gb, sink_cpu / gb, gb / seconds


def ram_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--large", action="store_true", help="Kura alone on a table larger than a quarter of RAM")
    ap.add_argument("--large-rows", type=int, default=60_000_000)
    ap.add_argument("--no-cache", action="store_true",
                    help="Kura with its encoded-row-group cache off (KURA_FLIGHT_CACHE_BYTES=0): every read decodes Parquet")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--client-malloc", choices=["default", "fixed"], default="fixed",
                    help="fixed (the default): the client's glibc malloc keeps freed memory and its mmap "
                         "threshold at 32 MiB from the start, so that what one contender's messages did "
                         "to the client's heap does not speed up or slow down the next contender; "
                         "default: glibc's adaptive thresholds, as a pipeline gets without tuning")
    args = ap.parse_args()
    if args.client_malloc == "fixed" and any(os.environ.get(k) != v for k, v in CLIENT_MALLOC.items()):
        # glibc reads these once, at start: run again with them set.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **CLIENT_MALLOC})
    kura_bin = release_binary()
    if args.large:
        return large(kura_bin, args)

    csv, data_dir, token = prepare(kura_bin, args.rows)
    # The cache counts what it stores, not what drop_cache removes: room for every cold read.
    kura = Kura(kura_bin, data_dir, token, 0 if args.no_cache else 1 << 40)
    parquet = DATA / f"flight-{args.rows}.parquet"
    if not parquet.exists():
        kura.parquet(parquet)
    peer = Peer(parquet, args.python)
    servers = {"kura": kura, "pyarrow": peer}
    # "kura disk": a second Kura (on a copy of the data directory) with no memory for encoded
    # entries, so every read comes from the entries on disk. "kura cold": that server with its
    # entries removed right before the read (Parquet decoded, IPC encoded, entries written).
    if not args.no_cache:
        disk_dir = data_dir.with_name(data_dir.name + "-disk")
        shutil.rmtree(disk_dir, ignore_errors=True)
        shutil.copytree(data_dir, disk_dir, ignore=shutil.ignore_patterns("cache"))
        servers["kura disk"] = Kura(kura_bin, disk_dir, token, 1 << 40, memory_bytes=0)
    contenders = ["kura", "pyarrow"] if args.no_cache else ["kura", "kura disk", "kura cold", "pyarrow"]
    server_of = {"kura": "kura", "kura disk": "kura disk", "kura cold": "kura disk", "pyarrow": "pyarrow"}
    clients = {name: [flight.FlightClient(s.location) for _ in range(2)] for name, s in servers.items()}
    try:
        # Warm-up: page cache, connections, allocators; and both serve the same table.
        schema = clients["kura"][0].get_flight_info(kura.descriptor[1], kura.options).schema
        check = schema.get_field_index("counter")
        warm = {}
        for name, s in servers.items():
            for streams in (1, 2):
                warm[name, streams] = read_table(s, clients[name], streams, check)[1:4]
        print("warm-up (rows, bytes, sum of counter):", warm, file=sys.stderr)
        if len({(r, t) for r, _, t in warm.values()}) != 1:
            sys.exit(f"the servers disagree on the table: {warm}")
        rows, table_bytes = warm["kura", 1][0], warm["kura", 1][1]
        if table_bytes < 1e9:
            sys.exit(f"the table is {table_bytes / 1e9:.2f} GB in memory: raise --rows")

        src = np.ones(1 << 30, dtype=np.uint8)
        dst = np.zeros_like(src)
        samples = {(name, streams): [] for name in contenders for streams in (1, 2)}
        # CPU seconds per GB of the client (this process, all its threads) and of the server.
        cpu = {(name, streams): [] for name in contenders for streams in (1, 2)}
        endpoints = {}
        memcpy, floor = [], []
        kura_watch = RssWatch(kura.proc.pid)
        for r in range(args.rounds):
            memcpy.append(memcpy_gbps(src, dst))
            floor.append(tcp_floor())
            for streams in (1, 2):
                order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
                for name in order:
                    if name == "kura cold":
                        servers["kura disk"].drop_cache()
                    server = server_of[name]
                    client_cpu, server_cpu = time.process_time(), cpu_seconds(servers[server].proc.pid)
                    secs, n, nbytes, _, n_endpoints, _ = read_table(servers[server], clients[server], streams)
                    client_cpu = time.process_time() - client_cpu
                    server_cpu = cpu_seconds(servers[server].proc.pid) - server_cpu
                    if n != rows:
                        sys.exit(f"{name} sent {n} rows, expected {rows}")
                    samples[name, streams].append(nbytes / secs / 1e9)
                    cpu[name, streams].append((client_cpu / (nbytes / 1e9), server_cpu / (nbytes / 1e9)))
                    endpoints[name, streams] = n_endpoints
                    print(f"round {r} {name} {streams} streams: {nbytes / secs / 1e9:.2f} GB/s", file=sys.stderr)
        kura_sampled = kura_watch.stop()
        kura_hwm, peer_hwm = vm(kura.proc.pid, "VmHWM"), vm(peer.proc.pid, "VmHWM")
        disk_hwm = vm(servers["kura disk"].proc.pid, "VmHWM") if "kura disk" in servers else None
    finally:
        peer.stop()
        for name in ("kura", "kura disk"):
            if name in servers:
                servers[name].stop()

    mem = statistics.median(memcpy)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} with `python bench/flight_bench.py --rows {args.rows} "
        f"--rounds {args.rounds}{' --no-cache' if args.no_cache else ''} --client-malloc {args.client_malloc}` "
        f"(release build; {os.cpu_count()} cores, {ram_bytes() / 2**30:.0f} GiB).",
        f"Table: {rows:,} rows, {len(schema)} columns, {table_bytes / 1e9:.2f} GB in memory "
        f"(CSV {csv.stat().st_size / 1e9:.2f} GB, Kura's Parquet {parquet.stat().st_size / 1e9:.2f} GB).",
        f"memcpy (numpy, 1 GiB, one thread): median {mem:.2f} GB/s "
        f"(min–max {min(memcpy):.2f}–{max(memcpy):.2f}).",
        f"Loopback TCP alone (1 MiB sendall to a reader that discards, 2 GB per round): sender "
        f"{statistics.median(f[0] for f in floor):.2f} CPU s/GB, receiver {statistics.median(f[1] for f in floor):.2f} CPU s/GB, "
        f"{statistics.median(f[2] for f in floor):.2f} GB/s (medians).", "",
        "| server | streams | endpoints | GB/s (median) | min–max | Kura ÷ pyarrow | % of memcpy | client CPU s/GB | server CPU s/GB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    result = {"rows": rows, "bytes": table_bytes, "memcpy_gbps": memcpy, "samples": {}, "rounds": args.rounds}
    for streams in (1, 2):
        base = statistics.median(samples["pyarrow", streams])
        for name in contenders:
            s = samples[name, streams]
            med = statistics.median(s)
            ratio = f"**{med / base:.2f}**" if name != "pyarrow" else ""
            client_cpu = statistics.median(c for c, _ in cpu[name, streams])
            server_cpu = statistics.median(c for _, c in cpu[name, streams])
            lines.append(f"| {name} | {streams} | {endpoints[name, streams]} | {med:.2f} | {min(s):.2f}–{max(s):.2f} | "
                         f"{ratio} | {100 * med / mem:.0f} % | {client_cpu:.2f} | {server_cpu:.2f} |")
            result["samples"][f"{name}-{streams}"] = s
            result["samples"][f"{name}-{streams}-cpu"] = cpu[name, streams]
    # What no server can beat with this client on this machine: the client's own CPU per GB
    # (the least any contender left it) spread over every core, with a server that costs nothing;
    # and with a server as cheap as the cheapest one measured here, or as loopback TCP's sender
    # alone, whichever is less (client and server then share the cores).
    cores = os.cpu_count()
    sender = statistics.median(f[0] for f in floor)
    lines.append("")
    bounds = []
    for streams in (1, 2):
        least = min(statistics.median(c for c, _ in cpu[name, streams]) for name in contenders)
        cheapest = min(sender, min(statistics.median(c for _, c in cpu[name, streams]) for name in contenders))
        base = statistics.median(samples["pyarrow", streams])
        best = cores / (least + cheapest)
        plural = "s" if streams > 1 else ""
        lines.append(f"Bound at {streams} stream{plural}: the client needs at least {least:.2f} CPU s per GB, so on "
                     f"{cores} cores with a server that costs nothing it could read at most {cores / least:.2f} GB/s, "
                     f"{cores / least / base:.2f}× pyarrow's server.")
        bounds.append(f"Bound at {streams} stream{plural} with a server costing {cheapest:.2f} CPU s/GB "
                      f"(the cheapest server measured, or TCP's sender alone, whichever is less): at most {best:.2f} GB/s, "
                      f"{best / base:.2f}× pyarrow's server, {100 * best / mem:.0f} % of memcpy.")
    lines += bounds
    result["tcp_floor"] = floor
    disk_rss = f", kura serve without memory for entries {disk_hwm / 1e6:.0f} MB" if disk_hwm else ""
    lines += ["", f"Peak RSS: kura serve {kura_hwm / 1e6:.0f} MB (VmHWM; {kura_sampled / 1e6:.0f} MB sampled during "
              f"the timed rounds){disk_rss}, pyarrow peer {peer_hwm / 1e6:.0f} MB (holds the table).", ""]
    report = "\n".join(lines)
    print(report)
    (HERE / "results").mkdir(exist_ok=True)
    suffix = ("-nocache" if args.no_cache else "") + ("-malloc-default" if args.client_malloc == "default" else "")
    (HERE / "results" / f"flight{suffix}.md").write_text(report)
    (DATA / f"flight-result{suffix}.json").write_text(json.dumps(result, indent=1))


def large(kura_bin, args):
    """Kura alone serves a table larger than a quarter of RAM; reports its peak RSS."""
    csv, data_dir, token = prepare(kura_bin, args.large_rows)
    kura = Kura(kura_bin, data_dir, token, 0 if args.no_cache else None)
    clients = [flight.FlightClient(kura.location) for _ in range(2)]
    try:
        watch = RssWatch(kura.proc.pid)
        results = {}
        # The first read decodes Parquet (and fills the cache when it is on), the others may not.
        for label, streams in (("1, first read", 1), ("2", 2), ("1", 1)):
            secs, rows, nbytes, _, n_endpoints, _ = read_table(kura, clients, streams)
            results[label] = (secs, rows, nbytes, n_endpoints)
            print(f"{label} streams: {rows} rows, {nbytes / 1e9:.2f} GB in {secs:.1f} s", file=sys.stderr)
        sampled = watch.stop()
        hwm = vm(kura.proc.pid, "VmHWM")
    finally:
        kura.stop()
    first = results["1, first read"]
    nbytes = first[2]
    quarter = ram_bytes() / 4
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} with `python bench/flight_bench.py --large --large-rows "
        f"{args.large_rows}{' --no-cache' if args.no_cache else ''}` (release build; RAM "
        f"{ram_bytes() / 2**30:.0f} GiB, a quarter {quarter / 1e9:.2f} GB).",
        f"Table: {first[1]:,} rows, {nbytes / 1e9:.2f} GB in memory "
        f"({'larger' if nbytes > quarter else 'NOT larger'} than a quarter of RAM), CSV {csv.stat().st_size / 1e9:.2f} GB.",
        "",
        "| streams | endpoints | seconds | GB/s |",
        "| --- | --- | --- | --- |",
    ]
    for streams, (secs, rows, nb, n_endpoints) in results.items():
        lines.append(f"| {streams} | {n_endpoints} | {secs:.1f} | {nb / secs / 1e9:.2f} |")
    lines += ["", f"Kura's peak RSS while serving: {hwm / 1e6:.0f} MB (VmHWM over the whole process life; "
              f"{sampled / 1e6:.0f} MB sampled every 20 ms during the reads), "
              f"{100 * hwm / nbytes:.1f} % of the table.", ""]
    report = "\n".join(lines)
    print(report)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"flight-large{'-nocache' if args.no_cache else ''}.md").write_text(report)


if __name__ == "__main__":
    main()
