"""Validate every suite against a DuckDB warehouse and return one Outcome per expectation.

Suites are grouped per relation and severity (`marts.fct_handoffs.warn`): one GX validation
each, so a Dagster check on an asset runs exactly the expectations of that asset and
severity. Everything runs as SQL inside DuckDB; only counts and a handful of example ids come
back to Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revops.definitions import Definitions, load

if TYPE_CHECKING:
    import great_expectations as gx

    from expectations.adapter import Warehouse
    from expectations.suites import Rule

# Great Expectations is imported where a suite is built or validated, not here: the report
# reads the outcomes the same run's checks saved and, when they cover every suite, renders
# them without GX (its import is ~3 s, the whole of a separate report process).
EXAMPLE_IDS = 5


@dataclass(frozen=True)
class SuiteSpec:
    """One GX suite: the expectations of one relation and one severity."""

    schema: str
    table: str
    severity: str
    rules: tuple[Rule, ...]

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}.{self.severity}"

    @property
    def asset_key(self) -> list[str]:
        return [self.schema, self.table]

    def build(self) -> gx.ExpectationSuite:
        """Return a fresh GX suite holding copies of this spec's expectations."""
        import great_expectations as gx

        return gx.ExpectationSuite(
            name=self.name,
            expectations=[rule.expectation.copy(deep=True) for rule in self.rules],
            meta={"severity": self.severity, "relation": f"{self.schema}.{self.table}"},
        )


@dataclass
class Outcome:
    """What one expectation found: the report's row and a Dagster check's metadata."""

    name: str
    suite: str
    group: str
    severity: str
    definition: str
    relation: str
    status: str  # "passed", "failed" or "not built yet"
    unexpected_count: int | None = None
    scope_count: int | None = None
    kind: str | None = None
    mostly: float | None = None
    example_ids: list[str] = field(default_factory=list)

    @property
    def share_following(self) -> float | None:
        """Share of the records in scope that follow the definition (None without scope)."""
        if self.unexpected_count is None or not self.scope_count:
            return None
        return max(0.0, 1 - self.unexpected_count / self.scope_count)

    @property
    def follows_definition(self) -> bool:
        """Passed outright, or within the documented share (`mostly`) where there is one."""
        if self.status == "passed":
            return True
        share = self.share_following
        return bool(self.mostly is not None and share is not None and share >= self.mostly)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "share_following": self.share_following}


@dataclass
class RunResult:
    started_at: str
    database: str
    definitions_fingerprint: str
    outcomes: list[Outcome]
    seconds: float = 0.0
    # GX's own results per suite, kept for Data Docs.
    suite_results: dict[str, Any] = field(default_factory=dict, repr=False)
    # Every suite the definitions generate, as the validating run saw them (also those it did
    # not validate): the report knows from it which suites are missing without building them.
    suite_names: list[str] = field(default_factory=list)

    def by_name(self) -> dict[str, Outcome]:
        return {outcome.name: outcome for outcome in self.outcomes}

    def count_of_kind(self, kind: str) -> int:
        """Violations the expectations measuring one generator deviation kind found."""
        return sum(outcome.unexpected_count or 0 for outcome in self.outcomes
                   if outcome.kind == kind)

    def blocking_failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes
                if outcome.severity == "block" and outcome.status == "failed"]


def all_rules(definitions: Definitions) -> list[Rule]:
    """Return every rule the definitions generate, with unique names."""
    from expectations.suites import (
        icp,
        lifecycle,
        mql,
        pipeline,
        raw,
        rejections,
        routing,
        sla,
    )

    subjects = (raw, icp, mql, sla, rejections, routing, lifecycle, pipeline)
    rules = [rule for subject in subjects for rule in subject.rules(definitions)]
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"expectation names must be unique; repeated: {', '.join(duplicates)}")
    return rules


def suite_specs(definitions: Definitions | None = None) -> list[SuiteSpec]:
    """Return the suites the definitions generate, one per relation and severity."""
    definitions = definitions or load()
    grouped: dict[tuple[str, str, str], list[Rule]] = {}
    for rule in all_rules(definitions):
        grouped.setdefault((rule.schema, rule.table, rule.severity), []).append(rule)
    return [SuiteSpec(schema, table, severity, tuple(rules))
            for (schema, table, severity), rules in grouped.items()]


def _columns(bound: Warehouse, schema: str, table: str) -> set[str]:
    import sqlalchemy as sa

    engine = bound.datasource.get_execution_engine()
    with engine.get_connection() as connection:
        rows = connection.execute(sa.text(
            "select column_name from information_schema.columns "
            "where table_schema = :schema and table_name = :table"
        ), {"schema": schema, "table": table}).fetchall()
    return {row[0] for row in rows}


def _rows(bound: Warehouse, sql: str) -> list[tuple]:
    import sqlalchemy as sa

    engine = bound.datasource.get_execution_engine()
    with engine.get_connection() as connection:
        return connection.execute(sa.text(sql)).fetchall()


def _outcome(rule: Rule, spec: SuiteSpec, status: str, **values: Any) -> Outcome:
    meta = rule.meta
    return Outcome(
        name=rule.name, suite=spec.name, group=meta["group"], severity=meta["severity"],
        definition=meta["definition"], relation=f"{spec.schema}.{spec.table}", status=status,
        kind=meta.get("kind"), mostly=meta.get("mostly"), **values,
    )


def validate_suite(bound: Warehouse, spec: SuiteSpec) -> tuple[list[Outcome], Any]:
    """Validate one suite; rules whose relation or columns are missing are 'not built yet'.

    Raises CrashedExpectationError (from the adapter) when an expectation could not run.
    """
    columns = _columns(bound, spec.schema, spec.table)
    runnable = [rule for rule in spec.rules if columns and set(rule.requires_columns) <= columns]
    outcomes = [_outcome(rule, spec, "not built yet") for rule in spec.rules if rule not in runnable]
    if not runnable:
        return outcomes, None
    relation = f"{spec.schema}.{spec.table}"
    suite = SuiteSpec(spec.schema, spec.table, spec.severity, tuple(runnable)).build()
    id_columns = {rule.id_column for rule in runnable if rule.id_column}
    id_column = id_columns.pop() if len(id_columns) == 1 else None
    result = bound.validate(suite, spec.schema, spec.table, id_column=id_column)
    by_name = {(res.expectation_config.meta or {}).get("name"): res for res in result.results}
    for rule in runnable:
        res = by_name[rule.name]
        scope = rule.meta["scope_sql"].replace("{batch}", relation)
        scope_count = int(_rows(bound, scope)[0][0] or 0)
        if rule.expectation.expectation_type == "unexpected_rows_expectation":
            unexpected = int(res.result.get("observed_value") or 0)
            query = rule.expectation.unexpected_rows_query.replace("{batch}", relation)
            examples = [str(row[0]) for row in _rows(
                bound, f"select record_id from ({query}) as unexpected_rows "
                       f"order by record_id limit {EXAMPLE_IDS}")] if unexpected else []
        else:
            unexpected = int(res.result.get("unexpected_count") or 0)
            index = res.result.get("partial_unexpected_index_list") or []
            examples = sorted({str(item.get(rule.id_column)) for item in index
                               if isinstance(item, dict) and rule.id_column in item})[:EXAMPLE_IDS]
            if not examples:
                examples = [str(value) for value in
                            (res.result.get("partial_unexpected_list") or [])[:EXAMPLE_IDS]]
        outcomes.append(_outcome(
            rule, spec, "passed" if res.success else "failed",
            unexpected_count=unexpected, scope_count=scope_count, example_ids=examples,
        ))
    return outcomes, result


def run_suites(database: Path, definitions: Definitions | None = None,
               only: Iterable[str] | None = None, gx_project_dir: Path | None = None,
               keep_results: bool = False) -> RunResult:
    """Validate the suites (all, or those named in `only`) against `database`."""
    import time

    from expectations.adapter import warehouse

    definitions = definitions or load()
    started = time.perf_counter()
    run = RunResult(
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        database=str(database),
        definitions_fingerprint=definitions.fingerprint,
        outcomes=[],
    )
    wanted = set(only) if only is not None else None
    specs = suite_specs(definitions)
    run.suite_names = [spec.name for spec in specs]
    with warehouse(database, gx_project_dir) as bound:
        for spec in specs:
            if wanted is not None and spec.name not in wanted:
                continue
            outcomes, result = validate_suite(bound, spec)
            run.outcomes.extend(outcomes)
            if keep_results and result is not None:
                run.suite_results[spec.name] = result
        if gx_project_dir is not None:
            bound.context.build_data_docs()
    run.seconds = time.perf_counter() - started
    return run
