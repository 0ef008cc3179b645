{#- Which marketing touches an opportunity can count as influence. A touch is an activity
    whose type counts as a touch and is not a sales activity (def_activity_types), made by one
    of the opportunity's people within var attribution.lookback_days (180: the agreed
    attribution window) before the opportunity was created, the creation moment included.

    The opportunity's people come from identity resolution (int_person_records_resolved,
    dim_people), so a touch of any lead or contact record of a person counts. Strongest link
    first; a touch found through two links keeps the first:
      1 contact_role    the person of a contact in a live contact role of the opportunity
      2 account_person  a person whose account (dim_people) is the opportunity's account
      3 account         an activity the marketing platform itself files under the account

    Incremental (12-14 s of a 1M-lead daily run as a table): a run recomputes the
    opportunities whose inputs changed since the last run (macro
    marketing_touches_changed_since_last_run; the pre-hooks of incremental_changed_keys stage
    them and delete their rows): changed windows and contact roles (copies of what the last
    run read), activities loaded since, and the activities and rows of people identity
    resolution changed. A change of def_activity_types recomputes every opportunity; a change
    of var attribution.lookback_days needs `--full-refresh`. Equal to a full rebuild:
    tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='opportunity_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ people_recomputed_staged() }}",
        "{{ marketing_touch_activities_staged() }}",
        "{{ incremental_stage_changed_keys(marketing_touches_changed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('opportunity_id') }}",
    ],
    post_hook=[
        "{{ incremental_drop_changed_keys() }}",
        "{{ people_recomputed_dropped() }}",
        "{{ marketing_touch_activities_dropped() }}",
        "{{ marketing_touch_input_saved('windows') }}",
        "{{ marketing_touch_input_saved('roles') }}",
        "{{ marketing_touch_input_saved('types') }}",
    ],
) }}
{%- set lookback_days = var('attribution')['lookback_days'] -%}
{#- What each link to an opportunity carries of the touch it found. -#}
{%- set touch_columns = ['activity_id', 'lead_id', 'contact_id', 'program_id', 'activity_type', 'activity_at'] -%}

with

opportunities as (

    select * from {{ ref('int_opportunity_accounts_resolved') }}
    where not is_deleted
    {%- if is_incremental() %}
        and opportunity_id in (select changed.opportunity_id from {{ changed_keys_relation() }} as changed)
    {%- endif %}

),

contact_roles as (

    select * from {{ ref('stg_crm__opportunity_contact_roles') }}
    where not is_deleted

),

person_records as (

    select * from {{ ref('int_person_records_resolved') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

activities as (

    select * from {{ ref('stg_map__activities') }}

),

activity_types as (

    select * from {{ ref('def_activity_types') }}

),

opportunity_windows as (

    select
        opportunity_id,
        account_id,
        created_at as opportunity_created_at,
        {{ dbt.dateadd('day', -1 * lookback_days, 'created_at') }} as lookback_starts_at
    from opportunities

),

opportunity_people as (

    select
        opportunity_windows.opportunity_id,
        opportunity_windows.opportunity_created_at,
        opportunity_windows.lookback_starts_at,
        person_records.person_id,
        'contact_role' as linked_by,
        1 as link_priority
    from contact_roles
    inner join opportunity_windows
        on contact_roles.opportunity_id = opportunity_windows.opportunity_id
    inner join person_records
        on contact_roles.contact_id = person_records.contact_id
        and person_records.record_type = 'contact'

    union all

    select
        opportunity_windows.opportunity_id,
        opportunity_windows.opportunity_created_at,
        opportunity_windows.lookback_starts_at,
        people.person_id,
        'account_person' as linked_by,
        2 as link_priority
    from opportunity_windows
    inner join people
        on opportunity_windows.account_id = people.account_id

),

-- Every lead and contact record of those people: a touch of any of them is the person's.
opportunity_records as (

    select
        opportunity_people.opportunity_id,
        opportunity_people.opportunity_created_at,
        opportunity_people.lookback_starts_at,
        person_records.lead_id,
        person_records.contact_id,
        opportunity_people.person_id,
        opportunity_people.linked_by,
        opportunity_people.link_priority
    from opportunity_people
    inner join person_records
        on opportunity_people.person_id = person_records.person_id

),

marketing_touches as (

    select
        activities.activity_id,
        activities.lead_id,
        activities.contact_id,
        activities.account_id,
        activities.program_id,
        activities.activity_type,
        activities.activity_at
    from activities
    inner join activity_types
        on activities.activity_type = activity_types.activity_type
    where activity_types.counts_as_touch
        and activity_types.activity_category <> 'sales'
    {%- if is_incremental() %}
        -- Only the touches the recomputed opportunities can reach: the three links below
        -- read this CTE, which DuckDB then materialises; whole, it held the 8M marketing
        -- touches of 1M leads (the model's select 1.1 -> 0.7 s).
        and (
            activities.lead_id in (select opportunity_records.lead_id from opportunity_records)
            or activities.contact_id in (select opportunity_records.contact_id from opportunity_records)
            or activities.account_id in (select opportunity_windows.account_id from opportunity_windows)
        )
    {%- endif %}

),

-- Each link carries its opportunity's window, so a touch outside it is dropped by the join
-- that finds it. Filtered after a union of every link (12M rows at 1M leads, 3.3M in their
-- window) and a second join to the windows, the model took 6.1-7.8 s on its own, against
-- 5.6-6.5 s (three runs each, one 1M warehouse). Joining
-- marketing_touches a second time by activity_id (earlier still) let PostgreSQL, with no
-- statistics for the CTEs, join every opportunity window to every touch first: a nested
-- loop of ~20 s at 10,000 leads (docs/engines.md).
{#- One CTE per id a touch can carry a person's record by: touches_by_lead, touches_by_contact. #}
{%- for record in ['lead', 'contact'] %}
touches_by_{{ record }} as (

    select
        opportunity_records.opportunity_id,
        opportunity_records.opportunity_created_at,
        opportunity_records.person_id,
        opportunity_records.linked_by,
        opportunity_records.link_priority,
        {%- for column in touch_columns %}
        marketing_touches.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from opportunity_records
    inner join marketing_touches
        on opportunity_records.{{ record }}_id = marketing_touches.{{ record }}_id
        and marketing_touches.activity_at >= opportunity_records.lookback_starts_at
        and marketing_touches.activity_at <= opportunity_records.opportunity_created_at

),
{% endfor %}
touches_by_account as (

    select
        opportunity_windows.opportunity_id,
        opportunity_windows.opportunity_created_at,
        cast(null as {{ dbt.type_string() }}) as person_id,
        'account' as linked_by,
        3 as link_priority,
        {%- for column in touch_columns %}
        marketing_touches.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from opportunity_windows
    inner join marketing_touches
        on opportunity_windows.account_id = marketing_touches.account_id
        and marketing_touches.activity_at >= opportunity_windows.lookback_starts_at
        and marketing_touches.activity_at <= opportunity_windows.opportunity_created_at

),

linked_touches as (

    select * from touches_by_lead
    union all
    select * from touches_by_contact
    union all
    select * from touches_by_account

),

touches_in_window as (

    select
        opportunity_id,
        activity_id,
        linked_by,
        person_id,
        lead_id,
        contact_id,
        program_id,
        activity_type,
        activity_at,
        opportunity_created_at,
        row_number() over (
            partition by opportunity_id, activity_id
            order by link_priority
        ) as link_rank
    from linked_touches

),

final as (

    select
        {{ dbt.concat(['opportunity_id', "'-'", 'activity_id']) }} as opportunity_touch_id,
        opportunity_id,
        activity_id,
        linked_by,
        person_id,
        lead_id,
        contact_id,
        program_id,
        activity_type,
        activity_at,
        cast({{ dbt.datediff('activity_at', 'opportunity_created_at', 'day') }} as {{ dbt.type_int() }})
            as days_before_opportunity,

        ---------- lineage
        {{ run_stamp() }} as recomputed_at
    from touches_in_window
    where link_rank = 1

)

select * from final
