"""Hand-built customer-360 fixture for investment_mismatch; expectations worked out by hand."""

import datetime as dt
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import Table2x2

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.sources import open_source

PRIO = [1, 2, 3, 4, 5, 6, 7, 8, 8, 8]
ADOPT = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.95, 0.1]
CAC = [100, 0, -5, 100, 200, 250, 500, 1000, 50, 400]
STAGE = ["Growth"] * 5 + ["Dormant"] * 5
INDUSTRY = ["Technology"] * 6 + ["Retail", "Retail", "Media", "Media"]


def value_row(email, prio, adopt, cac, stage, industry, ts, clv=1000.0):
    return {
        "primary_email": email,
        "analysis_timestamp": ts,
        "investment_priority_score": float(prio),
        "product_adoption_rate": adopt,
        "support_resolution_efficiency": 0.5,
        "customer_lifetime_value": clv,
        "acquisition_cost": float(cac),
        "lifecycle_stage": stage,
        "industry_vertical": industry,
        "company_size_tier": "Small",
        "customer_onboarding_score": 2.0 + 0.2 * prio,
        "team_size": 10,
        "decision_maker_level": "Manager",
    }


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    ts = pd.Timestamp("2026-06-01")
    rows = [
        value_row(f"c{i + 1}@x.io", PRIO[i], ADOPT[i], CAC[i], STAGE[i], INDUSTRY[i], ts)
        for i in range(10)
    ]
    rows.append(
        value_row("C1@X.IO", 9, 0.01, 100, "Growth", "Technology", ts - pd.Timedelta(days=30))
    )  # older duplicate
    rows.append(
        value_row("ghost@x.io", 5, 0.5, 100, "Growth", "Technology", ts)
    )  # no customer record
    value = pd.DataFrame(rows)
    customers = pd.DataFrame(
        {
            "customer360_id": [f"id{i:02d}" for i in range(1, 12)],
            "email": [f"c{i}@x.io" for i in range(1, 12)],
            "total_sales_amount": [100.0] * 11,
        }
    )
    path = tmp_path_factory.mktemp("mm") / "mm.duckdb"
    con = duckdb.connect(str(path))
    con.register("v", value)
    con.register("c", customers)
    con.execute("CREATE TABLE customer360__customer_value_analysis AS SELECT * FROM v")
    con.execute("CREATE TABLE customer360__customer AS SELECT * FROM c")
    con.close()
    return path


@pytest.fixture(scope="module")
def res(fixture_db):
    cfg = CrmlensConfig.model_validate({"investment_mismatch": {"min_group_size": 2}})
    return REGISTRY["investment_mismatch"].run(
        open_source(fixture_db), cfg, as_of=dt.date(2026, 1, 1)
    )


def test_join_and_data_quality(res):
    assert res.metric("value_rows") == 12
    assert res.metric("duplicates_removed") == 1  # C1@X.IO (older) loses to c1@x.io
    assert res.metric("unmatched") == 1  # ghost
    assert res.metric("customers_without_value") == 1  # id11
    assert res.metric("base_customers") == 10
    assert res.metric("roi_undefined") == 2 and res.metric("cac_nonpositive") == 2
    codes = {f.code for f in res.findings}
    assert {
        "dq.mm_duplicates",
        "dq.mm_unmatched",
        "dq.mm_customers_without_value",
        "dq.mm_cac_invalid",
    } <= codes


def test_cohorts_with_ties(res):
    # priority cume_dist ≥ 0.7: 7 (0.7) and the three 8s → 4;
    # bottom half by adoption: c10, c8, c7, c6, c5
    assert res.metric("top_priority") == 4 and res.metric("bottom_composite") == 5
    assert res.metric("mismatched") == 3  # c7, c8, c10
    assert res.metric("mismatch_rate_in_top") == pytest.approx(0.75)
    assert res.metric("priority_cutoff") == 7
    assert set(res.tables["mismatched"]["customer360_id"]) == {"id07", "id08", "id10"}


def test_composite_normalisation(res):
    # sales and support are constant → 0.5 each; adoption winsorised to [0.109, 0.9455] then min-max
    lo, hi = 0.1 + 0.09 * 0.1, 0.9 + 0.91 * 0.05
    bounds = res.tables["composite_bounds"].set_index("component")
    assert bounds.loc["adoption", "low"] == pytest.approx(lo) and bounds.loc[
        "adoption", "high"
    ] == pytest.approx(hi)
    expected_cut = (
        0.40 * 0.5 + 0.35 * (0.5 - lo) / (hi - lo) + 0.25 * 0.5
    )  # c5 (0.5) is the best of the bottom half
    assert res.metric("composite_cutoff") == pytest.approx(expected_cut)


def test_roi(res):
    # ROI = 1000 / CAC for CAC > 0: [10, -, -, 10, 5, 4, 2, 1, 20, 2.5];
    # winsorised at P1/P99 of the 8 values
    # sorted [1, 2, 2.5, 4, 5, 10, 10, 20] → P1 = 1.07, P99 = 19.3
    assert res.metric("roi_p1") == pytest.approx(1.07) and res.metric("roi_p99") == pytest.approx(
        19.3
    )
    assert res.metric("roi_median") == pytest.approx(4.5)
    assert res.metric("roi_mean_mismatched") == pytest.approx((2 + 1.07 + 2.5) / 3)
    assert res.metric("roi_share_above_1") == pytest.approx(1.0)
    assert res.metric("top_roi_below_alert") == 3  # c7 2.0, c8 1.07, c10 2.5


def test_stages(res):
    st = res.tables["stages"].set_index("lifecycle_stage")
    assert st.loc["Dormant", "customers"] == 5 and st.loc["Dormant", "mismatched"] == 3
    assert st.loc["Growth", "share_mismatched"] == 0


def test_relative_risk_group(res):
    g = res.tables["groups"].set_index("industry_vertical")
    # top cohort: Retail {c7, c8} both mismatched; Media {c9, c10} one mismatched
    t = Table2x2(np.array([[2, 0], [1, 1]]), shift_zeros=False)
    assert g.loc["Retail", "rr"] == pytest.approx(2.0) == pytest.approx(t.riskratio)
    assert g.loc["Retail", "mismatch_rate"] == 1.0
    assert math.isnan(g.loc["Retail", "gap_adoption"])  # no non-mismatched member to compare with
    assert g.loc["Media", "rr"] == pytest.approx(0.5)


def test_gap_decomposition(res):
    d = res.tables["gap_decomposition"].set_index("component")["share"]
    assert d["sales"] == pytest.approx(0) and d["support"] == pytest.approx(0)
    assert d["adoption"] == pytest.approx(1.0)  # only adoption differs


def test_too_few_rows_for_a_model(res):
    assert "model_cv_r2" not in res.metrics  # 10 customers: no model, no fake numbers
    codes = [r.code for r in res.recommendations]
    assert codes == [
        "rec.mm.onboarding_gate_pool",
        "rec.mm.component",
        "rec.mm.roi_alert",
        "rec.mm.monitor",
    ]  # no segment holds 100 top-priority customers: no example, no lifecycle gate


def test_action_plan_when_no_customer_needs_onboarding(res):
    plan = res.tables["action_plan"]
    # onboarding = 2 + 0.2·priority ≥ 3.4 for the mismatched c7, c8, c10 (gate 3.0 → none weak):
    # each gets a success plan (30 days) then a re-prioritisation (90 days), by priority 8, 8, 7;
    # the tie at 8 goes to the lower composite first: adoption 0.1 (c10) before 0.2 (c8)
    assert list(plan["customer360_id"]) == ["id10", "id10", "id08", "id08", "id07", "id07"]
    assert list(plan["milestone_days"]) == [30, 90] * 3
    assert set(plan["due_date"]) == {"2026-01-31", "2026-04-01"}
    # the detail is text like the other label columns, also when one action has no rows
    assert plan["detail"].dtype == plan["action"].dtype


def test_onboarding_buckets(res):
    b = res.tables["onboarding_buckets"].set_index("onboarding")
    # onboarding = 2 + 0.2·priority: 2.2 … 3.6 → <2.5: prio 1 (2.2), 2 (2.4);
    # 2.5–3.5: prio 3..7; ≥3.5: the 8s (3.6)
    assert (
        b.loc["<2.5", "customers"] == 2
        and b.loc["2.5–3.5", "customers"] == 5
        and b.loc["≥3.5", "customers"] == 3
    )


def test_mapping_identity_path(tmp_path):
    value = pd.DataFrame(
        [
            {
                **value_row(
                    f"nomatch{i}@y.io",
                    i % 10,
                    0.1 * (i % 10),
                    100,
                    "Growth",
                    "Media",
                    pd.Timestamp("2026-01-01"),
                ),
                "zendesk_user_id": 1000 + i,
            }
            for i in range(12)
        ]
    )
    mapping = pd.DataFrame(
        {
            "customer360_id": [f"id{i}" for i in range(12)],
            "zendesk_user_id": [1000 + i for i in range(12)],
            "is_organization_header": [True] * 12,
        }
    )
    customers = pd.DataFrame(
        {
            "customer360_id": [f"id{i}" for i in range(12)],
            "email": [f"other{i}@z.io" for i in range(12)],
            "total_sales_amount": [float(i) for i in range(12)],
        }
    )
    path = tmp_path / "map.duckdb"
    con = duckdb.connect(str(path))
    for name, df in (
        ("customer360__customer_value_analysis", value),
        ("customer360__customer", customers),
        ("customer360__mapping", mapping),
    ):
        con.register("x", df)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM x")
        con.unregister("x")
    con.close()
    by_email = CrmlensConfig()
    from crmlens.errors import AnalysisError

    with pytest.raises(AnalysisError):  # e-mails never match → too few rows
        REGISTRY["investment_mismatch"].run(open_source(path), by_email)
    by_map = CrmlensConfig.model_validate({"investment_mismatch": {"identity": "mapping"}})
    r = REGISTRY["investment_mismatch"].run(open_source(path), by_map)
    assert r.metric("matched") == 12 and r.metric("base_customers") == 12


def test_mapping_identity_results_do_not_depend_on_engine_row_order(tmp_path):
    """Several value rows mapped to one customer: the result is the same whatever order the
    rows come in (sorted by customer id, then e-mail)."""
    import datetime as dt

    import duckdb
    import pandas as pd

    from crmlens.analyses import REGISTRY
    from crmlens.config import CrmlensConfig
    from crmlens.sources import open_source

    rng = __import__("numpy").random.default_rng(3)
    n = 60
    value = pd.DataFrame(
        {
            "primary_email": [f"u{i}@x.com" for i in range(n)],
            "zendesk_user_id": [f"z{i // 2}" for i in range(n)],
            "investment_priority_score": rng.uniform(0, 100, n),
            "product_adoption_rate": rng.uniform(0, 1, n),
            "support_resolution_efficiency": rng.uniform(0, 1, n),
            "customer_lifetime_value": rng.uniform(1e3, 1e5, n),
            "acquisition_cost": rng.uniform(100, 5e3, n),
            "lifecycle_stage": rng.choice(["Onboarding", "Growth"], n),
            "industry_vertical": "Technology",
            "company_size_tier": "Enterprise",
            "customer_onboarding_score": rng.uniform(0, 100, n),
            "team_size": rng.integers(1, 50, n),
            "decision_maker_level": "Manager",
        }
    )
    customers = pd.DataFrame(
        {
            "customer360_id": [f"c{i}" for i in range(n // 2)],
            "email": [f"c{i}@corp.com" for i in range(n // 2)],
            "total_sales_amount": rng.uniform(1e3, 1e6, n // 2),
        }
    )
    mapping = pd.DataFrame(
        {
            "customer360_id": [f"c{i}" for i in range(n // 2)],
            "zendesk_user_id": [f"z{i}" for i in range(n // 2)],
            "is_organization_header": False,
        }
    )
    cfg = CrmlensConfig.model_validate(
        {"investment_mismatch": {"identity": "mapping", "min_group_size": 2}}
    )
    results = []
    for seed in (1, 2):
        path = tmp_path / f"m{seed}.duckdb"
        con = duckdb.connect(str(path))
        for name, df in (
            ("customer360__customer_value_analysis", value.sample(frac=1, random_state=seed)),
            ("customer360__customer", customers),
            ("customer360__mapping", mapping),
        ):
            con.register("df", df)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM df")
            con.unregister("df")
        con.close()
        r = REGISTRY["investment_mismatch"].run(open_source(path), cfg, as_of=dt.date(2026, 1, 5))
        results.append(({k: m.value for k, m in r.metrics.items()}, r.tables["action_plan"]))
    assert results[0][0] == results[1][0]
    pd.testing.assert_frame_equal(results[0][1], results[1][1])


# ---- issue 14: like for like, denominators, right comparison, root cause, join, KPIs ----------
# the fixture's top-priority pool: c7 (prio 7) and the 8s c8, c9, c10 — all Dormant; c7, c8 and
# c10 are mismatched, c9 (adoption 0.95) is the one matched top-priority customer


def test_identity_join_in_numbers(res):
    # 12 value rows, the older C1@X.IO dropped → 11 distinct e-mails; ghost@x.io has no customer
    assert res.metric("distinct_emails") == 11 and res.metric("matched") == 10
    assert res.metric("join_coverage") == pytest.approx(10 / 11)
    assert res.metric("value_rows_without_email") == 0
    join = next(f for f in res.findings if f.code == "mm.join")
    assert join.params["coverage"] == pytest.approx(10 / 11)


def test_stage_denominators_within_pool_and_population(res):
    st = res.tables["stages"].set_index("lifecycle_stage")
    dormant = st.loc["Dormant"]
    assert dormant["top_customers"] == 4 and dormant["mismatched"] == 3
    assert dormant["mismatch_rate_in_top"] == pytest.approx(3 / 4)  # within the pool
    assert dormant["share_mismatched"] == pytest.approx(3 / 5)  # of all 5 Dormant customers
    # ROI (winsorised to [1.07, 19.3]): mismatched c7 2.0, c8 1.07, c10 2.5; matched c9 19.3
    assert dormant["mean_roi_mismatched"] == pytest.approx((2 + 1.07 + 2.5) / 3)
    assert dormant["median_roi_mismatched"] == pytest.approx(2.0)
    assert dormant["mean_roi_top_matched"] == pytest.approx(19.3)
    assert st.loc["Growth", "top_customers"] == 0
    assert math.isnan(st.loc["Growth", "mismatch_rate_in_top"])  # no pool: no rate, not 0


def test_roi_against_matched_top_priority_and_cohort_distribution(res):
    assert res.metric("roi_mean_top_matched") == pytest.approx(19.3)
    assert res.metric("roi_median_top_matched") == pytest.approx(19.3)
    # raw cohort ROI [1, 2, 2.5]: P1 = 1 + 0.02·1, P99 = 2 + 0.98·0.5; 1.0 is not above 1
    assert res.metric("roi_mismatched_p1") == pytest.approx(1.02)
    assert res.metric("roi_mismatched_median_raw") == pytest.approx(2.0)
    assert res.metric("roi_mismatched_p99") == pytest.approx(2.49)
    assert res.metric("roi_mismatched_share_above_1") == pytest.approx(2 / 3)
    cut = res.tables["cutoffs"].set_index("cutoff")["value"]
    assert cut["cut.priority_cutoff"] == 7
    assert cut["cut.winsor_low_roi"] == pytest.approx(1.07)
    assert cut["cut.winsor_high_roi"] == pytest.approx(19.3)
    assert cut["cut.winsor_low_adoption"] == pytest.approx(0.109)


def test_behaviour_inside_the_pool_with_n_per_cell(res):
    means = res.tables["pool_means"].set_index("cohort")
    assert means.loc["mismatched", "customers"] == 3 and means.loc["top_matched", "customers"] == 1
    assert means.loc["mismatched", "mean_adoption"] == pytest.approx((0.3 + 0.2 + 0.1) / 3)
    assert means.loc["top_matched", "mean_adoption"] == pytest.approx(0.95)
    assert means.loc["all", "customers"] == 10  # context row
    assert res.metric("mean_adoption_mismatched") == pytest.approx(0.2)
    cells = res.tables["pool_onboarding_buckets"].set_index(["onboarding", "cohort"])
    # onboarding = 2 + 0.2·priority: c7 3.4 (2.5–3.5), c8, c9, c10 3.6 (≥3.5)
    assert cells.loc[("2.5–3.5", "mismatched"), "customers"] == 1
    assert cells.loc[("2.5–3.5", "top_matched"), "customers"] == 0
    assert cells.loc[("≥3.5", "mismatched"), "customers"] == 2
    assert cells.loc[("≥3.5", "top_matched"), "customers"] == 1
    assert cells.loc[("≥3.5", "mismatched"), "mismatch_rate_in_top"] == pytest.approx(2 / 3)
    assert cells.loc[("<2.5", "mismatched"), "customers"] == 0
    assert math.isnan(cells.loc[("<2.5", "mismatched"), "mismatch_rate_in_top"])


def test_root_cause_decomposition_in_raw_terms(res):
    rc = res.tables["group_root_cause"].set_index(["industry_vertical", "company_size_tier"])
    lo, hi = 0.109, 0.9455  # adoption winsorising bounds (see test_composite_normalisation)
    media = rc.loc[("Media", "Small")]  # c9 matched (0.95 → 1.0), c10 mismatched (0.1 → 0.0)
    assert media["adoption_mismatched"] == pytest.approx(0.1)
    assert media["adoption_top_matched"] == pytest.approx(0.95)
    assert media["gap_adoption"] == pytest.approx(1.0)
    assert media["contribution_adoption"] == pytest.approx(0.35)
    assert media["contribution_sales"] == 0 and media["contribution_support"] == 0
    assert media["delta_composite"] == pytest.approx(0.35) and media["driver"] == "adoption"
    pool = rc.loc[("all", "all")]
    norm = [(a - lo) / (hi - lo) for a in (0.3, 0.2, lo)]  # c7, c8, c10 (0.1 clipped to lo)
    assert pool["gap_adoption"] == pytest.approx(1.0 - sum(norm) / 3)
    # the contributions add up to the composite gap itself (the composite is their sum)
    d = res.tables["mismatched"]
    composite_gap = 0.4 * 0.5 + 0.35 * 1.0 + 0.25 * 0.5 - d["composite"].mean()
    assert pool["delta_composite"] == pytest.approx(composite_gap)
    assert math.isnan(rc.loc[("Retail", "Small"), "delta_composite"])  # all mismatched: no split


def test_every_recommendation_has_a_kpi_target_and_a_trigger(res):
    for rec in res.recommendations:
        assert {"kpi", "target", "trigger"} <= set(rec.target), rec.code
        assert {"metric", "op", "value"} <= set(rec.target["trigger"]), rec.code
    monitor = next(r for r in res.recommendations if r.code == "rec.mm.monitor")
    assert monitor.target["target"] == pytest.approx(0.75 * 0.7)  # convert 30% of 3 of 4
    assert monitor.params["target_count"] == 2  # round(3 · 0.7)


def test_examples_only_from_large_segments(fixture_db):
    def run(min_example_size):
        section = {"min_group_size": 2, "min_example_size": min_example_size}
        cfg = CrmlensConfig.model_validate({"investment_mismatch": section})
        r = REGISTRY["investment_mismatch"].run(open_source(fixture_db), cfg)
        return {x.code: x for x in r.recommendations}

    small = run(2)  # Retail/Small and Media/Small (2 top-priority customers each) qualify
    assert small["rec.mm.onboarding_gate"].params["n"] == 2
    large = run(3)  # no group that large: the gate is stated for the pool, without an example
    assert "rec.mm.onboarding_gate" not in large and "rec.mm.onboarding_gate_pool" in large
    assert "rec.mm.industry" not in large
    # Dormant holds the whole pool: its rate is the pool's, so no lifecycle gate either way
    assert "rec.mm.lifecycle_gate" not in large and "rec.mm.lifecycle_gate" not in small


def test_feature_association_hand_computed():
    from crmlens.analyses.investment_mismatch.behaviour import association

    y = pd.Series([1.0, 3.0, 5.0, 7.0])
    # categories a, a, b, b: group means 2 and 6 around 4 → SS_between 16, SS_total 20
    assert association(pd.Series(["a", "a", "b", "b"]), y) == pytest.approx(math.sqrt(0.8))
    assert association(pd.Series([4.0, 3.0, 2.0, 1.0]), y) == pytest.approx(1.0)  # |r|
    assert math.isnan(association(pd.Series(["a"] * 4), y))


@pytest.fixture(scope="module")
def gen_result(gen_db):
    return REGISTRY["investment_mismatch"].run(open_source(gen_db), CrmlensConfig())


def test_a_weak_model_is_a_pilot_never_the_first_action(gen_db, gen_result):
    weak = gen_result  # default weak_r2 0.2
    assert weak.metric("model_cv_r2") < 0.2 and weak.metric("model_evidence") == "weak"
    codes = [r.code for r in weak.recommendations]
    assert codes[0] != "rec.mm.pilot_model" and codes[-2:] == [
        "rec.mm.pilot_model",
        "rec.mm.monitor",
    ]
    assert "rec.mm.recalibrate" not in codes
    assert {f.code for f in weak.findings} >= {"mm.model_weak"}
    section = {"model": {"weak_r2": 0.0}}  # every R² counts as evidence: the re-weighting leads
    cfg = CrmlensConfig.model_validate({"investment_mismatch": section})
    strong = REGISTRY["investment_mismatch"].run(open_source(gen_db), cfg)
    assert strong.recommendations[0].code == "rec.mm.recalibrate"
    assert "mm.model" in {f.code for f in strong.findings}


def test_current_priority_bias_in_words(gen_result):
    r = gen_result
    bias = r.tables["feature_bias"].set_index("feature")
    # the generator scores priority independently of onboarding, which drives adoption
    onboarding = bias.loc["customer_onboarding_score"]
    assert onboarding["assoc_priority"] < 0.05 and onboarding["assoc_composite"] > 0.1
    assert onboarding["role"] == "bias.ignores_predictive"
    ignores = next(f for f in r.findings if f.code.startswith("mm.bias_ignores"))
    assert ignores.params["feature"] == "customer_onboarding_score"
    assert bias["proposed_weight"].sum() == pytest.approx(1.0)  # acquisition cost: not in model
