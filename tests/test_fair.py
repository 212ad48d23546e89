"""FAIR surfaces of a running `kura serve --demo`, checked with the clients harvesters use:

* every demo dataset's DCAT Turtle (from content negotiation) against DCAT-AP 3.0.1's SHACL and
  ranges shapes (pySHACL, 0 violations);
* the schema.org JSON-LD embedded in each landing page (extracted with extruct) against
  science-on-schema.org's Google required and recommended shapes;
* the DataCite XML against the DataCite 4.7 XSD (xmllint);
* Signposting: the `signposting` client reads the Link headers and the linkset;
* the `.eln` export against RO-Crate 1.1 (rocrate-validator).
"""

import io
import json
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Namespace

from test_metadata_conformance import SHARED, assert_conforms, dcat_shapes, soso_shapes  # noqa: F401

DEMO = ["demo-thermal-log", "demo-uvvis", "demo-resistivity"]
SCHEMA = Namespace("http://schema.org/")


def page(server, name, **kw):
    return requests.get(f"{server.base}/datasets/{name}", timeout=30, **kw)


@pytest.mark.parametrize("name", DEMO)
def test_dcat_turtle_of_every_demo_dataset_conforms(server, dcat_shapes, name):  # noqa: F811
    r = page(server, name, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert "Accept" in r.headers.get("vary", "")
    assert_conforms(Graph().parse(data=r.text, format="turtle"), dcat_shapes, f"{name} Turtle")


def test_dcat_catalog_pages_conform(server, dcat_shapes):  # noqa: F811
    r = requests.get(f"{server.base}/catalog?limit=2", headers={"Accept": "text/turtle"}, timeout=30)
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    assert_conforms(g, dcat_shapes, "catalog page 1")
    assert "hydra:next" in r.text or "hydra#next" in r.text


@pytest.mark.parametrize("name", DEMO)
def test_landing_page_json_ld_conforms_to_soso(server, soso_shapes, name):  # noqa: F811
    import extruct

    r = page(server, name)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    data = extruct.extract(r.text, base_url=r.url, syntaxes=["json-ld"], uniform=False)["json-ld"]
    assert len(data) == 1, data
    import json

    g = Graph().parse(data=json.dumps(data[0]), format="json-ld")
    assert list(g.subjects(None, SCHEMA.Dataset)), "no schema:Dataset"
    assert_conforms(g, soso_shapes, f"{name} landing JSON-LD")
    assert data[0]["variableMeasured"], "columns are listed as variableMeasured"
    assert all("contentUrl" in d and "encodingFormat" in d for d in data[0]["distribution"])


@pytest.mark.parametrize("name", DEMO)
def test_datacite_validates_against_4_7_xsd(server, tmp_path, name):
    if shutil.which("xmllint") is None:
        pytest.fail("xmllint is not installed (Debian package libxml2-utils)")
    r = page(server, name, headers={"Accept": "application/vnd.datacite.datacite+xml"})
    assert r.status_code == 200
    path = tmp_path / f"{name}.xml"
    path.write_bytes(r.content)
    xsd = SHARED / "xsd" / "datacite-4.7" / "metadata.xsd"
    proc = subprocess.run(["xmllint", "--noout", "--schema", str(xsd), str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", DEMO)
def test_signposting_client_reads_headers_and_linkset(server, name):
    import signposting

    url = f"{server.base}/datasets/{name}/1"
    signs = signposting.find_signposting_http(url)
    assert signs.citeAs and "/pid/" in str(signs.citeAs.target)
    assert signs.describedBy and any(d.type == "text/turtle" for d in signs.describedBy)
    assert signs.items and all(i.type for i in signs.items)
    assert signs.license and signs.authors
    assert {str(t.target) for t in signs.types} >= {"https://schema.org/Dataset", "https://schema.org/AboutPage"}
    assert signs.linksets
    linkset = requests.get(f"{url}/linkset", headers={"Accept": "application/linkset+json"}, timeout=30)
    assert linkset.headers["content-type"] == "application/linkset+json"
    for accept in ["application/linkset+json", "application/linkset"]:
        # The linkset describes the landing page, its metadata documents and its items.
        from_set = signposting.find_signposting_linkset(f"{url}/linkset", accept).for_context(url)
        assert from_set.citeAs and from_set.items and from_set.describedBy, accept


def test_pid_resolves_to_the_landing_page(server):
    ds = requests.get(server.url("/datasets/demo-uvvis"), timeout=30).json()
    dataset_id = (ds.get("dataset") or ds)["id"]
    r = requests.get(f"{server.base}/pid/{dataset_id}", allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/datasets/demo-uvvis/1"
    assert requests.get(f"{server.base}/pid/{dataset_id}", timeout=30).status_code == 200


def test_sitemap_and_robots(server):
    sitemap = requests.get(f"{server.base}/sitemap.xml", timeout=30).text
    for name in DEMO:
        assert f"/datasets/{name}/1</loc>" in sitemap
    robots = requests.get(f"{server.base}/robots.txt", timeout=30).text
    assert "Sitemap: " in robots and "Disallow: /api/" in robots


@pytest.mark.parametrize("name", DEMO)
def test_eln_export_is_a_valid_ro_crate(server, tmp_path, name):
    r = requests.get(f"{server.base}/datasets/{name}/1/export.eln", timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.eln+zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = archive.namelist()
    assert f"{name}-v1/ro-crate-metadata.json" in names
    assert any(n.endswith(".parquet") for n in names) and any(n.startswith(f"{name}-v1/files/") for n in names)
    archive.extractall(tmp_path)
    # Offline, as CI has no network: the validator's documented `--offline` mode serves HTTP only
    # from its cache, which tests/rocrate_offline_cache.py seeds with the RO-Crate 1.1 context
    # shipped by the pinned `rocrate` package (see that script for why).
    validator = Path(sys.executable).with_name("rocrate-validator")
    assert validator.exists(), f"{validator} is missing: install tests/requirements.txt (roc-validator) in this venv"
    cache = tmp_path / "rocrate-validator-cache" / "http_cache"
    cache.parent.mkdir()
    seed = subprocess.run([sys.executable, str(Path(__file__).with_name("rocrate_offline_cache.py")), str(cache)],
                          capture_output=True, text=True, timeout=120)
    assert seed.returncode == 0, "seeding rocrate-validator's offline cache failed:\n" + seed.stdout + seed.stderr
    proc = subprocess.run(
        [str(validator), "--disable-color", "validate", "--offline", "--cache-path", str(cache),
         "--profile-identifier", "ro-crate-1.1", "--no-paging", "-f", "json", str(tmp_path / f"{name}-v1")],
        capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    # An offline cache miss is only a warning (the check that needed the resource does not run),
    # so it must fail here rather than pass on fewer checks.
    missed = sorted(set(re.findall(r"Resource\s+'([^']+)'\s+is\s+not\s+available\s+in\s+the\s+HTTP", out)))
    flat = " ".join(out.split())  # the log report is wrapped at the terminal width
    assert not missed and "not available in the HTTP cache" not in flat, f"validator needed uncached {missed}:\n{out}"
    try:
        # The JSON report may be followed by a plain-text log report.
        report, _ = json.JSONDecoder().raw_decode(proc.stdout.lstrip())
    except ValueError:
        pytest.fail("rocrate-validator printed no JSON report:\n" + out)
    issues = [f"{i['check']['identifier']}: {i['message']}" for i in report.get("issues", [])]
    assert issues == [] and report.get("passed") is True and proc.returncode == 0, "\n".join(issues) or out


def test_an_eln_export_ingests_back_into_kura(server, tmp_path):
    """Round trip: our own `.eln` export, uploaded as a new dataset, is read by our `.eln` import:
    every embedded file ingested (the Parquet tables included) and the profile filled from the crate.
    RO-Crate 1.1 has one name per dataset: the English title comes back, tagged by `inLanguage`."""
    original = requests.get(server.url("/datasets/demo-uvvis/versions/1"), headers=server.auth(), timeout=30).json()
    archive = requests.get(f"{server.base}/datasets/demo-uvvis/1/export.eln", timeout=60)
    assert archive.status_code == 200
    name = f"eln-roundtrip-{uuid.uuid4().hex[:6]}"
    requests.post(server.url("/datasets"), json={"name": name}, headers=server.auth(), timeout=30).raise_for_status()
    upload = requests.post(server.url(f"/datasets/{name}/draft/files"), headers=server.auth(), timeout=60,
                           files={"file": ("demo-uvvis-v1.eln", archive.content)})
    assert upload.status_code == 201, upload.text
    job = server.ingest(name)
    assert job["state"] == "succeeded", json.dumps(job)
    draft = requests.get(server.url(f"/datasets/{name}/versions/1"), headers=server.auth(), timeout=30).json()
    english = [t for t in original["metadata"]["titles"] if t["lang"] == "en"]
    assert english and draft["metadata"]["titles"] == english, draft["metadata"]["titles"]
    tables = requests.get(server.url(f"/datasets/{name}/versions/1/tables"), headers=server.auth(), timeout=30).json()
    assert tables, "the crate's Parquet and raw files gave tables"
