"""ICP: accounts are placed in the segment whose employee band holds them (def_segments), and
every MQL is judged in a known segment."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites import Rule, meta, sql_list
from revops.definitions import Definitions


def rules(definitions: Definitions) -> list[Rule]:
    """Return one rule per segment on marts.dim_accounts, and the MQL segment rule."""
    built = []
    for segment in definitions.segments:
        band = f"employee_count >= {segment.min_employees}"
        if segment.max_employees is not None:
            band += f" and employee_count <= {segment.max_employees}"
        sentence = f"{segment.name or segment.code}: {segment.definition}"
        built.append(Rule("marts", "dim_accounts", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select account_id as record_id, employee_count, segment_code
                from {{batch}}
                where ({band}) and coalesce(segment_code, '') != '{segment.code}'
            """,
            description=sentence,
            meta=meta(f"account_segment__{segment.code}", "ICP", "warn", sentence,
                      scope_sql=f"select count(*) from {{batch}} where {band}"),
        ), requires_columns=("employee_count", "segment_code")))
    codes = ", ".join(segment.code for segment in definitions.segments)
    sentence = f"Every MQL is judged by the criteria of one segment ({codes})."
    built.append(Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=f"""
            select handoff_id as record_id, lead_id, segment_code
            from {{batch}}
            where segment_code is null
                or segment_code not in ({sql_list(segment.code for segment in definitions.segments)})
        """,
        description=sentence,
        meta=meta("mql_in_known_segment", "ICP", "warn", sentence,
                  scope_sql="select count(*) from {batch}"),
    )))
    return built
