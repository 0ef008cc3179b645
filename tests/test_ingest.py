"""Ingestion of landing files into schema raw: real files, a real DuckDB file, real dlt runs."""

import csv
import fcntl
import gzip
import io
import os
import random
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dlt.common.runtime import anon_tracker
from psycopg2.extensions import parse_dsn

from revops.contract import OBJECTS, spec_for
from revops.ingest import (
    DuplicateColumnError,
    IngestError,
    MissingColumnError,
    build_pipeline,
    build_source,
    pipelines_dir,
    postgres_url_from_env,
    run_ingestion,
)
from revops.ingest.contract_doc import BEGIN, DOC_PATH, END, render_contract_markdown
from revops.ingest.csv_lines import record_texts, scan_record_lines
from revops.ingest.files import canonical_name
from revops.ingest.warehouse import DuckDBRaw

# Salesforce-export headers (API names) of the columns the fixtures use.
SALESFORCE_HEADERS = {
    "id": "Id",
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "company": "Company",
    "number_of_employees": "NumberOfEmployees",
    "status": "Status",
    "is_converted": "IsConverted",
    "converted_date": "ConvertedDate",
    "mql_date_c": "MQL_Date__c",
    "created_date": "CreatedDate",
    "last_modified_date": "LastModifiedDate",
    "system_modstamp": "SystemModstamp",
    "is_deleted": "IsDeleted",
    "name": "Name",
    "industry": "Industry",
    "annual_revenue": "AnnualRevenue",
    "preferred_language_c": "Preferred_Language__c",
}
SF_TIME = "{}T{}.000+0000"  # Salesforce export timestamps: UTC with a +0000 offset


def sf_time(day: str, clock: str = "12:00:00") -> str:
    return SF_TIME.format(day, clock)


def lead(lead_id: str, modstamp: str, **fields: str) -> dict[str, str]:
    """A Lead record with canonical column names and Salesforce-export text values."""
    return {
        "id": lead_id,
        "first_name": fields.pop("first_name", "Ann"),
        "company": fields.pop("company", "Acme"),
        "email": fields.pop("email", f"{lead_id.lower()}@example.com"),
        "number_of_employees": fields.pop("number_of_employees", "250"),
        "is_converted": fields.pop("is_converted", "false"),
        "created_date": fields.pop("created_date", sf_time("2024-01-01")),
        "system_modstamp": modstamp,
        "is_deleted": fields.pop("is_deleted", "false"),
        **fields,
    }


class Landing:
    """Writes export files under <tmp>/landing the way the exporting tools would."""

    def __init__(self, root: Path):
        self.root = root

    def folder(self, table: str) -> Path:
        path = self.root / spec_for(table).landing_path
        path.mkdir(parents=True, exist_ok=True)
        return path

    def csv(
        self,
        table: str,
        name: str,
        rows: list[dict[str, str]],
        *,
        headers: str = "salesforce",
        newline: str = "\n",
    ) -> Path:
        """Write rows as CSV (gzip when name ends .gz) with Salesforce or snake_case headers."""
        columns = list(dict.fromkeys(column for row in rows for column in row))
        header = [SALESFORCE_HEADERS.get(c, c) if headers == "salesforce" else c for c in columns]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=newline)
        writer.writerow(header)
        writer.writerows([[row.get(column, "") for column in columns] for row in rows])
        return self.text(table, name, buffer.getvalue())

    def text(self, table: str, name: str, text: str) -> Path:
        """Write a file byte for byte (for malformed exports)."""
        path = self.folder(table) / name
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    def parquet(self, table: str, name: str, data: pa.Table) -> Path:
        path = self.folder(table) / name
        pq.write_table(data, path)
        return path


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "revops.duckdb"


def ingest(landing: Landing, warehouse: Path, *tables: str):
    messages: list[str] = []
    report = run_ingestion(landing.root, warehouse, tables or None, progress=messages.append)
    report.messages = messages
    return report


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(sql).fetchall()


def rows_by_id(warehouse: Path, table: str, columns: str) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in query(warehouse, f"select id, {columns} from raw.{table}")}


# --- naming and the line scan (pure functions) -----------------------------------------------


def test_headers_are_canonicalised_with_dlts_snake_case():
    assert canonical_name("AccountId") == "account_id"
    assert canonical_name("MQL_Date__c") == "mql_date_c"
    assert canonical_name("SystemModstamp") == "system_modstamp"
    assert canonical_name("_fivetran_synced") == "_fivetran_synced"
    for snake, salesforce in SALESFORCE_HEADERS.items():
        assert canonical_name(salesforce) == snake


def _python_csv_record_lines(text: str) -> list[tuple[int, bool]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    lines, previous_end = [], 0
    for row in reader:
        lines.append((previous_end + 1, row == []))
        previous_end = reader.line_num
    return lines


def test_the_line_scan_finds_the_same_record_starts_as_pythons_csv_module():
    cells = ["a", "", "x y", '"q""q"', '"l\nm"', '"l\r\nm"', '"\n"', '""', '","']
    generator = random.Random(7)
    for _ in range(500):
        newline = generator.choice(["\n", "\r\n"])
        rows = [
            ",".join(generator.choice(cells) for _ in range(3)) if generator.random() > 0.1 else ""
            for _ in range(generator.randint(0, 8))
        ]
        text = "h1,h2,h3" + newline + newline.join(rows) + generator.choice(["", newline])
        data = text.encode()
        cut = generator.randint(0, len(data))
        scanned = scan_record_lines([data[:cut], data[cut:]])  # a chunk border anywhere
        assert scanned.quoting_valid
        found = list(zip(scanned.start_line.tolist(), scanned.blank.tolist(), strict=True))
        assert found == _python_csv_record_lines(text), repr(text)
        # The raw text of any records, reassembled across chunk borders.
        records = np.array(generator.sample(range(len(found)), min(3, len(found))), np.int64)
        bounds = [*scanned.start_offset.tolist(), len(data)]
        expected = [
            data[bounds[k] : bounds[k + 1]].removesuffix(b"\n").removesuffix(b"\r").decode()
            for k in records
        ]
        pieces = [data[i : i + 5] for i in range(0, len(data), 5)]
        assert record_texts(pieces, scanned, records) == expected


def test_the_line_scan_flags_a_stray_quote_in_an_unquoted_cell():
    assert not scan_record_lines([b'id,name\n1,5" screen\n2,b\n']).quoting_valid
    assert scan_record_lines([b'id,name\n1,"5"" screen"\n2,b\n']).quoting_valid


# --- idempotency and latest-wins ------------------------------------------------------------


def test_loading_the_same_export_twice_adds_no_rows_and_keeps_row_hashes(landing, warehouse):
    export = landing.csv(
        "crm_lead",
        "Lead_000.csv",
        [
            lead("00Q1", sf_time("2024-01-22")),
            lead("00Q2", sf_time("2024-01-22")),
            lead("00Q3", sf_time("2024-01-22")),
        ],
    )
    ingest(landing, warehouse, "crm_lead")
    before = rows_by_id(warehouse, "crm_lead", "_row_hash, _loaded_at, _source_file")

    # The same export again under another name: read, but nothing in it is newer.
    shutil.copy(export, export.with_name("Lead_000_again.csv"))
    report = ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "_row_hash, _loaded_at, _source_file") == before
    assert report.tables["crm_lead"].files_read == ["crm/Lead/Lead_000_again.csv"]
    assert (report.tables["crm_lead"].rows_loaded, report.tables["crm_lead"].rows_skipped) == (0, 3)


def test_the_same_record_as_csv_and_as_parquet_gets_the_same_row_hash(tmp_path):
    csv_landing, parquet_landing = Landing(tmp_path / "a"), Landing(tmp_path / "b")
    csv_landing.csv(
        "crm_account",
        "Account.csv",
        [
            {
                "id": "001A",
                "name": "Acme",
                "annual_revenue": "1250000.50",
                "industry": "",
                "created_date": sf_time("2024-01-01", "08:30:00"),
                "system_modstamp": sf_time("2024-02-01", "09:15:30"),
                "is_deleted": "false",
            }
        ],
    )
    parquet_landing.parquet(
        "crm_account",
        "account.parquet",
        pa.table(
            {
                "Id": ["001A"],
                "Name": ["Acme"],
                "AnnualRevenue": [1250000.5],
                "Industry": pa.array([None], pa.string()),
                "CreatedDate": pa.array(
                    [datetime(2024, 1, 1, 8, 30, tzinfo=UTC)], pa.timestamp("us", "UTC")
                ),
                "SystemModstamp": pa.array([datetime(2024, 2, 1, 9, 15, 30)], pa.timestamp("ms")),
                "IsDeleted": [False],
            }
        ),
    )
    ingest(csv_landing, tmp_path / "a.duckdb", "crm_account")
    ingest(parquet_landing, tmp_path / "b.duckdb", "crm_account")

    sql = "select _row_hash, created_date, system_modstamp from raw.crm_account"
    assert query(tmp_path / "a.duckdb", sql) == query(tmp_path / "b.duckdb", sql)


def test_an_overlapping_later_export_updates_in_place_and_the_latest_version_wins(
    landing, warehouse
):
    landing.csv(
        "crm_lead",
        "Lead_000.csv",
        [
            lead("00Q1", sf_time("2024-01-10"), company="Acme"),
            lead("00Q2", sf_time("2024-01-10"), company="Beta"),
        ],
    )
    ingest(landing, warehouse, "crm_lead")
    landing.csv(
        "crm_lead",
        "Lead_001.csv",
        [
            lead("00Q2", sf_time("2024-02-10"), company="Beta Holdings"),
            lead("00Q3", sf_time("2024-02-10"), company="Gamma"),
        ],
    )
    ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "company, system_modstamp, _source_file") == {
        "00Q1": ("Acme", datetime(2024, 1, 10, 12), "crm/Lead/Lead_000.csv"),
        "00Q2": ("Beta Holdings", datetime(2024, 2, 10, 12), "crm/Lead/Lead_001.csv"),
        "00Q3": ("Gamma", datetime(2024, 2, 10, 12), "crm/Lead/Lead_001.csv"),
    }


def test_an_older_re_export_arriving_later_does_not_overwrite_a_newer_row(landing, warehouse):
    landing.csv(
        "crm_lead", "Lead_2024-02.csv", [lead("00Q1", sf_time("2024-02-01"), company="New")]
    )
    ingest(landing, warehouse, "crm_lead")
    landing.csv(
        "crm_lead", "Lead_2024-01.csv", [lead("00Q1", sf_time("2024-01-01"), company="Old")]
    )
    report = ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "company") == {"00Q1": ("New",)}
    assert report.tables["crm_lead"].rows_skipped == 1


def test_small_files_of_a_daily_run_share_one_look_up_of_raws_versions(
    landing, warehouse, monkeypatch
):
    # A daily run lands ~200 small files at 1M leads: one look-up per file (each a scan of
    # the raw table's keys) was most of its ingestion time. A group of small files shares one,
    # and every file keeps its own ledger row and its own outcome.
    landing.csv("crm_lead", "Lead_000.csv", [lead("00Q1", sf_time("2024-02-01"), company="New")])
    ingest(landing, warehouse, "crm_lead")
    look_ups = []
    real_look_up = DuckDBRaw.existing_versions
    monkeypatch.setattr(
        DuckDBRaw,
        "existing_versions",
        lambda self, spec, keys: look_ups.append(keys.num_rows) or real_look_up(self, spec, keys),
    )
    landing.csv("crm_lead", "Lead_001.csv", [lead("00Q1", sf_time("2024-01-01"), company="Old")])
    landing.csv("crm_lead", "Lead_002.csv", [lead("00Q2", sf_time("2024-01-01"), company="Two")])
    landing.csv("crm_lead", "Lead_003.csv", [lead("00Q3", sf_time("2024-01-01"), company="Three")])
    report = ingest(landing, warehouse, "crm_lead")

    assert look_ups == [3]
    assert rows_by_id(warehouse, "crm_lead", "company, _source_file") == {
        "00Q1": ("New", "crm/Lead/Lead_000.csv"),
        "00Q2": ("Two", "crm/Lead/Lead_002.csv"),
        "00Q3": ("Three", "crm/Lead/Lead_003.csv"),
    }
    assert report.tables["crm_lead"].rows_skipped == 1
    ledger = query(
        warehouse,
        "select source_file, rows_read, rows_loaded from raw._ingested_files order by source_file",
    )
    assert ledger == [
        ("crm/Lead/Lead_000.csv", 1, 1),
        ("crm/Lead/Lead_001.csv", 1, 0),
        ("crm/Lead/Lead_002.csv", 1, 1),
        ("crm/Lead/Lead_003.csv", 1, 1),
    ]


def test_within_one_run_the_latest_version_of_a_key_wins_across_lines_and_files(landing, warehouse):
    landing.csv(
        "crm_lead",
        "Lead_a.csv",
        [
            lead("00Q1", sf_time("2024-01-01"), company="v1"),
            lead("00Q1", sf_time("2024-03-01"), company="v3"),  # line 3: the newest
            lead("00Q1", sf_time("2024-02-01"), company="v2"),
            lead("00Q2", sf_time("2024-05-01"), company="b-newest"),
            lead("00Q3", sf_time("2024-04-01"), company="c-older"),
        ],
    )
    landing.csv(
        "crm_lead",
        "Lead_b.csv",
        [
            lead("00Q2", sf_time("2024-04-01"), company="b-older"),
            lead("00Q3", sf_time("2024-05-01"), company="c-newest"),
        ],
    )
    report = ingest(landing, warehouse, "crm_lead")
    assert APPENDED not in report.messages  # a key in two files: the first load merges

    # In-file duplicates are resolved before dlt; across files (newest first in one case,
    # last in the other), dlt's merge keeps the highest system_modstamp: its `dedup_sort` hint.
    assert rows_by_id(warehouse, "crm_lead", "company, _source_file, _source_line") == {
        "00Q1": ("v3", "crm/Lead/Lead_a.csv", 3),
        "00Q2": ("b-newest", "crm/Lead/Lead_a.csv", 5),
        "00Q3": ("c-newest", "crm/Lead/Lead_b.csv", 3),
    }


def test_deleted_records_are_kept_and_flagged(landing, warehouse):
    landing.csv(
        "crm_lead",
        "Lead_000.csv",
        [
            lead("00Q1", sf_time("2024-01-01")),
            lead("00Q2", sf_time("2024-01-01")),
        ],
    )
    ingest(landing, warehouse, "crm_lead")
    landing.csv(
        "crm_lead", "Lead_001.csv", [lead("00Q1", sf_time("2024-02-01"), is_deleted="true")]
    )
    ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "is_deleted") == {"00Q1": (True,), "00Q2": (False,)}


# --- quarantine ---------------------------------------------------------------------------

MALFORMED_LEADS = [
    "Id,FirstName,Company,CreatedDate,SystemModstamp,IsDeleted",  # line 1
    (  # lines 2-4: a quoted cell over three lines
        '00Q1,Ann,"Acme\nInternational\nInc",2024-01-01T00:00:00.000+0000,'
        "2024-01-22T20:36:47.000+0000,false"
    ),
    "00Q2,Bob,Beta,2024-01-01T00:00:00.000+0000,2024-13-45T99:00:00.000+0000,false",  # 5
    ",Cid,Gamma,2024-01-01T00:00:00.000+0000,2024-01-22T20:36:47.000+0000,false",  # 6
    "00Q4,Dan,Delta",  # 7: short row
    '00Q5,Eve,"Echo, ""the"" company",2024-01-01,2024-01-22 20:36:47,0',  # 8
    "00Q6,Fay,Foxtrot,2024-01-01,2024-01-22T20:36:47Z,false,surplus",  # 9: over-long row
    "00Q7,Gus,Golf,2024-01-01,2024-01-22T20:36:47Z,TRUE",  # 10
]


@pytest.mark.parametrize(("name", "newline"), [("Lead.csv", "\n"), ("Lead.csv.gz", "\r\n")])
def test_malformed_rows_are_quarantined_with_file_line_and_reason_while_good_rows_load(
    landing, warehouse, name, newline
):
    landing.text("crm_lead", name, "\n".join(MALFORMED_LEADS).replace("\n", newline) + newline)
    report = ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "_source_line, company") == {
        "00Q1": (2, "Acme\nInternational\nInc".replace("\n", newline)),
        "00Q5": (8, 'Echo, "the" company'),
        "00Q7": (10, "Golf"),
    }
    quarantined = query(
        warehouse,
        """
        select source_file, source_line, column_name, error_type, reason, raw_record
        from raw._quarantine order by source_line""",
    )
    assert [row[0] for row in quarantined] == [f"crm/Lead/{name}"] * 4
    assert [(row[1], row[3]) for row in quarantined] == [
        (5, "bad_value"),
        (6, "empty_primary_key"),
        (7, "malformed_csv"),
        (9, "malformed_csv"),
    ]
    bad_timestamp, empty_id, short_row, long_row = quarantined
    assert bad_timestamp[2] == "system_modstamp"
    assert "'2024-13-45T99:00:00.000+0000' is not a valid timestamp" in bad_timestamp[4]
    assert '"SystemModstamp":"2024-13-45T99:00:00.000+0000"' in bad_timestamp[5]
    assert empty_id[2] == "id" and "primary key is empty" in empty_id[4]
    assert "Expected Number of Columns: 6 Found: 3" in short_row[4]
    assert short_row[5] == "00Q4,Dan,Delta"
    assert long_row[5] == "00Q6,Fay,Foxtrot,2024-01-01,2024-01-22T20:36:47Z,false,surplus"
    assert "TOO MANY COLUMNS" in long_row[4]
    assert report.tables["crm_lead"].rows_quarantined == 4
    assert "crm_lead: " + name + " 7 rows, 3 loaded, 0 unchanged or older, 4 quarantined" in (
        report.messages
    )


def test_a_stray_quote_in_an_unquoted_cell_still_gives_exact_lines(landing, warehouse):
    lines = [
        "Id,Company,CreatedDate,SystemModstamp",
        '00Q1,Acme 5" Screens,2024-01-01,2024-01-02',  # 2: a quote as a character
        '00Q2,"Beta\nCorp",2024-01-01,2024-01-02',  # 3-4
        "00Q3,short",  # 5
        "00Q4,Delta,2024-01-01,2024-01-02",  # 6
    ]
    landing.text("crm_lead", "Lead.csv", "".join(f"{line}\n" for line in lines))
    report = ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "_source_line, company") == {
        "00Q1": (2, 'Acme 5" Screens'),
        "00Q2": (3, "Beta\nCorp"),
        "00Q4": (6, "Delta"),
    }
    assert query(warehouse, "select source_line from raw._quarantine") == [(5,)]
    assert any("re-read with Python's csv module" in message for message in report.messages)


def test_a_file_the_duckdb_reader_gives_up_on_is_read_with_pythons_csv_module(landing, warehouse):
    # CR CR LF line ends stop DuckDB's strict reader outright instead of rejecting rows.
    landing.text("crm_lead", "Lead.csv", "\r\r\n".join(MALFORMED_LEADS) + "\r\r\n")
    report = ingest(landing, warehouse, "crm_lead")

    assert set(rows_by_id(warehouse, "crm_lead", "company")) == {"00Q1", "00Q5", "00Q7"}
    assert report.tables["crm_lead"].rows_quarantined == 4
    assert any("re-read with Python's csv module" in message for message in report.messages)


def test_a_parquet_row_without_a_key_is_quarantined_with_its_row_number(landing, warehouse):
    updated = pa.array([datetime(2024, 3, 1, 10, tzinfo=UTC)] * 3, pa.timestamp("us", "UTC"))
    landing.parquet(
        "map_activity",
        "activities_000.parquet",
        pa.table(
            {
                "activity_id": ["A1", None, "A3"],
                "activity_type": ["email_open", "web_visit", "form_fill"],
                "activity_at": updated,
                "updated_at": updated,
            }
        ),
    )
    ingest(landing, warehouse, "map_activity")

    assert query(
        warehouse, "select activity_id, _source_line from raw.map_activity order by 1"
    ) == [
        ("A1", 1),
        ("A3", 3),
    ]
    assert query(warehouse, "select source_line, error_type from raw._quarantine") == [
        (2, "empty_primary_key"),
    ]


# --- missing, optional and unknown columns ---------------------------------------------------


def test_a_missing_required_column_fails_only_that_table_naming_the_file_and_the_column(
    landing, warehouse
):
    landing.csv("crm_lead", "Lead_000.csv", [lead("00Q1", sf_time("2024-01-01"))])
    broken = landing.csv(
        "crm_lead",
        "Lead_001.csv",
        [
            {
                key: value
                for key, value in lead("00Q2", sf_time("2024-01-01")).items()
                if key != "system_modstamp"
            }
        ],
    )
    landing.csv(
        "crm_account",
        "Account.csv",
        [
            {
                "id": "001A",
                "name": "Acme",
                "system_modstamp": sf_time("2024-01-01"),
            }
        ],
    )
    report = ingest(landing, warehouse, "crm_lead", "crm_account")

    assert report.failed_tables == ["crm_lead"]
    [error] = report.errors_for("crm_lead")
    assert isinstance(error, MissingColumnError)
    assert str(broken) in str(error) and "'system_modstamp'" in str(error)
    # The table stops: not even the good file of crm_lead loads; crm_account does.
    assert query(warehouse, "select count(*) from raw.crm_lead") == [(0,)]
    assert query(warehouse, "select id from raw.crm_account") == [("001A",)]
    assert query(warehouse, "select source_file, column_name, error_type from raw._quarantine") == [
        ("crm/Lead/Lead_001.csv", "system_modstamp", "missing_required_column"),
    ]
    with pytest.raises(IngestError, match="system_modstamp"):
        report.raise_for_errors()
    report.raise_for_errors(tables=["crm_account"])  # the healthy table does not raise

    broken.unlink()
    fixed = ingest(landing, warehouse, "crm_lead", "crm_account")
    assert fixed.failed_tables == []
    assert query(warehouse, "select id from raw.crm_lead") == [("00Q1",)]


def test_a_damaged_gzip_file_fails_its_table_naming_the_file(landing, warehouse):
    landing.csv("crm_lead", "Lead_000.csv", [lead("00Q1", sf_time("2024-01-01"))])
    rows = [lead(f"00Q{n}", sf_time("2024-01-01")) for n in range(2, 2000)]
    whole = landing.csv("crm_lead", "Lead_001.csv.gz", rows)
    whole.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # a transfer cut short
    landing.csv("crm_lead", "Lead_002.csv", [lead("00Q9000", sf_time("2024-01-01"))])
    landing.csv("crm_account", "Account.csv", [{"id": "001A", "system_modstamp": "2024-01-01"}])
    report = ingest(landing, warehouse, "crm_lead", "crm_account")

    assert report.failed_tables == ["crm_lead"]
    assert str(whole) in str(report.errors_for("crm_lead")[0])
    assert "cannot read" in str(report.errors_for("crm_lead")[0])
    assert query(warehouse, "select id from raw.crm_account") == [("001A",)]
    # The file before the damaged one (read in the same group) loads; the one after waits for
    # the next run, as the damaged file does: the ledger lists only the one that loaded.
    assert query(warehouse, "select id from raw.crm_lead") == [("00Q1",)]
    assert query(
        warehouse,
        "select source_file from raw._ingested_files where table_name = 'crm_lead'",
    ) == [("crm/Lead/Lead_000.csv",)]


def test_missing_optional_columns_are_present_as_null_in_every_raw_table(landing, warehouse):
    landing.csv(
        "crm_lead",
        "Lead_000.csv",
        [
            {
                "id": "00Q1",
                "created_date": sf_time("2024-01-01"),
                "system_modstamp": sf_time("2024-01-02"),
            }
        ],
    )
    ingest(landing, warehouse)

    for spec in OBJECTS:  # including the tables no file landed for
        columns = {
            row[0]
            for row in query(
                warehouse,
                f"select column_name from duckdb_columns() where schema_name = 'raw' "
                f"and table_name = '{spec.table}'",
            )
        }
        assert set(spec.columns) <= columns, spec.table
    assert query(warehouse, "select email, mql_date_c, is_converted from raw.crm_lead") == [
        (None, None, None),
    ]


def test_unknown_custom_columns_are_kept_as_text(landing, warehouse):
    landing.csv(
        "crm_lead",
        "Lead_000.csv",
        [
            lead(
                "00Q1",
                sf_time("2024-01-01"),
                preferred_language_c="de",
                Lead_Score__c="87",
                _fivetran_synced="2024-01-02T00:00:00Z",
            ),
        ],
    )
    ingest(landing, warehouse, "crm_lead")

    assert query(
        warehouse,
        """
        select column_name, data_type from duckdb_columns()
        where schema_name = 'raw' and table_name = 'crm_lead'
          and column_name in ('preferred_language_c', 'lead_score_c', '_fivetran_synced')
        order by 1""",
    ) == [
        ("_fivetran_synced", "VARCHAR"),
        ("lead_score_c", "VARCHAR"),
        ("preferred_language_c", "VARCHAR"),
    ]
    assert query(warehouse, "select preferred_language_c, lead_score_c from raw.crm_lead") == [
        ("de", "87"),
    ]


def test_two_headers_for_one_column_stop_the_table_and_metadata_names_are_not_overwritten(
    landing, warehouse
):
    landing.text("crm_lead", "Lead.csv", "Id,id,SystemModstamp\n00Q1,00Q1,2024-01-01\n")
    landing.text(
        "crm_account",
        "Account.csv",
        "Id,SystemModstamp,_source_file\n001A,2024-01-01,exported-by-tool.csv\n",
    )
    report = ingest(landing, warehouse, "crm_lead", "crm_account")

    [error] = report.errors_for("crm_lead")
    assert isinstance(error, DuplicateColumnError) and "'Id', 'id'" in str(error)
    assert query(warehouse, "select _source_file, landing_source_file from raw.crm_account") == [
        ("crm/Account/Account.csv", "exported-by-tool.csv"),
    ]


def test_salesforce_export_and_snake_case_headers_land_in_the_same_columns(landing, warehouse):
    landing.csv(
        "crm_lead",
        "Lead_export.csv",
        [lead("00Q1", sf_time("2024-01-02"), mql_date_c=sf_time("2024-01-05"))],
        headers="salesforce",
    )
    landing.csv(
        "crm_lead",
        "lead_connector.csv",
        [
            lead(
                "00Q2",
                "2024-01-02 12:00:00",
                mql_date_c="2024-01-05 12:00:00",
                _fivetran_synced="2024-01-03",
            )
        ],
        headers="snake_case",
    )
    ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "email, mql_date_c, system_modstamp") == {
        "00Q1": ("00q1@example.com", datetime(2024, 1, 5, 12), datetime(2024, 1, 2, 12)),
        "00Q2": ("00q2@example.com", datetime(2024, 1, 5, 12), datetime(2024, 1, 2, 12)),
    }


def test_timestamps_land_as_utc_wall_clock_without_a_zone(landing, warehouse):
    landing.csv(
        "crm_lead",
        "Lead_000.csv",
        [
            lead("00Q1", "2024-01-22T20:36:47.000+0100"),
            lead("00Q2", "2024-01-22T20:36:47Z"),
            lead("00Q3", "2024-01-22 20:36:47", converted_date="2024-01-23"),
        ],
    )
    ingest(landing, warehouse, "crm_lead")

    assert rows_by_id(warehouse, "crm_lead", "system_modstamp, converted_date") == {
        "00Q1": (datetime(2024, 1, 22, 19, 36, 47), None),
        "00Q2": (datetime(2024, 1, 22, 20, 36, 47), None),
        "00Q3": (datetime(2024, 1, 22, 20, 36, 47), datetime(2024, 1, 23).date()),
    }
    assert query(
        warehouse,
        """
        select data_type from duckdb_columns()
        where schema_name = 'raw' and table_name = 'crm_lead'
          and column_name in ('system_modstamp', '_loaded_at')""",
    ) == [
        ("TIMESTAMP",),
        ("TIMESTAMP",),
    ]


# --- incremental reads and the ledger ----------------------------------------------------


def test_only_new_or_changed_files_are_read_on_the_next_run(landing, warehouse):
    first = landing.csv("crm_lead", "Lead_000.csv", [lead("00Q1", sf_time("2024-01-01"))])
    second = landing.csv("crm_lead", "Lead_001.csv", [lead("00Q2", sf_time("2024-01-01"))])
    ingest(landing, warehouse, "crm_lead")

    os.utime(first, (first.stat().st_atime, first.stat().st_mtime + 60))  # touched, same bytes
    landing.csv(
        "crm_lead", "Lead_001.csv", [lead("00Q2", sf_time("2024-02-01"), company="Changed")]
    )
    landing.csv("crm_lead", "Lead_002.csv", [lead("00Q3", sf_time("2024-01-01"))])
    report = ingest(landing, warehouse, "crm_lead")

    assert report.tables["crm_lead"].files_read == [
        "crm/Lead/Lead_001.csv",
        "crm/Lead/Lead_002.csv",
    ]
    assert report.tables["crm_lead"].files_skipped == ["crm/Lead/Lead_000.csv"]
    assert rows_by_id(warehouse, "crm_lead", "company")["00Q2"] == ("Changed",)
    ledger = query(
        warehouse,
        """
        select source_file, rows_read, rows_loaded, fingerprint from raw._ingested_files
        order by _loaded_at, source_file""",
    )
    assert [row[:3] for row in ledger] == [
        ("crm/Lead/Lead_000.csv", 1, 1),
        ("crm/Lead/Lead_001.csv", 1, 1),
        ("crm/Lead/Lead_001.csv", 1, 1),
        ("crm/Lead/Lead_002.csv", 1, 1),
    ]
    assert ledger[1][3] != ledger[2][3]  # the changed file has a new fingerprint
    assert second.exists()

    nothing_new = ingest(landing, warehouse, "crm_lead")
    assert nothing_new.tables["crm_lead"].files_read == []


def test_a_ledger_entry_of_an_unfinished_load_does_not_count_as_loaded(landing, warehouse):
    export = landing.csv("crm_lead", "Lead_000.csv", [lead("00Q1", sf_time("2024-01-01"))])
    ingest(landing, warehouse, "crm_lead")
    # A crash after the ledger row was written but before dlt recorded the load as complete:
    # the same file, with its ledger row, under a load id that `_dlt_loads` does not know.
    query(warehouse, "delete from raw.crm_lead")
    query(warehouse, "update raw._ingested_files set _dlt_load_id = 'crashed-load'")

    report = ingest(landing, warehouse, "crm_lead")

    assert report.tables["crm_lead"].files_read == ["crm/Lead/Lead_000.csv"]
    assert query(warehouse, "select id from raw.crm_lead") == [("00Q1",)]
    assert export.exists()


# --- the dlt source, pipeline and the document -----------------------------------------------


def test_the_source_has_one_resource_per_raw_table_plus_quarantine_and_ledger(tmp_path):
    source = build_source(tmp_path / "landing", tmp_path / "w.duckdb")
    assert list(source.resources) == [spec.table for spec in OBJECTS] + [
        "_quarantine",
        "_ingested_files",
    ]
    lead_table = source.resources["crm_lead"].compute_table_schema()
    assert lead_table["write_disposition"] == "merge"
    assert lead_table["x-merge-strategy"] == "delete-insert"
    assert lead_table["columns"]["id"]["primary_key"] is True
    assert lead_table["columns"]["system_modstamp"]["dedup_sort"] == "desc"
    only_lead = build_source(tmp_path / "landing", tmp_path / "w.duckdb", ["crm_lead"])
    assert list(only_lead.resources) == ["crm_lead", "_quarantine", "_ingested_files"]


def test_dlt_keeps_its_working_files_beside_the_warehouse(warehouse):
    pipeline = build_pipeline(warehouse)
    assert Path(pipeline.pipelines_dir) == warehouse.parent / ".dlt" / "revops"
    assert pipelines_dir(warehouse) == warehouse.parent / ".dlt" / "revops"
    assert (pipeline.pipeline_name, pipeline.dataset_name) == ("revops_landing", "raw")
    # dlt starts its anonymous usage tracker when a pipeline is created, unless told not to.
    assert anon_tracker._ANON_TRACKER_ENDPOINT is None


def test_the_postgres_url_quotes_user_and_password_and_reads_the_given_environment():
    environ = {"REVOPS_PG_USER": "rev ops", "REVOPS_PG_PASSWORD": "p@ss:w/rd%1",
               "REVOPS_PG_HOST": "db.internal", "REVOPS_PG_PORT": "6543",
               "REVOPS_PG_DBNAME": "warehouse"}
    parsed = parse_dsn(postgres_url_from_env(environ))
    assert parsed == {"user": "rev ops", "password": "p@ss:w/rd%1", "host": "db.internal",
                      "port": "6543", "dbname": "warehouse"}
    # Unset variables take profiles.yml's defaults.
    assert parse_dsn(postgres_url_from_env({})) == {
        "user": "revops", "password": "revops", "host": "localhost", "port": "5432",
        "dbname": "revops"}


def test_building_the_first_pipeline_of_a_warehouse_waits_for_another_builder(warehouse):
    # Two processes creating dlt's working folder at once raced (FileExistsError in one of the
    # two pytest-xdist workers importing the Dagster definitions): builders take turns.
    lock_path = warehouse.parent / ".dlt" / ".revops.create.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    built = threading.Event()
    with open(lock_path, "w") as other_builder:
        fcntl.flock(other_builder, fcntl.LOCK_EX)
        builder = threading.Thread(target=lambda: (build_pipeline(warehouse), built.set()))
        builder.start()
        assert not built.wait(timeout=1.0)
        assert not (warehouse.parent / ".dlt" / "revops").exists()
    builder.join(timeout=60)
    assert built.is_set()
    assert (warehouse.parent / ".dlt" / "revops" / "revops_landing").is_dir()


APPENDED = "crm_lead: first load, each key in one file: appended, not merged"


def staging_tables(warehouse: Path) -> list[str]:
    return [row[0] for row in query(
        warehouse, "select table_name from duckdb_tables() where schema_name = 'raw_staging' "
        "and table_name not like '_dlt%'")]


def test_a_first_load_with_each_key_in_one_file_appends_and_the_next_run_merges(
    landing, warehouse
):
    landing.csv("crm_lead", "Lead_000.csv", [
        lead("00Q1", sf_time("2024-01-01"), company="a-old"),
        lead("00Q1", sf_time("2024-01-02"), company="a"),  # one file: the reader picks
    ])
    landing.csv("crm_lead", "Lead_001.csv.gz", [lead("00Q2", sf_time("2024-01-01"), company="b")])
    first = ingest(landing, warehouse, "crm_lead")
    assert APPENDED in first.messages
    assert staging_tables(warehouse) == []  # nothing went through raw_staging
    assert rows_by_id(warehouse, "crm_lead", "company") == {"00Q1": ("a",), "00Q2": ("b",)}

    # raw holds rows now: the next run merges, on the key, with the newest version winning
    # between two files of the same run (the tie-break hint is back), and empties the staging
    # copy of its batch afterwards.
    landing.csv("crm_lead", "Lead_002.csv", [lead("00Q1", sf_time("2024-03-01"), company="a3")])
    landing.csv("crm_lead", "Lead_003.csv", [lead("00Q1", sf_time("2024-02-01"), company="a2")])
    second = ingest(landing, warehouse, "crm_lead")
    assert APPENDED not in second.messages
    assert rows_by_id(warehouse, "crm_lead", "company") == {"00Q1": ("a3",), "00Q2": ("b",)}
    assert staging_tables(warehouse) == ["crm_lead"]
    assert query(warehouse, "select count(*) from raw_staging.crm_lead") == [(0,)]
    columns = build_pipeline(warehouse).default_schema.get_table("crm_lead")["columns"]
    assert columns["system_modstamp"].get("dedup_sort") == "desc"


def test_a_first_load_merges_when_a_key_is_in_two_files_or_a_file_does_not_parse_cleanly(
    landing, warehouse, tmp_path
):
    landing.csv("crm_lead", "Lead_000.csv", [lead("00Q1", sf_time("2024-01-01"), company="v1")])
    newer = lead("00Q1", sf_time("2024-02-01"), company="v2")
    landing.parquet("crm_lead", "Lead_001.parquet", pa.table(
        {SALESFORCE_HEADERS.get(column, column): [value] for column, value in newer.items()}
    ))
    report = ingest(landing, warehouse, "crm_lead")
    assert APPENDED not in report.messages
    assert rows_by_id(warehouse, "crm_lead", "company") == {"00Q1": ("v2",)}

    # Keys in one file each, but one row is short: the strict pre-scan cannot vouch for the
    # file, so the table merges; the good rows load and the short one is quarantined.
    other = Landing(tmp_path / "other")
    other.csv("crm_lead", "Lead_000.csv", [lead("00Q1", sf_time("2024-01-01"))])
    header = ",".join(SALESFORCE_HEADERS.get(c, c) for c in lead("x", "y"))
    other.text("crm_lead", "Lead_001.csv", f"{header}\n00Q2,Bo\n")
    report = ingest(other, tmp_path / "other.duckdb", "crm_lead")
    assert APPENDED not in report.messages
    assert set(rows_by_id(tmp_path / "other.duckdb", "crm_lead", "company")) == {"00Q1"}
    assert report.tables["crm_lead"].rows_quarantined == 1


def test_the_committed_landing_contract_doc_is_up_to_date():
    document = DOC_PATH.read_text(encoding="utf-8")
    committed = document[document.index(BEGIN) : document.index(END) + len(END)]
    assert committed == render_contract_markdown(), (
        "docs/landing-contract.md is stale: run `python -m revops.ingest.contract_doc`"
    )
