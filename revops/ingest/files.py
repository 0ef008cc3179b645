"""Finding landing files, fingerprinting them and reading their headers."""

import csv
import fnmatch
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Literal

import duckdb
from dlt.common.normalizers.naming.snake_case import NamingConvention

from revops.contract import FILE_PATTERNS, ObjectSpec
from revops.ingest.errors import DuplicateColumnError, LandingFileError, MissingColumnError
from revops.ingest.tables import RESERVED_COLUMNS

FileFormat = Literal["csv", "csv.gz", "parquet"]
READ_CHUNK_BYTES = 64 << 20


@cache
def _naming() -> NamingConvention:
    return NamingConvention()


def canonical_name(header: str) -> str:
    """The column a header loads into: dlt's snake_case (`AccountId` -> `account_id`)."""
    if not header.strip():
        return ""
    return _naming().normalize_identifier(header)


def file_format(name: str) -> FileFormat | None:
    """The format of a landing file by its name, or None when FILE_PATTERNS excludes it."""
    lowered = name.lower()
    for pattern in FILE_PATTERNS:
        if fnmatch.fnmatchcase(lowered, pattern):
            return pattern.removeprefix("*.")  # type: ignore[return-value]
    return None


@dataclass(frozen=True)
class LandingFile:
    """One export file in a landing folder."""

    path: Path
    relative: str  # to the landing folder, with forward slashes: the `_source_file` value
    format: FileFormat
    size: int
    modified_at: datetime  # UTC, naive, microseconds

    @property
    def name(self) -> str:
        return self.path.name


def discover(landing_dir: Path, spec: ObjectSpec) -> list[LandingFile]:
    """The files of one object, sorted by name (its folder only, not subfolders)."""
    folder = landing_dir / spec.system / spec.folder
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        kind = file_format(path.name)
        if kind is None or path.name.startswith(".") or not path.is_file():
            continue
        stat = path.stat()
        found.append(
            LandingFile(
                path=path,
                relative=path.relative_to(landing_dir).as_posix(),
                format=kind,
                size=stat.st_size,
                modified_at=_utc_microseconds(stat.st_mtime_ns),
            )
        )
    return found


LandingSnapshot = dict[str, list[LandingFile]]


def take_snapshot(landing_dir: Path, specs: list[ObjectSpec]) -> LandingSnapshot:
    """The files of every object as they are now ({raw table: files}, each with its size and
    modification time): what one run reads. A file that lands later waits for the next run, and
    a file that changes after this moment is left for the next run too (see `is_unchanged`)."""
    return {spec.table: discover(landing_dir, spec) for spec in specs}


def is_unchanged(file: LandingFile) -> bool:
    """True when the file still has the size and modification time of its snapshot: false
    while a writer is still appending to it (or has replaced or removed it)."""
    try:
        stat = file.path.stat()
    except FileNotFoundError:
        return False
    return (stat.st_size, _utc_microseconds(stat.st_mtime_ns)) == (file.size, file.modified_at)


def _utc_microseconds(mtime_ns: int) -> datetime:
    """A file time as naive UTC, truncated to microseconds: what a DuckDB TIMESTAMP holds,
    so the ledger's value compares equal after the round trip."""
    seconds, micros = divmod(mtime_ns // 1000, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros, tzinfo=None)


def fingerprint(path: Path) -> str:
    """sha256 of the file's bytes as stored (compressed bytes for .csv.gz)."""
    with path.open("rb") as handle:
        return "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()


def iter_csv_bytes(file: LandingFile) -> Iterator[bytes]:
    """The uncompressed bytes of a CSV file, in chunks."""
    opener = gzip.open if file.format == "csv.gz" else open
    with opener(file.path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            yield chunk


@dataclass(frozen=True)
class Header:
    """A file's columns: as written, canonical, and (Parquet) their DuckDB types."""

    original: list[str]
    canonical: list[str]
    types: list[str] | None = None


def read_header(file: LandingFile, spec: ObjectSpec) -> Header:
    """Read and check a file's header without reading its rows.

    Raises MissingColumnError when a required contract column is absent, DuplicateColumnError
    when two headers map to one column, LandingFileError when the file has no header.
    """
    types = None
    try:
        if file.format == "parquet":
            with duckdb.connect() as con:
                described = con.execute(
                    "select column_name, column_type from (describe select * from read_parquet(?))",
                    [str(file.path)],
                ).fetchall()
            original = [name for name, _ in described]
            types = [kind for _, kind in described]
        else:
            opener = gzip.open if file.format == "csv.gz" else open
            with opener(file.path, "rb") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                original = next(csv.reader(text), [])
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error, duckdb.Error) as error:
        raise LandingFileError(spec.table, file.path, f"cannot read header: {error}") from error
    if not original:
        raise LandingFileError(spec.table, file.path, "file is empty: no header line")

    canonical = []
    for position, header in enumerate(original, start=1):
        name = canonical_name(header) or f"unnamed_column_{position}"
        if name in RESERVED_COLUMNS:
            # A landing column may not overwrite the load metadata: keep it under a new name.
            name = f"landing{name}"
        canonical.append(name)
    for name in set(canonical):
        if canonical.count(name) > 1:
            headers = [h for h, c in zip(original, canonical, strict=True) if c == name]
            raise DuplicateColumnError(spec.table, file.path, name, headers)
    missing = tuple(column for column in spec.required if column not in canonical)
    if missing:
        raise MissingColumnError(spec.table, file.path, missing, original)
    return Header(original=original, canonical=canonical, types=types)
