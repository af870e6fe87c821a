"""Segmentation with ``rfm_source: customer360`` (issue 17): the customer-360 customers get the
named segments from the value table's own scores — one per e-mail (the latest row wins), NULL,
out-of-range and fractional scores counted as unscored, every default rule hit — with their
lifetime value and acquisition cost, and the optional tie to accounts through contact e-mails.
Expected values are worked out by hand below."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from seg_fixtures import config, frames, run, write_db

VALUE = "customer360__customer_value_analysis"
CONTACTS = "salesforce__contact_enhanced"
NAN = float("nan")
# (e-mail, analysis day, r, f, m, lifetime value, acquisition cost) → expected segment
ROWS = [
    ("a@x.com", 1, 5, 5, 5, 100.0, 10.0, None),  # older row of a@x.com: superseded
    ("A@X.com", 32, 1, 1, 1, 200.0, 20.0, "Lost"),  # the latest row of the same e-mail wins
    ("b@x.com", 1, 5, 5, 5, 1000.0, 100.0, "Champions"),
    ("c@x.com", 1, 3, 4, 1, 300.0, 30.0, "Loyal"),
    ("d@x.com", 1, 4, 2, 1, 400.0, 40.0, "Potential Loyalists"),
    ("e@x.com", 1, 5, 1, 1, 500.0, 50.0, "New"),
    ("f@x.com", 1, 4, 1, 3, 600.0, 60.0, "Promising"),
    ("g@x.com", 1, 2, 5, 5, 700.0, 70.0, "Can't Lose"),
    ("h@x.com", 1, 1, 3, 2, 800.0, 80.0, "At Risk"),
    ("i@x.com", 1, 3, 2, 2, 900.0, 90.0, "Need Attention"),
    ("j@x.com", 1, 2, 2, 3, 110.0, 11.0, "Hibernating"),
    ("k@x.com", 1, 3, 1, 1, 120.0, 12.0, "Other"),  # no rule takes r 3, f 1
    ("l@x.com", 1, NAN, 3, 3, 50.0, NAN, "unscored"),  # NULL recency
    ("m@x.com", 1, 6, 3, 3, 10.0, 5.0, "unscored"),  # above 5
    ("n@x.com", 1, 0, 3, 3, NAN, 7.0, "unscored"),  # below 1
    ("o@x.com", 1, 2.5, 2, 2, 30.0, NAN, "unscored"),  # not a whole score
    (None, 1, 5, 5, 5, 999.0, 1.0, None),  # no e-mail: counted, not a customer
]


def value_table() -> pd.DataFrame:
    day = dt.datetime(2026, 1, 1)
    return pd.DataFrame(
        {
            "primary_email": [r[0] for r in ROWS],
            "analysis_timestamp": [day + dt.timedelta(days=r[1]) for r in ROWS],
            "recency_score": [r[2] for r in ROWS],
            "frequency_score": [r[3] for r in ROWS],
            "monetary_score": [r[4] for r in ROWS],
            "customer_lifetime_value": [r[5] for r in ROWS],
            "acquisition_cost": [r[6] for r in ROWS],
        }
    )


def contacts() -> pd.DataFrame:
    rows = [  # (account, e-mail, deleted)
        ("A01", " a@X.com", False),  # a → A01 (case and blanks ignored)
        ("A02", "b@x.com", False),  # b → A02 and A03: ambiguous, not linked
        ("A03", "b@x.com", False),
        ("A02", "c@x.com", False),  # c → A02 (two contacts of one account)
        ("A02", "C@x.com", False),
        ("A04", "d@x.com", True),  # d: only a deleted contact — not linked
        ("P01", "e@x.com", False),  # e → P01, an account without a won deal
    ]
    return pd.DataFrame(
        [
            {"contact_id": f"c{i}", "account_id": a, "email": e, "is_deleted": d}
            for i, (a, e, d) in enumerate(rows)
        ]
    )


def tables(with_contacts: bool = True) -> dict[str, pd.DataFrame]:
    out = frames() | {VALUE: value_table()}
    if with_contacts:
        out[CONTACTS] = contacts()
    return out


def test_customer360_segments_every_rule_latest_row_and_unscored(tmp_path):
    r = run(tables(), config(tmp_path / "o.duckdb", rfm_source="customer360"))
    seg = r.tables["c360_segments"].set_index("segment")
    expected = pd.Series([row[7] for row in ROWS if row[7]]).value_counts()
    assert seg["customers"][seg["customers"] > 0].to_dict() == expected.to_dict()
    assert list(seg.index[-2:]) == ["Other", "unscored"]  # the rules' order, then the buckets
    assert r.metric("c360_value_rows") == 17
    assert r.metric("c360_without_email") == 1
    assert r.metric("c360_duplicates_removed") == 1
    assert r.metric("c360_customers") == 15 and r.metric("c360_unscored") == 4
    # a@x.com: its latest row (1, 1, 1; CLV 200) — not the older Champions row
    assert seg.loc["Lost", "clv_sum"] == 200.0 and seg.loc["Champions", "clv_sum"] == 1000.0
    assert seg.loc["Champions", "share"] == pytest.approx(1 / 15)
    # unscored: CLV 50 + 10 + 30 (one NULL), CAC 5 + 7 (two NULL)
    unscored = seg.loc["unscored"]
    assert (unscored["clv_sum"], unscored["clv_mean"]) == (90.0, 30.0)
    assert (unscored["cac_known"], unscored["cac_sum"], unscored["cac_mean"]) == (2, 12.0, 6.0)
    codes = [f.code for f in r.findings]
    assert "seg.c360" in codes and "dq.seg_c360_unscored" in codes
    # the account-level segmentation is untouched by the choice
    plain = run(tables(), config(tmp_path / "p.duckdb"))
    assert plain.tables["customers"].equals(r.tables["customers"])
    assert "c360_segments" not in plain.tables and "c360_customers" not in plain.metrics


def test_customer360_link_to_accounts_through_contact_emails(tmp_path):
    r = run(tables(), config(tmp_path / "o.duckdb", rfm_source="customer360"))
    assert r.metric("c360_linked") == 3  # a → A01, c → A02, e → P01
    assert r.metric("c360_ambiguous") == 1  # b
    assert r.metric("c360_link_coverage") == pytest.approx(3 / 15)
    accounts = r.tables["customers"].set_index("account_id")["segment"]
    cross = r.tables["c360_account_segments"]
    pairs = set(zip(cross["segment"], cross["account_segment"], cross["customers"]))
    expected = {("Lost", accounts["A01"], 1), ("Loyal", accounts["A02"], 1)}
    assert pairs == expected | {("New", "not_a_customer", 1)}
    bare = run(tables(with_contacts=False), config(tmp_path / "q.duckdb", rfm_source="customer360"))
    assert "c360_linked" not in bare.metrics and "c360_account_segments" not in bare.tables
    assert "seg.c360_no_link" in [f.code for f in bare.findings]


def test_customer360_source_without_the_scores_is_reported(tmp_path):
    data = tables()
    data[VALUE] = data[VALUE].drop(columns=["frequency_score"])
    r = run(data, config(tmp_path / "o.duckdb", rfm_source="customer360"))
    missing = next(f for f in r.findings if f.code == "dq.seg_c360_missing")
    assert missing.params["columns"] == ["frequency_score"]
    assert "c360_segments" not in r.tables and r.metric("customers") == 12


def test_rfm_source_chosen_in_the_config_file_through_the_cli(tmp_path, capsys):
    from crmlens import cli

    db = write_db(tmp_path / "s.duckdb", tables())
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"segmentation:\n  rfm_source: customer360\noverrides:\n  store: {tmp_path}/o\n")
    out = tmp_path / "out"
    args = ["run", "segmentation", "--source", str(db), "--config", str(cfg), "--out", str(out)]
    assert cli.main([*args, "--no-png", "--as-of", "2026-03-01"]) == 0, capsys.readouterr()
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.json"))
    assert "c360_segments" in text and '"rfm_source": "customer360"' in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("segmentation:\n  rfm_source: crm\n")
    assert cli.main(["config", "show", "--config", str(bad)]) == 2
    assert "segmentation.rfm_source" in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer360_messages_exist_in_both_languages(lang):
    from crmlens.analyses import REGISTRY

    messages = REGISTRY["segmentation"].messages(lang)
    for key in ("seg.c360", "seg.c360_link", "seg.c360_no_link", "dq.seg_c360_missing"):
        assert key in messages
    for key in ("dq.seg_c360_unscored", "method.seg.c360", "table.segmentation.c360_segments"):
        assert key in messages
    assert ("CRM" in messages["seg.c360"]) and ("CRM" in messages["method.seg.c360"])
    json.dumps(messages, ensure_ascii=False)
