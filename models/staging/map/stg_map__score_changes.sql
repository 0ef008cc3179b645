with

source as (

    select * from {{ source('map', 'map_score_change') }}

),

latest_versions as (

    {{ latest_versions('source', primary_key='score_change_id', version_column='updated_at') }}

),

final as (

    select
        ---------- ids
        {{ trimmed_or_null('score_change_id') }} as score_change_id,
        {{ trimmed_or_null('map_person_id') }} as map_person_id,
        {{ trimmed_or_null('crm_lead_id') }} as lead_id,

        ---------- change
        {{ normalized_email('email') }} as email,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(score_before as {{ dbt.type_bigint() }}) as score_before,
        cast(score_after as {{ dbt.type_bigint() }}) as score_after,
        {{ trimmed_or_null('change_reason') }} as change_reason,

        ---------- record audit
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,

        ---------- custom fields (var passthrough_columns)
        {{- passthrough_columns(source('map', 'map_score_change')) }}

        ---------- load
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(_row_hash as {{ dbt.type_string() }}) as row_hash

    from latest_versions

)

select * from final
