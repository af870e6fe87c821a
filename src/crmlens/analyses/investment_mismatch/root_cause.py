"""Root cause in raw terms: for the highest-risk industry × size groups of the top-priority pool
(and the whole pool), mismatched against matched top-priority customers — customers, raw means
of sales, adoption and support — and the decomposition of the composite gap

    ΔComposite = w_sales·Δsales + w_adoption·Δadoption + w_support·Δsupport

where Δ is the matched minus the mismatched mean of the normalised component and the weights
are the configured composite weights: the contributions add up to the composite gap exactly
(the composite is that weighted sum), so the largest contribution names the driver."""

from __future__ import annotations

import math

import pandas as pd

from crmlens.analyses.investment_mismatch.base_table import COMPONENTS
from crmlens.analyses.investment_mismatch.composite import component_gaps
from crmlens.analyses.investment_mismatch.config import InvestmentMismatchConfig

ALL = "all"  # industry and size of the row for the whole top-priority pool


def decompose_group(members: pd.DataFrame, weights: dict[str, float]) -> dict:
    """The raw means, normalised gaps, weighted contributions and driver of one group."""
    m = members["mismatched"]
    row: dict = {"mismatched": int(m.sum()), "top_matched": int((~m).sum())}
    for name, column in COMPONENTS.items():
        values = members[column].astype(float)
        row[f"{name}_mismatched"] = float(values[m].mean()) if m.any() else math.nan
        row[f"{name}_top_matched"] = float(values[~m].mean()) if (~m).any() else math.nan
    split = 0 < row["mismatched"] < len(members)
    gaps = component_gaps(members) if split else dict.fromkeys(COMPONENTS, math.nan)
    for name in COMPONENTS:
        row[f"gap_{name}"] = gaps[name]
        row[f"contribution_{name}"] = weights[name] * gaps[name]
    contributions = {k: row[f"contribution_{k}"] for k in COMPONENTS}
    row["delta_composite"] = sum(contributions.values()) if split else math.nan
    row["driver"] = max(contributions, key=lambda k: contributions[k]) if split else ""
    return row


def root_cause(
    top: pd.DataFrame, groups: pd.DataFrame, cfg: InvestmentMismatchConfig
) -> pd.DataFrame:
    """The whole pool first, then the ``root_cause_groups`` highest-risk groups (``groups`` is
    in risk order)."""
    weights = cfg.weights.model_dump()
    rows = [{"industry_vertical": ALL, "company_size_tier": ALL, **decompose_group(top, weights)}]
    for g in groups.head(cfg.root_cause_groups).itertuples(index=False):
        members = top[
            (top["industry_vertical"] == g.industry_vertical)
            & (top["company_size_tier"] == g.company_size_tier)
        ]
        rows.append(
            {
                "industry_vertical": g.industry_vertical,
                "company_size_tier": g.company_size_tier,
                **decompose_group(members, weights),
            }
        )
    return pd.DataFrame(rows, columns=list(rows[0]))
