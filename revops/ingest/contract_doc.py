"""The per-object part of docs/landing-contract.md, written from revops.contract.

The prose of the document is edited by hand; the section between the two markers below is
rendered here, and tests/test_ingest.py fails when the committed document is out of date.
Refresh it with `python -m revops.ingest.contract_doc`.
"""

from pathlib import Path

from revops.contract import FILE_PATTERNS, OBJECTS, ObjectSpec
from revops.ingest.tables import LEDGER_COLUMNS, METADATA_COLUMNS, QUARANTINE_COLUMNS
from revops.paths import PROJECT_DIR

DOC_PATH = PROJECT_DIR / "docs" / "landing-contract.md"
BEGIN = "<!-- BEGIN GENERATED from revops/contract.py by revops/ingest/contract_doc.py -->"
END = "<!-- END GENERATED -->"


def _code(names) -> str:
    return ", ".join(f"`{name}`" for name in names) or "–"


def _typed_columns(spec: ObjectSpec) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in spec.columns.items() if kind != "text")


def _columns_table(columns: dict[str, str], notes: dict[str, str] | None = None) -> list[str]:
    notes = notes or {}
    lines = ["| Column | Type | Notes |", "|---|---|---|"]
    lines += [f"| `{name}` | {kind} | {notes.get(name, '')} |" for name, kind in columns.items()]
    return lines


def render_contract_markdown() -> str:
    """Return the generated section (markers included): one summary row per object, then
    every object's columns, then the columns of the metadata, quarantine and ledger tables."""
    lines = [
        BEGIN,
        "",
        f"Accepted files: {_code(FILE_PATTERNS)}.",
        "",
        (
            "| Object | Landing folder | Raw table | Primary key | Version (latest wins) "
            "| Required columns | Typed columns (all others text) |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for spec in OBJECTS:
        lines.append(
            f"| {spec.folder} | `landing/{spec.landing_path}/` | `raw.{spec.table}` "
            f"| `{spec.primary_key}` | `{spec.version_column}` | {_code(spec.required)} "
            f"| {_typed_columns(spec) or '–'} |"
        )
    for spec in OBJECTS:
        notes = {}
        for name in spec.columns:
            flags = []
            if name == spec.primary_key:
                flags.append("primary key; empty → quarantined")
            if name == spec.version_column:
                flags.append("version; empty → quarantined")
            if name in spec.required:
                flags.append("required")
            notes[name] = "; ".join(flags)
        lines += [
            "",
            f"### `raw.{spec.table}` ← `landing/{spec.landing_path}/`",
            "",
            spec.description,
            "",
            *_columns_table(spec.columns, notes),
        ]
    lines += [
        "",
        "### Load metadata on every raw row",
        "",
        *_columns_table(
            {**METADATA_COLUMNS, "_dlt_load_id": "text"},
            {
                "_loaded_at": "UTC time of the run that wrote this version of the row",
                "_source_file": "path under `landing/`, forward slashes",
                "_source_line": "physical line in the CSV (header = 1); row number in Parquet",
                "_row_hash": "md5 of the typed contract values",
                "_dlt_load_id": "the dlt load; `raw._dlt_loads` lists completed loads",
            },
        ),
        "",
        "### `raw._quarantine` (append)",
        "",
        *_columns_table({**QUARANTINE_COLUMNS, "_dlt_load_id": "text"}),
        "",
        "### `raw._ingested_files` (append; the file ledger)",
        "",
        *_columns_table({**LEDGER_COLUMNS, "_dlt_load_id": "text"}),
        "",
        END,
    ]
    return "\n".join(lines)


def splice(document: str, section: str) -> str:
    """`document` with the text between the markers replaced by `section`."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {BEGIN!r} … {END!r} not found in the document")
    return document[:start] + section + document[end + len(END) :]


def write_contract_doc(path: Path = DOC_PATH) -> None:
    """Rewrite the generated section of the committed document in place."""
    path.write_text(
        splice(path.read_text(encoding="utf-8"), render_contract_markdown()), encoding="utf-8"
    )


if __name__ == "__main__":
    write_contract_doc()
    print(f"wrote {DOC_PATH}")
