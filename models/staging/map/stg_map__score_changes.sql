{#- Incremental, like stg_map__activities: 7.1M rows at 1M leads, read by
    int_mql_events_evaluated. As a view, each of its data tests and each model reading it re-ran
    the dedup over every raw row (at 1M leads its unique test alone took 3-12 s). A run
    reprocesses only the keys loaded since the last run (macro versions_loaded_since_last_run)
    and replaces their rows (delete+insert on the key). Full refresh gives the same rows
    (tests/test_orchestration_incremental.py). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='score_change_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}

with

source as {{ not_materialized() }} (

    {{ versions_loaded_since_last_run(source('map', 'map_score_change'), 'score_change_id', event_column='changed_at') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='score_change_id', version_column='updated_at') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('score_change_id') }} as score_change_id,
        {{ trimmed_or_null('map_person_id') }} as map_person_id,
        {{ trimmed_or_null('crm_lead_id') }} as lead_id,

        ---------- change
        {{ normalized_email('email') }} as email,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(score_before as {{ dbt.type_bigint() }}) as score_before,
        cast(score_after as {{ dbt.type_bigint() }}) as score_after,
        {{ trimmed_or_null('change_reason') }} as change_reason,

        ---------- record audit
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('map', 'map_score_change')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash,
        -- When this build (re)wrote the row (macro run_stamp): a daily run's tests read only these.
        {{ run_stamp() }} as recomputed_at

    from latest_versions

)

select * from final
