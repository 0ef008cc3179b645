"""Answer metric queries through MetricFlow, in-process, on a DuckDB warehouse.

The `mf` CLI reads `<project>/target/semantic_manifest.json` and opens the warehouse through
a dbt adapter, at ~4 s per call. The dashboard asks a dozen queries, so it uses MetricFlow's
own engine here instead: the same semantic manifest, the same query planner and DuckDB SQL
renderer as `mf query`, with the rendered SQL executed on a read-only DuckDB connection.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from revops.paths import PROJECT_DIR


@dataclass(frozen=True)
class MetricQuery:
    """One metric query: what a chart shows, as `mf query` would be asked for it."""

    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the query as JSON-ready dict (embedded beside each chart)."""
        return {
            "metrics": list(self.metrics),
            "group_by": list(self.group_by),
            "where": list(self.where),
        }

    def mf_command(self) -> str:
        """Return the equivalent `mf query` command line, shown under each chart."""
        parts = ["mf query", f"--metrics {','.join(self.metrics)}"]
        if self.group_by:
            parts.append(f"--group-by {','.join(self.group_by)}")
        for condition in self.where:
            parts.append(f'--where "{condition}"')
        return " ".join(parts)


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    """Open `database` read-only; in a process that already holds it open for writing (dbt
    run in-process, a Dagster step), DuckDB refuses a second configuration, so share that one."""
    try:
        return duckdb.connect(str(database), read_only=True)
    except duckdb.ConnectionException:
        return duckdb.connect(str(database))


def _plain(value: Any) -> Any:
    """Return a JSON-friendly value: dates as ISO dates, decimals as floats."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


class _DuckDbRenderOnlyClient:
    """The part of MetricFlow's SqlClient protocol the planner needs to render DuckDB SQL.

    Execution happens in `MetricEngine.query` on our own connection, so the execute methods
    refuse: nothing in this module writes to the warehouse."""

    def __init__(self) -> None:
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self):
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self):
        return self._renderer

    def query(self, stmt: str, sql_bind_parameter_set: Any = None) -> Any:
        raise NotImplementedError("render-only client: MetricEngine.query executes the SQL")

    execute = dry_run = query

    def close(self) -> None:
        return None

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def parse_semantic_manifest(target_dir: Path, database: Path | None = None) -> Path:
    """Run `dbt parse` into `target_dir` and return the semantic_manifest.json it writes.
    Parsing touches no warehouse table; a target folder of its own keeps it clear of the dbt
    runs other processes make in the project's target/."""
    from dbt.cli.main import dbtRunner

    target_dir = Path(target_dir)
    env_before = os.environ.get("REVOPS_DUCKDB_PATH")
    if database is not None:
        os.environ["REVOPS_DUCKDB_PATH"] = str(database)
    try:
        result = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(target_dir),
                "--log-path",
                str(target_dir / "logs"),
                "--quiet",
            ]
        )
    finally:
        if database is not None:
            if env_before is None:
                os.environ.pop("REVOPS_DUCKDB_PATH", None)
            else:
                os.environ["REVOPS_DUCKDB_PATH"] = env_before
    manifest = target_dir / "semantic_manifest.json"
    if not result.success or not manifest.exists():
        raise RuntimeError(f"dbt parse did not write {manifest}: {result.exception}")
    return manifest


class MetricEngine:
    """MetricFlow over one DuckDB file: `query` returns rows as dicts keyed like `mf query`'s
    columns (metric names and group-by names such as metric_time__quarter)."""

    def __init__(self, semantic_manifest_path: Path, database: Path) -> None:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import (
            parse_manifest_from_dbt_generated_manifest,
        )
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        self.semantic_manifest_path = Path(semantic_manifest_path)
        self.raw_manifest = json.loads(self.semantic_manifest_path.read_text(encoding="utf-8"))
        manifest = parse_manifest_from_dbt_generated_manifest(
            self.semantic_manifest_path.read_text(encoding="utf-8")
        )
        self.database = Path(database)
        self._engine = MetricFlowEngine(
            semantic_manifest_lookup=SemanticManifestLookup(manifest),
            sql_client=_DuckDbRenderOnlyClient(),
        )

    def sql(self, metric_query: MetricQuery) -> str:
        """Return the DuckDB SQL MetricFlow plans for the query."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=list(metric_query.metrics),
            group_by_names=list(metric_query.group_by),
            where_constraints=list(metric_query.where) or None,
        )
        return self._engine.explain(request).sql_statement.sql

    def query(self, metric_query: MetricQuery) -> list[dict[str, Any]]:
        """Return the query's rows, sorted by the group-by columns (nulls first)."""
        sql = self.sql(metric_query)
        with connect(self.database) as connection:
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, map(_plain, row), strict=True)) for row in cursor.fetchall()]
        return sorted(
            rows,
            key=lambda row: tuple(
                (row[name] is not None, str(row[name])) for name in metric_query.group_by
            ),
        )

    def metric_definitions(self) -> list[dict[str, Any]]:
        """Return the metrics of the semantic manifest (name, label, description, type ...)."""
        return sorted(self.raw_manifest["metrics"], key=lambda metric: metric["name"])

    def measures(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Return every measure by name, with the semantic model it belongs to."""
        return {
            measure["name"]: (model["name"], measure)
            for model in self.raw_manifest["semantic_models"]
            for measure in model.get("measures", [])
        }


def query_all(engine: MetricEngine, queries: Sequence[MetricQuery]) -> list[list[dict[str, Any]]]:
    """Return the rows of each query, in order."""
    return [engine.query(metric_query) for metric_query in queries]
