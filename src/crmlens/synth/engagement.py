"""Support cases and NPS answers of one chunk's customers.

Both happen while an account is a customer (from its first won deal to its churn or the as-of
date).  Cases come more often for big and unhealthy accounts; complaints rise from 8% to 40% of
cases in the 180 days before a lost renewal.  NPS scores follow account health and drop before
churn.  Topics, comments and free-text type variants are English or Chinese.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crmlens.synth import planted as P
from crmlens.synth import vocab_v2 as W
from crmlens.synth.common import ORPHAN_BASE, day_dates, day_timestamps, pick, sf_ids, stream, text
from crmlens.synth.deals import Accounts, Lifecycle

CASES_PER_YEAR = {"Enterprise": 6.0, "Mid-Market": 3.0, "Small Business": 1.5, "Unknown": 2.0}
PRE_CHURN_EXTRA_CASES = 1.5
TYPE_VARIANT_SHARE = 0.05
REASON_NULL_SHARE = 0.1
CHINESE_EXTRA_SHARE = 0.1  # English accounts writing in Chinese all the same
CSAT_SHARE = 0.4
ORPHAN_SHARE = 0.002
SURVEY_FIRST_DAYS = 90
SURVEY_EVERY_DAYS = 180
NPS_RESPONSE_SHARE = 0.35
NPS_COMMENT_SHARE = 0.3


def _customer_window(life: Lifecycle):
    since = life.customer_since
    customer = ~np.isnan(since)
    end = np.where(np.isnan(life.churn_day), 0.0, life.churn_day)
    return customer, np.nan_to_num(since), end


def _with_orphans(rng, account_ids: np.ndarray, n: int) -> np.ndarray:
    orphans = rng.random(n) < ORPHAN_SHARE
    fake = sf_ids("001", ORPHAN_BASE + rng.integers(0, 1 << 38, int(orphans.sum())))
    out = account_ids.astype(object)
    out[orphans] = fake
    return out


def _bilingual(rng, options: dict, keys: np.ndarray, chinese: np.ndarray) -> np.ndarray:
    out = np.full(len(keys), None, dtype=object)
    for key, (english, chinese_words) in options.items():
        rows = np.flatnonzero(keys == key)
        en = np.array(english, dtype=object)[rng.integers(0, len(english), len(rows))]
        zh = np.array(chinese_words, dtype=object)[rng.integers(0, len(chinese_words), len(rows))]
        out[rows] = np.where(chinese[rows], zh, en)
    return out


def cases_for(seed: int, chunk: int, acc: Accounts, life: Lifecycle) -> pa.Table:
    rng = stream(seed, "cases", chunk)
    customer, since, end = _customer_window(life)
    rate = np.zeros(len(acc.ids))
    for size, r in CASES_PER_YEAR.items():
        rate[acc.size == size] = r
    years = np.where(customer, (end - since) / 365.0, 0.0)
    count = rng.poisson(rate * years * np.exp(-0.3 * acc.health))
    churned = ~np.isnan(life.churn_day)
    extra = np.where(churned, rng.poisson(PRE_CHURN_EXTRA_CASES, len(acc.ids)), 0)
    who = np.concatenate(
        [np.repeat(np.arange(len(acc.ids)), count), np.repeat(np.arange(len(acc.ids)), extra)]
    )
    late = np.concatenate([np.zeros(count.sum(), bool), np.ones(extra.sum(), bool)])
    start = np.where(late, np.maximum(end[who] - P.PRE_CHURN_DAYS, since[who]), since[who])
    time = start + (end[who] - start) * rng.random(len(who))
    ramp = np.where(churned[who], np.clip(1 - (end[who] - time) / P.PRE_CHURN_DAYS, 0, 1), 0.0)
    complaint_share = P.COMPLAINT_SHARE + (P.COMPLAINT_SHARE_PRE_CHURN - P.COMPLAINT_SHARE) * ramp
    m = len(who)
    kind = np.where(rng.random(m) < complaint_share, "Complaint", pick(rng, W.CASE_TYPES, m))
    chinese = acc.zh[who] | (rng.random(m) < CHINESE_EXTRA_SHARE)
    reason = _bilingual(rng, W.CASE_REASONS, kind, chinese)
    reason[rng.random(m) < REASON_NULL_SHARE] = None
    shown = kind.astype(object)
    variant = rng.random(m) < TYPE_VARIANT_SHARE
    for name, variants in W.CASE_TYPE_VARIANTS.items():
        rows = np.flatnonzero(variant & (kind == name))
        shown[rows] = np.array(variants, dtype=object)[rng.integers(0, len(variants), len(rows))]
    priority = pick(rng, W.CASE_PRIORITIES, m)
    priority[(kind == "Complaint") & (rng.random(m) < 0.3)] = "High"
    closed_time = time + rng.gamma(1.5, 2.5, m)
    is_closed = closed_time < 1.0
    status = np.where(is_closed, "Closed", pick(rng, W.OPEN_CASE_STATUS, m)).astype(object)
    origin = np.where(acc.zh[who], pick(rng, W.CASE_ORIGINS_ZH, m), pick(rng, W.CASE_ORIGINS, m))
    csat = 4.2 + 0.4 * acc.health[who] - 1.2 * (kind == "Complaint") + rng.normal(0, 0.8, m)
    answered = is_closed & (rng.random(m) < CSAT_SHARE)
    day, closed_day = np.floor(time), np.floor(closed_time)
    ids = sf_ids("500", (np.int64(chunk) << 22) + np.arange(m, dtype=np.int64))
    return pa.table(
        {
            "case_id": text(ids),
            "account_id": text(_with_orphans(rng, acc.ids[who], m)),
            "created_date": day_timestamps(day, np.round((time - day) * 86399)),
            "closed_date": day_timestamps(
                closed_day, np.round((closed_time - closed_day) * 86399), valid=is_closed
            ),
            "status": text(status),
            "type": text(shown),
            "reason": text(reason),
            "priority": text(priority),
            "origin": text(origin),
            "csat_score": pa.array(np.round(csat).clip(1, 5).astype(np.int64), mask=~answered),
        }
    )


def nps_for(seed: int, chunk: int, acc: Accounts, life: Lifecycle) -> pa.Table:
    rng = stream(seed, "nps", chunk)
    customer, since, end = _customer_window(life)
    span = end - since - SURVEY_FIRST_DAYS
    surveys = np.where(customer & (span >= 0), np.floor(span / SURVEY_EVERY_DAYS) + 1, 0)
    who = np.repeat(np.arange(len(acc.ids)), surveys.astype(np.int64))
    first = np.cumsum(surveys.astype(np.int64)) - surveys.astype(np.int64)
    wave = np.arange(len(who)) - np.repeat(first, surveys.astype(np.int64))
    day = (
        since[who] + SURVEY_FIRST_DAYS + SURVEY_EVERY_DAYS * wave + rng.integers(-20, 21, len(who))
    )
    keep = (rng.random(len(who)) < NPS_RESPONSE_SHARE) & (day <= 0) & (day >= since[who])
    who, day = who[keep], day[keep].astype(np.int64)
    m = len(who)
    churned = ~np.isnan(life.churn_day[who])
    before_churn = churned & (end[who] - day <= P.NPS_PRE_CHURN_DAYS)
    score = P.NPS_MEAN + P.NPS_PER_HEALTH * acc.health[who] + rng.normal(0, 1.6, m)
    score = np.round(score - P.NPS_PRE_CHURN_DROP * before_churn).clip(0, 10).astype(np.int64)
    band = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    chinese = acc.zh[who] | (rng.random(m) < CHINESE_EXTRA_SHARE)
    comment = _bilingual(rng, W.NPS_COMMENTS, band, chinese)
    comment[rng.random(m) >= NPS_COMMENT_SHARE] = None
    ids = sf_ids("a0N", (np.int64(chunk) << 22) + np.arange(m, dtype=np.int64))
    return pa.table(
        {
            "response_id": text(ids),
            "account_id": text(_with_orphans(rng, acc.ids[who], m)),
            "response_date": day_dates(day),
            "score": pa.array(score, pa.int64()),
            "comment": text(comment),
        }
    )
