"""Analysis units: a toy analysis defined entirely in tests/ runs through every generic layer
(run, HTML/Markdown/Excel/JSON report, monitor, config schema) without a core edit, and the
core names no analysis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from crmlens import cli
from crmlens.analyses import REGISTRY, register, unregister
from crmlens.errors import ConfigError
from crmlens.monitor.rules import load_rules
from crmlens.report.i18n import t

SRC = Path(__file__).parents[1] / "src" / "crmlens"


@pytest.fixture()
def toy():
    from toy_unit import SPEC

    register(SPEC)
    yield SPEC
    unregister(SPEC.name)


def widgets(folder: Path, scores: list[float]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"widget_id": [f"w{i}" for i in range(len(scores))],
                  "widget_name": [f"Widget {i}" for i in range(len(scores))],
                  "owner_name": ["Ann", "Bo"] * (len(scores) // 2) + ["Ann"] * (len(scores) % 2),
                  "score": scores}).to_csv(folder / "toy__widgets.csv", index=False)
    return folder


def main(*argv: str) -> int:
    return cli.main([str(a) for a in argv])


def test_toy_analysis_through_run_and_every_report_format(toy, tmp_path, capsys):
    src = widgets(tmp_path / "src", [0.9, 0.2, 0.7, 0.1, 0.6])  # 2 of 5 bad (< 0.5)
    for lang in ("en", "zh"):
        out = tmp_path / f"report-{lang}"
        assert main("run", "toy_widgets", "--source", src, "--out", out, "--lang", lang, "--no-png",
                    "--as-of", "2026-03-01") == 0, capsys.readouterr()
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        metrics = summary["analyses"]["toy_widgets"]["metrics"]
        assert metrics["bad_widgets"]["value"] == 2 and metrics["bad_share"]["value"] == pytest.approx(0.4)
        html = (out / "report.html").read_text(encoding="utf-8")
        md = (out / "report.md").read_text(encoding="utf-8")
        title = {"en": "Toy widgets", "zh": "玩具部件"}[lang]
        finding = {"en": "2 widgets (40.0%) score below the threshold.", "zh": "2 个部件（40.0%）评分低于阈值。"}[lang]
        for doc in (html, md):
            assert title in doc and finding in doc
            assert {"en": "Widget 3", "zh": "Widget 3"}[lang] in doc  # the table view
        assert {"en": "below 0.50", "zh": "低于 0.50"}[lang] in md  # method notes
        assert "toy_scores" in html  # the unit's chart
        wb = openpyxl.load_workbook(out / "action_plan.xlsx")
        sheet = wb[{"en": "Toy widgets", "zh": "玩具部件"}[lang]]
        rows = list(sheet.values)
        assert len(rows) == 3  # header + 2 bad widgets, worst first
        assert rows[1][rows[0].index({"en": "Widget", "zh": "部件"}[lang])] == "Widget 3"
        assert {"en": "Fix widget", "zh": "修复部件"}[lang] in rows[1]
        csv = pd.read_csv(out / "tables" / "toy_widgets" / "widgets.csv")
        assert len(csv) == 5


def test_toy_analysis_through_monitor_with_its_own_rules(toy, tmp_path, capsys):
    hist, log = tmp_path / "h.duckdb", tmp_path / "alerts.jsonl"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"monitor:\n  history: {hist}\n  alert_log: {log}\ntoy_widgets:\n  bad_below: 0.5\n")
    good = widgets(tmp_path / "good", [0.9, 0.8, 0.7, 0.6, 0.55])
    assert main("monitor", "toy_widgets", "--source", good, "--config", cfg, "--out", tmp_path / "r1",
                "--no-png", "--as-of", "2026-03-01") == 0, capsys.readouterr()
    bad = widgets(tmp_path / "bad", [0.9, 0.1, 0.2, 0.3, 0.55])
    rc = main("monitor", "toy_widgets", "--source", bad, "--config", cfg, "--out", tmp_path / "r2",
              "--no-png", "--as-of", "2026-03-08")
    printed = capsys.readouterr().out
    assert rc == 4  # the unit's critical rule: bad share 60% > 30%
    assert "toy_bad_share_high" in log.read_text(encoding="utf-8")
    alerts = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    went_bad = next(a for a in alerts if a["rule_id"] == "toy_widget_went_bad")
    assert went_bad["count"] == 3 and "Widget 1 (w1)" in went_bad["entities"]
    assert "60.0%" in printed


def test_unit_declared_entity_event_fires_through_monitor(toy, tmp_path, capsys):
    """score_became_zero exists only in the toy's EntityModel, rules and messages."""
    hist, log = tmp_path / "h.duckdb", tmp_path / "alerts.jsonl"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"monitor:\n  history: {hist}\n  alert_log: {log}\n")
    before = widgets(tmp_path / "before", [0.9, 0.8, 0.3, 0.6, 0.55])
    assert main("monitor", "toy_widgets", "--source", before, "--config", cfg, "--out", tmp_path / "r1",
                "--no-png", "--as-of", "2026-03-01") == 0, capsys.readouterr()
    after = widgets(tmp_path / "after", [0.9, 0.0, 0.7, 0.6, 0.55])  # w1 drops to 0, w2 is fixed
    assert main("monitor", "toy_widgets", "--source", after, "--config", cfg, "--out", tmp_path / "r2",
                "--no-png", "--as-of", "2026-03-08") == 0, capsys.readouterr()
    alerts = {a["rule_id"]: a for a in map(json.loads, log.read_text(encoding="utf-8").splitlines())}
    zero = alerts["toy_widget_score_zero"]
    assert zero["entities"] == ["Widget 1 (w1)"] and zero["metric"] == "score_became_zero"
    assert zero["message"] == {"en": "1 widget(s) dropped to a score of zero: Widget 1 (w1)",
                               "zh": "1 个部件评分降为零：Widget 1 (w1)"}
    assert alerts["toy_widget_fixed"]["entities"] == ["Widget 2 (w2)"]
    went_bad = alerts["toy_widget_went_bad"]["message"]
    assert "Bad" in went_bad["en"] and "不合格" in went_bad["zh"] and "account" not in went_bad["en"]
    since = json.loads((tmp_path / "r2" / "summary.json").read_text(encoding="utf-8"))["since_last_run"]
    lists = {key: [e["entity_id"] for e in rows] for key, rows in since["lists"].items()}
    assert lists == {"toy_widgets:entered_tier": ["w1"], "toy_widgets:left_tier": ["w2"],
                     "toy_widgets:improved": ["w2"], "toy_widgets:score_became_zero": ["w1"]}
    md = (tmp_path / "r2" / "report.md").read_text(encoding="utf-8")
    assert "1 widgets dropped to a score of zero: Widget 1" in md
    assert "Bad" in md.split("1 widgets dropped")[0].split("Since the last run")[1]


def test_entity_rules_are_checked_against_the_analysis_entity_model(toy, tmp_path):
    rules = tmp_path / "r.yaml"
    cases = {"error.rule_event_unknown": "{id: x, type: entity, analysis: toy_widgets, event: dropped}",
             "error.rule_tier_unknown": "{id: x, type: entity, analysis: toy_widgets, event: entered_tier, "
                                        "tier: high}",
             "error.rule_analysis_unknown": "{id: x, type: entity, analysis: nope, event: improved}"}
    allowed = {}
    for code, rule in cases.items():
        rules.write_text(f"rules:\n  - {rule}\n")
        with pytest.raises(ConfigError) as caught:
            load_rules(rules)
        assert caught.value.code == code
        allowed[code] = t(code, "en", **caught.value.params)
        assert str(rules) in allowed[code] and "{" not in t(code, "zh", **caught.value.params)
    assert "dropped" in allowed["error.rule_event_unknown"]
    assert all(event in allowed["error.rule_event_unknown"]
               for event in ("entered_tier", "left_tier", "improved", "score_became_zero"))
    assert "high" in allowed["error.rule_tier_unknown"] and "bad, ok" in allowed["error.rule_tier_unknown"]
    assert "nope" in allowed["error.rule_analysis_unknown"] and "toy_widgets" in allowed["error.rule_analysis_unknown"]


def test_toy_config_section_in_schema_show_and_validation(toy, tmp_path, capsys):
    assert main("config", "schema") == 0
    schema = json.loads(capsys.readouterr().out)
    assert "toy_widgets" in schema["properties"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("toy_widgets:\n  bad_below: 2\n")
    assert main("config", "show", "--config", bad) == 2
    assert "toy_widgets.bad_below" in capsys.readouterr().err
    ok = tmp_path / "ok.yaml"
    ok.write_text("toy_widgets:\n  bad_below: 0.25\n")
    assert main("config", "show", "--config", ok) == 0
    assert "bad_below: 0.25" in capsys.readouterr().out


def test_no_module_outside_analyses_names_an_analysis():
    names = set(REGISTRY)
    offenders = []
    for f in SRC.rglob("*"):
        if f.suffix not in (".py", ".yaml", ".j2", ".html") or "analyses" in f.relative_to(SRC).parts[:1]:
            continue
        text = f.read_text(encoding="utf-8")
        offenders += [f"{f.relative_to(SRC)}: {n}" for n in names if re.search(rf"\b{n}\b", text)]
    assert not offenders


def test_existing_config_files_keep_working(tmp_path):
    from crmlens.config import load_config

    old = tmp_path / "old.yaml"
    old.write_text("contact_coverage:\n  density_red_line: 4\ninvestment_mismatch:\n  min_group_size: 5\n"
                   "report:\n  top_n: 10\n")
    cfg = load_config(old)
    assert cfg.contact_coverage.density_red_line == 4
    assert cfg.section("investment_mismatch").min_group_size == 5
    assert cfg.report.top_n == 10
