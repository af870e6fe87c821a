"""Opportunities over several years and their stage histories, for one chunk of accounts.

Per account: new-business attempts until one is won (the account becomes a customer on its close
date), then a renewal opportunity about 90 days before every yearly anniversary, upsells and
existing-business deals within each term; a lost renewal is churn (the account stops buying).
Every deal's outcome comes from the stage chain of :mod:`synth.planted`, so its true win
probability is known; the rep's probability is over-optimistic in late stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from crmlens.synth import planted as P
from crmlens.synth import vocab_v2 as W
from crmlens.synth.common import day_dates, nulled, pick, sf_ids, stream, text
from crmlens.synth.history import history_rows
from crmlens.synth.marketing import CampaignPlan

MAX_NEW_BUSINESS_ATTEMPTS = 4
NEW_BUSINESS_ATTEMPTS = {"Customer": (1, 1.2), "Prospect": (0, 0.9), "Partner": (0, 0.7)}
OTHER_ATTEMPTS = (0, 0.5)
UPSELL_RATE = 0.35  # expected upsell/existing-business deals per customer-year (health 0)
EXISTING_BUSINESS_SHARE = 0.25
CONTRACTION_SHARE = 0.12
COMPETITOR_SHARE = {"New Business": 0.55, "Renewal": 0.2, "Upsell": 0.15, "Existing Business": 0.2}
AMOUNT_NULL_SHARE = 0.05
AMOUNT_ZERO_SHARE = 0.005
CLOSE_DATE_ERROR_SHARE = 0.01  # closed deals whose close date is before their creation
MARGIN_NULL_SHARE = 0.12
CAMPAIGN_SHARE_MARKETING = 0.85  # deals from marketing lead sources tied to a campaign
CAMPAIGN_SHARE_OTHER = 0.15
RENEWAL_SOURCE_NULL_SHARE = 0.6
OWNER_IS_ACCOUNT_OWNER = 0.8
OWNERS = 150


@dataclass
class Accounts:
    """The per-account features of one chunk the v2 tables depend on."""

    ids: np.ndarray
    size: np.ndarray
    account_type: np.ndarray
    health: np.ndarray
    zh: np.ndarray
    owner_ix: np.ndarray
    created_day: np.ndarray  # negative: days before the as-of date
    whale: np.ndarray | None = None  # set by deals_for


@dataclass
class Lifecycle:
    """What the deals made of each account: customer since, churn date, how it was won."""

    customer_since: np.ndarray  # day of the first won deal, NaN if never won
    churn_day: np.ndarray  # close day of the lost renewal, NaN if not churned
    acquisition_source: np.ndarray  # lead source of the won new-business deal (or None)


class _Deals:
    """Opportunities accumulated batch by batch (each batch simulated through the stage chain)."""

    def __init__(self, rng: np.random.Generator, acc: Accounts) -> None:
        self.rng, self.acc = rng, acc
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, account, opp_type, created, amount, lead_source) -> dict[str, np.ndarray]:
        rng, acc, m = self.rng, self.acc, len(account)
        types = np.full(m, opp_type, dtype=object) if isinstance(opp_type, str) else opp_type
        share = np.zeros(m)
        for name, s in COMPETITOR_SHARE.items():
            share[types == name] = s
        competitor = np.where(rng.random(m) < share, pick(rng, W.COMPETITORS, m), None)
        named = (competitor != None) & (competitor != "none")  # noqa: E711 (object array)
        logits = P.advance_logits(
            types,
            acc.health[account],
            lead_source,
            named,
            amount,
            acc.size[account],
            acc.account_type[account],
        )
        advance = P.sigmoid(logits)
        passes = np.cumprod(rng.random((m, 5)) < advance, axis=1).sum(axis=1)
        slow = np.where(acc.size[account] == "Enterprise", 1.5, 1.0)
        days = np.ceil(rng.gamma(2.0, np.asarray(P.STAGE_DAYS) / 2.0, (m, 5)) * slow[:, None])
        entries = created[:, None] + np.concatenate([np.zeros((m, 1)), days.cumsum(axis=1)], 1)
        part = {
            "account": account,
            "type": types,
            "created": created.astype(np.int64),
            "amount": amount,
            "lead_source": lead_source,
            "competitor": competitor,
            "named": named,
            "advance": advance,
            "passes": passes,
            "entries": entries.astype(np.int64),
            "close": entries[np.arange(m), np.minimum(passes, 4) + 1].astype(np.int64),
        }
        self.parts.append(part)
        return part

    def merged(self) -> dict[str, np.ndarray]:
        out = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        order = np.lexsort((out["created"], out["account"]))
        return {k: v[order] for k, v in out.items()}


def _new_business(deals: _Deals, rng, acc: Accounts, scale: float, deal_size: np.ndarray):
    n = len(acc.ids)
    fixed = np.zeros(n)
    rate = np.full(n, OTHER_ATTEMPTS[1])
    for kind, (base, r) in NEW_BUSINESS_ATTEMPTS.items():
        fixed[acc.account_type == kind], rate[acc.account_type == kind] = base, r
    attempts = fixed + rng.poisson(rate * scale)
    lower = np.maximum(acc.created_day, P.CRM_START)
    next_day = (lower + (-10 - lower) * rng.random(n)).astype(np.int64)
    since = np.full(n, np.nan)
    amount_won = np.zeros(n)
    source = np.full(n, None, dtype=object)
    pending = np.ones(n, bool)
    for k in range(MAX_NEW_BUSINESS_ATTEMPTS):
        idx = np.flatnonzero(pending & (k < attempts) & (next_day <= -7))
        if len(idx) == 0:
            break
        lead = pick(rng, W.DEAL_SOURCES, len(idx))
        amount = deal_size[idx] * rng.lognormal(0.0, 0.4, len(idx))
        part = deals.add(idx, "New Business", next_day[idx], amount, lead)
        won = part["passes"] == 5
        closed = part["close"] <= 0
        pending[idx[won | ~closed]] = False  # won, or still open: no new attempt
        got = won & closed
        since[idx[got]] = part["close"][got]
        amount_won[idx[got]] = amount[got]
        source[idx[got]] = lead[got]
        next_day[idx] = part["close"] + np.ceil(rng.gamma(2.0, 60.0, len(idx))).astype(np.int64)
    return since, amount_won, source


def _term_deals(deals: _Deals, rng, acc: Accounts, idx, start, arr, scale: float) -> None:
    """Upsells and existing-business deals within one yearly term of customers ``idx``."""
    count = rng.poisson(UPSELL_RATE * scale * np.exp(0.4 * acc.health[idx]))
    who = np.repeat(np.arange(len(idx)), count)
    if len(who) == 0:
        return
    created = (start[who] + 30 + 215 * rng.random(len(who))).astype(np.int64)
    keep = created <= 0
    who, created = who[keep], created[keep]
    m = len(who)
    if m == 0:
        return
    kind = np.where(rng.random(m) < EXISTING_BUSINESS_SHARE, "Existing Business", "Upsell")
    amount = arr[idx[who]] * rng.uniform(0.1, 0.5, m)
    part = deals.add(idx[who], kind.astype(object), created, amount, pick(rng, W.DEAL_SOURCES, m))
    grows = (part["passes"] == 5) & (part["close"] <= 0) & (kind == "Upsell")
    np.add.at(arr, idx[who[grows]], amount[grows])


def _renewals(deals: _Deals, rng, acc: Accounts, since, arr, source, scale: float):
    n = len(acc.ids)
    churn = np.full(n, np.nan)
    active = ~np.isnan(since)
    start = np.where(active, since, 0).astype(np.int64)
    for _ in range(P.MAX_RENEWALS):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        _term_deals(deals, rng, acc, idx, start[idx], arr, scale)
        anniversary = start[idx] + P.TERM_DAYS
        created = anniversary - P.RENEWAL_LEAD_DAYS + np.round(rng.normal(0, 10, len(idx)))
        due = created <= 0
        active[idx[~due]] = False
        idx, anniversary, created = idx[due], anniversary[due], created[due].astype(np.int64)
        m = len(idx)
        growth = np.exp(rng.normal(0.03 + 0.04 * acc.health[idx], 0.08))
        growth = np.where(rng.random(m) < CONTRACTION_SHARE, rng.uniform(0.6, 0.95, m), growth)
        amount = arr[idx] * growth
        lead = nulled(rng, source[idx], RENEWAL_SOURCE_NULL_SHARE)
        part = deals.add(idx, "Renewal", created, amount, lead)
        closed = part["close"] <= 0
        won = (part["passes"] == 5) & closed
        lost = (part["passes"] < 5) & closed
        start[idx[won]] = anniversary[won]
        arr[idx[won]] = amount[won]
        churn[idx[lost]] = part["close"][lost]
        active[idx[~won]] = False
    return churn


def deals_for(seed: int, chunk: int, acc: Accounts, plan: CampaignPlan, scale: float):
    """Opportunity, history and truth tables of one chunk, the account roll-ups and lifecycles."""
    rng = stream(seed, "deals", chunk)
    n = len(acc.ids)
    size_factor = np.zeros(n)
    for size, factor in P.SIZE_AMOUNT.items():
        size_factor[acc.size == size] = factor
    whale = rng.random(n) < P.WHALE_SHARE
    deal_size = rng.lognormal(10.0, 0.9, n) * size_factor
    deal_size *= np.where(whale, rng.uniform(*P.WHALE_FACTOR, n), 1.0)
    acc.whale = whale
    deals = _Deals(rng, acc)
    since, arr, source = _new_business(deals, rng, acc, scale, deal_size)
    churn = _renewals(deals, rng, acc, since, arr, source, scale)
    d = deals.merged()
    d["whale"] = whale[d["account"]]
    opps, truth, stats = _opportunity_table(rng, seed, chunk, acc, d, plan)
    history = history_rows(stream(seed, "history", chunk), opps["opportunity_id"], d, opps)
    life = Lifecycle(since, churn, source)
    return pa.table(opps), history, pa.table(truth), stats, life


def _outcome_columns(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    m = len(d["account"])
    closed = d["close"] <= 0
    won = closed & (d["passes"] == 5)
    top = np.minimum(d["passes"], 4)
    entered = (d["entries"][:, :5] <= 0) & (np.arange(5)[None, :] <= top[:, None])
    current = entered.sum(axis=1) - 1  # open deals: the last stage entered by the as-of date
    by_stage = P.win_probability_from_stage(d["advance"])
    truth_now = by_stage[np.arange(m), np.clip(current, 0, 4)]
    return {
        "closed": closed,
        "won": won,
        "current": current,
        "by_stage": by_stage,
        "truth_now": truth_now,
    }


def _opportunity_table(rng, seed, chunk, acc: Accounts, d, plan: CampaignPlan):
    m = len(d["account"])
    o = _outcome_columns(d)
    closed, won, current = o["closed"], o["won"], o["current"]
    d["closed"], d["won"], d["current"] = closed, won, current
    stage = np.where(
        won,
        "Closed Won",
        np.where(closed, "Closed Lost", np.asarray(P.STAGES, dtype=object)[np.clip(current, 0, 4)]),
    )
    rep = P.rep_probability(o["truth_now"], np.clip(current, 0, 4))
    probability = np.where(won, 100.0, np.where(closed, 0.0, rep))
    d["rep_by_stage"] = P.rep_probability(o["by_stage"], np.tile(np.arange(5), (m, 1)))
    forecast = np.where(
        probability < 30, "Pipeline", np.where(probability < 60, "Best Case", "Commit")
    )
    forecast = np.where(~closed & (rng.random(m) < 0.04), "Omitted", forecast)
    forecast = np.where(won, "Closed", np.where(closed, "Omitted", forecast)).astype(object)

    amount = np.round(d["amount"], 2)
    amount[rng.random(m) < AMOUNT_ZERO_SHARE] = 0.0
    amount[rng.random(m) < AMOUNT_NULL_SHARE] = np.nan
    close = d["close"].copy()
    expected = d["created"] + np.where(acc.size[d["account"]] == "Enterprise", 130, 85)
    future = rng.integers(7, 120, m)
    expected = np.where((expected <= 0) & (rng.random(m) < 0.7), future, expected)
    close = np.where(closed, close, expected)
    error = closed & (rng.random(m) < CLOSE_DATE_ERROR_SHARE)
    close = np.where(error, d["created"] - rng.integers(1, 30, m), close)
    d["close_output"] = close

    margin = rng.beta(6.0, 3.0, m) + np.where(d["type"] == "Renewal", 0.08, 0.0)
    margin = nulled(rng, np.round(margin.clip(0.05, 0.95), 3), MARGIN_NULL_SHARE)
    lost = closed & ~won
    to_competitor = lost & d["named"] & (rng.random(m) < 0.55)
    reason = np.where(to_competitor, "Lost to Competitor", pick(rng, W.LOSS_REASONS, m))
    reason = np.where(lost & (rng.random(m) >= 0.1), reason, None)
    owner = np.where(
        rng.random(m) < OWNER_IS_ACCOUNT_OWNER,
        acc.owner_ix[d["account"]],
        rng.integers(0, OWNERS, m),
    )
    campaign = _campaigns(rng, d, plan, close, amount, won)

    oidx = (np.int64(chunk) << 22) + np.arange(m, dtype=np.int64)
    ids = sf_ids("006", oidx)
    amount0 = np.nan_to_num(amount)
    who = d["account"]
    n = len(acc.ids)
    stats = (
        np.bincount(who[won], weights=amount0[won], minlength=n),
        np.bincount(who[~closed], weights=amount0[~closed], minlength=n),
        np.bincount(who, minlength=n),
        np.bincount(who[won], minlength=n),
    )
    cid = plan.ids()
    opps = {
        "opportunity_id": text(ids),
        "account_id": text(acc.ids[who]),
        "owner_id": text(sf_ids("005", owner)),
        "amount": pa.array(amount, pa.float64(), from_pandas=True),
        "stage_name": text(stage),
        "probability": pa.array(probability, pa.float64()),
        "is_won": pa.array(won, pa.bool_()),
        "is_closed": pa.array(closed, pa.bool_()),
        "type": text(d["type"]),
        "lead_source": text(d["lead_source"]),
        "campaign_id": pa.array(
            np.where(campaign >= 0, cid[np.maximum(campaign, 0)], None), pa.string()
        ),
        "forecast_category": text(forecast),
        "competitor": text(d["competitor"]),
        "loss_reason": text(reason),
        "gross_margin": pa.array(margin, pa.float64()),
        "created_date": day_dates(d["created"]),
        "close_date": day_dates(close),
        "days_to_close": pa.array(close - d["created"], pa.int64()),
    }
    truth = {
        "opportunity_id": text(ids),
        "true_win_probability": pa.array(o["by_stage"][:, 0], pa.float64()),
        "true_win_probability_as_of": pa.array(o["truth_now"], pa.float64(), mask=closed),
        "stage_as_of": pa.array(np.where(closed, -1, current), pa.int64()),
    }
    for s in range(5):
        truth[f"true_win_probability_from_stage_{s}"] = pa.array(o["by_stage"][:, s])
    return opps, truth, stats


def _campaigns(rng, d, plan: CampaignPlan, close, amount, won) -> np.ndarray:
    """Campaign index per deal (-1 = none); won revenue attributed is added to the plan."""
    m = len(close)
    marketing = np.isin(d["lead_source"], W.MARKETING_SOURCES)
    share = np.where(marketing, CAMPAIGN_SHARE_MARKETING, CAMPAIGN_SHARE_OTHER)
    eligible = np.isin(d["type"], ("New Business", "Upsell")) & (rng.random(m) < share)
    eligible &= ~d["whale"]  # whale deals are sales-led: they would drown the campaign ROI
    day = np.where(d["closed"], close, d["created"])
    campaign = np.full(m, -1, dtype=np.int64)
    campaign[eligible] = plan.attribute(rng, day[eligible])
    counted = won & (campaign >= 0)
    plan.add_revenue(close[counted], amount[counted])
    return campaign
