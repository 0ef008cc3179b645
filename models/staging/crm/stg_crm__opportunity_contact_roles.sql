with

source as {{ not_materialized() }} (

    select * from {{ source('crm', 'crm_opportunity_contact_role') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as opportunity_contact_role_id,
        {{ trimmed_or_null('opportunity_id') }} as opportunity_id,
        {{ trimmed_or_null('contact_id') }} as contact_id,

        ---------- role
        {{ trimmed_or_null('role') }} as contact_role,
        coalesce(cast(is_primary as {{ dbt.type_boolean() }}), false) as is_primary,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_opportunity_contact_role')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
