"""Bad-input corpus (issue #11): each case writes one broken source into a folder and declares
what every command must do with it.

A case is a function ``build(folder) -> source`` registered with :func:`case`, which names the
expected exit code of ``doctor`` and of ``run``/``monitor`` and the text that must appear on the
command's output (a catalog code such as ``dq.column_missing`` or key words).  The base data is
small, hand-made and ASCII-only, so cost stays proportional to the case, not to report rendering.
"""

from __future__ import annotations

import math
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd

ACC = "salesforce__customer_360_view"
CON = "salesforce__contact_enhanced"
VAL = "customer360__customer_value_analysis"
CUS = "customer360__customer"
TABLES = (ACC, CON, VAL, CUS)

INDUSTRIES = ("Technology", "Healthcare", "Retail")
SIZES = ("Enterprise", "Mid-Market", "Small Business")
TITLES = (("CEO", "Executive"), ("VP Sales", "Sales"), ("IT Manager", "IT"), ("Analyst", "Finance"))
STAGES = ("Activation", "Growth", "Maturity", "Retention", "Dormant")
LEVELS = ("C-Level", "VP", "Director", "Manager", "Individual Contributor")
C360_SIZES = ("Startup", "Small", "Medium", "Large", "Enterprise")


@dataclass(frozen=True)
class Case:
    """One bad source and the outcome every command must have on it."""

    name: str
    build: Callable[[Path], Path | str]
    doctor: int  # expected exit code of `doctor`
    run: int  # expected exit code of `run` and `monitor`
    words: tuple[str, ...] = ()  # each must appear in the doctor output (stdout + stderr)
    run_words: tuple[str, ...] = ()  # each must appear in the run/monitor output
    report: bool = False  # `run` writes a report (for the analyses that could run)
    report_words: tuple[str, ...] = ()  # each must appear in that report (report.md)
    needs: str = ""  # "ws-xxx: what" when the right behaviour lands with another workstream
    tags: frozenset[str] = field(default_factory=frozenset)  # "monitor": also run `monitor`


CASES: dict[str, Case] = {}
# one requested analysis blocked, the other runs: exit 1 naming the problem, `run` writes the
# report for the rest (`monitor` records nothing and leaves its --out folder as it was)
PARTIAL = dict(run_words=("blocking problem",), report=True)
MONITOR = ("monitor",)  # `monitor` also runs on this case (a representative subset)


def case(
    doctor: int,
    run: int,
    *words: str,
    run_words: tuple[str, ...] | None = None,
    report: bool | None = None,
    report_words: tuple[str, ...] = (),
    needs: str = "",
    tags: tuple[str, ...] = (),
):
    """Register ``build`` as a corpus case named after the function."""

    def register(build: Callable[[Path], Path | str]) -> Callable[[Path], Path | str]:
        name = build.__name__
        CASES[name] = Case(
            name,
            build,
            doctor,
            run,
            tuple(words),
            tuple(words if run_words is None else run_words),
            run == 0 if report is None else report,
            tuple(report_words),
            needs,
            frozenset(tags),
        )
        return build

    return register


# ---------------------------------------------------------------- the base data (valid) ---


def base_tables(accounts: int = 24, customers: int = 40) -> dict[str, pd.DataFrame]:
    """A small valid dataset with every table both analyses need (deterministic, ASCII only)."""
    rng = np.random.default_rng(11)
    ids = [f"A{i:02d}" for i in range(accounts)]
    acc = pd.DataFrame(
        {
            "account_id": ids,
            "account_name": [f"Account {i}" for i in ids],
            "annual_revenue": np.round(rng.lognormal(15, 1.2, accounts), 2),
            "number_of_employees": rng.integers(5, 5000, accounts).astype("int64"),
            "industry_normalized": [INDUSTRIES[i % 3] for i in range(accounts)],
            "company_size_category": [SIZES[i % 3] for i in range(accounts)],
        }
    )
    rows = [(f"{a}-c{j}", a, *TITLES[(i + j) % 4]) for i, a in enumerate(ids) for j in range(i % 4)]
    con = pd.DataFrame(rows, columns=["contact_id", "account_id", "title", "department"])
    con["is_deleted"] = False
    emails = [f"user{i}@acme.io" for i in range(customers)]
    cus = pd.DataFrame(
        {
            "customer360_id": [f"c360_{i}" for i in range(customers)],
            "email": emails,
            "total_sales_amount": np.round(rng.lognormal(9, 1.0, customers), 2),
        }
    )
    cac = np.round(rng.lognormal(8, 0.6, customers), 2)
    val = pd.DataFrame(
        {
            "primary_email": emails,
            "analysis_timestamp": pd.Timestamp("2026-06-01")
            + pd.to_timedelta(np.arange(customers), "h"),
            "investment_priority_score": np.round(rng.uniform(0, 5, customers), 3),
            "product_adoption_rate": np.round(rng.uniform(0, 1, customers), 4),
            "support_resolution_efficiency": np.round(rng.uniform(0, 1, customers), 4),
            "customer_lifetime_value": np.round(cac * rng.uniform(0.5, 6, customers), 2),
            "acquisition_cost": cac,
            "lifecycle_stage": [STAGES[i % 5] for i in range(customers)],
            "industry_vertical": [INDUSTRIES[i % 3] for i in range(customers)],
            "company_size_tier": [C360_SIZES[i % 5] for i in range(customers)],
            "customer_onboarding_score": np.round(rng.uniform(1, 5, customers), 2),
            "team_size": rng.integers(1, 500, customers).astype("int64"),
            "decision_maker_level": [LEVELS[i % 5] for i in range(customers)],
        }
    )
    return {ACC: acc, CON: con, VAL: val, CUS: cus}


def write_duckdb(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    db = duckdb.connect(str(path))
    for name, frame in tables.items():
        db.register("frame", frame)
        db.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')  # names: test constants
        db.unregister("frame")
    db.close()
    return path


def write_sqlite(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    db = sqlite3.connect(path)
    for name, frame in tables.items():
        frame.to_sql(name, db, index=False)
    db.close()
    return path


def write_csv_folder(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_parquet_folder(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def duckdb_with(folder: Path, change: Callable[[dict[str, pd.DataFrame]], None]) -> Path:
    """The base data, changed in place by ``change``, as a DuckDB file."""
    tables = base_tables()
    change(tables)
    return write_duckdb(folder / "crm.duckdb", tables)


def duckdb_sql(folder: Path, *statements: str) -> Path:
    """The base data as a DuckDB file, then altered by SQL statements."""
    path = write_duckdb(folder / "crm.duckdb", base_tables())
    db = duckdb.connect(str(path))
    for statement in statements:
        db.execute(statement)
    db.close()
    return path


def csv_folder_with(folder: Path, table: str, text: bytes) -> Path:
    """The base data as a CSV folder whose ``table`` file is replaced by raw bytes."""
    out = write_csv_folder(folder / "csv", base_tables())
    (out / f"{table}.csv").write_bytes(text)
    return out


def base_csv_text(table: str) -> str:
    return base_tables()[table].to_csv(index=False)


# ------------------------------------------------------------------------- the cases ---
# Opening the source: files and folders that are not what their name says.


@case(2, 2, "Source not found")
def missing_path(folder: Path) -> Path:
    return folder / "nope.duckdb"


@case(2, 2, "empty")
def empty_file_named_duckdb(folder: Path) -> Path:
    path = folder / "crm.duckdb"
    path.write_bytes(b"")
    return path


@case(2, 2, "empty")
def empty_file_named_sqlite(folder: Path) -> Path:
    path = folder / "crm.sqlite"
    path.write_bytes(b"")
    return path


@case(2, 2, "folder", "not a database file")
def directory_named_duckdb(folder: Path) -> Path:
    path = folder / "x.duckdb"
    path.mkdir()
    return path


@case(2, 2, "neither a DuckDB nor an SQLite")
def random_bytes_file(folder: Path) -> Path:
    path = folder / "crm.db"
    path.write_bytes(np.random.default_rng(3).bytes(5000))
    return path


@case(2, 2, "neither a DuckDB nor an SQLite")
def text_file_named_duckdb(folder: Path) -> Path:
    path = folder / "crm.duckdb"
    path.write_text(base_csv_text(ACC))
    return path


@case(2, 2, "damaged")
def truncated_duckdb_header(folder: Path) -> Path:
    full = write_duckdb(folder / "full.duckdb", base_tables())
    return _truncate(full, folder / "crm.duckdb", 4096)


@case(2, 2, "cut short")
def truncated_duckdb_half(folder: Path) -> Path:
    full = write_duckdb(folder / "full.duckdb", base_tables())
    return _truncate(full, folder / "crm.duckdb", full.stat().st_size // 2)


@case(2, 2, "damaged")
def garbage_after_duckdb_magic(folder: Path) -> Path:
    path = folder / "crm.duckdb"
    path.write_bytes(b"\x00" * 8 + b"DUCK" + np.random.default_rng(5).bytes(20000))
    return path


@case(2, 2, "damaged")
def truncated_sqlite(folder: Path) -> Path:
    full = write_sqlite(folder / "full.sqlite", base_tables())
    return _truncate(full, folder / "crm.sqlite", 20000)


@case(2, 2, "damaged")
def sqlite_header_only(folder: Path) -> Path:
    full = write_sqlite(folder / "full.sqlite", base_tables())
    return _truncate(full, folder / "crm.sqlite", 100)


@case(2, 2, "damaged")
def sqlite_garbage_pages(folder: Path) -> Path:
    full = write_sqlite(folder / "full.sqlite", base_tables())
    data = bytearray(full.read_bytes())
    data[1024:] = np.random.default_rng(9).bytes(len(data) - 1024)
    path = folder / "crm.sqlite"
    path.write_bytes(bytes(data))
    return path


@case(2, 2, "neither a regular file nor a folder")
def fifo_named_duckdb(folder: Path) -> Path:
    path = folder / "crm.duckdb"
    os.mkfifo(path)  # reading it would block forever
    return path


@case(2, 2, "Source not found")
def duckdb_url_to_missing_file(folder: Path) -> str:
    return f"duckdb://{folder / 'nope.duckdb'}"


@case(2, 2, "Source not found")
def sqlite_url_to_missing_file(folder: Path) -> str:
    return f"sqlite://{folder / 'nope.sqlite'}"


@case(2, 2, "cannot be opened")
def unknown_url_scheme(folder: Path) -> str:
    return "nosuchengine://host/db"


@case(2, 2, "holds no")
def folder_without_tables(folder: Path) -> Path:
    out = folder / "exports"
    out.mkdir()
    (out / "README.txt").write_text("nothing to see")
    return out


@case(1, 1, "dq.table_unreadable", **PARTIAL, tags=MONITOR)
def parquet_that_is_csv(folder: Path) -> Path:
    out = write_parquet_folder(folder / "pq", base_tables())
    (out / f"{ACC}.parquet").write_text(base_csv_text(ACC))
    return out


@case(0, 0)
def duckdb_file_named_sqlite(folder: Path) -> Path:
    return write_duckdb(folder / "crm.sqlite", base_tables())


# Tables and columns.


@case(1, 1, "dq.table_missing", **PARTIAL, tags=MONITOR)
def missing_accounts_table(folder: Path) -> Path:
    return duckdb_with(folder, lambda t: t.pop(ACC))


@case(1, 1, "dq.table_missing", **PARTIAL)
def renamed_contacts_table(folder: Path) -> Path:
    return duckdb_sql(folder, f'ALTER TABLE "{CON}" RENAME TO contacts')


@case(1, 1, "dq.column_missing", **PARTIAL)
def missing_revenue_column(folder: Path) -> Path:
    return duckdb_with(folder, lambda t: t.update({ACC: t[ACC].drop(columns="annual_revenue")}))


@case(1, 1, "dq.column_missing", **PARTIAL, tags=MONITOR)
def renamed_email_column(folder: Path) -> Path:
    return duckdb_with(folder, lambda t: t.update({CUS: t[CUS].rename(columns={"email": "mail"})}))


@case(1, 1, "dq.table_missing", run_words=("blocking problem",), tags=MONITOR)
def no_tables_at_all(folder: Path) -> Path:
    return write_duckdb(folder / "crm.duckdb", {"unrelated": pd.DataFrame({"x": [1, 2]})})


@case(1, 1, "dq.column_type", **PARTIAL)
def text_in_revenue(folder: Path) -> Path:
    def change(t):
        t[ACC]["annual_revenue"] = t[ACC]["annual_revenue"].astype(str)
        t[ACC].loc[3, "annual_revenue"] = "n/a"

    return duckdb_with(folder, change)


@case(1, 1, "dq.column_type", **PARTIAL)
def boolean_as_text_in_sqlite(folder: Path) -> Path:
    tables = base_tables()
    tables[CON]["is_deleted"] = np.where(np.arange(len(tables[CON])) % 2 == 0, "no", "false")
    return write_sqlite(folder / "crm.sqlite", tables)


@case(1, 1, "dq.table_empty", **PARTIAL)
def empty_contacts_table(folder: Path) -> Path:
    return duckdb_with(folder, lambda t: t.update({CON: t[CON].iloc[0:0]}))


@case(1, 1, "dq.table_empty", **PARTIAL)
def empty_value_table_csv_header_only(folder: Path) -> Path:
    header = ",".join(base_tables()[VAL].columns) + "\n"
    return csv_folder_with(folder, VAL, header.encode())


@case(1, 1, "dq.column_all_null", **PARTIAL)
def all_null_industry(folder: Path) -> Path:
    return duckdb_sql(folder, f'UPDATE "{ACC}" SET industry_normalized = NULL')


@case(1, 1, "dq.column_all_null", **PARTIAL, tags=MONITOR)
def all_null_table_sqlite(folder: Path) -> Path:
    tables = base_tables()
    columns = tables[CUS].columns
    tables[CUS] = pd.DataFrame({name: [None] * len(tables[CUS]) for name in columns}, dtype=object)
    return write_sqlite(folder / "crm.sqlite", tables)


@case(1, 1, "dq.duplicate_keys", **PARTIAL)
def duplicate_account_ids(folder: Path) -> Path:
    return duckdb_sql(
        folder, f'INSERT INTO "{ACC}" SELECT * FROM "{ACC}" WHERE account_id = \'A01\''
    )


@case(1, 1, "dq.null_keys", **PARTIAL)
def null_account_ids(folder: Path) -> Path:
    return duckdb_sql(folder, f"UPDATE \"{ACC}\" SET account_id = NULL WHERE account_id = 'A02'")


@case(0, 0, "dq.orphan_rows", run_words=())
def orphan_contacts(folder: Path) -> Path:
    return duckdb_sql(
        folder, f"UPDATE \"{CON}\" SET account_id = 'GHOST' WHERE contact_id LIKE 'A05%'"
    )


# Values.

# NaN/Inf are invalid values read as missing: counted and named (doctor and the report), never
# blocking; the accounts concerned lose their revenue rather than top the key-account list.
NON_FINITE = "NaN or infinite value(s)"


@case(
    0,
    0,
    "dq.non_finite",
    "annual_revenue",
    run_words=(),
    report_words=(
        f"{ACC}.annual_revenue holds 2 {NON_FINITE}",  # NaN is NULL in DuckDB
        "3 accounts have no annual revenue",
    ),
    tags=MONITOR,
)
def nan_and_inf_revenue(folder: Path) -> Path:
    def change(t):
        t[ACC].loc[[1, 2, 3], "annual_revenue"] = [math.nan, math.inf, -math.inf]

    return duckdb_with(folder, change)


@case(
    0,
    0,
    "dq.non_finite",
    "number_of_employees",
    run_words=(),
    report_words=(f"{ACC}.number_of_employees holds 1 {NON_FINITE}",),
    tags=MONITOR,
)
def inf_employees(folder: Path) -> Path:
    def change(t):
        t[ACC]["number_of_employees"] = t[ACC]["number_of_employees"].astype(float)
        t[ACC].loc[[4, 5], "number_of_employees"] = [math.inf, math.nan]

    return duckdb_with(folder, change)


@case(
    0,
    0,
    "dq.non_finite",
    "acquisition_cost",
    "product_adoption_rate",
    run_words=(),
    report_words=(
        f"{VAL}.acquisition_cost holds 1 {NON_FINITE}",
        f"{VAL}.product_adoption_rate holds 1 {NON_FINITE}",
    ),
)
def nan_inf_value_metrics(folder: Path) -> Path:
    def change(t):
        t[VAL].loc[[0, 1], "acquisition_cost"] = [math.inf, math.nan]
        t[VAL].loc[[2, 3], "product_adoption_rate"] = [-math.inf, math.nan]

    return duckdb_with(folder, change)


@case(0, 0, tags=MONITOR)
def emoji_rtl_zero_width_text(folder: Path) -> Path:
    def change(t):
        names = [
            "Cafe \u2615\U0001f680",
            "\u0634\u0631\u0643\u0629 \u202eRTL\u202c",
            "Zero\u200bWidth\u200d",
            "\U0001f468\u200d\U0001f469\u200d\U0001f467 Family",
        ]
        t[ACC].loc[:3, "account_name"] = names
        t[CON].loc[:3, "title"] = [
            "\u200bCEO",
            "VP \U0001f4c8 Sales",
            "\u0645\u062f\u064a\u0631",
            "CTO\u200f",
        ]

    return duckdb_with(folder, change)


@case(
    0,
    0,
    "dq.text_capped",
    "industry_normalized",
    "title",
    run_words=(),
    report_words=(
        f"of {ACC}.industry_normalized are longer than 200 characters",
        f"of {CON}.title are longer than 200 characters",
    ),
    tags=MONITOR,
)
def one_megabyte_industry(folder: Path) -> Path:
    def change(t):
        t[ACC].loc[0, "industry_normalized"] = "Industry " + "x" * 1_000_000
        t[CON].loc[0, "title"] = "Chief " * 170_000

    return duckdb_with(folder, change)


@case(
    1,
    1,
    "dq.date_unparsable",
    "created_date",
    "analysis_timestamp",
    report=True,
    run_words=(
        "blocking problem",
        "dq.date_unparsable",
        "analysis_timestamp",
        "22.02.2025 02:36",
        "source.date_formats",
    ),
    tags=MONITOR,
)
def mixed_date_formats(folder: Path) -> Path:
    def change(t):
        dates = [
            "2024-01-05",
            "05/01/2024",
            "01/05/2024",
            "Jan 05, 2024",
            "20240105",
            "",
            "22.02.2025 02:36",
        ]
        t[CON]["created_date"] = [dates[i % len(dates)] for i in range(len(t[CON]))]
        t[VAL]["analysis_timestamp"] = [dates[i % len(dates)] for i in range(len(t[VAL]))]

    return write_csv_folder(folder / "csv", _with(base_tables(), change))


@case(
    1,
    1,
    "dq.identity_coverage_email",
    report=True,
    run_words=("blocking problem", "0 of 40 customers", "investment_mismatch.identity: mapping"),
    tags=MONITOR,
)
def zero_join_coverage(folder: Path) -> Path:
    def change(t):
        t[VAL]["primary_email"] = [f"someone{i}@other.org" for i in range(len(t[VAL]))]

    return duckdb_with(folder, change)


@case(
    1,
    1,
    "dq.csv_not_utf8",
    f"{ACC}.csv",
    report=True,
    run_words=("blocking problem", f"{ACC}.csv, line 2", "not UTF-8"),
)
def gbk_encoded_csv(folder: Path) -> Path:
    text = base_csv_text(ACC).replace("Account A0", "\u5ba2\u6237 A0")
    return csv_folder_with(folder, ACC, text.encode("gbk"))


@case(
    1,
    1,
    "dq.csv_ragged",
    f"{ACC}.csv",
    report=True,
    run_words=("blocking problem", f"{ACC}.csv, line 6", "8 fields"),
    tags=MONITOR,
)
def ragged_csv_row(folder: Path) -> Path:
    lines = base_csv_text(ACC).splitlines()
    lines[5] = lines[5] + ",extra,cells"
    return csv_folder_with(folder, ACC, ("\n".join(lines) + "\n").encode())


@case(1, 1, "dq.column_type", **PARTIAL)
def numbers_with_thousands_separators_csv(folder: Path) -> Path:
    frame = base_tables()[ACC]
    frame["annual_revenue"] = [f"{v:,.2f}" for v in frame["annual_revenue"]]
    return csv_folder_with(folder, ACC, frame.to_csv(index=False).encode())


@case(0, 0)
def utf8_bom_csv(folder: Path) -> Path:
    return csv_folder_with(folder, ACC, b"\xef\xbb\xbf" + base_csv_text(ACC).encode())


@case(1, 1, "dq.", **PARTIAL)
def binary_blob_in_text_column_sqlite(folder: Path) -> Path:
    tables = base_tables()
    tables[ACC]["industry_normalized"] = [bytes([0xFF, 0x00, i]) for i in range(len(tables[ACC]))]
    return write_sqlite(folder / "crm.sqlite", tables)


@case(0, 0)
def mixed_int_and_text_ids_sqlite(folder: Path) -> Path:
    tables = base_tables()
    tables[VAL]["team_size"] = tables[VAL]["team_size"].astype(object)
    tables[ACC]["account_id"] = tables[ACC]["account_id"].astype(object)
    tables[ACC].loc[0, "account_id"] = 12345
    return write_sqlite(folder / "crm.sqlite", tables)


@case(0, 0)
def negative_and_zero_numbers(folder: Path) -> Path:
    def change(t):
        t[ACC].loc[[0, 1], "number_of_employees"] = [0, -5]
        t[VAL].loc[[0, 1], "acquisition_cost"] = [0.0, -100.0]

    return duckdb_with(folder, change)


def _with(tables: dict[str, pd.DataFrame], change: Callable[[dict[str, pd.DataFrame]], None]):
    change(tables)
    return tables


def _truncate(full: Path, path: Path, size: int) -> Path:
    path.write_bytes(full.read_bytes()[:size])
    full.unlink()
    return path
