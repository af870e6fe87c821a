"""The Python API: the README example runs as written (on a generated dataset), and frames or an
Ibis connection work as sources with the same numbers as the file."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import ibis

import crmlens

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_python_example_runs(gen_db, tmp_path, monkeypatch, capsys):
    code = re.search(r"## Python API.*?```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace("crmlens-demo/demo.duckdb", str(gen_db)), "README", "exec"), {})
    printed = capsys.readouterr().out
    assert "contact_coverage" in printed and re.search("[\u4e00-\u9fff]", printed)  # zh findings
    assert (tmp_path / "crmlens-api-report" / "report.html").exists()


def test_frames_and_ibis_connection_give_the_same_numbers(gen_db):
    from_file = crmlens.run(str(gen_db), ["contact_coverage"], as_of="2026-01-05")
    con = duckdb.connect(str(gen_db), read_only=True)
    frames = {
        t: con.table(t).df()
        for t in (  # opportunities: contact coverage compares outcomes when present
            "salesforce__customer_360_view",
            "salesforce__contact_enhanced",
            "salesforce__opportunity_enhanced",
        )
    }
    con.close()
    from_frames = crmlens.run(frames, ["contact_coverage"], as_of="2026-01-05")
    backend = ibis.duckdb.connect(str(gen_db), read_only=True)
    from_ibis = crmlens.run(backend, ["contact_coverage"], as_of="2026-01-05")
    expected = from_file.metrics()
    for other in (from_frames, from_ibis):
        assert other.metrics()["value"].tolist() == expected["value"].tolist()
    assert from_file.findings("en") == from_ibis.findings("en")
