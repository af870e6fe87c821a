"""`crmlens generate --format sf-export`: a Salesforce Data Export folder of the generated data,
checked against the canonical tables of the same seed with a plain pandas reader."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from crmlens.cli import main
from crmlens.schema.contracts import CONTRACTS
from crmlens.schema.sf_fields import BY_OBJECT, SF_OBJECTS, id18
from crmlens.synth import generate

SEED, ACCOUNTS = 13, 1500
FILES = {
    "Account.csv",
    "Contact.csv",
    "Opportunity.csv",
    "OpportunityHistory.csv",
    "User.csv",
    "Case.csv",
    "Campaign.csv",
    "Lead.csv",
    "Campaign_Spend__c.csv",
    "NPS_Response__c.csv",
}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    base = tmp_path_factory.mktemp("sfx")
    counts = generate(base / "export", ACCOUNTS, SEED, "sf-export")
    generate(base / "canonical.duckdb", ACCOUNTS, SEED)
    return base / "export", base / "canonical.duckdb", counts


def read(folder, name) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False, na_values=[])


def canonical(db, table) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    df = con.execute(f'SELECT * FROM "{table}"').df()
    con.close()
    return df


def test_id18_matches_salesforce():
    # a documented Salesforce example: 0015000000Gv7qJ ↔ 0015000000Gv7qJAAR
    assert list(id18(np.array(["0015000000Gv7qJ", None, "0015000000Gv7qJAAR"], dtype=object))) == [
        "0015000000Gv7qJAAR",
        None,
        "0015000000Gv7qJAAR",
    ]


def test_mapping_covers_every_contract_column():
    for table, obj in SF_OBJECTS.items():
        columns = set(obj.fields) | set(obj.derived) | set(obj.not_exported)
        assert columns == set(CONTRACTS[table].column_names), table
        customs = [f for f in obj.fields.values() if f.endswith("__c")]
        assert all(f[0].isupper() for f in customs)


def test_files_headers_and_value_formats(export):
    folder, _, counts = export
    assert {p.name for p in folder.iterdir() if not p.name.startswith(".")} == FILES
    assert "customer360__customer" not in counts  # no Salesforce object: not written
    for name in FILES:
        obj = BY_OBJECT[name.removesuffix(".csv")]
        df = read(folder, name)
        assert set(obj.fields.values()) <= set(df.columns)  # API names as headers
        assert len(df) == counts[obj.table]
        ids = df["Id"]
        assert ids.str.len().eq(18).all() and ids.is_unique
    acc = read(folder, "Account.csv")
    for rollup in ("TotalContacts", "total_contacts", "Win_Rate__c", "total_won_amount"):
        assert rollup not in acc.columns  # roll-ups are not exported
    opp = read(folder, "Opportunity.csv")
    assert set(opp["IsWon"]) == {"true", "false"}
    assert opp["CreatedDate"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z").all()
    assert opp["CloseDate"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert (opp["Amount"] == "").any()  # NULL amounts are blanks
    raw = (folder / "Opportunity.csv").read_text(encoding="utf-8")
    assert ',,"' in raw or ",," in raw  # a blank is an empty, unquoted field
    hist = read(folder, "OpportunityHistory.csv")
    assert {"BestCase", "Forecast"} <= set(hist["ForecastCategory"])  # API picklist values


def test_export_holds_the_canonical_values(export):
    folder, db, _ = export
    opp, canon = read(folder, "Opportunity.csv"), canonical(db, "salesforce__opportunity_enhanced")
    assert list(opp["Id"].str[:15]) == list(canon["opportunity_id"])
    assert list(opp["AccountId"].str[:15]) == list(canon["account_id"])
    amount = pd.to_numeric(opp["Amount"].replace("", None))
    assert np.allclose(amount.fillna(-1), canon["amount"].fillna(-1))
    assert list(opp["IsWon"] == "true") == list(canon["is_won"])
    assert list(pd.to_datetime(opp["CloseDate"]).dt.date) == list(canon["close_date"].dt.date)
    acc, canon_acc = read(folder, "Account.csv"), canonical(db, "salesforce__customer_360_view")
    days = (pd.Timestamp("2026-06-30") - pd.to_datetime(acc["LastActivityDate"])).dt.days
    assert list(days) == list(canon_acc["days_since_last_activity"])
    users, canon_users = read(folder, "User.csv"), canonical(db, "salesforce__user")
    assert list(users["FirstName"] + " " + users["LastName"]) == list(canon_users["name"])
    contacts = read(folder, "Contact.csv")
    assert (contacts["IsDeleted"] == "true").sum() == int(
        canonical(db, "salesforce__contact_enhanced")["is_deleted"].sum()
    )
    nps = read(folder, "NPS_Response__c.csv")
    assert list(nps["Score__c"].astype(int)) == list(canonical(db, "survey__nps_response")["score"])


def test_cli_and_same_seed_same_files(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert (
            main(["generate", "-n", "1000", "--seed", "3", "-o", str(out), "-f", "sf-export"]) == 0
        )
    assert "Account.csv" in {p.name for p in a.iterdir()}
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
