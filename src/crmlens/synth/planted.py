"""The truths the generator plants — one module, so analyses and their tests can check that they
recover them (the ROI half-life, the true win probabilities, the health → churn link).

Time is counted in whole days relative to ``AS_OF`` (0 = as-of date, negative = past).

Deals (``synth.deals``) follow a Markov chain over the five open stages: at stage ``s`` a deal
advances with probability ``advance(s) = sigmoid(STAGE_LOGIT[type][s] + effects)`` and is lost
otherwise; passing Negotiation wins it.  So the TRUE probability that a deal at stage ``s`` wins
is ``prod(advance(t) for t >= s)``; at creation it is the product over all five stages.  The
history rows the CRM shows add noise (skipped, repeated and regressed stages, reopenings, rows
after close) that never changes the outcome.  ``crmlens generate --truth`` (``generate(...,
truth=True)``) adds the table ``crmlens_truth__opportunity``; normal outputs never hold it:

* ``opportunity_id``;
* ``true_win_probability``: at creation (from Prospecting);
* ``true_win_probability_as_of``: open deals, given the stage they are in on the as-of date
  (``synth.common.AS_OF`` = 2026-06-30); NULL for closed deals;
* ``stage_as_of``: that stage's index in ``STAGES`` (-1 for closed deals);
* ``true_win_probability_from_stage_0`` … ``_4``: given the deal has reached each stage (for
  back-tests at earlier dates).

Campaign ROI (``synth.marketing``) is attributed revenue / spend (a ROI of 300% means revenue
three times the spend), by campaign age in months ``a``:
``roi(a) = floor + (start - floor) * 0.5 ** (a / half_life)``.  Targeted campaigns start at
300–500% and fall toward 100–200% with a half-life of ``TARGETED_HALF_LIFE_MONTHS``; broad ones
start lower and decay slowly.  Age ``a`` is calendar months from the campaign's start month;
revenue is won amount by close month.  Spend per campaign month is set so that the expected
attributed revenue over the spend follows this curve exactly (times lognormal noise of sigma
``SPEND_NOISE``); the realised ratio also carries the sampling noise of the deals attributed.
"""

from __future__ import annotations

import numpy as np

# ---- time ----
CRM_YEARS = 6  # deals, cases, NPS and campaigns happen in the six years before the as-of date
CRM_START = -365 * CRM_YEARS
TERM_DAYS = 365  # subscriptions renew yearly
RENEWAL_LEAD_DAYS = 90  # a renewal opportunity opens about 90 days before the anniversary
MAX_RENEWALS = CRM_YEARS + 1

# ---- account health (latent, standard-normal-ish) ----
# health = sum of these effects on existing account columns + noise; it drives renewal, upsell,
# cases, complaints and NPS, so a health score built from the account columns can predict churn
HEALTH_CHURN_RISK = {"Minimal": 0.8, "Low": 0.4, "Medium": 0.0, "High": -0.9, "Unknown": -0.1}
HEALTH_PER_LOG_DAYS_INACTIVE = -0.35  # per unit of log(days since last activity), centred
HEALTH_PER_EMAIL_COVERAGE = 0.6  # contacts with e-mail / contacts (0 without contacts), centred
HEALTH_NOISE = 0.7
LOG_DAYS_CENTRE = 3.0  # about the mean log(days since last activity) of generated accounts
EMAIL_COVERAGE_CENTRE = 0.6

# ---- deals: logit of advancing from each open stage, by opportunity type -------------------------
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation")
STAGE_LOGIT = {
    "New Business": (0.9, 1.0, 1.0, 0.9, 0.8),
    "Existing Business": (1.3, 1.5, 1.5, 1.4, 1.3),
    "Upsell": (1.5, 1.6, 1.6, 1.5, 1.4),
    "Renewal": (3.4, 3.4, 3.1, 2.9, 2.8),
}
HEALTH_EFFECT = {"New Business": 0.15, "Existing Business": 0.3, "Upsell": 0.35, "Renewal": 0.55}
LEAD_SOURCE_EFFECT = {
    "Referral": 0.35,
    "Partner": 0.2,
    "Web": 0.0,
    "Webinar": 0.05,
    "Trade Show": -0.05,
    "Advertisement": -0.15,
    "Cold Call": -0.3,
}
COMPETITOR_EFFECT = -0.3  # a named competitor on the deal
LOG_AMOUNT_EFFECT = -0.12  # per unit of log(amount / 36,000): big deals are harder
SIZE_EFFECT = {"Enterprise": -0.1, "Mid-Market": 0.0, "Small Business": 0.1, "Unknown": -0.05}
ACCOUNT_TYPE_EFFECT = {"Customer": 0.9, "Prospect": -0.4, "Partner": 0.2, "Other": 0.0}
AMOUNT_PIVOT = 36_000.0
STAGE_DAYS = (14, 18, 21, 18, 14)  # mean days in each open stage (gamma, shape 2)

# reps' probability = truth pushed toward 100% by OPTIMISM[s] in stage s (late stages over-sure),
# rounded to 5; won 100, lost 0
REP_OPTIMISM = (-0.05, 0.0, 0.1, 0.3, 0.45)

# ---- amounts ----
WHALE_SHARE = 0.002  # accounts whose deals are 40–150 times larger (never campaign-attributed)
WHALE_FACTOR = (40.0, 150.0)
SIZE_AMOUNT = {"Enterprise": 4.0, "Mid-Market": 1.5, "Small Business": 0.5, "Unknown": 0.8}

# ---- campaigns ----
TARGETED_HALF_LIFE_MONTHS = 3.0
TARGETED_START_ROI = (3.0, 5.0)  # 300–500%
TARGETED_FLOOR_ROI = (1.0, 2.0)  # 100–200%
BROAD_HALF_LIFE_MONTHS = 12.0
BROAD_START_ROI = (1.4, 2.2)
BROAD_FLOOR_ROI = (0.9, 1.3)
SPEND_NOISE = 0.1  # lognormal sigma of monthly spend around its planted value

# ---- service ----
PRE_CHURN_DAYS = 180  # complaints rise in the 180 days before a lost renewal
COMPLAINT_SHARE = 0.08  # baseline share of complaints among cases
COMPLAINT_SHARE_PRE_CHURN = 0.4
NPS_MEAN = 7.4
NPS_PER_HEALTH = 1.3
NPS_PRE_CHURN_DROP = 2.5  # points lower in the 270 days before churn
NPS_PRE_CHURN_DAYS = 270


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def account_health(churn_risk, days_inactive, email_coverage, noise):
    """Latent health of accounts from their existing columns (``noise``: standard normal)."""
    health = _lookup(HEALTH_CHURN_RISK, churn_risk)
    health += HEALTH_PER_LOG_DAYS_INACTIVE * (
        np.log(np.maximum(days_inactive, 1)) - LOG_DAYS_CENTRE
    )
    health += HEALTH_PER_EMAIL_COVERAGE * (email_coverage - EMAIL_COVERAGE_CENTRE)
    return health + HEALTH_NOISE * noise


def roi_curve(age_months, start, floor, half_life):
    """Planted ROI (revenue / spend) of a campaign ``age_months`` after its start."""
    return floor + (start - floor) * 0.5 ** (np.asarray(age_months, float) / half_life)


def advance_logits(opp_type, health, lead_source, has_competitor, amount, size, account_type):
    """Logits of advancing from each of the five open stages, shape (n, 5)."""
    n = len(opp_type)
    base = np.zeros((n, len(STAGES)))
    shift = np.zeros(n)
    for name, logits in STAGE_LOGIT.items():
        mask = opp_type == name
        base[mask] = logits
        shift[mask] += HEALTH_EFFECT[name] * health[mask]
    shift += _lookup(LEAD_SOURCE_EFFECT, lead_source)
    shift += np.where(has_competitor, COMPETITOR_EFFECT, 0.0)
    amount0 = np.where(np.isnan(amount) | (amount <= 0), AMOUNT_PIVOT, amount)
    shift += LOG_AMOUNT_EFFECT * np.log(amount0 / AMOUNT_PIVOT)
    shift += _lookup(SIZE_EFFECT, size) + _lookup(ACCOUNT_TYPE_EFFECT, account_type)
    return base + shift[:, None]


def win_probability_from_stage(advance: np.ndarray) -> np.ndarray:
    """P(win | deal has reached stage s), shape (n, 5): products of the remaining advances."""
    return np.cumprod(advance[:, ::-1], axis=1)[:, ::-1]


def rep_probability(truth: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """The rep's probability (0–100, multiples of 5) for deals at open ``stage`` indices."""
    push = np.asarray(REP_OPTIMISM)[stage]
    value = np.where(push >= 0, truth + push * (1 - truth), truth * (1 + push))
    return (np.round(100 * value / 5) * 5).clip(5, 95)


def _lookup(table: dict[str, float], values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(values))
    for key, effect in table.items():
        out[values == key] = effect
    return out
