"""Rejections: every rejection carries a code of the taxonomy (def_rejection_reasons), and the
share with no valid code stays under the warning line (var
leading_indicators.unknown_rejection_reason_share, 30%)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites import Rule, meta, segment_names, sql_list
from revops.definitions import Definitions


def rules(definitions: Definitions) -> list[Rule]:
    """Return the rejection rules, checked on marts.fct_rejections."""
    codes = definitions.rejection_reasons
    stage = {stage.code: stage for stage in definitions.stages}.get("rejected")
    rejected_sentence = stage.definition if stage else "A rejection carries a reason code."
    line = definitions.settings.leading_indicators.unknown_rejection_reason_share
    everything = "select count(*) from {batch}"
    built = [
        Rule("marts", "fct_rejections", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="""
                select rejection_id as record_id, lead_id, segment_code
                from {batch}
                where rejection_reason is null
            """,
            description=rejected_sentence,
            meta=meta("rejection_has_reason", "rejections", "warn",
                      f"{rejected_sentence} (a rejection without a reason is a defect)",
                      kind="rejection_without_reason", scope_sql=everything),
        )),
        Rule("marts", "fct_rejections", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select rejection_id as record_id, lead_id, rejection_reason
                from {{batch}}
                where rejection_reason is not null and rejection_reason not in ({sql_list(codes)})
            """,
            description="Every rejection reason is a code of the taxonomy.",
            meta=meta("rejection_reason_in_taxonomy", "rejections", "warn",
                      f"A rejection reason is one of the {len(codes)} codes of the taxonomy: "
                      f"{', '.join(codes)}.",
                      kind="rejection_reason_outside_taxonomy", scope_sql=everything),
        )),
    ]
    names = segment_names(definitions)
    for segment in definitions.segments:
        sentence = (f"{names[segment.code]}: fewer than {line:.0%} of rejections have no valid "
                    f"reason code (leading_indicators.unknown_rejection_reason_share).")
        invalid = f"(rejection_reason is null or rejection_reason not in ({sql_list(codes)}))"
        built.append(Rule("marts", "fct_rejections", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=f"""
                select '{segment.code}' as record_id,
                    count(*) as rejection_count,
                    avg(case when {invalid} then 1.0 else 0.0 end) as unknown_share
                from {{batch}}
                where segment_code = '{segment.code}'
                having count(*) > 0 and avg(case when {invalid} then 1.0 else 0.0 end) >= {line}
            """,
            description=sentence,
            meta=meta(f"rejection_unknown_share__{segment.code}", "rejections", "warn", sentence,
                      scope_sql=(f"select least(count(*), 1) from {{batch}} "
                                 f"where segment_code = '{segment.code}'")),
        )))
    return built
