"""A real browser (Debian's headless Chromium, driven by Playwright) reads a served city
page: sees the radar chart and the scores, follows a link to an indicator page, and a
screenshot is taken."""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

from tests.publishing import published_site, request, shared_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except playwright_api.Error as exc:
            pytest.skip(f"chromium cannot start here: {exc}")
        yield chromium
        chromium.close()


def soft_index(server_url: str, base: str) -> tuple[float, int]:
    """Paris's cultural soft power index and rank, asked of the SPARQL endpoint."""
    query = f"""PREFIX csp: <{base}ontology/>
    SELECT ?score ?rank WHERE {{
      ?s csp:city <{base}city/Q90> ; csp:frameworkNode ?node ; csp:scoreValue ?score ;
         csp:rankValue ?rank .
      ?node csp:standsFor csp:softPowerIndex .
    }}"""
    status, _, body = request(f"{server_url}/sparql?{urllib.parse.urlencode({'query': query})}")
    assert status == 200
    row = json.loads(body)["results"]["bindings"][0]
    return float(row["score"]["value"]), int(row["rank"]["value"])


def test_city_page_in_a_browser(browser, tmp_path: Path) -> None:
    server = shared_server()
    site = published_site()
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    blocked: list[str] = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        server.url) else (blocked.append(route.request.url), route.abort()))
    response = page.goto(f"{server.url}/city/Q90")
    assert response is not None and response.ok
    assert page.url.endswith("/city/Q90.html")  # after the 303
    assert page.locator("h1").inner_text() == "Paris"
    radar = page.locator("svg.radar").first
    assert radar.is_visible()
    box = radar.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    assert page.locator("svg.radar polygon.scores").count() == 1
    score, rank = soft_index(server.url, site.base)
    soft_row = page.locator("table.scores tr", has_text="SOFT").first
    cells = soft_row.locator("td").all_inner_texts()
    assert f"{score:.2f}" in cells and str(rank) in cells
    assert page.get_by_text("Soft and hard power").is_visible()
    # CQ7 and CQ6 on the page: the national share as a percentage, the comparable cities
    share = page.locator("p.share").first
    assert share.is_visible()
    assert re.fullmatch(r"\d+\.\d % of the cultural soft power of the assessed cities of "
                        r"\S+(; it leads its nation)?\.", share.inner_text()), share.inner_text()
    peers = page.locator("table.peers tbody tr")
    assert peers.count() == 5  # one row per element
    lessons = page.locator("table.peers td:nth-child(3) a")
    assert lessons.count() > 0  # Paris draws lessons from some comparable city
    assert all(re.fullmatch(r"Q\d+\.html", h or "") for h in
               [lessons.nth(i).get_attribute("href") for i in range(lessons.count())])
    # the soft-versus-hard chart: every assessed city a point, Paris highlighted
    quadrant = page.locator("svg.quadrant").first
    assert quadrant.is_visible()
    assert quadrant.locator("circle.highlighted").count() == 1
    assert (quadrant.locator("circle.highlighted title").text_content() or "").startswith(
        "Paris: soft ")
    assert quadrant.locator("circle.city").count() > 10
    shot = tmp_path / "city.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    link = page.locator("table.provenance a[href*='indicator/']").first
    label = link.inner_text()
    href = link.get_attribute("href")
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith(href.removeprefix("..")) and page.url.endswith(".html")
    notation = href.rsplit("/", 1)[-1].removesuffix(".html")
    assert page.locator("h1").inner_text() == f"{notation}: {label}"
    assert page.locator("table.values tr").count() > 10
    page.screenshot(path=str(tmp_path / "indicator.png"))
    assert (tmp_path / "indicator.png").stat().st_size > 10_000
    assert not blocked, f"the page asked for something off the server: {blocked}"
    page.close()
