with

source as {{ not_materialized() }} (

    select * from {{ source('crm', 'crm_campaign') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as campaign_id,
        {{ trimmed_or_null('parent_id') }} as parent_campaign_id,

        ---------- campaign
        {{ trimmed_or_null('name') }} as campaign_name,
        {{ trimmed_or_null('type') }} as campaign_type,
        {{ trimmed_or_null('status') }} as campaign_status,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(budgeted_cost as {{ type_double() }}) as budgeted_cost,
        cast(actual_cost as {{ type_double() }}) as actual_cost,
        coalesce(cast(is_active as {{ dbt.type_boolean() }}), false) as is_active,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_campaign')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
