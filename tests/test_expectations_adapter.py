"""The one GX <-> DuckDB adapter: real results from SQL run inside DuckDB, and a crashed
expectation raised as an error instead of reported as failing data."""

import importlib.util
import sys
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest

# The editable install predates the `expectations` package (`pip install -e .` maps it);
# until it is re-run, import the package from the project root.
if importlib.util.find_spec("expectations") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from expectations.adapter import (
    CrashedExpectationError,
    raise_for_crashes,
    warehouse,
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("adapter") / "small.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        # 1,000 leads: 100 without an owner, statuses cycling over 5 values, one unknown.
        connection.execute("""
            create table marts.leads as
            select
                'L' || lpad(range::varchar, 4, '0') as lead_id,
                case when range % 10 = 0 then null else 'U' || (range % 7) end as owner_id,
                ['New', 'Marketing Qualified', 'Sales Accepted', 'Rejected', 'Lost?'][range % 5 + 1]
                    as status
            from range(1000)
        """)
    return path


def _suite(*expectations) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="adapter_test", expectations=list(expectations))


@pytest.fixture(params=["ephemeral", "file"])
def gx_project_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path | None:
    """Both ways the adapter validates: a batch in an ephemeral context (checks, bench), and a
    validation definition kept in a file context (the report's Data Docs)."""
    return tmp_path / "gx" if request.param == "file" else None


def test_gx_returns_real_counts_from_sql_run_inside_duckdb(
    database: Path, gx_project_dir: Path | None
) -> None:
    with warehouse(database, gx_project_dir) as bound:
        assert bound.keeps_results is (gx_project_dir is not None)
        result = bound.validate(_suite(
            gxe.ExpectColumnValuesToNotBeNull(column="owner_id"),
            gxe.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=["New", "Marketing Qualified", "Sales Accepted", "Rejected"]),
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query="select lead_id from {batch} where owner_id is null"),
            gxe.ExpectColumnValuesToBeUnique(column="lead_id"),
        ), "marts", "leads", id_column="lead_id")
    not_null, in_set, unexpected_rows, unique = result.results
    assert not_null.result["unexpected_count"] == 100
    assert not_null.result["element_count"] == 1000
    assert in_set.result["unexpected_count"] == 200
    assert {row["lead_id"] for row in in_set.result["partial_unexpected_index_list"]} >= {"L0004"}
    assert unexpected_rows.result["observed_value"] == 100
    assert unique.success and unique.result["unexpected_count"] == 0
    assert not result.success


def test_a_clean_table_passes_and_nothing_is_reported_as_crashed(database: Path) -> None:
    with warehouse(database) as bound:
        result = bound.validate(_suite(
            gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query="select lead_id from {batch} where lead_id not like 'L%'"),
        ), "marts", "leads")
    assert result.success


def test_an_expectation_whose_sql_fails_raises_instead_of_reporting_failing_data(
    database: Path, gx_project_dir: Path | None
) -> None:
    broken = gxe.UnexpectedRowsExpectation(
        unexpected_rows_query="select lead_id from {batch} where no_such_column > 1",
        meta={"name": "broken_on_purpose"},
    )
    with (warehouse(database, gx_project_dir) as bound,
          pytest.raises(CrashedExpectationError) as raised):
        bound.validate(_suite(broken), "marts", "leads")
    assert "broken_on_purpose" in str(raised.value)
    assert "no_such_column" in str(raised.value)


def test_an_expectation_on_a_missing_table_raises_too(database: Path) -> None:
    with warehouse(database) as bound, pytest.raises(CrashedExpectationError):
        bound.validate(_suite(gxe.ExpectColumnValuesToNotBeNull(column="lead_id")),
                       "marts", "no_such_table")


def test_gx_alone_reports_a_crash_as_an_ordinary_failure_which_is_why_we_check(
    database: Path,
) -> None:
    # The same broken query through GX's own API: success=False, no exception. The adapter's
    # raise_for_crashes is what tells the two apart.
    with warehouse(database) as bound:
        suite = bound.context.suites.add(_suite(gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="select lead_id from {batch} where no_such_column > 1")))
        validation = gx.ValidationDefinition(
            name="raw_gx", data=bound.table_batch("marts", "leads"), suite=suite)
        result = bound.context.validation_definitions.add(validation).run()
    assert result.success is False
    with pytest.raises(CrashedExpectationError):
        raise_for_crashes(result.results)


def test_the_validation_dialect_reflects_what_duckdb_engine_does_with_one_query_per_schema(
    tmp_path: Path,
) -> None:
    import sqlalchemy as sa

    path = tmp_path / "reflect.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.keyed (id integer primary key, amount decimal(18, 2),"
                           " seen_at timestamptz, label varchar not null)")
        connection.execute("create table marts.plain (flag boolean, score double, day date)")
        connection.execute("create view marts.viewed as select id, label from marts.keyed")
    with warehouse(path) as bound:  # registers the dialect, and validates through it
        assert type(bound.datasource.get_execution_engine().engine.dialect).__name__ == (
            "SchemaReflectingDuckDBDialect")
    ours = sa.create_engine(f"duckdb+revops:///{path}", connect_args={"read_only": True})
    theirs = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    catalog_queries: dict[sa.Engine, list[str]] = {ours: [], theirs: []}
    for engine in (ours, theirs):
        sa.event.listen(engine, "before_cursor_execute",
                        lambda conn, cursor, statement, *args: catalog_queries[conn.engine].append(
                            statement) if "pg_catalog" in statement else None)

    def reflected(inspector: sa.Inspector, kind: str, table: str) -> object:
        # A value, or the class of the error (duckdb_engine's primary-key query fails on
        # DuckDB: GX catches that and reads no key; ours must fail alike).
        try:
            value = getattr(inspector, kind)(table, schema="marts")
        except sa.exc.SQLAlchemyError as error:
            return type(error)
        if kind == "get_columns":
            return [(column["name"], str(column["type"]), column["nullable"], column["default"])
                    for column in value]
        return value

    try:
        ours_inspector, theirs_inspector = sa.inspect(ours), sa.inspect(theirs)
        for table in ("keyed", "plain", "viewed"):
            for kind in ("get_columns", "get_pk_constraint"):
                assert reflected(ours_inspector, kind, table) == (
                    reflected(theirs_inspector, kind, table)), (kind, table)
        assert ("amount", "NUMERIC(18, 2)", True, None) in reflected(
            ours_inspector, "get_columns", "keyed")
        # Per kind, duckdb_engine's queries for one table (columns: attributes and enum types;
        # keys: relations and constraints), once for the schema instead of once per table.
        assert len(catalog_queries[ours]) == 4 < len(catalog_queries[theirs])
        with pytest.raises(sa.exc.NoSuchTableError):
            ours_inspector.get_columns("no_such_table", schema="marts")
    finally:
        ours.dispose()
        theirs.dispose()
