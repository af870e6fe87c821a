"""Campaigns, their monthly spend and the attribution of deals to campaigns.

The campaign plan is global (one random stream, drawn before the first chunk).  Deals of every
chunk pick a campaign active in their month with weight ``base × roi(age)``
(:mod:`synth.planted`), and the won revenue attributed per month is summed as chunks pass.  At the
end the spend of each campaign month is set to ``base × revenue(month) / Σ weights(month)`` (with
a little noise), so the expected attributed revenue over the spend follows the planted ROI curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from crmlens.synth import planted as P
from crmlens.synth import vocab_v2 as W
from crmlens.synth.common import AS_OF_DAY, month_index, pick, sf_ids, stream, text

SPEND_ROWS_SHARE = 0.85  # campaigns with monthly spend rows; the rest carry actual_cost only
COST_ZERO_SHARE = 0.02
COST_NULL_SHARE = 0.02
TARGETED_SHARE = 0.4


def campaign_count(accounts: int) -> int:
    return int(np.clip(accounts // 150, 12, 2000))


@dataclass
class CampaignPlan:
    first_month: np.datetime64
    start: np.ndarray  # month index of the first month
    end: np.ndarray  # month index of the last month (inclusive)
    running: np.ndarray
    targeted: np.ndarray
    types: np.ndarray
    base: np.ndarray
    weights: np.ndarray  # (months, campaigns): base × planted ROI while active, else 0
    revenue: np.ndarray  # attributed won revenue by month, summed over chunks
    start_offset: np.ndarray  # day of the month the campaign starts / ends (realism only)

    @property
    def months(self) -> int:
        return self.weights.shape[0]

    @classmethod
    def build(cls, seed: int, accounts: int) -> "CampaignPlan":
        rng = stream(seed, "campaigns", 0)
        n = campaign_count(accounts)
        first = (AS_OF_DAY + np.timedelta64(P.CRM_START, "D")).astype("datetime64[M]")
        months = int(month_index(np.array([0]), first)[0]) + 1
        targeted = rng.random(n) < TARGETED_SHARE
        types = np.where(
            targeted,
            pick(rng, W.CAMPAIGN_TYPES_TARGETED, n),
            pick(rng, W.CAMPAIGN_TYPES_BROAD, n),
        )
        start = rng.integers(0, months - 2, n)
        length = np.where(targeted, rng.integers(6, 19, n), rng.integers(3, 25, n))
        end = start + length - 1
        running = end >= months - 1
        end = np.minimum(end, months - 1)
        roi_start = np.where(
            targeted, rng.uniform(*P.TARGETED_START_ROI, n), rng.uniform(*P.BROAD_START_ROI, n)
        )
        roi_floor = np.where(
            targeted, rng.uniform(*P.TARGETED_FLOOR_ROI, n), rng.uniform(*P.BROAD_FLOOR_ROI, n)
        )
        half_life = np.where(targeted, P.TARGETED_HALF_LIFE_MONTHS, P.BROAD_HALF_LIFE_MONTHS)
        base = rng.lognormal(0.0, 0.8, n)
        age = np.arange(months)[:, None] - start[None, :]
        active = (age >= 0) & (np.arange(months)[:, None] <= end[None, :])
        roi = P.roi_curve(np.maximum(age, 0), roi_start, roi_floor, half_life)
        weights = np.where(active, base * roi, 0.0)
        return cls(
            first,
            start,
            end,
            running,
            targeted,
            types,
            base,
            weights,
            np.zeros(months),
            rng.integers(0, 10, n),
        )

    def month_of(self, day: np.ndarray) -> np.ndarray:
        return month_index(day, self.first_month)

    def attribute(self, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
        """A campaign index for each day (weighted by base × ROI of campaigns active that month),
        or -1 when none is active."""
        month = self.month_of(day)
        out = np.full(len(day), -1, dtype=np.int64)
        u = rng.random(len(day))
        for m in np.unique(month):
            if m < 0 or m >= self.months:
                continue
            cum = np.cumsum(self.weights[m])
            if cum[-1] <= 0:
                continue
            rows = month == m
            out[rows] = np.searchsorted(cum, u[rows] * cum[-1], side="right")
        return np.minimum(out, len(self.base) - 1) if len(out) else out

    def add_revenue(self, day: np.ndarray, amount: np.ndarray) -> None:
        month = self.month_of(day)
        ok = (month >= 0) & (month < self.months) & ~np.isnan(amount)
        self.revenue += np.bincount(month[ok], weights=amount[ok], minlength=self.months)

    def ids(self) -> np.ndarray:
        return sf_ids("701", np.arange(len(self.base)))

    def spend(self, seed: int) -> np.ndarray:
        """Planted spend per (month, campaign), zero outside the campaign's months."""
        rng = stream(seed, "spend", 0)
        total = self.weights.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_weight = np.where(total > 0, self.revenue / total, np.nan)
        paid = per_weight[~np.isnan(per_weight) & (per_weight > 0)]
        fallback = float(paid.mean()) if len(paid) else 1000.0
        per_weight = np.where(np.isnan(per_weight) | (per_weight <= 0), fallback, per_weight)
        noise = rng.lognormal(0.0, P.SPEND_NOISE, self.weights.shape)
        return np.where(self.weights > 0, per_weight[:, None] * self.base * noise, 0.0).round(2)

    def tables(self, seed: int) -> dict[str, pa.Table]:
        rng = stream(seed, "campaigns", 1)
        spend = self.spend(seed)
        n = len(self.base)
        ids = self.ids()
        cost = spend.sum(axis=0).round(2)
        r = rng.random(n)
        zero, null = (
            r < COST_ZERO_SHARE,
            (r >= COST_ZERO_SHARE) & (r < COST_ZERO_SHARE + COST_NULL_SHARE),
        )
        with_rows = (rng.random(n) < SPEND_ROWS_SHARE) & ~zero & ~null
        cost = np.where(zero, 0.0, cost)
        month_days = self.first_month + np.arange(self.months).astype("timedelta64[M]")
        start = month_days[self.start].astype("datetime64[D]") + self.start_offset.astype(
            "timedelta64[D]"
        )
        end = (month_days[self.end] + np.timedelta64(1, "M")).astype("datetime64[D]") - (
            1 + self.start_offset
        ).astype("timedelta64[D]")
        year = start.astype("datetime64[Y]").astype(int) + 1970
        theme = np.array(W.CAMPAIGN_THEMES, dtype=object)[
            rng.integers(0, len(W.CAMPAIGN_THEMES), n)
        ]
        names = [f"FY{y % 100:02d} {t} {k}" for y, t, k in zip(year, theme, self.types)]
        campaigns = pa.table(
            {
                "campaign_id": text(ids),
                "name": text(np.array(names, dtype=object)),
                "type": text(self.types),
                "start_date": pa.array(start),
                "end_date": pa.array(end, mask=self.running),
                "actual_cost": pa.array(cost, pa.float64(), mask=null),
                "is_targeted": pa.array(self.targeted, pa.bool_()),
            }
        )
        month_ix, camp_ix = np.nonzero((spend > 0) & with_rows[None, :])
        order = np.lexsort((month_ix, camp_ix))
        month_ix, camp_ix = month_ix[order], camp_ix[order]
        spend_rows = pa.table(
            {
                "campaign_id": text(ids[camp_ix]),
                "month": pa.array(month_days[month_ix].astype("datetime64[D]")),
                "spend": pa.array(spend[month_ix, camp_ix], pa.float64()),
            }
        )
        return {"salesforce__campaign": campaigns, "marketing__campaign_spend": spend_rows}
