"""Charts people read correctly: rates rather than counts across groups of different size, the
natural order of ordered categories in every language, value labels with room to show, relative
risk on a diverging scale centred at 1 with small groups grey and labelled with n, readable ticks
on log-like axes, one theme for every chart."""

import datetime as dt
import json

import pandas as pd
import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.report.charts import (
    GREY,
    LABEL_ROOM,
    THEME,
    category_order,
    charts_for,
    rate_bars,
    ratio_heatmap,
    readable_ticks,
)
from crmlens.report.i18n import tr_value
from crmlens.sources import open_source


@pytest.fixture(scope="module")
def results(gen_db):
    data = open_source(gen_db)
    return {
        name: REGISTRY[name].run(data, CrmlensConfig(), as_of=dt.date(2026, 1, 5))
        for name in ("contact_coverage", "investment_mismatch")
    }


def _charts(results, lang):
    return {c.id: c.spec for r in results.values() for c in charts_for(r, lang)}


def _layer_encodings(spec):
    layers = spec.get("layer", [spec])
    return [layer.get("encoding", {}) for layer in layers]


def test_every_chart_has_the_one_theme_and_fits_its_box(results):
    for lang in ("en", "zh"):
        for cid, spec in _charts(results, lang).items():
            assert spec["config"]["legend"]["orient"] == THEME["legend"]["orient"], cid
            assert spec["config"]["axis"] == THEME["axis"], cid
            assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}, cid
            assert isinstance(spec["width"], int), cid


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lifecycle_stages_in_natural_order_and_compared_by_rate(results, lang):
    spec = _charts(results, lang)["mm_lifecycle"]
    bars = _layer_encodings(spec)[0]
    stages = ["Activation", "Growth", "Maturity", "Retention", "Dormant"]
    assert bars["y"]["sort"] == [tr_value(s, lang) for s in stages]
    assert bars["x"]["field"] == "_rate"  # a rate, not the count of mismatched customers
    rows = next(iter(spec["datasets"].values()))
    stage_table = results["investment_mismatch"].tables["stages"].set_index("lifecycle_stage")
    for row in rows:  # within the top-priority pool (#14): mismatched / top-priority customers
        code = row["lifecycle_stage"]
        top = stage_table.loc[code, "top_customers"]
        assert row["_rate"] == pytest.approx(stage_table.loc[code, "mismatched"] / top)
        assert f"/{top:,}" in row["_label"]


def test_high_risk_by_industry_is_a_share_of_each_industry(results):
    spec = _charts(results, "en")["cc_high_risk_by_industry"]
    rows = next(iter(spec["datasets"].values()))
    for row in rows:
        assert row["_rate"] == pytest.approx(row["high"] / row["key_accounts"])
    bars, labels = _layer_encodings(spec)
    assert bars["y"]["sort"] == "-x" and labels["text"]["field"] == "_label"


def test_category_order_follows_codes_not_labels():
    values = ["Dormant", "Growth", "Activation", "Pilot"]
    assert category_order(values, "lifecycle_stage") == ["Activation", "Growth", "Dormant", "Pilot"]
    assert category_order(["Large", "Startup", "Small"], "company_size_tier") == [
        "Startup",
        "Small",
        "Large",
    ]


def test_rate_bars_leave_room_for_labels_and_grey_small_groups():
    df = pd.DataFrame({"g": ["a", "b"], "hit": [3, 40], "n": [4, 100]})
    spec = rate_bars(
        df, category="g", count="hit", total="n", lang="en", category_title="G", rate_title="R",
        min_total=10,
    ).to_dict()  # fmt: skip
    bars, _ = _layer_encodings(spec)
    assert bars["x"]["scale"]["domain"] == [0, pytest.approx(0.75 * LABEL_ROOM)]
    rows = next(iter(spec["datasets"].values()))
    assert [r["_small"] for r in rows] == [True, False]
    assert [r["_label"] for r in rows] == ["75.0% · 3/4", "40.0% · 40/100"]
    assert bars["color"]["value"] == "#d62728" and bars["color"]["condition"]["value"] == GREY


def test_relative_risk_diverges_around_one_and_small_groups_show_n():
    df = pd.DataFrame(
        {"x": ["S", "L", "S"], "y": ["A", "A", "B"], "rr": [2.5, 0.5, 9.0], "n": [40, 30, 5]}
    )
    titles = {"x": "x", "y": "y", "ratio": "RR", "n": "n"}
    spec = ratio_heatmap(
        df, x="x", y="y", ratio="rr", n="n", min_n=20, x_order=["S", "L"], y_order=None,
        titles=titles,
    ).to_dict()  # fmt: skip
    cells, text = _layer_encodings(spec)
    scale = cells["color"]["condition"]["scale"]
    assert scale["type"] == "log" and scale["domainMid"] == 1
    assert scale["domain"] == [pytest.approx(1 / 2.5), pytest.approx(2.5)]  # symmetric around 1
    assert cells["color"]["value"] == GREY
    rows = next(iter(spec["datasets"].values()))
    assert [r["_label"] for r in rows] == ["2.50", "0.50", "n=5"]
    assert rows[2]["_ratio"] is None  # the small group is not coloured as a risk
    assert cells["x"]["sort"] == ["S", "L"] and text["text"]["field"] == "_label"


def test_log_like_axes_have_readable_ticks_and_no_jargon(results):
    assert readable_ticks(37) == [0, 1, 2, 5, 10, 20, 50]
    assert readable_ticks(0.4) == [0, 1]
    for lang in ("en", "zh"):
        charts = _charts(results, lang)
        for cid in ("cc_density_decision", "cc_density_by_size"):
            x = _layer_encodings(charts[cid])[0]["x"]
            assert x["scale"]["type"] == "symlog"
            assert x["axis"]["values"][:4] == [0, 1, 2, 5]
        text = json.dumps(charts, ensure_ascii=False)
        assert "symlog scale" not in text and "对称对数" not in text


def test_every_chart_spec_is_valid_vega_lite(results):
    """Specs are built without validation at run time (it costs half the chart time)."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    schema = load_schema()
    for lang in ("en", "zh"):
        for spec in _charts(results, lang).values():
            validate_jsonschema(spec, schema)
