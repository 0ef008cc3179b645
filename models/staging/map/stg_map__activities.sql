{#- Incremental: one of the largest tables, read by several intermediate models. A run
    reprocesses only the keys loaded since the last run (raw rows carry _loaded_at; a
    corrected export gets a new one) and replaces their rows (delete+insert on the key), so a
    late or corrected record updates in place (macro versions_loaded_since_last_run; a
    backfill also reprocesses the keys of its days). Full refresh gives the same rows
    (tests/test_orchestration_incremental.py). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='activity_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}

with

source as {{ not_materialized() }} (

    {{ versions_loaded_since_last_run(source('map', 'map_activity'), 'activity_id', event_column='activity_at') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='activity_id', version_column='updated_at') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('activity_id') }} as activity_id,
        {{ trimmed_or_null('map_person_id') }} as map_person_id,
        {{ trimmed_or_null('crm_lead_id') }} as lead_id,
        {{ trimmed_or_null('crm_contact_id') }} as contact_id,
        {{ trimmed_or_null('crm_account_id') }} as account_id,
        {{ trimmed_or_null('program_id') }} as program_id,

        ---------- activity
        {{ trimmed_or_null('activity_type') }} as activity_type,
        cast(activity_at as {{ dbt.type_timestamp() }}) as activity_at,
        {{ normalized_email('email') }} as email,
        {{ email_domain('email') }} as email_domain,
        -- UTM tags are typed by hand in links ('LinkedIn', 'linkedin '): compared lower-cased.
        lower({{ trimmed_or_null('utm_source') }}) as utm_source,
        lower({{ trimmed_or_null('utm_medium') }}) as utm_medium,
        lower({{ trimmed_or_null('utm_campaign') }}) as utm_campaign,

        ---------- record audit
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('map', 'map_activity')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash,
        -- When this build (re)wrote the row (macro run_stamp): a daily run's tests read only these.
        {{ run_stamp() }} as recomputed_at

    from latest_versions

)

select * from final
