with

source as {{ not_materialized() }} (

    select * from {{ source('crm', 'crm_user') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as user_id,
        {{ trimmed_or_null('manager_id') }} as manager_user_id,

        ---------- person
        {{ trimmed_or_null('name') }} as full_name,
        {{ trimmed_or_null('first_name') }} as first_name,
        {{ trimmed_or_null('last_name') }} as last_name,
        {{ normalized_email('email') }} as email,
        {{ trimmed_or_null('title') }} as title,

        ---------- organisation
        {{ trimmed_or_null('department') }} as department,
        {{ trimmed_or_null('user_role_name') }} as role_name,
        coalesce(cast(is_active as {{ dbt.type_boolean() }}), false) as is_active,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_user')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
