"""OAI-PMH against the running demo server: every verb and every error condition validated
against the official OAI-PMH 2.0 schema (with oai_dc and DataCite 4.7 for the records), and a full
harvest by oaipmh-scythe that follows resumption tokens and returns every public record once."""

import pathlib

import pytest
import requests
from lxml import etree

from conftest import ROOT, shared_file

SCHEMAS = ROOT / "tests" / "schemas"


@pytest.fixture(scope="module")
def oai_schema(tmp_path_factory):
    """One schema over the three namespaces a response may hold (the OAI-PMH schema's record
    metadata is a strict wildcard, so the record formats' schemas must be present too)."""
    oai = shared_file("conformance/xsd/OAI-PMH.xsd")
    datacite = shared_file("conformance/xsd/datacite-4.7/metadata.xsd")
    wrapper = tmp_path_factory.mktemp("xsd") / "all.xsd"
    wrapper.write_text(f"""<?xml version="1.0"?>
<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:kura:test" elementFormDefault="qualified">
  <import namespace="http://www.openarchives.org/OAI/2.0/" schemaLocation="{oai.as_uri()}"/>
  <import namespace="http://www.openarchives.org/OAI/2.0/oai_dc/" schemaLocation="{(SCHEMAS / 'oai_dc.xsd').as_uri()}"/>
  <import namespace="http://datacite.org/schema/kernel-4" schemaLocation="{datacite.as_uri()}"/>
</schema>""")
    return etree.XMLSchema(etree.parse(str(wrapper)))


def get(server, **params):
    r = requests.get(f"{server.base}/oai", params=params, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/xml")
    return etree.fromstring(r.content)


NS = {"o": "http://www.openarchives.org/OAI/2.0/"}


def valid(schema, doc, what):
    if not schema.validate(doc):
        raise AssertionError(f"{what} breaks the OAI-PMH schema: {schema.error_log}\n{etree.tostring(doc)[:3000]!r}")


def test_every_verb_and_error_validates(server, oai_schema):
    first = get(server, verb="ListIdentifiers", metadataPrefix="oai_dc")
    identifier = first.findtext(".//o:header/o:identifier", namespaces=NS)
    assert identifier, etree.tostring(first)
    token = first.findtext(".//o:resumptionToken", namespaces=NS)
    assert token, "the demo's three records need two pages of two"
    requests_and_codes = [
        ({"verb": "Identify"}, None),
        ({"verb": "ListMetadataFormats"}, None),
        ({"verb": "ListMetadataFormats", "identifier": identifier}, None),
        ({"verb": "ListSets"}, None),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, None),
        ({"verb": "ListIdentifiers", "resumptionToken": token}, None),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc"}, None),
        ({"verb": "ListRecords", "metadataPrefix": "oai_datacite"}, None),
        ({"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"}, None),
        ({"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_datacite"}, None),
        ({"verb": "Frobnicate"}, "badVerb"),
        ({}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "Identify", "set": "x"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "last week"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "nonsense"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": "oai:nowhere:x/1", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"}, "noRecordsMatch"),
    ]
    for params, code in requests_and_codes:
        doc = get(server, **params)
        valid(oai_schema, doc, params)
        error = doc.find("o:error", NS)
        if code is None:
            assert error is None, (params, etree.tostring(doc))
        else:
            assert error is not None and error.get("code") == code, (params, etree.tostring(doc))


def test_a_harvest_returns_every_public_record_once(server):
    from oaipmh_scythe import Scythe

    public = requests.get(server.url("/datasets"), params={"limit": 100}, timeout=30).json()
    published = sorted(d["name"] for d in public["items"] if d["latest_version"]["state"] == "published")
    assert len(published) >= 3
    with Scythe(f"{server.base}/oai") as scythe:
        records = list(scythe.list_records(metadata_prefix="oai_dc"))
    identifiers = [r.header.identifier for r in records]
    assert len(identifiers) == len(set(identifiers)), "a record came twice"
    harvested = sorted(i.split(":")[-1].split("/")[0] for i in identifiers)
    assert harvested == published
    for r in records:
        assert r.metadata["title"], r.raw
