{#- Incremental, like stg_map__activities: 1.3M rows at 1M leads, read by
    int_touchpoints_unioned and the handoff models. As a view, each of its data tests and each
    model reading it re-ran the dedup over every raw row (at 1M leads its unique test alone took
    3-12 s). A run reprocesses only the keys loaded since the last run (macro
    versions_loaded_since_last_run) and replaces their rows (delete+insert on the key). Full
    refresh gives the same rows (tests/test_orchestration_incremental.py). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='task_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}

with

source as {{ not_materialized() }} (

    {{ versions_loaded_since_last_run(source('crm', 'crm_task'), 'id', event_column='created_date') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as task_id,
        {{ trimmed_or_null('who_id') }} as lead_or_contact_id,
        {{ trimmed_or_null('what_id') }} as related_record_id,
        {{ trimmed_or_null('owner_id') }} as owner_user_id,

        ---------- task
        {{ trimmed_or_null('subject') }} as subject,
        {{ trimmed_or_null('type') }} as task_type,
        {{ trimmed_or_null('task_subtype') }} as task_subtype,
        {{ trimmed_or_null('status') }} as task_status,
        cast(activity_date as date) as activity_date,
        cast(completed_date_time as {{ dbt.type_timestamp() }}) as completed_at,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_task')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash,
        -- When this build (re)wrote the row (macro run_stamp): a daily run's tests read only these.
        {{ run_stamp() }} as recomputed_at

    from latest_versions

)

select * from final
