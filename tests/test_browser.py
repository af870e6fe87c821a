"""report.html in a real browser (Playwright driving Debian's chromium, never a downloaded one) at
desktop (1280 px) and phone (390 px) width, in both languages: opens from disk, no console
errors, no network requests, no horizontal overflow, every chart drawn inside its box, tables
sort.  Screenshots of both languages and widths are written to ci-artifacts/ (kept by CI)."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.report.writer import write_report
from crmlens.sources import open_source

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[1] / "ci-artifacts"
WIDTHS = (1280, 390)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def reports(gen_db, tmp_path_factory):
    results = {
        name: a.run(open_source(gen_db), CrmlensConfig(), as_of=dt.date(2026, 1, 5))
        for name, a in REGISTRY.items()
    }
    base = tmp_path_factory.mktemp("browser")
    return {lang: write_report(results, base / lang, lang=lang, png=False) for lang in ("en", "zh")}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    return page, errors, requests


# every chart's drawing (svg) inside its box, every box inside the page: nothing clipped
CHARTS_OUTSIDE = """() => Array.from(document.querySelectorAll('div.chart')).filter(el => {
  const box = el.getBoundingClientRect(), svg = el.querySelector('svg');
  const drawn = svg ? svg.getBoundingClientRect() : box;
  return drawn.right > box.right + 1 || drawn.left < box.left - 1
      || box.right > document.documentElement.clientWidth + 1;
}).map(el => el.id)"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_fits_the_screen(browser, reports, lang, width):
    page, errors, requests = _open(browser, reports[lang] / "report.html", width)
    n = page.locator("div.chart").count()
    page.wait_for_function(
        f"document.querySelectorAll('div.chart svg').length >= {n}", timeout=30_000
    )
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than a {width}px screen"
    assert page.evaluate(CHARTS_OUTSIDE) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{lang}-{width}.png"), full_page=False)
    page.locator("div.chart").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"report-{lang}-{width}-chart.png"), full_page=False)
    assert not errors, errors
    assert all(u.startswith(("file://", "data:", "blob:", "about:")) for u in requests), requests
    page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_in_browser(browser, reports, lang):
    page, errors, requests = _open(browser, reports[lang] / "report.html", 1280)
    charts = page.locator("div.chart")
    n = charts.count()
    assert (
        n >= 10
    )  # up to six per analysis; the RR heatmap needs groups of ≥ 20 top-priority customers
    page.wait_for_function(
        f"document.querySelectorAll('div.chart svg').length >= {n}", timeout=30_000
    )
    for i in range(n):
        assert charts.nth(i).locator("svg").count() >= 1
        assert (
            charts.nth(i)
            .locator("svg .mark-symbol, svg .mark-rect, svg .mark-rule, svg path")
            .count()
            > 0
        )

    table = page.locator("table#contact_coverage-by_industry")
    header = table.locator("th").nth(1)  # key accounts
    header.click()
    asc = [
        float(v)
        for v in table.locator("tbody tr td:nth-child(2)").evaluate_all(
            "els => els.map(e => e.getAttribute('data-sort'))"
        )
    ]
    assert asc == sorted(asc)
    header.click()
    desc = [
        float(v)
        for v in table.locator("tbody tr td:nth-child(2)").evaluate_all(
            "els => els.map(e => e.getAttribute('data-sort'))"
        )
    ]
    assert desc == sorted(desc, reverse=True)

    page.fill("input[data-table='contact_coverage-by_industry']", "zzzz-no-such-row")
    assert table.locator("tbody tr:visible").count() == 0
    assert not errors, errors
    assert all(u.startswith(("file://", "data:", "blob:", "about:")) for u in requests), [
        u for u in requests if not u.startswith("file")
    ]
    page.close()


@pytest.fixture(scope="module")
def report_with_images(gen_db, tmp_path_factory):
    """A report with PNGs: its chart boxes start with the static images (for mail clients)."""
    result = REGISTRY["contact_coverage"].run(
        open_source(gen_db), CrmlensConfig(), as_of=dt.date(2026, 1, 5)
    )
    out = tmp_path_factory.mktemp("browser-images") / "en"
    return write_report({"contact_coverage": result}, out, lang="en", png=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_script_replaces_the_static_images(browser, report_with_images, width):
    page, errors, requests = _open(browser, report_with_images / "report.html", width)
    n = page.locator("div.chart").count()
    assert n >= 6
    page.wait_for_function(
        f"document.querySelectorAll('div.chart svg').length >= {n}", timeout=30_000
    )
    assert page.locator("div.chart img").count() == 0  # each image gave way to its chart
    assert page.evaluate(CHARTS_OUTSIDE) == []
    assert not errors, errors
    assert all(u.startswith(("file://", "data:", "blob:", "about:")) for u in requests), requests
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_without_javascript_every_chart_is_an_image(browser, report_with_images, width):
    """As a mail client shows it (no script runs): every chart box shows its image, loaded,
    with alt text, inside the page at desktop and phone width."""
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((report_with_images / "report.html").as_uri())
    boxes = page.locator("div.chart")
    assert boxes.count() >= 6
    for i in range(boxes.count()):
        img = boxes.nth(i).locator("img")
        assert img.count() == 1
        assert img.get_attribute("alt")
        assert img.evaluate("el => el.complete && el.naturalWidth > 0")
        box, drawn = boxes.nth(i).bounding_box(), img.bounding_box()
        assert drawn["width"] > 100 and drawn["x"] + drawn["width"] <= box["x"] + box["width"] + 1
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert all(u.startswith(("file://", "data:", "about:")) for u in requests), requests
    ARTIFACTS.mkdir(exist_ok=True)
    boxes.first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"report-en-{width}-no-js.png"), full_page=False)
    context.close()
