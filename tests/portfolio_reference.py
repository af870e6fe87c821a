"""An independent plain-pandas re-computation of the portfolio review's headline figures, written
from issue 16's definitions (not from the unit's code), and a small random CRM generator for it.

The generator stands in for generator v2 (not merged yet): accounts, opportunities (won, lost,
open with future expected dates, NULL amounts, amounts rounded so revenues tie), cases (English and
Chinese types and reasons, some never closed), NPS answers (some outside 0–10), campaigns and
customer-value rows (CAC ≤ 0 and NULL included).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

CHANNELS = ["Referral", "Partner", "Paid Search", "Event", "Web"]
CAMPAIGN_TYPES = ["Referral Program", "Partner", "Paid Search", "Event", "Webinar", "Email"]
CASE_TYPES = ["Complaint", "投诉", "Feature Request", "功能需求", "Problem", "Question", "Billing"]
REASONS = ["Missing export feature", "Slow dashboard", "服务态度", "账单错误", "需要集成", None]
LOSS = ["Price", "Lost to Competitor", "No Decision", "竞品更便宜", "Timing", None]
COMPETITORS = ["Acme CRM", "Beta Suite", "in-house build", "none", None]


def generate(seed: int, accounts: int = 300) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"A{i:04d}" for i in range(accounts)]
    acc = pd.DataFrame(
        {
            "account_id": ids,
            "account_name": ids,
            "industry_normalized": rng.choice(["Tech", "Retail", "Health"], accounts),
            "company_size_category": rng.choice(["Enterprise", "Mid-Market", "Small"], accounts),
            "geographic_region": rng.choice(["East", "West", "North"], accounts),
            "acquisition_channel": rng.choice(CHANNELS, accounts, p=[0.4, 0.2, 0.2, 0.1, 0.1]),
            "competitor_in_use": rng.choice(np.array(COMPETITORS, dtype=object), accounts),
        }
    )
    n = accounts * 4
    start = dt.date(2022, 6, 1)
    close = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 1400, n)]
    won = rng.random(n) < 0.55
    closed = won | (rng.random(n) < 0.7)
    amount = np.round(rng.lognormal(9, 1, n), -3)  # rounded: revenues tie
    amount[rng.random(n) < 0.05] = np.nan
    opp = pd.DataFrame(
        {
            "opportunity_id": [f"O{i:05d}" for i in range(n)],
            "account_id": rng.choice(ids, n),
            "amount": amount,
            "is_won": won,
            "is_closed": closed,
            "close_date": close,
            "created_date": [
                c - dt.timedelta(days=int(d)) for c, d in zip(close, rng.integers(0, 120, n))
            ],
            "type": "New Business",
            "loss_reason": np.where(
                closed & ~won, rng.choice(np.array(LOSS, dtype=object), n), None
            ),
            "competitor": rng.choice(np.array(COMPETITORS, dtype=object), n),
            "gross_margin": rng.uniform(0.1, 0.7, n),
        }
    )
    m = accounts * 2
    created = pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 1100, m), "D")
    closed_at = created + pd.to_timedelta(rng.integers(0, 40, m), "D")
    cases = pd.DataFrame(
        {
            "case_id": [f"C{i:05d}" for i in range(m)],
            "account_id": rng.choice(ids, m),
            "created_date": created,
            "closed_date": closed_at.where(rng.random(m) < 0.8),
            "type": rng.choice(CASE_TYPES, m),
            "reason": rng.choice(np.array(REASONS, dtype=object), m),
        }
    )
    k = accounts * 2
    nps = pd.DataFrame(
        {
            "response_id": [f"N{i:05d}" for i in range(k)],
            "account_id": rng.choice(ids, k),
            "response_date": [
                dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 1100, k)
            ],
            "score": rng.integers(0, 12, k),  # 11 is invalid
        }
    )
    c = 24
    starts = [dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 1000, c)]
    ends = [s + dt.timedelta(days=int(d)) for s, d in zip(starts, rng.integers(10, 300, c))]
    campaigns = pd.DataFrame(
        {
            "campaign_id": [f"K{i:03d}" for i in range(c)],
            "type": rng.choice(CAMPAIGN_TYPES, c),
            "start_date": starts,
            "end_date": [e if rng.random() < 0.8 else None for e in ends],
            "actual_cost": np.round(rng.uniform(1000, 50000, c), 2),
        }
    )
    v = accounts
    cac = rng.uniform(-100, 5000, v)
    cac[rng.random(v) < 0.05] = np.nan
    value = pd.DataFrame(
        {
            "primary_email": [f"{i}@x.com" for i in range(v)],
            "customer_lifetime_value": rng.uniform(0, 20000, v),
            "acquisition_cost": cac,
            "customer_tier": rng.choice(["Gold", "Silver", "Bronze"], v),
            "lifecycle_stage": rng.choice(["Growth", "Maturity", "Dormant"], v),
        }
    )
    # deal types and attributed campaigns (drawn last: the draws above stay as they were)
    kinds = np.array(["New Business", "Renewal", "Upsell", "Existing Business", None], object)
    opp["type"] = rng.choice(kinds, n, p=[0.5, 0.2, 0.1, 0.1, 0.1])
    with_campaign = rng.random(n) < 0.6
    opp["campaign_id"] = np.where(with_campaign, rng.choice(campaigns["campaign_id"], n), None)
    return {
        "salesforce__customer_360_view": acc,
        "salesforce__opportunity_enhanced": opp,
        "salesforce__case": cases,
        "survey__nps_response": nps,
        "salesforce__campaign": campaigns,
        "customer360__customer_value_analysis": value,
    }


def _day(series) -> pd.Series:
    return pd.to_datetime(series).dt.normalize()


def _first_match(text: pd.Series, keyword_map: dict[str, list[str]]) -> pd.Series:
    out = pd.Series("other", index=text.index, dtype=object)
    done = pd.Series(False, index=text.index)
    lowered = text.fillna("").str.lower()
    for name, words in keyword_map.items():
        hit = pd.Series(False, index=text.index)
        for w in words:
            hit |= lowered.str.contains(w.lower(), regex=False)
        out[hit & ~done] = name
        done |= hit
    return out


def _campaign_spend(frames, t12) -> pd.Series:
    """T12 spend per campaign: the monthly rows whose first day is in T12, else the actual cost
    spread evenly over the campaign's days (to the as-of while running)."""
    camp = frames["salesforce__campaign"].copy()
    rows = frames.get("marketing__campaign_spend")
    from_rows = pd.Series(dtype=float)
    if rows is not None:
        month = _day(rows["month"])
        inside = rows[(month >= t12[0]) & (month <= t12[1])]
        from_rows = inside.groupby("campaign_id")["spend"].sum()
        camp = camp[~camp["campaign_id"].isin(rows["campaign_id"])]
    start = _day(camp["start_date"])
    end = _day(camp["end_date"]).fillna(t12[1]).clip(upper=t12[1])
    camp = camp[start <= t12[1]]
    start, end = start[camp.index], end[camp.index]
    days = ((end - start).dt.days + 1).clip(lower=1)
    first = start.clip(lower=t12[0])
    overlap = ((end - first).dt.days + 1).clip(lower=0)
    spread = (camp["actual_cost"].fillna(0) * overlap / days).groupby(camp["campaign_id"]).sum()
    return spread.add(from_rows, fill_value=0.0)


def _best_roi(frames, cfg, customers, channel, t12) -> float:
    """ROI = T12 revenue of the channel's customers ÷ the channel's T12 spend (campaign type
    mapped to a channel); the best channel's ROI."""
    types = frames["salesforce__campaign"].set_index("campaign_id")["type"]
    spend = _campaign_spend(frames, t12)
    channel_of = lambda t: cfg.campaign_channels.get(t, t)  # noqa: E731
    # the channel's spend total to the cent, as every money total is
    by_channel = spend.groupby(types.reindex(spend.index).map(channel_of)).sum().round(2)
    revenue = customers["t12"].groupby(channel.to_numpy()).sum()
    roi = revenue.reindex(by_channel.index).fillna(0) / by_channel[by_channel > 0]
    return roi.max()


def _growth_bought(frames, cfg, won_t12, t12) -> dict[str, float]:
    """Each campaign's T12 spend split by the new-business vs existing-customer revenue of its
    won T12 deals (types compared trimmed and lower-case); no such revenue: unallocated."""
    kind = won_t12["type"].fillna("").str.strip().str.lower()
    amount = won_t12["amount"].fillna(0.0)
    new = amount.where(kind.isin([t.lower() for t in cfg.new_business_types]), 0.0)
    old = amount.where(kind.isin([t.lower() for t in cfg.existing_business_types]), 0.0)
    by = won_t12["campaign_id"]
    per = pd.DataFrame({"new": new.groupby(by).sum(), "old": old.groupby(by).sum()})
    spend = _campaign_spend(frames, t12)
    spend = spend[spend > 0]
    per = per.reindex(spend.index).fillna(0.0)
    base = per["new"] + per["old"]
    # money totals to the cent (the spread spend is not a whole number of cents)
    acquisition = round((spend * per["new"] / base)[base > 0].sum(), 2)
    retention = round((spend * per["old"] / base)[base > 0].sum(), 2)
    return {
        "acquisition_spend_t12": acquisition,
        "retention_spend_t12": retention,
        "unallocated_spend_t12": round(spend[base <= 0].sum(), 2),
        "acquisition_spend_share": acquisition / (acquisition + retention),
        "new_business_revenue_share": new.sum() / (new.sum() + old.sum()),
        "acquisition_spend_per_new_revenue": acquisition / new.sum(),
        "retention_spend_per_retained_revenue": retention / old.sum(),
    }


def reference(frames: dict[str, pd.DataFrame], cfg, as_of: dt.date) -> dict[str, float]:
    """Headline figures with the run's as-of as window end (``as_of_source: run``)."""
    end = pd.Timestamp(as_of)
    days = cfg.window_days
    t12 = (end - pd.Timedelta(days=days - 1), end)
    p12 = (end - pd.Timedelta(days=2 * days - 1), end - pd.Timedelta(days=days))
    opp = frames["salesforce__opportunity_enhanced"].copy()
    opp["close"] = _day(opp["close_date"])
    won = opp[opp["is_won"]]

    def revenue(window):
        w = won[(won["close"] >= window[0]) & (won["close"] <= window[1])]
        return w.groupby("account_id")["amount"].sum(min_count=1).fillna(0.0)

    rev = pd.DataFrame({"t12": revenue(t12), "p12": revenue(p12)}).fillna(0.0)
    customers = rev[rev["t12"] > 0].reset_index().rename(columns={"index": "account_id"})
    customers = customers.sort_values(["t12", "account_id"], ascending=[False, True])
    x = customers["t12"].to_numpy()
    n, total = len(x), x.sum()
    out: dict[str, float] = {"customers_t12": n, "revenue_t12": total}
    k = math.ceil(round(cfg.top_share * n, 9))
    out["top_share"] = x[:k].sum() / total
    asc = np.sort(x)
    out["gini"] = 2 * (np.arange(1, n + 1) * asc).sum() / (n * total) - (n + 1) / n
    out["hhi"] = ((x / total) ** 2).sum()
    out["top5_share"] = x[:5].sum() / total
    out["top3_drop"] = x[:3].sum() / total

    value = frames["customer360__customer_value_analysis"]
    ok = value[(value["acquisition_cost"] > 0) & value["customer_lifetime_value"].notna()]
    out["ltv_cac_share_above"] = (
        ok["customer_lifetime_value"] / ok["acquisition_cost"] > cfg.ltv_cac_red_line
    ).mean()

    had = rev[rev["p12"] > 0]
    out["nrr"] = had["t12"].sum() / had["p12"].sum()
    out["grr"] = np.minimum(had["t12"], had["p12"]).sum() / had["p12"].sum()
    out["logo_retention"] = (had["t12"] > 0).mean()
    out["churned_revenue"] = had.loc[had["t12"] <= 0, "p12"].sum()
    in_t12 = won[(won["close"] >= t12[0]) & (won["close"] <= t12[1])]
    deals_per = in_t12.groupby("account_id").size()
    out["repeat_rate"] = (deals_per.reindex(customers["account_id"]).fillna(0) >= 2).mean()
    if "campaign_id" in opp.columns:
        out |= _growth_bought(frames, cfg, in_t12, t12)
    first_won = won[won["close"] <= end].groupby("account_id")["close"].min()
    out["new_customers_t12"] = int(((first_won >= t12[0]) & (first_won <= t12[1])).sum())

    closed = opp[(opp["is_closed"] | opp["is_won"]) & (opp["close"] <= end)]
    first_closed = closed.groupby("account_id")["close"].min()
    firsts = first_closed[(first_closed >= t12[0]) & (first_closed <= t12[1])]
    won_first = first_won.reindex(firsts.index) == firsts
    out["first_deal_win_rate"] = won_first.mean()

    cases = frames["salesforce__case"].copy()
    nps = frames["survey__nps_response"].copy()
    touches = pd.concat(
        [
            opp[["account_id", "close"]].rename(columns={"close": "day"}),
            opp.assign(day=_day(opp["created_date"]))[["account_id", "day"]],
            cases.assign(day=_day(cases["created_date"]))[["account_id", "day"]],
            nps.assign(day=_day(nps["response_date"]))[["account_id", "day"]],
        ]
    )
    touches = touches[touches["day"] <= end]
    last = touches.groupby("account_id")["day"].max()
    base = rev[(rev["t12"] > 0) | (rev["p12"] > 0)].index
    idle = (end - last.reindex(base)).dt.days
    out["dormant_share"] = (idle.isna() | (idle >= cfg.dormant_days)).mean()

    acc = frames["salesforce__customer_360_view"].set_index("account_id")
    channel = acc["acquisition_channel"].reindex(customers["account_id"]).fillna("Unknown")
    out["largest_channel_customer_share"] = channel.value_counts(normalize=True).max()
    out["best_channel_roi"] = _best_roi(frames, cfg, customers, channel, t12)
    known = acc["competitor_in_use"].reindex(customers["account_id"])
    blank = known.isna() | known.str.strip().str.lower().isin(
        [v.lower() for v in cfg.no_competitor_values] + [""]
    )
    out["customers_with_competitor_share"] = (~blank).mean()

    cases["created"] = _day(cases["created_date"])
    cases["closed"] = _day(cases["closed_date"])
    recent = cases[(cases["created"] >= t12[0]) & (cases["created"] <= t12[1])].copy()
    recent["case_class"] = _first_match(recent["type"], cfg.case_types)
    topic_text = recent["reason"].fillna("") + " " + recent["type"].fillna("")
    recent["topic"] = _first_match(topic_text, cfg.case_topics)
    feature = (recent["case_class"] == "feature_request") | (recent["topic"] == "missing_feature")
    out["feature_request_share"] = feature.mean()
    complaints = recent[recent["case_class"] == "complaint"]
    out["complaints_per_100_customers"] = 100 * len(complaints) / n
    resolved = complaints["closed"].notna() & (complaints["closed"] <= end)
    out["complaint_resolution_rate"] = resolved.mean()

    nps["day"] = _day(nps["response_date"])
    valid = nps[(nps["score"] >= 0) & (nps["score"] <= 10)]
    window = valid[(valid["day"] >= t12[0]) & (valid["day"] <= t12[1])]
    promoters = (window["score"] >= cfg.promoter_min).mean()
    detractors = (window["score"] < cfg.passive_min).mean()
    out["nps_t12"] = 100 * (promoters - detractors)

    lost = opp[opp["is_closed"] & ~opp["is_won"]]
    lost = lost[(lost["close"] >= t12[0]) & (lost["close"] <= t12[1])]
    reason = lost["loss_reason"].fillna("").str.lower()
    to_competitor = pd.Series(False, index=lost.index)
    for word in cfg.competitor_loss_keywords:
        to_competitor |= reason.str.contains(word.lower(), regex=False)
    out["lost_to_competitor_share"] = to_competitor.mean()
    return out
