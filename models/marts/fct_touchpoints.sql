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
      - a person whose lifecycle milestones would now flag another touch.
    These checks read narrow columns; only the affected touches go through identity
    resolution and numbering. Person ids move when records merge (a lead converted to a
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
    post_hook=[
        "{{ incremental_delete_gone_rows('touchpoint_id', ref('int_touchpoints_unioned')) }}",
        "{{ gone_keys_logged(
            'touchpoint_id',
            keys_logged_gone_since_last_run(ref('int_touchpoints_unioned'), 'touchpoint_id'),
            restart=not gone_keys_log_covers_last_run(ref('int_touchpoints_unioned')),
        ) }}",
    ],
) }}
{#- A table built before it had run stamps is recomputed whole once. -#}
{%- set is_incremental_run = is_incremental() and 'recomputed_at' in (
    adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
) -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}

with

-- Narrow imports: a CTE read more than once is materialised whole (DuckDB, PostgreSQL), and
-- with every column the 1M-lead daily run spilled 2.7 GB under the 3 GB cap.
person_records as (

    select
        record_type,
        lead_id,
        contact_id,
        person_id
    from {{ ref('int_person_records_resolved') }}

),

people as (

    select
        person_id,
        account_id
    from {{ ref('dim_people') }}

),

lifecycles as (

    select
        person_id,
        lead_created_at,
        first_mql_at,
        opportunity_at,
        won_at
    from {{ ref('fct_lead_lifecycle') }}

),

{% if is_incremental_run %}

last_run as (

    select coalesce(max(recomputed_at), {{ never }}) as recomputed_at
    from {{ this }}

),

-- The people identity resolution changed since this model's last run: those with a record
-- int_person_records_resolved recomputed (a record that moved, merged or was deleted
-- recomputes every record of its old and its new person) or a row dim_people recomputed (an
-- account moved). The people this table holds that dim_people no longer does are found with
-- the milestones below (they have no lifecycle either).
changed_people as (

    {{ people_recomputed_since('last_run') }}

),

-- The touches that changed: stamped by int_touchpoints_unioned since this model's last run
-- (new ones too), gone from it, or made by a changed person (through the records the person
-- has now, or as stored). Each check reads one or two narrow columns of the 6.4M touches (at
-- 1M leads) against a small set: comparing every touch with its stored row and resolving
-- every touch's person again took 5 s of a daily run.
touch_changes as (

    select current_touches.touchpoint_id
    from {{ ref('int_touchpoints_unioned') }} as current_touches
    cross join last_run
    where current_touches.recomputed_at > last_run.recomputed_at
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

    select coalesce(lead_records.person_id, contact_records.person_id) as person_id
    from {{ ref('int_touchpoints_unioned') }} as current_touches
    left join person_records as lead_records
        on current_touches.lead_id = lead_records.lead_id
        and lead_records.record_type = 'lead'
    left join person_records as contact_records
        on current_touches.contact_id = contact_records.contact_id
        and contact_records.record_type = 'contact'
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

-- A person whose touches did not change but whose lifecycle milestones moved: the touch each
-- milestone would flag now, from the stored numbers, differs from the touch flagged. Also a
-- person with no lifecycle (every person of dim_people has one): one who is gone.
milestone_changes as (

    select stored_touches.person_id
    from {{ this }} as stored_touches
    left join lifecycles
        on stored_touches.person_id = lifecycles.person_id
    where stored_touches.person_id is not null
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

),

-- The touches to recompute: changed ones (with or without a person) and, through the
-- records of each affected person, every touch of that person.
changed_touch_ids as (

    select touchpoint_id from touch_changes
    union
    select touchpoint_id from reassigned_touches
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
        coalesce(lead_records.person_id, contact_records.person_id) as person_id
    from touches
    left join person_records as lead_records
        on touches.lead_id = lead_records.lead_id
        and lead_records.record_type = 'lead'
    left join person_records as contact_records
        on touches.contact_id = contact_records.contact_id
        and contact_records.record_type = 'contact'

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
