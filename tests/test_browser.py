"""report.html in a real browser (Playwright driving Debian's chromium): opens from disk, no
console errors, no network requests, every chart renders, tables sort.  Screenshots of both
languages are written to test-artifacts/."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.report.writer import write_report
from crmlens.sources import open_source

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_in_browser(browser, reports, lang):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto((reports[lang] / "report.html").as_uri())
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

    page.fill("input[data-table='contact_coverage-by_industry']", "")
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{lang}.png"), full_page=False)
    assert not errors, errors
    assert all(u.startswith(("file://", "data:", "blob:", "about:")) for u in requests), [
        u for u in requests if not u.startswith("file")
    ]
    page.close()
