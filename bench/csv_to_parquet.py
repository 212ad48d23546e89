"""CSV → zstd Parquet, Kura's full ingest path side by side with polars, DuckDB and pyarrow.

Each contender runs as its own process, interleaved round by round, at each thread count; the
table reports median MB/s (input bytes / wall time) and Kura's ratio to each peer. A separate
run on a larger file reports every tool's peak RSS (ru_maxrss of the child process).

    python bench/csv_to_parquet.py --size-mb 300 --runs 5 --threads 1 2 --rss-size-mb 2048

Kura's run is `kura ingest FILE --dataset bench --threads N` into a fresh data directory: it
hashes the file, stores the raw bytes, detects the format, reads the header block and units,
writes Parquet and commits the catalog, i.e. everything a user's upload goes through."""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import release_binary

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
ZSTD_LEVEL = 1  # Kura writes zstd level 1; every peer is asked for the same level.


def ensure_data(size_mb: int) -> tuple[pathlib.Path, pathlib.Path]:
    DATA.mkdir(exist_ok=True)
    full, plain = DATA / f"instrument-{size_mb}mb.csv", DATA / f"instrument-{size_mb}mb.plain.csv"
    for path, flag in [(full, []), (plain, ["--plain"])]:
        if not path.exists():
            print(f"generating {path.name}", file=sys.stderr)
            subprocess.run([sys.executable, str(HERE / "gen_csv.py"), str(size_mb), str(path), *flag], check=True)
    return full, plain


def run(cmd: list[str], env: dict) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024


def contenders(kura: pathlib.Path, full: pathlib.Path, plain: pathlib.Path, threads: int, scratch: pathlib.Path,
               before: pathlib.Path | None = None):
    """(name, input file, command, env) for each tool at `threads`; `before` is an older Kura
    binary measured beside the current one (`kura-before`)."""
    py = sys.executable
    base = dict(os.environ)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        base.pop(var, None)
    out = str(scratch / "out.parquet")
    for name, binary in [("kura", kura), ("kura-before", before)]:
        if binary is None:
            continue
        yield name, full, [str(binary), "ingest", str(full), "--dataset", "bench", "--threads", str(threads), "--quiet"], dict(
            base, KURA_DATA_DIR=str(scratch / "kura-data"), KURA_LOG="warn")
    yield "polars", plain, [py, str(HERE / "peers/polars_convert.py"), str(plain), out, str(ZSTD_LEVEL)], dict(
        base, POLARS_MAX_THREADS=str(threads))
    yield "duckdb", plain, [py, str(HERE / "peers/duckdb_convert.py"), str(plain), out, str(ZSTD_LEVEL), str(threads)], base
    yield "pyarrow", plain, [py, str(HERE / "peers/pyarrow_convert.py"), str(plain), out, str(ZSTD_LEVEL), str(threads)], base


def fresh(scratch: pathlib.Path):
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rss-size-mb", type=int, default=2048, help="0 skips the RSS run")
    parser.add_argument("--kura-bin", type=pathlib.Path, default=None)
    parser.add_argument("--kura-before", type=pathlib.Path, default=None,
                        help="an older kura binary, measured beside the current one as kura-before")
    parser.add_argument("--only", default="", help="comma-separated subset of kura,kura-before,polars,duckdb,pyarrow")
    args = parser.parse_args()
    kura = args.kura_bin or release_binary()
    only = set(filter(None, args.only.split(",")))
    full, plain = ensure_data(args.size_mb)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="kura-bench-"))

    times: dict[tuple[str, int], list[float]] = {}
    for round_ in range(args.runs):
        for threads in args.threads:
            for name, src, cmd, env in contenders(kura, full, plain, threads, scratch, args.kura_before):
                if only and name not in only:
                    continue
                fresh(scratch)
                elapsed, _ = run(cmd, env)
                times.setdefault((name, threads), []).append(elapsed)
                print(f"round {round_ + 1} {name:8} {threads} thread(s): {src.stat().st_size / elapsed / 1e6:7.1f} MB/s", file=sys.stderr)

    size = plain.stat().st_size
    lines = [
        f"CSV → zstd Parquet, {size / 1e6:.0f} MB, {args.runs} runs, median (min–max) MB/s; ratio = Kura ÷ tool",
        "",
        "| tool | threads | MB/s | min–max | Kura ÷ tool |",
        "| --- | --- | --- | --- | --- |",
    ]
    for threads in args.threads:
        kura_median = statistics.median(times.get(("kura", threads), [float("nan")]))
        for name in ("kura", "kura-before", "polars", "duckdb", "pyarrow"):
            runs = times.get((name, threads))
            if not runs:
                continue
            mbs = [size / t / 1e6 for t in runs]
            ratio = statistics.median(runs) / kura_median
            lines.append(f"| {name} | {threads} | {statistics.median(mbs):.1f} | {min(mbs):.1f}–{max(mbs):.1f} | {ratio:.2f} |")

    if args.rss_size_mb:
        big_full, big_plain = ensure_data(args.rss_size_mb)
        lines += ["", f"Peak RSS, {big_plain.stat().st_size / 1e9:.2f} GB CSV, 1 thread, one run each", "",
                  "| tool | peak RSS (MB) | seconds |", "| --- | --- | --- |"]
        for name, src, cmd, env in contenders(kura, big_full, big_plain, 1, scratch, args.kura_before):
            if only and name not in only:
                continue
            fresh(scratch)
            elapsed, rss = run(cmd, env)
            lines.append(f"| {name} | {rss / 1e6:.0f} | {elapsed:.1f} |")
    shutil.rmtree(scratch, ignore_errors=True)
    report = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "csv_to_parquet.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
