"""The deliberate deviations: their kinds, their exact predicates, and their evaluation.

The manifest's counts are not counts of injections: each predicate below is evaluated on the
records as written (the same values the files hold), so a deviation that also arises
naturally is counted too, and the data-quality layer can reproduce every number with SQL.
"""

from bisect import bisect_left, bisect_right

from revops.definitions import Definitions
from revops.generate.clock import DAY, HOUR, day_of

_MQL_EVENT = (
    "an MQL event is a non-deleted crm_lead_history row with field = 'Status' and new_value = "
    "'Marketing Qualified' whose lead is not deleted; the event time is its created_date, the "
    "lead's segment is the def_segments band holding the lead's number_of_employees, and a "
    "definition is in force on the event's UTC date when effective_from <= date and "
    "(effective_to is empty or date < effective_to)"
)

DEFINITIONS: dict[str, str] = {
    "mql_criteria_not_met": (
        "Count of MQL events where, under the def_mql_criteria row in force for the lead's "
        "segment on the event date, the score at the event time (score_after of the "
        "map_score_change with crm_lead_id = the lead's id and the latest changed_at <= the "
        "event time, 0 when there is none; changed_at is unique per lead) is below min_score, "
        "or requires_qualifying_action is true and no map_activity with crm_lead_id = the "
        "lead's id, an activity_type whose is_qualifying_action is true in def_activity_types "
        "and activity_at <= the event time exists; " + _MQL_EVENT + "."
    ),
    "rejection_without_reason": (
        "Count of non-deleted crm_lead rows with status = 'Rejected' and rejection_reason_c "
        "null or empty."
    ),
    "rejection_reason_outside_taxonomy": (
        "Count of non-deleted crm_lead rows with status = 'Rejected' and a non-empty "
        "rejection_reason_c that is not exactly (case-sensitive, untrimmed) one of the "
        "reason_code values of def_rejection_reasons."
    ),
    "lead_without_owner": (
        "Count of non-deleted crm_lead rows with owner_id null or empty."
    ),
    "stage_timestamps_out_of_order": (
        "Count of non-deleted crm_lead rows that have non-deleted crm_lead_history rows with "
        "field = 'Status' for both new_value = 'Sales Accepted' and new_value = 'Marketing "
        "Qualified', where the earliest 'Sales Accepted' created_date is strictly earlier "
        "than the earliest 'Marketing Qualified' created_date."
    ),
    "opportunity_without_primary_contact": (
        "Count of non-deleted crm_opportunity rows for which no non-deleted "
        "crm_opportunity_contact_role with the same opportunity_id has is_primary = true."
    ),
    "duplicate_leads": (
        "Count of non-deleted crm_lead rows with a non-empty email whose lower(trim(email)) "
        "(trim removes spaces) equals that of another non-deleted crm_lead row with a "
        "strictly earlier created_date; a pair counts 1, three copies count 2."
    ),
    "mql_not_touched_within_sla": (
        "Count of MQL events for which the earliest non-deleted crm_task with who_id = the "
        "lead's id, type in ('Call', 'Email') and completed_date_time >= the event time is "
        "missing or later than the event time plus hours_to_first_touch hours of the "
        "def_handoff_sla row in force for the lead's segment on the event date; "
        + _MQL_EVENT + "."
    ),
}

KINDS: tuple[str, ...] = tuple(DEFINITIONS)

MQL = "Marketing Qualified"
SAL = "Sales Accepted"
REJECTED = "Rejected"


class Tally:
    """Evaluates the predicates record by record and keeps the exact counts."""

    def __init__(self, definitions: Definitions):
        self.definitions = definitions
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._reasons = frozenset(definitions.rejection_reasons)
        self._rules: dict[tuple[str, int], tuple[int, bool, int]] = {}

    def _criteria(self, segment: str, at: int) -> tuple[int, bool, int]:
        """(min_score, requires_qualifying_action, SLA seconds) in force on the UTC date of `at`."""
        key = (segment, at // DAY)
        rules = self._rules.get(key)
        if rules is None:
            on = day_of(at)
            criteria = self.definitions.mql_criteria_on(segment, on)
            sla = self.definitions.sla_on(segment, on)
            rules = (criteria.min_score, criteria.requires_qualifying_action,
                     round(sla.hours_to_first_touch * HOUR))
            self._rules[key] = rules
        return rules

    def lead(self, *, deleted: bool, segment: str, status: str, rejection_reason: str,
             owner_id: str, status_rows: list[tuple[int, str]], score_times: list[int],
             score_after: list[int], first_qualifying_at: int | None,
             touch_times: list[int]) -> None:
        """Evaluate the lead-level predicates for one lead.

        `status_rows` are (created_date, new_value) of its Status history, `score_times` /
        `score_after` its score changes in time order, `touch_times` the sorted
        completed_date_time of its Call/Email tasks.
        """
        if deleted:
            return
        counts = self.counts
        if status == REJECTED:
            if not rejection_reason:
                counts["rejection_without_reason"] += 1
            elif rejection_reason not in self._reasons:
                counts["rejection_reason_outside_taxonomy"] += 1
        if not owner_id:
            counts["lead_without_owner"] += 1
        first_mql = first_sal = None
        for at, new_value in status_rows:
            if new_value == MQL:
                if first_mql is None or at < first_mql:
                    first_mql = at
                min_score, needs_action, sla_seconds = self._criteria(segment, at)
                position = bisect_right(score_times, at)
                score = score_after[position - 1] if position else 0
                if score < min_score or (needs_action and (
                        first_qualifying_at is None or first_qualifying_at > at)):
                    counts["mql_criteria_not_met"] += 1
                touch = bisect_left(touch_times, at)
                if touch == len(touch_times) or touch_times[touch] > at + sla_seconds:
                    counts["mql_not_touched_within_sla"] += 1
            elif new_value == SAL and (first_sal is None or at < first_sal):
                first_sal = at
        if first_mql is not None and first_sal is not None and first_sal < first_mql:
            counts["stage_timestamps_out_of_order"] += 1

    def opportunity(self, *, deleted: bool, roles: list[tuple[bool, bool]]) -> None:
        """Evaluate the opportunity predicate; `roles` are (is_deleted, is_primary) pairs."""
        if deleted:
            return
        if not any(primary and not role_deleted for role_deleted, primary in roles):
            self.counts["opportunity_without_primary_contact"] += 1

    def duplicates(self, leads: list[tuple[str, int, bool]]) -> None:
        """Count duplicate leads among (email, created_date, is_deleted) triples.

        Called once per chunk: natural e-mails are unique across the whole run by
        construction (distinct names per account, distinct domain per account, the lead
        index in personal addresses) and a duplicate only copies a lead of its own chunk,
        so per-chunk evaluation gives the run's exact count.
        """
        earliest: dict[str, int] = {}
        for email, created, deleted in leads:
            key = email.strip(" ").lower()
            if deleted or not key:
                continue
            if key not in earliest or created < earliest[key]:
                earliest[key] = created
        for email, created, deleted in leads:
            key = email.strip(" ").lower()
            if not deleted and key and created > earliest[key]:
                self.counts["duplicate_leads"] += 1
