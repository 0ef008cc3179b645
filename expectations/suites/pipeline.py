"""Pipeline: every opportunity has a primary contact and a source; the marts' pipeline is the
CRM's pipeline (one number from one source); attribution credits of an opportunity sum to 1."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites import Rule, meta, sql_list
from revops.definitions import Definitions

# Money is compared to the cent: amounts are converted per row and summed unrounded.
_CENT = 0.005


def rules(definitions: Definitions) -> list[Rule]:
    """Return the pipeline rules on marts.fct_opportunities and marts.fct_attribution."""
    everything = "select count(*) from {batch}"
    sources = sorted(definitions.lead_sources)
    return [
        Rule("marts", "fct_opportunities", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select opportunity_id as record_id, account_id
                from {batch}
                where not has_primary_contact
            """,
            description="Every opportunity has a primary contact.",
            meta=meta("opportunity_has_primary_contact", "pipeline", "warn",
                      "Every opportunity names one primary contact in its buying group.",
                      kind="opportunity_without_primary_contact", scope_sql=everything),
        )),
        Rule("marts", "fct_opportunities", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select opportunity_id as record_id, lead_source, sourced_by
                from {{batch}}
                where lead_source is null or lead_source not in ({sql_list(sources)})
                    or sourced_by is null
            """,
            description="Every opportunity has a documented source.",
            meta=meta("opportunity_has_source", "pipeline", "warn",
                      "Every opportunity has a lead source of the documented list "
                      f"({', '.join(sources)}) and so a sourced-by team.",
                      scope_sql=everything),
        )),
        Rule("marts", "fct_opportunities", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select 'pipeline' as record_id,
                    marts.opportunity_count as marts_opportunity_count,
                    crm.opportunity_count as crm_opportunity_count,
                    marts.amount as marts_amount, crm.amount as crm_amount
                from (
                    select count(*) as opportunity_count, coalesce(sum(amount), 0) as amount
                    -- GX leaves the batch unaliased in a query with a join; PostgreSQL 15
                    -- requires an alias on every subquery in FROM.
                    from {{batch}} as opportunities
                ) as marts
                cross join (
                    select count(*) as opportunity_count, coalesce(sum(amount), 0) as amount
                    from raw.crm_opportunity
                    where not is_deleted
                ) as crm
                where marts.opportunity_count != crm.opportunity_count
                    or abs(marts.amount - crm.amount) > {_CENT}
            """,
            description="The marts' pipeline equals the CRM's pipeline.",
            meta=meta("pipeline_equals_crm", "pipeline", "block",
                      "Marketing and sales cite one pipeline number from one source: the marts "
                      "hold every live CRM opportunity, with the same total amount.",
                      scope_sql="select 1"),
        ), requires_columns=("amount",)),
        Rule("marts", "fct_attribution", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select opportunity_id || ' ' || attribution_model as record_id,
                    sum(attribution_credit) as credit_sum
                from {batch}
                group by opportunity_id, attribution_model
                having abs(sum(attribution_credit) - 1) > 1e-6
            """,
            description="Attribution credits of an opportunity sum to 1 in every model.",
            meta=meta("attribution_credits_sum_to_one", "pipeline", "block",
                      f"Every attribution model (in force: "
                      f"{definitions.settings.attribution.model_in_force}) gives each "
                      "opportunity credits that sum to 1.",
                      scope_sql=("select count(*) from (select distinct opportunity_id, "
                                 "attribution_model from {batch}) as pairs")),
        ), requires_columns=("opportunity_id", "attribution_model", "attribution_credit")),
    ]
