"""Run the generator: world first, then leads chunk by chunk, accounts last, then the manifest."""

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from revops.contract import OBJECTS
from revops.definitions import load
from revops.generate import vocab
from revops.generate.clock import (
    END,
    WINDOW_END_AT,
    WINDOW_START_AT,
    iso_date,
    iso_timestamp,
    iso_z,
    sf_timestamp,
)
from revops.generate.deviations import DEFINITIONS, Tally
from revops.generate.files import MANIFEST_NAME, clear_previous_output, open_all, open_export
from revops.generate.journeys import Journeys, World
from revops.generate.layout import LAYOUTS
from revops.generate.world import Accounts, Programs, build_users, campaign_status

MIN_LEADS, MAX_LEADS = 100, 2_000_000
# Leads per chunk file. Each chunk's records are written as they are made, so memory
# depends on this number (duplicate bookkeeping), never on --leads.
CHUNK_LEADS = 20_000
ACCOUNTS_PER_FILE = 50_000
# One account per ~8 leads, at least 20 so that small runs still have every segment.
LEADS_PER_ACCOUNT = 8
MIN_ACCOUNTS = 20

_LEAD_FOLDERS = ("Lead", "LeadHistory", "Contact", "Opportunity", "OpportunityHistory",
                 "OpportunityContactRole", "Task", "CampaignMember", "activities",
                 "score_changes")


def generate(landing_dir: Path, leads: int = 5000, seed: int = 42, deviations: bool = True,
             progress: Callable[[str], None] | None = None) -> dict:
    """Write a complete synthetic CRM + MAP export into `landing_dir` and return its manifest.

    Same `seed` and `leads` give byte-identical files. With `deviations` the deliberate
    deviations of revops.generate.deviations are injected; the manifest counts them by
    evaluating each predicate on the written records.
    """
    return run(Path(landing_dir), leads=leads, seed=seed, deviations=deviations,
               progress=progress)


def run(landing_dir: Path, *, leads: int, seed: int, deviations: bool,
        progress: Callable[[str], None] | None = None,
        chunk_leads: int = CHUNK_LEADS) -> dict:
    """`generate` with the chunk size exposed (tests use small chunks to prove chunking)."""
    if not MIN_LEADS <= leads <= MAX_LEADS:
        raise ValueError(f"leads must be between {MIN_LEADS:,} and {MAX_LEADS:,}, got {leads:,}")
    report = progress or (lambda message: None)
    began = time.perf_counter()
    definitions = load()
    landing_dir.mkdir(parents=True, exist_ok=True)
    clear_previous_output(landing_dir)

    generator = np.random.default_rng([seed, 1])
    users = build_users(leads, generator)
    aes = {segment: [user for user in users if user.kind == "ae" and user.segment == segment]
           for segment in ("smb", "mid_market", "enterprise")}
    accounts = Accounts(max(MIN_ACCOUNTS, leads // LEADS_PER_ACCOUNT), generator, aes)
    programs = Programs(generator)
    world = World(definitions, users, accounts, programs)
    tally = Tally(definitions)
    journeys = Journeys(world, tally, deviations, seed, leads)

    row_counts = dict.fromkeys((spec.table for spec in OBJECTS), 0)
    row_counts["crm_user"] = _write_users(landing_dir, users)
    row_counts["crm_campaign"], row_counts["map_program"] = _write_programs(landing_dir,
                                                                            programs)
    chunks = (leads + chunk_leads - 1) // chunk_leads
    for chunk in range(chunks):
        first = chunk * chunk_leads
        count = min(chunk_leads, leads - first)
        files = open_all(landing_dir, chunk, _LEAD_FOLDERS)
        try:
            journeys.run_chunk(chunk, first, count, files)
        finally:
            for export in files.values():
                export.close()
        for folder, export in files.items():
            row_counts[LAYOUTS[folder].spec.table] += export.rows
        report(f"generated {first + count:,}/{leads:,} leads "
               f"(chunk {chunk + 1}/{chunks}, {time.perf_counter() - began:.1f} s)")
    row_counts["crm_account"] = _write_accounts(landing_dir, accounts)

    manifest = {
        "seed": seed,
        "leads": leads,
        "deviations_enabled": deviations,
        "window": {"start": iso_z(WINDOW_START_AT), "end": iso_z(WINDOW_END_AT)},
        "row_counts": row_counts,
        "deviations": dict(tally.counts),
        "definitions": dict(DEFINITIONS),
    }
    (landing_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n",
                                             encoding="utf-8")
    report(f"wrote {sum(row_counts.values()):,} rows to {landing_dir} "
           f"in {time.perf_counter() - began:.1f} s")
    return manifest


def _write_users(landing_dir: Path, users) -> int:
    export = open_export(LAYOUTS["User"], landing_dir, 0)
    for user in users:
        modified = user.active_until if user.active_until is not None else user.created
        export.write((
            user.id, user.name, user.first_name, user.last_name, user.email, user.title,
            user.department, user.role_name, user.manager_id,
            "true" if user.active_until is None else "false", sf_timestamp(user.created),
            sf_timestamp(modified), sf_timestamp(modified), "false",
        ))
    export.close()
    return export.rows


def _write_programs(landing_dir: Path, programs: Programs) -> tuple[int, int]:
    """Write the CRM campaigns (parents first) and the MAP programs linked to them."""
    campaigns = open_export(LAYOUTS["Campaign"], landing_dir, 0)
    for parent in programs.parents:
        status, active = campaign_status(parent.end)
        created = parent.start - 30 * 86400
        campaigns.write((
            parent.id, parent.name, "Other", status, iso_date(parent.start),
            iso_date(parent.end) if parent.end is not None else "", "", "",
            "true" if active else "false", "", sf_timestamp(created), sf_timestamp(created),
            sf_timestamp(created), "false",
        ))
    map_programs = open_export(LAYOUTS["programs"], landing_dir, 0)
    for program in programs.programs:
        status, active = campaign_status(program.end)
        created = program.start - (14 + program.index % 14) * 86400 + 10 * 3600
        modified = min(END, (program.end or END) + 2 * 86400)
        actual = "" if program.budget == 0 else f"{program.actual:.2f}"
        budget = "" if program.budget == 0 else f"{program.budget:.2f}"
        campaigns.write((
            program.campaign_id, program.name, program.campaign_type, status,
            iso_date(program.start), iso_date(program.end) if program.end is not None else "",
            budget, actual, "true" if active else "false", program.parent_campaign_id,
            sf_timestamp(created), sf_timestamp(modified), sf_timestamp(modified), "false",
        ))
        utm_source, utm_medium, utm_campaign = program.utm
        map_programs.write((
            program.program_id, program.name, program.program_type, program.channel,
            utm_source, utm_medium, utm_campaign, program.campaign_id,
            iso_timestamp(created + 600), iso_timestamp(modified),
        ))
    campaigns.close()
    map_programs.close()
    return campaigns.rows, map_programs.rows


def _write_accounts(landing_dir: Path, accounts: Accounts) -> int:
    """Write accounts last: won deals during the run turn prospects into customers."""
    rows = 0
    for chunk, first in enumerate(range(0, accounts.count, ACCOUNTS_PER_FILE)):
        export = open_export(LAYOUTS["Account"], landing_dir, chunk)
        for index in range(first, min(accounts.count, first + ACCOUNTS_PER_FILE)):
            country, state, _ = accounts.country_of(index)
            created = int(accounts.created[index])
            modified = int(accounts.last_modified[index])
            export.write((
                accounts.id(index), accounts.name(index), f"www.{accounts.domain(index)}",
                vocab.INDUSTRIES[int(accounts.industry[index])],
                str(int(accounts.employees[index])), f"{float(accounts.revenue[index]):.2f}",
                country, state, "Customer" if accounts.is_customer_at(index, END) else "Prospect",
                accounts.owner_id(index), "true" if accounts.abm[index] else "false",
                sf_timestamp(created), sf_timestamp(modified), sf_timestamp(modified), "false",
            ))
        export.close()
        rows += export.rows
    return rows
