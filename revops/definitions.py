"""Read the shared definitions (the dbt seeds under seeds/definitions/) into Python.

The seeds are the single source: dbt loads them as tables, and Python (the demo-data
generator, the data-quality suites, the definitions document) reads the same files here.
"""

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from revops.paths import DEFINITIONS_DIR


def read_seed(name: str, definitions_dir: Path = DEFINITIONS_DIR) -> list[dict[str, str]]:
    """Return the rows of seeds/definitions/<name>.csv as dicts of strings."""
    path = definitions_dir / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"definitions seed {path} is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Segment:
    code: str
    min_employees: int
    max_employees: int | None


@dataclass(frozen=True)
class MqlCriteria:
    segment_code: str
    version: str
    effective_from: date
    effective_to: date | None
    min_score: int
    requires_qualifying_action: bool


@dataclass(frozen=True)
class HandoffSla:
    segment_code: str
    version: str
    effective_from: date
    effective_to: date | None
    hours_to_first_touch: float
    attempts_before_recycle: int
    required_fields: tuple[str, ...]


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _in_force(rows, segment_code: str, on: date):
    matches = [
        row for row in rows
        if row.segment_code == segment_code
        and row.effective_from <= on
        and (row.effective_to is None or on < row.effective_to)
    ]
    if len(matches) != 1:
        raise LookupError(
            f"expected exactly one definition for segment {segment_code!r} in force on {on}, "
            f"found {len(matches)}"
        )
    return matches[0]


@dataclass(frozen=True)
class Definitions:
    segments: tuple[Segment, ...]
    mql_criteria: tuple[MqlCriteria, ...]
    handoff_sla: tuple[HandoffSla, ...]
    qualifying_actions: frozenset[str]
    activity_score_points: dict[str, int]
    rejection_reasons: tuple[str, ...]
    lead_status_stage: dict[str, str]
    lead_sources: dict[str, str]  # lead_source -> sourced_by

    def segment_for(self, employees: int) -> str:
        """Return the segment code whose employee band holds `employees`."""
        for segment in self.segments:
            upper = segment.max_employees
            if employees >= segment.min_employees and (upper is None or employees <= upper):
                return segment.code
        raise LookupError(f"no segment covers {employees} employees")

    def mql_criteria_on(self, segment_code: str, on: date) -> MqlCriteria:
        """Return the MQL criteria version in force for a segment on a date."""
        return _in_force(self.mql_criteria, segment_code, on)

    def sla_on(self, segment_code: str, on: date) -> HandoffSla:
        """Return the handoff SLA version in force for a segment on a date."""
        return _in_force(self.handoff_sla, segment_code, on)


@cache
def load(definitions_dir: Path = DEFINITIONS_DIR) -> Definitions:
    """Parse every definitions seed; raises naming the seed when a value is malformed."""
    segments = tuple(
        Segment(row["segment_code"], int(row["min_employees"]),
                int(row["max_employees"]) if row["max_employees"] else None)
        for row in read_seed("def_segments", definitions_dir)
    )
    criteria = tuple(
        MqlCriteria(
            segment_code=row["segment_code"],
            version=row["criteria_version"],
            effective_from=_date(row["effective_from"]),
            effective_to=_date(row["effective_to"]),
            min_score=int(row["min_score"]),
            requires_qualifying_action=row["requires_qualifying_action"] == "true",
        )
        for row in read_seed("def_mql_criteria", definitions_dir)
    )
    slas = tuple(
        HandoffSla(
            segment_code=row["segment_code"],
            version=row["sla_version"],
            effective_from=_date(row["effective_from"]),
            effective_to=_date(row["effective_to"]),
            hours_to_first_touch=float(row["hours_to_first_touch"]),
            attempts_before_recycle=int(row["attempts_before_recycle"]),
            required_fields=tuple(f for f in row["required_fields"].split(";") if f),
        )
        for row in read_seed("def_handoff_sla", definitions_dir)
    )
    activity_types = read_seed("def_activity_types", definitions_dir)
    return Definitions(
        segments=segments,
        mql_criteria=criteria,
        handoff_sla=slas,
        qualifying_actions=frozenset(
            row["activity_type"] for row in activity_types if row["is_qualifying_action"] == "true"
        ),
        activity_score_points={row["activity_type"]: int(row["score_points"]) for row in activity_types},
        rejection_reasons=tuple(row["reason_code"] for row in read_seed("def_rejection_reasons", definitions_dir)),
        lead_status_stage={row["lead_status"]: row["stage_code"] for row in read_seed("def_lead_statuses", definitions_dir)},
        lead_sources={row["lead_source"]: row["sourced_by"] for row in read_seed("def_lead_sources", definitions_dir)},
    )
