"""Pipeline funnel after the code review of issue #18: features only from what was known on the
snapshot date (changing today's account or deal attributes changes no back-test score), a target
with too few examples of a class falls back to the baseline with the reason, never a NaN
probability, undated deals kept out of the quarters, and same-time history rows resolved the same
way whatever order the engine returns them in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_funnel import END, HIST, OPP, P, PR, Q, WON, _deal, _run, _rows

ACC = "salesforce__customer_360_view"
LOST = "Closed Lost"
STAGES = [P, Q, "Needs Analysis", PR, "Negotiation"]
SMALL = {"min_won": 3, "min_lost": 3, "backtest_days": 90, "snapshot_days": 360}


def _pipeline(n: int = 90, seed: int = 3) -> dict[str, pd.DataFrame]:
    """``n`` deals on their own accounts, created over 2024–2025, each moving up the stages every
    15–40 days and closing won or lost (or still open on the end date); every history row carries
    the amount at that time.  Deal ``last`` closes on the end date (the data ends there)."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(END)
    deals, history, accounts = [], [], []
    for i in range(n):
        oid, created = f"o{i:03d}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(i * 7))
        top, won = int(rng.integers(0, 5)), bool(rng.random() < 0.5)
        days, day = [], created
        for k in range(top + 1):
            days.append((day, STAGES[k]))
            day = day + pd.Timedelta(days=int(rng.integers(15, 40)))
        closed = day < end
        if closed:
            days.append((day, WON if won else LOST))
        amount = float(rng.integers(1, 50) * 1000)
        deal = _deal(oid, created, day if closed else end + pd.Timedelta(days=60))
        deal.update(
            stage_name=WON if closed and won else LOST if closed else days[-1][1],
            is_won=closed and won,
            is_closed=closed,
            amount=amount,
            account_id=f"a{i:03d}",
            competitor="Acme" if rng.random() < 0.5 else None,
            probability=10.0 * (top + 1),
        )
        deals.append(deal)
        history += [
            {**r, "amount": amount} for r in _rows(oid, [(str(d.date()), s) for d, s in days])
        ]
        accounts.append(
            {
                "account_id": f"a{i:03d}",
                "account_name": f"Account {i}",
                "company_size_category": ["Enterprise", "Mid-Market"][i % 2],
                "account_type": ["Customer", "Prospect"][i % 2],
                "churn_risk_level": ["Low", "High"][int(won)],
                "days_since_last_activity": int(rng.integers(0, 200)),
                "total_contacts": 5,
                "contacts_with_email": int(rng.integers(0, 6)),
            }
        )
    deals.append(_deal("last", "2026-01-01", END, won=False))
    return {OPP: pd.DataFrame(deals), HIST: pd.DataFrame(history), ACC: pd.DataFrame(accounts)}


def _today_changed(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same past with today's account and deal attributes rewritten: what a snapshot taken
    earlier could not have known."""
    acc = frames[ACC].copy()
    acc["churn_risk_level"] = acc["churn_risk_level"].map({"Low": "High", "High": "Low"})
    acc["account_type"] = "Former Customer"
    acc["company_size_category"] = acc["company_size_category"].iloc[::-1].to_numpy()
    acc["days_since_last_activity"] = 999 - acc["days_since_last_activity"]
    acc["contacts_with_email"] = 5 - acc["contacts_with_email"]
    opp = frames[OPP].copy()
    opp["amount"] = opp["amount"] * np.where(opp.index % 2 == 0, 10.0, 0.1)
    opp["competitor"] = np.where(opp["competitor"].isna(), "Globex", None)
    return {**frames, ACC: acc, OPP: opp}


def test_todays_account_and_deal_attributes_change_no_backtest_score():
    frames = _pipeline()
    before = _run(frames, **SMALL)
    after = _run(_today_changed(frames), **SMALL)
    assert before.metric("model_trained") == "yes"
    assert set(before.tables["backtest_scores"]["source"]) >= {"model", "baseline"}
    pd.testing.assert_frame_equal(before.tables["backtest_scores"], after.tables["backtest_scores"])
    pd.testing.assert_frame_equal(before.tables["reliability"], after.tables["reliability"])
    cols = ["opportunity_id", "p_win", "p_next"]
    pd.testing.assert_frame_equal(
        before.tables["open_deals"][cols], after.tables["open_deals"][cols]
    )
    assert before.method["amount_feature"] is True  # the history dates the amount
    features = set(before.tables["drivers"]["feature"])
    assert not {f for f in features if f.split("=")[0] in {"churn_risk", "size", "competitor"}}


def test_without_dated_amounts_the_amount_is_no_feature():
    frames = _pipeline()
    frames[HIST] = frames[HIST].drop(columns="amount")
    r = _run(frames, **SMALL)
    assert r.method["amount_feature"] is False
    assert not {"log_amount", "amount_missing"} & set(r.tables["drivers"]["feature"])
    changed = _run(_today_changed(frames), **SMALL)
    pd.testing.assert_frame_equal(r.tables["backtest_scores"], changed.tables["backtest_scores"])


def test_a_target_with_one_example_of_a_class_is_skipped_not_crashed():
    from crmlens.analyses.funnel.config import FunnelConfig
    from crmlens.analyses.funnel.model import fit, numeric

    n = 12
    x = pd.DataFrame(
        {
            "log_age": np.arange(n, dtype=float),
            "log_days_in_stage": np.arange(n, dtype=float) % 3,
            "stage": [P, Q] * (n // 2),
            "type": "New Business",
            "lead_source": "Web",
        }
    )
    nxt = np.ones(n, dtype=bool)
    nxt[0] = False  # one example of the rarer class: no calibration fold can hold both
    train = pd.DataFrame({"won": np.arange(n) % 2 == 0, "next_stage": nxt})
    model = fit(train, x, 12, FunnelConfig(), numeric(False, False))
    assert model.next_stage is None and model.win is not None
    assert model.skipped == {"next_stage": 1}


def test_skipped_targets_fall_back_to_the_baseline_and_say_why(monkeypatch):
    from crmlens.analyses.funnel import model

    monkeypatch.setattr(model, "MIN_MINORITY", 10_000)
    r = _run(_pipeline(), **SMALL)
    codes = {f.code: f.params for f in r.findings}
    assert codes["fn.model_win_skipped"]["needed"] == 10_000
    assert "fn.model_next_stage_skipped" in codes
    assert "fn.model_not_trained" not in codes
    assert r.metric("model_trained") == "no"
    deals = r.tables["open_deals"]
    assert (deals["p_win"] == deals["p_baseline"]).all()
    assert "model" not in set(r.tables["backtest_scores"]["source"])


def test_no_training_snapshot_uses_the_overall_win_rate():
    # every closed deal lived under 30 days: no monthly snapshot saw one open
    deals = [
        _deal("c1", "2026-01-20", "2026-01-25", won=True),
        _deal("c2", "2026-01-22", END, won=False),
        _deal("c3", "2026-01-21", END, won=False),
        _deal("o", "2026-01-05", "2026-03-01"),
    ]
    history = [
        *_rows("c1", [("2026-01-20", P), ("2026-01-25", WON)]),
        *_rows("c2", [("2026-01-22", P), (END, LOST)]),
        *_rows("c3", [("2026-01-21", P), (END, LOST)]),
        *_rows("o", [("2026-01-05", P), ("2026-01-10", Q)]),
    ]
    r = _run({OPP: pd.DataFrame(deals), HIST: pd.DataFrame(history)})
    o = r.tables["open_deals"].set_index("opportunity_id").loc["o"]
    assert o["p_win"] == pytest.approx(1 / 3) and o["p_baseline"] == pytest.approx(1 / 3)
    # Qualification: reached by c1 (won: every stage) and o (still there) → 1 of 1 moved on
    assert o["p_next"] == pytest.approx(1.0)
    f = {x.code: x.params for x in r.findings}["fn.baseline_fallback"]
    assert (f["deals"], f["closed"], f["rate"]) == (1, 3, pytest.approx(1 / 3))


def test_no_outcome_and_no_conversion_never_give_a_nan_probability():
    frames = {
        OPP: pd.DataFrame(
            [_deal("o", "2025-06-01", "2026-06-01"), _deal("e", "2025-01-01", END, won=False)]
        ),
        HIST: pd.DataFrame(_rows("o", [("2025-06-01", P)])),
    }
    r = _run(frames)
    o = r.tables["open_deals"].set_index("opportunity_id").loc["o"]
    # one closed deal, lost: the overall win rate is 0; no stage has a conversion rate
    assert (o["p_win"], o["p_next"], o["p_baseline"]) == (0.0, 0.0, 0.0)
    codes = {x.code: x.params for x in r.findings}
    assert codes["fn.next_stage_fallback"]["deals"] == 1
    assert codes["fn.baseline_fallback"]["closed"] == 1


def test_undated_deals_are_in_no_quarter():
    from crmlens.analyses.funnel.forecast import bookings, by_group

    end = pd.Timestamp("2026-01-31").date()
    open_deals = pd.DataFrame(
        {
            "opportunity_id": ["overdue", "this", "next", "undated"],
            "expected_close": pd.to_datetime(["2025-12-01", "2026-03-01", "2026-05-01", None]),
            "amount": [100.0, 200.0, 400.0, 800.0],
            "p_win": [1.0, 0.5, 0.25, 1.0],
            "owner_label": ["x", "x", "x", "x"],
        }
    )
    table, quarter = bookings(open_deals, end, 200, 1, 0.9)
    rows = table.set_index("quarter")
    assert list(rows.index) == ["2026Q1", "2026Q2", "undated"]
    assert rows.loc["2026Q1", "open_deals"] == 2 and rows.loc["2026Q1", "expected"] == 200.0
    assert rows.loc["2026Q2", "expected"] == 100.0
    assert rows.loc["undated", "pipeline"] == 800.0 and rows.loc["undated", "expected"] == 800.0
    owners = by_group(open_deals, quarter, end, "owner_label")
    assert owners["expected"].tolist() == [200.0]


def test_undated_pipeline_is_a_finding():
    frames = {
        OPP: pd.DataFrame(
            [
                {**_deal("o", "2025-06-01", "2026-06-01"), "close_date": pd.NaT},
                _deal("e", "2025-01-01", END, won=False),
            ]
        ),
        HIST: pd.DataFrame(_rows("o", [("2025-06-01", P)])),
    }
    r = _run(frames)
    assert r.metric("forecast_this_quarter") == 0.0
    assert {x.code: x.params for x in r.findings}["fn.undated_pipeline"]["deals"] == 1


@pytest.mark.parametrize("reverse", [False, True])
def test_same_time_rows_resolve_alike_in_any_order(reverse):
    deals = [_deal("o", "2025-06-01", "2026-03-01"), _deal("e", "2025-01-01", END, won=False)]
    history = [
        {**r, "probability": p}
        for r, p in zip(_rows("o", [("2025-06-01", P), ("2025-06-01", P)]), (20.0, 10.0))
    ]
    history.append({**_rows("o", [("2025-06-01", P)])[0], "probability": None})
    step = -1 if reverse else 1
    frames = {OPP: pd.DataFrame(deals[::step]), HIST: pd.DataFrame(history[::step])}
    o = _run(frames).tables["open_deals"].set_index("opportunity_id").loc["o"]
    # rows at one time in one stage: ordered by probability, NULLs first → 20 % is the last
    assert o["rep_probability"] == pytest.approx(0.20)


def test_the_undated_bucket_reads_in_the_report_language():
    from crmlens.analyses.funnel.views import COLUMN_FORMATS
    from crmlens.report.i18n import fmt_value

    assert fmt_value("undated", COLUMN_FORMATS["quarter"], "zh") == "日期未定（无预计成交日期）"
    assert fmt_value("2026Q3", COLUMN_FORMATS["quarter"], "zh") == "2026Q3"
