-- One row per person: their way through the funnel (int_lifecycle_stages_pivoted) with who
-- they are (dim_people), where they came from (def_lead_sources), whether their stages met the
-- written definitions (MQL and SQL criteria), their rejection and their deal. Merged records
-- keep their history: every lead and contact of the person contributes its events.

with

stages as (

    select * from {{ ref('int_lifecycle_stages_pivoted') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

lead_sources as (

    select * from {{ ref('def_lead_sources') }}

),

mql_events as (

    select * from {{ ref('int_mql_events_evaluated') }}

),

sql_events as (

    select * from {{ ref('int_sql_events_evaluated') }}

),

rejections as (

    select * from {{ ref('fct_rejections') }}

),

person_opportunities as (

    select * from {{ ref('int_person_opportunities_matched') }}
    where person_opportunity_number = 1

),

-- Every MQL of the person must have met the criteria in force at its time; the version
-- named is the one that judged their latest MQL.
mql_judgements as (

    select
        person_id,
        count(*) as mql_event_count,
        sum(case when is_mql_criteria_met = false then 1 else 0 end) as mql_criteria_not_met_count,
        sum(case when is_mql_criteria_met is null then 1 else 0 end) as mql_criteria_unjudged_count
    from mql_events
    group by person_id

),

latest_mqls as (

    select
        person_id,
        mql_criteria_version
    from (
        select
            mql_events.*,
            row_number() over (
                partition by person_id
                order by mql_at desc, mql_event_id desc
            ) as recency_rank
        from mql_events
    ) as ranked_mqls
    where recency_rank = 1

),

latest_rejections as (

    select *
    from (
        select
            rejections.*,
            row_number() over (
                partition by person_id
                order by rejected_at desc, rejection_id desc
            ) as recency_rank
        from rejections
    ) as ranked_rejections
    where recency_rank = 1

),

final as (

    select
        stages.person_id,
        people.account_id,
        people.segment_code,
        people.lead_source,
        lead_sources.source_type,
        lead_sources.sourced_by,
        people.owner_user_id,
        stages.current_stage,
        stages.current_stage_entered_at,
        stages.lead_created_at,
        stages.first_mql_at,
        stages.last_mql_at,
        stages.sal_at,
        stages.sql_at,
        stages.opportunity_at,
        stages.won_at,
        stages.lost_at,
        stages.rejected_at,
        stages.recycled_at,
        stages.days_lead_to_mql,
        stages.days_mql_to_sal,
        stages.days_sal_to_sql,
        stages.days_sql_to_opportunity,
        stages.days_opportunity_to_close,
        case
            when mql_judgements.person_id is null then null
            when mql_judgements.mql_criteria_not_met_count > 0 then false
            when mql_judgements.mql_criteria_unjudged_count > 0 then null
            else true
        end as is_mql_criteria_met,
        coalesce(mql_judgements.mql_criteria_not_met_count, 0) as mql_criteria_not_met_count,
        latest_mqls.mql_criteria_version,
        -- Judged at the person's first SQL; null when they never reached SQL.
        sql_events.is_sql_criteria_met,
        sql_events.sql_criteria_version,
        -- An opportunity as defined: an amount and a close date in the CRM.
        case
            when person_opportunities.opportunity_id is not null
                then person_opportunities.amount is not null
                    and person_opportunities.close_date is not null
        end as is_opportunity_criteria_met,
        stages.out_of_order_event_count = 0 as is_stage_order_valid,
        stages.out_of_order_lead_count,
        stages.skipped_stage_count,
        latest_rejections.rejection_reason_code,
        case when latest_rejections.rejection_id is not null then latest_rejections.is_reason_valid end
            as is_rejection_reason_valid,
        stages.recycled_count,
        stages.mql_cycle_count,
        stages.is_boomerang,
        stages.cycle_count,
        person_opportunities.opportunity_id,
        people.merged_record_count
    from stages
    inner join people
        on stages.person_id = people.person_id
    left join lead_sources
        on people.lead_source = lead_sources.lead_source
    left join mql_judgements
        on stages.person_id = mql_judgements.person_id
    left join latest_mqls
        on stages.person_id = latest_mqls.person_id
    left join sql_events
        on stages.person_id = sql_events.person_id
    left join latest_rejections
        on stages.person_id = latest_rejections.person_id
    left join person_opportunities
        on stages.person_id = person_opportunities.person_id

)

select * from final
