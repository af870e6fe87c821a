"""Test helpers: tiny hand-made datasets written to DuckDB files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

ACC = "salesforce__customer_360_view"
CON = "salesforce__contact_enhanced"


def account(
    account_id, revenue, employees, industry="Technology", size="Enterprise", name=None, **extra
):
    return {
        "account_id": account_id,
        "account_name": name or f"Account {account_id}",
        "annual_revenue": revenue,
        "number_of_employees": employees,
        "industry_normalized": industry,
        "company_size_category": size,
        **extra,
    }


def contact(contact_id, account_id, title=None, department=None, deleted=False):
    return {
        "contact_id": contact_id,
        "account_id": account_id,
        "title": title,
        "department": department,
        "is_deleted": deleted,
    }


def write_duckdb(path: Path, accounts: list[dict], contacts: list[dict]) -> Path:
    acc = pd.DataFrame(accounts).astype(
        {"annual_revenue": "float64", "number_of_employees": "Int64"}
    )
    con = pd.DataFrame(
        contacts, columns=["contact_id", "account_id", "title", "department", "is_deleted"]
    )
    con = con.astype(
        {
            "contact_id": "string",
            "account_id": "string",
            "title": "string",
            "department": "string",
            "is_deleted": "bool",
        }
    )
    db = duckdb.connect(str(path))
    db.register("acc_df", acc)
    db.register("con_df", con)
    db.execute(f'CREATE TABLE "{ACC}" AS SELECT * FROM acc_df')
    db.execute(f'CREATE TABLE "{CON}" AS SELECT * FROM con_df')
    db.close()
    return path


def contacts_for(account_id: str, specs: list[tuple], start: int = 0) -> list[dict]:
    """specs: (title, department[, deleted]) tuples."""
    out = []
    for i, s in enumerate(specs):
        out.append(
            contact(
                f"{account_id}-c{start + i}", account_id, s[0], s[1], s[2] if len(s) > 2 else False
            )
        )
    return out


def untraceable_numbers(results: dict, out: Path) -> list[str]:
    """The numbers printed in ``out``/report.md that are not a formatted value from summary.json
    (metrics, finding and recommendation parameters, method/config), from a result table cell or
    from the unit's default alert rules (the trigger quotes their thresholds) — typed-in numbers."""
    import json
    import re

    from crmlens.report.document import format_cell
    from crmlens.report.i18n import fmt_value
    from crmlens.report.views import default_rules

    md = (out / "report.md").read_text()
    md = re.sub(r"`[^`]*`", "", md)  # regular expressions quoted in the method notes
    md = re.sub(r"_Generated .*?_", "", md)
    md = re.sub(r"\]\(charts/[^)]*\)", "]", md)
    md = re.sub(r"\[[^\]]*\]\(tables/[^)]*\)", "", md)  # links to the full tables
    # figure numbers ("Figure 3", "see Figure 1, 2") are labels; captions are checked like
    # every other sentence
    md = re.sub(r"(?:see )?Figures? [\d, and]*\d", "", md)
    summary = json.loads((out / "summary.json").read_text())
    for a in summary["analyses"].values():  # the plan's due dates (T+N: its milestone days)
        for row in a.get("plan", []):
            md = md.replace(row["due_date"], "")
    # definitions (ratio 0 without contacts, ROI > 1, 95% CI) and the seed document "004"
    allowed = {"0", "1", "95", "004"}
    labels: set[str] = set()

    def add(v):
        if isinstance(v, bool) or v is None:
            return
        if isinstance(v, str) and re.search(r"\d", v) and len(v) >= 4:
            labels.add(v)
        if isinstance(v, (int, float)):
            for spec in ("int", "pct", "usd", "num", "num1", "p", ""):
                allowed.add(fmt_value(v, spec, "en"))
        elif isinstance(v, (list, tuple)):
            for x in v:
                add(x)
        elif isinstance(v, dict):
            for x in v.values():
                add(x)

    for name, a in summary["analyses"].items():
        add({k: m["value"] for k, m in a["metrics"].items()})
        for f in a["findings"] + a["recommendations"]:
            add(f["params"])
        add(a["method"])
        add(default_rules(name))
    for r in results.values():
        for df in r.tables.values():
            for col in df.columns:
                for v in df[col].head(300):
                    cell = format_cell(v, col, "en")
                    allowed.add(cell)
                    if re.search(r"\d", cell) and not re.fullmatch(r"[$\d,.%−-]+", cell):
                        labels.add(cell)
                    add(v if not hasattr(v, "item") else v.item())
    # a number, not the digits opening an id such as 00102LVj (the id is a table cell)
    # text values holding numbers (dates, quarters, band labels such as "50,000–250,000") are
    # quoted whole from summary.json or a table cell
    for text in sorted(labels, key=len, reverse=True):
        if text in md:  # whole: never the middle of a longer number
            md = re.sub(rf"(?<!\w)(?<!\d[.,]){re.escape(text)}(?!\w|[.,]\d)", "", md)
    tokens = re.findall(r"(?<![\w.])[$−+]?\d+(?:,\d{3})*(?:\.\d+)?%?(?!\w)", md)
    return sorted(
        {
            tok
            for tok in tokens
            if tok not in allowed
            and tok.lstrip("$−+").rstrip("%") not in allowed
            and tok.lstrip("−+") not in allowed
            and "-" + tok not in allowed  # a negative number: markdown escapes its "-"
        }
    )
