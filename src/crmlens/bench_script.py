"""The script crmlens replaces, for ``crmlens bench``: a plain pandas program that computes only
the headline numbers of the analyses (no report, no tables, no statistics beyond the cohorts) the
way a careful analyst would write it today — whole tables read into pandas, vectorised string
matching, ``groupby`` and ``merge``.  It is the fair opponent of ``crmlens run`` end to end (the
row-by-row unit baselines flatter crmlens).  Each analysis unit that ships a ``headline_script``
module (``headline(connection, config) -> dict``) takes part.

    python -m crmlens.bench_script DATA.duckdb [ANALYSIS ...]   # headline numbers as JSON

Same rules and thresholds as crmlens (read from the default configuration).
"""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType

import duckdb

from crmlens.config import CrmlensConfig, default_config


def headline_modules() -> dict[str, ModuleType]:
    """Analysis name → its headline-script module, for every registered unit that ships one."""
    from crmlens.analyses import REGISTRY

    found = {}
    for name, spec in REGISTRY.items():
        if spec.package is None:
            continue
        module = f"{spec.package}.headline_script"
        try:
            found[name] = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise  # the module is there but needs something missing
    return found


def headlines(path: str, names: list[str] | None = None, cfg: CrmlensConfig | None = None) -> dict:
    cfg = cfg or default_config()
    modules = headline_modules()
    con = duckdb.connect(path, read_only=True)
    try:
        return {name: modules[name].headline(con, cfg) for name in names or list(modules)}
    finally:
        con.close()


if __name__ == "__main__":  # pragma: no cover  (run by `crmlens bench` as its own process)
    print(json.dumps(headlines(sys.argv[1], sys.argv[2:] or None)))
