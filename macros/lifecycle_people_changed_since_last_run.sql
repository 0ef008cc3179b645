{#-
    The people int_lifecycle_events_unioned recomputes on an incremental run (its pre-hook;
    see incremental_changed_keys), as person_id. A person's events are read from their
    records (int_person_records_resolved), their leads' status changes (stg_crm__lead_history
    through int_lead_status_changes_mapped), the first MAP activity of their leads and contacts,
    their matched deals (int_person_opportunities_matched) and two definitions
    (def_lead_statuses, def_lifecycle_stages). So a person is recomputed when
      - identity resolution recomputed one of their records or their dim_people row since the
        model's last run (run stamps, macro run_stamp; a key is recomputed whole, so a person
        who lost or gained a record is among them), or no record carries them any more;
      - a status change of one of their leads was (re)loaded since (its staging run stamp), or
        a stored event came from a status change (re)loaded since (the lead it was filed under
        before);
      - the first activity of one of their lead or contact ids differs from the copy the last
        run kept (a new, moved or corrected activity; the copy also holds the ids an activity
        left), or one of their matched deals differs from the copy of those;
      - either definition differs from its copy (then everyone);
      - during `revops backfill`, they hold an event, an activity or a status change on the
        backfill days.
    Without the copies or the stamps (a table built before them) everyone is recomputed once.
-#}
{% macro lifecycle_people_changed_since_last_run() -%}
{#- Hook arguments render at parse time too, and on full builds: nothing to select then. -#}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- set copies = lifecycle_event_input_copies() -%}
{%- set ns = namespace(can_compare='recomputed_at' in stored_columns) -%}
{%- for copy in copies.values() -%}
    {%- if load_relation(copy) is none -%}{%- set ns.can_compare = false -%}{%- endif -%}
{%- endfor -%}
{%- if not ns.can_compare -%}
select person_id from {{ ref('int_person_records_resolved') }}
union
select person_id from {{ this }}
{%- else -%}
with

last_run as (

    select coalesce(max(recomputed_at), {{ never }}) as recomputed_at
    from {{ this }}

),

changed_status_changes as (

    select lead_history.lead_history_id, lead_history.lead_id
    from {{ ref('stg_crm__lead_history') }} as lead_history
    cross join last_run
    where lead_history.recomputed_at > last_run.recomputed_at

),

-- Grouped by id pair, as the model does (staged by the pre-hook before this one);
-- compared with the copy both ways.
current_first_activities as (

    select lead_id, contact_id, first_activity_at
    from {{ lifecycle_first_activities_now() }}

),

first_activity_changes as (

    {{ rows_on_one_side('current_first_activities', copies['first_activities'],
                        ['lead_id', 'contact_id', 'first_activity_at']) }}

),

opportunity_changes as (

    {{ rows_on_one_side('(' ~ lifecycle_person_opportunities_select() ~ ') as current_opportunities',
                        copies['opportunities'], lifecycle_person_opportunity_columns()) }}

),

definition_changes as (

    select sum(changed_row_count) as changed_row_count from (
        {%- for seed in ['def_lead_statuses', 'def_lifecycle_stages'] %}
        {{ 'union all' if not loop.first }}
        select count(*) as changed_row_count from (
            (
                select * from {{ ref(seed) }}
                except
                select * from {{ copies[seed] }}
            )
            union all
            (
                select * from {{ copies[seed] }}
                except
                select * from {{ ref(seed) }}
            )
        ) as {{ seed }}_changes
        {%- endfor %}
    ) as seed_changes

),

changed_lead_ids as (

    select lead_id from changed_status_changes
    union
    select lead_id from first_activity_changes

),

changed_contact_ids as (

    select contact_id from first_activity_changes

)

{{ people_recomputed_since('last_run') }}

union

select stored.person_id
from {{ this }} as stored
where not exists (
    select 1
    from {{ ref('int_person_records_resolved') }} as records
    where records.person_id = stored.person_id
)

union

select stored.person_id
from {{ this }} as stored
where stored.event_source = 'crm_status_history'
    and stored.source_record_id in (select changed_status_changes.lead_history_id from changed_status_changes)

{%- for record in ['lead', 'contact'] %}

union

select records.person_id
from {{ ref('int_person_records_resolved') }} as records
where records.{{ record }}_id in (select changed_{{ record }}_ids.{{ record }}_id from changed_{{ record }}_ids)
{%- endfor %}

union

select person_id from opportunity_changes

union

select records.person_id
from {{ ref('int_person_records_resolved') }} as records
cross join definition_changes
where definition_changes.changed_row_count > 0
{%- if backfill_window() %}
-- revops backfill: every person with an event, an activity or a status change on its days.
union
select person_id from {{ this }}
where {{ in_backfill_window('entered_at') }}
union
select records.person_id
from {{ ref('int_person_records_resolved') }} as records
inner join {{ ref('stg_map__activities') }} as activities
    on records.lead_id = activities.lead_id
    or records.contact_id = activities.contact_id
where {{ in_backfill_window('activities.activity_at') }}
union
select records.person_id
from {{ ref('int_person_records_resolved') }} as records
inner join {{ ref('stg_crm__lead_history') }} as lead_history
    on records.lead_id = lead_history.lead_id
where {{ in_backfill_window('lead_history.changed_at') }}
{%- endif %}
{%- endif -%}
{%- endmacro %}

{#- The first MAP activity of each lead and contact id pair, as the model reads it (and as the
    copy 'first_activities' keeps it). -#}
{% macro lifecycle_first_activities_select() -%}
    select
        lead_id,
        contact_id,
        min(activity_at) as first_activity_at
    from {{ ref('stg_map__activities') }}
    group by lead_id, contact_id
{%- endmacro %}

{#- The first activities of this run, grouped once: an incremental run's first pre-hook
    (lifecycle_first_activities_staged) keeps them in <model>__first_acts_now, which the
    change detection and the model read and the post-hook then renames into the copy
    'first_activities'. Grouping the 15M activities three times took ~1.8 s of a 1M-lead
    daily run. -#}
{% macro lifecycle_first_activities_now() -%}
    {{ return(relation_beside_this('first_acts_now')) }}
{%- endmacro %}

{% macro lifecycle_first_activities_staged() -%}
    {%- if execute and is_incremental() -%}
    {{ table_beside_this_created('first_acts_now') }}
    {{ lifecycle_first_activities_select() }}
    {%- endif -%}
{%- endmacro %}

{#- What of int_person_opportunities_matched the events read (copy 'opportunities'). -#}
{% macro lifecycle_person_opportunities_select() -%}
    select {{ lifecycle_person_opportunity_columns() | join(', ') }}
    from {{ ref('int_person_opportunities_matched') }}
{%- endmacro %}

{% macro lifecycle_person_opportunity_columns() -%}
    {{ return(['person_id', 'opportunity_id', 'match_type', 'opportunity_created_at',
               'is_closed', 'is_won', 'closed_at']) }}
{%- endmacro %}

{#- The copies of its inputs int_lifecycle_events_unioned keeps beside itself, as its last run
    read them (short names: PostgreSQL cuts relation names at 63 characters). -#}
{% macro lifecycle_event_input_copies() -%}
    {{ return({
        'first_activities': input_copy_relation('first_acts'),
        'opportunities': input_copy_relation('opps'),
        'def_lead_statuses': input_copy_relation('statuses'),
        'def_lifecycle_stages': input_copy_relation('stages'),
    }) }}
{%- endmacro %}

{#- Post-hook, once per copy (the keys of lifecycle_event_input_copies): input_copy_saved of
    what this run read. -#}
{% macro lifecycle_event_input_saved(copy) -%}
    {%- set short_names = {
        'first_activities': 'first_acts', 'opportunities': 'opps',
        'def_lead_statuses': 'statuses', 'def_lifecycle_stages': 'stages',
    } -%}
    {%- if copy == 'first_activities' and execute and config.get('materialized') == 'incremental'
            and relation_exists_now(lifecycle_first_activities_now()) -%}
        {#- This run's grouping, staged by the pre-hook of an incremental run, becomes the copy
            (a post-hook cannot ask is_incremental(): after a first build the table exists). -#}
        {%- do adapter.drop_relation(input_copy_relation(short_names[copy])) -%}
        {%- do adapter.rename_relation(lifecycle_first_activities_now(), input_copy_relation(short_names[copy])) -%}
        {{ return('') }}
    {%- elif copy == 'first_activities' -%}
        {%- set select_sql = lifecycle_first_activities_select() -%}
    {%- elif copy == 'opportunities' -%}
        {%- set select_sql = lifecycle_person_opportunities_select() -%}
    {%- else -%}
        {%- set select_sql = 'select * from ' ~ ref(copy) -%}
    {%- endif -%}
    {{ input_copy_saved(short_names[copy], select_sql) }}
{%- endmacro %}

{#- The people with a row of `upstream` (a run-stamped model that recomputes whole people)
    recomputed since this model's newest run stamp, as person_id; everyone in `upstream` when
    this table predates its stamps. int_lifecycle_events_sequenced, int_lifecycle_stages_pivoted
    and fct_lifecycle_events recompute those people; the people with no row left upstream go by
    their post-hooks (incremental_delete_gone_rows). Call it in a model's incremental branch. -#}
{% macro people_restamped_since_last_run(upstream) -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    select distinct upstream_rows.person_id
    from {{ upstream }} as upstream_rows
    {%- if 'recomputed_at' in stored_columns %}
    where upstream_rows.recomputed_at > (
        select coalesce(max(recomputed_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ this }}
    )
    {%- endif %}
{%- endmacro %}
