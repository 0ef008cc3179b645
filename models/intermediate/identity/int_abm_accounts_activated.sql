-- When each ABM named account became "active" (var abm_activation): at least
-- min_engaged_people different people made min_touches or more counted touches within
-- window_days. Every counted touch closes a trailing window; the account is activated at
-- the first touch whose window meets both thresholds.
{%- set activation = var('abm_activation') %}

with

abm_accounts as (

    select * from {{ ref('int_accounts_segmented') }}
    where is_abm_target

),

activities as (

    select * from {{ ref('stg_map__activities') }}

),

activity_types as (

    select * from {{ ref('def_activity_types') }}

),

person_records as (

    select * from {{ ref('int_person_records_resolved') }}

),

-- A touch belongs to the person (and through them the account) of the CRM record the MAP
-- synced it to; the MAP's own person id stands in when the record is unknown.
touches as (

    select
        activities.activity_id,
        activities.activity_at,
        coalesce(lead_records.person_id, contact_records.person_id, activities.map_person_id)
            as person_key,
        coalesce(contact_records.account_id, lead_records.account_id, activities.account_id)
            as account_id
    from activities
    inner join activity_types
        on activities.activity_type = activity_types.activity_type
    left join person_records as lead_records
        on activities.lead_id = lead_records.lead_id
    left join person_records as contact_records
        on activities.contact_id = contact_records.contact_id
    where activity_types.counts_as_touch

),

abm_touches as (

    select touches.*
    from touches
    inner join abm_accounts
        on touches.account_id = abm_accounts.account_id

),

trailing_windows as (

    select
        closing_touches.account_id,
        closing_touches.activity_id,
        closing_touches.activity_at as window_closed_at,
        count(*) as touches_in_window,
        count(distinct window_touches.person_key) as people_in_window
    from abm_touches as closing_touches
    inner join abm_touches as window_touches
        on closing_touches.account_id = window_touches.account_id
        and window_touches.activity_at <= closing_touches.activity_at
        and window_touches.activity_at > {{ dbt.dateadd('day', -activation.window_days, 'closing_touches.activity_at') }}
    group by
        closing_touches.account_id,
        closing_touches.activity_id,
        closing_touches.activity_at

),

final as (

    select
        account_id,
        min(window_closed_at) as abm_activated_at,
        max(window_closed_at) as last_abm_activation_at,
        count(*) as activating_touch_count
    from trailing_windows
    where touches_in_window >= {{ activation.min_touches }}
        and people_in_window >= {{ activation.min_engaged_people }}
    group by account_id

)

select * from final
