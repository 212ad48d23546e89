"""Arrow Flight and Flight SQL with the clients users use: pyarrow.flight, ADBC (Flight SQL),
polars and duckdb, against `kura serve --demo` (Flight on KURA_FLIGHT_ADDR)."""

import concurrent.futures
import io
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pyarrow.parquet as pq
import pytest
import requests

THERMAL = ("demo-thermal-log", "thermal-log")
UVVIS = ("demo-uvvis", "uvvis-methylene-blue")


def client(server, token=None):
    c = flight.FlightClient(server.flight)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())] if token else [])
    return c, options


def read_info(c, options, info):
    return pa.concat_tables([c.do_get(e.ticket, options).read_all() for e in info.endpoints])


def rest_parquet(server, dataset, table, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.get(server.url(f"/datasets/{dataset}/versions/latest/tables/{table}/parquet"), headers=headers)
    assert r.status_code == 200, r.text
    return pq.read_table(io.BytesIO(r.content))


@pytest.fixture(scope="module")
def world(server):
    """An outsider with a token, a closed dataset they may not see, and a table of several row groups."""
    admin = server.auth()
    user = requests.post(server.url("/users"), json={"username": "flight-outsider"}, headers=admin).json()
    outsider = requests.post(
        server.url(f"/users/{user['id']}/tokens"), json={"name": "t", "scope": "read"}, headers=admin
    ).json()["secret"]

    def dataset(name, csv, policy):
        assert requests.post(server.url("/datasets"), json={"name": name, "title": name}, headers=admin).status_code == 201
        r = requests.post(server.url(f"/datasets/{name}/draft/files"), files={"file": ("t.csv", csv)}, headers=admin)
        assert r.status_code == 201, r.text
        job = server.ingest(name, admin, polls=1200)
        assert job["state"] == "succeeded", job
        assert requests.put(server.url(f"/datasets/{name}/policy"), json=policy, headers=admin).status_code < 300
        assert requests.post(server.url(f"/datasets/{name}/draft/publish"), json={}, headers=admin).status_code < 300

    dataset("py-closed", b"a,b\n1,x\n2,y\n", {"level": "closed"})
    n = 600_000
    big = "i,x,label\n" + "".join(f"{i},{i * 0.5},l{i % 7}\n" for i in range(n))
    dataset("py-big", big.encode(), {"level": "open"})
    return {"outsider": outsider, "big_rows": n}


def test_whole_table_equals_rest_parquet(server, world):
    for dataset, table in (THERMAL, UVVIS):
        c, options = client(server, world["outsider"])
        info = c.get_flight_info(flight.FlightDescriptor.for_path(dataset, "latest", table), options)
        got = read_info(c, options, info)
        want = rest_parquet(server, dataset, table)
        assert got.num_rows == info.total_records == want.num_rows
        assert got.equals(want)
        assert c.get_schema(flight.FlightDescriptor.for_path(dataset, "latest", table), options).schema.equals(
            want.schema
        )


def test_list_flights_shows_only_readable_tables(server, world):
    c, options = client(server, world["outsider"])
    names = {tuple(f.descriptor.path[i].decode() for i in (0, 2)) for f in c.list_flights(options=options)}
    assert THERMAL in names and UVVIS in names
    assert not any(n[0] == "py-closed" for n in names)
    admin, admin_options = client(server, server.token)
    assert any(f.descriptor.path[0] == b"py-closed" for f in admin.list_flights(options=admin_options))


def test_projection_and_filter(server, world):
    c, options = client(server, world["outsider"])
    want = rest_parquet(server, "py-big", "t")
    cmd = {"dataset": "py-big", "table": "t", "columns": ["i", "label"], "filter": "i >= 400000 AND label = 'l3'"}
    info = c.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(cmd)), options)
    got = read_info(c, options, info).sort_by("i")
    expected = want.filter(pc.and_(pc.greater_equal(want["i"], 400000), pc.equal(want["label"], "l3"))).select(
        ["i", "label"]
    )
    assert got.column_names == ["i", "label"]
    assert got.equals(expected)
    # Statistics prune row groups: a filter on the last rows needs fewer endpoints than the whole table.
    whole = c.get_flight_info(flight.FlightDescriptor.for_path("py-big", "latest", "t"), options)
    assert len(info.endpoints) < len(whole.endpoints)


def test_all_endpoints_in_parallel(server, world):
    c, options = client(server, world["outsider"])
    info = c.get_flight_info(flight.FlightDescriptor.for_path("py-big", "latest", "t"), options)
    assert len(info.endpoints) >= 2
    assert info.total_records == world["big_rows"]

    def fetch(endpoint):
        own, own_options = client(server, world["outsider"])
        return own.do_get(endpoint.ticket, own_options).read_all()

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(info.endpoints)) as pool:
        parts = list(pool.map(fetch, info.endpoints))
    got = pa.concat_tables(parts).sort_by("i")
    assert got.equals(rest_parquet(server, "py-big", "t").sort_by("i"))


def test_a_reader_asks_for_as_many_endpoints_as_it_runs(server, world):
    c, options = client(server, world["outsider"])
    whole = c.get_flight_info(flight.FlightDescriptor.for_path("py-big", "latest", "t"), options)
    assert len(whole.endpoints) >= 3
    want = rest_parquet(server, "py-big", "t")
    for wanted in (1, 2, 1000):
        cmd = {"dataset": "py-big", "table": "t", "endpoints": wanted}
        info = c.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(cmd)), options)
        # One endpoint per row group at most: the whole table has one per group (3 groups).
        assert len(info.endpoints) == min(wanted, len(whole.endpoints)), wanted
        assert read_info(c, options, info).equals(want)
    with pytest.raises(pa.ArrowInvalid, match="endpoints"):
        c.get_flight_info(flight.FlightDescriptor.for_command(json.dumps({"dataset": "py-big", "table": "t", "endpoints": 0})), options)


def test_forbidden_is_not_found_and_bad_token_unauthenticated(server, world):
    c, options = client(server, world["outsider"])
    # pyarrow raises NOT_FOUND as ArrowKeyError.
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        c.get_flight_info(flight.FlightDescriptor.for_path("py-closed", "latest", "t"), options)
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        c.get_schema(flight.FlightDescriptor.for_path("py-closed", "latest", "t"), options)
    bad, bad_options = client(server, "kura_nope")
    with pytest.raises(flight.FlightUnauthenticatedError):
        list(bad.list_flights(options=bad_options))


def test_basic_auth_handshake(server, world):
    admin = server.auth()
    user = requests.post(server.url("/users"), json={"username": "flight-basic", "password": "correct horse battery"}, headers=admin)
    assert user.status_code < 300, user.text
    c = flight.FlightClient(server.flight)
    header = c.authenticate_basic_token("flight-basic", "correct horse battery")
    assert header[0] == b"authorization" and header[1].startswith(b"Bearer ")
    options = flight.FlightCallOptions(headers=[header])
    assert any(f.descriptor.path[0] == b"demo-uvvis" for f in c.list_flights(options=options))
    with pytest.raises(flight.FlightUnauthenticatedError):
        flight.FlightClient(server.flight).authenticate_basic_token("flight-basic", "wrong password!!")


def adbc_connect(server, token):
    import adbc_driver_flightsql.dbapi as dbapi

    return dbapi.connect(
        server.flight, db_kwargs={"adbc.flight.sql.authorization_header": f"Bearer {token}"}, autocommit=True
    )


def test_adbc_sql(server, world):
    with adbc_connect(server, world["outsider"]) as conn, conn.cursor() as cur:
        cur.execute('SELECT count(*) AS n, max("Temperature") AS hottest FROM "demo-thermal-log"."thermal-log"')
        n, hottest = cur.fetchone()
        want = rest_parquet(server, *THERMAL)
        assert n == want.num_rows
        assert hottest == pc.max(want["Temperature"]).as_py()
        cur.execute('SELECT i, x FROM "py-big".t WHERE i < 10 ORDER BY i')
        assert [r[0] for r in cur.fetchall()] == list(range(10))
        cur.execute(
            'SELECT a.i, b.label FROM "py-big".t a JOIN "py-big".v1_t b ON a.i = b.i WHERE a.i BETWEEN 5 AND 7 ORDER BY a.i'
        )
        assert cur.fetchall() == [(5, "l5"), (6, "l6"), (7, "l0")]
        cur.execute(
            'SELECT (SELECT count(*) FROM "demo-uvvis"."uvvis-methylene-blue") + (SELECT count(*) FROM "demo-thermal-log"."thermal-log")'
        )
        total = cur.fetchone()[0]
        assert total == rest_parquet(server, *UVVIS).num_rows + want.num_rows


def test_adbc_refusals(server, world):
    import adbc_driver_manager

    with adbc_connect(server, world["outsider"]) as conn:
        with conn.cursor() as cur, pytest.raises(adbc_driver_manager.Error) as e:
            cur.execute('SELECT * FROM "py-closed".t')
        assert "NOT_FOUND" in str(e.value) or "not found" in str(e.value).lower()
        for ddl in ["CREATE TABLE x AS SELECT 1", "DROP TABLE \"py-big\".t", "COPY (SELECT 1) TO '/tmp/kura-x.csv'"]:
            with conn.cursor() as cur, pytest.raises(adbc_driver_manager.Error) as e:
                cur.execute(ddl)
            assert "INVALID_ARGUMENT" in str(e.value) or "not allowed" in str(e.value).lower(), str(e.value)


def test_polars_and_duckdb_through_flight(server, world):
    import duckdb
    import polars as pl

    with adbc_connect(server, world["outsider"]) as conn:
        df = pl.read_database('SELECT i, label FROM "py-big".t WHERE i < 1000', connection=conn)
    assert df.height == 1000 and df.columns == ["i", "label"]
    c, options = client(server, world["outsider"])
    info = c.get_flight_info(flight.FlightDescriptor.for_path(*UVVIS[:1], "latest", UVVIS[1]), options)
    table = read_info(c, options, info)
    assert pl.from_arrow(table).height == table.num_rows
    con = duckdb.connect()
    con.register("uvvis", table)
    assert con.execute("SELECT count(*) FROM uvvis").fetchone()[0] == table.num_rows
