-- One row per person: when they first entered each stage (last time for the exits rejected
-- and recycled, first and last for MQL), how many MQLs and recycles they had, the stage they
-- are in now (their latest event), and the days between consecutive stages. A duration is
-- null when either stage was skipped or not reached yet, or when the later stage is dated
-- before the earlier one (time running backwards is counted, not averaged).
--
-- Incremental (3 s of a 1M-lead daily run as a table, on the critical path): a person's row
-- depends on their events alone, so a run recomputes the people with an event
-- int_lifecycle_events_sequenced recomputed since this model's last run (run stamps), and
-- the post-hook deletes the people with no event left. Equal to a full rebuild:
-- tests/test_incremental_marts.py.
{{ config(
    materialized=incremental_materialization(),
    unique_key='person_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ incremental_delete_gone_rows('person_id', ref('int_lifecycle_events_sequenced')) }}",
) }}
{%- set stage_durations = [
    ('days_lead_to_mql', 'lead_created_at', 'first_mql_at'),
    ('days_mql_to_sal', 'first_mql_at', 'sal_at'),
    ('days_sal_to_sql', 'sal_at', 'sql_at'),
    ('days_sql_to_opportunity', 'sql_at', 'opportunity_at'),
    ('days_opportunity_to_close', 'opportunity_at', 'closed_at'),
] %}

with

{% if is_incremental() %}
recomputed_people as (

    {{ people_restamped_since_last_run(ref('int_lifecycle_events_sequenced')) }}

),

{% endif %}
-- The sequenced events are read where they are needed: a CTE over them, read three times, was
-- materialised whole by DuckDB (2.2M rows at 1M leads).
-- The audit's out-of-order test is per lead record: its earliest SAL status change is
-- strictly earlier than its earliest MQL status change.
lead_stage_starts as (

    select
        person_id,
        lead_id,
        min(case when stage_code = 'mql' then entered_at end) as first_mql_at,
        min(case when stage_code = 'sal' then entered_at end) as first_sal_at
    from {{ ref('int_lifecycle_events_sequenced') }} as events
    where event_source = 'crm_status_history'
        {%- if is_incremental() %}
        and person_id in (select recomputed_people.person_id from recomputed_people)
        {%- endif %}
        and lead_id is not null
        and stage_code in ('mql', 'sal')
    group by
        person_id,
        lead_id

),

out_of_order_leads as (

    select
        person_id,
        sum(case when first_sal_at < first_mql_at then 1 else 0 end) as out_of_order_lead_count
    from lead_stage_starts
    group by person_id

),

latest_events as (

    select
        person_id,
        stage_code as current_stage,
        entered_at as current_stage_entered_at,
        cycle_number as current_cycle_number
    from (
        select
            events.*,
            row_number() over (
                partition by person_id
                order by event_number desc
            ) as recency_rank
        from {{ ref('int_lifecycle_events_sequenced') }} as events
        {%- if is_incremental() %}
        where person_id in (select recomputed_people.person_id from recomputed_people)
        {%- endif %}
    ) as ranked_events
    where recency_rank = 1

),

stage_rollups as (

    select
        person_id,
        min(case when stage_code = 'lead' then entered_at end) as lead_created_at,
        min(case when stage_code = 'mql' then entered_at end) as first_mql_at,
        max(case when stage_code = 'mql' then entered_at end) as last_mql_at,
        min(case when stage_code = 'sal' then entered_at end) as sal_at,
        min(case when stage_code = 'sql' then entered_at end) as sql_at,
        min(case when stage_code = 'opportunity' then entered_at end) as opportunity_at,
        min(case when stage_code = 'won' then entered_at end) as won_at,
        min(case when stage_code = 'lost' then entered_at end) as lost_at,
        max(case when stage_code = 'rejected' then entered_at end) as rejected_at,
        max(case when stage_code = 'recycled' then entered_at end) as recycled_at,
        sum(case when stage_code = 'mql' then 1 else 0 end) as mql_cycle_count,
        sum(case when stage_code = 'recycled' then 1 else 0 end) as recycled_count,
        -- A boomerang: qualified again after having been recycled (an MQL in cycle 2 or later).
        max(case when stage_code = 'mql' and cycle_number > 1 then 1 else 0 end) = 1 as is_boomerang,
        max(cycle_number) as cycle_count,
        sum(skipped_stage_count) as skipped_stage_count,
        sum(case when is_out_of_order then 1 else 0 end) as out_of_order_event_count
    from {{ ref('int_lifecycle_events_sequenced') }} as events
    {%- if is_incremental() %}
    where person_id in (select recomputed_people.person_id from recomputed_people)
    {%- endif %}
    group by person_id

),

stages_with_close as (

    select
        stage_rollups.*,
        case
            when stage_rollups.won_at is null then stage_rollups.lost_at
            when stage_rollups.lost_at is null then stage_rollups.won_at
            when stage_rollups.won_at < stage_rollups.lost_at then stage_rollups.won_at
            else stage_rollups.lost_at
        end as closed_at
    from stage_rollups

),

final as (

    select
        stages_with_close.person_id,
        latest_events.current_stage,
        latest_events.current_stage_entered_at,
        latest_events.current_cycle_number,
        stages_with_close.lead_created_at,
        stages_with_close.first_mql_at,
        stages_with_close.last_mql_at,
        stages_with_close.sal_at,
        stages_with_close.sql_at,
        stages_with_close.opportunity_at,
        stages_with_close.won_at,
        stages_with_close.lost_at,
        stages_with_close.closed_at,
        stages_with_close.rejected_at,
        stages_with_close.recycled_at,
        {%- for column_name, from_column, to_column in stage_durations %}
        cast(
            case
                when stages_with_close.{{ to_column }} >= stages_with_close.{{ from_column }}
                    then {{ elapsed('stages_with_close.' ~ from_column, 'stages_with_close.' ~ to_column, 'day') }}
            end
            as {{ dbt.type_numeric() }}
        ) as {{ column_name }},
        {%- endfor %}
        stages_with_close.mql_cycle_count,
        stages_with_close.recycled_count,
        stages_with_close.is_boomerang,
        stages_with_close.cycle_count,
        stages_with_close.skipped_stage_count,
        stages_with_close.out_of_order_event_count,
        coalesce(out_of_order_leads.out_of_order_lead_count, 0) as out_of_order_lead_count,
        -- When this build (re)computed the row (macro run_stamp).
        {{ run_stamp() }} as recomputed_at
    from stages_with_close
    inner join latest_events
        on stages_with_close.person_id = latest_events.person_id
    left join out_of_order_leads
        on stages_with_close.person_id = out_of_order_leads.person_id

)

select * from final
