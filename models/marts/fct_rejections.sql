{{ config(post_hook="{{ refresh_planner_statistics(this) }}") }}

-- One row per live lead sales rejected and that is still rejected (its status maps to stage
-- 'rejected'): the lead holds one reason field, so only its current rejection has a reason.
-- Earlier rejections of leads that moved on remain in fct_lifecycle_events.
-- The reason is judged against the taxonomy exactly (case-sensitive); staging has trimmed it.
-- The SDR is the lead's owner at the rejection; the campaign is the one of the lead's last
-- marketing touch at or before the MQL that sales rejected (the rejection itself when there
-- was no MQL).

with

lead_records as (

    select * from {{ ref('int_person_records_resolved') }}
    where record_type = 'lead'

),

lead_statuses as (

    select * from {{ ref('def_lead_statuses') }}

),

status_changes as (

    select * from {{ ref('int_lead_status_changes_mapped') }}

),

owner_periods as (

    select * from {{ ref('int_lead_owner_periods_derived') }}

),

mql_events as (

    select * from {{ ref('int_mql_events_evaluated') }}

),

rejection_reasons as (

    select * from {{ ref('def_rejection_reasons') }}

),

activities as (

    select * from {{ ref('stg_map__activities') }}
    where lead_id is not null

),

activity_types as (

    select * from {{ ref('def_activity_types') }}

),

programs as (

    select * from {{ ref('stg_map__programs') }}

),

rejected_leads as (

    select lead_records.*
    from lead_records
    inner join lead_statuses
        on lead_records.lead_status = lead_statuses.lead_status
    where lead_statuses.stage_code = 'rejected'

),

latest_rejections as (

    select
        lead_id,
        lead_history_id,
        changed_at as rejected_at,
        changed_by_user_id
    from (
        select
            status_changes.*,
            row_number() over (
                partition by lead_id
                order by changed_at desc, lead_history_id desc
            ) as recency_rank
        from status_changes
        where stage_code = 'rejected'
    ) as ranked_rejections
    where recency_rank = 1

),

rejections as (

    select
        coalesce(latest_rejections.lead_history_id, rejected_leads.lead_id) as rejection_id,
        rejected_leads.person_id,
        rejected_leads.lead_id,
        rejected_leads.account_id,
        rejected_leads.segment_code,
        rejected_leads.lead_source,
        rejected_leads.rejection_reason,
        rejected_leads.owner_user_id as current_owner_user_id,
        latest_rejections.rejected_at,
        latest_rejections.changed_by_user_id as rejected_by_user_id
    from rejected_leads
    left join latest_rejections
        on rejected_leads.lead_id = latest_rejections.lead_id

),

rejected_mqls as (

    select
        rejection_id,
        mql_event_id,
        mql_at
    from (
        select
            rejections.rejection_id,
            mql_events.mql_event_id,
            mql_events.mql_at,
            row_number() over (
                partition by rejections.rejection_id
                order by mql_events.mql_at desc, mql_events.mql_event_id desc
            ) as recency_rank
        from rejections
        inner join mql_events
            on rejections.lead_id = mql_events.lead_id
            and mql_events.mql_at <= rejections.rejected_at
    ) as ranked_mqls
    where recency_rank = 1

),

owners_at_rejection as (

    select
        rejection_id,
        owner_user_id
    from (
        select
            rejections.rejection_id,
            owner_periods.owner_user_id,
            row_number() over (
                partition by rejections.rejection_id
                order by owner_periods.valid_from desc
            ) as period_rank
        from rejections
        inner join owner_periods
            on rejections.lead_id = owner_periods.lead_id
            and owner_periods.valid_from <= rejections.rejected_at
            and (
                owner_periods.valid_to is null
                or rejections.rejected_at < owner_periods.valid_to
            )
    ) as ranked_periods
    where period_rank = 1

),

-- Marketing touches only: sales touches synced to the MAP credit no campaign.
marketing_touches as (

    select
        activities.lead_id,
        activities.activity_at,
        activities.activity_id,
        activities.program_id
    from activities
    inner join activity_types
        on activities.activity_type = activity_types.activity_type
    where activity_types.counts_as_touch
        and activity_types.activity_category != 'sales'

),

rejection_touches as (

    select
        rejection_id,
        program_id
    from (
        select
            rejections.rejection_id,
            marketing_touches.program_id,
            row_number() over (
                partition by rejections.rejection_id
                order by marketing_touches.activity_at desc, marketing_touches.activity_id desc
            ) as recency_rank
        from rejections
        left join rejected_mqls
            on rejections.rejection_id = rejected_mqls.rejection_id
        inner join marketing_touches
            on rejections.lead_id = marketing_touches.lead_id
            and marketing_touches.activity_at
                <= coalesce(rejected_mqls.mql_at, rejections.rejected_at)
    ) as ranked_touches
    where recency_rank = 1

),

-- The program is looked up for the one chosen touch: joining the activity and program views
-- directly made PostgreSQL loop over one of them per row.
rejection_campaigns as (

    select
        rejection_touches.rejection_id,
        programs.campaign_id
    from rejection_touches
    inner join programs
        on rejection_touches.program_id = programs.program_id

),

final as (

    select
        rejections.rejection_id,
        rejections.person_id,
        rejections.lead_id,
        rejections.account_id,
        rejections.rejected_at,
        rejected_mqls.mql_event_id as handoff_id,
        rejected_mqls.mql_at,
        rejections.rejection_reason,
        rejection_reasons.reason_code as rejection_reason_code,
        rejection_reasons.reason_name as rejection_reason_name,
        rejection_reasons.reason_code is not null as is_reason_valid,
        rejections.rejection_reason is null as is_reason_missing,
        coalesce(owners_at_rejection.owner_user_id, rejections.current_owner_user_id)
            as sdr_user_id,
        rejections.rejected_by_user_id,
        rejections.segment_code,
        rejections.lead_source,
        rejection_campaigns.campaign_id
    from rejections
    left join rejection_reasons
        on rejections.rejection_reason = rejection_reasons.reason_code
    left join rejected_mqls
        on rejections.rejection_id = rejected_mqls.rejection_id
    left join owners_at_rejection
        on rejections.rejection_id = owners_at_rejection.rejection_id
    left join rejection_campaigns
        on rejections.rejection_id = rejection_campaigns.rejection_id

)

select * from final
