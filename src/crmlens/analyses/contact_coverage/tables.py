"""Contact-coverage result tables: breakdowns, playbooks, entities and the tables charts draw."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlens.analyses.contact_coverage.config import ContactCoverageConfig
from crmlens.analyses.contact_coverage.key_accounts import KeyAccounts
from crmlens.analyses.contact_coverage.risk import ATTENTION_TIERS
from crmlens.analyses.toolkit import plan_summary, top_n
from crmlens.stats.basic import percentile, rate

COUNT_COLUMNS = ("high", "medium", "low", "data_gap", "strong_risk", "secondary_risk")


def build_tables(
    df: pd.DataFrame,
    groups: pd.DataFrame,
    cfg: ContactCoverageConfig,
    source: KeyAccounts,
    actions: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    key_depts = source.key_departments
    mix = df.groupby(["industry_normalized", "company_size_category"]).size()
    uncomputable = [
        "priority_rank",
        "account_id",
        "account_name",
        "industry_normalized",
        "company_size_category",
        "number_of_employees",
        "n_contacts",
        "tier",
    ]
    title_levels = sorted(source.title_levels.items(), key=lambda kv: (kv[1], kv[0]))
    return {
        "key_accounts": df,
        "peer_groups": groups,
        "top_risk": top_risk(df, cfg.top_n),
        "by_industry": breakdown(df, "industry_normalized", source.industries),
        "by_size": breakdown(df, "company_size_category", cfg.size_order),
        "sample_mix": mix.rename("accounts").reset_index(),
        "department_gaps": department_gaps(df, key_depts),
        "must_have_gaps": must_have_gaps(df, cfg, key_depts),
        "coverage_distribution": coverage_distribution(df, len(key_depts)),
        "top_risk_profile": top_risk_profile(top_risk(df, cfg.top_n)),
        "risk_models": risk_models(df),
        "department_coverage_by_industry": department_coverage_by_industry(df, key_depts),
        "industry_playbooks": playbooks(df, cfg, source.industries, key_depts),
        "action_plan": actions,
        "plan_summary": plan_summary(actions),
        "entities": entities(df),
        "workload_uncomputable": df.loc[
            ~df["employees_known"].astype(bool), uncomputable
        ].reset_index(drop=True),
        "risk_distribution": risk_distribution(df),
        "density_by_size": density_by_size(df, cfg.size_order),
        "scatter_sample": scatter_sample(df, cfg.scatter_points),
        "title_levels": pd.DataFrame(title_levels, columns=["title", "level"]),
        "department_classes": pd.DataFrame(
            sorted(source.department_classes.items()), columns=["department", "class"]
        ),
    }


def top_risk(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` high-risk and data-gap accounts, in priority order."""
    attention = np.isin(df["tier"].to_numpy(), ATTENTION_TIERS)
    return top_n(df, n, ["priority_rank"], where=attention)


def breakdown(df: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    """Per value of ``by``: accounts per tier and risk class, pass rates, workload."""
    if not len(df):
        return pd.DataFrame(columns=[by, "high_share"])
    known = df["density"].notna()
    x = pd.DataFrame(
        {
            by: df[by],
            "high": df["tier"] == "high",
            "medium": df["tier"] == "medium",
            "low": df["tier"] == "low",
            "data_gap": df["tier"] == "data_gap",
            "strong_risk": df["risk_class"] == "strong",
            "secondary_risk": df["risk_class"] == "secondary",
            "density_known": known,
            "density_pass": known & ~df["low_density_rl"],
            "decision_pass": ~df["low_decision_rl"],
            "coverage_pass": ~df["low_coverage_rl"],
            "density": df["density"],
            "coverage": df["coverage"],
            "contacts_to_add": df["contacts_to_add"],
            "executives_to_add": df["executives_to_add"],
        }
    )
    g = x.groupby(by, dropna=False)
    n = g.size()
    sums = g[
        [*COUNT_COLUMNS, "density_known", "density_pass", "decision_pass", "coverage_pass"]
    ].sum()

    def pass_rate(passed: pd.Series, total: pd.Series) -> pd.Series:
        return pd.Series([rate(p, k) for p, k in zip(passed, total)], index=n.index)

    out = pd.DataFrame(
        {
            "key_accounts": n,
            **{c: sums[c] for c in COUNT_COLUMNS},
            "density_pass_rate": pass_rate(sums["density_pass"], sums["density_known"]),
            "decision_pass_rate": pass_rate(sums["decision_pass"], n),
            "coverage_pass_rate": pass_rate(sums["coverage_pass"], n),
            "median_density": g["density"].median(),
            "mean_coverage": g["coverage"].mean(),
            "contacts_to_add": g["contacts_to_add"].sum(min_count=0).astype("int64"),
            "executives_to_add": g["executives_to_add"].sum(),
        }
    )
    out = out.reindex(list(dict.fromkeys([*order, *out.index.tolist()])))
    out.index.name = by
    out = out.reset_index()
    for c in ("key_accounts", *COUNT_COLUMNS, "contacts_to_add", "executives_to_add"):
        out[c] = out[c].fillna(0).astype("int64")
    out["high_share"] = [rate(h, k) for h, k in zip(out["high"], out["key_accounts"])]
    return out


def department_gaps(df: pd.DataFrame, key_depts: list[str]) -> pd.DataFrame:
    n = len(df)
    missing = {d: int((~df[f"has_{d}"]).sum()) for d in key_depts}
    rows = [
        {"department": d, "accounts_missing": missing[d], "share_missing": rate(missing[d], n)}
        for d in key_depts
    ]
    return pd.DataFrame(rows, columns=["department", "accounts_missing", "share_missing"])


def must_have_gaps(
    df: pd.DataFrame, cfg: ContactCoverageConfig, key_depts: list[str]
) -> pd.DataFrame:
    """Per industry and each of its must-have departments: key accounts missing it, and the
    share of the industry's key accounts."""
    cols = [
        "industry_normalized",
        "department",
        "key_accounts",
        "accounts_missing",
        "share_missing",
    ]
    positions = df.groupby("industry_normalized", sort=True).indices
    rows = []
    for industry, pos in positions.items():
        for dep in cfg.industry_must_have.get(industry, []):
            if dep not in key_depts:
                continue
            missing = int((~df[f"has_{dep}"].to_numpy(dtype=bool)[pos]).sum())
            rows.append((industry, dep, len(pos), missing, rate(missing, len(pos))))
    return pd.DataFrame(rows, columns=cols)


def coverage_distribution(df: pd.DataFrame, n_departments: int) -> pd.DataFrame:
    """Key accounts by the number of key departments covered, 0 … all."""
    counts = np.bincount(df["coverage"].to_numpy(dtype="int64"), minlength=n_departments + 1)
    return pd.DataFrame(
        {
            "coverage": np.arange(n_departments + 1, dtype="int64"),
            "accounts": counts[: n_departments + 1].astype("int64"),
            "share": [rate(int(c), len(df)) for c in counts[: n_departments + 1]],
        }
    )


TOP_RISK_TRAITS = (  # trait, what marks it in the key-account table
    "zero_contacts",
    "no_decision_maker",
    "no_key_department",
    "employees_unknown",
    "fails_every_red_line",
)


def top_risk_profile(top: pd.DataFrame) -> pd.DataFrame:
    """What the top high-risk accounts (the ``top_risk`` list) have in common: how many of them
    have each trait, and the share."""
    marks = {
        "zero_contacts": top["n_contacts"] == 0,
        "no_decision_maker": top["n_decision"] == 0,
        "no_key_department": top["coverage"] == 0,
        "employees_unknown": ~top["employees_known"].astype(bool),
        "fails_every_red_line": top["low_density_rl"].astype(bool)
        & top["low_decision_rl"].astype(bool)
        & top["low_coverage_rl"].astype(bool),
    }
    rows = [(k, len(top), int(marks[k].sum()), rate(int(marks[k].sum()), len(top))) for k in marks]
    return pd.DataFrame(rows, columns=["trait", "top_accounts", "accounts", "share"])


def risk_models(df: pd.DataFrame) -> pd.DataFrame:
    """Key accounts per tier under each seed risk model, and how many are in the same tier."""
    same = df["tier_weighted"] == df["tier_additive"]
    rows = [
        (
            tier,
            int((df["tier_weighted"] == tier).sum()),
            int((df["tier_additive"] == tier).sum()),
            int((same & (df["tier_weighted"] == tier)).sum()),
        )
        for tier in ("high", "data_gap", "medium", "low")
    ]
    return pd.DataFrame(rows, columns=["tier", "weighted_flags", "additive_points", "both"])


def department_coverage_by_industry(df: pd.DataFrame, key_depts: list[str]) -> pd.DataFrame:
    cols = [f"has_{d}" for d in key_depts]
    g = df[["industry_normalized", *cols]].groupby("industry_normalized", sort=True)
    n, means = g.size(), g[cols].mean()
    rows = [
        {
            "industry_normalized": ind,
            "department": d,
            "accounts": int(n[ind]),
            "coverage_rate": float(means.at[ind, f"has_{d}"]),
        }
        for ind in n.index
        for d in key_depts
    ]
    return pd.DataFrame(
        rows, columns=["industry_normalized", "department", "accounts", "coverage_rate"]
    )


def playbooks(
    df: pd.DataFrame, cfg: ContactCoverageConfig, industries: list[str], key_depts: list[str]
) -> pd.DataFrame:
    """Per industry: the density target, must-have departments, entry roles and the department
    missing most often."""
    positions = df.groupby("industry_normalized", sort=False).indices
    density = df["density"].to_numpy(dtype="float64")
    high = df["tier"].to_numpy() == "high"
    missing = {d: ~df[f"has_{d}"].to_numpy(dtype=bool) for d in key_depts}
    rows = []
    for ind in industries:
        pos = positions.get(ind, np.zeros(0, dtype="int64"))
        p = percentile(density[pos], cfg.peer_percentile) if len(pos) else np.nan
        small = np.isnan(p) or len(pos) < cfg.peer_min_group_size
        target = cfg.density_red_line if small else max(cfg.density_red_line, p)
        must = cfg.industry_must_have.get(ind, [])
        entry = [r for d in must for r in cfg.department_roles.get(d, [])[:2]] or list(
            cfg.executive_roles[:2]
        )
        most_missing = (
            max(key_depts, key=lambda d: int(missing[d][pos].sum())) if len(pos) else None
        )
        rows.append(
            {
                "industry_normalized": ind,
                "key_accounts": len(pos),
                "high_risk": int(high[pos].sum()),
                "high_share": rate(int(high[pos].sum()), len(pos)),
                "density_target": target,
                "must_have_departments": must,
                "entry_roles": entry,
                "most_missing_department": most_missing,
            }
        )
    return pd.DataFrame(rows)


def entities(df: pd.DataFrame) -> pd.DataFrame:
    """The per-entity state the monitor records: one row per key account."""
    return (
        pd.DataFrame(
            {
                "entity_id": df["account_id"],
                "entity_name": df["account_name"],
                "tier": df["tier"],
                "risk_score": df["risk_score"],
                "n_contacts": df["n_contacts"],
                "n_decision": df["n_decision"],
                "density": df["density"],
                "decision_ratio": df["decision_ratio"],
                "coverage": df["coverage"],
                "employees_known": df["employees_known"].astype(bool),
                "passes_red_lines": passes_red_lines(df),
                "data_gap_reason": ["; ".join(r) for r in df["data_gap_reason"]],
            }
        )
        .sort_values("entity_id", kind="stable")
        .reset_index(drop=True)
    )


def passes_red_lines(df: pd.DataFrame) -> pd.Series:
    """Passes every red line, density known (a missing employee count never passes)."""
    fails = df[["low_density_rl", "low_decision_rl", "low_coverage_rl"]].astype(bool).any(axis=1)
    return ~fails & df["employees_known"].astype(bool)


def risk_distribution(df: pd.DataFrame) -> pd.DataFrame:
    out = df.groupby(["risk_score", "tier"]).size().rename("accounts").reset_index()
    return out.sort_values("risk_score").reset_index(drop=True)


def density_by_size(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rows = []
    other_sizes = sorted(set(df["company_size_category"].dropna().unique()) - set(order))
    for size in [*order, *other_sizes]:
        d = df.loc[df["company_size_category"] == size, "density"].dropna()
        if d.empty:
            continue
        rows.append(
            {
                "company_size_category": size,
                "accounts": len(d),
                "min": float(d.min()),
                "p25": percentile(d, 0.25),
                "median": percentile(d, 0.5),
                "p75": percentile(d, 0.75),
                "max": float(d.max()),
            }
        )
    return pd.DataFrame(
        rows, columns=["company_size_category", "accounts", "min", "p25", "median", "p75", "max"]
    )


def scatter_sample(df: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Per-account points for the density × decision scatter: every account when few, else an
    evenly spaced (deterministic) sample along the priority order, so charts stay small."""
    cols = [
        "account_id",
        "account_name",
        "industry_normalized",
        "company_size_category",
        "density",
        "decision_ratio",
        "tier",
        "priority_rank",
    ]
    pos = np.flatnonzero(df["density"].notna().to_numpy())
    if len(pos) > limit:
        pos = pos[np.linspace(0, len(pos) - 1, limit).round().astype(int)]
    return df[cols].iloc[pos].reset_index(drop=True)
