"""Salesforce Data Export ↔ canonical model: the one field mapping, used by
``crmlens generate --format sf-export`` (writer) and the export reader.

A Data Export is a folder (or ZIP parts) of ``<Object>.csv`` files with API field names as
headers; ids are 18 characters (15-character forms of the same id appear in other tools); date
times are ISO with ``Z`` (``2025-01-05T10:00:00.000Z``), dates ``2025-01-05``; booleans
``true``/``false``; NULL is a blank; custom fields end in ``__c``; formula and roll-up fields are
not exported.  Every object carries ``IsDeleted``.

``SF_OBJECTS`` maps each canonical table to its object: ``fields`` (canonical column → API field,
written and read as is), ``derived`` (canonical columns the export does not hold and the reader
derives, with the documented rule) and ``not_exported`` (columns neither exported nor derivable).
``ID_FIELDS`` are ids (Id and lookups: written in 18-character form), ``DATETIME_FIELDS`` date
times (a canonical date becomes midnight UTC), ``VALUE_MAPS`` picklist values that differ from
the canonical ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ID_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@dataclass(frozen=True)
class SfObject:
    name: str  # API name; the export file is <name>.csv
    table: str  # canonical table
    fields: dict[str, str]  # canonical column → API field
    derived: dict[str, str] = field(default_factory=dict)  # canonical column → reader's rule
    not_exported: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # API field → what the writer puts there


ACCOUNT = SfObject(
    "Account",
    "salesforce__customer_360_view",
    {
        "account_id": "Id",
        "account_name": "Name",
        "annual_revenue": "AnnualRevenue",
        "number_of_employees": "NumberOfEmployees",
        "industry_normalized": "Industry",
        "company_size_category": "Company_Size_Category__c",
        "account_size_segment": "Account_Size_Segment__c",
        "owner_id": "OwnerId",
        "account_type": "Type",
        "billing_state": "BillingState",
        "billing_city": "BillingCity",
        "geographic_region": "Region__c",
        "churn_risk_level": "Churn_Risk_Level__c",
        "acquisition_channel": "AccountSource",
        "created_date": "CreatedDate",
        "competitor_in_use": "Competitor_In_Use__c",
    },
    derived={
        "account_owner_name": "User.Name of OwnerId (FirstName + ' ' + LastName)",
        "total_contacts": "Contact rows of the account with IsDeleted false",
        "contacts_with_email": "those with a non-blank Email",
        "total_won_amount": "sum of Opportunity.Amount where IsWon (NULL amounts count 0)",
        "current_pipeline_amount": "sum of Opportunity.Amount where not IsClosed",
        "total_opportunities": "Opportunity rows of the account",
        "won_opportunities": "Opportunity rows where IsWon",
        "win_rate_percentage": "100 × won / total opportunities (NULL without opportunities)",
        "days_since_last_activity": "as-of date − LastActivityDate, in days",
        "account_age_days": "as-of date − CreatedDate, in days",
    },
    not_exported=("total_activities_30d",),  # needs Task/Event, not in the export
    extra={"IsDeleted": "false", "LastActivityDate": "as-of date − days_since_last_activity"},
)
CONTACT = SfObject(
    "Contact",
    "salesforce__contact_enhanced",
    {
        "contact_id": "Id",
        "account_id": "AccountId",
        "title": "Title",
        "department": "Department",
        "is_deleted": "IsDeleted",
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "Email",
        "phone": "Phone",
        "lead_source": "LeadSource",
        "created_date": "CreatedDate",
        "last_activity_date": "LastActivityDate",
        "mailing_state": "MailingState",
    },
)
OPPORTUNITY = SfObject(
    "Opportunity",
    "salesforce__opportunity_enhanced",
    {
        "opportunity_id": "Id",
        "account_id": "AccountId",
        "owner_id": "OwnerId",
        "amount": "Amount",
        "stage_name": "StageName",
        "probability": "Probability",
        "is_won": "IsWon",
        "is_closed": "IsClosed",
        "type": "Type",
        "lead_source": "LeadSource",
        "campaign_id": "CampaignId",
        "forecast_category": "ForecastCategoryName",
        "competitor": "Main_Competitor__c",
        "loss_reason": "Loss_Reason__c",
        "gross_margin": "Gross_Margin__c",
        "created_date": "CreatedDate",
        "close_date": "CloseDate",
    },
    derived={"days_to_close": "CloseDate − date of CreatedDate, in days"},
    extra={"IsDeleted": "false"},
)
OPPORTUNITY_HISTORY = SfObject(
    "OpportunityHistory",
    "salesforce__opportunity_history",
    {
        "opportunity_id": "OpportunityId",
        "created_date": "CreatedDate",
        "stage_name": "StageName",
        "amount": "Amount",
        "probability": "Probability",
        "close_date": "CloseDate",
        "forecast_category": "ForecastCategory",  # API values, see VALUE_MAPS
    },
    extra={"Id": "a generated 008 id per row", "IsDeleted": "false"},
)
USER = SfObject(
    "User",
    "salesforce__user",
    {
        "owner_id": "Id",
        "role": "Title",
        "manager_id": "ManagerId",
        "region": "Region__c",
        "is_active": "IsActive",
    },
    derived={"name": "FirstName + ' ' + LastName"},
    extra={"FirstName": "name up to its first space", "LastName": "the rest of name"},
)
CASE = SfObject(
    "Case",
    "salesforce__case",
    {
        "case_id": "Id",
        "account_id": "AccountId",
        "created_date": "CreatedDate",
        "closed_date": "ClosedDate",
        "status": "Status",
        "type": "Type",
        "reason": "Reason",
        "priority": "Priority",
        "origin": "Origin",
        "csat_score": "CSAT_Score__c",
    },
    extra={"IsDeleted": "false"},
)
CAMPAIGN = SfObject(
    "Campaign",
    "salesforce__campaign",
    {
        "campaign_id": "Id",
        "name": "Name",
        "type": "Type",
        "start_date": "StartDate",
        "end_date": "EndDate",
        "actual_cost": "ActualCost",
        "is_targeted": "Is_Targeted__c",
    },
    extra={"IsDeleted": "false"},
)
CAMPAIGN_SPEND = SfObject(
    "Campaign_Spend__c",
    "marketing__campaign_spend",
    {"campaign_id": "Campaign__c", "month": "Month__c", "spend": "Spend__c"},
    extra={"Id": "a generated a0S id per row", "IsDeleted": "false"},
)
LEAD = SfObject(
    "Lead",
    "salesforce__lead",
    {
        "lead_id": "Id",
        "created_date": "CreatedDate",
        "lead_source": "LeadSource",
        "campaign_id": "Primary_Campaign__c",  # Lead has no standard campaign field
        "status": "Status",
        "is_converted": "IsConverted",
        "converted_date": "ConvertedDate",
        "converted_account_id": "ConvertedAccountId",
        "converted_opportunity_id": "ConvertedOpportunityId",
    },
    extra={"IsDeleted": "false"},
)
NPS_RESPONSE = SfObject(
    "NPS_Response__c",
    "survey__nps_response",
    {
        "response_id": "Id",
        "account_id": "Account__c",
        "response_date": "Response_Date__c",
        "score": "Score__c",
        "comment": "Comment__c",
    },
    extra={"IsDeleted": "false"},
)

SF_OBJECTS: dict[str, SfObject] = {
    o.table: o
    for o in (
        ACCOUNT,
        CONTACT,
        OPPORTUNITY,
        OPPORTUNITY_HISTORY,
        USER,
        CASE,
        CAMPAIGN,
        CAMPAIGN_SPEND,
        LEAD,
        NPS_RESPONSE,
    )
}
BY_OBJECT: dict[str, SfObject] = {o.name: o for o in SF_OBJECTS.values()}

ID_FIELDS = frozenset(
    {
        "Id",
        "AccountId",
        "OwnerId",
        "CampaignId",
        "OpportunityId",
        "ManagerId",
        "ConvertedAccountId",
        "ConvertedOpportunityId",
        "Account__c",
        "Campaign__c",
        "Primary_Campaign__c",
    }
)
DATETIME_FIELDS = frozenset({"CreatedDate", "ClosedDate"})  # every other date field is a date
VALUE_MAPS = {  # (object, field) → canonical value → export value
    ("OpportunityHistory", "ForecastCategory"): {"Best Case": "BestCase", "Commit": "Forecast"},
}
GENERATED_ID_PREFIX = {"OpportunityHistory": "008", "Campaign_Spend__c": "a0S"}


def id18(ids: np.ndarray) -> np.ndarray:
    """18-character forms of 15-character Salesforce ids (other values unchanged): each
    5-character block adds one suffix character whose bits say which of its characters are
    upper-case letters."""
    values = np.asarray(ids, dtype=object)
    out = values.copy()
    fifteen = np.fromiter(
        (isinstance(v, str) and len(v) == 15 for v in values), dtype=bool, count=len(values)
    )
    if not fifteen.any():
        return out
    text = np.array(values[fifteen].tolist(), dtype="U15")
    codes = text.view(np.uint32).reshape(len(text), 3, 5)
    upper = (codes >= ord("A")) & (codes <= ord("Z"))
    flags = (upper * (1 << np.arange(5))).sum(axis=2)
    alphabet = np.frombuffer(ID_SUFFIX_ALPHABET.encode("utf-32-le"), dtype=np.uint32)
    suffix = np.ascontiguousarray(alphabet[flags]).view("U3").ravel()
    out[fifteen] = np.char.add(text, suffix).astype(object)
    return out
