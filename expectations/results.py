"""Validation outcomes kept on disk, so the report reuses what the checks of the same run found.

Each Dagster check validates one suite; the data-quality report needs every suite. Before this
module the report validated them all again: at 100,000 leads that was 16-17 s paid twice per
run (bench/README.md). Now each check writes its suite's outcomes to
`<reports_dir>/validations/<run id>/<suite>.json`, and the report of the same run reads them
and validates only the suites no check wrote (a check skipped, or the report run alone).

A file counts only for the run that wrote it and for the definitions it was computed from (the
fingerprint); anything else is ignored, never trusted.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any

from expectations.run import Outcome, RunResult

VALIDATIONS_DIR = "validations"
# Run folders kept: a run whose report never ran (a blocking check failed) leaves its folder;
# 20 covers a few days of the daily schedule plus reruns, and each folder is ~40 small files.
KEEP_RUNS = 20
_OUTCOME_FIELDS = {item.name for item in fields(Outcome)}


def run_results_dir(reports_dir: Path, run_id: str) -> Path:
    """Return the folder holding the outcomes one run's checks wrote."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    return Path(reports_dir) / VALIDATIONS_DIR / safe


def save_outcomes(run: RunResult, directory: Path) -> list[Path]:
    """Write one JSON file per suite in `run` to `directory` and return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    by_suite: dict[str, list[Outcome]] = {}
    for outcome in run.outcomes:
        by_suite.setdefault(outcome.suite, []).append(outcome)
    written = []
    for suite, outcomes in by_suite.items():
        document = {
            "suite": suite,
            "started_at": run.started_at,
            "database": run.database,
            "definitions_fingerprint": run.definitions_fingerprint,
            "seconds": run.seconds,
            "suite_names": run.suite_names,
            "outcomes": [
                {
                    name: value
                    for name, value in outcome.as_dict().items()
                    if name in _OUTCOME_FIELDS
                }
                for outcome in outcomes
            ],
        }
        path = directory / f"{suite}.json"
        # Written whole then renamed: a report reading meanwhile never sees half a file.
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
        partial.replace(path)
        written.append(path)
    _prune(directory.parent, keep=directory)
    return written


def load_outcomes(directory: Path, definitions_fingerprint: str) -> RunResult | None:
    """Return the outcomes saved in `directory` for these definitions, or None when there are
    none. Files computed from other definitions are ignored (they answer another question)."""
    if not directory.is_dir():
        return None
    documents: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{path}: saved validation outcomes are not valid JSON ({error})"
            ) from error
        if document.get("definitions_fingerprint") == definitions_fingerprint:
            documents.append(document)
    if not documents:
        return None
    # The suite list counts only when every file agrees on it (files of one run do).
    suite_lists = {tuple(document.get("suite_names") or ()) for document in documents}
    return RunResult(
        started_at=min(document["started_at"] for document in documents),
        database=documents[0]["database"],
        definitions_fingerprint=definitions_fingerprint,
        outcomes=[Outcome(**outcome) for document in documents for outcome in document["outcomes"]],
        seconds=sum(document.get("seconds") or 0.0 for document in documents),
        suite_names=list(suite_lists.pop()) if len(suite_lists) == 1 else [],
    )


def _prune(root: Path, keep: Path) -> None:
    """Delete all but the KEEP_RUNS most recently written run folders under `root`."""
    folders = sorted(
        (path for path in root.iterdir() if path.is_dir() and path != keep),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for folder in folders[KEEP_RUNS - 1 :]:
        shutil.rmtree(folder, ignore_errors=True)
