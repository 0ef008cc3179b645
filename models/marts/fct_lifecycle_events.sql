-- The definition that judges a stage entry is named with the version in force for the
-- event's segment on its UTC date: the ICP for the lead stage, the MQL criteria for MQL, the
-- handoff SLA for what sales does with the lead (SAL, SQL, rejected, recycled). Deal stages
-- have no versioned definition.
{#- Incremental: event numbers, cycles and the out-of-order flags depend on all of a person's
    events, so a run recomputes every event of each affected person: one with an event
    int_lifecycle_events_sequenced recomputed since this table's last run (run stamps, macro
    run_stamp, macro people_restamped_since_last_run; it recomputes whole people, from
    int_lifecycle_events_unioned's own detection).
    The event id hashes the person, so a merge of two persons gives new ids: rows are
    replaced by lifecycle_event_id and ids gone from the sources are deleted by the post-hook.
    A change to the definition seeds needs `--full-refresh`. Equal to a full rebuild:
    tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='lifecycle_event_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ incremental_delete_gone_rows('lifecycle_event_id', ref('int_lifecycle_events_sequenced')) }}",
) }}

with

events_sequenced as (

    select * from {{ ref('int_lifecycle_events_sequenced') }}

),

{% if is_incremental() %}

-- Every person with an event recomputed since the last run (a person who lost every event
-- has none left to recompute: the post-hook deletes their rows). The sequenced events are
-- read here directly: a CTE read more than once is materialised whole by DuckDB.
affected_people as (

    {{ people_restamped_since_last_run(ref('int_lifecycle_events_sequenced')) }}
    {%- if backfill_window() %}
    -- revops backfill: every person with an event on its days.
    union
    select backfill_events.person_id
    from {{ ref('int_lifecycle_events_sequenced') }} as backfill_events
    where {{ in_backfill_window('backfill_events.entered_at') }}
    {%- endif %}

),

{% endif %}

-- Full build: every event. Incremental: every event of an affected person.
events as (

    select * from events_sequenced
    {% if is_incremental() %}
    where events_sequenced.person_id in (select affected_people.person_id from affected_people)
    {% endif %}

),

icp_versions as (

    select * from {{ ref('def_icp_versions') }}

),

mql_criteria as (

    select * from {{ ref('def_mql_criteria') }}

),

handoff_slas as (

    select * from {{ ref('def_handoff_sla') }}

),

final as (

    select
        events.lifecycle_event_id,
        events.person_id,
        events.lead_id,
        events.segment_code,
        events.stage_code,
        events.stage_order,
        events.is_exit,
        events.entered_at,
        events.event_source,
        events.source_record_id,
        case
            when events.stage_code = 'lead' then 'icp'
            when events.stage_code = 'mql' then 'mql_criteria'
            when events.stage_code in ('sal', 'sql', 'rejected', 'recycled') then 'handoff_sla'
        end as definition_type,
        case
            when events.stage_code = 'lead' then icp_versions.icp_version
            when events.stage_code = 'mql' then mql_criteria.criteria_version
            when events.stage_code in ('sal', 'sql', 'rejected', 'recycled')
                then handoff_slas.sla_version
        end as definition_version,
        events.event_number,
        events.cycle_number,
        events.is_out_of_order,
        events.skipped_stage_count,
        -- When this build (re)computed the row (macro run_stamp).
        {{ run_stamp() }} as recomputed_at
    from events
    left join icp_versions
        on events.stage_code = 'lead'
        and events.segment_code = icp_versions.segment_code
        and {{ in_force_on('icp_versions', 'cast(events.entered_at as date)') }}
    left join mql_criteria
        on events.stage_code = 'mql'
        and events.segment_code = mql_criteria.segment_code
        and {{ in_force_on('mql_criteria', 'cast(events.entered_at as date)') }}
    left join handoff_slas
        on events.stage_code in ('sal', 'sql', 'rejected', 'recycled')
        and events.segment_code = handoff_slas.segment_code
        and {{ in_force_on('handoff_slas', 'cast(events.entered_at as date)') }}

)

select * from final
