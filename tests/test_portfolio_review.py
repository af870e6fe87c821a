"""Executive portfolio review (issue 16): every definition on a hand-computed fixture.

The fixture (as-of 2025-12-31; T12 = 2025-01-01…2025-12-31, P12 = 2024-01-01…2024-12-31):

=====  ===========================================================  ========  ========
acct   deals (won unless said)                                      T12       P12
=====  ===========================================================  ========  ========
A      500 on 2025-06-01 (gm .5); 100 on 2024-06-01; lost 2025-09-01  500       100
B      300 on 2025-01-01 (first day of T12, gm .2)                  300       0
C      lost 2025-07-01 (competitor "Beta"); 300 on 2025-12-31        300       0
D      100 on 2024-12-31 (last day of P12) — churned                 0         100
E      lost only (2025-05-01, "Lost to Competitor", "Acme")          0         0
F      won with a NULL amount 2025-03-01                             0         0
G      100 + 100 in T12 (gm .3 / NULL); 200 on 2024-03-01; one open  200       200
H      50 on 2023-12-31 (before P12)                                 0         0
=====  ===========================================================  ========  ========

Every expected value below is derived by hand from this table (comments show the arithmetic).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlens.analyses import REGISTRY
from crmlens.analyses.portfolio_review import evidence
from crmlens.config import CrmlensConfig
from crmlens.sources.memory import open_frames

D = dt.date
OPP = "salesforce__opportunity_enhanced"
ACC = "salesforce__customer_360_view"
CASE = "salesforce__case"
NPS = "survey__nps_response"
CAMP = "salesforce__campaign"
VALUE = "customer360__customer_value_analysis"
AS_OF = D(2025, 12, 31)


def deal(oid, account, amount, close, won=True, closed=True, **extra):
    row = {
        "opportunity_id": oid,
        "account_id": account,
        "amount": amount,
        "is_won": won,
        "is_closed": closed,
        "close_date": close,
        "created_date": close - dt.timedelta(days=30),
        "type": "New Business",
        "loss_reason": None,
        "competitor": None,
        "gross_margin": None,
    }
    return {**row, **extra}


def fixture_frames() -> dict[str, pd.DataFrame]:
    deals = [
        deal("o1", "A", 500.0, D(2025, 6, 1), gross_margin=0.5),
        deal("o2", "A", 100.0, D(2024, 6, 1)),
        deal("o3", "A", 80.0, D(2025, 9, 1), won=False, loss_reason="Price"),
        deal("o4", "B", 300.0, D(2025, 1, 1), gross_margin=0.2),
        deal(
            "o5", "C", 70.0, D(2025, 7, 1), won=False, loss_reason="竞品价格更低", competitor="Beta"
        ),
        deal("o6", "C", 300.0, D(2025, 12, 31)),
        deal("o7", "D", 100.0, D(2024, 12, 31)),
        deal(
            "o8",
            "E",
            1000.0,
            D(2025, 5, 1),
            won=False,
            loss_reason="Lost to Competitor",
            competitor="Acme",
        ),
        deal("o9", "F", None, D(2025, 3, 1)),
        deal("o10", "G", 100.0, D(2025, 2, 1), gross_margin=0.3),
        deal("o11", "G", 100.0, D(2025, 8, 1)),
        deal("o12", "G", 200.0, D(2024, 3, 1)),
        deal("o13", "G", 999.0, D(2026, 3, 1), won=False, closed=False),  # open: expected date
        deal("o14", "H", 50.0, D(2023, 12, 31)),
    ]
    accounts = pd.DataFrame(
        {
            "account_id": list("ABCDEFGH"),
            "account_name": list("ABCDEFGH"),
            "industry_normalized": ["Tech", "Retail", "Tech", "Retail"] * 2,
            "company_size_category": ["Enterprise", "Enterprise", "Mid-Market", "Mid-Market"] * 2,
            "geographic_region": ["East", "West", "East", "West"] * 2,
            "acquisition_channel": ["Referral"] * 8,  # a single channel
            "competitor_in_use": ["Acme", "none", None, "Acme", None, None, "Beta", None],
        }
    )
    cases = pd.DataFrame(
        {
            "case_id": [f"c{i}" for i in range(1, 7)],
            "account_id": ["A", "B", "C", "G", "A", "D"],
            "created_date": pd.to_datetime(
                ["2025-02-01", "2025-03-01", "2025-11-01", "2025-10-15", "2025-12-01", "2024-03-01"]
            ),
            "closed_date": pd.to_datetime(
                ["2025-02-11", None, "2025-11-20", None, None, "2024-03-05"]
            ),
            "type": [
                "Complaint",
                "Complaint",
                "Feature Request",
                "Problem",
                "功能需求",
                "Complaint",
            ],
            "reason": [
                "服务态度差",
                None,
                "Missing export feature",
                "Dashboard slow",
                "需要集成",
                "x",
            ],
        }
    )
    nps = pd.DataFrame(
        {
            "response_id": [f"n{i}" for i in range(1, 11)],
            "account_id": ["A", "B", "C", "G", "A", "B", "A", "D", "G", "G"],
            "response_date": [D(2025, 4, 1)] * 6
            + [D(2024, 5, 1), D(2024, 6, 1)]
            + [D(2024, 7, 1)] * 2,
            "score": [6, 7, 8, 9, 10, 11, 9, 5, 9, 3],
        }
    )
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["k1", "k2"],
            "type": ["Referral Program", "Paid Search"],
            "start_date": [D(2025, 1, 1), D(2024, 12, 2)],
            "end_date": [D(2025, 12, 31), D(2025, 1, 30)],
            "actual_cost": [650.0, 600.0],
        }
    )
    value = pd.DataFrame(
        {
            "primary_email": [f"{i}@x.com" for i in range(5)],
            "customer_lifetime_value": [400.0, 300.0, 100.0, 1000.0, 50.0],
            "acquisition_cost": [100.0, 100.0, 0.0, 100.0, None],
            "customer_tier": ["Gold", "Gold", "Silver", "Silver", "Silver"],
            "lifecycle_stage": ["Growth", "Maturity", "Dormant", "Growth", "Growth"],
        }
    )
    return {
        OPP: pd.DataFrame(deals),
        ACC: accounts,
        CASE: cases,
        NPS: nps,
        CAMP: campaigns,
        VALUE: value,
    }


def run(frames, as_of=AS_OF, **section):
    section = {"as_of_source": "run", "deal_size_bands": [150, 400], **section}
    cfg = CrmlensConfig.model_validate({"portfolio_review": section})
    return REGISTRY["portfolio_review"].run(open_frames(frames), cfg, as_of=as_of)


@pytest.fixture(scope="module")
def result():
    return run(fixture_frames())


def near(value, expected):
    return value == pytest.approx(expected, rel=1e-9, abs=1e-12)


def codes(r):
    return [f.code for f in r.findings]


def test_value_concentration(result):
    m = result.metric
    assert m("customers_t12") == 4  # A, B, C, G (F's won deal has no amount; E only lost)
    assert near(m("revenue_t12"), 1300)  # 500 + 300 + 300 + 200
    assert m("top_customers") == 1  # ceil(0.2 × 4)
    assert near(m("top_share"), 500 / 1300)
    assert near(m("gini"), 2 * (200 + 2 * 300 + 3 * 300 + 4 * 500) / (4 * 1300) - 5 / 4)
    assert near(m("hhi"), (500**2 + 300**2 + 300**2 + 200**2) / 1300**2)
    lorenz = result.tables["lorenz"]
    assert near(lorenz["revenue_share"].iloc[-1], 1.0)
    assert near(lorenz["revenue_share"].iloc[0], 200 / 1300)  # poorest of 4 customers


def test_ties_at_the_top_cut_go_by_account_id():
    r = run(fixture_frames(), top_share=0.5)  # k = 2: A, then B (300) before C (300) by id
    assert r.metric("top_customers") == 2
    assert near(r.metric("top_share"), 800 / 1300)
    assert r.metric("top_tied_excluded") == 1  # C has the cut revenue but ranks after B


def test_gross_margin_by_value_tier(result):
    tiers = result.tables["value_tiers"].set_index("value_tier")
    assert near(tiers.loc["top", "margin_rate"], 0.5)  # A: 250 / 500
    assert near(tiers.loc["middle", "margin_rate"], 0.2)  # B: ceil(0.5 × 4) = 2 → B
    assert near(tiers.loc["tail", "margin_rate"], 0.3)  # C unknown; G: 30 / 100 (NULL left out)


def test_ltv_cac(result):
    assert result.metric("ltv_cac_customers") == 3  # CAC 0 and NULL are undefined
    assert result.metric("ltv_cac_undefined") == 2
    assert near(result.metric("ltv_cac_share_above"), 2 / 3)  # 4 and 10 > 3; exactly 3 is not
    by_tier = result.tables["ltv_cac_by_tier"].set_index("customer_tier")
    assert near(by_tier.loc["Gold", "share_above"], 0.5)


def test_growth_and_retention(result):
    m = result.metric
    assert m("new_customers_t12") == 3  # first won deal in T12: B, C, F
    assert m("new_customers_p12") == 3  # A, D, G
    assert near(m("new_revenue_share"), 600 / 1300)
    assert near(m("repeat_rate"), 1 / 4)  # G has two won deals in T12
    assert near(m("logo_retention"), 2 / 3)  # A, G of A, D, G
    assert near(m("nrr"), (500 + 0 + 200) / 400)
    assert near(m("grr"), (100 + 0 + 200) / 400)
    assert near(m("first_deal_win_rate"), 2 / 4)  # B, F won; C and E lost their first deal
    assert near(m("dormant_share"), 2 / 5)  # B (last touch 2025-04-01) and D of A, B, C, D, G
    assert near(m("cac_t12"), (650 + 300) / 3)  # Paid Search: 30 of its 60 days are in T12
    assert near(m("cac_p12"), 300 / 3)
    mix = result.tables["lifecycle_mix"].set_index("lifecycle_stage")
    assert near(mix.loc["Growth", "share"], 3 / 5)


def test_risk(result):
    m = result.metric
    assert near(m("top5_share"), 1.0)
    assert near(m("top3_drop"), 1100 / 1300)
    assert m("churned_customers") == 1  # D: revenue in P12, none in T12
    assert near(m("churned_revenue"), 100)
    assert m("largest_channel") == "Referral"
    assert near(m("largest_region_revenue_share"), 1000 / 1300)  # East: A, C, G
    profile = result.tables["churn_profile"]
    assert set(profile["factor"]) >= {"industry_normalized", "nps_score", "complaints"}


def test_structure_single_channel(result):
    m = result.metric
    assert near(m("largest_channel_customer_share"), 1.0)
    roi = result.tables["channel_roi"].set_index("channel")
    assert near(roi.loc["Referral", "roi"], 1300 / 650)
    assert near(roi.loc["Referral", "spend_share"], 650 / 950)
    assert near(roi.loc["Paid Search", "roi"], 0.0)
    cards = result.tables["cards"].set_index("dimension")
    assert cards.loc["structure", "status"] == "alert"  # 100% > 70%


def test_needs(result):
    m = result.metric
    assert m("cases_t12") == 5
    assert near(m("feature_request_share"), 2 / 5)  # c3 (type + topic), c5 (功能需求 / 集成)
    topics = result.tables["topics"].set_index("topic")
    assert near(topics.loc["missing_feature", "share_quarter"], 2 / 3)  # Q4: c3, c5 of c3, c4, c5
    assert near(topics.loc["missing_feature", "share_change"], 2 / 3)  # nothing in Q3
    assert m("top_topic") == "missing_feature"
    mix = result.tables["case_mix"].set_index("case_class")
    assert mix.loc["complaint", "cases"] == 2
    assert near(m("large_deal_share"), 1 / 5)  # 500 of 500, 300, 300, 100, 100 (bands 150/400)
    assert near(m("large_deal_share_change"), 1 / 5)  # P12: 100, 100, 200 — none large


def test_experience_nps_edges(result):
    m = result.metric
    # T12 answers 6, 7, 8, 9, 10 (11 is invalid): promoters 9, 10; detractor 6; 7 and 8 passive
    assert near(m("nps_t12"), 100 * (2 - 1) / 5)
    assert m("nps_invalid_scores") == 1
    assert near(m("nps_p12"), 0.0)  # 9, 5, 9, 3
    assert near(m("complaints_per_100_customers"), 100 * 2 / 4)
    assert near(m("complaint_resolution_rate"), 1 / 2)  # c2 has no close date: unresolved
    assert near(m("complaint_resolution_days"), 10)
    assert near(m("repurchase_after_complaint"), 1.0)  # D resolved 2024-03-05, bought 2024-12-31
    assert near(m("repurchase_without_complaint"), 1.0)  # A and G bought in T12
    table = result.tables["promoters_vs_detractors"].set_index("category")
    assert near(table.loc["promoter", "renewed_rate"], 1.0)  # A
    # G answered 9 and 3 on the same day: the lower score counts (never flatters)
    assert table.loc["detractor", "accounts"] == 2
    assert near(table.loc["detractor", "renewed_rate"], 0.5)  # D no, G yes
    assert near(m("renewal_gap_promoters_detractors"), 0.5)
    low, high = m("renewal_gap_low"), m("renewal_gap_high")
    assert low < 0.5 < high
    # expanded: A (500 > 100) of promoters; neither D nor G (200 = 200) of detractors
    assert near(m("expansion_gap_promoters_detractors"), 1.0 - 0.0)


def test_competition(result):
    m = result.metric
    assert m("lost_deals_t12") == 3  # A (Price), C (竞品…), E (Lost to Competitor)
    assert near(m("lost_to_competitor_share"), 2 / 3)
    assert m("top_competitor") == "Acme"  # Acme and Beta one each: by name
    assert near(m("customers_with_competitor_share"), 2 / 4)  # A, G ("none" is not known)
    assert near(m("churned_with_competitor_share"), 1.0)  # D uses Acme


def test_cards_status_and_answers(result):
    cards = result.tables["cards"].set_index("dimension")
    assert list(cards.index) == [
        "value",
        "growth",
        "risk",
        "structure",
        "needs",
        "experience",
        "competition",
    ]
    assert cards.loc["risk", "status"] == "alert"  # 100% > 30%
    assert cards.loc["growth", "status"] == "ok"  # NRR 175%
    assert cards.loc["experience", "status"] == "watch"  # 0 ≤ NPS 20 < 30
    assert cards.loc["needs", "status"] == "alert"  # 40% > 30%
    answers = [c for c in codes(result) if c.startswith("pr.answer.")]
    assert len(answers) == 7
    assert "pr.won_amount_null" in codes(result)


def test_plan_for_two_alerts_and_one_watch():
    """Risk (top-5 share 100% > 30%) and needs (feature requests 40% > 30%) at alert, experience
    (NPS 20 < 30) on watch; structure's lines moved to 100% (ok at 100%), competition not
    measurable (no loss reasons), value and growth ok: exactly three plans.  As-of 2025-12-31:
    T+7 = 2026-01-07, T+30 = 2026-01-30, T+60 = 2026-03-01, T+90 = 2026-03-31."""
    frames = fixture_frames()
    frames[OPP] = frames[OPP].drop(columns=["loss_reason"])
    line = {"metric": "largest_channel_customer_share", "worse": "above", "watch": 1, "alert": 1}
    r = run(frames, red_lines={"structure": line})
    statuses = r.tables["cards"].set_index("dimension")["status"].to_dict()
    assert statuses == {
        "value": "ok",
        "growth": "ok",
        "risk": "alert",
        "structure": "ok",
        "needs": "alert",
        "experience": "watch",
        "competition": "not_measurable",
    }
    recs = r.recommendations
    assert [(x.code, x.params["dimension"]) for x in recs] == [
        ("rec.pr.alert_pct", "risk"),
        ("rec.pr.alert_pct", "needs"),
        ("rec.pr.watch_num", "experience"),
    ]
    risk, needs, experience = (x.params for x in recs)
    assert (risk["owner"], risk["value"], risk["target"]) == ("revops", 1.0, 0.30)
    assert (risk["first_due"], risk["playbook_due"], risk["check_due"]) == (
        "2026-01-07",
        "2026-01-30",
        "2026-03-31",
    )
    assert risk["rule"] == "top5_share_above_safety_line"
    assert (needs["owner"], needs["value"], needs["target"]) == ("product", 0.4, 0.30)
    assert needs["rule"] == "feature_requests_above_red_line"
    assert "first_due" not in experience  # a watch has no T+7 step
    assert (experience["playbook_due"], experience["check_due"]) == ("2026-03-01", "2026-03-31")
    assert (experience["value"], experience["target"], experience["direction"]) == (
        20.0,
        30.0,
        "to_at_least",
    )
    assert recs[0].target == {
        "kpi": "top5_share",
        "target": 0.30,
        "op": "<",
        "due": "2026-03-31",
        "rule": "top5_share_above_safety_line",
        "trigger": {"metric": "top5_share", "op": ">", "value": 0.30},
    }
    plan = r.tables["action_plan"]
    assert plan["dimension"].tolist() == ["risk"] * 3 + ["needs"] * 3 + ["experience"] * 2
    assert plan["milestone_days"].tolist() == [7, 30, 90, 7, 30, 90, 60, 90]
    summary = r.tables["plan_summary"]
    check = summary[summary["action"] == "action.pr.target_check"].iloc[0]
    assert (check["due_date"], check["entities"]) == ("2026-03-31", 3)
    assert check["owner_role"] == "customer_success; product; revops"


def test_no_plan_when_every_dimension_is_ok_or_not_measurable():
    frames = fixture_frames()
    frames[OPP] = frames[OPP].drop(columns=["loss_reason"])
    wide = {
        d: {"metric": m, "worse": "above", "watch": 1, "alert": 1}
        for d, m in (
            ("risk", "top5_share"),
            ("structure", "largest_channel_customer_share"),
            ("needs", "feature_request_share"),
        )
    }
    wide["experience"] = {"metric": "nps_t12", "worse": "below", "watch": -100, "alert": -100}
    r = run(frames, red_lines=wide)
    assert set(r.tables["cards"]["status"]) == {"ok", "not_measurable"}
    assert r.recommendations == () and r.tables["plan_summary"].empty
    assert r.tables["action_plan"].empty


def test_window_end_defaults_to_latest_closed_deal():
    """as_of_source: data — the open deal's expected date (2026) does not move the window."""
    r = run(fixture_frames(), as_of=D(2026, 6, 30), as_of_source="data")
    assert r.metric("window_end") == "2025-12-31"
    assert near(r.metric("nrr"), 700 / 400)


def test_dimension_without_inputs_is_not_measurable():
    frames = {k: v for k, v in fixture_frames().items() if k not in (NPS, CASE)}
    r = run(frames)
    cards = r.tables["cards"].set_index("dimension")
    assert cards.loc["experience", "status"] == "not_measurable"
    assert "survey__nps_response" in cards.loc["experience", "needs"]
    assert cards.loc["needs", "status"] == "not_measurable"
    assert "nps_t12" not in r.metrics  # never a made-up number
    assert cards.loc["value", "status"] == "ok"  # the others still report (38% < 60%)


def test_no_opportunity_table_reports_the_rest():
    frames = {k: v for k, v in fixture_frames().items() if k != OPP}
    r = run(frames)
    assert "pr.no_opportunities" in codes(r)
    cards = r.tables["cards"].set_index("dimension")
    for dimension in ("value", "growth", "risk", "structure"):
        assert cards.loc[dimension, "status"] == "not_measurable"
        assert OPP in cards.loc[dimension, "needs"]
    assert near(r.metric("nps_t12"), 20.0)


def test_no_won_deals_in_t12():
    frames = fixture_frames()
    frames[OPP] = frames[OPP][frames[OPP]["close_date"] < D(2025, 1, 1)]
    r = run(frames)
    assert "pr.no_won_t12" in codes(r)
    assert "top_share" not in r.metrics
    assert r.metric("churned_customers") == 3  # A, D, G had P12 revenue
    assert near(r.metric("nps_t12"), 20.0)


def test_all_amounts_null():
    frames = fixture_frames()
    frames[OPP] = frames[OPP].assign(amount=np.nan)
    r = run(frames)
    assert "pr.amounts_all_null" in codes(r)
    assert r.tables["cards"].set_index("dimension").loc["value", "status"] == "not_measurable"
    assert near(r.metric("lost_to_competitor_share"), 2 / 3)


def test_all_amounts_null_is_not_blocked_by_validation():
    from crmlens.runner import run as run_all

    frames = fixture_frames()
    frames[OPP] = frames[OPP].assign(amount=np.nan)
    outcome = run_all(frames, ["portfolio_review"], CrmlensConfig(), AS_OF)
    assert "portfolio_review" in outcome.results


def test_as_of_before_all_data():
    r = run(fixture_frames(), as_of=D(2020, 1, 1), as_of_source="data")
    assert "pr.as_of_before_data" in codes(r)
    assert r.tables["cards"].set_index("dimension").loc["value", "status"] == "not_measurable"


def test_evidence_matches_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1, 1, 30), rng.normal(0.5, 2, 40)
    got = evidence.welch((30, a.mean(), a.var(ddof=1)), (40, b.mean(), b.var(ddof=1)))
    want = stats.ttest_ind(a, b, equal_var=False)
    assert near(got["statistic"], want.statistic) and near(got["p_value"], want.pvalue)
    pooled = math.sqrt((29 * a.var(ddof=1) + 39 * b.var(ddof=1)) / 68)
    assert near(got["effect"], (a.mean() - b.mean()) / pooled)
    table = pd.DataFrame([[10, 20], [30, 5]])
    chi = evidence.chi_square(table)
    statistic = stats.chi2_contingency(table.to_numpy(), correction=False)[0]
    assert near(chi["effect"], math.sqrt(statistic / 65))
    rate, low, high = evidence.wilson(5, 10, 0.95)  # textbook: 0.237 – 0.763
    assert rate == 0.5 and round(low, 3) == 0.237 and round(high, 3) == 0.763


def test_default_rules_and_nps_down_two_runs_in_a_row():
    from crmlens.monitor.changes import Changes
    from crmlens.monitor.rules import RuleSet, evaluate, load_rules

    ours = [r for r in load_rules(None).rules if r.analysis == "portfolio_review"]
    assert {r.metric for r in ours} == {
        "top5_share",
        "nrr",
        "ltv_cac_share_above",
        "nps_t12",
        "dormant_share",
        "top_share",
        "largest_channel_customer_share",
        "feature_request_share",
        "lost_to_competitor_share",
    }
    # every dimension's red-line figure is watched by a rule (its plan names the rule)
    red_lines = {line.metric for line in CrmlensConfig().portfolio_review.red_lines.values()}
    assert red_lines <= {r.metric for r in ours}
    nps_rule = RuleSet(rules=[r for r in ours if r.id == "nps_down_two_runs"])

    def fired(earlier, now):
        current = {"portfolio_review": {"nps_t12": now}}
        series = {("portfolio_review", "nps_t12"): earlier}
        return bool(evaluate(nps_rule, current, series, Changes(None, None), "r", "2026-01-01"))

    assert fired([30.0, 25.0], 20.0)  # down, then down again
    assert not fired([30.0], 20.0)  # down once only
    assert not fired([20.0, 25.0], 20.0)  # up, then down
    assert not fired([30.0, 20.0], 20.0)  # down, then flat


def test_report_renders_in_both_languages(result, tmp_path):
    from crmlens.report.document import build_document

    for lang in ("en", "zh"):
        doc = build_document({"portfolio_review": result}, lang)
        assert doc.sections[1].title  # the summary, then the portfolio review section


def test_unit_values_are_translated_in_the_unit_scope():
    """The unit's vocabulary lives under value.portfolio_review.* (no clash with another unit's
    value.ok): its messages and its table cells use it, other messages do not."""
    from crmlens.report.document import format_cell
    from crmlens.report.i18n import t, tr_value
    from crmlens.report.views import views_of

    assert "风险与稳定性" in t("pr.not_measurable", "zh", dimension="risk", needs="x")
    assert (
        format_cell("alert", "status", "zh", views_of("portfolio_review"), "portfolio_review")
        == "预警"
    )
    assert tr_value("alert", "zh") == "alert"  # unscoped: not this unit's word


def write_db(path, frames):
    import duckdb

    con = duckdb.connect(str(path))
    for name, frame in frames.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.close()
    return path


def test_monitor_fills_the_cards_change_and_records_the_figures(tmp_path):
    """Two monitored runs: the second run's cards carry the change of each red-line figure."""
    from crmlens.monitor.service import monitor

    cfg = CrmlensConfig.model_validate(
        {
            "portfolio_review": {"as_of_source": "run"},
            "monitor": {
                "history": str(tmp_path / "history.duckdb"),
                "alert_log": str(tmp_path / "alerts.jsonl"),
            },
        }
    )
    first = fixture_frames()
    second = fixture_frames()
    extra = deal("o99", "B", 700.0, D(2025, 10, 1))  # B: 300 → 1000; total 1300 → 2000
    second[OPP] = pd.concat([second[OPP], pd.DataFrame([extra])], ignore_index=True)
    db1, db2 = write_db(tmp_path / "one.duckdb", first), write_db(tmp_path / "two.duckdb", second)
    monitor(str(db1), cfg, analyses=["portfolio_review"], as_of=AS_OF)
    later = monitor(str(db2), cfg, analyses=["portfolio_review"], as_of=AS_OF + dt.timedelta(1))
    cards = later.outcome.results["portfolio_review"].tables["cards"].set_index("dimension")
    # one day later T12 = 2025-01-02…2026-01-01 drops B's 300 of 2025-01-01: A 500, B 700,
    # C 300, G 200 → the top customer (k = 1) is B: 700 / 1700 (was A: 500 / 1300)
    assert near(cards.loc["value", "change_since_last_run"], 700 / 1700 - 500 / 1300)
    assert "nrr" in set(cards["metric"])


def test_doctor_without_opportunities(tmp_path, capsys):
    """No opportunity table: not applicable when no analysis is named (never blocked, the table
    is not asked for); named, the one sentence of validation says the table is missing."""
    import json

    from crmlens.cli import main

    frames = {k: v for k, v in fixture_frames().items() if k != OPP}
    db = write_db(tmp_path / "no_opp.duckdb", frames)
    main(["doctor", "--json", "--source", str(db)])  # the other units miss their own tables
    captured = capsys.readouterr()
    # the opportunity table is asked for only by analyses whose own tables are here (the
    # campaigns make ROI decay apply), never by the portfolio review
    for issue in json.loads(captured.out)["issues"]:
        if issue["table"] == OPP:
            assert "portfolio_review" not in issue["params"].get("analyses", "")
    # one note, not a problem: the analysis does not apply to this source
    assert f"Skipped portfolio_review: the source lacks {OPP}" in captured.err
    assert main(["doctor", "--json", "--source", str(db), "--analysis", "portfolio_review"]) == 1
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert [(i["code"], i["table"]) for i in issues] == [("dq.table_missing", OPP)]
