"""Dropping a throw-away PostgreSQL database while a session our role may not end is in it.

After a large load, autovacuum can still be working in the database the tests or the benchmark
are about to drop; on PostgreSQL before 18 our role may not terminate it, and
`drop database ... with (force)` fails with InsufficientPrivilege (a fresh-clone CI run failed
on this once). A session of another ordinary role is refused the same way, so it stands in for
the autovacuum worker here. A real server (scripts/postgres.sh); ~5 s for both tests.
"""

import secrets
import threading
import time
from collections.abc import Iterator

import psycopg2
import pytest
from fixtures.postgres import (
    as_superuser,
    new_postgres_database,
    pg_admin,
    pg_connect,
    start_postgres,
)

from revops.engines.postgres import drop_database


@pytest.fixture()
def other_role() -> Iterator[tuple[str, str]]:
    start_postgres()
    name, password = f"revops_cleanup_{secrets.token_hex(4)}", secrets.token_hex(12)
    as_superuser(f"create role {name} login password '{password}'")
    yield name, password
    as_superuser(f"drop role if exists {name}")


def _session_of(role: tuple[str, str], env: dict[str, str]):
    name, password = role
    return pg_connect(
        {**env, "REVOPS_PG_USER": name, "REVOPS_PG_PASSWORD": password}, env["REVOPS_PG_DBNAME"]
    )


def _database_exists(admin, name: str) -> bool:
    with admin.cursor() as cursor:
        cursor.execute("select 1 from pg_database where datname = %s", (name,))
        return cursor.fetchone() is not None


def test_a_drop_waits_for_a_session_it_may_not_end(other_role) -> None:
    with new_postgres_database() as env:
        name = env["REVOPS_PG_DBNAME"]
        session = _session_of(other_role, env)
        admin = pg_admin()
        try:
            # One try alone is refused, as in the failed CI run, and the database stays.
            with pytest.raises(RuntimeError, match=f"could not drop database {name}"):
                drop_database(admin, name, attempts=1)
            assert _database_exists(admin, name)

            closer = threading.Timer(1.5, session.close)
            closer.start()
            started = time.monotonic()
            drop_database(admin, name, attempts=10, wait_seconds=0.5)
            closer.join()
            assert time.monotonic() - started >= 1.0  # it did wait for the session to end
            assert not _database_exists(admin, name)
        finally:
            session.close()
            admin.close()


def test_a_drop_that_never_gets_its_turn_names_the_database(other_role) -> None:
    with new_postgres_database() as env:
        session = _session_of(other_role, env)
        admin = pg_admin()
        try:
            with pytest.raises(RuntimeError) as refused:
                drop_database(admin, env["REVOPS_PG_DBNAME"], attempts=3, wait_seconds=0.1)
            message = str(refused.value)
            assert env["REVOPS_PG_DBNAME"] in message and "after 3 tries" in message
            assert isinstance(refused.value.__cause__, psycopg2.errors.InsufficientPrivilege)
        finally:
            session.close()  # the fixture's own drop then succeeds
            admin.close()
