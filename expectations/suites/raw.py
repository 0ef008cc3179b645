"""Raw layer, on ingestion: keys unique and required fields present (block: every model
downstream joins on them), timestamps plausible (block), values in the documented picklists
(warn), and no lead entered twice (warn). Keys, required fields and types come from the
landing contract (revops/contract.py); picklists from the definitions seeds."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites import Rule, meta
from revops.contract import BY_TABLE, OBJECTS
from revops.definitions import Definitions

# Timestamps before this are typos or epoch defaults, not CRM history.
EARLIEST_PLAUSIBLE = "2000-01-01"


def _picklists(definitions: Definitions) -> list[tuple[str, str, list[str], str]]:
    """(table, column, documented values, sentence) for every raw column with a picklist."""
    statuses = sorted(definitions.lead_status_stage)
    sources = sorted(definitions.lead_sources)
    activity_types = sorted(activity.activity_type for activity in definitions.activity_types)
    currencies = sorted({rate.currency_iso_code for rate in definitions.currency_rates})
    return [
        ("crm_lead", "status", statuses,
         f"A lead's status is one of the documented statuses: {', '.join(statuses)}."),
        ("crm_lead", "lead_source", sources,
         f"A lead's source is one of the documented sources: {', '.join(sources)}."),
        ("crm_contact", "lead_source", sources,
         f"A contact's source is one of the documented sources: {', '.join(sources)}."),
        ("crm_opportunity", "lead_source", sources,
         f"An opportunity's source is one of the documented sources: {', '.join(sources)}."),
        ("crm_opportunity", "currency_iso_code", currencies,
         f"An opportunity's currency has documented rates: {', '.join(currencies)}."),
        ("map_activity", "activity_type", activity_types,
         f"A MAP activity is one of the documented types: {', '.join(activity_types)}."),
    ]


def rules(definitions: Definitions) -> list[Rule]:
    """Return the raw-layer rules, one set per raw table of the landing contract."""
    built: list[Rule] = []
    for spec in OBJECTS:
        key = spec.primary_key
        everything = "select count(*) from {batch}"
        built.append(Rule("raw", spec.table, gxe.ExpectColumnValuesToBeUnique(
            column=key,
            description=f"{spec.table}.{key} is unique.",
            meta=meta(f"raw_key_unique__{spec.table}", "raw", "block",
                      f"Each {spec.table} record is loaded once: {key} is unique.",
                      scope_sql=everything),
        ), id_column=key))
        for column in spec.required:
            built.append(Rule("raw", spec.table, gxe.ExpectColumnValuesToNotBeNull(
                column=column,
                description=f"{spec.table}.{column} is present.",
                meta=meta(f"raw_required__{spec.table}__{column}", "raw", "block",
                          f"The landing contract requires {column} on every {spec.table} record.",
                          scope_sql=everything),
            ), id_column=key))
        timestamps = [name for name, kind in spec.columns.items() if kind == "timestamp"]
        if timestamps:
            implausible = " or ".join(
                f"{name} < timestamp '{EARLIEST_PLAUSIBLE}' "
                f"or {name} > (now() at time zone 'UTC')"
                for name in timestamps
            )
            sentence = (f"{spec.table} timestamps ({', '.join(timestamps)}) are plausible: "
                        f"not before {EARLIEST_PLAUSIBLE[:4]} and not in the future.")
            built.append(Rule("raw", spec.table, gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=f"select {key} as record_id from {{batch}} where {implausible}",
                description=sentence,
                meta=meta(f"raw_timestamps_plausible__{spec.table}", "raw", "block", sentence,
                          scope_sql=everything),
            )))
    for table, column, values, sentence in _picklists(definitions):
        built.append(Rule("raw", table, gxe.ExpectColumnValuesToBeInSet(
            column=column,
            value_set=values,
            description=sentence,
            meta=meta(f"raw_picklist__{table}__{column}", "raw", "warn", sentence,
                      scope_sql=f"select count({column}) from {{batch}}"),
        ), id_column=BY_TABLE[table].primary_key))
    built.append(Rule("raw", "crm_lead", gxe.UnexpectedRowsExpectation(
        unexpected_rows_query="""
            select later_leads.id as record_id, later_leads.created_date
            from (select * from {batch}) as later_leads
            where not later_leads.is_deleted
                and coalesce(trim(later_leads.email), '') != ''
                and exists (
                    select 1 from (select * from {batch}) as earlier_leads
                    where not earlier_leads.is_deleted
                        and lower(trim(earlier_leads.email)) = lower(trim(later_leads.email))
                        and earlier_leads.created_date < later_leads.created_date
                )
        """,
        description="A person is entered once: no lead repeats an earlier lead's e-mail.",
        meta=meta("lead_not_duplicated", "raw", "warn",
                  "A person is entered once: no lead repeats the e-mail address (ignoring case "
                  "and spaces) of an earlier lead.",
                  kind="duplicate_leads",
                  scope_sql="select count(*) from {batch} where not is_deleted"),
    )))
    return built
