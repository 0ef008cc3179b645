"""Which failures are worth retrying, and how long to wait before the next attempt.

A retry only helps when the cause goes away by itself: another process holding the DuckDB
write lock (a BI tool opened the working file, a second run started), a dbt process killed by
the machine (OOM, a signal), a network blip towards PostgreSQL. A contract violation or a
failing dbt test fails identically on every attempt, so retrying it would only triple the run
time (a `dbt build` is ~30 s on the demo data) and bury the real error under three copies.
Steps therefore raise `RetryRequested` for transient causes only, with exponential backoff.
"""

from dagster import Backoff, Jitter, RetryPolicy

# Three attempts after the first, 5 s, 10 s, 20 s apart: a held DuckDB lock is released when
# the other writer's statement ends (dbt-duckdb's own connect retries wait ~5 s in total).
MAX_RETRIES = 3
BASE_DELAY_SECONDS = 5.0

# Plain Python steps (publishing the BI copy, the report) only fail on I/O: retry any failure.
IO_RETRY_POLICY = RetryPolicy(
    max_retries=MAX_RETRIES,
    delay=BASE_DELAY_SECONDS,
    backoff=Backoff.EXPONENTIAL,
    jitter=Jitter.PLUS_MINUS,
)

_TRANSIENT_MARKERS = (
    "could not set lock on file",  # DuckDB: another process holds the write lock
    "conflicting lock is held",
    "database is locked",
    "connection refused",  # PostgreSQL restarting
    "could not connect to server",
    "server closed the connection unexpectedly",
    "terminating connection due to administrator command",
    "timed out",
)


def is_transient(message: str, returncode: int | None = None) -> bool:
    """Return True when a failure is likely to pass on a later attempt: a known lock or
    connection message, or a process killed by a signal (negative return code)."""
    if returncode is not None and returncode < 0:
        return True
    lowered = message.lower()
    return any(marker in lowered for marker in _TRANSIENT_MARKERS)


def backoff_seconds(retry_number: int, base: float = BASE_DELAY_SECONDS) -> float:
    """Seconds to wait before attempt `retry_number + 1`: base, 2*base, 4*base, ..."""
    return base * (2 ** retry_number)
