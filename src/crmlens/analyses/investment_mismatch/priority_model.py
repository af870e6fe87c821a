"""A transparent replacement for the investment-priority model (ridge regression).

Predicts composite performance from what a company knows at investment time (config
``investment_mismatch.model.features``); reports cross-validated R²/MAE, the held-out mismatch
rate of the new ranking against the current priority on the same customers, and standardised
coefficients.  Deterministic: fixed seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_validate, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
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


def _mismatch_rate(
    score: pd.Series, composite: pd.Series, top_share: float, bottom_share: float
) -> float:
    top = cume_dist(score) >= 1 - top_share - 1e-12
    bottom = cume_dist(composite) <= bottom_share + 1e-12
    return float((top & bottom).sum() / top.sum()) if top.sum() else math.nan


def _label(name: str, labels: dict[str, list]) -> str:
    """``industry_3`` (feature, category code) → ``industry_Technology``; numeric names as is."""
    feature, _, code = name.rpartition("_")
    return f"{feature}_{labels[feature][int(code)]}" if feature in labels else name


def fit_priority_model(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> ModelReport | None:
    mc = cfg.model
    feats = [f for f in mc.features if f in df.columns]
    data = df.dropna(subset=feats + ["composite", "investment_priority_score"])
    if len(data) < max(50, mc.cv_folds * 10) or not feats:
        return None
    num = [f for f in feats if pd.api.types.is_numeric_dtype(data[f])]
    cat = [f for f in feats if f not in num]
    # categories as integer codes in sorted-label order: the encoder builds the same one-hot
    # columns in the same order as from the strings, without mapping every string on every fit
    # (7 fits × 300,000 rows at 1M accounts)
    labels: dict[str, list] = {}
    data = data.copy()
    for f in cat:
        codes, uniques = pd.factorize(data[f], sort=True)
        data[f], labels[f] = codes, list(uniques)
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), num),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat),
        ]
    )
    pipe = Pipeline([("pre", pre), ("ridge", Ridge(alpha=mc.alpha))])
    X, y = data[feats], data["composite"].to_numpy(float)
    cv = cross_validate(
        pipe,
        X,
        y,
        cv=KFold(mc.cv_folds, shuffle=True, random_state=mc.seed),
        scoring=("r2", "neg_mean_absolute_error"),
    )
    train, test = train_test_split(data, test_size=mc.test_share, random_state=mc.seed)
    pipe.fit(train[feats], train["composite"].to_numpy(float))
    pred = pd.Series(pipe.predict(test[feats]), index=test.index)
    current = _mismatch_rate(
        test["investment_priority_score"],
        test["composite"],
        cfg.priority_top_share,
        cfg.composite_bottom_share,
    )
    model = _mismatch_rate(
        pred, test["composite"], cfg.priority_top_share, cfg.composite_bottom_share
    )

    pipe.fit(X, y)  # coefficients from all rows
    names = [
        _label(n.split("__", 1)[1], labels) for n in pipe.named_steps["pre"].get_feature_names_out()
    ]
    coefs = pd.DataFrame({"feature": names, "coefficient": pipe.named_steps["ridge"].coef_})
    coefs["abs"] = coefs["coefficient"].abs()
    coefs = (
        coefs.sort_values(["abs", "feature"], ascending=[False, True])
        .drop(columns="abs")
        .reset_index(drop=True)
    )
    return ModelReport(
        feats,
        float(np.mean(cv["test_r2"])),
        float(-np.mean(cv["test_neg_mean_absolute_error"])),
        len(test),
        current,
        model,
        coefs,
    )
