"""Ingestion benchmark (ingestion-breadth issue), one run, side by side:

1. the whole ../shared/testdata corpus through `kura ingest` into a fresh data directory
   (MB/s, peak RSS);
2. mzML: `kura read` against pyteomics on the same file (the test file's spectra repeated into a
   larger one, so that start-up does not dominate);
3. JCAMP-DX: `kura read` against the `jcamp` package on the same files (a large generated AFFN
   spectrum, and the corpus's JCAMP folder).

Every contender is its own process, interleaved round by round; medians of --runs; peak RSS is
the child's ru_maxrss. Kura also writes Parquet (zstd, statistics) where the peers only decode
into NumPy arrays, so the ratios are conservative for Kura.
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

from common import release_binary

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"
DATA = ROOT / "bench" / "data"
PEER = ROOT / "bench" / "peers" / "read_reference.py"


def timed(cmd, env=None):
    """Wall seconds and peak RSS (MB) of one child process; fails loudly if it fails."""
    # Output goes to files, not pipes: a child that fills a pipe nobody reads would block.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return seconds, usage.ru_maxrss / 1024, proc.returncode, out.read().decode(errors="replace"), \
            err.read().decode(errors="replace")


def corpus_links() -> list[pathlib.Path]:
    """Every file of the corpus, as a symbolic link in bench/data/corpus/ named after its path
    (`/` → `__`): `kura ingest` names a file by its base name, and the corpus has 23 names that
    occur in several folders, which one dataset cannot hold twice."""
    folder = DATA / "corpus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    links = []
    for path in sorted(p for p in TESTDATA.rglob("*") if p.is_file()):
        link = folder / "__".join(path.relative_to(TESTDATA).parts)
        link.symlink_to(path)
        links.append(link)
    return links


def make_big_mzml(copies: int) -> pathlib.Path:
    """The pyteomics test file's spectra repeated `copies` times, as plain (unindexed) mzML."""
    target = DATA / f"big-{copies}.mzML"
    if target.exists():
        return target
    text = (TESTDATA / "mzml" / "pyteomics-test.mzML").read_text(encoding="latin-1")
    text = text[text.index("<mzML"):text.index("</mzML>") + len("</mzML>")]
    head, rest = text.split("<spectrumList", 1)
    attrs, rest = rest.split(">", 1)
    body, tail = rest.split("</spectrumList>", 1)
    spectra = re.findall(r"<spectrum .*?</spectrum>", body, flags=re.S)
    out = []
    n = 0
    for c in range(copies):
        for s in spectra:
            s = re.sub(r'index="\d+"', f'index="{n}"', s, count=1)
            s = re.sub(r'id="([^"]*)"', lambda m: f'id="{m.group(1)} copy={c}"', s, count=1)
            out.append(s)
            n += 1
    attrs = re.sub(r'count="\d+"', f'count="{n}"', attrs)
    DATA.mkdir(parents=True, exist_ok=True)
    target.write_text('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + head + "<spectrumList" + attrs + ">\n"
                      + "\n".join(out) + "\n</spectrumList>" + tail + "\n", encoding="latin-1")
    return target


def make_big_jcamp(points: int) -> pathlib.Path:
    """An IR-like spectrum with `points` points in AFFN (X++(Y..Y)) form, ten Y values a line."""
    target = DATA / f"big-{points}.jdx"
    if target.exists():
        return target
    import math

    first, delta = 400.0, 0.25
    lines = ["##TITLE=generated benchmark spectrum", "##JCAMP-DX=4.24", "##DATA TYPE=INFRARED SPECTRUM",
             "##XUNITS=1/CM", "##YUNITS=ABSORBANCE", "##XFACTOR=1", "##YFACTOR=0.0001",
             f"##FIRSTX={first}", f"##LASTX={first + delta * (points - 1)}", f"##DELTAX={delta}",
             f"##NPOINTS={points}", f"##FIRSTY={int(5000 + 4000 * math.sin(0)) * 0.0001}", "##XYDATA=(X++(Y..Y))"]
    for i in range(0, points, 10):
        ys = [int(5000 + 4000 * math.sin(j / 500.0)) for j in range(i, min(i + 10, points))]
        lines.append(f"{first + delta * i:.2f} " + " ".join(str(y) for y in ys))
    lines.append("##END=")
    DATA.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    return target


def median_row(name, samples, mb):
    secs = [s for s, _ in samples]
    med = statistics.median(secs)
    return {"tool": name, "median_s": med, "min_s": min(secs), "max_s": max(secs),
            "mb_per_s": mb / med if mb else None, "peak_rss_mb": max(r for _, r in samples)}


def run_pair(label, mb, contenders, runs):
    """contenders: {name: callable() -> (seconds, rss)}; interleaved rounds."""
    samples = {name: [] for name in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            samples[name].append(fn())
    rows = [median_row(n, s, mb) for n, s in samples.items()]
    base = rows[0]["median_s"]
    for r in rows:
        r["kura_speedup"] = r["median_s"] / base
    return {"benchmark": label, "input_mb": mb, "rows": rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mzml-copies", type=int, default=300)
    ap.add_argument("--jcamp-points", type=int, default=2_000_000)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    kura = release_binary()
    results = []

    corpus = corpus_links()
    corpus_mb = sum(p.stat().st_size for p in corpus) / 1e6

    outcome = {}

    def kura_ingest():
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, KURA_DATA_DIR=d, KURA_LOG="warn")
            env.pop("KURA_DATABASE_URL", None)
            s, rss, code, out, err = timed([str(kura), "ingest", *map(str, corpus), "--dataset", "corpus", "--quiet"],
                                           env)
            # Exit 1 with a finished job means some files failed (listed); anything else is a crash.
            if code not in (0, 1) or not re.search(r"^job \S+ \w+: dataset corpus", out, flags=re.M):
                sys.exit(f"kura ingest did not finish ({code}): {err[-2000:]}")
            outcome["tables"] = len(re.findall(r"^table ", out, flags=re.M))
            outcome["failed"] = re.findall(r"^failed: (.*)$", err, flags=re.M)
            return s, rss

    results.append(run_pair(f"whole testdata corpus ({len(corpus)} files)", corpus_mb, {"kura ingest": kura_ingest},
                            args.runs))
    results[-1]["note"] = (f"{len(corpus)} files, {outcome['tables']} tables written, "
                           f"{len(outcome['failed'])} files failed" +
                           "".join(f"\n- failed: {f}" for f in outcome["failed"]))

    def kura_read(files):
        def run():
            with tempfile.TemporaryDirectory() as d:
                s, rss, code, out, err = timed([str(kura), "read", *map(str, files), "--out", d])
                if code != 0:
                    sys.exit(f"kura read failed: {err[-2000:]}")
                return s, rss
        return run

    def peer(kind, files):
        def run():
            s, rss, code, out, err = timed([args.python, str(PEER), kind, *map(str, files)])
            if code != 0:
                sys.exit(f"{kind} failed: {err[-2000:]}")
            return s, rss
        return run

    big_mzml = make_big_mzml(args.mzml_copies)
    mb = big_mzml.stat().st_size / 1e6
    results.append(run_pair(f"mzML ({big_mzml.name})", mb,
                            {"kura read": kura_read([big_mzml]), "pyteomics": peer("pyteomics", [big_mzml])}, args.runs))

    big_jcamp = make_big_jcamp(args.jcamp_points)
    mb = big_jcamp.stat().st_size / 1e6
    results.append(run_pair(f"JCAMP-DX ({big_jcamp.name}, AFFN)", mb,
                            {"kura read": kura_read([big_jcamp]), "jcamp": peer("jcamp", [big_jcamp])}, args.runs))
    # The corpus's JCAMP-DX folder: every file the jcamp package reads goes into one process per
    # tool; the files it cannot read are listed (Kura reads them all, or the run stops).
    corpus_jcamp = sorted(p for p in (TESTDATA / "jcamp").iterdir() if p.suffix in (".dx", ".jdx"))
    readable, unreadable = [], []
    for p in corpus_jcamp:
        _, _, code, _, err = timed([args.python, str(PEER), "jcamp", str(p)])
        if code == 0:
            readable.append(p)
        else:
            unreadable.append(f"{p.name}: {(err.strip().splitlines() or ['?'])[-1][:160]}")
    kura_read(corpus_jcamp)()
    mb = sum(p.stat().st_size for p in readable) / 1e6
    results.append(run_pair(f"JCAMP-DX (the corpus files the jcamp package reads: {len(readable)} of "
                            f"{len(corpus_jcamp)}, one process each tool)", mb,
                            {"kura read": kura_read(readable), "jcamp": peer("jcamp", readable)}, args.runs))
    results[-1]["note"] = ("Kura reads all " + str(len(corpus_jcamp)) + " files; the jcamp package fails on:" +
                           "".join(f"\n- {u}" for u in unreadable)) if unreadable else ""

    lines = [f"Measured {time.strftime('%Y-%m-%d')} with `python bench/ingest_bench.py --runs {args.runs}` "
             f"(release build); medians of {args.runs}, interleaved.", ""]
    for r in results:
        lines += [f"### {r['benchmark']}: {r['input_mb']:.1f} MB", "",
                  "| tool | median s | min–max s | MB/s | peak RSS MB | tool ÷ Kura time |", "| --- | --- | --- | --- | --- | --- |"]
        for row in r["rows"]:
            lines.append(f"| {row['tool']} | {row['median_s']:.3f} | {row['min_s']:.3f}–{row['max_s']:.3f} | "
                         f"{row['mb_per_s']:.1f} | {row['peak_rss_mb']:.0f} | {row['kura_speedup']:.2f} |")
        if r.get("note"):
            lines += ["", r["note"]]
        lines.append("")
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench" / "results" / "ingest.md"
    out.write_text(report)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
