"""Segmentation told answer-first: how the customers split and which segments are worth a playbook
of their own (answer), why (where revenue sits, the catch-all bucket, the small or undistinct
segments, whether behaviour clusters back the rules — unstable clusters are weak evidence, how much
of the customer data is used, what people changed), what the data cannot tell, the actions (the
playbooks by milestone), the alert trigger, summary lines and one takeaway per chart.  Lines pick
values from the result's metrics, findings and tables; nothing is recomputed."""

from __future__ import annotations

from crmlens.analyses.base import AnalysisResult
from crmlens.analyses.segmentation.tables import slug
from crmlens.analyses.toolkit import top_n
from crmlens.report.views import Caption, Line, default_rules, finding_line, metric

ANALYSIS = "segmentation"
# the segments the default rules watch (their metrics: customers_<segment>)
WATCHED = {"champions_shrink_20pct": "Champions", "at_risk_grow_20pct": "At Risk"}
ACTION_ORDER = (
    "rec.seg.playbooks",
    "rec.seg.merge_standard",
    "rec.seg.merge_into",
    "rec.seg.review_overrides",
    "rec.seg.more_data",
)
WHY_FINDINGS = ("seg.other", "seg.guard")
PEOPLE_FINDINGS = ("seg.human", "seg.expiring")
LIMIT_FINDINGS = ("dq.seg_override_unknown", "dq.seg_orphans", "dq.seg_undated")


def clusters_weak(r: AnalysisResult) -> bool:
    """Clusters are weak evidence when the analysis found them unstable, or found none."""
    found = next((f for f in r.findings if f.code == "seg.clusters"), None)
    return found is None or found.params.get("stable") != "yes"


def profile_leaders(r: AnalysisResult) -> dict | None:
    """The segment with the most customers and the one bringing the most revenue."""
    prof = r.tables["segment_profile"]
    prof = prof[prof["customers"] > 0]
    if prof.empty:
        return None
    largest = top_n(prof, 1, ["customers", "segment"], [False, True]).iloc[0]
    richest = top_n(prof, 1, ["revenue", "segment"], [False, True]).iloc[0]
    return {
        "largest": largest["segment"],
        "largest_customers": int(largest["customers"]),
        "largest_share": largest["share"],
        "largest_revenue": largest["revenue_share"],
        "top": richest["segment"],
        "top_customers": int(richest["customers"]),
        "top_share": richest["share"],
        "top_revenue": richest["revenue_share"],
    }


def best_k(r: AnalysisResult) -> dict | None:
    sil = r.tables.get("cluster_silhouettes")
    if sil is None or sil.empty or metric(r, "clusters") is None:
        return None
    row = sil[sil["k"] == metric(r, "clusters")]
    if row.empty:
        return None
    return {
        "k": int(row["k"].iloc[0]),
        "silhouette": row["silhouette"].iloc[0],
        "ari": metric(r, "stability_ari_mean"),
    }


# ---- the story ------------------------------------------------------------------------------


def answer(r: AnalysisResult) -> tuple[Line, ...]:
    leaders = profile_leaders(r)
    if leaders is None:
        return (Line("seg.answer_none", {"accounts": metric(r, "accounts")}),)
    base = {
        "customers": metric(r, "customers"),
        "segments": metric(r, "segments_used"),
        "prospects": metric(r, "prospects"),
    }
    lines = [Line("seg.answer", {**base, **leaders})]
    kept, flagged = metric(r, "segments_kept"), metric(r, "segments_flagged")
    if flagged:
        lines.append(Line("seg.answer_guard", {"kept": kept, "flagged": flagged}))
    plan = r.tables.get("plan_summary")
    playbooks = next((x for x in r.recommendations if x.code == "rec.seg.playbooks"), None)
    if playbooks is not None and plan is not None and len(plan):
        first = plan.iloc[0]  # the plan is in milestone order
        params = {**playbooks.params, "action": first["action"], "due": first["due_date"]}
        lines.append(Line("seg.answer_plan", params))
    return tuple(lines)


def why(r: AnalysisResult) -> tuple[Line, ...]:
    lines = []
    leaders = profile_leaders(r)
    if leaders:
        same = leaders["largest"] == leaders["top"]
        lines.append(Line("seg.why_same" if same else "seg.why_profile", leaders, id="profile"))
    lines += [Line(f.code, f.params) for code in WHY_FINDINGS for f in r.findings if f.code == code]
    strength = "weak" if clusters_weak(r) else "strong"
    for code in ("seg.clusters", "seg.no_clusters"):
        found = finding_line(r, code, id="clusters", strength=strength)
        if found is not None:
            lines.append(found)
    found = finding_line(r, "seg.utilisation")
    if found is not None:
        lines.append(found)
    lines += [
        Line(f.code, f.params) for code in PEOPLE_FINDINGS for f in r.findings if f.code == code
    ]
    return tuple(lines)


def limits(r: AnalysisResult) -> tuple[Line, ...]:
    lines = [Line(f.code, f.params) for f in r.findings if f.code in LIMIT_FINDINGS]
    rfm = {"prospects": metric(r, "prospects"), "days": r.method.get("window_days")}
    return (*lines, Line("seg.limit_rfm", rfm))


def actions(r: AnalysisResult) -> tuple[Line, ...]:
    lines = []
    for code in ACTION_ORDER:
        for x in r.recommendations:
            if x.code == code:
                key = "seg.do.more_data" if code == "rec.seg.more_data" else code
                lines.append(Line(key, x.params, severity="action"))
    return tuple(lines)


def trigger(r: AnalysisResult) -> Line:
    rules = default_rules(ANALYSIS)
    (shrink, champions), (grow, at_risk) = WATCHED.items()
    return Line(
        "seg.trigger",
        {
            "shrink": rules.get(shrink, {}).get("relative"),
            "champions": metric(r, f"customers_{slug(champions)}"),
            "grow": rules.get(grow, {}).get("relative"),
            "at_risk": metric(r, f"customers_{slug(at_risk)}"),
        },
        severity="warning",
    )


def summary(r: AnalysisResult) -> tuple[Line, ...]:
    leaders = profile_leaders(r)
    if leaders is None:
        return ()
    params = {"customers": metric(r, "customers"), "kept": metric(r, "segments_kept"), **leaders}
    lines = [Line("seg.summary", params)]
    if clusters_weak(r):
        lines.append(Line("seg.summary_clusters_weak", best_k(r) or {}, strength="weak"))
    return tuple(lines)


# ---- chart takeaways --------------------------------------------------------------------------


def _profile(r: AnalysisResult) -> Line | None:
    leaders = profile_leaders(r)
    if leaders is None:
        return None
    same = leaders["largest"] == leaders["top"]
    return Line("seg.cap.profile_same" if same else "seg.cap.profile", leaders)


def _silhouette(r: AnalysisResult) -> Line | None:
    k = best_k(r)
    if k is None:
        return None
    return Line("seg.cap.silhouette_weak" if clusters_weak(r) else "seg.cap.silhouette", k)


CAPTIONS = {
    "seg_profile": Caption(_profile, "profile"),
    "seg_silhouette": Caption(_silhouette, "clusters"),
}
