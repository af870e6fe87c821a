"""People adjust the model (seed 004): reps override a deal's win probability (percent) or its
expected close date with a reason (``crmlens override``, or the workbook's review sheet); the
adjusted values drive the forecast.  ``judged`` then measures who was right: every override of
the win probability recorded before its deal closed is scored against the outcome (Brier score of
the person's value, of the model's value shown when it was set, and of the rep's CRM probability
then), per person — whose adjustments systematically help or hurt."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.funnel.inputs import WON
from crmlens.analyses.spec import RunContext

PROBABILITY, CLOSE = "win_probability", "expected_close"
MIN_JUDGED = 5  # overrides a person needs before their adjustments are called helpful or harmful
MARGIN = 0.01  # Brier difference below which an adjustment neither helps nor hurts


def apply(ctx: RunContext, state: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """``state`` with the people's probability and close date in force (the model's kept in
    ``p_win_model`` / ``expected_close_model``), the review table, and overrides of deals the
    run does not have (reported, never dropped)."""
    prob = ctx.overrides(PROBABILITY)
    close = ctx.overrides(CLOSE)
    state = state.assign(win_probability=np.round(100 * state["p_win"], 1))
    applied = prob.apply(state, "opportunity_id", "win_probability")
    human = pd.to_numeric(applied["override_value"], errors="coerce") / 100.0
    applied["p_win_model"] = state["p_win"].to_numpy()
    applied["p_win"] = np.where(applied["overridden"], human, state["p_win"])
    applied["probability_overridden"] = applied["overridden"].to_numpy()
    applied["probability_by"] = applied["override_by"]
    applied["probability_reason"] = applied["override_reason"]
    review = prob.review(applied, "opportunity_id", "account_label", "win_probability_model")
    dated = close.apply(
        applied.drop(columns=[c for c in applied if c.startswith("override")] + ["overridden"]),
        "opportunity_id",
        "expected_close",
    )
    dated["expected_close_model"] = applied["expected_close"].to_numpy()
    dated["expected_close"] = pd.to_datetime(
        np.where(dated["overridden"], dated["override_value"], dated["expected_close_model"])
    )
    close_review = close.review(
        dated.assign(expected_close_text=dated["expected_close_model"].dt.strftime("%Y-%m-%d")),
        "opportunity_id",
        "account_label",
        "expected_close_text",
    )
    out = dated.drop(columns=[c for c in dated if c.startswith("override")] + ["overridden"])
    out["close_overridden"] = dated["overridden"].to_numpy()
    unknown = prob.unknown_entities(state["opportunity_id"]) + close.unknown_entities(
        state["opportunity_id"]
    )
    return out, as_text_values(pd.concat([review, close_review], ignore_index=True)), unknown


def as_text_values(review: pd.DataFrame) -> pd.DataFrame:
    """Probabilities and dates share the value columns: stored as text (as the override store
    holds them), so the table stays one type per column (Parquet)."""
    for column in ("model_value", "current_value"):
        review[column] = review[column].map(lambda v: None if pd.isna(v) else str(v))
    return review


def judged(ctx: RunContext, deals: pd.DataFrame, seg: pd.DataFrame) -> pd.DataFrame:
    """Every 'set' of a win probability recorded before its deal closed (on or before the end
    date), with the outcome and the Brier score of the person's, the model's and the CRM's
    probability at that time."""
    from crmlens.overrides.apply import store_of

    store = store_of(ctx.config)
    if not store.path.exists():
        return pd.DataFrame()
    events = store.events(ctx.spec.name, field=PROBABILITY)
    events = events[events["action"] == "set"]
    if events.empty:
        return pd.DataFrame()
    d = deals.set_index("opportunity_id")
    ids = events["entity_id"].astype(str)
    closed = ids.map(d["closed_by_end"]).fillna(False).astype(bool)
    when = pd.to_datetime(events["recorded_at"])
    before = when < ids.map(d["close_date"])
    ev = events[(closed & before).to_numpy()].copy()
    if ev.empty:
        return pd.DataFrame()
    ev["won"] = ev["entity_id"].astype(str).map(d["won_by_end"]).astype(float)
    ev["human"] = pd.to_numeric(ev["new_value"], errors="coerce") / 100.0
    ev["model"] = pd.to_numeric(ev["model_value"], errors="coerce") / 100.0
    ids = deals["opportunity_id"].to_numpy()[seg["deal"].to_numpy()]
    ev["crm"] = _crm_probability(seg.assign(opportunity_id=ids), ev)
    for source in ("human", "model", "crm"):
        ev[f"brier_{source}"] = (ev[source] - ev["won"]) ** 2
    return ev.reset_index(drop=True)


def _crm_probability(seg: pd.DataFrame, ev: pd.DataFrame) -> np.ndarray:
    """The CRM probability of the deal's stage segment in force when the override was set."""
    out = np.full(len(ev), np.nan)
    open_seg = seg[seg["order"] < WON]
    by_deal = {k: g for k, g in open_seg.groupby("opportunity_id", sort=False)}
    for i, (deal, when) in enumerate(zip(ev["entity_id"].astype(str), ev["recorded_at"])):
        g = by_deal.get(deal)
        if g is None:
            continue
        past = g[g["start"] <= pd.Timestamp(when)]
        if len(past):
            out[i] = past["probability"].iloc[-1] / 100.0
    return out


def who_is_right(ev: pd.DataFrame) -> pd.DataFrame:
    """Per person: judged overrides, mean Brier of their values, of the model's and the CRM's,
    and whether their adjustments help (lower Brier than the model by ``MARGIN``), hurt, or are
    not yet judged (fewer than ``MIN_JUDGED``)."""
    cols = ["changed_by", "judged", "brier_human", "brier_model", "brier_crm", "verdict"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    g = ev.groupby("changed_by").agg(
        judged=("won", "size"),
        brier_human=("brier_human", "mean"),
        brier_model=("brier_model", "mean"),
        brier_crm=("brier_crm", "mean"),
    )
    diff = g["brier_human"] - g["brier_model"]
    verdict = np.where(
        g["judged"] < MIN_JUDGED,
        "too_few_judged",
        np.where(diff < -MARGIN, "helps", np.where(diff > MARGIN, "hurts", "neutral")),
    )
    verdict = np.where(
        g["brier_model"].isna() & (g["judged"] >= MIN_JUDGED), "no_model_value", verdict
    )
    g["verdict"] = verdict
    return g.reset_index()[cols]
