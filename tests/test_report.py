"""Report folder: structure, numbers traceable to summary.json, both languages, Excel, PNG
glyphs."""

import base64
import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crmlens.analyses import REGISTRY
from crmlens.analyses.base import AnalysisResult
from crmlens.cli import main
from crmlens.config import CrmlensConfig
from crmlens.report.document import UNIT_SPEC
from crmlens.report.views import views_of
from crmlens.report.i18n import fmt_value, t
from crmlens.report.writer import write_report
from crmlens.sources import open_source


@pytest.fixture(scope="module")
def result(gen_db):
    import datetime as dt

    return REGISTRY["contact_coverage"].run(
        open_source(gen_db), CrmlensConfig(), as_of=dt.date(2026, 1, 5)
    )


@pytest.fixture(scope="module")
def report_en(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "report-en"
    return write_report({"contact_coverage": result}, out, lang="en", png=True)


def test_folder_layout(report_en):
    for f in [
        "report.html",
        "report.md",
        "summary.json",
        "action_plan.xlsx",
        "results/contact_coverage/result.json",
        "tables/contact_coverage/key_accounts.csv",
        "tables/contact_coverage/key_accounts.parquet",
        "charts/cc_density_decision.png",
        "charts/cc_coverage_heatmap.png",
    ]:
        assert (report_en / f).exists(), f
    assert not [
        p for p in report_en.parent.iterdir() if p.name.startswith(".")
    ]  # no temp leftovers


def test_summary_json_holds_every_metric(report_en, result):
    s = json.loads((report_en / "summary.json").read_text())
    m = s["analyses"]["contact_coverage"]["metrics"]
    assert set(m) == set(result.metrics)
    assert m["key_accounts"]["value"] == result.metric("key_accounts")
    assert (
        s["analyses"]["contact_coverage"]["provenance"]["config_hash"]
        == CrmlensConfig().fingerprint()
    )


def test_markdown_numbers_come_from_summary(report_en):
    s = json.loads((report_en / "summary.json").read_text())["analyses"]["contact_coverage"][
        "metrics"
    ]
    md = (report_en / "report.md").read_text()
    allowed = {fmt_value(v["value"], UNIT_SPEC[v["unit"]], "en") for v in s.values()}
    for name in views_of("contact_coverage").headline:
        label = t(f"metric.contact_coverage.{name}", "en")
        m = re.search(rf"^\| {re.escape(label)} \| (.+) \|$", md, re.M)
        assert m, label
        assert m.group(1) in allowed, (label, m.group(1))
    # every number in the summary's sentences is a formatted metric or finding parameter
    summary = md.split("## Executive summary", 1)[1].split("\n## ", 1)[0]
    plan = json.loads((report_en / "summary.json").read_text())["analyses"]["contact_coverage"]
    for row in plan["plan"]:  # due dates and totals of the plan
        summary = summary.replace(row["due_date"], "")
        allowed |= {fmt_value(row[k], "int", "en") for k in ("entities", "quantity") if row[k]}
    numbers = set(re.findall(r"\$?\d[\d,]*(?:\.\d+)?%?", summary))
    params = set(allowed)
    for f in (
        json.loads((report_en / "summary.json").read_text())["analyses"]["contact_coverage"][
            "findings"
        ]
        + json.loads((report_en / "summary.json").read_text())["analyses"]["contact_coverage"][
            "recommendations"
        ]
    ):
        for v in f["params"].values():
            if isinstance(v, (int, float)):
                params |= {fmt_value(v, spec, "en") for spec in ("int", "pct", "usd", "num")}
    stray = [n for n in numbers if n not in params and n.rstrip("%") not in params]
    assert not stray, stray


def test_html_is_self_contained(report_en):
    html = (report_en / "report.html").read_text()
    assert "<script src=" not in html and "<link " not in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "vegaEmbed" in html
    specs = json.loads(
        re.search(r'<script id="chart-specs" type="application/json">(.*?)</script>', html, re.S)
        .group(1)
        .replace("<\\/", "</")
    )
    assert {
        "cc_risk_distribution",
        "cc_density_decision",
        "cc_density_by_size",
        "cc_coverage_heatmap",
        "cc_high_risk_by_industry",
        "cc_department_gaps",
    } <= set(specs)
    assert 'id="contact_coverage-top_risk"' in html and "sortable" in html
    assert 'nav aria-label="toc"' in html


def test_chinese_report_from_saved_results(report_en, tmp_path):
    out = tmp_path / "zh"
    assert (
        main(["report", "--from", str(report_en), "--out", str(out), "--lang", "zh", "--no-png"])
        == 0
    )
    md = (out / "report.md").read_text()
    assert "## 摘要" in md and "重要客户联系人配置风险" in md and "方法说明" in md
    en = json.loads((report_en / "summary.json").read_text())["analyses"]["contact_coverage"][
        "metrics"
    ]
    zh = json.loads((out / "summary.json").read_text())["analyses"]["contact_coverage"]["metrics"]
    assert en == zh  # re-rendered, not recomputed


def test_chart_spec_golden(result):
    """Structure of the chart specs (marks, encodings, red lines) for a fixed dataset."""
    from crmlens.analyses.contact_coverage.views import contact_coverage_charts

    charts = {c.id: c.spec for c in contact_coverage_charts(result, "en")}
    sc = charts["cc_density_decision"]
    assert [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in sc["layer"]
    ] == ["circle", "rule", "rule"]
    assert sc["layer"][0]["encoding"]["x"]["scale"]["type"] == "symlog"
    assert sc["layer"][0]["encoding"]["y"]["axis"]["format"] == ".0%"
    datasets = sc["datasets"]
    rule_values = [v for d in datasets.values() for v in d if "x" in v or "y" in v]
    assert {"x": 5.0} in rule_values and {"y": 0.15} in rule_values
    hm = charts["cc_coverage_heatmap"]["layer"][0]  # cells; the second layer labels them
    assert hm["mark"]["type"] == "rect" and hm["encoding"]["color"]["scale"]["domain"] == [0, 1]
    for spec in charts.values():
        assert spec["config"]["font"] == "Noto Sans CJK SC" and "$schema" not in spec
    zh = {c.id: c.spec for c in contact_coverage_charts(result, "zh")}
    assert zh["cc_department_gaps"]["title"] == "各部门缺失的重要客户占比"


def test_excel_action_plan(report_en, result):
    import openpyxl

    wb = openpyxl.load_workbook(report_en / "action_plan.xlsx")
    assert wb.sheetnames == ["Plan summary", "Contact coverage", "Rules"]
    ws = wb["Contact coverage"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    headers = [c.value for c in ws[1]]
    assert {
        "Account",
        "Owner role",
        "Action",
        "Due date",
        "Status",
        "What to do",
        "Density",
        "Decision-maker ratio",
        "Departments covered",
        "Missing departments",
    } <= set(headers)
    assert ws.max_row - 1 == len(result.tables["action_plan"])
    notes = [r[1] for r in wb["Rules"].iter_rows(min_row=2, values_only=True)]
    assert any("red line 5.00" in n for n in notes)  # the method notes of the report


def test_no_pii_unless_asked(result, tmp_path):
    import pandas as pd

    r = AnalysisResult(
        "contact_coverage",
        result.metrics,
        {**result.tables, "people": pd.DataFrame({"email": ["a@x.io"], "n": [1]})},
        result.findings,
        result.recommendations,
        result.method,
        result.provenance,
    )
    out = write_report({"contact_coverage": r}, tmp_path / "p", png=False)
    assert "a@x.io" not in (out / "tables/contact_coverage/people.csv").read_text()
    out2 = write_report({"contact_coverage": r}, tmp_path / "p2", png=False, include_pii=True)
    assert "a@x.io" in (out2 / "tables/contact_coverage/people.csv").read_text()


def test_png_has_real_cjk_glyphs():
    """In a fresh process: no font → blank; with the bundled font, two different Chinese strings of
    the same length render differently (tofu boxes would be identical) and leave ink — without
    matplotlib or mplfonts (the font is a dependency of its own)."""
    code = textwrap.dedent("""
        import sys
        sys.modules["matplotlib"] = sys.modules["mplfonts"] = None  # importing them fails
        import io, json, numpy as np, vl_convert as vlc
        from PIL import Image
        def ink(text):
            spec = {
                "data": {"values": [{"t": text}]},
                "mark": {"type": "text", "font": "Noto Sans CJK SC", "fontSize": 40},
                "encoding": {"text": {"field": "t"}},
                "width": 400, "height": 80, "background": "white",
            }
            return np.asarray(Image.open(io.BytesIO(vlc.vegalite_to_png(spec))).convert("L"))
        before = int((ink("联系人密度风险") < 128).sum())
        from crmlens.report.fonts import register_cjk_font
        assert register_cjk_font()
        a, b = ink("联系人密度风险"), ink("部门覆盖完整性")
        print(json.dumps({
            "before": before, "a": int((a < 128).sum()), "b": int((b < 128).sum()),
            "same": bool((a == b).all()),
        }))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["a"] > 1000 and res["b"] > 1000
    assert not res["same"]
    assert res["before"] < res["a"] / 10


def test_font_subset_is_computed_once_per_character_set(monkeypatch):
    """Subsetting the CJK font takes seconds: reports with the same Chinese characters reuse it."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from crmlens.report import fonts

    if fonts.cjk_font_path() is None:
        pytest.skip("the CJK font package is not installed")
    calls = []
    real = subset.Subsetter.subset

    def counted(self, font):
        calls.append(font)
        return real(self, font)

    monkeypatch.setattr(subset.Subsetter, "subset", counted)
    first = fonts.subset_font_css("财务 会计 report")
    assert "@font-face" in first
    assert fonts.subset_font_css("会计 财务, another report") == first
    assert fonts.subset_font_css("部门") != first
    assert len(calls) <= 2  # once per character set (at most: an earlier test may have filled it)
    face = TTFont(io.BytesIO(base64.b64decode(first.split("base64,")[1].split(")")[0])))
    assert face["name"].getDebugName(1) == fonts.CJK_FAMILY  # the SC face of the collection
    assert face.getBestCmap()[ord("财")]


def test_runtime_dependencies_are_lean():
    """No plotting library is installed for one font file."""
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8"))
    names = {re.split(r"[<>=\[ ;]", d)[0].lower() for d in project["project"]["dependencies"]}
    assert not names & {"mplfonts", "matplotlib"}
    assert "noto-cjk-sans-otc" in names


def test_demo_command(tmp_path, capsys):
    assert main(["demo", "--accounts", "1500", "--dir", str(tmp_path / "demo"), "--no-png"]) == 0
    assert (tmp_path / "demo" / "demo.duckdb").exists()
    assert (tmp_path / "demo" / "report-en" / "report.html").exists()
    assert "report.html" in capsys.readouterr().out
    assert main(["analyses"]) == 0
    assert "contact_coverage" in capsys.readouterr().out


def test_every_number_in_the_report_is_traceable(result, tmp_path, gen_db):
    """Every number printed in report.md is a formatted value from summary.json (metrics, finding
    and recommendation parameters, method/config) or from a result table cell — nothing typed
    in.  (test_report_document.py checks the report of every analysis the same way.)"""
    from helpers import untraceable_numbers

    results = {
        "contact_coverage": result,
        "investment_mismatch": REGISTRY["investment_mismatch"].run(
            open_source(gen_db), CrmlensConfig()
        ),
    }
    out = write_report(results, tmp_path / "r", png=False)
    stray = untraceable_numbers(results, out)
    assert not stray, stray[:20]


def test_excel_keeps_crm_text_as_text(result, tmp_path):
    """An account name that looks like a formula or a link is written as plain text."""
    import openpyxl

    plan = result.tables["action_plan"].head(3).copy()
    plan["account_name"] = [
        '=HYPERLINK("http://evil.example","x")',
        "http://crm.example/acc",
        "+1+2",
    ]
    r = AnalysisResult(
        "contact_coverage",
        result.metrics,
        {**result.tables, "action_plan": plan},
        result.findings,
        result.recommendations,
        result.method,
        result.provenance,
    )
    out = write_report({"contact_coverage": r}, tmp_path / "x", png=False)
    ws = openpyxl.load_workbook(out / "action_plan.xlsx")["Contact coverage"]
    col = [c.value for c in ws[1]].index("Account") + 1
    cells = [ws.cell(row=i, column=col) for i in (2, 3, 4)]
    assert [c.value for c in cells] == list(plan["account_name"])
    assert all(c.data_type == "s" and c.hyperlink is None for c in cells)


def _styled_cells(path):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return {
        ws.title: (
            ws.dimensions,
            [
                [
                    (c.value, c.data_type, c.number_format, c.alignment.vertical, c.font.b)
                    for c in row
                ]
                for row in ws.iter_rows()
            ],
        )
        for ws in wb.worksheets
    }


def test_long_sheets_are_written_as_xml_and_read_the_same(result, tmp_path, monkeypatch):
    """Sheets of XML_ROWS_FROM rows or more get their rows as XML by column (xlsx_rows), not
    through xlsxwriter's write_row; the workbook reads the same, cell by cell and format by
    format, as when xlsxwriter writes every row."""
    from xlsxwriter.worksheet import Worksheet

    from crmlens.report import excel

    rows_written = []
    original = Worksheet.write_row
    monkeypatch.setattr(
        Worksheet, "write_row", lambda ws, r, *a: rows_written.append(r) or original(ws, r, *a)
    )
    monkeypatch.setattr(excel, "XML_ROWS_FROM", 10)
    fast = tmp_path / "fast.xlsx"
    excel.write_action_plan({"contact_coverage": result}, fast, "en")
    plan_rows = len(result.tables["action_plan"])
    assert max(rows_written) < 100 <= plan_rows  # headers, plan summary, rules only
    monkeypatch.setattr(excel, "XML_ROWS_FROM", 10**9)
    slow = tmp_path / "slow.xlsx"
    excel.write_action_plan({"contact_coverage": result}, slow, "en")
    assert max(rows_written) >= plan_rows
    assert _styled_cells(fast) == _styled_cells(slow)


def test_xml_rows_write_every_kind_of_value_as_xlsxwriter_does(tmp_path, monkeypatch):
    """Text that needs escaping (markup, control characters, Excel's own _xHHHH_ escapes, edge
    spaces), empty text, missing values, integers, floats, dates: the same cells both ways; a
    column with a boolean or NaN is left to xlsxwriter."""
    import datetime as dt

    import pandas as pd
    import xlsxwriter

    from crmlens.report import excel
    from crmlens.report.xlsx_rows import sheet_body

    texts = ["a & b <c>", " lead", "trail ", "bell\x07", "_x0041_ literal", "", None, "中文"]
    frame = pd.DataFrame(
        {
            "text": texts * 2,
            "int": [1, -2, 3_000_000_000, None, 0, 7, 8, 9] * 2,
            "float": [0.1, 1e20, -3.5, None, 2 / 3, 1e-7, 12.0, 5.5] * 2,
            "date": [dt.datetime(2026, 1, 5), None] * 8,
        }
    ).astype(object)
    frame = frame.where(frame.notna(), None)
    formats = ["", "#,##0", "0.0%", "yyyy-mm-dd"]

    def write(path, rows_from):
        monkeypatch.setattr(excel, "XML_ROWS_FROM", rows_from)
        packed = tmp_path / f"{path}.xlsx"
        wb = xlsxwriter.Workbook(
            str(packed), {"constant_memory": True, "default_date_format": "yyyy-mm-dd"}
        )
        sheets = excel._Sheets(wb, "en")
        sheets.table("t", frame, formats)
        wb.close()
        if sheets.bodies:
            import io

            from crmlens.report.xlsx_rows import pack

            pack(io.BytesIO(packed.read_bytes()), packed, sheets.bodies)
        return _styled_cells(packed), sheets.bodies

    (fast, bodies), (slow, none) = write("fast", 1), write("slow", 10**9)
    assert bodies and not none
    assert fast == slow
    for odd in (True, float("nan")):
        assert sheet_body(frame.assign(odd=odd), [None] * 5, None) is None


def _chart_boxes(html: str) -> list[dict]:
    """Each chart box of the page: its id, its static images (src, alt) and its caption."""
    from html.parser import HTMLParser

    class Boxes(HTMLParser):
        def __init__(self):
            super().__init__()
            self.boxes, self.box, self.caption = [], None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "div" and "chart" in (a.get("class") or "").split():
                self.box = {"id": a["id"], "images": [], "caption": ""}
                self.boxes.append(self.box)
            elif tag == "img" and self.box is not None:
                self.box["images"].append(a)
            elif tag == "figcaption" and self.boxes:
                self.caption = self.boxes[-1]

        def handle_endtag(self, tag):
            if tag == "figure":
                self.box = None
            if tag == "figcaption":
                self.caption = None

        def handle_data(self, data):
            if self.caption is not None:
                self.caption["caption"] += data

    parser = Boxes()
    parser.feed(html)
    return parser.boxes


def test_html_without_javascript_shows_every_chart_as_an_image(report_en):
    """A mail client runs no script: with every <script> removed, each chart box still holds an
    image of its chart — the very PNG of charts/, inline (the file alone can be attached) — with
    the chart's caption as alt text."""
    html = (report_en / "report.html").read_text(encoding="utf-8")
    no_js = re.sub(r"<script\b.*?</script>", "", html, flags=re.S | re.I)
    assert "<script" not in no_js.lower()
    boxes = _chart_boxes(no_js)
    assert len(boxes) >= 6
    for box in boxes:
        assert len(box["images"]) == 1, box["id"]
        img = box["images"][0]
        assert img["alt"].strip() and img["alt"] == box["caption"].strip(), box["id"]
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix), box["id"]
        png = base64.b64decode(img["src"][len(prefix) :])
        chart_id = box["id"].removeprefix("chart-")
        assert png == (report_en / "charts" / f"{chart_id}.png").read_bytes()
        assert int(img["width"]) * 2 == int.from_bytes(png[16:20], "big")  # drawn at scale 2


def test_inline_images_stop_at_the_budget():
    """Past the byte budget the remaining charts get no inline image (the file stays small
    enough to mail); the ones before it keep theirs."""
    from crmlens.report.html import inline_images

    png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + (640).to_bytes(4, "big") + b"\0" * 100
    images = inline_images({"a": png, "b": png, "c": png}, budget=2 * len(png))
    assert list(images) == ["a", "b"]
    assert images["a"]["width"] == 320
    assert base64.b64decode(images["a"]["src"].split(",", 1)[1]) == png


def test_html_without_pngs_has_no_static_images(result, tmp_path):
    out = write_report({"contact_coverage": result}, tmp_path / "nopng", png=False)
    boxes = _chart_boxes((out / "report.html").read_text(encoding="utf-8"))
    assert boxes and all(not box["images"] for box in boxes)
