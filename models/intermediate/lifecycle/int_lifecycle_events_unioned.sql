-- Every time a person entered a lifecycle stage, from four sources:
-- * lead: once per person, when they first became known - the earlier of their first CRM
--   record's creation and their first MAP activity;
-- * crm_status_history: every status change of their leads (def_lead_statuses gives the stage);
-- * conversion: a converted lead whose history lacks the status change to the opportunity
--   stage enters it on its converted date;
-- * opportunity: a deal the person is the primary contact of (and no lead of theirs was
--   converted into) is entered when created; every matched deal's close enters won or lost.
--
-- Incremental (7-10 s of a 1M-lead daily run as a table, on the critical path): a run
-- recomputes every event of the people whose inputs changed since its last run (macro
-- lifecycle_people_changed_since_last_run; the pre-hooks of incremental_changed_keys stage
-- them and delete their rows): records and people identity resolution recomputed, status
-- changes loaded since (run stamps), and first activities, matched deals and the two
-- definitions that differ from the copies the last run kept. Equal to a full rebuild:
-- tests/test_incremental_marts.py.
-- depends_on: {{ ref('stg_crm__lead_history') }}
-- depends_on: {{ ref('dim_people') }}
{{ config(
    materialized=incremental_materialization(),
    unique_key='lifecycle_event_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ lifecycle_first_activities_staged() }}",
        "{{ incremental_stage_changed_keys(lifecycle_people_changed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('person_id') }}",
    ],
    post_hook=[
        "{{ incremental_drop_changed_keys() }}",
        "{{ lifecycle_event_input_saved('first_activities') }}",
        "{{ lifecycle_event_input_saved('opportunities') }}",
        "{{ lifecycle_event_input_saved('def_lead_statuses') }}",
        "{{ lifecycle_event_input_saved('def_lifecycle_stages') }}",
    ],
) }}

with

-- The people's records (int_person_records_resolved) and their status changes are read
-- where they are needed: CTEs over them, read two to four times, were materialised whole by
-- DuckDB (1.3M and 0.9M rows at 1M leads).

activities as (

    select * from {{ ref('stg_map__activities') }}

),

person_opportunities as (

    select * from {{ ref('int_person_opportunities_matched') }}
    {%- if is_incremental() %}
    where person_id in (select changed.person_id from {{ changed_keys_relation() }} as changed)
    {%- endif %}

),

lifecycle_stages as (

    select * from {{ ref('def_lifecycle_stages') }}

),

first_records as (

    select
        person_id,
        record_id,
        lead_id,
        segment_code,
        created_at
    from (
        select
            person_records.*,
            row_number() over (
                partition by person_id
                order by created_at, record_id
            ) as record_rank
        from {{ ref('int_person_records_resolved') }} as person_records
        {%- if is_incremental() %}
        where person_records.person_id in (select changed.person_id from {{ changed_keys_relation() }} as changed)
        {%- endif %}
    ) as ranked_records
    where record_rank = 1

),

-- The first activity of each lead and contact id pair before they are matched to people:
-- joined activity by activity, 8M activities at 1M leads took two hash joins of 8M rows.
record_first_activities as (

    {%- if not is_incremental() %}
    select
        lead_id,
        contact_id,
        min(activity_at) as first_activity_at
    from activities
    group by lead_id, contact_id
    {%- else %}
    -- The pairs as the pre-hook grouped them (lifecycle_first_activities_staged), only the ids
    -- of the people recomputed: every pair that can give one of them a first activity holds
    -- one of their lead or contact ids.
    select
        lead_id,
        contact_id,
        first_activity_at
    from {{ lifecycle_first_activities_now() }}
    where lead_id in (
            select changed_records.lead_id
            from {{ ref('int_person_records_resolved') }} as changed_records
            where changed_records.person_id in (select changed.person_id from {{ changed_keys_relation() }} as changed)
        )
        or contact_id in (
            select changed_records.contact_id
            from {{ ref('int_person_records_resolved') }} as changed_records
            where changed_records.person_id in (select changed.person_id from {{ changed_keys_relation() }} as changed)
        )
    {%- endif %}

),

first_activities as (

    select
        coalesce(lead_records.person_id, contact_records.person_id) as person_id,
        min(activities.first_activity_at) as first_activity_at
    from record_first_activities as activities
    left join {{ ref('int_person_records_resolved') }} as lead_records
        on activities.lead_id = lead_records.lead_id
    left join {{ ref('int_person_records_resolved') }} as contact_records
        on activities.contact_id = contact_records.contact_id
    where coalesce(lead_records.person_id, contact_records.person_id) is not null
    group by coalesce(lead_records.person_id, contact_records.person_id)

),

lead_events as (

    select
        first_records.person_id,
        first_records.lead_id,
        first_records.segment_code,
        'lead' as stage_code,
        case
            when first_activities.first_activity_at < first_records.created_at
                then first_activities.first_activity_at
            else first_records.created_at
        end as entered_at,
        case
            when first_activities.first_activity_at < first_records.created_at then 'map_activity'
            else 'crm_status_history'
        end as event_source,
        first_records.record_id as source_record_id
    from first_records
    left join first_activities
        on first_records.person_id = first_activities.person_id

),

status_events as (

    select
        person_id,
        lead_id,
        segment_code,
        stage_code,
        changed_at as entered_at,
        'crm_status_history' as event_source,
        lead_history_id as source_record_id
    from {{ ref('int_lead_status_changes_mapped') }} as status_changes
    where stage_code is not null
    {%- if is_incremental() %}
        and person_id in (select changed.person_id from {{ changed_keys_relation() }} as changed)
    {%- endif %}

),

leads_with_opportunity_status as (

    select distinct lead_id
    from {{ ref('int_lead_status_changes_mapped') }} as status_changes
    where stage_code = 'opportunity'
    {%- if is_incremental() %}
        and person_id in (select changed.person_id from {{ changed_keys_relation() }} as changed)
    {%- endif %}

),

conversion_events as (

    select
        person_records.person_id,
        person_records.lead_id,
        person_records.segment_code,
        'opportunity' as stage_code,
        cast(person_records.converted_date as {{ dbt.type_timestamp() }}) as entered_at,
        'conversion' as event_source,
        person_records.lead_id as source_record_id
    from {{ ref('int_person_records_resolved') }} as person_records
    left join leads_with_opportunity_status
        on person_records.lead_id = leads_with_opportunity_status.lead_id
    where person_records.record_type = 'lead'
        and person_records.is_converted
        and person_records.converted_date is not null
        and leads_with_opportunity_status.lead_id is null
        {%- if is_incremental() %}
        and person_records.person_id in (select changed.person_id from {{ changed_keys_relation() }} as changed)
        {%- endif %}

),

opportunity_created_events as (

    select
        person_opportunities.person_id,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        first_records.segment_code,
        'opportunity' as stage_code,
        person_opportunities.opportunity_created_at as entered_at,
        'opportunity' as event_source,
        person_opportunities.opportunity_id as source_record_id
    from person_opportunities
    inner join first_records
        on person_opportunities.person_id = first_records.person_id
    where person_opportunities.match_type = 'primary_contact'

),

opportunity_closed_events as (

    select
        person_opportunities.person_id,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        first_records.segment_code,
        case when person_opportunities.is_won then 'won' else 'lost' end as stage_code,
        person_opportunities.closed_at as entered_at,
        'opportunity' as event_source,
        person_opportunities.opportunity_id as source_record_id
    from person_opportunities
    inner join first_records
        on person_opportunities.person_id = first_records.person_id
    where person_opportunities.is_closed
        and person_opportunities.closed_at is not null

),

events as (

    select * from lead_events
    union all
    select * from status_events
    union all
    select * from conversion_events
    union all
    select * from opportunity_created_events
    union all
    select * from opportunity_closed_events

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'events.person_id', "'|'", 'events.event_source', "'|'",
            'events.source_record_id', "'|'", 'events.stage_code'
        ])) }} as lifecycle_event_id,
        events.person_id,
        events.lead_id,
        events.segment_code,
        events.stage_code,
        lifecycle_stages.stage_order,
        lifecycle_stages.is_exit,
        events.entered_at,
        events.event_source,
        events.source_record_id,
        -- When this build (re)computed the row (macro run_stamp): int_lifecycle_events_sequenced
        -- recomputes the people stamped after its own newest stamp.
        {{ run_stamp() }} as recomputed_at
    from events
    inner join lifecycle_stages
        on events.stage_code = lifecycle_stages.stage_code

)

select * from final
