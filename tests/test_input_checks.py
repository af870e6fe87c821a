"""Inputs that used to be guessed or to fail unclearly (issue #11, "Guessing and unclear failures"):
mixed date formats, zero join coverage, NaN/±Inf numbers, broken CSV files, 1 MB text values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import pandas as pd

from crmlens.cli import main
from crmlens.config import CrmlensConfig
from crmlens.report.document import issue_text
from crmlens.runner import run as run_all
from helpers import account, contacts_for, write_duckdb

ACC, CON = "salesforce__customer_360_view", "salesforce__contact_enhanced"
VALUE, CUST = "customer360__customer_value_analysis", "customer360__customer"
SRC = Path(__file__).resolve().parents[1] / "src"
MIXED = [
    "2024-01-05",
    "05/01/2024",
    "01/25/2024",
    "Jan 05, 2024",
    "20240105",
    "22.02.2025 02:36",
    None,
]


def coverage_tables(path: Path, n: int = 20) -> Path:
    accs = [account(f"A{i:02d}", 1000.0 + i, 100) for i in range(n)]
    cons = [
        c
        for i in range(n)
        for c in contacts_for(f"A{i:02d}", [("CEO", "Sales"), ("Engineer", "IT")])
    ]
    return write_duckdb(path, accs, cons)


def value_frames(n: int = 40, timestamps: list | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    stamps = timestamps or ["2024-01-05 10:00:00"] * n
    value = pd.DataFrame(
        {
            "primary_email": [f"u{i}@x.io" for i in range(n)],
            "analysis_timestamp": [stamps[i % len(stamps)] for i in range(n)],
            "investment_priority_score": [float((i * 7) % 11) for i in range(n)],
            "product_adoption_rate": [((i * 3) % 10) / 10 for i in range(n)],
            "support_resolution_efficiency": [((i * 5) % 9) / 9 for i in range(n)],
            "customer_lifetime_value": [1000.0 + 37 * i for i in range(n)],
            "acquisition_cost": [100.0 + (i % 6) * 50 for i in range(n)],
            "lifecycle_stage": [["Onboarding", "Growth", "Maturity"][i % 3] for i in range(n)],
            "industry_vertical": [["Retail", "Technology"][i % 2] for i in range(n)],
            "company_size_tier": [["Enterprise", "Small"][(i // 2) % 2] for i in range(n)],
            "customer_onboarding_score": [1 + (i % 4) for i in range(n)],
            "team_size": [5 + (i * 13) % 90 for i in range(n)],
            "decision_maker_level": [["VP", "Manager", "C-Level"][i % 3] for i in range(n)],
        }
    )
    customers = pd.DataFrame(
        {
            "customer360_id": [f"C{i}" for i in range(n)],
            "email": [f"U{i}@X.io" for i in range(n)],
            "total_sales_amount": [500.0 + (i * 17) % 23 * 100 for i in range(n)],
        }
    )
    return value, customers


def full_db(path: Path, value: pd.DataFrame, customers: pd.DataFrame) -> Path:
    coverage_tables(path)
    con = duckdb.connect(str(path))
    con.register("v", value)
    con.register("c", customers)
    con.execute(f'CREATE TABLE "{VALUE}" AS SELECT * FROM v')
    con.execute(f'CREATE TABLE "{CUST}" AS SELECT * FROM c')
    con.close()
    return path


def doctor_json(capsys, *args: str) -> tuple[int, list[dict], str]:
    capsys.readouterr()
    rc = main(["doctor", "--json", *args])
    captured = capsys.readouterr()
    return rc, json.loads(captured.out)["issues"], captured.err


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run(
        [sys.executable, "-m", "crmlens.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# ---- dates -------------------------------------------------------------------------------------


def test_mixed_date_formats_reported_and_block_the_run(tmp_path, capsys):
    src = full_db(tmp_path / "d.duckdb", *value_frames(timestamps=MIXED))
    rc, issues, _ = doctor_json(capsys, "--source", str(src), "--analysis", "investment_mismatch")
    dates = [i for i in issues if i["column"] == "analysis_timestamp"]
    assert rc == 1 and [i["code"] for i in dates] == ["dq.date_unparsable"]
    params = dates[0]["params"]
    non_iso = sum(1 for i in range(40) if MIXED[i % len(MIXED)] not in (None, "2024-01-05"))
    ambiguous = sum(1 for i in range(40) if MIXED[i % len(MIXED)] == "05/01/2024")
    assert params["count"] == non_iso and params["ambiguous"] == ambiguous
    assert "22.02.2025 02:36" in params["examples"] and "05/01/2024" in params["examples"]

    capsys.readouterr()
    rc = main(
        [
            "run",
            "investment_mismatch",
            "--source",
            str(src),
            "--out",
            str(tmp_path / "out"),
            "--no-png",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1
    assert "analysis_timestamp" in err and "source.date_formats" in err and "Unexpected" not in err


def test_configured_date_formats_make_the_run_work(tmp_path, capsys):
    stamps = ["2024-01-05", "13/01/2024", "05/01/2024 10:30", None]
    src = full_db(tmp_path / "d.duckdb", *value_frames(timestamps=stamps))
    assert (
        main(
            [
                "run",
                "investment_mismatch",
                "--source",
                str(src),
                "--out",
                str(tmp_path / "o1"),
                "--no-png",
            ]
        )
        == 1
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"source:\n  date_formats:\n    {VALUE}.analysis_timestamp: "
        '["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%Y %H:%M"]\n',
        encoding="utf-8",
    )
    rc, issues, _ = doctor_json(
        capsys, "--source", str(src), "--analysis", "investment_mismatch", "--config", str(cfg)
    )
    assert rc == 0 and not [i for i in issues if i["code"].startswith("dq.date")]
    out = tmp_path / "o2"
    assert (
        main(
            [
                "run",
                "investment_mismatch",
                "--source",
                str(src),
                "--out",
                str(out),
                "--no-png",
                "--config",
                str(cfg),
            ]
        )
        == 0
    )
    assert (out / "report.html").exists()


def test_date_format_key_is_checked(tmp_path, capsys):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(
        f"source:\n  date_formats:\n    {VALUE}.analysis_timestamp: '%d/%m/%Y'\n", encoding="utf-8"
    )
    bad.write_text(
        f"source:\n  date_formats:\n    {VALUE}.team_size: '%d/%m/%Y'\n", encoding="utf-8"
    )
    assert main(["config", "show", "--config", str(good)]) == 0
    capsys.readouterr()
    assert main(["config", "show", "--config", str(bad)]) == 2
    assert "team_size' is not a date column" in capsys.readouterr().err


# ---- cross-table checks ------------------------------------------------------------------------


def test_zero_join_coverage_blocks_investment_mismatch_only(tmp_path, capsys):
    value, customers = value_frames()
    src = full_db(
        tmp_path / "j.duckdb", value, customers.assign(email="other-" + customers["email"])
    )
    rc, issues, err = doctor_json(capsys, "--source", str(src))
    join = [i for i in issues if i["code"] == "dq.identity_coverage_email"]
    assert rc == 1 and len(join) == 1 and join[0]["severity"] == "blocking"
    assert (
        join[0]["params"]["matched"] == 0 and join[0]["params"]["analyses"] == "investment_mismatch"
    )
    assert "blocked analyses: investment_mismatch." in err
    assert "`investment_mismatch.identity: mapping`" in issue_text(join[0], "en")


def test_mapping_identity_path_is_checked_when_configured(tmp_path, capsys):
    value, customers = value_frames()
    value["zendesk_user_id"] = [f"z{i}" for i in range(len(value))]
    src = full_db(
        tmp_path / "m.duckdb", value, customers.assign(email="other-" + customers["email"])
    )
    mapping = pd.DataFrame(
        {"customer360_id": customers["customer360_id"], "zendesk_user_id": value["zendesk_user_id"]}
    )
    con = duckdb.connect(str(src))
    con.register("m", mapping.iloc[:25])
    con.execute('CREATE TABLE "customer360__mapping" AS SELECT * FROM m')
    con.close()
    cfg = tmp_path / "c.yaml"
    cfg.write_text("investment_mismatch: {identity: mapping}\n", encoding="utf-8")
    rc, issues, _ = doctor_json(
        capsys, "--source", str(src), "--analysis", "investment_mismatch", "--config", str(cfg)
    )
    join = [i for i in issues if i["code"].startswith("dq.identity_coverage")]
    assert rc == 0 and [(i["code"], i["severity"]) for i in join] == [
        ("dq.identity_coverage_mapping", "warning")
    ]
    assert (join[0]["params"]["matched"], join[0]["params"]["other"]) == (25, 0)
    # the 25 mapping rows reach the first 25 customers: the others have no value row
    assert join[0]["params"]["without_value"] == len(customers) - 25


def test_join_coverage_reported_when_keys_match(tmp_path, capsys):
    value, customers = value_frames()
    src = full_db(tmp_path / "j.duckdb", value, customers.iloc[:30])
    rc, issues, _ = doctor_json(capsys, "--source", str(src))
    join = {(i["code"], i["severity"]): i["params"] for i in issues if "coverage" in i["code"]}
    assert rc == 0
    email = join[("dq.identity_coverage_email", "warning")]
    assert (email["matched"], email["keys"], email["without_value"]) == (30, 40, 0)
    contacts = join[("dq.join_coverage", "info")]
    assert contacts["share"] == 1.0 and contacts["analyses"] == "contact_coverage"


# ---- NaN / ±Inf ---------------------------------------------------------------------------------


def non_finite_db(path: Path) -> Path:
    value, customers = value_frames()
    value.loc[1, "support_resolution_efficiency"] = float("inf")
    value.loc[2, "acquisition_cost"] = float("-inf")
    full_db(path, value, customers)
    con = duckdb.connect(str(path))
    con.execute(f"ALTER TABLE {ACC} ALTER number_of_employees TYPE DOUBLE")
    con.execute(f"UPDATE {ACC} SET annual_revenue = 'nan'::DOUBLE WHERE account_id = 'A00'")
    con.execute(f"UPDATE {ACC} SET annual_revenue = 'inf'::DOUBLE WHERE account_id = 'A01'")
    con.execute(f"UPDATE {ACC} SET number_of_employees = 'inf'::DOUBLE WHERE account_id = 'A19'")
    con.execute(
        f"UPDATE {VALUE} SET product_adoption_rate = 'nan'::DOUBLE WHERE primary_email = 'u0@x.io'"
    )
    con.close()
    return path


def test_non_finite_numbers_are_invalid_values(tmp_path, capsys):
    src = non_finite_db(tmp_path / "n.duckdb")
    rc, issues, _ = doctor_json(capsys, "--source", str(src))
    counts = {
        (i["table"], i["column"]): i["params"]["count"]
        for i in issues
        if i["code"] == "dq.non_finite"
    }
    assert counts == {
        (ACC, "annual_revenue"): 2,
        (ACC, "number_of_employees"): 1,
        (VALUE, "product_adoption_rate"): 1,
        (VALUE, "support_resolution_efficiency"): 1,
        (VALUE, "acquisition_cost"): 1,
    }
    outcome = run_all(str(src), ["contact_coverage"], CrmlensConfig())
    key = outcome.results["contact_coverage"].tables["key_accounts"]
    assert not {"A00", "A01"} & set(key["account_id"])  # NaN / Inf revenue is no revenue
    assert key.loc[key["account_id"] == "A19", "employees_known"].tolist() == [False]


@pytest.mark.slow
def test_non_finite_numbers_run_without_warnings(tmp_path):
    src = non_finite_db(tmp_path / "n.duckdb")
    proc = cli(
        "run", "--source", str(src), "--out", str(tmp_path / "out"), "--no-png", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning" not in proc.stderr and "Unexpected" not in proc.stderr


# ---- CSV files ----------------------------------------------------------------------------------


def csv_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    db = coverage_tables(tmp_path / "base.duckdb")
    con = duckdb.connect(str(db), read_only=True)
    for name in (ACC, CON):
        con.table(name).df().to_csv(folder / f"{name}.csv", index=False)
    con.close()
    return folder


def test_ragged_csv_row_named(tmp_path, capsys):
    folder = csv_folder(tmp_path)
    f = folder / f"{ACC}.csv"
    lines = f.read_text(encoding="utf-8").splitlines()
    lines[4] += ",surplus,1"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, issues, _ = doctor_json(capsys, "--source", str(folder), "--analysis", "contact_coverage")
    assert rc == 1 and [(i["code"], i["table"]) for i in issues] == [("dq.csv_ragged", ACC)]
    text = issue_text(issues[0], "en")
    assert f"{ACC}.csv, line 5: 8 fields where the header has 6" in text


def test_non_utf8_csv_named(tmp_path, capsys):
    folder = csv_folder(tmp_path)
    f = folder / f"{ACC}.csv"
    df = pd.read_csv(f)
    df.loc[2, "account_name"] = "北京科技有限公司"
    df.to_csv(f, index=False, encoding="gbk")
    capsys.readouterr()
    assert (
        main(
            [
                "run",
                "contact_coverage",
                "--source",
                str(folder),
                "--out",
                str(tmp_path / "o"),
                "--no-png",
            ]
        )
        == 1
    )
    err = " ".join(capsys.readouterr().err.split())
    assert f"{ACC}.csv" in err and "line 4" in err and "UTF-8" in err


# ---- 1 MB text values ---------------------------------------------------------------------------


def test_megabyte_category_value_is_capped_and_renders_quickly(tmp_path, capsys):
    src = coverage_tables(tmp_path / "big.duckdb")
    huge = "Industrial " * 100_000
    con = duckdb.connect(str(src))
    con.execute(f"UPDATE {ACC} SET industry_normalized = ? WHERE account_id = 'A19'", [huge])
    con.execute(f"UPDATE {CON} SET title = ? WHERE contact_id = 'A18-c0'", ["Chief " * 200_000])
    con.close()
    rc, issues, _ = doctor_json(capsys, "--source", str(src), "--analysis", "contact_coverage")
    capped = {i["column"]: i["params"]["count"] for i in issues if i["code"] == "dq.text_capped"}
    assert rc == 0 and capped == {"industry_normalized": 1, "title": 1}
    started = time.perf_counter()
    assert (
        main(["run", "contact_coverage", "--source", str(src), "--out", str(tmp_path / "out")]) == 0
    )
    assert time.perf_counter() - started < 20  # was > 24 minutes with a 1 MB industry name
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert huge not in html and len(html) < 3_000_000
