"""tables/*.csv written by Arrow (report/csv_export.py) read back as the values pandas would
have written: compared with pandas' own ``to_csv`` of the same frame, cell by cell after parsing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from crmlens.report.csv_export import write_csv


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "money": [1234.5, 0.1, np.nan, -5.0],
            "flag": [True, False, None, True],
            "name": ["Acme, Inc.", 'Say "hi"', None, "line\nbreak"],
            "day": pd.to_datetime(["2026-01-05", None, "2026-03-31", "2025-12-31"]),
            "stamp": pd.to_datetime(
                ["2026-01-05 10:30:00", None, "2026-01-06 00:00:00", "2026-01-07 23:59:59"]
            ),
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "stage": pd.Categorical(["Won", "Lost", None, "Open"]),
            "plain": [1, 2, 3, 4],
        }
    )


def test_csv_reads_back_like_pandas_export(tmp_path):
    df = _frame()
    write_csv(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "a.csv")
    df.to_csv(tmp_path / "b.csv", index=False)
    ours = pd.read_csv(tmp_path / "a.csv", dtype=str, keep_default_na=False)
    theirs = pd.read_csv(tmp_path / "b.csv", dtype=str, keep_default_na=False)
    assert list(ours.columns) == list(theirs.columns)
    # text, booleans, dates, timestamps, integers and categories: the same cell text
    for col in ("flag", "name", "day", "stamp", "n", "stage", "plain"):
        assert ours[col].tolist() == theirs[col].tolist(), col
    # floats: the same numbers (Arrow writes 1234.5 and -5 where pandas writes -5.0)
    a = pd.to_numeric(ours["money"].replace("", np.nan))
    b = pd.to_numeric(theirs["money"].replace("", np.nan))
    assert np.allclose(a, b, equal_nan=True, rtol=0, atol=0)


def test_no_quotes_unless_a_value_needs_them(tmp_path):
    df = pd.DataFrame({"id": ["a1", "b2"], "score": [0.5, 0.25], "ok": [True, False]})
    write_csv(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == "id,score,ok\na1,0.5,True\nb2,0.25,False\n"
    df.loc[1, "id"] = 'x,"y"'
    write_csv(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "t.csv")
    assert pd.read_csv(tmp_path / "t.csv")["id"].tolist() == ["a1", 'x,"y"']


def test_empty_table_has_its_header(tmp_path):
    df = pd.DataFrame({"id": pd.Series([], dtype=object), "n": pd.Series([], dtype=float)})
    write_csv(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "e.csv")
    assert (tmp_path / "e.csv").read_text() == "id,n\n"


def test_large_amounts_are_written_without_an_exponent(tmp_path):
    df = pd.DataFrame({"revenue": [45245892195.89, 1.5, np.nan, -2e11]})
    write_csv(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "r.csv")
    text = (tmp_path / "r.csv").read_text()
    assert text.splitlines() == ["revenue", "45245892195.89", "1.5", "", "-200000000000.0"]


def test_rows_written_in_batches_read_the_same(tmp_path, monkeypatch):
    from crmlens.report import csv_export

    df = _frame()
    df["money"] = [1234.5, 45245892195.89, np.nan, -5.0]  # a large amount in one batch only
    table = pa.Table.from_pandas(df, preserve_index=False)
    write_csv(table, tmp_path / "whole.csv")
    monkeypatch.setattr(csv_export, "BATCH_ROWS", 3)
    write_csv(table, tmp_path / "batches.csv")
    assert (tmp_path / "batches.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert "45245892195.89" in (tmp_path / "batches.csv").read_text()


def test_list_and_struct_cells_are_written_as_text(tmp_path):
    table = pa.table(
        {"ids": pa.array([[1, 2], None, []]), "pair": pa.array([{"a": 1}, {"a": 2}, None])}
    )
    write_csv(table, tmp_path / "n.csv")
    back = pd.read_csv(tmp_path / "n.csv", dtype=str, keep_default_na=False)
    assert back["ids"].tolist() == ["[1, 2]", "", "[]"]
    assert back["pair"].tolist() == ["{'a': 1}", "{'a': 2}", ""]
