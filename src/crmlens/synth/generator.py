"""Deterministic synthetic CRM data in bounded memory.

Accounts are produced in fixed-size chunks (``CHUNK`` accounts); each chunk draws from its own
random stream ``numpy.random.default_rng([seed, table, chunk])``, so output depends only on
(seed, accounts, config.synth) — never on timing or machine.  Each chunk's rows are handed to a
writer and dropped, so peak memory does not grow with the number of accounts.

Messiness (data-model.md "Synthetic data"): NULL revenue (~30%) and employees (~20%), tiny and
zero employee counts, accounts with zero contacts, orphan and deleted contacts, messy English and
Chinese titles/departments, duplicate e-mails differing in case, missing adoption/support values,
CAC ≤ 0 or NULL, correlated onboarding/adoption (r≈0.3), team size ↔ ROI, weak priority ↔
performance.

Model v2 tables hang off each chunk's accounts: deals and stage histories (``deals``,
``history``), cases and NPS answers (``engagement``), leads (``leads``); users come with the
first chunk, campaigns and their spend (``marketing``) with the last.  Each table has its own
stream (``common.TABLE_STREAMS``), so the v1 tables are the same as before v2.  What the data
plants on purpose (ROI half-life, true win probabilities, health → churn) is in ``planted``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa
from faker import Faker

from crmlens.config import SynthConfig
from crmlens.synth import planted as P
from crmlens.synth import vocab as V
from crmlens.synth import vocab_v2 as W
from crmlens.synth.common import (  # noqa: F401 (AS_OF, sf_ids: the generator's public names)
    AS_OF,
    ORPHAN_BASE,
    dates_ago,
    nulled,
    pick,
    sf_ids,
    stream,
)
from crmlens.synth.deals import Accounts, Lifecycle, deals_for
from crmlens.synth.engagement import cases_for, nps_for
from crmlens.synth.leads import leads_for
from crmlens.synth.marketing import CampaignPlan
from crmlens.synth.users import users_table

CHUNK = 50_000
TRUTH_TABLE = "crmlens_truth__opportunity"  # written only with truth=True (see synth.planted)

Progress = Callable[[int], None]
# expected value of the size multiplier below under V.SIZES, so the mean number of contacts per
# account equals SynthConfig.contacts_per_account
SIZE_MULT = {"Enterprise": 8.0, "Mid-Market": 1.5, "Small Business": 0.4, "Unknown": 0.6}
SIZE_MULT_MEAN = sum(w * SIZE_MULT[s] for s, w in V.SIZES)
OPPORTUNITIES_PER_ACCOUNT_DEFAULT = 1.2  # SynthConfig default: deal rates scale by the ratio
_pick, _null, _dates, _rng = pick, nulled, dates_ago, stream


@dataclass
class Pools:
    companies: np.ndarray
    companies_zh: np.ndarray
    first: np.ndarray
    last: np.ndarray
    owners: np.ndarray
    cities: np.ndarray

    @classmethod
    def build(cls, seed: int) -> "Pools":
        return _pools(seed)


@functools.lru_cache(maxsize=4)
def _pools(seed: int) -> Pools:
    """The name pools of a seed (Faker is slow: built once per seed and process, read-only)."""
    fk = Faker("en_US")
    fk.seed_instance(seed)
    fz = Faker("zh_CN")
    fz.seed_instance(seed)
    pools = Pools(
        companies=np.array([fk.company() for _ in range(4000)], dtype=object),
        companies_zh=np.array([fz.company() for _ in range(400)], dtype=object),
        first=np.array([fk.first_name() for _ in range(2000)], dtype=object),
        last=np.array([fk.last_name() for _ in range(2000)], dtype=object),
        owners=np.array([fk.name() for _ in range(150)], dtype=object),
        cities=np.array([fk.city() for _ in range(500)], dtype=object),
    )
    for values in vars(pools).values():
        values.flags.writeable = False
    return pools


def accounts_chunk(
    seed: int,
    chunk: int,
    start: int,
    n: int,
    cfg: SynthConfig,
    pools: Pools,
    plan: CampaignPlan,
    truth_table: bool = False,
):
    """Accounts and every table hanging off them (contacts, deals and their histories, cases,
    NPS answers, leads) for one chunk → dict of Arrow tables."""
    rng = _rng(seed, "accounts", chunk)
    idx = np.arange(start, start + n, dtype=np.int64)
    ids = sf_ids("001", idx)
    size = _pick(rng, [(s, w) for s, w in V.SIZES], n)
    industry = _pick(rng, V.INDUSTRIES, n)
    emp = (
        np.where(
            size == "Enterprise",
            rng.lognormal(7.0, 0.8, n).clip(1000, 200_000),
            np.where(
                size == "Mid-Market",
                rng.uniform(100, 1000, n),
                np.where(
                    size == "Small Business",
                    rng.lognormal(2.8, 1.0, n).clip(1, 99),
                    rng.lognormal(4.5, 2.0, n).clip(1, 50_000),
                ),
            ),
        )
        .round()
        .astype(np.int64)
    )
    tiny = rng.random(n) < 0.01
    emp[tiny] = rng.integers(1, 6, tiny.sum())
    emp[rng.random(n) < 0.002] = 0
    revenue = (emp.clip(1) * rng.lognormal(11.6, 0.9, n)).clip(50_000, 5e10)
    r = rng.random(n)
    revenue = np.where(
        r < 0.30,
        np.round(revenue, -3),
        np.where(r < 0.36, np.round(revenue, -6), np.round(revenue, 2)),
    )
    revenue_o = _null(rng, revenue, 0.30)
    emp_o = _null(rng, emp, 0.20)
    zh = rng.random(n) < cfg.chinese_share
    names = np.where(
        zh,
        pools.companies_zh[rng.integers(0, len(pools.companies_zh), n)],
        pools.companies[rng.integers(0, len(pools.companies), n)],
    )
    owner_ix = rng.integers(0, len(pools.owners), n)
    seg = np.array([V.SIZE_SEGMENT[s][0] for s in size], dtype=object)
    seg[(size == "Enterprise") & (rng.random(n) < 0.4)] = "Large"

    # contacts per account: over-dispersed (negative binomial), loosely growing with size
    mult = np.select(
        [size == "Enterprise", size == "Mid-Market", size == "Small Business"],
        [SIZE_MULT["Enterprise"], SIZE_MULT["Mid-Market"], SIZE_MULT["Small Business"]],
        SIZE_MULT["Unknown"],
    )
    mu = cfg.contacts_per_account * mult / SIZE_MULT_MEAN  # overall mean ≈ contacts_per_account
    disp = 0.7
    n_contacts = rng.negative_binomial(disp, disp / (disp + mu))
    contacts, deleted, with_email = contacts_for(seed, chunk, ids, n_contacts, cfg, pools, zh)
    owner = np.repeat(np.arange(n), n_contacts)  # contacts of this chunk's accounts come first
    m = len(owner)
    live = np.bincount(owner[~deleted[:m]], minlength=n)
    has_email = np.bincount(owner[~deleted[:m] & with_email[:m]], minlength=n)
    # the v1 columns below are drawn in the v1 order, so their values never change
    account_type = _pick(rng, V.ACCOUNT_TYPES, n)
    state = np.array(V.STATES, dtype=object)[rng.integers(0, len(V.STATES), n)]
    city = pools.cities[rng.integers(0, len(pools.cities), n)]
    region = np.array(V.REGIONS, dtype=object)[rng.integers(0, len(V.REGIONS), n)]
    inactive_days = rng.geometric(0.03, n)
    activities = rng.poisson(3 * mult)
    churn_risk = _pick(rng, V.CHURN, n)
    age_days = rng.integers(30, 4000, n)

    rng2 = stream(seed, "accounts_v2", chunk)
    coverage = np.where(live > 0, has_email / np.maximum(live, 1), 0.0)
    health = P.account_health(churn_risk, inactive_days, coverage, rng2.standard_normal(n))
    acc = Accounts(ids, size, account_type, health, zh, owner_ix, -age_days)
    scale = cfg.opportunities_per_account / OPPORTUNITIES_PER_ACCOUNT_DEFAULT
    opps, history, truth, stats, life = deals_for(seed, chunk, acc, plan, scale)
    won_amt, pipe_amt, n_opps, n_won = stats
    accounts = pa.table(
        {
            "account_id": ids,
            "account_name": pa.array(names, pa.string()),
            "annual_revenue": pa.array(revenue_o, pa.float64()),
            "number_of_employees": pa.array(emp_o, pa.int64()),
            "industry_normalized": pa.array(industry, pa.string()),
            "company_size_category": pa.array(size, pa.string()),
            "account_size_segment": pa.array(seg, pa.string()),
            "owner_id": sf_ids("005", owner_ix),
            "account_owner_name": pa.array(pools.owners[owner_ix], pa.string()),
            "account_type": pa.array(account_type, pa.string()),
            "billing_state": pa.array(state, pa.string()),
            "billing_city": pa.array(city, pa.string()),
            "geographic_region": pa.array(region, pa.string()),
            "total_contacts": pa.array(live, pa.int64()),
            "contacts_with_email": pa.array(has_email, pa.int64()),
            "days_since_last_activity": pa.array(inactive_days, pa.int64()),
            "total_activities_30d": pa.array(activities, pa.int64()),
            "total_won_amount": pa.array(won_amt, pa.float64()),
            "current_pipeline_amount": pa.array(pipe_amt, pa.float64()),
            "total_opportunities": pa.array(n_opps, pa.int64()),
            "won_opportunities": pa.array(n_won, pa.int64()),
            "win_rate_percentage": pa.array(
                np.where(n_opps > 0, 100.0 * n_won / np.maximum(n_opps, 1), np.nan),
                pa.float64(),
                from_pandas=True,
            ),
            "churn_risk_level": pa.array(churn_risk, pa.string()),
            "account_age_days": pa.array(age_days, pa.int64()),
            **_account_v2_columns(rng2, age_days, life),
        }
    )
    tables = {
        "salesforce__customer_360_view": accounts,
        "salesforce__contact_enhanced": pa.table(contacts),
        "salesforce__opportunity_enhanced": opps,
        "salesforce__opportunity_history": history,
        "salesforce__case": cases_for(seed, chunk, acc, life),
        "survey__nps_response": nps_for(seed, chunk, acc, life),
        "salesforce__lead": leads_for(seed, chunk, opps, plan),
    }
    if truth_table:
        tables[TRUTH_TABLE] = truth
    return tables


def _account_v2_columns(rng, age_days: np.ndarray, life: Lifecycle) -> dict[str, pa.Array]:
    """acquisition_channel (from the won new-business deal's source), created_date,
    competitor_in_use (more often known for churned accounts)."""
    n = len(age_days)
    channel = np.array(
        [W.ACQUISITION_CHANNELS.get(s) if s is not None else None for s in life.acquisition_source],
        dtype=object,
    )
    guess = np.array(sorted(set(W.ACQUISITION_CHANNELS.values())), dtype=object)
    unknown = (channel == None) & (rng.random(n) < 0.3)  # noqa: E711 (object array)
    channel[unknown] = guess[rng.integers(0, len(guess), int(unknown.sum()))]
    churned = ~np.isnan(life.churn_day)
    known = rng.random(n) < np.where(churned, 0.6, 0.3)
    rivals = [c for c in W.COMPETITORS if c[0] != "none"]
    competitor = np.where(known, _pick(rng, rivals, n), None)
    return {
        "acquisition_channel": pa.array(channel, pa.string()),
        "created_date": _dates(age_days),
        "competitor_in_use": pa.array(competitor, pa.string()),
    }


def contacts_for(seed, chunk, account_ids, n_contacts, cfg, pools, account_zh):
    rng = _rng(seed, "contacts", chunk)
    m = int(n_contacts.sum())
    owner = np.repeat(np.arange(len(account_ids)), n_contacts)
    n_orphans = rng.binomial(max(m, 1), 0.005) if m else 0
    total = m + n_orphans
    acct = np.concatenate(
        [account_ids[owner], sf_ids("001", ORPHAN_BASE + rng.integers(0, 1 << 38, n_orphans))]
    )
    zh = np.concatenate(
        [account_zh[owner], np.zeros(n_orphans, bool)]
    )  # Chinese accounts hold Chinese contacts
    # seniority mix: ~5% C-level, ~5% VP, ~12% traps, rest others; NULL titles ~8%
    kind = rng.choice(4, size=total, p=[0.05, 0.05, 0.12, 0.78])
    en_title = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            _pick(rng, V.TITLES_C, total),
            _pick(rng, V.TITLES_VP, total),
            _pick(rng, V.TITLES_TRAP, total),
        ],
        _pick(rng, V.TITLES_OTHER, total),
    )
    zh_title = np.select(
        [kind == 0, kind == 1],
        [_pick(rng, V.TITLES_ZH_C, total), _pick(rng, V.TITLES_ZH_VP, total)],
        _pick(rng, V.TITLES_ZH_OTHER, total),
    )
    title = _null(rng, np.where(zh, zh_title, en_title), 0.08)
    dept = _null(
        rng,
        np.where(zh, _pick(rng, V.DEPARTMENTS_ZH, total), _pick(rng, V.DEPARTMENTS, total)),
        0.35,
    )
    deleted = rng.random(total) < 0.05
    cidx = (np.int64(chunk) << 22) + np.arange(total, dtype=np.int64)  # unique per (chunk, row)
    first = pools.first[rng.integers(0, len(pools.first), total)]
    last = pools.last[rng.integers(0, len(pools.last), total)]
    has_email = rng.random(total) < 0.85
    email = np.where(
        has_email,
        np.char.add(
            np.char.add(first.astype(str), "."), np.char.add(last.astype(str), "@example.com")
        ),
        None,
    )
    phone = np.char.add("+1-555-", np.char.zfill(rng.integers(0, 10_000_000, total).astype(str), 7))
    created = rng.integers(1, 3000, total)
    return (
        {
            "contact_id": pa.array(sf_ids("003", cidx), pa.string()),
            "account_id": pa.array(acct, pa.string()),
            "title": pa.array(title, pa.string()),
            "department": pa.array(dept, pa.string()),
            "is_deleted": pa.array(deleted, pa.bool_()),
            "first_name": pa.array(first, pa.string()),
            "last_name": pa.array(last, pa.string()),
            "email": pa.array(email, pa.string()),
            "phone": pa.array(phone, pa.string()),
            "lead_source": pa.array(
                np.array(V.LEAD_SOURCES, dtype=object)[rng.integers(0, len(V.LEAD_SOURCES), total)],
                pa.string(),
            ),
            "created_date": _dates(created),
            "last_activity_date": _dates((created * rng.random(total)).astype(np.int64)),
            "mailing_state": pa.array(
                np.array(V.STATES, dtype=object)[rng.integers(0, len(V.STATES), total)], pa.string()
            ),
        },
        deleted,
        has_email,
    )


def customers_chunk(seed: int, chunk: int, start: int, n: int, pools: Pools):
    """customer360 tables for customers [start, start+n)."""
    rng = _rng(seed, "customers", chunk)
    idx = np.arange(start, start + n, dtype=np.int64)
    cid = np.char.add("c360_", sf_ids("C36", idx))
    email = np.char.add(
        np.char.add("user", idx.astype(str)),
        np.array(["@acme.io", "@globex.com", "@initech.cn", "@umbrella.co"])[idx % 4],
    )
    org = np.char.add("org_", sf_ids("ORG", idx // 3))
    header = (idx % 3) == 0
    marketo = (idx * 7 + 1_000_000).astype(np.int64)
    stripe = np.char.add("cus_", sf_ids("STR", idx))
    zendesk = (idx * 13 + 5_000_000).astype(np.int64)

    q = rng.standard_normal(n)  # latent performance
    z_on = rng.standard_normal(n)
    onboarding = np.round((3.0 + 0.8 * z_on).clip(1, 5), 2)
    adopt_lat = 0.35 * z_on + 0.35 * q + 0.87 * rng.standard_normal(n)
    adoption = np.round(1 / (1 + np.exp(-adopt_lat)), 4)
    support = np.round(1 / (1 + np.exp(-(0.4 * q + rng.standard_normal(n)))), 4)
    miss = rng.random(n)
    adoption_o = adoption.astype(object)
    adoption_o[miss < 0.17] = None
    support_o = support.astype(object)
    support_o[(miss >= 0.17) & (miss < 0.34)] = None
    priority = np.round(
        (2.5 + 0.15 * q + 1.0 * rng.standard_normal(n)).clip(0, 5), 3
    )  # weak link to performance
    team = rng.lognormal(2.5, 1.0, n).clip(1, 5000).astype(np.int64)
    cac = np.round(rng.lognormal(8.0, 0.6, n), 2)
    clv = np.round(
        cac * np.exp(0.8 + 0.25 * np.log(team) + 0.3 * q + 0.6 * rng.standard_normal(n)), 2
    )
    r = rng.random(n)
    cac_o = cac.astype(object)
    cac_o[r < 0.005] = 0.0
    cac_o[(r >= 0.005) & (r < 0.008)] = -float(cac[0])
    cac_o[(r >= 0.008) & (r < 0.012)] = None
    sales = np.round(rng.lognormal(9.0 + 0.5 * q, 1.3), 2).astype(object)
    sales[rng.random(n) < 0.03] = None
    ts = np.datetime64("2026-06-01T00:00:00") + rng.integers(0, 29 * 86400, n).astype(
        "timedelta64[s]"
    )

    # lifecycle follows performance loosely: weak customers drift to Dormant, strong ones mature
    stage = _pick(rng, V.LIFECYCLE, n)
    shift = rng.random(n)
    stage[(q < -0.8) & (shift < 0.35)] = "Dormant"
    stage[(q > 0.8) & (shift < 0.25)] = "Maturity"

    # value rows: some customers have none, a few have an extra older/newer row with e-mail case
    # changed
    has_value = rng.random(n) >= 0.02
    dup = has_value & (rng.random(n) < 0.03)
    case_mix = rng.random(n) < 0.10
    v_email = np.where(case_mix, np.char.upper(email), email)
    v_email = np.where(
        rng.random(n) < 0.02, np.char.add("unknown_", email), v_email
    )  # no customer match
    rows = np.concatenate([np.flatnonzero(has_value), np.flatnonzero(dup)])
    is_dup = np.concatenate([np.zeros(has_value.sum(), bool), np.ones(dup.sum(), bool)])
    email_rows = np.where(is_dup, np.char.title(email[rows]), v_email[rows])
    ts_rows = ts[rows] - np.where(is_dup, rng.integers(-20, 20, len(rows)), 0).astype(
        "timedelta64[D]"
    )
    jitter = np.where(is_dup, rng.normal(0, 0.3, len(rows)), 0.0)
    k = len(rows)

    def col(a, t):
        return pa.array(a[rows], t)

    value = pa.table(
        {
            "primary_email": pa.array(email_rows, pa.string()),
            "marketo_lead_id": col(marketo, pa.int64()),
            "stripe_customer_id": col(stripe, pa.string()),
            "zendesk_user_id": col(zendesk, pa.int64()),
            "analysis_timestamp": pa.array(ts_rows),
            "investment_priority_score": pa.array(
                np.round((priority[rows] + jitter).clip(0, 5), 3), pa.float64()
            ),
            "product_adoption_rate": col(adoption_o, pa.float64()),
            "support_resolution_efficiency": col(support_o, pa.float64()),
            "customer_lifetime_value": col(clv, pa.float64()),
            "acquisition_cost": col(cac_o, pa.float64()),
            "lifecycle_stage": pa.array(stage[rows], pa.string()),
            "industry_vertical": pa.array(
                np.array(V.C360_INDUSTRIES, dtype=object)[
                    rng.integers(0, len(V.C360_INDUSTRIES), n)
                ][rows],
                pa.string(),
            ),
            "company_size_tier": pa.array(_pick(rng, V.C360_SIZES, n)[rows], pa.string()),
            "customer_onboarding_score": col(onboarding, pa.float64()),
            "team_size": col(team, pa.int64()),
            "decision_maker_level": pa.array(_pick(rng, V.DECISION_LEVELS, n)[rows], pa.string()),
            "customer_tier": pa.array(_pick(rng, V.CUSTOMER_TIERS, n)[rows], pa.string()),
            "recency_score": pa.array(rng.integers(1, 6, k), pa.int64()),
            "frequency_score": pa.array(rng.integers(1, 6, k), pa.int64()),
            "monetary_score": pa.array(rng.integers(1, 6, k), pa.int64()),
            "customer_health_score": pa.array(np.round(rng.uniform(0, 100, k), 1), pa.float64()),
            "churn_probability": pa.array(np.round(rng.uniform(0, 1, k), 3), pa.float64()),
            "nps_score": pa.array(rng.integers(-100, 101, k).astype(float), pa.float64()),
            "renewal_probability": pa.array(np.round(rng.uniform(0, 1, k), 3), pa.float64()),
            "expansion_revenue_potential": pa.array(
                np.round(rng.lognormal(8, 1, k), 2), pa.float64()
            ),
            "estimated_customer_ltv": pa.array(
                np.round(clv[rows] * rng.uniform(0.8, 1.2, k), 2), pa.float64()
            ),
            "digital_engagement_score": pa.array(np.round(rng.uniform(0, 1, k), 3), pa.float64()),
            "time_to_value_days": pa.array(np.round(rng.gamma(2, 20, k), 1), pa.float64()),
        }
    )
    countries = np.array(V.COUNTRIES, dtype=object)
    customers = pa.table(
        {
            "customer360_id": pa.array(cid, pa.string()),
            "email": pa.array(email, pa.string()),
            "total_sales_amount": pa.array(sales, pa.float64()),
            "organization_name": pa.array(
                pools.companies[idx // 3 % len(pools.companies)], pa.string()
            ),
            "full_name": pa.array(
                np.char.add(
                    np.char.add(pools.first[rng.integers(0, len(pools.first), n)].astype(str), " "),
                    pools.last[rng.integers(0, len(pools.last), n)].astype(str),
                ),
                pa.string(),
            ),
            "country": pa.array(countries[rng.integers(0, len(countries), n)], pa.string()),
            "state": pa.array(
                np.array(V.STATES, dtype=object)[rng.integers(0, len(V.STATES), n)], pa.string()
            ),
            "city": pa.array(pools.cities[rng.integers(0, len(pools.cities), n)], pa.string()),
            "customer360_organization_id": pa.array(org, pa.string()),
            "is_organization_header": pa.array(header, pa.bool_()),
            "first_sale_date": _dates(rng.integers(400, 2500, n)),
            "most_recent_sale_date": _dates(rng.integers(1, 400, n)),
        }
    )
    mapping = pa.table(
        {
            "customer360_id": pa.array(cid, pa.string()),
            "customer360_organization_id": pa.array(org, pa.string()),
            "is_organization_header": pa.array(header, pa.bool_()),
            "marketo_lead_id": pa.array(marketo, pa.int64()),
            "stripe_customer_id": pa.array(stripe, pa.string()),
            "zendesk_user_id": pa.array(zendesk, pa.int64()),
        }
    )
    return {
        "customer360__customer_value_analysis": value,
        "customer360__customer": customers,
        "customer360__mapping": mapping,
    }


def iter_chunks(accounts: int, seed: int, cfg: SynthConfig, truth: bool = False):
    """Yield (accounts_done, {table: arrow}) chunk by chunk; the users come with the first chunk,
    the campaigns and their spend (which depend on the revenue attributed in every chunk) with
    the last."""
    pools = Pools.build(seed)
    plan = CampaignPlan.build(seed, accounts)
    n_customers = int(round(accounts * cfg.customers_per_account))
    n_chunks = max(1, -(-accounts // CHUNK))
    for chunk in range(n_chunks):
        start = chunk * CHUNK
        n = min(CHUNK, accounts - start)
        tables = accounts_chunk(seed, chunk, start, n, cfg, pools, plan, truth)
        if chunk == 0:
            tables["salesforce__user"] = users_table(seed, pools.owners, pools.first, pools.last)
        c_start = int(round(start * cfg.customers_per_account))
        c_end = (
            n_customers
            if chunk == n_chunks - 1
            else int(round((start + n) * cfg.customers_per_account))
        )
        if c_end > c_start:
            tables |= customers_chunk(seed, chunk, c_start, c_end - c_start, pools)
        if chunk == n_chunks - 1:
            tables |= plan.tables(seed)
        yield start + n, tables


def generate(
    out,
    accounts: int,
    seed: int,
    fmt: str = "duckdb",
    cfg: SynthConfig | None = None,
    progress: Progress | None = None,
    truth: bool = False,
) -> dict[str, int]:
    """Write a synthetic dataset to ``out`` (atomically).  Returns row counts per table.

    ``truth=True`` adds the table ``crmlens_truth__opportunity`` (the planted win probability of
    every opportunity, see :mod:`crmlens.synth.planted`); the other tables are the same."""
    from pathlib import Path

    from crmlens.errors import OutputError
    from crmlens.synth.writers import make_writer

    if accounts < 1:
        raise OutputError("error.accounts_positive", accounts=accounts)
    cfg = cfg or SynthConfig()
    writer = make_writer(Path(out), fmt)
    counts: dict[str, int] = {}
    with writer.target:  # renamed into place on success; on failure nothing is left behind
        for done, tables in iter_chunks(accounts, seed, cfg, truth):
            for name, table in tables.items():
                if name not in getattr(writer, "tables", (name,)):
                    continue  # a table the format has no place for (sf-export: customer360)
                writer.write(name, table)
                counts[name] = counts.get(name, 0) + table.num_rows
            if progress:
                progress(done)
        writer.close()
    return counts
