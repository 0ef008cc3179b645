{{ config(post_hook="{{ refresh_planner_statistics(this) }}") }}

-- CRM users with the role the funnel reports use. The CRM has roles by name only: sdr, ae,
-- manager and marketing are read from the role name and department; the integration user
-- that syncs the MAP is 'system'. Deactivation time is not tracked by the CRM: for an
-- inactive user the last modification is taken as the day they left.

with

users as (

    select * from {{ ref('stg_crm__users') }}
    where not is_deleted

),

segments as (

    select * from {{ ref('def_segments') }}

),

users_classified as (

    select
        users.*,
        case
            when lower(users.role_name) like '%integration%' then 'system'
            when lower(users.department) like '%marketing%'
                or lower(users.role_name) like 'marketing%' then 'marketing'
            when lower(users.role_name) like '%manager%'
                or lower(users.role_name) like '%executive%' then 'manager'
            when lower(users.role_name) like 'sdr%'
                or lower(users.title) like '%development rep%' then 'sdr'
            when lower(users.role_name) like 'ae%'
                or lower(users.title) like 'account executive%' then 'ae'
            else 'other'
        end as role
    from users

),

-- Teams are named for the segment they sell to ('SDR - Mid-market').
team_segments as (

    select
        users_classified.user_id,
        min(segments.segment_code) as segment_code
    from users_classified
    inner join segments
        on lower(users_classified.department)
            like {{ dbt.concat(["'% '", 'lower(segments.segment_name)']) }}
    group by users_classified.user_id

),

final as (

    select
        users_classified.user_id,
        users_classified.full_name as user_name,
        users_classified.title,
        users_classified.role,
        users_classified.role_name,
        users_classified.department as team,
        team_segments.segment_code,
        users_classified.is_active,
        case when not users_classified.is_active then users_classified.last_modified_at end
            as deactivated_at,
        users_classified.manager_user_id,
        users_classified.created_at
    from users_classified
    left join team_segments
        on users_classified.user_id = team_segments.user_id

)

select * from final
