"""Throw-away PostgreSQL databases: the tests and the benchmark create one per run and drop it."""

import time


def drop_database(admin, name: str, attempts: int = 20, wait_seconds: float = 3.0) -> None:
    """Drop database `name` through `admin`, an autocommit connection to another database.

    Right after a large load, autovacuum can still be working in the database. On PostgreSQL
    before 18, a role that is neither superuser nor in pg_signal_backend may not terminate an
    autovacuum worker, so `drop database ... with (force)` fails with InsufficientPrivilege
    (or ObjectInUse) until the worker is done: wait and try again. After `attempts` tries the
    last error is raised, naming the database."""
    import psycopg2

    for attempt in range(1, attempts + 1):
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}" with (force)')
            return
        except (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ObjectInUse) as error:
            if attempt == attempts:
                raise RuntimeError(
                    f"could not drop database {name} after {attempts} tries "
                    f"({wait_seconds:g} s apart): {str(error).strip()}"
                ) from error
            time.sleep(wait_seconds)
