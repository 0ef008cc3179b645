-- A person's lifecycle events in time order, cut into cycles: each recycle (back to nurture)
-- ends a cycle, so a recycled person who qualifies again is in cycle 2, a repeat and not a
-- loss. Within a cycle the forward stages (lead to opportunity, by stage_order) should only
-- move forward: a stage entered after a later one is out of order (time ran backwards); a
-- stage entered more than one step past the furthest so far skipped the ones between (allowed:
-- a demo request may go straight to SAL). A new cycle starts from the lead stage.
--
-- Incremental (5-6 s of a 1M-lead daily run as a table, on the critical path): a person's
-- numbers and flags depend on all of their events, so a run recomputes every event of the
-- people int_lifecycle_events_unioned recomputed since this model's last run (run stamps,
-- macro people_restamped_since_last_run); events gone from there are deleted by the
-- post-hook. Equal to a full rebuild: tests/test_incremental_marts.py.
{{ config(
    materialized=incremental_materialization(),
    unique_key='lifecycle_event_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ incremental_delete_gone_rows('lifecycle_event_id', ref('int_lifecycle_events_unioned')) }}",
) }}

with

{% if is_incremental() %}
recomputed_people as (

    {{ people_restamped_since_last_run(ref('int_lifecycle_events_unioned')) }}

),

{% endif %}
events as (

    select * from {{ ref('int_lifecycle_events_unioned') }}
    {%- if is_incremental() %}
    where person_id in (select recomputed_people.person_id from recomputed_people)
    {%- endif %}

),

events_ordered as (

    select
        events.*,
        row_number() over (
            partition by person_id
            order by entered_at, stage_order, lifecycle_event_id
        ) as event_number,
        coalesce(
            sum(case when stage_code = 'recycled' then 1 else 0 end) over (
                partition by person_id
                order by entered_at, stage_order, lifecycle_event_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) + 1 as cycle_number
    from events

),

events_with_furthest_stage as (

    select
        events_ordered.*,
        -- The furthest forward stage reached earlier in the same cycle (lead when none).
        coalesce(
            max(case when not is_exit then stage_order end) over (
                partition by person_id, cycle_number
                order by event_number
                rows between unbounded preceding and 1 preceding
            ),
            1
        ) as furthest_stage_order_before
    from events_ordered

),

final as (

    select
        lifecycle_event_id,
        person_id,
        lead_id,
        segment_code,
        stage_code,
        stage_order,
        is_exit,
        entered_at,
        event_source,
        source_record_id,
        event_number,
        cycle_number,
        not is_exit and stage_order < furthest_stage_order_before as is_out_of_order,
        case
            when not is_exit and stage_order > furthest_stage_order_before + 1
                then stage_order - furthest_stage_order_before - 1
            else 0
        end as skipped_stage_count,
        -- When this build (re)computed the row (macro run_stamp).
        {{ run_stamp() }} as recomputed_at
    from events_with_furthest_stage

)

select * from final
