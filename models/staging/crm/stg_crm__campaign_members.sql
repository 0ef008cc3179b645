with

source as (

    select * from {{ source('crm', 'crm_campaign_member') }}

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
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
