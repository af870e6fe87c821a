"""Human overrides (issue 17): the append-only store, the `crmlens override` commands and the
workbook round trip (every row checked before anything is applied; conflicts reported; two
imports at once lose nothing)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from seg_fixtures import config, frames, run

from crmlens import cli
from crmlens.overrides.store import REVOKE, SET, Change, OverrideConflict, OverrideStore
from crmlens.overrides.workbook import ReviewRejected, import_workbook
from crmlens.report.excel import write_action_plan

TODAY = dt.date.today()


def change(entity: str, value: str | None, reason: str = "knows the customer", **kw) -> Change:
    action = REVOKE if value is None else SET
    return Change("segmentation", "account", entity, "segment", action, value, reason, **kw)


def main(*argv) -> int:
    return cli.main([str(a) for a in argv])


# ---- the store ---------------------------------------------------------------------------------


def test_audit_trail_is_append_only_and_complete(tmp_path):
    store = OverrideStore(tmp_path / "o.duckdb")
    store.append([change("A1", "Lost", "churn signal")], by="ann", source="cli")
    store.append([change("A1", "At Risk", "renewal talks")], by="bo", source="workbook")
    store.append([change("A1", None, "resolved")], by="ann", source="cli")
    events = store.events()
    assert events["seq"].tolist() == [1, 2, 3]
    assert events["action"].tolist() == [SET, SET, REVOKE]
    assert events["old_value"].tolist()[1:] == ["Lost", "At Risk"]
    assert events["old_value"].isna().tolist()[0]
    assert events["new_value"].tolist()[:2] == ["Lost", "At Risk"]
    assert events["changed_by"].tolist() == ["ann", "bo", "ann"]
    assert events["source"].tolist() == ["cli", "workbook", "cli"]
    assert events["reason"].tolist() == ["churn signal", "renewal talks", "resolved"]
    assert store.current(TODAY).empty  # revoked
    # nothing in the package updates or deletes events
    source = (Path(cli.__file__).parent / "overrides").rglob("*.py")
    text = " ".join(p.read_text(encoding="utf-8") for p in source).upper()
    assert "UPDATE OVERRIDE_EVENTS" not in text and "DELETE FROM OVERRIDE_EVENTS" not in text


def test_latest_event_wins_and_expiry_ends_an_override(tmp_path):
    store = OverrideStore(tmp_path / "o.duckdb")
    soon = TODAY + dt.timedelta(days=2)
    store.append([change("A1", "Lost", expires=soon), change("A2", "New")], by="x", source="cli")
    assert sorted(store.current(TODAY)["entity_id"]) == ["A1", "A2"]
    later = store.current(TODAY + dt.timedelta(days=3))
    assert later["entity_id"].tolist() == ["A2"]  # A1 expired
    with pytest.raises(Exception) as info:
        store.append([change("A3", None, "nothing there")], by="x", source="cli")
    assert info.value.code == "error.override_nothing_to_revoke"


def test_a_stale_change_is_a_conflict_and_nothing_is_written(tmp_path):
    store = OverrideStore(tmp_path / "o.duckdb")
    store.append([change("A1", "Lost")], by="ann", source="cli")
    stale = [change("A2", "New", expected=0), change("A1", "Loyal", expected=0)]
    with pytest.raises(OverrideConflict) as info:
        store.append(stale, by="bo", source="workbook")
    assert info.value.conflicts[0]["entity_id"] == "A1"
    assert info.value.conflicts[0]["theirs"] == "Lost"
    assert len(store.events()) == 1  # A2 was not written either


# ---- the CLI -----------------------------------------------------------------------------------


def test_cli_set_list_revoke_history(tmp_path, capsys):
    store = tmp_path / "o.duckdb"
    base = ("--store", store)
    assert (
        main(
            "override",
            "set",
            "segmentation",
            "A1",
            "--field",
            "segment",
            "--value",
            "lost",
            "--reason",
            "left for a rival",
            "--by",
            "ann",
            *base,
        )
        == 0
    )
    assert (
        main(
            "override",
            "set",
            "segmentation",
            "A2",
            "--field",
            "segment",
            "--value",
            "Loyal",
            "--reason",
            "x",
            "--expires",
            (TODAY + dt.timedelta(days=3)).isoformat(),
            *base,
        )
        == 0
    )
    capsys.readouterr()
    assert main("override", "list", *base) == 0
    shown = capsys.readouterr()
    assert "A1" in shown.out and "Lost" in shown.out  # stored with the configured spelling
    assert "expire within 14 days" in shown.err
    assert (
        main(
            "override",
            "revoke",
            "segmentation",
            "A1",
            "--field",
            "segment",
            "--reason",
            "came back",
            *base,
        )
        == 0
    )
    assert main("override", "history", "segmentation", "--entity", "A1", *base) == 0
    assert "audit trail: 2 events" in capsys.readouterr().out
    assert len(OverrideStore(store).events()) == 3


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--value", "Platinum", "--reason", "x"), "Platinum"),  # not a segment
        (("--value", "Lost", "--reason", "  "), "reason"),
        (("--value", "Lost", "--reason", "x", "--expires", "2001-01-01"), "2001-01-01"),
    ],
)
def test_cli_set_refuses_invalid_input(tmp_path, capsys, args, code):
    store = tmp_path / "o.duckdb"
    argv = ("override", "set", "segmentation", "A1", "--field", "segment", *args)
    assert main(*argv, "--store", store) == 2
    assert code in capsys.readouterr().err
    assert not store.exists() or OverrideStore(store).events().empty


# ---- the workbook round trip -------------------------------------------------------------------


def export(tmp_path: Path, store: Path, name: str = "book.xlsx") -> Path:
    result = run(frames(), config(store), as_of=TODAY)
    path = tmp_path / name
    write_action_plan({"segmentation": result}, path, "en")
    return path


def fill(path: Path, rows: dict[str, tuple], extra: list[tuple] = ()) -> Path:
    """Fill the review sheet: entity id → (new value, reason, expiry); ``extra`` rows appended."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Review Segmentation"]
    header = [c.value for c in ws[1]]
    cols = [header.index(h) + 1 for h in ("Your value", "Reason", "Expires (YYYY-MM-DD)")]
    for row in range(2, ws.max_row + 1):
        entity = ws.cell(row, 1).value
        for col, value in zip(cols, rows.get(entity, ())):
            ws.cell(row, col).value = value
    for line in extra:
        ws.append(list(line))
    wb.save(path)
    return path


def test_workbook_has_a_review_sheet_and_valid_rows_import(tmp_path):
    store_path = tmp_path / "o.duckdb"
    book = fill(
        export(tmp_path, store_path),
        {"A01": ("Lost", "moved to a rival", None), "A02": ("at risk", "budget cut", "2099-01-31")},
    )
    store = OverrideStore(store_path)
    assert import_workbook(book, config(store_path), store, "ann") == (2, 2)
    events = store.events().set_index("entity_id")
    assert events.loc["A02", "new_value"] == "At Risk"
    assert str(events.loc["A02", "expires"])[:10] == "2099-01-31"
    assert set(events["source"]) == {"workbook"}
    assert events.loc["A01", "model_value"] is not None  # what the model said at export
    # importing the same workbook again appends nothing
    assert import_workbook(book, config(store_path), store, "ann") == (0, 2)
    # a re-run applies them
    r = run(frames(), config(store_path), as_of=TODAY)
    assert r.tables["customers"].set_index("account_id").loc["A02", "segment"] == "At Risk"


def test_workbook_problems_are_all_listed_and_nothing_is_applied(tmp_path):
    store_path = tmp_path / "o.duckdb"
    book = fill(
        export(tmp_path, store_path),
        {
            "A01": ("Lost", "fine", None),  # valid, but must not be applied alone
            "A02": ("Lost", "   ", None),  # blank reason
            "A03": ('=CONCAT("Lo","st")', "formula", None),  # a formula
            "A04": ("Platinum", "no such segment", None),
            "A05": ("Lost", "bad expiry", "31/12/2099"),
        },
        extra=[
            ("ZZZ", "Nobody", "segment", None, None, None, None, None, "Lost", "unknown id"),
            ("A01", "Account 1", "segment", None, None, None, None, None, "New", "duplicated"),
        ],
    )
    with pytest.raises(ReviewRejected) as info:
        import_workbook(book, config(store_path), OverrideStore(store_path), "ann")
    codes = {code.rsplit(".", 1)[-1] for _row, code, _params in info.value.problems}
    assert codes == {
        "blank_reason",
        "formula",
        "invalid_value",
        "expiry",
        "unknown_id",
        "duplicate",
    }
    assert not store_path.exists() or OverrideStore(store_path).events().empty


def test_cli_import_prints_every_row_problem(tmp_path, capsys):
    store_path = tmp_path / "o.duckdb"
    book = fill(export(tmp_path, store_path), {"A02": ("Lost", "", None)})
    assert main("override", "import", book, "--store", store_path) == 1
    err = capsys.readouterr().err
    ws = openpyxl.load_workbook(book)["Review Segmentation"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "A02")
    assert "nothing was applied" in err and f"row {row}: the reason is blank" in err


def test_a_conflicting_edit_since_the_export_is_reported_not_merged(tmp_path, capsys):
    store_path = tmp_path / "o.duckdb"
    book = fill(export(tmp_path, store_path), {"A01": ("Lost", "mine", None)})
    OverrideStore(store_path).append([change("A01", "New", "theirs")], by="bo", source="cli")
    assert main("override", "import", book, "--store", store_path, "--by", "ann") == 1
    assert "A01 segment is now `New` (by bo)" in capsys.readouterr().err
    assert len(OverrideStore(store_path).events()) == 1
    assert main("override", "import", book, "--store", store_path, "--force") == 0
    events = OverrideStore(store_path).events()
    assert events["new_value"].tolist() == ["New", "Lost"]
    assert events["old_value"].tolist()[1] == "New"  # the overwritten value stays on record


IMPORT = """
import sys
from crmlens.config import CrmlensConfig
from crmlens.overrides.store import OverrideStore
from crmlens.overrides.workbook import import_workbook
cfg = CrmlensConfig.model_validate({"overrides": {"store": sys.argv[2]}})
print(import_workbook(sys.argv[1], cfg, OverrideStore(sys.argv[2]), sys.argv[3]))
"""


def test_two_imports_at_once_lose_nothing(tmp_path):
    store_path = tmp_path / "o.duckdb"
    first = export(tmp_path, store_path, "one.xlsx")
    second = tmp_path / "two.xlsx"
    second.write_bytes(first.read_bytes())
    fill(first, {f"A{i:02d}": ("Lost", f"one {i}", None) for i in range(1, 7)})
    fill(second, {f"A{i:02d}": ("New", f"two {i}", None) for i in range(7, 13)})
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORT, str(book), str(store_path), who],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for book, who in ((first, "ann"), (second, "bo"))
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    events = OverrideStore(store_path).events()
    assert len(events) == 12 and events["seq"].tolist() == list(range(1, 13))
    assert sorted(events["entity_id"]) == [f"A{i:02d}" for i in range(1, 13)]
    assert events.groupby("changed_by").size().to_dict() == {"ann": 6, "bo": 6}


def test_a_chinese_workbook_shows_and_accepts_chinese_segment_labels(tmp_path):
    store_path = tmp_path / "o.duckdb"
    result = run(frames(), config(store_path), as_of=TODAY)
    book = tmp_path / "zh.xlsx"
    write_action_plan({"segmentation": result}, book, "zh")
    wb = openpyxl.load_workbook(book)
    ws = wb["复核-客户细分"]
    header = [c.value for c in ws[1]]
    shown = {ws.cell(r, header.index("模型结果") + 1).value for r in range(2, ws.max_row + 1)}
    assert shown <= {
        "冠军客户",
        "忠诚客户",
        "潜在忠诚客户",
        "新客户",
        "有潜力客户",
        "不能流失的客户",
        "流失风险客户",
        "需要关注的客户",
        "休眠客户",
        "已流失客户",
        "其他",
    }
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "A01")
    ws.cell(row, header.index("您的判断") + 1).value = "已流失客户"
    ws.cell(row, header.index("原因") + 1).value = "客户已转向竞品"
    wb.save(book)
    store = OverrideStore(store_path)
    assert import_workbook(book, config(store_path), store, "李雷") == (1, 1)
    assert store.events()["new_value"].tolist() == ["Lost"]
