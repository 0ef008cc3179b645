"""Routing: every lead, MQL and SAL has an owner; ABM accounts go to the account owner
(def_routing_rules)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites import Rule, meta, segment_names
from revops.definitions import Definitions


def rules(definitions: Definitions) -> list[Rule]:
    """Return the routing rules on raw.crm_lead, marts.fct_handoffs and marts.fct_lead_lifecycle."""
    names = segment_names(definitions)
    by_segment = "; ".join(
        f"{names.get(rule.segment_code, rule.segment_code)}: {rule.rule.replace('_', ' ')}"
        for rule in definitions.routing_rules
    )
    abm = next((rule for rule in definitions.routing_rules if rule.rule == "account_owner"), None)
    built = [
        Rule("raw", "crm_lead", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select id as record_id, status, created_date
                from {batch}
                where not is_deleted and coalesce(owner_id, '') = ''
            """,
            description="Every lead has an owner.",
            meta=meta("lead_has_owner", "routing", "warn",
                      f"Every lead is routed to an owner by the rule of its segment ({by_segment}).",
                      kind="lead_without_owner",
                      scope_sql="select count(*) from {batch} where not is_deleted"),
        )),
        Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select handoff_id as record_id, lead_id, mql_at
                from {batch}
                where not has_owner
            """,
            description="Every MQL has an owner.",
            meta=meta("mql_has_owner", "routing", "warn",
                      "Every MQL has an owner when the SLA is judged: an MQL nobody owns is a "
                      "'where did that lead go?' case.",
                      scope_sql="select count(*) from {batch}"),
        )),
        Rule("marts", "fct_lead_lifecycle", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select person_id as record_id, sal_at
                from {batch}
                where sal_at is not null and owner_user_id is null
            """,
            description="Every SAL has an owner.",
            meta=meta("sal_has_owner", "routing", "warn",
                      "Every sales-accepted lead has an owner.",
                      scope_sql="select count(*) from {batch} where sal_at is not null"),
        )),
    ]
    if abm is not None:
        built.append(Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select handoff_id as record_id, lead_id, owner_user_id
                from {batch}
                where is_abm_account and has_owner and not is_routed_to_account_owner
            """,
            description=abm.definition,
            meta=meta("abm_routed_to_account_owner", "routing", "warn", abm.definition,
                      scope_sql="select count(*) from {batch} where is_abm_account and has_owner"),
        ), requires_columns=("is_abm_account", "is_routed_to_account_owner")))
    return built
