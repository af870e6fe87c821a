"""Hand-computed fixtures for every step of contact_coverage.

Expected values are worked out by hand in the comments, never pasted from the code's output.
"""

import datetime as dt
import math

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.analyses.contact_coverage.expressions import key_account_count
from crmlens.sources import open_source
from helpers import account, contacts_for, write_duckdb

AS_OF = dt.date(2026, 1, 1)


def run(path, **cc):
    cfg = CrmlensConfig.model_validate({"contact_coverage": cc})
    return REGISTRY["contact_coverage"].run(open_source(path), cfg, as_of=AS_OF)


# ---- step 1: key accounts, ties, NULL revenue ------------------------------------------------


def test_key_account_count_rounds_up_without_float_noise():
    assert key_account_count(5, 0.2) == 1  # 5 × 0.2 = 1.0000000000000002 in binary floats
    assert key_account_count(11, 0.2) == 3  # 2.2 → 3
    assert key_account_count(10, 0.2) == 2
    assert key_account_count(1, 0.2) == 1


def test_ties_at_the_cut_and_null_revenue(tmp_path):
    accs = [
        account("A1", 100.0, 1000),
        account("A2", 90.0, 1000),
        account("A3", 90.0, 1000),
        account("A4", 80.0, 1000),
        account("A5", None, 1000),
        account("A6", 10.0, 1000),
    ]
    r = run(write_duckdb(tmp_path / "t.duckdb", accs, []), key_account_share=0.4)
    # 5 accounts with revenue × 0.4 = 2 key accounts: A1, then A2 (ties with A3 at 90;
    # A2 < A3 by id)
    assert r.metric("key_accounts") == 2
    assert list(r.tables["key_accounts"].sort_values("revenue_rank")["account_id"]) == ["A1", "A2"]
    assert r.metric("revenue_threshold") == 90.0
    assert r.metric("tied_excluded") == 1  # A3
    assert r.metric("accounts_revenue_null") == 1
    assert r.metric("accounts_revenue_known") == 5
    # A5 has no contacts, 1000 employees → density 0 (low), ratio 0 (low)
    # → flag score 0.8 + 0.2 → high risk
    assert r.metric("revenue_null_high_risk") == 1
    assert any(f.code == "cc.ties_at_cut" for f in r.findings)


# ---- step 2-5 on a fixture where every account is a key account -------------------------------


def fixture_accounts():
    accs = [
        account("K1", 600.0, 1000, "Financial Services", "Enterprise"),
        account("K2", 500.0, None, "Technology", "Small Business"),
        account("K3", 400.0, 0, "Technology", "Small Business"),
        account("K4", 300.0, -5, "Technology", "Small Business"),
        account("K5", 200.0, 2000, "Retail", "Mid-Market"),
        account("K6", 100.0, 10000, "Technology", "Enterprise"),
        account("N1", None, 50, "Agriculture", "Small Business"),  # industry with no key account
    ]
    cons = (
        contacts_for(
            "K1",
            [
                ("CEO", "Finance"),
                ("VP Sales", "Sales"),
                ("Director", "Operations"),
                ("Executive Assistant to the CEO", "HR"),
                ("Inspector", "IT"),
                ("Manager", None),
                ("CFO", "Finance", True),
            ],
        )
        + contacts_for("K2", [("Director", "Sales"), ("Chief Engineer", "Engineering")])
        + contacts_for("K4", [("CEO", "Sales", True), ("CFO", "Finance", True)])
        + contacts_for(
            "K5", [("首席执行官", "财务部"), ("副总裁", "人力资源部"), ("销售经理", "销售部")]
        )
        + contacts_for("K6", [("Manager", "Sales")])
        + contacts_for("GHOST", [("CEO", "Sales")])  # orphan
    )
    return accs, cons


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    accs, cons = fixture_accounts()
    path = write_duckdb(tmp_path_factory.mktemp("fx") / "fx.duckdb", accs, cons)
    return run(path, key_account_share=1.0)


def row(r, account_id):
    df = r.tables["key_accounts"]
    return df[df["account_id"] == account_id].iloc[0]


def test_per_account_metrics(fx):
    k1 = row(fx, "K1")
    # deleted CFO ignored: 6 live contacts; CEO + VP Sales are decision makers; traps are not
    assert k1["n_contacts"] == 6 and k1["n_decision"] == 2
    assert k1["density"] == pytest.approx(6.0)  # 6 / 1000 × 1000
    assert k1["decision_ratio"] == pytest.approx(2 / 6)
    assert k1["coverage"] == 5 and list(k1["missing_departments"]) == []
    assert k1["n_dept_unknown"] == 1

    k2 = row(fx, "K2")  # employees NULL → density NULL, no division error
    assert math.isnan(k2["density"]) and not k2["employees_known"]
    assert k2["decision_ratio"] == 0 and k2["coverage"] == 2  # Sales + IT (Engineering)

    k3 = row(fx, "K3")  # employees 0, no contacts at all
    assert math.isnan(k3["density"]) and k3["n_contacts"] == 0 and k3["decision_ratio"] == 0

    k4 = row(fx, "K4")  # negative employees, every contact deleted
    assert math.isnan(k4["density"]) and k4["n_contacts"] == 0 and k4["coverage"] == 0

    k5 = row(fx, "K5")  # Chinese titles and departments
    assert k5["n_decision"] == 2 and k5["density"] == pytest.approx(1.5)
    assert sorted(k5["missing_departments"]) == ["IT", "Operations"]
    assert list(k5["missing_must_have"]) == ["Operations"]  # Retail needs Operations + HR


def test_flags_scores_and_tiers(fx):
    # K1 passes everything → 0; K2: decision 0.4 + coverage 2<3 0.2 = 0.6; K3: 0.4 + 0.2 = 0.6;
    # K4: same 0.6; K5: density 1.5<5 0.4 + coverage 3<4 0.2 = 0.6; K6: 0.4 + 0.4 + 0.2 = 1.0
    expected = {"K1": 0.0, "K2": 0.6, "K3": 0.6, "K4": 0.6, "K5": 0.6, "K6": 1.0}
    for k, v in expected.items():
        assert row(fx, k)["risk_score"] == pytest.approx(v), k
    assert (
        fx.metric("high_risk") == 1 and fx.metric("medium_risk") == 1 and fx.metric("low_risk") == 1
    )
    # K2-K4 have no usable employee count: with density failing they would be high (1.0) → data gap
    assert fx.metric("data_gap") == 3 and {row(fx, k)["tier"] for k in ("K2", "K3", "K4")} == {
        "data_gap"
    }
    assert row(fx, "K1")["risk_class"] == "none"
    assert row(fx, "K6")["risk_class"] == "strong"
    # gap score K6: density (5-0.1)/5 = 0.98, decision 1, coverage (5-1)/5 = 0.8
    # → 0.4·0.98 + 0.4 + 0.2·0.8
    assert row(fx, "K6")["gap_score"] == pytest.approx(0.4 * 0.98 + 0.4 * 1 + 0.2 * 0.8)
    # unknown density is not counted as failing; pass rate counts only known densities (K1, K5, K6)
    assert fx.metric("fail_density_red_line") == 2
    assert fx.metric("density_pass_rate") == pytest.approx(1 / 3)
    assert fx.metric("decision_pass_rate") == pytest.approx(2 / 6)  # K1 and K5


def test_workload(fx):
    """The joint plan: T new contacts, x of them executives, so that the ratio holds after the
    expansion — one number per account, used by every output."""
    k5, k6, k3, k2 = row(fx, "K5"), row(fx, "K6"), row(fx, "K3"), row(fx, "K2")
    assert k5["density_need"] == 7  # ceil(5 × 2000 / 1000) − 3
    # K5: n 3, d 2; T 7 → (2 + x) / 10 ≥ 15% holds with x = 0
    assert k5["contacts_to_add"] == 7 and k5["executives_to_add"] == 0
    assert k6["density_need"] == 49  # ceil(5 × 10000 / 1000) − 1
    # K6: n 1, d 0, T 49 → x = ceil(0.15 × 50 − 0) = 8 (alone, 1 executive would do: 1/2)
    assert k6["contacts_to_add"] == 49 and k6["executives_to_add"] == 8
    assert k6["other_contacts_to_add"] == 41
    assert k3["contacts_to_add"] == 1 and k3["executives_to_add"] == 1  # no contacts: 1 exec
    # K2: no employee count → density need unknown; T = the executives alone: (0 + 1) / 3 ≥ 15%
    assert str(k2["density_need"]) == "<NA>"
    assert k2["contacts_to_add"] == 1 and k2["executives_to_add"] == 1
    assert fx.metric("workload_uncomputable") == 3  # K2, K3, K4
    # totals: T = K2 1 + K3 1 + K4 1 + K5 7 + K6 49 = 59; x = 1 + 1 + 1 + 0 + 8 = 11
    assert fx.metric("contacts_to_add") == 59 and fx.metric("executives_to_add") == 11
    assert fx.metric("other_contacts_to_add") == 48
    assert fx.metric("plan_accounts") == 5  # every account but K1
    assert fx.metric("plan_contacts_per_account") == pytest.approx(59 / 5)
    assert fx.metric("plan_executives_per_account") == pytest.approx(11 / 5)
    # K5 (Mid-Market baseline 4, has 3, must-have Operations missing) → add Operations only
    assert list(k5["departments_to_add"]) == ["Operations"]
    # K6 (Enterprise, has Sales) needs all four others
    assert list(k6["departments_to_add"]) == ["Finance", "Operations", "IT", "HR"]


def test_priority_order_and_revenue_weight(fx):
    df = fx.tables["key_accounts"]
    order = list(df.sort_values("priority_rank")["account_id"])
    # risk ↓ (K6 1.0), then the 0.6 group by revenue ↓ (K2 500, K3 400, K4 300, K5 200), then K1
    assert order == ["K6", "K2", "K3", "K4", "K5", "K1"]
    # revenue weight: 6 key accounts; highest revenue K1 → 2.0, lowest K6 → 1.0, linear between
    assert row(fx, "K1")["revenue_weight"] == pytest.approx(2.0)
    assert row(fx, "K6")["revenue_weight"] == pytest.approx(1.0)
    assert row(fx, "K3")["revenue_weight"] == pytest.approx(1 + 3 / 5)
    assert row(fx, "K6")["priority_score"] == pytest.approx(1.0)
    assert row(fx, "K6")["queue"] == "account_executive"


def test_action_plan(fx):
    plan = fx.tables["action_plan"]
    k6 = plan[plan["account_id"] == "K6"].set_index("action")
    assert k6.loc["action.add_executives", "quantity"] == 8
    assert k6.loc["action.add_contacts", "quantity"] == 41  # 49 new contacts, 8 of them executives
    assert k6.loc["action.add_departments", "quantity"] == 4
    assert "CFO / VP Finance / Controller / FP&A Lead" in k6.loc["action.add_departments", "detail"]
    assert k6.loc["action.add_executives", "due_date"] == "2026-01-31"  # T+30 from 2026-01-01
    assert k6.loc["action.review_targets", "due_date"] == "2026-04-01"  # T+90
    k2 = plan[plan["account_id"] == "K2"]
    assert "action.fix_employee_count" in set(k2["action"])
    assert (
        k2[k2["action"] == "action.fix_employee_count"]["due_date"] == "2026-01-08"
    ).all()  # T+7
    assert not (plan["account_id"] == "K1").any() or set(
        plan[plan["account_id"] == "K1"]["action"]
    ) <= {"action.classify_contacts"}


def test_data_quality_counts(fx):
    assert fx.metric("contacts_orphan") == 1
    assert fx.metric("contacts_deleted") == 3
    assert fx.metric("key_zero_contacts") == 2  # K3, K4
    assert fx.metric("key_employees_unknown") == 3
    assert fx.metric("contacts_title_unrecognised") == 0


def test_industry_without_key_accounts_is_listed(fx):
    bi = fx.tables["by_industry"].set_index("industry_normalized")
    assert bi.loc["Agriculture", "key_accounts"] == 0
    pb = fx.tables["industry_playbooks"].set_index("industry_normalized")
    assert pb.loc["Agriculture", "key_accounts"] == 0
    assert pb.loc["Agriculture", "density_target"] == 5.0


def test_small_groups_fall_back_to_red_lines(fx):
    g = fx.tables["peer_groups"]
    assert g["fallback"].all()  # every group has < 10 accounts
    assert (g["density_threshold"] == 5.0).all()
    assert fx.metric("peer_fallback_groups") == len(g)


# ---- peer thresholds on a group of 12 -----------------------------------------------------------


def test_peer_threshold_p25_and_secondary_risk(tmp_path):
    accs, cons = [], []
    depts = ["Sales", "Finance", "Operations", "IT", "HR"]
    for i in range(12):
        aid = f"P{i:02d}"
        n = 10 + i  # densities 10..21 with 1000 employees
        accs.append(account(aid, 1000.0 - i, 1000, "Technology", "Enterprise"))
        specs = [("CEO", depts[j % 5]) if j < 4 else ("Manager", depts[j % 5]) for j in range(n)]
        cons += contacts_for(aid, specs)
    r = run(write_duckdb(tmp_path / "p.duckdb", accs, cons), key_account_share=1.0)
    g = r.tables["peer_groups"].iloc[0]
    # P25 of 10..21 with linear interpolation: 10 + 0.25 × 11 = 12.75
    assert g["p_density"] == pytest.approx(12.75) and not g["fallback"]
    assert g["density_threshold"] == pytest.approx(12.75)
    # densities 10, 11, 12 fail the peer track only → secondary; nobody fails the red lines
    assert r.metric("secondary_risk") == 3 and r.metric("strong_risk") == 0
    assert r.metric("high_risk") == 0 and r.metric("low_risk") == 12
    assert r.metric("fail_density_peer") == 3 and r.metric("fail_density_red_line") == 0


def test_no_account_at_risk(tmp_path):
    accs, cons = [], []
    for i in range(4):
        aid = f"G{i}"
        accs.append(account(aid, 100.0 + i, 200, "Consulting", "Mid-Market"))
        cons += contacts_for(
            aid,
            [
                ("CFO", "Finance"),
                ("VP Sales", "Sales"),
                ("Manager", "Operations"),
                ("Manager", "IT"),
            ],
        )
    r = run(write_duckdb(tmp_path / "ok.duckdb", accs, cons), key_account_share=1.0)
    assert r.metric("high_risk") == 0 and r.metric("medium_risk") == 0
    assert r.metric("strong_risk") == 0 and r.metric("secondary_risk") == 0
    assert r.tables["top_risk"].empty
    assert r.tables["action_plan"].empty
    assert r.metric("contacts_to_add") == 0 and r.metric("executives_to_add") == 0


def test_no_revenue_is_a_clear_error(tmp_path):
    from crmlens.errors import AnalysisError

    path = write_duckdb(tmp_path / "nr.duckdb", [account("X", None, 10)], [])
    with pytest.raises(AnalysisError) as e:
        run(path)
    assert e.value.code == "error.no_revenue"


def test_row_order_invariance(tmp_path):
    accs, cons = fixture_accounts()
    a = run(write_duckdb(tmp_path / "a.duckdb", accs, cons), key_account_share=1.0)
    b = run(write_duckdb(tmp_path / "b.duckdb", accs[::-1], cons[::-1]), key_account_share=1.0)
    assert {k: m.value for k, m in a.metrics.items()} == {k: m.value for k, m in b.metrics.items()}


# ---- degenerate contact tables ------------------------------------------------------------------


def test_every_contact_deleted(tmp_path):
    accs = [account("K1", 100.0, 1000), account("K2", 50.0, 500)]
    cons = contacts_for("K1", [("CEO", "Sales", True), ("CFO", "Finance", True)]) + contacts_for(
        "K2", [("VP Sales", "Sales", True)]
    )
    r = run(write_duckdb(tmp_path / "d.duckdb", accs, cons), key_account_share=1.0)
    # no live contact: density 0, ratio 0, coverage 0 → every red line fails → both high risk
    assert r.metric("contacts_deleted") == 3 and r.metric("contacts_live") == 0
    assert r.metric("key_zero_contacts") == 2 and r.metric("high_risk") == 2
    assert r.tables["title_levels"].empty and r.tables["department_classes"].empty
    assert set(r.tables["key_accounts"]["n_contacts"]) == {0}


def test_null_titles_and_departments_count_as_unknown(tmp_path):
    accs = [account("K1", 100.0, 1000)]
    cons = contacts_for("K1", [(None, None), (None, None), ("CEO", None), (None, "Finance")])
    r = run(write_duckdb(tmp_path / "n.duckdb", accs, cons), key_account_share=1.0)
    k1 = r.tables["key_accounts"].iloc[0]
    # 3 of 4 titles NULL, 3 of 4 departments NULL; the CEO is the only decision maker
    assert (k1["n_title_unknown"], k1["n_dept_unknown"], k1["n_c_level"], k1["coverage"]) == (
        3,
        3,
        1,
        1,
    )
    assert k1["decision_ratio"] == pytest.approx(1 / 4)
    assert r.metric("contacts_dept_unknown") == 3 and r.metric("contacts_title_unrecognised") == 0
    plan = r.tables["action_plan"].set_index("action")
    assert (
        plan.loc["action.classify_contacts", "quantity"] == 3
    )  # unrecognised titles 0 + unknown departments 3


def test_an_account_with_more_than_two_million_contacts(tmp_path):
    """Counts per level are summed packed into 21-bit fields; one account with more than 2^21
    live C-level contacts would overflow its field, so the profile falls back to one SUM per
    count."""
    import duckdb

    n = (1 << 21) + 5000
    path = write_duckdb(tmp_path / "big.duckdb", [account("K1", 100.0, 10_000_000)], [])
    db = duckdb.connect(str(path))
    db.execute(
        f"""INSERT INTO salesforce__contact_enhanced
                   SELECT 'c' || i, 'K1', CASE WHEN i < 10 THEN 'VP Sales' ELSE 'CEO' END,"""
        f""" 'Sales', i % 1000 = 999
                   FROM range({n}) t(i)"""
    )
    db.close()
    r = run(path, key_account_share=1.0)
    k1 = r.tables["key_accounts"].iloc[0]
    deleted = n // 1000  # i = 999, 1999, … (all CEOs)
    assert n - 10 - deleted > 1 << 21  # the C-level count needs more than 21 bits
    assert (k1["n_contacts"], k1["n_c_level"], k1["n_vp"]) == (n - deleted, n - 10 - deleted, 10)
    assert (
        k1["n_title_unknown"] == 0 and k1["n_dept_unknown"] == 0 and k1["n_title_unrecognised"] == 0
    )
