-- Who owned each live lead when, from its Owner history: a period runs from one change to
-- the next ([valid_from, valid_to), valid_to null for the current owner). Before the first
-- recorded change the lead had that change's old value; a lead without Owner history has had
-- its current owner since it was created. A null owner_user_id is a period without owner.

with

owner_changes as (

    select * from {{ ref('stg_crm__lead_history') }}
    where not is_deleted
        and field_name = 'Owner'

),

lead_records as (

    select * from {{ ref('int_person_records_resolved') }}
    where record_type = 'lead'

),

owner_changes_sequenced as (

    select
        owner_changes.lead_id,
        owner_changes.lead_history_id,
        owner_changes.old_value,
        owner_changes.new_value,
        owner_changes.changed_at,
        row_number() over (
            partition by owner_changes.lead_id
            order by owner_changes.changed_at, owner_changes.lead_history_id
        ) as change_number,
        lead(owner_changes.changed_at) over (
            partition by owner_changes.lead_id
            order by owner_changes.changed_at, owner_changes.lead_history_id
        ) as next_changed_at
    from owner_changes
    inner join lead_records
        on owner_changes.lead_id = lead_records.lead_id

),

periods_before_first_change as (

    select
        lead_records.lead_id,
        case
            when owner_changes_sequenced.lead_id is not null then owner_changes_sequenced.old_value
            else lead_records.owner_user_id
        end as owner_user_id,
        lead_records.created_at as valid_from,
        owner_changes_sequenced.changed_at as valid_to,
        'before_first_change' as period_source
    from lead_records
    left join owner_changes_sequenced
        on lead_records.lead_id = owner_changes_sequenced.lead_id
        and owner_changes_sequenced.change_number = 1

),

periods_after_changes as (

    select
        lead_id,
        new_value as owner_user_id,
        changed_at as valid_from,
        next_changed_at as valid_to,
        'owner_history' as period_source
    from owner_changes_sequenced

),

final as (

    select * from periods_before_first_change
    union all
    select * from periods_after_changes

)

select * from final
