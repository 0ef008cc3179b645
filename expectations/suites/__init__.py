"""Expectations built from the definitions, one module per subject.

Every expectation carries `meta`: `name` (stable id, used for the trend), `group` (ICP, MQL,
SLA, rejections, routing, pipeline, lifecycle, raw), `severity` (`block` stops downstream
assets, `warn` reports), `definition` (the documented sentence it verifies), `kind` (the
generator's deviation kind it measures, if any), `scope_sql` (counts the records the sentence
is about, for the share) and `mostly` (the documented share, where the definition has one).
Definition values (thresholds, hours, codes) are written into the expectations' SQL and
value sets, so a changed seed or var changes the suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

SEVERITIES = ("block", "warn")
GROUPS = ("ICP", "MQL", "SLA", "rejections", "routing", "pipeline", "lifecycle", "raw")


@dataclass(frozen=True)
class Rule:
    """One expectation and the relation it verifies (the Dagster asset key is schema/table)."""

    schema: str
    table: str
    expectation: Expectation
    id_column: str | None = None
    # Columns the relation must have for the rule to run; missing -> "not built yet".
    requires_columns: tuple[str, ...] = field(default=())

    @property
    def meta(self) -> dict[str, Any]:
        return self.expectation.meta or {}

    @property
    def name(self) -> str:
        return self.meta["name"]

    @property
    def severity(self) -> str:
        return self.meta["severity"]


def meta(name: str, group: str, severity: str, definition: str, *, scope_sql: str,
         kind: str | None = None, mostly: float | None = None) -> dict[str, Any]:
    """Return the meta block every expectation carries (see the module docstring)."""
    if severity not in SEVERITIES:
        raise ValueError(f"expectation {name}: severity must be one of {SEVERITIES}")
    if group not in GROUPS:
        raise ValueError(f"expectation {name}: group must be one of {GROUPS}")
    if not definition.strip():
        raise ValueError(f"expectation {name}: the definition sentence is empty")
    block: dict[str, Any] = {
        "name": name, "group": group, "severity": severity, "definition": definition,
        "scope_sql": scope_sql,
    }
    if kind:
        block["kind"] = kind
    if mostly is not None:
        block["mostly"] = mostly
    return block


def sql_text(value: str) -> str:
    """Return `value` as a SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values) -> str:
    return ", ".join(sql_text(value) for value in values)


def in_force(date_expression: str, effective_from, effective_to) -> str:
    """SQL predicate: the version is in force on the UTC date of `date_expression`
    (effective_from <= date < effective_to, open-ended when effective_to is empty)."""
    predicate = f"cast({date_expression} as date) >= date '{effective_from.isoformat()}'"
    if effective_to is not None:
        predicate += f" and cast({date_expression} as date) < date '{effective_to.isoformat()}'"
    return predicate


def window(effective_from, effective_to) -> str:
    """Return 'from 2024-01-01' or 'from 2024-01-01 to 2025-10-01' for a sentence."""
    text = f"in force from {effective_from.isoformat()}"
    return text + (f" until {effective_to.isoformat()}" if effective_to else "")


def segment_names(definitions) -> dict[str, str]:
    return {segment.code: segment.name or segment.code for segment in definitions.segments}
