"""Account health score (issue #19): hand-computed fixtures for every formula, config errors, and
an independent pandas reference on two generated datasets."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

import crmlens
from crmlens.config import default_config
from crmlens.sources.memory import open_frames
from reference_health import health as reference_health
from reference_health import risk_matrix as reference_matrix

ACC = "salesforce__customer_360_view"


def _accounts(rows: list[tuple]) -> pd.DataFrame:
    cols = [
        "account_id",
        "days_since_last_activity",
        "total_activities_30d",
        "total_contacts",
        "contacts_with_email",
        "annual_revenue",
        "total_won_amount",
        "account_size_segment",
        "number_of_employees",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["account_name"] = "Account " + df["account_id"]
    df["industry_normalized"] = "Technology"
    df["company_size_category"] = "Enterprise"
    df["current_pipeline_amount"] = 0.0
    for c in cols[1:]:
        if c != "account_size_segment":
            df[c] = df[c].astype("float64")
    return df


# Hand-computed (see the comments): days min 0 max 20; activities max 10; revenue min 0 max 100;
# won max 200; employees min 0 max 100.
FIXTURE = [
    # id  days  acts contacts emails revenue won  size              employees
    ("A", 0, 10, 10, 10, 100, 200, "Enterprise", 100),  # 0.4+0.3+0.2+0.1 → 100, high
    ("B", 10, 5, 4, 2, 50, 0, "Large", 25),  # .4·.5+.3·.5+.2·.25+.1·(.56+.15) → 47.1, low
    ("C", 20, 0, 0, 0, 0, 0, "Small Business", 0),  # .1·.28 → 2.8, low (no contacts: 0)
    ("D", None, 10, 5, None, None, 100, "Mid-Market", None),  # .4·.5+0+.2·.25+.1·.42 → 29.2
    ("E", 20, 0, 2, 1, 100, 50, "Unknown", 100),  # 0+.3·.5+.2·.625+.1·.3 → 30.5
]
EXPECTED = {"A": 100.0, "B": 47.1, "C": 2.8, "D": 29.2, "E": 30.5}


def _run(df: pd.DataFrame, **section) -> crmlens.api.Results:
    cfg = default_config()
    if section:
        cfg = type(cfg).model_validate(
            {
                **cfg.model_dump(),
                "health_score": {**cfg.section("health_score").model_dump(), **section},
            }
        )
    return crmlens.run(open_frames({ACC: df}), ["health_score"], config=cfg, as_of="2026-01-05")


def _scores(result) -> dict[str, float]:
    acc = result["health_score"].tables["accounts"]
    return dict(zip(acc["account_id"], acc["health_score"]))


def test_preset_scores_match_the_hand_computation():
    r = _run(_accounts(FIXTURE))
    got = _scores(r)
    for k, v in EXPECTED.items():
        assert got[k] == pytest.approx(v, abs=1e-9), k
    acc = r["health_score"].tables["accounts"].set_index("account_id")
    assert acc.loc["A", "tier"] == "high"
    assert set(acc.loc[["B", "C", "D", "E"], "tier"]) == {"low"}
    # NULL inputs are flagged and never raise a score; zero contacts is a known value, not missing
    assert acc.loc["D", "has_missing_inputs"] and not acc.loc["C", "has_missing_inputs"]
    assert r["health_score"].metric("accounts_missing_inputs") == 1


def test_reasons_name_the_costliest_components():
    acc = _run(_accounts(FIXTURE))["health_score"].tables["accounts"].set_index("account_id")
    # B loses 20 points on activity (both halves at .5 → recency named) and 15 on contacts
    assert acc.loc["B", "reason_1"] == "inactive"
    assert acc.loc["B", "reason_2"] == "contacts_without_email"
    assert acc.loc["C", "reason_1"] == "inactive"  # 40 points lost, recency 0 ≤ activities 0
    assert acc.loc["C", "reason_2"] == "no_contacts"
    assert acc.loc["D", "reason_1"] == "contact_quality_missing"  # 30 lost, e-mails NULL
    assert acc.loc["D", "reason_2"] == "activity_missing"  # 20 lost, days NULL
    assert pd.isna(acc.loc["A", "reason_1"])  # nothing lost


def test_tier_boundaries_of_exactly_50_and_80():
    rows = [
        ("A", 0, 6, 1, 1, 1, 1, "Enterprise", 1),  # activity .5·1 + .5·.6 = .8 → 80 → high
        ("B", 10, 0, 1, 1, 1, 1, "Enterprise", 1),  # .5·.5 + 0 = .25 → 25 → low
        ("C", 0, 0, 1, 1, 1, 1, "Enterprise", 1),  # .5 → 50 → medium
        ("D", 20, 10, 1, 1, 1, 1, "Enterprise", 1),  # 0 + .5 = .5 → 50 → medium
    ]
    r = _run(_accounts(rows), weights={"activity": 1.0})
    acc = r["health_score"].tables["accounts"].set_index("account_id")
    assert acc["health_score"].to_dict() == pytest.approx({"A": 80, "B": 25, "C": 50, "D": 50})
    assert acc["tier"].to_dict() == {"A": "high", "B": "low", "C": "medium", "D": "medium"}


def test_min_max_with_ties_scores_zero_and_zero_max_is_zero():
    rows = [
        ("A", 5, 0, 1, 1, 7, 0, "Enterprise", 3),
        ("B", 5, 0, 1, 0, 7, 0, "Enterprise", 3),
    ]
    acc = _run(_accounts(rows))["health_score"].tables["accounts"].set_index("account_id")
    # activity: all days equal → 0; activities max 0 → 0; value: revenue tie → 0, won max 0 → 0;
    # scale .7 + .3·√0; contacts 1/1 and 0/1
    assert acc.loc["A", "health_score"] == pytest.approx(100 * (0.3 * 1 + 0.1 * 0.7))
    assert acc.loc["B", "health_score"] == pytest.approx(100 * (0.1 * 0.7))


def test_redistribute_spreads_a_missing_components_weight():
    r = _run(_accounts(FIXTURE), missing_inputs="redistribute")
    got = _scores(r)
    # D: activity (days NULL), contact (e-mails NULL), value (revenue NULL) and scale (employees
    # NULL) are all missing → nothing left to score: 0.  E, B unchanged (nothing missing).
    assert got["D"] == 0.0
    assert got["B"] == pytest.approx(47.1)
    rows = [*FIXTURE[:3], ("F", 10, 5, 4, 2, 50, 0, "Large", None)]  # B with employees NULL
    got = _scores(_run(_accounts(rows), missing_inputs="redistribute"))
    # F: scale missing → weights .4/.3/.2 rescaled to sum 1: (.2 + .15 + .05) / .9
    assert got["F"] == pytest.approx(100 * 0.4 / 0.9)


def test_an_absent_input_column_makes_its_component_unmeasurable():
    df = _accounts(FIXTURE).drop(columns=["total_contacts", "contacts_with_email"])
    r = _run(df)["health_score"]
    assert r.method["unmeasurable"] == ["contact_quality"]
    got = dict(zip(r.tables["accounts"]["account_id"], r.tables["accounts"]["health_score"]))
    # A: activity, value, scale all 1 → weights .4/.2/.1 rescaled to 1 → 100
    assert got["A"] == pytest.approx(100.0)
    # B: (.4·.5 + .2·.25 + .1·.71) / .7
    assert got["B"] == pytest.approx(100 * (0.2 + 0.05 + 0.071) / 0.7)
    assert r.metric("accounts_missing_inputs") == 1  # D still misses other inputs


@pytest.mark.parametrize(
    "section, fragment",
    [
        ({"weights": {"activity": 0.5, "value": 0.4}}, "sum to 1"),
        ({"weights": {"activity": 0.5, "mood": 0.5}}, "unknown component"),
        ({"preset": "nope"}, "unknown preset"),
        ({"profiles": {"weights": {"X": {"activity": 1.0}}}}, "profiles.column"),
    ],
)
def test_bad_weights_are_a_config_error(tmp_path, section, fragment):
    import subprocess
    import sys

    import yaml

    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"health_score": section}))
    db = tmp_path / "d.duckdb"
    con = duckdb.connect(str(db))
    con.register("df", _accounts(FIXTURE))
    con.execute(f'CREATE TABLE "{ACC}" AS SELECT * FROM df')
    con.close()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmlens.cli",
            "run",
            "health_score",
            "--source",
            str(db),
            "--config",
            str(cfg),
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert fragment in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_profiles_score_their_accounts_with_their_weights():
    df = _accounts(FIXTURE)
    df["account_type"] = ["Customer", "Onboarding", "Customer", "Customer", "Customer"]
    r = _run(
        df,
        profiles={"column": "account_type", "weights": {"Onboarding": {"contact_quality": 1.0}}},
    )
    got = _scores(r)
    assert got["B"] == pytest.approx(50.0)  # 2 of 4 contacts with e-mail
    assert got["A"] == pytest.approx(100.0)


def test_risk_matrix_levels_and_order():
    rows = []
    specs = {  # (industry, size): (accounts, low)
        ("Energy", "Enterprise"): (10, 7),  # 70% → high
        ("Retail", "Enterprise"): (10, 4),  # 40% → elevated
        ("Media", "Enterprise"): (5, 1),  # 20% → watch
        ("Tech", "Enterprise"): (10, 1),  # 10% → stable
        ("Bank", "Enterprise"): (20, 15),  # 75% → high, more low-health → first
    }
    i = 0
    for (industry, size), (n, low) in specs.items():
        for k in range(n):
            healthy = k >= low
            rows.append(
                {
                    "account_id": f"a{i:03d}",
                    "account_name": f"A{i}",
                    "industry_normalized": industry,
                    "company_size_category": size,
                    "days_since_last_activity": 0.0 if healthy else 30.0,
                    "total_activities_30d": 10.0 if healthy else 0.0,
                    "total_contacts": 1.0,
                    "contacts_with_email": 1.0 if healthy else 0.0,
                    "annual_revenue": 10.0 if healthy else 0.0,
                    "total_won_amount": 10.0,
                    "account_size_segment": "Enterprise",
                    "number_of_employees": 10.0,
                    "current_pipeline_amount": 0.0,
                }
            )
            i += 1
    r = _run(pd.DataFrame(rows))["health_score"]
    m = r.tables["risk_matrix"]
    assert list(m["industry_normalized"]) == ["Bank", "Energy", "Retail", "Media", "Tech"]
    assert list(m["level"]) == ["high", "high", "elevated", "watch", "stable"]
    assert list(m["low_health"]) == [15, 7, 4, 1, 1]
    assert r.metric("high_level_cells") == 2


def test_outlook_formula_and_quartiles():
    df = _accounts(FIXTURE)
    df["current_pipeline_amount"] = [1000.0, None, 500.0, 0.0, 100.0]
    r = _run(df)["health_score"]
    got = r.tables["accounts"].set_index("account_id")["outlook"].to_dict()
    # (0.4·won + 0.6·pipeline) × score/100; a NULL pipeline counts 0
    assert got["A"] == pytest.approx((0.4 * 200 + 0.6 * 1000) * 1.0)
    assert got["B"] == pytest.approx(0.0)
    assert got["C"] == pytest.approx(0.6 * 500 * 0.028)
    assert got["D"] == pytest.approx(0.4 * 100 * 0.292)
    assert got["E"] == pytest.approx((0.4 * 50 + 0.6 * 100) * 0.305)
    total = sum(got.values())
    assert r.metric("outlook_total") == pytest.approx(total)
    q = r.tables["outlook_by_quartile"]
    # 5 accounts ranked A, E, C, D, B: rank·4//5 → quarters Q4 (A, E), Q3 (C), Q2 (D), Q1 (B)
    assert list(q["accounts"]) == [2, 1, 1, 1]
    assert q["outlook_share"].iloc[0] == pytest.approx((got["A"] + got["E"]) / total)


def test_variance_shares_add_up_to_one():
    r = _run(_accounts(FIXTURE))["health_score"]
    shares = r.tables["variance_shares"]["variance_share"]
    assert shares.sum() == pytest.approx(1.0)


def test_plan_rows_follow_the_playbooks():
    r = _run(_accounts(FIXTURE))["health_score"]
    plan = r.tables["action_plan"]
    low = {"B", "C", "D", "E"}
    assert set(plan.loc[plan["action"] == "action.health_recovery_call", "account_id"]) == low
    assert (plan["due_date"][plan["action"] == "action.health_recovery_call"] == "2026-01-12").all()
    # A is healthy and alone in the top outlook quarter → expansion
    assert list(plan.loc[plan["action"] == "action.health_expansion", "account_id"]) == ["A"]
    # low tier first, larger outlook first within it
    ranks = plan.drop_duplicates("account_id").set_index("account_id")["priority_rank"]
    assert ranks["A"] == ranks.max()


@pytest.mark.parametrize("fixture", ["gen_db", "gen_db_other"])
def test_matches_the_independent_reference_on_generated_data(fixture, request):
    path = request.getfixturevalue(fixture)
    acc = duckdb.connect(str(path), read_only=True).execute(f'SELECT * FROM "{ACC}"').df()
    ref = reference_health(acc)
    r = crmlens.run(str(path), ["health_score"], as_of="2026-01-05")["health_score"]
    got = r.tables["accounts"].set_index("account_id")
    ref = ref.set_index("account_id").loc[got.index]
    s = got["health_score"]
    assert s.min() == pytest.approx(ref["score"].min())
    assert s.max() == pytest.approx(ref["score"].max())
    assert r.metric("mean_score") == pytest.approx(ref["score"].mean())
    assert r.metric("median_score") == pytest.approx(ref["score"].median())
    np.testing.assert_allclose(s.to_numpy(), ref["score"].to_numpy(), atol=1e-9)
    counts = ref["tier"].value_counts()
    for tier in ("high", "medium", "low"):
        assert r.metric(f"{tier}_health") == int(counts.get(tier, 0))
    assert r.metric("outlook_total") == pytest.approx(ref["outlook"].sum())
    m = r.tables["risk_matrix"].set_index(["industry_normalized", "company_size_category"])
    rm = reference_matrix(ref.reset_index()).set_index(
        ["industry_normalized", "company_size_category"]
    )
    rm = rm.loc[m.index]
    assert list(m["low_health"]) == list(rm["low_health"])
    assert list(m["level"]) == list(rm["level"])
    assert not math.isnan(r.metric("mean_score"))


# ---- preset engagement_v2 and the back-test ---------------------------------------------------

CASE = "salesforce__case"
NPS = "survey__nps_response"
OPP = "salesforce__opportunity_enhanced"


# a deal closing on the as-of date (no account, so no revenue): the data ends there — windows end
# at the last closed deal, not at today's date
END_MARKER = ("end", None, 0.0, "2026-01-05")


def _v2_frames():
    acc = _accounts(
        [(k, 0, 0, 1, 1, 1, 1, "Enterprise", 1) for k in ("A", "B", "C", "D")]
    )  # activity 0 for all (ties), contact quality 1 for all
    cases = [
        ("c1", "A", "2025-12-01", "Complaint"),
        ("c2", "A", "2025-11-01", "Question"),
        ("c3", "A", "2025-01-01", "Problem"),  # outside the 180-day window
        *[(f"k{i}", "C", "2025-10-01", "Problem") for i in range(7)],
    ]
    nps = [
        ("n1", "A", "2025-06-01", 9),
        ("n2", "A", "2025-09-01", 7),
        ("n3", "C", "2025-09-01", 11),  # invalid: not counted
        ("n4", "C", "2025-10-01", 4),
        ("n5", "B", "2024-06-01", 10),  # outside the 365-day window
    ]
    opps = [
        END_MARKER,
        ("o1", "A", 100.0, "2025-06-01"),
        ("o2", "A", 100.0, "2024-06-01"),
        ("o3", "B", 50.0, "2025-06-01"),
        ("o4", "C", 80.0, "2024-06-01"),
    ]
    return {ACC: acc, CASE: _case_frame(cases), NPS: _nps_frame(nps), OPP: _opp_frame(opps)}


def _case_frame(cases) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"case_id": c, "account_id": a, "created_date": pd.Timestamp(d), "type": t}
            for c, a, d, t in cases
        ]
    )


def _nps_frame(nps) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"response_id": r, "account_id": a, "response_date": pd.Timestamp(d), "score": s}
            for r, a, d, s in nps
        ]
    )


def _opp_frame(opps) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "opportunity_id": o,
                "account_id": a,
                "amount": x,
                "is_won": True,
                "is_closed": True,
                "close_date": pd.Timestamp(d),
            }
            for o, a, x, d in opps
        ]
    )


def _run_frames(frames, **section):
    cfg = default_config()
    data = cfg.model_dump()
    data["health_score"] = {**cfg.section("health_score").model_dump(), **section}
    cfg = type(cfg).model_validate(data)
    return crmlens.run(open_frames(frames), ["health_score"], config=cfg, as_of="2026-01-05")


def test_engagement_v2_preset_scores_match_the_hand_computation():
    r = _run_frames(_v2_frames(), preset="engagement_v2")["health_score"]
    acc = r.tables["accounts"].set_index("account_id")
    # weights activity .25, contacts .15, support .20, NPS .15, trend .25; activity 0, contacts 1
    # A: support 1 − (2 + 1 complaint)/6 = .5; NPS (9+7)/2/10 = .8; trend .5·100/100 = .5
    # B: no case → 1; no NPS in the window → 0 (flagged); only recent revenue → 1
    # C: 7 cases → 0; NPS 4 (11 is invalid) → .4; revenue only before → 0
    # D: no case → 1; no NPS → 0; no revenue at all → 0
    expected = {
        "A": 100 * (0.15 + 0.2 * 0.5 + 0.15 * 0.8 + 0.25 * 0.5),
        "B": 100 * (0.15 + 0.2 + 0.25),
        "C": 100 * (0.15 + 0.15 * 0.4),
        "D": 100 * (0.15 + 0.2),
    }
    assert acc["health_score"].to_dict() == pytest.approx(expected)
    assert bool(acc.loc["B", "has_missing_inputs"]) and not bool(acc.loc["A", "has_missing_inputs"])
    # C loses 25 points on activity and 25 on the trend (a tie: component order), 20 on support
    assert [acc.loc["C", "reason_1"], acc.loc["C", "reason_2"]] == ["inactive", "revenue_down"]


def test_engagement_v2_without_nps_table_reports_it_unmeasurable():
    frames = _v2_frames()
    del frames[NPS]
    r = _run_frames(frames, preset="engagement_v2")["health_score"]
    assert r.method["unmeasurable"] == ["nps"]
    acc = r.tables["accounts"].set_index("account_id")
    # NPS's .15 spread over the other four (.85): A = (.15 + .1 + .125) / .85
    assert acc.loc["A", "health_score"] == pytest.approx(100 * 0.375 / 0.85)


def test_auc_and_its_interval_match_a_hand_computation():
    from crmlens.analyses.health_score.backtest import auc_with_ci

    score = np.array([10.0, 50.0, 30.0, 50.0])
    churn = np.array([True, True, False, False])
    auc, lo, hi = auc_with_ci(score, churn)
    # pairs (churned, retained): 10<30 ✓, 10<50 ✓, 50>30 ✗, 50=50 ½ → 2.5 / 4
    assert auc == pytest.approx(0.625)
    q1, q2 = 0.625 / 1.375, 2 * 0.625**2 / 1.625
    var = (0.625 * 0.375 + (q1 - 0.625**2) + (q2 - 0.625**2)) / 4
    assert lo == pytest.approx(max(0.0, 0.625 - 1.959964 * math.sqrt(var)), abs=1e-5)
    assert hi == pytest.approx(min(1.0, 0.625 + 1.959964 * math.sqrt(var)), abs=1e-5)


def test_backtest_low_scores_precede_churn():
    n = 25
    ids = [f"g{i:02d}" for i in range(n)] + [f"b{i:02d}" for i in range(n)]
    acc = _accounts([(k, 0, 0, 1, 1, 1, 1, "Enterprise", 1) for k in ids])
    opps, cases = [], []
    opps.append(END_MARKER)
    for k in ids:  # every customer bought in both years before the cutoff (2025-01-05)
        opps += [(f"{k}-1", k, 100.0, "2023-06-01"), (f"{k}-2", k, 100.0, "2024-06-01")]
        if k.startswith("g"):
            opps.append((f"{k}-3", k, 100.0, "2025-06-01"))  # retained
        else:
            cases += [(f"{k}-c{j}", k, "2024-11-01", "Complaint") for j in range(4)]  # churns
    frames = {ACC: acc, CASE: _case_frame(cases), OPP: _opp_frame(opps)}
    r = _run_frames(frames, preset="engagement_v2")["health_score"]
    assert r.metric("backtest_customers") == 2 * n
    assert r.metric("backtest_churned") == n
    assert r.metric("backtest_auc") == pytest.approx(1.0)
    assert "hs.backtest" in {f.code for f in r.findings}
    by_tier = r.tables["backtest_by_tier"].set_index("tier")
    # support .20 and trend .25 rescaled to 1: retained .2/.45·1 + .25/.45·.5 → 72.2 (medium);
    # churners support 1 − min(1, 4·2/6) = 0 → 27.8 (low)
    assert by_tier.loc["low", "churned"] == n and by_tier.loc["medium", "churned"] == 0
    assert by_tier.loc["low", "lift"] == pytest.approx(2.0)


def _churn_frames(n: int) -> dict:
    """``n`` retained customers and ``n`` churners (four complaints before the cutoff
    2025-01-05), each with one purchase in the year before the cutoff and none in the year before
    that (trend 1 at the cutoff)."""
    ids = [f"g{i:02d}" for i in range(n)] + [f"b{i:02d}" for i in range(n)]
    acc = _accounts([(k, 0, 0, 1, 1, 1, 1, "Enterprise", 1) for k in ids])
    opps, cases = [END_MARKER], []
    for k in ids:
        opps.append((f"{k}-1", k, 100.0, "2024-06-01"))
        if k.startswith("g"):
            opps.append((f"{k}-2", k, 100.0, "2025-06-01"))  # retained
        else:
            cases += [(f"{k}-c{j}", k, "2024-11-01", "Complaint") for j in range(4)]  # churns
    return {ACC: acc, CASE: _case_frame(cases), OPP: _opp_frame(opps)}


# NPS answers kept only from June 2025: at the cutoff (2025-01-05) there is no NPS to score on
NPS_AFTER_CUTOFF = [("n1", "g00", "2025-06-01", 9), ("n2", "b00", "2025-07-01", 3)]


@pytest.mark.parametrize("nps", [None, NPS_AFTER_CUTOFF], ids=["no_nps_table", "nps_after_cut"])
def test_backtest_drops_a_component_without_data_at_the_cutoff(nps):
    n = 25
    frames = _churn_frames(n)
    if nps is not None:
        frames[NPS] = _nps_frame(nps)
    r = _run_frames(frames, preset="engagement_v2")["health_score"]
    # NPS's .15 dropped, support .20 and trend .25 rescaled to 1 (as the score spreads it):
    # retained 1·.2/.45 + 1·.25/.45 = 100 (high); churners 0 + .25/.45 → 55.6 (medium).
    # Kept at weight .15 with a 0 sub-score it would give 75 (medium) and 41.7 (low).
    by_tier = r.tables["backtest_by_tier"].set_index("tier")
    assert by_tier.loc["high", "customers"] == n and by_tier.loc["high", "churned"] == 0
    assert by_tier.loc["medium", "customers"] == n and by_tier.loc["medium", "churned"] == n
    assert by_tier.loc["low", "customers"] == 0
    finding = {f.code: f.params for f in r.findings}["hs.backtest"]
    assert finding["components"] == ["revenue_trend", "support_load"]
    assert r.method["backtest"]["dropped"] == ["nps"]
    from crmlens.analyses.health_score.views import method_notes

    notes = [x for block in method_notes(r, "en") for x in block.items]
    assert any(x.startswith("Back-test: ") and "2025-01-05" in x and "spread" in x for x in notes)
    assert any("2025-01-05" in x for x in (y for b in method_notes(r, "zh") for y in b.items))


def test_backtest_without_any_dated_data_at_the_cutoff_says_so():
    frames = _churn_frames(3)
    frames[NPS] = _nps_frame(NPS_AFTER_CUTOFF)
    r = _run_frames(frames, weights={"activity": 0.5, "nps": 0.5})["health_score"]
    params = {f.code: f.params for f in r.findings}["hs.backtest_no_dated_data"]
    assert params == {"cutoff": "2025-01-05", "components": ["nps"]}
    assert r.metric("backtest_auc") is None


def test_a_dated_table_with_nothing_up_to_the_data_end_is_unmeasurable():
    frames = _v2_frames()
    # every case is dated after the data's end (2026-01-05): no account has a known 0 cases
    frames[CASE] = _case_frame([("c1", "A", "2026-03-01", "Complaint")])
    r = _run_frames(frames, preset="engagement_v2")["health_score"]
    assert r.method["unmeasurable"] == ["support_load"]
    acc = r.tables["accounts"].set_index("account_id")
    # support's .20 spread over the other four (.80): B = (.15 + .25) / .8
    assert acc.loc["B", "health_score"] == pytest.approx(100 * 0.4 / 0.8)


def test_preset_one_says_it_cannot_be_backtested():
    r = _run(_accounts(FIXTURE))["health_score"]
    assert "hs.backtest_no_dated_components" in {f.code for f in r.findings}


def test_dated_windows_end_at_the_last_closed_deal():
    frames = _v2_frames()
    cfg = default_config()
    data = cfg.model_dump()
    data["health_score"] = {**cfg.section("health_score").model_dump(), "preset": "engagement_v2"}
    cfg = type(cfg).model_validate(data)
    runs = [
        crmlens.run(open_frames(frames), ["health_score"], config=cfg, as_of=day)["health_score"]
        for day in ("2026-01-05", "2030-06-30")  # the data ends 2026-01-05 either way
    ]
    assert runs[1].method["window_end"] == "2026-01-05"
    a, b = (r.tables["accounts"].set_index("account_id")["health_score"] for r in runs)
    pd.testing.assert_series_equal(a, b)


def test_worsened_event_fires_on_a_drop_of_one_tier_only():
    from crmlens.analyses import REGISTRY
    from crmlens.monitor.changes import event_mask

    model = REGISTRY["health_score"].entity
    j = pd.DataFrame(
        {
            "tier_before": ["high", "medium", "low", "high", None],
            "tier_now": ["medium", "low", "medium", "high", "low"],
        }
    )
    assert list(event_mask(j, model, "worsened", None)) == [True, True, False, False, False]
    assert "worsened" in model.all_events
