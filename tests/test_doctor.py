"""Doctor on a corpus of broken inputs: each problem reported by code, no traceback."""

import json
import subprocess
import sys

import duckdb
import pytest

from crmlens.cli import main
from helpers import account, contacts_for, write_duckdb

ACC, CON = "salesforce__customer_360_view", "salesforce__contact_enhanced"


def good(tmp_path, name="ok.duckdb"):
    accs = [account(f"A{i}", 100.0 + i, 100) for i in range(5)]
    cons = [c for i in range(5) for c in contacts_for(f"A{i}", [("CEO", "Sales")])]
    return write_duckdb(tmp_path / name, accs, cons)


def mutate(path, *sql):
    con = duckdb.connect(str(path))
    for s in sql:
        con.execute(s)
    con.close()
    return path


def doctor_json(capsys, source):
    capsys.readouterr()
    code = main(["doctor", "--source", str(source), "--json", "--analysis", "contact_coverage"])
    out = capsys.readouterr()
    profile = json.loads(out.out[out.out.index("{") :]) if "{" in out.out else {"issues": []}
    return code, {i["code"] for i in profile["issues"]}, out


CASES = {
    "missing_table": (lambda p: mutate(p, f"DROP TABLE {CON}"), "dq.table_missing", 1),
    "missing_column": (
        lambda p: mutate(p, f"ALTER TABLE {CON} DROP COLUMN title"),
        "dq.column_missing",
        1,
    ),
    "text_in_numeric": (
        lambda p: mutate(
            p,
            f"ALTER TABLE {ACC} ALTER annual_revenue TYPE VARCHAR",
            f"UPDATE {ACC} SET annual_revenue = 'n/a' WHERE account_id = 'A1'",
        ),
        "dq.column_type",
        1,
    ),
    "empty_table": (lambda p: mutate(p, f"DELETE FROM {CON}"), "dq.table_empty", 1),
    "duplicate_ids": (
        lambda p: mutate(p, f"INSERT INTO {ACC} SELECT * FROM {ACC} WHERE account_id = 'A1'"),
        "dq.duplicate_keys",
        1,
    ),
    "orphan_contacts": (
        lambda p: mutate(p, f"INSERT INTO {CON} VALUES ('X1', 'NOPE', 'CEO', 'Sales', false)"),
        "dq.orphan_rows",
        0,
    ),
    "all_null_column": (
        lambda p: mutate(p, f"UPDATE {ACC} SET industry_normalized = NULL"),
        "dq.column_all_null",
        1,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_duckdb_inputs(tmp_path, capsys, case):
    fn, code, exit_code = CASES[case]
    src = fn(good(tmp_path))
    rc, codes, out = doctor_json(capsys, src)
    assert code in codes
    assert rc == exit_code
    assert "Traceback" not in out.out + out.err


def test_all_problems_collected_at_once(tmp_path, capsys):
    src = mutate(
        good(tmp_path),
        f"ALTER TABLE {CON} DROP COLUMN title",
        f"INSERT INTO {ACC} SELECT * FROM {ACC} WHERE account_id = 'A1'",
        f"ALTER TABLE {ACC} DROP COLUMN number_of_employees",
    )
    rc, codes, _ = doctor_json(capsys, src)
    assert rc == 1
    assert {"dq.column_missing", "dq.duplicate_keys"} <= codes


def test_garbage_file_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "garbage.duckdb"
    bad.write_bytes(b"\x00\x01 this is not a database" * 10)
    assert main(["doctor", "--source", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "neither a DuckDB nor an SQLite" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # one message (rich may wrap a long path)


def test_missing_source(tmp_path, capsys):
    assert main(["doctor", "--source", str(tmp_path / "nope.duckdb")]) == 2
    assert "Source not found" in capsys.readouterr().err


def write_csv_folder(tmp_path, accounts_csv: bytes, contacts_csv: bytes):
    folder = tmp_path / "csvsrc"
    folder.mkdir()
    (folder / f"{ACC}.csv").write_bytes(accounts_csv)
    (folder / f"{CON}.csv").write_bytes(contacts_csv)
    return folder


ACC_CSV = (
    "account_id,account_name,annual_revenue,number_of_employees,"
    "industry_normalized,company_size_category\n"
)
CON_CSV = "contact_id,account_id,title,department,is_deleted\nC1,A1,CEO,Sales,false\n"


def test_non_utf8_csv(tmp_path, capsys):
    folder = write_csv_folder(
        tmp_path,
        (ACC_CSV + "A1,Société Générale,100,10,Financial Services,Enterprise\n").encode("latin-1"),
        CON_CSV.encode(),
    )
    rc, codes, out = doctor_json(capsys, folder)
    assert rc == 1 and "dq.csv_not_utf8" in codes  # named by file and line (test_input_checks)
    assert "Traceback" not in out.out + out.err


def test_text_in_numeric_csv(tmp_path, capsys):
    rows = (
        "".join(f"A{i},Acme {i},{100 + i},10,Technology,Enterprise\n" for i in range(50))
        + "A99,Late,n/a,10,Technology,Enterprise\n"
    )
    folder = write_csv_folder(tmp_path, (ACC_CSV + rows).encode(), CON_CSV.encode())
    rc, codes, _ = doctor_json(capsys, folder)
    assert rc == 1 and "dq.column_type" in codes


def test_unreadable_parquet_in_folder(tmp_path, capsys):
    folder = tmp_path / "pq"
    folder.mkdir()
    (folder / f"{ACC}.parquet").write_bytes(b"PAR1 garbage garbage")
    (folder / f"{CON}.csv").write_bytes(CON_CSV.encode())
    rc, codes, out = doctor_json(capsys, folder)
    assert rc == 1 and "dq.table_unreadable" in codes
    assert "Traceback" not in out.out + out.err


def test_sqlite_mixed_types_reported(tmp_path, capsys):
    import sqlite3

    p = tmp_path / "crm.sqlite"
    db = sqlite3.connect(p)
    db.execute(
        f"CREATE TABLE {ACC} (account_id TEXT, account_name TEXT, annual_revenue REAL,"
        " number_of_employees INTEGER, industry_normalized TEXT, company_size_category TEXT)"
    )
    db.executemany(
        f"INSERT INTO {ACC} VALUES (?,?,?,?,?,?)",
        [
            ("A1", "x", 100.0, 10, "Retail", "Enterprise"),
            ("A2", "y", "unknown", 5, "Retail", "Enterprise"),
        ],
    )
    db.execute(
        f"CREATE TABLE {CON} (contact_id TEXT, account_id TEXT, title TEXT, department TEXT,"
        " is_deleted INTEGER)"
    )
    db.execute(f"INSERT INTO {CON} VALUES ('C1','A1','CEO','Sales',0)")
    db.commit()
    db.close()
    rc, codes, _ = doctor_json(capsys, p)
    assert rc == 1 and "dq.column_type" in codes


def test_run_on_broken_source_exits_nonzero_without_traceback(tmp_path):
    src = mutate(good(tmp_path), f"DROP TABLE {CON}")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmlens.cli",
            "run",
            "contact_coverage",
            "--source",
            str(src),
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "dq.table_missing" in proc.stderr
    assert not (tmp_path / "r").exists()


def test_debug_shows_traceback(tmp_path):
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"nonsense" * 20)
    proc = subprocess.run(
        [sys.executable, "-m", "crmlens.cli", "--debug", "doctor", "--source", str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "Traceback" in proc.stderr
