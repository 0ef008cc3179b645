{#-
    The opportunities int_marketing_touches_joined_to_opportunities recomputes on an
    incremental run (its pre-hook; see incremental_changed_keys), as opportunity_id. An
    opportunity's marketing touches depend on its window (account, creation), its live contact
    roles, the people linked through them or through its account (their records and account:
    int_person_records_resolved, dim_people), those people's and the account's activities, and
    def_activity_types. So an opportunity is recomputed when
      - its window or its contact roles differ from the ones the last run read (the copies the
        post-hooks marketing_touch_input_saved keep beside the model), or def_activity_types
        does (then every opportunity);
      - an activity loaded since the model's last run (stg_map__activities.loaded_at after the
        newest run stamp the model holds, macro run_stamp: dbt runs after the ingestion it
        reads), or any activity of a person identity resolution changed since (records or
        dim_people row recomputed), reaches it now inside its window: through a contact role
        of the person, the person's account, or the account the MAP filed it under;
      - it holds a row of such an activity, of such a person, or of a person gone from
        dim_people;
      - during `revops backfill`, it was created on, or holds a touch of, the backfill days.
    Without the copies or the stamps (a table built before them) every opportunity is
    recomputed once.
-#}
{% macro marketing_touches_changed_since_last_run() -%}
{#- Hook arguments render at parse time too, and on full builds: nothing to select then. -#}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set lookback_days = var('attribution')['lookback_days'] -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- set copies = marketing_touch_input_copies() -%}
{%- set ns = namespace(can_compare='recomputed_at' in stored_columns and 'person_id' in stored_columns) -%}
{%- for copy in copies.values() -%}
    {%- if load_relation(copy) is none -%}{%- set ns.can_compare = false -%}{%- endif -%}
{%- endfor -%}
{%- if not ns.can_compare -%}
select opportunity_id from {{ ref('int_opportunity_accounts_resolved') }}
union
select opportunity_id from {{ this }}
{%- else -%}
with

opportunity_windows as (

    select
        opportunity_id,
        account_id,
        created_at,
        {{ dbt.dateadd('day', -1 * lookback_days, 'created_at') }} as lookback_starts_at
    from {{ ref('int_opportunity_accounts_resolved') }}
    where not is_deleted

),

live_contact_roles as (

    select opportunity_id, contact_id
    from {{ ref('stg_crm__opportunity_contact_roles') }}
    where not is_deleted

),

-- The people identity resolution changed since the last run, and the activities loaded since
-- or of their lead or contact records: staged by the pre-hooks before this one
-- (people_recomputed_staged, marketing_touch_activities_staged) so the planner knows how few
-- they are.
changed_people as (

    select person_id from {{ people_recomputed_relation() }}

),

changed_activities as (

    select * from {{ marketing_touch_activities_relation() }}

),

-- The people of those activities now (by either id).
activity_people as (

    {%- for record in ['lead', 'contact'] %}
    {{ 'union' if not loop.first }}
    select changed_activities.activity_at, records.person_id
    from changed_activities
    inner join {{ ref('int_person_records_resolved') }} as records
        on changed_activities.{{ record }}_id = records.{{ record }}_id
    {% endfor %}

),

reached_now as (

    select opportunity_windows.opportunity_id
    from activity_people
    inner join {{ ref('int_person_records_resolved') }} as contact_records
        on activity_people.person_id = contact_records.person_id
        and contact_records.record_type = 'contact'
    inner join live_contact_roles
        on contact_records.contact_id = live_contact_roles.contact_id
    inner join opportunity_windows
        on live_contact_roles.opportunity_id = opportunity_windows.opportunity_id
    where activity_people.activity_at >= opportunity_windows.lookback_starts_at
        and activity_people.activity_at <= opportunity_windows.created_at

    union

    select opportunity_windows.opportunity_id
    from activity_people
    inner join {{ ref('dim_people') }} as people
        on activity_people.person_id = people.person_id
    inner join opportunity_windows
        on people.account_id = opportunity_windows.account_id
    where activity_people.activity_at >= opportunity_windows.lookback_starts_at
        and activity_people.activity_at <= opportunity_windows.created_at

    union

    select opportunity_windows.opportunity_id
    from changed_activities
    inner join opportunity_windows
        on changed_activities.account_id = opportunity_windows.account_id
    where changed_activities.activity_at >= opportunity_windows.lookback_starts_at
        and changed_activities.activity_at <= opportunity_windows.created_at

),

linked_before as (

    select opportunity_id from {{ this }}
    where activity_id in (select changed_activities.activity_id from changed_activities)

    union

    select opportunity_id from {{ this }}
    where person_id in (select changed_people.person_id from changed_people)

    union

    select stored.opportunity_id
    from {{ this }} as stored
    left join {{ ref('dim_people') }} as people
        on stored.person_id = people.person_id
    where stored.person_id is not null
        and people.person_id is null

),

changed_windows as (

    select coalesce(current_rows.opportunity_id, read_rows.opportunity_id) as opportunity_id
    from opportunity_windows as current_rows
    full outer join {{ copies['windows'] }} as read_rows
        on current_rows.opportunity_id = read_rows.opportunity_id
    where current_rows.opportunity_id is null
        or read_rows.opportunity_id is null
        or current_rows.account_id is distinct from read_rows.account_id
        or current_rows.created_at is distinct from read_rows.created_at

),

changed_contact_roles as (

    select opportunity_id from (
        {{ rows_on_one_side('live_contact_roles', copies['roles'], ['opportunity_id', 'contact_id']) }}
    ) as role_changes

),

changed_activity_types as (

    select count(*) as changed_type_count from (
        (
            select * from {{ ref('def_activity_types') }}
            except
            select * from {{ copies['types'] }}
        )
        union all
        (
            select * from {{ copies['types'] }}
            except
            select * from {{ ref('def_activity_types') }}
        )
    ) as type_changes

)

select opportunity_id from reached_now
union
select opportunity_id from linked_before
union
select opportunity_id from changed_windows
union
select opportunity_id from changed_contact_roles
union
select opportunity_windows.opportunity_id
from opportunity_windows
cross join changed_activity_types
where changed_activity_types.changed_type_count > 0
{%- if backfill_window() %}
-- revops backfill: every opportunity created, or touched, on its days.
union
select opportunity_id from opportunity_windows
where {{ in_backfill_window('created_at') }}
union
select opportunity_id from {{ this }}
where {{ in_backfill_window('activity_at') }}
{%- endif %}
{%- endif -%}
{%- endmacro %}

{#- The copies of its inputs the model keeps beside itself, as its last run read them (short
    names: PostgreSQL cuts relation names at 63 characters). -#}
{% macro marketing_touch_input_copies() -%}
    {{ return({
        'windows': input_copy_relation('windows'),
        'roles': input_copy_relation('roles'),
        'types': input_copy_relation('types'),
    }) }}
{%- endmacro %}

{#- Post-hook, once per copy ('windows', 'roles': the live contact roles, 'types':
    def_activity_types): input_copy_saved of what this run read. -#}
{% macro marketing_touch_input_saved(copy) -%}
    {%- if copy == 'windows' -%}
    {%- set select_sql -%}
    select opportunity_id, account_id, created_at
    from {{ ref('int_opportunity_accounts_resolved') }}
    where not is_deleted
    {%- endset -%}
    {%- elif copy == 'roles' -%}
    {%- set select_sql -%}
    select opportunity_id, contact_id
    from {{ ref('stg_crm__opportunity_contact_roles') }}
    where not is_deleted
    {%- endset -%}
    {%- else -%}
    {%- set select_sql = 'select * from ' ~ ref('def_activity_types') -%}
    {%- endif -%}
    {{ input_copy_saved(copy, select_sql) }}
{%- endmacro %}

{#- Second pre-hook of int_marketing_touches_joined_to_opportunities: the activities loaded
    since its last run (a literal stamp, so DuckDB skips the row groups written before) or of a
    lead or contact record of a person identity resolution changed since (the first pre-hook's
    people_recomputed_staged; the model links a person's activities by both ids), kept in
    <model>__acts_changed and dropped by the post-hook marketing_touch_activities_dropped.
    Read as a CTE over a union of unions, they were estimated at millions of rows, and DuckDB
    joined the opportunity windows of every account before probing them with a few thousand
    activities (1.5 s of a 1M-lead daily run). -#}
{% macro marketing_touch_activities_relation() -%}
    {{ return(relation_beside_this('acts_changed')) }}
{%- endmacro %}

{% macro marketing_touch_activities_staged() -%}
    {%- if is_incremental_with_run_stamps() -%}
    {{ table_beside_this_created('acts_changed') }}
    with changed_records as (

        select lead_id, contact_id
        from {{ ref('int_person_records_resolved') }}
        where person_id in (select person_id from {{ people_recomputed_relation() }})

    )

    -- One scan with the three conditions: a union of three scans read the 15M activities
    -- three times (1.5 -> 1.0 s at 1M leads; activity_id is unique, so no duplicates).
    select activity_id, lead_id, contact_id, account_id, activity_at
    from {{ ref('stg_map__activities') }}
    where loaded_at > {{ last_run_stamp_before_this_run() }}
        or lead_id in (select changed_records.lead_id from changed_records)
        or contact_id in (select changed_records.contact_id from changed_records)
    {%- endif -%}
{%- endmacro %}

{% macro marketing_touch_activities_dropped() -%}
    {{ return(table_beside_this_dropped('acts_changed')) }}
{%- endmacro %}
