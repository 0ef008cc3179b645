{#- One row per touch: who made it (person and account), when, through which channel and
    campaign, and which of the person's lifecycle milestones it marks. The milestone flags
    here are the person's (fct_lead_lifecycle); an opportunity's own milestones, among the
    touches of its whole buying group, are in fct_attribution.

    A milestone touch is the last eligible touch at or before the milestone's moment (the
    touch that "caused" it): first touch = the earliest; ties on timestamp are resolved by
    touchpoint_id, so the same touch wins on every engine and every run.

    Incremental: the numbering and the milestone flags depend on all of a person's touches,
    so a run recomputes every touch of each affected person, found from the inputs rather
    than by recomputing every touch and comparing (18 s of a 1M-lead daily run did that):
      - a touch int_touchpoints_unioned recomputed since this model's last run (stamped
        after the newest recomputed_at this table holds, macro run_stamp), is new, or is
        gone;
      - a touch whose lead or contact now resolves to another person, or whose account
        (dim_people) moved; both the person it had and the one it has are affected;
      - a touch whose channel or eligibility the definitions now set otherwise
        (def_channel_mapping, var attribution.include_sales_touches), checked once per
        stored combination of tags;
      - a person whose lifecycle milestones moved (compared with the copy of them the last
        run kept, <model>__lifecycles_read) or would now flag another touch.
    These checks read narrow columns, in the pre-hook (macro
    touch_people_changed_since_last_run), which stages the touches and people found in
    <model>__changed; only those touches go through identity resolution and numbering. Person ids move when records merge (a lead converted to a
    contact takes the contact's person), so rows are replaced by touchpoint_id; a touch gone
    from the sources is deleted by the post-hook. Gone touches are read from
    int_touchpoints_unioned's gone-keys log, and logged again here for the models reading
    this one (macros/gone_keys_log.sql): comparing every stored touch with every current one
    took 1.4 s of a 1M-lead daily run, twice. Each recomputed row is stamped
    (recomputed_at), so the models reading this one find what changed the same way. A table
    built before the stamps is recomputed whole once. Equal to a full rebuild: tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='touchpoint_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ people_recomputed_staged() }}",
        "{{ incremental_stage_changed_keys(touch_people_changed_since_last_run()) }}",
    ],
    post_hook=[
        "{{ incremental_delete_gone_rows('touchpoint_id', ref('int_touchpoints_unioned')) }}",
        "{{ gone_keys_logged(
            'touchpoint_id',
            keys_logged_gone_since_last_run(ref('int_touchpoints_unioned'), 'touchpoint_id'),
            restart=not gone_keys_log_covers_last_run(ref('int_touchpoints_unioned')),
        ) }}",
        "{{ incremental_drop_changed_keys() }}",
        "{{ people_recomputed_dropped() }}",
        "{{ touch_lifecycles_saved() }}",
    ],
) }}
{#- A table built before it had run stamps is recomputed whole once. -#}
{%- set is_incremental_run = is_incremental() and 'recomputed_at' in (
    adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
) -%}

with

-- Narrow imports: a CTE read more than once is materialised whole (DuckDB, PostgreSQL), and
-- with every column the 1M-lead daily run spilled 2.7 GB under the 3 GB cap.
person_records as (

    {{ touch_person_records_select() }}

),

people as (

    select
        person_id,
        account_id
    from {{ ref('dim_people') }}

),

lifecycles as (

    {{ touch_lifecycles_select() }}

),

{% if is_incremental_run %}

-- The touches and people this run recomputes, staged by the pre-hook
-- (touch_people_changed_since_last_run): a table, so the planner knows how few they are.
-- Read as a CTE, its estimate (12M rows) made DuckDB hash the 6.4M stored touches to find
-- the touches of ~10,000 people (0.9 s of a 1M-lead daily run).
affected_people as (

    select person_id
    from {{ changed_keys_relation() }}
    where person_id is not null

),

-- The touches to recompute: changed ones (with or without a person) and, through the
-- records of each affected person, every touch of that person.
changed_touch_ids as (

    select touchpoint_id
    from {{ changed_keys_relation() }}
    where touchpoint_id is not null

    union

    {{ touches_of_people('affected_people') }}

),

{% endif %}

-- Full build: every touch. Incremental: the touches in scope (see above).
touches as (

    select * from {{ ref('int_touchpoints_unioned') }}
    {% if is_incremental_run %}
    where touchpoint_id in (select changed_touch_ids.touchpoint_id from changed_touch_ids)
    {% endif %}

),

touches_resolved as (

    select
        touches.*,
        {{ touch_person_id() }} as person_id
    from touches
    {{ touch_person_records_joined('touches') }}

),

touches_channelled as (

    {{ touch_channel_assigned('touches_resolved') }}

),

touches_in_scope as (

    select
        touches_channelled.*,
        coalesce(people.account_id, touches_channelled.source_account_id) as account_id,
        lifecycles.lead_created_at,
        lifecycles.first_mql_at,
        lifecycles.opportunity_at,
        lifecycles.won_at
    from touches_channelled
    left join people
        on touches_channelled.person_id = people.person_id
    left join lifecycles
        on touches_channelled.person_id = lifecycles.person_id

),

touches_ranked as (

    select
        touches_in_scope.*,
        case
            when touches_in_scope.is_attribution_eligible and touches_in_scope.person_id is not null
                then row_number() over (
                    partition by touches_in_scope.person_id, touches_in_scope.is_attribution_eligible
                    order by touches_in_scope.touched_at, touches_in_scope.touchpoint_id
                )
        end as person_touch_number
    from touches_in_scope

),

milestone_numbers as (

    select
        touches_ranked.*,
        max(case when touched_at <= lead_created_at then person_touch_number end)
            over (partition by person_id) as lead_creation_touch_number,
        max(case when touched_at <= first_mql_at then person_touch_number end)
            over (partition by person_id) as mql_touch_number,
        max(case when touched_at <= opportunity_at then person_touch_number end)
            over (partition by person_id) as opportunity_creation_touch_number,
        max(case when touched_at <= won_at then person_touch_number end)
            over (partition by person_id) as closed_won_touch_number
    from touches_ranked

),

final as (

    select
        ---------- ids
        touchpoint_id,
        touch_source,
        source_record_id,
        person_id,
        account_id,
        lead_id,
        contact_id,
        campaign_id,
        program_id,

        ---------- touch
        activity_type,
        touched_at,
        cast(touched_at as date) as touched_date,
        channel,
        channel_group,
        utm_source,
        utm_medium,
        utm_campaign,
        is_sales_touch,
        is_attribution_eligible,
        person_touch_number,

        ---------- the person's milestones (var attribution.include_sales_touches decides eligibility)
        coalesce(person_touch_number = 1, false) as is_first_touch,
        coalesce(person_touch_number = lead_creation_touch_number, false) as is_lead_creation_touch,
        coalesce(person_touch_number = mql_touch_number, false) as is_mql_touch,
        coalesce(person_touch_number = opportunity_creation_touch_number, false)
            as is_opportunity_creation_touch,
        coalesce(person_touch_number = closed_won_touch_number, false) as is_closed_won_touch,

        ---------- lineage
        {{ run_stamp() }} as recomputed_at
    from milestone_numbers

)

select * from final
