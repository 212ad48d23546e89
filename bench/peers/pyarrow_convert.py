"""pyarrow: streaming CSV reader → ParquetWriter with zstd."""
import sys

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

src, dst, level, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pa.set_cpu_count(threads)
pa.set_io_thread_count(threads)
reader = pacsv.open_csv(src, read_options=pacsv.ReadOptions(block_size=8 << 20, use_threads=threads > 1))
with pq.ParquetWriter(dst, reader.schema, compression="zstd", compression_level=level) as writer:
    for batch in reader:
        writer.write_batch(batch)
