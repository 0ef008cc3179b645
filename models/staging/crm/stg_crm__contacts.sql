with

source as {{ not_materialized() }} (

    select * from {{ source('crm', 'crm_contact') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='id', version_column='system_modstamp') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('id') }} as contact_id,
        {{ trimmed_or_null('account_id') }} as account_id,
        {{ trimmed_or_null('owner_id') }} as owner_user_id,

        ---------- person
        {{ trimmed_or_null('first_name') }} as first_name,
        {{ trimmed_or_null('last_name') }} as last_name,
        {{ normalized_email('email') }} as email,
        {{ email_domain('email') }} as email_domain,
        {{ trimmed_or_null('phone') }} as phone,
        {{ trimmed_or_null('title') }} as title,
        {{ trimmed_or_null('mailing_country') }} as mailing_country,
        {{ trimmed_or_null('lead_source') }} as lead_source,

        ---------- record audit
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as system_modified_at,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('crm', 'crm_contact')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
