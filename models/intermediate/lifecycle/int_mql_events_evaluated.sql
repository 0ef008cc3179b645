-- Every MQL event (a live lead's status change to a status of stage 'mql') judged by the MQL
-- criteria of the lead's segment in force on the event's UTC date: the score at the event is
-- the score_after of the lead's latest score change at or before it (0 when none), and a
-- qualifying action is an activity whose type is_qualifying_action at or before it.

with

mql_events as (

    select * from {{ ref('int_lead_status_changes_mapped') }}
    where stage_code = 'mql'

),

score_changes as (

    select * from {{ ref('stg_map__score_changes') }}
    where lead_id is not null

),

activities as (

    select * from {{ ref('stg_map__activities') }}
    where lead_id is not null

),

activity_types as (

    select * from {{ ref('def_activity_types') }}

),

mql_criteria as (

    select * from {{ ref('def_mql_criteria') }}

),

scores_before_mql as (

    select
        mql_events.lead_history_id,
        score_changes.score_after,
        row_number() over (
            partition by mql_events.lead_history_id
            order by score_changes.changed_at desc, score_changes.score_change_id desc
        ) as recency_rank
    from mql_events
    inner join score_changes
        on mql_events.lead_id = score_changes.lead_id
        and score_changes.changed_at <= mql_events.changed_at

),

first_qualifying_actions as (

    select
        activities.lead_id,
        min(activities.activity_at) as first_qualifying_action_at
    from activities
    inner join activity_types
        on activities.activity_type = activity_types.activity_type
    where activity_types.is_qualifying_action
    group by activities.lead_id

),

mql_events_scored as (

    select
        mql_events.lead_history_id as mql_event_id,
        mql_events.lead_id,
        mql_events.person_id,
        mql_events.segment_code,
        mql_events.changed_at as mql_at,
        mql_events.changed_by_user_id,
        coalesce(scores_before_mql.score_after, 0) as score_at_mql,
        first_qualifying_actions.first_qualifying_action_at,
        coalesce(
            first_qualifying_actions.first_qualifying_action_at <= mql_events.changed_at,
            false
        ) as has_qualifying_action
    from mql_events
    left join scores_before_mql
        on mql_events.lead_history_id = scores_before_mql.lead_history_id
        and scores_before_mql.recency_rank = 1
    left join first_qualifying_actions
        on mql_events.lead_id = first_qualifying_actions.lead_id

),

mql_events_judged as (

    select
        mql_events_scored.*,
        mql_criteria.criteria_version as mql_criteria_version,
        mql_criteria.min_score,
        mql_criteria.requires_qualifying_action,
        mql_events_scored.score_at_mql >= mql_criteria.min_score as is_score_met,
        case
            when mql_criteria.criteria_version is null then null
            when mql_criteria.requires_qualifying_action then mql_events_scored.has_qualifying_action
            else true
        end as is_qualifying_action_met
    from mql_events_scored
    left join mql_criteria
        on mql_events_scored.segment_code = mql_criteria.segment_code
        and {{ in_force_on('mql_criteria', 'cast(mql_events_scored.mql_at as date)') }}

),

final as (

    select
        mql_event_id,
        lead_id,
        person_id,
        segment_code,
        mql_at,
        changed_by_user_id,
        -- 1 for the person's first MQL; 2 and up are repeat MQLs (boomerangs, duplicates).
        row_number() over (
            partition by person_id
            order by mql_at, mql_event_id
        ) as mql_cycle_number,
        row_number() over (
            partition by lead_id
            order by mql_at, mql_event_id
        ) as lead_mql_number,
        lead(mql_at) over (
            partition by lead_id
            order by mql_at, mql_event_id
        ) as next_lead_mql_at,
        score_at_mql,
        first_qualifying_action_at,
        has_qualifying_action,
        mql_criteria_version,
        min_score,
        requires_qualifying_action,
        is_score_met,
        is_qualifying_action_met,
        -- Null when no criteria version was in force for the segment on the day.
        case
            when mql_criteria_version is not null then is_score_met and is_qualifying_action_met
        end as is_mql_criteria_met
    from mql_events_judged

)

select * from final
