"""A transparent replacement for the investment-priority model (ridge regression).

Predicts composite performance from what a company knows at investment time (config
``investment_mismatch.model.features``); reports cross-validated R²/MAE (mean and spread across
the folds), the held-out mismatch rate of the new ranking against the current priority on the
same customers, standardised coefficients and the weight each feature gets (its share of the
spread of the predictions: the proposed re-weighting).  Deterministic: fixed seeds.

The fits use ``stats.ridge`` (normal equations on a compact design, one pass over the data for
every fold), equal to scikit-learn's scaler + one-hot + Ridge pipeline; scikit-learn only draws
the folds and the held-out split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, train_test_split

from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.stats import ridge
from crmlens.stats.basic import cume_dist


@dataclass(frozen=True)
class ModelReport:
    features: list[str]
    cv_r2: float
    cv_mae: float
    test_rows: int
    current_mismatch_rate: float
    model_mismatch_rate: float
    coefficients: pd.DataFrame
    cv_r2_sd: float = math.nan  # spread of R² across the folds
    weights: pd.DataFrame | None = None  # feature, weight (shares summing to 1)


def _mismatch_rate(
    score: pd.Series, composite: pd.Series, top_share: float, bottom_share: float
) -> float:
    top = cume_dist(score) >= 1 - top_share - 1e-12
    bottom = cume_dist(composite) <= bottom_share + 1e-12
    return float((top & bottom).sum() / top.sum()) if top.sum() else math.nan


def _design(data: pd.DataFrame, feats: list[str]) -> tuple[ridge.Design, float, dict]:
    """Numbers as they are, categories as integer codes in sorted-label order (the one-hot
    columns come out in the order scikit-learn's encoder gives them)."""
    num = [f for f in feats if pd.api.types.is_numeric_dtype(data[f])]
    cat = [f for f in feats if f not in num]
    labels: dict[str, list] = {}
    codes = {}
    for f in cat:
        codes[f], uniques = pd.factorize(data[f], sort=True)
        labels[f] = list(uniques)
    numbers = {f: data[f].to_numpy(float) for f in num}
    d, centre = ridge.design(numbers, codes, data["composite"].to_numpy(float))
    return d, centre, labels


def _scores(y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """R² (1 − SS_res / SS_tot around the fold's own mean) and mean absolute error."""
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float(((y - pred) ** 2).sum()) / ss_tot if ss_tot > 0 else math.nan
    return r2, float(np.abs(y - pred).mean())


def _cross_validate(d: ridge.Design, folds: list, alpha: float) -> tuple[list, list, ridge.Gram]:
    """Per-fold R² and MAE, and the Gram of all rows: one pass over the design; the training
    Gram of a fold is the total minus the fold's own."""
    grams = [ridge.gram(d, test) for _, test in folds]
    total = grams[0]
    for g in grams[1:]:
        total = total + g
    r2s, maes = [], []
    for (_, test), g in zip(folds, grams):
        fit = ridge.solve(total - g, d, alpha)
        r2, mae = _scores(d.y[test], fit.predict(d, test))
        r2s.append(r2)
        maes.append(mae)
    return r2s, maes, total


def _coefficients(fit: ridge.Fit, d: ridge.Design, labels: dict) -> pd.DataFrame:
    names = [f if level is None else f"{f}_{labels[f][level]}" for f, level in d.names]
    coefs = pd.DataFrame({"feature": names, "coefficient": fit.coef})
    coefs["abs"] = coefs["coefficient"].abs()
    coefs = coefs.sort_values(["abs", "feature"], ascending=[False, True])
    return coefs.drop(columns="abs").reset_index(drop=True)


def _weights(fit: ridge.Fit, total: ridge.Gram, d: ridge.Design, feats: list[str]) -> pd.DataFrame:
    """Each feature's share of the spread of the predictions: the standard deviation over the
    customers of its term (|coefficient| for a standardised number, the spread of its level
    effects for a category) — from the Gram, βᵀ·Cov·β over the feature's columns — divided by
    the sum over the features."""
    beta = fit.coef / fit.scale
    mean = total.sx / total.n
    cov = total.sxx / total.n - np.outer(mean, mean)
    spread = []
    for f in feats:
        cols = [i for i, (name, _) in enumerate(d.names) if name == f]
        part = beta[cols]
        spread.append(float(np.sqrt(max(part @ cov[np.ix_(cols, cols)] @ part, 0.0))))
    total_spread = sum(spread)
    weights = [s / total_spread if total_spread > 0 else math.nan for s in spread]
    out = pd.DataFrame({"feature": feats, "weight": weights})
    return out.sort_values(["weight", "feature"], ascending=[False, True]).reset_index(drop=True)


def fit_priority_model(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> ModelReport | None:
    mc = cfg.model
    feats = [f for f in mc.features if f in df.columns]
    data = df.dropna(subset=feats + ["composite", "investment_priority_score"])
    if len(data) < max(50, mc.cv_folds * 10) or not feats:
        return None
    data = data.reset_index(drop=True)
    d, centre, labels = _design(data, feats)
    folds = list(KFold(mc.cv_folds, shuffle=True, random_state=mc.seed).split(d.matrix))
    r2s, maes, total = _cross_validate(d, folds, mc.alpha)
    _, test = train_test_split(np.arange(len(data)), test_size=mc.test_share, random_state=mc.seed)
    fit = ridge.solve(total - ridge.gram(d, test), d, mc.alpha)  # trained on the other rows
    pred = pd.Series(fit.predict(d, test) + centre, index=test)
    held_out = data[["investment_priority_score", "composite"]].iloc[test]
    top, bottom = cfg.priority_top_share, cfg.composite_bottom_share
    current = _mismatch_rate(
        held_out["investment_priority_score"], held_out["composite"], top, bottom
    )
    model = _mismatch_rate(pred, held_out["composite"], top, bottom)
    full = ridge.solve(total, d, mc.alpha)  # coefficients from all rows
    return ModelReport(
        feats,
        float(np.mean(r2s)),
        float(np.mean(maes)),
        len(test),
        current,
        model,
        _coefficients(full, d, labels),
        float(np.std(r2s)),
        _weights(full, total, d, feats),
    )
