"""crmlens vs an independent pandas re-computation, on two generated datasets."""

import datetime as dt

import pytest

from crmlens.analyses import REGISTRY
from crmlens.config import CrmlensConfig
from crmlens.sources import open_source
from reference import headline


@pytest.mark.parametrize("db", ["gen_db", "gen_db_other"])
def test_headline_numbers_match_reference(db, request):
    path = request.getfixturevalue(db)
    cfg = CrmlensConfig()
    as_of = dt.date(2026, 6, 30)
    expected = headline(path, cfg, as_of)
    r = REGISTRY["contact_coverage"].run(open_source(path), cfg, as_of=as_of)
    got = {k: r.metric(k) for k in expected}
    rates = [k for k in expected if "rate" in k]
    assert {k: got[k] for k in expected if k not in rates} == {
        k: v for k, v in expected.items() if k not in rates
    }
    assert {k: got[k] for k in rates} == pytest.approx({k: expected[k] for k in rates}, abs=1e-12)
    assert expected["outcome_deals"] > 50  # the generated data has opportunities
    assert (
        expected["key_accounts"] > 100 and expected["high_risk"] > 0
    )  # a dataset that exercises the paths
    assert expected["data_gap"] > 0


@pytest.mark.parametrize("db", ["gen_db", "gen_db_other"])
def test_mismatch_numbers_match_reference(db, request):
    from reference import mismatch_headline

    path = request.getfixturevalue(db)
    exp = mismatch_headline(path)
    r = REGISTRY["investment_mismatch"].run(open_source(path), CrmlensConfig())
    for k in (
        "base_customers",
        "top_priority",
        "bottom_composite",
        "mismatched",
        "priority_cutoff",
        "roi_undefined",
    ):
        assert r.metric(k) == exp[k], k
    assert r.metric("composite_cutoff") == pytest.approx(exp["composite_cutoff"], abs=1e-12)
    assert r.metric("roi_median") == pytest.approx(exp["roi_median"], abs=1e-12)
    st = r.tables["stages"].set_index("lifecycle_stage")
    assert {k: int(v) for k, v in st["customers"].items()} == exp["stage_counts"]
    assert {k: int(v) for k, v in st["mismatched"].items()} == exp["stage_mismatched"]
    assert exp["mismatched"] > 50
    # issue 14: join coverage, within-pool stage rates, like-for-like ROI, cohort ANOVA, gap
    assert r.metric("distinct_emails") == exp["distinct_emails"]
    assert r.metric("join_coverage") == pytest.approx(exp["join_coverage"], abs=1e-12)
    assert {k: int(v) for k, v in st["top_customers"].items()} == exp["stage_top"]
    rates = st["mismatch_rate_in_top"].to_dict()
    assert rates == pytest.approx(exp["stage_rate_in_top"], abs=1e-12)
    for k in (
        "roi_mean_top_matched",
        "roi_mean_mismatched",
        "cohort_anova_f",
        "cohort_anova_p",
        "cohort_anova_eta2",
        "mean_adoption_mismatched",
        "mean_adoption_top_matched",
    ):
        assert r.metric(k) == pytest.approx(exp[k], rel=1e-9, abs=1e-12), k
    pool = r.tables["group_root_cause"].iloc[0]
    assert pool["delta_composite"] == pytest.approx(exp["delta_composite"], abs=1e-12)
