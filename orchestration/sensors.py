"""The landing-folder sensor: one run per new batch of export files.

The cursor holds `{file: "size:mtime_ns"}` of every export file already handed to a run, so a
file starts a run once, and again only if it is replaced by a changed export (the ingestion's
file ledger, raw._ingested_files, then loads only what is new or changed: a file's rows are
never read twice). Files arrive one by one from an export job; the sensor waits until the
newest file has been still for SETTLE_SECONDS so that one export drop is one run, not one
run per file.
"""

import hashlib
import json
import os
import time
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.jobs import data_run_config, everything_job
from revops.contract import OBJECTS
from revops.ingest.files import discover
from revops.paths import landing_dir

# An export tool writes a dozen files within seconds; 60 s without a new or growing file
# means the drop is complete. Override with REVOPS_SENSOR_SETTLE_SECONDS.
SETTLE_SECONDS = 60.0
# Checking the folder is a few stat calls; once a minute keeps a daily drop under 2 min late.
MINIMUM_INTERVAL_SECONDS = 60


def landing_snapshot(landing: Path) -> dict[str, tuple[int, int]]:
    """Return {path relative to landing: (size, mtime_ns)} of every export file the landing
    contract accepts (the same discovery the ingestion uses; _manifest.json etc. are ignored)."""
    snapshot = {}
    for spec in OBJECTS:
        for file in discover(landing, spec):
            stat = file.path.stat()
            snapshot[file.relative] = (stat.st_size, stat.st_mtime_ns)
    return snapshot


def new_files(snapshot: dict[str, tuple[int, int]], cursor: str | None) -> dict[str, tuple[int, int]]:
    """Return the files of `snapshot` that are new or changed since the cursor's state."""
    seen = json.loads(cursor) if cursor else {}
    return {name: state for name, state in snapshot.items()
            if tuple(seen.get(name, ())) != tuple(state)}


def batch_run_key(batch: dict[str, tuple[int, int]]) -> str:
    """A run key naming the batch's exact files and versions: Dagster starts at most one run
    per run key, so even a lost cursor update cannot start the same batch twice."""
    digest = hashlib.sha256(json.dumps(sorted(batch.items())).encode()).hexdigest()
    return f"landing-{digest[:20]}"


def _settle_seconds() -> float:
    return float(os.environ.get("REVOPS_SENSOR_SETTLE_SECONDS", SETTLE_SECONDS))


@sensor(
    name="landing_files_sensor",
    job=everything_job,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.STOPPED,
    description="Starts one `everything` run per new batch of export files in the landing "
                "folder, once the newest file has been unchanged for 60 s.",
)
def landing_files_sensor(context: SensorEvaluationContext):
    snapshot = landing_snapshot(landing_dir())
    batch = new_files(snapshot, context.cursor)
    if not batch:
        return SkipReason("no new or changed export files")
    newest_ns = max(mtime_ns for _, mtime_ns in batch.values())
    quiet_for = time.time() - newest_ns / 1e9
    if quiet_for < _settle_seconds():
        return SkipReason(f"{len(batch)} new file(s), still arriving "
                          f"(newest changed {quiet_for:.0f}s ago)")
    context.update_cursor(json.dumps({name: list(state) for name, state in snapshot.items()},
                                     sort_keys=True))
    return RunRequest(
        run_key=batch_run_key(batch),
        run_config=data_run_config(),
        tags={"revops/trigger": "landing_files", "revops/new_files": str(len(batch))},
    )


SENSORS = [landing_files_sensor]
