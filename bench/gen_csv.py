"""Writes a deterministic instrument-style CSV: a short header block, then a table of ISO
timestamps, floats with units in their headers, an integer counter and a few short strings.

    python bench/gen_csv.py SIZE_MB OUT [--plain]

`--plain` leaves out the header block (for tools that cannot skip it); the table bytes are the
same either way, so every tool parses exactly the same table."""

import argparse
import datetime as dt

import numpy as np

HEADER = (
    "# Instrument: Kura bench furnace FX-200\n"
    "# Operator: bench\n"
    "Sample: alumina pellet A-17\n"
    "Location: Lab 3, bench 2\n"
    "\n"
)
COLUMNS = "time,Temperature [K],Setpoint (°C),Voltage / mV,Current (mA),Pressure [Pa],Flow (mL/min),Humidity (%),Power / W,counter,sample,channel,status\n"
ROWS_PER_CHUNK = 200_000


def chunk(rng: np.random.Generator, start: int, n: int) -> str:
    base = dt.datetime(2026, 1, 1)
    micros = (np.arange(start, start + n, dtype=np.int64) * 250_000)
    times = np.datetime64(base, "us") + micros.astype("timedelta64[us]")
    time_text = np.datetime_as_string(times, unit="us")
    floats = [
        np.char.mod("%.3f", 290 + rng.random(n) * 40),
        np.char.mod("%.1f", 20 + rng.random(n) * 30),
        np.char.mod("%.4f", rng.normal(0, 50, n)),
        np.char.mod("%.5f", rng.random(n) * 3),
        np.char.mod("%.2f", 101_000 + rng.random(n) * 800),
        np.char.mod("%.3f", rng.random(n) * 10),
        np.char.mod("%.2f", rng.random(n) * 100),
        np.char.mod("%.4f", rng.random(n) * 250),
    ]
    counter = np.char.mod("%d", np.arange(start, start + n))
    sample = np.char.add("S-", np.char.mod("%03d", rng.integers(0, 500, n)))
    channel = np.array(["ch-a", "ch-b", "ch-c", "ch-d"])[rng.integers(0, 4, n)]
    status = np.array(["ok", "ok", "ok", "warn", "ramp"])[rng.integers(0, 5, n)]
    cols = [time_text, *floats, counter, sample, channel, status]
    line = cols[0]
    for c in cols[1:]:
        line = np.char.add(np.char.add(line, ","), c)
    return "\n".join(line.tolist()) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("size_mb", type=int)
    parser.add_argument("out")
    parser.add_argument("--plain", action="store_true")
    args = parser.parse_args()
    target = args.size_mb * 1_000_000
    rng = np.random.default_rng(7)
    written = 0
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        if not args.plain:
            out.write(HEADER)
        out.write(COLUMNS)
        start = 0
        while written < target:
            text = chunk(rng, start, ROWS_PER_CHUNK)
            out.write(text)
            written += len(text.encode())
            start += ROWS_PER_CHUNK


if __name__ == "__main__":
    main()
