"""Win and next-stage probabilities: the baseline (historical win rate of the stage) and a
calibrated logistic model (scikit-learn) on what is known on the snapshot date — stage, age, days
in stage (all from the dated history), the amount on the history row in force that day (only when
the history carries amounts), the rep's probability on that row (only when the history carries
probabilities; as a logit, alone and per stage, so the model learns each stage's over- or
under-confidence of the reps), and the deal's type and lead source (set when the deal is created).
A row without a probability takes the median rep probability of its stage in the training rows
(a typical deal of the stage, never a better one) and a missing-indicator.
Today's account attributes (size, type, churn risk, activity, contacts), today's amount and
competitor are never features: a past snapshot could not have known them.  Training examples
are the deals open on dated snapshots (every ``snapshot_step_days`` over ``snapshot_days``) whose
outcome was known by the training cut-off; nothing dated after the cut-off is used.
Calibration: sigmoid below ``isotonic_above`` closed deals, isotonic above."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from crmlens.analyses.funnel.config import FunnelConfig
from crmlens.analyses.funnel.inputs import WON
from crmlens.analyses.funnel.timeline import state_at

TIMING = ("log_age", "log_days_in_stage")
AMOUNT = ("log_amount", "amount_missing")  # only when the history dates the amount
REP = ("rep_logit", "rep_missing")  # only when the history records the rep's probability
REP_CLIP = 0.01  # the rep's probability is clipped to [REP_CLIP, 1 - REP_CLIP] before the logit
CATEGORICAL = ("stage", "type", "lead_source")
EPS = 1e-6


@dataclass
class Design:
    """Feature encoding fitted on the training rows (categories, means, scales)."""

    categories: dict[str, list[str]]
    numeric: tuple[str, ...] = TIMING
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    rep_fill: dict[str, float] | None = None  # stage → median rep probability (training rows)

    @property
    def reps(self) -> bool:
        return "rep_logit" in self.numeric

    @property
    def names(self) -> list[str]:
        extra = [f"{c}={v}" for c in CATEGORICAL for v in self.categories[c][1:]]
        stages = self.categories["stage"][1:] if self.reps else []
        return [*self.numeric, *extra, *(f"rep_logit*stage={v}" for v in stages)]

    def matrix(self, x: pd.DataFrame) -> np.ndarray:
        if self.reps:
            x = x.assign(rep_logit=self._rep_logit(x))
        cols = [x[c].to_numpy(dtype="float64") for c in self.numeric]
        for c in CATEGORICAL:
            values = x[c].astype(str).to_numpy()
            cols += [(values == v).astype("float64") for v in self.categories[c][1:]]
        if self.reps:  # the rep's logit per stage: each stage's own over/under-confidence
            stage = x["stage"].astype(str).to_numpy()
            rep = x["rep_logit"].to_numpy(dtype="float64")
            cols += [rep * (stage == v) for v in self.categories["stage"][1:]]
        m = np.column_stack(cols)
        if self.mean is None:
            self.mean, self.scale = m.mean(axis=0), m.std(axis=0)
            self.scale[self.scale == 0] = 1.0
        return (m - self.mean) / self.scale

    def _rep_logit(self, x: pd.DataFrame) -> np.ndarray:
        """Logit of the clipped rep probability; a missing one takes its stage's training
        median (the overall median for a stage without any, 0.5 when none at all)."""
        p = x["rep_then"].astype("float64")
        if self.rep_fill is None:
            overall = float(p.median()) if p.notna().any() else 0.5
            medians = p.groupby(x["stage"].astype(str)).median().dropna()
            self.rep_fill = {s: float(medians.get(s, overall)) for s in self.categories["stage"]}
            self.rep_fill[""] = overall
        fill = x["stage"].astype(str).map(self.rep_fill).fillna(self.rep_fill[""])
        p = p.fillna(fill).clip(REP_CLIP, 1 - REP_CLIP).to_numpy(dtype="float64")
        return np.log(p / (1 - p))


def features(state: pd.DataFrame, deals: pd.DataFrame, cfg: FunnelConfig, sources) -> pd.DataFrame:
    """What was known on the state's date: timing and stage from the history, the amount on the
    history row then (NaN when the history has none), the rep's probability on that row (0–1,
    NaN when missing), and the deal's type and lead source."""
    at = state["deal"].to_numpy()
    amount = pd.Series(state["amount_then"].to_numpy(dtype="float64"))
    rep = pd.Series(state["probability"].to_numpy(dtype="float64") / 100.0)
    x = pd.DataFrame(
        {
            "opportunity_id": state["opportunity_id"].to_numpy(),
            "log_age": np.log1p(state["age_days"].clip(lower=0)).to_numpy(),
            "log_days_in_stage": np.log1p(state["days_in_stage"].clip(lower=0)).to_numpy(),
            "log_amount": np.log1p(amount.clip(lower=0).fillna(0)).to_numpy(),
            "amount_missing": amount.isna().astype(float).to_numpy(),
            "rep_then": rep.to_numpy(),
            "rep_missing": rep.isna().astype(float).to_numpy(),
            "stage": np.asarray(cfg.open_stages, dtype=object)[state["order"].to_numpy()],
        }
    )
    x["type"] = _text(_take(deals, "type", at), len(at))
    source = _text(_take(deals, "lead_source", at), len(at))
    x["lead_source"] = np.where(np.isin(source, sources), source, "other")
    return x


def _take(deals: pd.DataFrame, col: str, at: np.ndarray) -> pd.Series | None:
    return deals[col].take(at).reset_index(drop=True) if col in deals else None


def _text(values, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, "unknown", dtype=object)
    return values.fillna("unknown").astype(str).to_numpy(dtype=object)


def snapshots(deals: pd.DataFrame, rows: pd.DataFrame, cfg: FunnelConfig, cutoff: dt.date):
    """Training examples: deals open on each snapshot date before ``cutoff`` whose outcome was
    known by ``cutoff`` (closed on or before it), with labels won / reached the next stage."""
    cut = pd.Timestamp(cutoff)
    known = (deals["is_closed"] & (deals["close_date"] <= cut)).to_numpy(dtype=bool)
    at = np.flatnonzero(known)
    outcome = pd.Series(deals["is_won"].to_numpy(dtype=bool)[at], index=at)
    if len(outcome) > cfg.max_training_deals:  # a fixed-seed sample bounds time and memory
        outcome = outcome.sample(cfg.max_training_deals, random_state=cfg.seed).sort_index()
    chosen = np.zeros(len(deals), dtype=bool)
    chosen[outcome.index.to_numpy()] = True
    mine = rows[chosen[rows["deal"].to_numpy()] & (rows["ts"] <= cut).to_numpy()]
    deal, order = mine["deal"].to_numpy(), mine["order"].to_numpy()
    reached = np.full(len(deals), -1, dtype="int64")
    np.maximum.at(reached, deal[order < WON], order[order < WON])
    steps = range(1, cfg.snapshot_days // cfg.snapshot_step_days + 1)
    days = [cut - pd.Timedelta(days=j * cfg.snapshot_step_days) for j in steps]
    frames = [state_at(deals, mine, day) for day in days]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not len(rows):
        return rows
    won = np.zeros(len(deals), dtype=bool)
    won[outcome.index.to_numpy()] = outcome.to_numpy()
    rows["won"] = won[rows["deal"].to_numpy()]
    rows["next_stage"] = rows["won"].to_numpy() | (
        reached[rows["deal"].to_numpy()] > rows["order"].to_numpy()
    )
    if len(rows) > cfg.max_training_rows:
        rows = rows.sample(cfg.max_training_rows, random_state=cfg.seed).reset_index(drop=True)
    return rows


@dataclass
class Model:
    design: Design
    win: CalibratedClassifierCV | None  # None: too few examples of a class (see ``skipped``)
    next_stage: CalibratedClassifierCV | None
    coefficients: np.ndarray  # of an uncalibrated logistic fit on the standardised design
    method: str  # sigmoid | isotonic
    skipped: dict[str, int]  # target → examples of its rarer class, for targets not fitted


def categories(x: pd.DataFrame) -> dict[str, list[str]]:
    return {c: sorted(set(x[c].astype(str))) for c in CATEGORICAL}


MIN_MINORITY = 2  # calibration cross-validates: each fold needs both classes


def minority(y: np.ndarray) -> int:
    """Examples of the rarer class (0 when only one class is present)."""
    return int(min(y.sum(), len(y) - y.sum()))


def _classifier(method: str, y: np.ndarray, m: np.ndarray) -> CalibratedClassifierCV | None:
    """The calibrated classifier fitted on ``m``, or None when the rarer class has fewer than
    ``MIN_MINORITY`` examples (no calibration fold could hold both classes)."""
    rare = minority(y)
    if rare < MIN_MINORITY:
        return None
    base = LogisticRegression(C=1.0, max_iter=1000)
    return CalibratedClassifierCV(base, method=method, cv=min(3, rare)).fit(m, y)


def numeric(amounts: bool, reps: bool) -> tuple[str, ...]:
    """The numeric features: timing always; the amount and the rep's probability only when the
    history dates them (``amounts``, ``reps``)."""
    return (*TIMING, *(AMOUNT if amounts else ()), *(REP if reps else ()))


def fit(
    train: pd.DataFrame, x: pd.DataFrame, closed_deals: int, cfg: FunnelConfig, dated: tuple
) -> Model:
    """``dated``: the numeric features (see ``numeric``)."""
    design = Design(categories(x), dated)
    m = design.matrix(x)
    method = "isotonic" if closed_deals >= cfg.isotonic_above else "sigmoid"
    y = train["won"].to_numpy(dtype=bool)
    nxt_y = train["next_stage"].to_numpy(dtype=bool)
    win, nxt = _classifier(method, y, m), _classifier(method, nxt_y, m)
    skipped = {
        target: minority(labels)
        for target, labels, fitted in (("win", y, win), ("next_stage", nxt_y, nxt))
        if fitted is None
    }
    coef = LogisticRegression(C=1.0, max_iter=1000).fit(m, y).coef_[0]
    return Model(design, win, nxt, coef, method, skipped)


def baseline_rates(train: pd.DataFrame, stages: list[str]) -> dict[str, float]:
    """Historical win rate of deals that were in each stage (overall rate for a stage unseen)."""
    overall = float(train["won"].mean())
    rates = train.groupby("order")["won"].mean()
    return {s: float(rates.get(k, overall)) for k, s in enumerate(stages)}


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    p = np.clip(p, EPS, 1 - EPS)
    both = 0 < y.sum() < len(y)
    return {
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[False, True])),
        "auc": float(roc_auc_score(y, p)) if both else np.nan,
        "n": int(len(y)),
    }


def reliability(y: np.ndarray, p: np.ndarray, source: str, bins: int = 10) -> pd.DataFrame:
    edges = np.linspace(0, 1, bins + 1)
    b = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    df = pd.DataFrame({"bin": b, "p": p, "y": y.astype(float)})
    g = df.groupby("bin").agg(
        scored_deals=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    g = g.reset_index()
    g["source"] = source
    return g


def drivers(model: Model, x: pd.DataFrame, k: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Global drivers (coefficients on the standardised design, largest first) and, per deal,
    the ``k`` features that raise and lower its odds the most (as 'name+' / 'name-' codes)."""
    names = model.design.names
    glob = pd.DataFrame({"feature": names, "coefficient": model.coefficients})
    glob = glob.reindex(glob["coefficient"].abs().sort_values(ascending=False).index)
    m = model.design.matrix(x)
    contrib = m * model.coefficients
    order = np.argsort(-np.abs(contrib), axis=1)[:, :k]
    rows = np.arange(len(x))[:, None]
    sign = np.where(contrib[rows, order] >= 0, "_up", "_down")
    groups = np.asarray([driver_group(n) for n in names], dtype=object)
    named = "driver_" + groups[order] + sign
    glob["group"] = [driver_group(n) for n in glob["feature"]]
    return glob.reset_index(drop=True), named


GROUPS = {
    "log_age": "age",
    "log_days_in_stage": "days_in_stage",
    "log_amount": "amount",
    "amount_missing": "amount_missing",
    "rep_logit": "rep_probability",
    "rep_missing": "rep_missing",
}


def driver_group(feature: str) -> str:
    """The feature family a design column belongs to (``stage=Proposal`` → ``stage``,
    ``rep_logit*stage=Proposal`` → ``rep_probability``)."""
    return GROUPS.get(feature.split("*", 1)[0], feature.split("=", 1)[0])
