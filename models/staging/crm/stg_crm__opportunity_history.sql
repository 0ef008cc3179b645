with

source as {{ not_materialized() }} (

    select * from {{ source('crm', 'crm_opportunity_history') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as opportunity_history_id,
        {{ trimmed_or_null('opportunity_id') }} as opportunity_id,
        {{ trimmed_or_null('created_by_id') }} as changed_by_user_id,

        ---------- values after the change
        {{ trimmed_or_null('stage_name') }} as stage_name,
        {{ trimmed_or_null('forecast_category') }} as forecast_category,
        cast(amount as {{ type_double() }}) as amount,
        cast(probability as {{ type_double() }}) as probability,
        cast(close_date as date) as close_date,
        -- A history row is written once, when the opportunity changes: its creation is the change.
        cast(created_date as {{ dbt.type_timestamp() }}) as changed_at,

        ---------- record audit
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_opportunity_history')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
