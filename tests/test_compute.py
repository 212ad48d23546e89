"""Compute jobs through GA4GH TES with the `py-tes` client users run, against a real `kura serve`:
the service-info, a SQL task over a Kura table submitted, polled to COMPLETE and its output equal
to what pyarrow computes on the same input; listing; cancelling; a non-Kura executor refused.

Inputs are Kura tables: `inputs[].url` is `kura:DATASET/VERSION/TABLE`, read under the last part
of `inputs[].path` (`/inputs/t.parquet` → `t`); the runner is `executors[0].image` (`kura/sql`)."""
import io
import uuid

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import requests
import tes

TES_STATES = {"QUEUED", "INITIALIZING", "RUNNING", "COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}


@pytest.fixture(scope="module")
def researcher(server):
    """A user of a fresh group with a write token, and a dataset of that group with table `t`."""
    admin = server.auth()
    suffix = uuid.uuid4().hex[:8]
    org = requests.post(server.url("/organizations"), json={"name": f"TES Uni {suffix}"}, headers=admin).json()
    group = requests.post(server.url(f"/organizations/{org['id']}/groups"), json={"name": "Lab"}, headers=admin).json()
    user = requests.post(server.url("/users"), json={"username": f"tes-{suffix}"}, headers=admin).json()
    token = requests.post(server.url(f"/users/{user['id']}/tokens"), json={"name": "t", "scope": "write"}, headers=admin)
    token = token.json()["secret"]
    r = requests.put(server.url(f"/groups/{group['id']}/members/{user['id']}"), json={"role": "member"}, headers=admin)
    assert r.status_code == 204, r.text
    name = f"tes-input-{suffix}"
    r = requests.post(server.url("/datasets"), json={"name": name, "title": name, "group": group["id"]}, headers=admin)
    assert r.status_code == 201, r.text
    csv = "site,value\na,1.5\nb,2.0\na,3.25\nc,-1\n"
    files = {"file": ("t.csv", csv.encode())}
    r = requests.post(server.url(f"/datasets/{name}/draft/files"), files=files, headers=admin)
    assert r.status_code == 201, r.text
    assert server.ingest(name)["state"] == "succeeded"
    return {"token": token, "dataset": name}


def client(server, researcher):
    return tes.HTTPClient(server.base, token=researcher["token"], timeout=30)


def sql_task(researcher, query):
    return tes.Task(
        name="aggregate",
        inputs=[tes.Input(url=f"kura:{researcher['dataset']}/latest/t", path="/inputs/t.parquet", type="FILE")],
        outputs=[tes.Output(url="kura:output", path="/outputs/per_site.parquet", type="FILE")],
        executors=[tes.Executor(image="kura/sql", command=[query])],
    )


def parquet(server, researcher, path):
    r = requests.get(server.url(path), headers={"Authorization": f"Bearer {researcher['token']}"}, timeout=30)
    assert r.status_code == 200, r.text
    return pq.read_table(io.BytesIO(r.content))


def test_service_info_names_tes(server, researcher):
    info = client(server, researcher).get_service_info()
    assert info.type["artifact"] == "tes"


def test_a_sql_task_completes_and_equals_pyarrow(server, researcher):
    cli = client(server, researcher)
    query = "SELECT site, sum(value) AS total, count(*) AS n FROM t GROUP BY site ORDER BY site"
    task_id = cli.create_task(sql_task(researcher, query))
    task = cli.wait(task_id, timeout=60)
    assert task.state == "COMPLETE", task
    full = cli.get_task(task_id, view="FULL")
    assert full.state == "COMPLETE"
    assert full.inputs[0].url == f"kura:{researcher['dataset']}/1/t"
    output = full.outputs[0].url.removeprefix("kura:").split("/")[0]

    source = parquet(server, researcher, f"/datasets/{researcher['dataset']}/versions/latest/tables/t/parquet")
    expected = source.group_by("site").aggregate([("value", "sum"), ("value", "count")]).sort_by("site")
    got = parquet(server, researcher, f"/datasets/{output}/versions/latest/tables/per_site/parquet")
    assert got.column("site").to_pylist() == expected.column("site").to_pylist()
    assert got.column("total").to_pylist() == expected.column("value_sum").to_pylist()
    assert got.column("n").to_pylist() == expected.column("value_count").to_pylist()

    listed = cli.list_tasks(view="MINIMAL")
    assert task_id in [t.id for t in listed.tasks]
    assert all(t.state in TES_STATES for t in listed.tasks)


def test_cancel_ends_a_task_or_says_it_had_ended(server, researcher):
    cli = client(server, researcher)
    task_id = cli.create_task(sql_task(researcher, "SELECT * FROM t"))
    try:
        cli.cancel_task(task_id)
        canceled = True
    except requests.HTTPError as e:
        assert e.response.status_code == 409, e.response.text
        canceled = False
    final = cli.wait(task_id, timeout=60)
    assert final.state == ("CANCELED" if canceled else "COMPLETE"), final


def test_a_task_with_a_foreign_executor_is_refused(server, researcher):
    cli = client(server, researcher)
    task = tes.Task(executors=[tes.Executor(image="ubuntu", command=["cat", "/etc/passwd"])])
    with pytest.raises(requests.HTTPError) as refused:
        cli.create_task(task)
    assert refused.value.response.status_code == 400
