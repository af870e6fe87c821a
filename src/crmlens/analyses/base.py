"""The result type of an analysis (the unit contract is ``spec.AnalysisSpec``).

``AnalysisResult`` is plain data: named scalar metrics with units, tables (pandas frames), findings
and recommendations as reason codes with parameters, and provenance.  Reports, exports and the
monitor read it; none of them recomputes anything.  ``save``/``load`` round-trip it through a folder
(``result.json`` + one Parquet file per table) so ``crmlens report --from DIR`` can re-render.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


UNITS = ("count", "ratio", "usd", "per_1000", "score", "days", "text")


@dataclass(frozen=True)
class Metric:
    value: float | int | str | None
    unit: str = "count"

    def __post_init__(self) -> None:
        assert self.unit in UNITS, self.unit


@dataclass(frozen=True)
class Finding:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "info"  # info | warning | critical


@dataclass(frozen=True)
class Recommendation:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisResult:
    analysis: str
    metrics: dict[str, Metric]
    tables: dict[str, pd.DataFrame]
    findings: tuple[Finding, ...] = ()
    recommendations: tuple[Recommendation, ...] = ()
    method: dict[str, Any] = field(
        default_factory=dict
    )  # rules/thresholds used (printed in method notes)
    provenance: dict[str, Any] = field(default_factory=dict)

    def metric(self, name: str) -> Any:
        return self.metrics[name].value

    # ---- persistence -------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        return {
            "analysis": self.analysis,
            "metrics": {
                k: {"value": json_safe(m.value), "unit": m.unit} for k, m in self.metrics.items()
            },
            "findings": [
                {"code": f.code, "params": json_safe(f.params), "severity": f.severity}
                for f in self.findings
            ],
            "recommendations": [
                {"code": r.code, "params": json_safe(r.params), "target": json_safe(r.target)}
                for r in self.recommendations
            ],
            "method": json_safe(self.method),
            "provenance": json_safe(self.provenance),
            "tables": sorted(self.tables),
        }

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the result; returns each table as the Arrow table written to its Parquet file
        (the CSV export is written from the same columns)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, df in self.tables.items():
            written[name] = pa.Table.from_pandas(flat_frame(df), preserve_index=False)
            pq.write_table(written[name], folder / f"{name}.parquet")
        (folder / "result.json").write_text(
            json.dumps(self.to_json_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return written

    @classmethod
    def load(cls, folder: Path) -> "AnalysisResult":
        d = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        return cls(
            analysis=d["analysis"],
            metrics={k: Metric(v["value"], v["unit"]) for k, v in d["metrics"].items()},
            tables={n: pd.read_parquet(folder / f"{n}.parquet") for n in d["tables"]},
            findings=tuple(Finding(f["code"], f["params"], f["severity"]) for f in d["findings"]),
            recommendations=tuple(
                Recommendation(r["code"], r["params"], r["target"]) for r in d["recommendations"]
            ),
            method=d["method"],
            provenance=d["provenance"],
        )


def flat_frame(df: pd.DataFrame) -> pd.DataFrame:
    """List-valued columns are stored as '; '-joined text so every table is flat and portable."""
    out = df.copy(deep=False)
    for c in out.columns:
        if out[c].dtype != object:
            continue
        first = out[c].dropna().head(1)
        if len(first) and isinstance(
            first.iloc[0], (list, tuple)
        ):  # list columns hold lists in every row
            out[c] = out[c].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
            )
    return out


def json_safe(v: Any) -> Any:
    """JSON-safe copy: numpy scalars → Python, NaN → None."""
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return v


def pattern_codes(mask: np.ndarray) -> np.ndarray:
    """Each row of a boolean matrix as one integer (bit j = column j)."""
    k = mask.shape[1]
    return (
        mask.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
        if k
        else np.zeros(len(mask), dtype=np.int64)
    )


def flag_names(mask: np.ndarray, names: list[str]) -> list[list[str]]:
    """Row-wise lists of the names whose column is set, built once per distinct pattern (at most
    2^k) and shared between rows with the same pattern: treat them as read-only."""
    patterns = [
        [n for j, n in enumerate(names) if code >> j & 1] for code in range(1 << len(names))
    ]
    return [patterns[c] for c in pattern_codes(mask).tolist()]


class Laps:
    """Wall time per stage of an analysis, for ``provenance['stage_seconds']`` (where the time
    goes, without a profiler).  ``lap(name)`` closes the stage that started at the previous lap
    and announces it as ``<prefix><name>`` (:mod:`crmlens.progress`: the CLI shows it)."""

    def __init__(self, prefix: str = "") -> None:
        from crmlens.progress import Stopwatch

        self._watch = Stopwatch(prefix)
        self.seconds = self._watch.seconds

    def __call__(self, name: str) -> None:
        self._watch.lap(name)
