"""Seed rocrate-validator's HTTP cache with the RO-Crate 1.1 JSON-LD context, without network.

rocrate-validator (roc-validator) resolves the crate's `@context`
(https://w3id.org/ro/crate/1.1/context) over HTTP to check that the descriptor is valid,
compacted JSON-LD. Its documented offline mode (`validate --offline --cache-path P`) serves
every request from a requests-cache SQLite store only, and its documented way to fill that
store, `rocrate-validator cache warm`, downloads from w3id.org, which CI cannot reach.

So this fills the store the same way `cache warm` does (the validator's own `HttpRequester`
and `warm_up_urls`, hence the same cache keys and session settings), except that the one URL
is answered by a local transport adapter instead of the network. The body is the RO-Crate 1.1
context as shipped in the PyPI package `rocrate` (ro-crate-py, pinned in
tests/requirements.txt; its `rocrate/data/ro-crate.jsonld` is the 1.1 context up to 0.15.x).
Nothing is copied into this repository and nothing is fetched from any other host.

    python tests/rocrate_offline_cache.py CACHE_PATH
    rocrate-validator validate --offline --cache-path CACHE_PATH -p ro-crate-1.1 ... CRATE

Exits non-zero with a message when a prerequisite is missing or the context is not 1.1.
"""

import importlib.resources
import io
import json
import sys

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

CONTEXT_URL = "https://w3id.org/ro/crate/1.1/context"


def context_bytes() -> bytes:
    """The RO-Crate 1.1 context from the `rocrate` package, checked to really be 1.1."""
    try:
        data = importlib.resources.files("rocrate").joinpath("data/ro-crate.jsonld").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as e:
        raise SystemExit(f"rocrate_offline_cache: the `rocrate` package (tests/requirements.txt) is missing: {e}")
    doc = json.loads(data)
    if doc.get("@id") != CONTEXT_URL or not isinstance(doc.get("@context"), dict):
        raise SystemExit(
            f"rocrate_offline_cache: rocrate's data/ro-crate.jsonld is {doc.get('@id')!r}, not {CONTEXT_URL}; "
            "pin a `rocrate` release that ships the 1.1 context (<= 0.15.x)"
        )
    return data


class LocalContextAdapter(HTTPAdapter):
    """Answers GET CONTEXT_URL with the packaged context; refuses anything else (no socket is opened)."""

    def __init__(self, body: bytes):
        super().__init__()
        self.body = body

    def send(self, request, **kwargs):
        if request.method != "GET" or request.url != CONTEXT_URL:
            raise requests.ConnectionError(f"rocrate_offline_cache serves only {CONTEXT_URL}, not {request.url}")
        raw = HTTPResponse(
            body=io.BytesIO(self.body),
            headers={"Content-Type": "application/ld+json", "Content-Length": str(len(self.body))},
            status=200,
            reason="OK",
            preload_content=False,
            decode_content=False,
            request_url=request.url,
        )
        # The same response object requests builds for a real HTTP exchange.
        return self.build_response(request, raw)


def seed(cache_path: str) -> None:
    try:
        from rocrate_validator.utils.cache_warmup import warm_up_urls
        from rocrate_validator.utils.http import HttpRequester
    except ImportError as e:
        raise SystemExit(f"rocrate_offline_cache: roc-validator (tests/requirements.txt) is missing: {e}")
    body = context_bytes()
    HttpRequester.reset()
    requester = HttpRequester.initialize_cache(cache_path=cache_path, cache_max_age=-1, offline=False)
    if not hasattr(requester.session, "cache"):
        raise SystemExit("rocrate_offline_cache: requests-cache is not available to rocrate-validator")
    requester.session.mount(CONTEXT_URL, LocalContextAdapter(body))
    results = warm_up_urls([CONTEXT_URL])
    if not all(r.status in ("ok", "skipped") for r in results):
        raise SystemExit(f"rocrate_offline_cache: seeding failed: {results}")
    if not requester.has_cached(CONTEXT_URL):
        raise SystemExit(f"rocrate_offline_cache: {CONTEXT_URL} is not in the cache after seeding")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    seed(sys.argv[1])
    print(f"rocrate_offline_cache: {CONTEXT_URL} cached in {sys.argv[1]}")
