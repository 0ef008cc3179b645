"""How each object is exported: file format, header style and column order.

Two CRM header styles are produced on purpose, because the ingestion must accept both:
- "salesforce": a Data Loader / Bulk API export. API names as headers (`AccountId`,
  `MQL_Date__c`), timestamps `2024-01-22T20:36:47.000+0000`, plain `.csv`.
- "connector": what a managed connector (Fivetran-like) lands. snake_case headers equal to
  the canonical names, timestamps `2024-01-22 20:36:47`, an extra `_fivetran_synced`
  column, gzip'd `.csv.gz`.
MAP programs are a snake_case CSV; MAP activities and score changes are Parquet.
Every header normalises to its canonical column with dlt's snake_case naming convention.
"""

from dataclasses import dataclass
from typing import Literal

from revops.contract import OBJECTS, ObjectSpec

Style = Literal["salesforce", "connector", "map"]
FileFormat = Literal["csv", "csv.gz", "parquet"]

# Salesforce API names of the canonical columns (the names a Data Loader export uses).
SALESFORCE_NAMES: dict[str, str] = {
    "id": "Id",
    "name": "Name",
    "website": "Website",
    "industry": "Industry",
    "number_of_employees": "NumberOfEmployees",
    "annual_revenue": "AnnualRevenue",
    "billing_country": "BillingCountry",
    "billing_state": "BillingState",
    "type": "Type",
    "owner_id": "OwnerId",
    "abm_target_c": "ABM_Target__c",
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "title": "Title",
    "country": "Country",
    "lead_source": "LeadSource",
    "status": "Status",
    "is_converted": "IsConverted",
    "converted_date": "ConvertedDate",
    "converted_account_id": "ConvertedAccountId",
    "converted_contact_id": "ConvertedContactId",
    "converted_opportunity_id": "ConvertedOpportunityId",
    "rejection_reason_c": "Rejection_Reason__c",
    "mql_date_c": "MQL_Date__c",
    "lead_id": "LeadId",
    "field": "Field",
    "old_value": "OldValue",
    "new_value": "NewValue",
    "created_by_id": "CreatedById",
    "account_id": "AccountId",
    "stage_name": "StageName",
    "amount": "Amount",
    "currency_iso_code": "CurrencyIsoCode",
    "close_date": "CloseDate",
    "is_closed": "IsClosed",
    "is_won": "IsWon",
    "probability": "Probability",
    "forecast_category_name": "ForecastCategoryName",
    "forecast_category": "ForecastCategory",
    "campaign_id": "CampaignId",
    "opportunity_id": "OpportunityId",
    "department": "Department",
    # A Data Loader export of the role relationship would be `UserRole.Name`; the flat API
    # style is used so no header carries a dot (both normalise to user_role_name).
    "user_role_name": "UserRoleName",
    "manager_id": "ManagerId",
    "is_active": "IsActive",
    "start_date": "StartDate",
    "end_date": "EndDate",
    "budgeted_cost": "BudgetedCost",
    "actual_cost": "ActualCost",
    "parent_id": "ParentId",
    "created_date": "CreatedDate",
    "last_modified_date": "LastModifiedDate",
    "system_modstamp": "SystemModstamp",
    "is_deleted": "IsDeleted",
}

# Columns a connector lands beyond the contract, by object folder. `preferred_language_c`
# is an unknown custom field: ingestion must keep it as text.
CONNECTOR_EXTRAS: dict[str, tuple[str, ...]] = {
    "Contact": ("preferred_language_c", "_fivetran_synced"),
    "Task": ("_fivetran_synced",),
    "CampaignMember": ("_fivetran_synced",),
    "OpportunityContactRole": ("_fivetran_synced",),
}

_SALESFORCE_STYLE = {
    "Account", "Lead", "LeadHistory", "Opportunity", "OpportunityHistory", "User", "Campaign",
}
_PARQUET = {"activities", "score_changes"}


@dataclass(frozen=True)
class FileLayout:
    """The export shape of one object: where, which format, which headers in which order."""

    spec: ObjectSpec
    style: Style
    file_format: FileFormat
    columns: tuple[str, ...]  # canonical names, in file order (contract columns, then extras)
    headers: tuple[str, ...]  # names as written in the file, same order

    @property
    def folder(self) -> str:
        return self.spec.folder

    def file_name(self, chunk: int) -> str:
        return f"{self.spec.folder}_{chunk:03d}.{self.file_format}"


def _layout(spec: ObjectSpec) -> FileLayout:
    contract_columns = tuple(spec.columns)
    if spec.system == "map":
        file_format: FileFormat = "parquet" if spec.folder in _PARQUET else "csv"
        return FileLayout(spec, "map", file_format, contract_columns, contract_columns)
    if spec.folder in _SALESFORCE_STYLE:
        headers = tuple(SALESFORCE_NAMES[column] for column in contract_columns)
        return FileLayout(spec, "salesforce", "csv", contract_columns, headers)
    columns = contract_columns + CONNECTOR_EXTRAS[spec.folder]
    return FileLayout(spec, "connector", "csv.gz", columns, columns)


LAYOUTS: dict[str, FileLayout] = {spec.folder: _layout(spec) for spec in OBJECTS}
