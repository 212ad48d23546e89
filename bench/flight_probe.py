"""Where a Flight read's time goes: Kura and pyarrow's server alone, side by side (Flight issue).

`flight_bench.py` is the benchmark; this is its magnifying glass. The same table, the same two
servers (Kura with its memory tier, `bench/peers/flight_peer.py`), the same pyarrow client with
the same malloc settings, but no other contender between them, and per read:

- the time from each `do_get` to its first batch (one stream): what every endpoint costs before
  data flows;
- the CPU seconds of each of the client's threads (gRPC's event engine threads receive and
  parse, the Python thread turns messages into batches) and of the server;
- how many of the machine's cores the read kept busy: (client + server CPU) / wall time. A read
  that keeps fewer than all of them busy waits on something other than CPU.

    KURA_BIN=<release kura> python bench/flight_probe.py [--rounds 5]

Writes `bench/results/flight-probe.md`.
"""

import argparse
import collections
import os
import statistics
import sys
import time

from pyarrow import flight

import flight_bench as fb


def thread_cpu() -> dict:
    """CPU seconds of this process's threads so far, by thread id: (name, seconds)."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[tid] = (name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return out


def one_read(server, clients, streams) -> dict:
    """One read of the whole table (`flight_bench.read_table`) with its CPU accounted."""
    before, server_before = thread_cpu(), fb.cpu_seconds(server.proc.pid)
    client_before = fb.cpu_seconds(os.getpid())
    wall, _, nbytes, _, endpoints, first_ms = fb.read_table(server, clients, streams)
    after = thread_cpu()
    client_cpu = fb.cpu_seconds(os.getpid()) - client_before
    by_kind = collections.Counter()
    for tid, (name, seconds) in after.items():
        by_kind[name] += seconds - before.get(tid, (name, 0.0))[1]
    # The reading pool's threads end with the read: what the live threads do not account for.
    by_kind["ended threads"] = max(0.0, client_cpu - sum(by_kind.values()))
    gb = nbytes / 1e9
    server_cpu = fb.cpu_seconds(server.proc.pid) - server_before
    return {
        "gbps": gb / wall,
        "first_ms": first_ms,
        "endpoints": endpoints,
        "client_threads": {k: v / gb for k, v in by_kind.items()},
        "client": client_cpu / gb,
        "server": server_cpu / gb,
        "cores": (client_cpu + server_cpu) / wall,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if any(os.environ.get(k) != v for k, v in fb.CLIENT_MALLOC.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **fb.CLIENT_MALLOC})
    kura_bin = fb.release_binary()
    _, data_dir, token = fb.prepare(kura_bin, args.rows)
    kura = fb.Kura(kura_bin, data_dir, token, 1 << 40)
    parquet = fb.DATA / f"flight-{args.rows}.parquet"
    if not parquet.exists():
        kura.parquet(parquet)
    servers = {"kura": kura, "pyarrow": fb.Peer(parquet, sys.executable)}
    clients = {name: [flight.FlightClient(s.location) for _ in range(2)] for name, s in servers.items()}
    runs = collections.defaultdict(list)
    try:
        for name, s in servers.items():  # warm-up: Kura's memory tier, connections, allocators
            for streams in (1, 2):
                one_read(s, clients[name], streams)
        for r in range(args.rounds):
            for streams in (1, 2):
                for name in (["kura", "pyarrow"] if r % 2 == 0 else ["pyarrow", "kura"]):
                    runs[name, streams].append(one_read(servers[name], clients[name], streams))
    finally:
        for s in servers.values():
            s.stop()
    print(report(runs, args))


def report(runs, args) -> str:
    med = statistics.median
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} with `python bench/flight_probe.py --rows {args.rows} "
        f"--rounds {args.rounds}` (release build; client malloc fixed as in flight_bench.py).",
        "Medians over the rounds; CPU in seconds per GB read; cores = (client + server CPU) / wall time.",
        "",
        "| server | streams | endpoints | GB/s | Kura ÷ pyarrow | ms to first batch (median, max) | client CPU s/GB | "
        "client's threads s/GB | server CPU s/GB | cores busy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for streams in (1, 2):
        for name in ("kura", "pyarrow"):
            rs = runs[name, streams]
            gbps = med(r["gbps"] for r in rs)
            ratio = gbps / med(r["gbps"] for r in runs["pyarrow", streams]) if name == "kura" else None
            first = [ms for r in rs for ms in r["first_ms"]]
            kinds = sorted({k for r in rs for k in r["client_threads"]})
            threads = ", ".join(f"{k} {med(r['client_threads'].get(k, 0) for r in rs):.2f}" for k in kinds
                                if med(r["client_threads"].get(k, 0) for r in rs) >= 0.005)
            lines.append(
                f"| {name} | {streams} | {rs[0]['endpoints']} | {gbps:.2f} | {f'**{ratio:.2f}**' if ratio else ''} | "
                f"{med(first):.1f}, {max(first):.1f} | {med(r['client'] for r in rs):.2f} | {threads} | "
                f"{med(r['server'] for r in rs):.2f} | {med(r['cores'] for r in rs):.2f} |"
            )
    text = "\n".join(lines) + "\n"
    (fb.HERE / "results").mkdir(exist_ok=True)
    (fb.HERE / "results" / "flight-probe.md").write_text(text)
    return text


if __name__ == "__main__":
    main()
