"""pyarrow's own Flight server taking DoPut into memory: the peer of the stream benchmark.

    python bench/peers/stream_peer.py PORT

Every DoPut's batches are appended to a list in memory and each is answered with a PutResult as
soon as it is received (nothing is written to disk: the peer's natural best, and what Kura's
durable acknowledgement is compared with). Prints `ready` on stdout when it serves.
"""

import argparse
import threading

import pyarrow as pa
import pyarrow.flight as flight


class PutServer(flight.FlightServerBase):
    def __init__(self, location):
        super().__init__(location)
        self.batches = []
        self.lock = threading.Lock()

    def do_put(self, context, descriptor, reader, writer):
        while True:
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                return
            with self.lock:
                self.batches.append(chunk.data)
            writer.write(pa.py_buffer(b'{"duplicate": false}'))

    def list_flights(self, context, criteria):
        with self.lock:
            rows = sum(b.num_rows for b in self.batches)
        yield flight.FlightInfo(pa.schema([]), flight.FlightDescriptor.for_path("all"), [], rows, -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    args = ap.parse_args()
    server = PutServer(f"grpc://127.0.0.1:{args.port}")
    print("ready", flush=True)
    server.serve()


if __name__ == "__main__":
    main()
