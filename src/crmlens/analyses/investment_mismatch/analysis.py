"""Investment vs. return mismatch (客户投资策略错配) — seed 000.

Customers whose investment priority is in the top 30% but whose composite performance is in the
bottom 50%: how many, why (ROI, lifecycle, industry × size, behaviour), how biased the current
priority model is, what a transparent model would do instead, and what to change.

Engine side (``metrics.value``): de-duplication and the identity join.  The analytical base table
(one row per customer, a dozen columns) is then handed to numpy/scipy/scikit-learn for the
statistics, which need row-level values (winsorising, ANOVA, correlations, a fitted model).
Module length: the method has nine steps that share one base table; each step is one function.

Missing data never makes a customer look better: a customer with a top-priority score but a NULL
composite metric cannot be judged, so it is kept as an entity with tier ``data_gap`` (counted in
``data_gap_top_priority``, never silently gone between monitor runs); a mismatched customer whose
ROI is undefined (NULL or ≤ 0 CAC, NULL CLV) gets the reason ``reason.roi_unknown`` and top-priority
customers with an undefined ROI are counted (``top_roi_unknown``).  The headline cohort numbers are
computed on complete rows only, as before.
"""

from __future__ import annotations

import datetime as dt
import math
import time

import numpy as np
import pandas as pd

from crmlens import __version__
from crmlens.analyses.base import AnalysisResult, Finding, Laps, Metric, Recommendation, flag_names
from crmlens.analyses.investment_mismatch.priority_model import fit_priority_model
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig
from crmlens.config import CrmlensConfig
from crmlens.errors import AnalysisError
from crmlens.analyses.investment_mismatch import expressions as V
from crmlens.analyses.engine import to_frame
from crmlens.schema.contracts import CUSTOMER_VALUE, CUSTOMERS, MAPPING
from crmlens.schema.typed import read_table
from crmlens.sources.base import Dataset
from crmlens.stats import mismatch as S

COMPONENTS = {"sales": "total_sales_amount", "adoption": "product_adoption_rate", "support": "support_resolution_efficiency"}
EPS = 1e-12


class InvestmentMismatch:
    name = "investment_mismatch"
    requires = (CUSTOMER_VALUE, CUSTOMERS)

    def run(self, data: Dataset, config: CrmlensConfig, *, as_of: dt.date | None = None) -> AnalysisResult:
        started = time.perf_counter()
        lap = Laps()
        cfg = config.investment_mismatch
        as_of = as_of or dt.date.today()
        raw, join = self._base(data, cfg)
        lap("engine.identity_join")
        df, dropped = _complete_rows(raw)
        if len(df) < 10:
            raise AnalysisError("error.mm_too_few", rows=len(df), needed=10)
        df, bounds = _composite(df, cfg)
        df, cut = _flags(df, cfg)
        df, roi = _roi(df, cfg)
        top = df[df["top_priority"]]
        groups = _groups(top, cfg)
        stages = _stages(df)
        behaviour = _behaviour(df, cfg)
        bias = _bias(df, cfg)
        lap("composite_groups_behaviour_bias")
        model = fit_priority_model(df, cfg)
        lap("model")
        df["reasons"] = _reasons(df, cfg)
        overall_gap = _gap_decomposition(top, cfg)

        mism = df[df["mismatched"]].sort_values(["investment_priority_score", "composite", "customer360_id"],
                                                ascending=[False, True, True], kind="stable")
        detail_cols = ["customer360_id", "primary_email", "industry_vertical", "company_size_tier", "lifecycle_stage",
                       "decision_maker_level", "team_size", "customer_onboarding_score", "investment_priority_score",
                       "composite", "norm_sales", "norm_adoption", "norm_support", "roi", "roi_w", "reasons"]
        tables = {
            "mismatched": mism[detail_cols].reset_index(drop=True),
            "top_mismatched": mism[detail_cols].head(cfg.top_n).reset_index(drop=True),
            "groups": groups,
            "stages": stages,
            "roi_terciles_by_stage": _roi_terciles(df),
            "roi_histogram": _roi_histogram(df),
            "onboarding_buckets": behaviour["onboarding_buckets"],
            "onboarding_adoption_by_group": behaviour["corr_by_group"],
            "onboarding_fit": behaviour["fit"],
            "team_decision": behaviour["team_decision"],
            "priority_terciles": bias["terciles"],
            "feature_alignment": bias["alignment"],
            "composite_bounds": pd.DataFrame([{"component": k, "low": v[0], "high": v[1]} for k, v in bounds.items()]),
            "quadrant_sample": _sample(df, cfg),
            "gap_decomposition": pd.DataFrame([{"component": k, "share": v} for k, v in overall_gap["shares"].items()]),
        }
        tables["action_plan"] = _action_plan(tables["mismatched"], cfg, as_of)
        gaps = _data_gaps(raw, df, cut)
        tables["entities"] = pd.concat([pd.DataFrame({
            "entity_id": df["customer360_id"], "entity_name": df["customer360_id"],
            "tier": np.where(df["mismatched"], "mismatched", np.where(df["top_priority"], "top_matched", "other")),
            "risk_score": 1 - df["composite"], "roi": df["roi_w"],
        }), gaps]).sort_values("entity_id", kind="stable").reset_index(drop=True)
        if model is not None:
            tables["model_coefficients"] = model.coefficients
        metrics = _metrics(df, join, dropped, cut, roi, behaviour, bias, model)
        metrics["data_gap_top_priority"] = Metric(len(gaps))
        findings = _findings(metrics, tables, cfg)
        recs = _recommendations(df, metrics, tables, cfg, overall_gap)
        lap("tables_and_findings")
        method = {
            "identity": cfg.identity, "mapping_priority": list(cfg.mapping_priority),
            "dedup_rule": "latest analysis_timestamp, then smallest primary_email, then highest investment_priority_score",
            "weights": cfg.weights.model_dump(), "normalisation": cfg.normalisation,
            "winsor": [cfg.winsor_low, cfg.winsor_high], "bounds": {k: list(v) for k, v in bounds.items()},
            "priority_top_share": cfg.priority_top_share, "composite_bottom_share": cfg.composite_bottom_share,
            "cume_dist": "#(values ≤ x) / n; ties stay together", "roi": "CLV / CAC; CAC ≤ 0 or NULL → undefined",
            "rr": "group vs rest of the top-priority cohort; 95% CI by the log method",
            "min_group_size": cfg.min_group_size, "onboarding_buckets": cfg.onboarding_buckets,
            "team_size_buckets": cfg.team_size_buckets, "executive_levels": cfg.executive_levels,
            "model": cfg.model.model_dump() | {"type": "ridge regression, one-hot categories, standardised numbers"},
            "roi_alert": cfg.roi_alert, "onboarding_gate": cfg.onboarding_gate, "as_of": as_of.isoformat(),
        }
        provenance = {
            "analysis": self.name, "version": __version__, "config_hash": config.fingerprint(), "engine": data.kind,
            "source": data.location, "row_counts": {"value_rows": join["value_rows"], "base": len(df)},
            "seconds": round(time.perf_counter() - started, 3), "stage_seconds": lap.seconds, "as_of": as_of.isoformat(),
        }
        return AnalysisResult(self.name, metrics, tables, findings, recs, method, provenance)

    def _base(self, data: Dataset, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
        value = read_table(data, CUSTOMER_VALUE)  # NaN/±Inf → NULL; text dates parsed, never guessed
        customers = read_table(data, CUSTOMERS)
        dedup = V.dedup_value(value)
        if cfg.identity == "mapping" and data.has_table(MAPPING.name):
            mapping = read_table(data, MAPPING)
            joined = V.join_by_mapping(dedup, customers, mapping, list(cfg.mapping_priority))
        else:
            joined = V.join_by_email(dedup, customers)
        cols = ["customer360_id", "total_sales_amount", *V.VALUE_COLUMNS]
        base = joined.select(primary_email=joined.email_key, **{c: joined[c] for c in cols})
        counts = value.aggregate(rows=value.count()).execute().iloc[0]
        n_dedup = int(dedup.count().execute())
        df = to_frame(base)
        matched = int(df["customer360_id"].notna().sum())
        n_customers = int(customers.count().execute())
        join = {
            "value_rows": int(counts["rows"]), "duplicates_removed": int(counts["rows"]) - n_dedup,
            "customers": n_customers, "matched": matched, "unmatched": n_dedup - matched,
            "customers_without_value": n_customers - int(df["customer360_id"].nunique()),
        }
        return df, join


# ---- steps ------------------------------------------------------------------------------------

def _complete_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    need = ["customer360_id", "investment_priority_score", *COMPONENTS.values()]
    dropped = {c: int(df[c].isna().sum()) for c in need}
    out = df.dropna(subset=need).copy()
    dropped["rows"] = len(df) - len(out)
    return out.sort_values("customer360_id", kind="stable").reset_index(drop=True), dropped


def _data_gaps(raw: pd.DataFrame, df: pd.DataFrame, cut: dict) -> pd.DataFrame:
    """Entities for customers left out of the base for a NULL composite metric although their
    priority score is in the top cohort: whether they pay back is unknown, not fine."""
    ids = raw["customer360_id"]
    incomplete = raw[ids.notna() & ~ids.isin(df["customer360_id"])]
    top = incomplete[incomplete["investment_priority_score"] >= cut["priority_cutoff"]]
    ids = top["customer360_id"].drop_duplicates()
    return pd.DataFrame({"entity_id": ids, "entity_name": ids, "tier": "data_gap",
                         "risk_score": np.nan, "roi": np.nan})


def _composite(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
    bounds = {}
    w = cfg.weights.model_dump()
    df["composite"] = 0.0
    for name, col in COMPONENTS.items():
        x, b = S.winsorise(df[col].astype(float), cfg.winsor_low, cfg.winsor_high)
        bounds[name] = b
        df[f"norm_{name}"] = S.min_max(x) if cfg.normalisation == "minmax" else S.pct_rank(x)
        df["composite"] += w[name] * df[f"norm_{name}"]
    return df, bounds


def _flags(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
    df["priority_cd"] = S.cume_dist(df["investment_priority_score"])
    df["composite_cd"] = S.cume_dist(df["composite"])
    df["top_priority"] = df["priority_cd"] >= 1 - cfg.priority_top_share - EPS
    df["bottom_composite"] = df["composite_cd"] <= cfg.composite_bottom_share + EPS
    df["mismatched"] = df["top_priority"] & df["bottom_composite"]
    top, bottom = df[df["top_priority"]], df[df["bottom_composite"]]
    cut = {
        "priority_cutoff": float(top["investment_priority_score"].min()) if len(top) else math.nan,
        "composite_cutoff": float(bottom["composite"].max()) if len(bottom) else math.nan,
        "top": len(top), "bottom": len(bottom), "mismatched": int(df["mismatched"].sum()),
    }
    return df, cut


def _roi(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> tuple[pd.DataFrame, dict]:
    cac, clv = df["acquisition_cost"].astype(float), df["customer_lifetime_value"].astype(float)
    ok = cac.notna() & (cac > 0) & clv.notna()
    df["roi"] = np.where(ok, clv / cac.where(ok, 1.0), np.nan)
    df["roi_w"], b = S.winsorise(df["roi"], cfg.winsor_low, cfg.winsor_high)
    r = df["roi_w"].dropna()
    m, n = df.loc[df["mismatched"], "roi_w"].dropna(), df.loc[~df["mismatched"], "roi_w"].dropna()
    roi = {
        "undefined": int((~ok).sum()), "cac_nonpositive": int((cac <= 0).sum()), "cac_null": int(cac.isna().sum()),
        "p1": b[0], "p99": b[1], "median": float(r.median()) if len(r) else math.nan, "mean": float(r.mean()) if len(r) else math.nan,
        "share_above_1": float((r > 1).mean()) if len(r) else math.nan,
        "mean_mismatched": float(m.mean()) if len(m) else math.nan, "mean_matched": float(n.mean()) if len(n) else math.nan,
        "median_mismatched": float(m.median()) if len(m) else math.nan, "median_matched": float(n.median()) if len(n) else math.nan,
        "top_below_alert": int(((df["roi_w"] < cfg.roi_alert) & df["top_priority"]).sum()),
        "top_unknown": int((df["roi_w"].isna() & df["top_priority"]).sum()),
    }
    return df, roi


def _groups(top: pd.DataFrame, cfg: InvestmentMismatchConfig) -> pd.DataFrame:
    rows = []
    n_all, m_all = len(top), int(top["mismatched"].sum())
    w = cfg.weights.model_dump()
    for (ind, size), g in top.groupby(["industry_vertical", "company_size_tier"], sort=True):
        if len(g) < cfg.min_group_size:
            continue
        a, n1 = int(g["mismatched"].sum()), len(g)
        rr, lo, hi = S.rr_ci(a, n1, m_all - a, n_all - n1)
        gaps = {k: float(g.loc[~g["mismatched"], f"norm_{k}"].mean() - g.loc[g["mismatched"], f"norm_{k}"].mean())
                if 0 < a < n1 else math.nan for k in COMPONENTS}
        shares = S.decompose(gaps, w) if 0 < a < n1 else {k: math.nan for k in COMPONENTS}
        rows.append({"industry_vertical": ind, "company_size_tier": size, "top_customers": n1, "mismatched": a,
                     "mismatch_rate": a / n1, "rr": rr, "rr_low": lo, "rr_high": hi,
                     **{f"gap_{k}": v for k, v in gaps.items()}, **{f"share_{k}": v for k, v in shares.items()}})
    cols = ["industry_vertical", "company_size_tier", "top_customers", "mismatched", "mismatch_rate", "rr", "rr_low", "rr_high",
            *[f"gap_{k}" for k in COMPONENTS], *[f"share_{k}" for k in COMPONENTS]]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["rr", "industry_vertical", "company_size_tier"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def _gap_decomposition(top: pd.DataFrame, cfg: InvestmentMismatchConfig) -> dict:
    m = top["mismatched"]
    if not (0 < m.sum() < len(top)):
        return {"gaps": {k: math.nan for k in COMPONENTS}, "shares": {k: math.nan for k in COMPONENTS}}
    gaps = {k: float(top.loc[~m, f"norm_{k}"].mean() - top.loc[m, f"norm_{k}"].mean()) for k in COMPONENTS}
    return {"gaps": gaps, "shares": S.decompose(gaps, cfg.weights.model_dump())}


def _stages(df: pd.DataFrame) -> pd.DataFrame:
    g = df.groupby("lifecycle_stage", sort=True)
    out = pd.DataFrame({
        "customers": g.size(), "mismatched": g["mismatched"].sum().astype(int),
        "mismatch_rate": g["mismatched"].mean(), "mean_roi": g["roi_w"].mean(), "median_roi": g["roi_w"].median(),
    }).reset_index()
    return out


def _roi_terciles(df: pd.DataFrame) -> pd.DataFrame:
    r = df.dropna(subset=["roi_w"])
    if r["roi_w"].nunique() < 3:
        return pd.DataFrame(columns=["lifecycle_stage", "tercile", "customers"])
    t = pd.qcut(r["roi_w"], 3, labels=["low", "mid", "high"])
    out = r.groupby(["lifecycle_stage", t], observed=False).size().rename("customers").reset_index()
    return out.rename(columns={"roi_w": "tercile"})


def _roi_histogram(df: pd.DataFrame, bins: int = 30) -> pd.DataFrame:
    r = df["roi_w"].dropna()
    if r.empty:
        return pd.DataFrame(columns=["bin_start", "bin_end", "mismatched", "customers"])
    edges = np.linspace(r.min(), r.max(), bins + 1)
    rows = []
    for flag in (True, False):
        counts, _ = np.histogram(df.loc[df["mismatched"] == flag, "roi_w"].dropna(), bins=edges)
        rows += [{"bin_start": edges[i], "bin_end": edges[i + 1], "mismatched": flag, "customers": int(c)} for i, c in enumerate(counts)]
    return pd.DataFrame(rows)


def _behaviour(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> dict:
    corr_rows = []
    for (ind, size), g in df.groupby(["industry_vertical", "company_size_tier"], sort=True):
        if len(g) < cfg.min_group_size:
            continue
        c = S.pearson(g["customer_onboarding_score"], g["product_adoption_rate"])
        corr_rows.append({"industry_vertical": ind, "company_size_tier": size, "n": c.n, "r": c.r, "t": c.t, "p": c.p})
    overall = S.pearson(df["customer_onboarding_score"], df["product_adoption_rate"])
    edges = [-np.inf, *cfg.onboarding_buckets, np.inf]
    labels = _bucket_labels(cfg.onboarding_buckets)
    ob = pd.cut(df["customer_onboarding_score"], edges, right=False, labels=labels)
    g = df.groupby(ob, observed=False)
    buckets = pd.DataFrame({"customers": g.size(), "mean_adoption": g["product_adoption_rate"].mean(),
                            "mean_roi": g["roi_w"].mean(), "mismatch_rate": g["mismatched"].mean()}).reset_index(names="onboarding")
    tedges = [-np.inf, *cfg.team_size_buckets, np.inf]
    tb = pd.cut(df["team_size"], tedges, right=False, labels=_bucket_labels(cfg.team_size_buckets))
    execu = df["decision_maker_level"].isin(cfg.executive_levels)
    g2 = df.groupby([tb, execu.rename("executive")], observed=False)
    team = pd.DataFrame({"customers": g2.size(), "mean_roi": g2["roi_w"].mean()}).reset_index()
    team = team.rename(columns={"team_size": "team_size_bucket"})
    slope, intercept = (np.polyfit(df["customer_onboarding_score"], df["product_adoption_rate"], 1)
                        if df["customer_onboarding_score"].nunique() > 1 else (math.nan, math.nan))
    xs = [float(df["customer_onboarding_score"].min()), float(df["customer_onboarding_score"].max())]
    fit = pd.DataFrame({"onboarding": xs, "adoption": [intercept + slope * x for x in xs]})
    return {"corr_by_group": pd.DataFrame(corr_rows, columns=["industry_vertical", "company_size_tier", "n", "r", "t", "p"]),
            "overall": overall, "onboarding_buckets": buckets, "team_decision": team, "fit": fit,
            "team_roi": S.pearson(df["team_size"].astype(float), df["roi_w"]), "slope": float(slope)}


def _bucket_labels(edges: list[float]) -> list[str]:
    fmt = lambda v: f"{v:g}"  # noqa: E731
    return [f"<{fmt(edges[0])}"] + [f"{fmt(a)}–{fmt(b)}" for a, b in zip(edges, edges[1:])] + [f"≥{fmt(edges[-1])}"]


def _bias(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> dict:
    pc = S.pearson(df["investment_priority_score"], df["composite"])
    pr = S.pearson(df["investment_priority_score"], df["roi_w"])
    ranks = df["investment_priority_score"].rank(method="first")
    terc = pd.qcut(ranks, 3, labels=["low", "mid", "high"])
    g = df.groupby(terc, observed=False)
    terciles = pd.DataFrame({"customers": g.size(), "mean_priority": g["investment_priority_score"].mean(),
                             "mean_composite": g["composite"].mean(), "mean_roi": g["roi_w"].mean()}).reset_index(names="priority_tercile")
    monotone = bool(terciles["mean_composite"].is_monotonic_increasing)
    feats = {"customer_onboarding_score": df["customer_onboarding_score"], "team_size": df["team_size"].astype(float),
             "acquisition_cost": df["acquisition_cost"].astype(float)}
    for col in ("industry_vertical", "company_size_tier", "lifecycle_stage", "decision_maker_level"):
        for v in sorted(df[col].dropna().unique()):
            feats[f"{col}={v}"] = (df[col] == v).astype(float)
    rows = []
    for name, x in feats.items():
        a, b = S.pearson(x, df["investment_priority_score"]), S.pearson(x, df["composite"])
        rows.append({"feature": name, "corr_priority": a.r, "corr_composite": b.r, "alignment": a.r * b.r,
                     "misaligned": bool(np.sign(a.r) != np.sign(b.r) and abs(a.r) >= 0.02 and abs(b.r) >= 0.02)})
    align = pd.DataFrame(rows).sort_values(["alignment", "feature"], kind="stable").reset_index(drop=True)
    return {"priority_composite": pc, "priority_roi": pr, "terciles": terciles, "monotone": monotone, "alignment": align}


def _reasons(df: pd.DataFrame, cfg: InvestmentMismatchConfig) -> list[list[str]]:
    """Per mismatched customer: components below their median, ROI under the alert line, weak
    onboarding (NaN never counts).  Built per distinct combination of reasons (at most 2^5)."""
    with np.errstate(invalid="ignore"):
        checks = [(f"reason.low_{k}", df[f"norm_{k}"].to_numpy(float) < df[f"norm_{k}"].median()) for k in COMPONENTS]
        checks += [("reason.low_roi", df["roi_w"].to_numpy(float) < cfg.roi_alert),
                   ("reason.roi_unknown", np.isnan(df["roi_w"].to_numpy(float))),
                   ("reason.weak_onboarding", df["customer_onboarding_score"].to_numpy(float) < cfg.onboarding_gate)]
    mask = np.column_stack([m for _, m in checks]) & df["mismatched"].to_numpy(bool)[:, None]
    return flag_names(mask, [name for name, _ in checks])


def _sample(df: pd.DataFrame, cfg: InvestmentMismatchConfig, limit: int = 3000) -> pd.DataFrame:
    cols = ["customer360_id", "investment_priority_score", "composite", "mismatched", "top_priority", "bottom_composite",
            "customer_onboarding_score", "product_adoption_rate", "lifecycle_stage"]
    pts = df if len(df) <= limit else df.iloc[np.linspace(0, len(df) - 1, limit).round().astype(int)]
    return pts[cols].reset_index(drop=True)


def _action_plan(mism: pd.DataFrame, cfg: InvestmentMismatchConfig, as_of: dt.date) -> pd.DataFrame:
    """One row per action for every mismatched customer, highest priority first."""
    base = mism[["customer360_id", "industry_vertical", "company_size_tier", "investment_priority_score", "composite", "reasons"]].copy()
    base.insert(0, "priority_rank", np.arange(1, len(base) + 1))
    base["owner_role"] = "customer_success"
    parts = []
    weak = base["reasons"].map(lambda r: "reason.weak_onboarding" in r).astype(bool)
    for code, mask, days in (("action.mm.onboarding", weak, 14), ("action.mm.success_plan", pd.Series(True, index=base.index), 30),
                             ("action.mm.reprioritise", pd.Series(True, index=base.index), 90)):
        sub = base.loc[mask].copy()
        sub["action"] = code
        sub["detail"] = sub["reasons"].map(lambda r: "; ".join(r))
        sub["due_date"] = (as_of + dt.timedelta(days=days)).isoformat()
        sub["milestone_days"] = days
        sub["status"] = "open"
        parts.append(sub.drop(columns="reasons"))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out.sort_values(["priority_rank", "milestone_days"], kind="stable").reset_index(drop=True) if len(out) else out


# ---- metrics, findings, recommendations ---------------------------------------------------------

def _metrics(df, join, dropped, cut, roi, behaviour, bias, model) -> dict[str, Metric]:
    n = len(df)
    m = {
        "value_rows": Metric(join["value_rows"]), "duplicates_removed": Metric(join["duplicates_removed"]),
        "matched": Metric(join["matched"]), "unmatched": Metric(join["unmatched"]),
        "customers_without_value": Metric(join["customers_without_value"]),
        "dropped_missing_metrics": Metric(dropped["rows"]), "missing_sales": Metric(dropped["total_sales_amount"]),
        "missing_adoption": Metric(dropped["product_adoption_rate"]), "missing_support": Metric(dropped["support_resolution_efficiency"]),
        "base_customers": Metric(n), "top_priority": Metric(cut["top"]), "bottom_composite": Metric(cut["bottom"]),
        "mismatched": Metric(cut["mismatched"]), "mismatch_rate_in_top": Metric(cut["mismatched"] / cut["top"] if cut["top"] else None, "ratio"),
        "mismatch_share_of_all": Metric(cut["mismatched"] / n, "ratio"),
        "priority_cutoff": Metric(cut["priority_cutoff"], "score"), "composite_cutoff": Metric(cut["composite_cutoff"], "score"),
        "roi_undefined": Metric(roi["undefined"]), "cac_nonpositive": Metric(roi["cac_nonpositive"]),
        "roi_p1": Metric(roi["p1"], "score"), "roi_median": Metric(roi["median"], "score"), "roi_mean": Metric(roi["mean"], "score"),
        "roi_p99": Metric(roi["p99"], "score"), "roi_share_above_1": Metric(roi["share_above_1"], "ratio"),
        "roi_mean_mismatched": Metric(roi["mean_mismatched"], "score"), "roi_mean_matched": Metric(roi["mean_matched"], "score"),
        "roi_median_mismatched": Metric(roi["median_mismatched"], "score"), "roi_median_matched": Metric(roi["median_matched"], "score"),
        "top_roi_below_alert": Metric(roi["top_below_alert"]), "top_roi_unknown": Metric(roi["top_unknown"]),
        "corr_priority_composite": Metric(bias["priority_composite"].r, "score"), "corr_priority_roi": Metric(bias["priority_roi"].r, "score"),
        "priority_terciles_monotone": Metric("yes" if bias["monotone"] else "no", "text"),
        "corr_onboarding_adoption": Metric(behaviour["overall"].r, "score"), "p_onboarding_adoption": Metric(behaviour["overall"].p, "score"),
        "corr_team_size_roi": Metric(behaviour["team_roi"].r, "score"),
        "misaligned_features": Metric(int(bias["alignment"]["misaligned"].sum())),
    }
    stages = df.dropna(subset=["roi"])
    groups = [np.log(g["roi"][g["roi"] > 0].to_numpy()) for _, g in stages.groupby("lifecycle_stage")]
    f, p = S.anova(groups)
    m["anova_f"], m["anova_p"] = Metric(f, "score"), Metric(p, "score")
    if model is not None:
        m |= {"model_cv_r2": Metric(model.cv_r2, "score"), "model_cv_mae": Metric(model.cv_mae, "score"),
              "model_test_rows": Metric(model.test_rows), "current_mismatch_rate_test": Metric(model.current_mismatch_rate, "ratio"),
              "model_mismatch_rate_test": Metric(model.model_mismatch_rate, "ratio")}
    return m


def _findings(m: dict[str, Metric], tables: dict[str, pd.DataFrame], cfg: InvestmentMismatchConfig) -> tuple[Finding, ...]:
    v = {k: x.value for k, x in m.items()}
    f = [
        Finding("mm.cohort", {"mismatched": v["mismatched"], "top": v["top_priority"], "rate": v["mismatch_rate_in_top"],
                              "share": v["mismatch_share_of_all"], "base": v["base_customers"], "top_share": cfg.priority_top_share,
                              "bottom_share": cfg.composite_bottom_share}, "critical" if v["mismatched"] else "info"),
        Finding("mm.roi_gap", {"mismatched": v["roi_mean_mismatched"], "matched": v["roi_mean_matched"]}, "warning"),
        Finding("mm.model_bias", {"corr": v["corr_priority_composite"], "corr_roi": v["corr_priority_roi"], "monotone": v["priority_terciles_monotone"]}, "warning"),
    ]
    g = tables["groups"]
    if len(g) and g["rr"].notna().any():
        top = g.iloc[0]
        f.append(Finding("mm.worst_group", {"industry": top["industry_vertical"], "size": top["company_size_tier"], "rate": top["mismatch_rate"],
                                            "rr": top["rr"], "low": top["rr_low"], "high": top["rr_high"]}, "warning"))
    st = tables["stages"]
    if len(st):
        s = st.sort_values(["mismatch_rate", "lifecycle_stage"], ascending=[False, True]).iloc[0]
        f.append(Finding("mm.stage", {"stage": s["lifecycle_stage"], "rate": s["mismatch_rate"], "roi": s["mean_roi"]}))
    f.append(Finding("mm.onboarding", {"r": v["corr_onboarding_adoption"], "p": v["p_onboarding_adoption"]}))
    f.append(Finding("mm.anova", {"f": v["anova_f"], "p": v["anova_p"]}))
    if "model_mismatch_rate_test" in v:
        f.append(Finding("mm.model", {"r2": v["model_cv_r2"], "current": v["current_mismatch_rate_test"], "model": v["model_mismatch_rate_test"]}))
    for code, key in (("dq.mm_duplicates", "duplicates_removed"), ("dq.mm_unmatched", "unmatched"), ("dq.mm_customers_without_value", "customers_without_value"),
                      ("dq.mm_cac_invalid", "roi_undefined"), ("dq.mm_top_roi_unknown", "top_roi_unknown"),
                      ("dq.mm_data_gap", "data_gap_top_priority")):
        if v[key]:
            f.append(Finding(code, {"count": v[key]}, "warning"))
    if v["dropped_missing_metrics"]:
        f.append(Finding("dq.mm_missing_metrics", {"count": v["dropped_missing_metrics"], "sales": v["missing_sales"],
                                                   "adoption": v["missing_adoption"], "support": v["missing_support"]}, "warning"))
    return tuple(f)


def _recommendations(df, m, tables, cfg: InvestmentMismatchConfig, gap: dict) -> tuple[Recommendation, ...]:
    v = {k: x.value for k, x in m.items()}
    recs: list[Recommendation] = []
    if "model_mismatch_rate_test" in v:
        coefs = tables["model_coefficients"]
        recs.append(Recommendation("rec.mm.recalibrate", {"current": v["current_mismatch_rate_test"], "model": v["model_mismatch_rate_test"],
                                                          "r2": v["model_cv_r2"], "driver": coefs.iloc[0]["feature"] if len(coefs) else ""},
                                   {"metric": "mismatch_rate_in_top", "max": v["model_mismatch_rate_test"]}))
    top = df[df["top_priority"]]
    gate = top["customer_onboarding_score"] >= cfg.onboarding_gate
    groups = tables["groups"]
    gate_rows = []
    for g in groups.itertuples(index=False):
        members = top[(top["industry_vertical"] == g.industry_vertical) & (top["company_size_tier"] == g.company_size_tier)]
        kept = members[members["customer_onboarding_score"] >= cfg.onboarding_gate]
        if len(kept):
            gate_rows.append((float(members["mismatched"].mean()) - float(kept["mismatched"].mean()), float(members["mismatched"].mean()),
                              g.industry_vertical, g.company_size_tier, float(kept["mismatched"].mean())))
    if gate_rows:
        # the group where the gate helps most (largest drop; ties: higher rate, then name)
        drop, before, ind, size, after = sorted(gate_rows, key=lambda x: (-x[0], -x[1], x[2], x[3]))[0]
        recs.append(Recommendation("rec.mm.onboarding_gate", {
            "gate": cfg.onboarding_gate, "industry": ind, "size": size, "before": before, "after": after,
            "overall_before": float(top["mismatched"].mean()), "overall_after": float(top.loc[gate, "mismatched"].mean()) if gate.any() else None},
            {"metric": "customer_onboarding_score", "min": cfg.onboarding_gate}))
    st = tables["stages"].sort_values(["mismatch_rate", "lifecycle_stage"], ascending=[False, True])
    if len(st):
        s = st.iloc[0]
        recs.append(Recommendation("rec.mm.lifecycle_gate", {"stage": s["lifecycle_stage"], "rate": s["mismatch_rate"], "roi": s["mean_roi"],
                                                             "customers": int(top[top["lifecycle_stage"] == s["lifecycle_stage"]].shape[0])}, {"stage": s["lifecycle_stage"]}))
    sig = groups[(groups["rr_low"] > 1)] if len(groups) else groups
    if len(sig):
        g = sig.iloc[0]
        recs.append(Recommendation("rec.mm.industry", {"industry": g["industry_vertical"], "size": g["company_size_tier"], "rr": g["rr"],
                                                       "low": g["rr_low"], "high": g["rr_high"], "mismatched": int(g["mismatched"])}, {"group": f"{g['industry_vertical']}/{g['company_size_tier']}"}))
    shares = {k: s for k, s in gap["shares"].items() if s == s}
    if shares:
        comp = max(shares, key=lambda k: shares[k])
        recs.append(Recommendation("rec.mm.component", {"component": comp, "share": shares[comp], "gap": gap["gaps"][comp]}, {"component": comp}))
    recs.append(Recommendation("rec.mm.roi_alert", {"count": v["top_roi_below_alert"], "threshold": cfg.roi_alert}, {"metric": "roi", "min": cfg.roi_alert}))
    recs.append(Recommendation("rec.mm.monitor", {"rate": v["mismatch_rate_in_top"], "corr": v["corr_priority_composite"], "count": v["mismatched"]},
                               {"cadence": "quarterly"}))
    return tuple(recs)

