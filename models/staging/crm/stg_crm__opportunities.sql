with

source as {{ not_materialized() }} (

    select * from {{ source('crm', 'crm_opportunity') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as opportunity_id,
        {{ trimmed_or_null('account_id') }} as account_id,
        {{ trimmed_or_null('owner_id') }} as owner_user_id,
        {{ trimmed_or_null('campaign_id') }} as primary_campaign_id,

        ---------- deal
        {{ trimmed_or_null('name') }} as opportunity_name,
        {{ trimmed_or_null('type') }} as opportunity_type,
        {{ trimmed_or_null('lead_source') }} as lead_source,
        {{ trimmed_or_null('stage_name') }} as stage_name,
        {{ trimmed_or_null('forecast_category_name') }} as forecast_category,
        cast(amount as {{ type_double() }}) as amount,
        {{ trimmed_or_null('currency_iso_code') }} as currency_code,
        cast(probability as {{ type_double() }}) as probability,
        cast(close_date as date) as close_date,
        coalesce(cast(is_closed as {{ dbt.type_boolean() }}), false) as is_closed,
        coalesce(cast(is_won as {{ dbt.type_boolean() }}), false) as is_won,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_opportunity')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
