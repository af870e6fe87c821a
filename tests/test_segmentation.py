"""Segmentation (issue 17): quintile scores with ties, every segment rule, the "other" bucket,
the over-segmentation guard, clustering on designed groups, data utilisation, and overrides
applied after the model.  Expected values are derived by hand from the spec."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from seg_fixtures import AS_OF, config, frames, run, won

from crmlens.analyses.segmentation import clusters, guard, rfm
from crmlens.analyses.segmentation.config import ClusteringConfig, SegmentationConfig
from crmlens.overrides.store import SET, Change, OverrideStore


def test_quintile_scores_ties_share_a_score():
    # 1 + floor(5 × strictly-worse / n), n = 10: worse counts 0,1,1,3,4,5,5,5,8,9
    values = np.array([10, 20, 20, 30, 40, 50, 50, 50, 60, 70])
    assert rfm.quintile_scores(values, True).tolist() == [1, 1, 1, 2, 3, 3, 3, 3, 5, 5]
    # recency: more days is worse; n = 4: worse counts 3, 1, 1, 0
    days = np.array([0, 5, 5, 100])
    assert rfm.quintile_scores(days, False).tolist() == [4, 2, 2, 1]


def test_cut_table_gives_each_scores_value_range():
    scored = pd.DataFrame(
        {"recency_days": [0, 5, 5, 100], "frequency": [1, 1, 2, 3], "monetary": [0, 10, 20, 30]}
    )
    cuts = rfm.cuts(rfm.score(scored)).set_index(["dimension", "rfm_score"])
    assert cuts.loc[("recency_days", 2), "customers"] == 2
    assert cuts.loc[("recency_days", 2), ["value_low", "value_high"]].tolist() == [5, 5]
    # frequency: 1,1 share score 1; 2 → 1 + floor(10/4) = 3; 3 → 1 + floor(15/4) = 4
    assert cuts.loc[("frequency", 1), "customers"] == 2
    assert cuts.loc[("frequency", 2), "customers"] == 0
    assert cuts.loc[("frequency", 3), "value_low"] == 2


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), "Champions"),
        ((4, 4, 4), "Champions"),  # also Loyal: the first match wins
        ((3, 4, 1), "Loyal"),
        ((4, 2, 3), "Potential Loyalists"),
        ((5, 1, 1), "New"),
        ((4, 1, 5), "Promising"),
        ((2, 5, 4), "Can't Lose"),
        ((2, 4, 3), "At Risk"),  # m = 3 is not Can't Lose
        ((1, 3, 1), "At Risk"),
        ((3, 2, 2), "Need Attention"),
        ((2, 1, 5), "Hibernating"),
        ((1, 2, 1), "Lost"),
        ((3, 1, 3), "Other"),  # no rule has r = 3 with f = 1
    ],
)
def test_every_default_segment_rule(scores, segment):
    frame = pd.DataFrame([scores], columns=["r_score", "f_score", "m_score"])
    assert rfm.segments(frame, SegmentationConfig()).tolist() == [segment]


def test_configured_rules_and_other_bucket_size():
    cfg = SegmentationConfig(
        segments=[{"name": "Top", "r": [4, 5], "m": [4, 5]}, {"name": "Rest", "r": [1, 2]}],
        other_segment="Unsorted",
        playbooks={},
    )
    frame = pd.DataFrame(
        {"r_score": [5, 4, 3, 3, 1], "f_score": [1] * 5, "m_score": [5, 1, 5, 1, 1]}
    )
    found = rfm.segments(frame, cfg)
    assert found.tolist() == ["Top", "Unsorted", "Unsorted", "Unsorted", "Rest"]
    table = rfm.rule_table(frame, found, cfg).set_index("segment")["customers"]
    assert table.to_dict() == {"Top": 1, "Rest": 1, "Unsorted": 3}


def _applied(segments: list[str], monetary: list[float]) -> pd.DataFrame:
    n = len(segments)
    return pd.DataFrame(
        {
            "account_id": [f"A{i:03d}" for i in range(n)],
            "account_name": [f"Account {i}" for i in range(n)],
            "segment": segments,
            "segment_model": segments,
            "overridden": False,
            "monetary": monetary,
            "frequency": 1.0,
            "recency_days": 10.0,
            "cases": [float(i % 3) for i in range(n)],
        }
    )


def test_guard_flags_small_standard_and_repeated_treatments():
    cfg = SegmentationConfig(min_segment_customers=5, min_segment_share=0.0)
    segments = ["Champions"] * 10 + ["Loyal"] * 3 + ["Lost"] * 8
    segments += ["Potential Loyalists"] * 7 + ["Promising"] * 6
    prof = guard.profile(_applied(segments, [100.0] * len(segments)), cfg).set_index("segment")
    assert prof.loc["Champions", "recommendation"] == guard.KEEP
    assert prof.loc["Loyal", "recommendation"] == guard.MERGE_STANDARD  # 3 < 5 customers
    assert bool(prof.loc["Loyal", "below_minimum"])
    assert prof.loc["Lost", "recommendation"] == guard.MERGE_STANDARD  # standard treatment
    # Promising nurtures like the larger Potential Loyalists: merge into it
    assert prof.loc["Promising", "recommendation"] == guard.MERGE_INTO
    assert prof.loc["Promising", "merge_into"] == "Potential Loyalists"
    assert prof.loc["Champions", "value_per_customer"] == 100.0
    assert prof.loc["Champions", "cases_per_customer"] == pytest.approx(
        np.mean([i % 3 for i in range(10)])
    )
    assert prof.loc["New", "recommendation"] == ""  # empty segments are not judged


def test_plan_covers_kept_segments_only_in_priority_order():
    cfg = SegmentationConfig(min_segment_customers=2, min_segment_share=0.0)
    segments = ["Loyal", "Champions", "Champions", "Lost", "Lost", "New"]
    applied = _applied(segments, [5.0, 1.0, 9.0, 3.0, 2.0, 7.0])
    prof = guard.profile(applied, cfg)
    plan = guard.plan(applied, prof, cfg, AS_OF)
    # Champions (rule 1) first by revenue desc; Loyal and New are below 2 customers; Lost is
    # standard service
    assert plan["account_id"].tolist() == ["A002", "A001"]
    assert set(plan["action"]) == {"action.seg.advocacy"}
    assert plan["due_date"].tolist() == ["2026-03-31", "2026-03-31"]


def _designed_groups(per_group: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = [(10, 8, 200_000, 5000), (400, 2, 20_000, 300), (900, 1, 2_000, 20)]
    rows = []
    for g, (days, freq, money, employees) in enumerate(centres):
        for _ in range(per_group):
            rows.append(
                {
                    "truth": g,
                    "recency_days": days * rng.uniform(0.9, 1.1),
                    "frequency": freq,
                    "monetary": money * rng.uniform(0.9, 1.1),
                    "number_of_employees": employees * rng.uniform(0.9, 1.1),
                }
            )
    return pd.DataFrame(rows)


def test_clustering_recovers_designed_groups():
    from sklearn.metrics import adjusted_rand_score

    data = _designed_groups()
    found = clusters.cluster(data, ClusteringConfig(k_min=2, k_max=6, resamples=5))
    assert found.k == 3
    assert adjusted_rand_score(data["truth"], found.labels) == pytest.approx(1.0)
    assert found.stability["ari"].min() > 0.95
    assert sorted(found.profiles["customers"]) == [60, 60, 60]
    top = found.profiles.set_index("cluster")
    recent = top.loc[top["recency_days"].idxmin()]
    assert recent["traits"][0] == "seg.trait.low.recency_days"  # its most distinctive trait
    assert all(t.startswith("seg.trait.high.") for t in recent["traits"][1:])


def test_clustering_is_skipped_below_the_minimum():
    data = _designed_groups(per_group=5)
    assert clusters.cluster(data, ClusteringConfig(min_accounts=30)) is None


def test_rfm_from_won_deals_end_to_end(tmp_path):
    tables = frames()
    tables["salesforce__opportunity_enhanced"] = pd.concat(
        [
            tables["salesforce__opportunity_enhanced"],
            pd.DataFrame(won("A01", -5, 99999.0)).astype({"close_date": "datetime64[ns]"}),
            pd.DataFrame(won("A12", 800, 77777.0)).astype({"close_date": "datetime64[ns]"}),
            pd.DataFrame(won("A03", 0, 5.0)).assign(close_date=pd.NaT, opportunity_id="u1"),
        ]
    )
    r = run(tables, config(tmp_path / "o.duckdb"))
    customers = r.tables["customers"].set_index("account_id")
    assert r.metric("customers") == 12 and r.metric("prospects") == 2
    assert r.metric("undated_won_deals") == 1  # counted, never silently gone
    assert "dq.seg_undated" in [f.code for f in r.findings]
    # A01: one deal 30 days ago worth 1,000 ×… the deal after the as-of date is ignored
    frame = frames()["salesforce__opportunity_enhanced"]
    a01 = frame[frame["account_id"] == "A01"]
    assert customers.loc["A01", "recency_days"] == 30
    assert customers.loc["A01", "frequency"] == len(a01)
    assert customers.loc["A01", "monetary"] == pytest.approx(a01["amount"].sum())
    # A12: its deal 800 days ago is outside the 730-day window (frequency and monetary)
    assert customers.loc["A12", "recency_days"] == 360
    assert customers.loc["A12", "frequency"] == 1
    assert customers.loc["A12", "monetary"] == pytest.approx(12_000.0)
    rules = r.tables["segment_rules"]
    assert rules["customers"].sum() == 12
    other = rules.loc[rules["segment"] == "Other", "customers"].iloc[0]
    assert r.metric("other_bucket") == other


def test_override_applies_after_the_model_and_survives_reruns(tmp_path):
    store_path = tmp_path / "o.duckdb"
    cfg = config(store_path)
    first = run(frames(), cfg).tables["customers"].set_index("account_id")
    model = first.loc["A05", "segment"]
    human = "Lost" if model != "Lost" else "Champions"
    store = OverrideStore(store_path)
    change = Change("segmentation", "account", "A05", "segment", SET, human, "Moved to a rival")
    store.append([change], by="ann", source="cli")
    for _ in range(2):  # re-run twice: the override stays
        r = run(frames(), cfg)
        row = r.tables["customers"].set_index("account_id").loc["A05"]
        assert (row["segment"], row["segment_model"], row["override_by"]) == (human, model, "ann")
        assert row["override_reason"] == "Moved to a rival"
        assert r.metric("overrides_active") == 1 and r.metric("overrides_changed") == 1
    review = r.tables["review"].set_index("entity_id")
    assert review.loc["A05", "current_value"] == human
    assert review.loc["A05", "stamp"] == 1 and review.loc["A04", "stamp"] == 0
    disagreements = r.tables["disagreements"]
    assert disagreements[["segment_model", "segment_human", "customers"]].values.tolist() == [
        [model, human, 1]
    ]


def test_expired_and_revoked_overrides_no_longer_apply(tmp_path):
    store_path = tmp_path / "o.duckdb"
    store = OverrideStore(store_path)
    expiring = AS_OF + dt.timedelta(days=3)
    changes = [
        Change("segmentation", "account", "A02", "segment", SET, "Lost", "x", expiring),
        Change("segmentation", "account", "A03", "segment", SET, "Lost", "y"),
    ]
    store.append(changes, by="bo", source="cli", today=AS_OF)
    r = run(frames(), config(store_path))
    assert r.metric("overrides_active") == 2 and r.metric("overrides_expiring") == 1
    codes = [f.code for f in r.findings]
    assert "seg.expiring" in codes
    after = run(frames(), config(store_path), as_of=AS_OF + dt.timedelta(days=4))
    assert after.metric("overrides_active") == 1  # A02 expired: the model's segment is back
    store.append(
        [Change("segmentation", "account", "A03", "segment", "revoke", None, "back to model")],
        by="bo",
        source="cli",
        today=AS_OF,
    )
    assert run(frames(), config(store_path)).metric("overrides_active") == 1  # A02 only
    entities = run(frames(), config(store_path)).tables["entities"].set_index("entity_id")
    assert not entities.loc["A02", "override_ok"] and entities.loc["A03", "override_ok"]


def test_data_utilisation_counts_used_attributes(tmp_path):
    tables = frames()
    acc = tables["salesforce__customer_360_view"]
    acc["number_of_employees"] = [10 * (i + 1) for i in range(len(acc))]
    acc["billing_city"] = pd.Series([None] * len(acc), dtype="string")
    r = run(tables, config(tmp_path / "o.duckdb"))
    util = r.tables["data_utilisation"].set_index("attribute")
    assert util.loc["billing_city", "completeness"] == 0.0
    assert not util.loc["billing_city", "used"]
    assert util.loc["monetary", "use"] == "rfm"
    # available: employees, billing_city + derived recency, frequency, monetary; used: 3 RFM
    # (employees is a clustering feature, but 12 customers are too few to cluster)
    assert r.metric("data_utilisation") == pytest.approx(3 / 5)


def test_default_alerts_champion_to_at_risk_shrink_and_expiring(tmp_path):
    from crmlens.monitor.changes import compute_changes
    from crmlens.monitor.history import HistoryStore
    from crmlens.monitor.rules import evaluate, load_rules

    store = OverrideStore(tmp_path / "o.duckdb")
    cfg = config(tmp_path / "o.duckdb", min_segment_customers=1)

    def pin(entity, segment, **kw):
        store.append(
            [Change("segmentation", "account", entity, "segment", SET, segment, "r", **kw)],
            by="ann",
            source="cli",
            today=AS_OF,
        )

    pin("A01", "Champions")
    pin("A02", "Champions")
    before = run(frames(), cfg)
    history = HistoryStore(tmp_path / "h.duckdb")
    history.record(
        {"segmentation": before}, as_of=AS_OF, source="s", data_fingerprint="f", config_hash="c"
    )
    pin("A01", "At Risk")
    pin("A03", "Lost", expires=AS_OF + dt.timedelta(days=5))
    later = AS_OF + dt.timedelta(days=1)
    now = run(frames(), cfg, as_of=later)
    changes = compute_changes({"segmentation": now}, history, later)
    moved = changes.entities("segmentation", "left_for_watch_segment")
    assert moved["entity_id"].tolist() == ["A01"]
    assert changes.entities("segmentation", "override_expiring")["entity_id"].tolist() == ["A03"]
    metrics = {k: m.value for k, m in now.metrics.items()}
    series = {("segmentation", k): [m.value] for k, m in before.metrics.items()}
    alerts = evaluate(load_rules(None), {"segmentation": metrics}, series, changes, "r", "d")
    fired = {a.rule_id for a in alerts}
    # Champions 2 → 1 (−50% > 20%); A01 Champions → At Risk; one override expires in 5 days
    assert {"champions_shrink_20pct", "champion_now_at_risk", "overrides_expiring"} <= fired
    assert "override_entered_expiry_window" in fired


def test_override_outcomes_against_each_segments_expectation():
    from crmlens.analyses.segmentation import human

    as_of = AS_OF
    old, recent = pd.Timestamp(as_of) - pd.Timedelta(days=100), pd.Timestamp(as_of)
    applied = pd.DataFrame(
        {
            "segment_model": ["Loyal", "Loyal", "Loyal", "Lost", "Lost"],
            "overridden": [True, False, False, False, True],
            "override_value": ["Lost", None, None, None, "Loyal"],
            "override_set_at": [old, pd.NaT, pd.NaT, pd.NaT, recent],  # E is too recent
            "recent_revenue": [0.0, 1000.0, 3000.0, 0.0, 500.0],
            "recent_won": [0.0, 1.0, 2.0, 0.0, 1.0],
        }
    )
    out = human.outcomes(applied, SegmentationConfig(outcome_days=90), as_of)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["segment_model"], row["segment_human"], row["customers"]) == ("Loyal", "Lost", 1)
    assert (row["revenue"], row["retained"]) == (0.0, 0.0)
    # the Loyal customers nobody overrode earned (1000 + 3000) / 2 and all bought again
    assert (row["model_expected_revenue"], row["model_expected_retained"]) == (2000.0, 1.0)
    assert (row["human_expected_revenue"], row["human_expected_retained"]) == (0.0, 0.0)
    assert bool(row["human_closer"])  # |0 − 0| < |0 − 2000|


def test_deals_alone_segment_the_accounts_of_the_won_deals(tmp_path):
    tables = frames()
    deals = {"salesforce__opportunity_enhanced": tables["salesforce__opportunity_enhanced"]}
    r = run(deals, config(tmp_path / "o.duckdb"))
    assert r.metric("customers") == 12 and r.metric("prospects") == 0
    customers = r.tables["customers"].set_index("account_id")
    assert customers.loc["A01", "account_name"] == "A01"  # named by id


def test_doctor_and_run_leave_segmentation_out_of_a_source_without_deals(tmp_path, capsys):
    from seg_fixtures import write_db

    from crmlens import cli

    accounts = frames()["salesforce__customer_360_view"]
    db = write_db(tmp_path / "acc.duckdb", {"salesforce__customer_360_view": accounts})
    cli.main(["doctor", "--source", str(db)])
    assert "Skipped segmentation: the source lacks salesforce__opportunity_enhanced" in (
        capsys.readouterr().err
    )
