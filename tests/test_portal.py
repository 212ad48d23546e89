"""The web portal in a real browser (Playwright driving Debian's chromium), every flow end to end:
a researcher uploads an instrument file and an `.eln` archive, watches ingestion, edits metadata
(the profile's rules shown beside the fields) and submits it for review; a steward makes it
consortium-only and publishes, after starting the consortium in the portal (members, a second
agreement version); a consortium member accepts the agreement and reads the table; an
outsider sees the landing page but not the data, and asks for access; the steward approves; the
outsider downloads; the steward sees who accepted the agreement. Every page is also checked for labelled controls and keyboard focus, and
saved as a screenshot in both languages under tests/out/screenshots/{page}-{lang}.png."""

import os
import pathlib
import re
import uuid

import pytest
import requests

from conftest import shared_file

CHROMIUM = "/usr/bin/chromium"
SHOTS = pathlib.Path(__file__).resolve().parent / "out" / "screenshots"
PASSWORD = "correct-horse-battery"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def admin(server, method, path, body=None):
    r = requests.request(method, server.url(path), json=body, headers=server.auth())
    assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


@pytest.fixture(scope="module")
def people(server):
    """A lab (researcher, steward), a partner lab in a consortium, an outsider's lab."""
    tag = uuid.uuid4().hex[:6]
    org = admin(server, "POST", "/organizations", {"name": f"Portal University {tag}"})
    labs = {name: admin(server, "POST", f"/organizations/{org['id']}/groups", {"name": f"{name} {tag}"})
            for name in ["Surface Lab", "Partner Lab", "Other Lab"]}
    who = {}
    for role, lab, group_role in [("researcher", "Surface Lab", "member"), ("steward", "Surface Lab", "steward"),
                                  ("member", "Partner Lab", "member"), ("outsider", "Other Lab", "member")]:
        name = f"{role}-{tag}"
        user = admin(server, "POST", "/users", {"username": name, "password": PASSWORD, "display_name": f"{role.title()} {tag}"})
        admin(server, "PUT", f"/groups/{labs[lab]['id']}/members/{user['id']}", {"role": group_role})
        who[role] = name
    return {"users": who, "labs": labs, "tag": tag}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the Debian package; Playwright's own download is not used)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def check_accessible(page, name):
    """Every visible control has a label; the skip link is the first thing Tab reaches."""
    unlabelled = page.evaluate("""() => Array.from(document.querySelectorAll('input, select, textarea, button'))
        .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.tagName === 'BUTTON' && e.textContent.trim()))
        .map(e => e.outerHTML)""")
    assert not unlabelled, f"{name}: controls without a label: {unlabelled}"
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "skip" in focused, f"{name}: Tab does not reach the skip link first ({focused!r})"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", f"{name}: the focused element shows no outline"


def shoot(page, name):
    """Checks the page and saves it in Japanese and English (the page stays in English)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = re.sub(r"([?&])lang=[a-z]+&?", r"\1", page.url).rstrip("?&")
    sep = "&" if "?" in url else "?"
    for lang in ["ja", "en"]:
        page.goto(f"{url}{sep}lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang, f"{name} is not in {lang}"
        page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=True)
    check_accessible(page, name)


def sign_in(page, server, username):
    page.goto(f"{server.base}/signin")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/me$"))


def sign_out(page):
    page.click("form[action='/signout'] button")
    page.wait_for_url(re.compile(r".*/$"))


def test_every_portal_flow_in_a_browser(server, people, browser, tmp_path):
    users, tag = people["users"], people["tag"]
    name = f"feo-xps-{tag}"
    instrument = shared_file("instrument/xps-scienta-Ag_0001.txt")
    eln = shared_file("eln/kadi4mat-records.eln")
    # A file that claims to be CSV but is binary noise: it fails alone, and the job page says why.
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes((i * 2654435761 >> 13) & 0xFF for i in range(4096)))
    context = browser.new_context(locale="en-US", accept_downloads=True)
    page = context.new_page()

    # Reading without signing in: home, search with facets, a demo landing page.
    page.goto(server.base + "/")
    assert "Find and share research data" in page.content()
    shoot(page, "home")
    page.fill("#q", "alumina")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=alumina"))
    assert page.locator(".hit").count() >= 1
    assert page.locator(".hit b").count() >= 1, "matches are highlighted"
    shoot(page, "search")
    page.click(".facets a >> nth=0")
    assert page.locator("[aria-current=true]").count() == 1, "the facet filter is applied"
    page.goto(server.base + "/datasets/demo-thermal-log")
    assert page.locator("table.preview").count() == 1, "open data: first rows shown"
    shoot(page, "landing")
    page.goto(server.base + "/signin")
    shoot(page, "signin")

    # The researcher uploads an instrument file and an .eln archive and watches the job.
    sign_in(page, server, users["researcher"])
    page.goto(server.base + "/new")
    shoot(page, "new")
    page.fill("#name", name)
    page.fill("#title", "XPS of silver and an ELN record")
    page.select_option("#group", label=f"Surface Lab {tag}")
    page.set_input_files("#files", [str(instrument), str(eln), str(garbage)])
    page.click("form[action='/new'] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/edit/{name}/jobs/.*"))
    shoot_job = page.url
    page.wait_for_selector("a[href='/edit/" + name + "']", timeout=120_000)
    page.goto(shoot_job)
    assert page.locator("#job-state").inner_text() == "partially failed", page.content()
    errors = page.locator("#file-errors").inner_text()
    assert "garbage.csv" in errors and instrument.name not in errors, errors
    shoot(page, "job")

    # Metadata: a wrong ORCID is shown beside the creators, then fixed; submit for review.
    page.goto(f"{server.base}/edit/{name}")
    assert page.locator("#missing").count() == 1, "the profile's missing fields are listed"
    page.fill("#title_en", "XPS of silver and an ELN record")
    page.fill("#title_ja", "銀の XPS と電子実験ノート")
    page.fill("#description_en", "Ag 3d spectra measured with a Scienta analyser, and the lab notebook record of the run.")
    page.fill("#creators", "Sato, Hanako | 0000-0002-1825-0098 | Portal University")
    page.fill("#keywords", "XPS, silver, 光電子分光")
    page.fill("#license", "CC-BY-4.0")
    page.click(f"form[action='/edit/{name}'] button[type=submit]")
    assert page.locator("#err-creators").count() == 1, page.content()
    assert "orcid-checksum" in page.locator("#err-creators").inner_text()
    assert page.locator("#creators").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(SHOTS / "edit-errors-en.png"), full_page=True)
    page.fill("#creators", "Sato, Hanako | 0000-0002-1825-0097 | Portal University")
    page.click(f"form[action='/edit/{name}'] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/edit/{name}\?saved"))
    assert page.locator("#missing").count() == 0
    shoot(page, "edit")
    page.click(f"form[action='/edit/{name}/submit'] button")
    page.wait_for_url(re.compile(rf".*/edit/{name}\?submitted"))
    assert page.locator("#draft-state").inner_text() == "in review"
    page.goto(server.base + "/me")
    assert name in page.content()
    shoot(page, "me")
    sign_out(page)

    # The steward starts a consortium coordinated by their lab, adds the partner lab and publishes
    # a second version of the agreement.
    sign_in(page, server, users["steward"])
    page.goto(server.base + "/consortia")
    page.fill("#consortium-name", f"XPS network {tag}")
    page.fill("#consortium-description", "Surface labs sharing XPS reference spectra.")
    page.select_option("#coordinator", label=f"Surface Lab {tag} (Portal University {tag})")
    page.fill("#consortium-terms", "Cite the source; no redistribution.")
    shoot_new = page.url
    page.click("form[action='/consortia'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/consortia/[0-9a-f-]{36}$"))
    consortium = {"id": page.url.rsplit("/", 1)[1]}
    page.select_option("#member", label=f"Group: Partner Lab {tag} (Portal University {tag})")
    page.click(f"form[action='/consortia/{consortium['id']}/members'] button")
    assert f"Partner Lab {tag}" in page.locator("#members").inner_text()
    page.fill("#agreement-terms", "Version 2: cite the source and the node.")
    page.click(f"form[action='/consortia/{consortium['id']}/agreement'] button")
    assert "2 (current)" in page.locator("#agreements").inner_text()
    shoot(page, "consortium-coordinator")
    page.goto(shoot_new)
    shoot(page, "consortia")

    # The steward sets consortium-only access and publishes from the review queue.
    page.goto(server.base + "/steward")
    assert page.locator(".review-item").filter(has_text=name).count() == 1
    shoot(page, "steward")
    page.goto(f"{server.base}/steward/{name}")
    page.check("#level-consortium")
    page.check(f"input[name=consortia][value='{consortium['id']}']")
    page.click(f"form[action='/steward/{name}/policy'] button")
    page.wait_for_url(re.compile(rf".*/steward/{name}\?saved"))
    assert page.locator(f"input[name=consortia][value='{consortium['id']}']").is_checked()
    shoot(page, "steward-dataset")
    page.click(f"form[action='/steward/{name}/publish'] button")
    page.wait_for_url(re.compile(rf".*/datasets/{name}/1$"))
    assert "Consortium members only" in page.locator(".badge").first.inner_text()
    page.goto(f"{server.base}/audit?dataset={name}")
    for action in ["version.submit", "policy.change"]:
        assert action in page.locator("#audit-events").inner_text()
    shoot(page, "audit")
    sign_out(page)

    # A consortium member accepts the current agreement and reads the table's first rows.
    sign_in(page, server, users["member"])
    page.goto(f"{server.base}/datasets/{name}")
    assert page.locator("table.preview").count() == 0, "not before accepting the agreement"
    page.goto(f"{server.base}/consortia/{consortium['id']}")
    shoot(page, "consortium")
    page.click(f"form[action='/consortia/{consortium['id']}/accept'] button")
    assert page.locator(".notice").count() == 1
    page.goto(f"{server.base}/datasets/{name}")
    assert page.locator("table.preview").count() >= 1, page.content()
    assert page.locator("table.preview tbody tr").count() >= 1
    shoot(page, "landing-member")
    sign_out(page)

    # An outsider sees the landing page, not the data, and asks for access.
    sign_in(page, server, users["outsider"])
    page.goto(f"{server.base}/datasets/{name}")
    assert page.locator("h1").inner_text() == "XPS of silver and an ELN record"
    assert page.locator("table.preview").count() == 0
    assert page.locator("a[rel=item]").count() == 0
    shoot(page, "landing-outsider")
    page.fill("#request-reason", "Comparing Ag 3d line shapes for my thesis")
    page.click("#request-access button")
    assert page.locator(".notice").count() == 1
    page.goto(server.base + "/me")
    assert "pending" in page.locator("#requests ~ table").first.inner_text()
    sign_out(page)

    # The steward approves in the inbox, with an expiry, and sees who accepted the agreement.
    sign_in(page, server, users["steward"])
    page.goto(f"{server.base}/consortia/{consortium['id']}")
    assert f"Member {tag}" in page.locator("#accepted-names").inner_text()
    page.goto(server.base + "/steward")
    row = page.locator("#inbox ~ table tr").filter(has_text=name)
    row.locator("input[type=date]").fill("2999-12-31")
    row.locator("button", has_text="Approve").click()
    page.wait_for_url(re.compile(r".*/steward$"))
    sign_out(page)

    # The outsider now downloads the instrument file, byte for byte.
    sign_in(page, server, users["outsider"])
    page.goto(f"{server.base}/datasets/{name}")
    link = page.locator("a[rel=item]").filter(has_text=instrument.name)
    with page.expect_download() as download:
        link.click()
    assert pathlib.Path(download.value.path()).read_bytes() == instrument.read_bytes()

    # API tokens: create (shown once), then revoke.
    page.goto(server.base + "/me")
    page.fill("#token-name", "notebook")
    page.select_option("#token-scope", "read")
    page.click("form[action='/me/tokens'] button")
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("kura_")
    assert requests.get(server.url("/me"), headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    page.screenshot(path=str(SHOTS / "tokens-en.png"), full_page=True)
    page.click("#tokens ~ table button")
    page.wait_for_url(re.compile(r".*/me"))
    assert requests.get(server.url("/me"), headers={"Authorization": f"Bearer {secret}"}).status_code == 401

    # A dataset nobody outside the lab may see is a 404 page, in HTML too.
    response = page.goto(f"{server.base}/datasets/never-there-{tag}")
    assert response.status == 404
    shoot(page, "not-found")
    context.close()


def test_drag_and_drop_and_reading_without_javascript(server, people, browser):
    """Dropping files fills the upload field; with JavaScript off, search and the job page work."""
    users = people["users"]
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    sign_in(page, server, users["researcher"])
    page.goto(server.base + "/new")
    assert page.locator("html").get_attribute("lang") == "ja", "Accept-Language picks Japanese"
    page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['a,b\\n1,2\\n'], 'dropped.csv', {type: 'text/csv'}));
        const zone = document.querySelector('[data-dropzone]');
        zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    assert page.locator("#files").evaluate("e => e.files.length") == 1
    assert "dropped.csv" in page.locator("[data-file-list]").inner_text()
    context.close()

    plain = browser.new_context(java_script_enabled=False, locale="en-US")
    page = plain.new_page()
    page.goto(server.base + "/search?q=methylene")
    assert page.locator(".hit").count() >= 1
    page.goto(server.base + "/datasets/demo-uvvis")
    assert page.locator("table.preview").count() == 1
    plain.close()


def test_a_file_is_read_differently_from_its_page(server, people, browser, tmp_path):
    """The job page links a file whose dialect was ambiguous; its page shows what was read, a
    preview with `;` shows the other reading, and "read again" replaces the table."""
    users, tag = people["users"], people["tag"]
    name = f"notes-{tag}"
    notes = tmp_path / "notes.csv"
    notes.write_text("name;note,extra\nal;b,c\ndo;e,f\ngi;h,i\n")
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, server, users["researcher"])
    page.goto(server.base + "/new")
    page.fill("#name", name)
    page.fill("#title", "Notes read two ways")
    page.select_option("#group", label=f"Surface Lab {tag}")
    page.set_input_files("#files", [str(notes)])
    page.click("form[action='/new'] button[type=submit]")
    page.wait_for_selector("#file-warnings a", timeout=120_000)
    assert "ambiguous dialect" in page.locator("#file-warnings").inner_text()
    page.click("#file-warnings a >> nth=0")
    page.wait_for_url(re.compile(rf".*/edit/{name}/files/[0-9a-f-]{{36}}$"))
    assert "ambiguous dialect" in page.locator("#read-warnings").inner_text()
    assert page.locator("#delimiter").input_value() == ","
    file_page = page.url
    shoot(page, "read-file")
    page.fill("#delimiter", ";")
    preview_and_read_again(page, name, file_page, "b,c", "b,c", ".read-table")
    # Per column: a unit and a type set by hand, previewed, then read into the draft.
    assert page.locator("#read-columns").count() == 1
    page.fill("input[name='unit:name']", "mV")
    page.select_option("select[name='type:note,extra']", "text")
    preview_and_read_again(page, name, file_page, "name [mV]", "mV", ".read-table table >> nth=0")
    context.close()


def preview_and_read_again(page, name, file_page, previewed, read, where):
    """Previews the form's parameters (expecting `previewed`), reads the file again with them,
    waits for the job and finds `read` in `where` on the file's page."""
    page.click("#read-preview")
    assert previewed in page.locator("#read-trial").inner_text(), page.content()
    page.click("#read-again")
    page.wait_for_url(re.compile(rf".*/edit/{name}/jobs/.*"))
    page.wait_for_selector("a[href='/edit/" + name + "']", timeout=120_000)
    page.goto(file_page)
    assert read in page.locator(where).inner_text(), page.content()
