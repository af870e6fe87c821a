"""The shared analysis toolkit on tiny hand-made inputs (expected values worked out by hand)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crmlens.analyses.toolkit import (
    Action,
    check_action_rows,
    due_date,
    due_dates,
    labels,
    plan_rows,
    tier_levels,
    top_n,
)

AS_OF = dt.date(2026, 1, 30)


def test_tier_levels_count_the_cutoffs_reached_within_the_tolerance():
    score = np.array([0.0, 0.39999999999, 0.4, 0.79, 0.8, 1.2, np.nan])
    # cut-offs 0.4 and 0.8; 0.39999999999 is within 1e-9 of 0.4 (float noise never splits a tier)
    assert tier_levels(score, (0.4, 0.8), 1e-9).tolist() == [0, 1, 1, 1, 2, 2, 0]
    assert tier_levels(score, (0.4, 0.8)).tolist() == [0, 0, 1, 1, 2, 2, 0]


def test_labels_name_the_codes():
    names = ("low", "medium", "high")
    assert labels(np.array([2, 0, 1]), names).tolist() == ["high", "low", "medium"]


def test_top_n_orders_by_the_key_and_keeps_input_order_on_ties():
    frame = pd.DataFrame(
        {"name": ["a", "b", "c", "d", "e"], "score": [1, 3, 3, None, 2]}, index=[10, 11, 12, 13, 14]
    )
    assert top_n(frame, 2, ["score"], False)["name"].tolist() == ["b", "c"]  # tie: input order
    everyone = top_n(frame, None, ["score"], False)
    assert everyone["name"].tolist() == ["b", "c", "e", "a", "d"]  # NULL last
    assert top_n(frame, 1, ["score", "name"], [False, False])["name"].tolist() == ["c"]
    eligible = np.array([True, False, False, True, True])
    out = top_n(frame, 5, ["score"], where=eligible)
    assert out["name"].tolist() == ["a", "e", "d"] and out.index.tolist() == [0, 1, 2]


def test_due_dates_are_iso_dates_after_the_as_of_date():
    assert due_date(AS_OF, 30) == "2026-03-01"  # 2026 is not a leap year: Jan 30 + 30 days
    assert due_dates(AS_OF, [0, 2]) == ["2026-01-30", "2026-02-01"]


def test_plan_rows_order_entity_then_milestone_then_code():
    # three entities in priority order; "b.fix" comes at milestone 0 for entity 2 only
    actions = [
        Action("c.review", np.array([True, True, False]), 1),
        Action("b.fix", np.array([False, False, True]), 0, np.array([5, 6, 7]), 3),
        Action("a.call", np.array([True, False, True]), 1, None, np.array([8, 9, 10])),
    ]
    rows = plan_rows(actions)
    assert rows.codes == ["a.call", "b.fix", "c.review"]
    assert rows.entity.tolist() == [0, 0, 1, 2, 2]
    assert [rows.codes[a] for a in rows.action] == [
        "a.call",
        "c.review",
        "c.review",
        "b.fix",
        "a.call",
    ]
    assert rows.milestone.tolist() == [1, 1, 1, 0, 1]
    assert np.isnan(rows.quantity[[0, 1, 2, 4]]).all() and rows.quantity[3] == 7
    assert rows.detail.tolist() == [8, 0, 0, 3, 10]


def _plan(**overrides):
    plan = pd.DataFrame(
        {
            "priority_rank": [1, 1, 2],
            "entity": ["x", "x", "y"],
            "owner_role": "owner",
            "action": ["a", "b", "a"],
            "detail": "",
            "due_date": ["2026-02-06", "2026-03-01", "2026-02-06"],
            "milestone_days": [7, 30, 7],
            "status": "open",
        }
    )
    return plan.assign(**overrides)


def test_check_action_rows_accepts_a_valid_plan_and_refuses_broken_ones():
    assert check_action_rows(_plan(), "entity", AS_OF) is not None
    with pytest.raises(AssertionError, match="lack"):
        check_action_rows(_plan().drop(columns="status"), "entity", AS_OF)
    with pytest.raises(AssertionError, match="priority order"):
        check_action_rows(_plan(priority_rank=[2, 1, 1]), "entity", AS_OF)
    with pytest.raises(AssertionError, match="milestones"):
        check_action_rows(
            _plan(due_date=["2026-02-07", "2026-03-01", "2026-02-07"]), "entity", AS_OF
        )
    with pytest.raises(AssertionError, match="several due dates"):
        check_action_rows(
            _plan(due_date=["2026-02-06", "2026-03-01", "2026-02-08"]), "entity", AS_OF
        )


def test_plan_summary_totals_by_milestone_and_action_by_hand():
    """Rows by (milestone, action) in that order (action by its text, not its category order),
    the group's distinct owner roles sorted and '; '-joined, entities counted, quantities summed
    (missing when no row of the action has one)."""
    from crmlens.analyses.toolkit import plan_summary

    cat = pd.CategoricalDtype(["z.call", "a.add"])  # category order is not text order
    plan = pd.DataFrame(
        {
            "milestone_days": [30, 7, 7, 7, 30, 7],
            "action": pd.Series(
                ["z.call", "z.call", "a.add", "z.call", "z.call", "a.add"], dtype=cat
            ),
            "due_date": [
                "2026-02-04",
                "2026-01-12",
                "2026-01-12",
                "2026-01-12",
                "2026-02-04",
                "2026-01-12",
            ],
            "owner_role": pd.Series(["csm", "ae", "csm", "ae", "ae", "ae"], dtype="category"),
            "quantity": pd.array([None, 2, 1, 3, None, 4], dtype="Int64"),
        }
    )
    out = plan_summary(plan)
    assert out[["milestone_days", "action", "owner_role", "entities"]].values.tolist() == [
        [7, "a.add", "ae; csm", 2],
        [7, "z.call", "ae", 2],
        [30, "z.call", "ae; csm", 2],
    ]
    assert out["due_date"].tolist() == ["2026-01-12", "2026-01-12", "2026-02-04"]
    assert out["quantity"].tolist() == [5, 5, pd.NA]
