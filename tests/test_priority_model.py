"""The proposed priority model by normal equations equals scikit-learn's scaler + one-hot +
Ridge pipeline (the method it replaced) to 1e-9: folds, held-out ranking, coefficients."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_validate, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.analyses.investment_mismatch.priority_model import _mismatch_rate, fit_priority_model
from crmlens.stats import ridge

FEATURES = ["customer_onboarding_score", "team_size", "industry_vertical", "lifecycle_stage"]


@pytest.fixture(scope="module")
def customers():
    rng = np.random.default_rng(5)
    n = 400
    industry = rng.choice(["Media", "Retail", "Technology"], n)
    industry[17] = "Zoology"  # one customer: its fold trains without the category
    df = pd.DataFrame(
        {
            "customer_onboarding_score": rng.normal(3, 0.7, n),
            "team_size": rng.integers(1, 200, n),
            "industry_vertical": industry,
            "lifecycle_stage": rng.choice(["Growth", "Dormant"], n),
            "investment_priority_score": rng.uniform(0, 5, n),
        }
    )
    df["composite"] = (
        0.05 * df["customer_onboarding_score"]
        + 0.1 * (df["lifecycle_stage"] == "Growth")
        + rng.normal(0, 0.1, n)
    )
    return df


def sklearn_reference(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> dict:
    """The previous implementation, written out with scikit-learn."""
    mc = cfg.model
    num, cat = FEATURES[:2], FEATURES[2:]
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), num),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat),
        ]
    )
    pipe = Pipeline([("pre", pre), ("ridge", Ridge(alpha=mc.alpha))])
    x, y = df[FEATURES], df["composite"].to_numpy(float)
    cv = cross_validate(
        pipe,
        x,
        y,
        cv=KFold(mc.cv_folds, shuffle=True, random_state=mc.seed),
        scoring=("r2", "neg_mean_absolute_error"),
    )
    train, test = train_test_split(df, test_size=mc.test_share, random_state=mc.seed)
    pipe.fit(train[FEATURES], train["composite"].to_numpy(float))
    pred = pd.Series(pipe.predict(test[FEATURES]), index=test.index)
    rate = _mismatch_rate(pred, test["composite"], cfg.priority_top_share, 0.5)
    pipe.fit(x, y)
    names = [n.split("__", 1)[1] for n in pipe.named_steps["pre"].get_feature_names_out()]
    return {
        "cv_r2": float(np.mean(cv["test_r2"])),
        "cv_r2_sd": float(np.std(cv["test_r2"])),
        "cv_mae": float(-np.mean(cv["test_neg_mean_absolute_error"])),
        "model_rate": rate,
        "coefficients": dict(zip(names, pipe.named_steps["ridge"].coef_)),
    }


@pytest.mark.parametrize("alpha", [0.5, 1.0, 25.0])
def test_normal_equations_equal_the_sklearn_pipeline(customers, alpha):
    cfg = InvestmentMismatchConfig.model_validate({"model": {"features": FEATURES, "alpha": alpha}})
    got = fit_priority_model(customers, cfg)
    ref = sklearn_reference(customers, cfg)
    assert got.cv_r2 == pytest.approx(ref["cv_r2"], abs=1e-9)
    assert got.cv_r2_sd == pytest.approx(ref["cv_r2_sd"], abs=1e-9)
    assert got.cv_mae == pytest.approx(ref["cv_mae"], abs=1e-9)
    assert got.model_mismatch_rate == ref["model_rate"]
    coefs = got.coefficients.set_index("feature")["coefficient"]
    assert len(coefs) == len(ref["coefficients"]) == 2 + 4 + 2
    for name, value in ref["coefficients"].items():
        assert coefs[name] == pytest.approx(value, abs=1e-9), name
    assert got.weights["weight"].sum() == pytest.approx(1.0)


def test_solve_equals_sklearn_ridge_on_a_plain_design():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 3)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 100.0]
    y = x @ [0.3, -0.02, 4.0] + rng.normal(size=60)
    d, centre = ridge.design({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}, {}, y)
    fit = ridge.solve(ridge.gram(d), d, alpha=2.0)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    ref = Ridge(alpha=2.0).fit(z, y)
    assert fit.coef == pytest.approx(ref.coef_, abs=1e-9)
    assert fit.predict(d) + centre == pytest.approx(ref.predict(z), abs=1e-9)
    # a fold's training Gram is the total minus the fold's own sums
    rows = np.arange(20)
    rest = ridge.gram(d) - ridge.gram(d, rows)
    direct = ridge.gram(d, np.arange(20, 60))
    assert rest.sxx == pytest.approx(direct.sxx) and rest.n == direct.n
