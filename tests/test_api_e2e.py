"""End-to-end checks of the foundation with real clients: requests for HTTP, pyarrow for the
Parquet, Arrow IPC and CSV that Kura serves, and the `kura` CLI on the same data directory."""

import io
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import requests

from conftest import shared_file


def test_demo_datasets_are_published_and_readable_by_pyarrow(server):
    page = requests.get(server.url("/datasets")).json()
    names = {d["name"] for d in page["items"]}
    assert {"demo-thermal-log", "demo-uvvis", "demo-resistivity"} <= names

    base = "/datasets/demo-thermal-log/versions/latest/tables/thermal-log"
    table = requests.get(server.url(base)).json()
    units = {c["name"]: c["ucum"] for c in table["columns"]}
    assert units["Temperature"] == "K"
    assert units["Setpoint"] == "Cel"

    parquet = pq.read_table(io.BytesIO(requests.get(server.url(base + "/parquet")).content))
    assert parquet.num_rows == table["row_count"] == 9
    assert parquet.schema.field("Temperature").metadata[b"kura:original_label"] == b"Temperature [K]"
    assert parquet.column("Temperature").to_pylist()[0] == 295.15

    rows = requests.get(server.url(base + "/rows"), params={"limit": 100}).json()
    assert [r["Temperature"] for r in rows] == parquet.column("Temperature").to_pylist()

    arrow = requests.get(server.url(base + "/rows"), headers={"Accept": "application/vnd.apache.arrow.stream"})
    streamed = ipc.open_stream(arrow.content).read_all()
    assert streamed.column("Phase").to_pylist() == parquet.column("Phase").to_pylist()

    csv = requests.get(server.url(base + "/rows"), params={"columns": "Heater power,Phase"}, headers={"Accept": "text/csv"})
    from_csv = pacsv.read_csv(io.BytesIO(csv.content))
    assert from_csv.column_names == ["Heater power", "Phase"]
    assert from_csv.num_rows == 9


def test_cli_ingest_publish_and_token_while_the_server_runs(server):
    xy = shared_file("instrument/xps-specs-MgFe2O4_small.xy")
    done = server.cli("ingest", str(xy), "--dataset", "mgfe2o4", "--quiet")
    # A SPECS export: one table per region (the XPS multi-block reader).
    assert "table xps-specs-MgFe2O4_small.Survey (1351 rows, 2 columns)" in done.stdout, done.stdout
    assert "table xps-specs-MgFe2O4_small.Fe2p (56 rows, 2 columns)" in done.stdout, done.stdout
    assert requests.get(server.url("/datasets/mgfe2o4")).status_code == 404, "a draft is not public"
    server.cli("publish", "mgfe2o4")
    rows = requests.get(server.url("/datasets/mgfe2o4/versions/1/tables/xps-specs-MgFe2O4_small.Survey/rows"), params={"limit": 1}).json()
    assert list(rows[0].values()) == [1350, 15598.679]

    gc = server.cli("gc", "--grace-seconds", "0").stdout
    assert gc.startswith("removed ") and "kept" in gc, gc
    rows_after_gc = requests.get(server.url("/datasets/mgfe2o4/versions/1/tables/xps-specs-MgFe2O4_small.Survey/rows"), params={"limit": 1}).json()
    assert rows_after_gc == rows, "gc keeps everything a version references"

    token = server.cli("admin", "token", "--name", "e2e").stdout.strip()
    created = requests.post(server.url("/datasets"), json={"name": "by-new-token"}, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text


def test_search_over_http_and_the_cli(server):
    import time

    for _ in range(50):
        found = requests.get(server.url("/search"), params={"q": "methylene blue"}).json()
        if found["total"]:
            break
        time.sleep(0.1)
    assert [h["name"] for h in found["hits"]] == ["demo-uvvis"]
    by_unit = requests.get(server.url("/search"), params={"q": "unit:Cel"}).json()
    assert "demo-thermal-log" in [h["name"] for h in by_unit["hits"]]
    cli = server.cli("search", "alumina").stdout
    assert "demo-thermal-log" in cli, cli


def test_cli_ingest_exits_non_zero_when_a_file_fails(server, tmp_path):
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 64)
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n")
    result = server.cli("ingest", str(good), str(garbage), "--dataset", "half-bad", "--quiet", check=False)
    assert result.returncode != 0
    assert "garbage.csv: not a text file" in result.stderr
    assert "table good (1 rows, 2 columns)" in result.stdout


def test_cli_reads_a_file_again_with_the_parameters_given(server, tmp_path):
    run = tmp_path / "cv.csv"
    # Semicolons and decimal commas, as a European potentiostat writes them.
    run.write_text("E;I\n-0,5000;0,350783\n-0,4990;0,351002\n")
    first = server.cli("ingest", str(run), "--dataset", "cli-reread", "--quiet", "--delimiter", ";", "--decimal", ",")
    assert "table cv (2 rows, 2 columns)" in first.stdout, first.stdout
    table = requests.get(server.url("/datasets/cli-reread/versions/1/tables/cv"), headers=server.auth()).json()
    assert [c["arrow_type"] for c in table["columns"]] == ["Float64", "Float64"], table["columns"]
    # The same file again, read as having no header line: its table is replaced, not doubled.
    again = server.cli("ingest", str(run), "--dataset", "cli-reread", "--quiet", "--header-line", "0")
    assert again.stdout.count("table ") == 1, again.stdout
    assert "(3 rows, 2 columns)" in again.stdout, again.stdout
    bad = server.cli("ingest", str(run), "--dataset", "cli-reread", "--quiet", "--decimal", ";", check=False)
    assert bad.returncode != 0
    assert "decimal separator" in bad.stderr, bad.stderr


def test_streaming_upload_of_a_larger_file(server):
    requests.post(server.url("/datasets"), json={"name": "big-upload"}, headers=server.auth()).raise_for_status()

    def body():
        yield b"time,value [mV]\n"
        for i in range(200_000):
            yield f"{i},{i * 0.5}\n".encode()

    data = b"".join(body())
    response = requests.post(
        server.url("/datasets/big-upload/draft/files"), files={"file": ("signal.csv", data)}, headers=server.auth()
    )
    assert response.status_code == 201, response.text
    assert response.json()[0]["size"] == len(data)
    job = server.ingest("big-upload")
    assert job["state"] == "succeeded", json.dumps(job)
    table = requests.get(server.url("/datasets/big-upload/versions/1/tables/signal"), headers=server.auth()).json()
    assert table["row_count"] == 200_000
    assert table["columns"][1]["ucum"] == "mV"
