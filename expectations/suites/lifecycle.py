"""Lifecycle: stage timestamps never run backwards, and stages are skipped only where the
definitions allow it (def_lifecycle_stages)."""

from __future__ import annotations

from itertools import pairwise

import great_expectations.expectations as gxe

from expectations.suites import Rule, meta, sql_list, sql_text
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
    built.append(_allowed_skips_rule(definitions))
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


def _allowed_skips_rule(definitions: Definitions) -> Rule:
    """A forward stage entered more than one step after the furthest stage reached before it
    (fct_lifecycle_events.skipped_stage_count > 0) must be a pair of def_allowed_stage_skips.
    Stage codes and pairs are written into the SQL as quoted literals."""
    forward = [stage for stage in definitions.stages if not stage.is_exit]
    allowed = [f"{skip.from_stage}>{skip.to_stage}" for skip in definitions.allowed_stage_skips]
    from_stage = "case stage_order - skipped_stage_count - 1 " + " ".join(
        f"when {int(stage.order)} then {sql_text(stage.code)}" for stage in forward) + " end"
    listed = "; ".join(f"{skip.from_stage} to {skip.to_stage} ({skip.definition.rstrip('.')})"
                       for skip in definitions.allowed_stage_skips) or "none"
    sentence = f"Skipped stages are only the allowed ones: {listed}."
    skips = f"""
        select lifecycle_event_id, lead_id, stage_code, {from_stage} as from_stage
        from {{batch}}
        where skipped_stage_count > 0
    """
    allowed_sql = sql_list(allowed) if allowed else "''"
    return Rule("marts", "fct_lifecycle_events", gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=f"""
            select lifecycle_event_id as record_id, lead_id, from_stage, stage_code as to_stage
            from ({skips}) as skipped
            where coalesce(from_stage, '?') || '>' || stage_code not in ({allowed_sql})
        """,
        description=sentence,
        meta=meta("stage_skips_are_allowed", "lifecycle", "warn", sentence,
                  scope_sql=f"select count(*) from ({skips}) as skipped"),
    ))
