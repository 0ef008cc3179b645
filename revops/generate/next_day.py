"""Turn a generated dataset into "days 1..N" plus "day N+1", for incremental runs.

The generator writes a whole two-year window at once. `split_off_next_day` takes the rows of
the lead-side exports created on the last day (or from a given day) out of their files and
writes them as separate export files of the same layout (`<Folder>_next_day.<ext>`) into
another folder, from which they can be landed later: the next nightly export. Reference
objects (users, campaigns, programs, accounts) stay whole.
"""

from datetime import date
from pathlib import Path

import duckdb

from revops.generate.layout import LAYOUTS

# Lead-side folders and the header of the column that dates a record's creation, in each
# header style the layouts use (Salesforce API name, connector snake_case, MAP).
_CREATED_HEADERS = ("CreatedDate", "created_date", "activity_at", "changed_at")
_FOLDERS = (
    "Lead",
    "LeadHistory",
    "Contact",
    "Opportunity",
    "OpportunityHistory",
    "OpportunityContactRole",
    "Task",
    "CampaignMember",
    "activities",
    "score_changes",
)


def _reader(path: Path) -> str:
    if path.name.endswith(".parquet"):
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', header = true, all_varchar = true, auto_detect = true)"


def _writer_options(path: Path) -> str:
    if path.name.endswith(".parquet"):
        return "(format parquet)"
    compression = ", compression gzip" if path.name.endswith(".gz") else ""
    return f"(format csv, header true{compression})"


def last_activity_day(landing_dir: Path) -> date:
    """Return the latest UTC day any MAP activity of the dataset happened on."""
    folder = landing_dir / LAYOUTS["activities"].spec.system / "activities"
    with duckdb.connect() as connection:
        return connection.execute(
            f"select max(cast(activity_at as date)) from read_parquet('{folder}/*.parquet')"
        ).fetchone()[0]


def split_off_next_day(landing_dir: Path, out_dir: Path, day: date | None = None) -> dict:
    """Move every lead-side row created on or after `day` (default: the last activity day)
    from the export files in `landing_dir` into new files under `out_dir` (same relative
    folders). Returns {"day": the day, "rows": rows moved, "files": the new files}."""
    day = day or last_activity_day(landing_dir)
    cut = day.isoformat()
    moved, files = 0, []
    with duckdb.connect() as connection:
        for folder in _FOLDERS:
            layout = LAYOUTS[folder]
            source_dir = landing_dir / layout.spec.system / folder
            for path in sorted(source_dir.glob(f"{folder}_*")):
                headers = [
                    row[0]
                    for row in connection.execute(
                        f"describe select * from {_reader(path)}"
                    ).fetchall()
                ]
                created = next((name for name in _CREATED_HEADERS if name in headers), None)
                if created is None:
                    raise ValueError(f"{path}: no creation column (one of {_CREATED_HEADERS})")
                # Both timestamp styles start with the ISO date: compare its first 10 characters.
                is_next_day = f"substr(cast(\"{created}\" as varchar), 1, 10) >= '{cut}'"
                rows = connection.execute(
                    f"select count(*) from {_reader(path)} where {is_next_day}"
                ).fetchone()[0]
                if rows == 0:
                    continue
                target = (
                    out_dir
                    / layout.spec.system
                    / folder
                    / path.name.replace(f"{folder}_", f"{folder}_next_day_", 1)
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                connection.execute(
                    f"copy (select * from {_reader(path)} where {is_next_day}) "
                    f"to '{target}' {_writer_options(target)}"
                )
                kept = path.with_name(f".{path.name}.kept")
                connection.execute(
                    f"copy (select * from {_reader(path)} where not ({is_next_day})) "
                    f"to '{kept}' {_writer_options(path)}"
                )
                kept.replace(path)
                moved += rows
                files.append(target)
    return {"day": day, "rows": moved, "files": files}
