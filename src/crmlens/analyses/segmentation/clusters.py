"""Step 5: behaviour and firmographic clusters (scikit-learn, in Python on the per-customer
feature table the engine built — the only part of this unit that does not run on the engine).

Features: RFM, size, engagement, support load and health signals where present (a feature needs
values for at least half of the customers and some spread).  Counts and amounts are log1p'd,
missing values take the feature's median, every feature is standardised.  k-means is fitted on a
fixed-seed sample (``sample_size``) for each k in ``k_min..k_max``; the k with the best silhouette
wins (ties: the smaller k) and labels every customer.  Stability: k-means refitted on
``resamples`` bootstrap resamples of the sample, adjusted Rand index against the chosen labels.
Clusters are numbered by size (1 = largest); a profile names the features whose cluster mean is
at least ``profile_z`` standard deviations from the average.  Each feature's weight in the result
is 1 − ARI between the clusters with and without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlens.analyses.segmentation.config import ClusteringConfig

CANDIDATES = {  # feature → log1p before standardising
    "recency_days": True,
    "frequency": True,
    "monetary": True,
    "annual_revenue": True,
    "number_of_employees": True,
    "total_activities_30d": True,
    "days_since_last_activity": True,
    "account_age_days": False,
    "current_pipeline_amount": True,
    "cases": True,
    "contacts": True,
    "churn_risk": False,
    "owner_accounts": True,
}
MIN_COMPLETENESS = 0.5


@dataclass(frozen=True)
class Clusters:
    labels: np.ndarray  # 1..k per customer
    k: int
    silhouettes: pd.DataFrame  # k, silhouette
    stability: pd.DataFrame  # resample, ari
    profiles: pd.DataFrame  # cluster, customers, share, traits, <feature means>
    features: list[str]
    influence: dict[str, float]  # feature → 1 − ARI without it


def usable_features(customers: pd.DataFrame) -> list[str]:
    out = []
    for name in CANDIDATES:
        if name not in customers.columns:
            continue
        column = pd.to_numeric(customers[name], errors="coerce")
        if column.notna().mean() >= MIN_COMPLETENESS and column.nunique() > 1:
            out.append(name)
    return out


def matrix(customers: pd.DataFrame, features: list[str]) -> np.ndarray:
    columns = []
    for name in features:
        v = pd.to_numeric(customers[name], errors="coerce").astype("float64").to_numpy()
        if CANDIDATES[name]:
            v = np.log1p(np.clip(v, 0, None))
        v = np.where(np.isnan(v), np.nanmedian(v), v)
        sd = v.std()
        columns.append((v - v.mean()) / sd if sd > 0 else v * 0)
    return np.column_stack(columns)


def cluster(customers: pd.DataFrame, cfg: ClusteringConfig) -> Clusters | None:
    """None when clustering is off, too few customers, or fewer than two usable features.
    One thread: the same result on every machine, and no thread-pool start-up on small data."""
    features = usable_features(customers)
    if not cfg.enabled or len(customers) < cfg.min_accounts or len(features) < 2:
        return None
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _cluster(customers, features, cfg)


def _cluster(customers: pd.DataFrame, features: list[str], cfg: ClusteringConfig):
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    x = matrix(customers, features)
    rng = np.random.default_rng(cfg.seed)
    n = len(x)
    sample = np.sort(rng.choice(n, size=min(n, cfg.sample_size), replace=False))
    xs = x[sample]
    scores, models = [], {}
    for k in range(cfg.k_min, min(cfg.k_max, len(np.unique(xs, axis=0)) - 1) + 1):
        model = _kmeans(k, cfg.seed).fit(xs)
        models[k] = model
        scores.append({"k": k, "silhouette": float(silhouette_score(xs, model.labels_))})
    if not scores:
        return None
    table = pd.DataFrame(scores)
    k = int(table.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])
    raw = models[k].predict(x)
    labels = _by_size(raw)
    base = labels[sample]
    stability = []
    for b in range(cfg.resamples):
        pick = rng.choice(len(xs), size=len(xs), replace=True)
        refit = _kmeans(k, cfg.seed + b + 1, n_init=2).fit(xs[pick])
        stability.append(
            {"resample": b + 1, "ari": float(adjusted_rand_score(base, refit.predict(xs)))}
        )
    influence = {}
    for j, name in enumerate(features):
        rest = np.delete(xs, j, axis=1)
        without = _kmeans(k, cfg.seed, n_init=1).fit(rest).labels_
        influence[name] = float(1 - adjusted_rand_score(base, without))
    profiles = _profiles(customers, x, labels, features, cfg.profile_z)
    return Clusters(
        labels,
        k,
        table,
        pd.DataFrame(stability, columns=["resample", "ari"]),
        profiles,
        features,
        influence,
    )


def _kmeans(k: int, seed: int, n_init: int = 4):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=seed)


def _by_size(raw: np.ndarray) -> np.ndarray:
    """Cluster numbers 1..k by size (largest first; ties: the smaller raw label)."""
    ids, counts = np.unique(raw, return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    mapping = {old: new + 1 for new, old in enumerate(order)}
    return np.array([mapping[v] for v in raw], dtype="int64")


def _profiles(customers, x, labels, features, z) -> pd.DataFrame:
    rows = []
    for c in sorted(set(labels.tolist())):
        inside = labels == c
        means = x[inside].mean(axis=0)
        ranked = sorted(range(len(features)), key=lambda j: (-abs(means[j]), features[j]))
        traits = [
            f"seg.trait.{'high' if means[j] > 0 else 'low'}.{features[j]}"
            for j in ranked[:3]
            if abs(means[j]) >= z
        ]
        row = {
            "cluster": c,
            "customers": int(inside.sum()),
            "share": float(inside.mean()),
            "traits": traits,
        }
        for name in ("recency_days", "frequency", "monetary"):
            row[name] = float(customers.loc[inside, name].median())
        rows.append(row)
    return pd.DataFrame(rows)


def crosstab(segments: pd.Series, labels: np.ndarray) -> pd.DataFrame:
    table = pd.crosstab(segments.to_numpy(), labels, rownames=["segment"], colnames=["cluster"])
    long = table.stack().reset_index(name="customers")
    return long[long["customers"] > 0].reset_index(drop=True)
