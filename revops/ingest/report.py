"""What an ingestion run did, per raw table: the return value of run_ingestion and the object
the Dagster assets consult to fail the one table whose files broke the contract."""

from dataclasses import dataclass, field

from revops.ingest.errors import IngestError, LandingFileError


@dataclass
class TableReport:
    table: str
    files_read: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)  # already in the ledger, unchanged
    # changed after the run listed the landing files (a writer still at work): next run
    files_deferred: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0  # handed to the merge (new keys or newer versions)
    rows_skipped: int = 0  # valid, but raw already holds this version or a newer one
    rows_quarantined: int = 0
    errors: list[LandingFileError] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def __str__(self) -> str:
        text = (
            f"{self.table}: {len(self.files_read)} file(s) read, "
            f"{len(self.files_skipped)} skipped (already loaded)"
            + (f", {len(self.files_deferred)} left for the next run (still being written)"
               if self.files_deferred else "")
            + f"; {self.rows_loaded:,} rows "
            f"loaded, {self.rows_skipped:,} unchanged or older, "
            f"{self.rows_quarantined:,} quarantined"
        )
        if self.errors:
            text += "; FAILED: " + "; ".join(str(error) for error in self.errors)
        return text


@dataclass
class IngestReport:
    tables: dict[str, TableReport] = field(default_factory=dict)
    seconds: float | None = None

    def start_table(self, table: str) -> TableReport:
        """Reset and return the entry of one table (a source can run many times)."""
        self.tables[table] = TableReport(table)
        return self.tables[table]

    @property
    def failed_tables(self) -> list[str]:
        return [name for name, table in self.tables.items() if table.failed]

    @property
    def errors(self) -> list[LandingFileError]:
        return [error for table in self.tables.values() for error in table.errors]

    def errors_for(self, table: str) -> list[LandingFileError]:
        return list(self.tables[table].errors) if table in self.tables else []

    def raise_for_errors(self, tables: list[str] | None = None) -> None:
        """Raise IngestError naming every failed file and column (of `tables`, default all)."""
        errors = [error for error in self.errors if tables is None or error.table in tables]
        if errors:
            raise IngestError(errors)

    @property
    def rows_loaded(self) -> int:
        return sum(table.rows_loaded for table in self.tables.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(table.rows_quarantined for table in self.tables.values())

    def __str__(self) -> str:
        lines = [str(table) for table in self.tables.values()]
        total = f"total: {self.rows_loaded:,} rows loaded, {self.rows_quarantined:,} quarantined"
        if self.seconds is not None:
            total += f" in {self.seconds:.1f}s"
        if self.failed_tables:
            total += f"; failed tables: {', '.join(self.failed_tables)}"
        return "\n".join([*lines, total])
