"""Missing data never improves a risk state; no personal data in a default output folder; CRM
text is escaped for every secondary output (Markdown, CSV, terminal); CRMLENS_LANG is honoured."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from crmlens.analyses import REGISTRY
from crmlens.cli import main
from crmlens.config import CrmlensConfig
from crmlens.monitor.service import monitor
from crmlens.report.i18n import catalog, t, tr_value
from crmlens.report.writer import write_report
from crmlens.sources import open_source
from helpers import account, contacts_for, write_duckdb

FULL = [
    ("CEO", "Finance"),
    ("VP Sales", "Sales"),
    ("Manager", "IT"),
    ("Manager", "HR"),
    ("Manager", "Operations"),
]
CFG = CrmlensConfig.model_validate({"contact_coverage": {"key_account_share": 1.0}})


def coverage_db(path, blank=(), names=None):
    """H: no contacts (high). Z: no contacts (high while its employee count is known).
    K: density below the red line (medium). M: like K with less revenue. L: healthy (low)."""
    names = names or {}
    employees = {"H": 100, "Z": 100, "K": 10_000, "M": 10_000, "L": 100}
    revenue = {"H": 500.0, "Z": 400.0, "K": 300.0, "M": 150.0, "L": 100.0}
    accs = [
        account(a, revenue[a], None if a in blank else employees[a], name=names.get(a))
        for a in revenue
    ]
    cons = contacts_for("K", FULL) + contacts_for("M", FULL) + contacts_for("L", FULL)
    return write_duckdb(path, accs, cons)


# ---- data gap ----------------------------------------------------------------------------------


def test_missing_employee_count_is_a_data_gap_ranked_with_high(tmp_path):
    r = REGISTRY["contact_coverage"].run(
        open_source(coverage_db(tmp_path / "b.duckdb", blank={"Z", "M"})), CFG
    )
    ka = r.tables["key_accounts"]
    tiers = dict(zip(ka["account_id"], ka["tier"]))
    assert tiers == {"H": "high", "Z": "data_gap", "M": "data_gap", "K": "medium", "L": "low"}
    reasons = dict(zip(ka["account_id"], ka["data_gap_reason"]))
    assert (
        "employees_unknown" in reasons["Z"]
        and "employees_unknown" in reasons["M"]
        and not reasons["K"]
    )
    assert list(ka["account_id"]) == ["H", "Z", "M", "K", "L"]  # data gaps right after high risk
    assert list(ka["priority_rank"]) == [1, 2, 3, 4, 5]
    plan = r.tables["action_plan"]
    assert list(dict.fromkeys(plan["account_id"].astype(str))) == [
        "H",
        "Z",
        "M",
        "K",
    ]  # L: nothing to do
    assert {"Z", "M"} <= set(
        plan.loc[plan["action"] == "action.fix_employee_count", "account_id"].astype(str)
    )
    assert list(r.tables["top_risk"]["account_id"]) == ["H", "Z", "M"]
    assert (
        dict(zip(r.tables["entities"]["entity_id"], r.tables["entities"]["tier"]))["M"]
        == "data_gap"
    )
    assert r.metric("data_gap") == 2 and r.metric("high_risk") == 1
    # headline numbers of the accounts with data are those of the same data without the two
    known = REGISTRY["contact_coverage"].run(open_source(coverage_db(tmp_path / "k.duckdb")), CFG)
    assert r.metric("fail_decision_red_line") == known.metric("fail_decision_red_line")
    for lang in ("en", "zh"):
        label = tr_value("data_gap", lang)
        assert label != "data_gap"
        md = (
            write_report({"contact_coverage": r}, tmp_path / lang, lang=lang, png=False)
            / "report.md"
        ).read_text()
        assert label in md


def test_missing_data_never_counts_as_improved_and_alerts(tmp_path):
    cfg = CrmlensConfig.model_validate(
        {
            "contact_coverage": {"key_account_share": 1.0},
            "monitor": {
                "history": str(tmp_path / "h.duckdb"),
                "alert_log": str(tmp_path / "alerts.jsonl"),
            },
        }
    )
    weeks = [(), {"Z", "M"}, ()]  # week 2: two employee counts blanked; week 3: restored
    since, alerts = [], []
    for i, blank in enumerate(weeks, start=1):
        res = monitor(
            str(coverage_db(tmp_path / f"w{i}.duckdb", blank=blank)),
            cfg,
            as_of=dt.date(2026, 1, 7 * i),
            out_dir=tmp_path / f"r{i}",
            png=False,
        )
        since.append(
            json.loads((tmp_path / f"r{i}" / "summary.json").read_text()).get("since_last_run")
        )
        alerts.append(res.alerts)
    for s in since[1:]:
        assert "contact_coverage:improved" not in s["lists"], s["lists"].get(
            "contact_coverage:improved"
        )
    gap = [a for a in alerts[1] if a.metric == "new_unknown_employees"]
    assert len(gap) == 1 and sorted(gap[0].entities) == ["Account M (M)", "Account Z (Z)"]
    assert {
        e["entity_id"] for e in since[1]["lists"]["contact_coverage:new_unknown_employees"]
    } == {"Z", "M"}


# ---- personal data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pii_db(tmp_path_factory):
    from crmlens.synth import generate

    path = tmp_path_factory.mktemp("pii") / "crm.duckdb"
    generate(path, 1200, 5)
    return path


def personal_values(db) -> dict[str, set[str]]:
    con = duckdb.connect(str(db), read_only=True)
    q = lambda sql: {str(v) for (v,) in con.execute(sql).fetchall() if v is not None}  # noqa: E731
    emails = {
        e.lower()
        for e in q(
            "SELECT email FROM customer360__customer UNION ALL "
            "SELECT primary_email FROM customer360__customer_value_analysis UNION ALL "
            "SELECT email FROM salesforce__contact_enhanced"
        )
    }
    phones = q("SELECT phone FROM salesforce__contact_enhanced")
    owners = q(
        "SELECT account_owner_name FROM salesforce__customer_360_view"
    )  # sales reps, not customers
    names = (
        q(
            "SELECT full_name FROM customer360__customer UNION ALL "
            "SELECT first_name || ' ' || last_name FROM salesforce__contact_enhanced"
        )
        - owners
    )
    con.close()
    return {"emails": emails, "phones": phones, "names": names}


def folder_text(folder) -> str:
    """The text of every file in the folder: Parquet cells, every part of an xlsx, other bytes."""
    parts = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        if f.suffix == ".parquet":
            parts.append(pq.read_table(f).to_pandas().astype(str).to_csv(index=False))
        elif f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                parts += [z.read(n).decode("utf-8", "ignore") for n in z.namelist()]
        else:
            parts.append(f.read_bytes().decode("utf-8", "ignore"))
    return "\n".join(parts)


def personal_data_in(folder, values) -> dict[str, set[str]]:
    text = folder_text(folder)
    found = {
        "emails": set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text.lower())) & values["emails"],
        "phones": set(re.findall(r"\+1-555-\d{7}", text)) & values["phones"],
        "names": set(re.findall(r"[A-Z][\w'-]+ [A-Z][\w'-]+", text)) & values["names"],
    }
    return {k: v for k, v in found.items() if v}


def test_no_personal_data_in_a_default_output_folder(pii_db, tmp_path, capsys):
    values = personal_values(pii_db)
    assert all(values.values())
    out = tmp_path / "default"
    assert main(["run", "--source", str(pii_db), "--out", str(out), "--no-png"]) == 0
    assert (out / "results" / "investment_mismatch" / "mismatched.parquet").exists()
    assert personal_data_in(out, values) == {}
    capsys.readouterr()
    rerender = tmp_path / "rerender"
    assert (
        main(["report", "--from", str(out), "--out", str(rerender), "--include-pii", "--no-png"])
        == 0
    )
    assert t("cli.pii_unavailable", "en", path=str(out)) in capsys.readouterr().err
    assert personal_data_in(rerender, values) == {}


def test_personal_data_only_with_include_pii_at_run_time(pii_db, tmp_path, capsys):
    values = personal_values(pii_db)
    out = tmp_path / "pii"
    assert (
        main(["run", "--source", str(pii_db), "--out", str(out), "--no-png", "--include-pii"]) == 0
    )
    saved = pd.read_parquet(out / "results" / "investment_mismatch" / "mismatched.parquet")
    assert saved["primary_email"].notna().any()
    assert personal_data_in(out, values).get("emails")
    capsys.readouterr()
    again = tmp_path / "again"
    assert (
        main(["report", "--from", str(out), "--out", str(again), "--include-pii", "--no-png"]) == 0
    )
    assert "pii" not in capsys.readouterr().err.lower()
    assert personal_data_in(again, values).get("emails")


# ---- escaping ----------------------------------------------------------------------------------

HOSTILE = {
    "H": "<script>alert(1)</script>",
    "Z": "Evil\n# Owned | [click](http://evil.test) `x`",
    "K": '=HYPERLINK("http://evil.test")',
    "M": "+SUM(1)",
    "L": "@cmd",
}


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path):
    import pyarrow as pa

    from crmlens.report.csv_export import write_csv

    r = REGISTRY["contact_coverage"].run(
        open_source(coverage_db(tmp_path / "x.duckdb", names=HOSTILE)), CFG
    )
    out = write_report({"contact_coverage": r}, tmp_path / "r", png=False)
    for name in ("key_accounts", "action_plan", "top_risk"):
        df = pd.read_csv(
            out / "tables" / "contact_coverage" / f"{name}.csv", dtype=str, keep_default_na=False
        )
        cells = [c for col in df.columns for c in df[col] if df[col].dtype == object]
        assert not [c for c in cells if c[:1] in ("=", "+", "@")], name
        assert name == "top_risk" or "'+SUM(1)" in set(df["account_name"]), name
    names = set(
        pd.read_csv(out / "tables" / "contact_coverage" / "key_accounts.csv", dtype=str)[
            "account_name"
        ]
    )
    assert {'\'=HYPERLINK("http://evil.test")', "'+SUM(1)", "'@cmd"} <= names
    # numbers stay numbers (a negative number is not a formula); text starting with "-" is quoted
    frame = pd.DataFrame(
        {"n": [-5, 3], "x": [-1.5, 2.0], "s": ["-2+3", "ok"], "c": pd.Categorical(["=1+1", "b"])}
    )
    write_csv(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "safe.csv")
    assert (tmp_path / "safe.csv").read_text().splitlines() == [
        "n,x,s,c",
        "-5,-1.5,'-2+3,'=1+1",
        "3,2,ok,b",
    ]
    assert frame["s"].tolist() == ["-2+3", "ok"]  # the caller's frame is not modified


def test_markdown_escapes_crm_text(tmp_path):
    r = REGISTRY["contact_coverage"].run(
        open_source(coverage_db(tmp_path / "x.duckdb", names=HOSTILE)), CFG
    )
    md = (
        write_report({"contact_coverage": r}, tmp_path / "r", png=False) / "report.md"
    ).read_text()
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert not re.search(r"^#+ Owned", md, re.M)
    assert "[click](" not in md and "\\[click\\]" in md
    rows = [line for line in md.splitlines() if "Owned" in line and line.startswith("|")]
    assert rows
    header = next(line for line in md.splitlines() if "| Account |" in line)
    for row in rows:  # a pipe in a name never adds a column
        assert len(re.findall(r"(?<!\\)\|", row)) == len(re.findall(r"(?<!\\)\|", header))


def test_markdown_escapes_paragraphs_and_headings():
    from crmlens.report.document import Bullets, Document, Para, Section
    from crmlens.report.markdown import render_markdown

    doc = Document(
        "en",
        "T",
        "s",
        [
            Section(
                "x",
                "A\n# B <b>",
                [Para("<img src=x onerror=alert(1)>\n## C"), Bullets(["# D", "e & f"])],
            )
        ],
    )
    md = render_markdown(doc, {})
    assert "<img" not in md and "<b>" not in md
    assert not re.search(r"^#+ [BCD]", md, re.M)
    assert "e &amp; f" in md


def test_terminal_escape_codes_never_reach_stdout(tmp_path, capsys):
    import yaml

    evil = "\x1b[31mEvil\x1b]0;pwned\x07 \u202eRTL\x9b2J"
    conf = tmp_path / "c.yaml"
    conf.write_text(
        yaml.safe_dump(
            {
                "contact_coverage": {"key_account_share": 1.0},
                "monitor": {
                    "history": str(tmp_path / "h.duckdb"),
                    "alert_log": str(tmp_path / "alerts.jsonl"),
                },
            }
        )
    )
    args = ["monitor", "--config", str(conf), "--no-png"]
    main(
        args
        + [
            "--source",
            str(coverage_db(tmp_path / "a.duckdb")),
            "--as-of",
            "2026-01-07",
            "--out",
            str(tmp_path / "r1"),
        ]
    )
    capsys.readouterr()
    names = {"Z": evil}
    main(
        args
        + [
            "--source",
            str(coverage_db(tmp_path / "b.duckdb", blank={"Z"}, names=names)),
            "--as-of",
            "2026-01-14",
            "--out",
            str(tmp_path / "r2"),
        ]
    )
    main(["trend", "\x1b[2Jmetric\u202e", "--config", str(conf)])
    cap = capsys.readouterr()
    assert "Evil" in cap.out and "metric" in cap.err
    for stream in (cap.out, cap.err):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", stream), (
            repr(stream)
        )


def test_terminal_text_helper():
    from crmlens.report.escape import terminal_text

    assert (
        terminal_text("a\x1b[31mb\tc\nd\u202ee\u2067f\x9bg")
        == "a\ufffd[31mb c d\ufffde\ufffdf\ufffdg"
    )
    assert terminal_text("账户 OK") == "账户 OK"


# ---- language ----------------------------------------------------------------------------------


def test_crmlens_lang_is_honoured_by_run_doctor_and_report(tmp_path, capsys, monkeypatch):
    db = coverage_db(tmp_path / "x.duckdb")
    monkeypatch.setenv("CRMLENS_LANG", "zh")
    assert main(["doctor", "--source", str(db), "--analysis", "contact_coverage"]) == 0
    assert catalog("zh")["cli.doctor_ok"].split("{")[0] in capsys.readouterr().out
    out = tmp_path / "r"
    assert (
        main(["run", "contact_coverage", "--source", str(db), "--out", str(out), "--no-png"]) == 0
    )
    assert t("cli.report_written", "zh", path=str(out / "report.html")) in capsys.readouterr().out
    assert "## " + t("report.summary", "zh") in (out / "report.md").read_text()
    assert main(["report", "--from", str(out), "--out", str(tmp_path / "again"), "--no-png"]) == 0
    assert "## " + t("report.summary", "zh") in (tmp_path / "again" / "report.md").read_text()
    # --lang beats the environment; a config file that sets report.lang beats it too
    assert (
        main(
            [
                "run",
                "contact_coverage",
                "--source",
                str(db),
                "--out",
                str(tmp_path / "en"),
                "--no-png",
                "--lang",
                "en",
            ]
        )
        == 0
    )
    assert "## " + t("report.summary", "en") in (tmp_path / "en" / "report.md").read_text()
    conf = tmp_path / "c.yaml"
    conf.write_text("report:\n  lang: en\n")
    assert (
        main(
            [
                "run",
                "contact_coverage",
                "--source",
                str(db),
                "--out",
                str(tmp_path / "c"),
                "--no-png",
                "--config",
                str(conf),
            ]
        )
        == 0
    )
    assert "## " + t("report.summary", "en") in (tmp_path / "c" / "report.md").read_text()


# ---- investment mismatch: NULLs never make a customer look better -------------------------------


def mismatch_db(path, n=30):
    """Priority i, performance 29 - i: the top-priority customers perform worst.  The highest
    priority customer has no adoption rate; the next one no acquisition cost."""
    i = list(range(n))
    value = pd.DataFrame(
        {
            "primary_email": [f"c{k}@x.io" for k in i],
            "investment_priority_score": [float(k) for k in i],
            "product_adoption_rate": [None if k == n - 1 else float(n - k) for k in i],
            "support_resolution_efficiency": [float(n - k) for k in i],
            "customer_lifetime_value": [100.0] * n,
            "acquisition_cost": [None if k == n - 2 else 10.0 + k for k in i],
            "lifecycle_stage": ["Growth", "Mature"] * (n // 2),
            "industry_vertical": ["Tech"] * n,
            "company_size_tier": ["SMB", "Enterprise", "Mid"] * (n // 3),
            "customer_onboarding_score": [float(k % 7) for k in i],
            "team_size": [k % 5 + 1 for k in i],
            "decision_maker_level": ["C-Level", "Manager"] * (n // 2),
        }
    )
    customers = pd.DataFrame(
        {
            "customer360_id": [f"C{k:02d}" for k in i],
            "email": value["primary_email"],
            "total_sales_amount": [float(n - k) for k in i],
        }
    )
    db = duckdb.connect(str(path))
    db.register("v", value)
    db.register("c", customers)
    db.execute('CREATE TABLE "customer360__customer_value_analysis" AS SELECT * FROM v')
    db.execute('CREATE TABLE "customer360__customer" AS SELECT * FROM c')
    db.close()
    return path


def test_mismatch_nulls_are_data_gaps_not_good_news(tmp_path):
    r = REGISTRY["investment_mismatch"].run(
        open_source(mismatch_db(tmp_path / "m.duckdb")), CrmlensConfig()
    )
    tiers = dict(zip(r.tables["entities"]["entity_id"], r.tables["entities"]["tier"]))
    assert tiers["C29"] == "data_gap"  # top priority, adoption unknown: not gone from the monitor
    assert r.metric("data_gap_top_priority") == 1 and r.metric("base_customers") == 29
    mism = r.tables["mismatched"].set_index("customer360_id")
    assert (
        "reason.roi_unknown" in mism.loc["C28", "reasons"]
        and "reason.roi_unknown" not in mism.loc["C27", "reasons"]
    )
    assert r.metric("top_roi_unknown") == 1
    assert {"dq.mm_data_gap", "dq.mm_top_roi_unknown"} <= {f.code for f in r.findings}
