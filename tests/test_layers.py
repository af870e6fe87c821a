"""The layering of DESIGN.md, checked on every module's top-level imports: a module never
imports from a layer above it (imports inside functions are the documented lazy exceptions:
plug-in discovery and heavy libraries loaded where used)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "crmlens"

# layer → the crmlens layers it may import at module level
LAYERS = {
    "cli": {"*"},
    "api": {"runner", "report", "analyses", "config", "errors", "sources", "schema"},
    "bench": {
        "config",
        "errors",
        "schema",
        "synth",
        "sources",
        "analyses",
        "report",
        "runner",
        "outputs",
        "progress",
        "bench_script",
    },
    "bench_script": {"config", "analyses"},
    "progress": set(),  # stage timing and display: below every layer
    "runner": {"analyses", "config", "errors", "schema", "sources", "progress"},
    "report": {"report", "analyses", "config", "errors", "schema", "outputs", "child", "progress"},
    "monitor": {
        "monitor",
        "report",
        "analyses",
        "runner",
        "config",
        "errors",
        "schema",
        "outputs",
        "sources",
    },
    "analyses": {
        "analyses",
        "stats",
        "classify",
        "sources",
        "schema",
        "config",
        "errors",
        "progress",
    },
    # human overrides: an append-only store (monitor's DuckStore) read by the analyses at run time
    "overrides": {"overrides", "monitor", "analyses", "config", "errors", "schema"},
    "analysis_views": {"analyses", "report", "config", "errors", "schema"},
    "stats": {"stats", "errors"},
    "classify": {"classify", "schema", "config", "errors"},
    "sources": {"sources", "schema", "config", "errors"},
    "schema": {"schema", "sources", "config", "errors"},
    "synth": {"synth", "schema", "config", "errors", "outputs", "sources"},  # sf_fields mapping
    "outputs": {"errors"},
    "child": set(),
    "config": {"errors", "schema"},
    "errors": set(),
    "__init__": set(),
}


def layer_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    top = rel.parts[0].removesuffix(".py")
    if top == "analyses" and rel.name in ("views.py", "story.py"):  # report-time modules
        return "analysis_views"
    return top


def top_level_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else []:
            if isinstance(sub, ast.ImportFrom) and sub.module and sub.module.startswith("crmlens"):
                out.append((sub.lineno, sub.module))
            elif isinstance(sub, ast.Import):
                out += [(sub.lineno, a.name) for a in sub.names if a.name.startswith("crmlens")]
    return out


def test_no_module_imports_from_a_layer_above():
    bad = []
    for path in SRC.rglob("*.py"):
        layer = layer_of(path)
        allowed = LAYERS.get(layer)
        assert allowed is not None, f"{path.relative_to(SRC)}: no layer declared for {layer!r}"
        for line, module in top_level_imports(path):
            parts = module.split(".")
            target = parts[1] if len(parts) > 1 else "__init__"
            if target == "__init__" or "*" in allowed or target in allowed:
                continue
            bad.append(f"{path.relative_to(SRC)}:{line} ({layer}) imports {module}")
    assert not bad, "\n".join(bad)


def test_heavy_libraries_are_not_imported_by_the_cli_or_report_rerender():
    import subprocess
    import sys

    code = (
        "import sys, crmlens.cli, crmlens.report.writer; "
        "print(','.join(m for m in ('sklearn', 'scipy', 'statsmodels', 'pyspark')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_cli_help_loads_no_data_library():
    """`crmlens --help` answers fast: the CLI module loads no data or engine library."""
    import subprocess
    import sys

    code = (
        "import sys, crmlens.cli; print(','.join(m for m in ('pandas', 'numpy', 'ibis', 'duckdb', "
        "'altair', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
