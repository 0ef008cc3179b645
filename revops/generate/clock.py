"""The fixed time window and the two timestamp styles the exports use.

Times inside the generator are whole seconds since the Unix epoch (UTC). Formatting goes
through lookup tables of day and time-of-day strings because a run formats tens of millions
of timestamps and `datetime.strftime` costs ~2 µs each.
"""

from datetime import UTC, date, datetime, timedelta

# Two fiscal years (FY25 and FY26, October to September). Fixed so that a run never depends
# on the day it is made; lead-side events (leads, activities, history, tasks, opportunity
# stages) all fall inside it, reference records (users, accounts) may be created earlier.
WINDOW_START_AT = datetime(2024, 10, 1, 0, 0, 0, tzinfo=UTC)
WINDOW_END_AT = datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC)
START = int(WINDOW_START_AT.timestamp())
END = int(WINDOW_END_AT.timestamp())

MINUTE = 60
HOUR = 3600
DAY = 86400
WINDOW_DAYS = (END + 1 - START) // DAY  # 730

# Lookup tables cover 2022-01-01 .. 2029-12-31: reference records start up to ~15 months
# before the window, expected close dates of open deals run up to ~1 year after it.
_BASE_DATE = date(2022, 1, 1)
_BASE = int(datetime(2022, 1, 1, tzinfo=UTC).timestamp())
_DAYS: list[str] = [(_BASE_DATE + timedelta(days=n)).isoformat() for n in range(8 * 366)]
_TIMES: list[str] = [
    f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
]


def sf_timestamp(t: int) -> str:
    """Salesforce export style: `2024-01-22T20:36:47.000+0000`."""
    days, seconds = divmod(t - _BASE, DAY)
    return f"{_DAYS[days]}T{_TIMES[seconds]}.000+0000"


def iso_timestamp(t: int) -> str:
    """Connector style: `2024-01-22 20:36:47` (UTC, no offset)."""
    days, seconds = divmod(t - _BASE, DAY)
    return f"{_DAYS[days]} {_TIMES[seconds]}"


def iso_date(t: int) -> str:
    """The UTC calendar date of `t`: `2024-01-22`."""
    return _DAYS[(t - _BASE) // DAY]


def day_of(t: int) -> date:
    """The UTC calendar date of `t` as a `date` (definitions are versioned by date)."""
    return _BASE_DATE + timedelta(days=(t - _BASE) // DAY)


def epoch(value: date) -> int:
    """Seconds since the epoch at 00:00 UTC of `value`."""
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def iso_z(at: datetime) -> str:
    """`2024-10-01T00:00:00Z`, the form the manifest uses."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")
