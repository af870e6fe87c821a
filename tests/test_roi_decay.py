"""Campaign ROI decay (issue #19): hand fixtures for spend spreading, attribution, the decay fit
(a planted half-life recovered), break-even, campaigns past it and the seed's claim."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import crmlens
from crmlens.sources.memory import open_frames

CAMP = "salesforce__campaign"
OPP = "salesforce__opportunity_enhanced"
SPEND = "marketing__campaign_spend"
AS_OF = dt.date(2026, 1, 5)


def _campaign(cid, start, end=None, cost=0.0, targeted=False, type_="Email"):
    return {
        "campaign_id": cid,
        "name": f"Campaign {cid}",
        "type": type_,
        "start_date": pd.Timestamp(start),
        "end_date": pd.Timestamp(end) if end else pd.NaT,
        "actual_cost": cost,
        "is_targeted": targeted,
    }


def _opp(oid, cid, amount, close, won=True):
    return {
        "opportunity_id": oid,
        "account_id": "a1",
        "campaign_id": cid,
        "amount": amount,
        "is_won": won,
        "is_closed": True,
        "close_date": pd.Timestamp(close),
    }


# a lost deal closing on the as-of date: the data ends there (windows end at the last closed deal)
END_MARKER = {**_opp("end", None, 0.0, AS_OF.isoformat(), won=False)}


def _run(campaigns, opps, spend=None, as_of=AS_OF, **section):
    frames = {CAMP: pd.DataFrame(campaigns), OPP: pd.DataFrame([*opps, END_MARKER])}
    if spend is not None:
        frames[SPEND] = pd.DataFrame(spend)
    cfg = crmlens.config.default_config()
    if section:
        data = cfg.model_dump()
        data["roi_decay"] = {**cfg.section("roi_decay").model_dump(), **section}
        cfg = type(cfg).model_validate(data)
    return crmlens.run(open_frames(frames), ["roi_decay"], config=cfg, as_of=as_of)["roi_decay"]


def test_cost_spread_over_active_months_and_revenue_by_close_month():
    camps = [
        _campaign("C1", "2025-01-15", "2025-12-31", cost=1200.0),  # 12 months → 100 a month
        _campaign("C2", "2025-11-01", None, cost=300.0),  # running: Nov, Dec, Jan → 100 a month
        _campaign("C3", "2025-06-01", "2025-06-30", cost=0.0),  # zero spend
        _campaign("C4", "2025-03-01", "2025-05-31", cost=90.0),  # no attributed deals
    ]
    opps = [
        _opp("o1", "C1", 500.0, "2025-01-20"),  # age 0
        _opp("o2", "C1", 250.0, "2025-03-02"),  # age 2
        _opp("o3", "C1", 999.0, "2025-03-05", won=False),  # lost: not revenue
        _opp("o4", "C1", 777.0, "2026-02-01"),  # after as-of: left out
        _opp("o5", "C2", 40.0, "2025-10-15"),  # before C2 started: counted apart
        _opp("o6", "C3", 60.0, "2025-06-10"),
        _opp("o7", "C9", 10.0, "2025-06-10"),  # unknown campaign
    ]
    r = _run(camps, opps, min_campaigns=50)
    c = r.tables["campaigns"].set_index("campaign_id")
    assert c.loc["C1", "spend"] == pytest.approx(1200.0)
    assert c.loc["C1", "revenue"] == pytest.approx(750.0)
    assert c.loc["C1", "roi"] == pytest.approx(750 / 1200)
    assert c.loc["C2", "spend"] == pytest.approx(300.0) and c.loc["C2", "revenue"] == 0
    assert bool(c.loc["C2", "running"]) and not bool(c.loc["C1", "running"])
    assert math.isnan(c.loc["C3", "roi"]) and c.loc["C3", "revenue"] == pytest.approx(60.0)
    assert c.loc["C4", "revenue"] == 0
    assert r.metric("total_spend") == pytest.approx(1590.0)
    assert r.metric("attributed_revenue") == pytest.approx(810.0)
    assert r.metric("campaigns_without_spend") == 1
    codes = {f.code: f.params for f in r.findings}
    assert codes["dq.roi_revenue_before_start"]["revenue"] == pytest.approx(40.0)
    assert codes["dq.roi_unknown_campaign"]["revenue"] == pytest.approx(10.0)
    assert "roi.not_fitted" in codes  # min_campaigns 50: nothing fitted, said so
    curve = r.tables["curves_by_targeting"]
    age0 = curve[(curve["targeting"] == "broad") & (curve["age"] == 0)].iloc[0]
    # age 0: C1 Jan (100 + 500 revenue), C2 Nov (100), C3 Jun (0 + 60), C4 Mar (30)
    assert age0["spend"] == pytest.approx(230.0) and age0["revenue"] == pytest.approx(560.0)


def test_spend_table_rows_replace_the_spread_for_their_campaigns():
    camps = [
        _campaign("C1", "2025-01-01", "2025-03-31", cost=300.0),
        _campaign("C2", "2025-01-01", "2025-03-31", cost=300.0),
    ]
    spend = [
        {"campaign_id": "C1", "month": pd.Timestamp("2025-01-01"), "spend": 250.0},
        {"campaign_id": "C1", "month": pd.Timestamp("2025-02-01"), "spend": 50.0},
    ]
    r = _run(camps, [_opp("o1", "C1", 100.0, "2025-02-10")], spend, min_campaigns=50)
    c = r.tables["campaigns"].set_index("campaign_id")
    assert c.loc["C1", "spend_source"] == "spend_table"
    assert c.loc["C2", "spend_source"] == "spread"
    curve = r.tables["curves_by_targeting"].set_index("age")
    assert curve.loc[0, "spend"] == pytest.approx(350.0)  # 250 + 100
    assert curve.loc[1, "spend"] == pytest.approx(150.0)  # 50 + 100
    assert curve.loc[2, "spend"] == pytest.approx(100.0)  # C1 has no March row


def _planted(n, start_roi, floor, half_life, targeted, months=24, first="2023-01-01", end=True):
    """``n`` campaigns spending 100 a month whose revenue follows the planted curve exactly."""
    rate = math.log(2) / half_life
    camps, opps = [], []
    t0 = pd.Timestamp(first)
    for i in range(n):
        cid = f"{'T' if targeted else 'B'}{i:02d}"
        stop = (t0 + pd.DateOffset(months=months) - pd.Timedelta(days=1)) if end else None
        camps.append(_campaign(cid, t0, stop, cost=100.0 * months, targeted=targeted))
        for age in range(months):
            roi = floor + (start_roi - floor) * math.exp(-rate * age)
            close = t0 + pd.DateOffset(months=age) + pd.Timedelta(days=9)
            opps.append(_opp(f"{cid}-{age}", cid, 100.0 * roi, close))
    return camps, opps


def test_decay_fit_recovers_the_planted_half_life_and_break_even():
    tc, to = _planted(8, 4.0, 0.5, 3.0, True)
    bc, bo = _planted(8, 2.0, 1.5, 6.0, False)
    r = _run(tc + bc, to + bo, bootstrap=50)
    fits = r.tables["decay_fits"].set_index(["group_kind", "group"])
    t = fits.loc[("targeting", "targeted")]
    assert t["half_life"] == pytest.approx(3.0, rel=1e-3)
    assert t["start_roi"] == pytest.approx(4.0, rel=1e-3)
    assert t["floor_roi"] == pytest.approx(0.5, rel=1e-2)
    # break-even: 0.5 + 3.5·2^(−m/3) = 1  →  m = 3·log2(7)
    assert t["break_even_month"] == pytest.approx(3 * math.log2(7), rel=1e-3)
    # identical campaigns: the interval is a point; revenue totals are rounded to the cent
    assert t["half_life_low"] * (1 - 1e-5) <= 3.0 <= t["half_life_high"] * (1 + 1e-5)
    b = fits.loc[("targeting", "broad")]
    assert b["half_life"] == pytest.approx(6.0, rel=1e-3)
    assert math.isnan(b["break_even_month"])  # levels off at 150%: never below break-even
    # the claim: launch 400% is in 300–500%, but after 12 months 0.5 + 3.5/16 = 71.9% < 100%
    assert r.metric("claim_status") == "partly"
    codes = {f.code: f.params for f in r.findings}
    assert codes["roi.claim_partly"]["after"] == pytest.approx(0.5 + 3.5 / 16, rel=1e-3)
    assert r.metric("targeted_half_life_months") == pytest.approx(3.0, rel=1e-3)
    recs = {x.code for x in r.recommendations}
    assert "rec.roi_standardise" in recs  # targeted floor 50% ≤ broad floor 150%


def test_running_campaigns_past_break_even_with_spend_at_stake():
    tc, to = _planted(8, 4.0, 0.5, 3.0, True)  # break-even at 8.42 months
    # running targeted campaigns on the same curve (so the fit is unchanged), launched 2025-01-01
    # (12 months old at 2026-01-05, ages 0–12 → 13 months of 100) and 2025-08-01 (5 months old)
    lc, lo = _planted(1, 4.0, 0.5, 3.0, True, months=13, first="2025-01-01", end=False)
    yc, yo = _planted(1, 4.0, 0.5, 3.0, True, months=6, first="2025-08-01", end=False)
    late, young = {**lc[0], "campaign_id": "LATE"}, {**yc[0], "campaign_id": "YOUNG"}
    to = to + [
        {**o, "campaign_id": cid, "opportunity_id": f"{cid}-{o['opportunity_id']}"}
        for cid, opps in (("LATE", lo), ("YOUNG", yo))
        for o in opps
    ]
    r = _run(tc + [late, young], to, bootstrap=0)
    past = r.tables["past_break_even"]
    assert list(past["campaign_id"]) == ["LATE"]
    row = past.iloc[0]
    assert row["monthly_spend"] == pytest.approx(100.0)
    assert row["spend_past_break_even"] == pytest.approx(100.0 * (12 - 9 + 1))  # ages 9..12
    assert r.metric("campaigns_past_break_even") == 1
    plan = r.tables["action_plan"]
    assert list(plan["action"]) == ["action.roi_review_campaign", "action.roi_stop_or_refresh"]
    assert list(plan["due_date"]) == ["2026-01-12", "2026-02-04"]


def test_windows_end_at_the_last_closed_deal_not_today():
    tc, to = _planted(8, 4.0, 0.5, 3.0, True)
    now = _run(tc, to, bootstrap=0)
    later = _run(tc, to, bootstrap=0, as_of=dt.date(2031, 1, 1))  # data still ends 2026-01-05
    assert later.method["window_end"] == AS_OF.isoformat()
    pd.testing.assert_frame_equal(now.tables["campaigns"], later.tables["campaigns"])


def test_claim_not_testable_without_targeted_campaigns():
    bc, bo = _planted(8, 2.0, 1.5, 6.0, False)
    r = _run(bc, bo, bootstrap=0)
    assert r.metric("claim_status") == "not_testable"
    assert np.isfinite(r.metric("half_life_months"))


def test_every_code_renders_in_both_languages():
    from crmlens.report.i18n import LANGS, t

    tc, to = _planted(8, 4.0, 0.5, 3.0, True)
    bc, bo = _planted(8, 2.0, 1.5, 6.0, False)
    lc, lo = _planted(1, 4.0, 0.5, 3.0, True, months=13, first="2025-01-01", end=False)
    late = {**lc[0], "campaign_id": "LATE"}
    lo = [{**o, "campaign_id": "LATE", "opportunity_id": f"L{o['opportunity_id']}"} for o in lo]
    r = _run(tc + bc + [late], to + bo + lo, bootstrap=20)
    for lang in LANGS:
        t("analysis.roi_decay.title", lang)
        for m in r.metrics:
            t(f"metric.roi_decay.{m}", lang)
        for x in (*r.findings, *r.recommendations):
            assert "{" not in t(x.code, lang, **x.params)
        for code in set(r.tables["action_plan"]["action"]):
            t(code + ".text", lang)
            t("value." + code, lang)


def test_recovers_the_half_life_the_generator_planted(tmp_path):
    """Stated tolerance: on 20,000 generated accounts (~60 targeted campaigns) the planted
    targeted half-life lies inside the bootstrap 95% interval and the estimate is within a factor
    of two of it (seeds 7, 11 and 23 were checked by hand: 3.6, 2.0 and 4.8 months for 3.0)."""
    from crmlens.synth import generate, planted

    path = tmp_path / "g.duckdb"
    generate(path, 20000, 7)
    r = crmlens.run(str(path), ["roi_decay"], as_of="2026-06-30")["roi_decay"]
    fits = r.tables["decay_fits"].set_index(["group_kind", "group"])
    t = fits.loc[("targeting", "targeted")]
    planted_life = planted.TARGETED_HALF_LIFE_MONTHS
    assert t["half_life_low"] <= planted_life <= t["half_life_high"]
    assert planted_life / 2 <= t["half_life"] <= planted_life * 2
    assert r.metric("claim_status") in ("holds", "partly")


def _method_notes(result, lang="en") -> list[str]:
    from crmlens.analyses.roi_decay.views import method_notes

    return [item for block in method_notes(result, lang) for item in block.items]


def test_campaigns_starting_after_the_data_end_are_left_out_and_counted():
    camps = [
        _campaign("C1", "2025-10-01", "2025-12-31", cost=300.0),  # 100 a month, Oct–Dec
        _campaign("LATER", "2026-03-01", "2026-05-31", cost=900.0),  # after the data's end month
        _campaign("SOON", "2026-01-20", "2026-02-28", cost=200.0),  # after the data's last day
    ]
    opps = [_opp("o1", "C1", 150.0, "2025-10-10"), _opp("o2", "LATER", 70.0, "2025-12-01")]
    r = _run(camps, opps, min_campaigns=50)
    assert list(r.tables["campaigns"]["campaign_id"]) == ["C1"]
    assert r.metric("campaigns") == 1
    assert r.metric("total_spend") == pytest.approx(300.0)  # no cost booked at age 0
    curve = r.tables["curves_by_targeting"].set_index("age")
    assert curve.loc[0, "spend"] == pytest.approx(100.0)
    assert r.method["campaigns_not_started"] == 2
    codes = {f.code: f.params for f in r.findings}
    # the deal attributed to LATER closed before it starts
    assert codes["dq.roi_revenue_before_start"]["revenue"] == pytest.approx(70.0)
    assert "dq.roi_unknown_campaign" not in codes
    notes = _method_notes(r)
    assert any("2 campaigns start after the data's last day (2026-01-05)" in n for n in notes)
    assert any("2026-01-05" in n and "2" in n for n in _method_notes(r, "zh"))


def _with_id(camps, opps, cid):
    camp = {**camps[0], "campaign_id": cid}
    opps = [
        {**o, "campaign_id": cid, "opportunity_id": f"{cid}-{o['opportunity_id']}"} for o in opps
    ]
    return camp, opps


def test_running_campaigns_older_than_the_curves_keep_their_recent_spend():
    tc, to = _planted(8, 4.0, 0.5, 3.0, True)  # break-even at 3·log2(7) = 8.42 months
    # running since 2023-06-01: 32 months to January 2026 (ages 0–31), 100 a month; the curves
    # stop at age 23, its spend at stake does not
    old, old_opps = _with_id(
        *_planted(1, 4.0, 0.5, 3.0, True, months=32, first="2023-06-01", end=False), "OLD"
    )
    r = _run([*tc, old], to + old_opps, bootstrap=0)
    past = r.tables["past_break_even"].set_index("campaign_id")
    assert list(past.index) == ["OLD"]
    assert past.loc["OLD", "age_months"] == 31
    assert past.loc["OLD", "monthly_spend"] == pytest.approx(100.0)
    assert past.loc["OLD", "spend_past_break_even"] == pytest.approx(100.0 * (31 - 9 + 1))
    assert r.metric("monthly_spend_at_stake") == pytest.approx(100.0)
    assert r.metric("spend_past_break_even") == pytest.approx(2300.0)
    c = r.tables["campaigns"].set_index("campaign_id")
    assert c.loc["OLD", "spend"] == pytest.approx(2400.0)  # the curves' 24 months only


def test_recent_spend_of_young_campaigns_averages_the_months_they_ran():
    camps = [
        _campaign("TWO", "2025-12-01", None, cost=200.0),  # Dec, Jan: 100 a month
        _campaign("ONE", "2026-01-02", None, cost=50.0),  # January only: 50
        _campaign("FIVE", "2025-09-01", None, cost=500.0),  # Sep–Jan: last three months 100 each
    ]
    r = _run(camps, [_opp("o1", "TWO", 10.0, "2025-12-15")], min_campaigns=50)
    c = r.tables["campaigns"].set_index("campaign_id")
    assert c.loc["TWO", "monthly_spend"] == pytest.approx(100.0)
    assert c.loc["ONE", "monthly_spend"] == pytest.approx(50.0)
    assert c.loc["FIVE", "monthly_spend"] == pytest.approx(100.0)


def test_cost_is_spread_over_the_whole_period_and_cut_at_the_data_end():
    camps = [
        # July 2025 – June 2026: 12 months of 100; the data ends in January (7 months)
        _campaign("C1", "2025-07-01", "2026-06-30", cost=1200.0),
        _campaign("C2", "2025-11-01", None, cost=300.0),  # no end date: Nov–Jan, 100 a month
    ]
    r = _run(camps, [_opp("o1", "C1", 400.0, "2025-07-15")], min_campaigns=50)
    c = r.tables["campaigns"].set_index("campaign_id")
    assert c.loc["C1", "spend"] == pytest.approx(700.0)
    assert c.loc["C1", "roi"] == pytest.approx(400.0 / 700.0)
    assert c.loc["C1", "monthly_spend"] == pytest.approx(100.0)
    assert c.loc["C2", "spend"] == pytest.approx(300.0)
    curve = r.tables["curves_by_targeting"].set_index("age")
    assert curve["spend"].to_dict() == pytest.approx(
        {0: 200.0, 1: 200.0, 2: 200.0, 3: 100.0, 4: 100.0, 5: 100.0, 6: 100.0}
    )
    assert r.metric("total_spend") == pytest.approx(1000.0)
