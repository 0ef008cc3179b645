"""Waiting for the warehouse file when another process holds it, and saying who does.

DuckDB allows one process to open a database file for writing (and no reader while a writer
holds it). A Dagster UI, a notebook or a second `revops ingest` holding the file made the
ingestion fail with a stack trace deep inside dlt. Instead the ingestion checks the file
before it starts, retries a bounded number of times, and then stops with WarehouseLockedError:
which file, which process (DuckDB's lock message names its program and PID) and what to do.
"""

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

# 12 attempts 5 s apart: a dbt build step or a Dagster sensor releases the file within a
# minute; a notebook or a UI holding it does not, and the error then says so.
ATTEMPTS_ENV, WAIT_ENV = "REVOPS_LOCK_ATTEMPTS", "REVOPS_LOCK_WAIT_SECONDS"
DEFAULT_ATTEMPTS, DEFAULT_WAIT_SECONDS = 12, 5.0
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


class WarehouseLockedError(RuntimeError):
    """The warehouse file stayed locked by another process through every attempt."""

    def __init__(self, path: Path, pid: int | None, program: str | None, attempts: int,
                 waited: float):
        self.path, self.pid, self.program = path, pid, program
        holder = f"process {pid} ({program})" if pid else "another process"
        super().__init__(
            f"the warehouse file {path} is locked by {holder}; DuckDB lets one process open it "
            f"at a time. Tried {attempts} times over {waited:.0f} s. Stop that process or close "
            f"its connection (a Dagster UI, a notebook, another `revops` command: "
            f"`ps -p {pid or '<pid>'} -o pid,args` shows it), then run again. "
            f"{ATTEMPTS_ENV} and {WAIT_ENV} set how long to wait."
        )


def lock_holder(message: str) -> tuple[int | None, str | None]:
    """(PID, program) of the process named in a DuckDB lock error, (None, None) if absent."""
    found = _HOLDER.search(message)
    if not found:
        return None, None
    return int(found["pid"]), found["program"]


def is_lock_error(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "Could not set lock" in str(error)


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def connect_when_free(
    path: Path,
    *,
    read_only: bool = False,
    attempts: int | None = None,
    wait_seconds: float | None = None,
    say: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open `path`, retrying while another process holds its lock; raise WarehouseLockedError
    after the last attempt (default: 12 attempts 5 s apart, or REVOPS_LOCK_ATTEMPTS and
    REVOPS_LOCK_WAIT_SECONDS)."""
    attempts = max(1, int(attempts or _setting(ATTEMPTS_ENV, DEFAULT_ATTEMPTS)))
    wait = wait_seconds if wait_seconds is not None else _setting(WAIT_ENV, DEFAULT_WAIT_SECONDS)
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not is_lock_error(error):
                raise
            pid, program = lock_holder(str(error))
            if attempt == attempts:
                raise WarehouseLockedError(
                    path, pid, program, attempts, time.monotonic() - started) from None
            if say:
                say(f"warehouse {path} is locked by process {pid} ({program}); "
                    f"attempt {attempt} of {attempts}, retrying in {wait:g} s")
            time.sleep(wait)
    raise AssertionError("unreachable")


def wait_until_free(path: Path, say: Callable[[str], None] | None = None) -> None:
    """Return once `path` can be opened for writing (or does not exist yet); see
    connect_when_free for the retries and the error."""
    path = Path(path)
    if path.exists():
        connect_when_free(path, say=say).close()
