"""pyarrow's own Flight server, serving one table from memory: the peer of the Flight benchmark.

    python bench/peers/flight_peer.py TABLE.parquet PORT [--batch-rows N]

Loads the Parquet file Kura serves (downloaded from Kura, so the table is identical) fully into
memory, then answers GetFlightInfo for a descriptor path `[N]` with N endpoints, each a
contiguous slice of the table, and DoGet with a `RecordBatchStream` of that slice: pyarrow's
zero-copy path from memory, the peer's natural best. Prints `ready` on stdout when it serves.
"""

import argparse
import sys

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq


class TableServer(flight.FlightServerBase):
    def __init__(self, location, table):
        super().__init__(location)
        self.table = table

    def _slice(self, part, parts):
        n = self.table.num_rows
        start, end = n * part // parts, n * (part + 1) // parts
        return self.table.slice(start, end - start)

    def get_flight_info(self, context, descriptor):
        parts = int(descriptor.path[0]) if descriptor.path else 1
        endpoints = [flight.FlightEndpoint(f"{p}/{parts}".encode(), []) for p in range(parts)]
        return flight.FlightInfo(self.table.schema, descriptor, endpoints, self.table.num_rows, self.table.nbytes)

    def do_get(self, context, ticket):
        part, parts = map(int, ticket.ticket.decode().split("/"))
        return flight.RecordBatchStream(self._slice(part, parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("parquet")
    ap.add_argument("port", type=int)
    ap.add_argument("--batch-rows", type=int, default=0,
                    help="re-chunk the table into batches of this many rows (0: as read from Parquet)")
    args = ap.parse_args()
    table = pq.read_table(args.parquet)
    if args.batch_rows:
        table = pa.Table.from_batches(table.combine_chunks().to_batches(max_chunksize=args.batch_rows))
    server = TableServer(f"grpc://127.0.0.1:{args.port}", table)
    print(f"ready {table.num_rows} {table.nbytes}", flush=True)
    server.serve()
    sys.exit(0)


if __name__ == "__main__":
    main()
