"""The README's access walkthrough, end to end: the `kura admin` CLI creates people, a group, a
consortium and a policy; a partner reads only after accepting the agreement; an outsider asks for
a restricted dataset, a steward approves from the CLI, and the outsider reads."""

import io

import pyarrow.parquet as pq
import requests


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_consortium_and_request_walkthrough(server):
    cli = lambda *a: server.cli("admin", *a).stdout.strip()  # noqa: E731
    lab = cli("group", "Uni A", "Lab A", "--ror", "https://ror.org/00000000")
    partner_lab = cli("group", "Uni B", "Lab B")
    steward = cli("user", "stella")
    partner = cli("user", "pat")
    outsider = cli("user", "olga")
    cli("member", lab, steward, "--role", "steward")
    cli("member", partner_lab, partner, "--role", "member")
    tokens = {who: cli("user-token", uid) for who, uid in [("steward", steward), ("partner", partner), ("outsider", outsider)]}

    # The steward's dataset: a small CSV, ingested and published.
    created = requests.post(server.url("/datasets"), json={"name": "xrd-shared", "group": lab}, headers=bearer(tokens["steward"]))
    assert created.status_code == 201, created.text
    up = requests.post(server.url("/datasets/xrd-shared/draft/files"), files={"file": ("scan.csv", b"2theta (deg),I\n10,5\n20,7\n")},
                       headers=bearer(tokens["steward"]))
    assert up.status_code == 201, up.text
    job = server.ingest("xrd-shared", bearer(tokens["steward"]))
    assert job["state"] == "succeeded", job
    assert requests.post(server.url("/datasets/xrd-shared/draft/publish"), headers=bearer(tokens["steward"])).status_code == 200

    consortium = cli("consortium", "XRD network", "--terms", "cite the source; no redistribution")
    cli("invite", consortium, partner_lab)
    cli("policy", "xrd-shared", "--level", "consortium", "--consortium", consortium)
    parquet = server.url("/datasets/xrd-shared/versions/1/tables/scan/parquet")

    assert requests.get(parquet, headers=bearer(tokens["partner"])).status_code == 403, "terms not accepted yet"
    accepted = requests.post(server.url(f"/consortia/{consortium}/accept"), headers=bearer(tokens["partner"]))
    assert accepted.status_code == 200 and accepted.json()["version"] == 1
    table = pq.read_table(io.BytesIO(requests.get(parquet, headers=bearer(tokens["partner"])).content))
    assert table.column("2theta").to_pylist() == [10, 20]

    # Restricted: request, approve from the CLI, read.
    cli("policy", "xrd-shared", "--level", "restricted")
    assert requests.get(parquet, headers=bearer(tokens["outsider"])).status_code == 403
    request = requests.post(server.url("/datasets/xrd-shared/access-requests"), json={"reason": "thesis chapter 3"},
                            headers=bearer(tokens["outsider"])).json()
    assert request["state"] == "pending"
    assert request["id"] in cli("requests", "xrd-shared")
    assert cli("approve", "xrd-shared", request["id"], "2999-01-01T00:00:00Z") == "approved"
    assert requests.get(parquet, headers=bearer(tokens["outsider"])).status_code == 200
    mine = requests.get(server.url("/me/access-requests"), headers=bearer(tokens["outsider"])).json()
    assert mine["items"][0]["state"] == "approved"

    audit = requests.get(server.url("/audit"), params={"action": "data."}, headers=bearer(tokens["steward"])).json()
    actors = {e["actor"] for e in audit["items"]}
    assert f"user:{outsider}" in actors and f"user:{partner}" in actors

    from_cli = requests.get(server.url("/audit"), params={"surface": "cli", "action": "policy.change"}, headers=server.auth()).json()
    assert from_cli["total"] >= 2 and all(e["actor"] == "cli" for e in from_cli["items"])

    # Closed: nobody outside the lab learns it exists.
    cli("policy", "xrd-shared", "--level", "closed")
    assert requests.get(server.url("/datasets/xrd-shared"), headers=bearer(tokens["partner"])).status_code == 404
    assert requests.get(server.url("/datasets/xrd-shared"), headers=bearer(tokens["steward"])).status_code == 200
