"""polars: streaming CSV → zstd Parquet. Threads via POLARS_MAX_THREADS (set by the harness)."""
import sys

import polars as pl

src, dst, level = sys.argv[1], sys.argv[2], int(sys.argv[3])
pl.scan_csv(src, try_parse_dates=True).sink_parquet(dst, compression="zstd", compression_level=level, statistics=True)
