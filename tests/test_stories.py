"""The answer-first stories of the health score, ROI decay, funnel, segmentation and portfolio
review (issue 13) on tiny hand-made results: which rows a line picks, when evidence is called
weak, and the exact takeaway sentence of a chart (expected values worked out by hand)."""

from __future__ import annotations

import math

import pandas as pd

from crmlens.analyses import AnalysisResult, Metric
from crmlens.analyses.base import Finding, Recommendation
from crmlens.report.i18n import fmt_value, t
from crmlens.report.sections import say
from crmlens.report.views import told


def result(name, metrics=None, tables=None, findings=(), recs=(), method=None):
    metrics = {k: v if isinstance(v, Metric) else Metric(v) for k, v in (metrics or {}).items()}
    return AnalysisResult(name, metrics, tables or {}, tuple(findings), tuple(recs), method or {})


def text(line, lang="en"):
    return say(line, lang)


# ---- health score ----------------------------------------------------------------------------


def _health(findings=()):
    matrix = pd.DataFrame(
        {
            "industry_normalized": ["Energy", "Retail"],
            "company_size_category": ["Small Business", "Enterprise"],
            "accounts": [40, 10],
            "low_health": [30, 2],
            "low_health_share": [0.75, 0.2],
            "level": ["high", "watch"],
        }
    )
    shares = pd.DataFrame(
        {"component": ["activity", "value", "scale"], "variance_share": [0.25, 0.7, 0.05]}
    )
    bands = pd.DataFrame(
        {"band": [10, 20, 50], "tier": ["low"] * 2 + ["medium"], "accounts": [5, 9, 3]}
    )
    return result(
        "health_score",
        {"accounts": 17, "low_health": 14, "low_health_share": 14 / 17, "high_level_cells": 1},
        {"risk_matrix": matrix, "variance_shares": shares, "score_distribution": bands},
        findings,
        method={"medium_score": 50.0},
    )


def test_health_captions_name_the_weakest_cell_the_driver_and_the_fullest_band():
    from crmlens.analyses.health_score import story

    r = _health()
    assert text(story.CAPTIONS["hs_risk_matrix"].text(r)) == (
        "Energy × Small Business has the most low-health accounts, 30 of 40 (75.0%);"
        " cells at level “high”: 1."
    )
    assert text(story.CAPTIONS["hs_variance_shares"].text(r)) == (
        "Value accounts for 70.0% of the score's variation, Scale for only 5.0%."
    )
    assert text(story.CAPTIONS["hs_distribution"].text(r)) == (
        "14 of 17 accounts score below 50.00 (low health); the fullest band, from 20, holds 9"
        " accounts."
    )


def test_health_score_not_back_tested_is_said_and_a_weak_back_test_labelled():
    from crmlens.analyses.health_score import story

    untested = _health([Finding("hs.backtest_no_dated_components", {"cutoff": "2025-01-01"})])
    assert "hs.answer_unvalidated" in [x.key for x in story.answer(untested)]
    params = {"cutoff": "2025-01-01", "customers": 90, "churned": 9, "auc": 0.55}
    weak = _health([Finding("hs.backtest_weak", {**params, "low": 0.4, "high": 0.7})])
    line = next(x for x in story.why(weak) if x.id == "backtest")
    assert line.strength == "weak" and "Weak evidence" in text(line)
    strong = _health([Finding("hs.backtest", {**params, "low": 0.6, "high": 0.8})])
    assert "hs.answer_unvalidated" not in [x.key for x in story.answer(strong)]
    assert next(x for x in story.why(strong) if x.id == "backtest").strength == "strong"


# ---- ROI decay -------------------------------------------------------------------------------


def _fits(rows):
    cols = ["group_kind", "group", "campaigns", "fitted", "at_bound", "start_roi", "floor_roi"]
    cols += ["half_life", "half_life_low", "half_life_high", "roi"]
    return pd.DataFrame(rows, columns=cols)


def test_roi_decay_fit_with_a_wide_interval_is_weak_evidence():
    from crmlens.analyses.roi_decay import story

    wide = _fits([("all", "all_campaigns", 20, True, False, 3.0, 1.3, 2.9, 0.5, 13.2, 1.9)])
    narrow = _fits([("all", "all_campaigns", 60, True, False, 3.0, 1.3, 2.9, 2.0, 4.0, 1.9)])
    none = _fits([("all", "all_campaigns", 6, True, False, 3.0, 1.3, 2.9, math.nan, math.nan, 1.9)])
    metrics = {"campaigns": 20, "campaigns_past_break_even": 0, "campaigns_running": 2}
    keys = {}
    for name, fits in (("wide", wide), ("narrow", narrow), ("none", none)):
        r = result("roi_decay", metrics, {"decay_fits": fits})
        keys[name] = [x.key for x in story.answer(r)][1]
    assert keys == {
        "wide": "roi.answer_decay_weak",  # 13.2 > 4 × 0.5
        "narrow": "roi.answer_decay",  # 4.0 ≤ 4 × 2.0
        "none": "roi.answer_decay_weak",  # no interval at all
    }


def test_roi_type_caption_names_the_best_and_worst_type_by_roi():
    from crmlens.analyses.roi_decay import story

    fits = _fits(
        [
            ("type", "Email", 2, False, False, *[math.nan] * 5, 2.25),
            ("type", "Webinar", 5, True, False, 2.5, 1.46, 0.3, 0.1, 96.0, 1.56),
            ("type", "Social", 1, False, False, *[math.nan] * 5, 1.03),
        ]
    )
    line = story.CAPTIONS["roi_cumulative_by_type"].text(
        result("roi_decay", {}, {"decay_fits": fits})
    )
    assert text(line) == "Email has the highest cumulative ROI, 225.0%; Social the lowest, 103.0%."


# ---- funnel ----------------------------------------------------------------------------------


def _funnel(findings, recs=()):
    scores = pd.DataFrame(
        {"source": ["baseline", "model", "reps"], "n": [371] * 3, "brier": [0.19, 0.13, 0.14]}
    )
    conv = pd.DataFrame(
        {
            "stage": ["Prospecting", "Proposal", "Negotiation"],
            "order": [0, 1, 2],
            "reached": [600, 400, 300],
            "conversion": [0.6, 0.9, 0.9],
        }
    )
    tables = {"backtest_scores": scores, "conversion": conv, "forecast": pd.DataFrame()}
    return result("funnel", {}, tables, findings, recs, {"backtest_split": "2026-01-01"})


def test_funnel_model_no_better_than_stage_rates_is_weak_and_its_action_comes_last():
    from crmlens.analyses.funnel import story

    use = Recommendation("rec.funnel_use_model", {"model": 0.13, "reps": 0.14})
    unstick = Recommendation("rec.funnel_unstick", {"count": 3, "amount": 10.0, "days": 7})
    p = {"model": 0.2, "baseline": 0.19, "reps": 0.3, "auc": 0.6, "split": "2026-01-01"}
    weak = _funnel([Finding("fn.model_not_better", p)], [use, unstick])
    assert story.model_is_weak(weak)
    assert [(x.key, x.strength) for x in story.actions(weak)] == [
        ("rec.funnel_unstick", "strong"),
        ("rec.funnel_use_model", "weak"),
    ]
    strong = _funnel([Finding("fn.model_better", p)], [use])
    assert not story.model_is_weak(strong)
    assert story.actions(strong)[0].strength == "strong"


def test_funnel_captions_compare_stages_and_the_three_probability_sources():
    from crmlens.analyses.funnel import story

    r = _funnel([])
    assert text(story.CAPTIONS["fn_conversion"].text(r)) == (
        "Prospecting converts least: 60.0% of the 600 deals that reached it moved on;"
        " Proposal converts most (90.0%)."  # ties: the earlier stage
    )
    assert text(story.CAPTIONS["fn_reliability"].text(r)) == (
        "On 371 deals open on 2026-01-01 and closed since, the model's Brier score is 0.13,"
        " against 0.19 for the stage win rates and 0.14 for the reps' own probabilities"
        " (lower is closer)."
    )


# ---- segmentation ----------------------------------------------------------------------------


def _segments(stable="no"):
    prof = pd.DataFrame(
        {
            "segment": ["Champions", "Loyal", "Lost", "Empty"],
            "customers": [10, 5, 40, 0],
            "share": [10 / 55, 5 / 55, 40 / 55, 0.0],
            "revenue": [100.0, 300.0, 50.0, 0.0],
            "revenue_share": [100 / 450, 300 / 450, 50 / 450, 0.0],
        }
    )
    sil = pd.DataFrame({"k": [2, 3], "silhouette": [0.28, 0.18]})
    clusters = Finding("seg.clusters", {"k": 2, "silhouette": 0.28, "ari": 0.29, "stable": stable})
    metrics = {"clusters": 2, "stability_ari_mean": 0.29}
    tables = {"segment_profile": prof, "cluster_silhouettes": sil}
    return result("segmentation", metrics, tables, [clusters])


def test_segmentation_caption_separates_the_largest_segment_from_the_richest():
    from crmlens.analyses.segmentation import story

    line = story.CAPTIONS["seg_profile"].text(_segments())
    assert text(line) == (
        "Lost is the largest segment (40 customers, 72.7%), but Loyal brings the most revenue"
        " (66.7%) with 5."
    )


def test_unstable_clusters_are_weak_evidence():
    from crmlens.analyses.segmentation import story

    weak = next(x for x in story.why(_segments("no")) if x.id == "clusters")
    strong = next(x for x in story.why(_segments("yes")) if x.id == "clusters")
    assert (weak.strength, strong.strength) == ("weak", "strong")
    assert story.CAPTIONS["seg_silhouette"].text(_segments("no")).key == "seg.cap.silhouette_weak"


def test_column_names_in_a_sentence_read_as_their_labels():
    assert fmt_value(["industry_normalized", "no_such_column"], "cols", "zh") == (
        t("col.industry_normalized", "zh") + "、no_such_column"
    )


# ---- portfolio review ------------------------------------------------------------------------


def _portfolio(renewal):
    cards = pd.DataFrame(
        {
            "dimension": ["value", "growth", "experience", "needs"],
            "status": ["watch", "alert", "ok", "not_measurable"],
            "metric": ["top_share", "nrr", "nps_t12", "feature_request_share"],
            "value": [0.7, 0.9, 12.0, None],
            "red_line": [0.8, 1.0, 0.0, 0.3],
            "watch_line": [0.6, 1.05, 30.0, 0.2],
            "needs": ["", "", "", "cases.type"],
        }
    )
    rows = [("promoter", *renewal[0]), ("detractor", *renewal[1])]
    pvd = pd.DataFrame(rows, columns=["category", "renewed_rate", "renewed_low", "renewed_high"])
    metrics = {
        "top_share": Metric(0.7, "ratio"),
        "nrr": Metric(0.9, "ratio"),
        "nps_t12": Metric(12.0, "score"),
    }
    return result("portfolio_review", metrics, {"cards": cards, "promoters_vs_detractors": pvd})


def test_portfolio_answer_groups_the_dimensions_and_lists_one_line_each():
    from crmlens.analyses.portfolio_review import story

    r = _portfolio([(0.9, 0.8, 0.95), (0.6, 0.5, 0.7)])
    s = told(story)(r)
    assert [x.key for x in s.answer[1:]] == [
        "pr.answer_alert",
        "pr.answer_watch",
        "pr.answer_ok",
        "pr.answer_not_measurable",
    ]
    assert s.answer[1].params["dimensions"] == ["growth"]
    assert [text(x) for x in s.overview] == [
        "Value and contribution — watch: Top-customer share of revenue 70.0%"
        " (red line 80.0%, watch line 60.0%).",
        "Growth and health — alert: NRR 90.0% (red line 100.0%, watch line 105.0%).",
        "Experience and reputation — ok: NPS (T12) 12.00 (red line 0.00, watch line 30.00).",
        "Needs and market fit — not measurable: needs cases.type.",
    ]
    assert [x.key for x in s.actions] == ["pr.do.none"]  # the result recommends nothing


def test_portfolio_actions_are_the_results_recommendations_in_order():
    """The story reads the plan the compute made (alert first); it never derives one."""
    from crmlens.analyses.portfolio_review import story

    params = {
        "dimension": "growth",
        "owner": "customer_success",
        "metric": "nrr",
        "value": 0.94,
        "target": 1.0,
        "direction": "to_at_least",
        "first_step": "action.pr.growth_first_step",
        "first_due": "2026-01-07",
        "first_days": 7,
        "playbook": "action.pr.growth_playbook",
        "playbook_due": "2026-01-30",
        "playbook_days": 30,
        "check_due": "2026-03-31",
        "check_days": 90,
        "rule": "nrr_below_100pct",
    }
    base = _portfolio([(0.9, 0.8, 0.95), (0.6, 0.5, 0.7)])
    r = result(
        "portfolio_review",
        base.metrics,
        base.tables,
        recs=[Recommendation("rec.pr.alert_pct", params)],
    )
    (line,) = told(story)(r).actions
    assert text(line) == (
        "Growth and health is at alert — owner: customer success. By 2026-01-07 (T+7): List the"
        " customers whose spend fell and call the largest; by 2026-01-30 (T+30): A renewal or"
        " expansion plan for each customer whose spend fell. Target: NRR from 94.0% to at least"
        " 100.0% by 2026-03-31 (T+90). Alert rule: `nrr_below_100pct`."
    )
    assert "2026-01-07（T+7）前" in text(line, "zh") and "提升至不低于 100.0%" in text(line, "zh")


def test_portfolio_renewal_gap_with_overlapping_intervals_is_weak():
    from crmlens.analyses.portfolio_review import story

    apart = story.renewal(_portfolio([(0.9, 0.8, 0.95), (0.6, 0.5, 0.7)]))
    overlap = story.renewal(_portfolio([(0.87, 0.78, 0.92), (0.77, 0.68, 0.85)]))
    assert (apart.key, apart.strength) == ("pr.why_renewal", "strong")
    assert (overlap.key, overlap.strength) == ("pr.why_renewal_overlap", "weak")
