"""Lifecycle: stage timestamps never run backwards, and stages are skipped only where the
definitions allow it (def_lifecycle_stages)."""

from __future__ import annotations

from itertools import pairwise

import great_expectations.expectations as gxe

from expectations.suites import Rule, meta
from revops.definitions import Definitions

# The deviation kind the generator plants for one pair of stages (its MQL row arrives after
# the SAL row); the other pairs are checked with no planted counterpart.
_KIND_OF_PAIR = {("mql", "sal"): "stage_timestamps_out_of_order"}


def rules(definitions: Definitions) -> list[Rule]:
    """Return the lifecycle rules, checked per lead on marts.fct_lifecycle_events."""
    # Consecutive non-exit stages after 'lead' (a lead's first MAP activity can predate its
    # CRM record, so 'lead' has no reliable entry time to order against).
    ordered = [stage for stage in definitions.stages if not stage.is_exit and stage.code != "lead"]
    built = []
    for earlier, later in pairwise(ordered):
        sentence = (f"Time never runs backwards: within a lifecycle cycle a lead enters "
                    f"{later.name} ({later.code}) no earlier than {earlier.name} ({earlier.code}).")
        # Per lifecycle cycle: a boomerang's second MQL and SAL come after its first SQL.
        firsts = f"""
            select lead_id, cycle_number,
                min(entered_at) filter (where stage_code = '{earlier.code}') as earlier_at,
                min(entered_at) filter (where stage_code = '{later.code}') as later_at
            from {{batch}}
            where lead_id is not null
            group by lead_id, cycle_number
        """
        built.append(Rule("marts", "fct_lifecycle_events", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select lead_id as record_id, min(earlier_at) as earlier_at,
                    min(later_at) as later_at
                from ({firsts}) as stage_entries
                where later_at < earlier_at
                group by lead_id
            """,
            description=sentence,
            meta=meta(f"stage_order__{earlier.code}_before_{later.code}", "lifecycle", "warn",
                      sentence, kind=_KIND_OF_PAIR.get((earlier.code, later.code)),
                      scope_sql=(f"select count(distinct lead_id) from ({firsts}) as stage_entries "
                                 f"where earlier_at is not null and later_at is not null")),
        )))
    rejected = next((stage for stage in definitions.stages if stage.code == "rejected"), None)
    if rejected is not None:
        sentence = (f"Skipped stages are only the allowed ones: {rejected.definition} A lead is "
                    f"never rejected without having been an MQL or a SAL first.")
        built.append(Rule("marts", "fct_lifecycle_events", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select rejections.lifecycle_event_id as record_id, rejections.lead_id
                from (select * from {batch}) as rejections
                where rejections.stage_code = 'rejected'
                    and not exists (
                        select 1 from (select * from {batch}) as earlier_stages
                        where earlier_stages.lead_id = rejections.lead_id
                            and earlier_stages.stage_code in ('mql', 'sal')
                            and earlier_stages.entered_at <= rejections.entered_at
                    )
            """,
            description=sentence,
            meta=meta("rejection_follows_mql_or_sal", "lifecycle", "warn", sentence,
                      scope_sql="select count(*) from {batch} where stage_code = 'rejected'"),
        )))
    return built
