with

source as {{ not_materialized() }} (

    select * from {{ source('map', 'map_program') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='program_id', version_column='updated_at') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('program_id') }} as program_id,
        {{ trimmed_or_null('crm_campaign_id') }} as campaign_id,

        ---------- program
        {{ trimmed_or_null('program_name') }} as program_name,
        {{ trimmed_or_null('program_type') }} as program_type,
        {{ trimmed_or_null('channel') }} as channel,
        -- UTM tags are typed by hand in links ('LinkedIn', 'linkedin '): compared lower-cased.
        lower({{ trimmed_or_null('utm_source') }}) as utm_source,
        lower({{ trimmed_or_null('utm_medium') }}) as utm_medium,
        lower({{ trimmed_or_null('utm_campaign') }}) as utm_campaign,

        ---------- record audit
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('map', 'map_program')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
