"""Access on PostgreSQL: the read-only BI role reads schema marts and nothing else.

A real PostgreSQL server (scripts/postgres.sh). The test creates its own owner role (CREATEDB,
CREATEROLE: what creating the BI role needs), a throw-away database and a BI role name,
loads 100 generated leads, builds `+dim_users` with dbt (the on-run-end hook
macros/grant_bi_reader.sql grants), then logs in as the BI role. Everything it creates is
dropped at the end. ~40 s on the shared 2-core machine.
"""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.postgres import PG_SETTINGS, as_superuser, pg_connect, start_postgres
from hardening_report import Section, reliability_document  # noqa: F401 (fixture)
from psycopg2 import errors

from revops.generate import generate
from revops.ingest import postgres_url_from_env, run_ingestion
from revops.paths import PROJECT_DIR

REPORT = Section(__doc__)  # this module's section of docs/reliability.md
DBT = str(Path(sys.executable).parent / "dbt")


def _connect(env: dict[str, str], user: str, password: str):
    return pg_connect(
        {**env, "REVOPS_PG_USER": user, "REVOPS_PG_PASSWORD": password},
        env["REVOPS_PG_DBNAME"],
        autocommit=True,
    )


@pytest.fixture(scope="module")
def warehouse() -> Iterator[dict[str, str]]:
    """The environment of a throw-away database owned by a throw-away role; names of the BI
    role and a password with a quote in it (it must reach PostgreSQL as one literal)."""
    start_postgres()
    tag = secrets.token_hex(4)
    owner, owner_password = f"revops_h9_owner_{tag}", secrets.token_hex(12)
    env = {
        **os.environ,
        **PG_SETTINGS,
        "REVOPS_PG_USER": owner, "REVOPS_PG_PASSWORD": owner_password,
        "REVOPS_PG_DBNAME": f"revops_h9_access_{tag}",
        "REVOPS_PG_BI_USER": f"revops_h9_bi_{tag}",
        "REVOPS_PG_BI_PASSWORD": f"bi'{secrets.token_hex(8)}\"pw",
    }
    as_superuser(f"create role {owner} login createdb createrole password '{owner_password}'")
    as_superuser(f"create database {env['REVOPS_PG_DBNAME']} owner {owner}")
    try:
        yield env
    finally:
        as_superuser(f"drop database if exists {env['REVOPS_PG_DBNAME']} with (force)")
        as_superuser(f"drop role if exists {env['REVOPS_PG_BI_USER']}")
        as_superuser(f"drop role if exists {owner}")


def _dbt(args: list[str], env: dict[str, str], work: Path) -> str:
    done = subprocess.run(
        [DBT, *args, "--target", "postgres", "--project-dir", str(PROJECT_DIR),
         "--profiles-dir", str(PROJECT_DIR), "--target-path", str(work / "target"),
         "--log-path", str(work / "logs")],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"dbt {args[0]}: {(done.stdout + done.stderr)[-3000:]}"
    return done.stdout


def _refused(connection, sql: str) -> str:
    """The error PostgreSQL gives the BI role for `sql`; fails if the statement succeeds."""
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql)
        except errors.InsufficientPrivilege as error:
            return str(error).splitlines()[0]
    raise AssertionError(f"the BI role was allowed to run: {sql}")


def test_the_bi_role_reads_marts_and_nothing_else(warehouse, tmp_path):
    env = warehouse
    landing = tmp_path / "landing"
    generate(landing, leads=100, seed=2)
    url = postgres_url_from_env(env)
    run_ingestion(landing, tmp_path / "state.duckdb", ["crm_user"], postgres=url
                  ).raise_for_errors()
    built = _dbt(["build", "--select", "+dim_users", "--exclude", "resource_type:test",
                  "resource_type:unit_test"], env, tmp_path)
    assert f"grant_bi_reader: role {env['REVOPS_PG_BI_USER']} created" in built, built[-3000:]

    bi = _connect(env, env["REVOPS_PG_BI_USER"], env["REVOPS_PG_BI_PASSWORD"])
    try:
        with bi.cursor() as cursor:
            cursor.execute("select count(*) from marts.dim_users")
            users = cursor.fetchone()[0]
        assert users > 0
        refusals = {
            "select from raw": _refused(bi, "select * from raw.crm_user"),
            "select from staging": _refused(bi, "select * from staging.stg_crm__users"),
            "insert into marts": _refused(bi, "insert into marts.dim_users (user_id) values ('x')"),
            "update marts": _refused(bi, "update marts.dim_users set user_id = user_id"),
            "delete from marts": _refused(bi, "delete from marts.dim_users"),
            "create table in marts": _refused(bi, "create table marts.bi_scratch (x int)"),
        }
    finally:
        bi.close()
    assert refusals["select from raw"] == "permission denied for schema raw"
    assert refusals["select from staging"] == "permission denied for schema staging"
    assert all(message.startswith("permission denied") for message in refusals.values())

    # A DBA opens raw to everyone; the next dbt run rebuilds the mart (a new table, without the
    # old grants) and closes raw again.
    owner = _connect(env, env["REVOPS_PG_USER"], env["REVOPS_PG_PASSWORD"])
    try:
        with owner.cursor() as cursor:
            cursor.execute("grant usage on schema raw to public; "
                           "grant select on all tables in schema raw to public")
    finally:
        owner.close()
    bi = _connect(env, env["REVOPS_PG_BI_USER"], env["REVOPS_PG_BI_PASSWORD"])
    try:
        with bi.cursor() as cursor:
            cursor.execute("select count(*) from raw.crm_user")  # open now, as the DBA made it
    finally:
        bi.close()
    _dbt(["run", "--select", "dim_users"], env, tmp_path)
    bi = _connect(env, env["REVOPS_PG_BI_USER"], env["REVOPS_PG_BI_PASSWORD"])
    try:
        with bi.cursor() as cursor:
            cursor.execute("select count(*) from marts.dim_users")
            assert cursor.fetchone()[0] == users  # the rebuilt table carries the grant
        reopened = _refused(bi, "select * from raw.crm_user")
    finally:
        bi.close()
    assert reopened == "permission denied for schema raw"

    # The password (it has a quote and a double quote) appears in no log or target file.
    files = [path for path in tmp_path.rglob("*") if path.is_file() and path.suffix != ".duckdb"]
    leaked = [str(path) for path in files
              if env["REVOPS_PG_BI_PASSWORD"].encode() in path.read_bytes()]
    assert len(files) > 10 and leaked == []

    REPORT.add("BI role (REVOPS_PG_BI_USER, password with `'` and `\"`) after `dbt build` on "
               "PostgreSQL 15", f"select on marts.dim_users: {users} rows; "
               + "; ".join(f"{case}: `{message}`" for case, message in refusals.items()))
    REPORT.add("`grant select on all tables in schema raw to public` by hand, then `dbt run` "
               "rebuilds marts.dim_users",
               "before the run the BI role could read raw; after it: marts.dim_users readable "
               f"(the rebuilt table got the grant), raw refused (`{reopened}`)")
    REPORT.add("the BI password during those dbt runs",
               f"in none of the {len(files)} files dbt wrote (logs, target); it is sent as a "
               "bound parameter, never in logged SQL")
