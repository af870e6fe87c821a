"""Monthly spend and attributed revenue per campaign and campaign age (months since start).

Spend per month comes from ``marketing__campaign_spend`` where a campaign has rows there;
otherwise its ``actual_cost`` is spread evenly over its active months (start month to end month;
to the data's end month when it has no end date) and only the months up to the data's end month
are kept: the cost of later months has no attributable revenue yet, so it is left out rather than
piled onto the earlier months.  Revenue is the won amount of opportunities with that
``campaign_id``, by close month.  Revenue before a campaign's start month is left out (counted).
A campaign that starts after the data's end (``data_end``) has no month to age: it is left out
(counted), and revenue already attributed to it counts as revenue before its start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlens.analyses.roi_decay.inputs import Inputs, month_index


@dataclass(frozen=True)
class Panel:
    monthly: pd.DataFrame  # campaign_id, age, spend, revenue (one row per campaign and age)
    history: pd.DataFrame  # the same rows at every age up to the data's end (not cut at max_age)
    campaigns: pd.DataFrame  # one row per campaign with totals and spend source
    revenue_before_start: float
    revenue_unknown_campaign: float
    campaigns_not_started: int  # campaigns starting after the data's end: left out


def _as_date(v) -> dt.date | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    return pd.Timestamp(v).date()


def _campaign_months(inputs: Inputs, end_day: dt.date) -> pd.DataFrame:
    """One row per campaign with a start date: start and end month indices (no end date → the
    data's end month), running flag, active months (the whole planned period) and observed months
    (those up to the data's end month)."""
    c = inputs.campaigns.copy()
    start = c["start_date"].map(_as_date)
    end = c["end_date"].map(_as_date) if "end_date" in c.columns else pd.Series(None, index=c.index)
    end_m = month_index(end_day)
    c["start_day"] = start
    c["start_month"] = [None if s is None else month_index(s) for s in start]
    c["end_month"] = [end_m if e is None else month_index(e) for e in end]
    c["running"] = [e is None or e >= end_day for e in end]
    c["targeted"] = (
        c["is_targeted"].astype("boolean").fillna(False).astype(bool)
        if "is_targeted" in c.columns
        else False
    )
    c = c[c["start_month"].notna()].copy()  # a campaign without a start cannot be aged
    c["start_month"] = c["start_month"].astype("int64")
    c["active_months"] = (c["end_month"] - c["start_month"] + 1).clip(lower=1)
    c["observed_months"] = np.minimum(c["active_months"], end_m - c["start_month"] + 1)
    return c


def build_panel(inputs: Inputs, as_of: dt.date, max_age: int) -> Panel:
    """The panel as of ``as_of``, the data's end (``analyses.engine.data_end``)."""
    c = _campaign_months(inputs, as_of)
    later = c["start_day"] > as_of  # not started by the data's end: no month to age
    revenue = _revenue_by_age(c, inputs.revenue)
    later_ids = set(c.loc[later, "campaign_id"])
    c = c[~later].drop(columns="start_day").copy()
    spread = _spread_spend(c, inputs.spend)
    of_later = revenue["campaign_id"].isin(later_ids)
    # every deal of a campaign that starts after the data's end closed before that start
    before = float(revenue.loc[of_later | (revenue["age"] < 0), "revenue"].sum())
    history = spread.merge(revenue[~of_later], on=["campaign_id", "age"], how="outer").fillna(
        {"spend": 0.0, "revenue": 0.0, "deals": 0}
    )
    history = history[history["age"] >= 0]
    monthly = history[history["age"] < max_age]
    known = set(c["campaign_id"]) | later_ids
    unknown = float(inputs.revenue.loc[~inputs.revenue["campaign_id"].isin(known), "revenue"].sum())
    totals = monthly.groupby("campaign_id")[["spend", "revenue", "deals"]].sum()
    c = c.join(totals, on="campaign_id").fillna({"spend": 0.0, "revenue": 0.0, "deals": 0})
    c["roi"] = np.where(c["spend"] > 0, c["revenue"] / c["spend"].where(c["spend"] > 0), np.nan)
    c["age_months"] = month_index(as_of) - c["start_month"]
    monthly = monthly.merge(
        c[["campaign_id", "type", "targeted"]], on="campaign_id", how="left"
    ).sort_values(["campaign_id", "age"], kind="stable")
    history = history.sort_values(["campaign_id", "age"], kind="stable").reset_index(drop=True)
    return Panel(
        monthly.reset_index(drop=True),
        history,
        c.reset_index(drop=True),
        before,
        unknown,
        len(later_ids),
    )


def _spread_spend(c: pd.DataFrame, spend: pd.DataFrame | None) -> pd.DataFrame:
    """Spend per (campaign, age): the spend table's rows for the campaigns it has; for the others
    ``actual_cost`` ÷ active months in each observed month (the months after the data's end keep
    their share, which is left out)."""
    with_rows: set = set()
    parts = []
    if spend is not None and len(spend):
        s = spend.merge(c[["campaign_id", "start_month"]], on="campaign_id", how="inner")
        s["age"] = s["month"].map(month_index) - s["start_month"]
        parts.append(s[["campaign_id", "age", "spend"]])
        with_rows = set(s["campaign_id"])
    rest = c[~c["campaign_id"].isin(with_rows)]
    cost = pd.to_numeric(rest["actual_cost"], errors="coerce").fillna(0.0).to_numpy()
    active = rest["active_months"].to_numpy(dtype="int64")
    months = rest["observed_months"].to_numpy(dtype="int64")
    ids = np.repeat(rest["campaign_id"].to_numpy(), months)
    ages = np.concatenate([np.arange(m) for m in months]) if len(months) else np.zeros(0, int)
    per_month = np.repeat(cost / np.maximum(active, 1), months)
    parts.append(pd.DataFrame({"campaign_id": ids, "age": ages, "spend": per_month}))
    c["spend_source"] = np.where(c["campaign_id"].isin(with_rows), "spend_table", "spread")
    out = pd.concat(parts, ignore_index=True)
    return out.groupby(["campaign_id", "age"], as_index=False)["spend"].sum()


def _revenue_by_age(c: pd.DataFrame, revenue: pd.DataFrame) -> pd.DataFrame:
    r = revenue.merge(c[["campaign_id", "start_month"]], on="campaign_id", how="inner")
    r["age"] = r["month"].map(month_index) - r["start_month"]
    r["revenue"] = pd.to_numeric(r["revenue"], errors="coerce").fillna(0.0)
    return r.groupby(["campaign_id", "age"], as_index=False)[["revenue", "deals"]].sum()


def curves(monthly: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """ROI by age per group: monthly (Σ revenue ÷ Σ spend of the month) and cumulative (from age
    0), with the campaigns contributing."""
    g = monthly.groupby([*by, "age"], sort=True)
    out = g.agg(
        spend=("spend", "sum"), revenue=("revenue", "sum"), campaigns=("campaign_id", "nunique")
    ).reset_index()
    out["roi"] = out["revenue"] / out["spend"].where(out["spend"] > 0)
    if by:
        cum = out.groupby(by, sort=False)[["spend", "revenue"]].cumsum()
    else:
        cum = out[["spend", "revenue"]].cumsum()
    out["cumulative_roi"] = cum["revenue"] / cum["spend"].where(cum["spend"] > 0)
    return out
