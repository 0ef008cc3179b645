"""The dbt staging layer, built with `dbt build` on a raw schema made from the landing contract.

One build per module (dbt start-up costs ~2.5 s) into a DuckDB file under tmp_path; the tests
then read the staging views and the manifest that build wrote.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult
from fixtures.raw_fixture import create_raw_fixture, record_id

from revops.contract import OBJECTS
from revops.paths import PROJECT_DIR

STALE_EMAIL = "stale.version@old.example"


@dataclass(frozen=True)
class Build:
    result: dbtRunnerResult
    database: Path
    manifest: dict[str, Any]


def run_dbt(args: list[str], database: Path, work_dir: Path) -> dbtRunnerResult:
    """Run dbt in-process against `database`, with target and logs under `work_dir`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVOPS_DUCKDB_PATH", str(database))
        options = {
            "--project-dir": PROJECT_DIR,
            "--profiles-dir": PROJECT_DIR,
            "--target": "duckdb",
            "--target-path": work_dir / "target",
            "--log-path": work_dir / "logs",
        }
        flat_options = [str(part) for option in options.items() for part in option]
        return dbtRunner().invoke([*args, *flat_options, "--quiet"])


def query(database: Path, sql: str, *params: Any) -> list[tuple]:
    """Return the rows of a query. A plain connection, not read_only: dbt-duckdb keeps the file
    open in this process, and DuckDB refuses a second connection with another configuration."""
    with duckdb.connect(str(database)) as connection:
        return connection.execute(sql, list(params)).fetchall()


def append_stale_version_of_lead_0(database: Path) -> None:
    """Append an older version of lead 0, as a loader that appends instead of merging would."""
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "insert into raw.crm_lead select * replace ("
            "    system_modstamp - interval 1 day as system_modstamp,"
            "    ? as email, 'stale-hash' as _row_hash"
            ") from raw.crm_lead where id = ?",
            [STALE_EMAIL, record_id("crm_lead", 0)],
        )


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    work_dir = tmp_path_factory.mktemp("dbt_staging")
    database = create_raw_fixture(work_dir / "revops.duckdb", rows_per_table=3)
    append_stale_version_of_lead_0(database)
    # Seeds too: the picklist tests compare staging values with the definitions seeds.
    result = run_dbt(
        ["build", "--select", "resource_type:seed", "source:*+"], database, work_dir
    )
    manifest = json.loads((work_dir / "target" / "manifest.json").read_text())
    return Build(result, database, manifest)


def staging_models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "staging"
    ]


def test_staging_builds_with_only_the_planted_duplicate_warning(build: Build) -> None:
    results = build.result.result.results
    failed = {
        result.node.name: result.message
        for result in results
        if str(result.status) in ("error", "fail")
    }
    assert build.result.success, failed
    # Layers downstream of staging have tests of their own; only those on raw and staging count here.
    upstream = {node["unique_id"] for node in staging_models(build.manifest)}
    upstream |= set(build.manifest["sources"]) | {
        unique_id for unique_id in build.manifest["nodes"] if unique_id.startswith("seed.")
    }
    warned = {
        result.node.name
        for result in results
        if str(result.status) == "warn" and set(result.node.depends_on.nodes) <= upstream
    }
    assert warned == {"source_unique_crm_crm_lead_id"}
    built_models = {result.node.name for result in results if result.node.name.startswith("stg_")}
    assert len(built_models) == len(OBJECTS) == 14


def test_a_duplicated_raw_key_keeps_only_its_latest_version_in_staging(build: Build) -> None:
    assert query(build.database, "select count(*) from raw.crm_lead") == [(4,)]
    rows = query(
        build.database,
        "select email from staging.stg_crm__leads where lead_id = ?",
        record_id("crm_lead", 0),
    )
    assert rows == [("ada.lovelace@example0.com",)]


def test_the_not_null_test_of_a_model_names_each_column_holding_nulls_and_how_many(
    build: Build, tmp_path: Path
) -> None:
    # One node checks all of a model's never-null columns (macros/not_null_columns.sql); its
    # failing rows say which columns and how many rows, not only that something was null.
    test = ["test", "--select", "not_null_stg_crm__leads"]
    assert run_dbt(test, build.database, tmp_path).success
    before = query(build.database, "select lead_id, created_at, system_modified_at "
                                   "from staging.stg_crm__leads order by lead_id")
    (first, *_, last) = [row[0] for row in before]
    try:
        query(build.database, "update staging.stg_crm__leads set created_at = null, "
                              "system_modified_at = null where lead_id = ?", first)
        query(build.database, "update staging.stg_crm__leads set created_at = null "
                              "where lead_id = ?", last)
        failed = run_dbt([*test, "--store-failures"], build.database, tmp_path)
        assert not failed.success
        [result] = [r for r in failed.result.results if r.node.name == "not_null_stg_crm__leads"]
        assert (str(result.status), result.failures) == ("fail", 2)
        stored = query(build.database, "select column_name, null_rows from "
                                       f"{result.node.relation_name} order by column_name")
        assert stored == [("created_at", 2), ("system_modified_at", 1)]
    finally:
        for lead_id, created_at, modified_at in before:
            query(build.database, "update staging.stg_crm__leads set created_at = ?, "
                                  "system_modified_at = ? where lead_id = ?",
                  created_at, modified_at, lead_id)
    assert run_dbt(test, build.database, tmp_path).success


def test_emails_are_trimmed_and_lower_cased_with_their_domain(build: Build) -> None:
    # Raw holds '  Ada.Lovelace@Example0.COM ' for row 0 of each table.
    for model, key in (("stg_crm__leads", "lead_id"), ("stg_crm__contacts", "contact_id")):
        rows = query(
            build.database,
            f"select email, email_domain from staging.{model} where {key} like '%0'",
        )
        assert rows == [("ada.lovelace@example0.com", "example0.com")], model


def test_website_domain_drops_scheme_www_and_path(build: Build) -> None:
    rows = query(
        build.database,
        "select website, website_domain from staging.stg_crm__accounts order by account_id",
    )
    assert rows[:2] == [
        ("https://www.Example0.com/about", "example0.com"),
        ("example1.com", "example1.com"),
    ]


def test_blank_strings_become_null_and_padded_ones_are_trimmed(build: Build) -> None:
    # Raw titles: ' Head of Growth  ', '' and 'VP Marketing'.
    rows = query(build.database, "select title from staging.stg_crm__contacts order by contact_id")
    assert rows == [("Head of Growth",), (None,), ("VP Marketing",)]
    assert query(build.database, "select utm_source from staging.stg_map__programs group by 1") == [
        ("linkedin",)
    ]


def test_deleted_crm_records_are_kept_and_flagged(build: Build) -> None:
    # The fixture deletes row 2 of every table; the flag column has no nulls after staging.
    for spec in (spec for spec in OBJECTS if spec.system == "crm"):
        model = next(
            node["name"]
            for node in staging_models(build.manifest)
            if f"source.revops.crm.{spec.table}" in node["depends_on"]["nodes"]
        )
        rows = query(
            build.database,
            f"select is_deleted, count(*) from staging.{model} group by 1 order by 1",
        )
        assert rows == [(False, 2), (True, 1)], model


def test_the_configured_passthrough_column_reaches_staging(build: Build) -> None:
    rows = query(
        build.database,
        "select preferred_language_c from staging.stg_crm__contacts order by contact_id",
    )
    assert rows == [("en",), ("de",), ("ja",)]


@pytest.mark.parametrize(
    ("passthrough", "named"),
    [
        ({"crm_contact": ["no_such_column_c"]}, ["crm_contact", "no_such_column_c"]),
        ({"crm_contacts": ["preferred_language_c"]}, ["crm_contacts", "not a source table"]),
    ],
    ids=["missing column", "unknown table"],
)
def test_a_passthrough_entry_raw_lacks_stops_compilation_naming_it(
    build: Build, tmp_path: Path, passthrough: dict, named: list[str]
) -> None:
    result = run_dbt(
        [
            "compile",
            "--select",
            "stg_crm__contacts",
            "--vars",
            json.dumps({"passthrough_columns": passthrough}),
        ],
        build.database,
        tmp_path,
    )
    assert not result.success
    message = str(result.exception)
    assert "Compilation Error" in message
    for text in named:
        assert text in message


def test_every_staging_column_is_documented_and_every_documented_column_exists(
    build: Build,
) -> None:
    for node in staging_models(build.manifest):
        built = [
            name
            for (name,) in query(
                build.database,
                "select column_name from information_schema.columns "
                "where table_schema = 'staging' and table_name = ? order by ordinal_position",
                node["name"],
            )
        ]
        assert list(node["columns"]) == built, node["name"]
        assert node["description"].startswith("One row per"), node["name"]
        undocumented = [
            name for name, column in node["columns"].items() if not column["description"]
        ]
        assert not undocumented, node["name"]


def test_every_contract_table_is_a_source_linked_to_its_raw_asset_and_one_staging_model(
    build: Build,
) -> None:
    sources = {source["identifier"]: source for source in build.manifest["sources"].values()}
    assert set(sources) == {spec.table for spec in OBJECTS}
    models = staging_models(build.manifest)
    for spec in OBJECTS:
        source = sources[spec.table]
        assert source["schema"] == "raw"
        assert source["loaded_at_field"] == "_loaded_at"
        assert source["meta"]["dagster"]["asset_key"] == ["raw", spec.table]
        readers = [node for node in models if source["unique_id"] in node["depends_on"]["nodes"]]
        assert len(readers) == 1, spec.table
        # No contract column is dropped on the way: each is read by the staging model.
        raw_code = readers[0]["raw_code"]
        unread = [column for column in spec.columns if not re.search(rf"\b{column}\b", raw_code)]
        assert not unread, (readers[0]["name"], unread)
