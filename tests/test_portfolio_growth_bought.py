"""Portfolio review, growth card (issue 16): "is growth bought?" — campaign spend in T12 split
into acquisition and retention by the revenue of each campaign's attributed won T12 deals.

Fixture (as-of 2025-12-31, T12 = 2025; every campaign runs a whole calendar year, so its T12
spend is its cost when the year is 2025 and 0 when it is 2024):

========  =======  =====  =============================================================
campaign  year     cost   attributed deals (won in T12 unless said)
========  =======  =====  =============================================================
k1        2025     1000   A New Business 400                     → all acquisition
k2        2025      600   B New Business 100; A Renewal 200; C Upsell 100;
                          F "Other" 1000 (neither kind); lost New Business 999;
                          Existing Business 500 won in P12       → 100 : 300 → 150 / 450
k3        2025      300   none                                   → unallocated
k4        2024     5000   D New Business 50                      → no T12 spend
(none)                    E Existing Business 500
========  =======  =====  =============================================================

T12 spend 1900: acquisition 1000 + 150 = 1150, retention 450, unallocated 300.
T12 revenue by kind: new business 400 + 100 + 50 = 550, existing 200 + 100 + 500 = 800.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_portfolio_review import ACC, CAMP, OPP, deal, near, run

D = dt.date


def campaign(cid, kind, year, cost):
    return {
        "campaign_id": cid,
        "type": kind,
        "start_date": D(year, 1, 1),
        "end_date": D(year, 12, 31),
        "actual_cost": cost,
    }


def frames(deals=None, campaigns=None):
    t12 = D(2025, 6, 1)
    deals = deals or [
        deal("o1", "A", 400.0, t12, campaign_id="k1"),
        deal("o2", "B", 100.0, t12, campaign_id="k2"),
        deal("o3", "A", 200.0, t12, campaign_id="k2", type="Renewal"),
        deal("o4", "C", 100.0, t12, campaign_id="k2", type=" upsell"),  # case and blanks ignored
        deal("o5", "F", 1000.0, t12, campaign_id="k2", type="Other"),
        deal("o6", "B", 999.0, t12, campaign_id="k2", won=False),
        deal("o7", "C", 500.0, D(2024, 6, 1), campaign_id="k2", type="Existing Business"),
        deal("o8", "D", 50.0, t12, campaign_id="k4"),
        deal("o9", "E", 500.0, t12, campaign_id=None, type="Existing Business"),
    ]
    campaigns = campaigns or [
        campaign("k1", "Paid Search", 2025, 1000.0),
        campaign("k2", "Event", 2025, 600.0),
        campaign("k3", "Webinar", 2025, 300.0),
        campaign("k4", "Email", 2024, 5000.0),
    ]
    accounts = pd.DataFrame({"account_id": list("ABCDEF"), "acquisition_channel": "Event"})
    deals = pd.DataFrame(deals).drop(columns=["loss_reason", "competitor", "gross_margin"])
    return {OPP: deals, CAMP: pd.DataFrame(campaigns), ACC: accounts}


def test_spend_is_split_by_the_revenue_of_each_campaigns_deals():
    r = run(frames())
    m = r.metric
    assert near(m("acquisition_spend_t12"), 1150)
    assert near(m("retention_spend_t12"), 450)
    assert near(m("unallocated_spend_t12"), 300)
    assert m("unallocated_campaigns") == 1  # k3 (k4 has no T12 spend)
    assert near(m("unallocated_spend_share"), 300 / 1900)
    assert near(m("acquisition_spend_share"), 1150 / 1600)
    assert near(m("new_business_revenue_share"), 550 / 1350)
    assert near(m("acquisition_spend_per_new_revenue"), 1150 / 550)
    assert near(m("retention_spend_per_retained_revenue"), 450 / 800)
    # the same T12 spend as the channel view counts
    assert near(r.tables["channel_roi"]["spend_t12"].sum(), 1900)
    assert m("growth_bought") == "yes"
    note = next(f for f in r.findings if f.code == "pr.growth_bought")
    assert near(note.params["spend"], 1150 / 1600) and near(note.params["revenue"], 550 / 1350)


def test_retention_heavy_spend_is_not_bought_growth():
    t12 = D(2025, 6, 1)
    deals = [
        deal("o1", "A", 100.0, t12, campaign_id="k1"),
        deal("o2", "A", 300.0, t12, campaign_id="k2", type="Renewal"),
        deal("o3", "B", 900.0, t12, campaign_id=None),  # new business outside any campaign
    ]
    campaigns = [campaign("k1", "Event", 2025, 100.0), campaign("k2", "Event", 2025, 900.0)]
    r = run(frames(deals, campaigns))
    assert near(r.metric("acquisition_spend_share"), 0.1)  # 100 of 1000
    assert near(r.metric("new_business_revenue_share"), 1000 / 1300)
    assert r.metric("growth_bought") == "no"
    assert "pr.growth_earned" in [f.code for f in r.findings]


def test_without_deal_campaigns_the_split_is_not_measurable():
    data = frames()
    data[OPP] = data[OPP].drop(columns="campaign_id")
    r = run(data)
    assert "acquisition_spend_share" not in r.metrics
    growth = r.tables["cards"].set_index("dimension").loc["growth", "needs"]
    assert f"{OPP}.campaign_id" in growth


def test_ltv_cac_by_channel_is_said_to_be_not_measurable():
    from test_portfolio_review import fixture_frames

    r = run(fixture_frames())
    note = next(f for f in r.findings if f.code == "pr.ltv_cac_no_channel")
    assert note.params["table"] == "customer360__customer_value_analysis"
    needs = r.tables["cards"].set_index("dimension").loc["value", "needs"]
    assert "customer360__customer_value_analysis.acquisition_channel" in needs


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_messages_exist_in_both_languages(lang):
    from crmlens.analyses import REGISTRY

    messages = REGISTRY["portfolio_review"].messages(lang)
    for key in ("pr.growth_bought", "pr.growth_earned", "pr.ltv_cac_no_channel"):
        assert key in messages
    assert "method.pr.growth_bought" in messages
