-- Every MQL event measured against the handoff SLA of the lead's segment in force on the
-- event's UTC date: the first sales touch is the lead's earliest live CRM task of a touch
-- type (var sales_touch_task_types) completed at or after the MQL; the MQL is within SLA
-- when that touch came no later than hours_to_first_touch after it. Attempts count the touch
-- tasks from the MQL up to the lead's next MQL.

with

mql_events as (

    select * from {{ ref('int_mql_events_evaluated') }}

),

touch_tasks as (

    select
        task_id,
        lead_or_contact_id as lead_id,
        completed_at
    from {{ ref('stg_crm__tasks') }}
    where not is_deleted
        and completed_at is not null
        and task_type in ({{ sales_touch_task_types() }})

),

handoff_slas as (

    select * from {{ ref('def_handoff_sla') }}

),

mql_events_with_sla as (

    select
        mql_events.*,
        handoff_slas.sla_version,
        handoff_slas.hours_to_first_touch as sla_hours,
        handoff_slas.attempts_before_recycle,
        handoff_slas.required_fields,
        -- The SLA is kept to the second: 24.00 hours is 86,400 seconds after the MQL.
        {{ dbt.dateadd(
            'second',
            'cast(round(handoff_slas.hours_to_first_touch * 3600, 0) as ' ~ dbt.type_int() ~ ')',
            'mql_events.mql_at'
        ) }} as sla_deadline_at
    from mql_events
    left join handoff_slas
        on mql_events.segment_code = handoff_slas.segment_code
        and {{ in_force_on('handoff_slas', 'cast(mql_events.mql_at as date)') }}

),

touches_after_mql as (

    select
        mql_events.mql_event_id,
        min(touch_tasks.completed_at) as first_touch_at,
        sum(
            case
                when mql_events.next_lead_mql_at is null
                    or touch_tasks.completed_at < mql_events.next_lead_mql_at then 1
                else 0
            end
        ) as attempt_count
    from mql_events
    inner join touch_tasks
        on mql_events.lead_id = touch_tasks.lead_id
        and touch_tasks.completed_at >= mql_events.mql_at
    group by mql_events.mql_event_id

),

final as (

    select
        mql_events_with_sla.*,
        touches_after_mql.first_touch_at,
        {{ elapsed('mql_events_with_sla.mql_at', 'touches_after_mql.first_touch_at', 'hour') }}
            as hours_to_first_touch,
        coalesce(touches_after_mql.attempt_count, 0) as attempt_count,
        touches_after_mql.first_touch_at is not null as has_touch,
        -- Null when no SLA version was in force; false when nobody touched the lead.
        case
            when mql_events_with_sla.sla_version is not null
                then coalesce(
                    touches_after_mql.first_touch_at <= mql_events_with_sla.sla_deadline_at,
                    false
                )
        end as is_within_sla
    from mql_events_with_sla
    left join touches_after_mql
        on mql_events_with_sla.mql_event_id = touches_after_mql.mql_event_id

)

select * from final
