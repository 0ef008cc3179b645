"""Text -> typed value, as DuckDB SQL expressions, with the text formats set per landing source.

The format of a source (US-locale dates, money with a currency sign) is configuration, in
`landing_formats.yml` at the project root (or the file named by REVOPS_LANDING_FORMATS): a
date such as `02/03/24` is February 3rd in a US export and March 2nd in a European one, so
it is never guessed. Without a configured format such a value is quarantined, and the reason
names the setting to add. Every expression here is vectorised SQL: no Python per row.
"""

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from revops.contract import ColumnType, ObjectSpec
from revops.paths import PROJECT_DIR

FORMATS_FILE = PROJECT_DIR / "landing_formats.yml"
FORMATS_ENV = "REVOPS_LANDING_FORMATS"
_SETTINGS = ("timestamp_formats", "date_formats", "money")


def sql_text(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class SourceFormats:
    """How one landing source writes values that ISO 8601 and plain numbers do not cover."""

    source: str  # the key the settings came from: 'crm/Lead', 'crm/*' or '*'
    # strptime formats (DuckDB's, e.g. '%m/%d/%y %I:%M %p') tried when a value is not ISO
    # 8601; the wall-clock time read is taken as UTC unless the format has %z.
    timestamp_formats: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    # Double columns may hold money text: '$22,700.00', '$1,117.10K' (K = thousand, M = million).
    money: bool = False


def formats_file() -> Path:
    return Path(os.environ.get(FORMATS_ENV) or FORMATS_FILE)


@cache
def _load(path: Path, mtime_ns: int) -> dict[str, SourceFormats]:
    del mtime_ns  # part of the cache key only: an edited file is read again
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sources = document.get("sources") or {}
    if not isinstance(sources, dict):
        raise TypeError(f"{path}: 'sources' must map a source (crm/Lead, crm/*, *) to settings")
    loaded = {}
    for source, settings in sources.items():
        settings = settings or {}
        unknown = set(settings) - set(_SETTINGS)
        if unknown:
            raise ValueError(
                f"{path}: source {source!r}: unknown setting(s) {sorted(unknown)}; "
                f"known: {', '.join(_SETTINGS)}"
            )
        money = settings.get("money", False)
        if not isinstance(money, bool):
            raise TypeError(f"{path}: source {source!r}: money must be true or false")
        formats = {}
        for name in ("timestamp_formats", "date_formats"):
            values = settings.get(name) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise TypeError(f"{path}: source {source!r}: {name} must be a list of text")
            formats[name] = tuple(values)
        loaded[str(source)] = SourceFormats(source=str(source), money=money, **formats)
    return loaded


def load_formats(path: Path | None = None) -> dict[str, SourceFormats]:
    """Every source's settings from the formats file; {} when the file does not exist."""
    path = Path(path) if path else formats_file()
    if not path.exists():
        return {}
    return _load(path.resolve(), path.stat().st_mtime_ns)


def formats_for(spec: ObjectSpec, path: Path | None = None) -> SourceFormats:
    """The settings of one object: its own entry ('crm/Lead'), else its system's ('crm/*'),
    else the default ('*'), else none (ISO 8601 and plain numbers only)."""
    configured = load_formats(path)
    for key in (spec.landing_path, f"{spec.system}/*", "*"):
        if key in configured:
            return configured[key]
    return SourceFormats(source=spec.landing_path)


# ISO 8601 date first (year-month-day): anything else is a locale format and needs configuring.
_ISO_DATE = "regexp_matches({v}, '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}')"
_INTEGER = "regexp_full_match({v}, '[+-]?[0-9]+(\\.0*)?')"
_DECIMAL = "regexp_full_match({v}, '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?')"
# '$22,700.00', '-$5', '$1,117.10K', '2.5M', '22,700': thousands groups of three digits.
_MONEY = "regexp_full_match({v}, '[+-]?\\$?([0-9]{{1,3}}(,[0-9]{{3}})+|[0-9]+)(\\.[0-9]+)?[KkMm]?')"
_LOCALE_DATE = "regexp_matches({v}, '^[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-][0-9]{{2,4}}')"
_MONEY_LIKE = "regexp_matches({v}, '[$€£]|[0-9],[0-9]{{3}}|[0-9][KkMm]$')"


def _strptime(v: str, formats: tuple[str, ...]) -> str:
    listed = ", ".join(sql_text(fmt) for fmt in formats)
    return f"CAST(try_strptime({v}, [{listed}]) AS TIMESTAMP)"


def parse_sql(kind: ColumnType, v: str, formats: SourceFormats) -> str:
    """SQL turning the trimmed text `v` (NULL when empty) into `kind`; NULL when it does not
    parse, which is how a bad value is told from a missing one. The session's TimeZone must
    be UTC (FileReader sets it), so a zoned timestamp becomes UTC wall-clock time."""
    if kind == "bigint":
        # '250' and '250.0' are 250; '250.5' is refused rather than rounded.
        return f"CASE WHEN {_INTEGER.format(v=v)} THEN try_cast(split_part({v}, '.', 1) AS BIGINT) END"
    if kind == "double":
        # Plain decimal or exponent notation; 'nan', 'inf' and '1,234.5' are refused unless
        # the source writes money. Money goes through DECIMAL so '$1,117.10K' is exactly
        # 1117100, not 1117100.0000000002.
        plain = f"WHEN {_DECIMAL.format(v=v)} THEN try_cast({v} AS DOUBLE)"
        if not formats.money:
            return f"CASE {plain} END"
        digits = f"replace(regexp_replace({v}, '[$+KkMm]', '', 'g'), ',', '')"
        scale = (f"CASE upper(right({v}, 1)) WHEN 'K' THEN 1000 WHEN 'M' THEN 1000000 "
                 "ELSE 1 END")
        money = (f"WHEN {_MONEY.format(v=v)} THEN "
                 f"CAST(try_cast({digits} AS DECIMAL(38, 6)) * {scale} AS DOUBLE)")
        return f"CASE {plain} {money} END"
    if kind == "boolean":
        # true/false/t/f/yes/no/1/0 in any case (an empty cell is NULL before this).
        return f"try_cast({v} AS BOOLEAN)"
    if kind == "timestamp":
        # '2024-01-22T20:36:47.000+0000', '2020-05-15 22:18:25 UTC', '2020-12-30 3:15:52'
        # (read as UTC), a bare date (midnight UTC). Without the ISO test DuckDB reads
        # '02/03/24' as the year 2.
        iso = (f"CASE WHEN {_ISO_DATE.format(v=v)} "
               f"THEN try_cast(try_cast({v} AS TIMESTAMPTZ) AS TIMESTAMP) END")
        if not formats.timestamp_formats:
            return iso
        return f"coalesce({iso}, {_strptime(v, formats.timestamp_formats)})"
    if kind == "date":
        iso = f"CASE WHEN {_ISO_DATE.format(v=v)} THEN try_cast({v} AS DATE) END"
        if not formats.date_formats:
            return iso
        return f"coalesce({iso}, CAST({_strptime(v, formats.date_formats)} AS DATE))"
    raise ValueError(f"no text parser for contract type {kind!r}")


def hint_sql(kind: ColumnType, v: str, formats: SourceFormats) -> str:
    """SQL text to append to a bad value's reason: which setting of which source would read
    it, or which formats were tried. '' when there is nothing to add."""
    where = f"source {formats.source!r} in landing_formats.yml"
    if kind in ("timestamp", "date"):
        setting = f"{kind}_formats"
        tried = getattr(formats, setting)
        if tried:
            message = f" (tried ISO 8601 and {setting} {list(tried)} of {where})"
            return sql_text(message)
        message = (f" (a locale date is ambiguous and is never guessed: add its format to "
                   f"{setting} of {where}, e.g. '%m/%d/%y' for US exports)")
        return f"CASE WHEN {_LOCALE_DATE.format(v=v)} THEN {sql_text(message)} ELSE '' END"
    if kind == "double" and not formats.money:
        message = f" (money text: set money: true for {where})"
        return f"CASE WHEN {_MONEY_LIKE.format(v=v)} THEN {sql_text(message)} ELSE '' END"
    return "''"
