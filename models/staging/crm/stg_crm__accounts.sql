with

source as {{ not_materialized() }} (

    select * from {{ source('crm', 'crm_account') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as account_id,
        {{ trimmed_or_null('owner_id') }} as owner_user_id,

        ---------- firmographics
        {{ trimmed_or_null('name') }} as account_name,
        {{ trimmed_or_null('type') }} as account_type,
        {{ trimmed_or_null('website') }} as website,
        {{ website_domain('website') }} as website_domain,
        {{ trimmed_or_null('industry') }} as industry,
        cast(number_of_employees as {{ dbt.type_bigint() }}) as employee_count,
        cast(annual_revenue as {{ type_double() }}) as annual_revenue,
        {{ trimmed_or_null('billing_country') }} as billing_country,
        {{ trimmed_or_null('billing_state') }} as billing_state,
        coalesce(cast(abm_target_c as {{ dbt.type_boolean() }}), false) as is_abm_target,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_account')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
