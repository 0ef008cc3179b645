{#- Incremental, like stg_map__activities: 4.7M rows at 1M leads, read twice by
    int_touchpoints_unioned and by dim_campaigns. As a view, each of its data tests and each
    model reading it re-ran the dedup over every raw row (at 1M leads its unique test alone took
    3-12 s). A run reprocesses only the keys loaded since the last run (macro
    versions_loaded_since_last_run) and replaces their rows (delete+insert on the key). Full
    refresh gives the same rows (tests/test_orchestration_incremental.py). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='campaign_member_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}

with

source as {{ not_materialized() }} (

    {{ versions_loaded_since_last_run(source('crm', 'crm_campaign_member'), 'id', event_column='created_date') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as campaign_member_id,
        {{ trimmed_or_null('campaign_id') }} as campaign_id,
        {{ trimmed_or_null('lead_id') }} as lead_id,
        {{ trimmed_or_null('contact_id') }} as contact_id,

        ---------- membership
        {{ trimmed_or_null('status') }} as member_status,
        coalesce(cast(has_responded as {{ dbt.type_boolean() }}), false) as has_responded,
        cast(first_responded_date as date) as first_responded_date,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_campaign_member')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash,
        -- When this build (re)wrote the row (macro run_stamp): a daily run's tests read only these.
        {{ run_stamp() }} as recomputed_at

    from latest_versions

)

select * from final
