"""Stream tables with the clients robots and pipelines use: pyarrow Flight DoPut (keys in headers
and in each batch's app_metadata), readers with `since` and `follow`, an NDJSON writer over
REST, retries applied once, widening and refusals, a robot token refused on another stream, and
a bounded kill -9 loop: every acknowledged batch is present exactly once after each crash.
No assertion depends on timing: the tests wait on conditions with generous timeouts."""

import json
import os
import threading
import time

import pyarrow as pa
import pyarrow.flight as flight
import pytest
import requests

from conftest import Server

WAIT = 120  # seconds: only a hung server hits this


def wait_for(condition, what):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def lab(server):
    """A group whose steward writes, the steward's robot token for `py-lab/temps` only, a read
    token, and the group's dataset `py-lab`."""
    admin = server.auth()
    org = requests.post(server.url("/organizations"), json={"name": "Stream Uni"}, headers=admin).json()
    group = requests.post(server.url(f"/organizations/{org['id']}/groups"), json={"name": "Robot Lab"}, headers=admin).json()
    user = requests.post(server.url("/users"), json={"username": "stream-steward"}, headers=admin).json()
    r = requests.put(server.url(f"/groups/{group['id']}/members/{user['id']}"), json={"role": "steward"}, headers=admin)
    assert r.status_code == 204, r.text

    def mint(body):
        r = requests.post(server.url(f"/users/{user['id']}/tokens"), json=body, headers=admin)
        assert r.status_code == 201, r.text
        return r.json()["secret"]

    steward = mint({"name": "w", "scope": "write"})
    robot = mint({"name": "robot", "scope": "append", "streams": ["py-lab/temps"]})
    reader = mint({"name": "r", "scope": "read"})
    r = requests.post(server.url("/datasets"), json={"name": "py-lab", "title": "Robot lab", "group": group["id"]}, headers=bearer(steward))
    assert r.status_code == 201, r.text
    return {"steward": steward, "robot": robot, "reader": reader}


def append(server, token, table, body, key=None, media="application/x-ndjson", **provenance):
    headers = {**bearer(token), "Content-Type": media}
    if key:
        headers["Kura-Writer-Id"], headers["Kura-Sequence"] = key[0], str(key[1])
    return requests.post(server.url(f"/datasets/py-lab/streams/{table}/rows"), data=body, headers=headers, params=provenance)


def info(server, token, table):
    r = requests.get(server.url(f"/datasets/py-lab/streams/{table}"), headers=bearer(token))
    return r.json() if r.status_code == 200 else None


def committed(server, token, table, rows):
    """Waits until the table's latest snapshot holds `rows` rows; returns that snapshot."""
    found = wait_for(lambda: (i := info(server, token, table)) and i["row_count"] == rows and i, f"{rows} committed rows")
    return found["snapshot"]


def ndjson(rows):
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def test_ndjson_writer_over_rest_retries_widening_and_refusals(server, lab):
    steward = lab["steward"]
    r = append(server, steward, "notes", ndjson([{"i": 0, "t": 20.5}, {"i": 1, "t": 21.0}]), ("py-w", 0), run_id="r1")
    assert r.status_code == 200 and r.json()["duplicate"] is False, r.text
    # The answer was lost, say: the writer sends the same batch with the same key again.
    again = append(server, steward, "notes", ndjson([{"i": 0, "t": 20.5}, {"i": 1, "t": 21.0}]), ("py-w", 0))
    assert again.status_code == 200 and again.json()["duplicate"] is True, again.text
    first = committed(server, steward, "notes", 2)

    # A new nullable column widens the table; an integer lands in the float column.
    assert append(server, steward, "notes", ndjson([{"i": 2, "t": 22, "note": "lid open"}]), ("py-w", 1)).status_code == 200
    # A column of another type is refused, naming the column; nothing is applied.
    wrong = pa.table({"t": pa.array(["hot"])})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, wrong.schema) as w:
        w.write_table(wrong)
    r = append(server, steward, "notes", sink.getvalue().to_pybytes(), ("py-w", 2), media="application/vnd.apache.arrow.stream")
    assert r.status_code == 422, r.text
    assert '"t"' in r.json()["error"]["message"]
    # CSV appends too.
    assert append(server, steward, "notes", b"i,t\n3,23.5\n", ("py-w", 3), media="text/csv").status_code == 200
    committed(server, steward, "notes", 4)

    r = requests.get(server.url("/datasets/py-lab/streams/notes/rows"), headers=bearer(steward))
    rows = r.json()
    assert [x["i"] for x in rows] == [0, 1, 2, 3]
    assert rows[2]["note"] == "lid open" and rows[3].get("note") is None
    since = requests.get(server.url(f"/datasets/py-lab/streams/notes/rows?since={first}"), headers=bearer(steward)).json()
    assert [x["i"] for x in since] == [2, 3]
    old = requests.get(server.url(f"/datasets/py-lab/streams/notes/rows?snapshot={first}"), headers=bearer(steward)).json()
    assert [x["i"] for x in old] == [0, 1] and "note" not in old[0]
    batches = requests.get(server.url("/datasets/py-lab/streams/notes/batches?run_id=r1"), headers=bearer(steward)).json()
    assert len(batches) == 1 and batches[0]["sequence"] == 0


def test_robot_token_appends_to_its_stream_only_and_read_tokens_never(server, lab):
    ok = append(server, lab["robot"], "temps", ndjson([{"i": 100, "t": 1.0}]), ("py-robot-rest", 0))
    assert ok.status_code == 200, ok.text
    committed(server, lab["steward"], "temps", 1)
    other = append(server, lab["robot"], "notes", ndjson([{"i": 101, "t": 1.0}]), ("py-robot-rest", 1))
    assert other.status_code == 403, other.text
    assert requests.post(server.url("/datasets/py-lab/draft"), headers=bearer(lab["robot"])).status_code == 403
    read = append(server, lab["reader"], "temps", ndjson([{"i": 102, "t": 1.0}]), ("py-reader", 0))
    assert read.status_code == 403
    # Over Flight too.
    c = flight.FlightClient(server.flight)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {lab['robot']}".encode())])
    schema = pa.schema([("i", pa.int64())])
    with pytest.raises(flight.FlightError):
        writer, reader = c.do_put(flight.FlightDescriptor.for_path("py-lab", "notes"), schema, options)
        writer.write_batch(pa.record_batch([pa.array([1])], schema=schema))
        writer.done_writing()
        reader.read()
        writer.close()


def test_flight_doput_then_readers_with_since_and_follow(server, lab):
    steward = lab["steward"]
    c = flight.FlightClient(server.flight)
    headers = [(b"authorization", f"Bearer {lab['robot']}".encode()), (b"kura-writer-id", b"py-robot"), (b"kura-sequence", b"0")]
    options = flight.FlightCallOptions(headers=headers)
    schema = pa.schema([("i", pa.int64()), ("t", pa.float64())])

    def batch(first, n):
        return pa.record_batch([pa.array(range(first, first + n)), pa.array([x / 10 for x in range(first, first + n)])], schema=schema)

    before = (info(server, steward, "temps") or {"row_count": 0})["row_count"]
    writer, reader = c.do_put(flight.FlightDescriptor.for_path("py-lab", "temps"), schema, options)
    answers = []
    for k in range(3):
        writer.write_batch(batch(k * 10, 10))
        answers.append(json.loads(reader.read().to_pybytes()))  # acknowledged once durable
    # A batch keyed by its own app_metadata, with its provenance.
    meta = {"writer_id": "py-robot-meta", "sequence": 0, "run_id": "flight-run", "sample_ids": ["S1", "S2"]}
    writer.write_with_metadata(batch(30, 5), pa.py_buffer(json.dumps(meta).encode()))
    answers.append(json.loads(reader.read().to_pybytes()))
    writer.done_writing()
    writer.close()
    assert [a["sequence"] for a in answers] == [0, 1, 2, 0] and not any(a["duplicate"] for a in answers)

    # The same call again (a retry of the whole call): every key is known, nothing applied twice.
    writer, reader = c.do_put(flight.FlightDescriptor.for_path("py-lab", "temps"), schema, options)
    writer.write_batch(batch(0, 10))
    assert json.loads(reader.read().to_pybytes())["duplicate"] is True
    writer.done_writing()
    writer.close()
    snapshot = committed(server, steward, "temps", before + 35)

    read_options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {steward}".encode())])
    command = {"dataset": "py-lab", "stream": "temps"}
    fi = c.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(command)), read_options)
    assert json.loads(fi.app_metadata)["snapshot"] == snapshot and fi.total_records == before + 35
    whole = c.do_get(fi.endpoints[0].ticket, read_options).read_all()
    assert whole.num_rows == before + 35
    listed = [f for f in c.list_flights(b"py-lab", read_options) if f.descriptor.command and b'"stream"' in f.descriptor.command]
    assert any(json.loads(f.descriptor.command)["stream"] == "temps" for f in listed)

    # A follower from this snapshot gets the next commit as it lands, until it stops reading.
    follow = {**command, "since": snapshot, "follow": True}
    seen = []

    def run():
        fi = c.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(follow)), read_options)
        stream = c.do_get(fi.endpoints[0].ticket, read_options)
        while len(seen) < 4:
            chunk = stream.read_chunk()
            seen.extend(chunk.data.column("i").to_pylist())
        stream.cancel()

    follower = threading.Thread(target=run, daemon=True)
    follower.start()
    writer, reader = c.do_put(flight.FlightDescriptor.for_path("py-lab", "temps"), schema, flight.FlightCallOptions(headers=[headers[0], (b"kura-writer-id", b"py-robot"), (b"kura-sequence", b"3")]))
    writer.write_batch(batch(40, 4))
    reader.read()
    writer.done_writing()
    writer.close()
    follower.join(WAIT)
    assert not follower.is_alive(), "the follower did not see the commit"
    assert seen == [40, 41, 42, 43]

    # Rows since the earlier snapshot, and the provenance of the keyed batch.
    since = {**command, "since": snapshot}
    fi = c.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(since)), read_options)
    assert c.do_get(fi.endpoints[0].ticket, read_options).read_all().column("i").to_pylist() == [40, 41, 42, 43]
    runs = requests.get(server.url("/datasets/py-lab/streams/temps/batches?run_id=flight-run"), headers=bearer(steward)).json()
    assert len(runs) == 1 and runs[0]["provenance"]["sample_ids"] == ["S1", "S2"]


def test_acknowledged_batches_survive_kill_9_exactly_once(tmp_path, monkeypatch):
    """Ten crashes with SIGKILL while a writer appends; the writer retries what had no answer
    with the same key. In the end every acknowledged batch is present exactly once."""
    monkeypatch.setenv("KURA_STREAM_COMMIT_MS", "300")
    data_dir = tmp_path / "data"
    rows_per_batch = 3
    acked = set()
    sequence = 0
    created = False
    for iteration in range(10):
        srv = Server(data_dir)
        try:
            if not created:
                r = requests.post(srv.url("/datasets"), json={"name": "crash", "title": "Crash"}, headers=srv.auth())
                assert r.status_code == 201, r.text
                created = True
            stop = threading.Event()
            state = {"next": sequence}

            def writer():
                session = requests.Session()
                while not stop.is_set():
                    seq = state["next"]
                    body = ndjson([{"seq": seq, "k": k} for k in range(rows_per_batch)])
                    headers = {**srv.auth(), "Content-Type": "application/x-ndjson", "Kura-Writer-Id": "crash-writer", "Kura-Sequence": str(seq)}
                    try:
                        r = session.post(srv.url("/datasets/crash/streams/log/rows"), data=body, headers=headers, timeout=10)
                    except requests.RequestException:
                        return  # killed: this batch stays unanswered and is retried after restart
                    if r.status_code != 200:
                        return
                    acked.add(seq)
                    state["next"] = seq + 1

            thread = threading.Thread(target=writer, daemon=True)
            thread.start()
            target = len(acked) + 5 + iteration
            wait_for(lambda: len(acked) >= target or not thread.is_alive(), "acknowledged appends")
            srv.proc.kill()  # SIGKILL: no shutdown, no final commit
            srv.proc.wait()
            stop.set()
            thread.join(WAIT)
            sequence = state["next"]  # the unanswered batch is sent again, same key
        finally:
            srv.stop()

    srv = Server(data_dir)
    try:
        def rows():
            r = requests.get(srv.url("/datasets/crash/streams/log/rows"), headers=srv.auth())
            return r.json() if r.status_code == 200 else []

        def complete():
            found = rows()
            return found if {row["seq"] for row in found} >= acked else None

        found = wait_for(complete, "every acknowledged batch committed")
        counts = {}
        for row in found:
            counts[row["seq"]] = counts.get(row["seq"], 0) + 1
        assert all(counts.get(seq) == rows_per_batch for seq in acked), "an acknowledged batch is missing or doubled"
        assert all(n == rows_per_batch for n in counts.values()), f"a batch was applied twice: {counts}"
        assert len(acked) >= 10 * 5
    finally:
        srv.stop()
