"""Kura's Signposting against the FAIR Signposting benchmark's own scenarios
(`../shared/testdata/conformance/signposting/benchmark/`, a2a-fair-metrics).

Each scenario is a small web site: an Apache `.htaccess` that puts `Link` headers on its landing
page (`index.html`) and on the resources it links (the data file, the linkset in each form, an
RO-Crate), and for the `html` scenarios `<link>` elements in the page. The test reads those files,
turns every link into a pattern — relation type, kind of target, media type, profile — and checks
that a Kura landing page of a published dataset with files answers with links of the same patterns,
on the same kinds of resources, and that each target resolves to what its type says.

Kinds of target: the scenario's PID (w3id.org) must be a persistent URL that redirects to the
landing page; the page itself; a document on the scenario's own host must be a document on Kura's
host; the others (SPDX, ORCID, schema.org, profile IRIs) are vocabulary IRIs, matched by the
registry they come from (and exactly for types and profiles).

The scenarios that describe something else — negative cases a checker must flag, parsing
exercises, status codes a landing page never answers, the alternative layout of one a scenario
Kura follows — are listed in NOT_APPLICABLE with the reason; the test fails if a scenario is in
neither list, so a new scenario in the benchmark is not skipped silently.
"""

import html.parser
import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from conftest import TESTDATA

BENCHMARK = TESTDATA / "conformance" / "signposting" / "benchmark"
SITE = "https://s11.no/2022/a2a-fair-metrics/"
PID = "https://w3id.org/a2a-fair-metrics/"
SIGNPOSTING_RELS = {"cite-as", "describedby", "describes", "item", "collection", "license", "type", "author",
                    "linkset", "profile", "alternate", "canonical"}

APPLICABLE = [
    "01-http-describedby-only", "02-html-full", "03-http-citeas-only", "05-http-describedby-citeas",
    "06-http-citeas-describedby-item", "07-http-describedby-citeas-linkset-json",
    "08-http-describedby-citeas-linkset-txt", "09-http-describedby-citeas-linkset-json-txt",
    "13-http-describedby-with-type", "14-http-describedby-citeas-linkset-json-txt-conneg",
    "15-http-describedby-no-conneg", "18-html-citeas-only", "20-http-html-citeas-same",
    "22-http-html-citeas-describedby-mixed", "23-http-citeas-describedby-item-license-type-author",
    "25-http-citeas-author-410-gone", "27-http-linkset-json-only", "28-http-linkset-txt-only",
    "30-http-citeas-describedby-item-license-type-author-joint", "33-http-item-profile",
    "35-rda-f2-01m-t1-dc", "36-rda-f2-01m-t1-schema", "37-rda-f2-01m-t1-dct", "38-rda-f2-01m-t1-schema-https",
    "39-rda-f2-01m-t1-dcat", "41-rda-f2-01m-t2-dct-attributes", "42-rda-f2-01m-t1-schema-attributes",
    "43-rda-f3-01m-t1-one-item", "44-rda-f3-01m-t1-one-item-dct-identifier",
    "45-rda-f3-01m-t1-one-item-schema-datadownload", "46-rda-f3-01m-t1-one-item-dcat-datadownload",
    "47-rda-f3-01m-t1-multiple-item-dcat-datadownload", "51-rda-f1-01m-t1-metadata-no-pid",
    "53-rda-f1-01d-t1-data-no-pid", "57-rda-r1-01m-t7-type-and-about", "58-rda-r1-01m-t7-type-and-no-about",
    "60-rda-f1-01md-t1-citeas-pid", "65-rda-r1-01m-t1-item-type", "66-rda-r1-01m-t1-multiple-item-type",
    "68-rda-r1-01m-t1-some-item-type", "70-rda-r1-01m-t2-type-charset", "71-rda-r1-01m-t3-type-registered",
    "75-rda-r1-1-01m-t1-license",
]

NOT_APPLICABLE = {
    "04-http-describedby-iri": "client exercise: an internationalized host name in the target IRI",
    "10-http-citeas-not-perma": "negative: cite-as is not a persistent identifier",
    "11-http-describedby-iri-wrong-type": "negative: describedby typed text/html for Turtle",
    "12-http-item-does-not-resolve": "negative: the item does not resolve",
    "16-http-describedby-conneg": "alternative layout of 15 (one URL negotiating the formats); Kura gives one URL per format",
    "17-http-citeas-multiple-rels": "parser exercise: several relation types in one link",
    "19-html-citeas-multiple-rels": "parser exercise: several relation types in one link",
    "21-http-html-citeas-differ": "negative: HTTP and HTML disagree",
    "24-http-citeas-204-no-content": "a landing page never answers 204",
    "26-http-citeas-203-non-authorative": "a landing page never answers 203 (proxy rewrite)",
    "29-http-500-server-error": "negative: server error",
    "31-http-describedby-profile": "JSON-LD in both compacted and expanded form; Kura serves one form "
                                   "(expanded) and says so with the profile: see test_json_ld_says_its_form",
    "32-http-describedby-profile-conneg": "as 31, negotiated at one URL",
    "34-http-item-rocrate": "the crate's metadata and preview as documents of their own; Kura's are inside "
                            "the .eln, linked as in 33",
    "40-rda-f2-01m-t2-dc-wrong-type": "negative: describedby typed application/n-quads for Turtle",
    "48-rda-f3-01m-t1-multiple-item-dcat-datadownload-split": "metadata split over several Turtle documents; "
                                                              "Kura's is one document per format",
    "50-rda-f1-01m-t1-metadata-pid": "alternative to 51 (metadata behind a PID of its own)",
    "52-rda-f1-01d-t1-data-pid": "alternative to 53 (data behind a PID of its own)",
    "54-rda-r1-01m-t4-type": "a CreativeWork that is not a Dataset; Kura's pages are Dataset and AboutPage (57)",
    "55-rda-r1-01m-t5-type-unresolve": "negative: type does not resolve",
    "56-rda-r1-01m-t6-unfair": "negative: type from an unFAIR vocabulary",
    "59-rda-r1-01m-t8-type-and-only-about": "negative: AboutPage without a content type",
    "61-rda-f1-01md-t1-citeas-no-pid": "negative: cite-as is the page itself, not a PID",
    "67-rda-r1-01m-t1-no-item": "a page without items; Kura's test datasets have files",
    "69-rda-r1-01m-t2-wrong-type": "negative: item type is not a media type",
    "72-rda-r1-01m-t4-type-unregistered": "negative: item type is not registered",
}


@dataclass
class Link:
    href: str
    rels: set
    params: dict = field(default_factory=dict)

    @property
    def media_type(self):
        return self.params.get("type")

    def __repr__(self):
        return f"<{self.href}> rel={sorted(self.rels)} {self.params}"


def parse_link_header(value: str, base: str = "") -> list:
    """RFC 8288 `Link` values: `<href>; rel="a b"; type=…`, comma separated (commas inside `<>`
    or quotes do not separate)."""
    links, i = [], 0
    while True:
        start = value.find("<", i)
        if start < 0:
            return links
        end = value.index(">", start)
        href = urljoin(base, value[start + 1:end])
        i, params = end + 1, {}
        while True:
            m = re.match(r'\s*;\s*([A-Za-z0-9*-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;,\s]*)', value[i:])
            if not m:
                break
            params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
            i += m.end()
        rels = set(params.pop("rel", "").split())
        links.append(Link(href, rels, params))


def header_links(response) -> list:
    # requests joins repeated `Link` headers with ", ", which is RFC 8288's own separator.
    return parse_link_header(response.headers.get("link", ""), response.url)


class _HeadLinks(html.parser.HTMLParser):
    def __init__(self, base):
        super().__init__()
        self.base, self.links = base, []

    def handle_starttag(self, tag, attrs):
        if tag == "link":
            a = dict(attrs)
            params = {k: v for k, v in a.items() if k in ("type", "profile")}
            self.links.append(Link(urljoin(self.base, a.get("href", "")), set((a.get("rel") or "").split()), params))


def html_links(text: str, base: str) -> list:
    parser = _HeadLinks(base)
    parser.feed(text)
    return parser.links


@dataclass
class Scenario:
    name: str
    status: int = 200
    http: dict = field(default_factory=dict)  # resource file name -> its links
    html: list = field(default_factory=list)  # the page's <link> elements

    @property
    def site(self):
        return SITE + self.name + "/"


def unquote_apache(arg: str) -> str:
    arg = arg.strip()
    if arg.startswith('"') and arg.endswith('"'):
        arg = arg[1:-1].replace('\\"', '"')
    return arg


def load(name: str) -> Scenario:
    d = BENCHMARK / name
    s = Scenario(name)
    access = d / ".htaccess"
    if access.exists():
        resource = "index.html"
        for line in access.read_text().splitlines():
            line = line.strip()
            if m := re.match(r"<Files\s+([^>]+)>", line):
                resource = m.group(1).strip()
            elif line.startswith("</Files>"):
                resource = "index.html"
            elif m := re.match(r"Header\s+(?:always\s+)?add\s+Link\s+(.*)", line):
                s.http.setdefault(resource, []).extend(parse_link_header(unquote_apache(m.group(1)), s.site))
            elif m := re.match(r"Redirect\s+(\d{3})\s*$", line):
                s.status = int(m.group(1))
    if "html" in name:
        s.html = [link for link in html_links((d / "index.html").read_text(), s.site) if link.rels & SIGNPOSTING_RELS]
    return s


def test_every_scenario_is_judged():
    """A scenario the benchmark adds must be placed in one list or the other."""
    present = sorted(p.name for p in BENCHMARK.iterdir() if p.is_dir())
    assert present, f"no scenarios under {BENCHMARK}: ../shared/testdata must sit beside the repository"
    unjudged = [n for n in present if n not in APPLICABLE and n not in NOT_APPLICABLE]
    assert unjudged == [], f"scenarios neither applicable nor excluded: {unjudged}"
    assert set(APPLICABLE) <= set(present) and set(NOT_APPLICABLE) <= set(present)


# ---------------------------------------------------------------------------------------------
# The Kura side: a published dataset with a CSV file (the scenarios' own test-apple-data.csv), a
# licence and an ORCID author; and a second one, withdrawn, for the 410 tombstone.

APPLES = BENCHMARK / "23-http-citeas-describedby-item-license-type-author" / "test-apple-data.csv"
METADATA = {
    "titles": [{"lang": "en", "value": "Apples by colour"}, {"lang": "ja", "value": "色別のりんご"}],
    "descriptions": [{"lang": "en", "value": "The FAIR Signposting benchmark's test data: one apple, its identifier and its colour."}],
    "creators": [{"name": "Soiland-Reyes, Stian", "given_name": "Stian", "family_name": "Soiland-Reyes",
                  "orcid": "0000-0002-1825-0097"}],
    "license": "CC0-1.0",
}


def published_dataset(server, name: str) -> str:
    auth = server.auth()
    requests.post(server.url("/datasets"), json={"name": name}, headers=auth, timeout=30).raise_for_status()
    with open(APPLES, "rb") as f:
        up = requests.post(server.url(f"/datasets/{name}/draft/files"), headers=auth, timeout=30,
                           files={"file": ("test-apple-data.csv", f.read())})
    assert up.status_code == 201, up.text
    job = server.ingest(name)
    assert job["state"] == "succeeded", json.dumps(job)
    r = requests.patch(server.url(f"/datasets/{name}/draft"), json={"metadata": METADATA}, headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    r = requests.post(server.url(f"/datasets/{name}/draft/publish"), headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    return f"{server.base}/datasets/{name}/1"


@pytest.fixture(scope="module")
def apples(server):
    return published_dataset(server, f"signposting-apples-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def withdrawn(server):
    name = f"signposting-gone-{uuid.uuid4().hex[:6]}"
    landing = published_dataset(server, name)
    r = requests.post(server.url(f"/datasets/{name}/versions/1/deaccession"), headers=server.auth(), timeout=30,
                      json={"reason": "withdrawn to test the Signposting tombstone"})
    assert r.status_code == 200, r.text
    return landing


# ---------------------------------------------------------------------------------------------
# Matching one scenario link against Kura's links.

MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")
VOCABULARIES = {  # host of an outside IRI -> what its path must look like
    "spdx.org": re.compile(r"^/licenses/[A-Za-z0-9.+-]+?(\.html)?$"),
    "creativecommons.org": re.compile(r"^/(licenses|publicdomain)/"),
    "orcid.org": re.compile(r"^/\d{4}-\d{4}-\d{4}-\d{3}[\dX]$"),
    "ror.org": re.compile(r"^/0[a-z0-9]{8}$"),
}


def essence(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def kind(scenario: Scenario, href: str) -> str:
    if href.startswith(PID):
        return "pid"
    if href.rstrip("/") == scenario.site.rstrip("/"):
        return "page"
    if href.startswith(SITE):  # 38, 41 and 42 point into a sibling scenario's folder: still a document
        return "document"
    return "vocabulary"


def same_vocabulary(theirs: str, ours: str) -> bool:
    t, o = urlsplit(theirs), urlsplit(ours)
    host = t.hostname.removeprefix("www.")
    if host in ("spdx.org", "creativecommons.org"):  # either licence registry
        return o.hostname in ("spdx.org", "creativecommons.org") and bool(VOCABULARIES[o.hostname].match(o.path))
    if host in ("orcid.org", "ror.org"):  # a person or an organisation, by its registry identifier
        return o.hostname in ("orcid.org", "ror.org") and bool(VOCABULARIES[o.hostname].match(o.path))
    # Types and profiles are names: the same IRI (schema.org is read with either scheme).
    return (o.hostname == t.hostname or host == "schema.org" == o.hostname) and o.path.rstrip("/") == t.path.rstrip("/")


class Kura:
    """What Kura answers for one landing page, fetched once per URL."""

    def __init__(self, landing: str):
        self.landing = landing
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(landing))
        self.responses = {}

    def get(self, url: str, **kw):
        key = (url, json.dumps(kw, sort_keys=True))
        if key not in self.responses:
            self.responses[key] = requests.get(url, timeout=60, **kw)
        return self.responses[key]

    def pid_resolves_here(self, href: str) -> bool:
        r = requests.get(href, allow_redirects=False, timeout=30)
        return r.status_code in (301, 302, 303, 307, 308) and urljoin(href, r.headers["location"]) == self.landing

    def resolves_as(self, link: Link) -> bool:
        """The target answers 200 (after redirects) with the link's media type, asked for by it."""
        headers = {"Accept": link.media_type} if link.media_type else {}
        r = self.get(link.href, stream=True, headers=headers)
        r.close()
        if r.status_code != 200:
            return False
        return link.media_type is None or essence(r.headers.get("content-type", "")) == essence(link.media_type)


def matches(scenario: Scenario, kura: Kura, theirs: Link, ours: Link) -> bool:
    if not theirs.rels & SIGNPOSTING_RELS <= ours.rels:
        return False
    k = kind(scenario, theirs.href)
    if k == "pid":
        ok = ours.href != kura.landing and kura.pid_resolves_here(ours.href)
    elif k == "page":
        ok = ours.href == kura.landing
    elif k == "document":
        ok = ours.href.startswith(kura.origin + "/") and ours.href != kura.landing
    else:
        ok = same_vocabulary(theirs.href, ours.href)
    if not ok:
        return False
    if "profile" in theirs.params and ours.params.get("profile") != theirs.params["profile"]:
        return False
    if theirs.media_type is None:
        return True
    if ours.media_type is None or not MEDIA_TYPE.match(essence(ours.media_type)):
        return False
    if "item" in theirs.rels:
        # An item's type is its own: a registered-looking media type, the one it is served with;
        # a zip-packaged crate may be a zip-based type (RFC 6839 `+zip`).
        if essence(theirs.media_type) == "application/zip" and not (
                essence(ours.media_type) == "application/zip" or essence(ours.media_type).endswith("+zip")):
            return False
        return True
    return essence(ours.media_type) == essence(theirs.media_type)


def counterparts(scenario: Scenario, kura: Kura, theirs: list, ours: list) -> dict:
    """For each scenario link, Kura's links of the same pattern; fails naming the first missing one."""
    found = {}
    for t in theirs:
        hits = [o for o in ours if matches(scenario, kura, t, o)]
        assert hits, f"{scenario.name}: no link like {t}\nKura's links: {ours}"
        found[id(t)] = hits
    return found


def check_resolves(kura: Kura, links: list, withdrawn: bool):
    for o in links:
        if o.href.startswith(kura.origin) and o.rels & {"describedby", "item", "linkset"}:
            if withdrawn and "item" in o.rels:
                continue
            assert kura.resolves_as(o), f"{o} does not answer 200 with its type"


@pytest.mark.parametrize("name", APPLICABLE)
def test_kura_answers_with_the_scenarios_links(server, apples, withdrawn, name):
    scenario = load(name)
    landing = withdrawn if scenario.status == 410 else apples
    kura = Kura(landing)
    page = kura.get(landing)
    assert page.status_code == scenario.status, f"{name}: the landing page answers {page.status_code}"
    assert page.headers["content-type"].startswith("text/html")
    ours = header_links(page)

    theirs = [t for t in scenario.http.get("index.html", []) if t.rels & SIGNPOSTING_RELS]
    found = counterparts(scenario, kura, theirs, ours)
    check_resolves(kura, [o for hits in found.values() for o in hits], scenario.status == 410)

    if scenario.html:
        ours_html = html_links(page.text, landing)
        counterparts(scenario, kura, scenario.html, ours_html)
        # HTTP and HTML say the same (20, 22): every Signposting link of the page is in both.
        key = lambda links: {(o.href, r, o.media_type) for o in links for r in o.rels & SIGNPOSTING_RELS - {"canonical"}}  # noqa: E731
        assert key(ours_html) == key(ours), f"{name}: the HTML <link>s and the Link header differ"

    # The resources the scenario's links point to carry their own links: an item links its
    # collection, a crate its profile, each form of the linkset the other form and the canonical URL.
    for resource, their_links in scenario.http.items():
        if resource == "index.html":
            continue
        if resource.startswith("linkset."):
            urls = [f"{landing}/{resource}"]
        else:
            pointing = [t for t in theirs if t.href == urljoin(scenario.site, resource)]
            assert pointing, f"{name}: no link of the page points to {resource}"
            urls = sorted({o.href for t in pointing for o in found[id(t)]})
        for url in urls:
            r = kura.get(url, stream=True)
            r.close()
            assert r.status_code == 200, f"{url}: {r.status_code}"
            ours_here = header_links(r)
            for t in their_links:
                if t.rels & SIGNPOSTING_RELS:
                    assert any(matches(scenario, kura, t, o) for o in ours_here), \
                        f"{name}: {url} has no link like {t}: {ours_here}"


@pytest.mark.parametrize("name", ["07-http-describedby-citeas-linkset-json", "08-http-describedby-citeas-linkset-txt",
                                  "27-http-linkset-json-only", "28-http-linkset-txt-only"])
def test_linkset_holds_the_scenarios_links(server, apples, name):
    """The linkset the scenario serves and Kura's carry the same patterns for the landing page."""
    scenario = load(name)
    d = BENCHMARK / name
    kura = Kura(apples)
    if (d / "linkset.json").exists():
        theirs = from_linkset_json(json.loads((d / "linkset.json").read_text()), scenario.site)
        r = kura.get(apples + "/linkset", headers={"Accept": "application/linkset+json"})
        assert essence(r.headers["content-type"]) == "application/linkset+json"
        ours = from_linkset_json(r.json(), apples)
    else:
        theirs = from_linkset_text((d / "linkset.txt").read_text(), scenario.site)
        r = kura.get(apples + "/linkset", headers={"Accept": "application/linkset"})
        assert essence(r.headers["content-type"]) == "application/linkset"
        ours = from_linkset_text(r.text, apples)
    assert theirs, f"{name}: the scenario's linkset has no links for its page"
    found = counterparts(scenario, kura, theirs, ours)
    check_resolves(kura, [o for hits in found.values() for o in hits], False)


def from_linkset_json(doc: dict, anchor: str) -> list:
    links = []
    for ctx in doc["linkset"]:
        if ctx["anchor"].rstrip("/") != anchor.rstrip("/"):
            continue
        for rel, targets in ctx.items():
            if rel != "anchor":
                links += [Link(t["href"], {rel}, {k: v for k, v in t.items() if k != "href"}) for t in targets]
    return links


def from_linkset_text(text: str, anchor: str) -> list:
    links = parse_link_header(" ".join(text.split("\n")))
    return [Link(link.href, link.rels, {k: v for k, v in link.params.items() if k != "anchor"})
            for link in links if link.params.get("anchor", "").rstrip("/") == anchor.rstrip("/")]


def test_json_ld_says_its_form(server, apples):
    """Scenarios 31 and 32 type JSON-LD with the form it is in; Kura's `metadata.jsonld` is in
    expanded form (no context, full IRIs, every value in an array) and says so."""
    kura = Kura(apples)
    links = [o for o in header_links(kura.get(apples)) if "describedby" in o.rels and o.media_type == "application/ld+json"]
    assert [o.params.get("profile") for o in links] == ["http://www.w3.org/ns/json-ld#expanded"], links
    r = kura.get(links[0].href)
    assert r.headers["content-type"] == 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"'
    assert any("profile" in o.rels and o.href == "http://www.w3.org/ns/json-ld#expanded" for o in header_links(r))
    doc = r.json()
    assert isinstance(doc, list) and doc
    for node in doc:
        assert "@context" not in node
        for key, values in node.items():
            if key == "@id":
                continue
            assert key == "@type" or re.match(r"^[a-z][a-z0-9+.-]*:", key), key
            assert isinstance(values, list) and all(isinstance(v, dict) and ({"@id", "@value"} & v.keys()) or key == "@type"
                                                    for v in values), (key, values)
