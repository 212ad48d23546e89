"""Compute jobs in the portal, in a real browser (Playwright driving Debian's chromium): a
researcher opens a restricted dataset's page, submits a SQL job over its table from the form
there, follows the job's page until it is COMPLETE (its log shown to them), finds it on the jobs
page and opens the output, whose page says which restriction it inherited and from which input
before anyone publishes; after the owner asks for an airlock release, a steward of the input's
group approves it at the steward desk, beside the access requests, and the output opens.
Pages are checked and saved as screenshots in both languages, as in test_portal.py."""

import re
import uuid

import pytest
import requests

from test_portal import PASSWORD, admin, browser, shoot, sign_in, sign_out  # noqa: F401 (browser is a fixture)


@pytest.fixture(scope="module")
def lab(server):
    """Input Lab owns a restricted dataset (still a draft) with table `t`; the researcher is a
    member of Input Lab and a steward of Compute Lab, where outputs go; the input steward
    stewards Input Lab."""
    tag = uuid.uuid4().hex[:6]
    org = admin(server, "POST", "/organizations", {"name": f"Compute University {tag}"})
    groups = {name: admin(server, "POST", f"/organizations/{org['id']}/groups", {"name": f"{name} {tag}"})
              for name in ["Input Lab", "Compute Lab"]}
    users = {}
    for role, memberships in [("researcher", [("Input Lab", "member"), ("Compute Lab", "steward")]),
                              ("inputsteward", [("Input Lab", "steward")])]:
        name = f"{role}-{tag}"
        user = admin(server, "POST", "/users", {"username": name, "password": PASSWORD})
        for group, group_role in memberships:
            admin(server, "PUT", f"/groups/{groups[group]['id']}/members/{user['id']}", {"role": group_role})
        users[role] = {"name": name, "id": user["id"]}
    token = admin(server, "POST", f"/users/{users['researcher']['id']}/tokens", {"name": "t", "scope": "write"})
    dataset = f"compute-input-{tag}"
    admin(server, "POST", "/datasets", {"name": dataset, "title": "Sites", "group": groups["Input Lab"]["id"]})
    csv = "site,value\na,1.5\nb,2.0\na,3.25\nc,-1\n"
    r = requests.post(server.url(f"/datasets/{dataset}/draft/files"), files={"file": ("t.csv", csv.encode())},
                      headers=server.auth())
    assert r.status_code == 201, r.text
    assert server.ingest(dataset)["state"] == "succeeded"
    admin(server, "PUT", f"/datasets/{dataset}/policy", {"level": "restricted"})
    return {"tag": tag, "users": users, "dataset": dataset, "token": token["secret"]}


def test_a_sql_job_from_a_dataset_page_to_an_approved_release(server, lab, browser):
    tag, users, dataset = lab["tag"], lab["users"], lab["dataset"]
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, server, users["researcher"]["name"])

    # The dataset's page has the form: a name, the tables to read, the group that owns the
    # output (the researcher has two), the query.
    page.goto(f"{server.base}/datasets/{dataset}")
    form = page.locator("form#run-sql")
    assert form.count() == 1, page.content()
    shoot(page, "compute-dataset")
    page.fill("#job-name", "per site")
    assert page.locator("form#run-sql input[name=table][value=t]").is_checked()
    page.select_option("#job-group", label=f"Compute Lab {tag}")
    page.fill("#job-code", "SELECT site, SUM(value) AS total FROM t GROUP BY site ORDER BY site")
    page.click("form#run-sql button[type=submit]")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f-]{36}$"))
    job_url = page.url

    # The job's page follows the job until it ends, then links the output.
    page.wait_for_selector("#job-output", timeout=60_000)
    assert page.locator("#job-state").get_attribute("data-state") == "COMPLETE", page.content()
    assert "wrote 3 rows" in page.locator("#job-log").inner_text()
    shoot(page, "compute-job")
    page.goto(f"{server.base}/jobs?lang=ja")
    assert "計算ジョブ" in page.content() and "完了" in page.content()
    page.goto(f"{server.base}/jobs")
    row = page.locator(f"#jobs tr[data-job-id='{job_url.rsplit('/', 1)[1]}']")
    assert row.locator("[data-state]").get_attribute("data-state") == "COMPLETE"
    shoot(page, "compute-jobs")

    # The output's page says what it inherited and from where, before anyone publishes.
    page.goto(job_url)
    page.click("#job-output")
    page.wait_for_url(re.compile(r".*/datasets/job-[0-9a-f]+-1$"))
    output = page.url.rsplit("/", 1)[1]
    inherited = page.locator("#inherited").inner_text()
    assert "Restricted" in inherited and f"{dataset}/1/t" in inherited, inherited
    shoot(page, "compute-output")
    sign_out(page)

    # The owner asks for a release (REST); a steward of the input's group approves it at the desk.
    bearer = {"Authorization": f"Bearer {lab['token']}"}
    release = {"policy": {"level": "open"}, "reason": f"aggregates per site only {tag}"}
    r = requests.post(server.url(f"/datasets/{output}/airlock"), json=release, headers=bearer, timeout=30)
    assert r.status_code == 201, r.text
    release_id = r.json()["id"]
    assert admin(server, "GET", f"/datasets/{output}/policy")["level"] == "restricted"
    sign_in(page, server, users["inputsteward"]["name"])
    page.goto(f"{server.base}/steward")
    row = page.locator(f"#releases tr[data-release='{release_id}']")
    assert row.count() == 1, page.content()
    assert f"{dataset}/1/t" in row.inner_text() and "aggregates per site only" in row.inner_text()
    shoot(page, "steward-airlock")
    page.goto(f"{server.base}/steward")
    row.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/steward(#airlock)?$"))
    assert page.locator(f"#releases tr[data-release='{release_id}']").count() == 0, "no longer pending"
    assert admin(server, "GET", f"/datasets/{output}/policy")["level"] == "open"
    context.close()
