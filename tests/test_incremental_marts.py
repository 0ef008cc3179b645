"""Incremental models: loading day N+1 into a warehouse built over days 1..N and running the
incremental models gives, row for row, what a full rebuild over days 1..N+1 gives, for
fct_touchpoints, fct_lifecycle_events, fct_attribution, int_touchpoints_unioned, the two
opportunity joins (int_touchpoints_joined_to_opportunities,
int_marketing_touches_joined_to_opportunities), identity resolution
(int_person_records_unioned, int_person_records_resolved, dim_people) and the lifecycle events
(int_lifecycle_events_unioned, int_lifecycle_events_sequenced, int_lifecycle_stages_pivoted),
including late corrections that change existing rows: deals, touches (one leaves a deal's
window, one enters another's), a contact's account, a lead's address (two people merge), an
account's website (leads matched by it move), a deleted contact whose lead then stands alone, a
deleted lone lead whose touches then belong to nobody, a deleted MQL status change and a
person's first activity re-filed under another lead (~70 s: one generated dataset, three dbt
runs)."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from fixtures.mart_rows import differing_rows, sorted_rows
from fixtures.run_stamps import RUN_STAMP_COLUMNS
from fixtures.semantic_warehouse import run_dbt

from revops.generate import generate
from revops.ingest import run_ingestion

MARTS = (
    "fct_touchpoints",
    "fct_lifecycle_events",
    "fct_attribution",
    "int_touchpoints_unioned",
    "int_touchpoints_joined_to_opportunities",
    "int_marketing_touches_joined_to_opportunities",
    "int_person_records_unioned",
    "int_person_records_resolved",
    "dim_people",
    "int_lifecycle_events_unioned",
    "int_lifecycle_events_sequenced",
    "int_lifecycle_stages_pivoted",
    "int_markov_journey_transitions_listed",
)
# The schema of each; the marts' by default.
SCHEMAS = {
    "int_touchpoints_unioned": "intermediate",
    "int_touchpoints_joined_to_opportunities": "intermediate",
    "int_marketing_touches_joined_to_opportunities": "intermediate",
    "int_person_records_unioned": "intermediate",
    "int_person_records_resolved": "intermediate",
    "int_lifecycle_events_unioned": "intermediate",
    "int_lifecycle_events_sequenced": "intermediate",
    "int_lifecycle_stages_pivoted": "intermediate",
    "int_markov_journey_transitions_listed": "intermediate",
}


def _relation(mart: str) -> str:
    return f"{SCHEMAS.get(mart, 'marts')}.{mart}"
# Day N+1: the rows of these tables created on or after the cut arrive with the next load.
ARRIVING_LATE = {
    "crm_lead": "created_date",
    "crm_contact": "created_date",
    "crm_lead_history": "created_date",
    "crm_task": "created_date",
    "crm_campaign_member": "created_date",
    "crm_opportunity": "created_date",
    "crm_opportunity_contact_role": "created_date",
    "crm_opportunity_history": "created_date",
    "map_activity": "activity_at",
    "map_score_change": "changed_at",
}
# The last 3% of activities: enough new touches to change attribution of recent deals.
CUT_QUANTILE = 0.97


def _dbt(args: list[str], database: Path, work_dir: Path) -> None:
    run_dbt(args, database, work_dir / "target")


def _compiled_select(work_dir: Path, model: str) -> str:
    """The select dbt compiled for `model` in the newest run (lowercase)."""
    return next((work_dir / "target" / "compiled").rglob(f"{model}.sql")).read_text().lower()


_LOG_RECORD = re.compile(r"^(?:\x1b\[0m)?\d\d:\d\d:\d\d\.\d+ ", re.MULTILINE)


def _change_detection_sql(work_dir: Path, model: str) -> str:
    """What `model` read to find its changes in the newest dbt invocation (lowercase): its
    compiled select and the select its pre-hook staged in <model>__changed, from dbt's log
    (hooks are in no compiled file)."""
    log = (work_dir / "target" / "logs" / "dbt.log").read_text()
    newest = log[log.rindex("Running with dbt"):]
    staged = [
        record for record in _LOG_RECORD.split(newest)
        if f'"{model}__changed" as' in record and "create table" in record
    ]
    return "\n".join([_compiled_select(work_dir, model), *staged]).lower()


def _rows(connection: duckdb.DuckDBPyConnection, mart: str) -> list[tuple]:
    """Every row of a mart (without its run stamp), sorted (fixtures.mart_rows)."""
    names = [row[0] for row in connection.execute(f"describe {_relation(mart)}").fetchall()]
    stamps = sorted(RUN_STAMP_COLUMNS & set(names))
    columns = f"* exclude ({', '.join(stamps)})" if stamps else "*"
    return sorted_rows(connection.execute(f"select {columns} from {_relation(mart)}").fetchall())


def _hold_back_the_last_days(connection: duckdb.DuckDBPyConnection) -> None:
    """Move every row created on or after the cut into schema `late` (day N+1)."""
    cut = connection.execute(
        f"select quantile_disc(activity_at, {CUT_QUANTILE}) from raw.map_activity"
    ).fetchone()[0]
    connection.execute("create schema late")
    for table, created in ARRIVING_LATE.items():
        connection.execute(
            f"create table late.{table} as select * from raw.{table} where {created} >= ?", [cut]
        )
        connection.execute(f"delete from raw.{table} where {created} >= ?", [cut])


def _load_day_n_plus_one(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Land day N+1 as the ingestion leaves raw: the held-back rows, plus late corrections of
    records already in the marts, all with a new _loaded_at. Returns the corrected ids."""
    next_load = connection.execute("select max(_loaded_at) from raw.map_activity").fetchone()[0]
    next_load += timedelta(days=1)
    for table in ARRIVING_LATE:
        connection.execute(
            f"insert into raw.{table} select * replace (? as _loaded_at) from late.{table}",
            [next_load],
        )

    # An attributed, closed deal gets a new amount and a later close date.
    opportunity_id = connection.execute("""
        select opportunity_id from marts.fct_attribution
        where is_attributed and is_closed
        group by opportunity_id order by count(*) desc, opportunity_id limit 1
    """).fetchone()[0]
    connection.execute(
        """
        update raw.crm_opportunity
        set amount = amount * 2 + 1000, close_date = close_date + 20,
            system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, opportunity_id],
    )

    # An old deal, which day N+1 touches in no other way, has its amount corrected and its
    # close moved back to its creation day: its touches after creation leave its journey.
    old_deal = connection.execute(
        """
        select opportunity_id from marts.fct_attribution
        where is_attributed and is_closed and opportunity_id <> ?
            and touched_at > opportunity_created_at + interval 1 day
        order by opportunity_created_at, opportunity_id limit 1
    """,
        [opportunity_id],
    ).fetchone()[0]
    connection.execute(
        """
        update raw.crm_opportunity
        set amount = amount + 1234, close_date = cast(created_date as date),
            system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, old_deal],
    )

    # A contact moves to an account without deals: the touches that reached an old deal of
    # the former account through the account alone must leave that deal's journey.
    moved_contact = connection.execute(
        """
        select people.contact_id
        from intermediate.int_touchpoints_joined_to_opportunities as links
        inner join marts.dim_people as people on links.person_id = people.person_id
        where links.linked_by = 'account' and people.contact_id is not null
            and links.opportunity_id not in (?, ?)
        order by links.touched_at, links.touchpoint_id limit 1
    """,
        [opportunity_id, old_deal],
    ).fetchone()[0]
    connection.execute(
        """
        update raw.crm_contact
        set account_id = (
                select min(id) from raw.crm_account
                where id not in (select account_id from raw.crm_opportunity where account_id is not null)
            ),
            system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, moved_contact],
    )

    # A touch of the first deal is re-tagged: another channel.
    retagged = connection.execute(
        """
        select attribution.touchpoint_id from marts.fct_attribution as attribution
        where attribution.opportunity_id = ? and attribution.touchpoint_id like 'map-%'
        order by attribution.touchpoint_id limit 1
    """,
        [opportunity_id],
    ).fetchone()[0]
    # Another touch is re-filed under a different lead: it moves to another person.
    moved, moved_from = connection.execute(
        """
        select touchpoint_id, person_id from marts.fct_touchpoints
        where touchpoint_id like 'map-%' and lead_id is not null and person_touch_number = 2
            and touchpoint_id <> ?
        order by touchpoint_id limit 1
    """,
        [retagged],
    ).fetchone()
    target_lead = connection.execute(
        """
        select min(lead_id) from marts.fct_touchpoints
        where lead_id is not null and person_id <> ?
    """,
        [moved_from],
    ).fetchone()[0]
    connection.execute(
        """
        update raw.map_activity
        set utm_source = case when activity_id = ? then 'bing' else utm_source end,
            utm_medium = case when activity_id = ? then 'cpc' else utm_medium end,
            crm_lead_id = case when activity_id = ? then ? else crm_lead_id end,
            crm_contact_id = case when activity_id = ? then null else crm_contact_id end,
            updated_at = updated_at + interval 1 day, _loaded_at = ?
        where activity_id in (?, ?)
    """,
        [retagged[4:]] * 2
        + [moved[4:], target_lead, moved[4:], next_load, retagged[4:], moved[4:]],
    )

    # A lead takes the address of a contact of another person: the two become one person.
    merged_lead, contact_email, contact_person = connection.execute("""
        select leads.record_id, raw_contacts.email, contacts.person_id
        from intermediate.int_person_records_resolved as leads
        cross join intermediate.int_person_records_resolved as contacts
        inner join raw.crm_contact as raw_contacts on contacts.record_id = raw_contacts.id
        where leads.record_type = 'lead' and not leads.is_converted
            and leads.person_record_count = 1
            and contacts.record_type = 'contact' and contacts.is_survivor
            and raw_contacts.email is not null
        order by leads.record_id, contacts.record_id limit 1
    """).fetchone()
    connection.execute(
        """
        update raw.crm_lead
        set email = ?, system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [contact_email, next_load, merged_lead],
    )

    # The account most leads were matched to by website changes its website: they move.
    rehosted_account = connection.execute("""
        select account_id from intermediate.int_person_records_unioned
        where account_match = 'website_domain'
        group by account_id order by count(*) desc, account_id limit 1
    """).fetchone()[0]
    connection.execute(
        """
        update raw.crm_account
        set website = 'https://www.rehosted.example',
            system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, rehosted_account],
    )

    # The surviving contact of a person with a converted lead is deleted: the lead, no longer
    # converted to a live contact, survives as a person of its own.
    deleted_contact, deleted_person = connection.execute("""
        select record_id, person_id from intermediate.int_person_records_resolved
        where record_type = 'contact' and is_survivor and person_record_count > 1
            and record_id not in (?, ?)
        order by record_id limit 1
    """, [moved_contact, contact_person]).fetchone()
    connection.execute(
        """
        update raw.crm_contact
        set is_deleted = true, system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, deleted_contact],
    )

    # A marketing touch of a deal moves to after the deal's creation: out of its window.
    unlinked_deal, unlinked_activity = connection.execute("""
        select opportunity_id, activity_id
        from intermediate.int_marketing_touches_joined_to_opportunities
        where linked_by = 'contact_role' and activity_id not in (?, ?)
        order by opportunity_touch_id limit 1
    """, [retagged[4:], moved[4:]]).fetchone()
    # An activity no deal counts is re-filed under a contact of another deal, a day before
    # the deal's creation: into its window.
    reached_deal, reached_contact, reached_at = connection.execute("""
        select roles.opportunity_id, roles.contact_id, opportunities.created_at - interval 1 day
        from staging.stg_crm__opportunity_contact_roles as roles
        inner join intermediate.int_opportunity_accounts_resolved as opportunities
            on roles.opportunity_id = opportunities.opportunity_id
        inner join intermediate.int_person_records_resolved as contacts
            on roles.contact_id = contacts.contact_id and contacts.record_type = 'contact'
        where not roles.is_deleted and not opportunities.is_deleted
            and roles.opportunity_id <> ? and roles.contact_id not in (?, ?, ?)
        order by roles.opportunity_id, roles.contact_id limit 1
    """, [unlinked_deal, deleted_contact, moved_contact, contact_person]).fetchone()
    reached_activity = connection.execute("""
        select activity_id from staging.stg_map__activities
        where activity_type = (
                select activity_type from staging.stg_map__activities where activity_id = ?
            )
            and activity_id not in (
                select activity_id from intermediate.int_marketing_touches_joined_to_opportunities
            )
            and activity_id not in (?, ?)
        order by activity_id limit 1
    """, [unlinked_activity, retagged[4:], moved[4:]]).fetchone()[0]
    connection.execute(
        """
        update raw.map_activity
        set activity_at = case
                when activity_id = ? then (
                    select created_at + interval 1 day
                    from intermediate.int_opportunity_accounts_resolved
                    where opportunity_id = ?
                )
                else ?
            end,
            crm_lead_id = case when activity_id = ? then null else crm_lead_id end,
            crm_contact_id = case when activity_id = ? then ? else crm_contact_id end,
            crm_account_id = case when activity_id = ? then null else crm_account_id end,
            updated_at = updated_at + interval 1 day, _loaded_at = ?
        where activity_id in (?, ?)
    """,
        [unlinked_activity, unlinked_deal, reached_at]
        + [reached_activity, reached_activity, reached_contact, reached_activity, next_load]
        + [unlinked_activity, reached_activity],
    )

    # A lead that is a person of its own, with MAP touches, is deleted in the CRM: the person
    # is gone and the touches, still in the MAP, belong to nobody.
    lone_lead, lone_person = connection.execute("""
        select records.record_id, records.person_id
        from intermediate.int_person_records_resolved as records
        inner join marts.fct_touchpoints as touches on records.person_id = touches.person_id
        where records.record_type = 'lead' and not records.is_converted
            and records.person_record_count = 1 and records.record_id not in (?, ?)
            and touches.touch_source = 'map_activity'
        order by records.record_id limit 1
    """, [merged_lead, target_lead]).fetchone()
    connection.execute(
        """
        update raw.crm_lead
        set is_deleted = true, system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, lone_lead],
    )

    # A lead's MQL status change is deleted in the CRM: its person loses that MQL event.
    unqualified_history, unqualified_person = connection.execute("""
        select lead_history_id, person_id from intermediate.int_lead_status_changes_mapped
        where stage_code = 'mql' and person_id not in (?, ?, ?)
        order by lead_history_id limit 1
    """, [contact_person, deleted_person, lone_person]).fetchone()
    connection.execute(
        """
        update raw.crm_lead_history
        set is_deleted = true, system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, unqualified_history],
    )

    # The first activity of a person known first from the MAP is re-filed under another lead:
    # the person's lead stage now starts later, and only the copy of the first activities
    # the last run kept tells which person the activity left.
    first_activity, refiled_person, first_known_at = connection.execute("""
        select activities.activity_id, events.person_id, events.entered_at
        from intermediate.int_lifecycle_events_unioned as events
        inner join intermediate.int_person_records_resolved as records
            on events.person_id = records.person_id
        inner join staging.stg_map__activities as activities
            on (activities.lead_id = records.lead_id or activities.contact_id = records.contact_id)
            and activities.activity_at = events.entered_at
        where events.stage_code = 'lead' and events.event_source = 'map_activity'
            and events.person_id not in (?, ?, ?, ?, ?)
            and activities.activity_id not in (?, ?, ?, ?)
            and events.person_id not in (
                select person_id from intermediate.int_person_records_resolved where lead_id = ?
            )
        order by events.person_id, activities.activity_id limit 1
    """, [contact_person, deleted_person, lone_person, unqualified_person, moved_from]
        + [retagged[4:], moved[4:], unlinked_activity, reached_activity, target_lead]).fetchone()
    connection.execute(
        """
        update raw.map_activity
        set crm_lead_id = ?, crm_contact_id = null,
            updated_at = updated_at + interval 1 day, _loaded_at = ?
        where activity_id = ?
    """,
        [target_lead, next_load, first_activity],
    )

    # A sales call is deleted in the CRM: its touch must disappear.
    deleted = connection.execute(
        "select touchpoint_id from marts.fct_touchpoints where touch_source = 'crm_task' "
        "order by touchpoint_id limit 1"
    ).fetchone()[0]
    connection.execute(
        """
        update raw.crm_task
        set is_deleted = true, system_modstamp = system_modstamp + interval 1 day, _loaded_at = ?
        where id = ?
    """,
        [next_load, deleted[5:]],
    )
    return {
        "opportunity": opportunity_id,
        "retagged": retagged,
        "moved": moved,
        "deleted": deleted,
        "target_lead": target_lead,
        "old_deal": old_deal,
        "moved_contact": moved_contact,
        "merged_lead": merged_lead,
        "contact_person": contact_person,
        "rehosted_account": rehosted_account,
        "deleted_contact": deleted_contact,
        "deleted_person": deleted_person,
        "unlinked": (unlinked_deal, unlinked_activity),
        "reached": (reached_deal, reached_activity),
        "lone_lead": lone_lead,
        "lone_person": lone_person,
        "unqualified": (unqualified_history, unqualified_person),
        "refiled": (first_activity, refiled_person, first_known_at),
    }


@pytest.fixture(scope="module")
def day_n_plus_one(tmp_path_factory):
    """Build days 1..N, load day N+1, run incrementally, then rebuild everything."""
    work_dir = tmp_path_factory.mktemp("incremental_marts")
    landing, database = work_dir / "landing", work_dir / "revops.duckdb"
    generate(landing, leads=1500, seed=11, deviations=False)
    run_ingestion(landing, database).raise_for_errors()
    with duckdb.connect(str(database)) as connection:
        _hold_back_the_last_days(connection)

    selection = ["--select", "+fct_attribution", "+fct_lifecycle_events"]
    _dbt(["seed"], database, work_dir)
    _dbt(["run", *selection], database, work_dir)
    with duckdb.connect(str(database)) as connection:
        day_n = {mart: _rows(connection, mart) for mart in MARTS}
        last_rowid = {
            mart: connection.execute(f"select max(rowid) from {_relation(mart)}").fetchone()[0]
            for mart in MARTS
        }
        corrected = _load_day_n_plus_one(connection)

    _dbt(["run", *selection], database, work_dir)
    compiled = {
        mart: next((work_dir / "target" / "run").rglob(f"{mart}.sql")).read_text().lower()
        for mart in MARTS
    }
    with duckdb.connect(str(database)) as connection:
        incremental = {mart: _rows(connection, mart) for mart in MARTS}
        # The gone-keys logs (macros/gone_keys_log.sql) as the incremental run left them, and
        # the select that read one.
        touch_select = _change_detection_sql(work_dir, "fct_touchpoints")
        gone_logs = {
            log: connection.execute(
                f"select gone_key, gone_at = (select max(gone_at) from {log}) from {log} "
                "order by gone_key nulls first"
            ).fetchall()
            for log in ("intermediate.int_touchpoints_unioned__gone", "marts.fct_touchpoints__gone")
        }
        # Rows an incremental run did not touch keep their rowid; rewritten ones get new ones.
        kept = {
            mart: connection.execute(
                f"select count(*) from {_relation(mart)} where rowid <= ?", [last_rowid[mart]]
            ).fetchone()[0]
            for mart in MARTS
        }

    _dbt(["run", "--full-refresh", *selection], database, work_dir)
    with duckdb.connect(str(database)) as connection:
        full = {mart: _rows(connection, mart) for mart in MARTS}
        corrections = {
            "amount": connection.execute(
                "select sum(pipeline_credit) from marts.fct_attribution "
                "where opportunity_id = ? and attribution_model = 'linear'",
                [corrected["opportunity"]],
            ).fetchone()[0],
            "raw_amount": connection.execute(
                "select amount from raw.crm_opportunity where id = ?", [corrected["opportunity"]]
            ).fetchone()[0],
            "retagged_channel": connection.execute(
                "select channel from marts.fct_touchpoints where touchpoint_id = ?",
                [corrected["retagged"]],
            ).fetchone()[0],
            "moved_lead": connection.execute(
                "select lead_id from marts.fct_touchpoints where touchpoint_id = ?",
                [corrected["moved"]],
            ).fetchone()[0],
            "deleted_rows": connection.execute(
                "select count(*) from marts.fct_touchpoints where touchpoint_id = ?",
                [corrected["deleted"]],
            ).fetchone()[0],
            "merged_lead_person": connection.execute(
                "select person_id from intermediate.int_person_records_resolved "
                "where record_id = ?",
                [corrected["merged_lead"]],
            ).fetchone()[0],
            "rehosted_account_leads": connection.execute(
                "select count(*) from intermediate.int_person_records_unioned "
                "where account_id = ? and account_match = 'website_domain'",
                [corrected["rehosted_account"]],
            ).fetchone()[0],
            "deleted_contact_rows": connection.execute(
                "select count(*) from intermediate.int_person_records_resolved "
                "where record_id = ?",
                [corrected["deleted_contact"]],
            ).fetchone()[0],
            "deleted_person_rows": connection.execute(
                "select count(*) from marts.dim_people where person_id = ?",
                [corrected["deleted_person"]],
            ).fetchone()[0],
            **{
                f"{moved_touch}_rows": connection.execute(
                    "select list(linked_by) "
                    "from intermediate.int_marketing_touches_joined_to_opportunities "
                    "where opportunity_id = ? and activity_id = ?",
                    list(corrected[moved_touch]),
                ).fetchone()[0]
                for moved_touch in ("unlinked", "reached")
            },
            "lone_lead_touches": connection.execute(
                "select count(*), count(person_id) from marts.fct_touchpoints where lead_id = ?",
                [corrected["lone_lead"]],
            ).fetchone(),
            "lone_person_touches": connection.execute(
                "select count(*) from marts.fct_touchpoints where person_id = ?",
                [corrected["lone_person"]],
            ).fetchone()[0],
            "unqualified_events": connection.execute(
                "select count(*) from intermediate.int_lifecycle_events_sequenced "
                "where source_record_id = ?",
                [corrected["unqualified"][0]],
            ).fetchone()[0],
            "refiled_lead_stage_at": connection.execute(
                "select entered_at from intermediate.int_lifecycle_events_sequenced "
                "where person_id = ? and stage_code = 'lead'",
                [corrected["refiled"][1]],
            ).fetchone()[0],
        }
    return {
        "day_n": day_n,
        "incremental": incremental,
        "full": full,
        "kept": kept,
        "compiled": compiled,
        "gone_logs": gone_logs,
        "touch_select": touch_select,
        "corrected": corrected,
        "corrections": corrections,
        "database": database,
        "work_dir": work_dir,
        "selection": selection,
    }


@pytest.mark.parametrize("mart", MARTS)
def test_loading_day_n_plus_one_incrementally_equals_a_full_rebuild(day_n_plus_one, mart):
    incremental, full = day_n_plus_one["incremental"][mart], day_n_plus_one["full"][mart]
    differing = differing_rows(incremental, full)
    if differing:
        pytest.fail(
            f"{mart}: {len(incremental):,} rows incremental, {len(full):,} full, "
            f"{len(differing):,} differ; first (incremental, full): {differing[:2]}"
        )
    # Day N+1 changed the mart: the comparison is not between two unchanged tables.
    assert differing_rows(full, day_n_plus_one["day_n"][mart])


@pytest.mark.parametrize("mart", MARTS)
def test_the_incremental_run_rewrote_only_the_affected_rows(day_n_plus_one, mart):
    # dbt's delete+insert ran, and most rows stayed where they were (a rebuild keeps none).
    assert "delete from" in day_n_plus_one["compiled"][mart]
    kept, total = day_n_plus_one["kept"][mart], len(day_n_plus_one["full"][mart])
    assert 0.5 * total < kept < total, (kept, total)


def test_the_late_corrections_reached_the_marts(day_n_plus_one):
    corrections = day_n_plus_one["corrections"]
    # The linear model's credits of the corrected deal add up to its new amount (USD deal or
    # not, the amount changed, so the sum must differ from any stale value: checked by the
    # equality with the full rebuild; here that the correction is really in the data).
    assert corrections["amount"] is not None and corrections["amount"] > 0
    assert corrections["retagged_channel"] != "unattributed"
    assert corrections["moved_lead"] == day_n_plus_one["corrected"]["target_lead"]
    assert corrections["deleted_rows"] == 0
    # Identity: the lead joined the contact's person, the rehosted account's website matches
    # no lead, and the deleted contact's person is gone (its lead's id names it now).
    assert corrections["merged_lead_person"] == day_n_plus_one["corrected"]["contact_person"]
    assert corrections["rehosted_account_leads"] == 0
    assert corrections["deleted_contact_rows"] == 0
    assert corrections["deleted_person_rows"] == 0
    # Marketing touches left and entered their deals' windows.
    assert corrections["unlinked_rows"] is None  # no row: list() of nothing
    assert corrections["reached_rows"] == ["contact_role"]
    # The deleted lone lead's touches are kept, with no person.
    touches, with_person = corrections["lone_lead_touches"]
    assert touches > 0 and with_person == 0
    assert corrections["lone_person_touches"] == 0
    # Lifecycle: the deleted MQL status change left no event, and the person whose first
    # activity was re-filed entered the lead stage later.
    assert corrections["unqualified_events"] == 0
    assert corrections["refiled_lead_stage_at"] > day_n_plus_one["corrected"]["refiled"][2]


# Columns an ordinary incremental run never compares (they are outputs of the per-entity
# windows), so a value planted there survives until the entity is recomputed.
PLANTED = {
    "fct_touchpoints": ("touched_date", "date '1999-01-01'", "touched_at"),
    "fct_lifecycle_events": ("event_number", "-1", "entered_at"),
    "fct_attribution": ("credit_percent", "-1", "touched_at"),
    "int_touchpoints_joined_to_opportunities": ("days_before_opportunity_creation", "-1", "touched_at"),
    "int_marketing_touches_joined_to_opportunities": ("days_before_opportunity", "-1", "activity_at"),
}


def test_the_deleted_touch_is_logged_as_gone_and_read_from_the_log(day_n_plus_one):
    # Each log holds its start marker (from the full build of day N, older than the run) and
    # the touches the run re-examined and does not hold, stamped by the incremental run: the
    # deleted task's, and campaign responses checked again that stay the MAP's own.
    deleted = day_n_plus_one["corrected"]["deleted"]
    held = {row[0] for row in day_n_plus_one["incremental"]["fct_touchpoints"]}
    for log, rows in day_n_plus_one["gone_logs"].items():
        assert rows[0] == (None, False), log
        assert (deleted, True) in rows[1:], log
        assert all(is_newest and key not in held for key, is_newest in rows[1:]), log
    # fct_touchpoints found it in int_touchpoints_unioned's log, not by comparing every touch
    # (the pre-hook staging what the run recomputes reads the log).
    assert '"fct_touchpoints__changed" as' in day_n_plus_one["touch_select"]
    assert "int_touchpoints_unioned__gone" in day_n_plus_one["touch_select"]


def test_a_touch_gone_while_its_log_started_anew_is_found_by_comparing_every_row(
        day_n_plus_one):
    # int_touchpoints_unioned is rebuilt in full (its log starts anew) after a MAP activity that
    # reaches an opportunity was deleted; the models after it run incrementally: fct_touchpoints
    # cannot trust that log for its last run, so it compares every touch, and starts its own
    # log anew, which int_touchpoints_joined_to_opportunities then cannot trust either.
    database, work_dir = day_n_plus_one["database"], day_n_plus_one["work_dir"]
    with duckdb.connect(str(database)) as connection:
        touch, activity = connection.execute(
            "select links.touchpoint_id, touches.source_record_id "
            "from intermediate.int_touchpoints_joined_to_opportunities as links "
            "inner join marts.fct_touchpoints as touches "
            "on links.touchpoint_id = touches.touchpoint_id "
            "where links.touch_source = 'map_activity' order by 1 limit 1"
        ).fetchone()
        connection.execute("delete from raw.map_activity where activity_id = ?", [activity])
    _dbt(["run", "--full-refresh", "--select", "+int_touchpoints_unioned"], database, work_dir)
    _dbt(
        ["run", "--select", "int_touchpoints_unioned+", "--exclude", "int_touchpoints_unioned"],
        database,
        work_dir,
    )
    detection = _change_detection_sql(work_dir, "fct_touchpoints")
    assert '"fct_touchpoints__changed" as' in detection
    assert "int_touchpoints_unioned__gone" not in detection
    with duckdb.connect(str(database)) as connection:
        left = [
            connection.execute(f"select count(*) from {relation} where touchpoint_id = ?",
                               [touch]).fetchone()[0]
            for relation in ("intermediate.int_touchpoints_unioned", "marts.fct_touchpoints",
                             "intermediate.int_touchpoints_joined_to_opportunities")
        ]
        touch_log = connection.execute(
            "select gone_key, gone_at = (select max(recomputed_at) from marts.fct_touchpoints) "
            "from marts.fct_touchpoints__gone"
        ).fetchall()
    assert left == [0, 0, 0]
    assert touch_log == [(None, True)]  # started anew by this run: only its marker


def test_a_gone_keys_log_keeps_the_days_it_is_told_and_moves_its_marker_up(day_n_plus_one):
    database, work_dir = day_n_plus_one["database"], day_n_plus_one["work_dir"]
    log = "intermediate.int_touchpoints_unioned__gone"
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"update {log} set gone_at = '2000-01-01' where gone_key is null")
        connection.execute(f"insert into {log} values ('map-long-gone', '2000-01-01')")
    _dbt(["run", "--select", "int_touchpoints_unioned", "--vars", "{gone_keys_log_days: 2}"],
         database, work_dir)
    with duckdb.connect(str(database)) as connection:
        long_gone = connection.execute(
            f"select count(*) from {log} where gone_key = 'map-long-gone'").fetchone()[0]
        marker = connection.execute(
            f"select gone_at from {log} where gone_key is null").fetchone()[0]
    now = datetime.now(UTC).replace(tzinfo=None)
    assert long_gone == 0
    # The run's stamp (when it started, UTC) less 2 days: keys before it are no longer listed.
    assert now - timedelta(days=2, minutes=10) < marker < now - timedelta(days=2) + timedelta(
        minutes=1)


def test_a_backfill_recomputes_the_entities_of_its_days_and_no_others(day_n_plus_one):
    database, work_dir = day_n_plus_one["database"], day_n_plus_one["work_dir"]
    with duckdb.connect(str(database)) as connection:
        day = connection.execute(
            "select cast(max(touched_at) as date) - 30 from marts.fct_touchpoints"
        ).fetchone()[0]
        for mart, (column, planted, dated_by) in PLANTED.items():
            connection.execute(
                f"update {_relation(mart)} set {column} = {planted} "
                f"where cast({dated_by} as date) in (?, ? - 60)",
                [day, day],
            )
            inside = connection.execute(
                f"select count(*) from {_relation(mart)} where {column} = {planted} "
                f"and cast({dated_by} as date) = ?",
                [day],
            ).fetchone()[0]
            assert inside > 0, f"{mart}: no row on {day} to plant a value in"
    _dbt(
        [
            "run",
            *day_n_plus_one["selection"],
            "--vars",
            f"{{backfill_from: '{day}', backfill_to: '{day}'}}",
        ],
        database,
        work_dir,
    )
    with duckdb.connect(str(database)) as connection:
        for mart, (column, planted, dated_by) in PLANTED.items():
            left = dict(
                connection.execute(
                    f"select cast({dated_by} as date) = ?, count(*) from {_relation(mart)} "
                    f"where {column} = {planted} group by 1",
                    [day],
                ).fetchall()
            )
            # Inside the window every planted value was recomputed away; 60 days earlier the
            # backfill did not look, and an ordinary run does not either.
            assert left.get(True, 0) == 0, mart
            assert left.get(False, 0) > 0, mart


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [
        ("2026-02-01", "2026-01-01", "--from 2026-02-01 is after --to 2026-01-01"),
        ("2026-13-01", "2026-12-31", "--from must be a date YYYY-MM-DD, got '2026-13-01'"),
        ("2026-01-01", "yesterday", "--to must be a date YYYY-MM-DD, got 'yesterday'"),
    ],
)
def test_a_backfill_with_a_bad_range_stops_before_running_anything(
    capsys, date_from, date_to, message
):
    from revops.cli import main

    assert main(["backfill", "--from", date_from, "--to", date_to]) == 2
    assert message in capsys.readouterr().out


def test_a_backfill_passes_its_days_to_the_dbt_step_and_the_daily_run_passes_none():
    from dagster import validate_run_config

    from orchestration.assets.transformations import DbtBuildConfig
    from orchestration.definitions import defs
    from orchestration.jobs import local_run_config, with_dbt_config
    from revops.backfill import dbt_build_config, parse_window

    days = dbt_build_config(*parse_window("2026-01-01", "2026-01-31"))
    assert DbtBuildConfig(**days).dbt_args() == [
        "--vars",
        '{"backfill_from": "2026-01-01", "backfill_to": "2026-01-31"}',
    ]
    assert DbtBuildConfig().dbt_args() == []
    # The run config `revops backfill` hands the `everything` job is one the job accepts.
    validate_run_config(defs.resolve_job_def("everything"), with_dbt_config(local_run_config(), days))


# (relation, key, column, planted value, selection, the test that must find it): the not-null
# test (not_null_columns) reads the newest run's rows through `where` (macro
# get_where_subquery); the PII check, which reads the relation's columns and so cannot take
# `where`, through its argument newest_run_only (macro recomputed_by_the_newest_run).
# `test_every_row` reads every row.
NEWEST_RUN_TESTS = {
    "not_null": ("marts.fct_touchpoints", "touchpoint_id", "channel", "null",
                 "fct_touchpoints,test_name:not_null_columns", "not_null_fct_touchpoints"),
    "no_email_shaped_values": ("marts.dim_people", "person_id", "title", "'ana@example.com'",
                               "no_email_shaped_values_dim_people_",
                               "no_email_shaped_values_dim_people_"),
}


@pytest.mark.parametrize("case", sorted(NEWEST_RUN_TESTS))
def test_a_daily_run_tests_the_rows_it_recomputed_and_an_audit_tests_every_row(
    day_n_plus_one, case
):
    relation, key, column, planted, selection, failing = NEWEST_RUN_TESTS[case]
    database, work_dir = day_n_plus_one["database"], day_n_plus_one["work_dir"]
    tests = ["test", "--select", selection]
    with duckdb.connect(str(database)) as connection:
        newest = connection.execute(f"select max(recomputed_at) from {relation}").fetchone()[0]
        row_key, value = connection.execute(
            f"select {key}, {column} from {relation} where recomputed_at = ? "
            f"order by {key} limit 1",
            [newest],
        ).fetchone()
        connection.execute(
            f"update {relation} set {column} = {planted}, "
            f"recomputed_at = ? - interval 1 day where {key} = ?",
            [newest, row_key],
        )
    try:
        # An old row: the daily tests do not read it, an audit does.
        _dbt(tests, database, work_dir)
        with pytest.raises(RuntimeError, match=failing):
            _dbt([*tests, "--vars", "{test_every_row: true}"], database, work_dir)
        with duckdb.connect(str(database)) as connection:
            connection.execute(
                f"update {relation} set recomputed_at = ? where {key} = ?", [newest, row_key]
            )
        # The same row written by the newest run: the daily tests find it.
        with pytest.raises(RuntimeError, match=failing):
            _dbt(tests, database, work_dir)
    finally:
        with duckdb.connect(str(database)) as connection:
            connection.execute(
                f"update {relation} set {column} = ?, recomputed_at = ? where {key} = ?",
                [value, newest, row_key],
            )


def test_the_raw_key_tests_find_a_stale_version_of_a_key_the_newest_load_holds(day_n_plus_one):
    # The raw primary-key tests read the newest load (macro get_where_subquery). A loader that
    # appended instead of merging leaves an older version beside a key it loaded: `unique`
    # finds it. A duplicate among keys only older loads hold is left to an audit.
    database, work_dir = day_n_plus_one["database"], day_n_plus_one["work_dir"]
    unique_test = ["test", "--select", "source:map.map_activity,test_name:unique"]
    planted = "timestamp '2000-01-01'"  # an older load than any real one, to take back out

    def sql(statement: str, *params: object) -> tuple:
        with duckdb.connect(str(database)) as connection:
            return connection.execute(statement, list(params)).fetchone()

    (newest,) = sql("select max(_loaded_at) from raw.map_activity")
    old_key, new_key = sql(
        "select min(activity_id) filter (where _loaded_at < $1),"
        " min(activity_id) filter (where _loaded_at = $1) from raw.map_activity",
        newest,
    )
    assert old_key and new_key
    plant = (
        f"insert into raw.map_activity select * replace ({planted} as _loaded_at) "
        "from raw.map_activity where activity_id = ?"
    )

    def duplicates_found(*args: str) -> int:
        # The test warns (severity warn): its result, not an exception, says what it found.
        _dbt([*unique_test, *args], database, work_dir)
        results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
        results = [result for result in results if result["unique_id"].startswith("test.")]
        assert [result["unique_id"].split(".")[2] for result in results] == [
            "source_unique_map_map_activity_activity_id"
        ], results
        return results[0]["failures"]

    assert duplicates_found() == 0
    sql(plant, old_key)
    assert duplicates_found() == 0
    assert duplicates_found("--vars", "{test_every_row: true}") == 1
    sql(plant, new_key)
    assert duplicates_found() == 1
    sql(f"delete from raw.map_activity where _loaded_at = {planted}")


def test_the_credit_sum_check_reads_the_newest_run_and_a_pair_left_out_shows_in_the_metrics(
    day_n_plus_one,
):
    # data-tests/attribution_credits_sum_to_one.sql: sums over the pairs the newest run wrote;
    # a pair left out anywhere: attribution_pipeline_reconciles_with_fct_opportunities, once
    # metrics_attribution is built on it.
    database, work_dir = day_n_plus_one["database"], day_n_plus_one["work_dir"]
    check = ["test", "--select", "attribution_credits_sum_to_one"]
    audit = [*check, "--vars", "{test_every_row: true}"]
    failing = pytest.raises(RuntimeError, match="attribution_credits_sum_to_one")
    pair = "attribution_model = 'linear' and opportunity_id = ?"

    def sql(statement: str, *params: object) -> list[tuple]:
        with duckdb.connect(str(database)) as connection:
            return connection.execute(statement, list(params)).fetchall()

    ((newest, opportunity),) = sql(
        "select max(recomputed_at), min(opportunity_id) filter (where eligible_touch_count > 1)"
        " from marts.fct_attribution"
    )
    sql("create table main.held_back as select * from marts.fct_attribution where " + pair, opportunity)
    _dbt(check, database, work_dir)
    # A credit off on a pair an older run wrote: the daily check does not read it, an audit does.
    sql(
        "update marts.fct_attribution set attribution_credit = attribution_credit + 0.1,"
        f" recomputed_at = ? - interval 1 day where {pair} and touch_number = ("
        f"  select max(touch_number) from marts.fct_attribution where {pair})",
        newest, opportunity, opportunity,
    )
    sql(f"update marts.fct_attribution set recomputed_at = ? - interval 1 day where {pair}",
        newest, opportunity)
    _dbt(check, database, work_dir)
    with failing:
        _dbt(audit, database, work_dir)
    # The same pair as the newest run wrote it: the daily check finds it.
    sql(f"update marts.fct_attribution set recomputed_at = ? where {pair}", newest, opportunity)
    with failing:
        _dbt(check, database, work_dir)
    # The pair gone altogether: nothing for the sums to read, and one opportunity fewer in
    # the linear model's metrics, whatever run wrote the others.
    sql(f"delete from marts.fct_attribution where {pair}", opportunity)
    _dbt(check, database, work_dir)
    metrics = ["build", "--select", "metrics_attribution"]
    with pytest.raises(RuntimeError, match="attribution_pipeline_reconciles_with_fct_opp"):
        _dbt(metrics, database, work_dir)
    sql("insert into marts.fct_attribution select * from main.held_back")
    sql("drop table main.held_back")
    _dbt(check, database, work_dir)
    _dbt(metrics, database, work_dir)


def test_revops_run_test_every_row_passes_the_audit_var_to_the_dbt_step(monkeypatch):
    from dagster import validate_run_config

    import revops.runner
    from orchestration.assets.transformations import DbtBuildConfig
    from orchestration.definitions import defs
    from orchestration.jobs import local_run_config, with_dbt_config
    from revops.cli import main

    assert DbtBuildConfig(test_every_row=True).dbt_args() == [
        "--vars",
        '{"test_every_row": true}',
    ]
    # With a backfill window: one --vars holding both.
    both = DbtBuildConfig(backfill_from="2026-01-01", backfill_to="2026-01-02", test_every_row=True)
    assert both.dbt_args() == [
        "--vars",
        '{"backfill_from": "2026-01-01", "backfill_to": "2026-01-02", "test_every_row": true}',
    ]
    handed = []
    monkeypatch.setattr(
        revops.runner, "run_all", lambda select, say, dbt_config: handed.append(dbt_config) or 0
    )
    assert main(["run", "--test-every-row"]) == 0
    assert main(["run"]) == 0
    assert handed == [{"test_every_row": True}, None]
    validate_run_config(
        defs.resolve_job_def("everything"), with_dbt_config(local_run_config(), handed[0])
    )
