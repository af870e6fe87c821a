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
from crmlens.analyses import REGISTRY, EntityModel, register, unregister
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
    pd.DataFrame(
        {
            "widget_id": [f"w{i}" for i in range(len(scores))],
            "widget_name": [f"Widget {i}" for i in range(len(scores))],
            "owner_name": ["Ann", "Bo"] * (len(scores) // 2) + ["Ann"] * (len(scores) % 2),
            "score": scores,
            "owner_email": [f"owner{i}@example.com" for i in range(len(scores))],
        }
    ).to_csv(folder / "toy__widgets.csv", index=False)
    return folder


def main(*argv: str) -> int:
    return cli.main([str(a) for a in argv])


def test_toy_analysis_through_run_and_every_report_format(toy, tmp_path, capsys):
    src = widgets(tmp_path / "src", [0.9, 0.2, 0.7, 0.1, 0.6])  # 2 of 5 bad (< 0.5)
    for lang in ("en", "zh"):
        out = tmp_path / f"report-{lang}"
        assert (
            main(
                "run",
                "toy_widgets",
                "--source",
                src,
                "--out",
                out,
                "--lang",
                lang,
                "--no-png",
                "--as-of",
                "2026-03-01",
            )
            == 0
        ), capsys.readouterr()
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        metrics = summary["analyses"]["toy_widgets"]["metrics"]
        assert metrics["bad_widgets"]["value"] == 2 and metrics["bad_share"][
            "value"
        ] == pytest.approx(0.4)
        html = (out / "report.html").read_text(encoding="utf-8")
        md = (out / "report.md").read_text(encoding="utf-8")
        title = {"en": "Toy widgets", "zh": "玩具部件"}[lang]
        finding = {
            "en": "2 widgets (40.0%) score below the threshold.",
            "zh": "2 个部件（40.0%）评分低于阈值。",
        }[lang]
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
        # the unit's own contract marks owner_email as personal data: absent from every file
        for f in out.rglob("*"):
            if f.is_file():
                assert b"@example.com" not in f.read_bytes(), f


def test_toy_analysis_through_monitor_with_its_own_rules(toy, tmp_path, capsys):
    hist, log = tmp_path / "h.duckdb", tmp_path / "alerts.jsonl"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"monitor:\n  history: {hist}\n  alert_log: {log}\ntoy_widgets:\n  bad_below: 0.5\n"
    )
    good = widgets(tmp_path / "good", [0.9, 0.8, 0.7, 0.6, 0.55])
    assert (
        main(
            "monitor",
            "toy_widgets",
            "--source",
            good,
            "--config",
            cfg,
            "--out",
            tmp_path / "r1",
            "--no-png",
            "--as-of",
            "2026-03-01",
        )
        == 0
    ), capsys.readouterr()
    bad = widgets(tmp_path / "bad", [0.9, 0.1, 0.2, 0.3, 0.55])
    rc = main(
        "monitor",
        "toy_widgets",
        "--source",
        bad,
        "--config",
        cfg,
        "--out",
        tmp_path / "r2",
        "--no-png",
        "--as-of",
        "2026-03-08",
    )
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
    args = ("monitor", "toy_widgets", "--config", cfg, "--no-png", "--source")
    first = main(*args, before, "--out", tmp_path / "r1", "--as-of", "2026-03-01")
    assert first == 0, capsys.readouterr()
    after = widgets(tmp_path / "after", [0.9, 0.0, 0.7, 0.6, 0.55])  # w1 drops to 0, w2 is fixed
    second = main(*args, after, "--out", tmp_path / "r2", "--as-of", "2026-03-08")
    assert second == 0, capsys.readouterr()
    lines = log.read_text(encoding="utf-8").splitlines()
    alerts = {a["rule_id"]: a for a in map(json.loads, lines)}
    zero = alerts["toy_widget_score_zero"]
    assert zero["entities"] == ["Widget 1 (w1)"] and zero["metric"] == "score_became_zero"
    assert zero["message"] == {
        "en": "1 widget(s) dropped to a score of zero: Widget 1 (w1)",
        "zh": "1 个部件评分降为零：Widget 1 (w1)",
    }
    assert alerts["toy_widget_fixed"]["entities"] == ["Widget 2 (w2)"]
    went_bad = alerts["toy_widget_went_bad"]["message"]
    assert (
        "Bad" in went_bad["en"] and "不合格" in went_bad["zh"] and "account" not in went_bad["en"]
    )
    summary = json.loads((tmp_path / "r2" / "summary.json").read_text(encoding="utf-8"))
    since = summary["since_last_run"]
    lists = {key: [e["entity_id"] for e in rows] for key, rows in since["lists"].items()}
    assert lists == {
        "toy_widgets:entered_tier": ["w1"],
        "toy_widgets:left_tier": ["w2"],
        "toy_widgets:improved": ["w2"],
        "toy_widgets:score_became_zero": ["w1"],
    }
    md = (tmp_path / "r2" / "report.md").read_text(encoding="utf-8")
    assert "1 widgets dropped to a score of zero: Widget 1" in md
    assert "Bad" in md.split("1 widgets dropped")[0].split("Since the last run")[1]


def test_entity_rules_are_checked_against_the_analysis_entity_model(toy, tmp_path):
    rules = tmp_path / "r.yaml"
    rule = "{id: x, type: entity, analysis: %s, event: %s}"
    cases = {
        "error.rule_event_unknown": rule % ("toy_widgets", "dropped"),
        "error.rule_tier_unknown": rule % ("toy_widgets", "entered_tier, tier: high"),
        "error.rule_analysis_unknown": rule % ("nope", "improved"),
    }
    allowed = {}
    for code, text in cases.items():
        rules.write_text(f"rules:\n  - {text}\n")
        with pytest.raises(ConfigError) as caught:
            load_rules(rules)
        assert caught.value.code == code
        allowed[code] = t(code, "en", **caught.value.params)
        assert str(rules) in allowed[code] and "{" not in t(code, "zh", **caught.value.params)
    assert "dropped" in allowed["error.rule_event_unknown"]
    assert all(
        event in allowed["error.rule_event_unknown"]
        for event in ("entered_tier", "left_tier", "improved", "score_became_zero")
    )
    assert all(word in allowed["error.rule_tier_unknown"] for word in ("high", "bad, ok"))
    assert all(word in allowed["error.rule_analysis_unknown"] for word in ("nope", "toy_widgets"))


def test_entity_model_drives_the_generic_events():
    """Tiers worst→best, a data-gap tier, a known flag and two declared events, hand-made rows."""
    from crmlens.monitor.changes import event_mask

    events = {"score_zero": ("score", "became_zero"), "known_lost": ("known", "became_false")}
    model = EntityModel(
        kind="widget",
        tiers=("bad", "ok"),
        unknown_tiers=("gap",),
        known_flags=("known",),
        events=events,
    )
    rows = {  # id: (tier before, tier now, score before, score now, known before, known now)
        "fixed": ("bad", "ok", 1, 1, True, True),
        "fixed_but_data_lost": ("bad", "ok", 1, 1, True, False),
        "out_of_gap": ("gap", "ok", 1, 1, True, True),
        "into_gap": ("ok", "gap", 1, 1, True, True),
        "vanished": ("bad", None, 3, None, True, None),
        "new": (None, "bad", None, 0, None, False),
        "zeroed": ("ok", "ok", 2, 0, True, True),
    }
    columns = [
        "entity_id",
        "tier_before",
        "tier_now",
        "score_before",
        "score_now",
        "known_before",
        "known_now",
    ]
    j = pd.DataFrame([(i, *v) for i, v in rows.items()], columns=columns, dtype=object)

    def ids(event, tier=None):
        return set(j["entity_id"][event_mask(j, model, event, tier).fillna(False).astype(bool)])

    assert ids("improved") == {"fixed"}
    assert ids("entered_tier", "bad") == {"new"} and ids("entered_tier", "gap") == {"into_gap"}
    assert ids("left_tier", "bad") == {"fixed", "fixed_but_data_lost"}  # not the vanished one
    assert ids("score_zero") == {"zeroed"}
    assert ids("known_lost") == {"fixed_but_data_lost", "new"}
    assert model.since_last_events() == (
        ("entered_tier", "bad"),
        ("left_tier", "bad"),
        ("improved", None),
        ("score_zero", None),
        ("known_lost", None),
    )
    with pytest.raises(ValueError):
        EntityModel(events={"odd": ("score", "became_negative")})


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
        if (
            f.suffix not in (".py", ".yaml", ".j2", ".html")
            or "analyses" in f.relative_to(SRC).parts[:1]
        ):
            continue
        text = f.read_text(encoding="utf-8")
        offenders += [f"{f.relative_to(SRC)}: {n}" for n in names if re.search(rf"\b{n}\b", text)]
    assert not offenders


def test_existing_config_files_keep_working(tmp_path):
    from crmlens.config import load_config

    old = tmp_path / "old.yaml"
    old.write_text(
        "contact_coverage:\n  density_red_line: 4\ninvestment_mismatch:\n  min_group_size: 5\n"
        "report:\n  top_n: 10\n"
    )
    cfg = load_config(old)
    assert cfg.contact_coverage.density_red_line == 4
    assert cfg.section("investment_mismatch").min_group_size == 5
    assert cfg.report.top_n == 10


def test_unregistering_a_plugin_never_removes_a_canonical_table_and_replacing_forgets_the_old():
    """A plug-in that re-declares a canonical table and is then removed leaves the table; a spec
    registered again under the same name keeps nothing of the old one (its checks)."""
    import dataclasses

    from crmlens.schema.contracts import ACCOUNTS, CONTRACTS, analysis_checks
    from toy_unit import SPEC

    plugin = dataclasses.replace(
        SPEC, contracts=(*SPEC.contracts, ACCOUNTS), checks=lambda *a: None
    )
    register(plugin)
    assert "toy_widgets" in analysis_checks({"toy_widgets"})
    register(SPEC)  # replaced, without checks
    assert "toy_widgets" not in analysis_checks({"toy_widgets"})
    unregister(SPEC.name)
    assert ACCOUNTS.name in CONTRACTS and "toy__widgets" not in CONTRACTS
