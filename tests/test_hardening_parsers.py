"""Property-based tests of the text parsers (revops/ingest/parsing.py), run in DuckDB.

Each example evaluates the same SQL expression the reader uses, on a list of values in one
query, so the properties hold for the vectorised path itself, not for a Python copy of it.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest
from hardening_report import Section, reliability_document  # noqa: F401 (fixture)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revops.ingest.parsing import SourceFormats, hint_sql, parse_sql

REPORT = Section(__doc__)  # this module's section of docs/reliability.md

PLAIN = SourceFormats(source="crm/Lead")
US = SourceFormats(source="crm/Lead", timestamp_formats=("%m/%d/%y %I:%M %p", "%m/%d/%y"),
                   date_formats=("%m/%d/%y",), money=True)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

_con = duckdb.connect()
_con.execute("SET TimeZone = 'UTC'")


def _parse(kind: str, values: list[str], formats: SourceFormats = PLAIN) -> list:
    expression = parse_sql(kind, "nullif(trim(v), '')", formats)
    return [row[0] for row in _con.execute(
        f"SELECT {expression} FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
        [values]).fetchall()]


def _hint(kind: str, value: str, formats: SourceFormats = PLAIN) -> str:
    sql = f"SELECT {hint_sql(kind, 'v', formats)} FROM (SELECT ?::VARCHAR AS v)"
    return _con.execute(sql, [value]).fetchall()[0][0]


moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2068, 12, 31))
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))


@FAST
@given(moment=moments.map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000)),
       offset=offsets)
def test_salesforce_timestamps_with_any_offset_read_as_utc(moment, offset):
    zoned = moment.replace(tzinfo=timezone(offset))
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    text = zoned.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" \
        + f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    assert _parse("timestamp", [text]) == [zoned.astimezone(UTC).replace(tzinfo=None)]


@FAST
@given(moment=moments.map(lambda m: m.replace(microsecond=0)))
def test_utc_suffix_and_unpadded_hours_read_as_the_written_utc_time(moment):
    unpadded = f"{moment:%Y-%m-%d} {moment.hour}:{moment:%M:%S}"
    texts = [f"{moment:%Y-%m-%d %H:%M:%S} UTC", unpadded, f"  {moment:%Y-%m-%dT%H:%M:%SZ}  "]
    assert _parse("timestamp", texts) == [moment] * 3


@FAST
@given(moment=moments.map(lambda m: m.replace(second=0, microsecond=0)))
def test_us_locale_timestamps_round_trip_when_configured_and_are_never_guessed_otherwise(moment):
    texts = [moment.strftime("%m/%d/%y %I:%M %p"), moment.strftime("%m/%d/%y")]
    assert _parse("timestamp", texts, US) == [moment, moment.replace(hour=0, minute=0)]
    assert _parse("date", [texts[1]], US) == [moment.date()]
    # Without a format the value is refused (never read as the year 2 or as day-first) and
    # the reason names the setting to add.
    assert _parse("timestamp", texts) == [None, None]
    assert _parse("date", texts) == [None, None]
    assert "timestamp_formats" in _hint("timestamp", texts[0])
    assert "date_formats" in _hint("date", texts[1])


@FAST
@given(cents=st.integers(min_value=-10**11, max_value=10**11))
def test_money_text_reads_to_the_exact_amount(cents):
    amount = Decimal(cents) / 100
    sign = "-" if amount < 0 else ""
    texts = [f"{sign}${abs(amount):,.2f}", f"{sign}${abs(amount):,.2f}K", f"{amount:.2f}"]
    assert _parse("double", texts, US) == [float(amount), float(amount * 1000), float(amount)]
    # Without the money setting, the currency text is refused and the hint names the setting.
    assert _parse("double", texts[:1]) == [None]
    assert "money: true" in _hint("double", texts[0])


@FAST
@given(value=st.booleans(), spelling=st.sampled_from(["true", "t", "yes", "1"]),
       case=st.sampled_from([str.lower, str.upper, str.title]))
def test_boolean_spellings_in_any_case(value, spelling, case):
    text = spelling if value else {"true": "false", "t": "f", "yes": "no", "1": "0"}[spelling]
    assert _parse("boolean", [case(text), ""]) == [value, None]


@FAST
@given(number=st.integers(min_value=-(2**62), max_value=2**62))
def test_integers_round_trip_and_fractions_are_refused(number):
    assert _parse("bigint", [str(number), f"{number}.0", f"{number}.5"]) == [number, number, None]


@FAST
@given(text=st.text(max_size=40))
@pytest.mark.parametrize("kind", ["bigint", "double", "boolean", "timestamp", "date"])
def test_any_text_parses_or_is_null_and_never_raises(kind, text):
    for formats in (PLAIN, US):
        assert len(_parse(kind, [text], formats)) == 1
        assert isinstance(_hint(kind, text, formats), str)


def test_the_parser_properties_are_recorded():
    REPORT.add("property: Salesforce `+hhmm` timestamps, any offset", "read as the same UTC instant")
    REPORT.add("property: ` UTC` suffix, `Z`, unpadded hours, surrounding spaces",
                "read as the written UTC wall-clock time")
    REPORT.add("property: US-locale `%m/%d/%y [%I:%M %p]`",
                "round-trips when configured; refused with the setting named when not")
    REPORT.add("property: money `$1,234.56`, `$1,234.56K`, negative amounts",
                "exact amount with `money: true`; refused with the setting named without")
    REPORT.add("property: booleans true/t/yes/1 and false/f/no/0 in any case, empty",
                "read as the boolean; empty is NULL")
    REPORT.add("property: integers, `n.0`, `n.5`", "n, n, refused (never rounded)")
    REPORT.add("property: any text in any typed column", "a value or NULL, never an error")
