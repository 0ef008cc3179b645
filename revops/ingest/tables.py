"""Column layouts of the tables the ingestion writes: raw.<object>, raw._quarantine and
raw._ingested_files, as dlt column hints, Arrow schemas and DuckDB types from one table."""

import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema

from revops.contract import ColumnType, ObjectSpec

QUARANTINE_TABLE = "_quarantine"
LEDGER_TABLE = "_ingested_files"

# Contract type -> (dlt data type, DuckDB type, Arrow type). Timestamps are UTC wall-clock
# values without a zone (DuckDB TIMESTAMP): `cast(x as date)` then gives the UTC date whatever
# the session's TimeZone, which TIMESTAMPTZ does not.
_TYPES: dict[ColumnType, tuple[str, str, pa.DataType]] = {
    "text": ("text", "VARCHAR", pa.string()),
    "bigint": ("bigint", "BIGINT", pa.int64()),
    "double": ("double", "DOUBLE", pa.float64()),
    "boolean": ("bool", "BOOLEAN", pa.bool_()),
    "timestamp": ("timestamp", "TIMESTAMP", pa.timestamp("us")),
    "date": ("date", "DATE", pa.date32()),
}


def duckdb_type(column_type: ColumnType) -> str:
    """Return the DuckDB type a contract column is cast to."""
    return _TYPES[column_type][1]


def _hint(name: str, column_type: ColumnType, **extra) -> TColumnSchema:
    hint: TColumnSchema = {"name": name, "data_type": _TYPES[column_type][0], "nullable": True}
    if column_type == "timestamp":
        hint["timezone"] = False
    hint.update(extra)  # type: ignore[typeddict-item]
    return hint


def _schema(columns: dict[str, ColumnType]) -> pa.Schema:
    return pa.schema([pa.field(name, _TYPES[kind][2]) for name, kind in columns.items()])


def with_load_id(schema: pa.Schema) -> pa.Schema:
    """`schema` plus the non-null `_dlt_load_id` text column dlt declares for its own tables."""
    return schema.append(pa.field(LOAD_ID_COLUMN, pa.string(), nullable=False))


def _load_id_hint() -> TColumnSchema:
    return {"name": LOAD_ID_COLUMN, "data_type": "text", "nullable": False}


# Added to every raw row. Extra landing columns with these names are renamed (see files).
METADATA_COLUMNS: dict[str, ColumnType] = {
    "_loaded_at": "timestamp",  # UTC time of the run that wrote this version of the row
    "_source_file": "text",  # path relative to the landing folder, with forward slashes
    "_source_line": "bigint",  # physical line in a CSV (header = 1); row number in Parquet
    "_row_hash": "text",  # md5 of the canonical contract values (see reader.row_hash_sql)
}
# The dlt load that wrote the row; `raw._dlt_loads` has one row per completed load. We write
# it ourselves (dlt's own option rewrote every Parquet file in normalize: +1.2 s per 1M rows).
LOAD_ID_COLUMN = "_dlt_load_id"
RESERVED_COLUMNS = frozenset(METADATA_COLUMNS) | {LOAD_ID_COLUMN, "_dlt_id"}

QUARANTINE_COLUMNS: dict[str, ColumnType] = {
    "table_name": "text",
    "source_file": "text",
    "source_line": "bigint",
    "column_name": "text",
    "error_type": "text",  # malformed_csv | bad_value | empty_primary_key | empty_version
    #                        | missing_required_column | duplicate_column | unreadable_file
    "reason": "text",
    "raw_record": "text",
    "_loaded_at": "timestamp",
}
QUARANTINE_SCHEMA = with_load_id(_schema(QUARANTINE_COLUMNS))

LEDGER_COLUMNS: dict[str, ColumnType] = {
    "table_name": "text",
    "source_file": "text",
    "file_size": "bigint",
    "modified_at": "timestamp",
    "fingerprint": "text",
    "rows_read": "bigint",
    "rows_loaded": "bigint",
    "rows_skipped": "bigint",
    "rows_quarantined": "bigint",
    "_loaded_at": "timestamp",
}
LEDGER_SCHEMA = with_load_id(_schema(LEDGER_COLUMNS))


def raw_columns(spec: ObjectSpec) -> dict[str, ColumnType]:
    """Contract columns then metadata columns: every raw table has at least these."""
    return {**spec.columns, **METADATA_COLUMNS}


def raw_schema(spec: ObjectSpec) -> pa.Schema:
    """Arrow schema of a raw table without its extra (custom) columns."""
    return key_not_null(with_load_id(_schema(raw_columns(spec))), spec)


def key_not_null(schema: pa.Schema, spec: ObjectSpec) -> pa.Schema:
    """Mark the primary key non-nullable, as dlt's hint does (dlt warns when they differ)."""
    position = schema.get_field_index(spec.primary_key)
    return schema.set(position, schema.field(position).with_nullable(False))


def raw_column_hints(spec: ObjectSpec) -> list[TColumnSchema]:
    """dlt hints of a raw table: types, the key, and the version column that wins a tie."""
    hints = []
    for name, kind in raw_columns(spec).items():
        extra = {}
        if name == spec.primary_key:
            extra = {"nullable": False}
        elif name == spec.version_column:
            # delete-insert keeps one row per key from the batch: the one sorting first.
            extra = {"dedup_sort": "desc"}
        hints.append(_hint(name, kind, **extra))
    return [*hints, _load_id_hint()]


def column_hints(columns: dict[str, ColumnType]) -> list[TColumnSchema]:
    return [*(_hint(name, kind) for name, kind in columns.items()), _load_id_hint()]
