{#- Every touch a person or an account made, from the three systems that record one, before
    any identity resolution. Each keeps the record id it was filed under (lead or contact).

      map_activity     MAP activities whose type counts as a touch (def_activity_types):
                       email opens do not (mail privacy proxies inflate them); the MAP's
                       `sales_touch` rows do not either, being the MAP's synced copy of the
                       CRM tasks below (723 of 739 matched a task on the same day in the demo
                       data).
      campaign_member  CRM campaign memberships with a response (has_responded), dated by
                       first_responded_date, kept only when the MAP recorded no counted
                       activity of the same record in the campaign's program that day: the
                       MAP writes most responses itself (3,822 of 3,913 in the demo data),
                       and one response must not be two touches.
      crm_task         CRM tasks of the types in var sales_touch_task_types (calls, emails):
                       the sales touches, flagged and kept apart from marketing credit.

    touchpoint_id is the source's id behind a source prefix, so ids never collide across
    sources and sort the same on every engine (ties on timestamp are broken by it).

    Incremental (one of the largest tables: 55 s of a 1M-lead build): a run recomputes only
    the touches whose inputs changed since the last run, found from the load stamps it keeps
    (source_loaded_at, program_loaded_at) and the rows it holds (macro
    touchpoints_changed_since_last_run, staged and deleted by the pre-hooks of
    incremental_changed_keys). The staged touches it no longer holds go to its gone-keys log
    (macros/gone_keys_log.sql), where fct_touchpoints finds them. Full refresh gives the same
    rows (tests/test_incremental_marts.py). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='touchpoint_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ incremental_stage_changed_keys(touchpoints_changed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('touchpoint_id') }}",
    ],
    post_hook=[
        "{{ gone_keys_logged(
            'touchpoint_id',
            'select touchpoint_id from ' ~ changed_keys_relation(),
            restart=not relation_exists_now(changed_keys_relation()),
        ) }}",
        "{{ incremental_drop_changed_keys() }}",
    ],
) }}

with

activities as (

    select * from {{ ref('stg_map__activities') }}

),

activity_types as (

    select * from {{ ref('def_activity_types') }}

),

programs as (

    select * from {{ ref('stg_map__programs') }}

),

{% if is_incremental() %}
changed as (

    select * from {{ changed_keys_relation() }}

),
{% endif %}

campaign_members as (

    select * from {{ ref('stg_crm__campaign_members') }}
    where not is_deleted
        and has_responded
        and first_responded_date is not null
        {%- if is_incremental() %}
        and campaign_member_id in (
            select source_record_id from changed where touch_source = 'campaign_member'
        )
        {%- endif %}

),

tasks as (

    select * from {{ ref('stg_crm__tasks') }}
    where not is_deleted
        {%- if is_incremental() %}
        and task_id in (select source_record_id from changed where touch_source = 'crm_task')
        {%- endif %}

),

counted_activities as (

    select activities.*
    from activities
    inner join activity_types
        on activities.activity_type = activity_types.activity_type
    where activity_types.counts_as_touch

),

-- The activities whose touch this run writes; every counted activity still decides below
-- whether a campaign response was recorded by the MAP.
activities_in_scope as (

    select * from counted_activities
    {%- if is_incremental() %}
    where activity_id in (select source_record_id from changed where touch_source = 'map_activity')
    {%- endif %}

),

activity_touches as (

    select
        {{ dbt.concat(["'map-'", 'activities_in_scope.activity_id']) }} as touchpoint_id,
        'map_activity' as touch_source,
        activities_in_scope.activity_id as source_record_id,
        activities_in_scope.lead_id,
        activities_in_scope.contact_id,
        activities_in_scope.account_id as source_account_id,
        activities_in_scope.activity_type,
        activities_in_scope.activity_at as touched_at,
        activities_in_scope.program_id,
        programs.campaign_id,
        -- The link's own tags first; a touch without tags (a form on our site) takes its program's.
        coalesce(activities_in_scope.utm_source, programs.utm_source) as utm_source,
        coalesce(activities_in_scope.utm_medium, programs.utm_medium) as utm_medium,
        coalesce(activities_in_scope.utm_campaign, programs.utm_campaign) as utm_campaign,
        false as is_sales_touch,
        cast(null as {{ dbt.type_string() }}) as task_type,
        activities_in_scope.loaded_at as source_loaded_at,
        programs.loaded_at as program_loaded_at
    from activities_in_scope
    left join programs
        on activities_in_scope.program_id = programs.program_id

),

-- A membership recorded by the MAP as well: same record, same program, same day. The record
-- is matched as a lead or as a contact in two equi-joins (union dedups): one join on
-- `lead_id = ... or contact_id = ...` took DuckDB 20 s at 100,000 leads, the two 1.8 s, and
-- every data test on this view paid it again.
members_recorded_by_map as (
    {%- for person_column in ['lead_id', 'contact_id'] %}

    select
        campaign_members.campaign_member_id
    from campaign_members
    inner join programs
        on campaign_members.campaign_id = programs.campaign_id
    inner join counted_activities
        on programs.program_id = counted_activities.program_id
        and cast(counted_activities.activity_at as date) = campaign_members.first_responded_date
        and campaign_members.{{ person_column }} = counted_activities.{{ person_column }}
    {%- if not loop.last %}

    union
    {%- endif %}
    {%- endfor %}

),

member_touches as (

    select
        {{ dbt.concat(["'cmp-'", 'campaign_members.campaign_member_id']) }} as touchpoint_id,
        'campaign_member' as touch_source,
        campaign_members.campaign_member_id as source_record_id,
        campaign_members.lead_id,
        campaign_members.contact_id,
        cast(null as {{ dbt.type_string() }}) as source_account_id,
        'campaign_response' as activity_type,
        cast(campaign_members.first_responded_date as {{ dbt.type_timestamp() }}) as touched_at,
        programs.program_id,
        campaign_members.campaign_id,
        programs.utm_source,
        programs.utm_medium,
        programs.utm_campaign,
        false as is_sales_touch,
        cast(null as {{ dbt.type_string() }}) as task_type,
        campaign_members.loaded_at as source_loaded_at,
        programs.loaded_at as program_loaded_at
    from campaign_members
    left join programs
        on campaign_members.campaign_id = programs.campaign_id
    left join members_recorded_by_map
        on campaign_members.campaign_member_id = members_recorded_by_map.campaign_member_id
    where members_recorded_by_map.campaign_member_id is null

),

task_touches as (

    select
        {{ dbt.concat(["'task-'", 'tasks.task_id']) }} as touchpoint_id,
        'crm_task' as touch_source,
        tasks.task_id as source_record_id,
        -- WhoId holds a lead (00Q) or a contact (003): the key prefix says which.
        case when substr(tasks.lead_or_contact_id, 1, 3) = '00Q' then tasks.lead_or_contact_id end as lead_id,
        case when substr(tasks.lead_or_contact_id, 1, 3) = '003' then tasks.lead_or_contact_id end as contact_id,
        cast(null as {{ dbt.type_string() }}) as source_account_id,
        'sales_touch' as activity_type,
        coalesce(tasks.completed_at, tasks.created_at) as touched_at,
        cast(null as {{ dbt.type_string() }}) as program_id,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        true as is_sales_touch,
        tasks.task_type,
        tasks.loaded_at as source_loaded_at,
        cast(null as {{ dbt.type_timestamp() }}) as program_loaded_at
    from tasks
    where tasks.task_type in ({{ sales_touch_task_types() }})

),

touches as (

    select * from activity_touches
    union all
    select * from member_touches
    union all
    select * from task_touches

),

final as (

    select
        touches.*,
        -- When this row was last (re)computed: fct_touchpoints reads the rows stamped after
        -- its own last run instead of comparing every touch.
        {{ run_stamp() }} as recomputed_at
    from touches

)

select * from final
