"""The landing contract: which export files we accept and what every raw table holds.

One place answers "what does a Lead export look like?" for the generator, the ingestion,
the dbt sources and the docs (docs/landing-contract.md is written from the same facts).

Column names here are canonical: the snake_case form that managed connectors land
(`account_id`, `system_modstamp`). Salesforce-export headers (`AccountId`, `SystemModstamp`)
are mapped onto them with dlt's snake_case naming convention, so both spellings load into
the same column. Columns not listed are custom or unknown fields: they are kept as text.
"""

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "bigint", "double", "boolean", "timestamp", "date"]

# Accepted file formats, by file-name ending. Parquet keeps its own types; CSV (plain or
# gzip'd) is read as text and cast to the types below.
FILE_PATTERNS: tuple[str, ...] = ("*.csv", "*.csv.gz", "*.parquet")


@dataclass(frozen=True)
class ObjectSpec:
    """One exported object: where its files land and the raw table it loads into."""

    system: Literal["crm", "map"]
    folder: str  # folder under landing/<system>/, named as the exporting tool names the object
    table: str  # raw table name in schema `raw`
    primary_key: str
    # Column whose latest value wins when the same record arrives twice
    # (Salesforce's SystemModstamp changes on every write, including system writes).
    version_column: str
    columns: dict[str, ColumnType]
    required: tuple[str, ...] = field(default=())
    description: str = ""

    @property
    def landing_path(self) -> str:
        return f"{self.system}/{self.folder}"


# Audit columns every Salesforce object carries.
_SF_AUDIT: dict[str, ColumnType] = {
    "created_date": "timestamp",
    "last_modified_date": "timestamp",
    "system_modstamp": "timestamp",
    "is_deleted": "boolean",
}
_SF_REQUIRED = ("id", "system_modstamp")


def _sf(folder: str, table: str, description: str, columns: dict[str, ColumnType],
        required: tuple[str, ...] = ()) -> ObjectSpec:
    return ObjectSpec(
        system="crm",
        folder=folder,
        table=table,
        primary_key="id",
        version_column="system_modstamp",
        columns={"id": "text", **columns, **_SF_AUDIT},
        required=_SF_REQUIRED + required,
        description=description,
    )


OBJECTS: tuple[ObjectSpec, ...] = (
    _sf("Account", "crm_account", "Salesforce Account: companies, prospects and customers.", {
        "name": "text",
        "website": "text",
        "industry": "text",
        "number_of_employees": "bigint",
        "annual_revenue": "double",
        "billing_country": "text",
        "billing_state": "text",
        "type": "text",
        "owner_id": "text",
        "abm_target_c": "boolean",
    }),
    _sf("Contact", "crm_contact", "Salesforce Contact: people at accounts.", {
        "account_id": "text",
        "first_name": "text",
        "last_name": "text",
        "email": "text",
        "phone": "text",
        "title": "text",
        "lead_source": "text",
        "mailing_country": "text",
        "owner_id": "text",
    }),
    _sf("Lead", "crm_lead", "Salesforce Lead: people not yet converted to a contact.", {
        "first_name": "text",
        "last_name": "text",
        "email": "text",
        "phone": "text",
        "company": "text",
        "website": "text",
        "title": "text",
        "industry": "text",
        "number_of_employees": "bigint",
        "country": "text",
        "lead_source": "text",
        "status": "text",
        "owner_id": "text",
        "is_converted": "boolean",
        "converted_date": "date",
        "converted_account_id": "text",
        "converted_contact_id": "text",
        "converted_opportunity_id": "text",
        "rejection_reason_c": "text",
        "mql_date_c": "timestamp",
    }, required=("created_date",)),
    _sf("LeadHistory", "crm_lead_history",
        "Salesforce LeadHistory: one row per change of a tracked lead field (Status, Owner).", {
            "lead_id": "text",
            "field": "text",
            "old_value": "text",
            "new_value": "text",
            "created_by_id": "text",
        }, required=("lead_id", "field", "created_date")),
    _sf("Opportunity", "crm_opportunity", "Salesforce Opportunity: the CRM pipeline.", {
        "account_id": "text",
        "name": "text",
        "stage_name": "text",
        "amount": "double",
        "currency_iso_code": "text",
        "close_date": "date",
        "is_closed": "boolean",
        "is_won": "boolean",
        "probability": "double",
        "forecast_category_name": "text",
        "lead_source": "text",
        "type": "text",
        "owner_id": "text",
        "campaign_id": "text",
    }, required=("created_date",)),
    _sf("OpportunityHistory", "crm_opportunity_history",
        "Salesforce OpportunityHistory: one row per stage, amount or close-date change.", {
            "opportunity_id": "text",
            "stage_name": "text",
            "amount": "double",
            "close_date": "date",
            "probability": "double",
            "forecast_category": "text",
            "created_by_id": "text",
        }, required=("opportunity_id", "created_date")),
    _sf("OpportunityContactRole", "crm_opportunity_contact_role",
        "Salesforce OpportunityContactRole: the buying group of an opportunity.", {
            "opportunity_id": "text",
            "contact_id": "text",
            "role": "text",
            "is_primary": "boolean",
        }, required=("opportunity_id", "contact_id")),
    _sf("User", "crm_user", "Salesforce User: reps, managers and marketers.", {
        "name": "text",
        "first_name": "text",
        "last_name": "text",
        "email": "text",
        "title": "text",
        "department": "text",
        "user_role_name": "text",
        "manager_id": "text",
        "is_active": "boolean",
    }),
    _sf("Task", "crm_task", "Salesforce Task: calls, emails and meetings logged by sales.", {
        "who_id": "text",
        "what_id": "text",
        "owner_id": "text",
        "subject": "text",
        "type": "text",
        "task_subtype": "text",
        "status": "text",
        "activity_date": "date",
        "completed_date_time": "timestamp",
    }),
    _sf("Campaign", "crm_campaign", "Salesforce Campaign.", {
        "name": "text",
        "type": "text",
        "status": "text",
        "start_date": "date",
        "end_date": "date",
        "budgeted_cost": "double",
        "actual_cost": "double",
        "is_active": "boolean",
        "parent_id": "text",
    }),
    _sf("CampaignMember", "crm_campaign_member",
        "Salesforce CampaignMember: a lead or contact's membership of a campaign.", {
            "campaign_id": "text",
            "lead_id": "text",
            "contact_id": "text",
            "status": "text",
            "has_responded": "boolean",
            "first_responded_date": "date",
        }, required=("campaign_id",)),
    ObjectSpec(
        system="map",
        folder="programs",
        table="map_program",
        primary_key="program_id",
        version_column="updated_at",
        description="Marketing automation programs (campaigns) with their channel and UTM tags.",
        columns={
            "program_id": "text",
            "program_name": "text",
            "program_type": "text",
            "channel": "text",
            "utm_source": "text",
            "utm_medium": "text",
            "utm_campaign": "text",
            "crm_campaign_id": "text",
            "created_at": "timestamp",
            "updated_at": "timestamp",
        },
        required=("program_id", "updated_at"),
    ),
    ObjectSpec(
        system="map",
        folder="activities",
        table="map_activity",
        primary_key="activity_id",
        version_column="updated_at",
        description="Marketing automation activity log: one row per tracked action of a person.",
        columns={
            "activity_id": "text",
            "activity_type": "text",
            "activity_at": "timestamp",
            "map_person_id": "text",
            "email": "text",
            "crm_lead_id": "text",
            "crm_contact_id": "text",
            "crm_account_id": "text",
            "program_id": "text",
            "utm_source": "text",
            "utm_medium": "text",
            "utm_campaign": "text",
            "updated_at": "timestamp",
        },
        required=("activity_id", "activity_type", "activity_at", "updated_at"),
    ),
    ObjectSpec(
        system="map",
        folder="score_changes",
        table="map_score_change",
        primary_key="score_change_id",
        version_column="updated_at",
        description="Lead score changes from the marketing automation platform.",
        columns={
            "score_change_id": "text",
            "map_person_id": "text",
            "email": "text",
            "crm_lead_id": "text",
            "changed_at": "timestamp",
            "score_before": "bigint",
            "score_after": "bigint",
            "change_reason": "text",
            "updated_at": "timestamp",
        },
        required=("score_change_id", "changed_at", "score_after", "updated_at"),
    ),
)

BY_TABLE: dict[str, ObjectSpec] = {spec.table: spec for spec in OBJECTS}


def spec_for(table: str) -> ObjectSpec:
    """Return the spec of a raw table, or raise naming the tables that exist."""
    try:
        return BY_TABLE[table]
    except KeyError:
        raise KeyError(f"unknown raw table {table!r}; known: {', '.join(BY_TABLE)}") from None
