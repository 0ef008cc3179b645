"""Writers for the export files: CSV, gzip'd CSV and Parquet, one file per chunk.

Everything here is byte-deterministic: the gzip header carries no file name and mtime 0,
Parquet files carry no wall-clock metadata, CSV is written by the csv module with RFC 4180
quoting and CRLF line ends.
"""

import csv
import gzip
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from revops.contract import FILE_PATTERNS, OBJECTS
from revops.generate.layout import LAYOUTS, FileLayout

MANIFEST_NAME = "_manifest.json"

# Parquet row-group size. Small enough that buffered activity rows stay a few MB at any run
# size (memory must not grow with --leads), large enough for efficient scans.
PARQUET_ROWS_PER_GROUP = 25_000

_ARROW_TYPES = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "timestamp": pa.timestamp("us"),
}


def clear_previous_output(landing_dir: Path) -> None:
    """Delete earlier generated export files (only the contract's folders) and the manifest."""
    for spec in OBJECTS:
        folder = landing_dir / spec.system / spec.folder
        if not folder.is_dir():
            continue
        for pattern in FILE_PATTERNS:
            for path in folder.glob(pattern):
                path.unlink()
    manifest = landing_dir / MANIFEST_NAME
    if manifest.exists():
        manifest.unlink()


class CsvExport:
    """One CSV (or gzip'd CSV) export file; rows are tuples of strings in layout order."""

    def __init__(self, layout: FileLayout, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._binary = path.open("wb")
        if layout.file_format == "csv.gz":
            self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._binary, mtime=0,
                                       compresslevel=6)
            self._text = io.TextIOWrapper(self._gzip, encoding="utf-8", newline="")
        else:
            self._gzip = None
            self._text = io.TextIOWrapper(self._binary, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow(layout.headers)
        self.width = len(layout.headers)
        self.rows = 0
        self._writerow = self._writer.writerow

    def write(self, row: tuple | list) -> None:
        self._writerow(row)
        self.rows += 1

    def close(self) -> None:
        self._text.flush()
        if self._gzip is not None:
            self._text.detach()
            self._gzip.close()
        else:
            self._text.detach()
        self._binary.close()


class ParquetExport:
    """One Parquet export file written in row groups; timestamps arrive as epoch seconds.

    Timestamps are stored as `timestamp[us]` without a time zone, holding UTC: DuckDB reads
    them as TIMESTAMP, the same type the CSV timestamps are cast to, so no session time zone
    can shift them.
    """

    def __init__(self, layout: FileLayout, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._types = [layout.spec.columns[column] for column in layout.columns]
        self.schema = pa.schema(
            [pa.field(column, _ARROW_TYPES[kind]) for column, kind in
             zip(layout.columns, self._types, strict=True)]
        )
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self._width = len(layout.columns)
        self._pending: list[tuple] = []
        self.rows = 0

    def write(self, row: tuple) -> None:
        if len(row) != self._width:
            raise ValueError(f"{self.path}: row has {len(row)} values, expected {self._width}")
        self._pending.append(row)
        self.rows += 1
        if len(self._pending) >= PARQUET_ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        arrays = []
        columns = zip(*self._pending, strict=True)
        for values, kind, field in zip(columns, self._types, self.schema, strict=True):
            if kind == "timestamp":
                seconds = np.fromiter(values, dtype=np.int64, count=len(values))
                arrays.append(pa.array(seconds * 1_000_000, type=field.type))
            else:
                arrays.append(pa.array(values, type=field.type))
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self._pending = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def open_export(layout: FileLayout, landing_dir: Path, chunk: int) -> CsvExport | ParquetExport:
    """Open the chunk's file of an object under landing_dir/<system>/<folder>/."""
    path = landing_dir / layout.spec.system / layout.folder / layout.file_name(chunk)
    if layout.file_format == "parquet":
        return ParquetExport(layout, path)
    return CsvExport(layout, path)


def open_all(landing_dir: Path, chunk: int, folders: tuple[str, ...]) -> dict:
    """Open one chunk file for each of `folders`; returns folder -> export."""
    return {folder: open_export(LAYOUTS[folder], landing_dir, chunk) for folder in folders}
