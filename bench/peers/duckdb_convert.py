"""DuckDB: COPY (read_csv) TO Parquet with zstd."""
import sys

import duckdb

src, dst, level, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute(
    f"COPY (SELECT * FROM read_csv('{src}')) TO '{dst}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {level})"
)
