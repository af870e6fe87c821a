"""Ridge regression with an intercept on standardised numbers and one-hot categories, solved by
the normal equations of a compact design (numpy only).

The same model as scikit-learn's ``Pipeline([ColumnTransformer([StandardScaler (numbers),
OneHotEncoder(handle_unknown="ignore") (categories)]), Ridge(alpha)])`` (tested equal to 1e-9),
without refitting the transformers and refactoring the design for every fold: one pass over the
design gives the cross-product sums (the *Gram*) of every fold; a fit on "all folds but one" is
the total minus that fold; each fit solves one small (features × features) system.

* A category absent from the training rows gets a zero column there, hence a zero coefficient
  and no effect on a prediction (what ``handle_unknown="ignore"`` does).
* A number constant in the training rows keeps scale 1 (StandardScaler's rule for constants).
* The design is centred by the column means of all rows first, for accuracy; every fit centres
  again on its own rows, so the result does not depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Design:
    matrix: np.ndarray  # rows × (numbers, then one column per category level), centred
    y: np.ndarray  # centred target
    numeric: int  # the leading columns that are standardised by each fit
    names: list[tuple[str, object]]  # (feature, level or None) per column
    centre: np.ndarray  # the column means taken off ``matrix``


def design(
    numbers: dict[str, np.ndarray], categories: dict[str, np.ndarray], y: np.ndarray
) -> tuple[Design, float]:
    """The design matrix (numbers as given, categories as integer codes 0..k−1 → one-hot) and the
    centre of ``y`` that predictions add back."""
    names: list[tuple[str, object]] = [(f, None) for f in numbers]
    for feature, codes in categories.items():
        levels = int(np.max(codes)) + 1 if len(codes) else 0
        names += [(feature, level) for level in range(levels)]
    n = len(y)
    matrix = np.zeros((n, len(names)))
    for i, values in enumerate(numbers.values()):
        matrix[:, i] = values
    start = len(numbers)
    for codes in categories.values():  # one-hot: a 1 in the column of the row's level
        codes = np.asarray(codes)
        matrix[np.arange(n), start + codes] = 1.0
        start += int(codes.max()) + 1 if n else 0
    centre = matrix.mean(axis=0)
    y_centre = float(np.mean(y))
    y_centred = np.asarray(y, dtype=float) - y_centre
    return Design(matrix - centre, y_centred, len(numbers), names, centre), y_centre


@dataclass(frozen=True)
class Gram:
    """Sums over a set of rows: count, Σx, Σxxᵀ, Σxy, Σy."""

    n: float
    sx: np.ndarray
    sxx: np.ndarray
    sxy: np.ndarray
    sy: float

    def __sub__(self, other: "Gram") -> "Gram":
        return Gram(
            self.n - other.n,
            self.sx - other.sx,
            self.sxx - other.sxx,
            self.sxy - other.sxy,
            self.sy - other.sy,
        )

    def __add__(self, other: "Gram") -> "Gram":
        return Gram(
            self.n + other.n,
            self.sx + other.sx,
            self.sxx + other.sxx,
            self.sxy + other.sxy,
            self.sy + other.sy,
        )


def gram(d: Design, rows: np.ndarray | None = None) -> Gram:
    x = d.matrix if rows is None else d.matrix[rows]
    y = d.y if rows is None else d.y[rows]
    return Gram(float(len(y)), x.sum(axis=0), x.T @ x, x.T @ y, float(y.sum()))


@dataclass(frozen=True)
class Fit:
    coef: np.ndarray  # on the standardised scale (what sklearn's Ridge.coef_ holds)
    scale: np.ndarray  # standard deviation of the numbers (1 for one-hot columns)
    x_mean: np.ndarray
    y_mean: float

    def predict(self, d: Design, rows: np.ndarray | None = None) -> np.ndarray:
        """Predictions on the centred scale of ``d.y`` (add the design's y centre back)."""
        x = d.matrix if rows is None else d.matrix[rows]
        return self.y_mean + (x - self.x_mean) @ (self.coef / self.scale)


def solve(g: Gram, d: Design, alpha: float) -> Fit:
    """The ridge fit on the rows of ``d`` summed in ``g``."""
    numeric = d.numeric
    x_mean = g.sx / g.n
    y_mean = g.sy / g.n
    cxx = g.sxx - g.n * np.outer(x_mean, x_mean)
    cxy = g.sxy - g.n * x_mean * y_mean
    scale = np.ones(len(x_mean))
    var = np.clip(np.diag(cxx)[:numeric] / g.n, 0, None)
    raw_mean = x_mean[:numeric] + d.centre[:numeric]
    constant = var <= g.n * EPS * var + (g.n * raw_mean * EPS) ** 2  # StandardScaler's rule
    scale[:numeric] = np.where(constant, 1.0, np.sqrt(var))
    a = cxx / np.outer(scale, scale) + alpha * np.eye(len(scale))
    coef = scipy.linalg.solve(a, cxy / scale, assume_a="pos") if len(scale) else np.zeros(0)
    return Fit(coef, scale, x_mean, y_mean)
