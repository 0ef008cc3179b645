"""MQL: every MQL met the documented criteria of its segment, in the version in force on the
day it became an MQL (def_mql_criteria), one expectation per segment and version."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites import Rule, in_force, meta, segment_names, window
from revops.definitions import Definitions


def rules(definitions: Definitions) -> list[Rule]:
    """Return one rule per def_mql_criteria row, checked on marts.fct_handoffs."""
    names = segment_names(definitions)
    built = []
    for criteria in definitions.mql_criteria:
        scope = (f"segment_code = '{criteria.segment_code}' and "
                 + in_force("mql_at", criteria.effective_from, criteria.effective_to))
        breaches = [f"coalesce(score_at_mql, 0) < {criteria.min_score}"]
        if criteria.requires_qualifying_action:
            breaches.append("not coalesce(has_qualifying_action, false)")
        query = f"""
            select handoff_id as record_id, lead_id, mql_at, score_at_mql, has_qualifying_action
            from {{batch}}
            where {scope}
                and ({' or '.join(breaches)})
        """
        name = f"mql_criteria_met__{criteria.segment_code}__{criteria.version}"
        sentence = (f"{names.get(criteria.segment_code, criteria.segment_code)} MQL criteria "
                    f"{criteria.version} ({window(criteria.effective_from, criteria.effective_to)}): "
                    f"{criteria.definition}")
        built.append(Rule("marts", "fct_handoffs", gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=query,
            description=sentence,
            meta=meta(name, "MQL", "warn", sentence, kind="mql_criteria_not_met",
                      scope_sql=f"select count(*) from {{batch}} where {scope}"),
        ), requires_columns=("score_at_mql", "has_qualifying_action", "segment_code", "mql_at")))
    return built
