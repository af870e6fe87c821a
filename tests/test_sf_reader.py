"""Salesforce Data Export as input: tiny hand-made exports, expected values computed by hand."""

import json
import zipfile

import pandas as pd
import pytest

from crmlens.cli import main
from crmlens.config import CrmlensConfig
from crmlens.errors import SourceError
from crmlens.sources import open_source

AS_OF = "2026-06-30"
A1 = "0015000000Gv7qJAAR"  # 18-character form of 0015000000Gv7qJ (Salesforce's example)
A2 = "001500000000002"
U1 = "005500000000001AAA"

ACCOUNT = (
    "Id,Name,AnnualRevenue,NumberOfEmployees,Industry,OwnerId,BillingState,CreatedDate,"
    "IsDeleted,LastActivityDate\n"
    f'"{A1}","Acme","1000.5","1500","Banking","{U1}","CA","2026-06-20T10:00:00.000Z","false",'
    '"2026-06-25"\n'
    f'"{A2}","Beta",,"40","Retail",,"NY","2026-06-10T00:00:00.000Z","0",\n'
    '"001500000000003","Gone",,,,,,"2026-01-01T00:00:00.000Z","true",\n'
)
CONTACT = (
    "Id,AccountId,Title,Email,IsDeleted\n"
    '"003500000000001","0015000000Gv7qJ","CEO","a@x.com","false"\n'  # 15-char lookup
    f'"003500000000002","{A1}","VP Sales",,"0"\n'
    f'"003500000000003","{A1}","Intern","c@x.com","1"\n'  # deleted: left out
    f'"003500000000004","{A2}",,"d@x.com",false\n'
)
OPPORTUNITY = (
    "Id,AccountId,Amount,StageName,IsWon,IsClosed,CreatedDate,CloseDate,IsDeleted\n"
    f'"006500000000001","{A1}","100","Closed Won","true","true","2026-01-01T08:00:00.000Z",'
    '"2026-01-31","false"\n'
    f'"006500000000002","{A1}","50","Closed Lost","false","true","2026-01-01T00:00:00.000Z",'
    '"2026-02-01","false"\n'
    f'"006500000000003","{A1}","30","Prospecting","false","false","2026-03-01T00:00:00.000Z",'
    '"2026-09-01","false"\n'
    f'"006500000000004","{A1}",,"Negotiation","false","false","2026-03-01T00:00:00.000Z",'
    '"2026-09-01","false"\n'
)
USER = f'Id,FirstName,LastName,IsActive\n"{U1}","Ada","Lovelace","true"\n'


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def export(tmp_path, **extra):
    files = {
        "Account.csv": ACCOUNT,
        "Contact.csv": CONTACT,
        "Opportunity.csv": OPPORTUNITY,
        "User.csv": USER,
    }
    return write(tmp_path / "export", files | extra)


def mapping(**section):
    return CrmlensConfig.model_validate(
        {"source": {"salesforce_export": {"as_of": AS_OF} | section}}
    ).source


def rows(data, table, key):
    df = data.table(table).execute()
    return {r[key]: r for r in df.to_dict("records")}


def test_accounts_derived_from_the_objects(tmp_path):
    data = open_source(export(tmp_path), mapping())
    assert data.kind == "sf_export" and data.layout == "sf_export"
    accounts = rows(data, "salesforce__customer_360_view", "account_id")
    assert set(accounts) == {"0015000000Gv7qJ", A2}  # 18 → 15 characters; deleted row dropped
    acme, beta = accounts["0015000000Gv7qJ"], accounts[A2]
    assert (acme["total_contacts"], acme["contacts_with_email"]) == (2, 1)
    assert (beta["total_contacts"], beta["contacts_with_email"]) == (1, 1)
    assert acme["total_won_amount"] == 100 and acme["current_pipeline_amount"] == 30
    assert (acme["total_opportunities"], acme["won_opportunities"]) == (4, 1)
    assert acme["win_rate_percentage"] == 25.0
    assert (
        beta["total_opportunities"] == 0
        and beta["win_rate_percentage"] != beta["win_rate_percentage"]
    )  # NaN: no opportunities, no win rate
    assert acme["days_since_last_activity"] == 5 and acme["account_age_days"] == 10
    assert pd.isna(beta["days_since_last_activity"])  # unknown, never "today"
    assert acme["account_owner_name"] == "Ada Lovelace"
    assert acme["industry_normalized"] == "Financial Services"  # default industry map
    assert beta["industry_normalized"] == "Retail"
    assert acme["company_size_category"] == "Enterprise" and beta["company_size_category"] == (
        "Small Business"
    )
    assert acme["geographic_region"] == "West" and beta["geographic_region"] == "Northeast"
    assert acme["annual_revenue"] == 1000.5 and pd.isna(beta["annual_revenue"])
    deals = rows(data, "salesforce__opportunity_enhanced", "opportunity_id")
    assert deals["006500000000001"]["days_to_close"] == 30
    assert deals["006500000000001"]["is_won"] is True
    assert {n["code"] for n in data.notes} == {"sf.deleted_rows"}
    counts = {n["table"]: n["params"]["count"] for n in data.notes}
    assert counts == {"Account": 1, "Contact": 1}


def test_config_maps_custom_fields_and_bands(tmp_path):
    account = ACCOUNT.replace("LastActivityDate\n", "LastActivityDate,Competitor__c\n")
    account = account.replace('"2026-06-25"\n', '"2026-06-25","Globex"\n')
    account = account.replace(",\n", ",,\n")  # the other rows: a blank Competitor__c
    folder = export(tmp_path, **{"Account.csv": account})
    section = {
        "custom_fields": {"salesforce__customer_360_view": {"competitor_in_use": "Competitor__c"}},
        "size_bands": {"Big": 1000, "Little": 0},
        "state_regions": {"CA": "Pacific"},
        "industry_map": {"Retail": "Consumer"},
    }
    accounts = rows(
        open_source(folder, mapping(**section)), "salesforce__customer_360_view", "account_id"
    )
    acme, beta = accounts["0015000000Gv7qJ"], accounts[A2]
    assert acme["competitor_in_use"] == "Globex" and pd.isna(beta["competitor_in_use"])
    assert (acme["company_size_category"], beta["company_size_category"]) == ("Big", "Little")
    assert acme["geographic_region"] == "Pacific" and pd.isna(beta["geographic_region"])
    assert (acme["industry_normalized"], beta["industry_normalized"]) == ("Banking", "Consumer")


def test_zip_parts_unioned_and_deduplicated(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    parts = tmp_path / "parts"
    parts.mkdir()
    header, first, second, deleted = ACCOUNT.splitlines(keepends=True)
    with zipfile.ZipFile(parts / "WE_00D5000000ABCDE_1.ZIP", "w") as z:
        z.writestr("Account.csv", header + first + second)
        z.writestr("User.csv", USER)
    with zipfile.ZipFile(parts / "WE_00D5000000ABCDE_2.ZIP", "w") as z:
        again = second.replace("Beta", "Beta again") + first.replace(A1, A1[:15])  # 15 = 18
        z.writestr("Account.csv", header + again + deleted)
        z.writestr("Contact.csv", CONTACT)
    data = open_source(parts, mapping())
    accounts = rows(data, "salesforce__customer_360_view", "account_id")
    assert accounts[A2]["account_name"] == "Beta"  # the first part's copy is kept
    assert len(accounts) == 2
    notes = {(n["code"], n["table"]): n["params"]["count"] for n in data.notes}
    assert notes[("sf.duplicate_ids", "Account")] == 2
    assert list(scratch.iterdir()) == []  # extracted members removed; nothing next to the parts
    assert sorted(p.name for p in parts.iterdir()) == [
        "WE_00D5000000ABCDE_1.ZIP",
        "WE_00D5000000ABCDE_2.ZIP",
    ]
    single = open_source(parts / "WE_00D5000000ABCDE_1.ZIP", mapping())
    assert single.layout == "sf_export" and single.has_table("salesforce__customer_360_view")


def test_only_15_character_ids(tmp_path):
    fifteen = {
        "Account.csv": ACCOUNT.replace(A1, A1[:15]).replace(U1, U1[:15]),
        "Contact.csv": CONTACT.replace(A1, A1[:15]),
        "Opportunity.csv": OPPORTUNITY.replace(A1, A1[:15]),
        "User.csv": USER.replace(U1, U1[:15]),
    }
    accounts = rows(
        open_source(write(tmp_path / "e", fifteen), mapping()),
        "salesforce__customer_360_view",
        "account_id",
    )
    acme = accounts["0015000000Gv7qJ"]
    assert acme["total_contacts"] == 2 and acme["account_owner_name"] == "Ada Lovelace"


def test_mixed_currencies_are_a_doctor_warning(tmp_path, capsys):
    opportunity = OPPORTUNITY.replace("IsDeleted\n", "IsDeleted,CurrencyIsoCode\n")
    lines = opportunity.splitlines()
    codes = ["USD", "EUR", "USD", "USD"]
    opportunity = "\n".join([lines[0]] + [f'{ln},"{c}"' for ln, c in zip(lines[1:], codes)]) + "\n"
    folder = export(tmp_path, **{"Opportunity.csv": opportunity})
    config = tmp_path / "c.yaml"
    config.write_text(f"source:\n  salesforce_export:\n    as_of: '{AS_OF}'\n", encoding="utf-8")
    main(["doctor", "-s", str(folder), "-c", str(config), "--json"])
    profile = json.loads(capsys.readouterr().out)
    assert profile["layout"] == "sf_export"
    warning = [i for i in profile["issues"] if i["code"] == "sf.mixed_currencies"]
    assert warning[0]["severity"] == "warning" and warning[0]["params"]["currencies"] == "EUR, USD"


def test_doctor_names_the_layout(tmp_path, capsys):
    main(["doctor", "-s", str(export(tmp_path))])
    assert "Layout recognised: Salesforce Data Export" in capsys.readouterr().out


def one_error(capsys, argv) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    text = (captured.err + captured.out).strip()
    assert "Traceback" not in text
    return text


def test_missing_account_csv(tmp_path, capsys):
    parts = tmp_path / "parts"
    parts.mkdir()
    with zipfile.ZipFile(parts / "WE_1.zip", "w") as z:
        z.writestr("Contact.csv", CONTACT)
    text = one_error(capsys, ["doctor", "-s", str(parts)])
    assert "no Account.csv" in text


def test_truncated_zip_part(tmp_path, capsys):
    parts = tmp_path / "parts"
    parts.mkdir()
    with zipfile.ZipFile(parts / "WE_1.ZIP", "w") as z:
        z.writestr("Account.csv", ACCOUNT * 50)
    whole = (parts / "WE_1.ZIP").read_bytes()
    (parts / "WE_1.ZIP").write_bytes(whole[: len(whole) // 2])
    text = one_error(capsys, ["doctor", "-s", str(parts)])
    assert "WE_1.ZIP" in text and "damaged or cut short" in text


def test_csv_row_cut_midway(tmp_path, capsys):
    cut = ACCOUNT[: ACCOUNT.index('"Gone"') + 4]  # the last row ends inside a quoted field
    folder = export(tmp_path, **{"Account.csv": cut})
    text = one_error(capsys, ["doctor", "-s", str(folder)])
    assert "Account.csv, line 4" in text


def test_gbk_csv_refused_or_decoded(tmp_path, capsys):
    folder = export(tmp_path)
    (folder / "Contact.csv").write_bytes(CONTACT.replace("CEO", "首席执行官").encode("gbk"))
    text = one_error(capsys, ["doctor", "-s", str(folder)])
    assert "Contact.csv, line 2" in text and "not UTF-8" in text
    data = open_source(folder, mapping(encoding="gbk"))
    titles = set(data.table("salesforce__contact_enhanced").execute()["title"])
    assert "首席执行官" in titles


def test_unknown_custom_field_column_is_a_config_error():
    with pytest.raises(Exception, match="custom_fields"):
        mapping(custom_fields={"salesforce__customer_360_view": {"no_such": "X__c"}})


def test_canonical_csv_folder_is_not_an_export(tmp_path):
    folder = write(tmp_path / "c", {"salesforce__customer_360_view.csv": "account_id\n1\n"})
    assert open_source(folder).layout == "canonical"
    with pytest.raises(SourceError):
        open_source(tmp_path / "c", mapping().model_copy(update={"layout": "sf_export"}))
