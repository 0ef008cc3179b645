"""Errors that stop one raw table's load. Each names the file and the column."""

from pathlib import Path


class LandingFileError(ValueError):
    """A landing file that cannot be loaded at all; its table loads nothing in this run."""

    error_type = "unreadable_file"

    def __init__(self, table: str, path: Path, message: str, column: str | None = None):
        self.table = table
        self.path = path
        self.column = column
        super().__init__(f"raw.{table}: {path}: {message}")


class MissingColumnError(LandingFileError):
    """A file lacks a column the contract marks as required (ObjectSpec.required)."""

    error_type = "missing_required_column"

    def __init__(self, table: str, path: Path, columns: tuple[str, ...], header: list[str]):
        self.columns = columns
        self.header = header
        names = ", ".join(repr(column) for column in columns)
        plural = "s" if len(columns) > 1 else ""
        super().__init__(
            table,
            path,
            f"required column{plural} {names} missing (header: {', '.join(header) or 'empty'})",
            column=columns[0],
        )


class DuplicateColumnError(LandingFileError):
    """Two headers of one file map to the same canonical column (`AccountId`, `account_id`)."""

    error_type = "duplicate_column"

    def __init__(self, table: str, path: Path, column: str, headers: list[str]):
        super().__init__(
            table,
            path,
            f"headers {', '.join(repr(h) for h in headers)} all map to column {column!r}",
            column=column,
        )


class IngestError(RuntimeError):
    """Raised by IngestReport.raise_for_errors: one or more raw tables did not load."""

    def __init__(self, errors: list[LandingFileError]):
        self.errors = errors
        tables = sorted({error.table for error in errors})
        lines = "\n".join(f"  - {error}" for error in errors)
        super().__init__(f"ingestion failed for {', '.join(tables)}:\n{lines}")
