"""The one adapter between Great Expectations 1.x and DuckDB: a GX context with a SQL
datasource over `duckdb_engine`, validation that stays inside the warehouse, and the line
between an expectation that *crashed* and data that *failed*.

Why an adapter at all: DuckDB is not on GX's list of SQL backends. Through `duckdb_engine`
GX builds the right SQL, but every metric query errors with "list index out of range" because
GX opens a new connection per query, and a DuckDB file connection that is closed and reopened
loses GX's temporary batch tables. GX already keeps one persisted connection for sqlite and
SQL Server (`_PERSISTED_CONNECTION_DIALECTS`, GX issues #10738 and #11579); registering the
duckdb dialect there is the whole fix. It touches a private GX name, so GX is pinned exactly
(1.24.1) and tests/test_expectations_adapter.py proves the fix on a real DuckDB file: when an
upgrade moves the name, `install_duckdb_support` raises instead of validating wrongly.

Why crash detection: GX reports an expectation whose SQL failed as `success=False` without
raising. Reported as failing data, a typo in a query would show RevOps violations that do not
exist. `validate` raises `CrashedExpectationError` on the first crashed expectation instead.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# No usage analytics leave the machine from a validation run.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb_engine
import great_expectations as gx
import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql_engine
import sqlalchemy as sa
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.expectation_validation_result import (
    ExpectationValidationResult,
)
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.datasource.fluent.interfaces import TestConnectionError
from sqlalchemy.dialects import registry as sqlalchemy_dialects
from sqlalchemy.engine.reflection import ObjectKind, ObjectScope

logger = logging.getLogger(__name__)

DATASOURCE_NAME = "revops_warehouse"
# Up to this many violating rows come back per expectation: enough for a handful of example
# ids in the report, small enough that a 5% breach of 2M leads is not pulled into Python.
MAX_EXAMPLE_ROWS = 20


class CrashedExpectationError(RuntimeError):
    """An expectation could not be evaluated (SQL error, unsupported dialect, missing table):
    its `success=False` says nothing about the data."""


class _DuckdbDialect(str, enum.Enum):
    # GX compares dialect names with a str-valued enum (`dialect.value`, `name in tuple`).
    DUCKDB = "duckdb"


# The SQLAlchemy driver name of SchemaReflectingDuckDBDialect: `duckdb+revops:///<file>`.
_DIALECT_DRIVER = "revops"


class SchemaReflectingDuckDBDialect(duckdb_engine.Dialect):
    """duckdb_engine's dialect, reflecting a schema's tables in one query instead of one per
    table.

    GX reads every validated table's columns and primary key through SQLAlchemy reflection,
    which duckdb_engine answers with PostgreSQL catalog queries over DuckDB's emulated
    pg_catalog: ~70 ms each, whatever the table's size, one per table and per kind. At 10,000
    leads the 36 of them took 1.2 s of the 4.6 s the 117 expectations took. The whole schema
    costs one such query, so each kind is read once per schema and answered from memory
    after that; the results are the dialect's own (same types, same primary keys). One
    instance serves one engine, i.e. one validation run over a read-only file, whose tables
    do not change meanwhile; a table missing from the schema's answer (created since) is
    reflected on its own.
    """

    supports_statement_cache = False  # as duckdb_engine's; SQLAlchemy asks each subclass

    def _reflected(self, kind: str, reflect_schema: Any, connection: Any, schema: str | None,
                   options: dict[str, Any]) -> dict[tuple[str | None, str], Any]:
        schemas = self.__dict__.setdefault("_reflected_schemas", {})
        if (kind, schema) not in schemas:
            options = {key: value for key, value in options.items() if key != "info_cache"}
            try:
                schemas[(kind, schema)] = dict(reflect_schema(
                    connection, schema=schema, filter_names=None, scope=ObjectScope.ANY,
                    kind=ObjectKind.ANY, **options,
                ))
            except sa.exc.DBAPIError as error:
                # duckdb_engine's primary-key query fails on DuckDB (no REGCLASS type); GX
                # catches that and reads no key. Kept, so that it fails once per schema.
                schemas[(kind, schema)] = error
        reflected = schemas[(kind, schema)]
        if isinstance(reflected, Exception):
            raise reflected
        return reflected

    def get_columns(self, connection, table_name, schema=None, **kw):
        columns = self._reflected("columns", self.get_multi_columns, connection, schema, kw)
        if (schema, table_name) in columns:
            return columns[(schema, table_name)]
        return super().get_columns(connection, table_name, schema=schema, **kw)

    def get_pk_constraint(self, connection, table_name, schema=None, **kw):
        keys = self._reflected("primary_keys", self.get_multi_pk_constraint, connection, schema,
                               kw)
        if (schema, table_name) in keys:
            return keys[(schema, table_name)]
        return super().get_pk_constraint(connection, table_name, schema=schema, **kw)


def install_duckdb_support() -> None:
    """Make GX keep one persisted connection for the duckdb dialect, and register the
    schema-reflecting dialect (idempotent)."""
    sqlalchemy_dialects.register(
        f"duckdb.{_DIALECT_DRIVER}", __name__, SchemaReflectingDuckDBDialect.__name__
    )
    dialects = getattr(gx_sql_engine, "_PERSISTED_CONNECTION_DIALECTS", None)
    if not isinstance(dialects, tuple):
        raise RuntimeError(  # noqa: TRY004 - GX moved, not a caller's wrong type
            "great_expectations.execution_engine.sqlalchemy_execution_engine no longer has "
            "_PERSISTED_CONNECTION_DIALECTS: the DuckDB adapter (expectations/adapter.py) must be "
            f"revisited for GX {gx.__version__}"
        )
    if _DuckdbDialect.DUCKDB not in dialects:
        gx_sql_engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckdbDialect.DUCKDB)


@dataclass
class Warehouse:
    """A GX context bound to one DuckDB file through one SQL datasource."""

    context: Any
    datasource: Any
    database: Path
    # A file context stores suites and results for Data Docs; an ephemeral one keeps nothing.
    keeps_results: bool = False

    def table_batch(self, schema: str, table: str) -> Any:
        """Return the whole-table batch definition of `schema.table`, creating its asset once."""
        asset_name = f"{schema}.{table}"
        try:
            asset = self.datasource.get_asset(asset_name)
        except LookupError:
            try:
                asset = self.datasource.add_table_asset(
                    name=asset_name, table_name=table, schema_name=schema)
            except TestConnectionError as error:
                raise CrashedExpectationError(
                    f"cannot validate {schema}.{table} in {self.database}: the relation does not "
                    f"exist or cannot be read ({error})"
                ) from error
        try:
            return asset.get_batch_definition("whole_table")
        except KeyError:
            return asset.add_batch_definition_whole_table("whole_table")

    def relation_exists(self, schema: str, table: str) -> bool:
        """Return whether `schema.table` exists (a mart may not be built yet)."""
        rows = self.scalar(
            "select count(*) from information_schema.tables "
            f"where table_schema = '{schema}' and table_name = '{table}'"
        )
        return bool(rows)

    def scalar(self, sql: str) -> Any:
        """Run one query on GX's own persisted connection and return the first value."""
        import sqlalchemy as sa

        engine = self.datasource.get_execution_engine()
        with engine.get_connection() as connection:
            return connection.execute(sa.text(sql)).fetchone()[0]

    def validate(self, suite: gx.ExpectationSuite, schema: str, table: str,
                 id_column: str | None = None) -> ExpectationSuiteValidationResult:
        """Validate `suite` against `schema.table` in DuckDB and return GX's result.

        Raises CrashedExpectationError naming the expectation when one could not run.
        """
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": MAX_EXAMPLE_ROWS,
        }
        if id_column:
            result_format["unexpected_index_column_names"] = [id_column]
        if self.keeps_results:
            suite = self.context.suites.add_or_update(suite)
            validation = gx.ValidationDefinition(
                name=f"{suite.name}__on__{schema}.{table}",
                data=self.table_batch(schema, table),
                suite=suite,
            )
            validation = self.context.validation_definitions.add_or_update(validation)
            result = validation.run(result_format=result_format)
        else:
            # Nothing to keep: validating the batch itself skips saving a suite and a
            # validation definition per suite in GX's stores, ~1 s of the 4.4 s the 117
            # expectations took at 10,000 leads (same outcomes).
            result = self.table_batch(schema, table).get_batch().validate(
                suite, result_format=result_format
            )
        raise_for_crashes(result.results)
        return result

    def close(self) -> None:
        """Close GX's persisted connection and every pooled one, releasing the DuckDB file."""
        execution_engine = self.datasource.get_execution_engine()
        connection = getattr(execution_engine, "_connection", None)
        if connection is not None:
            connection.close()
            execution_engine._connection = None
        execution_engine.engine.dispose()
        self.datasource.get_engine().dispose()


def raise_for_crashes(results: Iterable[ExpectationValidationResult]) -> None:
    """Raise CrashedExpectationError for the first result GX marks as raised_exception."""
    for result in results:
        info = result.exception_info or {}
        # GX nests exception_info per metric when a metric failed, flat otherwise.
        entries = [info] if "raised_exception" in info else list(info.values())
        for entry in entries:
            if isinstance(entry, dict) and entry.get("raised_exception"):
                config = result.expectation_config
                meta = (config.meta or {}) if config else {}
                raise CrashedExpectationError(
                    f"expectation {meta.get('name') or (config.type if config else '?')} "
                    f"crashed instead of evaluating the data: {entry.get('exception_message')}"
                )


def connect(database: Path, gx_project_dir: Path | None = None) -> Warehouse:
    """Return a Warehouse for the DuckDB file `database` (opened read-only).

    With `gx_project_dir`, the GX context is a file context kept in `<gx_project_dir>/gx/`, so
    results are stored and Data Docs built; without it, an ephemeral context (Dagster checks,
    most tests).
    """
    install_duckdb_support()
    # A PostgreSQL connection string (`postgresql://...`) validates the same suites there:
    # GX supports PostgreSQL natively, so no persisted connection or read-only flag is needed.
    is_postgres = str(database).startswith(("postgresql://", "postgresql+psycopg2://"))
    if not is_postgres:
        database = Path(database).resolve()
        if not database.exists():
            raise FileNotFoundError(f"DuckDB warehouse {database} does not exist")
    if gx_project_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        gx_project_dir.mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(gx_project_dir))
    # A progress bar per validation (40 of them) would bury the pipeline's own log lines.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if DATASOURCE_NAME in {datasource.name for datasource in context.data_sources.all().values()}:
        context.data_sources.delete(DATASOURCE_NAME)
    # Read-only: validation never writes, and other processes may read the file meanwhile.
    # DuckDB refuses a second connection with another configuration (duckdb_engine sets a
    # user agent) inside one process: run dbt in its own process before validating.
    if is_postgres:
        datasource = context.data_sources.add_postgres(
            name=DATASOURCE_NAME, connection_string=str(database)
        )
    else:
        datasource = context.data_sources.add_sql(
            name=DATASOURCE_NAME,
            connection_string=f"duckdb+{_DIALECT_DRIVER}:///{database}",
            kwargs={"connect_args": {"read_only": True}},
        )
    return Warehouse(context=context, datasource=datasource, database=database,
                     keeps_results=gx_project_dir is not None)


@contextmanager
def warehouse(database: Path, gx_project_dir: Path | None = None):
    """Context manager around `connect` that releases the DuckDB file on exit."""
    bound = connect(database, gx_project_dir)
    try:
        yield bound
    finally:
        bound.close()
