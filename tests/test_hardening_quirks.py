"""Export quirks: what the ingestion does with each one real CRM and MAP exports show.

Every quirk below lands in one small export file; two module-wide ingestions read them all,
one without format settings and one with the US-locale and money settings of
landing_formats.yml, so each test asserts one quirk's stated outcome: loaded (with the value
read) or quarantined (with file, line, column and reason).
"""

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from hardening_report import Section, reliability_document  # noqa: F401 (fixture)

from revops.contract import spec_for
from revops.ingest import run_ingestion
from revops.ingest.parsing import FORMATS_ENV

REPORT = Section(__doc__)  # this module's section of docs/reliability.md

MODSTAMP = "2024-03-01T10:00:00.000+0000"
WIDE_EXTRA_COLUMNS = 390


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(root: Path, table: str, name: str, text: str) -> None:
    folder = root / spec_for(table).landing_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode("utf-8"))


LEAD_HEADER = ["Id", "Company", "IsConverted", "ConvertedDate", "MQL_Date__c", "CreatedDate",
               "SystemModstamp"]


def _lead(lead_id: str, *, converted="false", converted_date="", mql="", created=MODSTAMP,
          modstamp=MODSTAMP) -> list[str]:
    return [lead_id, "Acme", converted, converted_date, mql, created, modstamp]


def _landing(root: Path) -> None:
    """Write every quirk file under root (the landing folder)."""
    # UTF-8 byte-order mark before the header (Data Loader, Marketo).
    _write(root, "crm_lead", "bom.csv", "\ufeff" + _csv_text(LEAD_HEADER, [_lead("L-BOM")]))
    # Timestamp spellings.
    _write(root, "crm_lead", "timestamps.csv", _csv_text(LEAD_HEADER, [
        _lead("L-TS-SF", mql="2024-01-22T20:36:47.000+0000"),
        _lead("L-TS-UTC", mql="2020-05-15 22:18:25 UTC"),
        _lead("L-TS-HOUR", mql="2020-12-30 3:15:52"),
    ]))
    # US-locale dates (report exports in a US user's locale).
    _write(root, "crm_lead", "us_dates.csv", _csv_text(LEAD_HEADER, [
        _lead("L-US-DATE", converted="true", converted_date="02/03/24", mql="02/03/24"),
        _lead("L-US-TIME", mql="02/23/26 08:55 PM"),
    ]))
    # Booleans: empty, 1, true, TRUE, False.
    _write(root, "crm_lead", "booleans.csv", _csv_text(LEAD_HEADER, [
        _lead(f"L-BOOL-{n}", converted=value)
        for n, value in enumerate(["", "1", "true", "TRUE", "False"])
    ]))
    # Short and over-long rows between good ones (lines 2-5).
    _write(root, "crm_lead", "ragged.csv", _csv_text(LEAD_HEADER, [
        _lead("L-RAGGED-OK1"),
        _lead("L-SHORT")[:-1],
        [*_lead("L-LONG"), "surplus"],
        _lead("L-RAGGED-OK2"),
    ]))
    # Multi-valued cells: merged ids separated by ';' or as a JSON list.
    _write(root, "crm_lead", "multi.csv", _csv_text(
        [*LEAD_HEADER, "Merged_Ids__c", "Score_History__c"],
        [[*_lead("L-MULTI"), "00Q1;00Q2", "[1,2]"]],
    ))
    # Money in a double column.
    _write(root, "crm_opportunity", "money.csv", _csv_text(
        ["Id", "Name", "Amount", "CreatedDate", "SystemModstamp"],
        [["O-MONEY-1", "Deal", "$22,700.00", MODSTAMP, MODSTAMP],
         ["O-MONEY-2", "Deal", "$1,117.10K", MODSTAMP, MODSTAMP],
         ["O-PLAIN", "Deal", "1250.5", MODSTAMP, MODSTAMP]],
    ))
    # JSON inside a quoted cell (Salesforce compound address), with commas and quotes.
    address = json.dumps({"street": "1 Main St, Suite 2", "city": "San Francisco",
                          "note": 'the "blue" door'})
    _write(root, "crm_account", "address.csv", _csv_text(
        ["Id", "Name", "BillingAddress", "SystemModstamp"],
        [["A-JSON", "Acme", address, MODSTAMP]],
    ))
    # A very wide export: 390 custom columns with odd names and __c suffixes.
    odd = ["Billing Address (JSON)", "1st Touch", "a.b", "Über_Feld__c", "Annual Revenue %",
           "  padded  ", "UPPER__C"]
    extras = odd + [f"Custom_Field_{n}__c" for n in range(WIDE_EXTRA_COLUMNS - len(odd))]
    _write(root, "crm_account", "wide.csv", _csv_text(
        ["Id", "Name", "SystemModstamp", *extras],
        [["A-WIDE", "Wide Co", MODSTAMP, *(f"v{n}" for n in range(len(extras)))]],
    ))
    # Fivetran soft delete (no IsDeleted column) and history mode.
    _write(root, "crm_contact", "fivetran_deleted.csv", _csv_text(
        ["id", "last_name", "system_modstamp", "_fivetran_deleted", "_fivetran_synced"],
        [["C-FT-DEL", "Gone", MODSTAMP, "true", MODSTAMP],
         ["C-FT-LIVE", "Here", MODSTAMP, "false", MODSTAMP]],
    ))
    _write(root, "crm_user", "history_mode.csv", _csv_text(
        ["id", "name", "title", "system_modstamp", "_fivetran_active", "_fivetran_start",
         "_fivetran_end"],
        [["U-HIST", "Ann", "SDR", "2024-01-01T00:00:00.000+0000", "false",
          "2024-01-01T00:00:00.000+0000", "2024-02-01T00:00:00.000+0000"],
         ["U-HIST", "Ann", "AE", "2024-02-01T00:00:00.000+0000", "true",
          "2024-02-01T00:00:00.000+0000", "9999-12-31T23:59:59.000+0000"],
         # A later but inactive row must not win over the active one.
         ["U-HIST2", "Bo", "Manager", "2024-03-01T00:00:00.000+0000", "true",
          "2024-03-01T00:00:00.000+0000", "9999-12-31T23:59:59.000+0000"],
         ["U-HIST2", "Bo", "Old", "2024-04-01T00:00:00.000+0000", "FALSE",
          "2024-01-01T00:00:00.000+0000", "2024-03-01T00:00:00.000+0000"]],
    ))


US_FORMATS = """
sources:
  crm/Lead:
    timestamp_formats: ['%m/%d/%y %I:%M %p', '%m/%d/%y']
    date_formats: ['%m/%d/%y']
  crm/Opportunity:
    money: true
"""


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quirks") / "landing"
    _landing(root)
    return root


@pytest.fixture(scope="module")
def plain(landing: Path) -> Path:
    """The warehouse after ingesting every quirk file without format settings."""
    database = landing.parent / "plain.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FORMATS_ENV, str(landing.parent / "no_such_formats.yml"))
        run_ingestion(landing, database).raise_for_errors()
    return database


@pytest.fixture(scope="module")
def configured(landing: Path) -> Path:
    """The warehouse after ingesting Lead and Opportunity with the US and money settings."""
    formats = landing.parent / "landing_formats.yml"
    formats.write_text(US_FORMATS, encoding="utf-8")
    database = landing.parent / "configured.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(FORMATS_ENV, str(formats))
        run_ingestion(landing, database, ["crm_lead", "crm_opportunity"]).raise_for_errors()
    return database


def _query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _value(database: Path, table: str, key: str, column: str):
    rows = _query(database, f'select "{column}" from raw.{table} where id = ?', [key])
    assert len(rows) == 1, f"{key} not loaded into raw.{table}"
    return rows[0][0]


def _quarantined(database: Path, source_file: str) -> list[tuple]:
    return _query(database, """
        select source_file, source_line, column_name, error_type, reason from raw._quarantine
        where source_file = ? order by source_line, column_name""", [source_file])


def _where(row: tuple) -> str:
    return f"quarantined: {row[0]} line {row[1]} column {row[2]} ({row[3]}): {row[4]}"


def test_a_byte_order_mark_before_the_header_loads_the_first_column(plain):
    assert _value(plain, "crm_lead", "L-BOM", "company") == "Acme"
    assert _quarantined(plain, "crm/Lead/bom.csv") == []
    REPORT.add("UTF-8 byte-order mark before the header",
                "loaded: `Id` read as the key `id` (L-BOM), nothing quarantined")


@pytest.mark.parametrize(("key", "text", "expected"), [
    ("L-TS-SF", "2024-01-22T20:36:47.000+0000", datetime(2024, 1, 22, 20, 36, 47)),
    ("L-TS-UTC", "2020-05-15 22:18:25 UTC", datetime(2020, 5, 15, 22, 18, 25)),
    ("L-TS-HOUR", "2020-12-30 3:15:52", datetime(2020, 12, 30, 3, 15, 52)),
])
def test_timestamp_spellings_load_as_utc(plain, key, text, expected):
    assert _value(plain, "crm_lead", key, "mql_date_c") == expected
    REPORT.add(f"timestamp `{text}`", f"loaded as UTC `{expected.isoformat(sep=' ')}`")


def test_us_locale_dates_without_a_format_setting_are_quarantined_naming_the_setting(
    plain
):
    rows = _quarantined(plain, "crm/Lead/us_dates.csv")
    by_column = {(row[1], row[2]): row for row in rows}
    assert set(by_column) == {(2, "converted_date"), (2, "mql_date_c"), (3, "mql_date_c")}
    for row in rows:
        assert row[3] == "bad_value"
        assert "never guessed" in row[4] and "landing_formats.yml" in row[4], row[4]
        assert "'crm/Lead'" in row[4]
    assert "timestamp_formats" in by_column[(3, "mql_date_c")][4]
    assert "date_formats" in by_column[(2, "converted_date")][4]
    assert _query(plain, "select count(*) from raw.crm_lead where id like 'L-US-%'") == [(0,)]
    for row in rows:
        REPORT.add(f"US-locale date, no format configured ({row[2]}, line {row[1]})", _where(row))


def test_us_locale_dates_with_the_format_configured_load(configured):
    assert _value(configured, "crm_lead", "L-US-DATE", "mql_date_c") == datetime(2024, 2, 3)
    assert _value(configured, "crm_lead", "L-US-DATE", "converted_date") == date(2024, 2, 3)
    assert _value(configured, "crm_lead", "L-US-TIME", "mql_date_c") == datetime(2026, 2, 23, 20, 55)
    assert _quarantined(configured, "crm/Lead/us_dates.csv") == []
    REPORT.add("US-locale `02/03/24` with `timestamp_formats`/`date_formats: ['%m/%d/%y']`",
                "loaded: 2024-02-03 (timestamp midnight UTC; date)")
    REPORT.add("US-locale `02/23/26 08:55 PM` with `'%m/%d/%y %I:%M %p'`",
                "loaded: 2026-02-23 20:55:00 UTC")


def test_boolean_spellings_load(plain):
    expected = [None, True, True, True, False]
    for n, (text, value) in enumerate(zip(["", "1", "true", "TRUE", "False"], expected,
                                          strict=True)):
        assert _value(plain, "crm_lead", f"L-BOOL-{n}", "is_converted") is value
        REPORT.add(f"boolean `{text}`", f"loaded as {'NULL' if value is None else value}")


def test_money_text_without_the_setting_is_quarantined_and_with_it_loads(
    plain, configured
):
    rows = _quarantined(plain, "crm/Opportunity/money.csv")
    assert [(row[1], row[2], row[3]) for row in rows] == [
        (2, "amount", "bad_value"), (3, "amount", "bad_value")]
    assert all("money: true" in row[4] and "'crm/Opportunity'" in row[4] for row in rows)
    assert _value(plain, "crm_opportunity", "O-PLAIN", "amount") == 1250.5
    assert _value(configured, "crm_opportunity", "O-MONEY-1", "amount") == 22700.0
    assert _value(configured, "crm_opportunity", "O-MONEY-2", "amount") == 1117100.0
    assert _value(configured, "crm_opportunity", "O-PLAIN", "amount") == 1250.5
    for row in rows:
        REPORT.add(f"money, no setting (line {row[1]})", _where(row))
    REPORT.add("money `$22,700.00` with `money: true`", "loaded as 22700.0")
    REPORT.add("money `$1,117.10K` with `money: true`", "loaded as 1117100.0")


def test_json_inside_a_quoted_cell_is_kept_as_text(plain):
    text = _value(plain, "crm_account", "A-JSON", "billing_address")
    assert json.loads(text)["street"] == "1 Main St, Suite 2"
    assert json.loads(text)["note"] == 'the "blue" door'
    REPORT.add("JSON in a quoted cell (compound address with commas and quotes)",
                "loaded as text in `billing_address`; parses back to the same object")


def test_short_and_over_long_rows_are_quarantined_with_their_lines(plain):
    rows = _quarantined(plain, "crm/Lead/ragged.csv")
    assert [(row[1], row[3]) for row in rows] == [(3, "malformed_csv"), (4, "malformed_csv")]
    assert rows[0][2] == "system_modstamp"  # the first missing column
    assert "Expected Number of Columns" in rows[1][4] or "columns" in rows[1][4].lower()
    loaded = _query(plain, "select id from raw.crm_lead where id like 'L-RAGGED%' order by id")
    assert loaded == [("L-RAGGED-OK1",), ("L-RAGGED-OK2",)]
    REPORT.add("short row (trailing column missing)", _where(rows[0]))
    REPORT.add("over-long row (one cell too many)", _where(rows[1]))


def test_a_very_wide_table_with_odd_names_and_custom_fields_loads_every_column(
    plain
):
    columns = {name for (name,) in _query(plain, """
        select column_name from duckdb_columns()
        where schema_name = 'raw' and table_name = 'crm_account'""")}
    customs = {name for name in columns if name.startswith("custom_field_")}
    assert len(customs) == WIDE_EXTRA_COLUMNS - 7
    for name in ("billing_address_json", "_1st_touch", "a_b", "annual_revenue", "padded",
                 "upper_c"):
        assert any(column.startswith(name) for column in columns), name
    assert _value(plain, "crm_account", "A-WIDE", "custom_field_382_c") == f"v{382 + 7}"
    REPORT.add(f"wide export: {WIDE_EXTRA_COLUMNS + 3} columns, odd names, `__c` fields",
                f"loaded: every column kept as text under its snake_case name "
                f"({len(columns)} columns in raw.crm_account)")


def test_multi_valued_cells_are_kept_as_text(plain):
    assert _value(plain, "crm_lead", "L-MULTI", "merged_ids_c") == "00Q1;00Q2"
    assert _value(plain, "crm_lead", "L-MULTI", "score_history_c") == "[1,2]"
    REPORT.add("multi-valued cells `00Q1;00Q2` and `[1,2]`", "loaded as the text written")


def test_fivetran_deleted_is_read_as_is_deleted(plain):
    assert _value(plain, "crm_contact", "C-FT-DEL", "is_deleted") is True
    assert _value(plain, "crm_contact", "C-FT-LIVE", "is_deleted") is False
    assert _value(plain, "crm_contact", "C-FT-DEL", "_fivetran_deleted") == "true"
    REPORT.add("`_fivetran_deleted` without `IsDeleted`",
                "loaded: read as `is_deleted` (the record is kept and flagged); "
                "the column is also kept as text")


def test_fivetran_history_mode_loads_only_the_active_version(plain):
    assert _value(plain, "crm_user", "U-HIST", "title") == "AE"
    assert _value(plain, "crm_user", "U-HIST2", "title") == "Manager"
    assert _query(plain, "select count(*) from raw.crm_user") == [(2,)]
    REPORT.add("history mode (`_fivetran_active`, `_fivetran_start`/`_end`)",
                "only the row with `_fivetran_active` true loads, even when an inactive row "
                "has a later version; inactive rows count as skipped; `_fivetran_start`/`_end` "
                "are kept as text")
