{#-
    The touches and people fct_touchpoints recomputes on an incremental run, staged by its
    pre-hook (incremental_stage_changed_keys) as rows of (touchpoint_id, person_id): a changed
    touch has a touchpoint_id, an affected person a person_id. The model then recomputes the
    changed touches and every touch of the affected people.
    Staged as a table rather than read as CTEs in the model: the planner estimated the
    affected people at 12M rows (a union of unions) and hashed the 6.4M stored touches to
    probe them with ~10,000 people; from a table it knows the row count.
    A touch changed when int_touchpoints_unioned recomputed it since this model's last run
    (or it is new), when it is gone from there (its gone-keys log), or when its person's
    identity resolution changed; a person is affected when a changed touch was or is theirs,
    when the definitions give one of their touches another channel or eligibility, or when
    their lifecycle milestones would now flag other touches (or they have none: gone),
    checked for the people whose moments differ from the copy the last run kept.
    Renders to nothing on a full build, and to no rows on a table that predates the run stamps
    (the model recomputes every touch then).
-#}
{% macro touch_people_changed_since_last_run() -%}
{#- Hook arguments render at parse time too, and on full builds: nothing to select then. -#}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- if 'recomputed_at' not in stored_columns -%}
    {#- The model recomputes every touch; the staged table stays empty. -#}
    {{ return(
        'select cast(null as ' ~ dbt.type_string() ~ ') as touchpoint_id, cast(null as '
        ~ dbt.type_string() ~ ') as person_id where 1 = 0'
    ) }}
{%- endif -%}
with

person_records as (

    {{ touch_person_records_select() }}

),

lifecycles as (

    {{ touch_lifecycles_select() }}

),

-- The people identity resolution changed since this model's last run: those with a record
-- int_person_records_resolved recomputed (a record that moved, merged or was deleted
-- recomputes every record of its old and its new person) or a row dim_people recomputed (an
-- account moved). The people this table holds that dim_people no longer does are found with
-- the milestones below (they have no lifecycle either). Staged by the pre-hook before this
-- one (people_recomputed_staged).
changed_people as (

    select person_id from {{ people_recomputed_relation() }}

),

-- The touches that changed: stamped by int_touchpoints_unioned since this model's last run
-- (new ones too), gone from it, or made by a changed person (through the records the person
-- has now, or as stored). Each check reads one or two narrow columns of the 6.4M touches (at
-- 1M leads) against a small set: comparing every touch with its stored row and resolving
-- every touch's person again took 5 s of a daily run.
touch_changes as (

    select current_touches.touchpoint_id
    from {{ ref('int_touchpoints_unioned') }} as current_touches
    where current_touches.recomputed_at > {{ last_run_stamp_before_this_run() }}
        {%- if backfill_window() %}
        -- revops backfill: every touch on its days, and so every person with one.
        or {{ in_backfill_window('current_touches.touched_at') }}
        {%- endif %}

    union

    {{ keys_gone_since_last_run(ref('int_touchpoints_unioned'), 'touchpoint_id') }}

    union

    {{ touches_of_people('changed_people') }}

),

-- Where those touches were and are: their stored person and their person now.
touch_change_people as (

    select stored_touches.person_id
    from {{ this }} as stored_touches
    where stored_touches.touchpoint_id in (select touch_changes.touchpoint_id from touch_changes)

    union

    select {{ touch_person_id() }} as person_id
    from {{ ref('int_touchpoints_unioned') }} as current_touches
    {{ touch_person_records_joined('current_touches') }}
    where current_touches.touchpoint_id in (select touch_changes.touchpoint_id from touch_changes)

),

-- Each combination of tags the stored touches carry, with the channel and eligibility it
-- was given and the ones the definitions give it now.
stored_tag_combinations as (

    select distinct
        is_sales_touch,
        utm_source,
        utm_medium,
        channel as stored_channel,
        channel_group as stored_channel_group,
        is_attribution_eligible as stored_is_attribution_eligible
    from {{ this }}

),

tag_combinations_assigned as (

    {{ touch_channel_assigned('stored_tag_combinations') }}

),

reassigned_tag_combinations as (

    select
        is_sales_touch,
        utm_source,
        utm_medium
    from tag_combinations_assigned
    where channel <> stored_channel
        or channel_group <> stored_channel_group
        or is_attribution_eligible <> stored_is_attribution_eligible

),

reassigned_touches as (

    select
        stored_touches.touchpoint_id,
        stored_touches.person_id
    from {{ this }} as stored_touches
    inner join reassigned_tag_combinations
        on stored_touches.is_sales_touch = reassigned_tag_combinations.is_sales_touch
        and coalesce(stored_touches.utm_source, '') = coalesce(reassigned_tag_combinations.utm_source, '')
        and coalesce(stored_touches.utm_medium, '') = coalesce(reassigned_tag_combinations.utm_medium, '')

),

{%- set lifecycles_read = input_copy_relation('lifecycles') %}
{%- set compare_with_copy = relation_exists_now(lifecycles_read) %}

{% if compare_with_copy -%}
-- The people whose lifecycle moments differ from the copy the last run kept of what it read
-- (touch_lifecycles_saved), who appeared or who are gone: only their milestones can flag
-- other touches now.
lifecycles_moved as (

    select coalesce(lifecycles.person_id, lifecycles_read.person_id) as person_id
    from lifecycles
    full outer join {{ lifecycles_read }} as lifecycles_read
        on lifecycles.person_id = lifecycles_read.person_id
    where lifecycles.person_id is null
        or lifecycles_read.person_id is null
        {%- for moment in ['lead_created_at', 'first_mql_at', 'opportunity_at', 'won_at'] %}
        or lifecycles.{{ moment }} is distinct from lifecycles_read.{{ moment }}
        {%- endfor %}

),

{% endif -%}
-- A person whose touches did not change but whose lifecycle milestones moved: the touch each
-- milestone would flag now, from the stored numbers, differs from the touch flagged. Also a
-- person with no lifecycle (every person of dim_people has one): one who is gone. Only the
-- people whose moments moved are compared when the copy is there (grouping every stored
-- touch, 6.4M at 1M leads, took ~1.2 s of a daily run); all of them on the first run after
-- an upgrade.
milestone_changes as (

    select stored_touches.person_id
    from {{ this }} as stored_touches
    left join lifecycles
        on stored_touches.person_id = lifecycles.person_id
    where stored_touches.person_id is not null
        {%- if compare_with_copy %}
        and stored_touches.person_id in (select lifecycles_moved.person_id from lifecycles_moved)
        {%- endif %}
    group by stored_touches.person_id
    having max(lifecycles.person_id) is null
        {%- for milestone, moment in [
            ('lead_creation', 'lead_created_at'), ('mql', 'first_mql_at'),
            ('opportunity_creation', 'opportunity_at'), ('closed_won', 'won_at'),
        ] %}
        or max(
            case when stored_touches.touched_at <= lifecycles.{{ moment }} then stored_touches.person_touch_number end
        ) is distinct from max(
            case when stored_touches.is_{{ milestone }}_touch then stored_touches.person_touch_number end
        )
        {%- endfor %}

),

affected_people as (

    select person_id from touch_change_people
    union
    select person_id from reassigned_touches
    union
    select person_id from milestone_changes

)

select touchpoint_id, cast(null as {{ dbt.type_string() }}) as person_id from touch_changes
union all
select touchpoint_id, cast(null as {{ dbt.type_string() }}) as person_id from reassigned_touches
union all
select cast(null as {{ dbt.type_string() }}) as touchpoint_id, person_id from affected_people
{%- endmacro %}

{#- The records fct_touchpoints resolves touches to people by (narrow: the model reads them
    more than once, and a CTE read more than once is materialised whole). -#}
{% macro touch_person_records_select() -%}
    select
        record_type,
        lead_id,
        contact_id,
        person_id
    from {{ ref('int_person_records_resolved') }}
{%- endmacro %}

{#- A touch's person: its lead's, else its contact's. The joins to the CTE person_records
    (touch_person_records_select) of the touches aliased `touches`, and the person's id. -#}
{% macro touch_person_records_joined(touches) -%}
    left join person_records as lead_records
        on {{ touches }}.lead_id = lead_records.lead_id
        and lead_records.record_type = 'lead'
    left join person_records as contact_records
        on {{ touches }}.contact_id = contact_records.contact_id
        and contact_records.record_type = 'contact'
{%- endmacro %}

{% macro touch_person_id() -%}
    coalesce(lead_records.person_id, contact_records.person_id)
{%- endmacro %}

{#- The lifecycle moments fct_touchpoints flags milestones by, one row per person. -#}
{% macro touch_lifecycles_select() -%}
    select
        person_id,
        lead_created_at,
        first_mql_at,
        opportunity_at,
        won_at
    from {{ ref('fct_lead_lifecycle') }}
{%- endmacro %}

{#- Post-hook of fct_touchpoints: keeps the moments this build read (<model>__lifecycles_read,
    macro input_copy_saved), so the next run finds the people whose milestones moved by
    comparing 1.2M rows instead of grouping every stored touch. -#}
{% macro touch_lifecycles_saved() -%}
    {{ input_copy_saved('lifecycles', touch_lifecycles_select()) }}
{%- endmacro %}
