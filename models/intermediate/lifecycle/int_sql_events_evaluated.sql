-- One row per person who reached SQL, their first SQL (int_lifecycle_stages_pivoted.sql_at)
-- judged by the SQL criteria of the person's segment (dim_people) in force on its UTC date:
-- the title must fit the buyer persona (title_keyword rules) of the ICP version of the
-- segment in force on the same day, and, where the version requires it, the person must be
-- linked to an account.

with

stages as (

    select * from {{ ref('int_lifecycle_stages_pivoted') }}
    where sql_at is not null

),

people as (

    select * from {{ ref('dim_people') }}

),

icp_versions as (

    select * from {{ ref('def_icp_versions') }}

),

icp_rules as (

    select * from {{ ref('def_icp_rules') }}

),

sql_criteria as (

    select * from {{ ref('def_sql_criteria') }}

),

sql_people as (

    select
        stages.person_id,
        people.segment_code,
        people.account_id,
        people.title,
        stages.sql_at,
        icp_versions.icp_version
    from stages
    inner join people
        on stages.person_id = people.person_id
    left join icp_versions
        on people.segment_code = icp_versions.segment_code
        and {{ in_force_on('icp_versions', 'cast(stages.sql_at as date)') }}

),

title_fits as (

    {{ icp_title_keyword_fits('sql_people', 'person_id') }}

),

sql_people_judged as (

    select
        sql_people.person_id,
        sql_people.segment_code,
        sql_people.account_id,
        sql_people.sql_at,
        sql_people.icp_version,
        -- Null when no ICP version with title keywords was in force for the segment.
        case
            when title_fits.person_id is not null then title_fits.has_title_keyword = 1
        end as is_icp_title_fit_at_sql,
        sql_people.account_id is not null as has_account,
        sql_criteria.criteria_version as sql_criteria_version,
        sql_criteria.requires_icp_title_fit,
        sql_criteria.requires_account_link
    from sql_people
    left join title_fits
        on sql_people.person_id = title_fits.person_id
    left join sql_criteria
        on sql_people.segment_code = sql_criteria.segment_code
        and {{ in_force_on('sql_criteria', 'cast(sql_people.sql_at as date)') }}

),

sql_people_met as (

    select
        person_id,
        segment_code,
        account_id,
        sql_at,
        icp_version,
        is_icp_title_fit_at_sql,
        has_account,
        sql_criteria_version,
        requires_icp_title_fit,
        requires_account_link,
        case
            when sql_criteria_version is null then null
            when requires_icp_title_fit then is_icp_title_fit_at_sql
            else true
        end as is_icp_title_fit_met,
        case
            when sql_criteria_version is null then null
            when requires_account_link then has_account
            else true
        end as is_account_link_met
    from sql_people_judged

),

final as (

    select
        sql_people_met.*,
        -- Null when no criteria version was in force for the segment on the day; false when
        -- any required criterion failed, even if another could not be judged.
        case
            when sql_criteria_version is not null
                then is_icp_title_fit_met and is_account_link_met
        end as is_sql_criteria_met
    from sql_people_met

)

select * from final
