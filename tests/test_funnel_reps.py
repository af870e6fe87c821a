"""Pipeline funnel, "AI + human" (issue #18, seed 004): the rep's probability on the history row
in force at each snapshot is a model feature (never today's opportunity probability), absent when
the history records none, and a missing one imputed with its stage's typical value plus a flag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlens.analyses.funnel.model import Design, numeric
from crmlens.report.i18n import t
from tests.test_funnel import HIST, OPP
from tests.test_funnel_review import SMALL, _pipeline, _run

REP_FEATURES = {"rep_logit", "rep_missing"}


def _with_rep_history(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """History rows carry the rep's probability then: 10 % per stage reached, 15 points more
    for deals that were later won (the reps know something), one row in ten without it."""
    hist = frames[HIST].copy()
    won = frames[OPP].set_index("opportunity_id")["is_won"]
    step = hist.groupby("opportunity_id").cumcount()
    bonus = np.where(hist["opportunity_id"].map(won).fillna(False).astype(bool), 15.0, 0.0)
    hist["probability"] = (10.0 * (step + 1) + bonus).clip(upper=95.0)
    hist.loc[hist.index % 10 == 3, "probability"] = np.nan
    return {**frames, HIST: hist}


def _today_probability_changed(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    opp = frames[OPP].copy()
    opp["probability"] = np.where(opp["is_won"].astype(bool), 1.0, 99.0)
    return {**frames, OPP: opp}


def test_todays_probability_changes_no_backtest_score_and_no_prediction():
    frames = _with_rep_history(_pipeline())
    before = _run(frames, **SMALL)
    after = _run(_today_probability_changed(frames), **SMALL)
    assert before.method["rep_feature"] is True
    assert REP_FEATURES <= set(before.tables["drivers"]["feature"])
    assert {"model", "reps"} <= set(before.tables["backtest_scores"]["source"])
    pd.testing.assert_frame_equal(before.tables["backtest_scores"], after.tables["backtest_scores"])
    pd.testing.assert_frame_equal(before.tables["reliability"], after.tables["reliability"])
    cols = ["opportunity_id", "p_win", "p_next", "rep_probability"]
    pd.testing.assert_frame_equal(
        before.tables["open_deals"][cols], after.tables["open_deals"][cols]
    )


@pytest.mark.parametrize("history", ["no_column", "all_null"])
def test_without_dated_probabilities_the_rep_is_no_feature(history):
    frames = _pipeline()
    hist = frames[HIST].copy()
    if history == "all_null":
        hist["probability"] = np.nan
    r = _run({**frames, HIST: hist}, **SMALL)
    assert r.method["rep_feature"] is False
    assert not REP_FEATURES & set(r.tables["drivers"]["feature"])
    assert not any("*" in f for f in r.tables["drivers"]["feature"])


def test_a_missing_rep_probability_takes_its_stages_training_median_and_a_flag():
    train = pd.DataFrame(
        {
            "stage": ["A", "A", "A", "B", "B"],
            "rep_then": [0.2, 0.4, np.nan, 0.9, np.nan],
            "rep_missing": [0.0, 0.0, 1.0, 0.0, 1.0],
            "type": "x",
            "lead_source": "y",
            "log_age": 1.0,
            "log_days_in_stage": 1.0,
        }
    )
    design = Design(
        {"stage": ["A", "B"], "type": ["x"], "lead_source": ["y"]}, numeric(False, True)
    )
    design.matrix(train)
    assert design.rep_fill == {"A": pytest.approx(0.3), "B": pytest.approx(0.9), "": 0.4}
    later = pd.DataFrame({"stage": ["A", "B", "C"], "rep_then": [np.nan, np.nan, np.nan]})
    logit = design._rep_logit(later)
    # A: median of 0.2 and 0.4; B: 0.9; C (unseen): the median of all training values, 0.4
    assert logit == pytest.approx(np.log(np.array([0.3, 0.9, 0.4]) / [0.7, 0.1, 0.6]))
    # the interaction columns: the rep's logit in stage B only (A is the reference stage)
    assert design.names[-1] == "rep_logit*stage=B"


def test_the_method_notes_say_whether_the_rep_probability_is_a_feature():
    for lang in ("en", "zh"):
        dated, undated = (t(f"method.fn.rep_{k}", lang) for k in ("dated", "undated"))
        assert dated != undated and "method.fn" not in dated + undated
