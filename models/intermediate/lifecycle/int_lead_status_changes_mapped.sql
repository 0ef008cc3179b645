-- Every change of a live lead's status, placed on the lifecycle through def_lead_statuses.
-- Deleted history rows and the history of deleted leads are left out, as in the audit's
-- definition of an MQL event. A status missing from the seed keeps a null stage.

with

lead_history as (

    select * from {{ ref('stg_crm__lead_history') }}
    where not is_deleted
        and field_name = 'Status'

),

lead_records as (

    select * from {{ ref('int_person_records_resolved') }}
    where record_type = 'lead'

),

lead_statuses as (

    select * from {{ ref('def_lead_statuses') }}

),

lifecycle_stages as (

    select * from {{ ref('def_lifecycle_stages') }}

),

final as (

    select
        lead_history.lead_history_id,
        lead_history.lead_id,
        lead_records.person_id,
        lead_records.segment_code,
        lead_history.old_value as previous_lead_status,
        lead_history.new_value as lead_status,
        lead_statuses.stage_code,
        lifecycle_stages.stage_order,
        lead_history.changed_at,
        lead_history.changed_by_user_id
    from lead_history
    inner join lead_records
        on lead_history.lead_id = lead_records.lead_id
    left join lead_statuses
        on lead_history.new_value = lead_statuses.lead_status
    left join lifecycle_stages
        on lead_statuses.stage_code = lifecycle_stages.stage_code

)

select * from final
