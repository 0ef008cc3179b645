{#-
    The touches int_touchpoints_unioned recomputes on an incremental run (its pre-hook; see
    incremental_changed_keys), as (touchpoint_id, touch_source, source_record_id). A touch's
    row depends on its source record, its MAP program, the definitions (def_activity_types,
    var sales_touch_task_types) and, for a campaign response, on whether the MAP recorded the
    same response as an activity. So a touch is recomputed when
      - its record was loaded since the last run: each source against the newest load stamp
        the model holds from it (`source_loaded_at`; one ingestion run stamps all its rows
        alike and each table commits whole, see versions_loaded_since_last_run), or, for a
        source with no touch yet, the newest stamp it holds from any source (sound because
        dbt runs after the ingestion it reads, never during it: the jobs chain them, and on
        DuckDB the file lock forbids the overlap);
      - its program was loaded since (`program_loaded_at`): the program's activities and the
        responses of the program's campaign, now and as stored (a program moved to another
        campaign frees the responses of the old one);
      - its activity type or task type started or stopped counting as a touch;
      - (responses) an activity of the same lead or contact changed, now or as stored: the
        response may now be the MAP's own, or no longer;
      - during `revops backfill`, it happened on the backfill days.
-#}
{% macro touchpoints_changed_since_last_run() -%}
{#- Hook arguments render at parse time too, and on full builds: nothing to select then. -#}
{%- if not (execute and is_incremental()) -%}
    {{ return('') }}
{%- endif -%}
{%- set never = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- if 'source_loaded_at' not in stored_columns -%}
    {{ exceptions.raise_compiler_error(
        this ~ " was built before it became incremental (no column source_loaded_at): rebuild it "
        ~ "once with `dbt build --full-refresh --select int_touchpoints_unioned+`") }}
{%- endif -%}
with

-- The stored rows are read as {{ this }} wherever needed: a CTE over them, read seven times,
-- is materialised whole by DuckDB (6.4M rows at 1M leads: 4.2 s of the 5.9 s daily pre-hook).
-- A source none of whose records yields a touch yet takes the newest stamp of any source:
-- at 1M leads the MAP recorded every campaign response itself, and without a stamp of their
-- own all 4.7M members were recomputed on every run (7.9 s of a daily run).
watermarks as (

    select
        {%- for source_name in ['map_activity', 'campaign_member', 'crm_task'] %}
        coalesce(
            max(case when touch_source = '{{ source_name }}' then source_loaded_at end),
            max(source_loaded_at),
            {{ never }}
        ) as {{ source_name }}_loaded_at,
        {%- endfor %}
        coalesce(max(program_loaded_at), {{ never }}) as program_loaded_at
    from {{ this }} as stored

),

changed_programs as (

    select programs.program_id, programs.campaign_id
    from {{ ref('stg_map__programs') }} as programs
    cross join watermarks
    where programs.loaded_at > watermarks.program_loaded_at

),

-- Counted now and never stored, or stored and no longer counted.
changed_activity_types as (

    (
        select activity_type from {{ ref('def_activity_types') }} where counts_as_touch
        except
        select activity_type from {{ this }} as stored where touch_source = 'map_activity'
    )
    union
    (
        select activity_type from {{ this }} as stored where touch_source = 'map_activity'
        except
        select activity_type from {{ ref('def_activity_types') }} where counts_as_touch
    )

),

changed_activities as (

    select activities.activity_id, activities.lead_id, activities.contact_id
    from {{ ref('stg_map__activities') }} as activities
    cross join watermarks
    where activities.loaded_at > watermarks.map_activity_loaded_at
        or activities.program_id in (select program_id from changed_programs)
        or activities.activity_type in (select activity_type from changed_activity_types)
        {%- if backfill_window() %}
        or {{ in_backfill_window('activities.activity_at') }}
        {%- endif %}

),

-- The records the changed activities were filed under, now and as stored.
changed_activity_records as (

    select lead_id, contact_id from changed_activities
    union
    select stored.lead_id, stored.contact_id
    from {{ this }} as stored
    inner join changed_activities
        on stored.source_record_id = changed_activities.activity_id
    where stored.touch_source = 'map_activity'

),

changed_campaigns as (

    select campaign_id from changed_programs
    union
    select stored.campaign_id
    from {{ this }} as stored
    inner join changed_programs
        on stored.program_id = changed_programs.program_id

),

changed_members as (

    select members.campaign_member_id
    from {{ ref('stg_crm__campaign_members') }} as members
    cross join watermarks
    where members.loaded_at > watermarks.campaign_member_loaded_at
        or members.campaign_id in (select campaign_id from changed_campaigns)
        or members.lead_id in (select lead_id from changed_activity_records)
        or members.contact_id in (select contact_id from changed_activity_records)
        {%- if backfill_window() %}
        or {{ in_backfill_window('cast(members.first_responded_date as ' ~ dbt.type_timestamp() ~ ')') }}
        {%- endif %}

),

changed_tasks as (

    select tasks.task_id
    from {{ ref('stg_crm__tasks') }} as tasks
    cross join watermarks
    where tasks.loaded_at > watermarks.crm_task_loaded_at
        -- A task type that now counts and has no stored touch.
        or (
            tasks.task_type in ({{ sales_touch_task_types() }})
            and tasks.task_type not in (
                select task_type from {{ this }} as stored where touch_source = 'crm_task'
            )
        )
        {%- if backfill_window() %}
        or {{ in_backfill_window('coalesce(tasks.completed_at, tasks.created_at)') }}
        {%- endif %}

    union

    -- A stored task whose type no longer counts.
    select source_record_id as task_id
    from {{ this }} as stored
    where touch_source = 'crm_task'
        and task_type not in ({{ sales_touch_task_types() }})

)

select
    {{ dbt.concat(["'map-'", 'activity_id']) }} as touchpoint_id,
    'map_activity' as touch_source,
    activity_id as source_record_id
from changed_activities
union all
select
    {{ dbt.concat(["'cmp-'", 'campaign_member_id']) }} as touchpoint_id,
    'campaign_member' as touch_source,
    campaign_member_id as source_record_id
from changed_members
union all
select
    {{ dbt.concat(["'task-'", 'task_id']) }} as touchpoint_id,
    'crm_task' as touch_source,
    task_id as source_record_id
from changed_tasks
{%- endmacro %}

{#- fct_touchpoints' incremental run: the touchpoint_id of every touch of the people in the CTE
    `people_cte` (a person_id column), as int_touchpoints_unioned places them now (through the
    people's lead and contact records: the model's CTE `person_records`) and as the model
    holds them (its stored person_id). Each side is a semi-join of the touches against the
    small set, not a resolution of every touch. -#}
{% macro touches_of_people(people_cte) -%}
{%- for record in ['lead', 'contact'] %}
    select current_touches.touchpoint_id
    from {{ ref('int_touchpoints_unioned') }} as current_touches
    where current_touches.{{ record }}_id in (
        select person_records.{{ record }}_id
        from person_records
        where person_records.record_type = '{{ record }}'
            and person_records.person_id in (select {{ people_cte }}.person_id from {{ people_cte }})
    )

    union
{% endfor %}
    select stored_touches.touchpoint_id
    from {{ this }} as stored_touches
    where stored_touches.person_id in (select {{ people_cte }}.person_id from {{ people_cte }})
{%- endmacro %}
