with

campaigns as (

    select * from {{ ref('stg_crm__campaigns') }}
    where not is_deleted

),

programs as (

    select * from {{ ref('stg_map__programs') }}

),

campaign_members as (

    select * from {{ ref('stg_crm__campaign_members') }}
    where not is_deleted

),

-- A campaign is synced to one MAP program as a rule; when several share it, the earliest
-- created gives channel and UTM tags and all are listed.
campaign_programs as (

    select
        campaign_id,
        count(*) as program_count,
        {{ dbt.listagg('program_id', "', '", 'order by created_at, program_id') }} as program_ids
    from programs
    where campaign_id is not null
    group by campaign_id

),

first_programs as (

    select *
    from (
        select
            programs.*,
            row_number() over (
                partition by campaign_id
                order by created_at, program_id
            ) as program_rank
        from programs
        where campaign_id is not null
    ) as ranked_programs
    where program_rank = 1

),

member_counts as (

    select
        campaign_id,
        count(*) as member_count,
        sum(case when has_responded then 1 else 0 end) as responded_member_count
    from campaign_members
    group by campaign_id

),

final as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type,
        first_programs.channel,
        first_programs.program_id,
        campaign_programs.program_ids,
        coalesce(campaign_programs.program_count, 0) as program_count,
        first_programs.program_name,
        first_programs.program_type,
        first_programs.utm_source,
        first_programs.utm_medium,
        first_programs.utm_campaign,
        campaigns.parent_campaign_id,
        parent_campaigns.campaign_name as parent_campaign_name,
        campaigns.campaign_status,
        campaigns.start_date,
        campaigns.end_date,
        campaigns.budgeted_cost,
        campaigns.actual_cost,
        campaigns.is_active,
        coalesce(member_counts.member_count, 0) as member_count,
        coalesce(member_counts.responded_member_count, 0) as responded_member_count,
        campaigns.created_at
    from campaigns
    left join campaigns as parent_campaigns
        on campaigns.parent_campaign_id = parent_campaigns.campaign_id
    left join first_programs
        on campaigns.campaign_id = first_programs.campaign_id
    left join campaign_programs
        on campaigns.campaign_id = campaign_programs.campaign_id
    left join member_counts
        on campaigns.campaign_id = member_counts.campaign_id

)

select * from final
