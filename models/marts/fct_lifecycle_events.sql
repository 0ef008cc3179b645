-- The definition that judges a stage entry is named with the version in force for the
-- event's segment on its UTC date: the ICP for the lead stage, the MQL criteria for MQL, the
-- handoff SLA for what sales does with the lead (SAL, SQL, rejected, recycled). Deal stages
-- have no versioned definition.

with

events as (

    select * from {{ ref('int_lifecycle_events_sequenced') }}

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
        events.skipped_stage_count
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
