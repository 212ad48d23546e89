#!/usr/bin/env python3
"""CSV reading correctness: DuckDB's and polars' auto-detection on Kura's generated corpus.

The corpus and its expected tables are written by Kura's differential test:

    KURA_CORPUS_DIR=/tmp/kura-corpus KURA_CORPUS_VARIANTS=2000 \
        cargo test -p kura-ingest --test generated_csv -- --nocapture
    python bench/csv_correctness.py /tmp/kura-corpus

Each reading is exact (labels, row count, types and values as generated) or wrong (anything
else, including an error: these readers have no warnings to hide behind, so a refusal is counted
apart). Kura's counts come from the test's output. Compared as each tool's users would call it:
`duckdb.read_csv(path)` (auto-detection) and `polars.read_csv(path, try_parse_dates=True)`
(polars does not sniff the delimiter: it is given a comma, as its default).
Column names are compared with the labels as written (`temperature [K]`): only Kura splits units.
An extra empty last column (from a trailing delimiter) is dropped before comparing.
"""

import json
import math
import sys
from pathlib import Path


def same_value(kind, expected, got):
    if expected is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if got is None:
        return False
    if kind == "int":
        return isinstance(got, int) and not isinstance(got, bool) and got == expected
    if kind == "float":
        return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - expected) <= 1e-9 * max(1.0, abs(expected))
    if kind == "date":
        return str(got)[:10] == expected and not isinstance(got, str)
    return isinstance(got, str) and got == expected


def check(expected, names, rows):
    # A trailing delimiter gives these readers an extra, empty column: not counted against them.
    while len(names) > len(expected["kinds"]) and all(r[-1] is None for r in rows):
        names, rows = names[:-1], [r[:-1] for r in rows]
    want_names = expected["labels"] if expected["header"] else None
    if len(names) != len(expected["kinds"]):
        return f"{len(names)} columns, expected {len(expected['kinds'])}"
    if want_names is not None and [n.strip() for n in names] != [w.strip() for w in want_names]:
        return f"names {names}"
    if len(rows) != len(expected["rows"]):
        return f"{len(rows)} rows, expected {len(expected['rows'])}"
    for r, (want, got) in enumerate(zip(expected["rows"], rows)):
        for c, kind in enumerate(expected["kinds"]):
            if not same_value(kind, want[c], got[c]):
                return f"row {r} column {c}: {got[c]!r}, expected {want[c]!r}"
    return None


def read_duckdb(path):
    import duckdb

    con = duckdb.connect()
    rel = con.read_csv(str(path))
    return rel.columns, rel.fetchall()


def read_polars(path):
    import polars as pl

    df = pl.read_csv(path, try_parse_dates=True)
    return df.columns, df.rows()


def main():
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kura-corpus")
    files = sorted(corpus.glob("*.json"))
    results = {}
    for tool, read in [("duckdb", read_duckdb), ("polars", read_polars)]:
        exact = wrong = refused = 0
        for spec in files:
            expected = json.loads(spec.read_text())
            try:
                names, rows = read(spec.with_suffix(".csv"))
            except Exception:  # noqa: BLE001 - any failure to read is a refusal
                refused += 1
                continue
            if check(expected, names, rows) is None:
                exact += 1
            else:
                wrong += 1
        results[tool] = (exact, wrong, refused)
        print(f"{tool}: exact {exact}, wrong {wrong}, refused {refused} of {len(files)}")
    return results


if __name__ == "__main__":
    main()
