"""The report as a reader meets it (issue 13): answer first, every chart captioned from the result
and referenced from the text, body tables of at most BODY_ROWS rows, a zh report without English
prose, one plan total everywhere (Markdown, HTML, Excel, JSON) and a workbook owners can work
from (date cells, number formats, unique headers, no codes)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from crmlens.analyses import REGISTRY, AnalysisResult, Metric
from crmlens.config import CrmlensConfig
from crmlens.report.blocks import BODY_ROWS, Para, TableBlock
from crmlens.report.document import build_document
from crmlens.report.i18n import catalog, fmt_value, t, tr_value
from crmlens.report.views import views_of
from crmlens.report.writer import write_report
from crmlens.sources import open_source

AS_OF = dt.date(2026, 1, 5)
# every unit is told answer-first with a computed caption per chart
STORIED = tuple(REGISTRY)


@pytest.fixture(scope="module")
def results(gen_db):
    data = open_source(gen_db)
    return {name: REGISTRY[name].run(data, CrmlensConfig(), as_of=AS_OF) for name in REGISTRY}


@pytest.fixture(scope="module")
def reports(results, tmp_path_factory):
    base = tmp_path_factory.mktemp("doc")
    return {lang: write_report(results, base / lang, lang=lang, png=False) for lang in ("en", "zh")}


# ---- charts: captioned and referenced ---------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_has_a_computed_caption_and_is_referenced(results, reports, lang):
    from crmlens.report.escape import markdown_text

    doc = build_document(results, lang)
    charts = doc.charts()
    assert len(charts) >= 8
    paras = [b.text for s in doc.sections for b in s.blocks if isinstance(b, Para)]
    refs = set()
    for text in paras:
        for group in re.findall(r"(?:see Figures?|见图) ([\d, 、and]+)", text):
            refs |= {int(n) for n in re.findall(r"\d+", group)}
    assert [c.number for c in charts] == list(range(1, len(charts) + 1))
    captioned = {cid for name in STORIED for cid in views_of(name).captions}
    assert {block.chart.id for block in charts} <= captioned  # no chart without its takeaway
    for block in charts:
        label = t("report.figure_caption", lang, n=block.number, text="")
        assert block.caption.startswith(label), block.caption
        takeaway = block.caption[len(label) :]
        assert takeaway and takeaway != block.chart.title  # a finding, not the chart's title
        assert re.search(r"\d", takeaway), takeaway  # computed from the result
        assert block.number in refs, (block.number, block.chart.id)
    md = (reports[lang] / "report.md").read_text()
    html = (reports[lang] / "report.html").read_text()
    for block in charts:
        assert f"_{markdown_text(block.caption)}_" in md
        assert f'id="figure-{block.number}"' in html


def test_every_declared_chart_has_a_caption(results):
    """A unit's charts and its captions are declared together: no chart without a takeaway."""
    from crmlens.report.charts import charts_for

    for name in STORIED:
        assert views_of(name).story is not None, name  # answer first, not the generic fallback
        ids = {c.id for c in charts_for(results[name], "en")}
        assert ids and ids <= set(views_of(name).captions), name


def _by_industry(rows):
    cols = ["industry_normalized", "key_accounts", "high", "high_share"]
    return pd.DataFrame(rows, columns=cols)


def test_industry_caption_names_the_highest_share_and_the_largest_count():
    """Hand-made breakdown: Energy has the highest share among groups of at least the peer
    minimum (Pharma's 100% is 3 accounts, under the minimum); Technology has the most at risk."""
    from crmlens.analyses.contact_coverage import story

    table = _by_industry(
        [
            ("Energy", 25, 16, 16 / 25),
            ("Technology", 60, 21, 21 / 60),
            ("Pharmaceuticals", 3, 3, 1.0),
            ("Retail", 12, 0, 0.0),
        ]
    )
    r = AnalysisResult(
        "contact_coverage", {}, {"by_industry": table}, method={"peer_min_group_size": 10}
    )
    line = story.CAPTIONS["cc_high_risk_by_industry"].text(r)
    assert line.key == "cc.cap.high_risk_by_industry"
    assert (line.params["top_share"], line.params["top_count"]) == ("Energy", "Technology")
    text = t(line.key, "en", **line.params)
    assert text == (
        "Energy has the highest high-risk share, 64.0%, though Technology has the most accounts"
        " at risk (21)."
    )


# ---- tables in their place --------------------------------------------------------------------


def test_no_body_table_over_the_row_limit_long_ones_in_the_appendix(results, reports):
    doc = build_document(results, "en")
    body = [s for s in doc.sections if s.id != "appendix"]
    appendix = next(s for s in doc.sections if s.id == "appendix")
    for section in body:
        for block in section.blocks:
            if isinstance(block, TableBlock):
                assert len(block.rows) <= BODY_ROWS, block.id
    long = [
        b for s in body for b in s.blocks if isinstance(b, TableBlock) and b.total_rows > BODY_ROWS
    ]
    assert long  # the fixture has long tables (e.g. the peer groups)
    full = {b.id for b in appendix.blocks}
    for block in long:
        assert block.note and block.link.endswith(".csv")
        assert f"{block.id}-full" in full or "every row" in block.note
    md = (reports["en"] / "report.md").read_text().split("## Appendix", 1)[0]
    runs = re.findall(r"(?:^\|.*\|\n)+", md, re.M)
    assert max(len(run.splitlines()) for run in runs) <= BODY_ROWS + 2  # header and rule


# ---- answer first, summary in business words --------------------------------------------------


def test_each_analysis_opens_with_answer_why_what_to_do_evidence(results):
    doc = build_document(results, "en")
    ids = [s.id for s in doc.sections]
    for name in results:
        start = ids.index(name)
        assert ids[start + 1 : start + 4] == [f"{name}-why", f"{name}-actions", f"{name}-evidence"]
        answer = doc.sections[start].blocks[0]
        assert isinstance(answer, Para) and re.search(r"\d", answer.text)


def test_executive_summary_is_short_in_business_words_weak_evidence_labelled(results):
    doc = build_document(results, "en")
    summary = next(s for s in doc.sections if s.id == "summary")
    items = [i for b in summary.blocks for i in b.items]
    assert 3 <= len(items) <= 7
    text = " ".join(items)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)  # no column names
    assert "CV R²" not in text and "corr(" not in text
    weak = [i for i in items if "R²" in i]
    assert all("Weak evidence" in i for i in weak)
    assert "Weak evidence" not in items[0]


# ---- the zh report has no English prose -------------------------------------------------------

ALLOWED_WORDS = {
    "crmlens", "ROI", "CLV", "CAC", "VP", "IT", "HR", "CRM", "CEO", "CFO", "COO", "CIO", "CTO",
    "ANOVA", "RR", "ID", "max", "min", "P", "xlsx", "csv", "md", "KPI", "AUC", "ARI", "Brier",
    "Hanley", "McNeil", "Pearson", "Newcombe", "RFM", "Python",
    "scikit-learn", "k-means", "isotonic", "sigmoid", "ceil", "ln", "engagement",
    # business and statistics names a Chinese analyst writes as they are
    "GRR", "NRR", "HHI", "LTV", "NPS", "Gini", "Lorenz", "Cohen's", "T12", "P12",
    "Cram", "r's",  # Cramér's V (the word pattern splits at the é)
}  # fmt: skip


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z'-]+", text))


def crm_names(results) -> set[str]:
    """Names from the customer's CRM that sentences quote as they are (deal stages and types,
    campaign channels, competitors): text values of the result tables that the zh catalog does not
    translate — a value it translates must appear translated."""
    from crmlens.report.i18n import catalog

    zh = catalog("zh")
    words: set[str] = set()
    for name, r in results.items():
        for df in r.tables.values():
            for col in df.columns:
                if df[col].dtype == object or str(df[col].dtype) in ("str", "string", "category"):
                    for v in df[col].dropna().astype(str).unique()[:200]:
                        if f"value.{v}" not in zh and f"value.{name}.{v}" not in zh:
                            words |= english_words(v)
    return words


def test_zh_report_has_no_english_prose(results, reports):
    """Outside table cells, the zh report holds no English words but names and codes: acronyms,
    canonical table names, file names, quoted rules; table cells may hold data values."""
    from crmlens.schema.contracts import CONTRACTS

    md = (reports["zh"] / "report.md").read_text()
    md = re.sub(r"`[^`]*`", "", md)  # quoted regular expressions and config keys
    md = re.sub(r"\[[^\]]*\]\([^)]*\)", "", md)  # links to the CSV files
    md = re.sub(r"&\w+;", " ", md)  # escaped characters
    md = re.sub(r"\b[\w.]*(?:__|\.)[\w.]+\b", "", md)  # table, file and table.column names
    data = set()
    for r in results.values():
        for df in r.tables.values():
            for col in df.columns:
                if df[col].dtype == object or str(df[col].dtype) in ("str", "string", "category"):
                    for v in df[col].dropna().astype(str).unique()[:5000]:
                        data |= english_words(v)
    names = {w for c in CONTRACTS for w in english_words(c)}
    prose, cells = [], []
    for line in md.splitlines():
        (cells if line.startswith("|") else prose).append(line)
    stray = english_words("\n".join(prose)) - ALLOWED_WORDS - names - crm_names(results)
    assert not stray, sorted(stray)[:30]
    headers = [line for i, line in enumerate(cells) if i + 1 < len(cells) and "---" in cells[i + 1]]
    stray_cells = english_words("\n".join(cells)) - ALLOWED_WORDS - data - names
    assert not stray_cells, sorted(stray_cells)[:30]
    assert not english_words("\n".join(headers)) - ALLOWED_WORDS


# ---- one plan, one set of totals --------------------------------------------------------------


def _plan_rows_md(md: str, analysis_title: str, lang: str) -> list[list[str]]:
    part = md.split(f"## {analysis_title}", 1)[1]
    title = t("report.plan_title", lang)
    table = part.split(f"**{title}**", 1)[1].split("\n\n", 2)[1]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def test_plan_totals_agree_in_markdown_html_excel_and_json(results, reports):
    import openpyxl

    out = reports["en"]
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    summary = json.loads((out / "summary.json").read_text())
    wb = openpyxl.load_workbook(out / "action_plan.xlsx")
    sheet = list(wb[t("sheet.plan", "en")].iter_rows(min_row=2, values_only=True))
    for name, r in results.items():
        plan = summary["analyses"][name].get("plan", [])
        table = r.tables.get("plan_summary")  # an analysis without actions has no plan
        assert len(plan) == (0 if table is None else len(table)), name
        if not plan:  # nothing to do this run (e.g. no campaign past break-even)
            continue
        title = t(f"analysis.{name}.title", "en")
        md_rows = _plan_rows_md(md, title, "en")
        xl_rows = [row for row in sheet if row[0] == title]
        assert len(md_rows) == len(xl_rows) == len(plan)
        html_table = re.search(rf'<table id="{name}-plan".*?</table>', html, re.S).group(0)
        html_cells = re.findall(r"<td[^>]*>(.*?)</td>", html_table)
        for p, m, x in zip(plan, md_rows, xl_rows):
            label = tr_value(p["action"], "en")
            qty = fmt_value(p["quantity"], "int", "en")
            assert m[2] == label and m[4] == fmt_value(p["entities"], "int", "en")
            assert m[5:] == ([qty] if any(x["quantity"] is not None for x in plan) else [])
            assert x[3] == label and x[5] == p["entities"] and x[6] == p["quantity"]
            assert x[2] == dt.datetime.fromisoformat(p["due_date"])
            assert label in html_cells and (p["quantity"] is None or qty in html_cells)
        # the analysis sheet adds up to the same totals, action by action
        rows = list(wb[t(f"sheet.{name}", "en")].iter_rows(values_only=True))
        head = rows[0]
        a = head.index(t("col.action", "en"))
        q = head.index(t("col.quantity", "en")) if t("col.quantity", "en") in head else None
        for p in plan:
            label = tr_value(p["action"], "en")
            mine = [row for row in rows[1:] if row[a] == label]
            assert len(mine) == p["entities"]
            if q is not None and p["quantity"] is not None:
                assert sum(row[q] or 0 for row in mine) == p["quantity"]


def test_recommended_quantities_are_the_plan_quantities(results):
    """The md once said "3,040 executives to add" while the workbook summed to 4,174: the
    recommendation now quotes the plan (one number, one place)."""
    r = results["contact_coverage"]
    plan = r.tables["action_plan"]
    recs = {x.code: x.params for x in r.recommendations}
    execs = plan[plan["action"] == "action.add_executives"]
    assert recs["rec.add_executives"]["contacts"] == int(execs["quantity"].sum())
    assert recs["rec.add_executives"]["accounts"] == execs["account_id"].nunique()
    others = plan[plan["action"] == "action.add_contacts"]
    assert recs["rec.add_contacts"]["contacts"] == int(others["quantity"].sum())
    key = r.tables["key_accounts"]
    assert r.metric("plan_new_contacts") == int(key["contacts_to_add"].sum())
    by_size = r.tables["by_size"]
    assert int(by_size["executives_to_add"].sum()) == r.metric("plan_new_executives")


# ---- the workbook ----------------------------------------------------------------------------

CODE = re.compile(r"\b(?:reason|action|value|rec|dq|cc|mm|col|report)\.[a-z_]+|\b[a-z]+_[a-z_]+\b")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_workbook_owners_can_work_from(reports, lang):
    import openpyxl

    wb = openpyxl.load_workbook(reports[lang] / "action_plan.xlsx")
    untranslated = {
        k.removeprefix("value.") for k, v in catalog(lang).items() if k.startswith("value.")
    } - {v for k, v in catalog(lang).items() if k.startswith("value.")}
    for ws in wb:
        if ws.sheet_state != "visible":  # the review sheets' snapshot, read back by the import
            continue
        rows = list(ws.iter_rows())
        headers = [c.value for c in rows[0]]
        assert len(headers) == len(set(headers)), (ws.title, headers)
        field = t("col.review.field", lang)  # review sheets: the field key the import reads back
        for row in rows[1:]:
            for c, header in zip(row, headers):
                if isinstance(c.value, str) and header != field:
                    assert not CODE.search(c.value) or ws.title == t("sheet.rules", lang), c.value
                    assert c.value not in untranslated or lang == "en", (ws.title, c.value)
    sheet = wb[t("sheet.contact_coverage", lang)]
    headers = [c.value for c in sheet[1]]
    for name in ("account_name", "account_owner_name"):
        assert t(f"col.{name}", lang) in headers
    row = next(sheet.iter_rows(min_row=2, max_row=2))
    cell = {h: c for h, c in zip(headers, row)}
    due = cell[t("col.due_date", lang)]
    assert isinstance(due.value, dt.datetime) and due.is_date
    assert cell[t("col.decision_ratio", lang)].number_format == "0.0%"
    assert "#,##0" in cell[t("col.annual_revenue", lang)].number_format
    assert cell[t("col.density", lang)].number_format == "#,##0.00"
    if lang == "zh":
        assert cell[t("col.status", lang)].value == tr_value("open", "zh") != "open"


# ---- wording ---------------------------------------------------------------------------------


def test_wording_p_values_signed_zero_and_features():
    assert fmt_value(0.0001, "pv", "en") == "p < 0.001"
    assert fmt_value(0.2181, "pv", "en") == "p = 0.218"
    assert fmt_value(-0.001, "num", "en") == "0.00"
    assert fmt_value(-0.0004, "pct", "en") == "0.0%"
    assert fmt_value(-0.25, "num", "en") == "-0.25"
    assert fmt_value("lifecycle_stage_Dormant", "feature", "en") == "Lifecycle stage: Dormant"
    assert "lifecycle_stage" not in fmt_value("lifecycle_stage_Dormant", "feature", "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_jargon_or_broken_wording_in_the_report(reports, lang):
    text = (reports[lang] / "report.md").read_text()
    for bad in ("p = <", "p = &lt;", "-0.00", "−0.00", "symlog", "a account_id", "corr("):
        assert bad not in text, bad
    spec = json.dumps(
        re.findall(
            r'<script id="chart-specs"[^>]*>(.*?)</script>',
            (reports[lang] / "report.html").read_text(),
            re.S,
        )
    )
    assert "symlog scale" not in spec


def test_unit_without_story_still_reads_answer_first():
    """A unit that declares no story gets its findings as the answer and why, its
    recommendations as what to do (the toolkit's generic part)."""
    from crmlens.report.sections import default_story

    r = AnalysisResult(
        "toy",
        {"n": Metric(3)},
        {},
        findings=(),
        recommendations=(),
    )
    story = default_story(r)
    assert story.answer == () and story.actions == ()


def test_every_number_in_every_analysis_is_traceable(results, reports):
    """The report of every analysis — answers, captions, actions, triggers — prints only numbers
    found in summary.json, a result table or the unit's alert rules."""
    from helpers import untraceable_numbers

    stray = untraceable_numbers(results, reports["en"])
    assert not stray, stray[:20]


def test_portfolio_review_opens_with_the_seven_dimensions_on_one_screen(results):
    """The boss's first page: the answer paragraph names the dimensions by status, then one
    bullet per dimension (its figure against its red line), before any metric grid."""
    from crmlens.report.blocks import Bullets

    doc = build_document(results, "en")
    head = next(s for s in doc.sections if s.id == "portfolio_review")
    answer, overview = head.blocks[0], head.blocks[1]
    cards = results["portfolio_review"].tables["cards"]
    assert isinstance(overview, Bullets) and len(overview.items) == len(cards) == 7
    for dimension, item in zip(cards["dimension"], overview.items):
        assert item.startswith(tr_value(dimension, "en", "portfolio_review"))
    statuses = set(cards["status"])
    for status, label in (("alert", "At alert"), ("watch", "On watch")):
        assert (label in answer.text) == (status in statuses)
