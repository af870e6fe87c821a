"""Segmentation narrative as codes: headline metrics, findings, recommendations, method."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from crmlens.analyses.base import Finding, Metric, Recommendation
from crmlens.analyses.segmentation.config import SegmentationConfig
from crmlens.analyses.segmentation.customer360 import UNSCORED
from crmlens.analyses.segmentation.tables import slug


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def metrics(s: dict[str, Any], cfg: SegmentationConfig) -> dict[str, Metric]:
    customers, applied = s["customers"], s["applied"]
    n = len(applied)
    other = int((applied["segment_model"] == cfg.other_segment).sum())
    changed = applied["overridden"] & (applied["segment"] != applied["segment_model"])
    prof = s["profile"]
    m = {
        "accounts": Metric(s["accounts"]),
        "customers": Metric(n),
        "prospects": Metric(s["accounts"] - n),
        "orphan_won_deals": Metric(s["orphan_won"]),
        "undated_won_deals": Metric(s["undated_won"]),
        "won_amount_null": Metric(int(customers["amount_null"].sum())),
        "segments_used": Metric(int((prof["customers"] > 0).sum())),
        "other_bucket": Metric(other),
        "other_share": Metric(_ratio(other, n), "ratio"),
        "segments_flagged": Metric(
            int(prof["recommendation"].isin(["merge_standard", "merge_into"]).sum())
        ),
        "segments_kept": Metric(int((prof["recommendation"] == "keep").sum())),
        "overrides_active": Metric(int(applied["overridden"].sum())),
        "overrides_changed": Metric(int(changed.sum())),
        "disagreement_share": Metric(_ratio(int(changed.sum()), n), "ratio"),
        "overrides_expiring": Metric(int(applied["override_expiring"].sum())),
        "overrides_unknown_accounts": Metric(len(s["unknown_overrides"])),
        "data_utilisation": Metric(s["utilisation_share"], "ratio"),
        "overrides_judged": Metric(int(s["outcomes"]["customers"].sum())),
        "human_closer_share": Metric(_closer_share(s["outcomes"]), "ratio"),
    }
    for segment, count in zip(prof["segment"], prof["customers"]):
        m[f"customers_{slug(segment)}"] = Metric(int(count))
    m |= _c360_metrics(s["customer360"])
    c = s["clusters"]
    if c is not None:
        best = c.silhouettes.loc[c.silhouettes["k"] == c.k, "silhouette"].iloc[0]
        ari = c.stability["ari"]
        m |= {
            "clusters": Metric(c.k),
            "silhouette": Metric(float(best), "score"),
            "stability_ari_mean": Metric(float(ari.mean()) if len(ari) else None, "score"),
            "stability_ari_min": Metric(float(ari.min()) if len(ari) else None, "score"),
        }
    return m


def _c360_metrics(c360: Any) -> dict[str, Metric]:
    """The customer-360 segment counts (``rfm_source: customer360`` with the scores present)."""
    if c360 is None or isinstance(c360, list):
        return {}
    counts, prof = c360.counts, c360.segments.set_index("segment")["customers"]
    n = counts["customers"]
    out = {
        "c360_value_rows": Metric(counts["value_rows"]),
        "c360_duplicates_removed": Metric(counts["duplicates_removed"]),
        "c360_without_email": Metric(counts["without_email"]),
        "c360_customers": Metric(n),
        "c360_unscored": Metric(int(prof.get(UNSCORED, 0))),
    }
    if "linked" in counts:
        out["c360_linked"] = Metric(counts["linked"])
        out["c360_ambiguous"] = Metric(counts["ambiguous"])
        out["c360_link_coverage"] = Metric(_ratio(counts["linked"], n), "ratio")
    return out


def _c360_findings(m: dict[str, Metric], s: dict[str, Any], cfg: SegmentationConfig) -> list:
    c360 = s["customer360"]
    if c360 is None:
        return []
    if isinstance(c360, list):
        table = "customer360__customer_value_analysis"
        return [Finding("dq.seg_c360_missing", {"table": table, "columns": c360}, "warning")]
    v = {k: x.value for k, x in m.items()}
    scored = c360.segments[c360.segments["segment"] != UNSCORED]
    top = scored.sort_values(["customers", "segment"], ascending=[False, True]).iloc[0]
    out = [
        Finding(
            "seg.c360",
            {
                "customers": v["c360_customers"],
                "duplicates": v["c360_duplicates_removed"],
                "top": top["segment"],
                "top_customers": int(top["customers"]),
                "top_clv": top["clv_mean"],
            },
        )
    ]
    if v["c360_unscored"]:
        out.append(Finding("dq.seg_c360_unscored", {"count": v["c360_unscored"]}, "warning"))
    if "c360_linked" in v:
        params = {"linked": v["c360_linked"], "customers": v["c360_customers"]}
        params |= {"share": v["c360_link_coverage"], "ambiguous": v["c360_ambiguous"]}
        out.append(Finding("seg.c360_link", params))
    else:
        out.append(Finding("seg.c360_no_link", {}))
    return out


def _closer_share(outcomes: pd.DataFrame) -> float | None:
    judged = outcomes.dropna(subset=["human_closer"]) if len(outcomes) else outcomes
    if judged.empty:
        return None
    weights = judged["customers"].astype(float)
    return float((judged["human_closer"].astype(bool) * weights).sum() / weights.sum())


def findings(m: dict[str, Metric], s: dict[str, Any], cfg: SegmentationConfig):
    v = {k: x.value for k, x in m.items()}
    prof = s["profile"]
    f = []
    if v["customers"]:
        top = prof.sort_values(["revenue", "segment"], ascending=[False, True]).iloc[0]
        f.append(
            Finding(
                "seg.segments",
                {
                    "customers": v["customers"],
                    "segments": v["segments_used"],
                    "top": top["segment"],
                    "top_share": top["revenue_share"],
                    "top_customers": int(top["customers"]),
                },
            )
        )
        f.append(
            Finding(
                "seg.other",
                {"count": v["other_bucket"], "share": v["other_share"], "other": cfg.other_segment},
                "warning" if (v["other_share"] or 0) > 0.1 else "info",
            )
        )
    flagged = prof[prof["recommendation"].isin(["merge_standard", "merge_into"])]
    if len(flagged):
        f.append(
            Finding(
                "seg.guard",
                {
                    "count": len(flagged),
                    "segments": flagged["segment"].tolist(),
                    "customers": int(flagged["customers"].sum()),
                    "minimum": cfg.min_segment_customers,
                },
                "warning",
            )
        )
    c = s["clusters"]
    if c is not None:
        f.append(
            Finding(
                "seg.clusters",
                {
                    "k": c.k,
                    "silhouette": v["silhouette"],
                    "ari": v["stability_ari_mean"],
                    "stable": "yes" if (v["stability_ari_mean"] or 0) >= 0.8 else "no",
                },
            )
        )
    else:
        f.append(Finding("seg.no_clusters", {"minimum": cfg.clustering.min_accounts}))
    util = s["utilisation"]
    f.append(
        Finding(
            "seg.utilisation",
            {
                "share": v["data_utilisation"],
                "used": int(util["used"].sum()),
                "available": len(util),
            },
        )
    )
    if v["overrides_active"]:
        f.append(
            Finding(
                "seg.human",
                {
                    "count": v["overrides_active"],
                    "changed": v["overrides_changed"],
                    "share": v["disagreement_share"],
                    "judged": v["overrides_judged"],
                    "closer": v["human_closer_share"],
                },
            )
        )
    if v["overrides_expiring"]:
        f.append(Finding("seg.expiring", {"count": v["overrides_expiring"]}, "warning"))
    if v["overrides_unknown_accounts"]:
        f.append(
            Finding(
                "dq.seg_override_unknown", {"count": v["overrides_unknown_accounts"]}, "warning"
            )
        )
    f += _c360_findings(m, s, cfg)
    if v["orphan_won_deals"]:
        f.append(Finding("dq.seg_orphans", {"count": v["orphan_won_deals"]}, "warning"))
    if v["undated_won_deals"]:
        f.append(Finding("dq.seg_undated", {"count": v["undated_won_deals"]}, "warning"))
    if v["won_amount_null"]:
        f.append(Finding("dq.seg_amount_null", {"count": v["won_amount_null"]}, "warning"))
    return tuple(f)


def recommendations(m: dict[str, Metric], s: dict[str, Any], cfg: SegmentationConfig):
    v = {k: x.value for k, x in m.items()}
    prof = s["profile"]
    recs = []
    for row in prof[prof["recommendation"] == "merge_standard"].itertuples(index=False):
        recs.append(
            Recommendation(
                "rec.seg.merge_standard",
                {
                    "segment": row.segment,
                    "customers": int(row.customers),
                    "value": row.value_per_customer,
                },
                {"segment": row.segment},
            )
        )
    for row in prof[prof["recommendation"] == "merge_into"].itertuples(index=False):
        recs.append(
            Recommendation(
                "rec.seg.merge_into",
                {"segment": row.segment, "into": row.merge_into, "treatment": row.treatment},
                {"segment": row.segment},
            )
        )
    kept = prof[prof["recommendation"] == "keep"]
    if len(kept):
        recs.append(
            Recommendation(
                "rec.seg.playbooks",
                {
                    "count": len(kept),
                    "customers": int(kept["customers"].sum()),
                    "actions": len(s["plan"]),
                },
                {"segments": kept["segment"].tolist()},
            )
        )
    if v["overrides_expiring"]:
        recs.append(
            Recommendation(
                "rec.seg.review_overrides",
                {"count": v["overrides_expiring"], "days": s["warning_days"]},
                {"metric": "overrides_expiring", "max": 0},
            )
        )
    util = s["utilisation"]
    unused = util[~util["used"] & (util["completeness"] >= 0.5)]["attribute"].tolist()
    if unused:
        recs.append(
            Recommendation(
                "rec.seg.more_data",
                {"share": v["data_utilisation"], "attributes": unused[:5]},
                {"metric": "data_utilisation"},
            )
        )
    return tuple(recs)


def method(cfg: SegmentationConfig, s: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    cuts = s["cuts"]
    c = s["clusters"]
    return {
        "rfm_source": cfg.rfm_source,
        "window_days": cfg.window_days,
        "window_start": s["window_start"].isoformat(),
        "case_window_days": cfg.case_window_days,
        "score_rule": "quintile_of_rank_ties_share",
        "cuts": {
            f"{d}:{int(sc)}": [_num(lo), _num(hi)]
            for d, sc, lo, hi in zip(
                cuts["dimension"], cuts["rfm_score"], cuts["value_low"], cuts["value_high"]
            )
        },
        "segments": [s_.model_dump() for s_ in cfg.segments],
        "other_segment": cfg.other_segment,
        "min_segment_customers": cfg.min_segment_customers,
        "min_segment_share": cfg.min_segment_share,
        "playbooks": {k: p.model_dump() for k, p in cfg.playbooks.items()},
        "clustering": cfg.clustering.model_dump(),
        "cluster_features": list(c.features) if c is not None else [],
        "clustering_runs_in": "python_on_feature_table",
        "outcome_days": cfg.outcome_days,
        "override_choices": {"segment": list(cfg.segment_names)},
        "as_of": as_of.isoformat(),
    }


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
