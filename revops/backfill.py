"""`revops backfill --from --to`: what a backfill window is, checked before anything runs.

Partitions here are calendar days (UTC) of the events: activity and touch times, status
changes, opportunity creation. The landing exports are not split by day (each file covers
every day it holds), so a backfill does not re-read old files: it loads whatever is new or
changed in the landing folder, then the incremental models recompute every entity (person,
opportunity) with an event on those days, as well as the keys loaded since the last run.
"""

from datetime import date

# A guard against a typo such as --from 2205-01-01: the generator's window is two years.
MAX_BACKFILL_DAYS = 3660


def parse_window(date_from: str, date_to: str) -> tuple[date, date]:
    """Return the first and last day of a backfill (both included).

    Raises ValueError naming the argument and its value when a date is not YYYY-MM-DD, when
    --from is after --to, or when the window is longer than MAX_BACKFILL_DAYS."""
    days = []
    for name, value in (("--from", date_from), ("--to", date_to)):
        try:
            days.append(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None
        if len(value) != 10:
            raise ValueError(f"{name} must be a date YYYY-MM-DD, got {value!r}")
    first, last = days
    if first > last:
        raise ValueError(f"--from {first} is after --to {last}")
    if (last - first).days + 1 > MAX_BACKFILL_DAYS:
        raise ValueError(
            f"--from {first} --to {last} spans {(last - first).days + 1:,} days; "
            f"at most {MAX_BACKFILL_DAYS:,}"
        )
    return first, last


def dbt_build_config(first: date, last: date) -> dict:
    """Return the run config of the dbt step that reprocesses those days."""
    return {"backfill_from": first.isoformat(), "backfill_to": last.isoformat()}
