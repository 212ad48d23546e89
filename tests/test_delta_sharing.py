"""Delta Sharing with the client partners use (`delta-sharing`, pandas): a profile from the API,
the shares and tables it lists, a table loaded as pandas equal to the same user's Parquet from
REST (masked column absent), and file URLs that expire (a server with a 4-second URL lifetime)."""

import io
import json
import os
import time

import delta_sharing
import pyarrow.parquet as pq
import pytest
import requests

from conftest import Server

URL_SECONDS = 4
SHARE, OPEN, CLOSED = "py-share-lab", "py-shared-open", "py-shared-closed"
LOCAL_TIMES = "py-shared-local-times"


@pytest.fixture(scope="module")
def sharing(tmp_path_factory):
    """A Kura with short-lived sharing URLs; a group owning an open dataset (with a masked column)
    and a closed one; a partner outside the group with a write token and a sharing profile."""
    os.environ["KURA_DELTA_SHARING_URL_SECONDS"] = str(URL_SECONDS)
    try:
        server = Server(tmp_path_factory.mktemp("kura-ds") / "data")
    finally:
        os.environ.pop("KURA_DELTA_SHARING_URL_SECONDS")
    admin = server.auth()
    org = requests.post(server.url("/organizations"), json={"name": "Py Org"}, headers=admin).json()
    group = requests.post(server.url(f"/organizations/{org['id']}/groups"), json={"name": SHARE}, headers=admin).json()
    user = requests.post(server.url("/users"), json={"username": "ds-partner"}, headers=admin).json()
    partner = requests.post(
        server.url(f"/users/{user['id']}/tokens"), json={"name": "t", "scope": "write"}, headers=admin
    ).json()["secret"]

    def dataset(name, csv, policy):
        body = {"name": name, "title": name, "group": group["id"]}
        assert requests.post(server.url("/datasets"), json=body, headers=admin).status_code == 201
        r = requests.post(server.url(f"/datasets/{name}/draft/files"), files={"file": ("t.csv", csv)}, headers=admin)
        assert r.status_code == 201, r.text
        job = server.ingest(name, admin)
        assert job["state"] == "succeeded", job
        assert requests.put(server.url(f"/datasets/{name}/policy"), json=policy, headers=admin).status_code < 300
        assert requests.post(server.url(f"/datasets/{name}/draft/publish"), json={}, headers=admin).status_code < 300

    rows = "".join(f"{i},{i * 0.25},name{i},s{i}\n" for i in range(1000))
    dataset(OPEN, ("id,x,label,secret\n" + rows).encode(), {"level": "open", "masked_columns": ["secret"]})
    dataset(CLOSED, b"a,b\n1,x\n", {"level": "closed"})
    dataset(LOCAL_TIMES, b"time,value\n2026-01-01T00:00:00,1\n2026-06-30T12:34:56.5,2\n", {"level": "open"})
    yield {"server": server, "partner": partner}
    server.stop()


def profile_file(tmp_path, server, token, **body):
    r = requests.post(
        server.url("/me/delta-sharing-profile"), json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["shareCredentialsVersion"] == 1
    assert profile["endpoint"] == f"{server.base}/delta-sharing"
    path = tmp_path / "kura.share"
    path.write_text(json.dumps(profile))
    return str(path), profile


def rest_parquet(server, token, dataset):
    r = requests.get(
        server.url(f"/datasets/{dataset}/versions/1/tables/t/parquet"), headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    return pq.read_table(io.BytesIO(r.content))


def test_the_client_lists_what_a_profile_may_read(sharing, tmp_path):
    server = sharing["server"]
    profile, body = profile_file(tmp_path, server, sharing["partner"], expires_in_days=3)
    client = delta_sharing.SharingClient(profile)
    tables = {(t.share, t.schema, t.name) for t in client.list_all_tables()}
    assert (SHARE, OPEN, "t") in tables
    assert not any(schema == CLOSED for _, schema, _ in tables), tables
    assert SHARE in {s.name for s in client.list_shares()}
    # The profile's token is the partner's, read-only: it lists and queries, and writes nothing.
    token = {"Authorization": f"Bearer {body['bearerToken']}"}
    assert requests.post(server.url(f"/datasets/{OPEN}/draft"), json={}, headers=token).status_code == 403


def test_load_as_pandas_equals_the_users_parquet_without_masked_columns(sharing, tmp_path):
    server = sharing["server"]
    profile, _ = profile_file(tmp_path, server, sharing["partner"])
    frame = delta_sharing.load_as_pandas(f"{profile}#{SHARE}.{OPEN}.t")
    expected = rest_parquet(server, sharing["partner"], OPEN).to_pandas()
    assert "secret" not in frame.columns
    assert list(frame.columns) == list(expected.columns) == ["id", "x", "label"]
    assert frame.equals(expected), (frame.head(), expected.head())
    assert len(frame) == 1000
    limited = delta_sharing.load_as_pandas(f"{profile}#{SHARE}.{OPEN}.t", limit=10)
    assert len(limited) == 10

    # The owner side (here the admin's token in a profile) reads the masked column too.
    admin_profile = tmp_path / "admin.share"
    admin_profile.write_text(
        json.dumps({"shareCredentialsVersion": 1, "endpoint": f"{server.base}/delta-sharing", "bearerToken": server.token})
    )
    full = delta_sharing.load_as_pandas(f"{admin_profile}#{SHARE}.{OPEN}.t")
    assert full.equals(rest_parquet(server, server.token, OPEN).to_pandas())
    assert "secret" in full.columns

    with pytest.raises(Exception) as refused:
        delta_sharing.load_as_pandas(f"{profile}#{SHARE}.{CLOSED}.t")
    assert "404" in str(refused.value)


def test_timestamps_without_a_zone_arrive_as_the_same_wall_clock_in_utc(sharing, tmp_path):
    server = sharing["server"]
    profile, _ = profile_file(tmp_path, server, sharing["partner"])
    frame = delta_sharing.load_as_pandas(f"{profile}#{SHARE}.{LOCAL_TIMES}.t")
    stored = rest_parquet(server, sharing["partner"], LOCAL_TIMES)
    assert stored.schema.field("time").type.tz is None, "stored as local times"
    expected = stored.to_pandas()["time"].dt.tz_localize("UTC")
    assert list(frame["time"]) == list(expected), (frame, expected)
    assert list(frame["value"]) == [1, 2]


def test_file_urls_expire_and_a_fresh_query_gives_new_ones(sharing):
    server = sharing["server"]
    headers = {"Authorization": f"Bearer {sharing['partner']}"}
    query = f"{server.base}/delta-sharing/shares/{SHARE}/schemas/{OPEN}/tables/t/query"

    def file_line():
        r = requests.post(query, json={}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["delta-table-version"] == "1"
        return json.loads(r.text.splitlines()[2])["file"]

    first = file_line()
    assert first["expirationTimestamp"] <= time.time() * 1000 + URL_SECONDS * 1000 + 1000
    assert requests.get(first["url"]).status_code == 200
    time.sleep(URL_SECONDS + 1)
    expired = requests.get(first["url"])
    assert expired.status_code == 403
    assert expired.json()["errorCode"] == "PERMISSION_DENIED"
    assert "expired" in expired.json()["message"]
    second = file_line()
    assert second["url"] != first["url"]
    fresh = requests.get(second["url"])
    assert fresh.status_code == 200
    assert "secret" not in pq.read_table(io.BytesIO(fresh.content)).column_names
