"""Conformance of kura-metadata's outputs, checked with the validators harvesters use.

Builds and runs `cargo run -p kura-metadata --example write_samples -- DIR` (open, embargoed,
consortium and restricted sample datasets; with and without tables; English and Japanese titles),
then checks, with 0 violations each:

* the DCAT-AP RDF of every dataset and the catalog page (Turtle, RDF/XML and JSON-LD, parsed with
  rdflib) against DCAT-AP 3.0.1's SHACL shapes together with its ranges shapes (pySHACL);
* the schema.org JSON-LD against science-on-schema.org's Google required and recommended shapes;
* the DataCite XML against the DataCite 4.7 XSD (xmllint).
"""

import os
import pathlib
import shutil
import subprocess

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("KURA_SHARED", ROOT.parent / "shared")) / "testdata" / "conformance"
SH = Namespace("http://www.w3.org/ns/shacl#")
SAMPLES = ["demo-uvvis", "feo-xps", "demo-thermal-log", "catalyst-eln"]


@pytest.fixture(scope="module", autouse=True)
def conformance_files():
    if not (SHARED / "shapes").is_dir():
        pytest.fail(f"{SHARED} is missing: ../shared/testdata must sit beside the repository (or set KURA_SHARED)")


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> pathlib.Path:
    if shutil.which("cargo") is None:
        pytest.fail("cargo is not on PATH: it is needed to build the write_samples example")
    out = tmp_path_factory.mktemp("metadata-samples")
    proc = subprocess.run(
        ["cargo", "run", "-q", "-p", "kura-metadata", "--example", "write_samples", "--", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"write_samples failed:\n{proc.stderr}"
    return out


def shapes(*names: str) -> Graph:
    g = Graph()
    for name in names:
        g.parse(SHARED / "shapes" / name, format="turtle")
    return g


@pytest.fixture(scope="module")
def dcat_shapes() -> Graph:
    g = shapes("dcat-ap-3.0.1-SHACL.ttl", "dcat-ap-3.0.1-ranges.ttl")
    # The two published files reference each other's property shapes, and together still name
    # five (in the Dataset, Distribution and Relationship shapes) that neither defines. pySHACL
    # refuses such dangling references; they carry no constraint, so they are dropped. The count
    # is pinned so that a change of the shapes files is noticed.
    dangling = [(s, p) for s, p in g.subject_objects(SH.property) if g.value(p, SH.path) is None]
    assert len(dangling) == 5, dangling
    for s, p in dangling:
        g.remove((s, SH.property, p))
    return g


@pytest.fixture(scope="module")
def soso_shapes() -> Graph:
    return shapes("soso-googleRequired.ttl", "soso-googleRecommended.ttl")


def assert_conforms(data: Graph, shacl: Graph, what: str):
    assert len(data) > 0, f"{what}: empty graph"
    conforms, _, text = validate(data, shacl_graph=shacl, inference="none", allow_warnings=False)
    assert conforms, f"{what}: SHACL violations\n{text}"


@pytest.mark.parametrize("name", SAMPLES + ["catalog"])
def test_dcat_turtle_conforms_to_dcat_ap(samples, dcat_shapes, name):
    assert_conforms(Graph().parse(samples / f"{name}.ttl", format="turtle"), dcat_shapes, f"{name}.ttl")


@pytest.mark.parametrize("name", SAMPLES)
def test_every_rdf_serialization_is_the_same_graph_and_conforms(samples, dcat_shapes, name):
    turtle = Graph().parse(samples / f"{name}.ttl", format="turtle")
    for suffix, fmt in [(".nt", "nt"), (".rdf", "xml"), (".jsonld", "json-ld")]:
        g = Graph().parse(samples / f"{name}{suffix}", format=fmt)
        assert len(g) == len(turtle), f"{name}{suffix}: {len(g)} triples, Turtle has {len(turtle)}"
        assert_conforms(g, dcat_shapes, f"{name}{suffix}")


@pytest.mark.parametrize("name", SAMPLES)
def test_schema_org_conforms_to_soso_google_shapes(samples, soso_shapes, name):
    g = Graph().parse(samples / f"{name}.schema.jsonld", format="json-ld")
    datasets = list(g.subjects(predicate=None, object=Namespace("http://schema.org/")["Dataset"]))
    assert datasets, f"{name}: no http://schema.org/Dataset after parsing (wrong namespace?)"
    assert_conforms(g, soso_shapes, f"{name}.schema.jsonld")


@pytest.mark.parametrize("name", SAMPLES)
def test_datacite_xml_validates_against_the_4_7_xsd(samples, name):
    if shutil.which("xmllint") is None:
        pytest.fail("xmllint is not installed (Debian package libxml2-utils)")
    xsd = SHARED / "xsd" / "datacite-4.7" / "metadata.xsd"
    proc = subprocess.run(
        ["xmllint", "--noout", "--schema", str(xsd), str(samples / f"{name}.datacite.xml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
