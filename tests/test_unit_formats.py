"""Figures shown in their own unit (issue 13, "A workbook owners can work from" and "Wording"):
the portfolio review's seven-dimension table and its action sheet mix shares, money and counts in
one column, so each row is formatted by the unit of its red-line metric, in the report body and in
the workbook; the funnel's answer gives next quarter's forecast as well as this quarter's."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from crmlens.analyses import AnalysisResult, Metric
from crmlens.report.document import TableBlock, build_document
from crmlens.report.excel import write_action_plan
from crmlens.report.i18n import column_label, t
from crmlens.report.markdown import render_markdown
from crmlens.report.sections import say
from tests.test_portfolio_review import fixture_frames, run

# On the hand-computed fixture of test_portfolio_review: the top customer (A, 500) brings
# 500 / 1300 of T12 revenue; D churned with 100 of P12 revenue; 3 customers are new in T12
# (B, C, F).  The red lines put one dimension of each unit beyond its line.
RED_LINES = {
    "value": {"metric": "top_share", "worse": "above", "watch": 0.3, "alert": 0.9},  # watch
    "risk": {"metric": "churned_revenue", "worse": "above", "watch": 50, "alert": 80},  # alert
    "growth": {"metric": "new_customers_t12", "worse": "below", "watch": 10, "alert": 5},  # alert
}
# dimension → (value, target) as each language prints them
PRINTED = {
    "en": {"value": ("38.5%", "30.0%"), "risk": ("$100", "$80"), "growth": ("3", "5")},
    "zh": {"value": ("38.5%", "30.0%"), "risk": ("100 美元", "80 美元"), "growth": ("3", "5")},
}
EXCEL = {  # dimension → the number format of its value and target cells
    "en": {"value": "0.0%", "risk": '"$"#,##0', "growth": "#,##0"},
    "zh": {"value": "0.0%", "risk": '#,##0" 美元"', "growth": "#,##0"},
}


@pytest.fixture(scope="module")
def portfolio():
    return run(fixture_frames(), red_lines=RED_LINES)


def test_fixture_puts_a_share_money_and_count_row_in_the_plan(portfolio):
    cards = portfolio.tables["cards"].set_index("dimension")
    assert cards.loc["value", "value"] == pytest.approx(500 / 1300)
    assert cards.loc["risk", "value"] == pytest.approx(100)
    assert cards.loc["growth", "value"] == 3
    assert {"value", "risk", "growth"} <= set(portfolio.tables["action_plan"]["dimension"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_seven_dimension_table_prints_each_figure_in_its_unit(portfolio, lang):
    doc = build_document({"portfolio_review": portfolio}, lang)
    blocks = [b for section in doc.sections for b in section.blocks]
    table = next(b for b in blocks if isinstance(b, TableBlock) and b.id.endswith("-cards"))
    value = table.columns.index(column_label("value", lang, "portfolio_review"))
    red = table.columns.index(column_label("red_line", lang, "portfolio_review"))
    watch = table.columns.index(column_label("watch_line", lang, "portfolio_review"))
    label = {t(f"value.portfolio_review.{d}", lang): d for d in PRINTED[lang]}
    rows = {label[row[0]]: row for row in table.rows if row[0] in label}
    for dimension, (printed, _) in PRINTED[lang].items():
        assert rows[dimension][value] == printed
    assert rows["value"][watch] == "30.0%" and rows["value"][red] == "90.0%"
    assert rows["risk"][red] == PRINTED[lang]["risk"][1]
    assert rows["growth"][red] == "5"
    markdown = render_markdown(doc, {})
    assert f"| {PRINTED[lang]['value'][0]} |" in markdown
    assert "| 0.38 |" not in markdown  # a share is never printed as a bare fraction


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_action_sheet_cells_carry_the_number_format_of_their_unit(portfolio, lang, tmp_path):
    path = tmp_path / "action_plan.xlsx"
    write_action_plan({"portfolio_review": portfolio}, path, lang)
    sheet = openpyxl.load_workbook(path)[t("sheet.portfolio_review", lang)[:31]]
    headers = [c.value for c in sheet[1]]
    dimension = headers.index(column_label("dimension", lang, "portfolio_review"))
    value = headers.index(column_label("value", lang, "portfolio_review"))
    target = headers.index(column_label("target_value", lang, "portfolio_review"))
    label = {t(f"value.portfolio_review.{d}", lang): d for d in EXCEL[lang]}
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        name = label.get(row[dimension].value)
        if name is None:
            continue
        seen.add(name)
        assert row[value].number_format == EXCEL[lang][name]
        assert row[target].number_format == EXCEL[lang][name]
    assert seen == set(EXCEL[lang])


# ---- funnel: this quarter and the next ---------------------------------------------------------


def _funnel(forecast: pd.DataFrame) -> AnalysisResult:
    metrics = {
        "closed_deals": Metric(10, "count"),
        "win_rate": Metric(0.5, "ratio"),
        "open_deals": Metric(4, "count"),
        "pipeline": Metric(1000.0, "usd"),
        "weighted_pipeline": Metric(600.0, "usd"),
        "forecast_this_quarter": Metric(120.0, "usd"),
        "forecast_low": Metric(0.0, "usd"),
        "forecast_high": Metric(300.0, "usd"),
    }
    conv = pd.DataFrame({"stage": [], "order": [], "reached": [], "conversion": []})
    method = {"interval": 0.9, "window_end": "2026-06-30"}
    return AnalysisResult(
        "funnel", metrics, {"forecast": forecast, "conversion": conv}, (), (), method
    )


QUARTERS = pd.DataFrame(
    {
        "quarter": ["2026Q2", "2026Q3", "undated"],
        "open_deals": [1, 2, 1],
        "pipeline": [300.0, 600.0, 100.0],
        "expected": [120.0, 450.0, 30.0],
        "interval_low": [0.0, 200.0, 0.0],
        "interval_high": [300.0, 600.0, 100.0],
    }
)


def test_funnel_answer_gives_next_quarter_forecast_too():
    from crmlens.analyses.funnel import story

    r = _funnel(QUARTERS)
    line = story.answer(r)[1]
    assert t(line.key, "en", **line.params) == (
        "With data to 2026-06-30, expected bookings are $120 for 2026Q2 (90.0% interval $0–$300)"
        " and $450 for the next quarter, 2026Q3 (90.0% interval $200–$600)."
    )
    assert t(line.key, "zh", **line.params) == (
        "按截至 2026-06-30 的数据，2026Q2 预计成交额 120 美元（90.0% 区间 0 美元–300 美元），"
        "下一季度 2026Q3 预计成交额 450 美元（90.0% 区间 200 美元–600 美元）。"
    )
    summary = say(story.summary(r)[0], "en")
    assert "$450 for 2026Q3 ($200–$600)" in summary


def test_funnel_answer_without_a_next_quarter_names_this_quarter_only():
    from crmlens.analyses.funnel import story

    line = story.answer(_funnel(QUARTERS.head(1)))[1]
    assert line.key == "fn.answer_forecast"
    assert t(line.key, "en", **line.params) == (
        "Expected bookings for 2026Q2: $120 (90.0% interval $0–$300)."
    )
