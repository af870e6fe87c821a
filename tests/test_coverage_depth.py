"""Contact coverage, second pass (issue 14): hand-computed fixtures for every new number.

Size inference, the peer-track collapse and the relative standard, both seed risk models, the
joint plan, the surfaced averages and profiles, key-account data quality, the outcome comparison
(its intervals checked against statsmodels) and the seed-002 monitoring rules.
"""

import datetime as dt

import duckdb
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from crmlens.analyses import REGISTRY
from crmlens.analyses.contact_coverage.risk import joint_plan
from crmlens.config import CrmlensConfig
from crmlens.report.i18n import t
from crmlens.sources import open_source
from crmlens.stats.proportions import newcombe_diff, wilson
from helpers import account, contacts_for, write_duckdb
from test_contact_coverage import fixture_accounts

AS_OF = dt.date(2026, 1, 1)
FIVE = ["Sales", "Finance", "Operations", "IT", "HR"]


def run(path, **cc):
    cfg = CrmlensConfig.model_validate({"contact_coverage": {"key_account_share": 1.0, **cc}})
    return REGISTRY["contact_coverage"].run(open_source(path), cfg, as_of=AS_OF)


def sentence(r, code, lang="en"):
    f = next(f for f in r.findings if f.code == code)
    return t(f.code, lang, **f.params)


def row(r, account_id):
    df = r.tables["key_accounts"]
    return df[df["account_id"] == account_id].iloc[0]


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    accs, cons = fixture_accounts()
    return run(write_duckdb(tmp_path_factory.mktemp("fx") / "fx.duckdb", accs, cons))


@pytest.fixture(scope="module")
def fx_additive(tmp_path_factory):
    accs, cons = fixture_accounts()
    path = write_duckdb(tmp_path_factory.mktemp("fa") / "fa.duckdb", accs, cons)
    return run(path, risk_model="additive_points")


# ---- missing data never lowers risk: size inferred from the employee count ---------------------


def test_size_inferred_from_employee_count(tmp_path):
    accs = [
        account("U1", 400.0, 5000, size="Unknown"),  # ≥ 1000 → Enterprise
        account("U2", 300.0, 500, size="Unknown"),  # 100–999 → Mid-Market
        account("U3", 200.0, 50, size=None),  # NULL size, 1–99 → Small Business
        account("U4", 100.0, None, size="Unknown"),  # no count: stays Unknown
        account("E1", 50.0, 20, size="Enterprise"),  # a reported size is never changed
    ]
    r = run(write_duckdb(tmp_path / "s.duckdb", accs, []))
    sizes = {a: row(r, a)["company_size_category"] for a in ("U1", "U2", "U3", "U4", "E1")}
    assert sizes == {
        "U1": "Enterprise",
        "U2": "Mid-Market",
        "U3": "Small Business",
        "U4": "Unknown",
        "E1": "Enterprise",
    }
    assert r.metric("size_inferred") == 3
    assert row(r, "U2")["coverage_baseline"] == 4  # the Mid-Market baseline now applies
    assert sentence(r, "cc.size_inferred").startswith("3 key accounts had an Unknown")
    # no inference when the bands are emptied
    off = run(write_duckdb(tmp_path / "s2.duckdb", accs, []), size_from_employees={})
    assert off.metric("size_inferred") == 0 and row(off, "U1")["company_size_category"] == "Unknown"


# ---- the peer track: collapsed or not, and the relative standard -------------------------------


def peer_group(tmp_path, name, first_density):
    """12 Technology Enterprise accounts of 1,000 employees with densities first … first + 11,
    every department covered and 4 CEOs each (no red line but density can fail)."""
    accs, cons = [], []
    for i in range(12):
        aid = f"P{i:02d}"
        n = first_density + i
        accs.append(account(aid, 1000.0 - i, 1000))
        specs = [("CEO" if j < 4 else "Manager", FIVE[j % 5]) for j in range(n)]
        cons += contacts_for(aid, specs)
    return write_duckdb(tmp_path / f"{name}.duckdb", accs, cons)


def test_peer_track_collapsed_is_said_and_relative_standard_differs(tmp_path):
    r = run(peer_group(tmp_path, "collapsed", 5))  # densities 5 … 16
    g = r.tables["peer_groups"].iloc[0]
    # P25 = 5 + 0.25 × 11 = 7.75 > 5 would not collapse: use a lower group instead (below)
    assert g["p_density"] == pytest.approx(7.75)
    low = run(peer_group(tmp_path, "low", 1))  # densities 1 … 12: P25 = 3.75 < red line 5
    assert low.tables["peer_groups"].iloc[0]["density_threshold"] == 5.0
    assert low.metric("peer_track_collapsed") == 1
    assert low.metric("peer_track_at_red_line") == 12
    assert low.metric("peer_track_at_red_line_share") == 1.0
    # peer failures equal red-line failures (densities 1–4): the tracks say the same thing
    assert low.metric("fail_density_peer") == low.metric("fail_density_red_line") == 4
    # relative standard: median of 1 … 12 = 6.5; 0.5 × 6.5 = 3.25 → densities 1, 2, 3 fail
    assert low.metric("fail_density_relative") == 3
    k = row(low, "P00")
    assert k["relative_median_density"] == pytest.approx(6.5) and k["relative_group"] == (
        "industry_size"
    )
    # relative risk: the 4 red-line failures (densities 1–4) have fewer than 5 contacts, so they
    # cover fewer than 5 departments and fail the peer coverage too → all 4 strong
    assert low.metric("strong_risk_relative") == 4 and low.metric("secondary_risk_relative") == 0
    text = sentence(low, "cc.peer_collapsed")
    assert "The peer track has collapsed onto the red line: for 12 of 12 key accounts (100.0%)" in (
        text
    )
    assert "3 key accounts are below the relative density standard" in text
    assert "同行标准已退化为红线" in sentence(low, "cc.peer_collapsed", "zh")
    # a looser fraction moves the relative threshold: 0.7 × 6.5 = 4.55 → densities 1 … 4
    assert (
        run(peer_group(tmp_path, "low2", 1), relative_peer_fraction=0.7).metric(
            "fail_density_relative"
        )
        == 4
    )


def test_peer_track_distinct_is_said(tmp_path):
    r = run(peer_group(tmp_path, "distinct", 10))  # densities 10 … 21: P25 12.75 > 5
    assert r.metric("peer_track_collapsed") == 0 and r.metric("peer_track_at_red_line") == 0
    assert not any(f.code == "cc.peer_collapsed" for f in r.findings)
    text = sentence(r, "cc.peer_distinct")
    assert text.startswith(
        "The peer track differs from the red lines: for 0 of 12 key accounts (0.0%)"
    )
    # median 15.5 × 0.5 = 7.75: nobody below
    assert r.metric("fail_density_relative") == 0


def test_relative_standard_falls_back_to_industry_then_all(fx):
    # 6 key accounts, peer minimum 10: no group, industry or whole set is large enough
    assert fx.metric("relative_not_evaluated") == 6 and fx.metric("fail_density_relative") == 0


# ---- both seed risk models ---------------------------------------------------------------------


def test_both_risk_models_by_hand(fx, fx_additive):
    # points = low density + low decision + missing departments / 5:
    # K1 0; K2 (density unknown) 1 + 3/5 = 1.6; K3, K4 1 + 1 = 2.0; K5 1 + 2/5 = 1.4;
    # K6 1 + 1 + 4/5 = 2.8
    expected = {"K1": 0.0, "K2": 1.6, "K3": 2.0, "K4": 2.0, "K5": 1.4, "K6": 2.8}
    for k, v in expected.items():
        assert row(fx, k)["points_score"] == pytest.approx(v), k
    # top 20% of 6 = ceil(1.2) = 2 accounts → cut = 2nd highest points = 2.0, ties included:
    # K6, K3, K4 high; K2's worst case 1.6 + 1 = 2.6 ≥ 2.0 → data gap; K5 ≥ 1 → medium; K1 low
    tiers = {k: row(fx, k)["tier_additive"] for k in expected}
    assert tiers == {
        "K1": "low",
        "K2": "data_gap",
        "K3": "high",
        "K4": "high",
        "K5": "medium",
        "K6": "high",
    }
    assert fx.metric("additive_high_cut") == pytest.approx(2.0)
    # weighted flags (the default) keep their tiers: K6 high, K2–K4 data gaps
    assert fx.metric("high_risk") == 1 and fx.metric("high_risk_weighted") == 1
    assert fx.metric("high_risk_additive") == 3 and fx.metric("high_risk_both_models") == 1
    models = fx.tables["risk_models"].set_index("tier")
    assert models.loc["high"].tolist() == [1, 3, 1] and models.loc["data_gap"].tolist() == [3, 1, 1]
    assert "Risk model used: weighted red-line flags" in sentence(fx, "cc.risk_model")

    a = fx_additive
    assert a.method["risk_model"] == "additive_points"
    assert a.metric("high_risk") == 3 and a.metric("data_gap") == 1
    assert row(a, "K6")["risk_score"] == pytest.approx(2.8)
    # order: high by points ↓ then revenue ↓ (K6 2.8; K3 and K4 2.0: K3 has more revenue),
    # then the data gap K2, then the rest by points (K5 1.4, K1 0)
    order = list(a.tables["key_accounts"].sort_values("priority_rank")["account_id"])
    assert order == ["K6", "K3", "K4", "K2", "K5", "K1"]
    assert sentence(a, "cc.risk_model").startswith("Risk model used: additive points")


# ---- one joint plan ----------------------------------------------------------------------------


def test_joint_plan_formula_by_hand():
    cfg = CrmlensConfig().contact_coverage  # red line 15%
    # n 10, d 1, density need 10 → T = 10; x = ceil(0.15 × 20 − 1) = 2: (1 + 2) / 20 = 15%
    # n 20, d 0, density need 0 → executives alone: ceil(3 / 0.85) = 4 = T = x: 4 / 24 ≥ 15%
    # n 0, d 0 → one executive; n 10, d 5 → nothing
    total, execs = joint_plan([10, 20, 0, 10], [1, 0, 0, 5], [10, 0, 0, 0], cfg)
    assert total.tolist() == [10, 4, 1, 0] and execs.tolist() == [2, 4, 1, 0]


def test_joint_plan_totals_are_the_same_everywhere(fx):
    plan = fx.tables["action_plan"]
    qty = plan.groupby("action", observed=True)["quantity"].sum()
    assert qty["action.add_executives"] == fx.metric("executives_to_add") == 11
    assert qty["action.add_executives"] + qty["action.add_contacts"] == fx.metric("contacts_to_add")
    bi = fx.tables["by_industry"]
    assert bi["contacts_to_add"].sum() == 59 and bi["executives_to_add"].sum() == 11
    rec = {r.code: r.params for r in fx.recommendations}
    assert rec["rec.add_executives"]["contacts"] == 11
    assert rec["rec.add_contacts"]["contacts"] == 48 and rec["rec.add_contacts"]["total"] == 59
    assert "59 new contacts at 5 key accounts, 11 of them C-level/VP" in sentence(
        fx, "cc.joint_plan"
    )


# ---- what was computed but hidden --------------------------------------------------------------


def test_surfaced_averages_distribution_and_profiles(fx):
    # decision ratios K1 2/6, K5 2/3, others 0 → mean (1/3 + 2/3) / 6 = 1/6
    assert fx.metric("mean_decision_ratio") == pytest.approx(1 / 6)
    # densities known: K1 6, K5 1.5, K6 0.1 → mean 7.6 / 3
    assert fx.metric("mean_density") == pytest.approx(7.6 / 3)
    # coverage 5, 2, 0, 0, 3, 1 → median (1 + 2) / 2
    assert fx.metric("median_coverage") == pytest.approx(1.5)
    dist = fx.tables["coverage_distribution"]
    assert dist["accounts"].tolist() == [2, 1, 1, 1, 0, 1]
    assert dist["share"].tolist() == pytest.approx([2 / 6, 1 / 6, 1 / 6, 1 / 6, 0, 1 / 6])
    # decision gaps: 1 for K2, K3, K4, K6 → 4/6; density gaps over known densities:
    # K1 0, K5 (5 − 1.5) / 5 = 0.7, K6 (5 − 0.1) / 5 = 0.98 → 1.68 / 3
    assert fx.metric("mean_gap_decision") == pytest.approx(4 / 6)
    assert fx.metric("mean_gap_density") == pytest.approx(1.68 / 3)
    gaps = fx.tables["must_have_gaps"].set_index(["industry_normalized", "department"])
    # Technology must have IT: K2 has it (Engineering), K3, K4, K6 do not → 3 of 4
    assert gaps.loc[("Technology", "IT"), "accounts_missing"] == 3
    assert gaps.loc[("Technology", "IT"), "share_missing"] == pytest.approx(0.75)
    assert gaps.loc[("Retail", "Operations"), "share_missing"] == 1.0
    assert gaps.loc[("Retail", "HR"), "share_missing"] == 0.0
    # the top high-risk list (high + data gaps): K6, K2, K3, K4 — K3, K4 have no contact,
    # none has an executive, K3 and K4 cover no department
    profile = fx.tables["top_risk_profile"].set_index("trait")
    assert (
        profile.loc["zero_contacts", "accounts"] == 2
        and profile.loc["zero_contacts", "share"] == 0.5
    )
    assert profile.loc["no_decision_maker", "share"] == 1.0
    assert "Of the top 4 high-risk key accounts, 50.0% have no live contact" in sentence(
        fx, "cc.top_risk_profile"
    )
    pb = fx.tables["industry_playbooks"].set_index("industry_normalized")
    assert pb.loc["Technology", "high_share"] == pytest.approx(1 / 4)  # K6 of K2, K3, K4, K6


def test_key_account_data_quality_next_to_all_contacts(fx):
    # key accounts' live contacts: K1 6 + K2 2 + K5 3 + K6 1 = 12; K1's "Manager" has no
    # department; the orphan contact is live but at no key account (13 live in all)
    assert fx.metric("key_contacts_live") == 12 and fx.metric("key_contacts_dept_unknown") == 1
    assert fx.metric("key_contacts_dept_unknown_share") == pytest.approx(1 / 12)
    assert fx.metric("contacts_dept_unknown_share") == pytest.approx(1 / 13)
    assert "Key accounts hold 12 live contacts: 1 (8.3%) with an unknown department" in sentence(
        fx, "dq.key_contacts_quality"
    )


def test_monitoring_counts(fx):
    # density < 5 or ≤ 70% of the industry Q1: K5 1.5 and K6 0.1 (K1 6 is its industry's Q1)
    assert fx.metric("density_alert_accounts") == 2
    # coverage < 3 with Finance or IT missing: K2 (2, no Finance), K3, K4 (0), K6 (1)
    assert fx.metric("coverage_critical_accounts") == 4
    assert fx.metric("decision_makers") == 4  # K1 CEO + VP Sales, K5 首席执行官 + 副总裁
    assert fx.metric("accounts_passing_red_lines") == 1  # K1
    ents = fx.tables["entities"].set_index("entity_id")
    assert ents["passes_red_lines"].to_dict() == {
        "K1": True,
        "K2": False,  # no employee count never passes
        "K3": False,
        "K4": False,
        "K5": False,
        "K6": False,
    }


# ---- does coverage matter here? ----------------------------------------------------------------


def outcome_data(tmp_path):
    """H1, H2: no contacts (high risk); G1, G2: every red line passed.  Closed deals in the window:
    high risk 10 (2 won, of them renewals 4 closed / 1 won); the others 10 (7 won, renewals 4 / 4).
    Not counted: an open deal and a deal closed before the 730-day window."""
    accs = [account(a, 100.0 - i, 1000) for i, a in enumerate(("H1", "H2"))]
    accs += [account(a, 90.0 - i, 200) for i, a in enumerate(("G1", "G2"))]
    full = [("CEO", "Sales"), ("VP Finance", "Finance"), ("Manager", "Operations")]
    full += [("Manager", "IT"), ("Manager", "HR")]
    cons = contacts_for("G1", full) + contacts_for("G2", full)
    path = write_duckdb(tmp_path / f"o{len(list(tmp_path.iterdir()))}.duckdb", accs, cons)
    rows = []

    def deals(account_id, n, won, kind, closed=True, close="2025-06-01"):
        for i in range(n):
            rows.append(
                (f"{account_id}-{kind}-{len(rows)}", account_id, i < won, closed, kind, close)
            )

    deals("H1", 3, 1, "New Business")
    deals("H2", 3, 0, "New Business")
    deals("H1", 2, 1, "Renewal")
    deals("H2", 2, 0, "Renewal")
    deals("G1", 3, 2, "New Business")
    deals("G2", 3, 1, "New Business")
    deals("G1", 2, 2, "Renewal")
    deals("G2", 2, 2, "Renewal")
    deals("H1", 1, 1, "Upsell", closed=False)  # open: not counted
    deals("G1", 1, 0, "Upsell", close="2022-01-01")  # outside the window: not counted
    frame = pd.DataFrame(
        rows, columns=["opportunity_id", "account_id", "is_won", "is_closed", "type", "close_date"]
    ).assign(close_date=lambda d: pd.to_datetime(d["close_date"]).dt.date)
    db = duckdb.connect(str(path))
    db.register("o", frame)
    db.execute("CREATE TABLE salesforce__opportunity_enhanced AS SELECT * FROM o")
    db.close()
    return path


def test_outcomes_by_risk_with_intervals_checked_against_statsmodels(tmp_path):
    r = run(outcome_data(tmp_path), outcome_min_deals=5)
    assert r.metric("high_risk") == 2
    table = r.tables["outcome_comparison"].set_index(["comparison", "outcome"])
    win = table.loc[("high_risk", "win")]
    assert (win["flagged_deals"], win["flagged_won"], win["other_deals"], win["other_won"]) == (
        10,
        2,
        10,
        7,
    )
    low, high = proportion_confint(2, 10, method="wilson")
    assert (win["flagged_ci_low"], win["flagged_ci_high"]) == pytest.approx((low, high), abs=1e-12)
    d_low, d_high = confint_proportions_2indep(2, 10, 7, 10, method="newcomb", compare="diff")
    assert win["difference"] == pytest.approx(0.2 - 0.7)
    assert (win["difference_ci_low"], win["difference_ci_high"]) == pytest.approx(
        (d_low, d_high), abs=1e-12
    )
    assert d_high < 0 and win["verdict"] == "lower"
    renewal = table.loc[("high_risk", "renewal")]
    assert (renewal["flagged_deals"], renewal["flagged_won"]) == (4, 1)
    assert (renewal["other_deals"], renewal["other_won"]) == (4, 4)
    assert renewal["verdict"] == "too_few"  # 4 < 5 deals each side
    assert table.loc[("high_risk", "expansion"), "flagged_deals"] == 0  # the open Upsell
    assert table.loc[("high_risk", "expansion"), "other_deals"] == 0  # closed before the window
    assert r.metric("outcome_verdict") == "supports"
    assert r.metric("outcome_win_rate_difference_high") == pytest.approx(d_high)
    text = sentence(r, "cc.outcome_verdict")
    assert text.startswith("Does coverage go with outcomes? This data supports the risk model.")
    assert "high-risk key accounts won 20.0% against 70.0%" in text
    by_tier = r.tables["outcomes_by_tier"].set_index(["tier", "outcome"])
    assert by_tier.loc[("low", "win"), "rate"] == pytest.approx(0.7)
    # every window: the old Upsell counts too
    every = run(outcome_data(tmp_path), outcome_window_days=0).tables["outcome_comparison"]
    assert (
        every.set_index(["comparison", "outcome"]).loc[("high_risk", "expansion"), "other_deals"]
        == 1
    )


def test_outcomes_skipped_cleanly_without_opportunities(fx):
    assert fx.metric("outcome_status") == "no_opportunities"
    assert fx.tables["outcome_comparison"].empty
    assert sentence(fx, "cc.outcome_skipped") == (
        "Does coverage go with outcomes? Not checked: the data has no opportunity table."
    )


def test_proportion_intervals_match_statsmodels():
    for x1, n1, x2, n2 in ((0, 7, 4, 9), (10, 10, 0, 5), (50, 400, 80, 390), (1, 1, 0, 1)):
        assert wilson(x1, n1) == pytest.approx(proportion_confint(x1, n1, method="wilson"))
        expected = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        assert newcombe_diff(x1, n1, x2, n2)[1:] == pytest.approx(expected, abs=1e-12)


# ---- the seed-002 monitoring rules --------------------------------------------------------------


def seed_rules():
    from crmlens.monitor.rules import load_rules

    rules = {r.id: r for r in load_rules(None).rules}
    return rules


def evaluate_one(rule, current, series=None, cohort=None):
    from crmlens.monitor.changes import Changes
    from crmlens.monitor.rules import RuleSet, evaluate

    return evaluate(
        RuleSet(rules=[rule]),
        current,
        series or {},
        Changes(None, None),
        "r",
        "2026-04-01",
        {("contact_coverage", "decision_makers"): "count"},
        cohort,
    )


def test_default_rules_carry_the_seed_triggers():
    rules = seed_rules()
    assert rules["density_below_red_line_or_industry_q1"].metric == "density_alert_accounts"
    assert rules["coverage_below_3_finance_or_it_missing"].metric == "coverage_critical_accounts"
    assert rules["no_new_decision_makers_3_runs"].runs == 3
    kpi = rules["high_risk_back_above_red_lines_90_days"]
    assert (kpi.tier, kpi.flag, kpi.days, kpi.min_share) == ("high", "passes_red_lines", 90, 0.7)


def test_stalled_rule_needs_n_runs_without_increase():
    rule = seed_rules()["no_new_decision_makers_3_runs"]
    key = ("contact_coverage", "decision_makers")
    now = {"contact_coverage": {"decision_makers": 7}}
    # 7, 7, 7 then 7: three runs in a row brought no new decision maker → fires
    fired = evaluate_one(rule, now, {key: [7, 7, 7]})
    assert len(fired) == 1 and fired[0].previous == 7 and fired[0].count == 3
    assert "has not increased for 3 runs in a row" in fired[0].message["en"]
    assert evaluate_one(rule, now, {key: [8, 7, 7]})  # a fall is no new decision maker either
    assert not evaluate_one(rule, now, {key: [7, 7]})  # only 2 runs so far
    assert not evaluate_one(rule, now, {key: [7, 6, 7]})  # run 3 of 4 added one


def test_recovery_kpi_counts_a_vanished_account_as_not_recovered():
    rule = seed_rules()["high_risk_back_above_red_lines_90_days"]
    then = pd.DataFrame(
        {"entity_id": ["A", "B", "C", "D", "E"], "tier": ["high", "high", "high", "low", "high"]}
    )
    now = pd.DataFrame(
        {"entity_id": ["A", "B", "C", "D"], "passes_red_lines": [True, True, False, False]}
    )
    calls = []

    def cohort(analysis, days):
        calls.append((analysis, days))
        return then, now

    current = {"contact_coverage": {}}
    # high 90 days ago: A, B, C, E; now passing: A, B; E is gone → 2 of 4 = 50% < 70%
    (alert,) = evaluate_one(rule, current, cohort=cohort)
    assert calls == [("contact_coverage", 90)]
    assert alert.value == 0.5 and alert.count == 4 and alert.threshold == 0.7
    assert alert.message["en"] == (
        "Of the 4 accounts in the high tier 90 days ago, 50.0% now meet “passing every red"
        " line (employee count known)” (target 70.0%)."
    )
    now.loc[2, "passes_red_lines"] = True  # A, B, C: 75% ≥ 70%
    assert not evaluate_one(rule, current, cohort=cohort)
    assert not evaluate_one(rule, current, cohort=lambda a, d: None)  # no run 90 days ago


def test_recovery_kpi_in_the_monitor_after_90_days(tmp_path):
    from crmlens.monitor.service import monitor

    cfg = CrmlensConfig.model_validate(
        {
            "contact_coverage": {"key_account_share": 1.0},
            "monitor": {
                "history": str(tmp_path / "h.duckdb"),
                "alert_log": str(tmp_path / "a.jsonl"),
            },
        }
    )
    full = [("CEO", "Sales"), ("VP Finance", "Finance"), ("Manager", "Operations")]
    full += [("Manager", "IT"), ("Manager", "HR")]
    accs = [account("A", 100.0, 1000), account("B", 90.0, 200)]
    before = write_duckdb(tmp_path / "1.duckdb", accs, contacts_for("B", full))  # A: no contact
    after = write_duckdb(
        tmp_path / "2.duckdb", accs, contacts_for("B", full) + contacts_for("A", [("CEO", "HR")])
    )  # A still fails density (1 per 1,000) and coverage: not recovered → 0 of 1
    monitor(str(before), cfg, as_of=dt.date(2026, 1, 1), png=False)
    early = monitor(str(after), cfg, as_of=dt.date(2026, 3, 1), png=False)  # 59 days: waits
    assert "high_risk_back_above_red_lines_90_days" not in {a.rule_id for a in early.alerts}
    late = monitor(str(after), cfg, as_of=dt.date(2026, 4, 1), png=False)  # 90 days after run 1
    kpi = [a for a in late.alerts if a.rule_id == "high_risk_back_above_red_lines_90_days"]
    assert len(kpi) == 1 and kpi[0].value == 0.0 and kpi[0].count == 1
