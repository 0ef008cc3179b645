"""SLA: per segment and SLA version in force at the MQL (def_handoff_sla) - first touch within
the documented hours (and the documented share of MQLs that must make it, var
leading_indicators.sla_compliance_target), the attempts before a recycle, the fields required
at handoff."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites import Rule, in_force, meta, segment_names, window
from revops.definitions import Definitions


def rules(definitions: Definitions) -> list[Rule]:
    """Return the SLA rules, checked on marts.fct_handoffs."""
    names = segment_names(definitions)
    target = definitions.settings.leading_indicators.sla_compliance_target
    built = []
    for sla in definitions.handoff_sla:
        segment = names.get(sla.segment_code, sla.segment_code)
        scope = (f"segment_code = '{sla.segment_code}' and "
                 + in_force("mql_at", sla.effective_from, sla.effective_to))
        seconds = round(sla.hours_to_first_touch * 3600)
        late = f"(first_touch_at is null or first_touch_at > mql_at + interval '{seconds} seconds')"
        version = f"{sla.segment_code}__{sla.version}"
        in_force_text = window(sla.effective_from, sla.effective_to)
        hours = f"{sla.hours_to_first_touch:g}"

        sentence = (f"{segment} SLA {sla.version} ({in_force_text}): sales makes first contact "
                    f"within {hours} hours of the MQL.")
        built.append(Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select handoff_id as record_id, lead_id, mql_at, first_touch_at
                from {{batch}}
                where {scope} and {late}
            """,
            description=sentence,
            meta=meta(f"sla_first_touch__{version}", "SLA", "warn", sentence,
                      kind="mql_not_touched_within_sla", mostly=target,
                      scope_sql=f"select count(*) from {{batch}} where {scope}"),
        )))

        sentence = (f"{segment} SLA {sla.version}: at least {target:.0%} of MQLs are first "
                    f"touched within {hours} hours (leading_indicators.sla_compliance_target).")
        built.append(Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select '{sla.segment_code} {sla.version}' as record_id,
                    count(*) as mql_count,
                    avg(case when {late} then 0.0 else 1.0 end) as share_within_sla
                from {{batch}}
                where {scope}
                having count(*) > 0 and avg(case when {late} then 0.0 else 1.0 end) < {target}
            """,
            description=sentence,
            meta=meta(f"sla_compliance_share__{version}", "SLA", "warn", sentence,
                      scope_sql=f"select least(count(*), 1) from {{batch}} where {scope}"),
        )))

        sentence = (f"{segment} SLA {sla.version}: an MQL is recycled only after "
                    f"{sla.attempts_before_recycle} attempts.")
        built.append(Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select handoff_id as record_id, lead_id, attempt_count
                from {{batch}}
                where {scope} and outcome = 'recycled'
                    and coalesce(attempt_count, 0) < {sla.attempts_before_recycle}
            """,
            description=sentence,
            meta=meta(f"sla_attempts_before_recycle__{version}", "SLA", "warn", sentence,
                      scope_sql=(f"select count(*) from {{batch}} "
                                 f"where {scope} and outcome = 'recycled'")),
        ), requires_columns=("attempt_count", "outcome")))

        if sla.required_fields:
            fields = ", ".join(sla.required_fields)
            sentence = (f"{segment} SLA {sla.version}: {fields} are filled at handoff.")
            built.append(Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=f"""
                    select handoff_id as record_id, lead_id, missing_required_fields
                    from {{batch}}
                    where {scope} and has_required_fields = false
                """,
                description=sentence,
                meta=meta(f"sla_required_fields__{version}", "SLA", "warn", sentence,
                          scope_sql=f"select count(*) from {{batch}} where {scope}"),
            ), requires_columns=("has_required_fields", "missing_required_fields")))
    return built
