"""``crmlens bench`` on a tiny dataset: the measurements are recorded (never asserted on time),
and the pandas baseline computes the same headline numbers as crmlens, so the ratio compares
like with like."""

import json

from crmlens.bench import run_bench, write_json
from crmlens.cli import main


def test_bench_records_every_step_and_the_baseline_agrees(tmp_path):
    res = run_bench([1500], tmp_path, seed=3, render=False, repeat=2)
    steps = [m["step"] for m in res["measures"]]
    assert steps == ["generate", "scan_floor", "read_floor", "crmlens_compute", "pandas_baseline"]
    compute = next(m for m in res["measures"] if m["step"] == "crmlens_compute")
    assert compute["runs"] == 2 and len(compute["samples"]) == 2
    assert sorted(compute["samples"])[0] <= compute["seconds"] <= sorted(compute["samples"])[1]
    agreement = res["baseline_agreement"]["1500"]
    assert agreement["key_accounts"]["pandas"] == agreement["key_accounts"]["crmlens"] > 0
    assert agreement["high_risk"]["pandas"] == agreement["high_risk"]["crmlens"]
    ratio = res["ratios"][0]
    assert (
        ratio["baseline_agrees"] is True
        and ratio["crmlens_over_floor"] > 0
        and ratio["crmlens_over_read_floor"] > 0
    )
    stages = res["crmlens_stage_seconds"]["1500"]
    assert {"engine.contact_profile", "engine.key_accounts", "action_plan"} <= set(stages)
    write_json(res, tmp_path / "b.json")
    assert json.loads((tmp_path / "b.json").read_text())["repeat"] == 2


def test_bench_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(
        [
            "bench",
            "--sizes",
            "800",
            "--dir",
            str(tmp_path),
            "--out",
            str(out),
            "--no-render",
            "--repeat",
            "1",
            "--pandas-max",
            "0",
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert [r["accounts"] for r in data["ratios"]] == [800] and data["ratios"][0][
        "pandas_over_crmlens"
    ] is None
    assert "crmlens" in capsys.readouterr().out
