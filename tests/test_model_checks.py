"""Canonical model v2 cross-table checks through `crmlens doctor`: one bad input per check, on a
tiny hand-made dataset whose good version has no model v2 finding."""

import json

import duckdb
import pytest

from crmlens.cli import main
from crmlens.schema.contracts import declare_needs, forget_needs
from crmlens.schema.validate import validate
from crmlens.sources import open_source
from helpers import account, contacts_for, write_duckdb

OPP, HIST = "salesforce__opportunity_enhanced", "salesforce__opportunity_history"
CASE, NPS = "salesforce__case", "survey__nps_response"
CAMP, SPEND, USER = "salesforce__campaign", "marketing__campaign_spend", "salesforce__user"

TABLES = [
    f"""CREATE TABLE {USER} AS SELECT * FROM (VALUES ('U1', 'Ann Lee', 'Account Executive',
        NULL, 'West', true)) v(owner_id, name, role, manager_id, region, is_active)""",
    f"""CREATE TABLE {CAMP} AS SELECT * FROM (VALUES
        ('C1', 'Spring', 'Email', DATE '2025-01-01', DATE '2025-03-31', 900.0, true),
        ('C2', 'Ads', 'Targeted Ads', DATE '2025-02-01', NULL, 0.0, false))
        v(campaign_id, name, type, start_date, end_date, actual_cost, is_targeted)""",
    f"""CREATE TABLE {SPEND} AS SELECT * FROM (VALUES ('C1', DATE '2025-01-01', 300.0),
        ('C1', DATE '2025-02-01', 600.0)) v(campaign_id, month, spend)""",
    f"""CREATE TABLE {OPP} AS SELECT * FROM (VALUES
        ('O1', 'A0', 'U1', 1000.0, 'Closed Won', 100.0, true, true, 'New Business', 'C1',
         DATE '2025-01-05', DATE '2025-02-01'),
        ('O2', 'A1', 'U1', 500.0, 'Proposal', 60.0, false, false, 'Renewal', NULL,
         DATE '2025-03-01', DATE '2025-07-01'))
        v(opportunity_id, account_id, owner_id, amount, stage_name, probability, is_won,
          is_closed, type, campaign_id, created_date, close_date)""",
    f"""CREATE TABLE {HIST} AS SELECT * FROM (VALUES
        ('O1', TIMESTAMP '2025-01-05 10:00:00', 'Prospecting'),
        ('O1', TIMESTAMP '2025-02-01 10:00:00', 'Closed Won'),
        ('O2', TIMESTAMP '2025-03-01 10:00:00', 'Proposal'))
        v(opportunity_id, created_date, stage_name)""",
    f"""CREATE TABLE {CASE} AS SELECT * FROM (VALUES
        ('K1', 'A0', TIMESTAMP '2025-01-10 09:00:00', TIMESTAMP '2025-01-11 09:00:00',
         'Closed', 'Complaint', '服务态度'),
        ('K2', 'A1', TIMESTAMP '2025-02-10 09:00:00', NULL, 'New', 'Question', NULL))
        v(case_id, account_id, created_date, closed_date, status, type, reason)""",
    f"""CREATE TABLE {NPS} AS SELECT * FROM (VALUES ('R1', 'A0', DATE '2025-03-01', 9),
        ('R2', 'A1', DATE '2025-03-02', 0), ('R3', 'A2', DATE '2025-03-03', 10))
        v(response_id, account_id, response_date, score)""",
]


def dataset(path, *changes):
    accounts = [account(f"A{i}", 100.0 + i, 100) for i in range(3)]
    contacts = [c for i in range(3) for c in contacts_for(f"A{i}", [("CEO", "Sales")])]
    write_duckdb(path, accounts, contacts)
    con = duckdb.connect(str(path))
    for sql in (*TABLES, *changes):
        con.execute(sql)
    con.close()
    return path


def doctor(capsys, source, *extra):
    capsys.readouterr()
    code = main(["doctor", "--source", str(source), "--json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out[out.index("{") :])


def findings(profile):
    v2 = {OPP, HIST, CASE, NPS, CAMP, SPEND, USER}
    return {  # info-level notes (join coverage of the analyses' keys) are not findings
        (i["code"], i["table"], i["column"])
        for i in profile["issues"]
        if i["table"] in v2 and i["severity"] != "info"
    }


def test_good_dataset_has_no_model_findings_and_lists_tables(tmp_path, capsys):
    code, profile = doctor(capsys, dataset(tmp_path / "ok.duckdb"))
    # the source has none of investment_mismatch's tables: it is not applicable (as in `run`)
    # and its missing tables block nothing
    assert code == 0
    assert not [i for i in profile["issues"] if i["severity"] == "blocking"]
    assert findings(profile) == set()
    found = {row["table"]: row["rows"] for row in profile["model_tables"]}
    assert found[HIST] == 3 and found[NPS] == 3 and found[SPEND] == 2
    assert found["salesforce__lead"] is None  # not in the source


CASES = {
    "opportunity_of_unknown_account": (
        f"UPDATE {OPP} SET account_id = 'NOPE' WHERE opportunity_id = 'O2'",
        ("dq.orphan_rows", OPP, "account_id"),
    ),
    "opportunity_of_unknown_owner": (
        f"UPDATE {OPP} SET owner_id = 'U9' WHERE opportunity_id = 'O2'",
        ("dq.orphan_rows", OPP, "owner_id"),
    ),
    "history_of_unknown_opportunity": (
        f"INSERT INTO {HIST} VALUES ('O9', TIMESTAMP '2025-01-05 10:00:00', 'Prospecting')",
        ("dq.orphan_rows", HIST, "opportunity_id"),
    ),
    "case_of_unknown_account": (
        f"UPDATE {CASE} SET account_id = 'NOPE' WHERE case_id = 'K2'",
        ("dq.orphan_rows", CASE, "account_id"),
    ),
    "nps_of_unknown_account": (
        f"UPDATE {NPS} SET account_id = 'NOPE' WHERE response_id = 'R3'",
        ("dq.orphan_rows", NPS, "account_id"),
    ),
    "spend_of_unknown_campaign": (
        f"INSERT INTO {SPEND} VALUES ('C9', DATE '2025-01-01', 10.0)",
        ("dq.orphan_rows", SPEND, "campaign_id"),
    ),
    "nps_score_above_10": (
        f"UPDATE {NPS} SET score = 11 WHERE response_id = 'R3'",
        ("dq.nps_score_out_of_range", NPS, "score"),
    ),
    "nps_score_negative": (
        f"UPDATE {NPS} SET score = -1 WHERE response_id = 'R2'",
        ("dq.nps_score_out_of_range", NPS, "score"),
    ),
    "case_closed_before_created": (
        f"UPDATE {CASE} SET closed_date = TIMESTAMP '2025-01-09 09:00:00' WHERE case_id = 'K1'",
        ("dq.case_closed_before_created", CASE, "closed_date"),
    ),
    "campaign_end_before_start": (
        f"UPDATE {CAMP} SET end_date = DATE '2024-12-31' WHERE campaign_id = 'C1'",
        ("dq.campaign_end_before_start", CAMP, "end_date"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_model_check_finds_its_bad_input(tmp_path, capsys, case):
    sql, expected = CASES[case]
    _, profile = doctor(capsys, dataset(tmp_path / "bad.duckdb", sql))
    assert findings(profile) == {expected}
    severity = {i["severity"] for i in profile["issues"] if i["code"] == expected[0]}
    assert severity == {"warning"}  # the analyses count such rows, they never block on them
    issue = next(i for i in profile["issues"] if i["code"] == expected[0])
    assert issue["params"]["count"] == 1


def test_examples_and_messages_in_both_languages(tmp_path, capsys):
    bad = dataset(
        tmp_path / "bad.duckdb",
        f"UPDATE {NPS} SET score = 11 WHERE response_id = 'R3'",
        f"UPDATE {CASE} SET closed_date = TIMESTAMP '2025-01-01 09:00:00' WHERE case_id = 'K1'",
    )
    capsys.readouterr()
    main(["doctor", "--source", str(bad)])
    en = capsys.readouterr().out
    assert "K1" in en and "survey__nps_response: 3 rows" in en
    main(["doctor", "--source", str(bad), "--lang", "zh"])
    zh = capsys.readouterr().out
    assert "数据模型 v2 的表" in zh and "未找到" in zh


def test_text_dates_are_parsed_before_comparing(tmp_path, capsys):
    """SQLite/CSV store dates as text: the case check compares them as times, not as strings."""
    bad = dataset(
        tmp_path / "t.duckdb",
        f"ALTER TABLE {CASE} ALTER created_date TYPE VARCHAR",
        f"ALTER TABLE {CASE} ALTER closed_date TYPE VARCHAR",
        f"UPDATE {CASE} SET created_date = '2025-01-10T09:00:00', closed_date = '2025-01-10 08:00'"
        " WHERE case_id = 'K1'",
    )
    _, profile = doctor(capsys, bad)
    assert ("dq.case_closed_before_created", CASE, "closed_date") in findings(profile)


def test_checks_run_for_an_analysis_needing_the_table_and_not_otherwise(tmp_path):
    bad = dataset(tmp_path / "bad.duckdb", f"UPDATE {NPS} SET score = 12 WHERE response_id = 'R3'")
    data = open_source(str(bad))
    unrelated = validate(data, {"contact_coverage"})
    assert "dq.nps_score_out_of_range" not in {i.code for i in unrelated.issues}
    assert unrelated.to_dict().get("model_tables") is None  # run's profile is unchanged
    declare_needs("nps_toy", {NPS: ("response_id", "account_id", "response_date", "score")})
    try:
        needed = validate(data, {"nps_toy"})
    finally:
        forget_needs("nps_toy")
    assert "dq.nps_score_out_of_range" in {i.code for i in needed.issues}
