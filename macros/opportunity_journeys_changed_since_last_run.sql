{#-
    The opportunities int_touchpoints_joined_to_opportunities recomputes on an incremental run
    (its pre-hook; see incremental_changed_keys), as opportunity_id. An opportunity's journey
    depends on the eligible touches of its people and its account (fct_touchpoints), its own
    window (fct_opportunities: account, creation, close) and its contacts
    (int_opportunity_contacts_resolved: people, primary contact, lead creation). So an
    opportunity is recomputed when
      - a touch fct_touchpoints recomputed since this model's last run (recomputed_at after
        the newest this model holds, macro run_stamp) reaches it now, through a contact of
        the touch's person or through the touch's account, inside its attribution window;
      - it holds a link to such a touch, or to a touch gone from fct_touchpoints;
      - its window or its contacts differ from the ones the last run read (the copies the
        post-hook opportunity_inputs_saved keeps beside the model);
      - during `revops backfill`, it was created on, or holds a touch of, the backfill days.
    Without those copies or stamps (a table built before them) every opportunity is
    recomputed once.
-#}
{% macro opportunity_journeys_changed_since_last_run() -%}
{#- Hook arguments render at parse time too, and on full builds: nothing to select then. -#}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- set copies = opportunity_input_copies() -%}
{%- set can_compare = 'recomputed_at' in stored_columns
    and load_relation(copies['opportunities']) is not none
    and load_relation(copies['contacts']) is not none -%}
{%- if not can_compare -%}
select opportunity_id from {{ ref('fct_opportunities') }}
union
select opportunity_id from {{ this }}
{%- else -%}
with

last_run as (

    select coalesce(max(recomputed_at), {{ never }}) as recomputed_at
    from {{ this }}

),

recomputed_touches as (

    select
        touches.touchpoint_id,
        touches.person_id,
        touches.account_id,
        touches.touched_at,
        touches.is_attribution_eligible
    from {{ ref('fct_touchpoints') }} as touches
    cross join last_run
    where touches.recomputed_at > last_run.recomputed_at

),

opportunity_windows as (

    select
        opportunity_id,
        account_id,
        created_at,
        {{ attribution_window_closed_before('is_closed', 'close_date') }} as closed_before
    from {{ ref('fct_opportunities') }}

),

-- In the opportunity's window now (a touch that was in it is found by linked_before).
reached_now as (

    select opportunity_windows.opportunity_id
    from {{ ref('int_opportunity_contacts_resolved') }} as contacts
    inner join recomputed_touches
        on contacts.person_id = recomputed_touches.person_id
    inner join opportunity_windows
        on contacts.opportunity_id = opportunity_windows.opportunity_id
    where recomputed_touches.is_attribution_eligible
        and {{ in_attribution_window(
            'recomputed_touches.touched_at', 'opportunity_windows.created_at', 'opportunity_windows.closed_before'
        ) }}

    union

    select opportunity_windows.opportunity_id
    from opportunity_windows
    inner join recomputed_touches
        on opportunity_windows.account_id = recomputed_touches.account_id
    where recomputed_touches.is_attribution_eligible
        and {{ in_attribution_window(
            'recomputed_touches.touched_at', 'opportunity_windows.created_at', 'opportunity_windows.closed_before'
        ) }}

),

-- Holding a link to a recomputed touch, or to one gone from fct_touchpoints (its gone-keys
-- log, macros/gone_keys_log.sql): joining every stored link to its touch to find both took
-- 0.9 s of a 1M-lead daily run.
linked_before as (

    select stored.opportunity_id
    from {{ this }} as stored
    where stored.touchpoint_id in (select recomputed_touches.touchpoint_id from recomputed_touches)
        or stored.touchpoint_id in (
            {{ keys_gone_since_last_run(ref('fct_touchpoints'), 'touchpoint_id') | indent(12) }}
        )

),

changed_windows as (

    select coalesce(current_rows.opportunity_id, read_rows.opportunity_id) as opportunity_id
    from {{ ref('fct_opportunities') }} as current_rows
    full outer join {{ copies['opportunities'] }} as read_rows
        on current_rows.opportunity_id = read_rows.opportunity_id
    where current_rows.opportunity_id is null
        or read_rows.opportunity_id is null
        {%- for column in opportunity_window_columns() %}
        or current_rows.{{ column }} is distinct from read_rows.{{ column }}
        {%- endfor %}

),

changed_contacts as (

    select coalesce(current_rows.opportunity_id, read_rows.opportunity_id) as opportunity_id
    from {{ ref('int_opportunity_contacts_resolved') }} as current_rows
    full outer join {{ copies['contacts'] }} as read_rows
        on current_rows.opportunity_id = read_rows.opportunity_id
        and current_rows.person_id = read_rows.person_id
    where current_rows.opportunity_id is null
        or read_rows.opportunity_id is null
        {%- for column in opportunity_contact_columns() %}
        or current_rows.{{ column }} is distinct from read_rows.{{ column }}
        {%- endfor %}

)

select opportunity_id from reached_now
union
select opportunity_id from linked_before
union
select opportunity_id from changed_windows
union
select opportunity_id from changed_contacts
{%- if backfill_window() %}
-- revops backfill: every opportunity created, or touched, on its days.
union
select opportunity_id from {{ ref('fct_opportunities') }}
where {{ in_backfill_window('created_at') }}
union
select opportunity_id from {{ this }}
where {{ in_backfill_window('touched_at') }}
{%- endif %}
{%- endif -%}
{%- endmacro %}

{#- What of fct_opportunities and int_opportunity_contacts_resolved a journey depends on. -#}
{% macro opportunity_window_columns() -%}
    {{ return(['account_id', 'created_at', 'is_closed', 'close_date', 'is_won']) }}
{%- endmacro %}

{% macro opportunity_contact_columns() -%}
    {{ return(['is_primary', 'lead_created_at']) }}
{%- endmacro %}

{#- The copies of those inputs, beside the model, as its last run read them. -#}
{% macro opportunity_input_copies() -%}
    {{ return({
        'opportunities': input_copy_relation('opportunities'),
        'contacts': input_copy_relation('contacts'),
    }) }}
{%- endmacro %}

{#- Post-hook, once per copy ('opportunities', 'contacts'): input_copy_saved of what this run
    read. -#}
{% macro opportunity_input_saved(copy) -%}
    {%- if copy == 'opportunities' -%}
    {%- set select_sql -%}
    select opportunity_id, {{ opportunity_window_columns() | join(', ') }}
    from {{ ref('fct_opportunities') }}
    {%- endset -%}
    {%- else -%}
    {%- set select_sql -%}
    select opportunity_id, person_id, {{ opportunity_contact_columns() | join(', ') }}
    from {{ ref('int_opportunity_contacts_resolved') }}
    {%- endset -%}
    {%- endif -%}
    {{ input_copy_saved(copy, select_sql) }}
{%- endmacro %}
